/*
 * fold_precond.c — a fold not kept (docs/performance.md, issue 20's seventh
 * step): m rows B folded into the accumulator's triangle R (k + 1 = n
 * columns) by dtpqrt, as src/accumulator_qr.c does, against a preconditioned
 * Cholesky update that does the same work in level-3 calls only:
 *
 *   C = B R⁻¹ (dtrsm), G = I + CᵀC (dsyrk), G = LᵀL (dpotrf), R' = L R (dtrmm)
 *
 * R'ᵀR' = Rᵀ(I + CᵀC)R = RᵀR + BᵀB, and G's condition is at most 1 + ‖C‖²,
 * so κ is not squared as long as the new rows are well represented by the
 * earlier ones (‖C‖ small); B is copied first, as a fallback to dtpqrt would
 * need it. 2 m n² flops either way.
 *
 * Prints thread CPU times (medians of REPS folds, one thread) and the largest
 * relative difference between the two R' (rows signed to a positive diagonal).
 *
 * build: cc -O2 -o fold_precond bench/fold_precond.c -llapacke -lopenblas
 * usage: fold_precond N M REPS      (e.g. 201 402 31; 201 2048 31)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "thread_clock.h"

static void fill(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rand() / (double)RAND_MAX - 0.5;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fold_precond N M REPS\n");
        return 2;
    }
    int n = atoi(argv[1]), m = atoi(argv[2]), reps = atoi(argv[3]);
    if (n < 1 || m < n || reps < 1 || reps > 1000)
        return 2;
    openblas_set_num_threads(1);
    /* the accumulator's nb rule for chained models: (k + 1)/12 within [8, 32] */
    int nb = n / 12 < 8 ? 8 : n / 12 > 32 ? 32 : n / 12;
    if (nb > n)
        nb = n;
    size_t cells = (size_t)m * (size_t)n, tri = (size_t)n * (size_t)n;
    double *b0 = malloc(cells * sizeof(double)), *b = malloc(cells * sizeof(double));
    double *c = malloc(cells * sizeof(double)), *r0 = calloc(tri, sizeof(double));
    double *rh = calloc(tri, sizeof(double)), *rp = calloc(tri, sizeof(double));
    double *g = calloc(tri, sizeof(double)), *t = malloc((size_t)nb * (size_t)n * sizeof(double));
    double *w = malloc((size_t)nb * (size_t)n * sizeof(double));
    double *th = malloc((size_t)reps * sizeof(double)), *tp = malloc((size_t)reps * sizeof(double));
    double *ts = malloc((size_t)reps * sizeof(double)), *tk = malloc((size_t)reps * sizeof(double));
    if (!b0 || !b || !c || !r0 || !rh || !rp || !g || !t || !w || !th || !tp || !ts || !tk)
        return 1;
    srand(1);
    /* R: the factor of a first block of m rows, as the chain's first fold */
    fill(b, cells);
    if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, b, m, t))
        return 1;
    for (int j = 0; j < n; j++)
        for (int i = 0; i <= j; i++)
            r0[i + (size_t)j * n] = b[i + (size_t)j * m];
    double diff = 0;
    for (int k = 0; k < reps; k++) {
        fill(b0, cells);
        memcpy(b, b0, cells * sizeof(double));
        memcpy(rh, r0, tri * sizeof(double));
        double s = now();
        if (LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, m, n, 0, nb, rh, n, b, m, t, nb, w))
            return 1;
        th[k] = now() - s;

        memcpy(b, b0, cells * sizeof(double));
        memcpy(rp, r0, tri * sizeof(double));
        s = now();
        memcpy(c, b, cells * sizeof(double));
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0,
                    rp, n, c, m);
        double s1 = now();
        memset(g, 0, tri * sizeof(double));
        for (int i = 0; i < n; i++)
            g[i + (size_t)i * n] = 1.0;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, 1.0, c, m, 1.0, g, n);
        double s2 = now();
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, g, n))
            return 1;
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, n, 1.0, g,
                    n, rp, n);
        tp[k] = now() - s;
        ts[k] = s1 - s;
        tk[k] = s2 - s1;
        for (int i = 0; i < n; i++) {
            double sh = rh[i + (size_t)i * n] < 0 ? -1 : 1, sp = rp[i + (size_t)i * n] < 0 ? -1 : 1;
            for (int j = i; j < n; j++) {
                double x = sh * rh[i + (size_t)j * n], y = sp * rp[i + (size_t)j * n];
                double d = fabs(x - y) / fabs(rh[i + (size_t)i * n]);
                if (d > diff)
                    diff = d;
            }
        }
    }
    double h = median(th, reps), p = median(tp, reps);
    printf("n %d, m %d, nb %d: dtpqrt %.3f ms (%.2f us a row); preconditioned %.3f ms (%.2f us a "
           "row; copy + dtrsm %.3f, dsyrk %.3f); max |R' difference| / |R'_ii| %.1e\n",
           n, m, nb, h * 1e3, h * 1e6 / m, p * 1e3, p * 1e6 / m, median(ts, reps) * 1e3,
           median(tk, reps) * 1e3, diff);
    return 0;
}
