/*
 * basis_json.c — a data-dependent basis (basis.h) in the model file: what
 * prediction needs to evaluate it on new data as R's predict does (R's
 * makepredictcall puts the same values into the call):
 *   poly:  {"kind": "poly", "alpha": [d], "norm2": [d + 2]}
 *   scale: {"kind": "scale", "center": c, "scale": s}
 *   ns/bs: {"kind": "ns"|"bs", "degree": d, "knots": [m], "boundary_knots": [a, b]}
 * Reading checks every value and that the basis makes the columns its
 * formula call says (lr_basis_prepare).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "basis.h"
#include "basis_json.h"

static const char *const kind_name[] = {"poly", "scale", "ns", "bs"};

static json_t *reals(const double *x, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(x[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

void *lr_basis_json(const lr_basis *b)
{
    json_t *o = json_object();
    int ok = o && !json_object_set_new(o, "kind", json_string(kind_name[b->kind]));
    switch (b->kind) {
    case LR_BASIS_POLY:
        ok = ok && !json_object_set_new(o, "alpha", reals(b->alpha, (size_t)b->degree)) &&
             !json_object_set_new(o, "norm2", reals(b->norm2, (size_t)b->degree + 2));
        break;
    case LR_BASIS_SCALE:
        ok = ok && !json_object_set_new(o, "center", json_real(b->center_v)) &&
             !json_object_set_new(o, "scale", json_real(b->scale_v));
        break;
    default:
        ok = ok &&
             !json_object_set_new(o, "degree",
                                  json_integer(b->kind == LR_BASIS_NS ? 3 : b->degree)) &&
             !json_object_set_new(o, "knots", reals(b->knots, b->nknots)) &&
             !json_object_set_new(o, "boundary_knots", reals(b->boundary, 2));
        break;
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int bad(lr_error *err, const char *path, const char *label, const char *what)
{
    return lr_error_set(err, LR_EDATA,
                        "%s: not a valid linreg model file: the \"basis\" of variable %s %s", path,
                        label, what);
}

/* An array of exactly n numbers (max ≥ n) or, with n = SIZE_MAX, up to max. */
static int get_reals(const json_t *a, double *x, size_t n, size_t max, size_t *got)
{
    if (!json_is_array(a))
        return 0;
    size_t k = json_array_size(a);
    if ((n != SIZE_MAX && k != n) || k > max)
        return 0;
    for (size_t i = 0; i < k; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_number(e))
            return 0;
        x[i] = json_number_value(e);
    }
    if (got)
        *got = k;
    return 1;
}

int lr_basis_from_json(lr_basis *b, const void *jv, const char *path, const char *label,
                       lr_error *err)
{
    const json_t *j = jv;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    if (!json_is_object(j))
        return bad(err, path, label, "is missing");
    if (!kind || strcmp(kind, kind_name[b->kind]))
        return bad(err, path, label, "is not of the call's kind");
    int ok = 1;
    switch (b->kind) {
    case LR_BASIS_POLY:
        ok = get_reals(json_object_get(j, "alpha"), b->alpha, (size_t)b->degree,
                       LR_BASIS_MAX_DEGREE, NULL) &&
             get_reals(json_object_get(j, "norm2"), b->norm2, (size_t)b->degree + 2,
                       LR_BASIS_MAX_DEGREE + 2, NULL);
        break;
    case LR_BASIS_SCALE:
        ok = json_is_number(json_object_get(j, "center")) &&
             json_is_number(json_object_get(j, "scale"));
        if (ok) {
            b->center_v = json_number_value(json_object_get(j, "center"));
            b->scale_v = json_number_value(json_object_get(j, "scale"));
        }
        break;
    default: {
        const json_t *d = json_object_get(j, "degree");
        ok = json_is_integer(d) &&
             json_integer_value(d) == (b->kind == LR_BASIS_NS ? 3 : b->degree) &&
             get_reals(json_object_get(j, "knots"), b->knots, SIZE_MAX, LR_BASIS_MAX_KNOTS,
                       &b->nknots) &&
             get_reals(json_object_get(j, "boundary_knots"), b->boundary, 2, 2, NULL);
        break;
    }
    }
    if (!ok)
        return bad(err, path, label, "lacks a value or has one of the wrong type or length");
    char where[600];
    snprintf(where, sizeof where, "%s: not a valid linreg model file: the \"basis\" of variable %s",
             path, label);
    return lr_basis_prepare(b, where, err);
}
