/*
 * solver.h — from accumulated statistics to β and (XᵀX)⁻¹ (internal).
 */
#ifndef LR_SOLVER_H
#define LR_SOLVER_H

#include "internal.h"

/* The least-squares solution of one model. All arrays owned; free with lr_solution_free. */
typedef struct lr_solution {
    size_t p;         /* number of coefficients (intercept first when present) */
    size_t rank;      /* rank of the model matrix (p for a successful solve) */
    double *beta;     /* β, p entries, in the user's units */
    double *xtx_inv;  /* (XᵀX)⁻¹, p × p column-major, full, ld = p */
    double rss;       /* residual sum of squares Σ w e² */
    double mss;       /* regression sum of squares (about the mean with an intercept,
                         about zero without) */
    double tss;       /* total sum of squares, same convention as mss */
    double rcond;     /* reciprocal 1-norm condition number of the equilibrated XᵀX */
    double edf;       /* effective degrees of freedom: p, or tr(H) with a ridge penalty */
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
 * response). Fails with LR_ESINGULAR naming a dependent column when XᵀX is
 * singular to working precision (reciprocal condition of the equilibrated XᵀX
 * below machine epsilon).
 */
int lr_solve(const lr_accum *acc, const lr_model_spec *spec, lr_method method, lr_solution *out,
             lr_error *err);

void lr_solution_free(lr_solution *s);

/*
 * The naive kernels (solver_naive.c): plain loops, the honest baseline.
 * Gauss–Jordan inversion with partial pivoting of the n × n matrix a (ld lda),
 * in place. perm (n entries) and work (n doubles) are workspace. Returns 0, or
 * j + 1 if column j has no pivot larger than tol in magnitude.
 */
size_t lr_naive_invert(size_t n, double *a, size_t lda, double tol, size_t *perm, double *work);
/* y = A x for a full n × n matrix in plain loops. */
void lr_naive_matvec(size_t n, const double *a, size_t lda, const double *x, double *y);

/* Internal accessor of the accumulator (accumulator.c). */
double lr_accum_sum_log_weight(const lr_accum *acc);

#endif
