/*
 * vif.c — car::vif: generalized variance-inflation factors (Fox & Monette
 * 1992, JASA 87:178–183).
 *
 * R is the correlation matrix of the coefficients other than the intercept
 * (any multiple of (XᵀX)⁻¹ gives the same R, so σ² and the robust covariances
 * do not matter: car::vif uses vcov(mod)). For term t with columns T and the
 * rest O,
 *     GVIF_t = det R_TT · det R_OO / det R,
 * the VIF 1 / (1 − R²_j) when T is one column; GVIF^(1/(2 df)) puts terms of
 * different df on the scale of a standard error's inflation. The determinants
 * come from Cholesky factors (R is positive definite): log det = 2 Σ log u_ii.
 */
#include <math.h>
#include <string.h>

#include <lapacke.h>

#include "inference.h"

/* log det of the correlation submatrix of the indices idx[0..n) (n >= 1) of
 * r (ld ldr), through the scratch s (n × n); NaN if it is not positive definite. */
static double logdet_sub(const double *r, size_t ldr, const size_t *idx, size_t n, double *s)
{
    for (size_t b = 0; b < n; b++)
        for (size_t a = 0; a < n; a++)
            s[b * n + a] = LR_AT(r, ldr, idx[a], idx[b]);
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, s, (lapack_int)n) != 0)
        return (double)NAN;
    double ld = 0;
    for (size_t i = 0; i < n; i++)
        ld += 2.0 * log(s[i * n + i]);
    return ld;
}

int lr_fit_vif(const lr_fit *fit, lr_vif_row *rows, int *no_intercept, lr_error *err)
{
    const lr_fit_inference *inf = lr_fit_inference_get(fit);
    const lr_summary *sum = lr_fit_summary(fit);
    size_t p = lr_fit_ncoef(fit), nt = inf->nterms, ic = sum->intercept ? 1 : 0;
    for (size_t j = 0; j < p; j++)
        if (lr_fit_coef(fit, j)->aliased)
            return lr_error_set(err, LR_EDATA,
                                "VIF: there are aliased coefficients in the "
                                "model (%s); car::vif refuses them too",
                                lr_fit_coef(fit, j)->name);
    if (sum->ridge > 0)
        return lr_error_set(err, LR_EUSAGE, "VIF: not defined for a ridge fit");
    if (sum->rank < p)
        return lr_error_set(err, LR_EDATA, "VIF: the model is rank deficient (rank %zu of %zu)",
                            sum->rank, p);
    if (nt < 2)
        return lr_error_set(err, LR_EUSAGE, "VIF: the model contains fewer than 2 terms");
    *no_intercept = !ic;
    size_t m = p - ic, cells, ld;
    if (lr_mul_overflows(m, m, &cells) || m > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "VIF: model too large");
    const double *v = lr_fit_xtx_inverse(fit, &ld);
    double *r = lr_mem_alloc(cells * sizeof(double));
    double *s = lr_mem_alloc(cells * sizeof(double));
    size_t *in = lr_mem_calloc(m, sizeof(size_t));
    size_t *out = lr_mem_calloc(m, sizeof(size_t));
    int rc = LR_OK;
    if (!r || !s || !in || !out) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t b = 0; b < m; b++)
        for (size_t a = 0; a < m; a++)
            r[b * m + a] = LR_AT(v, ld, a + ic, b + ic) /
                           sqrt(LR_AT(v, ld, a + ic, a + ic) * LR_AT(v, ld, b + ic, b + ic));
    for (size_t a = 0; a < m; a++)
        in[a] = a;
    double ldr = logdet_sub(r, m, in, m, s);
    if (!isfinite(ldr)) {
        rc = lr_error_set(err, LR_ESINGULAR,
                          "VIF: the coefficients' correlation matrix is "
                          "singular to working precision");
        goto done;
    }
    for (size_t t = 0; t < nt; t++) {
        size_t ni = 0, no = 0;
        for (size_t a = 0; a < m; a++) {
            if (inf->assign[a + ic] == t + 1)
                in[ni++] = a;
            else
                out[no++] = a;
        }
        double g = ni == 0 ? (double)NAN
                           : exp(logdet_sub(r, m, in, ni, s) +
                                 (no ? logdet_sub(r, m, out, no, s) : 0.0) - ldr);
        rows[t].term = inf->labels[t];
        rows[t].gvif = g;
        rows[t].df = (double)ni;
        rows[t].gvif_adj = pow(g, 1.0 / (2.0 * (double)ni));
    }
done:
    lr_mem_free(r, cells * sizeof(double));
    lr_mem_free(s, cells * sizeof(double));
    lr_mem_free(in, m * sizeof(size_t));
    lr_mem_free(out, m * sizeof(size_t));
    return rc;
}
