/*
 * cli.h — the linreg command: option parsing and report formatting.
 * The CLI only parses options, calls the library and formats; no numerics.
 */
#ifndef LR_CLI_H
#define LR_CLI_H

#include <pthread.h>
#include <stdio.h>

#include "linreg.h"
#include "linreg_bench.h" /* lr_bench_result, for the bench reports */

/* Exit codes of the command. */
enum {
    LR_EXIT_OK = 0,   /* success */
    LR_EXIT_DATA = 1, /* data or numerical error */
    LR_EXIT_USAGE = 2 /* usage error */
};

/* Output formats of linreg fit. */
typedef enum lr_format {
    LR_FORMAT_TEXT = 0,    /* R-like summary */
    LR_FORMAT_JSON = 1,    /* one JSON object (docs/design.md schema) */
    LR_FORMAT_CSV = 2,     /* the coefficient table */
    LR_FORMAT_MARKDOWN = 3 /* coefficient table and statistics as Markdown */
} lr_format;

/* What the reports need beyond the fit itself. */
typedef struct lr_report_ctx {
    const lr_fit *fit;         /* the fitted model */
    const char *model_desc;    /* "dist ~ speed" */
    const lr_vif_row *vif;     /* --vif: lr_fit_nterms rows, or NULL */
    int vif_no_intercept;      /* car's warning applies: no intercept */
    const lr_hypothesis *test; /* --test: the result, or NULL */
    const char *test_text;     /* --test: the restrictions as given */
} lr_report_ctx;

/* A progress bar on stderr (progress_bar.c): the pass under way, how far it
 * is and an estimate when one is honest. Drawn when stderr is a terminal (or
 * LINREG_PROGRESS=always), not quiet, and the work has taken more than a
 * second (at once with LINREG_PROGRESS=always). init and done pair up: done
 * stops the ticker thread and erases the line. */
typedef struct lr_progress_bar {
    int enabled;         /* a terminal or LINREG_PROGRESS=always, and not --quiet */
    int tty;             /* stderr is a terminal: one line rewritten in place */
    int eager;           /* LINREG_PROGRESS=always: from the start, a line per pass */
    int drawn;           /* something is on the line (to be cleared) */
    int pending;         /* a report not drawn yet (drawn at the pass's end in a log) */
    double start;        /* when the work began (seconds, monotonic) */
    double last;         /* when the bar was last drawn */
    double pass_start;   /* when the current pass began (or resumed after another) */
    uint64_t done0;      /* its done then: its rate counts only what it did since */
    lr_progress cur;     /* the current pass's last report (pass points into `pass`) */
    char pass[64];       /* its name, copied (the library's pointer is borrowed) */
    unsigned spin;       /* spinner frame for passes of unknown length */
    int stop;            /* done: the ticker returns */
    int ticking;         /* the ticker thread runs */
    pthread_t tick;      /* redraws every 1/4 s on a terminal (the elapsed time moves) */
    pthread_mutex_t mu;  /* guards the fields above between the callback and the ticker */
    pthread_cond_t wake; /* wakes the ticker to stop */
} lr_progress_bar;
void lr_progress_init(lr_progress_bar *b, int allowed);
/* Seconds a pass still needs, from its own rate since it began or resumed
 * (elapsed seconds since then, done0 of total done then, done now):
 * elapsed × (total − done) / (done − done0); −1 when no estimate is honest:
 * under a second, under 2% of what was left at the start, or nothing left. */
double lr_progress_left(double elapsed, uint64_t done0, uint64_t done, uint64_t total);
void lr_progress_update(void *bar, const lr_progress *p);
void lr_progress_done(lr_progress_bar *b);

/* --plot: residuals vs fitted and a normal Q-Q plot as SVG (plot_diagnostics.c),
 * written to f (an lr_output's stream: its commit reports a write error). */
void lr_plot_diagnostics_svg(FILE *f, const lr_fit *fit);

/* `linreg predict ...` (argv[0] is "predict"). Returns the exit code. */
int lr_cli_predict(int argc, char **argv);

/* `linreg fit ...` (argv[0] is "fit"). Returns the exit code. */
int lr_cli_fit(int argc, char **argv);
/* linreg merge [OPTIONS] PART... [--data FILE...]: the fit of the files of partial fits. */
int lr_cli_merge(int argc, char **argv);

/* `linreg compare ...` (argv[0] is "compare", cli_compare.c). Returns the exit code. */
int lr_cli_compare(int argc, char **argv);

/* `linreg bench ...` (argv[0] is "bench"). Returns the exit code. */
int lr_cli_bench(int argc, char **argv);

/* Option values (cli_numbers.c): 0 and *out, or -1 with the reason, naming
 * the option and the value, in why. */
#define LR_CLI_RIDGE_MAX 1e300 /* the largest --ridge (documented in the README) */
int lr_cli_parse_level(const char *s, double *out, char *why, size_t size);
int lr_cli_parse_ridge(const char *s, double *out, char *why, size_t size);
/* A size in bytes: digits, then nothing or K, M, G (KiB, MiB, GiB), >= 1. */
int lr_cli_parse_bytes(const char *s, size_t *out, char *why, size_t size);

/* A usage error of `linreg command`: "linreg: msg 'arg'" (or "linreg: msg"
 * when arg is NULL) and the pointer to its --help on stderr; returns
 * LR_EXIT_USAGE. */
int lr_cli_usage_error(const char *command, const char *msg, const char *arg);

/* Print "linreg: msg" to stderr. */
void lr_cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The most spellings --na-strings takes (its message says 64). */
#define LR_CLI_MAX_NA_STRINGS 64

/* Split a comma-separated list in place, blanks around each entry dropped:
 * into a malloc'd array that replaces *out (the old one freed; -1: out of
 * memory; -2: an empty entry; *out kept on failure), or into v of cap
 * entries, empty entries kept (-1: more than cap). */
int lr_cli_split_names(char *list, const char ***out, size_t *n);
int lr_cli_split_fixed(char *list, const char **v, size_t cap, size_t *n);

/* A list option's split (0, -1 out of memory, -2 malformed) as an exit
 * code: LR_EXIT_OK; LR_EXIT_DATA after "out of memory"; the usage error
 * "msg 'arg'" of `linreg command`. */
int lr_cli_list_status(const char *command, int e, const char *msg, const char *arg);

/* The message for an unknown option arg ("--formla" or "--formla=x"): with
 * the nearest of opts' long names when one is close (a static buffer). */
struct option;
const char *lr_cli_unknown_option(const char *arg, const struct option *opts);

/* A command's options, for lr_cli_getopt. */
typedef struct lr_cli_command {
    const char *name;              /* "fit": in "Try 'linreg fit --help'" */
    const char *shortopts;         /* getopt_long's, starting with ':' and holding 'h' */
    const struct option *longopts; /* getopt_long's, ended by a NULL name */
    const char *usage;             /* the --help text */
} lr_cli_command;

/* What an option handler returns for an option that is not its own. */
#define LR_CLI_NOT_MINE (-1)

/* One option (getopt_long's code and value) into ud: LR_EXIT_OK, an exit
 * code after the message, or LR_CLI_NOT_MINE. */
typedef int (*lr_cli_option_fn)(int c, char *arg, void *ud);

/* The options of argv (argv[0] the command's name), each handed to `each`,
 * -h and the errors of the loop handled alike for every command: -1 when all
 * were taken (optind is the first operand), or the exit code: after the help
 * on stdout; 2 after "missing value for option" or an unknown option (with
 * lr_cli_unknown_option's hint); what `each` returned. */
int lr_cli_getopt(const lr_cli_command *cmd, int argc, char **argv, lr_cli_option_fn each,
                  void *ud);

/* --format's value among the formats a command writes (a mask of
 * LR_CLI_FORMAT bits; "md" is markdown): 0 and *out, or -1. */
#define LR_CLI_FORMAT(f) (1u << (f))
#define LR_CLI_FORMATS_ALL 15u /* text, json, csv and markdown (fit, compare) */
int lr_cli_parse_format(const char *arg, unsigned formats, lr_format *out);

/* Exit code for a library status. */
int lr_cli_exit_code(int status);

/* ---- outputs (cli_output.c) ---- */

/* A file named on the command line and the option that named it ("" for the
 * input operand). */
typedef struct lr_cli_path {
    const char *option; /* "--residuals", "-m", "" */
    const char *path;   /* the path as given ("-": standard input); NULL: not given */
} lr_cli_path;

/* Before anything is opened: an output that names an input (the same path or
 * inode; "-" is standard input) or another output is refused with a message
 * naming both. LR_EXIT_OK or LR_EXIT_USAGE. */
int lr_cli_refuse_aliases(const lr_cli_path *in, size_t nin, const lr_cli_path *out, size_t nout);
/* The same with the inputs named by options, named[0..nnamed), then the
 * input operands files[0..nfiles); also LR_EXIT_DATA (after the message)
 * when out of memory. */
int lr_cli_refuse_file_aliases(const lr_cli_path *named, size_t nnamed, char *const *files,
                               size_t nfiles, const lr_cli_path *out, size_t nout);

/* SIGINT and SIGTERM: remove the pending named temporaries, exit 130 / 143. */
void lr_cli_signals_install(void);

/* lr_output_open / _commit / _discard with the temporary registered for the
 * signal handler and the error printed; they return an exit code. */
int lr_cli_output_open(const char *path, lr_output **out);
int lr_cli_output_commit(lr_output *o);
void lr_cli_output_discard(lr_output *o);

/* Write buf to stdout and flush: LR_EXIT_OK, or LR_EXIT_DATA with
 * "cannot write standard output: <errno text>" printed. */
int lr_cli_write_stdout(const void *buf, size_t len);

/* At exit: flush stdout; a write error turns a successful rc into
 * LR_EXIT_DATA with the message printed. Returns the exit code. */
int lr_cli_stdout_done(int rc);

/* Reports: write to out (a memory stream; the caller copies it to stdout only
 * when everything succeeded). */
void lr_report_text(FILE *out, const lr_report_ctx *ctx);
/* " (clustered by firm: 12 clusters)" for a CL fit's summary. */
void lr_cli_cluster_describe(FILE *out, const lr_summary *s);
void lr_report_json(FILE *out, const lr_report_ctx *ctx);
void lr_report_csv(FILE *out, const lr_report_ctx *ctx);
void lr_report_markdown(FILE *out, const lr_report_ctx *ctx);
/* The log-likelihood (with its degrees of freedom), AIC and BIC after the
 * summary, as text or as Markdown table rows (report_text.c). */
void lr_report_likelihood(FILE *out, const lr_summary *s, int markdown);

/* The inference tables (report_inference.c): --anova, --vif and --test after
 * the summary, in each format; json writes members ("anova": [...], ) to
 * splice into the object before "notes". */
void lr_report_inference_text(FILE *out, const lr_report_ctx *ctx, int markdown);
void lr_report_inference_csv(FILE *out, const lr_report_ctx *ctx);
void lr_report_inference_json(FILE *out, const lr_report_ctx *ctx);

/* Cells of the CSV and Markdown tables (report_table.c): ",number" (17
 * digits, NA when not finite), Markdown text. A CSV field is the library's
 * lr_csv_write_field (linreg_csv.h), so the two quote alike. */
void lr_cli_csv_number(FILE *f, double x);
void lr_cli_md_text(FILE *f, const char *s);
/* "key": number (17 digits, null when not finite) followed by `after` (report_json.c). */
void lr_cli_json_member(FILE *f, const char *key, double x, const char *after);
/* The members key[i]: v[i] for i < n, separated by ", ", the last followed by `after`. */
void lr_cli_json_members(FILE *f, const char *const *key, const double *v, size_t n,
                         const char *after);

/* The benchmark (report_bench.c): the tables as text; one JSON object; CSV
 * with one row per size (or, without a sweep, one row per fitted method). */
void lr_report_bench_text(FILE *out, const lr_bench_result *r);
void lr_report_bench_json(FILE *out, const lr_bench_result *r);
void lr_report_bench_csv(FILE *out, const lr_bench_result *r);

/* The sweep as an SVG picture (plot_svg.c): time per call and speedup against
 * p on log axes, with title, axis labels and legends; a well-formed XML
 * document. r must hold a sweep (n_sizes >= 1). */
void lr_plot_bench_svg(FILE *out, const lr_bench_result *r);

/* ---- number formatting (format_number.c), R's rules ---- */

/* Maximum length of one formatted number, NUL included. */
#define LR_NUM_MAX 40

/*
 * Format x[0..n) jointly as R's format(x, digits = digits) does: each element
 * shown to `digits` significant digits (trailing zeros dropped), all with the
 * same number of decimals in fixed notation, or all in scientific notation
 * when that is narrower. NaN → "NA", ±Inf → "Inf"/"-Inf". out[i] holds
 * LR_NUM_MAX bytes.
 */
void lr_format_joint(const double *x, size_t n, int digits, char (*out)[LR_NUM_MAX]);

/* R's format.pval(p, digits): fixed for p ≥ 1e-3, scientific below, "<2e-16"
 * under machine epsilon (jointly per group, as R does). */
void lr_format_pvalues(const double *p, size_t n, int digits, char (*out)[LR_NUM_MAX]);

/* One number as R's formatC(x, digits = d) ("%.*g"), NaN as "NA". */
void lr_format_g(double x, int digits, char out[LR_NUM_MAX]);

/* One number for JSON: %.17g, or "null" when not finite. */
void lr_format_json_number(double x, char out[LR_NUM_MAX]);

/* R's significance stars for a p-value. */
const char *lr_signif_stars(double p);

/* The coefficient table formatted as R's printCoefmat formats it (digits 4),
 * with the confidence interval columns formatted like the estimates. */
typedef struct lr_coef_cells {
    size_t n;                      /* rows (coefficients) */
    char **name;                   /* coefficient names, control characters escaped as R
                                      prints them (lr_text_escape) */
    char (*est)[LR_NUM_MAX];       /* Estimate */
    char (*se)[LR_NUM_MAX];        /* Std. Error */
    char (*t)[LR_NUM_MAX];         /* t value */
    char (*p)[LR_NUM_MAX];         /* Pr(>|t|) */
    char (*lo)[LR_NUM_MAX];        /* lower confidence bound */
    char (*hi)[LR_NUM_MAX];        /* upper confidence bound */
    const char **stars;            /* significance stars */
    int any_stars;                 /* 1 if some p-value is below 0.1 (R then prints stars) */
    char lo_label[LR_NUM_MAX + 4]; /* "2.5 %" */
    char hi_label[LR_NUM_MAX + 4]; /* "97.5 %" */
} lr_coef_cells;

/* Fill cells from the fit; 0 on success, -1 out of memory. Free with lr_coef_cells_free. */
int lr_coef_cells_format(const lr_fit *fit, lr_coef_cells *cells);
void lr_coef_cells_free(lr_coef_cells *cells);

/* s as a JSON string literal; bytes that are not UTF-8 are read as Latin-1
 * (json_string.c). */
void lr_json_string(FILE *f, const char *s);

/* s with control characters escaped as R prints them ("a\nb" for a newline,
 * "\001" for byte 1), malloc'd, or NULL when memory runs out
 * (text_escape.c). */
char *lr_text_escape(const char *s);
/* Print s so escaped (as it is when memory runs out). */
void lr_text_print(FILE *f, const char *s);

#endif
