/*
 * report_table.c — the coefficient table as R prints it (shared by the text
 * and Markdown reports), and the csv and markdown formats.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void lr_coef_cells_free(lr_coef_cells *c)
{
    for (size_t j = 0; c->name && j < c->n; j++)
        free(c->name[j]);
    free(c->name);
    free(c->est);
    free(c->se);
    free(c->t);
    free(c->p);
    free(c->lo);
    free(c->hi);
    free((void *)c->stars);
    memset(c, 0, sizeof *c);
}

/* R's label for a confidence bound: paste(format(100 * a, digits = 3), "%"). */
static void ci_label(double a, char *out, size_t size)
{
    char num[LR_NUM_MAX];
    lr_format_joint(&a, 1, 3, &num);
    snprintf(out, size, "%s %%", num);
}

int lr_coef_cells_format(const lr_fit *fit, lr_coef_cells *c)
{
    const int digits = 4;           /* summary.lm: max(3, getOption("digits") - 3) */
    const int dig_tst = digits - 1; /* printCoefmat's dig.tst */
    size_t n = lr_fit_ncoef(fit);
    memset(c, 0, sizeof *c);
    c->n = n;
    size_t m = n ? n : 1;
    c->est = calloc(m, LR_NUM_MAX);
    c->se = calloc(m, LR_NUM_MAX);
    c->t = calloc(m, LR_NUM_MAX);
    c->p = calloc(m, LR_NUM_MAX);
    c->lo = calloc(m, LR_NUM_MAX);
    c->hi = calloc(m, LR_NUM_MAX);
    c->stars = calloc(m, sizeof(char *));
    c->name = calloc(m, sizeof(char *));
    double *v = calloc(4 * m, sizeof(double));
    char(*tmp)[LR_NUM_MAX] = calloc(4 * m, LR_NUM_MAX);
    int named = c->name != NULL;
    for (size_t j = 0; named && j < n; j++)
        named = (c->name[j] = lr_text_escape(lr_fit_coef(fit, j)->name)) != NULL;
    if (!named || !c->est || !c->se || !c->t || !c->p || !c->lo || !c->hi || !c->stars || !v ||
        !tmp) {
        free(v);
        free(tmp);
        lr_coef_cells_free(c);
        return -1;
    }
    /* Estimates and standard errors are rounded to max(1, digits − digmin)
     * decimals, digmin = 1 + floor(log10(smallest nonzero |value|)), then
     * formatted jointly (printCoefmat). */
    double amin = (double)INFINITY;
    for (size_t j = 0; j < n; j++) {
        const lr_coef *k = lr_fit_coef(fit, j);
        v[j] = k->estimate;
        v[n + j] = k->std_error;
        for (int q = 0; q < 2; q++) {
            double a = fabs(q ? k->std_error : k->estimate);
            if (isfinite(a) && a != 0 && a < amin)
                amin = a;
        }
    }
    int digmin = isfinite(amin) ? 1 + (int)floor(log10(amin)) : 1;
    int dec = digits - digmin > 1 ? digits - digmin : 1;
    double scale = pow(10.0, dec);
    for (size_t i = 0; i < 2 * n; i++)
        if (isfinite(v[i]) && dec <= 15)
            v[i] = round(v[i] * scale) / scale;
    lr_format_joint(v, 2 * n, digits, tmp);
    for (size_t j = 0; j < n; j++) {
        memcpy(c->est[j], tmp[j], LR_NUM_MAX);
        memcpy(c->se[j], tmp[n + j], LR_NUM_MAX);
    }
    /* t values: round(t, dig.tst), format(digits). */
    for (size_t j = 0; j < n; j++) {
        double t = lr_fit_coef(fit, j)->t;
        v[j] = isfinite(t) ? round(t * 1000.0) / 1000.0 : t;
    }
    lr_format_joint(v, n, digits, c->t);
    /* p-values: format.pval(p, dig.tst). */
    c->any_stars = 0;
    for (size_t j = 0; j < n; j++) {
        v[j] = lr_fit_coef(fit, j)->p;
        if (v[j] < 0.1)
            c->any_stars = 1;
    }
    lr_format_pvalues(v, n, dig_tst, c->p);
    for (size_t j = 0; j < n; j++)
        c->stars[j] = lr_signif_stars(v[j]);
    /* Confidence bounds: formatted jointly with `digits` (as confint prints). */
    for (size_t j = 0; j < n; j++) {
        v[j] = lr_fit_coef(fit, j)->ci_low;
        v[n + j] = lr_fit_coef(fit, j)->ci_high;
    }
    lr_format_joint(v, 2 * n, digits, tmp);
    for (size_t j = 0; j < n; j++) {
        memcpy(c->lo[j], tmp[j], LR_NUM_MAX);
        memcpy(c->hi[j], tmp[n + j], LR_NUM_MAX);
    }
    double level = lr_fit_summary(fit)->level;
    ci_label(100.0 * (1.0 - level) / 2.0, c->lo_label, sizeof c->lo_label);
    ci_label(100.0 * (1.0 + level) / 2.0, c->hi_label, sizeof c->hi_label);
    free(v);
    free(tmp);
    return 0;
}

/* A number for CSV: 17 significant digits, NA when not finite (as R writes). */
static void csv_number(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, ",%.17g", x);
    else
        fputs(",NA", f);
}

void lr_report_csv(FILE *out, const lr_report_ctx *ctx)
{
    size_t n = lr_fit_ncoef(ctx->fit);
    fputs("name,estimate,std_error,t,p,ci_low,ci_high\n", out);
    for (size_t j = 0; j < n; j++) {
        const lr_coef *c = lr_fit_coef(ctx->fit, j);
        lr_csv_write_field(out, c->name);
        csv_number(out, c->estimate);
        csv_number(out, c->std_error);
        csv_number(out, c->t);
        csv_number(out, c->p);
        csv_number(out, c->ci_low);
        csv_number(out, c->ci_high);
        fputc('\n', out);
    }
    lr_report_inference_csv(out, ctx);
}

/* Markdown table cells must not contain an unescaped '|'. */
static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_')
            fputc('\\', f);
        fputc(*s, f);
    }
}

void lr_report_markdown(FILE *out, const lr_report_ctx *ctx)
{
    const lr_summary *s = lr_fit_summary(ctx->fit);
    lr_coef_cells c;
    char a[LR_NUM_MAX], b[LR_NUM_MAX], d[LR_NUM_MAX];

    fputs("### Linear model: `", out);
    lr_text_print(out, ctx->model_desc);
    fputs("`\n\n", out);
    fprintf(out,
            "Data: `%s`, %llu rows used, %llu dropped for missing values. "
            "Method: `%s`.\n\n",
            s->source, (unsigned long long)s->n, (unsigned long long)s->n_dropped,
            lr_method_name(s->method));
    if (s->vcov == LR_VCOV_HAC)
        fprintf(out, "Standard errors: `HAC` (Newey-West, lag %u).\n\n", s->hac_lag);
    else if (s->vcov == LR_VCOV_CL) {
        fputs("Standard errors: `CL`", out);
        lr_cli_cluster_describe(out, s);
        fputs(".\n\n", out);
    } else if (s->vcov != LR_VCOV_CLASSICAL)
        fprintf(out, "Standard errors: `%s` (heteroskedasticity-consistent).\n\n",
                lr_vcov_name(s->vcov));
    if (s->has_quantiles && !(s->df_residual > 0)) {
        /* the quantiles of rounding noise mean nothing: R's words instead */
        fprintf(out, "ALL %zu residuals are 0: no residual degrees of freedom!\n\n", s->rank);
    } else if (s->has_quantiles) {
        fprintf(out, "| | Min | 1Q | Median | 3Q | Max |\n|:--|--:|--:|--:|--:|--:|\n| %s",
                s->weights ? "Weighted residuals" : "Residuals");
        for (int i = 0; i < 5; i++) {
            lr_format_g(s->residual_quantiles[i], 4, a);
            fprintf(out, " | %s", a);
        }
        fputs(" |\n\n", out);
    }
    if (lr_coef_cells_format(ctx->fit, &c) == 0) {
        fprintf(out, "| | Estimate | Std. Error | t value | Pr(>\\|t\\|) | | %s | %s |\n",
                c.lo_label, c.hi_label);
        fputs("|:--|--:|--:|--:|--:|:--|--:|--:|\n", out);
        for (size_t j = 0; j < c.n; j++) {
            fputs("| ", out);
            md_text(out, c.name[j]);
            fprintf(out, " | %s | %s | %s | %s | ", c.est[j], c.se[j], c.t[j], c.p[j]);
            md_text(out, c.stars[j]);
            fprintf(out, " | %s | %s |\n", c.lo[j], c.hi[j]);
        }
        lr_coef_cells_free(&c);
    }
    fputs("\n| Statistic | Value |\n|:--|--:|\n", out);
    lr_format_g(s->sigma, 4, a);
    fprintf(out, "| Residual standard error | %s on %.0f degrees of freedom |\n", a,
            s->df_residual);
    lr_format_g(s->r_squared, 4, a);
    lr_format_g(s->adj_r_squared, 4, b);
    fprintf(out, "| Multiple R-squared | %s |\n| Adjusted R-squared | %s |\n", a, b);
    if (isfinite(s->f_df1) && s->f_df1 > 0) {
        double fp = s->f_p;
        lr_format_g(s->f_statistic, 4, a);
        lr_format_pvalues(&fp, 1, 4, &d);
        fprintf(out, "| %s | %s on %.0f and %.0f DF, p-value: %s |\n",
                s->vcov != LR_VCOV_CLASSICAL ? "Wald F-statistic" : "F-statistic", a, s->f_df1,
                s->f_df2, d);
    }
    lr_report_likelihood(out, s, 1);
    lr_report_inference_text(out, ctx, 1);
}

/* The cell writers, for the other tables (report_inference.c); a CSV field
 * is lr_csv_write_field's. */
void lr_cli_csv_number(FILE *f, double x)
{
    csv_number(f, x);
}
void lr_cli_md_text(FILE *f, const char *s)
{
    md_text(f, s);
}
