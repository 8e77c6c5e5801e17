/*
 * model_frame_types.c — the first chunk and the column types decided on it
 * (model_frame.c says the rule): the first rows' model cells kept (up to
 * LR_FIRST_CHUNK bytes), each column's census taken from them, the
 * variables' natures and the accumulator's fixed columns laid out once the
 * types are known, then the kept rows replayed through the first chunk.
 */
#include <stdio.h>
#include <string.h>

#include "model_frame_impl.h"

/* Bytes of model cells kept to decide column types (docs/design.md: "the first chunk"). */
#define LR_FIRST_CHUNK (1u << 20)

/* ------------------------------------------------------------------------ */
/* Column types, after the first chunk                                      */
/* ------------------------------------------------------------------------ */

static int expr_reads_text(const lr_frame *f, const lr_node *n, size_t *col)
{
    if (!n)
        return 0;
    if (n->kind == LR_NODE_COL && f->cols[n->col].text) {
        *col = n->col;
        return 1;
    }
    return expr_reads_text(f, n->a, col) || expr_reads_text(f, n->b, col);
}

static int text_error(lr_frame *f, size_t col, const char *what, lr_error *err)
{
    const col_info *c = &f->cols[col];
    return lr_error_at(
        err, LR_EVALUE, f->source, c->census.first_text_line, c->census.first_text_col,
        "column '%s' holds text (\"%s\"), so it %s%s", c->name, c->census.first_text, what,
        c->census.decimal_comma ? " (a decimal comma? linreg reads '.' as the decimal "
                                  "point)"
                                : "");
}

int lr_frame_levels_numeric(const lr_frame *f, size_t v)
{
    const lr_var *x = &f->formula->vars[v];
    return !f->cols[x->col].text && !x->icols && !x->logical;
}

/* Decide each variable's nature now that column types are known, and lay out
 * the accumulator's fixed columns. */
static int resolve_types(lr_frame *f, lr_error *err)
{
    lr_formula *fm = f->formula;
    size_t col;
    int rc;
    for (size_t u = 0; u < f->nused; u++) {
        col_info *ci = &f->cols[f->used[u]];
        if (lr_col_census_logical(&ci->census))
            ci->logical = ci->text = 1; /* R's logical: levels FALSE, TRUE */
        else if (ci->as_factor)
            ci->text = 1; /* the formula asks for a factor: its cells are levels */
        else if (lr_col_census_mostly_numbers(&ci->census))
            return lr_col_census_error(&ci->census, f->source, ci->name, err);
    }
    for (size_t v = 0; v < fm->nvars; v++) {
        lr_var *x = &fm->vars[v];
        var_info *vi = &f->vars[v];
        char what[600];
        switch (x->kind) {
        case LR_VAR_COLUMN:
            vi->factor = f->cols[x->col].text;
            if (vi->factor && v == 0)
                return text_error(f, x->col, "cannot be the response", err);
            break;
        case LR_VAR_FACTOR: vi->factor = 1; break;
        case LR_VAR_EXPR:
        case LR_VAR_POLY:
            if (expr_reads_text(f, x->expr, &col)) {
                snprintf(what, sizeof what, "cannot be used in %s", x->label);
                return text_error(f, col, what, err);
            }
            /* R's logical (I(x > 5)): model.matrix codes it as a factor of the
             * levels FALSE, TRUE that the rows have */
            vi->factor = x->logical && v > 0;
            break;
        }
        if (vi->factor) {
            /* interaction() and a logical: text levels */
            if ((rc = lr_levels_create(lr_frame_levels_numeric(f, v), &vi->levels, err)))
                return rc;
        }
    }
    if (f->wcol != SIZE_MAX && f->cols[f->wcol].text)
        return text_error(f, f->wcol, "cannot be the weights", err);

    /* Accumulator layout: column 0 the response, then the factor-free terms'
     * fixed columns; factor terms' columns come as levels appear. */
    size_t k = 1, maxf = 0;
    for (size_t t = 0; t < fm->nterms; t++) {
        term_info *ti = &f->terms[t];
        ti->ncombo = 1;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            size_t v = fm->terms[t].vars[i];
            if (f->vars[v].factor)
                ti->nf++;
            else if (fm->vars[v].kind == LR_VAR_POLY)
                ti->ncombo *= (size_t)fm->vars[v].degree;
        }
        if (ti->nf > maxf)
            maxf = ti->nf;
        if (ti->nf == 0) {
            ti->first_col = k;
            k += ti->ncombo;
        }
    }
    f->offset_col = fm->offset ? k++ : SIZE_MAX;
    f->keywidth = maxf + 2;
    f->map.width = f->keywidth;
    f->kfixed = k;
    f->k = k;
    f->types_known = 1;

    /* The common case — every term a plain numeric column, the response one
     * too — needs no evaluation: each cell goes straight to its accumulator
     * column (lr_chunk_add_row's fast path). */
    int direct =
        fm->vars[0].kind == LR_VAR_COLUMN && !f->vars[0].factor && f->nas.n == 0 && !fm->offset;
    for (size_t t = 0; t < fm->nterms && direct; t++) {
        size_t v = fm->terms[t].vars[0];
        direct = fm->terms[t].n == 1 && fm->vars[v].kind == LR_VAR_COLUMN && !f->vars[v].factor;
    }
    if (direct) {
        f->direct = lr_mem_alloc(f->ncsv * sizeof(size_t));
        if (!f->direct)
            return lr_error_nomem(err);
        for (size_t j = 0; j < f->ncsv; j++)
            f->direct[j] = SIZE_MAX;
        f->direct[fm->vars[0].col] = 0;
        for (size_t t = 0; t < fm->nterms; t++)
            f->direct[fm->vars[fm->terms[t].vars[0]].col] = f->terms[t].first_col;
    }
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* The first chunk: keep, decide, replay                                    */
/* ------------------------------------------------------------------------ */

static int keep_row(lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    if (f->nkept_rows == f->kept_rows_cap) {
        size_t cap = f->kept_rows_cap ? 2 * f->kept_rows_cap : 256;
        uint64_t *l = lr_mem_realloc(f->kept_line, f->kept_rows_cap * sizeof(uint64_t),
                                     cap * sizeof(uint64_t));
        if (!l)
            return lr_error_nomem(err);
        f->kept_line = l;
        f->kept_rows_cap = cap;
    }
    if (f->nkept_rows == f->kept_hash_cap) {
        /* its own capacity: a failure here leaves kept_line consistent */
        uint64_t *h = lr_mem_realloc(f->kept_hash, f->kept_hash_cap * sizeof(uint64_t),
                                     f->kept_rows_cap * sizeof(uint64_t));
        if (!h)
            return lr_error_nomem(err);
        f->kept_hash = h;
        f->kept_hash_cap = f->kept_rows_cap;
    }
    if (f->nkept + f->nkeep > f->kept_cap) {
        size_t cap = (f->nkept + f->nkeep) * 2;
        kept_field *k =
            lr_mem_realloc(f->kept, f->kept_cap * sizeof(kept_field), cap * sizeof(kept_field));
        if (!k)
            return lr_error_nomem(err);
        f->kept = k;
        f->kept_cap = cap;
    }
    size_t bytes = 0;
    for (size_t u = 0; u < f->nkeep; u++)
        bytes += row->fields[f->used[u]].len;
    if (f->keep_len + bytes > f->keep_cap) {
        size_t cap = (f->keep_len + bytes) * 2 + 4096;
        char *k = lr_mem_realloc(f->keep, f->keep_cap, cap);
        if (!k)
            return lr_error_nomem(err);
        f->keep = k;
        f->keep_cap = cap;
    }
    for (size_t u = 0; u < f->nkeep; u++) {
        const lr_csv_field *fl = &row->fields[f->used[u]];
        kept_field *k = &f->kept[f->nkept++];
        k->off = f->keep_len;
        k->len = fl->len;
        k->line = fl->line;
        k->col = fl->col;
        k->quoted = fl->quoted;
        memcpy(f->keep + f->keep_len, fl->data, fl->len);
        f->keep_len += fl->len;
        if (u >= f->nused)
            continue; /* a key cell alone: no type to decide */
        f->first_bytes += fl->len + 16;
        /* Column types: a non-missing cell that is not a number makes the column
         * categorical (column_types.c). */
        double v;
        if (lr_cell_classify(&f->nas, 0, fl->data, fl->len, &v) != LR_CELL_MISSING) {
            int text;
            col_info *ci = &f->cols[f->used[u]];
            lr_col_census_add(&ci->census, fl->data, fl->len, fl->line, fl->col, &text);
            ci->text |= text;
        }
    }
    f->kept_hash[f->nkept_rows] = lr_row_hash_fields(row, f->delim);
    f->kept_line[f->nkept_rows++] = row->line;
    return LR_OK;
}

/* Decide the types and run the kept rows through the first chunk. */
/* Kept row r as a row of fields (f->replay). */
static void kept_row(lr_frame *f, size_t r, lr_csv_row *row)
{
    for (size_t u = 0; u < f->nkeep; u++) {
        const kept_field *k = &f->kept[r * f->nkeep + u];
        lr_csv_field *fl = &f->replay[f->used[u]];
        fl->data = f->keep + k->off;
        fl->len = k->len;
        fl->line = k->line;
        fl->col = k->col;
        fl->quoted = k->quoted;
    }
    *row = (lr_csv_row){f->replay, f->ncsv, 0, 0};
    row->line = f->kept_line[r];
}

/* The kept rows into the first chunk, once the column types are decided. */
static int replay(lr_frame *f, lr_error *err)
{
    int rc = resolve_types(f, err);
    if (rc || (rc = lr_chunk_create(f, &f->first, err)))
        return rc;
    lr_chunk *c = f->first;
    c->first = 1;
    lr_csv_row row;
    for (size_t r = 0; r < f->nkept_rows; r++) {
        kept_row(f, r, &row);
        if ((rc = lr_chunk_add_hashed(c, &row, f->kept_hash[r], err)))
            return rc;
    }
    /* The kept bytes are no longer needed. */
    lr_mem_free(f->keep, f->keep_cap);
    lr_mem_free(f->kept, f->kept_cap * sizeof(kept_field));
    f->keep = NULL;
    f->kept = NULL;
    f->keep_cap = f->kept_cap = f->keep_len = f->nkept = 0;
    return LR_OK;
}

int lr_frame_add_row(lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    if (f->first_done)
        return lr_error_set(err, LR_EUSAGE, "frame: the first chunk has been folded");
    if (f->types_known)
        return lr_chunk_add_row(f->first, row, err);
    if (row->nfields != f->ncsv)
        return lr_frame_ragged_row(f, row, err);
    int rc = keep_row(f, row, err);
    if (rc == LR_OK && f->first_bytes >= LR_FIRST_CHUNK)
        rc = replay(f, err);
    return rc;
}

int lr_frame_assume_numeric(lr_frame *f, lr_error *err)
{
    if (f->types_known || f->nkept_rows > 0)
        return lr_error_set(err, LR_EUSAGE, "frame: column types are already being decided");
    /* a factor() column may be R's logical (T, TRUE: one level), which only
     * its first rows can tell */
    for (size_t u = 0; u < f->nused; u++)
        if (f->cols[f->used[u]].as_factor)
            return lr_error_set(err, LR_EUSAGE,
                                "frame: a factor() column's type needs its "
                                "first rows");
    /* no kept rows: no column has shown text, so every undecided one is numeric */
    return replay(f, err);
}

void lr_frame_on_kept_rows(lr_frame *f, void (*fn)(void *ud, uint64_t done, uint64_t total),
                           void *ud)
{
    f->on_kept = fn;
    f->on_kept_ud = ud;
}

int lr_frame_end_first(lr_frame *f, lr_error *err)
{
    int rc = LR_OK;
    if (f->first_done)
        return LR_OK;
    if (!f->types_known)
        rc = replay(f, err);
    if (!rc)
        rc = lr_chunk_end(f->first, err);
    if (!rc && f->on_kept)
        f->on_kept(f->on_kept_ud, 0, 0); /* the merge begins */
    if (!rc)
        rc = lr_frame_fold(f, f->first, 0, err);
    if (!rc) {
        lr_chunk_free(f->first);
        f->first = NULL;
        f->first_done = 1;
    }
    return rc;
}
