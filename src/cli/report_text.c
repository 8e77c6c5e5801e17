/*
 * report_text.c — the text summary, laid out like R's print(summary(lm(...))).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *method_desc(lr_method m)
{
    switch (m) {
    case LR_METHOD_AUTO:
        return "auto: streaming QR (rows folded by dtpqrt, or for wide models by a "
               "preconditioned update), rank by pivoting, beta by dtrtrs, (X'X)^-1 by dpotri on R";
    case LR_METHOD_QR:
        return "qr: streaming QR (rows folded by dtpqrt, or for wide models by a "
               "preconditioned update), beta by dtrtrs, (X'X)^-1 by dpotri on R";
    case LR_METHOD_SVD: return "svd: streaming QR, then the minimum-norm solution by dgelsd";
    case LR_METHOD_INVERSE:
        return "inverse: X'X by BLAS dsyrk on shifted columns, (X'X)^-1 by LAPACKE "
               "dpotrf + dpotri";
    case LR_METHOD_CHOLESKY:
        return "cholesky: X'X by BLAS dsyrk on shifted columns, beta by dpotrs, (X'X)^-1 by "
               "dpotri";
    case LR_METHOD_NAIVE:
        return "naive: plain loops, (X'X)^-1 by Gauss-Jordan with partial pivoting";
    default: return "unknown";
    }
}

static size_t max_len(char (*cells)[LR_NUM_MAX], size_t n, size_t start)
{
    size_t w = start;
    for (size_t i = 0; i < n; i++)
        if (strlen(cells[i]) > w)
            w = strlen(cells[i]);
    return w;
}

/* "Data: FILE (N rows used, K dropped for missing values[, Z of weight 0])" and
 * the method line, shared by every text layout. */
static void header(FILE *out, const lr_report_ctx *ctx)
{
    const lr_summary *s = lr_fit_summary(ctx->fit);
    char a[LR_NUM_MAX];
    fputs("Linear model: ", out);
    lr_text_print(out, ctx->model_desc); /* column names may hold control characters */
    fputc('\n', out);
    fprintf(out, "Data: %s (%llu rows used, %llu dropped for missing values", s->source,
            (unsigned long long)(s->n + s->n_zero_weight), (unsigned long long)s->n_dropped);
    if (s->weights)
        fprintf(out, "; weights '%s', %llu rows of weight 0 not counted as observations",
                s->weights, (unsigned long long)s->n_zero_weight);
    fputs(")\n", out);
    fprintf(out, "Method: %s\n", method_desc(s->method));
    if (s->ridge > 0) {
        lr_format_g(s->ridge, 6, a);
        fprintf(out, "Ridge: lambda = %s on %s columns (intercept not penalised)\n", a,
                s->ridge_scale == LR_RIDGE_RAW ? "raw" : "standardized");
    }
    if (s->extended_bits > 0)
        fprintf(out, "Precision: recomputed in %d-bit arithmetic from the decimal text\n",
                s->extended_bits);
    lr_format_g(s->condition_number, 3, a);
    fprintf(out, "Condition number (%s): %s; about %.0f significant digits can be trusted\n\n",
            s->intercept ? "centred, scaled predictors" : "scaled predictors", a, floor(s->digits));
}

static void notes(FILE *out, const lr_fit *fit)
{
    size_t n = lr_fit_nnotes(fit);
    if (n == 0)
        return;
    fputs("\nNotes:\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("  ", out);
        lr_text_print(out, lr_fit_note(fit, i));
        fputc('\n', out);
    }
}

/* A penalised fit: estimates only, and why. */
static void report_ridge(FILE *out, const lr_report_ctx *ctx)
{
    const lr_fit *fit = ctx->fit;
    const lr_summary *s = lr_fit_summary(fit);
    size_t n = lr_fit_ncoef(fit), wn = 0;
    char a[LR_NUM_MAX], b[LR_NUM_MAX];
    double *v = calloc(n ? n : 1, sizeof(double));
    char(*cells)[LR_NUM_MAX] = calloc(n ? n : 1, LR_NUM_MAX);
    char **nm = calloc(n ? n : 1, sizeof(char *));
    int ok = v && cells && nm;
    for (size_t j = 0; ok && j < n; j++)
        ok = (nm[j] = lr_text_escape(lr_fit_coef(fit, j)->name)) != NULL;
    if (!ok) {
        for (size_t j = 0; nm && j < n; j++)
            free(nm[j]);
        free(nm);
        free(v);
        free(cells);
        fputs("(out of memory formatting the coefficients)\n", out);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        v[j] = lr_fit_coef(fit, j)->estimate;
        if (strlen(nm[j]) > wn)
            wn = strlen(nm[j]);
    }
    lr_format_joint(v, n, 5, cells);
    size_t we = max_len(cells, n, strlen("Estimate"));
    fputs("Coefficients:\n", out);
    fprintf(out, "%-*s %*s\n", (int)wn, "", (int)we, "Estimate");
    for (size_t j = 0; j < n; j++)
        fprintf(out, "%-*s %*s\n", (int)wn, nm[j], (int)we, cells[j]);
    for (size_t j = 0; j < n; j++)
        free(nm[j]);
    free(nm);
    free(v);
    free(cells);
    fputs("\nRidge estimates are biased, and their sampling distribution is not that of least\n"
          "squares: no standard errors, t or p values or confidence intervals are given.\n\n",
          out);
    lr_format_g(s->edf, 4, a);
    fprintf(out, "Effective degrees of freedom (trace of the hat matrix): %s\n", a);
    lr_format_g(s->sigma, 4, a);
    lr_format_g(s->df_residual, 4, b);
    fprintf(out, "Residual standard error: %s on %s effective residual degrees of freedom\n", a, b);
    lr_format_g(s->r_squared, 4, a);
    lr_format_g(s->adj_r_squared, 4, b);
    fprintf(out, "R-squared (1 - RSS/TSS):  %s,  Adjusted R-squared:  %s\n", a, b);
    lr_format_g(s->log_likelihood, 6, a);
    fprintf(out, "Log-likelihood: %s (df = edf + 1),  ", a);
    lr_format_g(s->aic, 6, a);
    lr_format_g(s->bic, 6, b);
    fprintf(out, "AIC: %s,  BIC: %s\n", a, b);
    notes(out, fit);
}

/* A named vector as R prints it: names right-aligned over the values, one
 * width for every column, as many columns as fit in 80. */
static void named_vector(FILE *out, char (*names)[LR_NUM_MAX], char (*cells)[LR_NUM_MAX], size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (strlen(cells[i]) > w)
            w = strlen(cells[i]);
        if (strlen(names[i]) > w)
            w = strlen(names[i]);
    }
    size_t per = 80 / (w + 1) ? 80 / (w + 1) : 1;
    for (size_t at = 0; at < n; at += per) {
        size_t end = at + per < n ? at + per : n;
        for (size_t i = at; i < end; i++)
            fprintf(out, "%s%*s", i > at ? " " : "", (int)w, names[i]);
        fputc('\n', out);
        for (size_t i = at; i < end; i++)
            fprintf(out, "%s%*s", i > at ? " " : "", (int)w, cells[i]);
        fputc('\n', out);
    }
}

/* With 1 to 5 residual degrees of freedom summary.lm prints the residuals
 * themselves, named by their rows, with four significant digits. 0 if it
 * did (or memory ran out: then the quantiles are printed). */
static int residuals_themselves(FILE *out, const lr_fit *fit)
{
    const double *e;
    const uint64_t *row;
    size_t n = lr_fit_small_residuals(fit, &e, &row);
    char(*names)[LR_NUM_MAX] = n ? calloc(n, LR_NUM_MAX) : NULL;
    char(*cells)[LR_NUM_MAX] = n ? calloc(n, LR_NUM_MAX) : NULL;
    if (!names || !cells) {
        free(names);
        free(cells);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        snprintf(names[i], LR_NUM_MAX, "%llu", (unsigned long long)row[i]);
    lr_format_joint(e, n, 4, cells);
    named_vector(out, names, cells, n);
    free(names);
    free(cells);
    return 0;
}

/* R's block: "Residuals:" and the five numbers, zapsmall(q, 5) printed with
 * four significant digits; with at most 5 residual degrees of freedom the
 * residuals; with none, that they are all zero. */
static void residual_block(FILE *out, const lr_fit *fit, const lr_summary *s)
{
    static char names[5][LR_NUM_MAX] = {"Min", "1Q", "Median", "3Q", "Max"};
    double q[5], mx = 0;
    char cells[5][LR_NUM_MAX];
    fprintf(out, "%s:\n", s->weights ? "Weighted Residuals" : "Residuals");
    if (!(s->df_residual > 0)) {
        fprintf(out, "ALL %zu residuals are 0: no residual degrees of freedom!\n\n", s->rank);
        return;
    }
    if (s->df_residual <= 5 && residuals_themselves(out, fit) == 0) {
        fputc('\n', out);
        return;
    }
    for (int i = 0; i < 5; i++)
        if (fabs(s->residual_quantiles[i]) > mx)
            mx = fabs(s->residual_quantiles[i]);
    /* zapsmall(q, 5) rounds to 5 − log10(max |q|) decimals, and R's round
     * takes the nearest whole number of them (not the ceiling: 0.03508 keeps
     * four digits beside 1.29917) */
    int dec = mx > 0 ? (int)floor(5 - log10(mx) + 0.5) : 5;
    if (dec < 0)
        dec = 0;
    double scale = pow(10.0, dec);
    for (int i = 0; i < 5; i++)
        q[i] =
            dec <= 15 ? round(s->residual_quantiles[i] * scale) / scale : s->residual_quantiles[i];
    lr_format_joint(q, 5, 4, cells);
    int known = s->quantile_error > 0 ? (int)-floor(log10(s->quantile_error)) : 0;
    if (s->quantile_error > 0 && known < 15) {
        /* 1Q, median and 3Q come from a histogram and are known to within
         * the bound: printed to the decimal place the bound reaches (its
         * leading digit's), never with digits that are not known; Min and
         * Max are exact and printed as R prints them */
        int qdec = known > 0 ? known : 0;
        for (int i = 1; i < 4; i++) {
            double v = known >= 0 ? s->residual_quantiles[i]
                                  : round(s->residual_quantiles[i] / pow(10.0, -known)) *
                                        pow(10.0, -known);
            snprintf(cells[i], LR_NUM_MAX, "%.*f", qdec, v);
        }
    }
    named_vector(out, names, cells, 5);
    if (s->quantile_error > 0)
        fprintf(out,
                "(Min and Max exact; 1Q, Median and 3Q from a histogram of the %llu residuals, "
                "each within %.2g, shown to that precision)\n",
                (unsigned long long)s->n, s->quantile_error);
    fputc('\n', out);
}

void lr_cli_cluster_describe(FILE *out, const lr_summary *s)
{
    const char *comma = strchr(s->cluster, ',');
    if (!comma) {
        fprintf(out, " (clustered by %s: %llu clusters)", s->cluster,
                (unsigned long long)s->n_clusters[0]);
        return;
    }
    fprintf(out, " (two-way clustered by %.*s and %s: %llu, %llu and %llu in the intersection)",
            (int)(comma - s->cluster), s->cluster, comma + 1, (unsigned long long)s->n_clusters[0],
            (unsigned long long)s->n_clusters[1], (unsigned long long)s->n_clusters[2]);
}

static const char *vcov_name(lr_vcov v)
{
    return lr_vcov_name(v);
}

void lr_report_likelihood(FILE *out, const lr_summary *s, int markdown)
{
    char ll[LR_NUM_MAX], aic[LR_NUM_MAX], bic[LR_NUM_MAX];
    lr_format_g(s->log_likelihood, 6, ll);
    lr_format_g(s->aic, 6, aic);
    lr_format_g(s->bic, 6, bic);
    if (markdown)
        fprintf(out, "| Log-likelihood | %s (df = %zu) |\n| AIC | %s |\n| BIC | %s |\n", ll,
                s->rank + 1, aic, bic);
    else
        fprintf(out, "Log-likelihood: %s (df = %zu),  AIC: %s,  BIC: %s\n", ll, s->rank + 1, aic,
                bic);
}

void lr_report_text(FILE *out, const lr_report_ctx *ctx)
{
    const lr_fit *fit = ctx->fit;
    const lr_summary *s = lr_fit_summary(fit);
    char a[LR_NUM_MAX], b[LR_NUM_MAX], d[LR_NUM_MAX];
    lr_coef_cells c;

    header(out, ctx);
    if (s->has_quantiles)
        residual_block(out, fit, s);
    if (s->ridge > 0) {
        report_ridge(out, ctx);
        return;
    }
    if (lr_coef_cells_format(fit, &c) != 0) {
        fputs("(out of memory formatting the coefficient table)\n", out);
        return;
    }
    size_t wn = 0;
    for (size_t j = 0; j < c.n; j++)
        if (strlen(c.name[j]) > wn)
            wn = strlen(c.name[j]);
    size_t we = max_len(c.est, c.n, strlen("Estimate"));
    size_t ws = max_len(c.se, c.n, strlen("Std. Error"));
    size_t wt = max_len(c.t, c.n, strlen("t value"));
    size_t wp = max_len(c.p, c.n, strlen("Pr(>|t|)"));
    size_t wl = max_len(c.lo, c.n, strlen(c.lo_label));
    size_t wh = max_len(c.hi, c.n, strlen(c.hi_label));

    size_t naliased = 0;
    for (size_t j = 0; j < c.n; j++)
        naliased += lr_fit_coef(fit, j)->aliased != 0;
    if (naliased)
        fprintf(out, "Coefficients: (%zu not defined because of singularities)", naliased);
    else
        fputs("Coefficients:", out);
    if (s->vcov == LR_VCOV_HAC)
        fprintf(out, " standard errors HAC (Newey-West, lag %u, Bartlett weights)", s->hac_lag);
    else if (s->vcov == LR_VCOV_CL) {
        fputs(" standard errors CL", out);
        lr_cli_cluster_describe(out, s);
    } else if (s->vcov != LR_VCOV_CLASSICAL)
        fprintf(out, " standard errors %s (heteroskedasticity-consistent)", vcov_name(s->vcov));
    fputc('\n', out);
    fprintf(out, "%-*s %*s %*s %*s %*s", (int)wn, "", (int)we, "Estimate", (int)ws, "Std. Error",
            (int)wt, "t value", (int)wp, "Pr(>|t|)");
    if (c.any_stars)
        fputs("    ", out);
    fprintf(out, " %*s %*s\n", (int)wl, c.lo_label, (int)wh, c.hi_label);
    for (size_t j = 0; j < c.n; j++) {
        fprintf(out, "%-*s %*s %*s %*s %*s", (int)wn, c.name[j], (int)we, c.est[j], (int)ws,
                c.se[j], (int)wt, c.t[j], (int)wp, c.p[j]);
        if (c.any_stars)
            fprintf(out, " %-3s", c.stars[j]);
        fprintf(out, " %*s %*s\n", (int)wl, c.lo[j], (int)wh, c.hi[j]);
    }
    if (c.any_stars)
        fputs("---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n", out);
    lr_coef_cells_free(&c);
    fputc('\n', out);

    /* summary.lm's closing lines: σ by format(signif(σ, 4)); R², adjusted R²
     * and F by formatC(x, digits = 4), which right-aligns in five places
     * ("    1", "  255"); F and R² only when there are slopes */
    lr_format_g(s->sigma, 4, a);
    fprintf(out, "Residual standard error: %s on %.0f degrees of freedom\n", a, s->df_residual);
    if (s->n_dropped > 0)
        fprintf(out, "  (%llu observation%s deleted due to missingness)\n",
                (unsigned long long)s->n_dropped, s->n_dropped == 1 ? "" : "s");
    if (isfinite(s->f_df1) && s->f_df1 > 0) {
        /* an exact fit has an infinite F, as NIST prints it */
        lr_format_g(s->r_squared, 4, a);
        lr_format_g(s->adj_r_squared, 4, b);
        fprintf(out, "Multiple R-squared:  %5s,  Adjusted R-squared:  %5s\n", a, b);
        double fp = s->f_p;
        lr_format_g(s->f_statistic, 4, a);
        lr_format_pvalues(&fp, 1, 4, &d);
        if (s->vcov != LR_VCOV_CLASSICAL)
            fprintf(out, "Wald F-statistic (%s): %5s on %.0f and %.0f DF,  p-value: %s\n",
                    vcov_name(s->vcov), a, s->f_df1, s->f_df2, d);
        else
            fprintf(out, "F-statistic: %5s on %.0f and %.0f DF,  p-value: %s\n", a, s->f_df1,
                    s->f_df2, d);
    }
    lr_report_likelihood(out, s, 0);
    lr_report_inference_text(out, ctx, 0);
    notes(out, fit);
}
