/*
 * accumulator.c — the normal-equation statistics of a stream of rows.
 *
 * State for k columns (column 0 the response): the sum of weights W, the
 * number of rows with nonzero weight, Σ log w over those rows (for the
 * weighted log-likelihood), the weighted means μ, and either the centred
 * cross-product ("co-moment") matrix M = Σ w (x − μ)(x − μ)ᵀ (the Gram
 * kernels) or a triangular factor R with RᵀR = M (the QR kernel).
 *
 * Gram kernels. A block is added by the corrected two-pass algorithm:
 *   1. m = Xᵀw / W_b                      (cblas_dgemv) a provisional mean;
 *   2. Z = diag(√w)(X − 1mᵀ)              the shifted, weighted block;
 *   3. S = ZᵀZ                             (cblas_dsyrk);
 *   4. s = Zᵀ√w,  M_b = S − s sᵀ / W_b,  the block's mean is m + s / W_b
 *      (s is tiny, so nothing cancels).
 * QR kernel (streaming tall-skinny QR). The block [√w, Z] is factored by
 * Householder QR (dgeqrf): its first row gives √W_b and s / √W_b, and its
 * trailing triangle R_b satisfies R_bᵀR_b = ZᵀZ − s sᵀ/W_b = M_b exactly in
 * exact arithmetic — the centring happens inside a backward-stable QR, and
 * no cross product is ever formed, so κ is not squared and values of size
 * 1e±150 neither overflow nor underflow.
 *
 * Either way the block is merged into the running state with the exact
 * pairwise update (Chan, Golub & LeVeque 1979):
 *   δ = m_b − μ,  W' = W + W_b,  μ' = μ + δ W_b / W',
 *   M' = M + M_b + (W W_b / W') δ δᵀ,
 * for a factor: R' = qr([R; R_b; √(W W_b / W') δᵀ]). The same merge combines
 * accumulators built separately, in a fixed order.
 *
 * Because every block is centred by its own mean, a column like 1e9 + noise
 * keeps its digits: the products formed are of deviations.
 *
 * Wide rows. Merging a factor costs 2 m k² flops for the m rows stacked under
 * R, and dtpqrt only runs at level-3 speed when m is large: a 1 MiB chunk of
 * 1,000-column rows has ~50 rows, and merging its full k × k triangle (the old
 * scheme) cost 2 k³ per chunk. So the rows to stack — a block's R_b (at most
 * n − 1 nonzero rows for n rows), the √f δᵀ row, and whatever another
 * accumulator has not folded yet — are appended to a pending block P, and P is
 * folded into R by one dtpqrt when it holds B rows (2k, or 256 for k < 128),
 * when R is read, and after a merge into an accumulator that already has R.
 * RᵀR + PᵀP is the same sum of Gram contributions however the rows are
 * grouped, so this changes rounding only; and when P is folded depends on row
 * counts alone (blocks, chunks and the fold's tree are defined by the data),
 * so the bits are the same for any thread count. A full triangle (a block of
 * more rows than columns) merged into an empty accumulator becomes its R as
 * it is, as before. Memory per accumulator: R (k², made when P is first
 * folded), RᵀR (k², made when asked for) and P (at most B × k, grown as rows
 * come, released once folded when over 1 MiB).
 *
 * The means are kept as a double shift c plus a small offset d (μ = c + d,
 * c the first block's provisional mean): rounding μ to one double would cost
 * ε|μ| (1e-7 at 1e9) in every δ, and through (W W_b/W') δδᵀ about 1e-9
 * relative in M. With the pair, δ = (c_b − c) + (d_b − d), whose first
 * difference is exact for nearby shifts (Sterbenz).
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "accumulator.h"

/* Block size of dtpqrt's compact WY representation. */
#define LR_TPQRT_NB 32
/* A pending block larger than this many doubles is released once folded. */
#define LR_PEND_KEEP ((size_t)1 << 17)

struct lr_accum {
    size_t k;          /* number of columns (response first) */
    lr_kernel kernel;  /* Gram (BLAS or loops) or QR */
    uint64_t nobs;     /* rows with nonzero weight */
    double w;          /* Σ w */
    double sum_log_w;  /* Σ log w over rows with w > 0 (0 for unit weights) */
    double *shift;     /* c, k entries: μ = c + d */
    double *dmean;     /* d, k entries */
    double *mean;      /* c + d rounded, k entries (what lr_accum_mean returns) */
    double *m2;        /* Gram: M (upper triangle); QR: R (upper, zeros below); k × k, ld k */
    int rinit;         /* QR: m2 exists and holds R (allocated when P is first folded) */
    size_t rrows;      /* QR: rows of R that may be nonzero, ≤ k */
    double *pend;      /* QR: pending rows P, npend × k, ld pcap: M = RᵀR + PᵀP */
    size_t npend;      /* QR: rows in P */
    size_t pcap;       /* QR: rows P has room for */
    double *mcache;    /* QR: RᵀR for lr_accum_comoments, k × k (allocated when asked) */
    double *bmean;     /* block: provisional mean m, k entries (workspace) */
    double *bsum;      /* block: s = Zᵀ√w, k entries (workspace) */
    double *bsum2;     /* block: mean offset s / W_b, k entries (workspace) */
    double *bm2;       /* Gram: the block's co-moments, k × k (workspace) */
    size_t brows;      /* QR: rows of R_b that may be nonzero, min(n − 1, k) for n rows */
    double *z;         /* block: shifted, weighted rows, zrows × (k + 1) (workspace) */
    double *sw;        /* √w, zrows entries (workspace) */
    double *wv;        /* w, zrows entries (workspace) */
    size_t zrows;      /* rows the row workspaces hold */
    double *tau;       /* QR: Householder scalars, k + 1 (workspace) */
    double *qwork;     /* QR: dgeqrf workspace (workspace) */
    size_t qlwork;     /* its length */
    double *tmat;      /* QR merge: dtpqrt's T, LR_TPQRT_NB × k (workspace) */
    double *twork;     /* QR merge: dtpqrt's work, LR_TPQRT_NB × k (workspace) */
};

/* The k-dependent arrays, for allocation, growth and release in one place. */
typedef struct karray {
    double **p;   /* the field */
    size_t rows;  /* rows per column: 1 for vectors, k for matrices, or NB */
    int matrix;   /* 1: k × k, 2: rows × k, 0: a vector (rows 2: k + 1 entries) */
    int lazy;     /* 1: allocated when first needed, not at creation (QR's R and RᵀR) */
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
        karray q[] = {{&a->m2, 0, 1, 1},
                      {&a->mcache, 0, 1, 1},
                      {&a->tau, 2, 0, 0},
                      {&a->tmat, LR_TPQRT_NB, 2, 0},
                      {&a->twork, LR_TPQRT_NB, 2, 0}};
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
    if (!ka->matrix)
        return ka->rows == 2 ? k + 1 : k; /* tau has k + 1 entries */
    if (ka->matrix == 1)
        return k * k;
    return ka->rows * k; /* NB × k */
}


/* P is released (its layout depends on k and its room on the rows it held). */
static void pend_release(lr_accum *a)
{
    lr_mem_free(a->pend, a->pcap * a->k * sizeof(double));
    a->pend = NULL;
    a->pcap = a->npend = 0;
}

/* B: the rows P gathers before it is folded into R. dtpqrt's updates are
 * matrix products with inner dimension B, so B a few times k keeps them at
 * level-3 speed while P stays O(k²): 2k measured as fast as 4k on 20k × 1,000
 * and 45 MB smaller at its peak (docs/performance.md). */
static size_t pend_limit(size_t k)
{
    return k < 128 ? 256 : 2 * k;
}

/* R := qr([R; P]) (dtpqrt, P rectangular), P emptied. */
static int pend_flush(lr_accum *a, lr_error *err)
{
    size_t k = a->k;
    if (!a->rinit) {
        if (!(a->m2 = lr_mem_calloc(k * k, sizeof(double))))
            return lr_error_nomem(err);
        a->rinit = 1;
    }
    if (a->npend == 0)
        return LR_OK;
    lapack_int nb = (lapack_int)(k < LR_TPQRT_NB ? k : LR_TPQRT_NB);
    lapack_int info = LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, (lapack_int)a->npend, (lapack_int)k,
                                          0, nb, a->m2, (lapack_int)k, a->pend,
                                          (lapack_int)a->pcap, a->tmat, nb, a->twork);
    if (info != 0)
        return lr_error_set(err, LR_ELAPACK, "dtpqrt: argument %d is invalid", (int)-info);
    a->rrows = a->rrows + a->npend < k ? a->rrows + a->npend : k;
    a->npend = 0;
    if (a->pcap * k > LR_PEND_KEEP)
        pend_release(a);
    return LR_OK;
}

/* The statistics a reader sees: everything folded into R. The reading
 * functions take a const accumulator; folding changes how the same sums are
 * held, not what they are. It fails only if R cannot be allocated. */
static int settle(const lr_accum *ca)
{
    lr_accum *a = (lr_accum *)(uintptr_t)ca;
    lr_error ignored;
    if (a->kernel == LR_KERNEL_QR && (a->npend || !a->rinit))
        return pend_flush(a, &ignored);
    return LR_OK;
}

/* Room for `rows` rows in P (rows ≤ B). */
static int pend_reserve(lr_accum *a, size_t rows, lr_error *err)
{
    size_t k = a->k, cap = a->pcap * 2, lim = pend_limit(k);
    if (rows <= a->pcap)
        return LR_OK;
    if (cap < rows)
        cap = rows;
    if (cap > lim)
        cap = lim;
    size_t n;
    if (lr_mul_overflows(cap, k, &n) || n > SIZE_MAX / sizeof(double) || cap > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: %zu pending rows are too many", cap);
    double *p = lr_mem_alloc(n * sizeof(double));
    if (!p)
        return lr_error_nomem(err);
    for (size_t j = 0; j < k && a->npend; j++)
        memcpy(p + j * cap, a->pend + j * a->pcap, a->npend * sizeof(double));
    lr_mem_free(a->pend, a->pcap * k * sizeof(double));
    a->pend = p;
    a->pcap = cap;
    return LR_OK;
}

/*
 * Append r rows of src (r × k, ld lds) to P, folding P into R each time it
 * holds B rows. tri: src is upper trapezoidal, its entries below the diagonal
 * are taken as 0 (a factor's lower part need not be stored).
 */
static int pend_append(lr_accum *a, const double *src, size_t lds, size_t r, int tri,
                       lr_error *err)
{
    size_t k = a->k, lim = pend_limit(k);
    int rc;
    for (size_t i0 = 0; i0 < r;) {
        if (a->npend == lim && (rc = pend_flush(a, err)))
            return rc;
        size_t m = r - i0 < lim - a->npend ? r - i0 : lim - a->npend;
        if ((rc = pend_reserve(a, a->npend + m, err)))
            return rc;
        for (size_t j = 0; j < k; j++) {
            double *d = a->pend + j * a->pcap + a->npend;
            const double *sj = src + j * lds + i0;
            for (size_t i = 0; i < m; i++)
                d[i] = !tri || i0 + i <= j ? sj[i] : 0.0;
        }
        a->npend += m;
        i0 += m;
    }
    return LR_OK;
}

static void free_rows(lr_accum *a)
{
    lr_mem_free(a->z, a->zrows * (a->k + 1) * sizeof(double));
    lr_mem_free(a->sw, a->zrows * sizeof(double));
    lr_mem_free(a->wv, a->zrows * sizeof(double));
    lr_mem_free(a->qwork, a->qlwork * sizeof(double));
    a->z = a->sw = a->wv = a->qwork = NULL;
    a->zrows = a->qlwork = 0;
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
    pend_release(a);
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

size_t lr_accum_ncols(const lr_accum *a) { return a->k; }
uint64_t lr_accum_nobs(const lr_accum *a) { return a->nobs; }
double lr_accum_weight(const lr_accum *a) { return a->w; }
lr_kernel lr_accum_kernel(const lr_accum *a) { return a->kernel; }

const double *lr_accum_mean(const lr_accum *a)
{
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
    if (settle(a) || (!m->mcache && !(m->mcache = lr_mem_alloc(a->k * a->k * sizeof(double)))))
        return NULL;
    /* M = RᵀR, upper triangle (the lower one zeroed: the array was not) */
    int k = (int)a->k;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, k, k, 1.0, a->m2, k, 0.0, a->mcache, k);
    for (size_t j = 0; j < a->k; j++)
        memset(a->mcache + j * a->k + j + 1, 0, (a->k - j - 1) * sizeof(double));
    return a->mcache;
}

const double *lr_accum_factor(const lr_accum *a, size_t *ld)
{
    *ld = a->k;
    if (a->kernel != LR_KERNEL_QR || settle(a))
        return NULL;
    return a->m2;
}

double lr_accum_sum_log_weight(const lr_accum *a) { return a->sum_log_w; }

static int ensure_rows(lr_accum *a, size_t nrows, lr_error *err)
{
    size_t zn, k1 = a->k + 1;
    if (nrows <= a->zrows)
        return LR_OK;
    if (lr_mul_overflows(nrows, k1, &zn) || zn > SIZE_MAX / sizeof(double) ||
        nrows > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: block of %zu rows is too large", nrows);
    free_rows(a);
    a->z = lr_mem_alloc(zn * sizeof(double));
    a->sw = lr_mem_alloc(nrows * sizeof(double));
    a->wv = lr_mem_alloc(nrows * sizeof(double));
    if (!a->z || !a->sw || !a->wv) {
        lr_mem_free(a->z, zn * sizeof(double));
        lr_mem_free(a->sw, nrows * sizeof(double));
        lr_mem_free(a->wv, nrows * sizeof(double));
        a->z = a->sw = a->wv = NULL;
        return lr_error_nomem(err);
    }
    a->zrows = nrows;
    if (a->kernel == LR_KERNEL_QR) {
        /* dgeqrf's optimal workspace for the largest block, asked once. */
        double q = 0;
        lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)nrows,
                                              (lapack_int)k1, a->z, (lapack_int)nrows, a->tau,
                                              &q, -1);
        size_t lw = info == 0 && q >= (double)k1 ? (size_t)q : k1;
        a->qwork = lr_mem_alloc(lw * sizeof(double));
        if (!a->qwork) {
            free_rows(a);
            return lr_error_nomem(err);
        }
        a->qlwork = lw;
    }
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

/*
 * QR: fold (wb, mean c_b + d_b, factor rb and pending rows pb) into a:
 *   P := [P; R_b; P_b; √(W W_b / W') δᵀ],  d += δ W_b / W'
 * (folded into R whenever P holds B rows). Only the first `rows` rows of R_b
 * may be nonzero (a block of n rows has a factor of n − 1 rows once centred,
 * and an accumulator's R has no more rows than were folded into it), and only
 * they are stacked: a block of a few rows in a wide model costs what its rows
 * are, not what the model's width is. rb may be NULL when rows is 0.
 */
static int merge_factor(lr_accum *a, double wb, const double *bshift, const double *bd,
                        const double *rb, size_t ldb, size_t rows, const double *pb,
                        size_t npb, size_t ldp, lr_error *err)
{
    size_t k = a->k;
    int rc;
    if (wb == 0)
        return LR_OK;
    if (rows > k)
        rows = k;
    if (a->w == 0) {
        memcpy(a->shift, bshift, k * sizeof(double));
        memcpy(a->dmean, bd, k * sizeof(double));
        if (rows == k && !a->rinit && a->npend == 0) {
            /* a full triangle into an empty accumulator is its R as it is:
             * stacking it would fold k rows more (a chunk of more than k rows) */
            if (!(a->m2 = lr_mem_calloc(k * k, sizeof(double))))
                return lr_error_nomem(err);
            for (size_t j = 0; j < k; j++)
                memcpy(a->m2 + j * k, rb + j * ldb, (j + 1) * sizeof(double));
            a->rinit = 1;
            a->rrows = k;
            rows = 0;
        }
        if ((rows && (rc = pend_append(a, rb, ldb, rows, 1, err))) ||
            (npb && (rc = pend_append(a, pb, ldp, npb, 0, err))))
            return rc;
        a->w = wb;
        return LR_OK;
    }
    double wn = a->w + wb;
    double sf = sqrt(a->w * wb / wn); /* √(W W_b / W') */
    double g = wb / wn;
    double *delta = a->bsum;
    double *row = a->tau; /* workspace: √f δᵀ, the block's Householder scalars are used */
    for (size_t j = 0; j < k; j++) {
        delta[j] = (bshift[j] - a->shift[j]) + (bd[j] - a->dmean[j]);
        row[j] = sf * delta[j];
    }
    if ((rows && (rc = pend_append(a, rb, ldb, rows, 1, err))) ||
        (npb && (rc = pend_append(a, pb, ldp, npb, 0, err))) ||
        (rc = pend_append(a, row, 1, 1, 0, err)))
        return rc;
    for (size_t j = 0; j < k; j++)
        a->dmean[j] += delta[j] * g;
    a->w = wn;
    return LR_OK;
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

/* QR: the block's provisional mean, then Householder QR of [√w, diag(√w)(X − 1mᵀ)]. */
static int block_factor(lr_accum *a, size_t n, const double *x, size_t ld, double wb,
                        lr_error *err)
{
    size_t k = a->k, k1 = k + 1;
    int ni = (int)n;
    cblas_dgemv(CblasColMajor, CblasTrans, ni, (int)k, 1.0 / wb, x, (int)ld, a->wv, 1, 0.0,
                a->bmean, 1);
    double *b = a->z; /* n × (k + 1), ld n */
    memcpy(b, a->sw, n * sizeof(double));
    for (size_t j = 0; j < k; j++) {
        const double *xj = x + j * ld;
        double *bj = b + (j + 1) * n;
        double mj = a->bmean[j];
        for (size_t i = 0; i < n; i++)
            bj[i] = (xj[i] - mj) * a->sw[i];
    }
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, ni, (lapack_int)k1, b, ni, a->tau,
                                          a->qwork, (lapack_int)a->qlwork);
    if (info != 0)
        return lr_error_set(err, LR_ELAPACK, "dgeqrf: argument %d is invalid", (int)-info);
    /* Row 0: R₀₀ = ±√W_b and R₀ⱼ = sⱼ/R₀₀, so the offset of the mean is R₀ⱼ/R₀₀.
     * Rows 1..k: the factor of the exactly centred block (rows beyond n − 1 are 0). */
    double r00 = b[0];
    a->brows = n - 1 < k ? n - 1 : k;
    for (size_t j = 0; j < k; j++)
        a->bsum2[j] = LR_AT(b, n, 0, j + 1) / r00;
    return LR_OK;
}

int lr_accum_add(lr_accum *a, size_t nrows, const double *block, size_t ld, const double *w,
                 lr_error *err)
{
    if (nrows == 0)
        return LR_OK;
    if (ld < nrows || nrows > (size_t)INT32_MAX || ld > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: invalid block (%zu rows, ld %zu)",
                            nrows, ld);
    for (size_t j = 0; j < a->k; j++)
        for (size_t i = 0; i < nrows; i++)
            if (!isfinite(block[j * ld + i]))
                return lr_error_set(err, LR_EVALUE, "accumulator: value %g in row %zu, column "
                                    "%zu is not finite", block[j * ld + i], i, j);
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
    if (wb == 0) {
        a->nobs += nb;
        return LR_OK;
    }
    switch (a->kernel) {
    case LR_KERNEL_QR:
        if ((rc = block_factor(a, nrows, block, ld, wb, err)))
            return rc;
        /* R_b: rows 1..brows, columns 1..k of the factored block, ld nrows */
        if ((rc = merge_factor(a, wb, a->bmean, a->bsum2, a->z + nrows + 1, nrows, a->brows,
                               NULL, 0, 0, err)))
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
        return lr_error_set(err, LR_ERANGE, "accumulator: cannot grow from %zu to %zu columns",
                            k, kn);
    /* Everything is allocated first, so a failure leaves a unchanged. */
    karray ka[16];
    double *nv[16] = {NULL};
    size_t n = karrays(a, ka), pn = 0;
    double *pend = NULL;
    if (a->pcap && (lr_mul_overflows(a->pcap, kn, &pn) || !(pend = lr_mem_calloc(pn, sizeof(double)))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        /* lazy arrays: R only if it exists (its new rows and columns 0), RᵀR never */
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
        else if (old && old == a->m2)
            for (size_t j = 0; j < k; j++)
                memcpy(nv[i] + j * kn, old + j * k, k * sizeof(double));
        lr_mem_free(old, ksize(&ka[i], k) * sizeof(double));
        *ka[i].p = nv[i];
    }
    if (pend) {
        memcpy(pend, a->pend, a->pcap * k * sizeof(double));
        lr_mem_free(a->pend, a->pcap * k * sizeof(double));
        a->pend = pend;
    }
    free_rows(a);
    a->k = kn;
    return LR_OK;
}

int lr_accum_merge(lr_accum *dst, const lr_accum *src, lr_error *err)
{
    if (dst->k != src->k)
        return lr_error_set(err, LR_EUSAGE, "accumulator: cannot merge %zu columns into %zu",
                            src->k, dst->k);
    if ((dst->kernel == LR_KERNEL_QR) != (src->kernel == LR_KERNEL_QR))
        return lr_error_set(err, LR_EUSAGE, "accumulator: cannot merge a factor with a Gram "
                            "matrix");
    int rc = LR_OK;
    if (dst->kernel == LR_KERNEL_QR) {
        rc = merge_factor(dst, src->w, src->shift, src->dmean, src->m2, src->k,
                          src->rinit ? src->rrows : 0, src->pend, src->npend, src->pcap, err);
        /* An accumulator that already holds R (B rows or more) keeps no pending
         * rows between merges: the fold's upper levels then hold k² doubles
         * each, not k² + B k. Whether R exists depends on the row counts alone. */
        if (rc == LR_OK && dst->rinit && dst->npend)
            rc = pend_flush(dst, err);
    }
    else
        merge_moments(dst, src->w, src->shift, src->dmean, src->m2, src->k);
    if (rc == LR_OK) {
        dst->nobs += src->nobs;
        dst->sum_log_w += src->sum_log_w;
    }
    return rc;
}

/* a's P := src's P with column j moved to map[j] (PΠ: rows stay rows). */
static int remap_pending(const lr_accum *src, const size_t *map, lr_accum *a, lr_error *err)
{
    int rc;
    if (src->npend == 0)
        return LR_OK;
    if ((rc = pend_reserve(a, src->npend, err)))
        return rc;
    for (size_t j = 0; j < a->k; j++)
        memset(a->pend + j * a->pcap, 0, src->npend * sizeof(double));
    for (size_t j = 0; j < src->k; j++)
        memcpy(a->pend + map[j] * a->pcap, src->pend + j * src->pcap,
               src->npend * sizeof(double));
    a->npend = src->npend;
    return LR_OK;
}

int lr_accum_remap(const lr_accum *src, size_t k, const size_t *map, lr_accum **out,
                   lr_error *err)
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
    } else if ((rc = remap_pending(src, map, a, err))) {
        lr_accum_free(a);
        return rc;
    } else if (!src->rinit) {
        /* no rows folded into R yet: only P carries rows */
    } else if (!(a->m2 = lr_mem_calloc(k * k, sizeof(double)))) {
        lr_accum_free(a);
        return lr_error_nomem(err);
    } else if (identity) {
        memcpy(a->m2, src->m2, k * k * sizeof(double));
        a->rinit = 1;
        a->rrows = src->rrows;
    } else {
        /* R with its columns moved is no longer triangular: re-triangularise,
         * (R P)ᵀ(R P) = Pᵀ M P, the co-moments in the new column order. */
        size_t kk;
        double *b = NULL, *tau = NULL, *work = NULL;
        double wq = 0;
        if (lr_mul_overflows(ks, k, &kk)) {
            lr_accum_free(a);
            return lr_error_set(err, LR_ERANGE, "accumulator: remap too large");
        }
        b = lr_mem_calloc(kk ? kk : 1, sizeof(double));
        tau = lr_mem_calloc(k, sizeof(double));
        if (!b || !tau) {
            rc = lr_error_nomem(err);
            goto qr_done;
        }
        for (size_t j = 0; j < ks; j++)
            for (size_t i = 0; i <= j; i++)
                LR_AT(b, ks, i, map[j]) = LR_AT(src->m2, ks, i, j);
        /* rows of R P beyond src's rrows are zero, and stay so in its QR */
        a->rinit = 1;
        a->rrows = src->rrows;
        lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)ks, (lapack_int)k, b,
                                              (lapack_int)ks, tau, &wq, -1);
        size_t lw = info == 0 && wq >= 1 ? (size_t)wq : k;
        work = lr_mem_alloc(lw * sizeof(double));
        if (!work) {
            rc = lr_error_nomem(err);
            goto qr_done;
        }
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)ks, (lapack_int)k, b,
                                   (lapack_int)ks, tau, work, (lapack_int)lw);
        if (info != 0) {
            rc = lr_error_set(err, LR_ELAPACK, "dgeqrf: argument %d is invalid", (int)-info);
            goto qr_done;
        }
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i <= j && i < ks; i++)
                LR_AT(a->m2, k, i, j) = LR_AT(b, ks, i, j);
        size_t lwsave = lw;
        lr_mem_free(work, lwsave * sizeof(double));
        work = NULL;
    qr_done:
        lr_mem_free(b, (kk ? kk : 1) * sizeof(double));
        lr_mem_free(tau, k * sizeof(double));
        if (rc) {
            lr_accum_free(a);
            return rc;
        }
    }
    *out = a;
    return LR_OK;
}
