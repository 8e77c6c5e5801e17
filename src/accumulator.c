/*
 * accumulator.c — the normal-equation statistics of a stream of rows.
 *
 * State for k columns (column 0 the response): the sum of weights W, the
 * number of rows with nonzero weight, Σ log w over those rows (for the
 * weighted log-likelihood), the weighted means μ, and either the centred
 * cross-product ("co-moment") matrix M = Σ w (x − μ)(x − μ)ᵀ (the Gram
 * kernels) or a triangular factor R with RᵀR = M (the QR kernel, which keeps
 * it as the trailing block of an augmented factor R⁺: accumulator_qr.c).
 *
 * Gram kernels. A block is added by the corrected two-pass algorithm:
 *   1. m = Xᵀw / W_b                      (cblas_dgemv) a provisional mean;
 *   2. Z = diag(√w)(X − 1mᵀ)              the shifted, weighted block;
 *   3. S = ZᵀZ                             (cblas_dsyrk);
 *   4. s = Zᵀ√w,  M_b = S − s sᵀ / W_b,  the block's mean is m + s / W_b
 *      (s is tiny, so nothing cancels).
 * The block is merged into the running state with the exact pairwise
 * update (Chan, Golub & LeVeque 1979):
 *   δ = m_b − μ,  W' = W + W_b,  μ' = μ + δ W_b / W',
 *   M' = M + M_b + (W W_b / W') δ δᵀ.
 * The same merge combines accumulators built separately, in a fixed order.
 * Because every block is centred by its own mean, a column like 1e9 + noise
 * keeps its digits: the products formed are of deviations.
 *
 * QR kernel (streaming Householder QR, accumulator_qr.c): the rows
 * [√w, √w (x − c)] are stacked, c a fixed shift, and one QR of them gives
 * both the mean and the factor R of M; nothing is formed as a cross product.
 *
 * The Gram kernels keep the means as a double shift c plus a small offset d
 * (μ = c + d, c the first block's provisional mean): rounding μ to one
 * double would cost ε|μ| (1e-7 at 1e9) in every δ, and through
 * (W W_b/W') δδᵀ about 1e-9 relative in M. With the pair, δ = (c_b − c) + (d_b − d), whose first
 * difference is exact for nearby shifts (Sterbenz).
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "accumulator_impl.h"

/* The k-dependent arrays, for allocation, growth and release in one place. */
typedef struct karray {
    double **p;  /* the field */
    size_t rows; /* rows per column of a matrix of kind 2 (NB) */
    int matrix;  /* 0: a vector of k; 1: k × k; 2: rows × (k + 1); 3: (k + 1) × (k + 1) */
    int lazy; /* 1: allocated when first needed, not at creation (QR's R⁺, RᵀR, the update's) */
} karray;

static size_t karrays(lr_accum *a, karray *out)
{
    size_t n = 0;
    karray v[] = {
        {&a->shift, 1, 0, 0}, {&a->dmean, 1, 0, 0}, {&a->mean, 1, 0, 0},
        {&a->bmean, 1, 0, 0}, {&a->bsum, 1, 0, 0},  {&a->bsum2, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        out[n++] = v[i];
    if (a->kernel == LR_KERNEL_QR) {
        karray q[] = {{&a->m2, 0, 3, 1},
                      {&a->mcache, 0, 1, 1},
                      {&a->tmat, LR_TPQRT_NB, 2, 0},
                      {&a->twork, LR_TPQRT_NB, 2, 0},
                      {&a->ugram, 0, 3, 1},
                      {&a->utest, 0, 3, 1},
                      {&a->upanel, LR_QR_PANEL, 2, 1}};
        for (size_t i = 0; i < sizeof q / sizeof *q; i++)
            out[n++] = q[i];
    } else {
        karray g[] = {{&a->m2, 0, 1, 0}, {&a->bm2, 0, 1, 0}};
        for (size_t i = 0; i < sizeof g / sizeof *g; i++)
            out[n++] = g[i];
    }
    return n;
}

/* Size in doubles of a k-dependent array for k columns. */
static size_t ksize(const karray *ka, size_t k)
{
    switch (ka->matrix) {
    case 0: return k;
    case 1: return k * k;
    case 2: return ka->rows * (k + 1);
    default: return (k + 1) * (k + 1);
    }
}

static void free_rows(lr_accum *a)
{
    lr_mem_free(a->z, a->zrows * a->k * sizeof(double));
    lr_mem_free(a->sw, a->zrows * sizeof(double));
    lr_mem_free(a->wv, a->zrows * sizeof(double));
    a->z = a->sw = a->wv = NULL;
    a->zrows = 0;
}

void lr_accum_free(lr_accum *a)
{
    if (!a)
        return;
    karray ka[16];
    size_t n = karrays(a, ka);
    for (size_t i = 0; i < n; i++)
        lr_mem_free(*ka[i].p, ksize(&ka[i], a->k) * sizeof(double));
    free_rows(a);
    lr_qr_pend_release(a);
    lr_mem_free(a, sizeof *a);
}

int lr_accum_create(size_t k, lr_kernel kernel, lr_accum **out, lr_error *err)
{
    size_t kk;
    *out = NULL;
    if (k == 0 || lr_mul_overflows(k + 1, k + 1, &kk) || k > (size_t)INT32_MAX / 2 ||
        kk > SIZE_MAX / sizeof(double) / LR_TPQRT_NB)
        return lr_error_set(err, LR_ERANGE, "accumulator: invalid number of columns %zu", k);
    if (kernel != LR_KERNEL_BLAS && kernel != LR_KERNEL_NAIVE && kernel != LR_KERNEL_QR)
        return lr_error_set(err, LR_EUSAGE, "accumulator: unknown kernel %d", (int)kernel);
    lr_accum *a = lr_mem_calloc(1, sizeof *a);
    if (!a)
        return lr_error_nomem(err);
    a->k = k;
    a->kernel = kernel;
    karray ka[16];
    size_t n = karrays(a, ka);
    for (size_t i = 0; i < n; i++) {
        if (ka[i].lazy)
            continue;
        *ka[i].p = lr_mem_calloc(ksize(&ka[i], k), sizeof(double));
        if (!*ka[i].p) {
            lr_accum_free(a);
            return lr_error_nomem(err);
        }
    }
    *out = a;
    return LR_OK;
}

size_t lr_accum_ncols(const lr_accum *a)
{
    return a->k;
}
uint64_t lr_accum_nobs(const lr_accum *a)
{
    return a->nobs;
}
double lr_accum_weight(const lr_accum *a)
{
    return a->w;
}
lr_kernel lr_accum_kernel(const lr_accum *a)
{
    return a->kernel;
}

const double *lr_accum_mean(const lr_accum *a)
{
    if (a->kernel == LR_KERNEL_QR) {
        /* d = R⁺₀ⱼ / R⁺₀₀ (accumulator_qr.c); without rows (or without the
         * memory to fold them) the shift alone */
        size_t k1 = a->k + 1;
        int ok = lr_qr_settle(a) == LR_OK && a->m2[0] != 0;
        for (size_t j = 0; j < a->k; j++)
            a->mean[j] = a->shift[j] + (ok ? a->m2[(j + 1) * k1] / a->m2[0] : 0.0);
        return a->mean;
    }
    for (size_t j = 0; j < a->k; j++)
        a->mean[j] = a->shift[j] + a->dmean[j];
    return a->mean;
}

const double *lr_accum_comoments(const lr_accum *a, size_t *ld)
{
    *ld = a->k;
    if (a->kernel != LR_KERNEL_QR)
        return a->m2;
    lr_accum *m = (lr_accum *)(uintptr_t)a; /* RᵀR's array, made on first use */
    if (lr_qr_settle(a) ||
        (!m->mcache && !(m->mcache = lr_mem_alloc(a->k * a->k * sizeof(double)))))
        return NULL;
    /* M = RᵀR, R the trailing block of R⁺; upper triangle (the lower one
     * zeroed: the array was not) */
    int k = (int)a->k, k1 = k + 1;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, k, k, 1.0, a->m2 + k1 + 1, k1, 0.0,
                a->mcache, k);
    for (size_t j = 0; j < a->k; j++)
        memset(a->mcache + j * a->k + j + 1, 0, (a->k - j - 1) * sizeof(double));
    return a->mcache;
}

const double *lr_accum_factor(const lr_accum *a, size_t *ld)
{
    *ld = a->k + 1;
    if (a->kernel != LR_KERNEL_QR || lr_qr_settle(a))
        return NULL;
    return a->m2 + a->k + 2; /* R: R⁺ without its first row and column */
}

double lr_accum_sum_log_weight(const lr_accum *a)
{
    return a->sum_log_w;
}
uint64_t lr_accum_pending_rows(const lr_accum *a)
{
    return a->npend;
}

/* Row workspaces for blocks of nrows rows: w and √w, and for the Gram
 * kernels the shifted block Z (the QR kernel writes its rows straight into
 * the pending block). */
static int ensure_rows(lr_accum *a, size_t nrows, lr_error *err)
{
    size_t zn = 0;
    int gram = a->kernel != LR_KERNEL_QR;
    if (nrows <= a->zrows)
        return LR_OK;
    if (lr_mul_overflows(nrows, a->k, &zn) || zn > SIZE_MAX / sizeof(double) ||
        nrows > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: block of %zu rows is too large", nrows);
    free_rows(a);
    a->z = gram ? lr_mem_alloc(zn * sizeof(double)) : NULL;
    a->sw = lr_mem_alloc(nrows * sizeof(double));
    a->wv = lr_mem_alloc(nrows * sizeof(double));
    if ((gram && !a->z) || !a->sw || !a->wv) {
        lr_mem_free(a->z, zn * sizeof(double));
        lr_mem_free(a->sw, nrows * sizeof(double));
        lr_mem_free(a->wv, nrows * sizeof(double));
        a->z = a->sw = a->wv = NULL;
        return lr_error_nomem(err);
    }
    a->zrows = nrows;
    return LR_OK;
}

/*
 * Gram: fold the statistics (wb, mean c_b + d_b, bm2) into a:
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

/* Gram steps 1–4 with BLAS. */
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

/* Gram steps 1–4 in plain loops: the same arithmetic, for the naive baseline. */
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
        return lr_error_set(err, LR_ERANGE, "accumulator: invalid block (%zu rows, ld %zu)", nrows,
                            ld);
    for (size_t j = 0; j < a->k; j++)
        for (size_t i = 0; i < nrows; i++)
            if (!isfinite(block[j * ld + i]))
                return lr_error_set(err, LR_EVALUE,
                                    "accumulator: value %g in row %zu, column "
                                    "%zu is not finite",
                                    block[j * ld + i], i, j);
    int rc = ensure_rows(a, nrows, err);
    if (rc)
        return rc;
    double wb = 0;
    uint64_t nb = 0;
    double slw = 0;
    for (size_t i = 0; i < nrows; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi >= 0) || !isfinite(wi))
            return lr_error_set(err, LR_EVALUE,
                                "accumulator: weight %g of row %zu is not a "
                                "non-negative finite number",
                                wi, i);
        a->wv[i] = wi;
        a->sw[i] = sqrt(wi);
        wb += wi;
        if (wi > 0) {
            nb++;
            if (w)
                slw += log(wi);
        }
    }
    if (wb == 0) {
        a->nobs += nb;
        return LR_OK;
    }
    switch (a->kernel) {
    case LR_KERNEL_QR:
        if ((rc = lr_qr_add(a, nrows, block, ld, wb, err)))
            return rc;
        break;
    case LR_KERNEL_NAIVE:
        block_moments_naive(a, nrows, block, ld, wb);
        merge_moments(a, wb, a->bmean, a->bsum2, a->bm2, a->k);
        break;
    case LR_KERNEL_BLAS:
    default:
        block_moments_blas(a, nrows, block, ld, wb);
        merge_moments(a, wb, a->bmean, a->bsum2, a->bm2, a->k);
        break;
    }
    a->nobs += nb;
    a->sum_log_w += slw;
    return LR_OK;
}

int lr_accum_grow(lr_accum *a, size_t kn, lr_error *err)
{
    size_t k = a->k, kk;
    if (kn == k)
        return LR_OK;
    if (kn < k || kn > (size_t)INT32_MAX / 2 || lr_mul_overflows(kn + 1, kn + 1, &kk) ||
        kk > SIZE_MAX / sizeof(double) / LR_TPQRT_NB)
        return lr_error_set(err, LR_ERANGE, "accumulator: cannot grow from %zu to %zu columns", k,
                            kn);
    /* Everything is allocated first, so a failure leaves a unchanged. */
    karray ka[16];
    double *nv[16] = {NULL};
    size_t n = karrays(a, ka), pn = 0;
    double *pend = NULL;
    if (a->pcap &&
        (lr_mul_overflows(a->pcap, kn + 1, &pn) || !(pend = lr_mem_calloc(pn, sizeof(double)))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        /* lazy arrays: R⁺ only if it exists (its new rows and columns 0); RᵀR and
         * the update's workspaces never (made again when next needed) */
        if (ka[i].lazy && (*ka[i].p != a->m2 || !a->rinit))
            continue;
        nv[i] = lr_mem_calloc(ksize(&ka[i], kn), sizeof(double));
        if (!nv[i]) {
            for (size_t j = 0; j <= i; j++)
                lr_mem_free(nv[j], ksize(&ka[j], kn) * sizeof(double));
            lr_mem_free(pend, pn * sizeof(double));
            return lr_error_nomem(err);
        }
    }
    /* The new columns were zero in every row so far: mean 0, co-moments 0, and
     * zero rows and columns in the factor and the pending rows. Workspaces
     * start afresh. */
    for (size_t i = 0; i < n; i++) {
        double *old = *ka[i].p;
        if (old == a->shift || old == a->dmean)
            memcpy(nv[i], old, k * sizeof(double));
        else if (old && old == a->m2 && a->kernel == LR_KERNEL_QR)
            for (size_t j = 0; j <= k; j++) /* R⁺: (k + 1) × (k + 1) */
                memcpy(nv[i] + j * (kn + 1), old + j * (k + 1), (k + 1) * sizeof(double));
        else if (old && old == a->m2)
            for (size_t j = 0; j < k; j++)
                memcpy(nv[i] + j * kn, old + j * k, k * sizeof(double));
        lr_mem_free(old, ksize(&ka[i], k) * sizeof(double));
        *ka[i].p = nv[i];
    }
    if (pend) {
        memcpy(pend, a->pend, a->pcap * (k + 1) * sizeof(double));
        lr_mem_free(a->pend, a->pcap * (k + 1) * sizeof(double));
        a->pend = pend;
    }
    free_rows(a);
    a->k = kn;
    a->uprows = 0; /* R⁺ changed shape: C is made again from P */
    return LR_OK;
}

int lr_accum_merge(lr_accum *dst, const lr_accum *src, lr_error *err)
{
    if (dst->k != src->k)
        return lr_error_set(err, LR_EUSAGE, "accumulator: cannot merge %zu columns into %zu",
                            src->k, dst->k);
    if ((dst->kernel == LR_KERNEL_QR) != (src->kernel == LR_KERNEL_QR))
        return lr_error_set(err, LR_EUSAGE,
                            "accumulator: cannot merge a factor with a Gram "
                            "matrix");
    int rc = LR_OK;
    if (dst->kernel == LR_KERNEL_QR) {
        rc = lr_qr_merge(dst, src, err);
    } else
        merge_moments(dst, src->w, src->shift, src->dmean, src->m2, src->k);
    if (rc == LR_OK) {
        dst->nobs += src->nobs;
        dst->sum_log_w += src->sum_log_w;
    }
    return rc;
}

int lr_accum_remap(const lr_accum *src, size_t k, const size_t *map, lr_accum **out, lr_error *err)
{
    size_t ks = src->k;
    int identity = k == ks;
    for (size_t j = 0; j < ks && identity; j++)
        identity = map[j] == j;
    *out = NULL;
    for (size_t j = 0; j < ks; j++)
        if (map[j] >= k)
            return lr_error_set(err, LR_ERANGE, "accumulator: column %zu mapped beyond %zu", j, k);
    lr_accum *a;
    int rc = lr_accum_create(k, src->kernel, &a, err);
    if (rc)
        return rc;
    a->nobs = src->nobs;
    a->w = src->w;
    a->sum_log_w = src->sum_log_w;
    for (size_t j = 0; j < ks; j++) {
        a->shift[map[j]] = src->shift[j];
        a->dmean[map[j]] = src->dmean[j];
    }
    if (src->kernel != LR_KERNEL_QR) {
        /* M scattered; only the upper triangle is kept */
        for (size_t j = 0; j < ks; j++)
            for (size_t i = 0; i <= j; i++) {
                size_t r = map[i], c = map[j];
                if (r > c) {
                    size_t t = r;
                    r = c;
                    c = t;
                }
                LR_AT(a->m2, k, r, c) = LR_AT(src->m2, ks, i, j);
            }
    } else if ((rc = lr_qr_remap(src, map, identity, a, err))) {
        lr_accum_free(a);
        return rc;
    }
    *out = a;
    return LR_OK;
}

void lr_accum_get_state(const lr_accum *a, lr_accum_state *s)
{
    memset(s, 0, sizeof *s);
    s->k = a->k;
    s->kernel = a->kernel;
    s->mdim = a->kernel == LR_KERNEL_QR ? a->k + 1 : a->k;
    s->nobs = a->nobs;
    s->w = a->w;
    s->sum_log_w = a->sum_log_w;
    s->shift = a->shift;
    s->dmean = a->dmean;
    s->m2 = a->kernel != LR_KERNEL_QR || a->rinit ? a->m2 : NULL;
    s->rrows = a->rinit ? a->rrows : 0;
    s->pend = a->npend ? a->pend : NULL;
    s->npend = a->npend;
    s->ldp = a->pcap;
}

int lr_accum_from_state(const lr_accum_state *s, lr_accum **out, lr_error *err)
{
    lr_accum *a;
    int rc = lr_accum_create(s->k, s->kernel, &a, err);
    *out = NULL;
    if (rc)
        return rc;
    size_t k = s->k, md = a->kernel == LR_KERNEL_QR ? k + 1 : k;
    if (s->mdim != md) {
        lr_accum_free(a);
        return lr_error_set(err, LR_EUSAGE, "accumulator: a state of %zu columns for %zu", s->mdim,
                            md);
    }
    a->nobs = s->nobs;
    a->w = s->w;
    a->sum_log_w = s->sum_log_w;
    memcpy(a->shift, s->shift, k * sizeof(double));
    memcpy(a->dmean, s->dmean, k * sizeof(double));
    if (s->m2 && a->kernel == LR_KERNEL_QR) {
        if (!(a->m2 = lr_mem_alloc(md * md * sizeof(double)))) {
            lr_accum_free(a);
            return lr_error_nomem(err);
        }
        a->rinit = 1;
        a->rrows = s->rrows;
    }
    if (s->m2)
        memcpy(a->m2, s->m2, md * md * sizeof(double));
    if (s->npend) {
        if (a->kernel != LR_KERNEL_QR || (rc = lr_qr_pend_reserve(a, s->npend, err))) {
            lr_accum_free(a);
            return rc ? rc
                      : lr_error_set(err, LR_EUSAGE,
                                     "accumulator: pending rows in a Gram "
                                     "accumulator");
        }
        for (size_t j = 0; j < md; j++)
            memcpy(a->pend + j * a->pcap, s->pend + j * s->ldp, s->npend * sizeof(double));
        a->npend = s->npend;
    }
    *out = a;
    return LR_OK;
}
