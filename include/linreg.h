/*
 * linreg.h — the whole public API of liblinreg.
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
 * Thread safety: distinct objects may be used from distinct threads.
 * lr_set_allocator must be called before any other lr_ function.
 */
#ifndef LINREG_H
#define LINREG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "linreg_version.h" /* LR_VERSION_MAJOR, _MINOR, _PATCH, _STRING */

/* Everything this header declares is the library's API and is exported from
 * the shared library; the library is compiled with hidden visibility, so
 * nothing else is. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

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
/* CSV reader: pull-style, streaming, borrowed cells                        */
/* ------------------------------------------------------------------------ */

/*
 * RFC 4180 with the usual extensions: "" escapes inside quotes, delimiters
 * and newlines inside quotes, LF or CRLF line ends, a UTF-8 byte order mark,
 * a final line with or without a newline. The reader knows nothing about
 * numbers: it hands out fields as bytes. Memory is bounded by the longest
 * row, not the file, and a row longer than a limit (LR_MAX_LINE_DEFAULT
 * unless raised) is an error: a file of one endless line (/dev/zero, a
 * decompression bomb) ends with an error after reading about the limit.
 */
typedef struct lr_csv lr_csv;

/* The longest row (its bytes, line end excluded; a quoted field's line ends
 * included) read by default: 8 MiB. A CSV row of 8 MiB is already far beyond
 * any table a regression reads (a million columns of "1,"); the memory a row
 * costs is about twice its length (the buffer doubles). */
#define LR_MAX_LINE_DEFAULT ((size_t)8 << 20)

typedef struct lr_csv_options {
    char delimiter;       /* 0: detect among , ; TAB | from the start of the input */
    size_t max_row_bytes; /* the longest row accepted (0: LR_MAX_LINE_DEFAULT); a longer
                             one is an LR_EDATA error naming its line */
} lr_csv_options;

/* One field of a row. Borrowed: valid until the next lr_csv_next call or
 * lr_csv_free. `data` is not NUL-terminated; quotes are removed and ""
 * unescaped. */
typedef struct lr_csv_field {
    const char *data; /* the field's bytes */
    size_t len;       /* their number */
    uint64_t line;    /* physical line (1-based) where the field starts */
    uint64_t col;     /* 1-based byte column where the field starts */
    int quoted;       /* 1 if the field was enclosed in quotes */
} lr_csv_field;

/* A row: `fields[0..nfields)`, borrowed like its fields. */
typedef struct lr_csv_row {
    const lr_csv_field *fields; /* the row's fields */
    size_t nfields;             /* their number, >= 1 */
    uint64_t line;              /* physical line where the row starts */
    uint64_t index;             /* 0-based record number (the header is 0) */
} lr_csv_row;

/*
 * Open `path` ("-" for standard input) for reading; gzip-compressed input
 * (detected by its magic bytes) is decompressed. `display_name` is used in
 * error messages (NULL: `path`, or "<stdin>" for "-"). `opt` may be NULL.
 * On success *out is a new reader the caller frees with lr_csv_free.
 */
int lr_csv_open(const char *path, const char *display_name, const lr_csv_options *opt,
                lr_csv **out, lr_error *err);

/* Read from a caller-owned file descriptor (not closed by lr_csv_free). */
int lr_csv_open_fd(int fd, const char *display_name, const lr_csv_options *opt, lr_csv **out,
                   lr_error *err);

/* Parse an in-memory buffer (borrowed: must outlive the reader). */
int lr_csv_open_buffer(const char *data, size_t len, const char *display_name,
                       const lr_csv_options *opt, lr_csv **out, lr_error *err);

/*
 * Read the next row into *row. Sets *has_row to 1 when a row was read and to
 * 0 at the end of the input. Empty lines (no bytes between two line ends) are
 * skipped. Errors (unterminated quote, a quote inside an unquoted field,
 * bytes after a closing quote, a read error) carry line and column.
 */
int lr_csv_next(lr_csv *r, lr_csv_row *row, int *has_row, lr_error *err);

/* The delimiter in use (detected or given). */
char lr_csv_delimiter(const lr_csv *r);

/* The name used in error messages (borrowed, lives as long as r). */
const char *lr_csv_name(const lr_csv *r);

/* The physical line (1-based) of the next unread byte: after the last row of
 * an input that ends with a line end, one more than its number of lines. */
uint64_t lr_csv_line(const lr_csv *r);

/* Close and free. lr_csv_free(NULL) is harmless. */
void lr_csv_free(lr_csv *r);

/* ------------------------------------------------------------------------ */
/* Numbers and missing values                                               */
/* ------------------------------------------------------------------------ */

typedef enum lr_cell_kind {
    LR_CELL_NUMBER = 0,  /* a finite number, stored in *value */
    LR_CELL_MISSING = 1, /* empty (after trimming spaces), NA (exactly), NaN in any case */
    LR_CELL_TEXT = 2,    /* not a number by the grammar */
    LR_CELL_OVERFLOW = 3 /* a number by the grammar, but beyond the range of a double */
} lr_cell_kind;

/*
 * Classify and convert one cell. The grammar is
 *     [spaces] [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits] [spaces]
 * with spaces being ' ' or TAB; the value is exactly the double strtod
 * returns for the same text (correctly rounded; underflow gives 0 or a
 * subnormal without error). "Inf", hex floats, thousands separators and
 * everything else are LR_CELL_TEXT. Never fails: the kind says what it is.
 */
lr_cell_kind lr_parse_cell(const char *data, size_t len, double *value);

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
                            (dgeqrf per block, dtpqrt to merge): κ is never squared */
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
int lr_accum_remap(const lr_accum *src, size_t k, const size_t *map, lr_accum **out,
                   lr_error *err);

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
 * *ld). Borrowed like lr_accum_mean (for LR_KERNEL_QR computed as RᵀR). */
const double *lr_accum_comoments(const lr_accum *acc, size_t *ld);
/* LR_KERNEL_QR: the factor R (k × k upper triangular, zeros below, leading
 * dimension *ld) with RᵀR = M; NULL for the Gram kernels. Borrowed. */
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
    LR_VCOV_HAC = 5        /* Newey–West, lag hac_lag, over the rows in file order */
} lr_vcov;

/* One observation's diagnostics (R's fitted, residuals, hatvalues, rstandard,
 * cooks.distance), handed to lr_fit_options.residual_row in file order. */
typedef struct lr_residual {
    uint64_t line;     /* the row's line in the file */
    double fitted;     /* xᵀβ */
    double residual;   /* y − xᵀβ */
    double leverage;   /* h = w xᵀ(XᵀX)⁻¹x */
    double std_residual; /* √w e / (σ √(1 − h)) */
    double cooks;      /* (√w e)² h / (rank σ² (1 − h)²) */
} lr_residual;

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
    void (*progress)(void *ud, uint64_t done, uint64_t total, uint64_t rows);
                                   /* called after each chunk of the input: bytes read, the
                                      input's size (0 if unknown: a stream), rows so far;
                                      NULL for none */
    void *progress_ud;             /* passed to progress */
    lr_vcov vcov;                  /* covariance of β used for the coefficient table;
                                      HC types take a second pass over the data */
    int residual_summary;          /* 1: the residuals' quantiles (a second pass) */
    void (*residual_row)(void *ud, const lr_residual *r);
                                   /* called for every observation in a second pass, or NULL */
    void *residual_ud;             /* passed to residual_row */
    size_t plot_points;            /* > 0: keep up to this many (fitted, standardized
                                      residual) pairs for plots (a second pass) */
    int keep_model;                /* 1: keep what lr_fit_save needs (the levels, β,
                                      (XᵀX)⁻¹ and the accumulated statistics) */
    size_t max_line_bytes;         /* the longest row of the input accepted, as
                                      lr_csv_options.max_row_bytes (0: LR_MAX_LINE_DEFAULT) */
    const char *absorb;            /* fixed effects to absorb, comma-separated ("firm,year"),
                                      as a formula's "| firm + year"; NULL: none */
    double fe_tol;                 /* demeaning tolerance (0: the default, 1e-13 of each
                                      column's scale) */
    unsigned fe_max_iter;          /* demeaning sweeps before giving up (0: 10000) */
    const char *fe_out;            /* with fixed effects: write their estimates to this CSV
                                      file (factor,level,effect), or NULL */
    int anova;                     /* 1: anova(lm)'s table (lr_fit_anova), no further pass */
    unsigned hac_lag;              /* LR_VCOV_HAC: the lag L (weights 1 − l/(L + 1)) */
} lr_fit_options;

/* Fill *opt with the defaults. */
void lr_fit_options_init(lr_fit_options *opt);

/* One coefficient of a fitted model. Non-finite values (an SE with no
 * residual degrees of freedom) are NaN. */
typedef struct lr_coef {
    const char *name;  /* as R names it: "(Intercept)", "speed"; borrowed from the fit */
    double estimate;   /* β_j */
    double std_error;  /* sqrt(σ² [(XᵀX)⁻¹]_jj) */
    double t;          /* estimate / std_error */
    double p;          /* two-sided p-value, Student t with df_residual df */
    double ci_low;     /* estimate − t_{(1+level)/2, df} · std_error */
    double ci_high;    /* estimate + t_{(1+level)/2, df} · std_error */
    int aliased;       /* 1 if the coefficient is not estimable (then the numbers are NaN) */
} lr_coef;

/* The model-level statistics, with R's summary.lm definitions. */
typedef struct lr_summary {
    const char *response;     /* the response as R labels it ("log(Volume)"; borrowed) */
    const char *source;       /* the data's display name (borrowed from the fit) */
    const char *model;        /* the model as a formula ("dist ~ speed"; borrowed) */
    const char *weights;      /* the weights column, or NULL (borrowed) */
    double ridge;             /* the ridge penalty λ (0: least squares) */
    lr_ridge_scale ridge_scale; /* what the ridge penalty applied to */
    double edf;               /* effective degrees of freedom of the fit: the rank, or
                                 tr(H) for ridge */
    uint64_t n;               /* observations used (nonzero weight) */
    uint64_t n_dropped;       /* rows omitted for missing values */
    uint64_t n_zero_weight;   /* rows of weight 0: in the data, but not observations */
    size_t n_coef;            /* number of coefficients p */
    size_t rank;              /* rank of the model matrix */
    double df_residual;       /* n − rank (n − edf for ridge) */
    int intercept;            /* 1 if the model has an intercept */
    lr_method method;         /* the solver that ran */
    double level;             /* confidence level of the intervals */
    double rss;               /* residual sum of squares Σ w e² */
    double tss;               /* total sum of squares (about the mean, or zero without intercept) */
    double sigma;             /* residual standard error sqrt(rss / df_residual) */
    double r_squared;         /* mss / (mss + rss) */
    double adj_r_squared;     /* 1 − (1 − R²)(n − intercept) / df_residual */
    double f_statistic;       /* (mss / f_df1) / σ²; with an HC vcov, the Wald statistic
                                 β_Sᵀ V_SS⁻¹ β_S / f_df1 of the slopes S under it */
    double f_df1;             /* rank − intercept */
    double f_df2;             /* df_residual */
    double f_p;               /* upper tail of F(f_df1, f_df2) */
    double log_likelihood;    /* Gaussian log-likelihood at the ML σ² (R's logLik.lm) */
    double aic;               /* −2 logLik + 2 (rank + 1) */
    double bic;               /* −2 logLik + log(n) (rank + 1) */
    double condition_number;  /* estimated condition number of the column-scaled (centred,
                                 with an intercept) model matrix the solver worked with */
    double digits;            /* significant digits the results can be trusted to, estimated
                                 from the condition number and the size of the residuals */
    int extended_bits;        /* > 0: recomputed in this many bits of precision */
    lr_vcov vcov;             /* the covariance behind std_error, t, p and the intervals */
    int has_quantiles;        /* residual_quantiles is set */
    double residual_quantiles[5]; /* min, 1Q, median, 3Q, max of the (weighted) residuals,
                                 R's quantile type 7 */
    double quantile_error;    /* 0: exact; else their error bound (a sketch was used) */
    unsigned hac_lag;         /* vcov LR_VCOV_HAC: its lag L */
} lr_summary;

typedef struct lr_fit lr_fit;

/*
 * Fit the model described by opt to the CSV file at `path` ("-": standard
 * input) in one streaming pass. On success *out is a new fit the caller frees
 * with lr_fit_free. Errors carry file, line and column where there is one.
 */
int lr_fit_csv(const char *path, const lr_fit_options *opt, lr_fit **out, lr_error *err);

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

/* Write the fitted model to `path` as JSON (see README, "Saved models"): what
 * linreg predict needs, and the accumulated statistics. Only for fits made by
 * lr_fit_csv with opt.keep_model = 1 (LR_EUSAGE otherwise). */
int lr_fit_save(const lr_fit *fit, const char *path, lr_error *err);

/* lr_fit_free(NULL) is harmless. */
void lr_fit_free(lr_fit *fit);

/* ---- After summary(): ANOVA, VIF, linear hypotheses (README, "Inference") ---- */

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
    const char *term; /* the term label (borrowed from the fit) */
    double gvif;      /* GVIF (the VIF for a one-column term) */
    double df;        /* the term's columns */
    double gvif_adj;  /* GVIF^(1/(2 df)) */
} lr_vif_row;
/* rows[0..nterms): LR_EDATA if aliased, LR_EUSAGE for < 2 terms or ridge. */
int lr_fit_vif(const lr_fit *fit, lr_vif_row *rows, int *no_intercept, lr_error *err);
typedef struct lr_hypothesis { /* car::linearHypothesis: W = dᵀ(L V Lᵀ)⁻¹d, d = Lβ − r */
    size_t q;                  /* restrictions */
    double f;                  /* W / q */
    double df2;            /* df_residual */
    double p_f;            /* upper tail of F(q, df_residual) at f */
    double chisq;          /* W */
    double p_chisq;        /* upper tail of χ²(q) at W */
    double sum_sq;         /* classical V: W σ², the restricted RSS's rise; else NaN */
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
    uint64_t line;   /* the row's line in the file */
    int ok;          /* 0: a value the model needs is missing: everything NaN (R's NA) */
    double fit;      /* xᵀβ over the estimable coefficients */
    double se_fit;   /* σ √(xᵀ (XᵀX)⁻¹ x) */
    double lwr;      /* lower bound of the interval (NaN without one) */
    double upr;      /* upper bound */
    const char *note; /* ok = 0 because a term is not finite for the row (log(0) in
                         new data): why, with the line ("new.csv:5:3: log(x) is -Inf:
                         the logarithm of 0"), borrowed for the callback; else NULL */
    int beyond_knots; /* a bs() term's x lies beyond its boundary knots: the value is R's
                         extrapolation, which R warns "may cause ill-conditioned bases" */
} lr_prediction;

/*
 * Predict for every data row of the CSV file `path` ("-": standard input),
 * columns matched by name; row_cb is called for each row in order. A factor
 * level not seen in the fit is an error naming the line; a row whose term is
 * not finite (log(0)) gets ok = 0 and a note, and the rows go on.
 */
int lr_predict_csv(const lr_model *m, const char *path, lr_interval interval, double level,
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
    const size_t *sizes;       /* the p of the sweep (each >= 2; borrowed for the call);
                                  NULL: 16, 32, ..., 1024 */
    size_t n_sizes;            /* entries in sizes */
    int sweep;                 /* 1 (default): run the sweep; 0: only the end-to-end fit */
    size_t rows;               /* n for every size (>= p); 0 (default): n = max(4p, 256) */
    unsigned repeat;           /* timed runs after the warm-up (default 5, at least 1) */
    double single_run_seconds; /* a warm-up run longer than this is the only run (default 2) */
    uint64_t seed;             /* seed of the problems (default 1) */
    const char *fit_path;      /* CSV file to fit end to end with --method naive and the
                                  default (lr_fit_options_init's model: the first column on
                                  all the others), or NULL (default); borrowed for the call */
    unsigned fit_repeat;       /* timed fits of each method after a warm-up (default 3) */
    lr_bench_progress_fn progress; /* NULL (default), or called before each stage */
    void *progress_ud;         /* passed to progress */
} lr_bench_options;

/* Fill *opt with the defaults. */
void lr_bench_options_init(lr_bench_options *opt);

/* The measurements of one kernel. */
typedef struct lr_bench_timing {
    double median;   /* median time of the timed runs, seconds */
    double min;      /* fastest run, seconds */
    double max;      /* slowest run, seconds */
    double spread;   /* (max − min) / median: the run-to-run variation */
    unsigned runs;   /* number of timed runs */
    int single;      /* 1: one run only, because the warm-up exceeded single_run_seconds */
    double flops;    /* the operation count (table above); NaN where there is none */
    double gflops;   /* flops / median / 10⁹ */
} lr_bench_timing;

/* The accuracy of each inverse on one problem. NaN where an inversion failed
 * (A not numerically positive definite for dpotrf, a zero pivot). */
typedef struct lr_bench_accuracy {
    double cond;                         /* κ₁(A) = ‖A‖₁ ‖A⁻¹‖₁ estimated by dpocon */
    double residual[LR_BENCH_NINVERSES]; /* ‖I − A·A⁻¹‖₁ (the product formed in double by
                                            dgemm, the same for every inverse) */
    double lre[LR_BENCH_NINVERSES];      /* min over j of the LRE of β_j = (A⁻¹·Xᵀy)_j against
                                            β*_j: −log10(|β_j − β*_j| / |β*_j|), 0..15 */
} lr_bench_accuracy;

/* Everything measured at one size. */
typedef struct lr_bench_size {
    size_t p;                                /* columns of X */
    size_t n;                                /* rows of X */
    lr_bench_timing t[LR_BENCH_NKERNELS];    /* indexed by lr_bench_kernel */
    double speedup_gram;                     /* naive XᵀX time / dsyrk time (medians) */
    double speedup_potri;                    /* Gauss–Jordan time / dpotrf + dpotri time */
    double speedup_getri;                    /* Gauss–Jordan time / dgetrf + dgetri time */
    double speedup_solve;                    /* naive solve time / LAPACK solve time */
    double dsyrk_of_dgemm;                   /* dsyrk's GFLOP/s / dgemm's GFLOP/s */
    lr_bench_accuracy acc[LR_BENCH_NPROBLEMS]; /* indexed by lr_bench_problem */
} lr_bench_size;

/* One method of the end-to-end fit. */
typedef struct lr_bench_fit_run {
    lr_method requested;  /* the method asked for (LR_METHOD_NAIVE or LR_METHOD_AUTO) */
    lr_method ran;        /* the method the fit reports it ran */
    int extended_bits;    /* > 0: auto recomputed the fit in this many bits, reading the
                             file a second time */
    int status;           /* LR_OK, or why this method refused the data (LR_ESINGULAR) */
    char message[LR_ERROR_MAX]; /* the error message when status != LR_OK */
    lr_bench_timing t;    /* wall time of lr_fit_csv (flops NaN) */
} lr_bench_fit_run;

/* The end-to-end comparison: the same CSV file fitted by lr_fit_csv. */
typedef struct lr_bench_fit {
    char path[1024];         /* the file (truncated if longer) */
    uint64_t n;              /* observations used */
    size_t p;                /* coefficients */
    lr_bench_fit_run naive;  /* --method naive */
    lr_bench_fit_run dflt;   /* the default, --method auto */
    double speedup;          /* naive median / default median (NaN if naive refused) */
} lr_bench_fit;

/* The result of lr_bench_run. */
typedef struct lr_bench_result {
    size_t n_sizes;          /* rows of the sweep (0 without one) */
    lr_bench_size *sizes;    /* n_sizes entries, in the order given (owned by the result) */
    int has_fit;             /* 1 if fit holds an end-to-end comparison */
    lr_bench_fit fit;        /* the end-to-end comparison */
    char blas[1024];         /* lr_blas_info(): the BLAS/LAPACK, its core type and threads */
    int blas_threads;        /* OpenBLAS threads used by the BLAS/LAPACK kernels */
    unsigned repeat;         /* the options used */
    unsigned fit_repeat;     /* the options used */
    double single_run_seconds; /* the options used */
    size_t rows;             /* the options used (0: n = max(4p, 256)) */
    uint64_t seed;           /* the options used */
    double seconds;          /* wall time of the whole benchmark */
} lr_bench_result;

/*
 * Run the benchmark. On success *out is a new result the caller frees with
 * lr_bench_result_free. Fails with LR_EUSAGE for invalid options, LR_ERANGE
 * for a size BLAS cannot index, LR_ENOMEM, LR_ESINGULAR if a timed inversion
 * fails, and with lr_fit_csv's error if the default fit of fit_path fails
 * (--method naive refusing the data is a result, not an error). opt may be
 * NULL for the defaults; out must not be NULL and is set to NULL on failure.
 * Takes seconds to minutes (see the README for measured times).
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

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* LINREG_H */
