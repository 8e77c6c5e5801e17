/*
 * solver.h — from accumulated statistics to β and (XᵀX)⁻¹ (internal).
 *
 * Every method reduces the model to its predictors (with an intercept: the
 * centred predictors, the intercept handled exactly by the shift), decides
 * which columns are aliased, and solves for the others. solver.c assembles
 * the full solution; solver_normal.c works from the centred cross products
 * (inverse, cholesky, naive), solver_qr.c from the triangular factor (auto,
 * qr, svd); solver_naive.c holds the plain loops.
 */
#ifndef LR_SOLVER_H
#define LR_SOLVER_H

#include "internal.h"
#include "method.h"

/* The least-squares solution of one model. All arrays owned; free with lr_solution_free. */
/* What limits the digits a fit can be trusted to (lr_solution.digits_by). */
typedef enum lr_digits_cause {
    LR_DIGITS_KAPPA,    /* the condition number: u κ */
    LR_DIGITS_OFFSET,   /* the condition number, on data far from their means: u κ ρ */
    LR_DIGITS_RESIDUAL, /* the condition number squared by the residual: u κ² tan θ */
    LR_DIGITS_RSS       /* a residual sum of squares tiny against the total: u √(TSS/RSS) */
} lr_digits_cause;

typedef struct lr_solution {
    size_t p;                  /* number of coefficients (intercept first when present) */
    size_t rank;               /* rank of the model matrix: coefficients not aliased */
    double *beta;              /* β, p entries, in the user's units; NaN where aliased */
    double *xtx_inv;           /* (XᵀX)⁻¹ of the estimable coefficients, p × p, ld p; NaN in
                                  the rows and columns of aliased ones */
    unsigned char *aliased;    /* p flags */
    char **depends;            /* p entries: for an aliased coefficient, how it depends on the
                                  others ("I(2 * wt) = 2 * wt"); NULL otherwise (owned) */
    int no_se;                 /* 1: standard errors are not defined (ridge; minimum-norm) */
    double rss;                /* residual sum of squares Σ w e² */
    double mss;                /* regression sum of squares (about the mean with an intercept,
                                  about zero without) */
    double tss;                /* total sum of squares, same convention as mss */
    double rcond;              /* reciprocal condition number of the scaled model matrix */
    double rho;                /* lr_reduced.rho: data far from their means */
    double edf;                /* effective degrees of freedom: the rank, or tr(H) with ridge */
    double digits;             /* estimated significant digits the results can be trusted to */
    double digits_kappa;       /* the same bound from the condition number alone, as for an
                                  exact fit (RSS 0) */
    lr_digits_cause digits_by; /* which bound limits the digits (solver.c, estimate_digits) */
    int extended_bits;         /* > 0: recomputed with this many bits of precision */
} lr_solution;

/* Which accumulated columns make the model, and how it is penalised. */
typedef struct lr_model_spec {
    size_t q;                   /* model-matrix columns besides the intercept */
    const size_t *cols;         /* accumulator column of each (SIZE_MAX: zero in every row) */
    const char *const *names;   /* their coefficient names */
    int intercept;              /* 1 if the model has an intercept */
    double ridge;               /* ridge penalty λ (0: least squares) */
    lr_ridge_scale ridge_scale; /* standardized or raw penalty */
} lr_model_spec;

/*
 * Solve for the model `spec` over the statistics in acc (column 0 the
 * response). The accumulator's kernel must suit the method (a factor for
 * auto, qr and svd; cross products for inverse, cholesky and naive).
 * Aliased columns are reported, as R's lm does; LR_ESINGULAR only when what
 * remains is singular to working precision (Gram methods).
 */
int lr_solve(const lr_accum *acc, const lr_model_spec *spec, lr_method method, lr_solution *out,
             lr_error *err);

void lr_solution_free(lr_solution *s);

/* LR_ERANGE (its message prefixed "source: " if source is not NULL) when the
 * data are too large or too small for double precision: the sums of squares
 * or (XᵀX)⁻¹ overflowed or underflowed, so σ and the standard errors would be
 * wrong. ridge and intercept: the model's. */
int lr_solution_check_range(const lr_solution *sol, int ridge, int intercept, const char *source,
                            lr_error *err);

/* ---- the reduced problem the methods solve (predictors only) ---- */

typedef struct lr_reduced {
    size_t q;            /* predictor columns */
    unsigned char *keep; /* q flags: estimable */
    double *beta;        /* q: slopes (kept entries) in the user's units */
    double *v;           /* q × q, ld q: (X_cᵀX_c)⁻¹ of the kept columns (user's units) */
    double *dep;         /* q × q, ld q: column j (aliased) = Σ dep[i, j] column i (kept),
                            in centred (or, without intercept, raw) terms */
    unsigned char *zero; /* q flags: aliased because the column is zero / constant (1:
                            exactly, 2: to working precision, its centred norm not 0) */
    int no_se;           /* 1: no covariance (ridge, minimum norm) */
    double rss;          /* residual sum of squares */
    double mss;          /* regression sum of squares */
    double tss;          /* total sum of squares */
    double rcond;        /* reciprocal condition number of the scaled model matrix */
    int squared;         /* 1: the method's error grows as κ² (normal equations) */
    double rho;          /* ≥ 1: the largest ratio of a column's (or the response's) raw
                            norm to its centred norm, √(1 + W μ² / Σ w (x − μ)²): what
                            rounding the data to double costs against the centred
                            problem (1 without an intercept) */
    double edf;          /* effective df of the slopes (tr H; the kept count without ridge) */
    size_t rank;         /* rank of the predictors' block */
    const double *mu;    /* in, q or NULL: the columns' means, for the intercept's terms */
    double *hmu;         /* q: V μ over the kept columns (has_mhm) */
    double mhm;          /* μᵀ V μ (has_mhm) */
    int has_mhm;         /* 1: the solver set hmu and mhm from its factor (the QR methods) */
} lr_reduced;

/* "x3 = 2 * x1 - 0.5 * x2 + 3": how aliased model column j depends on the kept
 * columns (coef[i] on column i where keep[i]), or that it is zero / constant
 * (then `constant` is its value). Allocated; free with lr_mem_strfree. */
/* What limits sol's digits, for a note, into buf[0..cap): "condition number
 * κ"; κ with data far from their means (ρ), or squared by the residual
 * (tan θ); or, when the small residual sum of squares does, that sum against
 * the total (a near-exact fit; 0 after an exact recomputation: an exact fit). */
void lr_digits_risk(const lr_solution *sol, double kappa, char *buf, size_t cap);

/* How aliased column j depends on the kept ones (keep, q flags): x_j =
 * constant + Σ coef_i x_i, or, zero set, that it is zero or constant (1:
 * exactly, 2: to working precision). Terms below LR_DEP_NOISE of the largest
 * (coefficients against the largest coefficient, the constant against
 * `scale`, the largest |term| at the means) are rounding noise and left out.
 * Owned string, or NULL when memory runs out. */
#define LR_DEP_NOISE 1e-9
char *lr_describe_dependency(const lr_model_spec *spec, size_t j, int zero,
                             const unsigned char *keep, const double *coef, double constant,
                             double scale);

/* Allocate the arrays for q predictors (zeroed); 0 or LR_ENOMEM. */
int lr_reduced_alloc(lr_reduced *r, size_t q, lr_error *err);
void lr_reduced_free(lr_reduced *r);

/* A column whose centred norm √(Σ w (x − μ)²) is at the level of the rounding
 * of its own values, 100 ε |μ| √W, is constant (never squared: no underflow
 * for values near 1e-150). */
int lr_column_is_constant(double centred_norm, double wsum, double mean);

/* solver_normal.c: inverse, cholesky and naive, from centred cross products. */
int lr_solve_normal(const lr_accum *acc, const lr_model_spec *spec, lr_method method,
                    lr_reduced *red, lr_error *err);
/* solver_qr.c: auto, qr and svd, from the triangular factor. */
int lr_solve_factor(const lr_accum *acc, const lr_model_spec *spec, lr_method method,
                    lr_reduced *red, lr_error *err);

/* The tolerance of rank detection on the scaled factor (relative residual
 * norm of a column after projection on the columns before it). */
#define LR_RANK_TOL_QR 1e-12
/* The same on the scaled cross-product matrix (relative residual sum of
 * squares): the normal equations square κ, so they resolve less. */
#define LR_RANK_TOL_NORMAL 1e-12

/*
 * The naive kernels (solver_naive.c): plain loops, the honest baseline.
 * Gauss–Jordan inversion with partial pivoting of the n × n matrix a (ld lda),
 * in place. perm (n entries) and work (n doubles) are workspace. Returns 0, or
 * j + 1 if column j has no pivot larger than tol in magnitude.
 */
size_t lr_naive_invert(size_t n, double *a, size_t lda, double tol, size_t *perm, double *work);
/* y = A x for a full n × n matrix in plain loops. */
void lr_naive_matvec(size_t n, const double *a, size_t lda, const double *x, double *y);
/* The upper triangle of C = XᵀX (p × p, ld ldc) for the n × p matrix X (ld ldx)
 * in plain loops: p(p+1)/2 dot products of contiguous columns, n p (p + 1)
 * flops. The strict lower triangle of C is not touched. */
void lr_naive_gram(size_t n, size_t p, const double *x, size_t ldx, double *c, size_t ldc);

#endif
