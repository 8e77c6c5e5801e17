/*
 * fit_result.c — the lr_fit object: what a fit holds (fit_impl.h), its
 * public accessors, its notes, and the model lr_fit_save writes.
 */
#include <math.h>
#include <stdarg.h>

#include "fe_model.h"
#include "fit_impl.h"
#include "note_list.h"

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
    lr_mem_strfree(fit->model);
    lr_mem_strfree(fit->weights);
    lr_mem_strfree(fit->cluster);
    for (size_t i = 0; i < fit->nnotes; i++)
        lr_mem_strfree(fit->notes[i]);
    lr_mem_free(fit->notes, fit->nnotes * sizeof(char *));
    lr_diag_result_free(&fit->diag);
    lr_model_free(fit->saved);
    lr_inference_free(&fit->inf);
    lr_mem_free(fit, sizeof *fit);
}

const lr_summary *lr_fit_summary(const lr_fit *fit)
{
    return &fit->summary;
}
const lr_fit_inference *lr_fit_inference_get(const lr_fit *fit)
{
    return &fit->inf;
}

void lr_fit_vcov(const lr_fit *fit, double *out, size_t ld)
{
    size_t p = fit->p;
    double s2 = fit->summary.sigma * fit->summary.sigma;
    int none = fit->summary.ridge > 0;
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            LR_AT(out, ld, i, j) = none             ? (double)NAN
                                   : fit->diag.vcov ? LR_AT(fit->diag.vcov, p, i, j)
                                                    : s2 * LR_AT(fit->xtx_inv, p, i, j);
}
size_t lr_fit_nnotes(const lr_fit *fit)
{
    return fit->nnotes;
}

/* What lr_fit_save and lr_fit_save_to say of a fit made without keep_model. */
static int not_saveable(lr_error *err)
{
    return lr_error_set(err, LR_EUSAGE,
                        "only fits made by lr_fit_csv with keep_model = 1 can be saved");
}

int lr_fit_save(const lr_fit *fit, const char *path, lr_error *err)
{
    return fit->saved ? lr_model_save(fit->saved, path, err) : not_saveable(err);
}

int lr_fit_save_to(const lr_fit *fit, lr_output *o, lr_error *err)
{
    return fit->saved ? lr_model_write(fit->saved, o, err) : not_saveable(err);
}

/* The model lr_fit_save writes: the frame's description, the fit's results,
 * the statistics acc; with absorbed fixed effects (fe) their estimates. On
 * failure the fit is freed. */
int lr_fit_keep_model(lr_fit *fit, const lr_frame *frame, const lr_accum *acc, const lr_fe *fe,
                      lr_error *err)
{
    const lr_summary *s = &fit->summary;
    lr_model_result r = {s->model,   s->response,  s->intercept,   s->weights, s->method,
                         s->n,       s->rank,      s->df_residual, s->sigma,   fit->p,
                         fit->coefs, fit->xtx_inv, fit->p};
    int rc = lr_model_create(frame, &r, acc, &fit->saved, err);
    /* least squares without absorbed effects: predictions' standard errors
     * from a factor (model_se_factor.c) */
    size_t q;
    const size_t *acc_col = lr_frame_model_acc_cols(frame, &q);
    if (rc == LR_OK && !fe && !(s->ridge > 0))
        rc = lr_model_se_factor_make(fit->saved, acc, acc_col, q, err);
    if (rc == LR_OK && fe)
        rc = lr_fe_model_from_fe(fe, fit->p, fit->coefs, &fit->saved->fe, err);
    if (rc)
        lr_fit_free(fit);
    return rc;
}

size_t lr_fit_plot_points(const lr_fit *fit, const double **fitted, const double **std_resid,
                          const double **sorted_std_resid)
{
    *fitted = fit->diag.pf;
    *std_resid = fit->diag.pr;
    *sorted_std_resid = fit->diag.psorted;
    return fit->diag.np;
}
const double *lr_fit_plot_residuals(const lr_fit *fit)
{
    return fit->diag.pe;
}
size_t lr_fit_small_residuals(const lr_fit *fit, const double **resid, const uint64_t **row)
{
    *resid = fit->diag.few;
    *row = fit->diag.few_row;
    return fit->diag.few ? fit->diag.nfew : 0;
}
const char *lr_fit_note(const lr_fit *fit, size_t i)
{
    return fit->notes[i];
}

/* Append a note (printf-style). LR_OK or LR_ENOMEM. */
int lr_fit_add_note(lr_fit *fit, lr_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lr_note_vappend(&fit->notes, &fit->nnotes, err, fmt, ap);
    va_end(ap);
    return rc;
}
size_t lr_fit_ncoef(const lr_fit *fit)
{
    return fit->p;
}
const lr_coef *lr_fit_coef(const lr_fit *fit, size_t j)
{
    return &fit->coefs[j];
}

const double *lr_fit_xtx_inverse(const lr_fit *fit, size_t *ld)
{
    *ld = fit->p;
    return fit->xtx_inv;
}
