/*
 * fe_model.h — the fixed effects in a model file (internal): saved by
 * `linreg fit -f 'y ~ x | firm + year' --save`, checked when the file is
 * loaded, and added to the predictions of `linreg predict`.
 */
#ifndef LR_FE_MODEL_H
#define LR_FE_MODEL_H

#include "fixed_effects.h"

/* Add "fixed_effects" to the model file's content `root` (a jansson object,
 * as lr_model_json_build makes it) for the fit `fit` of the demeaned model of
 * fe: the dummies' rank, and per factor its column, its levels in R's order,
 * their effects (as --fe-out writes them) and the levels dropped with the
 * singletons. LR_ENOMEM. */
int lr_fe_model_json(const lr_fe *fe, const lr_fit *fit, void *root, lr_error *err);

typedef struct lr_fe_model lr_fe_model;

/*
 * The "fixed_effects" of a parsed model file (root, borrowed; `path` names
 * the file in messages): *out = NULL when it has none, else freed with
 * lr_fe_model_free. LR_EDATA naming the field, the factor and the level when
 * the effects are not finite, a level is repeated or of the wrong type, the
 * counts disagree or the rank is impossible.
 */
int lr_fe_model_load(const void *root, const char *path, lr_fe_model **out, lr_error *err);
void lr_fe_model_free(lr_fe_model *fm);

/* Number of factors. */
size_t lr_fe_model_nf(const lr_fe_model *fm);

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
