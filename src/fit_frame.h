/*
 * fit_frame.h — the fit's steps after the first pass, for fit_partial.c
 * (internal; fit.c).
 */
#ifndef LR_FIT_FRAME_H
#define LR_FIT_FRAME_H

#include "byte_source.h"
#include "model_frame.h"

struct lr_diag_share;

/* The fit of a finished frame: input is the data for second passes, or NULL,
 * and then no_input says why there is none (in notes and errors); frame and
 * input are taken over. share: an MPI rank 0's second pass split among the
 * ranks (diagnostics.h), or NULL. */
int lr_fit_from_frame(lr_frame *frame, lr_source *input, char delimiter, const lr_fit_options *opt,
                      const char *no_input, const struct lr_diag_share *share, lr_fit **out,
                      lr_error *err);

#endif
