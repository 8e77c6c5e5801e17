/*
 * accumulator.h — the accumulator's internal accessors (accumulator.c); its
 * public API is in linreg.h.
 */
#ifndef LR_ACCUMULATOR_H
#define LR_ACCUMULATOR_H

#include "internal.h"

/* Σ log w over the rows with nonzero weight (a weighted fit's logLik). */
double lr_accum_sum_log_weight(const lr_accum *acc);
/* Rows a QR accumulator holds pending, not yet folded into its factor (0 for
 * the Gram kernels): their cost (2 k² flops each) is still to be paid, so
 * progress counts them as not done. */
uint64_t lr_accum_pending_rows(const lr_accum *acc);
/* Whether a fold of k-column accumulators of this kernel merges its chunks
 * in a chain rather than along a tree (model_frame_fold.c): the QR kernel
 * from k + 1 ≥ LR_QR_CHAIN = 32 (accumulator_qr.c). */
int lr_accum_chains(lr_kernel kernel, size_t k);
/* How a QR accumulator's blocks were folded into its factor (for tests):
 * *taken by the preconditioned update, *refused by dtpqrt after the
 * update's guard found ‖C‖₂ ≥ 2 (accumulator_qr.c). 0 and 0 for the Gram
 * kernels. */
void lr_accum_update_counts(const lr_accum *acc, uint64_t *taken, uint64_t *refused);

#endif
