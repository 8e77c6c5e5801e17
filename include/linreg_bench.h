/*
 * linreg_bench.h — the benchmark API of liblinreg: what OpenBLAS and LAPACK
 * buy over plain loops on the normal equations (`linreg bench`).
 *
 * Not part of the fitting API (include/linreg.h): a program that only fits
 * models never needs this header. It follows linreg.h's conventions (status
 * codes, lr_error, ownership next to each prototype) and is installed next
 * to it; its functions are exported from the shared library like linreg.h's.
 */
#ifndef LINREG_BENCH_H
#define LINREG_BENCH_H

#include "linreg.h" /* lr_error, lr_method, LR_ERROR_MAX */

/* Everything declared here is exported (see linreg_export.h). */
LR_API_BEGIN

/* ------------------------------------------------------------------------ */
/* Benchmark: the BLAS/LAPACK normal equations against naive loops          */
/* ------------------------------------------------------------------------ */

/*
 * lr_bench_run measures what OpenBLAS and LAPACK buy over plain loops on the
 * normal equations. For each size p of a sweep it builds a tall n × p matrix
 * X of fixed-seed integers in [-8, 8] and y = Xβ* for fixed-seed integers β*
 * in ±{1, 2, 3, 4} (exact in double, so β* is the exact least-squares
 * solution and A = XᵀX, Xᵀy are formed exactly), and times:
 *
 *   kernel                 what runs                                     flops counted
 *   LR_BENCH_GRAM_NAIVE    XᵀX, upper triangle, as p(p+1)/2 dot products  n p (p + 1)
 *                          of contiguous columns (lr_naive_gram)
 *   LR_BENCH_GRAM_DSYRK    XᵀX, upper triangle, cblas_dsyrk               n p (p + 1)
 *   LR_BENCH_GRAM_DGEMM    XᵀX, full, cblas_dgemm: the machine's          2 n p²
 *                          reference rate, measured in the same run
 *   LR_BENCH_INV_GJ        A⁻¹ by Gauss–Jordan with partial pivoting       2 p³
 *                          (the naive baseline, lr_naive_invert)
 *   LR_BENCH_INV_POTRI     A⁻¹ by dpotrf + dpotri                          p³/3 + 2p³/3 = p³
 *   LR_BENCH_INV_GETRI     A⁻¹ by dgetrf + dgetri                          2p³/3 + 4p³/3 = 2p³
 *   LR_BENCH_SOLVE_NAIVE   the whole solve in plain loops: [X y]ᵀ[X y],    n (p+1)(p+2) + 2p³ + 2p²
 *                          Gauss–Jordan, β = A⁻¹Xᵀy
 *   LR_BENCH_SOLVE_LAPACK  the same by dsyrk, dpotrf + dpotri, dsymv       n (p+1)(p+2) + p³ + 2p²
 *
 * A flop is one multiplication or one addition; the factorisations are
 * counted by their leading terms (LAPACK Working Note 41). XᵀX is symmetric,
 * so dsyrk and the naive loops compute one triangle: n p (p + 1) flops,
 * against dgemm's 2 n p² for both. Rates are flops / median time.
 *
 * The naive kernels run in the calling thread; the BLAS/LAPACK kernels run
 * with OpenBLAS's default number of threads (all cores), which the result
 * reports. Times come from clock_gettime(CLOCK_MONOTONIC): one warm-up run,
 * then `repeat` timed runs, of which the median and the spread are reported;
 * a kernel whose warm-up run takes longer than `single_run_seconds` is
 * measured by that one run alone (and flagged).
 *
 * Accuracy is measured next to the speed, for each inverse on two problems
 * with a known exact solution: the one timed (well conditioned, κ₁(A) from
 * about 4 at p = 16 to about 600 at p = 2048), and a collinear one (column 1
 * of X replaced by z₁ + 64 z₀, nearly a multiple of column 0: κ₁(A) ≈ 3·10⁷,
 * and every normal-equation method loses digits accordingly). Both are integer
 * problems whose A and Xᵀy are exact in double, so what is lost is lost by the
 * inversion and the product A⁻¹Xᵀy alone.
 */

/* The kernels timed for each size (see the table above). */
typedef enum lr_bench_kernel {
    LR_BENCH_GRAM_NAIVE = 0,   /* XᵀX by naive dot products, one thread */
    LR_BENCH_GRAM_DSYRK = 1,   /* XᵀX by cblas_dsyrk */
    LR_BENCH_GRAM_DGEMM = 2,   /* XᵀX by cblas_dgemm (full matrix): the reference rate */
    LR_BENCH_INV_GJ = 3,       /* (XᵀX)⁻¹ by Gauss–Jordan, one thread */
    LR_BENCH_INV_POTRI = 4,    /* (XᵀX)⁻¹ by LAPACKE dpotrf + dpotri */
    LR_BENCH_INV_GETRI = 5,    /* (XᵀX)⁻¹ by LAPACKE dgetrf + dgetri */
    LR_BENCH_SOLVE_NAIVE = 6,  /* β = (XᵀX)⁻¹Xᵀy in plain loops, one thread */
    LR_BENCH_SOLVE_LAPACK = 7, /* β by dsyrk, dpotrf + dpotri, dsymv */
    LR_BENCH_NKERNELS = 8      /* number of kernels */
} lr_bench_kernel;

/* The inversions whose accuracy is measured. */
typedef enum lr_bench_inverse {
    LR_BENCH_GAUSS_JORDAN = 0, /* lr_naive_invert: Gauss–Jordan, partial pivoting */
    LR_BENCH_CHOLESKY = 1,     /* dpotrf + dpotri */
    LR_BENCH_LU = 2,           /* dgetrf + dgetri */
    LR_BENCH_NINVERSES = 3     /* number of inversions */
} lr_bench_inverse;

/* The accuracy problems (both with an exact integer solution β*). */
typedef enum lr_bench_problem {
    LR_BENCH_WELL = 0,      /* the timed problem: κ₁(XᵀX) from 4 (p = 16) to 600 (p = 2048) */
    LR_BENCH_COLLINEAR = 1, /* one near-collinear pair of columns: κ₁(XᵀX) ≈ 3·10⁷ */
    LR_BENCH_NPROBLEMS = 2  /* number of problems */
} lr_bench_problem;

/* Called before each stage of a long run (the library never prints): the size
 * and the stage ("X'X naive", ...), or p = n = 0 for the end-to-end fits.
 * `stage` is a static string. */
typedef void (*lr_bench_progress_fn)(void *ud, size_t p, size_t n, const char *stage);

typedef struct lr_bench_options {
    const size_t *sizes;           /* the p of the sweep (each >= 2; borrowed for the call);
                                      NULL: 16, 32, ..., 1024 */
    size_t n_sizes;                /* entries in sizes */
    int sweep;                     /* 1 (default): run the sweep; 0: only the end-to-end fit */
    size_t rows;                   /* n for every size (>= p); 0 (default): n = max(4p, 256) */
    unsigned repeat;               /* timed runs after the warm-up (default 5, at least 1) */
    double single_run_seconds;     /* a warm-up run longer than this is the only run (default 2) */
    uint64_t seed;                 /* seed of the problems (default 1) */
    const char *fit_path;          /* CSV file to fit end to end with --method naive and the
                                      default (lr_fit_options_init's model: the first column on
                                      all the others), or NULL (default); borrowed for the call */
    unsigned fit_repeat;           /* timed fits of each method after a warm-up (default 3) */
    lr_bench_progress_fn progress; /* NULL (default), or called before each stage */
    void *progress_ud;             /* passed to progress */
} lr_bench_options;

/* Fill *opt with the defaults. */
void lr_bench_options_init(lr_bench_options *opt);

/* The measurements of one kernel. */
typedef struct lr_bench_timing {
    double median; /* median time of the timed runs, seconds */
    double min;    /* fastest run, seconds */
    double max;    /* slowest run, seconds */
    double spread; /* (max − min) / median: the run-to-run variation */
    unsigned runs; /* number of timed runs */
    int single;    /* 1: one run only, because the warm-up exceeded single_run_seconds */
    double flops;  /* the operation count (table above); NaN where there is none */
    double gflops; /* flops / median / 10⁹ */
} lr_bench_timing;

/* The accuracy of each inverse on one problem. NaN where an inversion failed
 * (A not numerically positive definite for dpotrf, a zero pivot). */
typedef struct lr_bench_accuracy {
    double cond; /* κ₁(A) = ‖A‖₁ ‖A⁻¹‖₁ estimated by dpocon */
    double residual[LR_BENCH_NINVERSES]; /* ‖I − A·A⁻¹‖₁ (the product formed in double by
                                            dgemm, the same for every inverse) */
    double lre[LR_BENCH_NINVERSES]; /* min over j of the LRE of β_j = (A⁻¹·Xᵀy)_j against
                                       β*_j: −log10(|β_j − β*_j| / |β*_j|), 0..15 */
} lr_bench_accuracy;

/* Everything measured at one size. */
typedef struct lr_bench_size {
    size_t p;                                  /* columns of X */
    size_t n;                                  /* rows of X */
    lr_bench_timing t[LR_BENCH_NKERNELS];      /* indexed by lr_bench_kernel */
    double speedup_gram;                       /* naive XᵀX time / dsyrk time (medians) */
    double speedup_potri;                      /* Gauss–Jordan time / dpotrf + dpotri time */
    double speedup_getri;                      /* Gauss–Jordan time / dgetrf + dgetri time */
    double speedup_solve;                      /* naive solve time / LAPACK solve time */
    double dsyrk_of_dgemm;                     /* dsyrk's GFLOP/s / dgemm's GFLOP/s */
    lr_bench_accuracy acc[LR_BENCH_NPROBLEMS]; /* indexed by lr_bench_problem */
} lr_bench_size;

/* One method of the end-to-end fit. */
typedef struct lr_bench_fit_run {
    lr_method requested;        /* the method asked for (LR_METHOD_NAIVE or LR_METHOD_AUTO) */
    lr_method ran;              /* the method the fit reports it ran */
    int extended_bits;          /* > 0: auto recomputed the fit in this many bits, reading the
                                   file a second time */
    int status;                 /* LR_OK, or why this method refused the data (LR_ESINGULAR) */
    char message[LR_ERROR_MAX]; /* the error message when status != LR_OK */
    lr_bench_timing t;          /* wall time of lr_fit_csv (flops NaN) */
} lr_bench_fit_run;

/* The end-to-end comparison: the same CSV file fitted by lr_fit_csv. */
typedef struct lr_bench_fit {
    char path[1024];        /* the file (truncated if longer) */
    uint64_t n;             /* observations used */
    size_t p;               /* coefficients */
    lr_bench_fit_run naive; /* --method naive */
    lr_bench_fit_run dflt;  /* the default, --method auto */
    double speedup;         /* naive median / default median (NaN if naive refused) */
} lr_bench_fit;

/* The result of lr_bench_run. */
typedef struct lr_bench_result {
    size_t n_sizes;            /* rows of the sweep (0 without one) */
    lr_bench_size *sizes;      /* n_sizes entries, in the order given (owned by the result) */
    int has_fit;               /* 1 if fit holds an end-to-end comparison */
    lr_bench_fit fit;          /* the end-to-end comparison */
    char blas[1024];           /* lr_blas_info(): the BLAS/LAPACK, its core type and threads */
    int blas_threads;          /* OpenBLAS threads used by the BLAS/LAPACK kernels */
    unsigned repeat;           /* the options used */
    unsigned fit_repeat;       /* the options used */
    double single_run_seconds; /* the options used */
    size_t rows;               /* the options used (0: n = max(4p, 256)) */
    uint64_t seed;             /* the options used */
    double seconds;            /* wall time of the whole benchmark */
} lr_bench_result;

/*
 * Run the benchmark. On success *out is a new result the caller frees with
 * lr_bench_result_free. Fails with LR_EUSAGE for invalid options, LR_ERANGE
 * for a size BLAS cannot index, LR_ENOMEM, LR_ESINGULAR if a timed inversion
 * fails, and with lr_fit_csv's error if the default fit of fit_path fails
 * (--method naive refusing the data is a result, not an error). opt may be
 * NULL for the defaults; out must not be NULL and is set to NULL on failure.
 * Takes seconds to minutes (see docs/performance.md for measured times).
 */
int lr_bench_run(const lr_bench_options *opt, lr_bench_result **out, lr_error *err);

/* lr_bench_result_free(NULL) is harmless. */
void lr_bench_result_free(lr_bench_result *r);

/* The operation count of kernel k at n rows and p columns (table above). */
double lr_bench_flops(lr_bench_kernel k, size_t n, size_t p);

/* A short name of kernel k ("gram_naive", "inv_potrf_potri", ...; static); "?" if unknown. */
const char *lr_bench_kernel_name(lr_bench_kernel k);

/* Median, min, max and spread of runs > 0 times seconds[0..runs) (sorted in
 * place), and the rate for `flops` (NaN: no rate). `single` is set to 0. */
void lr_bench_timing_summarize(size_t runs, double *seconds, double flops, lr_bench_timing *out);

/*
 * ‖I − A·B‖₁ (largest column sum of absolute values) for p × p matrices A
 * (ld lda) and B (ld ldb), both full; the product is formed by dgemm.
 * Workspace is allocated and freed. Returns LR_OK, LR_EUSAGE (a leading
 * dimension below p), LR_ENOMEM or LR_ERANGE (p too large for BLAS).
 */
int lr_bench_inverse_residual(size_t p, const double *a, size_t lda, const double *b, size_t ldb,
                              double *resid, lr_error *err);

/* min over j < p of the LRE of est[j] against exact[j] (docs/design.md's
 * definition: −log10(|e − x| / |x|), or −log10|e| when x = 0; capped to
 * [0, 15]; 0 for a NaN estimate). */
double lr_bench_lre(size_t p, const double *est, const double *exact);

LR_API_END

#endif /* LINREG_BENCH_H */
