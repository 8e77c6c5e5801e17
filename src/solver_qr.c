/*
 * solver_qr.c — auto, qr and svd: from the streaming triangular factor.
 *
 * The accumulator holds R with RᵀR = M for all its columns (response first).
 * The model's columns S (and the response, last) are picked out of it,
 * A = R[:, S ∪ {0}], which is no longer triangular; its QR factorisation is
 * the factor of the model's own centred columns ("the re-triangularised
 * R[:, S]"). Without an intercept the factor of the uncentred columns is that
 * of [R[:, S]; √W μ_Sᵀ]; a ridge penalty adds the rows √Λ.
 *
 * The columns are scaled to unit norm, then factored by Householder
 * reflections in their own order, R's dqrdc2 strategy: a column whose norm,
 * once the reflections of the columns kept before it are applied, is below
 * LR_RANK_TOL_QR is aliased and set aside — in double precision on scaled
 * columns that is dependence to rounding, while a badly scaled but full-rank
 * column (NIST's Filip, whose relative residual is 2e-10) is kept, unlike
 * R's fixed 1e-7. The response rides along as the last column: after the
 * reflections its first r entries are Qᵀy (so β solves R_K β = Qᵀy, dtrtrs)
 * and the norm of the rest is √RSS, computed without the cancellation of
 * yᵀy − βᵀXᵀy. (XᵀX)⁻¹ = R_K⁻¹R_K⁻ᵀ by dpotri: the normal-equation inverse with
 * QR accuracy. --method svd factors the scaled triangle instead by dgelsd
 * (minimum norm, rank from its singular values).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "solver.h"

typedef struct qws {
    size_t rows;      /* rows of b */
    size_t cols;      /* q + 1 */
    double *b;        /* the scaled matrix being reduced, rows × cols */
    double *d;        /* column scales, q */
    double *rk;       /* the kept triangle, nk × nk */
    double *z;        /* Qᵀy of the kept, then β, q */
    double *t;        /* scratch, 4 (q + 1) */
    lapack_int *iw;   /* integer scratch, q + 1 */
    size_t *idx;      /* kept columns, q */
    size_t *row_of;   /* for each column, the rows the reflections had reached when it was
                         kept or aliased (for the dependency), q */
    const double *r;  /* the accumulator's factor (borrowed), k × (its columns), ld ldr */
    size_t ldr;       /* its leading dimension */
    size_t k;         /* its rows */
    size_t extra;     /* 1: the mean row √W μᵀ follows (no intercept), else 0 */
    const double *mu; /* the accumulator's means (borrowed) */
    double wsum;      /* the accumulator's total weight W */
} qws;

static void qws_free(qws *w)
{
    size_t q = w->cols ? w->cols - 1 : 0, n = q ? q : 1;
    lr_mem_free(w->b, w->rows * w->cols * sizeof(double));
    lr_mem_free(w->d, n * sizeof(double));
    lr_mem_free(w->rk, n * n * sizeof(double));
    lr_mem_free(w->z, n * sizeof(double));
    lr_mem_free(w->t, 4 * (n + 1) * sizeof(double));
    lr_mem_free(w->iw, (n + 1) * sizeof(lapack_int));
    lr_mem_free(w->idx, n * sizeof(size_t));
    lr_mem_free(w->row_of, n * sizeof(size_t));
}

static int qws_alloc(qws *w, size_t rows, size_t q)
{
    size_t n = q ? q : 1;
    memset(w, 0, sizeof *w);
    w->rows = rows;
    w->cols = q + 1;
    w->b = lr_mem_calloc(rows * (q + 1), sizeof(double));
    w->d = lr_mem_calloc(n, sizeof(double));
    w->rk = lr_mem_calloc(n * n, sizeof(double));
    w->z = lr_mem_calloc(n, sizeof(double));
    w->t = lr_mem_calloc(4 * (n + 1), sizeof(double));
    w->iw = lr_mem_calloc(n + 1, sizeof(lapack_int));
    w->idx = lr_mem_calloc(n, sizeof(size_t));
    w->row_of = lr_mem_calloc(n, sizeof(size_t));
    return w->b && w->d && w->rk && w->z && w->t && w->iw && w->idx && w->row_of;
}

/* Apply the reflector H = I − τ v vᵀ (v = [1; x], rows r..m−1) to column c. */
static void reflect(double *b, size_t ld, size_t m, size_t r, size_t vcol, double tau, size_t c)
{
    double *v = b + vcol * ld + r, *y = b + c * ld + r;
    size_t n = m - r;
    double s = y[0];
    if (n > 1)
        s += cblas_ddot((int)(n - 1), v + 1, 1, y + 1, 1);
    s *= tau;
    y[0] -= s;
    if (n > 1)
        cblas_daxpy((int)(n - 1), -s, v + 1, 1, y + 1, 1);
}

/* Columns per panel of the blocked in-order QR. */
#define LR_QR_PANEL 32

/*
 * In-order Householder QR of the scaled m × (q + 1) matrix w->b (response
 * last) that sets dependent columns aside, as dqrdc2: a column whose norm,
 * after the reflections of the columns kept before it, is at most
 * LR_RANK_TOL_QR is aliased (its first row_of[j] entries are then its
 * coordinates on the kept columns). Blocked: the reflections a panel of
 * LR_QR_PANEL columns keeps are applied to the panel's own later columns one
 * by one (each decision needs them), then to every column after the panel at
 * once as a block reflector I − V T Vᵀ (dlarft, dlarfb: matrix products). One
 * reflection at a time over all the later columns reads the whole trailing
 * matrix per column, q³/3 memory reads, which cost a 1,000-level factor fit
 * most of its solve; the arithmetic is the same up to rounding.
 * Sets w->idx (kept columns, in order), w->row_of, red->keep and *nk.
 */
static int qr_in_order(qws *w, size_t m, size_t q, lr_reduced *red, size_t *nk_out, lr_error *err)
{
    double *b = w->b;
    size_t nb = LR_QR_PANEL, nk = 0;
    double *v = lr_mem_calloc(m * nb, sizeof(double));
    double *t = lr_mem_calloc(nb * nb, sizeof(double));
    double *taus = lr_mem_calloc(nb, sizeof(double));
    double *work = lr_mem_calloc((q + 1) * nb, sizeof(double));
    int rc = LR_OK;
    if (!v || !t || !taus || !work) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j0 = 0; j0 < q; j0 += nb) {
        size_t j1 = j0 + nb < q ? j0 + nb : q, nk0 = nk, np = 0;
        for (size_t j = j0; j < j1; j++) {
            w->row_of[j] = nk;
            if (red->zero[j])
                continue;
            double nr = nk < m ? cblas_dnrm2((int)(m - nk), b + j * m + nk, 1) : 0.0;
            if (!(nr > LR_RANK_TOL_QR) || nk >= m)
                continue; /* aliased: its first nk entries are its coordinates on the kept */
            double alpha = LR_AT(b, m, nk, j), tau = 0;
            LAPACKE_dlarfg_work((lapack_int)(m - nk), &alpha, b + j * m + nk + 1, 1, &tau);
            LR_AT(b, m, nk, j) = 1.0;
            double *vj = b + j * m + nk, *cj = vj + m;
            if (j + 1 < j1) { /* H on the panel's later columns: t = Cᵀv, C −= τ v tᵀ */
                cblas_dgemv(CblasColMajor, CblasTrans, (int)(m - nk), (int)(j1 - j - 1), 1.0, cj,
                            (int)m, vj, 1, 0.0, work, 1);
                cblas_dger(CblasColMajor, (int)(m - nk), (int)(j1 - j - 1), -tau, vj, 1, work, 1,
                           cj, (int)m);
            }
            /* V's column np: the vector from row nk0 (zeros above its unit entry) */
            for (size_t i = nk0; i < m; i++)
                v[np * m + (i - nk0)] = i < nk ? 0.0 : b[j * m + i];
            taus[np++] = tau;
            LR_AT(b, m, nk, j) = alpha;
            w->idx[nk++] = j;
            red->keep[j] = 1;
        }
        if (np == 0)
            continue;
        lapack_int mm = (lapack_int)(m - nk0), kk = (lapack_int)np;
        lapack_int info = LAPACKE_dlarft_work(LAPACK_COL_MAJOR, 'F', 'C', mm, kk, v, (lapack_int)m,
                                              taus, t, (lapack_int)nb);
        if (info == 0)
            info = LAPACKE_dlarfb_work(LAPACK_COL_MAJOR, 'L', 'T', 'F', 'C', mm,
                                       (lapack_int)(q + 1 - j1), kk, v, (lapack_int)m, t,
                                       (lapack_int)nb, b + j1 * m + nk0, (lapack_int)m, work,
                                       (lapack_int)(q + 1));
        if (info != 0) {
            rc = lr_error_set(err, LR_ELAPACK, "dlarfb: argument %d is invalid", (int)-info);
            goto done;
        }
    }
done:
    lr_mem_free(v, m * nb * sizeof(double));
    lr_mem_free(t, nb * nb * sizeof(double));
    lr_mem_free(taus, nb * sizeof(double));
    lr_mem_free(work, (q + 1) * nb * sizeof(double));
    *nk_out = nk;
    return rc;
}

/* The model's columns (and the response, last) picked out of the factor with
 * the mean row and the ridge rows; zero and constant columns flagged; each
 * column scaled to unit norm (w->d), the response's squared norm the TSS. */
static void gather_scaled(qws *w, const lr_model_spec *spec, lr_reduced *red)
{
    size_t q = spec->q, k = w->k, extra = w->extra, m = w->rows, ldr = w->ldr;
    const size_t *col = spec->cols;
    const double *r = w->r, *mu = w->mu;
    double wsum = w->wsum, *b = w->b;
    int ridge = spec->ridge > 0;
    for (size_t j = 0; j <= q; j++) {
        size_t c = j < q ? col[j] : 0;
        for (size_t i = 0; i < k; i++)
            LR_AT(b, m, i, j) = c == SIZE_MAX ? 0.0 : LR_AT(r, ldr, i, c);
        if (extra)
            LR_AT(b, m, k, j) = c == SIZE_MAX ? 0.0 : sqrt(wsum) * mu[c];
    }

    /* Zero and constant columns; column norms (dnrm2 neither overflows nor
     * underflows, so data of magnitude 1e±150 is fine). */
    for (size_t j = 0; j < q; j++) {
        double nrm = cblas_dnrm2((int)(k + extra), b + j * m, 1);
        double c = col[j] == SIZE_MAX ? 0.0 : mu[col[j]];
        if (col[j] == SIZE_MAX || nrm == 0 ||
            (spec->intercept && lr_column_is_constant(nrm, wsum, c)))
            red->zero[j] = col[j] == SIZE_MAX || nrm == 0 ? 1 : 2;
        /* √Λⱼ, and the column's norm with it, without squaring anything */
        double sp = spec->ridge_scale == LR_RIDGE_RAW ? sqrt(spec->ridge)
                                                      : sqrt(spec->ridge) * (nrm / sqrt(wsum));
        if (ridge && !red->zero[j])
            LR_AT(b, m, k + extra + j, j) = sp;
        double full = hypot(nrm, ridge ? sp : 0.0);
        w->d[j] = red->zero[j] ? 0.0 : 1.0 / full;
        for (size_t i = 0; i < m; i++)
            LR_AT(b, m, i, j) *= w->d[j];
    }
    double ny = cblas_dnrm2((int)(k + extra), b + q * m, 1);
    red->tss = ny * ny;
    /* ρ: raw against centred norms (centred only with an intercept) */
    red->rho = 1.0;
    for (size_t j = 0; spec->intercept && j <= q; j++) {
        double c = j < q ? (red->zero[j] ? 0.0 : 1.0 / w->d[j]) : ny;
        double mj = j == q ? mu[0] : c > 0 ? mu[col[j]] : 0.0;
        if (c > 0 && hypot(c, sqrt(wsum) * mj) / c > red->rho)
            red->rho = hypot(c, sqrt(wsum) * mj) / c;
    }
}

/* dgelsd on the n × n triangle w->rk and right side w->z (singular values
 * into w->t): the minimum-norm solution, *rank from the singular values. */
static int svd_solve(qws *w, size_t n, lapack_int *rank, lr_error *err)
{
    /* workspace query, then the solve (allocated here: sizes depend on n) */
    double wq = 0;
    lapack_int iwq = 0;
    double *s = w->t;
    LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, 1, w->rk, (lapack_int)n,
                        w->z, (lapack_int)n, s, LR_RANK_TOL_QR, rank, &wq, -1, &iwq);
    size_t lw = (size_t)wq + 1, liw = (size_t)(iwq > 0 ? iwq : 1);
    double *work = lr_mem_alloc(lw * sizeof(double));
    lapack_int *iwork = lr_mem_alloc(liw * sizeof(lapack_int));
    if (!work || !iwork) {
        lr_mem_free(work, lw * sizeof(double));
        lr_mem_free(iwork, liw * sizeof(lapack_int));
        return lr_error_nomem(err);
    }
    lapack_int info = LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, 1, w->rk,
                                          (lapack_int)n, w->z, (lapack_int)n, s, LR_RANK_TOL_QR,
                                          rank, work, (lapack_int)lw, iwork);
    lr_mem_free(work, lw * sizeof(double));
    lr_mem_free(iwork, liw * sizeof(lapack_int));
    if (info != 0)
        return info < 0
                   ? lr_error_set(err, LR_ELAPACK, "dgelsd: argument %d is invalid", (int)-info)
                   : lr_error_set(err, LR_ESINGULAR,
                                  "dgelsd: the SVD did not "
                                  "converge");
    return LR_OK;
}

/* The intercept's terms from the kept triangle, before dpotri replaces it
 * (solver.c, red->mu set): with V = D (R_KᵀR_K)⁻¹ D and u = R_K⁻ᵀ D μ,
 *   μᵀVμ = ‖u‖²  and  Vμ = D R_K⁻¹ u,
 * two triangular solves, backward stable, and the quadratic form a sum of
 * squares. Summed over V's entries it cancels: columns near 1e6 with a
 * condition number near 1e8 gave the intercept a negative variance, which
 * was then reported as values too large. */
static void intercept_terms(qws *w, size_t nk, lr_reduced *red)
{
    if (!red->mu)
        return;
    double *u = w->t;
    for (size_t t = 0; t < nk; t++)
        u[t] = w->d[w->idx[t]] * red->mu[w->idx[t]];
    red->mhm = 0;
    if (nk > 0) {
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (int)nk, w->rk, (int)nk, u,
                    1);
        double s = cblas_dnrm2((int)nk, u, 1); /* scaled: no overflow short of the result's */
        red->mhm = s * s;
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)nk, w->rk, (int)nk,
                    u, 1);
    }
    for (size_t t = 0; t < nk; t++)
        red->hmu[w->idx[t]] = w->d[w->idx[t]] * u[t];
    red->has_mhm = 1;
}

/* --method svd: the minimum-norm solution of the scaled problem; rank from
 * the singular values; the covariance only at full rank. */
static int solve_minimum_norm(qws *w, lr_reduced *red, lr_error *err)
{
    size_t q = w->cols - 1, m = w->rows, nz = 0;
    double *b = w->b;
    for (size_t j = 0; j < q; j++)
        if (!red->zero[j])
            w->idx[nz++] = j;
    /* Householder QR without pivoting of the non-zero columns, response along. */
    size_t rr = 0;
    for (size_t t = 0; t < nz && rr < m; t++) {
        size_t j = w->idx[t];
        double alpha = LR_AT(b, m, rr, j), tau = 0;
        LAPACKE_dlarfg_work((lapack_int)(m - rr), &alpha, b + j * m + rr + 1, 1, &tau);
        LR_AT(b, m, rr, j) = 1.0;
        for (size_t u = t + 1; u < nz; u++)
            reflect(b, m, m, rr, j, tau, w->idx[u]);
        reflect(b, m, m, rr, j, tau, q);
        LR_AT(b, m, rr, j) = alpha;
        rr++;
    }
    /* The nz × nz triangle and Qᵀy, then dgelsd. */
    size_t n = nz;
    memset(w->rk, 0, q * q * sizeof(double));
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i <= t && i < rr; i++)
            LR_AT(w->rk, n ? n : 1, i, t) = LR_AT(b, m, i, w->idx[t]);
    for (size_t i = 0; i < n; i++)
        w->z[i] = i < rr ? LR_AT(b, m, i, q) : 0.0;
    lapack_int rank = 0;
    if (n > 0) {
        int rc = svd_solve(w, n, &rank, err);
        if (rc)
            return rc;
        const double *s = w->t;
        red->rcond = s[0] > 0 ? s[n - 1] / s[0] : 0;
    } else {
        red->rcond = 1;
    }
    for (size_t t = 0; t < n; t++) {
        red->keep[w->idx[t]] = 1;
        red->beta[w->idx[t]] = w->d[w->idx[t]] * w->z[t];
    }
    red->edf = (double)rank;
    red->rank = (size_t)rank;
    if ((size_t)rank < n) {
        red->no_se = 1; /* minimum norm: coefficients not identifiable one by one */
    } else if (n > 0) {
        /* full rank: the covariance from the triangle, as --method qr */
        for (size_t t = 0; t < n; t++)
            for (size_t i = 0; i < n; i++)
                LR_AT(w->rk, n, i, t) = i <= t && i < rr ? LR_AT(b, m, i, w->idx[t]) : 0.0;
        intercept_terms(w, n, red);
        lapack_int info =
            LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, w->rk, (lapack_int)n);
        if (info != 0)
            red->no_se = 1;
        else
            for (size_t t = 0; t < n; t++)
                for (size_t i = 0; i < n; i++) {
                    double v = i <= t ? LR_AT(w->rk, n, i, t) : LR_AT(w->rk, n, t, i);
                    LR_AT(red->v, q, w->idx[i], w->idx[t]) = w->d[w->idx[i]] * v * w->d[w->idx[t]];
                }
    }
    return LR_OK;
}

/* The kept triangle, Qᵀy, β by back substitution (and the triangle's
 * reciprocal condition number). */
static int triangle_beta(qws *w, size_t nk, lr_reduced *red, lr_error *err)
{
    size_t q = w->cols - 1, m = w->rows;
    const double *b = w->b;
    for (size_t t = 0; t < nk; t++)
        for (size_t i = 0; i < nk; i++)
            LR_AT(w->rk, nk, i, t) = i <= t ? LR_AT(b, m, i, w->idx[t]) : 0.0;
    for (size_t i = 0; i < nk; i++)
        w->z[i] = LR_AT(b, m, i, q);
    if (nk == 0) {
        red->rcond = 1;
        return LR_OK;
    }
    /* dtrcon on a copy at a 64-byte boundary: OpenBLAS's kernels take
     * other instruction paths (and round differently) for other
     * alignments, and the estimate's last bits were seen to follow the
     * heap's (-t 4 in the wide_factor test) */
    size_t tri = (nk * nk + 7) / 8 * 8, cells = tri + 3 * nk + 8, spare = 0;
    double *raw = lr_mem_alloc(cells * sizeof(double));
    if (!raw)
        return lr_error_nomem(err);
    while (((uintptr_t)(raw + spare) & 63u) != 0)
        spare++;
    double *ra = raw + spare;
    memcpy(ra, w->rk, nk * nk * sizeof(double));
    lapack_int info = LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N', (lapack_int)nk, ra,
                                          (lapack_int)nk, &red->rcond, ra + tri, w->iw);
    lr_mem_free(raw, cells * sizeof(double));
    if (info != 0)
        return lr_error_set(err, LR_ELAPACK, "dtrcon: argument %d is invalid", (int)-info);
    info = LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'U', 'N', 'N', (lapack_int)nk, 1, w->rk,
                               (lapack_int)nk, w->z, (lapack_int)nk);
    if (info != 0)
        return info < 0
                   ? lr_error_set(err, LR_ELAPACK, "dtrtrs: argument %d is invalid", (int)-info)
                   : lr_error_set(err, LR_ESINGULAR, "the factor is singular");
    for (size_t t = 0; t < nk; t++)
        red->beta[w->idx[t]] = w->d[w->idx[t]] * w->z[t];
    return LR_OK;
}

/* Dependencies: aliased column j = Σ c_s,t kept_t over the kept columns before
 * it, c_s = R⁻¹ (its first row_of[j] entries); in user units c_t D_t / D_j. */
static void dependencies(qws *w, size_t nk, lr_reduced *red)
{
    size_t q = w->cols - 1, m = w->rows;
    const double *b = w->b;
    for (size_t j = 0; j < q; j++) {
        if (red->keep[j] || red->zero[j])
            continue;
        size_t nr = w->row_of[j];
        double *c = w->t;
        for (size_t i = 0; i < nr; i++)
            c[i] = LR_AT(b, m, i, j);
        if (nr > 0)
            cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)nr, w->rk,
                        (int)nk, c, 1);
        for (size_t t = 0; t < nr; t++)
            LR_AT(red->dep, q, w->idx[t], j) = c[t] * w->d[w->idx[t]] / w->d[j];
    }
}

/* (XᵀX)⁻¹ of the kept columns: D (R_KᵀR_K)⁻¹ D by dpotri. */
static int kept_inverse(qws *w, size_t nk, lr_reduced *red, lr_error *err)
{
    size_t q = w->cols - 1;
    if (nk == 0)
        return LR_OK;
    lapack_int info =
        LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', (lapack_int)nk, w->rk, (lapack_int)nk);
    if (info != 0)
        return info < 0
                   ? lr_error_set(err, LR_ELAPACK, "dpotri: argument %d is invalid", (int)-info)
                   : lr_error_set(err, LR_ESINGULAR, "the factor is singular");
    for (size_t t = 0; t < nk; t++)
        for (size_t i = 0; i < nk; i++) {
            double v = i <= t ? LR_AT(w->rk, nk, i, t) : LR_AT(w->rk, nk, t, i);
            LR_AT(red->v, q, w->idx[i], w->idx[t]) = w->d[w->idx[i]] * v * w->d[w->idx[t]];
        }
    return LR_OK;
}

/* auto and qr: the in-order Householder QR that sets dependent columns aside
 * (dqrdc2), then β, the dependencies and the inverse. */
static int solve_in_order(qws *w, lr_reduced *red, lr_error *err)
{
    size_t q = w->cols - 1, nk = 0;
    int rc;
    if ((rc = qr_in_order(w, w->rows, q, red, &nk, err)) || (rc = triangle_beta(w, nk, red, err)))
        return rc;
    dependencies(w, nk, red);
    intercept_terms(w, nk, red);
    if ((rc = kept_inverse(w, nk, red, err)))
        return rc;
    red->edf = (double)nk;
    red->rank = nk;
    return LR_OK;
}

/* With a penalty (or svd) the residual is formed explicitly from the small
 * factor: ‖Xβ − y‖² = ‖A_S β − a_y‖² since AᵀA = [X y]ᵀ[X y]; with a penalty,
 * the effective degrees of freedom tr H too. */
static int sums_explicit(const qws *w, const lr_model_spec *spec, lr_reduced *red, lr_error *err)
{
    size_t q = spec->q, k = w->k, extra = w->extra, ldr = w->ldr;
    const size_t *col = spec->cols;
    const double *r = w->r, *mu = w->mu;
    double wsum = w->wsum;
    /* rebuild the unscaled columns from the factor: e = A_S β − a_y */
    size_t ma = k + extra;
    double *e = lr_mem_calloc(ma, sizeof(double));
    double *f = lr_mem_calloc(ma, sizeof(double));
    if (!e || !f) {
        lr_mem_free(e, ma * sizeof(double));
        lr_mem_free(f, ma * sizeof(double));
        return lr_error_nomem(err);
    }
    for (size_t i = 0; i < k; i++) {
        double fi = 0;
        for (size_t j = 0; j < q; j++)
            if (red->keep[j] && col[j] != SIZE_MAX)
                fi += LR_AT(r, ldr, i, col[j]) * red->beta[j];
        f[i] = fi;
        e[i] = fi - LR_AT(r, ldr, i, 0);
    }
    if (extra) {
        double fi = 0;
        for (size_t j = 0; j < q; j++)
            if (red->keep[j] && col[j] != SIZE_MAX)
                fi += sqrt(wsum) * mu[col[j]] * red->beta[j];
        f[k] = fi;
        e[k] = fi - sqrt(wsum) * mu[0];
    }
    double ne = cblas_dnrm2((int)ma, e, 1), nf = cblas_dnrm2((int)ma, f, 1);
    red->rss = ne * ne;
    red->mss = nf * nf;
    lr_mem_free(e, ma * sizeof(double));
    lr_mem_free(f, ma * sizeof(double));
    if (spec->ridge > 0) {
        /* tr(H) = tr((G + Λ)⁻¹ G), G = A_SᵀA_S over the kept columns */
        double tr = 0;
        for (size_t a = 0; a < q; a++) {
            if (!red->keep[a])
                continue;
            for (size_t c2 = 0; c2 < q; c2++) {
                if (!red->keep[c2] || col[a] == SIZE_MAX || col[c2] == SIZE_MAX)
                    continue;
                double g = 0; /* (A_SᵀA_S)[c2, a] */
                for (size_t i = 0; i < k; i++)
                    g += LR_AT(r, ldr, i, col[c2]) * LR_AT(r, ldr, i, col[a]);
                if (extra)
                    g += wsum * mu[col[c2]] * mu[col[a]];
                tr += LR_AT(red->v, q, a, c2) * g;
            }
        }
        red->edf = tr;
        red->no_se = 1;
    }
    return LR_OK;
}

int lr_solve_factor(const lr_accum *acc, const lr_model_spec *spec, lr_method method,
                    lr_reduced *red, lr_error *err)
{
    size_t q = spec->q, k = lr_accum_ncols(acc), ldr;
    const double *r = lr_accum_factor(acc, &ldr);
    int ridge = spec->ridge > 0;
    int rc;
    qws w;

    if (!r) /* folding the accumulator's last rows needed memory */
        return lr_error_nomem(err);
    /* Rows: the factor, the mean row without an intercept, √Λ with ridge. */
    size_t extra = spec->intercept ? 0 : 1;
    size_t m = k + extra + (ridge ? q : 0);
    if (!qws_alloc(&w, m, q)) {
        qws_free(&w);
        return lr_error_nomem(err);
    }
    w.r = r;
    w.ldr = ldr;
    w.k = k;
    w.extra = extra;
    w.mu = lr_accum_mean(acc);
    w.wsum = lr_accum_weight(acc);
    gather_scaled(&w, spec, red);
    rc = method == LR_METHOD_SVD ? solve_minimum_norm(&w, red, err) : solve_in_order(&w, red, err);
    if (rc)
        goto done;

    /* RSS and MSS. Least squares: MSS = ‖Qᵀy‖² and RSS the rest of ‖y‖², both
     * norms of what the reflections left (no cancellation); otherwise
     * sums_explicit. */
    if (!ridge && method != LR_METHOD_SVD) {
        const double *b = w.b;
        double mss = 0, rss;
        size_t nk2 = 0;
        for (size_t j = 0; j < q; j++)
            nk2 += red->keep[j];
        for (size_t i = 0; i < nk2; i++)
            mss += LR_AT(b, m, i, q) * LR_AT(b, m, i, q);
        rss = nk2 < m ? cblas_dnrm2((int)(m - nk2), b + q * m + nk2, 1) : 0.0;
        red->mss = mss;
        red->rss = rss * rss;
    } else {
        rc = sums_explicit(&w, spec, red, err);
    }
done:
    qws_free(&w);
    return rc;
}
