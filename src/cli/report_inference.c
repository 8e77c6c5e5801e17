/*
 * report_inference.c — the tables of --anova, --vif and --test, laid out as
 * R prints anova(lm), car::vif and car::linearHypothesis, in text, Markdown,
 * CSV and JSON.
 *
 * Text follows print.anova's printCoefmat (digits 5): Df as integers, Sum Sq
 * and Mean Sq zapped (zapsmall: 5 significant digits of the largest) then
 * formatted jointly, F rounded to 4 decimals, Pr(>F) by format.pval with 4
 * digits; R's blanks (the residuals' F and p) stay blank.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "itable.h"

int itable_alloc(itable *t, size_t nrows, size_t ncols, const char *const *head)
{
    t->nrows = nrows;
    t->ncols = ncols;
    t->head = head;
    t->label = calloc(nrows ? nrows : 1, sizeof(char *));
    t->cell = calloc((nrows ? nrows : 1) * ncols, LR_NUM_MAX);
    t->stars = NULL;
    return t->label && t->cell ? 0 : -1;
}

void itable_free(itable *t)
{
    free((void *)t->label);
    free(t->cell);
    free((void *)t->stars);
}

/* Column j from x[0..nrows) formatted as R's format(x, digits) jointly (NaN
 * blank); zap: first rounded to `digits` significant digits of the largest
 * (zapsmall); round_dec >= 0: first rounded to that many decimals. */
void column_num(itable *t, size_t j, const double *x, int digits, int zap, int round_dec)
{
    size_t n = t->nrows;
    double *v = calloc(n ? n : 1, sizeof(double));
    char(*tmp)[LR_NUM_MAX] = calloc(n ? n : 1, LR_NUM_MAX);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        return;
    }
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && fabs(x[i]) > mx)
            mx = fabs(x[i]);
    int dec = round_dec;
    if (zap) {
        /* R's zapsmall: round(x, digits − log10(max)), and round() takes
         * the nearest whole number of digits */
        dec = mx > 0 ? (int)floor((double)digits - log10(mx) + 0.5) : digits;
        dec = dec > 0 ? dec : 0;
    }
    double scale = dec >= 0 && dec <= 15 ? pow(10.0, dec) : 0;
    for (size_t i = 0; i < n; i++)
        v[i] = scale > 0 && isfinite(x[i]) ? round(x[i] * scale) / scale : x[i];
    lr_format_joint(v, n, digits, tmp);
    for (size_t i = 0; i < n; i++)
        snprintf(t->cell[i * t->ncols + j], LR_NUM_MAX, "%s", isnan(x[i]) ? "" : tmp[i]);
    free(v);
    free(tmp);
}

/* Column j of p-values: format.pval(digits = 4), NaN blank. */
void column_p(itable *t, size_t j, const double *p)
{
    size_t n = t->nrows;
    char(*tmp)[LR_NUM_MAX] = calloc(n ? n : 1, LR_NUM_MAX);
    if (!tmp)
        return;
    lr_format_pvalues(p, n, 4, tmp);
    for (size_t i = 0; i < n; i++)
        snprintf(t->cell[i * t->ncols + j], LR_NUM_MAX, "%s", isnan(p[i]) ? "" : tmp[i]);
    free(tmp);
}

/* Aligned as R prints a matrix: labels left, numbers right; then stars. */
static void table_text(FILE *out, const itable *t)
{
    size_t lw = 0, w[8] = {0};
    for (size_t i = 0; i < t->nrows; i++)
        lw = strlen(t->label[i]) > lw ? strlen(t->label[i]) : lw;
    for (size_t j = 0; j < t->ncols && j < 8; j++) {
        w[j] = strlen(t->head[j]);
        for (size_t i = 0; i < t->nrows; i++) {
            size_t l = strlen(t->cell[i * t->ncols + j]);
            w[j] = l > w[j] ? l : w[j];
        }
    }
    fprintf(out, "%-*s", (int)lw, "");
    for (size_t j = 0; j < t->ncols && j < 8; j++)
        fprintf(out, " %*s", (int)w[j], t->head[j]);
    fputc('\n', out);
    for (size_t i = 0; i < t->nrows; i++) {
        fprintf(out, "%-*s", (int)lw, t->label[i]);
        for (size_t j = 0; j < t->ncols && j < 8; j++)
            fprintf(out, " %*s", (int)w[j], t->cell[i * t->ncols + j]);
        if (t->stars)
            fprintf(out, " %s", t->stars[i]);
        fputc('\n', out);
    }
}

static void table_markdown(FILE *out, const itable *t)
{
    fputs("| |", out);
    for (size_t j = 0; j < t->ncols; j++) {
        fputc(' ', out);
        lr_cli_md_text(out, t->head[j]);
        fputs(" |", out);
    }
    fputs(t->stars ? " |\n|:--|" : "\n|:--|", out);
    for (size_t j = 0; j < t->ncols; j++)
        fputs("--:|", out);
    fputs(t->stars ? ":--|\n" : "\n", out);
    for (size_t i = 0; i < t->nrows; i++) {
        fputs("| ", out);
        lr_cli_md_text(out, t->label[i]);
        fputs(" |", out);
        for (size_t j = 0; j < t->ncols; j++)
            fprintf(out, " %s |", t->cell[i * t->ncols + j]);
        if (t->stars) {
            fputc(' ', out);
            lr_cli_md_text(out, t->stars[i]);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
}

void table_print(FILE *out, const itable *t, int markdown)
{
    if (markdown)
        table_markdown(out, t);
    else
        table_text(out, t);
}

static void anova_text(FILE *out, const lr_report_ctx *ctx, int markdown)
{
    const lr_anova_row *rows;
    size_t n = lr_fit_anova(ctx->fit, &rows);
    if (n == 0)
        return;
    static const char *const head[] = {"Df", "Sum Sq", "Mean Sq", "F value", "Pr(>F)"};
    itable t;
    double *x = calloc(5 * n, sizeof(double));
    if (itable_alloc(&t, n, 5, head) || !x || !(t.stars = calloc(n, sizeof(char *)))) {
        itable_free(&t);
        free(x);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        t.label[i] = rows[i].term;
        x[i] = rows[i].df;
        x[n + i] = rows[i].sum_sq;
        x[2 * n + i] = rows[i].mean_sq;
        x[3 * n + i] = rows[i].f;
        x[4 * n + i] = rows[i].p;
        t.stars[i] = isnan(rows[i].p) ? "" : lr_signif_stars(rows[i].p);
    }
    column_num(&t, 0, x, 5, 0, 0);
    column_num(&t, 1, x + n, 5, 1, -1);
    column_num(&t, 2, x + 2 * n, 5, 1, -1);
    column_num(&t, 3, x + 3 * n, 5, 0, 4);
    column_p(&t, 4, x + 4 * n);
    fprintf(out,
            markdown ? "\n#### Analysis of Variance Table\n\nResponse: `%s`\n\n"
                     : "\nAnalysis of Variance Table (sequential sums of squares)\n\n"
                       "Response: %s\n",
            lr_fit_summary(ctx->fit)->response);
    table_print(out, &t, markdown);
    itable_free(&t);
    free(x);
}

static void vif_text(FILE *out, const lr_report_ctx *ctx, int markdown)
{
    if (!ctx->vif)
        return;
    size_t n = lr_fit_nterms(ctx->fit);
    int all_one = 1;
    for (size_t i = 0; i < n; i++)
        all_one &= ctx->vif[i].df == 1;
    static const char *const head3[] = {"GVIF", "Df", "GVIF^(1/(2*Df))"};
    static const char *const head1[] = {"VIF"};
    itable t;
    double *x = calloc(3 * (n ? n : 1), sizeof(double));
    if (itable_alloc(&t, n, all_one ? 1 : 3, all_one ? head1 : head3) || !x) {
        itable_free(&t);
        free(x);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        t.label[i] = ctx->vif[i].term;
        x[i] = ctx->vif[i].gvif;
        x[n + i] = ctx->vif[i].df;
        x[2 * n + i] = ctx->vif[i].gvif_adj;
    }
    column_num(&t, 0, x, 7, 0, -1);
    if (!all_one) {
        column_num(&t, 1, x + n, 7, 0, 0);
        column_num(&t, 2, x + 2 * n, 7, 0, -1);
    }
    fputs(markdown ? "\n#### Variance inflation factors (car::vif)\n\n"
                   : "\nVariance inflation factors (car::vif)\n",
          out);
    table_print(out, &t, markdown);
    if (ctx->vif_no_intercept)
        fputs("warning: no intercept: VIFs may not be sensible (as car::vif warns)\n", out);
    itable_free(&t);
    free(x);
}

static void test_text(FILE *out, const lr_report_ctx *ctx, int markdown)
{
    const lr_hypothesis *h = ctx->test;
    if (!h)
        return;
    const lr_summary *s = lr_fit_summary(ctx->fit);
    int classical = !isnan(h->sum_sq);
    static const char *const head_c[] = {"Res.Df", "RSS", "Df", "Sum of Sq", "F", "Pr(>F)"};
    static const char *const head_r[] = {"Res.Df", "Df", "F", "Pr(>F)"};
    itable t;
    if (itable_alloc(&t, 2, classical ? 6 : 4, classical ? head_c : head_r) ||
        !(t.stars = calloc(2, sizeof(char *)))) {
        itable_free(&t);
        return;
    }
    double nan = (double)NAN;
    double resdf[2] = {h->df2 + (double)h->q, h->df2}, df[2] = {nan, (double)h->q};
    double f[2] = {nan, h->f}, p[2] = {nan, h->p_f};
    double rss[2] = {s->rss + h->sum_sq, s->rss}, ss[2] = {nan, h->sum_sq};
    t.label[0] = "1";
    t.label[1] = "2";
    t.stars[0] = "";
    t.stars[1] = lr_signif_stars(h->p_f);
    size_t j = 0;
    column_num(&t, j++, resdf, 5, 0, 0);
    if (classical)
        column_num(&t, j++, rss, 5, 0, -1);
    column_num(&t, j++, df, 5, 0, 0);
    if (classical)
        column_num(&t, j++, ss, 5, 0, -1);
    column_num(&t, j++, f, 5, 0, 4);
    column_p(&t, j, p);
    fprintf(out,
            markdown ? "\n#### Linear hypothesis test (car::linearHypothesis)\n\n"
                       "Hypothesis: `%s`; model 1 restricted, model 2 `%s`; "
                       "covariance: %s\n\n"
                     : "\nLinear hypothesis test (car::linearHypothesis)\n\n"
                       "Hypothesis: %s\nModel 1: restricted model\nModel 2: %s\n"
                       "Covariance: %s\n\n",
            ctx->test_text, ctx->model_desc, lr_vcov_name(s->vcov));
    table_print(out, &t, markdown);
    char c[LR_NUM_MAX], pc[1][LR_NUM_MAX];
    lr_format_g(h->chisq, 5, c);
    lr_format_pvalues(&h->p_chisq, 1, 4, pc);
    fprintf(out, "%sChisq = %s on %.0f Df, Pr(>Chisq) = %s\n", markdown ? "\n" : "", c,
            (double)h->q, pc[0]);
    itable_free(&t);
}

void lr_report_inference_text(FILE *out, const lr_report_ctx *ctx, int markdown)
{
    anova_text(out, ctx, markdown);
    vif_text(out, ctx, markdown);
    test_text(out, ctx, markdown);
}

void lr_report_inference_csv(FILE *out, const lr_report_ctx *ctx)
{
    const lr_anova_row *rows;
    size_t n = lr_fit_anova(ctx->fit, &rows);
    if (n) {
        fputs("\nterm,df,sum_sq,mean_sq,f_value,p_value\n", out);
        for (size_t i = 0; i < n; i++) {
            lr_csv_write_field(out, rows[i].term);
            lr_cli_csv_number(out, rows[i].df);
            lr_cli_csv_number(out, rows[i].sum_sq);
            lr_cli_csv_number(out, rows[i].mean_sq);
            lr_cli_csv_number(out, rows[i].f);
            lr_cli_csv_number(out, rows[i].p);
            fputc('\n', out);
        }
    }
    if (ctx->vif) {
        fputs("\nterm,gvif,df,gvif_adj\n", out);
        for (size_t i = 0; i < lr_fit_nterms(ctx->fit); i++) {
            lr_csv_write_field(out, ctx->vif[i].term);
            lr_cli_csv_number(out, ctx->vif[i].gvif);
            lr_cli_csv_number(out, ctx->vif[i].df);
            lr_cli_csv_number(out, ctx->vif[i].gvif_adj);
            fputc('\n', out);
        }
    }
    if (ctx->test) {
        const lr_hypothesis *h = ctx->test;
        fputs("\nhypothesis,df1,df2,f,p_f,chisq,p_chisq,sum_sq,rss_restricted\n", out);
        lr_csv_write_field(out, ctx->test_text);
        double v[] = {
            (double)h->q, h->df2,     h->f,      h->p_f,
            h->chisq,     h->p_chisq, h->sum_sq, lr_fit_summary(ctx->fit)->rss + h->sum_sq};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            lr_cli_csv_number(out, v[i]);
        fputc('\n', out);
    }
}

void lr_report_inference_json(FILE *out, const lr_report_ctx *ctx)
{
    const lr_anova_row *rows;
    size_t n = lr_fit_anova(ctx->fit, &rows);
    if (n) {
        fputs("\n \"anova\": [", out);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n  {\"term\": " : "\n  {\"term\": ", out);
            lr_json_string(out, rows[i].term);
            fputs(", ", out);
            static const char *const key[] = {"df", "sum_sq", "mean_sq", "f", "p"};
            const double v[] = {rows[i].df, rows[i].sum_sq, rows[i].mean_sq, rows[i].f, rows[i].p};
            lr_cli_json_members(out, key, v, 5, "}");
        }
        fputs("],", out);
    }
    if (ctx->vif) {
        fputs("\n \"vif\": [", out);
        for (size_t i = 0; i < lr_fit_nterms(ctx->fit); i++) {
            fputs(i ? ",\n  {\"term\": " : "\n  {\"term\": ", out);
            lr_json_string(out, ctx->vif[i].term);
            fputs(", ", out);
            lr_cli_json_member(out, "gvif", ctx->vif[i].gvif, ", ");
            lr_cli_json_member(out, "df", ctx->vif[i].df, ", ");
            lr_cli_json_member(out, "gvif_adj", ctx->vif[i].gvif_adj, "}");
        }
        fprintf(out, "], \"vif_no_intercept\": %s,", ctx->vif_no_intercept ? "true" : "false");
    }
    if (ctx->test) {
        const lr_hypothesis *h = ctx->test;
        fputs("\n \"hypothesis\": {\"restrictions\": ", out);
        lr_json_string(out, ctx->test_text);
        fputs(", ", out);
        static const char *const key[] = {"df1",   "df2",     "f",      "p_f",
                                          "chisq", "p_chisq", "sum_sq", "rss_restricted"};
        const double v[] = {
            (double)h->q, h->df2,     h->f,      h->p_f,
            h->chisq,     h->p_chisq, h->sum_sq, lr_fit_summary(ctx->fit)->rss + h->sum_sq};
        lr_cli_json_members(out, key, v, 8, "},");
    }
}
