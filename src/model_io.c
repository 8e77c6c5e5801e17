/*
 * model_io.c — the model file: a model (model.h) written as JSON and read
 * back, through jansson. The only place besides the checks it delegates to
 * (model_check.c, basis_json.c, fe_model.c) where a model is JSON.
 *
 * Loading refuses a file that lr_fit_save could not have written, naming the
 * field (model_check.c states what holds for every saved fit).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "basis_json.h"
#include "json_text.h"
#include "model.h"
#include "model_check.h"

/* jansson keeps its own allocator (malloc): its allocation hooks are
 * process-global, and a library must not change them under a host program
 * that uses jansson itself. Every jansson failure is still reported as
 * LR_ENOMEM or a parse error. */

/* ---- writing ---- */

static json_t *text(const lr_model_text *t)
{
    return lr_json_text(t->s, t->n);
}

/* JSON numbers with 17 significant digits; non-finite values as null. */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *list_json(const lr_model_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, text(&l->s[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* One variable: its label, whether a factor, its basis, its levels. */
static json_t *var_json(const lr_model_var *x)
{
    json_t *o = json_object();
    int ok = o && !json_object_set_new(o, "label", text(&x->label)) &&
             !json_object_set_new(o, "factor", json_boolean(x->factor));
    if (ok && x->basis) /* poly, scale, ns, bs: the basis prediction evaluates */
        ok = !json_object_set_new(o, "basis", lr_basis_json(x->basis));
    if (ok && x->factor) {
        json_t *lv = json_array();
        ok = lv && !json_object_set_new(o, "levels", lv) &&
             !json_object_set_new(o, "numeric_levels", json_boolean(x->numeric_levels));
        for (size_t r = 0; ok && r < x->nlevels; r++)
            ok = !json_array_append_new(lv,
                                        x->level_x ? json_real(x->level_x[r]) : text(&x->level[r]));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* o's "mean" (n numbers) and "upper_triangle_by_column" (row j the j + 1
 * entries of tri's column j, ld n): the statistics' and se_factor's layout.
 * 0 out of memory. */
static int means_and_triangle(json_t *o, size_t n, const double *mean, const double *tri)
{
    json_t *mu = json_array(), *mat = json_array();
    int ok = o && mu && mat;
    for (size_t j = 0; ok && j < n; j++) {
        ok &= !json_array_append_new(mu, json_real(mean[j]));
        json_t *row = json_array();
        ok &= !json_array_append_new(mat, row);
        for (size_t i = 0; ok && i <= j; i++)
            ok &= !json_array_append_new(row, json_real(LR_AT(tri, n, i, j)));
    }
    /* set_new takes its value even when it fails */
    if (ok) {
        ok = !json_object_set_new(o, "mean", mu);
        mu = NULL;
    }
    if (ok) {
        ok = !json_object_set_new(o, "upper_triangle_by_column", mat);
        mat = NULL;
    }
    json_decref(mu);
    json_decref(mat);
    return ok;
}

/* The kept columns' factor for predictions' standard errors
 * (model_se_factor.c): their means and T's upper triangle. NULL out of
 * memory. */
static json_t *se_factor_json(const lr_model *m)
{
    json_t *o = json_object();
    if (o && means_and_triangle(o, m->se_n, m->se_mean, m->se_tri))
        return o;
    json_decref(o);
    return NULL;
}

/* Coefficients, (XᵀX)⁻¹ by column, the accumulated statistics. */
static int results_json(const lr_model *m, json_t *root)
{
    json_t *coefs = json_array(), *inv = json_array(), *stats = json_object();
    int ok = coefs && inv && stats;
    for (size_t j = 0; ok && j < m->p; j++) {
        json_t *o = json_pack("{s:o, s:o, s:b}", "name", text(&m->names[j]), "estimate",
                              num(m->beta[j]), "aliased", m->aliased[j]);
        json_t *row = json_array();
        /* append_new takes its value (NULL too) even when it fails */
        ok &= !json_array_append_new(coefs, o);
        ok &= !json_array_append_new(inv, row);
        for (size_t i = 0; ok && i < m->p; i++)
            ok &= !json_array_append_new(row, num(LR_AT(m->xtx_inv, m->p, i, j)));
    }
    if (ok) {
        ok &= !json_object_set_new(stats, "kind",
                                   json_string(m->stats_factor ? "factor" : "comoments"));
        ok &= !json_object_set_new(stats, "columns", json_integer((json_int_t)m->k));
        ok &= !json_object_set_new(stats, "weight_sum", json_real(m->weight_sum));
        ok &= !json_object_set_new(stats, "observations", json_integer((json_int_t)m->nobs));
        ok = ok && means_and_triangle(stats, m->k, m->mean, m->tri);
        ok &= !json_object_set_new(root, "categorical_columns", list_json(&m->categorical));
        ok &= !json_object_set_new(root, "na_strings", list_json(&m->na_strings));
        ok &= !json_object_set_new(root, "coefficients", coefs);
        ok &= !json_object_set_new(root, "xtx_inverse", inv);
        ok &= !json_object_set_new(root, "statistics", stats);
        coefs = inv = stats = NULL;
    }
    if (ok && m->se_tri)
        ok &= !json_object_set_new(root, "se_factor", se_factor_json(m));
    json_decref(coefs);
    json_decref(inv);
    json_decref(stats);
    return ok;
}

/* The file's content, in the order of its keys. NULL out of memory. */
static json_t *model_json(const lr_model *m)
{
    json_t *root = json_object(), *vars = json_array();
    int ok = root && vars;
    if (ok) {
        ok &= !json_object_set_new(root, "format", json_string(LR_MODEL_FORMAT));
        ok &= !json_object_set_new(root, "format_version", json_integer(LR_MODEL_FORMAT_VERSION));
        ok &= !json_object_set_new(root, "linreg_version", json_string(LR_VERSION_STRING));
        ok &= !json_object_set_new(root, "formula", text(&m->formula));
        ok &= !json_object_set_new(root, "prediction_formula", text(&m->prediction));
        ok &= !json_object_set_new(root, "response", text(&m->response));
        ok &= !json_object_set_new(root, "intercept", json_boolean(m->intercept));
        ok &= !json_object_set_new(root, "weights", m->weights.s ? text(&m->weights) : json_null());
        ok &= !json_object_set_new(root, "method", json_string(m->method ? m->method : ""));
        ok &= !json_object_set_new(root, "n", json_integer((json_int_t)m->n));
        ok &= !json_object_set_new(root, "rank", json_integer((json_int_t)m->rank));
        ok &= !json_object_set_new(root, "df_residual", num(m->df));
        ok &= !json_object_set_new(root, "sigma", num(m->sigma));
        /* which rows the fit used, for linreg compare (row_fingerprint.c) */
        if (m->fingerprint.s) {
            ok &= !json_object_set_new(root, "rows_used", json_integer((json_int_t)m->rows_used));
            ok &= !json_object_set_new(root, "rows_fingerprint", text(&m->fingerprint));
        }
        ok &= !json_object_set_new(root, "logical_columns", list_json(&m->logical));
        ok &= !json_object_set_new(root, "predictor_columns", list_json(&m->predictors));
    }
    for (size_t v = 0; ok && v < m->nvars; v++)
        ok &= !json_array_append_new(vars, var_json(&m->vars[v]));
    ok = ok && !json_object_set_new(root, "variables", vars);
    vars = NULL;
    ok = ok && results_json(m, root);
    if (ok && m->fe)
        ok = !json_object_set_new(root, "fixed_effects", lr_fe_model_json(m->fe));
    json_decref(vars);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int lr_model_write(const lr_model *m, lr_output *o, lr_error *err)
{
    json_t *j = model_json(m);
    if (!j)
        return lr_error_nomem(err);
    FILE *f = lr_output_stream(o);
    int rc = LR_OK;
    if (json_dumpf(j, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER) != 0 &&
        !ferror(f))
        rc = lr_error_nomem(err); /* jansson failed without a write error: its allocation */
    else
        fputc('\n', f);
    json_decref(j);
    return rc; /* a write error is the commit's to report, with its errno */
}

int lr_model_save(const lr_model *m, const char *path, lr_error *err)
{
    lr_output *o;
    int st = lr_output_open(path, &o, err);
    if (st == LR_OK && (st = lr_model_write(m, o, err)) != LR_OK)
        lr_output_discard(o);
    else if (st == LR_OK)
        st = lr_output_commit(o, err);
    return st;
}

/* ---- reading ---- */

static int bad_field(lr_error *err, const char *path, const char *field, const char *what)
{
    return lr_error_set(err, LR_EDATA, "%s: not a valid linreg model file: %s %s", path, field,
                        what);
}

/* A number, or null for NaN (non-finite values are written as null). */
static int get_num(const json_t *v, double *x)
{
    if (json_is_null(v)) {
        *x = (double)NAN;
        return 1;
    }
    if (!json_is_number(v))
        return 0;
    *x = json_number_value(v);
    return 1;
}

/* A string field into t (left NULL when not a string). 0, or -1 out of memory. */
static int get_text(const json_t *v, lr_model_text *t)
{
    return json_is_string(v) ? lr_model_text_set(t, json_string_value(v), json_string_length(v))
                             : 0;
}

/* The strings of an array (other values skipped; no array: none). */
static int get_list(const json_t *a, lr_model_list *l)
{
    size_t n = json_array_size(a);
    l->cap = n ? n : 1;
    if (!(l->s = lr_mem_calloc(l->cap, sizeof *l->s)))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(a, i)) && get_text(json_array_get(a, i), &l->s[l->n++]))
            return -1;
    return 0;
}

/* A jansson parse failure as an lr_error naming `name` (and the place, when
 * jansson knows it). */
static int load_error(const json_error_t *je, const char *name, lr_error *err)
{
    if (json_error_code(je) == json_error_cannot_open_file)
        return lr_error_set(err, LR_EIO, "%s: cannot read the model file: %s", name, je->text);
    if (je->line < 1)
        return lr_error_set(err, LR_EDATA, "%s: not a valid linreg model file: %s", name, je->text);
    return lr_error_at(err, LR_EDATA, name, (uint64_t)je->line, (uint64_t)je->column,
                       "not a valid linreg model file: %s", je->text);
}

/* Coefficients and (XᵀX)⁻¹, checked. */
static int load_coefficients(const json_t *root, lr_model *m, lr_error *err)
{
    const json_t *coefs = json_object_get(root, "coefficients");
    const json_t *inv = json_object_get(root, "xtx_inverse");
    const char *path = m->path;
    if (!json_is_array(coefs) || json_array_size(coefs) == 0)
        return bad_field(err, path, "\"coefficients\"", "is missing or empty");
    m->p = json_array_size(coefs);
    if (!json_is_array(inv) || json_array_size(inv) != m->p)
        return bad_field(err, path, "\"xtx_inverse\"", "is missing or not p × p");
    m->names = lr_mem_calloc(m->p, sizeof *m->names);
    m->beta = lr_mem_calloc(m->p, sizeof(double));
    m->aliased = lr_mem_calloc(m->p, 1);
    m->xtx_inv = lr_mem_calloc(m->p * m->p, sizeof(double));
    if (!m->names || !m->beta || !m->aliased || !m->xtx_inv)
        return lr_error_nomem(err);
    for (size_t j = 0; j < m->p; j++) {
        const json_t *c = json_array_get(coefs, j);
        const json_t *al = json_object_get(c, "aliased");
        if (!json_is_object(c) || !json_is_string(json_object_get(c, "name")) ||
            !json_is_boolean(al) || !get_num(json_object_get(c, "estimate"), &m->beta[j]) ||
            (!json_is_true(al) && !isfinite(m->beta[j])))
            return bad_field(err, path, "\"coefficients\"",
                             "has an entry without a name, an "
                             "estimate or \"aliased\"");
        if (get_text(json_object_get(c, "name"), &m->names[j]))
            return lr_error_nomem(err);
        m->aliased[j] = json_is_true(al);
        if (!m->aliased[j])
            m->nkept++;
    }
    /* (XᵀX)⁻¹: finite wherever neither coefficient is aliased */
    for (size_t j = 0; j < m->p; j++) {
        const json_t *row = json_array_get(inv, j);
        if (!json_is_array(row) || json_array_size(row) != m->p)
            return bad_field(err, path, "\"xtx_inverse\"", "is not p × p");
        for (size_t i = 0; i < m->p; i++)
            if (!get_num(json_array_get(row, i), &LR_AT(m->xtx_inv, m->p, i, j)) ||
                (!m->aliased[i] && !m->aliased[j] && !isfinite(LR_AT(m->xtx_inv, m->p, i, j))))
                return bad_field(err, path, "\"xtx_inverse\"", "has an entry that is not a number");
    }
    return LR_OK;
}

/* n means and the triangle by column (model_check.c checked their shape)
 * into mu and tri (ld n). */
static void read_triangle(const json_t *mean, const json_t *tri, size_t n, double *mu, double *t)
{
    for (size_t j = 0; j < n; j++) {
        mu[j] = json_number_value(json_array_get(mean, j));
        for (size_t i = 0; i <= j; i++)
            LR_AT(t, n, i, j) = json_number_value(json_array_get(json_array_get(tri, j), i));
    }
}

/* The accumulated statistics (model_check.c checked their shape). */
static int load_statistics(const json_t *root, lr_model *m, lr_error *err)
{
    const json_t *st = json_object_get(root, "statistics");
    const json_t *mean = json_object_get(st, "mean"),
                 *tri = json_object_get(st, "upper_triangle_by_column");
    const char *kind = json_string_value(json_object_get(st, "kind"));
    size_t k = json_array_size(mean);
    m->stats_factor = kind && !strcmp(kind, "factor");
    m->k = k;
    m->weight_sum = json_number_value(json_object_get(st, "weight_sum"));
    m->nobs = (uint64_t)json_integer_value(json_object_get(st, "observations"));
    if (!(m->mean = lr_mem_calloc(k ? k : 1, sizeof(double))) ||
        !(m->tri = lr_mem_calloc(k ? k * k : 1, sizeof(double))))
        return lr_error_nomem(err);
    read_triangle(mean, tri, k, m->mean, m->tri);
    return LR_OK;
}

/* The factor for predictions' standard errors, if the file has one
 * (model_check.c checked its shape against the coefficients). */
static int load_se_factor(const json_t *root, lr_model *m, lr_error *err)
{
    const json_t *se = json_object_get(root, "se_factor");
    if (!se)
        return LR_OK;
    const json_t *mean = json_object_get(se, "mean"),
                 *tri = json_object_get(se, "upper_triangle_by_column");
    size_t s = json_array_size(mean);
    m->se_n = s; /* first: lr_model_se_factor_free sizes what it frees by it */
    if (!(m->se_mean = lr_mem_calloc(s ? s : 1, sizeof(double))) ||
        !(m->se_tri = lr_mem_calloc(s ? s * s : 1, sizeof(double))))
        return lr_error_nomem(err);
    read_triangle(mean, tri, s, m->se_mean, m->se_tri);
    return LR_OK;
}

/* A variable's levels as the file holds them. */
static int load_levels(const json_t *lv, lr_model_var *x)
{
    size_t n = json_array_size(lv), strings = 0, numbers = 0;
    for (size_t r = 0; r < n; r++) {
        strings += json_is_string(json_array_get(lv, r)) != 0;
        numbers += json_is_number(json_array_get(lv, r)) != 0;
    }
    x->nlevels = n;
    x->kind = !json_is_array(lv) ? LR_LEVELS_ABSENT
              : strings == n     ? LR_LEVELS_TEXT
              : numbers == n     ? LR_LEVELS_NUMBER
                                 : LR_LEVELS_MIXED;
    if (x->kind == LR_LEVELS_TEXT && !(x->level = lr_mem_calloc(n ? n : 1, sizeof *x->level)))
        return -1;
    if (x->kind == LR_LEVELS_NUMBER && !(x->level_x = lr_mem_calloc(n ? n : 1, sizeof(double))))
        return -1;
    for (size_t r = 0; r < n; r++) {
        if (x->level && get_text(json_array_get(lv, r), &x->level[r]))
            return -1;
        if (x->level_x)
            x->level_x[r] = json_number_value(json_array_get(lv, r));
    }
    return 0;
}

/* The variables, their levels and their bases: a basis' kind and width come
 * from the prediction formula, its parameters from the file. */
static int load_variables(const json_t *root, lr_model *m, lr_error *err)
{
    const json_t *vars = json_object_get(root, "variables");
    m->nvars = json_array_size(vars);
    if (!(m->vars = lr_mem_calloc(m->nvars ? m->nvars : 1, sizeof *m->vars)))
        return lr_error_nomem(err);
    const char **cols = lr_mem_calloc(m->predictors.n ? m->predictors.n : 1, sizeof(char *));
    if (!cols)
        return lr_error_nomem(err);
    for (size_t i = 0; i < m->predictors.n; i++)
        cols[i] = m->predictors.s[i].s;
    lr_formula *f = NULL;
    /* model_check.c parsed it already: it cannot fail but for memory */
    int rc = lr_formula_parse(m->prediction.s, cols, m->predictors.n, &f, err);
    lr_mem_free(cols, (m->predictors.n ? m->predictors.n : 1) * sizeof(char *));
    for (size_t v = 0; rc == LR_OK && v < m->nvars; v++) {
        const json_t *jv = json_array_get(vars, v);
        lr_model_var *x = &m->vars[v];
        x->factor = json_is_true(json_object_get(jv, "factor"));
        x->numeric_levels = json_is_true(json_object_get(jv, "numeric_levels"));
        if (get_text(json_object_get(jv, "label"), &x->label) ||
            (x->factor && load_levels(json_object_get(jv, "levels"), x))) {
            rc = lr_error_nomem(err);
            break;
        }
        const lr_var *fv = v + 1 < f->nvars ? &f->vars[v + 1] : NULL;
        if (!fv || !fv->basis)
            continue;
        if (!(x->basis = lr_mem_alloc(sizeof *x->basis))) {
            rc = lr_error_nomem(err);
            break;
        }
        *x->basis = *fv->basis;
        rc = lr_basis_from_json(x->basis, json_object_get(jv, "basis"), m->path, fv->label, err);
    }
    if (rc == LR_OK && f->nvars != m->nvars + 1)
        rc = lr_error_set(err, LR_EDATA,
                          "%s: the model file's variables do not match its "
                          "formula",
                          m->path);
    lr_formula_free(f);
    return rc;
}

/* Everything but the coefficients and the checks. */
static int load_fields(const json_t *root, lr_model *m, lr_error *err)
{
    const json_t *nas = json_object_get(root, "na_strings");
    for (size_t i = 0; i < json_array_size(nas); i++)
        if (i == LR_MODEL_MAX_NA_STRINGS || !json_is_string(json_array_get(nas, i)))
            return bad_field(err, m->path, "\"na_strings\"",
                             "holds too many values or one that is not a string");
    const char *method = json_string_value(json_object_get(root, "method"));
    m->intercept = json_is_true(json_object_get(root, "intercept"));
    m->n = (uint64_t)json_integer_value(json_object_get(root, "n"));
    m->rank = (size_t)json_integer_value(json_object_get(root, "rank"));
    m->rows_used = (uint64_t)json_integer_value(json_object_get(root, "rows_used"));
    if (get_text(json_object_get(root, "formula"), &m->formula) ||
        get_text(json_object_get(root, "prediction_formula"), &m->prediction) ||
        get_text(json_object_get(root, "response"), &m->response) ||
        get_text(json_object_get(root, "weights"), &m->weights) ||
        get_text(json_object_get(root, "rows_fingerprint"), &m->fingerprint) ||
        (method && !(m->method = lr_mem_strdup(method))) ||
        get_list(json_object_get(root, "logical_columns"), &m->logical) ||
        get_list(json_object_get(root, "predictor_columns"), &m->predictors) ||
        get_list(json_object_get(root, "categorical_columns"), &m->categorical) ||
        get_list(nas, &m->na_strings))
        return lr_error_nomem(err);
    int rc = load_statistics(root, m, err);
    if (rc == LR_OK)
        rc = load_se_factor(root, m, err);
    return rc ? rc : load_variables(root, m, err);
}

/* The model in a parsed file (root freed here); `path` names it in messages. */
static int model_from_json(json_t *root, const char *path, lr_model **out, lr_error *err)
{
    int restored = lr_json_restore_bytes(root);
    if (restored == -2) {
        json_decref(root);
        return lr_error_nomem(err);
    }
    if (restored == -1) {
        json_decref(root);
        return lr_error_set(err, LR_EDATA,
                            "%s: not a valid linreg model file: a \"latin1\" "
                            "string holds a character above U+00FF",
                            path);
    }
    lr_model *m = lr_mem_calloc(1, sizeof *m);
    if (!m) {
        json_decref(root);
        return lr_error_nomem(err);
    }
    m->path = lr_mem_strdup(path);
    int rc = LR_OK;
    const json_t *fmt = json_object_get(root, "format");
    if (!m->path) {
        rc = lr_error_nomem(err);
    } else if (!json_is_object(root) || !json_is_string(fmt) ||
               strcmp(json_string_value(fmt), LR_MODEL_FORMAT) != 0) {
        rc = bad_field(err, path, "\"format\"", "is not \"" LR_MODEL_FORMAT "\"");
    } else if (json_integer_value(json_object_get(root, "format_version")) !=
               LR_MODEL_FORMAT_VERSION) {
        rc = bad_field(err, path, "\"format_version\"", "is not 1");
    } else if (!json_is_string(json_object_get(root, "prediction_formula"))) {
        rc = bad_field(err, path, "\"prediction_formula\"", "is missing");
    } else if ((rc = load_coefficients(root, m, err)) == LR_OK) {
        if (!get_num(json_object_get(root, "sigma"), &m->sigma) ||
            !get_num(json_object_get(root, "df_residual"), &m->df))
            rc = bad_field(err, path, "\"sigma\" or \"df_residual\"", "is missing or not a number");
        else if (!json_is_array(json_object_get(root, "variables")))
            rc = bad_field(err, path, "\"variables\"", "is missing");
        else if ((rc = lr_model_check(root, path, m->p, m->nkept, err)) == LR_OK &&
                 (rc = lr_fe_model_load(root, path, &m->fe, err)) == LR_OK)
            rc = load_fields(root, m, err);
    }
    json_decref(root);
    if (rc) {
        lr_model_free(m);
        return rc;
    }
    *out = m;
    return LR_OK;
}

int lr_model_load(const char *path, lr_model **out, lr_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return load_error(&je, path, err);
    return model_from_json(root, path, out, err);
}

int lr_model_load_buffer(const char *data, size_t len, const char *name, lr_model **out,
                         lr_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return load_error(&je, name, err);
    return model_from_json(root, name, out, err);
}
