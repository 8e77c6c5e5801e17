/*
 * fe_model.c — the fixed effects of a saved model, and their part of a
 * prediction.
 *
 * A fixed-effects model predicts, as fixest's predict(feols_model, newdata)
 * and as R's predict(lm(y ~ x + factor(firm) + factor(year)), newdata) do for
 * the levels seen,
 *     ŷ = xᵀβ + Σ_f effect_f[level_f],
 * with the effects --fe-out writes (fe_write.c).
 * A level not in the fit — new, or seen only in rows dropped as singletons —
 * has no estimated effect: the row is NA with a note (fixest gives NA).
 * With two or more factors only sums of effects within a connected
 * component of the first two factors' levels (linked by rows) are
 * identified: a row pairing levels of two components has no estimable
 * prediction (lm would give one of many with its rank-deficiency warning,
 * fixest a value of its normalisation); it is NA with a note too.
 *
 * In the file:
 *   "fixed_effects": {"rank": r, "factors": [{"column": "firm",
 *       "numeric_levels": false, "levels": [...], "effects": [...],
 *       "dropped_levels": [...], "components": [...]}, ...]}
 * r the rank of the dummies (with the intercept), which the file's "rank"
 * includes. "components" (the first two factors, when their levels form
 * more than one connected component): each kept level's component number.
 * Levels as the model's factor levels: numbers, or strings
 * ({"latin1": ...} when not UTF-8, restored before this file sees them).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "factor_levels.h"
#include "fe_model.h"
#include "fixed_effects_impl.h"
#include "json_text.h"
#include "model_frame.h"

typedef struct fm_factor {
    char *column;       /* its column (owned) */
    int numeric;        /* its levels are numbers */
    lr_levels *lv;      /* the levels with an effect, ids in R's order (the file's) */
    lr_levels *dropped; /* the levels dropped with the singletons */
    double *effect;     /* effect of level id, lr_levels_count(lv) entries */
    size_t neff;        /* entries allocated in effect (and comp) */
    uint32_t *comp;     /* the first two factors: level id's component, or NULL */
} fm_factor;

struct lr_fe_model {
    size_t nf;              /* factors */
    size_t rank;            /* the dummies' rank, with the intercept */
    fm_factor f[LR_FE_MAX]; /* each factor */
};

/* ---- a fit's ---- */

/* Level l of lv into *to (numbers or text as lv's). LR_OK or LR_ENOMEM. */
static int copy_level(const lr_levels *lv, uint32_t l, lr_levels *to, lr_error *err)
{
    uint32_t id;
    double x;
    if (lr_levels_numeric(lv)) {
        lr_levels_value(lv, l, &x);
        return lr_levels_intern_number(to, x, &id, err);
    }
    return lr_levels_intern_text(to, lr_levels_label(lv, l), lr_levels_length(lv, l), &id, err);
}

/* Factor k of fe with the effects eff: its kept levels in R's order with
 * their effects and components, and the levels dropped with the singletons. */
static int factor_from_fe(const lr_fe *fe, size_t k, const double *eff, fm_factor *f, lr_error *err)
{
    const fe_factor *ff = &fe->f[k];
    size_t kept = 0;
    for (size_t r = 0; r < ff->nlev; r++)
        kept += isnan(eff[fe->lev_off[k] + lr_levels_id_at(ff->lv, r)]) ? 0u : 1u;
    f->numeric = ff->numeric;
    f->neff = kept;
    int numeric = lr_levels_numeric(ff->lv);
    if (!(f->column = lr_mem_strdup(ff->name)) || lr_levels_create(numeric, &f->lv, err) ||
        lr_levels_create(numeric, &f->dropped, err) ||
        !(f->effect = lr_mem_calloc(kept ? kept : 1, sizeof(double))) ||
        (k < 2 && fe->comp && fe->components > 1 &&
         !(f->comp = lr_mem_calloc(kept ? kept : 1, sizeof(uint32_t)))))
        return lr_error_nomem(err);
    size_t i = 0;
    for (size_t r = 0; r < ff->nlev; r++) {
        uint32_t l = lr_levels_id_at(ff->lv, r);
        double e = eff[fe->lev_off[k] + l];
        if (isnan(e)) {
            if (copy_level(ff->lv, l, f->dropped, err))
                return err->code;
            continue;
        }
        if (copy_level(ff->lv, l, f->lv, err))
            return err->code;
        if (f->comp)
            f->comp[i] = fe->comp[(k ? fe->f[0].nlev : 0) + l];
        f->effect[i++] = e;
    }
    return LR_OK;
}

int lr_fe_model_from_fe(const lr_fe *fe, size_t p, const lr_coef *coefs, lr_fe_model **out,
                        lr_error *err)
{
    *out = NULL;
    double *beta = lr_mem_calloc(p ? p : 1, sizeof(double));
    unsigned char *aliased = lr_mem_calloc(p ? p : 1, 1);
    double *eff = lr_mem_calloc(fe->nlevels ? fe->nlevels : 1, sizeof(double));
    lr_fe_model *fm = lr_mem_calloc(1, sizeof *fm);
    int rc = beta && aliased && eff && fm ? LR_OK : lr_error_nomem(err);
    if (rc == LR_OK) {
        for (size_t j = 0; j < p; j++) {
            aliased[j] = (unsigned char)(coefs[j].aliased != 0);
            beta[j] = coefs[j].estimate;
        }
        lr_fe_effects(fe, p, beta, aliased, eff);
        fm->nf = fe->nf;
        fm->rank = fe->fe_rank;
    }
    for (size_t k = 0; rc == LR_OK && k < fe->nf; k++)
        rc = factor_from_fe(fe, k, eff, &fm->f[k], err);
    lr_mem_free(beta, (p ? p : 1) * sizeof(double));
    lr_mem_free(aliased, p ? p : 1);
    lr_mem_free(eff, (fe->nlevels ? fe->nlevels : 1) * sizeof(double));
    if (rc) {
        lr_fe_model_free(fm);
        return rc;
    }
    *out = fm;
    return LR_OK;
}

/* ---- saving ---- */

/* Level id of lv as the file holds it: its number, or its bytes. */
static json_t *level_json(const lr_levels *lv, uint32_t id)
{
    if (lr_levels_numeric(lv)) {
        double x;
        lr_levels_value(lv, id, &x);
        return json_real(x);
    }
    return lr_json_text(lr_levels_label(lv, id), lr_levels_length(lv, id));
}

/* One factor's object: its kept levels in R's order with their effects, and
 * the levels dropped with the singletons. */
static json_t *factor_json(const fm_factor *f)
{
    json_t *levels = json_array(), *effects = json_array(), *dropped = json_array();
    json_t *o = json_pack("{s:o, s:b, s:o, s:o, s:o}", "column",
                          lr_json_text(f->column, strlen(f->column)), "numeric_levels", f->numeric,
                          "levels", levels, "effects", effects, "dropped_levels", dropped);
    int ok = o != NULL;
    json_t *comps = NULL;
    if (ok && f->comp)
        ok = (comps = json_array()) && !json_object_set_new(o, "components", comps);
    size_t n = lr_levels_count(f->lv), nd = lr_levels_count(f->dropped);
    for (size_t i = 0; ok && i < n; i++)
        ok = !json_array_append_new(levels, level_json(f->lv, (uint32_t)i)) &&
             !json_array_append_new(effects, json_real(f->effect[i])) &&
             (!comps || !json_array_append_new(comps, json_integer(f->comp[i])));
    for (size_t i = 0; ok && i < nd; i++)
        ok = !json_array_append_new(dropped, level_json(f->dropped, (uint32_t)i));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void *lr_fe_model_json(const lr_fe_model *fm)
{
    json_t *factors = json_array();
    int ok = factors != NULL;
    for (size_t k = 0; ok && k < fm->nf; k++)
        ok = !json_array_append_new(factors, factor_json(&fm->f[k]));
    json_t *o =
        ok ? json_pack("{s:I, s:O}", "rank", (json_int_t)fm->rank, "factors", factors) : NULL;
    json_decref(factors);
    return o;
}

/* ---- loading ---- */

void lr_fe_model_free(lr_fe_model *fm)
{
    if (!fm)
        return;
    for (size_t k = 0; k < fm->nf; k++) {
        size_t n = fm->f[k].neff;
        lr_mem_free(fm->f[k].effect, (n ? n : 1) * sizeof(double));
        if (fm->f[k].comp)
            lr_mem_free(fm->f[k].comp, (n ? n : 1) * sizeof(uint32_t));
        lr_levels_free(fm->f[k].lv);
        lr_levels_free(fm->f[k].dropped);
        lr_mem_strfree(fm->f[k].column);
    }
    lr_mem_free(fm, sizeof *fm);
}

size_t lr_fe_model_nf(const lr_fe_model *fm)
{
    return fm->nf;
}

const char *lr_fe_model_column(const lr_fe_model *fm, size_t k)
{
    return fm->f[k].column;
}

/* "path: not a valid linreg model file: "fixed_effects" factor k ('firm') ...". */
static int bad(lr_error *err, const char *path, size_t k, const char *column, const char *what,
               size_t index)
{
    if (k == SIZE_MAX)
        return lr_error_set(err, LR_EDATA,
                            "%s: not a valid linreg model file: \"fixed_effects\" %s", path, what);
    return lr_error_set(err, LR_EDATA,
                        "%s: not a valid linreg model file: \"fixed_effects\" factor %zu "
                        "('%s'): %s%s%zu",
                        path, k + 1, column ? column : "?", what, index ? " at position " : "",
                        index);
}

/* Intern the array `a` into *out (numbers or strings as `numeric`): 0, or the
 * 1-based position of a value of the wrong type / not finite (-1: repeated,
 * *pos its position; -2 out of memory). */
static long intern_all(const json_t *a, int numeric, lr_levels **out, size_t *pos, lr_error *err)
{
    if (lr_levels_create(numeric, out, err))
        return -2;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        uint32_t id;
        int rc;
        *pos = i + 1;
        if (numeric) {
            if (!json_is_number(e) || !isfinite(json_number_value(e)))
                return 1;
            rc = lr_levels_intern_number(*out, json_number_value(e), &id, err);
        } else {
            if (!json_is_string(e))
                return 1;
            rc = lr_levels_intern_text(*out, json_string_value(e), json_string_length(e), &id, err);
        }
        if (rc)
            return -2;
        if (id != i)
            return -1;
    }
    return 0;
}

/* Factor k of the file into fm->f[k], checked. */
static int load_factor(const json_t *o, size_t k, const char *path, lr_fe_model *fm,
                       size_t *nlevels, lr_error *err)
{
    fm_factor *f = &fm->f[k];
    const json_t *col = json_object_get(o, "column"), *num = json_object_get(o, "numeric_levels");
    const json_t *lv = json_object_get(o, "levels"), *ef = json_object_get(o, "effects");
    const json_t *dr = json_object_get(o, "dropped_levels");
    const char *column = json_string_value(col);
    if (!json_is_object(o) || !json_is_string(col) || json_string_length(col) == 0 ||
        strlen(column) != json_string_length(col))
        return bad(err, path, k, NULL, "has no \"column\" name", 0);
    if (!(f->column = lr_mem_strdup(column)))
        return lr_error_nomem(err);
    for (size_t j = 0; j < k; j++)
        if (!strcmp(fm->f[j].column, f->column))
            return bad(err, path, k, f->column, "is the column of an earlier factor", 0);
    if (!json_is_boolean(num) || !json_is_array(lv) || !json_is_array(ef) || !json_is_array(dr))
        return bad(err, path, k, f->column,
                   "lacks \"numeric_levels\", \"levels\", \"effects\" or \"dropped_levels\"", 0);
    size_t n = json_array_size(lv);
    if (n == 0 || json_array_size(ef) != n)
        return bad(err, path, k, f->column,
                   "has no levels, or not one effect per level (counts differ)", 0);
    size_t pos = 0;
    int numeric = f->numeric = json_is_true(num);
    long rc = intern_all(lv, numeric, &f->lv, &pos, err);
    if (rc == -2)
        return err->code;
    if (rc)
        return bad(err, path, k, f->column,
                   rc == -1  ? "a level is repeated in \"levels\""
                   : numeric ? "a level in \"levels\" is not a finite number"
                             : "a level in \"levels\" is not a string",
                   pos);
    f->neff = n;
    if (!(f->effect = lr_mem_calloc(n, sizeof(double))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ef, i);
        f->effect[i] = json_number_value(e);
        if (!json_is_number(e) || !isfinite(f->effect[i]))
            return bad(err, path, k, f->column, "an entry of \"effects\" is not a finite number",
                       i + 1);
    }
    rc = intern_all(dr, numeric, &f->dropped, &pos, err);
    if (rc == -2)
        return err->code;
    if (rc)
        return bad(err, path, k, f->column,
                   rc == -1 ? "a level is repeated in \"dropped_levels\""
                            : "an entry of \"dropped_levels\" is of the wrong type",
                   pos);
    for (size_t i = 0; i < json_array_size(dr); i++) {
        const json_t *e = json_array_get(dr, i);
        uint32_t id;
        if (numeric
                ? lr_levels_find_number(f->lv, json_number_value(e), &id) == 0
                : lr_levels_find_text(f->lv, json_string_value(e), json_string_length(e), &id) == 0)
            return bad(err, path, k, f->column,
                       "a level is both in \"levels\" and \"dropped_levels\"", i + 1);
    }
    const json_t *cp = json_object_get(o, "components");
    if (cp && (k > 1 || !json_is_array(cp) || json_array_size(cp) != n))
        return bad(err, path, k, f->column,
                   k > 1 ? "has \"components\", which only the first two factors have"
                         : "has \"components\" not one per level (counts differ)",
                   0);
    if (cp && !(f->comp = lr_mem_calloc(n, sizeof(uint32_t))))
        return lr_error_nomem(err);
    for (size_t i = 0; cp && i < n; i++) {
        const json_t *c = json_array_get(cp, i);
        if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > UINT32_MAX)
            return bad(err, path, k, f->column,
                       "an entry of \"components\" is not a whole number >= 0", i + 1);
        f->comp[i] = (uint32_t)json_integer_value(c);
    }
    *nlevels += n;
    return LR_OK;
}

int lr_fe_model_load(const void *root, const char *path, lr_fe_model **out, lr_error *err)
{
    *out = NULL;
    const json_t *fe = json_object_get((const json_t *)root, "fixed_effects");
    if (!fe)
        return LR_OK;
    const json_t *factors = json_object_get(fe, "factors"), *rank = json_object_get(fe, "rank");
    size_t nf = json_array_size(factors);
    if (!json_is_object(fe) || !json_is_array(factors) || nf == 0 || nf > LR_FE_MAX)
        return bad(err, path, SIZE_MAX, NULL, "is not an object with 1 to 8 \"factors\"", 0);
    lr_fe_model *fm = lr_mem_calloc(1, sizeof *fm);
    if (!fm)
        return lr_error_nomem(err);
    fm->nf = nf;
    size_t nlevels = 0;
    int rc = LR_OK;
    for (size_t k = 0; !rc && k < nf; k++)
        rc = load_factor(json_array_get(factors, k), k, path, fm, &nlevels, err);
    /* the dummies' rank (with the intercept): 1 to the number of levels, less
     * one for each factor after the first at least (lm's model matrix) */
    if (!rc && nf > 1 && (fm->f[0].comp == NULL) != (fm->f[1].comp == NULL))
        rc = bad(err, path, SIZE_MAX, NULL,
                 "has \"components\" in one of its first two factors only", 0);
    if (!rc && (!json_is_integer(rank) || json_integer_value(rank) < 1 ||
                (double)json_integer_value(rank) > (double)(nlevels - (nf - 1))))
        rc = bad(err, path, SIZE_MAX, NULL,
                 "\"rank\" is not a whole number between 1 and the levels less the factors "
                 "after the first",
                 0);
    if (rc) {
        lr_fe_model_free(fm);
        return rc;
    }
    fm->rank = (size_t)json_integer_value(rank);
    *out = fm;
    return LR_OK;
}

/* ---- prediction ---- */

int lr_fe_model_columns(const lr_fe_model *fm, const lr_csv_row *hdr, const char *source,
                        size_t *cols, lr_error *err)
{
    for (size_t k = 0; k < fm->nf; k++) {
        size_t j = 0, cl = strlen(fm->f[k].column);
        for (; j < hdr->nfields; j++) {
            const char *nm;
            size_t n;
            lr_frame_header_name(&hdr->fields[j], &nm, &n);
            if (n == cl && !memcmp(nm, fm->f[k].column, n))
                break;
        }
        if (j == hdr->nfields)
            return lr_error_set(err, LR_EDATA,
                                "%s: no column named '%s', the fixed effect the model needs",
                                source, fm->f[k].column);
        cols[k] = j;
    }
    return LR_OK;
}

int lr_fe_model_row(const lr_fe_model *fm, const size_t *cols, const lr_csv_row *row,
                    const char *source, double *sum, lr_error *note)
{
    double s = 0;
    uint32_t ids[2] = {0, 0};
    for (size_t k = 0; k < fm->nf; k++) {
        if (cols[k] >= row->nfields)
            return 2; /* a short row: the frame's reading reports it */
        const lr_csv_field *fl = &row->fields[cols[k]];
        double v;
        if (lr_parse_cell(fl->data, fl->len, &v) == LR_CELL_MISSING)
            return 0; /* as the fit omitted the row */
        uint32_t id;
        if (lr_levels_find_cell(fm->f[k].lv, fl->data, fl->len, &id) == 0) {
            s += fm->f[k].effect[id];
            if (k < 2)
                ids[k] = id;
            continue;
        }
        int dropped = lr_levels_find_cell(fm->f[k].dropped, fl->data, fl->len, &id) == 0;
        lr_error_at(note, LR_EVALUE, source, fl->line, fl->col,
                    "column '%s': level \"%.*s\" %s, so its effect is not estimated",
                    fm->f[k].column, (int)(fl->len > 40 ? 40 : fl->len), fl->data,
                    dropped ? "was only in rows dropped as singletons in the fit"
                            : "was not in the fit");
        return -1;
    }
    if (fm->nf > 1 && fm->f[0].comp && fm->f[0].comp[ids[0]] != fm->f[1].comp[ids[1]]) {
        const lr_csv_field *a = &row->fields[cols[0]], *b = &row->fields[cols[1]];
        lr_error_at(note, LR_EVALUE, source, a->line, a->col,
                    "levels \"%.*s\" of '%s' and \"%.*s\" of '%s' are in different connected "
                    "components of the fit (no row links them), so the prediction is not "
                    "identified",
                    (int)(a->len > 40 ? 40 : a->len), a->data, fm->f[0].column,
                    (int)(b->len > 40 ? 40 : b->len), b->data, fm->f[1].column);
        return -1;
    }
    *sum = s;
    return 1;
}
