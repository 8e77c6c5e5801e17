/*
 * fold_precond.c — the accumulator's two folds, one thread
 * (src/accumulator_qr.c; docs/performance.md, issue 20's seventh and eighth
 * steps): M rows P folded into the factor R (k + 1 = N columns) of a first
 * block of M rows,
 *
 *   - by dtpqrt, on blocks of MQ rows (2N, the old B for wide models; M for
 *     a fair pair),
 *   - by the preconditioned update, as the accumulator does it: C = P R⁻¹
 *     (dtrsm) a panel of 256 rows at a time in a buffer that stays in the
 *     cache, CᵀC summed (dsyrk), the guard ‖C‖₂ < 2 (Gershgorin's bound,
 *     else dpotrf of 4I − CᵀC), I + CᵀC = UᵀU (dpotrf), R := U R (dtrmm).
 *
 * P is evicted from the cache before each fold (a 64 MiB sweep): in the
 * accumulator a block is written a chunk at a time between parses.
 * Prints thread CPU time (medians of REPS folds) in µs a row, and the
 * largest difference between the two factors relative to their diagonal
 * (rows signed to a positive diagonal).
 *
 * build: cc -O2 -o fold_precond bench/fold_precond.c -llapacke -lopenblas
 * usage: fold_precond N M MQ REPS      (e.g. 202 2048 404 21; 103 2048 2048 21)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "thread_clock.h"

#define PANEL 256

static void fill(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rand() / (double)RAND_MAX - 0.5;
}

static unsigned char sweep[64u << 20];
static void evict(void)
{
    for (size_t i = 0; i < sizeof sweep; i += 64)
        sweep[i]++;
}

/* R (n × n) := the update's factor of [R; P] (m × n, ld m); 0 if the guard failed. */
static int update(int n, int m, double *r, const double *p, double *c, double *g, double *t)
{
    for (int i0 = 0; i0 < m; i0 += PANEL) {
        int h = m - i0 < PANEL ? m - i0 : PANEL;
        for (int j = 0; j < n; j++)
            memcpy(c + (size_t)j * h, p + i0 + (size_t)j * m, (size_t)h * sizeof(double));
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, h, n, 1.0, r,
                    n, c, h);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, h, 1.0, c, h, i0 ? 1.0 : 0.0, g, n);
    }
    int gersh = 1;
    memset(t, 0, (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++)
        for (int i = 0; i <= j; i++) {
            double v = fabs(g[i + (size_t)j * n]);
            t[i] += v;
            if (i != j)
                t[j] += v;
        }
    for (int j = 0; j < n; j++)
        gersh &= t[j] < 4.0;
    if (!gersh) {
        for (int j = 0; j < n; j++)
            for (int i = 0; i <= j; i++)
                t[i + (size_t)j * n] = (i == j ? 4.0 : 0.0) - g[i + (size_t)j * n];
        if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, t, n))
            return 0;
    }
    for (int j = 0; j < n; j++)
        g[j + (size_t)j * n] += 1.0;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, g, n))
        return 0;
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, n, 1.0, g, n,
                r, n);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: fold_precond N M MQ REPS\n");
        return 2;
    }
    int n = atoi(argv[1]), m = atoi(argv[2]), mq = atoi(argv[3]), reps = atoi(argv[4]);
    if (n < 1 || m < n || mq < 1 || mq > m || reps < 1 || reps > 1000)
        return 2;
    openblas_set_num_threads(1);
    /* the accumulator's nb rule for chained models: (k + 1)/12 within [8, 32] */
    int nb = n / 12 < 8 ? 8 : n / 12 > 32 ? 32 : n / 12;
    if (nb > n)
        nb = n;
    size_t cells = (size_t)m * (size_t)n, tri = (size_t)n * (size_t)n;
    double *b0 = malloc(cells * sizeof(double)), *b = malloc(cells * sizeof(double));
    double *c = malloc((size_t)PANEL * (size_t)n * sizeof(double)),
           *r0 = calloc(tri, sizeof(double));
    double *rh = calloc(tri, sizeof(double)), *rp = calloc(tri, sizeof(double));
    double *g = calloc(tri, sizeof(double)), *gt = calloc(tri, sizeof(double));
    double *t = malloc((size_t)nb * (size_t)n * sizeof(double));
    double *w = malloc((size_t)nb * (size_t)n * sizeof(double));
    double *th = malloc((size_t)reps * sizeof(double)), *tp = malloc((size_t)reps * sizeof(double));
    if (!b0 || !b || !c || !r0 || !rh || !rp || !g || !gt || !t || !w || !th || !tp)
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
    int refused = 0;
    for (int k = 0; k < reps; k++) {
        fill(b0, cells);
        memcpy(b, b0, cells * sizeof(double));
        memcpy(rh, r0, tri * sizeof(double));
        evict();
        double s = now();
        for (int i0 = 0; i0 + mq <= m; i0 += mq)
            if (LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, mq, n, 0, nb, rh, n, b + i0, m, t, nb, w))
                return 1;
        th[k] = (now() - s) / (m / mq * mq);

        memcpy(rp, r0, tri * sizeof(double));
        evict();
        s = now();
        refused += !update(n, m, rp, b0, c, g, gt);
        tp[k] = (now() - s) / m;
        if (m % mq)
            continue; /* the two folded different rows */
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
    printf("n %d, m %d, dtpqrt on %d rows (nb %d): %.2f us a row; update: %.2f us a row "
           "(%d of %d refused by the guard); max |R difference| / |R_ii| %.1e\n",
           n, m, mq, nb, median(th, reps) * 1e6, median(tp, reps) * 1e6, refused, reps, diff);
    return 0;
}
