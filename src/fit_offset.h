/*
 * fit_offset.h — the regression sum of squares R's summary.lm reports for a
 * model with offset() (internal; see fit_offset.c).
 */
#ifndef LR_FIT_OFFSET_H
#define LR_FIT_OFFSET_H

#include "solver.h"

/* mss from the fitted values Xβ + offset, over the statistics in acc (whose
 * column offset_col holds the offset), for the solution sol of spec. */
double lr_offset_mss(const lr_accum *acc, const lr_model_spec *spec, const lr_solution *sol,
                     size_t offset_col);

#endif
