/*
 * cli_bench.c — `linreg bench`: options → lr_bench_options → lr_bench_run →
 * report (text, json or csv) and, on request, the SVG picture.
 *
 * The report is written to a memory stream and copied to stdout only when the
 * benchmark (and the picture) succeeded, so a failed run prints nothing on
 * stdout. Progress goes to stderr unless -q.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char bench_usage[] =
    "Usage: linreg bench [OPTIONS]\n"
    "\n"
    "Time the normal equations through OpenBLAS/LAPACKE against naive loops: X'X\n"
    "(naive dot products vs dsyrk, with dgemm as the machine's reference rate),\n"
    "its inverse (Gauss-Jordan vs dpotrf+dpotri and dgetrf+dgetri) and the whole\n"
    "solve, with each inverse's accuracy on problems with a known exact solution.\n"
    "The naive code runs on one thread, the BLAS on OpenBLAS's default threads.\n"
    "\n"
    "Options:\n"
    "      --sizes P1,P2,...    the sizes p of the sweep (default 16,32,...,1024)\n"
    "      --rows N             n rows for every size (default max(4p, 256))\n"
    "      --repeat N           timed runs after one warm-up (default 5; 3 for the\n"
    "                           fits); a kernel or fit whose warm-up takes over 2 s\n"
    "                           is timed by that run alone\n"
    "      --fit FILE           time 'linreg fit FILE' (the first column on all the\n"
    "                           others) with --method naive and with the default\n"
    "                           method; without --sizes, only this is run\n"
    "      --format FORMAT      text (default), json or csv (one row per size; with\n"
    "                           --fit alone, one row per method)\n"
    "      --plot FILE.svg      draw time and speedup against p (log axes)\n"
    "  -q, --quiet              no progress on stderr\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit codes: 0 success, 1 data or numerical error, 2 usage error.\n";

enum {
    OPT_SIZES = 256, /* --sizes */
    OPT_ROWS,        /* --rows */
    OPT_REPEAT,      /* --repeat */
    OPT_FIT,         /* --fit */
    OPT_FORMAT,      /* --format */
    OPT_PLOT         /* --plot */
};

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"fit", required_argument, NULL, OPT_FIT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The largest size accepted: p = 16384 already needs 8 GB for X. */
#define BENCH_MAX_P 16384
/* The largest row count accepted. */
#define BENCH_MAX_ROWS 100000000ull

static int usage_error(const char *msg, const char *arg)
{
    return lr_cli_usage_error("bench", msg, arg);
}

/* A decimal integer in [lo, hi], the whole string. */
static int parse_count(const char *s, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* "16,32,64" → a malloc'd array of sizes, replacing *out (freed). 0, -1 out
 * of memory, -2 malformed (*out kept). */
static int parse_sizes(const char *list, size_t **out, size_t *n)
{
    size_t count = 1;
    for (const char *s = list; *s; s++)
        count += *s == ',';
    size_t *v = calloc(count, sizeof *v);
    if (!v)
        return -1;
    const char *s = list;
    for (size_t i = 0; i < count; i++) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char item[32];
        unsigned long long p;
        if (len == 0 || len >= sizeof item) {
            free(v);
            return -2;
        }
        memcpy(item, s, len);
        item[len] = '\0';
        if (parse_count(item, 2, BENCH_MAX_P, &p)) {
            free(v);
            return -2;
        }
        v[i] = (size_t)p;
        s = comma ? comma + 1 : s + len;
    }
    free(*out);
    *out = v;
    *n = count;
    return 0;
}

/* Progress on stderr: on a terminal one line rewritten in place, otherwise a
 * line per size (and per fitted method). */
typedef struct progress_state {
    int tty;       /* 1 if stderr is a terminal */
    size_t last_p; /* the size of the last line written (0: none) */
    int dirty;     /* 1 if a terminal line needs clearing */
} progress_state;

static void on_progress(void *ud, size_t p, size_t n, const char *stage)
{
    progress_state *st = ud;
    if (st->tty) {
        if (p)
            fprintf(stderr, "\r\033[Klinreg: bench: p = %zu, n = %zu: %s", p, n, stage);
        else
            fprintf(stderr, "\r\033[Klinreg: bench: %s", stage);
        st->dirty = 1;
    } else if (p == 0) {
        fprintf(stderr, "linreg: bench: %s\n", stage);
    } else if (p != st->last_p) {
        fprintf(stderr, "linreg: bench: p = %zu, n = %zu\n", p, n);
    }
    st->last_p = p;
    fflush(stderr);
}

static void progress_done(progress_state *st)
{
    if (st->tty && st->dirty)
        fputs("\r\033[K", stderr);
    st->dirty = 0;
}

/* What `linreg bench`'s options say, beyond lr_bench_options. */
typedef struct bench_args {
    lr_bench_options opt; /* the run's options (sizes points to `sizes`) */
    lr_format format;     /* --format */
    int quiet;            /* -q */
    int sizes_given;      /* --sizes was given */
    size_t *sizes;        /* --sizes parsed (malloc'd; the caller frees) */
    const char *plot;     /* --plot, or NULL */
} bench_args;

/* One option into a (a bench_args): LR_EXIT_OK, an exit code after the
 * message, or LR_CLI_NOT_MINE. */
static int bench_option(int c, char *arg, void *ud)
{
    bench_args *a = ud;
    lr_bench_options *opt = &a->opt;
    unsigned long long v;
    switch (c) {
    case OPT_SIZES: {
        int rc = lr_cli_list_status("bench", parse_sizes(arg, &a->sizes, &opt->n_sizes),
                                    "--sizes must be a comma-separated list of integers from 2 "
                                    "to 16384, not",
                                    arg);
        if (rc != LR_EXIT_OK)
            return rc;
        opt->sizes = a->sizes;
        a->sizes_given = 1;
        break;
    }
    case OPT_ROWS:
        if (parse_count(arg, 2, BENCH_MAX_ROWS, &v))
            return usage_error("--rows must be an integer from 2 to 100000000, not", arg);
        opt->rows = (size_t)v;
        break;
    case OPT_REPEAT:
        if (parse_count(arg, 1, 1000, &v))
            return usage_error("--repeat must be an integer from 1 to 1000, not", arg);
        opt->repeat = (unsigned)v;
        opt->fit_repeat = (unsigned)v; /* given: for the fits too */
        break;
    case OPT_FIT: opt->fit_path = arg; break;
    case OPT_FORMAT:
        if (lr_cli_parse_format(arg, LR_CLI_FORMATS_ALL & ~LR_CLI_FORMAT(LR_FORMAT_MARKDOWN),
                                &a->format))
            return usage_error("unknown --format (expected text, json or csv):", arg);
        break;
    case OPT_PLOT: a->plot = arg; break;
    case 'q': a->quiet = 1; break;
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

/* Parse the options into a, and check the ones that go together. -1 to go
 * on with the run, or the exit code (after the message, or after the help).
 * a->sizes is the caller's to free in either case. */
static int parse_bench_options(int argc, char **argv, bench_args *a)
{
    lr_bench_options *opt = &a->opt;
    lr_bench_options_init(opt);
    a->format = LR_FORMAT_TEXT;
    const lr_cli_command cmd = {"bench", ":qh", long_options, bench_usage};
    int rc = lr_cli_getopt(&cmd, argc, argv, bench_option, a);
    if (rc != -1)
        return rc;
    if (optind < argc)
        return usage_error("unexpected argument (the data to fit is given with --fit):",
                           argv[optind]);
    /* --fit alone times the fit only; with --sizes, the sweep too. */
    opt->sweep = !opt->fit_path || a->sizes_given;
    if (a->plot && !opt->sweep)
        return usage_error("--plot draws the size sweep, which --fit alone does not run: add "
                           "--sizes",
                           NULL);
    if (a->format == LR_FORMAT_CSV && opt->sweep && opt->fit_path)
        return usage_error("--format csv writes one table: give --sizes or --fit, not both", NULL);
    if (opt->rows && a->sizes_given)
        for (size_t i = 0; i < opt->n_sizes; i++)
            if (opt->rows < opt->sizes[i]) {
                char p[32];
                snprintf(p, sizeof p, "%zu", opt->sizes[i]);
                return usage_error("--rows is smaller than the size", p);
            }
    return -1;
}

/* The report, written to a memory stream; the picture, committed; then the
 * report copied to stdout, so that a failed run prints nothing there. An exit
 * code; plot_out is committed or discarded. */
static int write_bench_report(const lr_bench_result *r, lr_format format, lr_output *plot_out,
                              int quiet)
{
    int rc = LR_EXIT_OK;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        lr_cli_error("out of memory");
        lr_cli_output_discard(plot_out);
        return LR_EXIT_DATA;
    }
    switch (format) {
    case LR_FORMAT_JSON: lr_report_bench_json(mem, r); break;
    case LR_FORMAT_CSV: lr_report_bench_csv(mem, r); break;
    case LR_FORMAT_TEXT:
    default: lr_report_bench_text(mem, r); break;
    }
    if (fclose(mem) != 0) {
        lr_cli_error("out of memory");
        rc = LR_EXIT_DATA;
    }
    if (rc == LR_EXIT_OK && plot_out) {
        lr_plot_bench_svg(lr_output_stream(plot_out), r);
        rc = lr_cli_output_commit(plot_out);
    } else {
        lr_cli_output_discard(plot_out);
    }
    if (rc == LR_EXIT_OK)
        rc = lr_cli_write_stdout(buf, len);
    if (rc == LR_EXIT_OK && !quiet && r->has_fit && r->fit.naive.status != LR_OK)
        lr_cli_error("warning: --method naive refused the data: %s", r->fit.naive.message);
    free(buf);
    return rc;
}

int lr_cli_bench(int argc, char **argv)
{
    bench_args a = {0};
    int rc = parse_bench_options(argc, argv, &a);
    if (rc != -1) {
        free(a.sizes);
        return rc;
    }
    lr_bench_options *opt = &a.opt;

    /* the picture may replace neither the data nor, through a link, itself */
    const lr_cli_path in_paths[] = {{"--fit", opt->fit_path}};
    const lr_cli_path out_paths[] = {{"--plot", a.plot}};
    int alias = lr_cli_refuse_aliases(in_paths, 1, out_paths, 1);
    /* opened before the run, so that an unwritable one fails at once */
    lr_output *plot_out = NULL;
    if (alias == LR_EXIT_OK && a.plot)
        alias = lr_cli_output_open(a.plot, &plot_out);
    if (alias != LR_EXIT_OK) {
        free(a.sizes);
        return alias;
    }

    progress_state st = {0, 0, 0};
    if (!a.quiet) {
        st.tty = isatty(STDERR_FILENO);
        opt->progress = on_progress;
        opt->progress_ud = &st;
    }
    lr_error err;
    lr_bench_result *r = NULL;
    int status = lr_bench_run(opt, &r, &err);
    progress_done(&st);
    free(a.sizes);
    if (status != LR_OK) {
        lr_cli_output_discard(plot_out);
        lr_cli_error("%s", err.message);
        return lr_cli_exit_code(status);
    }
    rc = write_bench_report(r, a.format, plot_out, a.quiet);
    lr_bench_result_free(r);
    return rc;
}
