/*
 * vcov_hac.h — the Newey–West meat from scores in file order (internal).
 */
#ifndef LR_VCOV_HAC_H
#define LR_VCOV_HAC_H

#include "internal.h"

/*
 * Γ_l = Σ_t s_t s_{t−l}ᵀ for l = 0..L over a run of consecutive scores
 * s_t = w_t e_t x_t (p of them each), plus the run's first and last L scores,
 * so that runs read by different threads join exactly: merging run b after
 * run a adds the products across the seam, s_{b,i} s_{a,end−k}ᵀ for lags
 * that reach back into a. Memory O((L + 1) p²), whatever the rows.
 */
typedef struct lr_hac {
    size_t p;      /* score length (kept coefficients) */
    size_t lag;    /* L */
    uint64_t n;    /* scores added */
    double *gamma; /* (L + 1) p × p blocks: Γ_0, ..., Γ_L (column-major, full) */
    double *head;  /* the first min(n, L) scores, L × p rows of p */
    double *tail;  /* the last min(n, L) scores, oldest first, L rows of p */
    size_t ntail;  /* scores in tail */
    double *s;     /* scratch: one score, p */
} lr_hac;

int lr_hac_init(lr_hac *h, size_t p, size_t lag, lr_error *err);
void lr_hac_free(lr_hac *h);
/* Forget every score (a new run). */
void lr_hac_reset(lr_hac *h);
/* Append the score s[0..p) (stride inc between entries). */
void lr_hac_add(lr_hac *h, const double *s, size_t inc);
/* Append n scores, the rows of the n × p column-major block s (leading
 * dimension ld): the products within the block by dgemm, those with the
 * scores before it row by row. The same sums as n calls of lr_hac_add, up
 * to rounding. */
void lr_hac_add_block(lr_hac *h, const double *s, size_t ld, size_t n);
/* dst := the run dst followed by the run src (same p and L). */
void lr_hac_merge(lr_hac *dst, const lr_hac *src);
/* The Bartlett-weighted meat Σ_l (1 − l/(L+1)) (Γ_l + Γ_lᵀ), Γ_0 once: p × p,
 * full, leading dimension p (n times sandwich::meatHAC's). */
void lr_hac_meat(const lr_hac *h, double *meat);

#endif
