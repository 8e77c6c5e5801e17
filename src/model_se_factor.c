/*
 * model_se_factor.c — what a saved model keeps so that a prediction's
 * standard error is a sum of squares (model.h).
 *
 * se.fit = σ √(xᵀ(XᵀX)⁻¹x). Summed from (XᵀX)⁻¹'s entries, xᵀ(XᵀX)⁻¹x
 * cancels where the columns are far from zero for their spread and
 * collinear: its terms are up to κ² (|μ|/sd)² times larger than their sum,
 * and on columns near 10⁶ that differ by 10⁻⁷ it printed 322.8 where R's
 * predict.lm gives 0.0256. R computes ‖R⁻ᵀx‖² from the QR factor of X. The
 * same without the uncentred X: with an intercept, and T upper triangular
 * with TᵀT = M_K, the kept columns' centred cross products,
 *   xᵀ(XᵀX)⁻¹x = 1/W + (x_K − μ_K)ᵀ M_K⁻¹ (x_K − μ_K) = 1/W + ‖T⁻ᵀ(x_K − μ_K)‖²,
 * (the inverse of the bordered matrix [W, Wμᵀ; Wμ, M + Wμμᵀ] by its Schur
 * complement); without one, TᵀT = M_K + W μ_K μ_Kᵀ and the form is ‖T⁻ᵀx_K‖².
 * x − μ is exact for x within a factor 2 of μ (Sterbenz), dtrsv is backward
 * stable, and a sum of squares cannot cancel.
 *
 * T comes from the accumulator the fit used: for the QR kernel, the QR
 * factor (dgeqrf) of its factor's columns K (and the row √W μ_Kᵀ without an
 * intercept), which keeps κ unsquared; for the Gram kernels, the Cholesky
 * factor (dpotrf) of the cross products, as accurate as those methods.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "accumulator.h"
#include "model.h"

/* The kept model columns besides the intercept: their number, and (when
 * cols is not NULL) their accumulator columns into cols. -1 when one is not
 * in the accumulator. */
static long kept_columns(const lr_model *m, const size_t *acc_col, size_t *cols)
{
    size_t icpt = m->intercept ? 1 : 0, s = 0;
    for (size_t j = icpt; j < m->p; j++) {
        if (m->aliased[j])
            continue;
        if (acc_col[j - icpt] == SIZE_MAX || acc_col[j - icpt] >= m->k)
            return -1;
        if (cols)
            cols[s] = acc_col[j - icpt];
        s++;
    }
    return (long)s;
}

/* T from the QR kernel's factor R (k × k, ld): dgeqrf of R[:, cols] with the
 * row √W μᵀ below it without an intercept, in a ((k + 1) × s); *ok = 0 if
 * LAPACK refused. LR_ENOMEM. */
static int factor_qr(const lr_model *m, const double *r, size_t ld, const size_t *cols, size_t s,
                     double *a, double *t, int *ok, lr_error *err)
{
    size_t k = m->k, rows = k + (m->intercept ? 0 : 1);
    for (size_t u = 0; u < s; u++) {
        for (size_t i = 0; i < k; i++)
            LR_AT(a, rows, i, u) = i <= cols[u] ? LR_AT(r, ld, i, cols[u]) : 0.0;
        if (!m->intercept)
            LR_AT(a, rows, k, u) = sqrt(m->weight_sum) * m->mean[cols[u]];
    }
    double wq = 0;
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)s, a,
                                          (lapack_int)rows, t, &wq, -1);
    size_t lw = info == 0 && wq >= (double)s ? (size_t)wq : s;
    double *work = lr_mem_alloc(lw * sizeof(double));
    if (!work)
        return lr_error_nomem(err);
    /* tau into t's first s entries: T overwrites them below */
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)s, a,
                               (lapack_int)rows, t, work, (lapack_int)lw);
    lr_mem_free(work, lw * sizeof(double));
    *ok = info == 0;
    for (size_t u = 0; *ok && u < s; u++)
        for (size_t i = 0; i < s; i++)
            LR_AT(t, s, i, u) = i <= u ? LR_AT(a, rows, i, u) : 0.0;
    return LR_OK;
}

/* T from the Gram kernels' centred cross products M (upper, ld): dpotrf of
 * M[cols, cols] (+ W μμᵀ without an intercept). 0, or -1 (not positive
 * definite in double). */
static int factor_gram(const lr_model *m, const double *g, size_t ld, const size_t *cols, size_t s,
                       double *t)
{
    for (size_t u = 0; u < s; u++)
        for (size_t i = 0; i < s; i++) {
            size_t a = cols[i] < cols[u] ? cols[i] : cols[u], b = cols[i] ^ cols[u] ^ a;
            double v = i <= u ? LR_AT(g, ld, a, b) : 0.0;
            if (i <= u && !m->intercept)
                v += m->weight_sum * m->mean[cols[i]] * m->mean[cols[u]];
            LR_AT(t, s, i, u) = v;
        }
    return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)s, t, (lapack_int)s) != 0 ? -1
                                                                                            : 0;
}

int lr_model_se_factor_make(lr_model *m, const lr_accum *acc, const size_t *acc_col, size_t q,
                            lr_error *err)
{
    size_t icpt = m->intercept ? 1 : 0, ld = 0;
    long ns = q + icpt == m->p ? kept_columns(m, acc_col, NULL) : -1;
    if (ns < 0 || !(m->weight_sum > 0))
        return LR_OK;
    size_t s = (size_t)ns, rows = m->k + 1;
    size_t *cols = lr_mem_calloc(s ? s : 1, sizeof(size_t));
    double *t = lr_mem_calloc(s ? s * s : 1, sizeof(double));
    double *mean = lr_mem_calloc(s ? s : 1, sizeof(double));
    double *a = lr_mem_calloc(s ? rows * s : 1, sizeof(double));
    int rc = cols && t && mean && a ? LR_OK : lr_error_nomem(err), ok = 0;
    if (rc == LR_OK) {
        kept_columns(m, acc_col, cols);
        const double *st =
            m->stats_factor ? lr_accum_factor(acc, &ld) : lr_accum_comoments(acc, &ld);
        if (!st)
            rc = lr_error_nomem(err);
        else if (s == 0)
            ok = 1;
        else if (m->stats_factor)
            rc = factor_qr(m, st, ld, cols, s, a, t, &ok, err);
        else
            ok = factor_gram(m, st, ld, cols, s, t) == 0;
        for (size_t u = 0; ok && u < s; u++) {
            ok = LR_AT(t, s, u, u) != 0 && isfinite(LR_AT(t, s, u, u));
            mean[u] = m->intercept ? m->mean[cols[u]] : 0.0;
        }
    }
    lr_mem_free(cols, (s ? s : 1) * sizeof(size_t));
    lr_mem_free(a, (s ? rows * s : 1) * sizeof(double));
    if (rc || !ok) {
        lr_mem_free(t, (s ? s * s : 1) * sizeof(double));
        lr_mem_free(mean, (s ? s : 1) * sizeof(double));
        return rc;
    }
    m->se_n = s;
    m->se_tri = t;
    m->se_mean = mean;
    return LR_OK;
}

double lr_model_se_quad(const lr_model *m, const double *xf, double *work)
{
    if (!m->se_tri)
        return (double)NAN;
    size_t icpt = m->intercept ? 1 : 0, s = 0;
    for (size_t j = icpt; j < m->p && s < m->se_n; j++)
        if (!m->aliased[j]) {
            work[s] = xf[j] - m->se_mean[s];
            s++;
        }
    if (s)
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (int)s, m->se_tri, (int)s,
                    work, 1);
    double q = icpt ? 1.0 / m->weight_sum : 0.0;
    for (size_t u = 0; u < s; u++)
        q += work[u] * work[u];
    return q;
}

void lr_model_se_factor_free(lr_model *m)
{
    size_t s = m->se_n;
    if (m->se_tri)
        lr_mem_free(m->se_tri, (s ? s * s : 1) * sizeof(double));
    if (m->se_mean)
        lr_mem_free(m->se_mean, (s ? s : 1) * sizeof(double));
    m->se_tri = m->se_mean = NULL;
    m->se_n = 0;
}
