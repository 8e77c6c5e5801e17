/*
 * report_json.c — one JSON object (the schema of docs/design.md). Numbers carry 17
 * significant digits so they round-trip; non-finite values are null.
 */
#include <math.h>
#include <stdio.h>

#include "cli.h"

static void json_number(FILE *f, const char *key, double x, const char *after)
{
    char b[LR_NUM_MAX];
    lr_format_json_number(x, b);
    fprintf(f, "\"%s\": %s%s", key, b, after);
}

void lr_cli_json_member(FILE *f, const char *key, double x, const char *after)
{
    json_number(f, key, x, after);
}

void lr_cli_json_members(FILE *f, const char *const *key, const double *v, size_t n,
                         const char *after)
{
    for (size_t i = 0; i < n; i++)
        json_number(f, key[i], v[i], i + 1 < n ? ", " : after);
}

void lr_report_json(FILE *out, const lr_report_ctx *ctx)
{
    const lr_fit *fit = ctx->fit;
    const lr_summary *s = lr_fit_summary(fit);
    size_t p = lr_fit_ncoef(fit);

    fputs("{\"linreg_version\": ", out);
    lr_json_string(out, LR_VERSION_STRING);
    fputs(", \"data\": ", out);
    lr_json_string(out, s->source);
    fputs(", \"model\": ", out);
    lr_json_string(out, ctx->model_desc);
    fputs(", \"response\": ", out);
    lr_json_string(out, s->response);
    fprintf(out, ", \"intercept\": %s, \"weights\": ", s->intercept ? "true" : "false");
    if (s->weights)
        lr_json_string(out, s->weights);
    else
        fputs("null", out);
    fputs(",\n", out);
    char df[LR_NUM_MAX];
    lr_format_json_number(s->df_residual, df);
    fprintf(out,
            " \"n\": %llu, \"n_dropped\": %llu, \"n_zero_weight\": %llu, "
            "\"df_residual\": %s, \"rank\": %zu, \"method\": ",
            (unsigned long long)s->n, (unsigned long long)s->n_dropped,
            (unsigned long long)s->n_zero_weight, df, s->rank);
    lr_json_string(out, lr_method_name(s->method));
    fputs(", ", out);
    json_number(out, "level", s->level, ", ");
    json_number(out, "ridge", s->ridge, ", \"ridge_scale\": ");
    fputs(s->ridge > 0 ? (s->ridge_scale == LR_RIDGE_RAW ? "\"raw\"" : "\"standardized\"") : "null",
          out);
    fputs(", ", out);
    json_number(out, "edf", s->edf, ",\n \"coefficients\": [");
    for (size_t j = 0; j < p; j++) {
        const lr_coef *c = lr_fit_coef(fit, j);
        fputs(j ? ",\n  {\"name\": " : "\n  {\"name\": ", out);
        lr_json_string(out, c->name);
        fputs(", ", out);
        if (c->aliased)
            fputs("\"estimate\": null, ", out);
        else
            json_number(out, "estimate", c->estimate, ", ");
        json_number(out, "std_error", c->std_error, ", ");
        json_number(out, "t", c->t, ", ");
        json_number(out, "p", c->p, ", ");
        json_number(out, "ci_low", c->ci_low, ", ");
        json_number(out, "ci_high", c->ci_high, ", ");
        fprintf(out, "\"aliased\": %s}", c->aliased ? "true" : "false");
    }
    fputs("],\n ", out);
    json_number(out, "sigma", s->sigma, ", ");
    json_number(out, "r_squared", s->r_squared, ", ");
    json_number(out, "adj_r_squared", s->adj_r_squared, ", ");
    json_number(out, "f_statistic", s->f_statistic, ", ");
    json_number(out, "f_df1", s->f_df1, ", ");
    json_number(out, "f_df2", s->f_df2, ", ");
    json_number(out, "f_p", s->f_p, ",\n ");
    json_number(out, "log_likelihood", s->log_likelihood, ", ");
    json_number(out, "aic", s->aic, ", ");
    json_number(out, "bic", s->bic, ", ");
    json_number(out, "rss", s->rss, ", ");
    json_number(out, "condition_number", s->condition_number, ", ");
    json_number(out, "digits", s->digits, ", ");
    fprintf(out, "\"extended_bits\": %d, \"vcov\": \"%s\",", s->extended_bits,
            lr_vcov_name(s->vcov));
    if (s->vcov == LR_VCOV_HAC)
        fprintf(out, " \"hac_lag\": %u,", s->hac_lag);
    if (s->vcov == LR_VCOV_CL) {
        fputs(" \"cluster\": ", out);
        lr_json_string(out, s->cluster);
        fprintf(out, ", \"n_clusters\": [%llu", (unsigned long long)s->n_clusters[0]);
        for (int i = 1; i < 3 && s->n_clusters[i]; i++)
            fprintf(out, ", %llu", (unsigned long long)s->n_clusters[i]);
        fputs("],", out);
    }
    if (s->has_quantiles) {
        fputs(" \"residual_quantiles\": [", out);
        for (int i = 0; i < 5; i++) {
            char b[LR_NUM_MAX];
            lr_format_json_number(s->residual_quantiles[i], b);
            fprintf(out, "%s%s", i ? ", " : "", b);
        }
        fputs("],", out);
    }
    lr_report_inference_json(out, ctx);
    fputs("\n \"notes\": [", out);
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++) {
        fputs(i ? ", " : "", out);
        lr_json_string(out, lr_fit_note(fit, i));
    }
    fputs("]}\n", out);
}
