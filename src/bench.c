/*
 * bench.c — linreg bench: the BLAS/LAPACK normal-equation path against the
 * naive loops, measured honestly.
 *
 * For each size p, one fixed-seed integer problem (X n × p, y = Xβ* exactly)
 * is timed kernel by kernel: XᵀX (naive dot products, dsyrk, and dgemm as the
 * machine's reference rate), (XᵀX)⁻¹ (Gauss–Jordan, dpotrf + dpotri, dgetrf +
 * dgetri) and the whole solve. The naive kernels live in solver_naive.c (the
 * same code --method naive runs) and are compiled with the library's flags;
 * they run in the calling thread, the BLAS/LAPACK kernels on OpenBLAS's
 * default threads. Next to the speed, each inverse's accuracy on problems
 * with a known exact solution. The operation counts are documented in
 * linreg.h (lr_bench_flops) and docs/performance.md.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <lapacke.h>

#include "internal.h"
#include "linreg_bench.h"
#include "solver.h"

/* The default sweep: powers of two from 16 to 1024. */
static const size_t default_sizes[] = {16, 32, 64, 128, 256, 512, 1024};

/* n = max(4p, this) unless the caller fixes n: small p still gets a tall X. */
#define BENCH_MIN_ROWS 256

/* The collinear problem: column 1 of X is z₁ + BENCH_COLLINEAR_M · z₀, nearly
 * a multiple of column 0, so κ(X) ≈ M² (collinearity and column scale) and
 * κ₁(XᵀX) ≈ 3·10⁷ (measured). Every entry stays below 2^10, so XᵀX and Xᵀy remain
 * exact integer sums (below 2^53) for any n the benchmark can allocate. */
#define BENCH_COLLINEAR_M 64.0

/* Upper bounds on the option values, to keep the arithmetic of sizes sane. */
#define BENCH_MAX_REPEAT 10000u

void lr_bench_options_init(lr_bench_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->sizes = NULL;
    opt->n_sizes = 0;
    opt->sweep = 1;
    opt->rows = 0;
    opt->repeat = 5;
    opt->single_run_seconds = 2.0;
    opt->seed = 1;
    opt->fit_path = NULL;
    opt->fit_repeat = 3;
    opt->progress = NULL;
    opt->progress_ud = NULL;
}

double lr_bench_flops(lr_bench_kernel k, size_t n, size_t p)
{
    double dn = (double)n, dp = (double)p, p3 = dp * dp * dp;
    /* [X y]ᵀ[X y], one triangle: (p+1)(p+2)/2 dot products of length n. */
    double gram1 = dn * (dp + 1) * (dp + 2);
    switch (k) {
    case LR_BENCH_GRAM_NAIVE:
    case LR_BENCH_GRAM_DSYRK:
        /* p(p+1)/2 dot products of length n, a multiply and an add per term */
        return dn * dp * (dp + 1);
    case LR_BENCH_GRAM_DGEMM: return 2 * dn * dp * dp; /* 2mnk with m = n' = p, k = n */
    case LR_BENCH_INV_GJ:
        /* p pivot steps, each updating p(p−1) entries by a multiply-add */
        return 2 * p3;
    case LR_BENCH_INV_POTRI:
        return p3 / 3 + 2 * p3 / 3; /* dpotrf + dpotri (dtrtri p³/3, dlauum p³/3) */
    case LR_BENCH_INV_GETRI: return 2 * p3 / 3 + 4 * p3 / 3;        /* dgetrf + dgetri */
    case LR_BENCH_SOLVE_NAIVE: return gram1 + 2 * p3 + 2 * dp * dp; /* + Gauss–Jordan + β = A⁻¹b */
    case LR_BENCH_SOLVE_LAPACK: return gram1 + p3 + 2 * dp * dp; /* + dpotrf/dpotri + dsymv */
    case LR_BENCH_NKERNELS:
    default: return (double)NAN;
    }
}

const char *lr_bench_kernel_name(lr_bench_kernel k)
{
    switch (k) {
    case LR_BENCH_GRAM_NAIVE: return "gram_naive";
    case LR_BENCH_GRAM_DSYRK: return "gram_dsyrk";
    case LR_BENCH_GRAM_DGEMM: return "gram_dgemm";
    case LR_BENCH_INV_GJ: return "inv_gauss_jordan";
    case LR_BENCH_INV_POTRI: return "inv_potrf_potri";
    case LR_BENCH_INV_GETRI: return "inv_getrf_getri";
    case LR_BENCH_SOLVE_NAIVE: return "solve_naive";
    case LR_BENCH_SOLVE_LAPACK: return "solve_lapack";
    case LR_BENCH_NKERNELS:
    default: return "?";
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void lr_bench_timing_summarize(size_t runs, double *seconds, double flops, lr_bench_timing *out)
{
    memset(out, 0, sizeof *out);
    out->flops = flops;
    if (runs == 0) {
        out->median = out->min = out->max = out->spread = out->gflops = (double)NAN;
        return;
    }
    qsort(seconds, runs, sizeof *seconds, cmp_double);
    out->runs = (unsigned)runs;
    out->min = seconds[0];
    out->max = seconds[runs - 1];
    /* The median: robust against the occasional run a shared machine slows down. */
    out->median = runs % 2 ? seconds[runs / 2] : 0.5 * (seconds[runs / 2 - 1] + seconds[runs / 2]);
    out->spread = out->median > 0 ? (out->max - out->min) / out->median : (double)NAN;
    out->gflops = isnan(flops) || !(out->median > 0) ? (double)NAN : flops / out->median * 1e-9;
}

double lr_bench_lre(size_t p, const double *est, const double *exact)
{
    double worst = 15;
    for (size_t j = 0; j < p; j++) {
        double e = est[j], x = exact[j], lre;
        if (isnan(e))
            lre = 0;
        else if (e == x)
            lre = 15;
        else if (x == 0)
            lre = -log10(fabs(e));
        else
            lre = -log10(fabs(e - x) / fabs(x));
        if (!(lre >= 0)) /* also catches an infinite estimate */
            lre = 0;
        if (lre > 15)
            lre = 15;
        if (lre < worst)
            worst = lre;
    }
    return worst;
}

int lr_bench_inverse_residual(size_t p, const double *a, size_t lda, const double *b, size_t ldb,
                              double *resid, lr_error *err)
{
    size_t nn, bytes;
    *resid = 0;
    if (p == 0)
        return LR_OK;
    if (lda < p || ldb < p)
        return lr_error_set(err, LR_EUSAGE, "inverse residual: leading dimension below %zu", p);
    if (p > (size_t)INT_MAX || lda > (size_t)INT_MAX || ldb > (size_t)INT_MAX ||
        lr_mul_overflows(p, p, &nn) || lr_mul_overflows(nn, sizeof(double), &bytes))
        return lr_error_set(err, LR_ERANGE, "inverse residual: %zu is too large for BLAS", p);
    double *r = lr_mem_alloc(bytes);
    if (!r)
        return lr_error_nomem(err);
    memset(r, 0, bytes);
    for (size_t i = 0; i < p; i++)
        LR_AT(r, p, i, i) = 1;
    int pi = (int)p;
    /* R = I − A·B, the product rounded in double as any caller would form it. */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, pi, pi, pi, -1.0, a, (int)lda, b,
                (int)ldb, 1.0, r, pi);
    double norm = 0;
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t i = 0; i < p; i++)
            s += fabs(LR_AT(r, p, i, j));
        if (s > norm || isnan(s))
            norm = s;
    }
    lr_mem_free(r, bytes);
    *resid = norm;
    return LR_OK;
}

/* ---- timing ---- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the workspace of one size ---- */

typedef struct bench_ws {
    size_t n;                        /* rows of X */
    size_t p;                        /* columns of X */
    double *x;                       /* n × (p+1), ld n: X, then y = Xβ* in column p */
    double *beta_star;               /* p: the exact solution */
    double *a;                       /* p × p, ld p: A = XᵀX, full, exact */
    double *b;                       /* p: Xᵀy, exact */
    double *g;                       /* (p+1) × (p+1): output of the XᵀX and solve kernels */
    double *inv[LR_BENCH_NINVERSES]; /* p × p, ld p: each inversion's output */
    int inv_ok[LR_BENCH_NINVERSES];  /* 1 if inv[i] holds a computed inverse */
    double *beta;                    /* p: β of a solve */
    size_t *perm;                    /* p: Gauss–Jordan's pivots */
    lapack_int *ipiv;                /* p: dgetrf's pivots */
    lapack_int *iwork;               /* p: dpocon */
    double *work;                    /* lwork doubles: dgetri, dpocon, dlansy, Gauss–Jordan */
    size_t lwork;                    /* its length */
    double *times;                   /* repeat entries: the timed runs of one kernel */
    size_t ntimes;                   /* its length */
    size_t xbytes;                   /* bytes of x */
    size_t pbytes;                   /* bytes of a p × p matrix */
    size_t gbytes;                   /* bytes of g */
} bench_ws;

static void ws_free(bench_ws *w)
{
    lr_mem_free(w->x, w->xbytes);
    lr_mem_free(w->beta_star, w->p * sizeof(double));
    lr_mem_free(w->a, w->pbytes);
    lr_mem_free(w->b, w->p * sizeof(double));
    lr_mem_free(w->g, w->gbytes);
    for (int i = 0; i < LR_BENCH_NINVERSES; i++)
        lr_mem_free(w->inv[i], w->pbytes);
    lr_mem_free(w->beta, w->p * sizeof(double));
    lr_mem_free(w->perm, w->p * sizeof(size_t));
    lr_mem_free(w->ipiv, w->p * sizeof(lapack_int));
    lr_mem_free(w->iwork, w->p * sizeof(lapack_int));
    lr_mem_free(w->work, w->lwork * sizeof(double));
    lr_mem_free(w->times, w->ntimes * sizeof(double));
    memset(w, 0, sizeof *w);
}

/* Sizes were checked by check_size: n·(p+1) and (p+1)² doubles fit size_t and int. */
static int ws_alloc(bench_ws *w, size_t n, size_t p, size_t ntimes, lr_error *err)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->p = p;
    w->xbytes = n * (p + 1) * sizeof(double);
    w->pbytes = p * p * sizeof(double);
    w->gbytes = (p + 1) * (p + 1) * sizeof(double);
    w->ntimes = ntimes;
    w->x = lr_mem_alloc(w->xbytes);
    w->beta_star = lr_mem_alloc(p * sizeof(double));
    w->a = lr_mem_alloc(w->pbytes);
    w->b = lr_mem_alloc(p * sizeof(double));
    w->g = lr_mem_alloc(w->gbytes);
    for (int i = 0; i < LR_BENCH_NINVERSES; i++)
        w->inv[i] = lr_mem_alloc(w->pbytes);
    w->beta = lr_mem_alloc(p * sizeof(double));
    w->perm = lr_mem_alloc(p * sizeof(size_t));
    w->ipiv = lr_mem_alloc(p * sizeof(lapack_int));
    w->iwork = lr_mem_alloc(p * sizeof(lapack_int));
    w->times = lr_mem_alloc(ntimes * sizeof(double));
    int ok = w->x && w->beta_star && w->a && w->b && w->g && w->beta && w->perm && w->ipiv &&
             w->iwork && w->times;
    for (int i = 0; i < LR_BENCH_NINVERSES; i++)
        ok = ok && w->inv[i];
    if (!ok) {
        ws_free(w);
        return lr_error_nomem(err);
    }
    /* dgetri's workspace, asked for once; dpocon needs 3p, Gauss–Jordan p. */
    double q = 0;
    lapack_int pi = (lapack_int)p;
    lapack_int info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, pi, w->inv[0], pi, w->ipiv, &q, -1);
    if (info != 0) {
        ws_free(w);
        return lr_error_set(err, LR_ELAPACK, "dgetri: argument %d is invalid", (int)-info);
    }
    size_t lw = q > 0 && q < 1e15 ? (size_t)q : 0;
    if (lw < 3 * p)
        lw = 3 * p;
    w->work = lr_mem_alloc(lw * sizeof(double));
    if (!w->work) {
        ws_free(w);
        return lr_error_nomem(err);
    }
    w->lwork = lw;
    return LR_OK;
}

/* ---- the problems ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* An integer in [-8, 8] (the modulo bias, 2^-60, does not matter here). */
static double small_int(uint64_t *s)
{
    return (double)(int)(splitmix64(s) % 17u) - 8.0;
}

/*
 * X with fixed-seed integer entries in [-8, 8] (for the collinear problem
 * column 1 becomes z₁ + 64 z₀), β* with entries ±1..±4, y = Xβ* in column
 * p of x. Every value is an integer below 2^53 in magnitude, so y is exact and
 * β* is the exact least-squares solution; A = XᵀX and b = Xᵀy (formed here by
 * dsyrk and dgemv, any summation order) are exact too.
 */
static void make_problem(bench_ws *w, lr_bench_problem prob, uint64_t seed)
{
    size_t n = w->n, p = w->p;
    uint64_t s = seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(p + 1)) ^ (uint64_t)prob;
    double *x = w->x;
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < n; i++)
            LR_AT(x, n, i, j) = small_int(&s);
    if (prob == LR_BENCH_COLLINEAR && p >= 2)
        for (size_t i = 0; i < n; i++)
            LR_AT(x, n, i, 1) += BENCH_COLLINEAR_M * LR_AT(x, n, i, 0);
    for (size_t j = 0; j < p; j++) {
        uint64_t r = splitmix64(&s);
        w->beta_star[j] = (double)(1 + (int)(r % 4u)) * ((r >> 8) & 1u ? -1.0 : 1.0);
    }
    double *y = x + p * n;
    for (size_t i = 0; i < n; i++)
        y[i] = 0;
    for (size_t j = 0; j < p; j++) {
        const double *xj = x + j * n;
        double bj = w->beta_star[j];
        for (size_t i = 0; i < n; i++)
            y[i] += xj[i] * bj;
    }
    int ni = (int)n, pi = (int)p;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, pi, ni, 1.0, x, ni, 0.0, w->a, pi);
    for (size_t j = 0; j < p; j++)
        for (size_t i = j + 1; i < p; i++)
            LR_AT(w->a, p, i, j) = LR_AT(w->a, p, j, i);
    cblas_dgemv(CblasColMajor, CblasTrans, ni, pi, 1.0, x, ni, y, 1, 0.0, w->b, 1);
}

/* ---- the kernels ---- */

/* Copy the input a kernel overwrites (outside the timed region). */
static void prepare(bench_ws *w, lr_bench_kernel k)
{
    switch (k) {
    case LR_BENCH_INV_GJ: memcpy(w->inv[LR_BENCH_GAUSS_JORDAN], w->a, w->pbytes); break;
    case LR_BENCH_INV_POTRI: memcpy(w->inv[LR_BENCH_CHOLESKY], w->a, w->pbytes); break;
    case LR_BENCH_INV_GETRI: memcpy(w->inv[LR_BENCH_LU], w->a, w->pbytes); break;
    default: break;
    }
}

static int lapack_fail(lr_error *err, const char *what, lapack_int info, size_t p)
{
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "%s: argument %d is invalid", what, (int)-info);
    return lr_error_set(err, LR_ESINGULAR,
                        "%s: the %zu x %zu benchmark matrix is singular at column %d", what, p, p,
                        (int)info);
}

/* Cholesky inverse of the p × p upper triangle of a (ld lda), in place. */
static int inv_potri(size_t p, double *a, size_t lda, lr_error *err)
{
    lapack_int pi = (lapack_int)p, ld = (lapack_int)lda;
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', pi, a, ld);
    if (info != 0)
        return lapack_fail(err, "dpotrf", info, p);
    info = LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', pi, a, ld);
    if (info != 0)
        return lapack_fail(err, "dpotri", info, p);
    return LR_OK;
}

static int run_kernel(bench_ws *w, lr_bench_kernel k, lr_error *err)
{
    size_t n = w->n, p = w->p, p1 = p + 1;
    int ni = (int)n, pi = (int)p, p1i = (int)p1;
    switch (k) {
    case LR_BENCH_GRAM_NAIVE: lr_naive_gram(n, p, w->x, n, w->g, p); return LR_OK;
    case LR_BENCH_GRAM_DSYRK:
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, pi, ni, 1.0, w->x, ni, 0.0, w->g, pi);
        return LR_OK;
    case LR_BENCH_GRAM_DGEMM:
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, pi, pi, ni, 1.0, w->x, ni, w->x, ni,
                    0.0, w->g, pi);
        return LR_OK;
    case LR_BENCH_INV_GJ: {
        size_t bad = lr_naive_invert(p, w->inv[LR_BENCH_GAUSS_JORDAN], p, 0.0, w->perm, w->work);
        if (bad)
            return lr_error_set(err, LR_ESINGULAR,
                                "Gauss-Jordan: the %zu x %zu benchmark matrix has no pivot in "
                                "column %zu",
                                p, p, bad);
        return LR_OK;
    }
    case LR_BENCH_INV_POTRI: return inv_potri(p, w->inv[LR_BENCH_CHOLESKY], p, err);
    case LR_BENCH_INV_GETRI: {
        double *a = w->inv[LR_BENCH_LU];
        lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, pi, pi, a, pi, w->ipiv);
        if (info != 0)
            return lapack_fail(err, "dgetrf", info, p);
        info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, pi, a, pi, w->ipiv, w->work,
                                   (lapack_int)w->lwork);
        if (info != 0)
            return lapack_fail(err, "dgetri", info, p);
        return LR_OK;
    }
    case LR_BENCH_SOLVE_NAIVE: {
        /* G = [X y]ᵀ[X y] (upper), A = G[0:p, 0:p] made full for Gauss–Jordan,
         * b = G[0:p, p]; β = A⁻¹b. Everything in place in G. */
        double *g = w->g;
        lr_naive_gram(n, p1, w->x, n, g, p1);
        for (size_t j = 0; j < p; j++)
            for (size_t i = j + 1; i < p; i++)
                LR_AT(g, p1, i, j) = LR_AT(g, p1, j, i);
        size_t bad = lr_naive_invert(p, g, p1, 0.0, w->perm, w->work);
        if (bad)
            return lr_error_set(err, LR_ESINGULAR,
                                "Gauss-Jordan: the %zu x %zu benchmark matrix has no pivot in "
                                "column %zu",
                                p, p, bad);
        lr_naive_matvec(p, g, p1, g + p * p1, w->beta);
        return LR_OK;
    }
    case LR_BENCH_SOLVE_LAPACK: {
        double *g = w->g;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, p1i, ni, 1.0, w->x, ni, 0.0, g, p1i);
        int rc = inv_potri(p, g, p1, err);
        if (rc)
            return rc;
        cblas_dsymv(CblasColMajor, CblasUpper, pi, 1.0, g, p1i, g + p * p1, 1, 0.0, w->beta, 1);
        return LR_OK;
    }
    case LR_BENCH_NKERNELS:
    default: return lr_error_set(err, LR_EUSAGE, "unknown benchmark kernel %d", (int)k);
    }
}

/*
 * One warm-up run, then `repeat` timed runs; or, when the warm-up took longer
 * than single_run_seconds, that run alone (a multi-second run gains nothing
 * from a warm-up, and repeating it would make the sweep take minutes).
 */
static int measure(bench_ws *w, lr_bench_kernel k, const lr_bench_options *opt, lr_bench_timing *t,
                   lr_error *err)
{
    prepare(w, k);
    double t0 = now_seconds();
    int rc = run_kernel(w, k, err);
    double warm = now_seconds() - t0;
    if (rc)
        return rc;
    size_t runs = opt->repeat;
    int single = 0;
    if (warm > opt->single_run_seconds) {
        w->times[0] = warm;
        runs = 1;
        single = 1;
    } else {
        for (size_t r = 0; r < runs; r++) {
            prepare(w, k);
            t0 = now_seconds();
            rc = run_kernel(w, k, err);
            w->times[r] = now_seconds() - t0;
            if (rc)
                return rc;
        }
    }
    lr_bench_timing_summarize(runs, w->times, lr_bench_flops(k, w->n, w->p), t);
    t->single = single;
    return LR_OK;
}

/* ---- accuracy ---- */

/* Upper triangle of a p × p matrix (ld p) copied to the lower one. */
static void symmetrize(size_t p, double *a)
{
    for (size_t j = 0; j < p; j++)
        for (size_t i = j + 1; i < p; i++)
            LR_AT(a, p, i, j) = LR_AT(a, p, j, i);
}

/* κ₁(A) estimated by dpocon from a Cholesky factor (in g); NaN if A is not
 * numerically positive definite. */
static double cond_estimate(bench_ws *w)
{
    size_t p = w->p;
    lapack_int pi = (lapack_int)p;
    memcpy(w->g, w->a, w->pbytes);
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', pi, w->g, pi) != 0)
        return (double)NAN;
    double anorm = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, '1', 'U', pi, w->a, pi, w->work);
    double rcond = 0;
    if (LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', pi, w->g, pi, anorm, &rcond, w->work,
                            w->iwork) != 0 ||
        !(rcond > 0))
        return (double)NAN;
    return 1 / rcond;
}

/*
 * The residual and the coefficients' LRE of every inverse in w->inv (those
 * with inv_ok set), for the problem in w. β = A⁻¹b is formed as each path
 * forms it: a plain matrix–vector loop after Gauss–Jordan, dsymv after
 * dpotri, dgemv after dgetri.
 */
static int accuracy(bench_ws *w, lr_bench_accuracy *acc, lr_error *err)
{
    size_t p = w->p;
    int pi = (int)p;
    acc->cond = cond_estimate(w);
    for (int i = 0; i < LR_BENCH_NINVERSES; i++) {
        acc->residual[i] = (double)NAN;
        acc->lre[i] = (double)NAN;
        if (!w->inv_ok[i])
            continue;
        double *inv = w->inv[i];
        if (i == LR_BENCH_CHOLESKY)
            symmetrize(p, inv); /* dpotri leaves the strict lower triangle alone */
        int rc = lr_bench_inverse_residual(p, w->a, p, inv, p, &acc->residual[i], err);
        if (rc)
            return rc;
        switch (i) {
        case LR_BENCH_GAUSS_JORDAN: lr_naive_matvec(p, inv, p, w->b, w->beta); break;
        case LR_BENCH_CHOLESKY:
            cblas_dsymv(CblasColMajor, CblasUpper, pi, 1.0, inv, pi, w->b, 1, 0.0, w->beta, 1);
            break;
        default:
            cblas_dgemv(CblasColMajor, CblasNoTrans, pi, pi, 1.0, inv, pi, w->b, 1, 0.0, w->beta,
                        1);
            break;
        }
        acc->lre[i] = lr_bench_lre(p, w->beta, w->beta_star);
    }
    return LR_OK;
}

/* ---- one size ---- */

static void progress(const lr_bench_options *opt, size_t p, size_t n, const char *stage)
{
    if (opt->progress)
        opt->progress(opt->progress_ud, p, n, stage);
}

static int bench_size(const lr_bench_options *opt, size_t p, size_t n, lr_bench_size *row,
                      lr_error *err)
{
    bench_ws w;
    int rc = ws_alloc(&w, n, p, opt->repeat, err);
    if (rc)
        return rc;
    row->p = p;
    row->n = n;
    make_problem(&w, LR_BENCH_WELL, opt->seed);

    static const struct {
        lr_bench_kernel k; /* the kernel */
        const char *stage; /* what the progress callback is told */
    } order[] = {
        {LR_BENCH_GRAM_NAIVE, "X'X naive"},
        {LR_BENCH_GRAM_DSYRK, "X'X dsyrk"},
        {LR_BENCH_GRAM_DGEMM, "X'X dgemm"},
        {LR_BENCH_INV_GJ, "inverse Gauss-Jordan"},
        {LR_BENCH_INV_POTRI, "inverse dpotrf+dpotri"},
        {LR_BENCH_INV_GETRI, "inverse dgetrf+dgetri"},
        {LR_BENCH_SOLVE_NAIVE, "solve naive"},
        {LR_BENCH_SOLVE_LAPACK, "solve BLAS/LAPACK"},
    };
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        progress(opt, p, n, order[i].stage);
        rc = measure(&w, order[i].k, opt, &row->t[order[i].k], err);
        if (rc)
            goto done;
    }
    const lr_bench_timing *t = row->t;
    row->speedup_gram = t[LR_BENCH_GRAM_NAIVE].median / t[LR_BENCH_GRAM_DSYRK].median;
    row->speedup_potri = t[LR_BENCH_INV_GJ].median / t[LR_BENCH_INV_POTRI].median;
    row->speedup_getri = t[LR_BENCH_INV_GJ].median / t[LR_BENCH_INV_GETRI].median;
    row->speedup_solve = t[LR_BENCH_SOLVE_NAIVE].median / t[LR_BENCH_SOLVE_LAPACK].median;
    row->dsyrk_of_dgemm = t[LR_BENCH_GRAM_DSYRK].gflops / t[LR_BENCH_GRAM_DGEMM].gflops;

    /* Accuracy of the well-conditioned problem: the inverses of the last timed runs. */
    progress(opt, p, n, "accuracy");
    for (int i = 0; i < LR_BENCH_NINVERSES; i++)
        w.inv_ok[i] = 1;
    rc = accuracy(&w, &row->acc[LR_BENCH_WELL], err);
    if (rc)
        goto done;

    /* The collinear problem: the same inversions once each, untimed; a failure
     * (dpotrf finding A indefinite in rounding) is a result, not an error. */
    make_problem(&w, LR_BENCH_COLLINEAR, opt->seed);
    static const lr_bench_kernel inv_kernel[LR_BENCH_NINVERSES] = {
        LR_BENCH_INV_GJ, LR_BENCH_INV_POTRI, LR_BENCH_INV_GETRI};
    for (int i = 0; i < LR_BENCH_NINVERSES; i++) {
        lr_error ignored;
        prepare(&w, inv_kernel[i]);
        rc = run_kernel(&w, inv_kernel[i], &ignored);
        if (rc == LR_ELAPACK) {
            *err = ignored;
            goto done;
        }
        w.inv_ok[i] = rc == LR_OK;
    }
    rc = accuracy(&w, &row->acc[LR_BENCH_COLLINEAR], err);
done:
    ws_free(&w);
    return rc;
}

/* ---- the end-to-end fit ---- */

static int fit_once(const char *path, lr_method m, lr_bench_fit_run *run, lr_bench_fit *f,
                    double *seconds, lr_error *err)
{
    lr_fit_options fo;
    lr_fit_options_init(&fo);
    fo.method = m;
    lr_fit *fit = NULL;
    double t0 = now_seconds();
    int rc = lr_fit_csv(path, &fo, &fit, err);
    *seconds = now_seconds() - t0;
    if (rc == LR_OK) {
        const lr_summary *s = lr_fit_summary(fit);
        run->ran = s->method;
        run->extended_bits = s->extended_bits;
        f->n = s->n;
        f->p = s->n_coef;
    }
    lr_fit_free(fit);
    return rc;
}

/* Time lr_fit_csv on the file with `m`: a warm-up fit (which also brings the
 * file into the page cache), then fit_repeat timed fits. */
static int fit_method(const lr_bench_options *opt, lr_method m, lr_bench_fit_run *run,
                      lr_bench_fit *f, double *times, lr_error *err)
{
    memset(run, 0, sizeof *run);
    run->requested = m;
    run->ran = m;
    progress(opt, 0, 0, m == LR_METHOD_NAIVE ? "fit --method naive" : "fit (default method)");
    double warm;
    int rc = fit_once(opt->fit_path, m, run, f, &warm, err);
    if (rc) {
        run->status = rc;
        memcpy(run->message, err->message, sizeof run->message);
        lr_bench_timing_summarize(0, times, (double)NAN, &run->t);
        return rc;
    }
    size_t runs = opt->fit_repeat;
    int single = 0;
    if (warm > opt->single_run_seconds) {
        times[0] = warm;
        runs = 1;
        single = 1;
    } else {
        for (size_t r = 0; r < runs; r++) {
            rc = fit_once(opt->fit_path, m, run, f, &times[r], err);
            if (rc)
                return rc;
        }
    }
    lr_bench_timing_summarize(runs, times, (double)NAN, &run->t);
    run->t.single = single;
    return LR_OK;
}

static int bench_fit(const lr_bench_options *opt, lr_bench_fit *f, lr_error *err)
{
    size_t bytes = opt->fit_repeat * sizeof(double);
    double *times = lr_mem_alloc(bytes);
    if (!times)
        return lr_error_nomem(err);
    snprintf(f->path, sizeof f->path, "%s", opt->fit_path);
    /* The default first: if it cannot fit the file, the file is the problem. */
    int rc = fit_method(opt, LR_METHOD_AUTO, &f->dflt, f, times, err);
    if (rc == LR_OK) {
        lr_error naive_err;
        int nrc = fit_method(opt, LR_METHOD_NAIVE, &f->naive, f, times, &naive_err);
        /* The naive method refusing ill-conditioned data is a result; anything
         * else (out of memory, the file changing under us) is an error. */
        if (nrc != LR_OK && nrc != LR_ESINGULAR && nrc != LR_EDATA) {
            *err = naive_err;
            rc = nrc;
        }
    }
    f->speedup = f->naive.status == LR_OK ? f->naive.t.median / f->dflt.t.median : (double)NAN;
    lr_mem_free(times, bytes);
    return rc;
}

/* ---- the whole run ---- */

/* n for size p, and a check that BLAS (int indices) and size_t can hold the problem. */
static int check_size(const lr_bench_options *opt, size_t p, size_t *n_out, lr_error *err)
{
    if (p < 2)
        return lr_error_set(err, LR_EUSAGE, "benchmark size %zu: p must be at least 2", p);
    size_t n = opt->rows;
    if (n == 0)
        n = p > SIZE_MAX / 4 ? SIZE_MAX : (4 * p > BENCH_MIN_ROWS ? 4 * p : BENCH_MIN_ROWS);
    else if (n < p)
        return lr_error_set(err, LR_EUSAGE,
                            "benchmark size %zu: %zu rows are fewer than the columns", p, n);
    size_t cells, bytes;
    if (n > (size_t)INT_MAX || p >= (size_t)INT_MAX || lr_mul_overflows(n, p + 1, &cells) ||
        lr_mul_overflows(cells, sizeof(double), &bytes) ||
        lr_mul_overflows((p + 1) * sizeof(double), p + 1, &bytes))
        return lr_error_set(err, LR_ERANGE,
                            "benchmark size %zu with %zu rows is too large for BLAS", p, n);
    *n_out = n;
    return LR_OK;
}

int lr_bench_run(const lr_bench_options *opt_in, lr_bench_result **out, lr_error *err)
{
    lr_bench_options opt;
    if (opt_in)
        opt = *opt_in;
    else
        lr_bench_options_init(&opt);
    lr_error_clear(err);
    *out = NULL;

    if (opt.repeat < 1 || opt.repeat > BENCH_MAX_REPEAT)
        return lr_error_set(err, LR_EUSAGE, "repeat must be between 1 and %u, not %u",
                            BENCH_MAX_REPEAT, opt.repeat);
    if (opt.fit_repeat < 1 || opt.fit_repeat > BENCH_MAX_REPEAT)
        return lr_error_set(err, LR_EUSAGE, "fit_repeat must be between 1 and %u, not %u",
                            BENCH_MAX_REPEAT, opt.fit_repeat);
    if (!(opt.single_run_seconds > 0))
        return lr_error_set(err, LR_EUSAGE, "single_run_seconds must be positive");
    if (!opt.sweep && !opt.fit_path)
        return lr_error_set(err, LR_EUSAGE, "nothing to benchmark: no sweep and no file to fit");
    const size_t *sizes = opt.sizes;
    size_t n_sizes = opt.n_sizes;
    if (!sizes) {
        sizes = default_sizes;
        n_sizes = sizeof default_sizes / sizeof *default_sizes;
    }
    if (!opt.sweep)
        n_sizes = 0;
    if (opt.sweep && n_sizes == 0)
        return lr_error_set(err, LR_EUSAGE, "the size sweep is empty");
    for (size_t i = 0; i < n_sizes; i++) {
        size_t n;
        int rc = check_size(&opt, sizes[i], &n, err);
        if (rc)
            return rc;
    }

    lr_bench_result *r = lr_mem_calloc(1, sizeof *r);
    if (!r)
        return lr_error_nomem(err);
    r->sizes = n_sizes ? lr_mem_calloc(n_sizes, sizeof *r->sizes) : NULL;
    if (n_sizes && !r->sizes) {
        lr_mem_free(r, sizeof *r);
        return lr_error_nomem(err);
    }
    r->n_sizes = n_sizes;
    r->repeat = opt.repeat;
    r->fit_repeat = opt.fit_repeat;
    r->single_run_seconds = opt.single_run_seconds;
    r->rows = opt.rows;
    r->seed = opt.seed;
    lr_blas_info(r->blas, sizeof r->blas);
    r->blas_threads = openblas_get_num_threads();

    double t0 = now_seconds();
    int rc = LR_OK;
    for (size_t i = 0; i < n_sizes && rc == LR_OK; i++) {
        size_t n = 0;
        rc = check_size(&opt, sizes[i], &n, err);
        if (rc == LR_OK)
            rc = bench_size(&opt, sizes[i], n, &r->sizes[i], err);
    }
    if (rc == LR_OK && opt.fit_path) {
        r->has_fit = 1;
        rc = bench_fit(&opt, &r->fit, err);
    }
    r->seconds = now_seconds() - t0;
    if (rc != LR_OK) {
        lr_bench_result_free(r);
        return rc;
    }
    *out = r;
    return LR_OK;
}

void lr_bench_result_free(lr_bench_result *r)
{
    if (!r)
        return;
    lr_mem_free(r->sizes, r->n_sizes * sizeof *r->sizes);
    lr_mem_free(r, sizeof *r);
}
