/*
 * model_frame_coded.c — C(x, sum) and C(x, helmert): factors whose contrast
 * columns are not a subset of the level indicators, and R's rule for which
 * factors a term codes by contrasts.
 *
 * The accumulator holds a factor's indicator columns as levels appear; R's
 * treatment coding then picks a subset of them (lr_frame_model). Sum and
 * Helmert contrasts are combinations of indicators (contr.sum's column j is
 * level j minus the last level), and which level is last is known only
 * after the last row. So such a factor takes the second pass that
 * data-dependent bases take (model_frame_basis.c): the first pass finds its
 * levels; lr_frame_code_contrasts then appends a variable holding the K − 1
 * contrast columns as dense numbers (LR_VAR_POLY, its value a row's level
 * rank) and puts it in place of the factor in every term that R codes by
 * contrasts. Where R codes the factor by indicators (no intercept, or x:C(g,
 * sum) without x) it stays the factor it was, named by level as R names it.
 * Every consumer of the accumulator (solver, ANOVA, diagnostics, extended
 * precision, the model file) then sees ordinary numeric columns.
 */
#include <string.h>

#include "model_frame_impl.h"

/* R's contrast matrices: contr.sum(K)[rank + 1, j] and contr.helmert(K)[rank + 1, j]
 * (j = 1..K − 1); contr.treatment(K)[rank + 1, j] is rank == j. */
double lr_contrast_entry(lr_contrast kind, size_t nlev, size_t rank, unsigned j)
{
    switch (kind) {
    case LR_CONTR_SUM: return rank + 1 == j ? 1.0 : rank + 1 == nlev ? -1.0 : 0.0;
    case LR_CONTR_HELMERT: return rank < j ? -1.0 : rank == j ? (double)j : 0.0;
    default: return rank == j ? 1.0 : 0.0;
    }
}

/* The factor a variable stands for: an appended coded variable is its factor. */
static size_t base_var(const lr_formula *fm, size_t v)
{
    return fm->vars[v].codes ? fm->vars[v].codes : v;
}

/* 1 if every variable of a, except skip, is in b (coded variables as their factor). */
static int subset_except(const lr_formula *fm, const lr_term *a, size_t skip, const lr_term *b)
{
    for (size_t i = 0; i < a->n; i++) {
        if (base_var(fm, a->vars[i]) == skip)
            continue;
        int found = 0;
        for (size_t j = 0; j < b->n && !found; j++)
            found = base_var(fm, b->vars[j]) == base_var(fm, a->vars[i]);
        if (!found)
            return 0;
    }
    return 1;
}

/* Coding of each factor in each term (R's TermCode, after Chambers & Hastie
 * 1992, p. 38): contrasts when the term without that factor is empty or is
 * contained in a preceding term; otherwise indicators for every level.
 * Without an intercept, the first factor of the first term that has one gets
 * indicators. dummy[t * nvars + v] = 1 for indicators. A coded variable counts
 * as its factor, so the answer is the same before and after coding. */
void lr_frame_coding(const lr_frame *f, unsigned char *dummy)
{
    const lr_formula *fm = f->formula;
    size_t nv = fm->nvars;
    for (size_t t = 0; t < fm->nterms; t++) {
        const lr_term *tm = &fm->terms[t];
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (!f->vars[v].factor && !fm->vars[v].codes)
                continue;
            int contrast = tm->n == 1;
            for (size_t u = 0; u < t && !contrast; u++)
                contrast = subset_except(fm, tm, base_var(fm, v), &fm->terms[u]);
            dummy[t * nv + v] = (unsigned char)!contrast;
        }
    }
    if (!fm->intercept) {
        for (size_t t = 0, done = 0; t < fm->nterms && !done; t++)
            for (size_t i = 0; i < fm->terms[t].n && !done; i++) {
                size_t v = fm->terms[t].vars[i];
                if (f->vars[v].factor || fm->vars[v].codes) {
                    dummy[t * nv + v] = 1;
                    done = 1;
                }
            }
    }
}

int lr_frame_coded_pending(const lr_frame *f)
{
    const lr_formula *fm = f->formula;
    for (size_t v = 0; v < fm->nvars; v++)
        if (fm->vars[v].kind == LR_VAR_FACTOR && !fm->vars[v].coded &&
            (fm->vars[v].contrast == LR_CONTR_SUM || fm->vars[v].contrast == LR_CONTR_HELMERT))
            return 1;
    return 0;
}

/* The coded variable for factor v of dst, from src's levels of it (sorted):
 * appended as variable w, its level lookup built (ids are ranks). */
static int append_coded(lr_frame *dst, const lr_frame *src, size_t v, size_t w, lr_error *err)
{
    lr_formula *fm = dst->formula;
    const lr_levels *l = src->vars[v].levels;
    size_t nlev = lr_levels_count(l);
    if (nlev < 2)
        return lr_error_set(err, LR_EDATA,
                            "%s: factor %s has %s in the rows used: a factor needs at least two",
                            dst->source, fm->vars[v].label, nlev ? "a single level" : "no levels");
    lr_var *x = &fm->vars[w];
    *x = fm->vars[v];
    x->kind = LR_VAR_POLY;
    x->degree = (int)(nlev - 1);
    x->codes = v;
    x->levels = NULL;
    x->nlevels = 0;
    x->ref = NULL;
    fm->vars[v].coded = w;
    int numeric = lr_levels_numeric(l), rc;
    if ((rc = lr_levels_create(numeric, &dst->vars[w].levels, err)))
        return rc;
    for (size_t r = 0; r < nlev; r++) {
        uint32_t id = lr_levels_id_at(l, r), got;
        double value;
        lr_levels_value(l, id, &value);
        rc = numeric ? lr_levels_intern_number(dst->vars[w].levels, value, &got, err)
                     : lr_levels_intern_text(dst->vars[w].levels, lr_levels_label(l, id),
                                             lr_levels_length(l, id), &got, err);
        if (rc)
            return rc;
    }
    return LR_OK;
}

int lr_frame_code_contrasts(lr_frame *dst, const lr_frame *src, lr_error *err)
{
    lr_formula *fm = dst->formula;
    size_t nv = fm->nvars, add = 0, cells;
    if (!lr_frame_coded_pending(dst))
        return LR_OK;
    for (size_t v = 0; v < nv; v++)
        add += fm->vars[v].kind == LR_VAR_FACTOR && !fm->vars[v].coded &&
               (fm->vars[v].contrast == LR_CONTR_SUM || fm->vars[v].contrast == LR_CONTR_HELMERT);
    /* which terms code each factor by contrasts, decided on src (same formula,
     * types known) */
    if (lr_mul_overflows(nv, fm->nterms ? fm->nterms : 1, &cells))
        return lr_error_set(err, LR_ERANGE, "model too large");
    unsigned char *dummy = lr_mem_calloc(cells, 1);
    lr_var *vars = lr_arena_alloc(&fm->arena, (nv + add) * sizeof *vars);
    var_info *info = lr_mem_calloc(nv + add, sizeof *info);
    if (!dummy || !vars || !info) {
        lr_mem_free(dummy, cells);
        lr_mem_free(info, (nv + add) * sizeof *info);
        return lr_error_nomem(err);
    }
    lr_frame_coding(src, dummy);
    memcpy(vars, fm->vars, nv * sizeof *vars);
    memcpy(info, dst->vars, nv * sizeof *info);
    lr_mem_free(dst->vars, nv * sizeof *info);
    fm->vars = vars;
    dst->vars = info;
    fm->nvars = nv + add;
    int rc = LR_OK;
    for (size_t v = 0, w = nv; v < nv && rc == LR_OK; v++) {
        if (fm->vars[v].kind != LR_VAR_FACTOR || fm->vars[v].coded ||
            (fm->vars[v].contrast != LR_CONTR_SUM && fm->vars[v].contrast != LR_CONTR_HELMERT))
            continue;
        rc = append_coded(dst, src, v, w, err);
        /* in place, so that a term's variables keep R's order in its names */
        for (size_t t = 0; t < fm->nterms && rc == LR_OK; t++)
            for (size_t i = 0; i < fm->terms[t].n; i++)
                if (fm->terms[t].vars[i] == v && !dummy[t * nv + v])
                    fm->terms[t].vars[i] = w;
        w++;
    }
    lr_mem_free(dummy, cells);
    return rc;
}

int lr_frame_coded_rank(const lr_frame *f, size_t v, const char *cell, size_t len, double num,
                        double *rank)
{
    const lr_var *x = &f->formula->vars[v];
    const col_info *ci = &f->cols[x->col];
    uint32_t id;
    const char *lg = ci->logical ? lr_logical_label(cell, len) : NULL;
    int found = lg         ? lr_levels_find_text(f->vars[v].levels, lg, strlen(lg), &id)
                : ci->text ? lr_levels_find_cell(f->vars[v].levels, cell, len, &id)
                           : lr_levels_find_number(f->vars[v].levels, num, &id);
    *rank = found == 0 ? (double)id : 0.0;
    return found;
}

int lr_frame_code_saved_contrasts(lr_frame *f, lr_error *err)
{
    const lr_formula *fm = f->formula;
    int rc = LR_OK;
    for (size_t v = 1; v < fm->nvars && rc == LR_OK; v++)
        if (f->vars[v].factor && fm->vars[v].contrast != LR_CONTR_DEFAULT)
            rc = lr_levels_sort(f->vars[v].levels, err);
    return rc ? rc : lr_frame_code_contrasts(f, f, err);
}
