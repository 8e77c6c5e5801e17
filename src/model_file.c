/*
 * model_file.c — saved models (JSON, through jansson) and prediction.
 *
 * A model file holds what prediction needs — the model's variables, the
 * factor levels in R's order, the coefficients, (XᵀX)⁻¹, σ and the residual
 * degrees of freedom — and the accumulated statistics (the sum of weights,
 * the means and the centred cross products or their triangular factor, with
 * what each column is), from which the fit can be updated with more rows or
 * merged with another fit of the same model.
 *
 * Prediction rebuilds the model frame on the new data's header from a
 * formula that lists every variable in its original order and then the
 * terms ("0 ~ a + b - a - b + a + b:a"), so that variables, terms and
 * coefficient names come out exactly as in the fit; column types and levels
 * come from the file, never from the new data. Intervals as R's predict.lm:
 *   se = √(xᵀ V x) σ, confidence: ŷ ∓ t se, prediction: ŷ ∓ t √(se² + σ²),
 * t the (1 + level)/2 quantile with the residual degrees of freedom.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "basis_json.h"
#include "byte_source.h"
#include "fe_model.h"
#include "model_check.h"
#include "model_file.h"
#include "model_frame_impl.h"
#include "stats.h"

#define LR_MODEL_FORMAT "linreg-model"
#define LR_MODEL_FORMAT_VERSION 1
#define LR_MODEL_MAX_NA_STRINGS 128 /* missing-value spellings a prediction reads */

/* jansson keeps its own allocator (malloc): its allocation hooks are
 * process-global, and a library must not change them under a host program
 * that uses jansson itself. Every jansson failure is still reported as
 * LR_ENOMEM or a parse error. */

/*
 * Strings from the data (column names, factor levels, the formulas that name
 * them) need not be UTF-8, which JSON requires. One that is not is written
 * as {"latin1": "..."}: its bytes read as Latin-1 code points, U+0000–U+00FF,
 * which the reader turns back into the very same bytes.
 */
static json_t *jstrn(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *u = lr_mem_alloc(2 * n + 1);
    if (!u)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            u[k++] = (char)b;
        } else {
            u[k++] = (char)(0xc0 | (b >> 6));
            u[k++] = (char)(0x80 | (b & 0x3f));
        }
    }
    j = json_stringn(u, k);
    lr_mem_free(u, 2 * n + 1);
    return j ? json_pack("{s:o}", "latin1", j) : NULL;
}

void *lr_model_json_text(const char *s, size_t n)
{
    return jstrn(s, n);
}

static json_t *jstr(const char *s)
{
    return jstrn(s, strlen(s));
}

/* The reader's side: replace every {"latin1": "..."} below v by the string of
 * its bytes. 0 on success, -1 on a malformed one (a code point above U+00FF),
 * -2 out of memory. */
static int restore_bytes(json_t *v);

static int latin1_value(json_t *v, json_t **out)
{
    *out = NULL;
    json_t *l = json_object_get(v, "latin1");
    if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_string(l))
        return restore_bytes(v);
    const unsigned char *u = (const unsigned char *)json_string_value(l);
    size_t n = json_string_length(l), k = 0;
    char *b = lr_mem_alloc(n + 1);
    if (!b)
        return -2;
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x80) {
            b[k++] = (char)u[i];
        } else if ((u[i] == 0xc2 || u[i] == 0xc3) && i + 1 < n) {
            b[k++] = (char)(((u[i] & 0x03) << 6) | (u[i + 1] & 0x3f));
            i++;
        } else {
            lr_mem_free(b, n + 1);
            return -1;
        }
    }
    *out = json_stringn_nocheck(b, k);
    lr_mem_free(b, n + 1);
    return *out ? 0 : -2;
}

static int restore_bytes(json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *r;
            int rc = latin1_value(json_array_get(v, i), &r);
            if (rc)
                return rc;
            if (r && json_array_set_new(v, i, r))
                return -2;
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
        {
            json_t *r;
            int rc = latin1_value(e, &r);
            if (rc)
                return rc;
            if (r && json_object_set_new(v, key, r))
                return -2;
        }
    }
    return 0;
}

/* JSON numbers with 17 significant digits; non-finite values as null. */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* ---- building the file's content at fit time ---- */

/* Mark the data columns an expression reads. */
static void mark_columns(const lr_node *n, unsigned char *mark)
{
    for (; n; n = n->b) {
        if (n->kind == LR_NODE_COL)
            mark[n->col] = 1;
        mark_columns(n->a, mark);
    }
}

/* The formula prediction rebuilds the frame from (see the top of the file). */
static char *rebuild_formula(const lr_frame *f)
{
    const lr_formula *fm = f->formula;
    size_t n = 64;
    for (size_t v = 1; v < fm->nvars; v++)
        n += 2 * strlen(fm->vars[v].label) + 8;
    for (size_t t = 0; t < fm->nterms; t++)
        for (size_t i = 0; i < fm->terms[t].n; i++)
            n += strlen(fm->vars[fm->terms[t].vars[i]].label) + 4;
    char *s = lr_mem_alloc(n);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, n, "0 ~ ");
    int any = 0;
    for (size_t v = 1; v < fm->nvars; v++)
        o += (size_t)snprintf(s + o, n - o, "%s%s", any++ ? " + " : "", fm->vars[v].label);
    for (size_t v = 1; v < fm->nvars; v++)
        o += (size_t)snprintf(s + o, n - o, " - %s", fm->vars[v].label);
    for (size_t t = 0; t < fm->nterms; t++) {
        o += (size_t)snprintf(s + o, n - o, "%s", any++ ? " + " : "");
        for (size_t i = 0; i < fm->terms[t].n; i++)
            o += (size_t)snprintf(s + o, n - o, "%s%s", i ? ":" : "",
                                  fm->vars[fm->terms[t].vars[i]].label);
    }
    if (!any)
        o += (size_t)snprintf(s + o, n - o, "1");
    if (!fm->intercept)
        o += (size_t)snprintf(s + o, n - o, " - 1");
    /* a right-sized copy, so that it is freed as any lr_mem_strdup string */
    char *t = lr_mem_strdup(s);
    lr_mem_free(s, n);
    return t;
}

/* The extra missing-value spellings the fit read (--na-strings): predict
 * reads new data with the same ones. */
static json_t *na_strings_json(const lr_frame *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < f->nas.n; i++)
        if (json_array_append_new(a, jstrn(f->nas.s[i], f->nas.len[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int lr_model_json_build(const lr_frame *f, const lr_fit *fit, const lr_accum *acc, void **out,
                        lr_error *err)
{
    *out = NULL;
    const lr_formula *fm = f->formula;
    const lr_summary *s = lr_fit_summary(fit);
    size_t p = lr_fit_ncoef(fit), ld;
    char *rebuild = rebuild_formula(f);
    json_t *root = json_object(), *vars = json_array(), *coefs = json_array(), *inv = json_array(),
           *cats = json_array(), *stats = json_object();
    int ok = rebuild && root && vars && coefs && inv && cats && stats;
    if (ok) {
        ok &= !json_object_set_new(root, "format", json_string(LR_MODEL_FORMAT));
        ok &= !json_object_set_new(root, "format_version", json_integer(LR_MODEL_FORMAT_VERSION));
        ok &= !json_object_set_new(root, "linreg_version", json_string(LR_VERSION_STRING));
        ok &= !json_object_set_new(root, "formula", jstr(s->model));
        ok &= !json_object_set_new(root, "prediction_formula", jstr(rebuild));
        ok &= !json_object_set_new(root, "response", jstr(s->response));
        ok &= !json_object_set_new(root, "intercept", json_boolean(s->intercept));
        ok &= !json_object_set_new(root, "weights", s->weights ? jstr(s->weights) : json_null());
        ok &= !json_object_set_new(root, "method", json_string(lr_method_name(s->method)));
        ok &= !json_object_set_new(root, "n", json_integer((json_int_t)s->n));
        ok &= !json_object_set_new(root, "rank", json_integer((json_int_t)s->rank));
        ok &= !json_object_set_new(root, "df_residual", num(s->df_residual));
        ok &= !json_object_set_new(root, "sigma", num(s->sigma));
        /* which rows the fit used, for linreg compare (row_fingerprint.c) */
        char fp[17];
        snprintf(fp, sizeof fp, "%016" PRIx64, lr_row_fp_value(&f->fp));
        ok &= !json_object_set_new(root, "rows_used", json_integer((json_int_t)f->fp.n));
        ok &= !json_object_set_new(root, "rows_fingerprint", json_string(fp));
    }
    /* variables: factor levels in R's order */
    for (size_t v = 1; ok && v < fm->nvars; v++) {
        if (fm->vars[v].codes)
            continue; /* C(g, sum)'s columns: made again from its factor's levels */
        json_t *o = json_object();
        ok &= o && !json_array_append_new(vars, o);
        if (!ok)
            break;
        ok &= !json_object_set_new(o, "label", jstr(fm->vars[v].label));
        ok &= !json_object_set_new(o, "factor", json_boolean(f->vars[v].factor));
        if (fm->vars[v].basis) /* poly, scale, ns, bs: the basis prediction evaluates */
            ok &= !json_object_set_new(o, "basis", lr_basis_json(fm->vars[v].basis));
        if (f->vars[v].factor) {
            const lr_levels *l = f->vars[v].levels;
            int numeric = lr_levels_numeric(l);
            json_t *lv = json_array();
            ok &= lv && !json_object_set_new(o, "levels", lv);
            ok &= !json_object_set_new(o, "numeric_levels", json_boolean(numeric));
            for (size_t r = 0; ok && r < lr_levels_count(l); r++) {
                uint32_t id = lr_levels_id_at(l, r);
                double x;
                lr_levels_value(l, id, &x);
                ok &= !json_array_append_new(
                    lv, numeric ? json_real(x)
                                : jstrn(lr_levels_label(l, id), lr_levels_length(l, id)));
            }
        }
    }
    json_t *logicals = json_array();
    ok &= logicals && !json_object_set_new(root, "logical_columns", logicals);
    for (size_t j = 0; ok && j < f->ncsv; j++) {
        if (f->cols[j].used && f->cols[j].text && !f->cols[j].levels_numeric)
            ok &= !json_array_append_new(cats, jstr(f->colnames[j]));
        if (f->cols[j].used && f->cols[j].logical)
            ok &= !json_array_append_new(logicals, jstr(f->colnames[j]));
    }
    /* the columns prediction needs: those the predictors read */
    json_t *pcols = json_array();
    unsigned char *mark = lr_mem_calloc(f->ncsv ? f->ncsv : 1, 1);
    /* set_new takes pcols (NULL too) even when it fails */
    ok &= !json_object_set_new(root, "predictor_columns", pcols) && mark;
    for (size_t v = 1; ok && v < fm->nvars; v++) {
        if (fm->vars[v].kind == LR_VAR_COLUMN || fm->vars[v].kind == LR_VAR_FACTOR)
            mark[fm->vars[v].col] = 1;
        for (size_t i = 0; i < fm->vars[v].nicols; i++) /* interaction(a, b) */
            mark[fm->vars[v].icols[i]] = 1;
        if (fm->vars[v].kind == LR_VAR_COLUMN || fm->vars[v].kind == LR_VAR_FACTOR)
            continue;
        mark_columns(fm->vars[v].expr, mark);
    }
    for (size_t j = 0; ok && j < f->ncsv; j++)
        if (mark[j])
            ok &= !json_array_append_new(pcols, jstr(f->colnames[j]));
    lr_mem_free(mark, f->ncsv ? f->ncsv : 1);
    /* coefficients and (XᵀX)⁻¹ */
    const double *xi = lr_fit_xtx_inverse(fit, &ld);
    for (size_t j = 0; ok && j < p; j++) {
        const lr_coef *c = lr_fit_coef(fit, j);
        json_t *o = json_pack("{s:o, s:o, s:b}", "name", jstr(c->name), "estimate",
                              num(c->estimate), "aliased", c->aliased);
        json_t *row = json_array();
        /* append_new takes its value (NULL too) even when it fails */
        ok &= !json_array_append_new(coefs, o);
        ok &= !json_array_append_new(inv, row);
        for (size_t i = 0; ok && i < p; i++)
            ok &= !json_array_append_new(row, num(LR_AT(xi, ld, i, j)));
    }
    /* the accumulated statistics */
    size_t k = lr_accum_ncols(acc), ldm;
    lr_kernel kern = lr_accum_kernel(acc);
    const double *m =
        kern == LR_KERNEL_QR ? lr_accum_factor(acc, &ldm) : lr_accum_comoments(acc, &ldm);
    const double *mu = lr_accum_mean(acc);
    json_t *mean = json_array(), *mat = json_array();
    ok &= mean && mat && m;
    for (size_t j = 0; ok && j < k; j++) {
        ok &= !json_array_append_new(mean, json_real(mu[j]));
        json_t *row = json_array();
        ok &= !json_array_append_new(mat, row);
        for (size_t i = 0; ok && i <= j; i++)
            ok &= !json_array_append_new(row, json_real(LR_AT(m, ldm, i, j)));
    }
    if (ok) {
        ok &= !json_object_set_new(stats, "kind",
                                   json_string(kern == LR_KERNEL_QR ? "factor" : "comoments"));
        ok &= !json_object_set_new(stats, "columns", json_integer((json_int_t)k));
        ok &= !json_object_set_new(stats, "weight_sum", json_real(lr_accum_weight(acc)));
        ok &= !json_object_set_new(stats, "observations",
                                   json_integer((json_int_t)lr_accum_nobs(acc)));
        ok &= !json_object_set_new(stats, "mean", mean);
        ok &= !json_object_set_new(stats, "upper_triangle_by_column", mat);
        mean = mat = NULL;
        ok &= !json_object_set_new(root, "variables", vars);
        ok &= !json_object_set_new(root, "categorical_columns", cats);
        ok &= !json_object_set_new(root, "na_strings", na_strings_json(f));
        ok &= !json_object_set_new(root, "coefficients", coefs);
        ok &= !json_object_set_new(root, "xtx_inverse", inv);
        ok &= !json_object_set_new(root, "statistics", stats);
        vars = cats = coefs = inv = stats = NULL;
    }
    json_decref(mean);
    json_decref(mat);
    json_decref(vars);
    json_decref(cats);
    json_decref(coefs);
    json_decref(inv);
    json_decref(stats);
    lr_mem_strfree(rebuild);
    if (!ok) {
        json_decref(root);
        return lr_error_nomem(err);
    }
    *out = root;
    return LR_OK;
}

void lr_model_json_free(void *j)
{
    json_decref((json_t *)j);
}

int lr_model_json_write(const void *j, lr_output *o, lr_error *err)
{
    FILE *f = lr_output_stream(o);
    if (json_dumpf((const json_t *)j, f,
                   JSON_INDENT(1) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER) != 0 &&
        !ferror(f))
        return lr_error_nomem(err); /* jansson failed without a write error: its allocation */
    fputc('\n', f);
    return LR_OK; /* a write error is the commit's to report, with its errno */
}

/* Through lr_output (output_file.c): the old model file stays whole until the
 * new one is complete on disk. */
int lr_model_json_save(const void *j, const char *path, lr_error *err)
{
    lr_output *o;
    int st = lr_output_open(path, &o, err);
    if (st == LR_OK && (st = lr_model_json_write(j, o, err)) != LR_OK)
        lr_output_discard(o);
    else if (st == LR_OK)
        st = lr_output_commit(o, err);
    return st;
}

/* ---- loading ---- */

struct lr_model {
    json_t *root;           /* the file */
    char *path;             /* its name, for messages */
    size_t p;               /* coefficients */
    double *beta;           /* estimates (NaN where aliased) */
    unsigned char *aliased; /* p flags */
    double *xtx_inv;        /* p × p */
    double sigma;           /* residual standard error */
    double df;              /* residual degrees of freedom */
    int weighted;           /* the fit had weights */
    size_t rank;            /* rank */
    size_t max_line;        /* the longest row of new data read (0: the default) */
    lr_fe_model *fe;        /* the fixed effects (fe_model.c), or NULL */
};

void lr_model_free(lr_model *m)
{
    if (!m)
        return;
    json_decref(m->root);
    lr_fe_model_free(m->fe);
    lr_mem_strfree(m->path);
    lr_mem_free(m->beta, (m->p ? m->p : 1) * sizeof(double));
    lr_mem_free(m->aliased, m->p ? m->p : 1);
    lr_mem_free(m->xtx_inv, (m->p ? m->p * m->p : 1) * sizeof(double));
    lr_mem_free(m, sizeof *m);
}

static int bad_field(lr_error *err, const char *path, const char *field, const char *what)
{
    return lr_error_set(err, LR_EDATA, "%s: not a valid linreg model file: %s %s", path, field,
                        what);
}

/* A number, or null for NaN (non-finite values are written as null). */
static int get_num(json_t *v, double *x)
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

/* The model in a parsed file (root taken over: freed here on failure, by
 * lr_model_free otherwise); `path` names it in messages. */
static int model_from_json(json_t *root, const char *path, lr_model **out, lr_error *err)
{
    int restored = restore_bytes(root);
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
    m->root = root;
    m->path = lr_mem_strdup(path);
    int rc = LR_OK;
    json_t *fmt = json_object_get(root, "format");
    json_t *coefs = json_object_get(root, "coefficients");
    json_t *inv = json_object_get(root, "xtx_inverse");
    if (!m->path) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if (!json_is_object(root) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), LR_MODEL_FORMAT) != 0) {
        rc = bad_field(err, path, "\"format\"", "is not \"" LR_MODEL_FORMAT "\"");
        goto fail;
    }
    if (json_integer_value(json_object_get(root, "format_version")) != LR_MODEL_FORMAT_VERSION) {
        rc = bad_field(err, path, "\"format_version\"", "is not 1");
        goto fail;
    }
    if (!json_is_string(json_object_get(root, "prediction_formula"))) {
        rc = bad_field(err, path, "\"prediction_formula\"", "is missing");
        goto fail;
    }
    if (!json_is_array(coefs) || json_array_size(coefs) == 0) {
        rc = bad_field(err, path, "\"coefficients\"", "is missing or empty");
        goto fail;
    }
    m->p = json_array_size(coefs);
    if (!json_is_array(inv) || json_array_size(inv) != m->p) {
        rc = bad_field(err, path, "\"xtx_inverse\"", "is missing or not p × p");
        goto fail;
    }
    m->beta = lr_mem_calloc(m->p, sizeof(double));
    m->aliased = lr_mem_calloc(m->p, 1);
    m->xtx_inv = lr_mem_calloc(m->p * m->p, sizeof(double));
    if (!m->beta || !m->aliased || !m->xtx_inv) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    for (size_t j = 0; j < m->p; j++) {
        json_t *c = json_array_get(coefs, j);
        json_t *al = json_object_get(c, "aliased");
        if (!json_is_object(c) || !json_is_string(json_object_get(c, "name")) ||
            !json_is_boolean(al) || !get_num(json_object_get(c, "estimate"), &m->beta[j]) ||
            (!json_is_true(al) && !isfinite(m->beta[j]))) {
            rc = bad_field(err, path, "\"coefficients\"",
                           "has an entry without a name, an "
                           "estimate or \"aliased\"");
            goto fail;
        }
        m->aliased[j] = json_is_true(al);
        if (!m->aliased[j])
            m->rank++;
    }
    /* (XᵀX)⁻¹: finite wherever neither coefficient is aliased */
    for (size_t j = 0; j < m->p; j++) {
        json_t *row = json_array_get(inv, j);
        if (!json_is_array(row) || json_array_size(row) != m->p) {
            rc = bad_field(err, path, "\"xtx_inverse\"", "is not p × p");
            goto fail;
        }
        for (size_t i = 0; i < m->p; i++)
            if (!get_num(json_array_get(row, i), &LR_AT(m->xtx_inv, m->p, i, j)) ||
                (!m->aliased[i] && !m->aliased[j] && !isfinite(LR_AT(m->xtx_inv, m->p, i, j)))) {
                rc = bad_field(err, path, "\"xtx_inverse\"", "has an entry that is not a number");
                goto fail;
            }
    }
    if (!get_num(json_object_get(root, "sigma"), &m->sigma) ||
        !get_num(json_object_get(root, "df_residual"), &m->df)) {
        rc = bad_field(err, path, "\"sigma\" or \"df_residual\"", "is missing or not a number");
        goto fail;
    }
    if (!json_is_array(json_object_get(root, "variables"))) {
        rc = bad_field(err, path, "\"variables\"", "is missing");
        goto fail;
    }
    if ((rc = lr_model_check(root, path, m->p, m->rank, err)) ||
        (rc = lr_fe_model_load(root, path, &m->fe, err)))
        goto fail;
    m->weighted = json_is_string(json_object_get(root, "weights"));
    *out = m;
    return LR_OK;
fail:
    lr_model_free(m);
    return rc;
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

const void *lr_model_json(const lr_model *m, const char **path)
{
    *path = m->path;
    return m->root;
}

int lr_model_weighted(const lr_model *m)
{
    return m->weighted;
}
size_t lr_model_rank(const lr_model *m)
{
    return m->rank;
}
size_t lr_model_ncoef(const lr_model *m)
{
    return m->p;
}

void lr_model_set_max_line(lr_model *m, size_t max_row_bytes)
{
    m->max_line = max_row_bytes;
}

/* ---- prediction ---- */

/* The frame of the model on the new data's header: types and levels from the
 * file; the coefficient names must come out as saved. */
static int predict_frame(const lr_model *m, const lr_csv_row *hdr, const char *name, lr_frame **out,
                         lr_error *err)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = json_string_value(json_object_get(m->root, "prediction_formula"));
    opt.method = LR_METHOD_INVERSE; /* the kernel is irrelevant: nothing is accumulated */
    lr_frame *f = NULL;
    /* every column the predictors read, by name (the response need not be there) */
    json_t *pcols = json_object_get(m->root, "predictor_columns");
    for (size_t i = 0; i < json_array_size(pcols); i++) {
        const char *c = json_string_value(json_array_get(pcols, i));
        size_t j = 0;
        for (; c && j < hdr->nfields; j++) {
            const char *nm;
            size_t n;
            lr_frame_header_name(&hdr->fields[j], &nm, &n);
            if (n == strlen(c) && !memcmp(nm, c, n))
                break;
        }
        if (c && j == hdr->nfields)
            return lr_error_set(err, LR_EDATA,
                                "%s: no column named '%s', which the model (%s) "
                                "needs",
                                name, c, json_string_value(json_object_get(m->root, "formula")));
    }
    /* missing-value spellings: the fit's and lr_model_add_na_strings' */
    json_t *nas = json_object_get(m->root, "na_strings");
    const char *na_list[LR_MODEL_MAX_NA_STRINGS];
    opt.n_na_strings = 0;
    for (size_t i = 0; i < json_array_size(nas); i++) {
        if (i == LR_MODEL_MAX_NA_STRINGS || !json_is_string(json_array_get(nas, i)))
            return bad_field(err, m->path, "\"na_strings\"",
                             "holds too many values or one that is not a string");
        na_list[opt.n_na_strings++] = json_string_value(json_array_get(nas, i));
    }
    opt.na_strings = na_list;
    int rc = lr_frame_create(hdr, name, &opt, &f, err);
    if (rc == LR_EUSAGE) {
        /* the frame's message, copied: it is the destination's own buffer */
        char why[sizeof err->message];
        memcpy(why, err->message, sizeof why);
        return lr_error_set(err, LR_EDATA, "%s: the data do not have the model's columns: %s", name,
                            why);
    }
    if (rc)
        return rc;
    /* column types: categorical as saved (not as the formula's factor()
     * would make them: the saved levels say whether they are numbers) */
    for (size_t j = 0; j < f->ncsv; j++)
        f->cols[j].as_factor = 0;
    json_t *cats = json_object_get(m->root, "categorical_columns");
    for (size_t i = 0; i < json_array_size(cats); i++) {
        const char *c = json_string_value(json_array_get(cats, i));
        for (size_t j = 0; c && j < f->ncsv; j++)
            if (f->cols[j].used && !strcmp(f->colnames[j], c))
                f->cols[j].text = 1;
    }
    /* logical columns: T and TRUE are the level TRUE (absent before: none) */
    json_t *lgs = json_object_get(m->root, "logical_columns");
    for (size_t i = 0; i < json_array_size(lgs); i++) {
        const char *c = json_string_value(json_array_get(lgs, i));
        for (size_t j = 0; c && j < f->ncsv; j++)
            if (f->cols[j].used && f->cols[j].text && !strcmp(f->colnames[j], c))
                f->cols[j].logical = 1;
    }
    /* the first-chunk machinery decides the rest from no rows: numeric */
    if ((rc = lr_frame_end_first(f, err)))
        goto fail;
    json_t *vars = json_object_get(m->root, "variables");
    if (json_array_size(vars) + 1 != f->formula->nvars) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: the model file's variables do not match its "
                          "formula",
                          m->path);
        goto fail;
    }
    for (size_t v = 1; v < f->formula->nvars; v++) {
        json_t *jv = json_array_get(vars, v - 1);
        json_t *lv = json_object_get(jv, "levels");
        int factor = json_is_true(json_object_get(jv, "factor"));
        lr_var *xv = &f->formula->vars[v];
        if (xv->basis && (rc = lr_basis_from_json(xv->basis, json_object_get(jv, "basis"), m->path,
                                                  xv->label, err)))
            goto fail;
        if (factor != f->vars[v].factor || (factor && !json_is_array(lv))) {
            rc = lr_error_set(err, LR_EDATA, "%s: variable %s is %s in the model file", m->path,
                              f->formula->vars[v].label, factor ? "a factor" : "numeric");
            goto fail;
        }
        for (size_t r = 0; factor && r < json_array_size(lv); r++) {
            json_t *e = json_array_get(lv, r);
            uint32_t id;
            int bad =
                f->cols[f->formula->vars[v].col].text || f->formula->vars[v].icols ||
                        f->formula->vars[v].logical
                    ? (!json_is_string(e) ||
                       lr_levels_intern_text(f->vars[v].levels, json_string_value(e),
                                             json_string_length(e), &id, err))
                    : (!json_is_number(e) ||
                       lr_levels_intern_number(f->vars[v].levels, json_number_value(e), &id, err));
            if (bad) {
                rc = err->code == LR_ENOMEM
                         ? LR_ENOMEM
                         : bad_field(err, m->path, "\"levels\"", "holds a value of the wrong type");
                goto fail;
            }
        }
    }
    /* C(g, sum), C(g, helmert): contrast columns from the saved levels */
    for (size_t v = 1; v < f->formula->nvars && rc == LR_OK; v++)
        if (f->vars[v].factor && f->formula->vars[v].contrast != LR_CONTR_DEFAULT)
            rc = lr_levels_sort(f->vars[v].levels, err);
    lr_model_columns mc;
    if (rc || (rc = lr_frame_code_contrasts(f, f, err)) || (rc = lr_frame_model(f, &mc, err)))
        goto fail;
    json_t *coefs = json_object_get(m->root, "coefficients");
    /* with fixed effects the intercept is among them, not a coefficient */
    size_t icpt = mc.intercept && !m->fe ? 1 : 0;
    if (mc.q + icpt != m->p) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: the model file's coefficients do not match its "
                          "formula",
                          m->path);
        goto fail;
    }
    for (size_t j = 0; j < mc.q; j++)
        if (strcmp(mc.names[j],
                   json_string_value(json_object_get(json_array_get(coefs, j + icpt), "name")))) {
            rc = lr_error_set(
                err, LR_EDATA,
                "%s: coefficient %zu is '%s' in the model file but "
                "'%s' when rebuilt",
                m->path, j + icpt + 1,
                json_string_value(json_object_get(json_array_get(coefs, j + icpt), "name")),
                mc.names[j]);
            goto fail;
        }
    *out = f;
    return LR_OK;
fail:
    lr_frame_free(f);
    return rc;
}

int lr_model_add_na_strings(lr_model *m, const char *const *s, size_t n, lr_error *err)
{
    json_t *a = json_object_get(m->root, "na_strings");
    if (!json_is_array(a)) {
        a = json_array();
        if (!a || json_object_set_new(m->root, "na_strings", a))
            return lr_error_nomem(err);
    }
    if (json_array_size(a) + n > LR_MODEL_MAX_NA_STRINGS)
        return lr_error_set(err, LR_EUSAGE, "more than %d missing-value spellings",
                            LR_MODEL_MAX_NA_STRINGS);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, json_string(s[i])))
            return lr_error_set(err, LR_EUSAGE, "missing-value spelling '%s' is not UTF-8", s[i]);
    return LR_OK;
}

int lr_predict_csv(const lr_model *m, const char *path, lr_interval interval, double level,
                   void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err)
{
    return lr_predict_csv_files(m, &path, 1, interval, level, row_cb, ud, err);
}

int lr_predict_csv_files(const lr_model *m, const char *const *paths, size_t n,
                         lr_interval interval, double level,
                         void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err)
{
    if (!(level > 0 && level < 1))
        return lr_error_set(err, LR_EUSAGE, "confidence level %g is not between 0 and 1", level);
    if (m->fe && interval != LR_INTERVAL_NONE)
        return lr_error_set(err, LR_EUSAGE,
                            "--interval is not available with fixed effects: the model file "
                            "does not hold the covariance of the estimated effects, which "
                            "the standard error of a prediction needs (fixest's predict has "
                            "no se.fit either)");
    if (lr_blas_room(1) == 0) /* OpenBLAS would retry its buffer forever */
        return lr_error_nomem(err);
    lr_csv *csv = NULL;
    lr_frame *f = NULL;
    lr_csv_row row;
    int has = 0, rc;
    double *x = NULL, *xf = NULL;
    size_t p = m->p;
    lr_csv_options copt = {0, m->max_line};
    lr_source *src = NULL; /* several files: read as one, their lines told apart */
    if ((rc = lr_source_open_files(paths, n, m->max_line, 0, &src, err)) ||
        (rc = lr_csv_open_source(src, &copt, &csv, err)) ||
        (rc = lr_csv_next(csv, &row, &has, err)))
        goto done;
    if (!has) {
        rc = lr_error_set(err, LR_EDATA, "%s: empty file (no header row)", lr_csv_name(csv));
        goto done;
    }
    size_t fe_cols[LR_FE_MAX];
    lr_error fe_note; /* why a row is NA for its fixed effects */
    if ((rc = predict_frame(m, &row, lr_csv_name(csv), &f, err)) ||
        (m->fe && (rc = lr_fe_model_columns(m->fe, &row, lr_csv_name(csv), fe_cols, err))))
        goto done;
    x = lr_mem_calloc(p, sizeof(double));
    xf = lr_mem_calloc(p, sizeof(double));
    if (!x || !xf) {
        rc = lr_error_nomem(err);
        goto done;
    }
    size_t icpt = f->formula->intercept && !m->fe ? 1 : 0;
    double tq = lr_stats_t_quantile_upper((1 - level) / 2, m->df);
    for (;;) {
        if ((rc = lr_csv_next(csv, &row, &has, err)) || !has)
            break;
        double y, w, fe_sum = 0;
        int use = 0, got = 1;
        /* The fixed effects first: a row with a level missing, or one the
         * fit has no effect for, is NA (the latter with the reason), and its
         * left-hand columns are not read (with "y ~ . | firm" the left-hand
         * frame holds firm as well, and would refuse the level as a factor
         * level never seen). */
        if (m->fe)
            got = lr_fe_model_row(m->fe, fe_cols, &row, lr_csv_name(csv), &fe_sum, &fe_note);
        rc = got <= 0 ? LR_OK : lr_frame_eval_row(f, f->colval, &row, x, &y, &w, &use, err);
        lr_prediction pr = {row.line,    use == 1 && got == 1, (double)NAN, (double)NAN,
                            (double)NAN, (double)NAN,          NULL,        NULL, 0};
        lr_source_locate(src, row.line, &pr.file, &pr.line);
        if (got == -1) {
            lr_source_relocate_error(src, &fe_note); /* several files: name the one */
            pr.note = fe_note.message;
        }
        if (rc)
            lr_source_relocate_error(src, err);
        if (rc == LR_EVALUE && use == -1) {
            /* a term not finite for this row (log(0)): NA, as R's predict
             * gives -Inf or NaN there, with the reason */
            pr.note = err->message;
            rc = LR_OK;
        } else if (rc)
            break;
        if (pr.ok) {
            pr.beyond_knots = lr_frame_beyond_knots(f, f->colval);
            if (icpt)
                xf[0] = 1;
            memcpy(xf + icpt, x, (p - icpt) * sizeof(double));
            double fit = 0, q = 0;
            for (size_t j = 0; j < p; j++) {
                if (m->aliased[j])
                    continue;
                fit += m->beta[j] * xf[j];
                double s = 0;
                for (size_t i = 0; i < p; i++)
                    if (!m->aliased[i])
                        s += LR_AT(m->xtx_inv, p, i, j) * xf[i];
                q += xf[j] * s;
            }
            /* R's predict.lm adds the offset evaluated on the new data */
            fit += lr_frame_eval_offset(f, f->colval);
            pr.fit = fit + fe_sum;
            /* with fixed effects: NA, as the effects' own variance is not known */
            pr.se_fit = m->fe ? (double)NAN : m->sigma * sqrt(q);
            if (interval == LR_INTERVAL_CONFIDENCE) {
                pr.lwr = fit - tq * pr.se_fit;
                pr.upr = fit + tq * pr.se_fit;
            } else if (interval == LR_INTERVAL_PREDICTION) {
                double sp = sqrt(pr.se_fit * pr.se_fit + m->sigma * m->sigma);
                pr.lwr = fit - tq * sp;
                pr.upr = fit + tq * sp;
            }
        }
        row_cb(ud, &pr);
    }
    /* predictions of a file cut or written while it was read are not all */
    if (rc == LR_OK)
        rc = lr_source_check(lr_csv_source(csv), err);
done:
    if (rc && csv)
        lr_source_relocate_error(lr_csv_source(csv), err);
    lr_mem_free(x, p * sizeof(double));
    lr_mem_free(xf, p * sizeof(double));
    lr_frame_free(f);
    lr_csv_free(csv);
    return rc;
}
