/*
 * model.c — the saved model as a value (model.h): made from a fit's frame
 * and results, freed, read by the public accessors.
 *
 * What prediction needs: the model's variables, the factor levels in R's
 * order, the columns read as text, the coefficients, (XᵀX)⁻¹, σ and the
 * residual degrees of freedom; and the accumulated statistics (the sum of
 * weights, the means and the centred cross products or their triangular
 * factor), from which the fit can be updated with more rows or merged with
 * another fit of the same model.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "factor_levels.h"
#include "json_text.h"
#include "model.h"

int lr_model_text_set(lr_model_text *t, const char *s, size_t n)
{
    if (!(t->s = lr_mem_alloc(n + 1)))
        return -1;
    memcpy(t->s, s, n);
    t->s[n] = '\0';
    t->n = n;
    return 0;
}

static void text_free(lr_model_text *t)
{
    if (t->s)
        lr_mem_free(t->s, t->n + 1);
    t->s = NULL;
}

static void list_free(lr_model_list *l)
{
    for (size_t i = 0; l->s && i < l->n; i++)
        text_free(&l->s[i]);
    lr_mem_free(l->s, l->cap * sizeof *l->s);
}

void lr_model_free(lr_model *m)
{
    if (!m)
        return;
    lr_mem_strfree(m->path);
    lr_model_se_factor_free(m);
    text_free(&m->formula);
    text_free(&m->prediction);
    text_free(&m->response);
    text_free(&m->weights);
    text_free(&m->fingerprint);
    lr_mem_strfree(m->method);
    list_free(&m->logical);
    list_free(&m->predictors);
    list_free(&m->categorical);
    list_free(&m->na_strings);
    for (size_t v = 0; m->vars && v < m->nvars; v++) {
        lr_model_var *x = &m->vars[v];
        text_free(&x->label);
        for (size_t r = 0; x->level && r < x->nlevels; r++)
            text_free(&x->level[r]);
        lr_mem_free(x->level, (x->nlevels ? x->nlevels : 1) * sizeof *x->level);
        lr_mem_free(x->level_x, (x->nlevels ? x->nlevels : 1) * sizeof(double));
        lr_mem_free(x->basis, sizeof *x->basis);
    }
    lr_mem_free(m->vars, (m->nvars ? m->nvars : 1) * sizeof *m->vars);
    for (size_t j = 0; m->names && j < m->p; j++)
        text_free(&m->names[j]);
    lr_mem_free(m->names, (m->p ? m->p : 1) * sizeof *m->names);
    lr_mem_free(m->beta, (m->p ? m->p : 1) * sizeof(double));
    lr_mem_free(m->aliased, m->p ? m->p : 1);
    lr_mem_free(m->xtx_inv, (m->p ? m->p * m->p : 1) * sizeof(double));
    lr_mem_free(m->mean, (m->k ? m->k : 1) * sizeof(double));
    lr_mem_free(m->tri, (m->k ? m->k * m->k : 1) * sizeof(double));
    lr_fe_model_free(m->fe);
    lr_mem_free(m, sizeof *m);
}

int lr_model_weighted(const lr_model *m)
{
    return m->weights.s != NULL;
}
size_t lr_model_rank(const lr_model *m)
{
    return m->nkept; /* the coefficients' rank, without absorbed dummies */
}
size_t lr_model_ncoef(const lr_model *m)
{
    return m->p;
}
const char *lr_model_formula(const lr_model *m)
{
    return m->formula.s;
}

void lr_model_set_max_line(lr_model *m, size_t max_row_bytes)
{
    m->max_line = max_row_bytes;
}

int lr_model_add_na_strings(lr_model *m, const char *const *s, size_t n, lr_error *err)
{
    lr_model_list *l = &m->na_strings;
    if (l->n + n > LR_MODEL_MAX_NA_STRINGS)
        return lr_error_set(err, LR_EUSAGE, "more than %d missing-value spellings",
                            LR_MODEL_MAX_NA_STRINGS);
    /* the file holds them as JSON strings: UTF-8, as when this was a file's */
    for (size_t i = 0; i < n; i++)
        if (!lr_json_is_utf8(s[i]))
            return lr_error_set(err, LR_EUSAGE, "missing-value spelling '%s' is not UTF-8", s[i]);
    lr_model_text *t = lr_mem_realloc(l->s, l->cap * sizeof *t, (l->n + n + 1) * sizeof *t);
    if (!t)
        return lr_error_nomem(err);
    l->s = t;
    l->cap = l->n + n + 1;
    for (size_t i = 0; i < n; i++, l->n++)
        if (lr_model_text_set(&t[l->n], s[i], strlen(s[i])))
            return lr_error_nomem(err);
    return LR_OK;
}

/* ---- the model of a fit ---- */

/* Mark the data columns an expression reads. */
static void mark_columns(const lr_node *n, unsigned char *mark)
{
    for (; n; n = n->b) {
        if (n->kind == LR_NODE_COL)
            mark[n->col] = 1;
        mark_columns(n->a, mark);
    }
}

/* The formula's own variables: without those coding C(g, sum) (appended to
 * it, model_frame_coded.c), which prediction makes again from the levels. */
static size_t parsed_vars(const lr_formula *fm)
{
    size_t nv = fm->nvars;
    while (nv > 1 && fm->vars[nv - 1].codes)
        nv--;
    return nv;
}

/* The formula prediction rebuilds the frame from: every variable in its
 * original order, then the terms ("0 ~ a + b - a - b + a + b:a"), so that
 * variables, terms and coefficient names come out exactly as in the fit. */
static char *rebuild_formula(const lr_formula *fm)
{
    size_t n = 64, nv = parsed_vars(fm);
    for (size_t v = 1; v < nv; v++)
        n += 2 * strlen(fm->vars[v].label) + 8;
    for (size_t t = 0; t < fm->nterms; t++)
        for (size_t i = 0; i < fm->terms[t].n; i++)
            n += strlen(fm->vars[fm->terms[t].vars[i]].label) + 4;
    char *s = lr_mem_alloc(n);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, n, "0 ~ ");
    int any = 0;
    for (size_t v = 1; v < nv; v++)
        o += (size_t)snprintf(s + o, n - o, "%s%s", any++ ? " + " : "", fm->vars[v].label);
    for (size_t v = 1; v < nv; v++)
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

static int text_of(lr_model_text *t, const char *s)
{
    return lr_model_text_set(t, s, strlen(s));
}

/* An empty list with room for cap strings. 1, or 0 out of memory. */
static int list_init(lr_model_list *l, size_t cap)
{
    l->cap = cap ? cap : 1;
    return (l->s = lr_mem_calloc(l->cap, sizeof *l->s)) != NULL;
}

/* Append a copy of s[0..n) to l. */
static int list_add(lr_model_list *l, const char *s, size_t n)
{
    return l->n < l->cap && !lr_model_text_set(&l->s[l->n++], s, n);
}

/* A factor variable's levels in R's order. */
static int var_levels(lr_model_var *x, const lr_levels *l)
{
    size_t n = lr_levels_count(l);
    x->factor = 1;
    x->numeric_levels = lr_levels_numeric(l);
    x->kind = x->numeric_levels ? LR_LEVELS_NUMBER : LR_LEVELS_TEXT;
    x->nlevels = n;
    if (x->numeric_levels ? !(x->level_x = lr_mem_calloc(n ? n : 1, sizeof(double)))
                          : !(x->level = lr_mem_calloc(n ? n : 1, sizeof *x->level)))
        return 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t id = lr_levels_id_at(l, r);
        if (x->numeric_levels)
            lr_levels_value(l, id, &x->level_x[r]);
        else if (lr_model_text_set(&x->level[r], lr_levels_label(l, id), lr_levels_length(l, id)))
            return 0;
    }
    return 1;
}

/* The frame's part: variables, levels, bases, columns, missing-value
 * spellings, the rows used. 1, or 0 out of memory. */
static int from_frame(lr_model *m, const lr_frame *f)
{
    const lr_formula *fm = lr_frame_formula(f);
    size_t ncsv = lr_frame_ncols(f);
    char *rebuild = rebuild_formula(fm);
    int ok = rebuild && text_of(&m->prediction, rebuild) == 0;
    lr_mem_strfree(rebuild);
    uint64_t fp;
    char hex[17];
    m->rows_used = lr_frame_rows_used(f, &fp);
    snprintf(hex, sizeof hex, "%016" PRIx64, fp);
    ok = ok && text_of(&m->fingerprint, hex) == 0;
    m->nvars = parsed_vars(fm) - 1;
    ok = ok && (m->vars = lr_mem_calloc(m->nvars ? m->nvars : 1, sizeof *m->vars));
    for (size_t v = 1; ok && v <= m->nvars; v++) {
        lr_model_var *x = &m->vars[v - 1];
        const lr_levels *l = lr_frame_var_levels(f, v);
        ok = text_of(&x->label, fm->vars[v].label) == 0 && (!l || var_levels(x, l));
        if (ok && fm->vars[v].basis) {
            ok = (x->basis = lr_mem_alloc(sizeof *x->basis)) != NULL;
            if (ok)
                *x->basis = *fm->vars[v].basis;
        }
    }
    /* the columns: logical, read by the predictors, categorical */
    size_t cap = ncsv ? ncsv : 1;
    unsigned char *mark = lr_mem_calloc(cap, 1);
    ok = ok && mark && list_init(&m->logical, cap) && list_init(&m->predictors, cap) &&
         list_init(&m->categorical, cap);
    for (size_t v = 1; ok && v < fm->nvars; v++) {
        for (size_t i = 0; i < fm->vars[v].nicols; i++) /* interaction(a, b) */
            mark[fm->vars[v].icols[i]] = 1;
        if (fm->vars[v].kind == LR_VAR_COLUMN || fm->vars[v].kind == LR_VAR_FACTOR)
            mark[fm->vars[v].col] = 1;
        else
            mark_columns(fm->vars[v].expr, mark);
    }
    for (size_t j = 0; ok && j < ncsv; j++) {
        lr_frame_column_info ci;
        lr_frame_column_describe(f, j, &ci);
        size_t n = strlen(ci.name);
        ok = (!ci.logical || list_add(&m->logical, ci.name, n)) &&
             (!mark[j] || list_add(&m->predictors, ci.name, n)) &&
             (!ci.categorical || list_add(&m->categorical, ci.name, n));
    }
    lr_mem_free(mark, cap);
    const char *const *nas;
    const size_t *nlen;
    size_t nn = lr_frame_na_strings(f, &nas, &nlen);
    ok = ok && list_init(&m->na_strings, nn);
    for (size_t i = 0; ok && i < nn; i++)
        ok = list_add(&m->na_strings, nas[i], nlen[i]);
    return ok;
}

/* The results' part: coefficients and (XᵀX)⁻¹; the statistics. */
static int from_results(lr_model *m, const lr_model_result *r, const lr_accum *acc)
{
    size_t p = r->p, k = lr_accum_ncols(acc), ldm;
    m->p = p;
    m->names = lr_mem_calloc(p ? p : 1, sizeof *m->names);
    m->beta = lr_mem_calloc(p ? p : 1, sizeof(double));
    m->aliased = lr_mem_calloc(p ? p : 1, 1);
    m->xtx_inv = lr_mem_calloc(p ? p * p : 1, sizeof(double));
    int ok = m->names && m->beta && m->aliased && m->xtx_inv;
    for (size_t j = 0; ok && j < p; j++) {
        ok = text_of(&m->names[j], r->coefs[j].name) == 0;
        m->beta[j] = r->coefs[j].estimate;
        m->aliased[j] = (unsigned char)(r->coefs[j].aliased != 0);
        m->nkept += !m->aliased[j];
        for (size_t i = 0; i < p; i++)
            LR_AT(m->xtx_inv, p, i, j) = LR_AT(r->xtx_inv, r->ld, i, j);
    }
    m->stats_factor = lr_accum_kernel(acc) == LR_KERNEL_QR;
    const double *tri =
        m->stats_factor ? lr_accum_factor(acc, &ldm) : lr_accum_comoments(acc, &ldm);
    const double *mu = lr_accum_mean(acc);
    m->k = k;
    m->weight_sum = lr_accum_weight(acc);
    m->nobs = lr_accum_nobs(acc);
    ok = ok && tri && (m->mean = lr_mem_calloc(k ? k : 1, sizeof(double))) &&
         (m->tri = lr_mem_calloc(k ? k * k : 1, sizeof(double)));
    for (size_t j = 0; ok && j < k; j++) {
        m->mean[j] = mu[j];
        for (size_t i = 0; i <= j; i++)
            LR_AT(m->tri, k, i, j) = LR_AT(tri, ldm, i, j);
    }
    return ok;
}

int lr_model_create(const lr_frame *f, const lr_model_result *r, const lr_accum *acc,
                    lr_model **out, lr_error *err)
{
    *out = NULL;
    lr_model *m = lr_mem_calloc(1, sizeof *m);
    if (!m)
        return lr_error_nomem(err);
    m->intercept = r->intercept;
    m->n = r->n;
    m->rank = r->rank;
    m->df = r->df;
    m->sigma = r->sigma;
    int ok = text_of(&m->formula, r->formula) == 0 && text_of(&m->response, r->response) == 0 &&
             (!r->weights || text_of(&m->weights, r->weights) == 0) &&
             (m->method = lr_mem_strdup(lr_method_name(r->method))) && from_frame(m, f) &&
             from_results(m, r, acc);
    if (!ok) {
        lr_model_free(m);
        return lr_error_nomem(err);
    }
    *out = m;
    return LR_OK;
}
