/*
 * basis_json.h — data-dependent bases in model files (internal; jansson
 * objects are passed as void * so that only the model-file modules see
 * jansson).
 */
#ifndef LR_BASIS_JSON_H
#define LR_BASIS_JSON_H

#include "basis.h"

/* The basis' parameters as a new JSON object (caller owns the reference), or
 * NULL when out of memory. */
void *lr_basis_json(const lr_basis *b);

/* Read the parameters of b (whose kind, degree and columns come from the
 * formula) from a JSON object j, check them and make b ready. LR_EDATA
 * naming `path` and the variable's `label` when a value is missing, of the
 * wrong type or length, or inconsistent. */
int lr_basis_from_json(lr_basis *b, const void *j, const char *path, const char *label,
                       lr_error *err);

#endif
