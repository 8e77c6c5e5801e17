/*
 * linreg.h — the public API of liblinreg: everything but the benchmark
 * (linreg_bench.h). The CSV reader and the number grammar are declared in
 * linreg_csv.h, which this header includes.
 *
 * liblinreg fits linear least-squares models from CSV files (or from blocks of
 * rows a caller supplies) in one streaming pass and bounded memory, and
 * computes the statistics R's summary(lm(...)) reports.
 *
 * Conventions (docs/design.md):
 *   - Every exported name starts with lr_ and reads lr_<object>_<verb>.
 *   - Every fallible function returns an int status (LR_OK == 0 or an
 *     lr_status value) and fills a caller-owned lr_error whose message says
 *     where: "data.csv:12:7: column 'x2': expected a number, got \"n/a\"".
 *   - Stateful objects are opaque; their _free(NULL) is harmless.
 *   - Matrices are column-major double arrays with an explicit leading
 *     dimension (ld >= number of rows).
 *   - The library never prints, never exits and never aborts.
 *   - Ownership is stated next to every prototype.
 *
 * Thread safety: distinct objects may be used from distinct threads at the
 * same time; one object is used by one thread at a time. The library keeps no
 * global state of its own besides the allocator, but changes process-wide
 * state of two of its dependencies; these are every such effect:
 *   - The allocator (lr_set_allocator) is process-global: install it before
 *     any other lr_ call, never while one runs.
 *   - OpenBLAS's thread count: a fit (lr_fit_csv, lr_fit_accum) and its
 *     second passes (diagnostics, HC covariances) set it to 1 with
 *     openblas_set_num_threads for their BLAS calls, so that results do not
 *     depend on it, and set it back to the value they found before they
 *     return. Under a memory limit (RLIMIT_AS or RLIMIT_DATA) the restored
 *     count is lowered to the threads there is room for. Fits running at the
 *     same time in several threads interleave these save/restore pairs and
 *     may leave the count at 1. An application that relies on OpenBLAS's
 *     count sets it (openblas_set_num_threads) after its fits, or fits from
 *     one thread; OPENBLAS_NUM_THREADS=1 in the environment makes every
 *     change a no-op. lr_bench_run (linreg_bench.h) times the BLAS kernels
 *     with the count it finds (its end-to-end fits change it as above).
 *   - GSL's error handler: computing a p-value or a quantile (every fit,
 *     lr_fit_test, lr_predict_csv) calls gsl_set_error_handler_off(), for
 *     the whole process and for good,
 *     because GSL's default handler aborts. linreg checks GSL's results
 *     itself. An application that wants its own handler installs it again
 *     (gsl_set_error_handler) after its linreg calls; it is then also called
 *     for a GSL error inside linreg, which must not abort.
 * Nothing else is touched: no signal handler, locale, environment variable,
 * umask or working directory is changed, and MPFR/GMP's, zlib's and
 * jansson's allocation hooks are left as they are.
 *
 * Extending the API (how the option structs grow):
 *   - lr_fit_options and lr_bench_options are filled by their _init function
 *     (lr_fit_options_init, lr_bench_options_init) and then changed field by
 *     field by name; that is the only supported way to make one. A field is
 *     only ever added, and its default (what _init sets) keeps the behaviour
 *     of the versions without it, so such code keeps compiling and meaning
 *     the same.
 *   - lr_csv_options has no _init: every field's zero value is its default,
 *     now and for any field added, so `lr_csv_options o = {0}` (or NULL for
 *     the defaults) is the way to make one; fields are only appended.
 *   - Structs the library fills and hands out by pointer (lr_summary,
 *     lr_coef, ...) may gain fields at their end.
 *   - A struct the caller allocates (the options, lr_error, lr_hypothesis,
 *     lr_vif_row, ...) that changes size is an ABI change: the shared
 *     library's SONAME (liblinreg.so.LR_VERSION_MAJOR) changes with it, so
 *     a program is never run against a library that reads past its structs.
 */
#ifndef LINREG_H
#define LINREG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "linreg_export.h"  /* LR_API_BEGIN, LR_API_END */
#include "linreg_version.h" /* LR_VERSION_MAJOR, _MINOR, _PATCH, _STRING */

/* Everything this header declares is the library's API and is exported from
 * the shared library; the library is compiled with hidden visibility, so
 * nothing else is. */
LR_API_BEGIN

/* ------------------------------------------------------------------------ */
/* Status codes and errors                                                  */
/* ------------------------------------------------------------------------ */

typedef enum lr_status {
    LR_OK = 0,        /* success */
    LR_EIO = 1,       /* a file cannot be opened or read */
    LR_EPARSE = 2,    /* malformed CSV: ragged row, stray or unterminated quote */
    LR_EVALUE = 3,    /* a cell is not a valid number, or overflows a double */
    LR_EMISSING = 4,  /* a missing value where missing values are an error */
    LR_EDATA = 5,     /* data unusable for the model: no rows, too few rows, text column */
    LR_ESINGULAR = 6, /* XᵀX is singular to working precision */
    LR_EUSAGE = 7,    /* invalid argument: unknown column, bad option value */
    LR_ENOMEM = 8,    /* an allocation failed */
    LR_ELAPACK = 9,   /* LAPACK reported an argument error (a bug in linreg) */
    LR_ERANGE = 10    /* a size does not fit the integer type LAPACK/BLAS uses */
} lr_status;

/* Largest message an lr_error holds, including the terminating NUL. */
#define LR_ERROR_MAX 1024

/*
 * Filled by a failing call. `message` is complete and self-contained; it
 * starts with the place ("FILE:LINE:COL: " for a place in the data,
 * "FILE: " for a file as a whole) when there is one. `line` and `col` repeat
 * the position (1-based; 0 when the error has no position).
 */
typedef struct lr_error {
    int code;                   /* an lr_status value; LR_OK if no error */
    uint64_t line;              /* physical line of the data, 0 if none */
    uint64_t col;               /* 1-based byte column of the field, 0 if none */
    char message[LR_ERROR_MAX]; /* NUL-terminated, never empty on failure */
} lr_error;

/* A static, human-readable name for a status code ("out of memory", ...). */
const char *lr_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * One replaceable allocator, used for every allocation liblinreg makes
 * (excepted: the internal buffers of OpenBLAS, MPFR/GMP, zlib, and jansson's
 * for model files, whose allocation hooks are process-global). realloc semantics with an explicit
 * old size: fn(ud, NULL, 0, n) allocates, fn(ud, p, old, 0) frees and returns
 * NULL, otherwise resizes. Returning NULL for n > 0 means out of memory; the
 * library then fails with LR_ENOMEM and frees what it holds. A fit with more
 * than one thread calls fn from its worker threads at the same time: fn must
 * be thread-safe then.
 */
typedef void *(*lr_alloc_fn)(void *ud, void *ptr, size_t old_size, size_t new_size);

/* Install fn (NULL restores the default, built on realloc/free). Not
 * thread-safe: call before any other lr_ function. */
void lr_set_allocator(lr_alloc_fn fn, void *ud);

/* ------------------------------------------------------------------------ */
/* CSV reader and numbers: include/linreg_csv.h                             */
/* ------------------------------------------------------------------------ */

/* lr_csv_open, lr_csv_next, ... (a pull-style reader handing out borrowed
 * fields) and lr_parse_cell (a cell's kind and value, as strtod). */
#include "linreg_csv.h"

/* ------------------------------------------------------------------------ */
/* Accumulator: the normal-equation statistics of a stream of rows          */
/* ------------------------------------------------------------------------ */

/*
 * An accumulator holds, for k columns (column 0 is the response, columns
 * 1..k-1 the model-matrix columns other than the intercept), the O(k²)
 * statistics a least-squares fit needs: the sum of weights W, the number of
 * rows with nonzero weight, the weighted column means μ and the centred
 * cross-product matrix M = Σ w (x - μ)(x - μ)ᵀ.
 *
 * Each block of rows is centred by its own mean before its cross products
 * are formed (cblas_dsyrk), so a column like 1e9 + noise does not cancel;
 * blocks and accumulators are combined by the exact pairwise update
 *     M = M_a + M_b + (W_a W_b / W) δ δᵀ,   δ = μ_b − μ_a,
 * which is also how accumulators built by different threads or processes are
 * merged (in a fixed order, so results do not depend on the thread count).
 * XᵀX itself (with or without an intercept column) follows exactly:
 *     [1 X]ᵀ[1 X] = A ᵀ diag(W, M) A,  A = [[1, μᵀ], [0, I]].
 */
typedef struct lr_accum lr_accum;

typedef enum lr_kernel {
    LR_KERNEL_BLAS = 0,  /* centred cross products by cblas_dsyrk / cblas_dgemv */
    LR_KERNEL_NAIVE = 1, /* the same arithmetic in plain loops (the baseline) */
    LR_KERNEL_QR = 2     /* a triangular factor R, RᵀR = M, by streaming Householder QR
                            (rows with a √w column folded by dtpqrt): κ is never squared */
} lr_kernel;

/* New, empty accumulator for k >= 1 columns. Caller frees with lr_accum_free. */
int lr_accum_create(size_t k, lr_kernel kernel, lr_accum **out, lr_error *err);

/*
 * Add `nrows` rows. `block` is nrows × k, column-major with leading
 * dimension ld >= nrows (column 0 the response). `w` holds nrows
 * non-negative finite weights, or is NULL for unit weights. Rows of weight 0
 * contribute nothing but are not counted as observations.
 */
int lr_accum_add(lr_accum *acc, size_t nrows, const double *block, size_t ld, const double *w,
                 lr_error *err);

/* Grow to k columns (k >= the current count). The new columns are zero in
 * every row added so far — a factor level seen for the first time. On failure
 * acc is unchanged. */
int lr_accum_grow(lr_accum *acc, size_t k, lr_error *err);

/* A copy of src with its column j moved to column map[j] of k >= its count
 * (every map[j] distinct and below k; other columns zero): how a chunk's
 * statistics, whose factor columns are in the order the chunk saw the levels,
 * join the statistics of the whole. Caller frees *out. */
int lr_accum_remap(const lr_accum *src, size_t k, const size_t *map, lr_accum **out, lr_error *err);

/* dst := statistics of the rows of dst followed by those of src. Both must
 * have the same k. src is unchanged. */
int lr_accum_merge(lr_accum *dst, const lr_accum *src, lr_error *err);

/* Number of columns k. */
size_t lr_accum_ncols(const lr_accum *acc);
/* Rows added with nonzero weight. */
uint64_t lr_accum_nobs(const lr_accum *acc);
/* Sum of the weights W (the row count for unit weights). */
double lr_accum_weight(const lr_accum *acc);
/* Column means μ[0..k) (borrowed, valid until the next call on acc). */
const double *lr_accum_mean(const lr_accum *acc);
/* Centred cross products M (k × k, upper triangle valid, leading dimension
 * *ld). Borrowed like lr_accum_mean (for LR_KERNEL_QR computed as RᵀR; NULL
 * if memory runs out for R or RᵀR, which a QR accumulator makes on first use). */
const double *lr_accum_comoments(const lr_accum *acc, size_t *ld);
/* LR_KERNEL_QR: the factor R (k × k upper triangular, zeros below, leading
 * dimension *ld) with RᵀR = M, rows still pending folded in first; NULL for
 * the Gram kernels, or if memory runs out for R. Borrowed. */
const double *lr_accum_factor(const lr_accum *acc, size_t *ld);
/* The kernel the accumulator was created with. */
lr_kernel lr_accum_kernel(const lr_accum *acc);

/* lr_accum_free(NULL) is harmless. */
void lr_accum_free(lr_accum *acc);

/* ------------------------------------------------------------------------ */
/* Fitting                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum lr_method {
    LR_METHOD_AUTO = 0,     /* streaming QR, pivoted rank detection, condition estimate, and
                               extended-precision recomputation when digits are at risk */
    LR_METHOD_INVERSE = 1,  /* XᵀX by dsyrk, (XᵀX)⁻¹ by dpotrf+dpotri (dgetrf+dgetri if
                               not positive definite), β = (XᵀX)⁻¹Xᵀy by dsymv */
    LR_METHOD_CHOLESKY = 2, /* XᵀX by dsyrk, β by triangular solves with its Cholesky factor */
    LR_METHOD_QR = 3,       /* streaming QR factor, β by triangular solves, no refinement */
    LR_METHOD_SVD = 4,      /* SVD of the QR factor (dgelsd): the minimum-norm solution */
    LR_METHOD_NAIVE = 5     /* plain loops and Gauss–Jordan with partial pivoting */
} lr_method;

typedef enum lr_na_action {
    LR_NA_OMIT = 0, /* rows with a missing value in a model column are omitted, and counted */
    LR_NA_ERROR = 1 /* a missing value in a model column is an error */
} lr_na_action;

typedef enum lr_ridge_scale {
    LR_RIDGE_STANDARDIZED = 0, /* penalise coefficients of columns scaled to unit (population)
                                  standard deviation, as MASS::lm.ridge does */
    LR_RIDGE_RAW = 1           /* penalise the coefficients in the data's own units */
} lr_ridge_scale;

typedef enum lr_vcov {
    LR_VCOV_CLASSICAL = 0, /* σ² (XᵀX)⁻¹ */
    LR_VCOV_HC0 = 1,       /* White: (XᵀX)⁻¹ Xᵀ diag(e²) X (XᵀX)⁻¹ */
    LR_VCOV_HC1 = 2,       /* HC0 × n / (n − p) */
    LR_VCOV_HC2 = 3,       /* e² / (1 − h) (MacKinnon & White 1985) */
    LR_VCOV_HC3 = 4,       /* e² / (1 − h)² */
    LR_VCOV_HAC = 5,       /* Newey–West, lag hac_lag, over the rows in file order */
    LR_VCOV_CL = 6         /* clustered by the cluster columns, as sandwich::vcovCL HC1 */
} lr_vcov;

/* One observation's diagnostics (R's fitted, residuals, hatvalues, rstandard,
 * cooks.distance), handed to lr_fit_options.residual_row in file order. */
typedef struct lr_residual {
    uint64_t line;       /* the row's line in the file */
    double fitted;       /* xᵀβ */
    double residual;     /* y − xᵀβ */
    double leverage;     /* h = w xᵀ(XᵀX)⁻¹x */
    double std_residual; /* √w e / (σ √(1 − h)) */
    double cooks;        /* (√w e)² h / (rank σ² (1 − h)²) */
    const char *file;    /* the file the row is in (line is its line there): with several
                            files (lr_fit_csv_files), one of them; borrowed for the callback */
} lr_residual;

/* What lr_fit_options.progress is told: the pass under way and how far it
 * is. A fit runs these passes, each only when needed, in this order:
 *   "reading"               the first pass over the input (unit "bytes": the input's
 *                           bytes up to the end of the last chunk parsed and folded,
 *                           not those read ahead; total 0 for a stream)
 *   "reading: evaluating the first rows"  the first chunk's rows once their types
 *                           are known (unit "rows"; rows a wide factor's factor holds
 *                           pending count once folded into it)
 *   "reading: merging the first chunk"  the first chunk into the frame (total 0)
 *   "reading: combining the chunks"  the chunks' partial sums merged (total 0)
 *                           (the three "reading: ..." passes come between calls of
 *                           "reading", whose done goes on from where it was)
 *   "reading again"         as "reading", once more, when poly(), scale(), ns() or
 *                           bs() needed the first reading's statistics
 *   "fixed effects: reading" the absorption's pass over the rows (unit "rows")
 *   "demeaning"             alternating projections of the fixed effects (unit
 *                           "sweeps", total 0: it ends when it converges)
 *   "fixed effects: checking collinearity", "fixed effects: accumulating"
 *                           two passes over the demeaned rows (unit "rows")
 *   "solving"               the factorization (unit "coefficients", done 0 and
 *                           total the coefficients: one call, no steps inside)
 *   "extended precision"    the recomputation from the decimal text (unit "rows")
 *   "second pass: ..."      the pass over the residuals for what needs them, named
 *                           for it: "residuals" (per-row output), "HC covariance",
 *                           "clustered covariance", "HAC covariance", "residual
 *                           quantiles" or "plot points" (unit "rows")
 * The first call of a pass has done 0; later calls (after each block of work,
 * at most about every 4,096 rows or one chunk) never decrease done. total is 0
 * when the pass's length is unknown: a progress display should then show the
 * elapsed time, not a fraction. The pointer and its strings are borrowed for
 * the call. */
typedef struct lr_progress {
    const char *pass; /* the pass under way (one of the names above; static) */
    const char *unit; /* what done and total count: "bytes", "rows", "sweeps",
                         "coefficients" (static) */
    uint64_t done;    /* units done in this pass */
    uint64_t total;   /* units in the pass, 0 if unknown */
    uint64_t rows;    /* "reading": data rows read so far; otherwise 0 */
} lr_progress;

typedef struct lr_fit_options {
    const char *formula;           /* R model formula ("y ~ a + log(b) + factor(g)"); when set,
                                      target and features are ignored */
    const char *target;            /* response column; NULL: the first column */
    const char *const *features;   /* predictor columns; NULL: every other column */
    size_t n_features;             /* number of entries in features */
    int intercept;                 /* 1: include an intercept (default); 0: none (also
                                      removes a formula's intercept) */
    const char *weights;           /* column of case weights (weighted least squares), or NULL */
    double ridge;                  /* ridge penalty λ >= 0 (0: ordinary least squares) */
    lr_ridge_scale ridge_scale;    /* what the ridge penalty applies to */
    lr_method method;              /* solver (default LR_METHOD_AUTO) */
    lr_na_action na_action;        /* missing values (default LR_NA_OMIT) */
    const char *const *na_strings; /* cells that are missing besides R's defaults (as
                                      read.csv's na.strings), byte for byte, or NULL */
    size_t n_na_strings;           /* number of entries in na_strings */
    char delimiter;                /* 0: detect */
    double level;                  /* confidence level of the intervals (default 0.95) */
    int threads;                   /* threads that parse and accumulate (0: every CPU the
                                      process may use); results do not depend on it */
    /* told which pass runs and how far it is (lr_progress), on the calling thread;
       NULL for none */
    void (*progress)(void *ud, const lr_progress *p);
    void *progress_ud;    /* passed to progress */
    lr_vcov vcov;         /* covariance of β used for the coefficient table;
                             HC types take a second pass over the data */
    int residual_summary; /* 1: the residuals' quantiles (a second pass) */
    /* called for every observation in a second pass, or NULL */
    void (*residual_row)(void *ud, const lr_residual *r);
    void *residual_ud;     /* passed to residual_row */
    size_t plot_points;    /* > 0: keep up to this many (fitted, standardized
                              residual) pairs for plots (a second pass) */
    int keep_model;        /* 1: keep what lr_fit_save needs (the levels, β,
                              (XᵀX)⁻¹ and the accumulated statistics) */
    size_t max_line_bytes; /* the longest row of the input accepted, as
                              lr_csv_options.max_row_bytes (0: LR_MAX_LINE_DEFAULT) */
    const char *absorb;    /* fixed effects to absorb, comma-separated ("firm,year"),
                              as a formula's "| firm + year"; NULL: none */
    double fe_tol;         /* demeaning tolerance (0: the default, 1e-13 of each
                              column's scale) */
    unsigned fe_max_iter;  /* demeaning sweeps before giving up (0: 10000) */
    const char *fe_out;    /* with fixed effects: write their estimates to this CSV
                              file (factor,level,effect), or NULL */
    int anova;             /* 1: anova(lm)'s table (lr_fit_anova), no further pass */
    unsigned hac_lag;      /* LR_VCOV_HAC: the lag L (weights 1 − l/(L + 1)) */
    const char *cluster;   /* LR_VCOV_CL: one or two cluster columns, "firm" or
                              "firm,year"; a row missing one is omitted */
} lr_fit_options;

/* Fill *opt with the defaults. */
void lr_fit_options_init(lr_fit_options *opt);

/* One coefficient of a fitted model. Non-finite values (an SE with no
 * residual degrees of freedom) are NaN. */
typedef struct lr_coef {
    const char *name; /* as R names it: "(Intercept)", "speed"; borrowed from the fit */
    double estimate;  /* β_j */
    double std_error; /* sqrt(σ² [(XᵀX)⁻¹]_jj) */
    double t;         /* estimate / std_error */
    double p;         /* two-sided p-value, Student t with df_residual df */
    double ci_low;    /* estimate − t_{(1+level)/2, df} · std_error */
    double ci_high;   /* estimate + t_{(1+level)/2, df} · std_error */
    int aliased;      /* 1 if the coefficient is not estimable (then the numbers are NaN) */
} lr_coef;

/* The model-level statistics, with R's summary.lm definitions. */
typedef struct lr_summary {
    const char *response;       /* the response as R labels it ("log(Volume)"; borrowed) */
    const char *source;         /* the data's display name (borrowed from the fit) */
    const char *model;          /* the model as a formula ("dist ~ speed"; borrowed) */
    const char *weights;        /* the weights column, or NULL (borrowed) */
    double ridge;               /* the ridge penalty λ (0: least squares) */
    lr_ridge_scale ridge_scale; /* what the ridge penalty applied to */
    double edf;                 /* effective degrees of freedom of the fit: the rank, or
                                   tr(H) for ridge */
    uint64_t n;                 /* observations used (nonzero weight) */
    uint64_t n_dropped;         /* rows omitted for missing values */
    uint64_t n_zero_weight;     /* rows of weight 0: in the data, but not observations */
    size_t n_coef;              /* number of coefficients p */
    size_t rank;                /* rank of the model matrix */
    double df_residual;         /* n − rank (n − edf for ridge) */
    int intercept;              /* 1 if the model has an intercept */
    lr_method method;           /* the solver that ran */
    double level;               /* confidence level of the intervals */
    double rss;                 /* residual sum of squares Σ w e² */
    double tss;              /* total sum of squares (about the mean, or zero without intercept) */
    double sigma;            /* residual standard error sqrt(rss / df_residual) */
    double r_squared;        /* mss / (mss + rss) */
    double adj_r_squared;    /* 1 − (1 − R²)(n − intercept) / df_residual */
    double f_statistic;      /* (mss / f_df1) / σ²; with an HC vcov, the Wald statistic
                                β_Sᵀ V_SS⁻¹ β_S / f_df1 of the slopes S under it */
    double f_df1;            /* rank − intercept */
    double f_df2;            /* df_residual */
    double f_p;              /* upper tail of F(f_df1, f_df2) */
    double log_likelihood;   /* Gaussian log-likelihood at the ML σ² (R's logLik.lm) */
    double aic;              /* −2 logLik + 2 (rank + 1) */
    double bic;              /* −2 logLik + log(n) (rank + 1) */
    double condition_number; /* estimated condition number of the column-scaled (centred,
                                with an intercept) model matrix the solver worked with */
    double digits;           /* significant digits the results can be trusted to, estimated
                                from the condition number and the size of the residuals */
    int extended_bits;       /* > 0: recomputed in this many bits of precision */
    lr_vcov vcov;            /* the covariance behind std_error, t, p and the intervals */
    int has_quantiles;       /* residual_quantiles is set */
    double residual_quantiles[5]; /* min, 1Q, median, 3Q, max of the (weighted) residuals,
                                 R's quantile type 7 */
    double quantile_error;        /* 0: exact; else their error bound (a sketch was used) */
    unsigned hac_lag;             /* vcov LR_VCOV_HAC: its lag L */
    const char *cluster;          /* vcov LR_VCOV_CL: the cluster columns ("firm,year"; borrowed) */
    uint64_t n_clusters[3];       /* vcov LR_VCOV_CL: clusters of each column, then of their
                                     intersection (two-way), 0 where there is none */
} lr_summary;

typedef struct lr_fit lr_fit;

/*
 * Fit the model described by opt to the CSV file at `path` ("-": standard
 * input) in one streaming pass. On success *out is a new fit the caller frees
 * with lr_fit_free. Errors carry file, line and column where there is one.
 */
int lr_fit_csv(const char *path, const lr_fit_options *opt, lr_fit **out, lr_error *err);

/*
 * The same for the n >= 1 files paths[0..n) read as one data set (docs/guide.md,
 * "Several files"): every file has the same header row (an error names both
 * files and the first column that differs); each may be gzip-compressed;
 * "-" (standard input) at most once; an empty file is an error, a header
 * with no rows is not. The result depends only on the files' bytes and
 * order, bit for bit for any opt.threads (each file is cut into chunks at
 * its own offsets and folds along its own tree; it equals the fit of their
 * concatenation to rounding); errors name the file and its line. n == 1 is
 * lr_fit_csv. paths are borrowed for the call only.
 */
int lr_fit_csv_files(const char *const *paths, size_t n, const lr_fit_options *opt, lr_fit **out,
                     lr_error *err);

/*
 * Partial fits (docs/guide.md, "On a cluster"): the first pass of
 * lr_fit_csv_files over paths[0..n) — each file's accumulated state, the
 * factor levels, the counts, the model options of opt and the column types —
 * written losslessly to part_path (atomically, lr_output_open; a versioned,
 * checksummed binary format). Nothing is solved. LR_EUSAGE for what cannot be
 * merged: absorbed fixed effects, poly()/scale()/ns()/bs() (their bases need
 * every row).
 */
int lr_fit_save_partial(const char *const *paths, size_t n, const lr_fit_options *opt,
                        const char *part_path, lr_error *err);

/*
 * The fit of the files the parts parts[0..nparts) cover, in that order:
 * bit for bit what lr_fit_csv_files gives for those files in that order with
 * the parts' model options and opt's output options (opt's model options —
 * formula, target, features, intercept, weights, method, missing values,
 * delimiter, ridge — are ignored; its cluster must be the parts'). With
 * data[0..ndata) (the same files, ndata > 0) the second passes run on them
 * (residual quantiles, HC and HAC covariances, per-row output, extended
 * precision); without, what needs them is an error if asked for by name and
 * otherwise left out with a note. A part that is not one, of another
 * version, whose checksum fails, or made with other model options, header
 * or column types than the first is refused with the reason (LR_EDATA or
 * LR_EUSAGE).
 */
int lr_fit_merge(const char *const *parts, size_t nparts, const char *const *data, size_t ndata,
                 const lr_fit_options *opt, lr_fit **out, lr_error *err);

/*
 * Fit from statistics a caller accumulated: column 0 of acc is the response,
 * columns 1..k-1 the predictors named names[0..k-1) (names[0] the response).
 * opt->intercept, opt->method, opt->level, opt->ridge and opt->ridge_scale
 * are used. n_dropped is reported as given. The fit does not keep acc or names.
 */
int lr_fit_accum(const lr_accum *acc, const char *const *names, const lr_fit_options *opt,
                 uint64_t n_dropped, lr_fit **out, lr_error *err);

/* The model-level statistics (borrowed, valid until lr_fit_free). */
const lr_summary *lr_fit_summary(const lr_fit *fit);

/* Number of coefficients p (intercept first when there is one). */
size_t lr_fit_ncoef(const lr_fit *fit);

/* Coefficient j < p (borrowed, valid until lr_fit_free). */
const lr_coef *lr_fit_coef(const lr_fit *fit, size_t j);

/* Notes about the fit, in order: aliased coefficients and what they depend on
 * ("I(2 * wt) = 2 * wt"), the precision used, warnings (a constant response,
 * few trustworthy digits). Borrowed, valid until lr_fit_free. */
size_t lr_fit_nnotes(const lr_fit *fit);
const char *lr_fit_note(const lr_fit *fit, size_t i);

/* Points kept for plots (opt.plot_points): fitted values and standardized
 * residuals of a deterministic subsample (every k-th observation), n of them;
 * and the standardized residuals of that subsample sorted, for a normal Q–Q
 * plot. Borrowed; NULL and 0 when none were asked for. */
size_t lr_fit_plot_points(const lr_fit *fit, const double **fitted, const double **std_resid,
                          const double **sorted_std_resid);
/* The residuals y − xᵀβ of the same points (R's plot.lm panel 1 plots them,
 * not the standardized ones). Standardized residuals are NaN where R's are
 * (a leverage of one, no residual degrees of freedom); the sorted ones hold
 * the defined values first. Borrowed; NULL when none were asked for. */
const double *lr_fit_plot_residuals(const lr_fit *fit);

/* With 1 to 5 residual degrees of freedom and opt.residual_summary set, every
 * (weighted, √w e) residual in file order with its row number (the data line
 * − 1: R's row name for a file without line breaks inside quotes), which
 * summary.lm prints instead of quantiles; the count. Borrowed; 0 and NULLs
 * otherwise. */
size_t lr_fit_small_residuals(const lr_fit *fit, const double **resid, const uint64_t **row);

/* The unscaled covariance (XᵀX)⁻¹, p × p column-major with leading dimension
 * *ld (full, symmetric); σ² times it is the covariance of β. Borrowed. */
const double *lr_fit_xtx_inverse(const lr_fit *fit, size_t *ld);

/* Write the fitted model to `path` as JSON (see docs/guide.md, "Saved models and prediction"): what
 * linreg predict needs, and the accumulated statistics. Only for fits made by
 * lr_fit_csv with opt.keep_model = 1 (LR_EUSAGE otherwise). */
int lr_fit_save(const lr_fit *fit, const char *path, lr_error *err);

/* lr_fit_free(NULL) is harmless. */
void lr_fit_free(lr_fit *fit);

/* ---- After summary(): ANOVA, VIF, linear hypotheses (docs/guide.md, "Inference") ---- */

size_t lr_fit_nterms(const lr_fit *fit); /* R's term.labels (lr_fit_accum: a predictor each) */
typedef struct lr_anova_row {            /* a row of R's anova(lm), the residuals last */
    const char *term; /* the term label, or "Residuals" (borrowed from the fit) */
    double df;        /* the term's estimable columns */
    double sum_sq;    /* sequential sum of squares: its columns' squared effects Qᵀy */
    double mean_sq;   /* sum_sq / df */
    double f;         /* mean_sq / σ² (NaN for the residuals, or without residual df) */
    double p;         /* upper tail of F(df, df_residual) at f */
} lr_anova_row;
/* opt.anova's table (all-aliased terms left out, as R does): rows, 0 if not asked. */
size_t lr_fit_anova(const lr_fit *fit, const lr_anova_row **rows);
/* The covariance in force into out (p × p, ld >= p); NaN where aliased, or ridge. */
void lr_fit_vcov(const lr_fit *fit, double *out, size_t ld);
typedef struct lr_vif_row { /* car::vif: det R₁₁ det R₂₂ / det R, R the correlations */
    const char *term;       /* the term label (borrowed from the fit) */
    double gvif;            /* GVIF (the VIF for a one-column term) */
    double df;              /* the term's columns */
    double gvif_adj;        /* GVIF^(1/(2 df)) */
} lr_vif_row;
/* rows[0..nterms): LR_EDATA if aliased, LR_EUSAGE for < 2 terms or ridge. */
int lr_fit_vif(const lr_fit *fit, lr_vif_row *rows, int *no_intercept, lr_error *err);
typedef struct lr_hypothesis { /* car::linearHypothesis: W = dᵀ(L V Lᵀ)⁻¹d, d = Lβ − r */
    size_t q;                  /* restrictions */
    double f;                  /* W / q */
    double df2;                /* df_residual */
    double p_f;                /* upper tail of F(q, df_residual) at f */
    double chisq;              /* W */
    double p_chisq;            /* upper tail of χ²(q) at W */
    double sum_sq;             /* classical V: W σ², the restricted RSS's rise; else NaN */
} lr_hypothesis;
/* "x1 = x2; 2*x3 + x4 = 1", names as printed: LR_EUSAGE with the position. */
int lr_fit_test(const lr_fit *fit, const char *restrictions, lr_hypothesis *out, lr_error *err);

/* ------------------------------------------------------------------------ */
/* Saved models and prediction                                              */
/* ------------------------------------------------------------------------ */

typedef struct lr_model lr_model;

/* Read a model file written by lr_fit_save. A file that is not valid JSON,
 * is truncated or lacks a field is LR_EDATA with the position or the field
 * named. Caller frees with lr_model_free. */
int lr_model_load(const char *path, lr_model **out, lr_error *err);
void lr_model_free(lr_model *m);
/* 1 if the model was fitted with case weights. */
int lr_model_weighted(const lr_model *m);
/* Its rank and number of coefficients (rank < coefficients: aliased ones). */
size_t lr_model_rank(const lr_model *m);
size_t lr_model_ncoef(const lr_model *m);
/* Its formula as fitted ("mpg ~ wt + hp"; borrowed, lives as long as m). */
const char *lr_model_formula(const lr_model *m);

/* R's anova(m1, m2, ...) of nested models fitted on the same rows
 * (model_compare.c): a row per model, in the order given. */
typedef struct lr_compare_row { /* a row of R's anova.lmlist table */
    double res_df;              /* residual degrees of freedom */
    double rss;                 /* residual (weighted) sum of squares, σ² res_df */
    double df;                  /* res_df of the model before minus this one (NaN: row 1;
                                   negative when the models are given in decreasing order) */
    double sum_sq;              /* rss of the model before minus this one (NaN: row 1) */
    double f;                   /* (sum_sq / df) / s², s² = rss / res_df of the model with
                                   the fewest residual df; NaN: row 1, df 0 or f < 0 */
    double p;                   /* upper tail of F(|df|, res_df of that model) at f */
} lr_compare_row;
/* Refused (LR_EDATA, the reason and the file named) unless the n models
 * (n >= 2; borrowed) have the same response and weights, each pair nests
 * (every term of the one with fewer terms is a term of the other; an
 * intercept counts as a term), none is a ridge fit, and all have the same
 * rows fingerprint (the rows used, row_fingerprint.c); `force` accepts files
 * without one (written before linreg 0.x stored it). rows: n entries. */
int lr_model_compare(const lr_model *const *models, size_t n, int force, lr_compare_row *rows,
                     lr_error *err);

/* The longest row lr_predict_csv reads from the new data (0, the default:
 * LR_MAX_LINE_DEFAULT); see lr_csv_options.max_row_bytes. */
void lr_model_set_max_line(lr_model *m, size_t max_row_bytes);

/* Read new data with these missing-value spellings too (besides R's and the
 * ones the fit was given, which the file keeps), byte for byte; at most 128
 * in all (LR_EUSAGE beyond). The strings are copied. */
int lr_model_add_na_strings(lr_model *m, const char *const *s, size_t n, lr_error *err);

typedef enum lr_interval {
    LR_INTERVAL_NONE = 0,       /* the fitted value only */
    LR_INTERVAL_CONFIDENCE = 1, /* for the mean response: ŷ ∓ t se */
    LR_INTERVAL_PREDICTION = 2  /* for a new observation: ŷ ∓ t √(se² + σ²) */
} lr_interval;

/* One prediction, as R's predict.lm computes it. */
typedef struct lr_prediction {
    uint64_t line;    /* the row's line in the file */
    int ok;           /* 0: a value the model needs is missing: everything NaN (R's NA) */
    double fit;       /* xᵀβ over the estimable coefficients */
    double se_fit;    /* σ √(xᵀ (XᵀX)⁻¹ x) */
    double lwr;       /* lower bound of the interval (NaN without one) */
    double upr;       /* upper bound */
    const char *note; /* ok = 0 because a term is not finite for the row (log(0) in
                         new data), or (fixed effects) a level has no estimated effect
                         or two levels are in different connected components: why,
                         with the line ("new.csv:5:3: log(x) is -Inf: the logarithm of
                         0"); or, ok = 1, why se_fit, lwr and upr are NaN while fit
                         stands (no digit of se_fit is certain in double precision);
                         borrowed for the callback; else NULL */
    const char *file; /* the file the row is in (line is its line there); borrowed for
                         the callback */
    int beyond_knots; /* a bs() term's x lies beyond its boundary knots: the value is R's
                         extrapolation, which R warns "may cause ill-conditioned bases" */
} lr_prediction;

/*
 * Predict for every data row of the CSV file `path` ("-": standard input),
 * columns matched by name; row_cb is called for each row in order. A factor
 * level not seen in the fit is an error naming the line; a row whose term is
 * not finite (log(0)) gets ok = 0 and a note, and the rows go on. A model
 * with absorbed fixed effects predicts xᵀβ plus the row's effects (se_fit
 * NaN); a fixed-effect level not in the fit (or only in dropped singletons)
 * gives ok = 0 with a note; a missing one ok = 0; an interval is LR_EUSAGE.
 */
int lr_predict_csv(const lr_model *m, const char *path, lr_interval interval, double level,
                   void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err);

/* The same over the n >= 1 files paths[0..n) read as one, in order (their
 * header rows alike, "-" at most once: as lr_fit_csv_files); p->file and
 * p->line and every message name the file and its line there. */
int lr_predict_csv_files(const lr_model *m, const char *const *paths, size_t n,
                         lr_interval interval, double level,
                         void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err);

/* The name of a method as the command line spells it ("inverse", "naive"). */
const char *lr_method_name(lr_method m);
const char *lr_vcov_name(lr_vcov v); /* as the command line spells it: "HC3", "HAC" */

/* ------------------------------------------------------------------------ */
/* Output files                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Every file linreg writes goes through these, lr_fit_save included. A
 * regular file (or a name that does not exist yet) is written to a temporary
 * in the same directory and renamed over the target only by a successful
 * lr_output_commit: until then, and after any failure, the old file is
 * untouched, and concurrent writers leave one writer's whole file. A symlink
 * is followed (the file it names is replaced; the link stays). The new file
 * has mode 0666 less the umask, or the replaced file's mode.
 *
 * Anything that is not a regular file (a device, FIFO, socket), and the
 * process's own standard output by any name (/dev/stdout, /proc/self/fd/1:
 * written through a duplicate of descriptor 1, sharing its offset), is
 * written in place and never truncated, unlinked or renamed over; what is
 * written to it is written, so write to it only what should be seen.
 *
 * The library installs no signal handlers. The temporary is an unnamed
 * O_TMPFILE inode where the filesystem allows (nothing to clean up after any
 * signal); elsewhere it is a named ".NAME.XXXXXX.tmp", which
 * lr_output_temp_name returns so that a program's handler can unlink it.
 * Setting LINREG_OUTPUT_NO_TMPFILE=1 in the environment forces the named
 * temporary (for tests).
 */
typedef struct lr_output lr_output;

/* Open `path` for writing. On success *out is a new handle, to be ended by
 * exactly one of lr_output_commit or lr_output_discard. LR_EIO with the path
 * and the errno text when it cannot be written (a directory, no permission,
 * no space for the temporary). */
int lr_output_open(const char *path, lr_output **out, lr_error *err);

/* The stream to write to; borrowed, valid until the handle is ended (do not
 * fclose it). */
FILE *lr_output_stream(lr_output *o);

/* The named temporary's path while one exists (borrowed, valid until the
 * handle is ended), NULL for an unnamed temporary or an output in place. */
const char *lr_output_temp_name(const lr_output *o);

/* 1 if the output is not a regular file and is written in place. */
int lr_output_in_place(const lr_output *o);

/* Write fit's model file (what lr_fit_save writes) to the open output o,
 * which the caller then commits or discards. LR_EUSAGE for a fit made
 * without keep_model, LR_ENOMEM. */
int lr_fit_save_to(const lr_fit *fit, lr_output *o, lr_error *err);

/* Flush, fsync and put the new file in place (rename); frees o whatever the
 * outcome. LR_EIO naming the file, the step and the errno text ("No space
 * left on device") on any failure, the old file then untouched and the
 * temporary removed. lr_output_commit(NULL) is LR_EUSAGE. */
int lr_output_commit(lr_output *o, lr_error *err);

/* Drop what was written: the temporary removed, the target untouched; frees
 * o. lr_output_discard(NULL) is harmless. */
void lr_output_discard(lr_output *o);

/* ------------------------------------------------------------------------ */
/* Build and library information                                            */
/* ------------------------------------------------------------------------ */

/*
 * A one-line description of the BLAS and LAPACK actually linked and running
 * (e.g. "OpenBLAS 0.3.21 (Haswell, 2 threads) DYNAMIC_ARCH...; LAPACK 3.11.0").
 * Written into buf (NUL-terminated, truncated to size).
 */
void lr_blas_info(char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * "Did you mean": the entry of names[0..n) that name[0..len) most likely
 * misspells, or n if none is close enough. The distance counts insertions,
 * deletions, substitutions and swaps of two adjacent characters ("dsit" is
 * one edit from "dist"; the optimal string alignment distance), letter case
 * ignored; a name is suggested within a third of the typed length (at least
 * one edit, never the whole name). Names longer than 64 bytes are not
 * compared. Nothing is allocated; names are only read.
 */
size_t lr_suggest_name(const char *name, size_t len, const char *const *names, size_t n);

LR_API_END

#endif /* LINREG_H */
