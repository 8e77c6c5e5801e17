/*
 * cli_fit.c — `linreg fit`: options → lr_fit_options → lr_fit_csv → report.
 *
 * The whole report is written to a memory stream first and copied to stdout
 * only when the fit succeeded, so a failed run prints nothing on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef LINREG_MPI
#include "mpi_fit.h" /* mpirun -n N linreg fit: rank 0 writes every output */
#else
#define lr_mpi_rank() 0
#define lr_mpi_size() 1
#define lr_mpi_agree(code) (code)
#define lr_mpi_fit(paths, n, opt, fit, err) lr_fit_csv_files(paths, n, opt, fit, err)
#endif

static const char fit_usage[] =
    "Usage: linreg fit [OPTIONS] FILE|-...\n"
    "\n"
    "Fit a linear least-squares model to the CSV file FILE (- reads standard input;\n"
    "several files with the same header are one data set, read in the order given)\n"
    "and print the statistics of R's summary(lm(...)).\n"
    "\n"
    "Model:\n"
    "  -f, --formula 'y ~ a + b*c + I(a^2) + log(d) + factor(g)'\n"
    "                           R model formula: what it accepts is the table in the\n"
    "                           section 'Formulas' of README.md (linreg's source tree)\n"
    "  -y, --target NAME        response column (default: the first column)\n"
    "  -x, --features A,B,...   predictor columns (default: every other column); blanks\n"
    "                           around each name are dropped\n"
    "      --no-intercept       fit without an intercept (R's y ~ 0 + ...)\n"
    "  -w, --weights NAME       weighted least squares with the case weights in NAME\n"
    "      --absorb A,B         absorb fixed effects of the columns A, B (as a formula's\n"
    "                           'y ~ x | A + B'): the slopes of lm with their dummies,\n"
    "                           memory bounded by the levels, not the rows\n"
    "      --fe-tol T           demeaning tolerance, relative to each column's scale\n"
    "                           (default 1e-13)\n"
    "      --fe-max-iter N      demeaning sweeps before giving up (default 10000)\n"
    "      --fe-out FILE        write the estimated fixed effects (factor,level,effect)\n"
    "      --ridge LAMBDA       ridge regression with penalty LAMBDA (intercept not\n"
    "                           penalised); no standard errors or tests are reported\n"
    "      --ridge-scale S      standardized (default: penalise coefficients of columns\n"
    "                           scaled to unit standard deviation, as MASS::lm.ridge)\n"
    "                           or raw (penalise them in the data's own units)\n"
    "\n"
    "Computation:\n"
    "      --method METHOD      auto (default): streaming QR, rank by pivoting, and\n"
    "                           extended precision when the condition number puts\n"
    "                           digits at risk; qr: the QR path without refinement;\n"
    "                           svd: minimum-norm solution (dgelsd); inverse: XtX by\n"
    "                           dsyrk, (XtX)^-1 by LAPACKE dpotrf+dpotri; cholesky: the\n"
    "                           same with triangular solves; naive: plain loops and\n"
    "                           Gauss-Jordan (the baseline)\n"
    "      --level L            confidence level of the intervals (default 0.95)\n"
    "\n"
    "Input:\n"
    "  -d, --delimiter C        field delimiter: , ; | tab (default: detected)\n"
    "      --na omit|error      rows with a missing value in a model column: omitted\n"
    "                           and counted (default), or an error\n"
    "      --na-strings A,B,... more spellings of a missing value (as read.csv's\n"
    "                           na.strings), besides R's: empty, NA, NaN in numeric\n"
    "                           columns; exactly NA in text columns\n"
    "      --max-line-bytes N   the longest row read (default 8M; K, M, G suffixes):\n"
    "                           a longer one is an error, so memory stays bounded\n"
    "\n"
    "  -t, --threads N          threads that parse and accumulate (default: every core;\n"
    "                           the results are bit-identical for any N)\n"
    "\n"
    "      --vcov TYPE          classical (default), or HC0, HC1, HC2, HC3: the\n"
    "                           heteroskedasticity-consistent covariance (a second pass),\n"
    "                           or HAC: Newey-West with --lag L (sandwich::NeweyWest,\n"
    "                           prewhite = FALSE); the rows must be in time order,\n"
    "                           or CL: clustered by --cluster (sandwich::vcovCL, HC1)\n"
    "      --lag L              the lag of --vcov HAC\n"
    "      --cluster COL[,COL2] the cluster column(s) of --vcov CL (two: two-way);\n"
    "                           a row missing one is omitted\n"
    "\n"
    "Inference:\n"
    "      --anova              R's anova(lm): sequential sums of squares by term\n"
    "      --vif                car::vif: (generalized) variance-inflation factors\n"
    "      --test 'H'           car::linearHypothesis: Wald F and chi-squared tests of\n"
    "                           linear restrictions, e.g. 'x1 = x2; 2*x3 + x4 = 1'\n"
    "                           (coefficient names as printed), under --vcov\n"
    "\n"
    "Output:\n"
    "      --format FORMAT      text (default), json, csv or markdown; text and markdown\n"
    "                           read the data twice, for the residuals' quantiles\n"
    "  -o, --save MODEL.json    write the fitted model, for linreg predict\n"
    "      --save-partial PART  write the first pass's state of these files to PART and\n"
    "                           print nothing: linreg merge PART... prints the fit of\n"
    "                           the files of all the parts (see linreg merge --help)\n"
    "      --residuals FILE     per observation: line, fitted, residual, leverage,\n"
    "                           standardized residual, Cook's distance (CSV)\n"
    "      --plot FILE.svg      residuals against fitted values, and a normal Q-Q plot\n"
    "  -q, --quiet              no progress bar and no warnings on stderr\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit codes: 0 success, 1 data or numerical error, 2 usage error.\n";

static const char merge_usage[] =
    "Usage: linreg merge [OPTIONS] PART... [--data FILE...]\n"
    "\n"
    "Print the fit of the files of the partial fits PART... (written by linreg fit\n"
    "--save-partial, in the order of their files): what linreg fit prints for those\n"
    "files in that order, bit for bit. The model options are the parts' (every part\n"
    "must have been made with the same ones, and agree on the header and the column\n"
    "types); the options below are the merge's.\n"
    "\n"
    "      --data FILE...       the same files, in the same order (everything after\n"
    "                           --data): the second passes read them for the residual\n"
    "                           quantiles, --vcov HC0-HC3/HAC/CL, --residuals, --plot\n"
    "                           and extended precision. Without it, the residual\n"
    "                           quantiles are left out with a note, and asking for the\n"
    "                           others is an error.\n"
    "      --vcov TYPE, --lag L, --cluster COL[,COL2], --level L, --anova, --vif,\n"
    "      --test 'H', --format FORMAT, -o/--save MODEL.json, --residuals FILE,\n"
    "      --plot FILE.svg, -t/--threads N, -q/--quiet\n"
    "                           as for linreg fit (--cluster must be the parts')\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit codes: 0 success, 1 data or numerical error (a part that is not one, of\n"
    "another version or whose checksum fails), 2 usage error (parts of different\n"
    "models).\n";

enum {
    OPT_NO_INTERCEPT = 256, /* --no-intercept */
    OPT_VCOV,               /* --vcov */
    OPT_RESIDUALS,          /* --residuals */
    OPT_PLOT,               /* --plot */
    OPT_RIDGE,              /* --ridge */
    OPT_RIDGE_SCALE,        /* --ridge-scale */
    OPT_METHOD,             /* --method */
    OPT_LEVEL,              /* --level */
    OPT_NA,                 /* --na */
    OPT_NA_STRINGS,         /* --na-strings */
    OPT_FORMAT,             /* --format */
    OPT_MAX_LINE,           /* --max-line-bytes */
    OPT_ABSORB,             /* --absorb */
    OPT_FE_TOL,             /* --fe-tol */
    OPT_FE_MAX_ITER,        /* --fe-max-iter */
    OPT_FE_OUT,             /* --fe-out */
    OPT_ANOVA,              /* --anova */
    OPT_VIF,                /* --vif */
    OPT_TEST,               /* --test */
    OPT_LAG,                /* --lag */
    OPT_CLUSTER,            /* --cluster */
    OPT_SAVE_PARTIAL        /* --save-partial */
};

static const struct option long_options[] = {
    {"formula", required_argument, NULL, 'f'},
    {"weights", required_argument, NULL, 'w'},
    {"ridge", required_argument, NULL, OPT_RIDGE},
    {"ridge-scale", required_argument, NULL, OPT_RIDGE_SCALE},
    {"target", required_argument, NULL, 'y'},
    {"features", required_argument, NULL, 'x'},
    {"no-intercept", no_argument, NULL, OPT_NO_INTERCEPT},
    {"method", required_argument, NULL, OPT_METHOD},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"delimiter", required_argument, NULL, 'd'},
    {"na", required_argument, NULL, OPT_NA},
    {"na-strings", required_argument, NULL, OPT_NA_STRINGS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
    {"quiet", no_argument, NULL, 'q'},
    {"threads", required_argument, NULL, 't'},
    {"vcov", required_argument, NULL, OPT_VCOV},
    {"save", required_argument, NULL, 'o'},
    {"residuals", required_argument, NULL, OPT_RESIDUALS},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"absorb", required_argument, NULL, OPT_ABSORB},
    {"fe-tol", required_argument, NULL, OPT_FE_TOL},
    {"fe-max-iter", required_argument, NULL, OPT_FE_MAX_ITER},
    {"fe-out", required_argument, NULL, OPT_FE_OUT},
    {"anova", no_argument, NULL, OPT_ANOVA},
    {"vif", no_argument, NULL, OPT_VIF},
    {"test", required_argument, NULL, OPT_TEST},
    {"lag", required_argument, NULL, OPT_LAG},
    {"cluster", required_argument, NULL, OPT_CLUSTER},
    {"save-partial", required_argument, NULL, OPT_SAVE_PARTIAL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *msg, const char *arg)
{
    return lr_cli_usage_error("fit", msg, arg);
}

/* --absorb, --fe-out, --fe-tol, --fe-max-iter into opt; nonzero (after the
 * message) for a bad value. */
static int fe_option(int c, const char *arg, lr_fit_options *opt)
{
    if (c == OPT_ABSORB || c == OPT_FE_OUT) {
        *(c == OPT_ABSORB ? &opt->absorb : &opt->fe_out) = arg;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    int tol = c == OPT_FE_TOL;
    if (errno || end == arg || *end || !(v > 0) ||
        (tol ? !(v < 1) : !(v <= 1e9 && v == (double)(unsigned)v))) {
        usage_error(tol ? "--fe-tol must be a number between 0 and 1, not"
                        : "--fe-max-iter must be a positive integer, not",
                    arg);
        return 1;
    }
    if (tol)
        opt->fe_tol = v;
    else
        opt->fe_max_iter = (unsigned)v;
    return 0;
}

static int parse_delimiter(const char *s, char *out)
{
    if (!strcmp(s, "tab") || !strcmp(s, "TAB") || !strcmp(s, "\\t")) {
        *out = '\t';
        return 0;
    }
    if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
        return -1;
    *out = s[0];
    return 0;
}

/* ASCII case-insensitive comparison ("hc3" for HC3). */
static int strcasecmp_ascii(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y || !x)
            return x - y;
    }
}

/* --residuals: its header goes out with the first row, so that a fit that
 * fails before producing rows writes nothing to a device or pipe. */
typedef struct residual_out {
    FILE *f;     /* the output's stream */
    int started; /* the header is written */
    int files;   /* several input files: a first column names the row's */
} residual_out;

/* --residuals: one CSV line per observation, 17 significant digits; a value
 * that is not a number (the standardized residual and Cook's distance at a
 * leverage of one or with no residual degrees of freedom, where R gives NaN)
 * is NA, as R's write.csv writes it. */
static void write_residual(const residual_out *ro, const lr_residual *r)
{
    const double v[5] = {r->fitted, r->residual, r->leverage, r->std_residual, r->cooks};
    FILE *f = ro->f;
    if (ro->files) /* several files: which one, and the line there */
        lr_csv_write_field(f, r->file ? r->file : "");
    fprintf(f, "%s%llu", ro->files ? "," : "", (unsigned long long)r->line);
    for (int i = 0; i < 5; i++) {
        if (isfinite(v[i]))
            fprintf(f, ",%.17g", v[i]);
        else
            fputs(",NA", f);
    }
    fputc('\n', f);
}

static void residual_header(residual_out *ro)
{
    if (!ro->started)
        fputs(ro->files ? "file,line,fitted,residual,leverage,std_residual,cooks_distance\n"
                        : "line,fitted,residual,leverage,std_residual,cooks_distance\n",
              ro->f);
    ro->started = 1;
}

static void residual_row(void *ud, const lr_residual *r)
{
    residual_out *ro = ud;
    residual_header(ro);
    write_residual(ro, r);
}

/* The files fit writes; each is written through lr_output and committed only
 * when the fit and every output succeeded. */
enum { OUT_SAVE, OUT_RESIDUALS, OUT_PLOT, OUT_COUNT };

static void discard_outputs(lr_output **o)
{
    for (int i = 0; i < OUT_COUNT; i++) {
        lr_cli_output_discard(o[i]);
        o[i] = NULL;
    }
}

/* Write the model and the plot, then commit every output; an exit code. */
static int finish_outputs(lr_output **o, const lr_fit *fit, residual_out *ro)
{
    lr_error err;
    if (o[OUT_SAVE] && lr_fit_save_to(fit, o[OUT_SAVE], &err) != LR_OK) {
        lr_cli_error("%s", err.message);
        discard_outputs(o);
        return LR_EXIT_DATA;
    }
    if (o[OUT_RESIDUALS])
        residual_header(ro);
    if (o[OUT_PLOT])
        lr_plot_diagnostics_svg(lr_output_stream(o[OUT_PLOT]), fit);
    int rc = LR_EXIT_OK;
    for (int i = 0; i < OUT_COUNT; i++) {
        if (o[i] && rc == LR_EXIT_OK)
            rc = lr_cli_output_commit(o[i]);
        else
            lr_cli_output_discard(o[i]);
        o[i] = NULL;
    }
    return rc;
}

/* --vif and --test: computed before anything is printed, so that a refusal
 * (aliased coefficients, an unknown name) leaves no partial output. */
static int fit_inference(const lr_fit *fit, int want_vif, const char *test_text, lr_vif_row **vif,
                         int *no_intercept, lr_hypothesis *test, lr_error *err)
{
    int st = LR_OK;
    if (want_vif) {
        size_t n = lr_fit_nterms(fit);
        if (!(*vif = calloc(n ? n : 1, sizeof **vif))) {
            snprintf(err->message, sizeof err->message, "out of memory");
            return LR_ENOMEM;
        }
        st = lr_fit_vif(fit, *vif, no_intercept, err);
    }
    if (st == LR_OK && test_text)
        st = lr_fit_test(fit, test_text, test, err);
    return st;
}

/* What `linreg fit`'s options say, beyond lr_fit_options. */
typedef struct fit_args {
    lr_fit_options opt;         /* the fit's options (na_strings points into this struct) */
    lr_format format;           /* --format */
    int quiet;                  /* -q */
    int want_vif;               /* --vif */
    int lag_given;              /* --lag was given (0 is a valid lag) */
    const char *test_text;      /* --test, or NULL */
    const char *save_path;      /* -o, or NULL */
    const char *residuals_path; /* --residuals, or NULL */
    const char *plot_path;      /* --plot, or NULL */
    const char *save_partial;   /* --save-partial, or NULL */
    int merge;                  /* linreg merge: the arguments are parts */
    int model_given;            /* a model option was given (merge refuses them) */
    const char **features;      /* --features split (malloc'd; the caller frees) */
    const char *na_strings[LR_CLI_MAX_NA_STRINGS]; /* --na-strings split (borrowed from argv) */
} fit_args;

/* The model's options (-f, -w, -y, -x, --no-intercept, --ridge*, --absorb,
 * --fe-*, --method, --level): LR_EXIT_OK, an exit code after the message, or
 * LR_CLI_NOT_MINE. */
static int model_option(int c, char *arg, fit_args *a)
{
    lr_fit_options *opt = &a->opt;
    char why[256];
    switch (c) {
    case 'f': opt->formula = arg; break;
    case 'w': opt->weights = arg; break;
    case OPT_RIDGE:
        if (lr_cli_parse_ridge(arg, &opt->ridge, why, sizeof why))
            return usage_error(why, NULL);
        break;
    case OPT_RIDGE_SCALE:
        if (!strcmp(arg, "standardized") || !strcmp(arg, "standardised"))
            opt->ridge_scale = LR_RIDGE_STANDARDIZED;
        else if (!strcmp(arg, "raw"))
            opt->ridge_scale = LR_RIDGE_RAW;
        else
            return usage_error("unknown --ridge-scale (expected standardized or raw):", arg);
        break;
    case 'y': opt->target = arg; break;
    case 'x': {
        int rc = lr_cli_list_status("fit", lr_cli_split_names(arg, &a->features, &opt->n_features),
                                    "empty column name in --features", NULL);
        if (rc != LR_EXIT_OK)
            return rc;
        opt->features = a->features;
        break;
    }
    case OPT_NO_INTERCEPT: opt->intercept = 0; break;
    case OPT_METHOD:
        if (!strcmp(arg, "auto"))
            opt->method = LR_METHOD_AUTO;
        else if (!strcmp(arg, "inverse"))
            opt->method = LR_METHOD_INVERSE;
        else if (!strcmp(arg, "cholesky"))
            opt->method = LR_METHOD_CHOLESKY;
        else if (!strcmp(arg, "qr"))
            opt->method = LR_METHOD_QR;
        else if (!strcmp(arg, "svd"))
            opt->method = LR_METHOD_SVD;
        else if (!strcmp(arg, "naive"))
            opt->method = LR_METHOD_NAIVE;
        else
            return usage_error("unknown --method (expected auto, inverse, cholesky, qr, svd "
                               "or naive):",
                               arg);
        break;
    case OPT_ABSORB:
    case OPT_FE_OUT:
    case OPT_FE_TOL:
    case OPT_FE_MAX_ITER:
        if (fe_option(c, arg, opt))
            return LR_EXIT_USAGE;
        break;
    case OPT_LEVEL:
        if (lr_cli_parse_level(arg, &opt->level, why, sizeof why))
            return usage_error(why, NULL);
        break;
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

/* The input's options (-d, --na, --na-strings, --max-line-bytes, -t):
 * LR_EXIT_OK, an exit code after the message, or LR_CLI_NOT_MINE. */
static int input_option(int c, char *arg, fit_args *a)
{
    lr_fit_options *opt = &a->opt;
    char why[256];
    switch (c) {
    case OPT_MAX_LINE:
        if (lr_cli_parse_bytes(arg, &opt->max_line_bytes, why, sizeof why))
            return usage_error(why, NULL);
        break;
    case 'd':
        if (parse_delimiter(arg, &opt->delimiter))
            return usage_error("--delimiter must be one character or 'tab', not", arg);
        break;
    case OPT_NA:
        if (!strcmp(arg, "omit"))
            opt->na_action = LR_NA_OMIT;
        else if (!strcmp(arg, "error"))
            opt->na_action = LR_NA_ERROR;
        else
            return usage_error("unknown --na (expected omit or error):", arg);
        break;
    case OPT_NA_STRINGS:
        if (lr_cli_split_fixed(arg, a->na_strings, LR_CLI_MAX_NA_STRINGS, &opt->n_na_strings))
            return usage_error("--na-strings takes at most 64 spellings, not", arg);
        opt->na_strings = a->na_strings;
        break;
    case 't': {
        char *end;
        errno = 0;
        long t = strtol(arg, &end, 10);
        if (errno || end == arg || *end || t < 1 || t > 256)
            return usage_error("--threads must be a whole number from 1 to 256, not", arg);
        opt->threads = (int)t;
        break;
    }
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

/* The inference and output options (--vcov, --lag, --cluster, --anova, --vif,
 * --test, --format, -o, --residuals, --plot, -q): LR_EXIT_OK, an exit code
 * after the message, or LR_CLI_NOT_MINE. */
static int output_option(int c, char *arg, fit_args *a)
{
    lr_fit_options *opt = &a->opt;
    switch (c) {
    case OPT_FORMAT:
        if (lr_cli_parse_format(arg, LR_CLI_FORMATS_ALL, &a->format))
            return usage_error("unknown --format (expected text, json, csv or markdown):", arg);
        break;
    case 'q': a->quiet = 1; break;
    case OPT_VCOV: {
        int found = -1;
        for (int i = 0; i <= (int)LR_VCOV_CL; i++)
            if (!strcmp(arg, lr_vcov_name((lr_vcov)i)) ||
                (i > 0 && !strcasecmp_ascii(arg, lr_vcov_name((lr_vcov)i))))
                found = i;
        if (found < 0)
            return usage_error("unknown --vcov (expected classical, HC0, HC1, HC2, HC3, "
                               "HAC or CL):",
                               arg);
        opt->vcov = (lr_vcov)found;
        break;
    }
    case 'o': a->save_path = arg; break;
    case OPT_RESIDUALS: a->residuals_path = arg; break;
    case OPT_PLOT: a->plot_path = arg; break;
    case OPT_SAVE_PARTIAL: a->save_partial = arg; break;
    case OPT_ANOVA: opt->anova = 1; break;
    case OPT_VIF: a->want_vif = 1; break;
    case OPT_TEST: a->test_text = arg; break;
    case OPT_CLUSTER: opt->cluster = arg; break;
    case OPT_LAG: {
        char *end;
        errno = 0;
        unsigned long l = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || l > 100000)
            return usage_error("--lag must be a whole number from 0 to 100000, not", arg);
        opt->hac_lag = (unsigned)l;
        a->lag_given = 1;
        break;
    }
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

/* One option of fit's (or merge's) into a: each group asked in turn. */
static int fit_option(int c, char *arg, void *ud)
{
    fit_args *a = ud;
    int rc = model_option(c, arg, a);
    if (rc == LR_CLI_NOT_MINE)
        rc = input_option(c, arg, a);
    if (rc != LR_CLI_NOT_MINE && c != 't' && c != OPT_LEVEL)
        a->model_given = 1; /* a model or input option: the parts' in a merge */
    if (rc == LR_CLI_NOT_MINE)
        rc = output_option(c, arg, a);
    return rc;
}

/* Parse the options into a, and check the ones that go together. -1 to go
 * on with the fit, or the exit code (after the message, or after the help).
 * a->features is the caller's to free in either case. */
static int parse_fit_options(int argc, char **argv, fit_args *a)
{
    lr_fit_options_init(&a->opt);
    a->format = LR_FORMAT_TEXT;
    const lr_cli_command cmd = {"fit", ":f:w:y:x:d:t:o:qh", long_options,
                                a->merge ? merge_usage : fit_usage};
    int rc = lr_cli_getopt(&cmd, argc, argv, fit_option, a);
    if (rc != -1)
        return rc;
    const lr_fit_options *opt = &a->opt;
    if (optind >= argc)
        return usage_error(a->merge ? "no partial fit to merge (give the PART files that linreg "
                                      "fit --save-partial wrote)"
                                    : "no input file (give a CSV file, or - for standard input)",
                           NULL);
    if (a->merge && (a->model_given || a->save_partial))
        return usage_error(a->save_partial ? "--save-partial is an option of linreg fit"
                                           : "the model options (formula, weights, method, "
                                             "missing values, delimiter, ridge, fixed effects) "
                                             "come from the parts: give them to linreg fit "
                                             "--save-partial",
                           NULL);
    if (a->save_partial && (a->save_path || a->residuals_path || a->plot_path || a->want_vif ||
                            a->test_text || opt->anova))
        return usage_error("--save-partial writes the first pass only: --save, --residuals, "
                           "--plot, --vif, --test and --anova are options of linreg merge",
                           NULL);
    if ((opt->vcov == LR_VCOV_HAC) != a->lag_given)
        return usage_error(a->lag_given ? "--lag is the lag of --vcov HAC: give --vcov HAC too"
                                        : "--vcov HAC needs --lag L (the Newey-West lag)",
                           NULL);
    if ((opt->vcov == LR_VCOV_CL) != (opt->cluster != NULL))
        return usage_error(opt->cluster ? "--cluster is for --vcov CL: give --vcov CL too"
                                        : "--vcov CL needs --cluster COL[,COL2] (the cluster "
                                          "columns)",
                           NULL);
    if (opt->formula && (opt->target || opt->features))
        return usage_error("--formula describes the whole model: it cannot be combined with "
                           "--target or --features",
                           NULL);
    return -1;
}

/* Outputs: none may name the input or each other; all are opened (as
 * temporaries) before the fit, so that an unwritable one fails at once.
 * The nin input files are argv[0..nin). An exit code; on failure every
 * output is discarded. */
static int open_outputs(char **argv, size_t nin, const fit_args *a, lr_output **outs)
{
    const lr_cli_path out_paths[OUT_COUNT] = {
        {"--save", a->save_path}, {"--residuals", a->residuals_path}, {"--plot", a->plot_path}};
    int rc = lr_cli_refuse_file_aliases(NULL, 0, argv, nin, out_paths, OUT_COUNT);
    for (int i = 0; i < OUT_COUNT && rc == LR_EXIT_OK; i++)
        if (out_paths[i].path)
            rc = lr_cli_output_open(out_paths[i].path, &outs[i]);
    if (rc != LR_EXIT_OK)
        discard_outputs(outs);
    return rc;
}

/* The report, written to a memory stream and copied to stdout only when it is
 * whole; then the warnings. An exit code. */
static int write_report(const lr_report_ctx *ctx, lr_format format, int quiet)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        lr_cli_error("out of memory");
        return LR_EXIT_DATA;
    }
    switch (format) {
    case LR_FORMAT_JSON: lr_report_json(mem, ctx); break;
    case LR_FORMAT_CSV: lr_report_csv(mem, ctx); break;
    case LR_FORMAT_MARKDOWN: lr_report_markdown(mem, ctx); break;
    case LR_FORMAT_TEXT:
    default: lr_report_text(mem, ctx); break;
    }
    int rc;
    if (fclose(mem) != 0) {
        lr_cli_error("out of memory");
        rc = LR_EXIT_DATA;
    } else if ((rc = lr_cli_write_stdout(buf, len)) != LR_EXIT_OK) {
        /* the message is printed */
    } else if (!quiet) {
        /* Warnings also go to stderr, where a script's user sees them. */
        for (size_t i = 0; i < lr_fit_nnotes(ctx->fit); i++) {
            const char *n = lr_fit_note(ctx->fit, i);
            if (!strncmp(n, "warning: ", 9))
                lr_cli_error("%s", n);
            else if (strstr(n, "response is constant"))
                lr_cli_error("warning: %s", n);
        }
    }
    free(buf);
    return rc;
}

/* --save-partial: the part is the run's only output. An exit code. */
static int save_partial(char **files, size_t nin, const fit_args *a)
{
    const lr_cli_path part = {"--save-partial", a->save_partial};
    int rc = lr_cli_refuse_file_aliases(NULL, 0, files, nin, &part, 1);
    lr_error err;
    if (rc == LR_EXIT_OK && lr_fit_save_partial((const char *const *)files, nin, &a->opt,
                                                a->save_partial, &err) != LR_OK) {
        lr_cli_error("%s", err.message);
        rc = lr_cli_exit_code(err.code);
    }
    return rc;
}

/* fit, or merge (merge: the arguments are parts, data[0..ndata) the --data
 * files). */
static int cli_fit(int argc, char **argv, int merge, const char *const *data, size_t ndata)
{
    fit_args a = {0};
    a.merge = merge;
    int rc = parse_fit_options(argc, argv, &a);
    if (rc != -1) {
        free(a.features);
        return rc;
    }
    lr_fit_options *opt = &a.opt;
    size_t nin = (size_t)(argc - optind); /* several files: one data set */
    if (a.save_partial) {
        rc = lr_mpi_size() > 1 ? usage_error("--save-partial runs as one process, not on "
                                             "several MPI ranks",
                                             NULL)
                               : save_partial(argv + optind, nin, &a);
        free(a.features);
        return rc;
    }
    lr_output *outs[OUT_COUNT] = {NULL, NULL, NULL};
    residual_out ro = {NULL, 0, merge ? ndata > 1 : nin > 1};
    /* on several MPI ranks rank 0 alone opens and writes them */
    if ((rc = lr_mpi_agree(lr_mpi_rank() ? LR_EXIT_OK
                                         : open_outputs(argv + optind, nin, &a, outs))) !=
        LR_EXIT_OK) {
        free(a.features);
        return rc;
    }
    if (outs[OUT_RESIDUALS]) {
        ro.f = lr_output_stream(outs[OUT_RESIDUALS]);
        opt->residual_row = residual_row;
        opt->residual_ud = &ro;
    }
    opt->residual_summary = a.format == LR_FORMAT_TEXT || a.format == LR_FORMAT_MARKDOWN;
    opt->keep_model = a.save_path != NULL;
    if (a.plot_path)
        opt->plot_points = 4000;
    lr_error err;
    lr_fit *fit = NULL;
    lr_progress_bar bar;
    lr_progress_init(&bar, !a.quiet);
    opt->progress = lr_progress_update;
    opt->progress_ud = &bar;
    int st = merge ? lr_fit_merge((const char *const *)(argv + optind), nin, data, ndata, opt, &fit,
                                  &err)
             : lr_mpi_size() > 1
                 ? lr_mpi_fit((const char *const *)(argv + optind), nin, opt, &fit, &err)
                 : lr_fit_csv_files((const char *const *)(argv + optind), nin, opt, &fit, &err);
    lr_progress_done(&bar);
    free(a.features);
    if (lr_mpi_rank() > 0) /* its status only: rank 0 reports */
        return lr_cli_exit_code(st);
    lr_vif_row *vif = NULL; /* --vif and --test before any output: a refusal leaves none */
    lr_hypothesis test;
    int no_int = 0;
    if (st == LR_OK &&
        (st = fit_inference(fit, a.want_vif, a.test_text, &vif, &no_int, &test, &err))) {
        free(vif);
        lr_fit_free(fit);
    }
    if (st != LR_OK) {
        discard_outputs(outs); /* every output as it was */
        lr_cli_error("%s", err.message);
        return lr_cli_exit_code(st);
    }
    if ((rc = finish_outputs(outs, fit, &ro)) == LR_EXIT_OK) {
        lr_report_ctx ctx = {fit,    lr_fit_summary(fit)->model, vif,
                             no_int, a.test_text ? &test : NULL, a.test_text};
        rc = write_report(&ctx, a.format, a.quiet);
    }
    free(vif);
    lr_fit_free(fit);
    return rc;
}

int lr_cli_fit(int argc, char **argv)
{
    return cli_fit(argc, argv, 0, NULL, 0);
}

int lr_cli_merge(int argc, char **argv)
{
    /* everything after --data is a data file */
    int at = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--data")) {
            at = i;
            break;
        }
    if (at < argc && at + 1 == argc)
        return usage_error("--data needs the data files (the parts' files, in order)", NULL);
    const char *const *data = at < argc ? (const char *const *)(argv + at + 1) : NULL;
    size_t ndata = at < argc ? (size_t)(argc - at - 1) : 0;
    char *saved = at < argc ? argv[at] : NULL;
    if (at < argc)
        argv[at] = NULL; /* getopt stops there */
    int rc = cli_fit(at, argv, 1, data, ndata);
    if (saved)
        argv[at] = saved;
    return rc;
}
