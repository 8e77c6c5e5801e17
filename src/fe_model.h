/*
 * fe_model.h — the fixed effects in a model file (internal): saved by
 * `linreg fit -f 'y ~ x | firm + year' --save`, checked when the file is
 * loaded, and added to the predictions of `linreg predict`.
 */
#ifndef LR_FE_MODEL_H
#define LR_FE_MODEL_H

#include "fixed_effects.h"

typedef struct lr_fe_model lr_fe_model;

/* The fixed effects of a fit (the fit of the demeaned model of fe, whose p
 * coefficients are coefs) as a saved model holds them: the dummies' rank,
 * and per factor its column, its levels in R's order, their effects (as
 * --fe-out writes them), the levels dropped with the singletons and the
 * connected components. *out freed with lr_fe_model_free. LR_ENOMEM. */
int lr_fe_model_from_fe(const lr_fe *fe, size_t p, const lr_coef *coefs, lr_fe_model **out,
                        lr_error *err);

/* The "fixed_effects" object of the model file (a new jansson value), NULL
 * out of memory. */
void *lr_fe_model_json(const lr_fe_model *fm);

/*
 * The "fixed_effects" of a parsed model file (root, borrowed; `path` names
 * the file in messages): *out = NULL when it has none, else freed with
 * lr_fe_model_free. LR_EDATA naming the field, the factor and the level when
 * the effects are not finite, a level is repeated or of the wrong type, the
 * counts disagree or the rank is impossible.
 */
int lr_fe_model_load(const void *root, const char *path, lr_fe_model **out, lr_error *err);
void lr_fe_model_free(lr_fe_model *fm);

/* Number of factors; factor k's column (borrowed). */
size_t lr_fe_model_nf(const lr_fe_model *fm);
const char *lr_fe_model_column(const lr_fe_model *fm, size_t k);

/* The position of each factor's column in the new data's header (cols: nf
 * entries, caller's). LR_EDATA naming `source` for a column not there. */
int lr_fe_model_columns(const lr_fe_model *fm, const lr_csv_row *hdr, const char *source,
                        size_t *cols, lr_error *err);

/*
 * Σ_f effect_f[level of the row] into *sum: 1. 0 when a level is missing
 * (NA, as the fit omitted such rows). 2 when the row is too short to hold
 * a factor's column (for the caller's reading of the row to report). -1
 * when a level is not in the fit or was dropped there with the
 * singletons, or when the row's levels of the
 * first two factors are in different connected components (its prediction
 * is not identified): NA too, and *note (LR_EVALUE, with the row's line
 * and the column's, "source:line:col: ...") says which.
 */
int lr_fe_model_row(const lr_fe_model *fm, const size_t *cols, const lr_csv_row *row,
                    const char *source, double *sum, lr_error *note);

#endif
