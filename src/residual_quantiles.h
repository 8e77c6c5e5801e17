/*
 * residual_quantiles.h — exact and histogram quantiles of the residuals
 * (internal).
 */
#ifndef LR_RESIDUAL_QUANTILES_H
#define LR_RESIDUAL_QUANTILES_H

#include <stdint.h>

/* Histogram buckets: the top 18 bits of an order-preserving key. */
#define LR_HIST_BITS 18

/* An order-preserving map of doubles to unsigned integers (histogram
 * buckets are its top LR_HIST_BITS bits). */
uint64_t lr_order_key(double x);

/* qsort's comparison of doubles (no NaN). */
int lr_cmp_double(const void *a, const void *b);

/* The value of the order statistic `rank` (0-based) from a histogram h of
 * 2^LR_HIST_BITS buckets: the bucket's midpoint; *bound grows to half its
 * width. */
double lr_hist_order(const uint64_t *h, uint64_t rank, double *bound);

/* Residuals kept for exact quantiles (8 MB); more are counted in a
 * histogram of LR_HIST_BITS key bits. */
#define LR_RESID_BUDGET ((uint64_t)1 << 20)
/* The exact selection's buckets: the top 16 key bits (sign, exponent, four
 * bits of mantissa); at most 10 order statistics are wanted. */
#define LR_Q7_BITS 16
#define LR_Q7_WANT 10

/* The probabilities of summary.lm's five numbers: 0, 1/4, 1/2, 3/4, 1. */
extern const double lr_quantile_probs[5];

/* Where a selection by buckets finds the order statistics it wants. */
typedef struct lr_q7_plan {
    int nr;                      /* order statistics wanted */
    uint64_t rank[LR_Q7_WANT];   /* their ranks (0-based, ascending) */
    uint64_t before[LR_Q7_WANT]; /* the values in the buckets before each's */
    int at[LR_Q7_WANT];          /* each's bucket, as an index into want */
    int nw;                      /* distinct buckets wanted */
    uint32_t want[LR_Q7_WANT];   /* them, ascending */
    uint64_t start[LR_Q7_WANT];  /* where each's values start in the gathered array */
    uint64_t total;              /* its length */
    double frac[5];              /* each probability's interpolation weight */
    int lo_at[5], hi_at[5];      /* and its two order statistics (indices into rank) */
} lr_q7_plan;

/* The plan from the counts h[0..2^LR_Q7_BITS) of all n >= 1 values. */
void lr_q7_plan_make(const uint64_t *h, uint64_t n, const double probs[5], lr_q7_plan *pl);
/* The quantiles from g[0..pl->total), the wanted buckets' values bucket
 * after bucket (any order within one; reordered). */
void lr_q7_plan_finish(const lr_q7_plan *pl, double *g, double q[5]);

/* The √w e of one process's observations, or one MPI rank's share, for the
 * quantiles: every value when the fit has at most LR_RESID_BUDGET (exact),
 * else their histogram of LR_HIST_BITS key bits and the extremes. */
typedef struct lr_qvalues {
    int on;            /* initialized */
    int exact;         /* v holds the values; else hist */
    double *v;         /* exact: the values in the order added */
    uint64_t n, cap;   /* values added; v's capacity */
    uint64_t *hist;    /* else: their histogram */
    double hmin, hmax; /* else: the smallest and largest (NaN skipped) */
} lr_qvalues;

/* Ready for a fit of nobs observations (exact: room for cap values to
 * start). LR_ENOMEM. */
int lr_qvalues_init(lr_qvalues *qv, uint64_t nobs, uint64_t cap);
/* x[0..n) added. LR_ENOMEM. */
int lr_qvalues_add(lr_qvalues *qv, const double *x, size_t n);
void lr_qvalues_free(lr_qvalues *qv);
/* The buckets counted for a selection: 2^LR_Q7_BITS (exact), else
 * 2^LR_HIST_BITS. */
size_t lr_qvalues_buckets(int exact);
/* qv's counts added into h[0..lr_qvalues_buckets(qv->exact)) (exact: of its
 * values' top LR_Q7_BITS key bits; else its histogram); ext: its extremes
 * (histogram only). Integer counts: the sum is the same in any order. */
void lr_qvalues_count(const lr_qvalues *qv, uint64_t *h, double ext[2]);
/* A histogram's counts and extremes (from) added into another's (into),
 * Min and Max compared as one process compares its rows. */
void lr_qvalues_merge(lr_qvalues *into, const lr_qvalues *from);
/* Exact: cnt[j], the values in bucket want[j] (ascending, j < nw), and,
 * when out is given, the values, bucket after bucket, each in qv's order. */
void lr_qvalues_pick(const lr_qvalues *qv, const uint32_t *want, int nw, uint64_t *cnt,
                     double *out);

/* R's quantiles of type 7 at probs[0..5) (ascending, in [0, 1]) of x[0..n),
 * n >= 1, which is reordered: x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)),
 * h = (n − 1) p, the order statistics exact. */
void lr_quantiles7(double *x, uint64_t n, const double probs[5], double q[5]);

#endif
