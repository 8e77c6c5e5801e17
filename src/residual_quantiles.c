/*
 * residual_quantiles.c — the residuals' five-number summary: R's quantiles of
 * type 7 by selection (exact), and order statistics read from a histogram of
 * the doubles' top bits for more residuals than memory keeps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "residual_quantiles.h"

/* An order-preserving map of doubles to unsigned integers. */
uint64_t lr_order_key(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : (b | 0x8000000000000000ULL);
}

static double key_value(uint64_t k)
{
    uint64_t b = (k >> 63) ? (k & 0x7fffffffffffffffULL) : ~k;
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

int lr_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of x[0..n) (0-based), leaving x partitioned around it
 * (nothing before it is larger, nothing after it smaller): quickselect with
 * a median-of-three pivot, and a sort of what remains if the partitions stop
 * shrinking (introselect), so O(n) expected and O(n log n) at worst. */
static double select_k(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, budget = 64;
    while (hi > lo) {
        if (budget-- == 0) {
            qsort(x + lo, hi - lo + 1, sizeof(double), lr_cmp_double);
            break;
        }
        size_t mid = lo + (hi - lo) / 2;
        double a = x[lo], b = x[mid], c = x[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) { /* Hoare: [lo, j] <= pivot <= [i, hi] */
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break; /* between j and i: equal to the pivot */
    }
    return x[k];
}

/* R's quantiles of type 7 at probs[0..5) (ascending) of x[0..n), which is
 * reordered: x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)), h = (n − 1) p. */
static void quantiles7(double *x, uint64_t n, const double *probs, double *q)
{
    size_t from = 0;
    for (int i = 0; i < 5; i++) {
        double h = (double)(n - 1) * probs[i];
        size_t lo = (size_t)floor(h);
        double a = select_k(x + from, (size_t)n - from, lo - from);
        from = lo;
        double b = a;
        if (h > (double)lo && lo + 1 < n) {
            /* the next order statistic: the least of what lies after lo */
            b = x[lo + 1];
            for (size_t j = lo + 2; j < n; j++)
                if (x[j] < b)
                    b = x[j];
        }
        q[i] = a + (h - (double)lo) * (b - a);
    }
}

/* The same by bucketing first: a histogram of the values' top 16 key bits
 * (sign, exponent, four bits of mantissa) locates each wanted order
 * statistic in its bucket, the few buckets wanted are gathered, and the
 * selection runs on them alone: two passes over x instead of several
 * quickselects over most of it (the text summary's last serial step). The
 * order statistics are the same values, so are the quantiles. Falls back to
 * quantiles7 when memory is short. */
void lr_quantiles7(double *x, uint64_t n, const double probs[5], double q[5])
{
    enum { BITS = 16, NB = 1 << BITS, MAXR = 10 };
    uint32_t *hist = n < UINT32_MAX ? lr_mem_calloc(NB, sizeof(uint32_t)) : NULL;
    if (!hist) {
        quantiles7(x, n, probs, q);
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        hist[lr_order_key(x[i]) >> (64 - BITS)]++;
    /* the ranks wanted: ⌊h⌋ and, when interpolating, ⌊h⌋ + 1 */
    uint64_t rank[MAXR];
    double frac[5];
    int nr = 0, lo_at[5], hi_at[5];
    for (int i = 0; i < 5; i++) {
        double h = (double)(n - 1) * probs[i];
        uint64_t lo = (uint64_t)floor(h);
        frac[i] = h - (double)lo;
        lo_at[i] = nr;
        rank[nr++] = lo;
        hi_at[i] = lo_at[i];
        if (frac[i] > 0 && lo + 1 < n) {
            hi_at[i] = nr;
            rank[nr++] = lo + 1;
        }
    }
    /* each rank's bucket, the count before it, and the buckets' places in the
     * gathered array (ranks ascend, so do their buckets) */
    uint32_t bucket[MAXR];
    uint64_t before[MAXR], cum = 0;
    size_t b = 0;
    for (int r = 0; r < nr; r++) {
        while (cum + hist[b] <= rank[r])
            cum += hist[b++];
        bucket[r] = (uint32_t)b;
        before[r] = cum;
    }
    uint64_t start[MAXR], total = 0;
    for (int r = 0; r < nr; r++) {
        if (r > 0 && bucket[r] == bucket[r - 1]) {
            start[r] = start[r - 1];
            continue;
        }
        start[r] = total;
        total += hist[bucket[r]];
    }
    double *g = lr_mem_alloc((size_t)total * sizeof(double));
    if (!g) {
        lr_mem_free(hist, NB * sizeof(uint32_t));
        quantiles7(x, n, probs, q);
        return;
    }
    /* gather: hist[] becomes each wanted bucket's fill position (+1, so that
     * zero still means "not wanted") */
    memset(hist, 0, NB * sizeof(uint32_t));
    for (int r = 0; r < nr; r++)
        hist[bucket[r]] = (uint32_t)start[r] + 1;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t *h = &hist[lr_order_key(x[i]) >> (64 - BITS)];
        if (*h)
            g[(*h)++ - 1] = x[i];
    }
    double v[MAXR];
    for (int r = 0; r < nr; r++) {
        /* the bucket's extent in g: from its start to the next bucket's */
        uint64_t end = total;
        for (int s = r + 1; s < nr; s++)
            if (bucket[s] != bucket[r]) {
                end = start[s];
                break;
            }
        v[r] = select_k(g + start[r], (size_t)(end - start[r]), (size_t)(rank[r] - before[r]));
    }
    for (int i = 0; i < 5; i++) {
        double a = v[lo_at[i]], c = v[hi_at[i]];
        q[i] = a + frac[i] * (c - a);
    }
    lr_mem_free(g, (size_t)total * sizeof(double));
    lr_mem_free(hist, NB * sizeof(uint32_t));
}

/* The value of the order statistic `rank` (0-based) from the histogram: the
 * bucket's midpoint; *bound gets half its width. */
double lr_hist_order(const uint64_t *h, uint64_t rank, double *bound)
{
    uint64_t c = 0;
    size_t nb = (size_t)1 << LR_HIST_BITS;
    for (size_t b = 0; b < nb; b++) {
        c += h[b];
        if (c > rank) {
            uint64_t lo = (uint64_t)b << (64 - LR_HIST_BITS);
            uint64_t hi = lo | ((1ULL << (64 - LR_HIST_BITS)) - 1);
            double a = key_value(lo), z = key_value(hi);
            if (!isfinite(a))
                a = z;
            if (!isfinite(z))
                z = a;
            double w = fabs(z - a) / 2;
            if (w > *bound)
                *bound = w;
            return (a + z) / 2;
        }
    }
    return (double)NAN;
}
