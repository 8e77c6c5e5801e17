/*
 * fit.c — the pipeline: CSV reader → model frame → accumulator → solver →
 * statistics, and the lr_fit object that holds the result.
 */
#include <math.h>
#include <string.h>

#include "model_frame.h"
#include "solver.h"
#include "stats.h"

struct lr_fit {
    lr_summary summary; /* model-level statistics; string members point into this object */
    size_t p;           /* coefficients */
    lr_coef *coefs;     /* p entries; names point to names[] */
    char **names;       /* coefficient names (owned), p entries */
    double *xtx_inv;    /* (XᵀX)⁻¹, p × p, ld p */
    char *response;     /* response name (owned) */
    char *source;       /* data display name (owned) */
};

void lr_fit_options_init(lr_fit_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->intercept = 1;
    opt->method = LR_METHOD_INVERSE;
    opt->na_action = LR_NA_OMIT;
    opt->level = 0.95;
}

const char *lr_method_name(lr_method m)
{
    switch (m) {
    case LR_METHOD_INVERSE: return "inverse";
    case LR_METHOD_NAIVE: return "naive";
    default: return "unknown";
    }
}

void lr_fit_free(lr_fit *fit)
{
    if (!fit)
        return;
    if (fit->names)
        for (size_t j = 0; j < fit->p; j++)
            lr_mem_strfree(fit->names[j]);
    lr_mem_free(fit->names, fit->p * sizeof(char *));
    lr_mem_free(fit->coefs, fit->p * sizeof(lr_coef));
    lr_mem_free(fit->xtx_inv, fit->p * fit->p * sizeof(double));
    lr_mem_strfree(fit->response);
    lr_mem_strfree(fit->source);
    lr_mem_free(fit, sizeof *fit);
}

const lr_summary *lr_fit_summary(const lr_fit *fit) { return &fit->summary; }
size_t lr_fit_ncoef(const lr_fit *fit) { return fit->p; }
const lr_coef *lr_fit_coef(const lr_fit *fit, size_t j) { return &fit->coefs[j]; }

const double *lr_fit_xtx_inverse(const lr_fit *fit, size_t *ld)
{
    *ld = fit->p;
    return fit->xtx_inv;
}

static int check_options(const lr_fit_options *opt, lr_error *err)
{
    if (!(opt->level > 0 && opt->level < 1))
        return lr_error_set(err, LR_EUSAGE, "confidence level %g is not between 0 and 1",
                            opt->level);
    if (opt->method != LR_METHOD_INVERSE && opt->method != LR_METHOD_NAIVE)
        return lr_error_set(err, LR_EUSAGE, "unknown method %d", (int)opt->method);
    if (opt->na_action != LR_NA_OMIT && opt->na_action != LR_NA_ERROR)
        return lr_error_set(err, LR_EUSAGE, "unknown missing-value action %d",
                            (int)opt->na_action);
    return LR_OK;
}

/* Prefix err's message with "source: " (solver messages have no place of their own). */
static int with_source(lr_error *err, const char *source, int rc)
{
    if (err && source) {
        char msg[LR_ERROR_MAX];
        memcpy(msg, err->message, sizeof msg);
        lr_error_set(err, rc, "%s: %s", source, msg);
    }
    return rc;
}

static int fit_from_accum(const lr_accum *acc, const char *const *names, const lr_fit_options *opt,
                          uint64_t n_dropped, const char *source, lr_fit **out, lr_error *err)
{
    lr_solution sol;
    int rc;
    *out = NULL;

    uint64_t nobs = lr_accum_nobs(acc);
    size_t p = lr_accum_ncols(acc) - 1 + (opt->intercept ? 1u : 0u);
    if (nobs < p)
        return lr_error_set(err, LR_EDATA,
                            "%s: %llu complete row%s, fewer than the %zu coefficients of the "
                            "model", source ? source : "data", (unsigned long long)nobs,
                            nobs == 1 ? "" : "s", p);

    rc = lr_solve(acc, opt->intercept, opt->method, names, &sol, err);
    if (rc)
        return with_source(err, source, rc);

    lr_fit *fit = lr_mem_calloc(1, sizeof *fit);
    if (!fit) {
        lr_solution_free(&sol);
        return lr_error_nomem(err);
    }
    fit->p = sol.p;
    fit->coefs = lr_mem_calloc(sol.p, sizeof(lr_coef));
    fit->names = lr_mem_calloc(sol.p, sizeof(char *));
    fit->response = lr_mem_strdup(names[0]);
    fit->source = lr_mem_strdup(source ? source : "");
    if (!fit->coefs || !fit->names || !fit->response || !fit->source) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    for (size_t j = 0; j < sol.p; j++) {
        const char *nm = opt->intercept ? (j == 0 ? "(Intercept)" : names[j]) : names[j + 1];
        if (!(fit->names[j] = lr_mem_strdup(nm))) {
            rc = lr_error_nomem(err);
            goto fail;
        }
    }
    lr_stats_compute(&sol, nobs, lr_accum_sum_log_weight(acc), opt->intercept, opt->level,
                     fit->coefs, &fit->summary);
    for (size_t j = 0; j < sol.p; j++)
        fit->coefs[j].name = fit->names[j];
    fit->summary.response = fit->response;
    fit->summary.source = fit->source;
    fit->summary.n_dropped = n_dropped;
    fit->summary.method = opt->method;
    /* The solution's (XᵀX)⁻¹ moves into the fit. */
    fit->xtx_inv = sol.xtx_inv;
    sol.xtx_inv = NULL;
    lr_solution_free(&sol);
    *out = fit;
    return LR_OK;

fail:
    lr_solution_free(&sol);
    lr_fit_free(fit);
    return rc;
}

int lr_fit_accum(const lr_accum *acc, const char *const *names, const lr_fit_options *opt,
                 uint64_t n_dropped, lr_fit **out, lr_error *err)
{
    int rc = check_options(opt, err);
    *out = NULL;
    if (rc)
        return rc;
    return fit_from_accum(acc, names, opt, n_dropped, NULL, out, err);
}

int lr_fit_csv(const char *path, const lr_fit_options *opt, lr_fit **out, lr_error *err)
{
    lr_csv *csv = NULL;
    lr_frame *frame = NULL;
    lr_csv_row row;
    int has_row = 0;
    int rc = check_options(opt, err);

    *out = NULL;
    if (rc)
        return rc;
    lr_csv_options copt = {opt->delimiter};
    if ((rc = lr_csv_open(path, NULL, &copt, &csv, err)))
        return rc;
    const char *name = lr_csv_name(csv);

    if ((rc = lr_csv_next(csv, &row, &has_row, err)))
        goto done;
    if (!has_row) {
        rc = lr_error_set(err, LR_EDATA, "%s: empty file (no header row)", name);
        goto done;
    }
    if ((rc = lr_frame_create(&row, name, opt, &frame, err)))
        goto done;
    for (;;) {
        if ((rc = lr_csv_next(csv, &row, &has_row, err)))
            goto done;
        if (!has_row)
            break;
        if ((rc = lr_frame_add_row(frame, &row, err)))
            goto done;
    }
    if ((rc = lr_frame_finish(frame, err)))
        goto done;

    const lr_accum *acc = lr_frame_accum(frame);
    uint64_t rows = lr_frame_rows(frame);
    if (rows == 0) {
        rc = lr_error_set(err, LR_EDATA, "%s: no data rows after the header", name);
        goto done;
    }
    if (lr_accum_nobs(acc) == 0) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: no complete rows: all %llu data rows have a missing value in a "
                          "column the model uses", name, (unsigned long long)rows);
        goto done;
    }
    rc = fit_from_accum(acc, lr_frame_names(frame), opt, lr_frame_dropped(frame), name, out, err);

done:
    lr_frame_free(frame);
    lr_csv_free(csv);
    return rc;
}
