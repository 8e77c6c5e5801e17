/*
 * model_frame_mp.c — the model frame's rows again, in MPFR arithmetic.
 *
 * The same row, the same rules as model_frame_eval.c — the model's columns, the
 * missing-value policy, factor levels — but every number is read from its
 * decimal text with mpfr_strtofr and every term evaluated in `prec` bits, so
 * nothing is rounded to double before the final result. Every MPFR variable
 * is allocated when the evaluator is created (one slot per column, variable,
 * expression node and model column); MPFR's own temporaries come from GMP's
 * allocator, outside linreg's.
 */
#include <math.h>
#include <string.h>

#include "model_frame_impl.h"
#include "model_frame_mp.h"

struct lr_frame_mp {
    lr_frame *f;      /* the frame (borrowed) */
    mpfr_prec_t prec; /* bits */
    mpfr_t *col;      /* per data column: this row's value (numeric columns) */
    mpfr_t *node;     /* per expression node: its value */
    mpfr_t *var;      /* per formula variable: its value (numeric and poly) */
    uint32_t *level;  /* per formula variable: this row's level id (factors) */
    mpfr_t *x;        /* per model column */
    mpfr_t y;         /* the response */
    mpfr_t w;         /* the weight */
    mpfr_t tmp;       /* scratch */
    size_t ncol;      /* columns in the header */
    size_t nnode;     /* expression nodes */
    size_t nvar;      /* variables */
    size_t nx;        /* model columns */
    char *text;       /* a cell's trimmed text, NUL-terminated */
    size_t text_cap;  /* its capacity */
    int inited;       /* the mpfr_t above are initialised */
};

static void clear_array(mpfr_t *a, size_t n)
{
    if (a)
        for (size_t i = 0; i < n; i++)
            mpfr_clear(a[i]);
}

void lr_frame_mp_free(lr_frame_mp *m)
{
    if (!m)
        return;
    if (m->inited) {
        clear_array(m->col, m->ncol);
        clear_array(m->node, m->nnode);
        clear_array(m->var, m->nvar);
        clear_array(m->x, m->nx);
        mpfr_clears(m->y, m->w, m->tmp, (mpfr_ptr)0);
    }
    lr_mem_free(m->col, (m->ncol ? m->ncol : 1) * sizeof(mpfr_t));
    lr_mem_free(m->node, (m->nnode ? m->nnode : 1) * sizeof(mpfr_t));
    lr_mem_free(m->var, (m->nvar ? m->nvar : 1) * sizeof(mpfr_t));
    lr_mem_free(m->level, (m->nvar ? m->nvar : 1) * sizeof(uint32_t));
    lr_mem_free(m->x, (m->nx ? m->nx : 1) * sizeof(mpfr_t));
    lr_mem_free(m->text, m->text_cap);
    lr_mem_free(m, sizeof *m);
}

int lr_frame_mp_create(lr_frame *f, mpfr_prec_t prec, lr_frame_mp **out, lr_error *err)
{
    *out = NULL;
    lr_frame_mp *m = lr_mem_calloc(1, sizeof *m);
    if (!m)
        return lr_error_nomem(err);
    m->f = f;
    m->prec = prec;
    m->ncol = f->ncsv;
    m->nnode = f->formula->nnodes;
    m->nvar = f->formula->nvars;
    m->nx = f->mq;
    m->col = lr_mem_calloc(m->ncol ? m->ncol : 1, sizeof(mpfr_t));
    m->node = lr_mem_calloc(m->nnode ? m->nnode : 1, sizeof(mpfr_t));
    m->var = lr_mem_calloc(m->nvar ? m->nvar : 1, sizeof(mpfr_t));
    m->level = lr_mem_calloc(m->nvar ? m->nvar : 1, sizeof(uint32_t));
    m->x = lr_mem_calloc(m->nx ? m->nx : 1, sizeof(mpfr_t));
    m->text_cap = 64;
    m->text = lr_mem_alloc(m->text_cap);
    if (!m->col || !m->node || !m->var || !m->level || !m->x || !m->text) {
        lr_frame_mp_free(m);
        return lr_error_nomem(err);
    }
    for (size_t i = 0; i < m->ncol; i++)
        mpfr_init2(m->col[i], prec);
    for (size_t i = 0; i < m->nnode; i++)
        mpfr_init2(m->node[i], prec);
    for (size_t i = 0; i < m->nvar; i++)
        mpfr_init2(m->var[i], prec);
    for (size_t i = 0; i < m->nx; i++)
        mpfr_init2(m->x[i], prec);
    mpfr_inits2(prec, m->y, m->w, m->tmp, (mpfr_ptr)0);
    m->inited = 1;
    *out = m;
    return LR_OK;
}

mpfr_t *lr_frame_mp_x(lr_frame_mp *m)
{
    return m->x;
}
mpfr_ptr lr_frame_mp_y(lr_frame_mp *m)
{
    return m->y;
}
mpfr_ptr lr_frame_mp_w(lr_frame_mp *m)
{
    return m->w;
}

/* The number in a cell (validated by lr_parse_cell) into v, exactly rounded. */
static int read_number(lr_frame_mp *m, const lr_csv_field *fl, mpfr_ptr v, lr_error *err)
{
    const char *s = fl->data;
    size_t n = fl->len;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n + 1 > m->text_cap) {
        char *t = lr_mem_realloc(m->text, m->text_cap, n + 1);
        if (!t)
            return lr_error_nomem(err);
        m->text = t;
        m->text_cap = n + 1;
    }
    memcpy(m->text, s, n);
    m->text[n] = '\0';
    char *end = NULL;
    mpfr_strtofr(v, m->text, &end, 10, MPFR_RNDN);
    if (!end || *end != '\0')
        return lr_error_at(err, LR_EVALUE, m->f->source, fl->line, fl->col,
                           "the number \"%s\" could not be read again in extended precision",
                           m->text);
    return LR_OK;
}

/* Evaluate an expression node into its slot. Non-finite results are errors
 * (the first pass already rejected them in double; they are checked again). */
static mpfr_ptr eval(lr_frame_mp *m, const lr_node *n)
{
    mpfr_ptr r = m->node[n->id];
    mpfr_ptr a, b;
    switch (n->kind) {
    case LR_NODE_NUM: mpfr_strtofr(r, n->text, NULL, 10, MPFR_RNDN); return r;
    case LR_NODE_COL: return m->col[n->col];
    case LR_NODE_PAREN: return eval(m, n->a);
    case LR_NODE_NEG: mpfr_neg(r, eval(m, n->a), MPFR_RNDN); return r;
    case LR_NODE_FN:
        a = eval(m, n->a);
        switch (n->fn) {
        case LR_FN_LOG: mpfr_log(r, a, MPFR_RNDN); break;
        case LR_FN_LOG2: mpfr_log2(r, a, MPFR_RNDN); break;
        case LR_FN_LOG10: mpfr_log10(r, a, MPFR_RNDN); break;
        case LR_FN_EXP: mpfr_exp(r, a, MPFR_RNDN); break;
        case LR_FN_SQRT: mpfr_sqrt(r, a, MPFR_RNDN); break;
        case LR_FN_ABS: mpfr_abs(r, a, MPFR_RNDN); break;
        case LR_FN_LOG1P: mpfr_log1p(r, a, MPFR_RNDN); break;
        case LR_FN_EXPM1: mpfr_expm1(r, a, MPFR_RNDN); break;
        case LR_FN_SIN: mpfr_sin(r, a, MPFR_RNDN); break;
        case LR_FN_COS: mpfr_cos(r, a, MPFR_RNDN); break;
        case LR_FN_TAN: mpfr_tan(r, a, MPFR_RNDN); break;
        case LR_FN_I: mpfr_set(r, a, MPFR_RNDN); break;
        case LR_FN_COUNT: mpfr_set_nan(r); break;
        }
        return r;
    case LR_NODE_NOT:
        a = eval(m, n->a);
        if (mpfr_nan_p(a))
            mpfr_set_nan(r);
        else
            mpfr_set_ui(r, mpfr_zero_p(a) ? 1 : 0, MPFR_RNDN);
        return r;
    case LR_NODE_AND:
    case LR_NODE_OR:
        /* logical values are exact: the double evaluation is R's answer */
        mpfr_set_d(r, lr_node_eval(n, m->f->colval), MPFR_RNDN);
        return r;
    default:
        a = eval(m, n->a);
        b = eval(m, n->b);
        switch (n->kind) {
        case LR_NODE_ADD: mpfr_add(r, a, b, MPFR_RNDN); break;
        case LR_NODE_SUB: mpfr_sub(r, a, b, MPFR_RNDN); break;
        case LR_NODE_MUL: mpfr_mul(r, a, b, MPFR_RNDN); break;
        case LR_NODE_DIV: mpfr_div(r, a, b, MPFR_RNDN); break;
        case LR_NODE_POW:
            /* integral exponents exactly as repeated products would give */
            if (mpfr_integer_p(b) && mpfr_fits_slong_p(b, MPFR_RNDN))
                mpfr_pow_si(r, a, mpfr_get_si(b, MPFR_RNDN), MPFR_RNDN);
            else
                mpfr_pow(r, a, b, MPFR_RNDN);
            break;
        case LR_NODE_LOGB: {
            /* R's logbase: log10 and log2 for those bases, else log(a)/log(b) */
            if (mpfr_cmp_ui(b, 10) == 0) {
                mpfr_log10(r, a, MPFR_RNDN);
            } else if (mpfr_cmp_ui(b, 2) == 0) {
                mpfr_log2(r, a, MPFR_RNDN);
            } else {
                mpfr_t lb;
                mpfr_init2(lb, mpfr_get_prec(r));
                mpfr_log(lb, b, MPFR_RNDN);
                mpfr_log(r, a, MPFR_RNDN);
                mpfr_div(r, r, lb, MPFR_RNDN);
                mpfr_clear(lb);
            }
            break;
        }
        default:
            if (lr_node_is_logical(n->kind)) {
                /* comparisons of the row's values (NaN: NA) */
                int c = n->kind == LR_NODE_LT   ? mpfr_less_p(a, b)
                        : n->kind == LR_NODE_LE ? mpfr_lessequal_p(a, b)
                        : n->kind == LR_NODE_GT ? mpfr_greater_p(a, b)
                        : n->kind == LR_NODE_GE ? mpfr_greaterequal_p(a, b)
                        : n->kind == LR_NODE_EQ ? mpfr_equal_p(a, b)
                                                : mpfr_lessgreater_p(a, b);
                if (mpfr_nan_p(a) || mpfr_nan_p(b))
                    mpfr_set_nan(r);
                else
                    mpfr_set_ui(r, c ? 1 : 0, MPFR_RNDN);
            } else {
                mpfr_set_nan(r);
            }
            break;
        }
        return r;
    }
}

int lr_frame_mp_row(lr_frame_mp *m, const lr_csv_row *row, int *use, lr_error *err)
{
    lr_frame *f = m->f;
    lr_formula *fm = f->formula;
    int rc;
    *use = 0;
    if (row->nfields != f->ncsv)
        return lr_error_at(err, LR_EPARSE, f->source, row->line, 1,
                           "row has %zu fields but the header has %zu (the file changed "
                           "between passes?)",
                           row->nfields, f->ncsv);
    /* Cells: a missing one omits the row, as in the first pass. */
    for (size_t u = 0; u < f->nused; u++) {
        size_t j = f->used[u];
        const lr_csv_field *fl = &row->fields[j];
        double v;
        lr_cell_kind kind = lr_cell_classify(&f->nas, f->cols[j].text && !f->cols[j].logical,
                                             fl->data, fl->len, &v);
        if (kind == LR_CELL_MISSING)
            return LR_OK;
        const char *lg = f->cols[j].logical ? lr_logical_label(fl->data, fl->len) : NULL;
        if (f->cols[j].text) {
            /* a logical cell is its level's label (the first pass checked it) */
            f->cols[j].cell = lg ? lg : fl->data;
            f->cols[j].cell_len = lg ? strlen(lg) : fl->len;
        } else {
            if (kind != LR_CELL_NUMBER)
                return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                                   "column '%s': not a number when read again (the file "
                                   "changed between passes?)",
                                   f->colnames[j]);
            f->colval[j] = v;
            if ((rc = read_number(m, fl, m->col[j], err)))
                return rc;
        }
    }
    /* A missing cluster key (--vcov CL: an empty text cell too) omits the
     * row, as in the first pass (lr_frame_eval_row). */
    if (f->ncl && lr_frame_cluster_missing(f, row))
        return LR_OK;
    /* Variables. */
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (x->codes) { /* C(g, sum): the level's rank, exact */
            const col_info *c = &f->cols[x->col];
            double rank;
            if (lr_frame_coded_rank(f, v, c->cell, c->cell_len, f->colval[x->col], &rank))
                return lr_error_at(err, LR_EDATA, f->source, row->line, 1,
                                   "a level of %s not seen in the first pass (the file changed "
                                   "between passes?)",
                                   x->label);
            mpfr_set_d(m->var[v], rank, MPFR_RNDN);
            continue;
        }
        if (f->vars[v].factor) {
            const col_info *c = &f->cols[x->col];
            if (!lr_frame_level_listed(x, c->cell, c->cell_len, f->colval[x->col], !c->text))
                return LR_OK; /* not among factor(x, levels = )'s: NA, omitted */
            char joined[LR_INTERACTION_MAX];
            size_t jn = 0;
            if (x->icols &&
                (rc = lr_interaction_join(f, x, row, f->colval, joined, sizeof joined, &jn, err)))
                return rc;
            if (x->logical) { /* I(x > 5): exact in double; NA omits the row */
                double lv = lr_node_eval(x->expr, f->colval);
                if (isnan(lv))
                    return LR_OK;
                jn = lv != 0 ? 4 : 5;
                memcpy(joined, lv != 0 ? "TRUE" : "FALSE", jn);
            }
            int found =
                x->icols || x->logical
                    ? lr_levels_find_text(f->vars[v].levels, joined, jn, &m->level[v])
                : c->text
                    ? lr_levels_find_cell(f->vars[v].levels, c->cell, c->cell_len, &m->level[v])
                    : lr_levels_find_number(f->vars[v].levels, f->colval[x->col], &m->level[v]);
            if (found != 0)
                return lr_error_at(err, LR_EDATA, f->source, row->line, 1,
                                   "a level of %s not seen in the first pass (the file changed "
                                   "between passes?)",
                                   x->label);
            continue;
        }
        mpfr_set(m->var[v], eval(m, x->expr), MPFR_RNDN);
        if (mpfr_nan_p(m->var[v]) && f->na != LR_NA_ERROR)
            return LR_OK; /* NaN (log(-1)): omitted, as in the first pass */
        if (!mpfr_number_p(m->var[v]))
            return lr_error_at(err, LR_EVALUE, f->source, row->line, 1,
                               "%s is not finite in extended precision", x->label);
    }
    if (fm->offset) /* lm fits y − offset */
        mpfr_sub(m->y, m->var[0], m->var[fm->offset], MPFR_RNDN);
    else
        mpfr_set(m->y, m->var[0], MPFR_RNDN);
    if (f->wcol != SIZE_MAX)
        mpfr_set(m->w, m->col[f->wcol], MPFR_RNDN);
    else
        mpfr_set_ui(m->w, 1, MPFR_RNDN);
    /* The model's columns: per term, the product of its variables' factors. */
    for (size_t c = 0; c < f->mq; c++) {
        const lr_term *tm = &fm->terms[f->mterm[c]];
        const uint32_t *choice = &f->mchoice[c * f->mwidth];
        mpfr_set_ui(m->x[c], 1, MPFR_RNDN);
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (f->vars[v].factor) {
                if (m->level[v] != choice[i]) {
                    mpfr_set_zero(m->x[c], 1);
                    break;
                }
            } else if (fm->vars[v].kind == LR_VAR_POLY &&
                       (fm->vars[v].basis || fm->vars[v].codes)) {
                /* a data-dependent basis: evaluated in double (its parameters are;
                 * contrasts are small integers, exact) */
                mpfr_set_d(m->tmp,
                           lr_var_column(&fm->vars[v], mpfr_get_d(m->var[v], MPFR_RNDN), choice[i]),
                           MPFR_RNDN);
                mpfr_mul(m->x[c], m->x[c], m->tmp, MPFR_RNDN);
            } else if (fm->vars[v].kind == LR_VAR_POLY) {
                mpfr_pow_ui(m->tmp, m->var[v], choice[i], MPFR_RNDN);
                mpfr_mul(m->x[c], m->x[c], m->tmp, MPFR_RNDN);
            } else {
                mpfr_mul(m->x[c], m->x[c], m->var[v], MPFR_RNDN);
            }
        }
    }
    *use = 1;
    return LR_OK;
}
