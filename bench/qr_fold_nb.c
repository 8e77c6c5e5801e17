/*
 * qr_fold_nb.c — what one fold of the QR accumulator costs on one thread, for
 * dtpqrt's (and dgeqrt's) block sizes nb (src/accumulator_qr.c, tpqrt_nb):
 *
 *   geqrt  dgeqrt of B rows × (k + 1) columns (the first fold of a stream)
 *   pent   dtpqrt of m rows with a (k + 1)-triangle under them into R⁺ (a
 *          triangle merged, pentagonal form)
 *   rect   dtpqrt of B rows into R⁺ (the fold of a full pending block: what
 *          the chain of a wide model does, docs/design.md "The accumulator")
 *
 * on random data; thread CPU time, the median of REPS calls, in ms.
 *
 * build: cc -O2 -o qr_fold_nb bench/qr_fold_nb.c -llapacke -lopenblas
 * usage: qr_fold_nb K1 B M REPS     (e.g. 203 406 104 41; 1001 2002 50 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "thread_clock.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: qr_fold_nb K1 B M REPS\n");
        return 2;
    }
    int n = atoi(argv[1]), b = atoi(argv[2]), m = atoi(argv[3]), reps = atoi(argv[4]);
    if (n < 1 || b < 1 || m < 0 || reps < 1 || reps > 1000)
        return 2;
    openblas_set_num_threads(1);
    int rows = b > m + n ? b : m + n;
    size_t cells = (size_t)rows * (size_t)n;
    double *a = malloc(cells * sizeof(double)), *a0 = malloc(cells * sizeof(double));
    double *r = calloc((size_t)n * n, sizeof(double)), *r0 = calloc((size_t)n * n, sizeof(double));
    double *t = malloc(64 * (size_t)n * sizeof(double)),
           *w = malloc(64 * (size_t)n * sizeof(double));
    double *g = malloc((size_t)reps * sizeof(double)), *p = malloc((size_t)reps * sizeof(double));
    double *q = malloc((size_t)reps * sizeof(double));
    if (!a || !a0 || !r || !r0 || !t || !w || !g || !p || !q)
        return 1;
    srand(1);
    for (size_t i = 0; i < cells; i++)
        a0[i] = rand() / (double)RAND_MAX - 0.5;
    for (int j = 0; j < n; j++)
        for (int i = 0; i <= j; i++)
            r0[i + (size_t)j * n] = rand() / (double)RAND_MAX + (i == j ? 10 : 0);
    printf("k + 1 = %d: nb, dgeqrt %d rows, dtpqrt %d rows + triangle, dtpqrt %d rows "
           "(ms, median of %d)\n",
           n, b, m, b, reps);
    static const int nbs[] = {4, 6, 8, 12, 16, 24, 32, 48, 64};
    for (size_t s = 0; s < sizeof nbs / sizeof *nbs && nbs[s] <= n; s++) {
        int nb = nbs[s];
        for (int it = 0; it < reps; it++) {
            memcpy(a, a0, (size_t)b * n * sizeof(double));
            double t0 = now();
            LAPACKE_dgeqrt_work(LAPACK_COL_MAJOR, b, n, nb, a, b, t, nb, w);
            g[it] = now() - t0;
            /* m rectangular rows, then an upper triangle (l = n) */
            int mp = m + n;
            memcpy(a, a0, (size_t)mp * n * sizeof(double));
            for (int j = 0; j < n; j++)
                for (int i = m + j + 1; i < mp; i++)
                    a[i + (size_t)j * mp] = 0;
            memcpy(r, r0, (size_t)n * n * sizeof(double));
            t0 = now();
            LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, mp, n, n, nb, r, n, a, mp, t, nb, w);
            p[it] = now() - t0;
            memcpy(a, a0, (size_t)b * n * sizeof(double));
            memcpy(r, r0, (size_t)n * n * sizeof(double));
            t0 = now();
            LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, b, n, 0, nb, r, n, a, b, t, nb, w);
            q[it] = now() - t0;
        }
        printf("nb %2d  geqrt %8.3f  pent %8.3f  rect %8.3f\n", nb, 1e3 * median(g, reps),
               1e3 * median(p, reps), 1e3 * median(q, reps));
    }
    free(a), free(a0), free(r), free(r0), free(t), free(w), free(g), free(p), free(q);
    return 0;
}
