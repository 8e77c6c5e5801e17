/*
 * model_check.h — what a model file must hold to be used (internal).
 */
#ifndef LR_MODEL_CHECK_H
#define LR_MODEL_CHECK_H

#include "internal.h"

/*
 * The semantic checks of a parsed model file (a jansson object, opaque here)
 * whose coefficients (p of them, `rank` not aliased) were read already:
 * sigma, df_residual, n and rank consistent with each other, every array of
 * its stated length, and the formulas re-parsed over the stored columns and
 * matching the stored variables. LR_EDATA naming `path` and the field.
 */
int lr_model_check(const void *root, const char *path, size_t p, size_t rank, lr_error *err);

#endif
