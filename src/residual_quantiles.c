/*
 * residual_quantiles.c — the residuals' five-number summary: R's quantiles of
 * type 7 by selection (exact), and order statistics read from a histogram of
 * the doubles' top bits for more residuals than memory keeps; and the same
 * selection in steps (lr_qvalues, lr_q7_plan) that MPI ranks run together,
 * each keeping its own residuals (mpi_fit.c's select_steps).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "residual_quantiles.h"

const double lr_quantile_probs[5] = {0, 0.25, 0.5, 0.75, 1};

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

/* The plan of a selection by bucketing first: from the counts h of the
 * values' top LR_Q7_BITS key bits (sign, exponent, four bits of mantissa),
 * each order statistic wanted — ⌊h⌋ and, when interpolating, ⌊h⌋ + 1 for
 * each probability — is located in its bucket, with the count of the values
 * in the buckets before it; the distinct buckets wanted, ascending, are
 * pl->want, and the values gathered from them lie bucket after bucket. */
void lr_q7_plan_make(const uint64_t *h, uint64_t n, const double probs[5], lr_q7_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    for (int i = 0; i < 5; i++) {
        double hp = (double)(n - 1) * probs[i];
        uint64_t lo = (uint64_t)floor(hp);
        pl->frac[i] = hp - (double)lo;
        pl->lo_at[i] = pl->hi_at[i] = pl->nr;
        pl->rank[pl->nr++] = lo;
        if (pl->frac[i] > 0 && lo + 1 < n) {
            pl->hi_at[i] = pl->nr;
            pl->rank[pl->nr++] = lo + 1;
        }
    }
    /* ranks ascend, so do their buckets */
    uint64_t cum = 0;
    size_t b = 0;
    for (int r = 0; r < pl->nr; r++) {
        while (cum + h[b] <= pl->rank[r])
            cum += h[b++];
        pl->before[r] = cum;
        if (pl->nw == 0 || pl->want[pl->nw - 1] != (uint32_t)b) {
            pl->want[pl->nw] = (uint32_t)b;
            pl->start[pl->nw] = pl->total;
            pl->total += h[b];
            pl->nw++;
        }
        pl->at[r] = pl->nw - 1;
    }
}

/* The quantiles from g[0..pl->total): the wanted buckets' values, bucket
 * after bucket (in any order within one), which are reordered. */
void lr_q7_plan_finish(const lr_q7_plan *pl, double *g, double q[5])
{
    double v[LR_Q7_WANT];
    for (int r = 0; r < pl->nr; r++) {
        int j = pl->at[r];
        uint64_t end = j + 1 < pl->nw ? pl->start[j + 1] : pl->total;
        v[r] = select_k(g + pl->start[j], (size_t)(end - pl->start[j]),
                        (size_t)(pl->rank[r] - pl->before[r]));
    }
    for (int i = 0; i < 5; i++) {
        double a = v[pl->lo_at[i]], c = v[pl->hi_at[i]];
        q[i] = a + pl->frac[i] * (c - a);
    }
}

/* x[0..n)'s values in the buckets want[0..nw) (ascending): cnt[j] of bucket
 * want[j] (added to), and, when out is given, the values, bucket after
 * bucket, each bucket's in x's order, at out + at[j] (advanced). */
static void pick(const double *x, uint64_t n, const uint32_t *want, int nw, uint64_t *cnt,
                 double *out, uint64_t *at)
{
    for (uint64_t i = 0; i < n; i++) {
        uint32_t b = (uint32_t)(lr_order_key(x[i]) >> (64 - LR_Q7_BITS));
        for (int j = 0; j < nw && want[j] <= b; j++)
            if (want[j] == b) {
                cnt[j]++;
                if (out)
                    out[at[j]++] = x[i];
                break;
            }
    }
}

/* The same by bucketing first: a histogram of the values' top 16 key bits
 * locates each wanted order statistic in its bucket, the few buckets wanted
 * are gathered, and the selection runs on them alone: two passes over x
 * instead of several quickselects over most of it (the text summary's last
 * serial step). The order statistics are the same values, so are the
 * quantiles. Falls back to quantiles7 when memory is short. */
void lr_quantiles7(double *x, uint64_t n, const double probs[5], double q[5])
{
    size_t nb = (size_t)1 << LR_Q7_BITS;
    uint64_t *hist = lr_mem_calloc(nb, sizeof(uint64_t));
    if (!hist) {
        quantiles7(x, n, probs, q);
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        hist[lr_order_key(x[i]) >> (64 - LR_Q7_BITS)]++;
    lr_q7_plan pl;
    lr_q7_plan_make(hist, n, probs, &pl);
    lr_mem_free(hist, nb * sizeof(uint64_t));
    double *g = lr_mem_alloc((size_t)pl.total * sizeof(double));
    if (!g) {
        quantiles7(x, n, probs, q);
        return;
    }
    uint64_t cnt[LR_Q7_WANT] = {0}, at[LR_Q7_WANT];
    memcpy(at, pl.start, sizeof at);
    pick(x, n, pl.want, pl.nw, cnt, g, at);
    lr_q7_plan_finish(&pl, g, q);
    lr_mem_free(g, (size_t)pl.total * sizeof(double));
}

/* ---- one process's (or MPI rank's) values ---- */

int lr_qvalues_init(lr_qvalues *qv, uint64_t nobs, uint64_t cap)
{
    memset(qv, 0, sizeof *qv);
    qv->on = 1;
    qv->exact = nobs <= LR_RESID_BUDGET;
    qv->hmin = INFINITY;
    qv->hmax = -INFINITY;
    if (qv->exact) {
        qv->cap = cap ? cap : 1;
        qv->v = lr_mem_alloc((size_t)qv->cap * sizeof(double));
        return qv->v ? LR_OK : LR_ENOMEM;
    }
    qv->hist = lr_mem_calloc((size_t)1 << LR_HIST_BITS, sizeof(uint64_t));
    return qv->hist ? LR_OK : LR_ENOMEM;
}

int lr_qvalues_add(lr_qvalues *qv, const double *x, size_t n)
{
    if (qv->exact) {
        if (n > qv->cap - qv->n) {
            uint64_t cap = qv->cap;
            while (n > cap - qv->n)
                cap = cap < LR_RESID_BUDGET ? 2 * cap : qv->n + n;
            double *v = lr_mem_realloc(qv->v, (size_t)qv->cap * sizeof(double),
                                       (size_t)cap * sizeof(double));
            if (!v)
                return LR_ENOMEM;
            qv->v = v;
            qv->cap = cap;
        }
        memcpy(qv->v + qv->n, x, n * sizeof(double));
    } else {
        for (size_t i = 0; i < n; i++) {
            qv->hist[lr_order_key(x[i]) >> (64 - LR_HIST_BITS)]++;
            qv->hmin = x[i] < qv->hmin ? x[i] : qv->hmin;
            qv->hmax = x[i] > qv->hmax ? x[i] : qv->hmax;
        }
    }
    qv->n += n;
    return LR_OK;
}

void lr_qvalues_free(lr_qvalues *qv)
{
    lr_mem_free(qv->v, (size_t)qv->cap * sizeof(double));
    lr_mem_free(qv->hist, ((size_t)1 << LR_HIST_BITS) * sizeof(uint64_t));
    memset(qv, 0, sizeof *qv);
}

size_t lr_qvalues_buckets(int exact)
{
    return (size_t)1 << (exact ? LR_Q7_BITS : LR_HIST_BITS);
}

void lr_qvalues_count(const lr_qvalues *qv, uint64_t *h, double ext[2])
{
    ext[0] = qv->on ? qv->hmin : (double)INFINITY;
    ext[1] = qv->on ? qv->hmax : -(double)INFINITY;
    if (qv->exact) {
        for (uint64_t i = 0; qv->v && i < qv->n; i++)
            h[lr_order_key(qv->v[i]) >> (64 - LR_Q7_BITS)]++;
    } else if (qv->hist) {
        for (size_t b = 0; b < ((size_t)1 << LR_HIST_BITS); b++)
            h[b] += qv->hist[b];
    }
}

void lr_qvalues_merge(lr_qvalues *into, const lr_qvalues *from)
{
    double ext[2];
    lr_qvalues_count(from, into->hist, ext);
    into->hmin = ext[0] < into->hmin ? ext[0] : into->hmin;
    into->hmax = ext[1] > into->hmax ? ext[1] : into->hmax;
}

void lr_qvalues_pick(const lr_qvalues *qv, const uint32_t *want, int nw, uint64_t *cnt, double *out)
{
    uint64_t at[LR_Q7_WANT] = {0};
    memset(cnt, 0, (size_t)nw * sizeof(uint64_t));
    if (out) { /* the buckets' places: their counts first */
        pick(qv->v, qv->exact ? qv->n : 0, want, nw, cnt, NULL, NULL);
        for (int j = 1; j < nw; j++)
            at[j] = at[j - 1] + cnt[j - 1];
        memset(cnt, 0, (size_t)nw * sizeof(uint64_t));
    }
    pick(qv->v, qv->exact ? qv->n : 0, want, nw, cnt, out, at);
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
