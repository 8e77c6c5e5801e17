/*
 * model_frame.h — from CSV rows to blocks of the model's columns (internal).
 */
#ifndef LR_MODEL_FRAME_H
#define LR_MODEL_FRAME_H

#include "internal.h"

typedef struct lr_frame lr_frame;

/*
 * Resolve the model's columns against the header row: the response
 * (opt->target, default the first column) and the predictors (opt->features,
 * default every other column). Fails with LR_EUSAGE for an unknown column
 * (suggesting the closest name) and LR_EDATA for an empty or duplicated header
 * name the model uses. The frame feeds a new accumulator of 1 + q columns.
 */
int lr_frame_create(const lr_csv_row *header, const char *source, const lr_fit_options *opt,
                    lr_frame **out, lr_error *err);

/*
 * Take one data row: convert the model's cells, omit the row if one is missing
 * (or fail under LR_NA_ERROR), and add full blocks to the accumulator.
 */
int lr_frame_add_row(lr_frame *f, const lr_csv_row *row, lr_error *err);

/* Add the last, partial block. */
int lr_frame_finish(lr_frame *f, lr_error *err);

/* The accumulator (owned by the frame). */
const lr_accum *lr_frame_accum(const lr_frame *f);
/* Column names of the accumulator: [0] the response, then the predictors (borrowed). */
const char *const *lr_frame_names(const lr_frame *f);
/* Data rows seen and rows omitted for missing values. */
uint64_t lr_frame_rows(const lr_frame *f);
uint64_t lr_frame_dropped(const lr_frame *f);

void lr_frame_free(lr_frame *f);

#endif
