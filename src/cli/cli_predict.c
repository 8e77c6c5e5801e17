/*
 * cli_predict.c — `linreg predict`: a saved model applied to new rows.
 *
 * Output is collected in an unlinked temporary file (in TMPDIR; memory if
 * none can be made) and copied to stdout only when every row succeeded, so a
 * failed run prints nothing on stdout and memory stays bounded however many
 * rows there are.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char predict_usage[] =
    "Usage: linreg predict -m MODEL.json [OPTIONS] FILE|-\n"
    "\n"
    "Predictions for the rows of the CSV file FILE (- reads standard input) from a\n"
    "model saved by linreg fit --save; columns are matched by name. As R's\n"
    "predict.lm: a row with a missing value gets NA; so does a row whose term is\n"
    "not finite (log(0)), with a warning naming its line.\n"
    "\n"
    "  -m, --model MODEL.json   the saved model\n"
    "      --interval KIND      none (default), confidence (for the mean response) or\n"
    "                           prediction (for a new observation)\n"
    "      --level L            confidence level of the intervals (default 0.95)\n"
    "      --format FORMAT      csv (default: columns fit[,lwr,upr]) or json\n"
    "      --na-strings A,B,... more spellings of a missing value (besides R's and\n"
    "                           those the model was fitted with)\n"
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
    {"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct out_ctx {
    FILE *f;        /* the memory stream */
    int json;       /* JSON rather than CSV */
    lr_interval iv; /* which interval */
    size_t n;       /* rows written */
    size_t nnote;   /* rows written NA because a term is not finite */
    char note[LR_CLI_MAX_NOTES][LR_ERROR_MAX]; /* the first ones' reasons */
} out_ctx;

static void num(FILE *f, double x, int json)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs(json ? "null" : "NA", f);
}

static void on_row(void *ud, const lr_prediction *p)
{
    out_ctx *o = ud;
    if (p->note && o->nnote++ < LR_CLI_MAX_NOTES)
        snprintf(o->note[o->nnote - 1], sizeof o->note[0], "%s", p->note);
    if (o->json) {
        fprintf(o->f, "%s\n  {\"line\": %llu, \"fit\": ", o->n ? "," : "",
                (unsigned long long)p->line);
        num(o->f, p->fit, 1);
        fputs(", \"se_fit\": ", o->f);
        num(o->f, p->se_fit, 1);
        if (o->iv != LR_INTERVAL_NONE) {
            fputs(", \"lwr\": ", o->f);
            num(o->f, p->lwr, 1);
            fputs(", \"upr\": ", o->f);
            num(o->f, p->upr, 1);
        }
        fputc('}', o->f);
    } else {
        num(o->f, p->fit, 0);
        if (o->iv != LR_INTERVAL_NONE) {
            fputc(',', o->f);
            num(o->f, p->lwr, 0);
            fputc(',', o->f);
            num(o->f, p->upr, 0);
        }
        fputc('\n', o->f);
    }
    o->n++;
}

/* An unlinked temporary file in TMPDIR (or /tmp), or NULL. */
static FILE *spool_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/linreg-predict-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+");
    if (!f)
        close(fd);
    return f;
}

/* Copy the spooled output to stdout; nonzero on a read or write error. */
static int copy_out(FILE *f)
{
    static char block[1 << 16];
    if (fseek(f, 0, SEEK_SET) != 0)
        return 1;
    size_t k;
    while ((k = fread(block, 1, sizeof block, f)) > 0)
        if (fwrite(block, 1, k, stdout) != k)
            return 1;
    return ferror(f);
}

static int usage_error(const char *msg, const char *arg)
{
    if (arg)
        lr_cli_error("%s '%s'", msg, arg);
    else
        lr_cli_error("%s", msg);
    fputs("Try 'linreg predict --help' for more information.\n", stderr);
    return LR_EXIT_USAGE;
}

int lr_cli_predict(int argc, char **argv)
{
    const char *model_path = NULL;
    lr_interval iv = LR_INTERVAL_NONE;
    double level = 0.95;
    size_t max_line = 0;
    char why[256];
    int json = 0, quiet = 0;
    const char *na_strings[LR_CLI_MAX_NA_STRINGS];
    size_t n_na = 0;
    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, ":m:qh", long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'm': model_path = optarg; break;
        case OPT_INTERVAL:
            if (!strcmp(optarg, "none"))
                iv = LR_INTERVAL_NONE;
            else if (!strcmp(optarg, "confidence"))
                iv = LR_INTERVAL_CONFIDENCE;
            else if (!strcmp(optarg, "prediction"))
                iv = LR_INTERVAL_PREDICTION;
            else
                return usage_error("unknown --interval (expected none, confidence or "
                                   "prediction):",
                                   optarg);
            break;
        case OPT_LEVEL:
            if (lr_cli_parse_level(optarg, &level, why, sizeof why))
                return usage_error(why, NULL);
            break;
        case OPT_MAX_LINE:
            if (lr_cli_parse_bytes(optarg, &max_line, why, sizeof why))
                return usage_error(why, NULL);
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "csv"))
                json = 0;
            else if (!strcmp(optarg, "json"))
                json = 1;
            else
                return usage_error("unknown --format (expected csv or json):", optarg);
            break;
        case OPT_NA_STRINGS:
            if (lr_cli_split_fixed(optarg, na_strings, LR_CLI_MAX_NA_STRINGS, &n_na))
                return usage_error("--na-strings takes at most 64 spellings, not", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(predict_usage, stdout); return LR_EXIT_OK;
        case ':': return usage_error("missing value for option", argv[optind - 1]);
        default: return usage_error(lr_cli_unknown_option(argv[optind - 1], long_options), NULL);
        }
    }
    if (!model_path)
        return usage_error("no model (give one with -m MODEL.json)", NULL);
    if (optind >= argc)
        return usage_error("no input file (give a CSV file, or - for standard input)", NULL);
    if (argc - optind > 1)
        return usage_error("more than one input file:", argv[optind + 1]);

    lr_error err;
    lr_model *m = NULL;
    int st = lr_model_load(model_path, &m, &err);
    if (!st && (st = lr_model_add_na_strings(m, na_strings, n_na, &err)))
        st = LR_EDATA; /* too many with the model's own: about the file */
    if (st) {
        lr_cli_error("%s", err.message);
        return lr_cli_exit_code(st == LR_EUSAGE ? LR_EDATA : st);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = spool_file();
    if (!mem)
        mem = open_memstream(&buf, &len);
    if (!mem) {
        lr_model_free(m);
        lr_cli_error("out of memory");
        return LR_EXIT_DATA;
    }
    static out_ctx o; /* its notes are large for the stack */
    o.f = mem;
    o.json = json;
    o.iv = iv;
    if (json)
        fputs("{\"predictions\": [", mem);
    else
        fputs(iv == LR_INTERVAL_NONE ? "fit\n" : "fit,lwr,upr\n", mem);
    lr_model_set_max_line(m, max_line);
    st = lr_predict_csv(m, argv[optind], iv, level, on_row, &o, &err);
    if (json)
        fputs("\n]}\n", mem);
    int rc = LR_EXIT_OK, bad = ferror(mem) || fflush(mem) != 0;
    if (!bad && st == LR_OK)
        bad = buf ? 0 : copy_out(mem);
    bad |= fclose(mem) != 0;
    if (!bad && st == LR_OK && buf)
        bad = fwrite(buf, 1, len, stdout) != len;
    if (st) {
        lr_cli_error("%s", err.message);
        rc = lr_cli_exit_code(st);
    } else if (bad || fflush(stdout) != 0) {
        lr_cli_error("cannot write the predictions: %s", strerror(errno ? errno : EIO));
        rc = LR_EXIT_DATA;
    } else if (!quiet) {
        /* R's predict gives -Inf or NaN for such a row, with a warning */
        for (size_t i = 0; i < o.nnote && i < LR_CLI_MAX_NOTES; i++)
            lr_cli_error("warning: %s: NA written for that row", o.note[i]);
        if (o.nnote > LR_CLI_MAX_NOTES)
            lr_cli_error("warning: %zu more rows written NA for a term that is not finite",
                         o.nnote - LR_CLI_MAX_NOTES);
        /* R's warnings, in R's words */
        if (lr_model_rank(m) < lr_model_ncoef(m))
            lr_cli_error("warning: prediction from a rank-deficient fit may be misleading");
        if (lr_model_weighted(m) && iv == LR_INTERVAL_PREDICTION)
            lr_cli_error("warning: assuming constant prediction variance even though model fit "
                         "is weighted");
    }
    free(buf);
    lr_model_free(m);
    return rc;
}
