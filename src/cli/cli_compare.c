/*
 * cli_compare.c — `linreg compare`: R's anova(m1, m2, ...) on models saved
 * by linreg fit -o (the numbers and the checks: model_compare.c).
 *
 * Text as R's print.anova of anova.lmlist: the heading and "Model i:" lines,
 * then printCoefmat with digits 5 — Res.Df and Df as they are, RSS and Sum of
 * Sq zapped (zapsmall) and formatted jointly, F rounded to 4 decimals, Pr(>F)
 * by format.pval; blanks where R has NA; the stars and their legend only when
 * some p-value is below 0.1 (printCoefmat's signif.stars).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "itable.h"

static const char compare_usage[] =
    "Usage: linreg compare [OPTIONS] MODEL1.json MODEL2.json [MODEL3.json ...]\n"
    "\n"
    "R's anova(m1, m2, ...): the F tests of nested models saved by linreg fit -o,\n"
    "each against the model before it, with the residual mean square of the model\n"
    "with the fewest residual degrees of freedom. The models must have been fitted\n"
    "on the same rows (checked by the fingerprint the fit stores), with the same\n"
    "response and weights, and nest; they may be given in either order, as in R.\n"
    "\n"
    "      --format FORMAT   text (default), json, csv or markdown\n"
    "      --force           compare model files that have no rows fingerprint\n"
    "                        (written by an older linreg)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit codes: 0 success, 1 data error (the models cannot be compared), 2 usage error.\n";

enum {
    OPT_FORMAT = 256, /* --format */
    OPT_FORCE         /* --force */
};

static const struct option long_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *msg, const char *arg)
{
    return lr_cli_usage_error("compare", msg, arg);
}

static void compare_text(FILE *out, const lr_model *const *m, const lr_compare_row *r, size_t n,
                         int markdown)
{
    static const char *const head[] = {"Res.Df", "RSS", "Df", "Sum of Sq", "F", "Pr(>F)"};
    itable t;
    double *x = calloc(6 * n, sizeof(double));
    char(*lab)[24] = calloc(n, sizeof *lab);
    char(*star)[8] = calloc(n, sizeof *star);
    int stars = 0;
    if (itable_alloc(&t, n, 6, head) || !x || !lab || !star ||
        !(t.stars = calloc(n, sizeof(char *)))) {
        itable_free(&t);
        free(x);
        free(lab);
        free(star);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(lab[i], sizeof lab[i], "%zu", i + 1);
        t.label[i] = lab[i];
        double v[6] = {r[i].res_df, r[i].rss, r[i].df, r[i].sum_sq, r[i].f, r[i].p};
        for (size_t j = 0; j < 6; j++)
            x[j * n + i] = v[j];
        /* R pads the stars to a common width, left aligned */
        snprintf(star[i], sizeof star[i], markdown ? "%s" : "%-3s",
                 isnan(r[i].p) ? "" : lr_signif_stars(r[i].p));
        t.stars[i] = star[i];
        stars |= r[i].p < 0.1;
    }
    if (!stars) {
        free((void *)t.stars);
        t.stars = NULL;
    }
    column_num(&t, 0, x, 5, 0, -1);
    column_num(&t, 1, x + n, 5, 1, -1);
    column_num(&t, 2, x + 2 * n, 5, 0, -1);
    column_num(&t, 3, x + 3 * n, 5, 1, -1);
    column_num(&t, 4, x + 4 * n, 5, 0, 4);
    column_p(&t, 5, x + 5 * n);
    fputs(markdown ? "#### Analysis of Variance Table\n\n" : "Analysis of Variance Table\n\n", out);
    for (size_t i = 0; i < n; i++) {
        if (markdown) {
            fprintf(out, "Model %zu: `", i + 1);
            lr_cli_md_text(out, lr_model_formula(m[i]));
            fputs("`  \n", out);
        } else {
            fprintf(out, "Model %zu: %s\n", i + 1, lr_model_formula(m[i]));
        }
    }
    if (markdown)
        fputc('\n', out);
    table_print(out, &t, markdown);
    if (stars && !markdown)
        fputs("---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n", out);
    itable_free(&t);
    free(x);
    free(lab);
    free(star);
}

static void compare_json(FILE *out, const lr_model *const *m, const lr_compare_row *r, size_t n)
{
    static const char *const key[] = {"res_df", "rss", "df", "sum_sq", "f", "p"};
    fputs("{\"analysis\": \"anova\", \"models\": [", out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n  {\"formula\": " : "\n  {\"formula\": ", out);
        lr_json_string(out, lr_model_formula(m[i]));
        fputs(", ", out);
        const double v[] = {r[i].res_df, r[i].rss, r[i].df, r[i].sum_sq, r[i].f, r[i].p};
        lr_cli_json_members(out, key, v, 6, "}");
    }
    fputs("]}\n", out);
}

static void compare_csv(FILE *out, const lr_model *const *m, const lr_compare_row *r, size_t n)
{
    fputs("model,formula,res_df,rss,df,sum_sq,f,p_value\n", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%zu,", i + 1);
        lr_csv_write_field(out, lr_model_formula(m[i]));
        double v[6] = {r[i].res_df, r[i].rss, r[i].df, r[i].sum_sq, r[i].f, r[i].p};
        for (size_t j = 0; j < 6; j++)
            lr_cli_csv_number(out, v[j]);
        fputc('\n', out);
    }
}

/* What `linreg compare`'s options say. */
typedef struct compare_args {
    lr_format format; /* --format */
    int force;        /* --force */
} compare_args;

static int compare_option(int c, char *arg, void *ud)
{
    compare_args *a = ud;
    switch (c) {
    case OPT_FORMAT:
        if (lr_cli_parse_format(arg, LR_CLI_FORMATS_ALL, &a->format))
            return usage_error("unknown --format (expected text, json, csv or markdown):", arg);
        break;
    case OPT_FORCE: a->force = 1; break;
    default: return LR_CLI_NOT_MINE;
    }
    return LR_EXIT_OK;
}

int lr_cli_compare(int argc, char **argv)
{
    compare_args a = {LR_FORMAT_TEXT, 0};
    const lr_cli_command cmd = {"compare", ":h", long_options, compare_usage};
    int parsed = lr_cli_getopt(&cmd, argc, argv, compare_option, &a);
    if (parsed != -1)
        return parsed;
    size_t n = (size_t)(argc - optind);
    if (n < 2)
        return usage_error("compare needs at least two model files", NULL);
    lr_model **m = calloc(n, sizeof *m);
    lr_compare_row *rows = calloc(n, sizeof *rows);
    lr_error err;
    int st = m && rows ? LR_OK : LR_ENOMEM;
    if (st)
        lr_cli_error("out of memory");
    for (size_t i = 0; st == LR_OK && i < n; i++)
        if ((st = lr_model_load(argv[optind + (int)i], &m[i], &err)))
            lr_cli_error("%s", err.message);
    if (st == LR_OK && (st = lr_model_compare((const lr_model *const *)m, n, a.force, rows, &err)))
        lr_cli_error("%s", err.message);
    int rc = lr_cli_exit_code(st);
    if (st == LR_OK) {
        /* the whole report first: nothing is printed unless all of it is made */
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        if (!out) {
            lr_cli_error("out of memory");
            rc = LR_EXIT_DATA;
        } else {
            const lr_model *const *cm = (const lr_model *const *)m;
            if (a.format == LR_FORMAT_JSON)
                compare_json(out, cm, rows, n);
            else if (a.format == LR_FORMAT_CSV)
                compare_csv(out, cm, rows, n);
            else
                compare_text(out, cm, rows, n, a.format == LR_FORMAT_MARKDOWN);
            if (fclose(out) != 0) {
                lr_cli_error("out of memory");
                rc = LR_EXIT_DATA;
            } else {
                rc = lr_cli_write_stdout(buf, len);
            }
            free(buf);
        }
    }
    for (size_t i = 0; m && i < n; i++)
        lr_model_free(m[i]);
    free(m);
    free(rows);
    return rc;
}
