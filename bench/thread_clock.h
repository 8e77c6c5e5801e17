/*
 * thread_clock.h — what the one-thread kernel benchmarks (qr_fold_nb.c,
 * fold_precond.c) time with: the calling thread's CPU time, which a busy
 * machine disturbs less than wall time, and the median of repeated calls.
 */
#ifndef LR_BENCH_THREAD_CLOCK_H
#define LR_BENCH_THREAD_CLOCK_H

#include <stdlib.h>
#include <time.h>

/* OpenBLAS's own call: the benchmarks time one thread. */
void openblas_set_num_threads(int n);

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v's n entries (v is sorted). */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

#endif
