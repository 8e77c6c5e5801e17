/*
 * model_frame_columns.c — R's coding of the model matrix (lr_frame_model):
 * the levels put in R's order (relevel, factor(levels =), interaction),
 * each factor coded by indicators or contrasts per term (R's TermCode,
 * model_frame_coded.c), the model's columns enumerated with R's names and
 * picked out of the accumulator's, and the term labels.
 */
#include <stdio.h>
#include <string.h>

#include "model_frame_impl.h"

/* ------------------------------------------------------------------------ */
/* R's coding of the model matrix                                           */
/* ------------------------------------------------------------------------ */

/* The label of level id of variable v is s. */
static int level_is(const lr_levels *l, uint32_t id, const char *s)
{
    return lr_levels_length(l, id) == strlen(s) && !memcmp(lr_levels_label(l, id), s, strlen(s));
}

/* After sorting: relevel(x, ref = "b") puts b first (R: 'ref' must be an
 * existing level); factor(x, levels = c(...)) orders the levels as listed
 * (those with no row are dropped, as lm drops unused levels). */
static int custom_order(lr_frame *f, size_t v, lr_error *err)
{
    const lr_var *x = &f->formula->vars[v];
    lr_levels *l = f->vars[v].levels;
    size_t n = lr_levels_count(l), k = 0;
    if ((!x->ref && !x->levels) || n == 0)
        return LR_OK;
    uint32_t *ids = lr_mem_alloc(n * sizeof *ids);
    if (!ids)
        return lr_error_nomem(err);
    if (x->ref) {
        for (size_t r = 0; r < n && !k; r++)
            if (level_is(l, lr_levels_id_at(l, r), x->ref))
                ids[k++] = lr_levels_id_at(l, r);
        for (size_t r = 0; r < n && k; r++)
            if (lr_levels_id_at(l, r) != ids[0])
                ids[k++] = lr_levels_id_at(l, r);
    } else {
        for (size_t i = 0; i < x->nlevels; i++)
            for (size_t r = 0; r < n; r++)
                if (level_is(l, lr_levels_id_at(l, r), x->levels[i]))
                    ids[k++] = lr_levels_id_at(l, r);
    }
    int rc = LR_OK;
    if (k != n)
        rc = x->ref ? lr_error_set(err, LR_EDATA,
                                   "%s: %s: \"%s\" is not a level of '%s' in the rows used "
                                   "(R: 'ref' must be an existing level)",
                                   f->source, x->label, x->ref, f->colnames[x->col])
                    : lr_error_set(err, LR_EDATA,
                                   "%s: %s: the levels of the rows used are not "
                                   "those listed",
                                   f->source, x->label);
    else
        lr_levels_set_order(l, ids);
    lr_mem_free(ids, n * sizeof *ids);
    return rc;
}

/* Levels in R's order; a factor in the model needs two of them. */
static int order_levels(lr_frame *f, lr_error *err)
{
    lr_formula *fm = f->formula;
    int rc;
    for (size_t v = 0; v < fm->nvars; v++) {
        var_info *vi = &f->vars[v];
        if (!vi->factor)
            continue;
        if ((rc = lr_levels_sort(vi->levels, err)) || (rc = custom_order(f, v, err)) ||
            (fm->vars[v].icols && (rc = lr_interaction_order(vi->levels, &fm->vars[v], err))))
            return rc;
        int in_model = 0;
        for (size_t t = 0; t < fm->nterms && !in_model; t++)
            for (size_t i = 0; i < fm->terms[t].n; i++)
                in_model |= fm->terms[t].vars[i] == v;
        if (in_model && lr_levels_count(vi->levels) < 2)
            return lr_error_set(
                err, LR_EDATA,
                "%s: factor %s has %s level%s%s%s%s in the rows used: "
                "a factor needs at least two",
                f->source, fm->vars[v].label, lr_levels_count(vi->levels) ? "a single" : "no",
                lr_levels_count(vi->levels) ? "" : "s", lr_levels_count(vi->levels) ? " '" : "",
                lr_levels_count(vi->levels)
                    ? lr_levels_label(vi->levels, lr_levels_id_at(vi->levels, 0))
                    : "",
                lr_levels_count(vi->levels) ? "'" : "");
    }
    return LR_OK;
}

/* Count the columns: per term, the product of each variable's choices
 * (dummy: the coding of each factor in each term, lr_frame_coding). */
static int count_columns(const lr_frame *f, const unsigned char *dummy, size_t *q_out,
                         lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nv = fm->nvars, nt = fm->nterms;
    size_t q = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t n = 1;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            size_t v = fm->terms[t].vars[i];
            size_t c = 1;
            if (f->vars[v].factor)
                c = lr_levels_count(f->vars[v].levels) - (dummy[t * nv + v] ? 0 : 1);
            else if (fm->vars[v].kind == LR_VAR_POLY)
                c = (size_t)fm->vars[v].degree;
            if (lr_mul_overflows(n, c, &n))
                n = SIZE_MAX;
        }
        if (n == SIZE_MAX || q > SIZE_MAX / 2 - n)
            return lr_error_set(err, LR_ERANGE, "model too large");
        q += n;
    }
    *q_out = q;
    return LR_OK;
}

/* Room for q model columns (a former lr_frame_model's freed): their
 * accumulator columns, names, terms and choices. */
static int make_room(lr_frame *f, size_t q, lr_error *err)
{
    const lr_formula *fm = f->formula;
    lr_mem_free(f->macc, f->mq * sizeof(size_t));
    lr_mem_free(f->mnames, f->mq * sizeof(char *));
    lr_mem_free(f->mterm, (f->mq ? f->mq : 1) * sizeof(size_t));
    lr_mem_free(f->mchoice, (f->mq ? f->mq : 1) * (f->mwidth ? f->mwidth : 1) * sizeof(uint32_t));
    lr_arena_free(&f->names_arena);
    size_t width = 1;
    for (size_t t = 0; t < fm->nterms; t++)
        if (fm->terms[t].n > width)
            width = fm->terms[t].n;
    f->mq = q;
    f->mwidth = width;
    f->macc = lr_mem_calloc(q ? q : 1, sizeof(size_t));
    f->mnames = lr_mem_calloc(q ? q : 1, sizeof(char *));
    f->mterm = lr_mem_calloc(q ? q : 1, sizeof(size_t));
    f->mchoice = lr_mem_calloc((q ? q : 1) * width, sizeof(uint32_t));
    if (!f->macc || !f->mnames || !f->mterm || !f->mchoice)
        return lr_error_nomem(err);
    return LR_OK;
}

/* Enumerate: within a term the first variable varies fastest. */
static int enumerate_columns(lr_frame *f, const unsigned char *dummy, lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nv = fm->nvars, nt = fm->nterms, width = f->mwidth;
    size_t m = 0;
    size_t digit[66], radix[66];
    uint32_t key[66];
    for (size_t t = 0; t < nt; t++) {
        const lr_term *tm = &fm->terms[t];
        const term_info *ti = &f->terms[t];
        if (tm->n > 64)
            return lr_error_set(err, LR_ERANGE, "a term interacts more than 64 variables");
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            digit[i] = 0;
            radix[i] = 1;
            if (f->vars[v].factor)
                radix[i] = lr_levels_count(f->vars[v].levels) - (dummy[t * nv + v] ? 0 : 1);
            else if (fm->vars[v].kind == LR_VAR_POLY)
                radix[i] = (size_t)fm->vars[v].degree;
        }
        for (;;) {
            /* name and accumulator column of this combination */
            char name[LR_ERROR_MAX];
            size_t nl = 0, combo = 0, mult = 1, w = 0;
            key[w++] = (uint32_t)t + 1;
            for (size_t i = 0; i < tm->n; i++) {
                size_t v = tm->vars[i];
                const char *suffix = "";
                char num[24], ilabel[LR_ERROR_MAX];
                if (f->vars[v].factor) {
                    size_t rank = digit[i] + (dummy[t * nv + v] ? 0 : 1);
                    uint32_t id = lr_levels_id_at(f->vars[v].levels, rank);
                    suffix = lr_levels_label(f->vars[v].levels, id);
                    if (fm->vars[v].icols) { /* interaction(a, b): "a.b" */
                        lr_interaction_label(&fm->vars[v], suffix,
                                             lr_levels_length(f->vars[v].levels, id), ilabel,
                                             sizeof ilabel);
                        suffix = ilabel;
                    }
                    if (fm->vars[v].contrast == LR_CONTR_TREATMENT_FN && !dummy[t * nv + v]) {
                        /* R: contr.treatment(K)'s columns are named 2..K */
                        snprintf(num, sizeof num, "%zu", rank + 1);
                        suffix = num;
                    }
                    key[w++] = id;
                    f->mchoice[m * width + i] = id;
                } else if (fm->vars[v].kind == LR_VAR_POLY) {
                    f->mchoice[m * width + i] = (uint32_t)(digit[i] + 1);
                    snprintf(num, sizeof num, "%zu", digit[i] + 1);
                    /* R: a one-column matrix's name alone, but contrasts are numbered */
                    if (fm->vars[v].degree == 1 && !fm->vars[v].codes)
                        num[0] = '\0';
                    suffix = num;
                    combo += digit[i] * mult;
                    mult *= radix[i];
                } else if (fm->vars[v].logical) {
                    suffix = "TRUE"; /* R: the TRUE level of a logical's treatment coding */
                }
                int k = snprintf(name + nl, sizeof name - nl, "%s%s%s", i ? ":" : "",
                                 fm->vars[v].label, suffix);
                if (k > 0)
                    nl += (size_t)k < sizeof name - nl ? (size_t)k : sizeof name - nl - 1;
            }
            while (w < f->map.width - 1)
                key[w++] = 0;
            key[w] = (uint32_t)combo;
            f->macc[m] = ti->nf == 0 ? ti->first_col + combo : lr_cell_map_get(&f->map, key);
            f->mterm[m] = t;
            f->mnames[m] = lr_arena_strndup(&f->names_arena, name, nl);
            if (!f->mnames[m])
                return lr_error_nomem(err);
            m++;
            /* next combination */
            size_t i = 0;
            while (i < tm->n && ++digit[i] == radix[i])
                digit[i++] = 0;
            if (i == tm->n)
                break;
        }
    }
    return LR_OK;
}

/* Term labels for the term-wise tables (ANOVA, VIF): the variables' labels
 * joined by ':', as R's attr(terms, "term.labels"). */
static int term_labels(lr_frame *f, char ***out, lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nt = fm->nterms;
    char **labels = lr_arena_alloc(&f->names_arena, (nt ? nt : 1) * sizeof(char *));
    if (!labels)
        return lr_error_nomem(err);
    for (size_t t = 0; t < nt; t++) {
        char label[LR_ERROR_MAX];
        size_t nl = 0;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            int k = snprintf(label + nl, sizeof label - nl, "%s%s", i ? ":" : "",
                             fm->vars[fm->terms[t].vars[i]].label);
            if (k > 0)
                nl += (size_t)k < sizeof label - nl ? (size_t)k : sizeof label - nl - 1;
        }
        if (!(labels[t] = lr_arena_strndup(&f->names_arena, label, nl)))
            return lr_error_nomem(err);
    }
    *out = labels;
    return LR_OK;
}

int lr_frame_model(lr_frame *f, lr_model_columns *out, lr_error *err)
{
    lr_formula *fm = f->formula;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = order_levels(f, err)))
        return rc;

    /* Coding of each factor in each term (R's TermCode: model_frame_coded.c). */
    size_t nv = fm->nvars, nt = fm->nterms, cells, q = 0;
    if (lr_mul_overflows(nv, nt ? nt : 1, &cells))
        return lr_error_set(err, LR_ERANGE, "model too large");
    unsigned char *dummy = lr_mem_calloc(cells, 1);
    if (!dummy)
        return lr_error_nomem(err);
    lr_frame_coding(f, dummy);
    if (!(rc = count_columns(f, dummy, &q, err)) && !(rc = make_room(f, q, err)))
        rc = enumerate_columns(f, dummy, err);
    lr_mem_free(dummy, cells);
    char **labels = NULL;
    if (rc || (rc = term_labels(f, &labels, err)))
        return rc;
    out->nterms = nt;
    out->term = f->mterm;
    out->term_labels = (const char *const *)labels;
    out->q = q;
    out->acc_col = f->macc;
    out->names = (const char *const *)f->mnames;
    out->intercept = fm->intercept;
    out->response = fm->vars[0].label;
    out->formula = fm->text;
    return LR_OK;
}
