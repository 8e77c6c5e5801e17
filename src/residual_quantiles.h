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

/* R's quantiles of type 7 at probs[0..5) (ascending, in [0, 1]) of x[0..n),
 * n >= 1, which is reordered: x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)),
 * h = (n − 1) p, the order statistics exact. */
void lr_quantiles7(double *x, uint64_t n, const double probs[5], double q[5]);

#endif
