/*
 * extended.h — the extended-precision recomputation of a fit (internal).
 *
 * When the condition number says double precision puts digits at risk and
 * the data can be read again, the fit is recomputed from the decimal text of
 * the data in MPFR arithmetic (GNU MPFR, correctly rounded, at a precision
 * chosen from the condition number): every model term evaluated from the
 * text as written (x^10 of "−6.860120914" carries all its digits), the cross
 * products of the shifted columns accumulated, and the whole solve —
 * aliasing, β, (XᵀX)⁻¹, RSS — done in that precision before rounding to
 * double once.
 */
#ifndef LR_EXTENDED_H
#define LR_EXTENDED_H

#include <mpfr.h>

#include "byte_source.h"
#include "model_frame.h"
#include "solver.h"

/*
 * Read the input again (lr_source_again: through its descriptor or its copy;
 * same delimiter; checked after with lr_source_check) and recompute the fit
 * of `spec` in `prec` bits; acc is the first pass's statistics (for the shift
 * and to check the count of observations). On success *out replaces a double
 * solution. opt->progress (if set) is told the rows read ("extended precision").
 */
int lr_extended_fit(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                    const lr_accum *acc, mpfr_prec_t prec, const lr_fit_options *opt,
                    lr_solution *out, lr_error *err);

#endif
