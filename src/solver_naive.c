/*
 * solver_naive.c — the baseline linreg bench measures the libraries against:
 * Gauss–Jordan inversion with partial pivoting and a matrix–vector product in
 * plain loops. Written sensibly (inner loops run down contiguous columns, so
 * the compiler vectorises them), compiled with the same flags as the rest:
 * an honest baseline, not a straw man.
 */
#include <math.h>

#include "solver.h"

size_t lr_naive_invert(size_t n, double *a, size_t lda, double tol, size_t *perm, double *work)
{
    for (size_t k = 0; k < n; k++) {
        /* Partial pivoting: the largest entry of column k on or below the diagonal. */
        size_t r = k;
        double best = fabs(LR_AT(a, lda, k, k));
        for (size_t i = k + 1; i < n; i++) {
            double v = fabs(LR_AT(a, lda, i, k));
            if (v > best) {
                best = v;
                r = i;
            }
        }
        if (!(best > tol))
            return k + 1;
        perm[k] = r;
        if (r != k)
            for (size_t j = 0; j < n; j++) {
                double t = LR_AT(a, lda, k, j);
                LR_AT(a, lda, k, j) = LR_AT(a, lda, r, j);
                LR_AT(a, lda, r, j) = t;
            }
        double piv = LR_AT(a, lda, k, k);
        double inv = 1.0 / piv;
        /* c = column k (the multipliers); row k is scaled by 1/piv, and every
         * other column j loses a_kj · c: a[:, j] −= a_kj c, down the column. */
        double *c = work;
        for (size_t i = 0; i < n; i++)
            c[i] = LR_AT(a, lda, i, k);
        c[k] = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == k)
                continue;
            double *aj = a + j * lda;
            double t = aj[k] * inv;
            aj[k] = t;
            for (size_t i = 0; i < n; i++)
                aj[i] -= t * c[i];
        }
        /* Column k of the inverse-in-progress: −c / piv off the diagonal, 1/piv on it. */
        double *ak = a + k * lda;
        for (size_t i = 0; i < n; i++)
            ak[i] = -c[i] * inv;
        ak[k] = inv;
    }
    /* Row interchanges of A are column interchanges of A⁻¹, undone in reverse. */
    for (size_t kk = n; kk-- > 0;) {
        size_t r = perm[kk];
        if (r != kk)
            for (size_t i = 0; i < n; i++) {
                double t = LR_AT(a, lda, i, kk);
                LR_AT(a, lda, i, kk) = LR_AT(a, lda, i, r);
                LR_AT(a, lda, i, r) = t;
            }
    }
    return 0;
}

void lr_naive_matvec(size_t n, const double *a, size_t lda, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = 0;
    for (size_t j = 0; j < n; j++) {
        const double *aj = a + j * lda;
        double xj = x[j];
        for (size_t i = 0; i < n; i++)
            y[i] += aj[i] * xj;
    }
}

void lr_naive_gram(size_t n, size_t p, const double *x, size_t ldx, double *c, size_t ldc)
{
    /* c_ij = Σ_k x_ki x_kj for i <= j: p(p+1)/2 dot products of length n, each
     * running down two contiguous columns (column j stays in cache while the
     * columns i <= j stream past). The sum is the plain left-to-right one, which
     * the compiler may not reorder (no -ffast-math): what naive code gets. */
    for (size_t j = 0; j < p; j++) {
        const double *xj = x + j * ldx;
        for (size_t i = 0; i <= j; i++) {
            const double *xi = x + i * ldx;
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += xi[k] * xj[k];
            LR_AT(c, ldc, i, j) = s;
        }
    }
}
