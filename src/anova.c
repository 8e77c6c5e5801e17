/*
 * anova.c — R's anova(lm): sequential sums of squares from the accumulated
 * statistics, without another pass over the data.
 *
 * With Q R = X (the estimable model columns in model order, centred when the
 * model has an intercept), the effects are z = Qᵀy, and the sum of squares
 * term t adds to the fit, given the terms before it, is Σ z_i² over its
 * columns (R's anova.lm sums effects^2 split by assign). Only RᵀR = XᵀX and
 * Rᵀz = Xᵀy matter, so the data need not be read again:
 *   - the QR kernel holds a factor F with FᵀF = M over every accumulated
 *     column; [F[:, S]; √W μ_Sᵀ] (the last row only without an intercept) has
 *     the Gram matrix of the model's columns S followed by the response, and
 *     its Householder QR (dgeqrf) has z in its last column: κ is not squared;
 *   - the Gram kernels hold M itself: the Cholesky factor U of the model
 *     columns' block (plus W μμᵀ without an intercept) gives z = U⁻ᵀ Xᵀy.
 * Aliased columns are left out, as R's pivoting moves them past the rank.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "inference.h"
#include "stats.h"

/* z[0..r) = the effects of the columns acc_col[0..r) (the response last, as
 * acc column 0) from the QR factor. */
static int effects_qr(const lr_accum *acc, const size_t *acc_col, size_t r, int intercept,
                      double *z, lr_error *err)
{
    size_t ld, k = lr_accum_ncols(acc), m = r + 1;
    const double *f = lr_accum_factor(acc, &ld);
    const double *mu = lr_accum_mean(acc);
    double sw = sqrt(lr_accum_weight(acc));
    if (!f)
        return lr_error_nomem(err);
    size_t rows = k + (intercept ? 0 : 1), cells;
    if (lr_mul_overflows(rows, m, &cells) || rows > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "model too large for the ANOVA table");
    double *s = lr_mem_calloc(cells, sizeof(double));
    double *tau = lr_mem_calloc(m, sizeof(double));
    if (!s || !tau) {
        lr_mem_free(s, cells * sizeof(double));
        lr_mem_free(tau, m * sizeof(double));
        return lr_error_nomem(err);
    }
    for (size_t c = 0; c < m; c++) {
        size_t col = c < r ? acc_col[c] : 0;
        for (size_t i = 0; i <= col && i < k; i++) /* F is upper triangular */
            s[c * rows + i] = LR_AT(f, ld, i, col);
        if (!intercept)
            s[c * rows + k] = sw * mu[col];
    }
    /* the _work interface with a workspace from linreg's allocator: LAPACK
     * allocates nothing behind it */
    double wq = 0, *work = NULL;
    size_t lwork = 0;
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)m, s,
                                          (lapack_int)rows, tau, &wq, -1);
    if (info == 0) {
        lwork = wq > (double)m ? (size_t)wq : m;
        if (!(work = lr_mem_alloc(lwork * sizeof(double))))
            info = LAPACK_WORK_MEMORY_ERROR;
    }
    if (info == 0)
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)m, s,
                                   (lapack_int)rows, tau, work, (lapack_int)lwork);
    if (info == 0)
        for (size_t c = 0; c < r; c++)
            z[c] = s[r * rows + c];
    lr_mem_free(work, lwork * sizeof(double));
    lr_mem_free(s, cells * sizeof(double));
    lr_mem_free(tau, m * sizeof(double));
    if (info == LAPACK_WORK_MEMORY_ERROR)
        return lr_error_nomem(err);
    if (info != 0)
        return lr_error_set(err, LR_ELAPACK, "dgeqrf: argument %d (a bug in linreg)", -(int)info);
    return LR_OK;
}

/* The same from the centred cross products (inverse, cholesky, naive). */
static int effects_gram(const lr_accum *acc, const size_t *acc_col, size_t r, int intercept,
                        double *z, lr_error *err)
{
    size_t ld, cells;
    const double *mm = lr_accum_comoments(acc, &ld);
    const double *mu = lr_accum_mean(acc);
    double w = lr_accum_weight(acc);
    if (!mm)
        return lr_error_nomem(err);
    if (lr_mul_overflows(r ? r : 1, r ? r : 1, &cells) || r > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "model too large for the ANOVA table");
    double *g = lr_mem_calloc(cells, sizeof(double));
    if (!g)
        return lr_error_nomem(err);
    /* Σ w x xᵀ = M + W μ μᵀ without an intercept; M (upper triangle) with one. */
    for (size_t b = 0; b <= r; b++) {
        size_t cb = b < r ? acc_col[b] : 0;
        for (size_t a = 0; a <= b && a < r; a++) {
            size_t ca = acc_col[a];
            double v = ca <= cb ? LR_AT(mm, ld, ca, cb) : LR_AT(mm, ld, cb, ca);
            if (!intercept)
                v += w * mu[ca] * mu[cb];
            if (b < r)
                g[b * r + a] = v;
            else
                z[a] = v;
        }
    }
    lapack_int info = 0;
    if (r > 0) {
        info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)r, g, (lapack_int)r);
        if (info == 0)
            cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (blasint)r, g,
                        (blasint)r, z, 1);
    }
    lr_mem_free(g, cells * sizeof(double));
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dpotrf: argument %d (a bug in linreg)", -(int)info);
    if (info > 0)
        return lr_error_set(err, LR_ESINGULAR,
                            "the ANOVA table's cross products are not "
                            "positive definite (column %d): use the default method",
                            (int)info);
    return LR_OK;
}

int lr_anova_compute(lr_fit_inference *inf, const lr_accum *acc, const lr_model_spec *spec,
                     const unsigned char *aliased, double rss, double df_residual, lr_error *err)
{
    size_t ic = spec->intercept ? 1 : 0, q = spec->q, nt = inf->nterms, r = 0;
    size_t *acc_col = lr_mem_calloc(q + 1, sizeof(size_t));
    size_t *coef = lr_mem_calloc(q + 1, sizeof(size_t));
    double *z = lr_mem_calloc(q + 1, sizeof(double));
    double *df = lr_mem_calloc(nt + 1, sizeof(double));
    double *ss = lr_mem_calloc(nt + 1, sizeof(double));
    int rc = LR_OK;
    if (!acc_col || !coef || !z || !df || !ss) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < q; j++)
        if (!aliased[j + ic] && spec->cols[j] != SIZE_MAX) {
            coef[r] = j + ic;
            acc_col[r++] = spec->cols[j];
        }
    rc = lr_accum_kernel(acc) == LR_KERNEL_QR
             ? effects_qr(acc, acc_col, r, spec->intercept, z, err)
             : effects_gram(acc, acc_col, r, spec->intercept, z, err);
    if (rc)
        goto done;
    size_t nrows = 1;
    for (size_t c = 0; c < r; c++) {
        size_t t = inf->assign[coef[c]] - 1;
        nrows += df[t] == 0;
        df[t] += 1;
        ss[t] += z[c] * z[c];
    }
    inf->anova = lr_mem_calloc(nrows, sizeof(lr_anova_row));
    if (!inf->anova) {
        rc = lr_error_nomem(err);
        goto done;
    }
    inf->nanova = nrows;
    double s2 = df_residual > 0 ? rss / df_residual : (double)NAN;
    size_t i = 0;
    for (size_t t = 0; t < nt; t++) {
        if (df[t] == 0)
            continue; /* every column aliased: R prints no row */
        lr_anova_row *row = &inf->anova[i++];
        row->term = inf->labels[t];
        row->df = df[t];
        row->sum_sq = ss[t];
        row->mean_sq = ss[t] / df[t];
        row->f = row->mean_sq / s2;
        row->p = lr_stats_f_pvalue(row->f, df[t], df_residual);
    }
    lr_anova_row *res = &inf->anova[i];
    res->term = "Residuals";
    res->df = df_residual;
    res->sum_sq = rss;
    res->mean_sq = s2;
    res->f = res->p = (double)NAN;
done:
    lr_mem_free(acc_col, (q + 1) * sizeof(size_t));
    lr_mem_free(coef, (q + 1) * sizeof(size_t));
    lr_mem_free(z, (q + 1) * sizeof(double));
    lr_mem_free(df, (nt + 1) * sizeof(double));
    lr_mem_free(ss, (nt + 1) * sizeof(double));
    return rc;
}
