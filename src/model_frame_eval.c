/*
 * model_frame_eval.c — a row evaluated: its cells read (types, missing
 * values, weights), its variables' values checked finite, its factor
 * levels recorded and its accumulator values laid out in the chunk's
 * columns (the first pass); and a row in the model's own columns, from
 * the levels and columns lr_frame_model chose (second passes, prediction).
 */
#include <math.h>
#include <string.h>

#include "model_frame_impl.h"

/* ------------------------------------------------------------------------ */
/* A row in the chunk's accumulator columns (the first pass)                */
/* ------------------------------------------------------------------------ */

/* Evaluate with a check at every node: the first node whose value is not
 * finite while its operands are is the culprit, described in *why. */
static double eval_checked(const lr_node *n, const double *vals, const char **why)
{
    double a, b, r;
    switch (n->kind) {
    case LR_NODE_NUM: return n->num;
    case LR_NODE_COL: return vals[n->col];
    case LR_NODE_PAREN: return eval_checked(n->a, vals, why);
    case LR_NODE_NEG: return -eval_checked(n->a, vals, why);
    case LR_NODE_NOT: a = eval_checked(n->a, vals, why); return *why ? a : lr_node_eval(n, vals);
    case LR_NODE_AND:
    case LR_NODE_OR:
        /* R's three-valued logic: FALSE & NA is FALSE, so an operand's NaN
         * matters only when the result is NA */
        r = lr_node_eval(n, vals);
        if (isnan(r)) {
            eval_checked(n->a, vals, why);
            if (!*why)
                eval_checked(n->b, vals, why);
        }
        return r;
    case LR_NODE_FN:
        a = eval_checked(n->a, vals, why);
        if (*why)
            return a;
        r = lr_node_eval(n, vals);
        if (!isfinite(r))
            *why = lr_fn_why(n->fn, a);
        return r;
    default:
        a = eval_checked(n->a, vals, why);
        if (*why)
            return a;
        b = eval_checked(n->b, vals, why);
        if (*why)
            return b;
        r = lr_node_eval(n, vals);
        if (!isfinite(r))
            *why = n->kind == LR_NODE_LOGB            ? (a == 0  ? "the logarithm of 0"
                                                         : a < 0 ? "the logarithm of a negative value"
                                                                 : "a logarithm to an invalid base")
                   : n->kind == LR_NODE_DIV && b == 0 ? "division by zero"
                   : n->kind == LR_NODE_POW && a < 0 && b != floor(b)
                       ? "a negative number to a fractional power"
                   : n->kind == LR_NODE_POW && a == 0 && b < 0 ? "0 to a negative power"
                                                               : "overflow";
        return r;
    }
}

/* factor(x, levels = c(...)): 1 if the cell's level (its bytes, or the number
 * as R's as.character writes it) is listed; R's factor() makes it NA if not,
 * and lm omits the row. 1 for any other variable. */
int lr_frame_level_listed(const lr_var *x, const char *s, size_t len, double num, int numeric)
{
    if (!x->levels)
        return 1;
    char buf[64];
    if (numeric) {
        lr_format_r_number(num, buf, sizeof buf);
        s = buf;
        len = strlen(buf);
    }
    for (size_t i = 0; i < x->nlevels; i++)
        if (strlen(x->levels[i]) == len && !memcmp(x->levels[i], s, len))
            return 1;
    return 0;
}

/* The first data column an expression reads (for the position in messages). */
static size_t first_col(const lr_node *n)
{
    if (!n)
        return SIZE_MAX;
    if (n->kind == LR_NODE_COL)
        return n->col;
    size_t c = first_col(n->a);
    return c != SIZE_MAX ? c : first_col(n->b);
}

static int nonfinite_error(const lr_frame *f, const lr_csv_row *row, const lr_var *x, double v,
                           const char *why, lr_error *err)
{
    size_t c = first_col(x->expr);
    const lr_csv_field *fl = c != SIZE_MAX ? &row->fields[c] : &row->fields[0];
    return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col, "%s is %s: %s", x->label,
                       isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf"), why ? why : "overflow");
}

/* Convert the model's cells of a row into c->colval / c->cell; *missing = 1 if
 * one is missing (and that is not an error). */
int lr_chunk_read_cells(lr_chunk *c, const lr_csv_row *row, int *missing, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_csv_field *miss = NULL;
    size_t miss_col = 0;
    *missing = 0;
    for (size_t u = 0; u < f->nused; u++) {
        size_t j = f->used[u];
        const col_info *ci = &f->cols[j];
        const lr_csv_field *fl = &row->fields[j];
        double v = 0;
        char q[96];
        lr_cell_kind kind =
            lr_cell_classify(&f->nas, ci->text && !ci->logical, fl->data, fl->len, &v);
        if (kind == LR_CELL_MISSING) {
            if (!miss) {
                miss = fl;
                miss_col = j;
            }
            continue;
        }
        if (ci->logical) {
            const char *label = lr_logical_label(fl->data, fl->len);
            if (!label) {
                lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
                return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                                   "column '%s': \"%s\" is not T, F, TRUE or FALSE, which the "
                                   "column holds in its first rows (R would read it as text)",
                                   ci->name, q);
            }
            c->cell[j] = label;
            c->cell_len[j] = strlen(label);
            continue;
        }
        if (ci->text) {
            /* categorical: the bytes are the level, numbers included */
            c->cell[j] = fl->data;
            c->cell_len[j] = fl->len;
            continue;
        }
        switch (kind) {
        case LR_CELL_NUMBER: c->colval[j] = v; break;
        case LR_CELL_OVERFLOW:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': \"%s\" is out of the range of a double", ci->name, q);
        default:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            if (!c->first)
                return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                                   "column '%s': expected a number, got \"%s\" (the column "
                                   "holds numbers in its first rows; write factor(%s) in a "
                                   "formula to make it categorical)",
                                   ci->name, q, ci->name);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': expected a number, got \"%s\"", ci->name, q);
        }
    }
    if (!miss && f->ncl && (miss = lr_frame_cluster_missing(f, row)) != NULL)
        miss_col = (size_t)(miss - row->fields);
    if (f->wcol != SIZE_MAX && !miss) {
        double w = c->colval[f->wcol];
        if (w < 0) {
            const lr_csv_field *fl = &row->fields[f->wcol];
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': weight %g is negative", f->colnames[f->wcol], w);
        }
    }
    if (miss) {
        if (f->na == LR_NA_ERROR)
            return lr_error_at(err, LR_EMISSING, f->source, miss->line, miss->col,
                               "column '%s': missing value (--na error)", f->colnames[miss_col]);
        *missing = 1;
    }
    return LR_OK;
}

/* The key of a factor term's cell: the term, the row's (chunk-local) levels
 * of its factors, and the poly combination. */
static void cell_key(const lr_chunk *c, size_t t, size_t combo, uint32_t *key)
{
    const lr_formula *fm = c->f->formula;
    size_t w = 0;
    key[w++] = (uint32_t)t + 1;
    for (size_t i = 0; i < fm->terms[t].n; i++) {
        size_t v = fm->terms[t].vars[i];
        if (c->f->vars[v].factor)
            key[w++] = c->level[v];
    }
    while (w < c->f->keywidth - 1)
        key[w++] = 0;
    key[w] = (uint32_t)combo;
}

/* The column of a cell, created (and its key recorded in column order) when new. */
static int cell_column(lr_chunk *c, const uint32_t *key, const col_origin *o, size_t *col,
                       lr_error *err)
{
    size_t kw = c->f->keywidth;
    size_t got = lr_cell_map_get(&c->map, key);
    if (got == SIZE_MAX) {
        size_t nkeys = c->k - c->f->kfixed;
        if (nkeys == c->colkeys_cap) {
            size_t cap = c->colkeys_cap ? 2 * c->colkeys_cap : 16;
            lr_mem_array a[] = {{c->colkeys, c->colkeys_cap * kw * sizeof(uint32_t),
                                 cap * kw * sizeof(uint32_t), nkeys * kw * sizeof(uint32_t), 0},
                                {c->colorigin, c->colkeys_cap * sizeof(col_origin),
                                 cap * sizeof(col_origin), nkeys * sizeof(col_origin), 0}};
            if (lr_mem_replace(a, 2))
                return lr_error_nomem(err);
            c->colkeys = a[0].p;
            c->colorigin = a[1].p;
            c->colkeys_cap = cap;
        }
        int rc = lr_cell_map_put(&c->map, key, c->k, err);
        if (rc)
            return rc;
        memcpy(c->colkeys + nkeys * kw, key, kw * sizeof(uint32_t));
        c->colorigin[nkeys] = *o;
        got = c->k++;
    }
    *col = got;
    return LR_OK;
}

/* The model would pass LR_MAX_COLUMNS at this row, because of a level (or
 * a combination of levels) of term t seen first here: the error names the
 * place, the factor's column and level, and the cap. The factor named is the
 * first of the term whose level is new to the chunk in this row (the first
 * of the term when only the combination is new). */
static size_t origin_var(const lr_chunk *c, size_t t, const unsigned char *fresh)
{
    const lr_frame *f = c->f;
    const lr_term *tm = &f->formula->terms[t];
    size_t v = SIZE_MAX;
    for (size_t i = 0; i < tm->n && v == SIZE_MAX; i++)
        if (f->vars[tm->vars[i]].factor && fresh && fresh[tm->vars[i]])
            v = tm->vars[i];
    for (size_t i = 0; i < tm->n && v == SIZE_MAX; i++)
        if (f->vars[tm->vars[i]].factor)
            v = tm->vars[i];
    return v;
}

/* The error of a model that would pass LR_MAX_COLUMNS with its column k, made
 * for level `label` of variable v at (line, col). */
int lr_frame_cap_error(const lr_frame *f, size_t v, const char *label, uint64_t line, uint64_t col,
                       size_t k, lr_error *err)
{
    return lr_error_at(err, LR_ERANGE, f->source, line, col,
                       "column '%s': level '%s' makes the model's column %zu, and linreg "
                       "supports at most %d (the response, the predictors and a column per "
                       "factor level): it keeps matrices of columns x columns while it streams; "
                       "fit fewer levels (merge rare ones) or fewer predictors",
                       f->colnames[f->formula->vars[v].col], label, k, LR_MAX_COLUMNS);
}

/* A value of the row being built: into c->row, or (a chunk that keeps its
 * rows sparsely, see row_store.h) as the row's next entry. */
static void put_value(lr_chunk *c, size_t col, double val)
{
    if (c->sparse)
        c->ent[c->nent++] = (lr_row_entry){(uint32_t)col, val};
    else
        c->row[col] = val;
}

/* Expressions first: one that is NaN (log(-1), sqrt(-1)) omits the row
 * (*omit = 1), as R's lm does (NaN is NA to na.omit; R warns "NaNs
 * produced"), before any factor level of the row is recorded (lm drops
 * unused levels). An infinite value stays an error, as in lm ("NA/NaN/Inf
 * in 'x'"). */
static int row_expressions(lr_chunk *c, const lr_csv_row *row, int *omit, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (f->vars[v].factor && !lr_frame_level_listed(x, c->cell[x->col], c->cell_len[x->col],
                                                        c->colval[x->col], !f->cols[x->col].text)) {
            *omit = 1; /* NA, as R's factor(x, levels = ) makes it */
            return LR_OK;
        }
        if ((f->vars[v].factor && !x->logical) || x->kind == LR_VAR_COLUMN)
            continue;
        if (x->codes) { /* C(g, sum): the level's rank (model_frame_coded.c) */
            if (lr_frame_coded_rank(f, v, c->cell[x->col], c->cell_len[x->col], c->colval[x->col],
                                    &c->value[v]))
                return lr_error_at(err, LR_EDATA, f->source, row->line, 1,
                                   "a level of %s not seen in the first pass (the file "
                                   "changed between passes?)",
                                   x->label);
            continue;
        }
        const char *why = NULL;
        double value = eval_checked(x->expr, c->colval, &why);
        if (isnan(value) && f->na != LR_NA_ERROR) {
            if (!c->nan_rows++) {
                c->nan_line = row->line;
                c->nan_var = v;
            }
            *omit = 1;
            return LR_OK;
        }
        if (!isfinite(value))
            return nonfinite_error(f, row, x, value, why, err);
        c->value[v] = value;
    }
    return LR_OK;
}

/* The row's factor levels, interned in the chunk's tables (fresh[v] = 1
 * where v's level is new to the chunk, if fresh is not NULL), and the
 * plain columns' values. */
static int row_levels(lr_chunk *c, const lr_csv_row *row, unsigned char *fresh, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    int rc;
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (f->vars[v].factor) {
            const col_info *ci = &f->cols[x->col];
            size_t before = lr_levels_count(c->levels[v]);
            char joined[LR_INTERACTION_MAX];
            size_t jn = 0;
            if (x->icols &&
                (rc = lr_interaction_join(f, x, row, c->colval, joined, sizeof joined, &jn, err)))
                return rc;
            if (x->logical) { /* I(x > 5): its level's label */
                jn = c->value[v] != 0 ? 4 : 5;
                memcpy(joined, c->value[v] != 0 ? "TRUE" : "FALSE", jn);
            }
            rc = x->icols || x->logical
                     ? lr_levels_intern_text(c->levels[v], joined, jn, &c->level[v], err)
                 : ci->text
                     ? lr_levels_intern_text(c->levels[v], c->cell[x->col], c->cell_len[x->col],
                                             &c->level[v], err)
                     : lr_levels_intern_number(c->levels[v], c->colval[x->col], &c->level[v], err);
            if (rc)
                return rc;
            if (fresh)
                fresh[v] = lr_levels_count(c->levels[v]) != before;
            continue;
        }
        if (x->kind == LR_VAR_COLUMN)
            c->value[v] = c->colval[x->col]; /* finite: lr_chunk_read_cells checked it */
    }
    return LR_OK;
}

/* New cells first (the row's width must be known before it is written): a
 * column for each level combination the chunk sees first in this row. */
static int new_cells(lr_chunk *c, const lr_csv_row *row, const unsigned char *fresh, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    int rc;
    uint32_t key[66];
    if (f->keywidth > 66)
        return lr_error_set(err, LR_ERANGE, "a term interacts more than 64 factors");
    for (size_t t = 0; t < fm->nterms; t++) {
        const term_info *ti = &f->terms[t];
        if (ti->nf == 0)
            continue;
        for (size_t combo = 0; combo < ti->ncombo; combo++) {
            size_t col;
            cell_key(c, t, combo, key);
            if (lr_cell_map_get(&c->map, key) != SIZE_MAX)
                continue;
            /* a new column: where it came from, for this check and the fold's */
            size_t v = origin_var(c, t, fresh);
            col_origin o = {row->line, row->fields[fm->vars[v].col].col, v, c->level[v]};
            if (c->k + 1 > LR_MAX_COLUMNS)
                return lr_frame_cap_error(f, v, lr_levels_label(c->levels[v], c->level[v]), o.line,
                                          o.col, c->k + 1, err);
            if ((rc = cell_column(c, key, &o, &col, err)))
                return rc;
        }
    }
    return LR_OK;
}

/* The values: response, then each term's product of numeric variables
 * times its poly powers, in the term's column. */
static int row_values(lr_chunk *c, const lr_csv_row *row, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    uint32_t key[66]; /* f->keywidth words: new_cells checked */
    /* lm fits y − offset (lm.fit: qr(x, y - offset)); R's summary then takes
     * R² and F from fitted − offset, which are this fit's */
    put_value(c, 0, fm->offset ? c->value[0] - c->value[fm->offset] : c->value[0]);
    if (fm->offset)
        put_value(c, f->offset_col, c->value[fm->offset]);
    for (size_t t = 0; t < fm->nterms; t++) {
        const term_info *ti = &f->terms[t];
        const lr_term *tm = &fm->terms[t];
        double s = 1;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (!f->vars[v].factor && fm->vars[v].kind != LR_VAR_POLY)
                s *= c->value[v];
        }
        for (size_t combo = 0; combo < ti->ncombo; combo++) {
            /* combo is a mixed-radix number over the term's poly variables,
             * the first varying fastest; digit d means power d + 1. */
            double val = s;
            size_t rest = combo;
            for (size_t i = 0; i < tm->n; i++) {
                size_t v = tm->vars[i];
                if (fm->vars[v].kind != LR_VAR_POLY || f->vars[v].factor)
                    continue;
                size_t deg = (size_t)fm->vars[v].degree;
                val *= lr_var_column(&fm->vars[v], c->value[v], (unsigned)(rest % deg + 1));
                rest /= deg;
            }
            if (!isfinite(val))
                return nonfinite_error(f, row, &fm->vars[tm->vars[0]], val, "overflow", err);
            size_t col;
            if (ti->nf == 0) {
                col = ti->first_col + combo;
            } else {
                cell_key(c, t, combo, key);
                col = lr_cell_map_get(&c->map, key);
            }
            put_value(c, col, val);
        }
    }
    return LR_OK;
}

/* Evaluate the variables of a row and lay its accumulator values out
 * (making columns for level combinations seen first). */
int lr_chunk_build_row(lr_chunk *c, const lr_csv_row *row, int *omit, lr_error *err)
{
    unsigned char freshbuf[64];
    unsigned char *fresh = c->f->formula->nvars <= 64 ? freshbuf : NULL;
    int rc;
    *omit = 0;
    if ((rc = row_expressions(c, row, omit, err)) || *omit)
        return rc;
    if ((rc = row_levels(c, row, fresh, err)) || (rc = new_cells(c, row, fresh, err)))
        return rc;
    if (c->sparse) {
        c->nent = 0;
    } else {
        if ((rc = lr_chunk_ensure_width(c, c->k, err)))
            return rc;
        memset(c->row, 0, c->k * sizeof(double));
    }
    return row_values(c, row, err);
}

/* ------------------------------------------------------------------------ */
/* A row in the model's own columns (second passes, prediction)             */
/* ------------------------------------------------------------------------ */

int lr_frame_keep_rows(lr_frame *f, int with_lines)
{
    f->rows_lines |= with_lines != 0;
    if (f->rows_wanted)
        return 1;
    f->rows_fd = lr_row_spool_create();
    f->rows_wanted = f->rows_fd >= 0;
    return f->rows_wanted;
}

int lr_frame_rows_as_eval(const lr_frame *f)
{
    /* lr_chunk_build_row multiplies a term's plain values first, then its poly
     * columns; lr_frame_eval_row multiplies them in the term's order (a
     * factor's 1 or 0 between them is exact). Two operands commute exactly;
     * from three on, a plain value after a poly column rounds differently. */
    const lr_formula *fm = f->formula;
    for (size_t t = 0; t < fm->nterms; t++) {
        const lr_term *tm = &fm->terms[t];
        size_t n = 0;
        int poly = 0, after = 0;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (f->vars[v].factor)
                continue;
            n++;
            if (fm->vars[v].kind == LR_VAR_POLY)
                poly = 1;
            else
                after |= poly;
        }
        if (after && n > 2)
            return 0;
    }
    return 1;
}

size_t lr_frame_key_cols(const lr_frame *f, const size_t **cols)
{
    *cols = f->kcol;
    return f->rows_wanted ? f->nkey : 0;
}

int lr_frame_rows_fd(const lr_frame *f)
{
    return f->rows_wanted && !f->rows_failed ? f->rows_fd : -1;
}

void lr_frame_set_delimiter(lr_frame *f, char delim)
{
    f->delim = delim;
}

int lr_frame_header_numeric(const lr_frame *f)
{
    return f->header_numeric;
}

size_t lr_frame_ncols(const lr_frame *f)
{
    return f->ncsv;
}

size_t lr_frame_eval_scratch(const lr_frame *f)
{
    /* the cells, each variable's value, each factor's level (uint32_t: two
     * to a double) */
    size_t nv = f->formula->nvars;
    return f->ncsv + nv + (nv + 1) / 2 + 1;
}

int lr_frame_eval_row(const lr_frame *f, double *colval, const lr_csv_row *row, double *x,
                      double *y, double *w, int *use, lr_error *err)
{
    const lr_formula *fm = f->formula;
    *use = 0;
    if (row->nfields != f->ncsv)
        return lr_frame_ragged_row(f, row, err);
    for (size_t u = 0; u < f->nused; u++) {
        size_t j = f->used[u];
        const lr_csv_field *fl = &row->fields[j];
        double v = 0;
        char q[96];
        lr_cell_kind kind = lr_cell_classify(&f->nas, f->cols[j].text && !f->cols[j].logical,
                                             fl->data, fl->len, &v);
        if (kind == LR_CELL_MISSING)
            return LR_OK; /* omitted, as in the fit (or NA, for a prediction) */
        if (f->cols[j].text)
            continue; /* a factor's level: looked up below from the field */
        if (kind != LR_CELL_NUMBER) {
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               kind == LR_CELL_OVERFLOW
                                   ? "column '%s': \"%s\" is out of the range of a double"
                                   : "column '%s': expected a number, got \"%s\"",
                               f->colnames[j], q);
        }
        colval[j] = v;
    }
    if (f->ncl && lr_frame_cluster_missing(f, row))
        return LR_OK; /* omitted, as in the fit */
    /* variables: values and levels (levels must be known: no new ones now),
     * in the scratch after the cells (lr_frame_eval_scratch) */
    double *value = colval + f->ncsv;
    uint32_t *level = (uint32_t *)(void *)(value + fm->nvars);
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *xv = &fm->vars[v];
        if (f->vars[v].factor || xv->codes) { /* C(g, sum) codes its level's rank */
            const lr_csv_field *cf = &row->fields[xv->col];
            const char *lg = f->cols[xv->col].logical ? lr_logical_label(cf->data, cf->len) : NULL;
            if (!lr_frame_level_listed(xv, lg ? lg : cf->data, lg ? strlen(lg) : cf->len,
                                       colval[xv->col], !f->cols[xv->col].text))
                return LR_OK; /* NA (*use is 0): not among factor(x, levels = )'s */
            char joined[LR_INTERACTION_MAX];
            size_t jn = 0;
            if (xv->icols) { /* interaction(a, b): its parts joined */
                int rc = lr_interaction_join(f, xv, row, colval, joined, sizeof joined, &jn, err);
                if (rc)
                    return rc;
            }
            if (xv->logical) { /* I(x > 5): NA (NaN) makes the row NA */
                double lv = lr_node_eval(xv->expr, colval);
                if (isnan(lv))
                    return LR_OK;
                jn = lv != 0 ? 4 : 5;
                memcpy(joined, lv != 0 ? "TRUE" : "FALSE", jn);
            }
            int found = xv->icols || xv->logical
                            ? lr_levels_find_text(f->vars[v].levels, joined, jn, &level[v])
                        : lg ? lr_levels_find_text(f->vars[v].levels, lg, strlen(lg), &level[v])
                        : f->cols[xv->col].text
                            ? lr_levels_find_cell(f->vars[v].levels, cf->data, cf->len, &level[v])
                            : lr_levels_find_number(f->vars[v].levels, colval[xv->col], &level[v]);
            if (found != 0) {
                const lr_csv_field *fl = &row->fields[xv->col];
                char q[96];
                if (xv->icols || xv->logical)
                    lr_interaction_label(xv, joined, jn, q, sizeof q);
                else
                    lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
                return lr_error_at(err, LR_EDATA, f->source, fl->line, fl->col,
                                   "%s: level \"%s\" was not seen when the model was fitted",
                                   xv->label, q);
            }
            value[v] = level[v];
            continue;
        }
        const char *why = NULL;
        value[v] = eval_checked(xv->expr, colval, &why);
        if (!isfinite(value[v])) {
            *use = -1; /* a prediction writes NA for the row (R: -Inf or NaN, a warning) */
            return nonfinite_error(f, row, xv, value[v], why, err);
        }
    }
    *y = fm->offset ? value[0] - value[fm->offset] : value[0];
    *w = f->wcol != SIZE_MAX ? colval[f->wcol] : 1.0;
    if (*w < 0) {
        const lr_csv_field *fl = &row->fields[f->wcol];
        return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                           "column '%s': weight %g is negative", f->colnames[f->wcol], *w);
    }
    for (size_t c = 0; c < f->mq; c++) {
        const lr_term *tm = &fm->terms[f->mterm[c]];
        const uint32_t *choice = &f->mchoice[c * f->mwidth];
        double p = 1;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (f->vars[v].factor)
                p *= level[v] == choice[i] ? 1.0 : 0.0;
            else if (fm->vars[v].kind == LR_VAR_POLY)
                p *= lr_var_column(&fm->vars[v], value[v], choice[i]);
            else
                p *= value[v];
        }
        x[c] = p;
    }
    *use = 1;
    return LR_OK;
}
