/*
 * model_frame_mp.h — the model frame's rows again, in MPFR (internal): the
 * model's columns evaluated from the decimal text of a row at a given
 * precision, for the extended-precision recomputation (extended.c).
 */
#ifndef LR_MODEL_FRAME_MP_H
#define LR_MODEL_FRAME_MP_H

#include <mpfr.h>

#include "model_frame.h"

/* Row evaluation in MPFR over a frame whose model is known (model_frame_mp.c). */
typedef struct lr_frame_mp lr_frame_mp;

int lr_frame_mp_create(lr_frame *f, mpfr_prec_t prec, lr_frame_mp **out, lr_error *err);

/* Evaluate one data row. *use = 0 when the row is omitted (a missing value, as
 * in the first pass); otherwise the model's columns, response and weight are
 * in lr_frame_mp_x / _y / _w. Errors carry the row's position. */
int lr_frame_mp_row(lr_frame_mp *m, const lr_csv_row *row, int *use, lr_error *err);

mpfr_t *lr_frame_mp_x(lr_frame_mp *m);  /* the model's columns, in lr_frame_model's order */
mpfr_ptr lr_frame_mp_y(lr_frame_mp *m); /* the response */
mpfr_ptr lr_frame_mp_w(lr_frame_mp *m); /* the weight (1 without weights) */

void lr_frame_mp_free(lr_frame_mp *m);

#endif
