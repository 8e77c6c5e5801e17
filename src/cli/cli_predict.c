/*
 * cli_predict.c — `linreg predict`: a saved model applied to new rows.
 *
 * The rows' output is collected first and written to stdout (or the -o file,
 * through lr_output) only when every row succeeded, so a failed run writes
 * nothing. It is collected in memory and spilled, a megabyte at a time, to an
 * unnamed temporary file in TMPDIR, so memory stays bounded however many rows
 * there are; when TMPDIR is missing, full or failing, the rest simply stays
 * in memory (what was spilled is read back from the file).
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char predict_usage[] =
    "Usage: linreg predict -m MODEL.json [OPTIONS] FILE|-...\n"
    "\n"
    "Predictions for the rows of the CSV file FILE (- reads standard input; several\n"
    "files with the same header are read in order, as one) from a\n"
    "model saved by linreg fit --save; columns are matched by name. As R's\n"
    "predict.lm: a row with a missing value gets NA; so does a row whose term is\n"
    "not finite (log(0)), with a warning naming its line. A model with fixed\n"
    "effects (y ~ x | firm) adds the row's estimated effects; a level not in the\n"
    "fit gives NA with a warning; --interval is not available there.\n"
    "\n"
    "  -m, --model MODEL.json   the saved model\n"
    "      --interval KIND      none (default), confidence (for the mean response) or\n"
    "                           prediction (for a new observation)\n"
    "      --level L            confidence level of the intervals (default 0.95)\n"
    "      --format FORMAT      csv (default: columns fit[,lwr,upr]) or json\n"
    "      --na-strings A,B,... more spellings of a missing value (besides R's and\n"
    "                           those the model was fitted with)\n"
    "  -o, --output FILE        write the predictions to FILE (replaced only when\n"
    "                           every row succeeded) instead of standard output\n"
    "      --max-line-bytes N   the longest row read (default 8M; K, M, G suffixes)\n"
    "  -q, --quiet              no warnings on stderr\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit codes: 0 success, 1 data error, 2 usage error.\n";

/* Rows whose reason for NA is printed, one warning each; the rest counted. */
#define LR_CLI_MAX_NOTES 5

enum {
    OPT_INTERVAL = 256, /* --interval */
    OPT_LEVEL,          /* --level */
    OPT_FORMAT,         /* --format */
    OPT_NA_STRINGS,     /* --na-strings */
    OPT_MAX_LINE        /* --max-line-bytes */
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, 'm'},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"na-strings", required_argument, NULL, OPT_NA_STRINGS},
    {"output", required_argument, NULL, 'o'},
    {"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Memory held before it is spilled to the temporary file. */
#define SPILL_AT ((size_t)1 << 20)

/* The output collected so far: spilled[0..) in fd, then buf[0..len). */
typedef struct spool {
    char *buf;      /* the part in memory */
    size_t len;     /* bytes in buf */
    size_t cap;     /* bytes allocated */
    int fd;         /* the unnamed temporary in TMPDIR, -1: none */
    int fd_full;    /* a spill failed: the rest stays in memory */
    size_t spilled; /* bytes in fd */
    int nomem;      /* an allocation failed */
} spool;

typedef struct out_ctx {
    spool sp;                                  /* where rows go */
    int json;                                  /* JSON rather than CSV */
    lr_interval iv;                            /* which interval */
    size_t n;                                  /* rows written */
    size_t nnote;                              /* rows written NA because a term is not finite */
    char note[LR_CLI_MAX_NOTES][LR_ERROR_MAX]; /* the first ones' reasons */
    int files;                                 /* several input files: JSON rows name theirs */
    const char *file;                          /* the file of the last row (borrowed) */
    char *file_json;                           /* `"file": "NAME", ` for it (malloc) */
    size_t file_json_len;                      /* its bytes */
    size_t nbeyond;                            /* rows with a bs() x beyond its knots */
    size_t nse;                                /* rows whose se.fit (interval) is NA */
    char se_note[LR_ERROR_MAX];                /* why, the first one's */
} out_ctx;

/* An unnamed temporary file in TMPDIR (or /tmp), or -1. */
static int spool_fd(void)
{
    const char *env = getenv("TMPDIR");
    const char *dir = env && *env ? env : "/tmp";
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/linreg-predict-XXXXXX", dir);
        fd = mkstemp(path);
        if (fd >= 0)
            unlink(path);
    }
    return fd;
}

/* Write buf[0..len) to fd; the bytes written. */
static size_t write_all(int fd, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, buf + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    return done;
}

static void spool_add(spool *sp, const char *data, size_t n)
{
    if (sp->nomem)
        return;
    if (sp->len + n > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 4096;
        while (cap < sp->len + n)
            cap *= 2;
        char *b = realloc(sp->buf, cap);
        if (!b) {
            sp->nomem = 1;
            return;
        }
        sp->buf = b;
        sp->cap = cap;
    }
    memcpy(sp->buf + sp->len, data, n);
    sp->len += n;
    if (sp->len >= SPILL_AT && sp->fd >= 0 && !sp->fd_full) {
        size_t k = write_all(sp->fd, sp->buf, sp->len);
        sp->spilled += k;
        memmove(sp->buf, sp->buf + k, sp->len - k);
        sp->len -= k;
        sp->fd_full = sp->len != 0; /* ENOSPC and the like: memory from now on */
    }
}

/* Copy the collected output to f; 0, or -1 (errno set) on a read or write
 * error. */
static int spool_copy(spool *sp, FILE *f)
{
    static char block[1 << 16];
    for (size_t off = 0; off < sp->spilled;) {
        size_t want = sp->spilled - off < sizeof block ? sp->spilled - off : sizeof block;
        ssize_t k = pread(sp->fd, block, want, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        if (fwrite(block, 1, (size_t)k, f) != (size_t)k)
            return -1;
        off += (size_t)k;
    }
    return fwrite(sp->buf, 1, sp->len, f) == sp->len ? 0 : -1;
}

static void spool_free(spool *sp)
{
    free(sp->buf);
    if (sp->fd >= 0)
        close(sp->fd);
}

/* A number into line at *at: %.17g, or null (JSON) / NA (CSV) when not finite. */
static void num(char *line, size_t *at, size_t cap, double x, int json)
{
    int k = isfinite(x) ? snprintf(line + *at, cap - *at, "%.17g", x)
                        : snprintf(line + *at, cap - *at, "%s", json ? "null" : "NA");
    *at += k > 0 ? (size_t)k : 0;
}

static void text(char *line, size_t *at, size_t cap, const char *s)
{
    int k = snprintf(line + *at, cap - *at, "%s", s);
    *at += k > 0 ? (size_t)k : 0;
}

/* `"file": "NAME", ` for the row's file (made once per file). */
static void file_member(out_ctx *o, const char *file)
{
    if (file != o->file || !o->file_json) {
        free(o->file_json);
        o->file_json = NULL;
        o->file = file;
        FILE *ms = open_memstream(&o->file_json, &o->file_json_len);
        if (!ms) {
            o->sp.nomem = 1;
            return;
        }
        fputs("\"file\": ", ms);
        lr_json_string(ms, file ? file : "");
        fputs(", ", ms);
        if (fclose(ms) != 0) {
            o->sp.nomem = 1;
            return;
        }
    }
    spool_add(&o->sp, o->file_json, o->file_json_len);
}

static void on_row(void *ud, const lr_prediction *p)
{
    out_ctx *o = ud;
    o->nbeyond += p->beyond_knots != 0;
    if (p->note && p->ok) { /* the fit stands; its standard error does not */
        if (o->nse++ == 0)
            snprintf(o->se_note, sizeof o->se_note, "%s", p->note);
    } else if (p->note && o->nnote++ < LR_CLI_MAX_NOTES)
        snprintf(o->note[o->nnote - 1], sizeof o->note[0], "%s", p->note);
    char line[512]; /* four numbers of at most 24 characters and the keys */
    size_t at = 0, cap = sizeof line;
    if (o->json) {
        int k = snprintf(line, cap, "%s\n  {", o->n ? "," : "");
        at = k > 0 ? (size_t)k : 0;
        if (o->files) { /* several files: which one (the line is its line there) */
            spool_add(&o->sp, line, at);
            at = 0;
            file_member(o, p->file);
        }
        k = snprintf(line + at, cap - at, "\"line\": %llu, \"fit\": ", (unsigned long long)p->line);
        at += k > 0 ? (size_t)k : 0;
        num(line, &at, cap, p->fit, 1);
        text(line, &at, cap, ", \"se_fit\": ");
        num(line, &at, cap, p->se_fit, 1);
        if (o->iv != LR_INTERVAL_NONE) {
            text(line, &at, cap, ", \"lwr\": ");
            num(line, &at, cap, p->lwr, 1);
            text(line, &at, cap, ", \"upr\": ");
            num(line, &at, cap, p->upr, 1);
        }
        text(line, &at, cap, "}");
    } else {
        num(line, &at, cap, p->fit, 0);
        if (o->iv != LR_INTERVAL_NONE) {
            text(line, &at, cap, ",");
            num(line, &at, cap, p->lwr, 0);
            text(line, &at, cap, ",");
            num(line, &at, cap, p->upr, 0);
        }
        text(line, &at, cap, "\n");
    }
    spool_add(&o->sp, line, at);
    o->n++;
}

/* The collected predictions to stdout or the -o output (committed); an exit
 * code, the message printed. */
static int deliver(spool *sp, lr_output *out)
{
    if (!out) {
        if (spool_copy(sp, stdout) != 0 || fflush(stdout) != 0) {
            lr_cli_error("cannot write standard output: %s", strerror(errno ? errno : EIO));
            return LR_EXIT_DATA;
        }
        return LR_EXIT_OK;
    }
    int e = 0;
    errno = 0;
    if (spool_copy(sp, lr_output_stream(out)) != 0)
        e = errno; /* a read error of the spool; a write error the commit reports */
    if (e && !ferror(lr_output_stream(out))) {
        lr_cli_output_discard(out);
        lr_cli_error("cannot read back the predictions from TMPDIR: %s", strerror(e));
        return LR_EXIT_DATA;
    }
    return lr_cli_output_commit(out);
}

static void text_header(spool *sp, lr_interval iv)
{
    const char *h = iv == LR_INTERVAL_NONE ? "fit\n" : "fit,lwr,upr\n";
    spool_add(sp, h, strlen(h));
}

static int usage_error(const char *msg, const char *arg)
{
    return lr_cli_usage_error("predict", msg, arg);
}

/* What `linreg predict`'s options say. */
typedef struct predict_args {
    const char *model_path;                        /* -m */
    const char *out_path;                          /* -o, or NULL */
    lr_interval iv;                                /* --interval */
    double level;                                  /* --level */
    size_t max_line;                               /* --max-line-bytes (0: the default) */
    lr_format format;                              /* --format: csv or json */
    int quiet;                                     /* -q */
    size_t n_na;                                   /* --na-strings: how many */
    const char *na_strings[LR_CLI_MAX_NA_STRINGS]; /* --na-strings split (borrowed from argv) */
} predict_args;

static int predict_option(int c, char *arg, void *ud)
{
    predict_args *a = ud;
    char why[256];
    switch (c) {
    case 'm': a->model_path = arg; break;
    case 'o': a->out_path = arg; break;
    case OPT_INTERVAL:
        if (!strcmp(arg, "none"))
            a->iv = LR_INTERVAL_NONE;
        else if (!strcmp(arg, "confidence"))
            a->iv = LR_INTERVAL_CONFIDENCE;
        else if (!strcmp(arg, "prediction"))
            a->iv = LR_INTERVAL_PREDICTION;
        else
            return usage_error("unknown --interval (expected none, confidence or prediction):",
                               arg);
        break;
    case OPT_LEVEL:
        if (lr_cli_parse_level(arg, &a->level, why, sizeof why))
            return usage_error(why, NULL);
        break;
    case OPT_MAX_LINE:
        if (lr_cli_parse_bytes(arg, &a->max_line, why, sizeof why))
            return usage_error(why, NULL);
        break;
    case OPT_FORMAT:
        if (lr_cli_parse_format(arg, LR_CLI_FORMAT(LR_FORMAT_CSV) | LR_CLI_FORMAT(LR_FORMAT_JSON),
                                &a->format))
            return usage_error("unknown --format (expected csv or json):", arg);
        break;
    case OPT_NA_STRINGS:
        if (lr_cli_split_fixed(arg, a->na_strings, LR_CLI_MAX_NA_STRINGS, &a->n_na))
            return usage_error("--na-strings takes at most 64 spellings, not", arg);
        break;
    case 'q': a->quiet = 1; break;
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

int lr_cli_predict(int argc, char **argv)
{
    predict_args a = {.iv = LR_INTERVAL_NONE, .level = 0.95, .format = LR_FORMAT_CSV};
    const lr_cli_command cmd = {"predict", ":m:o:qh", long_options, predict_usage};
    int parsed = lr_cli_getopt(&cmd, argc, argv, predict_option, &a);
    if (parsed != -1)
        return parsed;
    const char *model_path = a.model_path, *out_path = a.out_path;
    lr_interval iv = a.iv;
    int json = a.format == LR_FORMAT_JSON;
    if (!model_path)
        return usage_error("no model (give one with -m MODEL.json)", NULL);
    if (optind >= argc)
        return usage_error("no input file (give a CSV file, or - for standard input)", NULL);
    size_t nin = (size_t)(argc - optind); /* several files: one data set */
    const lr_cli_path model_in = {"-m", model_path}, out_paths[] = {{"-o", out_path}};
    int rc = lr_cli_refuse_file_aliases(&model_in, 1, argv + optind, nin, out_paths, 1);
    if (rc != LR_EXIT_OK)
        return rc;
    lr_error err;
    lr_model *m = NULL;
    int st = lr_model_load(model_path, &m, &err);
    if (!st && (st = lr_model_add_na_strings(m, a.na_strings, a.n_na, &err)))
        st = LR_EDATA; /* too many with the model's own: about the file */
    if (st) {
        lr_cli_error("%s", err.message);
        return lr_cli_exit_code(st == LR_EUSAGE ? LR_EDATA : st);
    }
    lr_output *out = NULL;
    if (out_path && (rc = lr_cli_output_open(out_path, &out)) != LR_EXIT_OK) {
        lr_model_free(m);
        return rc;
    }
    static out_ctx o; /* its notes are large for the stack */
    o.sp = (spool){NULL, 0, 0, spool_fd(), 0, 0, 0};
    o.json = json;
    o.iv = iv;
    if (json)
        spool_add(&o.sp, "{\"predictions\": [", 17);
    else
        text_header(&o.sp, iv);
    lr_model_set_max_line(m, a.max_line);
    o.files = nin > 1;
    st = lr_predict_csv_files(m, (const char *const *)(argv + optind), nin, iv, a.level, on_row, &o,
                              &err);
    if (json)
        spool_add(&o.sp, "\n]}\n", 4);
    if (st) {
        lr_cli_output_discard(out);
        lr_cli_error("%s", err.message);
        rc = lr_cli_exit_code(st);
    } else if (o.sp.nomem) {
        lr_cli_output_discard(out);
        lr_cli_error("out of memory");
        rc = LR_EXIT_DATA;
    } else if ((rc = deliver(&o.sp, out)) != LR_EXIT_OK) {
        /* the message is printed */
    } else if (!a.quiet) {
        /* R's predict gives -Inf or NaN for such a row, with a warning */
        for (size_t i = 0; i < o.nnote && i < LR_CLI_MAX_NOTES; i++)
            lr_cli_error("warning: %s: NA written for that row", o.note[i]);
        if (o.nnote > LR_CLI_MAX_NOTES)
            lr_cli_error("warning: %zu more rows written NA for a term that is not finite "
                         "or a fixed-effect level not in the fit",
                         o.nnote - LR_CLI_MAX_NOTES);
        if (o.nse && (o.json || a.iv != LR_INTERVAL_NONE)) /* se.fit is written */
            lr_cli_error("warning: %s: the standard error%s NA for %zu row%s", o.se_note,
                         a.iv != LR_INTERVAL_NONE ? " and the interval are" : " is", o.nse,
                         o.nse == 1 ? "" : "s");
        /* R's warnings, in R's words */
        if (o.nbeyond)
            lr_cli_error("warning: some 'x' values beyond boundary knots may cause "
                         "ill-conditioned bases (bs(), %zu row%s)",
                         o.nbeyond, o.nbeyond == 1 ? "" : "s");
        if (lr_model_rank(m) < lr_model_ncoef(m))
            lr_cli_error("warning: prediction from a rank-deficient fit may be misleading");
        if (lr_model_weighted(m) && iv == LR_INTERVAL_PREDICTION)
            lr_cli_error("warning: assuming constant prediction variance even though model fit "
                         "is weighted");
    }
    spool_free(&o.sp);
    free(o.file_json);
    o.file_json = NULL;
    lr_model_free(m);
    return rc;
}
