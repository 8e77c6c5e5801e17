/*
 * accumulator.c — the normal-equation statistics of a stream of rows.
 *
 * State for k columns (column 0 the response): the sum of weights W, the
 * number of rows with nonzero weight, Σ log w over those rows (for the
 * weighted log-likelihood), the weighted means μ and the centred
 * cross-product ("co-moment") matrix M = Σ w (x − μ)(x − μ)ᵀ.
 *
 * Adding a block of rows is the corrected two-pass algorithm on the block:
 *   1. m = Xᵀw / W_b                      (cblas_dgemv) a provisional mean;
 *   2. Z = diag(√w)(X − 1mᵀ)              the shifted, weighted block;
 *   3. S = ZᵀZ                             (cblas_dsyrk);
 *   4. s = Zᵀ√w,  M_b = S − s sᵀ / W_b,  m += s / W_b   (the correction for
 *      the rounding in m; s is tiny, so nothing cancels).
 * The block is then merged into the running state with the exact pairwise
 * update (Chan, Golub & LeVeque 1979):
 *   δ = m − μ,  W' = W + W_b,  μ' = μ + δ W_b / W',
 *   M' = M + M_b + (W W_b / W') δ δᵀ.
 * Because every block is centred by its own mean, a column like 1e9 + noise
 * keeps its digits: the products formed are of deviations, never of 1e9².
 *
 * The means themselves are kept as a double shift c plus a small offset d
 * (μ = c + d, c the first block's provisional mean): rounding μ to one
 * double would cost ε|μ| (1e-7 at 1e9) in every δ, and through (W W_b/W') δδᵀ
 * about 1e-9 relative in M. With the pair, δ = (c_b − c) + (d_b − d), whose
 * first difference is exact for nearby shifts (Sterbenz).
 *
 * Only the upper triangle of M is kept up to date.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "internal.h"

struct lr_accum {
    size_t k;          /* number of columns (response first) */
    lr_kernel kernel;  /* BLAS or plain loops */
    uint64_t nobs;     /* rows with nonzero weight */
    double w;          /* Σ w */
    double sum_log_w;  /* Σ log w over rows with w > 0 (0 for unit weights) */
    double *shift;     /* c, k entries: μ = c + d */
    double *dmean;     /* d, k entries */
    double *mean;      /* c + d rounded, k entries (what lr_accum_mean returns) */
    double *m2;        /* M, k × k column-major, ld = k, upper triangle */
    double *bmean;     /* block mean, k entries (workspace) */
    double *bm2;       /* block co-moments, k × k (workspace) */
    double *z;         /* shifted block, zrows × k (workspace) */
    double *sw;        /* √w, zrows entries (workspace) */
    double *wv;        /* w, zrows entries (workspace) */
    double *bsum;      /* s = Zᵀ√w, k entries (workspace) */
    double *bsum2;     /* the block's mean offset s / W_b, k entries (workspace) */
    size_t zrows;      /* rows z and sw can hold */
};

int lr_accum_create(size_t k, lr_kernel kernel, lr_accum **out, lr_error *err)
{
    size_t kk;
    *out = NULL;
    if (k == 0 || lr_mul_overflows(k, k, &kk) || k > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: invalid number of columns %zu", k);
    lr_accum *a = lr_mem_calloc(1, sizeof *a);
    if (!a)
        return lr_error_nomem(err);
    a->k = k;
    a->kernel = kernel;
    a->mean = lr_mem_calloc(k, sizeof(double));
    a->shift = lr_mem_calloc(k, sizeof(double));
    a->dmean = lr_mem_calloc(k, sizeof(double));
    a->bsum2 = lr_mem_calloc(k, sizeof(double));
    a->bmean = lr_mem_calloc(k, sizeof(double));
    a->bsum = lr_mem_calloc(k, sizeof(double));
    a->m2 = lr_mem_calloc(kk, sizeof(double));
    a->bm2 = lr_mem_calloc(kk, sizeof(double));
    if (!a->mean || !a->shift || !a->dmean || !a->bsum2 || !a->bmean || !a->bsum || !a->m2 ||
        !a->bm2) {
        lr_accum_free(a);
        return lr_error_nomem(err);
    }
    *out = a;
    return LR_OK;
}

void lr_accum_free(lr_accum *a)
{
    if (!a)
        return;
    size_t kk = a->k * a->k;
    lr_mem_free(a->mean, a->k * sizeof(double));
    lr_mem_free(a->shift, a->k * sizeof(double));
    lr_mem_free(a->dmean, a->k * sizeof(double));
    lr_mem_free(a->bsum2, a->k * sizeof(double));
    lr_mem_free(a->bmean, a->k * sizeof(double));
    lr_mem_free(a->bsum, a->k * sizeof(double));
    lr_mem_free(a->m2, kk * sizeof(double));
    lr_mem_free(a->bm2, kk * sizeof(double));
    lr_mem_free(a->z, a->zrows * a->k * sizeof(double));
    lr_mem_free(a->sw, a->zrows * sizeof(double));
    lr_mem_free(a->wv, a->zrows * sizeof(double));
    lr_mem_free(a, sizeof *a);
}

size_t lr_accum_ncols(const lr_accum *a) { return a->k; }
uint64_t lr_accum_nobs(const lr_accum *a) { return a->nobs; }
double lr_accum_weight(const lr_accum *a) { return a->w; }
const double *lr_accum_mean(const lr_accum *a)
{
    for (size_t j = 0; j < a->k; j++)
        a->mean[j] = a->shift[j] + a->dmean[j];
    return a->mean;
}

const double *lr_accum_comoments(const lr_accum *a, size_t *ld)
{
    *ld = a->k;
    return a->m2;
}

/* Internal: Σ log w over the rows with nonzero weight (weighted logLik). */
double lr_accum_sum_log_weight(const lr_accum *a);
double lr_accum_sum_log_weight(const lr_accum *a) { return a->sum_log_w; }

static int ensure_rows(lr_accum *a, size_t nrows, lr_error *err)
{
    size_t zn;
    if (nrows <= a->zrows)
        return LR_OK;
    if (lr_mul_overflows(nrows, a->k, &zn) || zn > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "accumulator: block of %zu rows is too large", nrows);
    double *z = lr_mem_alloc(zn * sizeof(double));
    double *sw = lr_mem_alloc(nrows * sizeof(double));
    double *wv = lr_mem_alloc(nrows * sizeof(double));
    if (!z || !sw || !wv) {
        lr_mem_free(z, zn * sizeof(double));
        lr_mem_free(sw, nrows * sizeof(double));
        lr_mem_free(wv, nrows * sizeof(double));
        return lr_error_nomem(err);
    }
    lr_mem_free(a->z, a->zrows * a->k * sizeof(double));
    lr_mem_free(a->sw, a->zrows * sizeof(double));
    lr_mem_free(a->wv, a->zrows * sizeof(double));
    a->z = z;
    a->sw = sw;
    a->wv = wv;
    a->zrows = nrows;
    return LR_OK;
}

/*
 * The pairwise update: fold the statistics (wb, mean c_b + d_b, bm2) into a:
 *   δ = (c_b − c) + (d_b − d),  M += M_b + (W W_b / W') δ δᵀ,  d += δ W_b / W'.
 */
static void merge_moments(lr_accum *a, double wb, const double *bshift, const double *bd,
                          const double *bm2, size_t ldb)
{
    size_t k = a->k;
    if (wb == 0)
        return;
    if (a->w == 0) {
        memcpy(a->shift, bshift, k * sizeof(double));
        memcpy(a->dmean, bd, k * sizeof(double));
        for (size_t j = 0; j < k; j++)
            memcpy(&LR_AT(a->m2, k, 0, j), &LR_AT(bm2, ldb, 0, j), (j + 1) * sizeof(double));
        a->w = wb;
        return;
    }
    double wn = a->w + wb;
    double f = a->w * wb / wn; /* W W_b / W' */
    double g = wb / wn;
    double *delta = a->bsum; /* workspace: the block's s is no longer needed */
    for (size_t j = 0; j < k; j++)
        delta[j] = (bshift[j] - a->shift[j]) + (bd[j] - a->dmean[j]);
    for (size_t j = 0; j < k; j++)
        for (size_t l = 0; l <= j; l++)
            LR_AT(a->m2, k, l, j) += LR_AT(bm2, ldb, l, j) + f * delta[l] * delta[j];
    for (size_t j = 0; j < k; j++)
        a->dmean[j] += delta[j] * g;
    a->w = wn;
}

/* Steps 1–4 of the block update with BLAS. */
static void block_moments_blas(lr_accum *a, size_t n, const double *x, size_t ld, double wb)
{
    size_t k = a->k;
    int ni = (int)n, ki = (int)k, ldi = (int)ld;
    /* 1. m = Xᵀw / W_b */
    cblas_dgemv(CblasColMajor, CblasTrans, ni, ki, 1.0 / wb, x, ldi, a->wv, 1, 0.0, a->bmean, 1);
    /* 2. Z = diag(√w)(X − 1mᵀ), leading dimension n */
    for (size_t j = 0; j < k; j++) {
        const double *xj = x + j * ld;
        double *zj = a->z + j * n;
        double mj = a->bmean[j];
        for (size_t i = 0; i < n; i++)
            zj[i] = (xj[i] - mj) * a->sw[i];
    }
    /* 3. S = ZᵀZ (upper triangle) */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, ki, ni, 1.0, a->z, ni, 0.0, a->bm2, ki);
    /* 4. s = Zᵀ√w, M_b = S − s sᵀ / W_b; the block's mean is m + s / W_b */
    cblas_dgemv(CblasColMajor, CblasTrans, ni, ki, 1.0, a->z, ni, a->sw, 1, 0.0, a->bsum, 1);
    cblas_dsyr(CblasColMajor, CblasUpper, ki, -1.0 / wb, a->bsum, 1, a->bm2, ki);
    for (size_t j = 0; j < k; j++)
        a->bsum2[j] = a->bsum[j] / wb;
}

/* Steps 1–4 in plain loops: the same arithmetic, for the naive baseline. */
static void block_moments_naive(lr_accum *a, size_t n, const double *x, size_t ld, double wb)
{
    size_t k = a->k;
    for (size_t j = 0; j < k; j++) {
        const double *xj = x + j * ld;
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += a->wv[i] * xj[i];
        a->bmean[j] = s / wb;
    }
    for (size_t j = 0; j < k; j++) {
        const double *xj = x + j * ld;
        double *zj = a->z + j * n;
        for (size_t i = 0; i < n; i++)
            zj[i] = (xj[i] - a->bmean[j]) * a->sw[i];
    }
    /* S = ZᵀZ as dot products of contiguous columns (the block is cache-sized). */
    for (size_t j = 0; j < k; j++) {
        const double *zj = a->z + j * n;
        for (size_t l = 0; l <= j; l++) {
            const double *zl = a->z + l * n;
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += zl[i] * zj[i];
            LR_AT(a->bm2, k, l, j) = s;
        }
    }
    for (size_t j = 0; j < k; j++) {
        const double *zj = a->z + j * n;
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += zj[i] * a->sw[i];
        a->bsum[j] = s;
    }
    for (size_t j = 0; j < k; j++)
        for (size_t l = 0; l <= j; l++)
            LR_AT(a->bm2, k, l, j) -= a->bsum[l] * a->bsum[j] / wb;
    for (size_t j = 0; j < k; j++)
        a->bsum2[j] = a->bsum[j] / wb;
}

int lr_accum_add(lr_accum *a, size_t nrows, const double *block, size_t ld, const double *w,
                 lr_error *err)
{
    if (nrows == 0)
        return LR_OK;
    if (ld < nrows || nrows > (size_t)INT32_MAX || ld > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: invalid block (%zu rows, ld %zu)",
                            nrows, ld);
    int rc = ensure_rows(a, nrows, err);
    if (rc)
        return rc;
    double wb = 0;
    uint64_t nb = 0;
    double slw = 0;
    for (size_t i = 0; i < nrows; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi >= 0) || !isfinite(wi))
            return lr_error_set(err, LR_EVALUE, "accumulator: weight %g of row %zu is not a "
                                "non-negative finite number", wi, i);
        a->wv[i] = wi;
        a->sw[i] = sqrt(wi);
        wb += wi;
        if (wi > 0) {
            nb++;
            if (w)
                slw += log(wi);
        }
    }
    a->nobs += nb;
    a->sum_log_w += slw;
    if (wb == 0)
        return LR_OK;
    if (a->kernel == LR_KERNEL_NAIVE)
        block_moments_naive(a, nrows, block, ld, wb);
    else
        block_moments_blas(a, nrows, block, ld, wb);
    merge_moments(a, wb, a->bmean, a->bsum2, a->bm2, a->k);
    return LR_OK;
}

int lr_accum_grow(lr_accum *a, size_t kn, lr_error *err)
{
    size_t k = a->k, kk;
    if (kn == k)
        return LR_OK;
    if (kn < k || lr_mul_overflows(kn, kn, &kk) || kn > (size_t)INT32_MAX ||
        kk > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "accumulator: cannot grow from %zu to %zu columns",
                            k, kn);
    /* Everything is allocated first, so a failure leaves a unchanged. */
    double *m2 = lr_mem_calloc(kk, sizeof(double));
    double *bm2 = lr_mem_calloc(kk, sizeof(double));
    double *v[6] = {NULL};
    int ok = m2 && bm2;
    double **fields[6] = {&a->shift, &a->dmean, &a->mean, &a->bmean, &a->bsum, &a->bsum2};
    for (int i = 0; i < 6 && ok; i++) {
        v[i] = lr_mem_calloc(kn, sizeof(double));
        ok = v[i] != NULL;
    }
    if (!ok) {
        lr_mem_free(m2, kk * sizeof(double));
        lr_mem_free(bm2, kk * sizeof(double));
        for (int i = 0; i < 6; i++)
            lr_mem_free(v[i], kn * sizeof(double));
        return lr_error_nomem(err);
    }
    for (int i = 0; i < 6; i++) {
        memcpy(v[i], *fields[i], k * sizeof(double));
        lr_mem_free(*fields[i], k * sizeof(double));
        *fields[i] = v[i];
    }
    /* The new columns were zero in every row so far: mean 0, co-moments 0. */
    for (size_t j = 0; j < k; j++)
        memcpy(m2 + j * kn, a->m2 + j * k, k * sizeof(double));
    lr_mem_free(a->m2, k * k * sizeof(double));
    lr_mem_free(a->bm2, k * k * sizeof(double));
    a->m2 = m2;
    a->bm2 = bm2;
    lr_mem_free(a->z, a->zrows * k * sizeof(double));
    lr_mem_free(a->sw, a->zrows * sizeof(double));
    lr_mem_free(a->wv, a->zrows * sizeof(double));
    a->z = a->sw = a->wv = NULL;
    a->zrows = 0;
    a->k = kn;
    return LR_OK;
}

int lr_accum_merge(lr_accum *dst, const lr_accum *src, lr_error *err)
{
    if (dst->k != src->k)
        return lr_error_set(err, LR_EUSAGE, "accumulator: cannot merge %zu columns into %zu",
                            src->k, dst->k);
    dst->nobs += src->nobs;
    dst->sum_log_w += src->sum_log_w;
    merge_moments(dst, src->w, src->shift, src->dmean, src->m2, src->k);
    return LR_OK;
}
