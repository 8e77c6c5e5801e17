/*
 * model_frame_chunk.c — a chunk of rows evaluated on its own (struct
 * lr_chunk in model_frame_impl.h): its blocks of accumulator rows, the
 * row store of a model with factor terms (row_store.h), the direct path of
 * a plain numeric model from parsed fields, and the end of a chunk. The
 * rows' evaluation is model_frame_eval.c's, the fused path from the text
 * model_frame_fused.c's, the fold of chunks into the frame
 * model_frame_fold.c's.
 */
#include <string.h>

#include "accumulator.h"
#include "model_frame_impl.h"

/* Rows per block handed to the accumulator (fewer when there are many columns). */
#define LR_BLOCK_ROWS 1024
/* Doubles a block may hold at most (its rows shrink as columns grow). */
#define LR_BLOCK_DOUBLES (1u << 20)
/* And rows × width² at most this: from 342 columns on (kb > 512) a block
 * shrinks as 1/k², 1.4 MiB at k = 1,001. A chunk's block is column-major
 * with ld = its rows, so a 1 MiB chunk of 1,000-column rows (~50 rows)
 * touches a page of every column, and buffers reused across chunks end up
 * touched whole: with 8 MiB blocks the chunks in flight held ~35 MiB of
 * 20,000 × 1,000's 137 MiB peak RSS (docs/performance.md). Narrower models
 * keep their blocks, and their bits. */
#define LR_BLOCK_WIDE ((size_t)1 << 28)

/* The streaming accumulators keep k × k matrices (one per chunk in flight,
 * and the fold's), so k is bounded: LR_MAX_COLUMNS columns of 8-byte
 * doubles are 128 MiB a matrix. A wider model (thousands of predictors, or a
 * factor with thousands of levels) is an error before memory runs out. */
static int check_width(const lr_frame *f, size_t k, lr_error *err)
{
    if (k <= LR_MAX_COLUMNS)
        return LR_OK;
    return lr_error_set(err, LR_ERANGE,
                        "%s: the model needs %zu columns (the response, the predictors and "
                        "their factor levels' columns) and linreg supports at most %d: it "
                        "keeps matrices of columns × columns while it streams",
                        f->source, k, LR_MAX_COLUMNS);
}

int lr_chunk_create(const lr_frame *f, lr_chunk **out, lr_error *err)
{
    *out = NULL;
    if (!f->types_known)
        return lr_error_set(err, LR_EUSAGE, "chunk: the column types are not decided yet");
    lr_chunk *c = lr_mem_calloc(1, sizeof *c);
    if (!c)
        return lr_error_nomem(err);
    c->f = f;
    size_t nv = f->formula->nvars, nc = f->ncsv;
    c->levels = lr_mem_calloc(nv ? nv : 1, sizeof(lr_levels *));
    c->value = lr_mem_calloc(nv ? nv : 1, sizeof(double));
    c->level = lr_mem_calloc(nv ? nv : 1, sizeof(uint32_t));
    c->colval = lr_mem_calloc(nc ? nc : 1, sizeof(double));
    c->cell = lr_mem_calloc(nc ? nc : 1, sizeof(char *));
    c->cell_len = lr_mem_calloc(nc ? nc : 1, sizeof(size_t));
    int rc = LR_OK;
    if (!c->levels || !c->value || !c->level || !c->colval || !c->cell || !c->cell_len) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    for (size_t v = 0; v < nv; v++)
        /* from the formula, not f's tables: the fold swaps those (frame_files.c)
         * while workers make chunks */
        if (f->vars[v].factor &&
            (rc = lr_levels_create(lr_frame_levels_numeric(f, v), &c->levels[v], err)))
            goto fail;
    c->map.width = f->keywidth;
    c->keys.nkey = f->rows_wanted ? f->nkey : 0; /* the key cells for the spool */
    c->k = f->kfixed;
    /* a row writes the response and each term's columns (one combination of
     * levels a factor term) */
    c->ent_cap = f->formula->offset ? 2 : 1; /* the response (and the offset) */
    for (size_t t = 0; t < f->formula->nterms; t++) {
        c->ent_cap += f->terms[t].ncombo;
        c->sparse |= f->terms[t].nf > 0;
    }
    if (c->sparse && !(c->ent = lr_mem_alloc(c->ent_cap * sizeof(lr_row_entry)))) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if ((rc = check_width(f, c->k, err)) || (rc = lr_accum_create(c->k, f->kernel, &c->acc, err)))
        goto fail;
    *out = c;
    return LR_OK;
fail:
    lr_chunk_free(c);
    return rc;
}

static int flush(lr_chunk *c, lr_error *err)
{
    if (c->nblock == 0)
        return LR_OK;
    /* the columns that appeared since the last block (zero in its rows),
     * then a copy for the row spool: the accumulator may overwrite the block */
    int rc = lr_accum_grow(c->acc, c->k, err);
    if (rc)
        return rc;
    if (c->f->rows_wanted)
        lr_row_buf_add(&c->spool, c->nblock, lr_accum_ncols(c->acc), c->block, c->block_rows,
                       c->f->wcol != SIZE_MAX ? c->wblock : NULL,
                       c->f->rows_lines ? c->lblock : NULL, &c->keys);
    rc = lr_accum_add(c->acc, c->nblock, c->block, c->block_rows,
                      c->f->wcol != SIZE_MAX ? c->wblock : NULL, err);
    c->nblock = 0;
    return rc;
}

/* Make room for k columns in the block and the row (after a flush when the
 * width changes: rows in a block share one width). */
int lr_chunk_ensure_width(lr_chunk *c, size_t k, lr_error *err)
{
    if (k > c->row_cap) {
        size_t cap = k * 2;
        double *row = lr_mem_realloc(c->row, c->row_cap * sizeof(double), cap * sizeof(double));
        if (!row)
            return lr_error_nomem(err);
        c->row = row;
        c->row_cap = cap;
    }
    if (c->block && k <= c->block_k)
        return LR_OK;
    int rc = flush(c, err);
    if (rc)
        return rc;
    size_t kb = k < 8 ? 8 : k + k / 2;
    size_t rows = LR_BLOCK_DOUBLES / kb;
    if (rows > LR_BLOCK_WIDE / kb / kb)
        rows = LR_BLOCK_WIDE / kb / kb;
    if (rows > LR_BLOCK_ROWS)
        rows = LR_BLOCK_ROWS;
    if (rows < 16)
        rows = 16;
    size_t n;
    if (lr_mul_overflows(rows, kb, &n) || n > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "too many model columns (%zu)", k);
    lr_mem_array a[] = {
        {c->block, c->block_rows * c->block_k * sizeof(double), n * sizeof(double), 0, 0},
        {c->wblock, c->block_rows * sizeof(double), rows * sizeof(double), 0, 0},
        {c->lblock, c->block_rows * sizeof(uint64_t), rows * sizeof(uint64_t), 0, 0}};
    if (lr_mem_replace(a, 3))
        return lr_error_nomem(err);
    c->block = a[0].p;
    c->wblock = a[1].p;
    c->lblock = a[2].p;
    c->block_rows = rows;
    c->block_k = kb;
    return LR_OK;
}

/* A row whose field count differs from the header's: the error at the first
 * missing or extra field. */
int lr_frame_ragged_row(const lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    const lr_csv_field *at = &row->fields[row->nfields > f->ncsv ? f->ncsv : row->nfields - 1];
    return lr_error_at(err, LR_EPARSE, f->source, at->line, at->col,
                       "row has %zu field%s but the header has %zu", row->nfields,
                       row->nfields == 1 ? "" : "s", f->ncsv);
}

/* The stored rows into blocks of the chunk's width (every column they can
 * have is known now: zero in the columns a row has no entry in), and so
 * into the accumulator. */
static int store_flush(lr_chunk *c, lr_error *err)
{
    lr_row_store *s = &c->store;
    int rc = s->rows ? lr_chunk_ensure_width(c, c->k, err) : LR_OK;
    for (size_t r = 0; r < s->rows && !rc; r++) {
        const lr_row_head *h = &s->row[r];
        size_t i = c->nblock, ld = c->block_rows;
        if (i == 0)
            memset(c->block, 0, c->k * ld * sizeof(double));
        for (size_t e = h->start; e < h->start + h->n; e++)
            c->block[s->e[e].col * ld + i] = s->e[e].val;
        c->wblock[i] = h->w;
        c->lblock[i] = h->line;
        if (++c->nblock == ld && !(rc = flush(c, err)) && c->f->on_kept) {
            /* a wide factor: seconds, mostly when the pending rows are folded
             * (every 2k): rows count as done once folded, so that a rate
             * taken between folds is not one of the cheap part alone */
            uint64_t pend = lr_accum_pending_rows(c->acc);
            c->f->on_kept(c->f->on_kept_ud, r + 1 > pend ? r + 1 - pend : 0, s->rows);
        }
    }
    size_t kept = s->rows;
    lr_row_store_clear(s);
    /* the last block too: later rows may bring columns its rows lack */
    if (!rc && !(rc = flush(c, err)) && c->f->on_kept && kept)
        c->f->on_kept(c->f->on_kept_ud, kept, kept);
    return rc;
}

/* The end of a row whose values the direct paths wrote into the block's
 * next row: its weight and line, and a flush when the block is full. */
int lr_chunk_direct_row_done(lr_chunk *c, double w, uint64_t line, lr_error *err)
{
    c->wblock[c->nblock] = w;
    c->lblock[c->nblock] = line;
    if (++c->nblock == c->block_rows)
        return flush(c, err);
    return LR_OK;
}

/* A row taken (into the block or the store): its key cells for the spool,
 * which flush hands on with the row's values (the rows in the same order). */
static void take_keys(lr_chunk *c, const lr_csv_row *row)
{
    const char *cell[LR_ROW_KEYS_MAX];
    size_t len[LR_ROW_KEYS_MAX];
    for (size_t i = 0; i < c->keys.nkey; i++) {
        cell[i] = row->fields[c->f->kcol[i]].data;
        len[i] = row->fields[c->f->kcol[i]].len;
    }
    lr_row_keys_add(&c->keys, cell, len);
}

static int chunk_add(lr_chunk *c, const lr_csv_row *row, lr_error *err)
{
    const lr_frame *f = c->f;
    if (row->nfields != f->ncsv)
        return lr_frame_ragged_row(f, row, err);
    c->rows++;
    int missing, rc;
    if (f->direct && c->block) {
        /* Plain numeric columns: convert each cell straight into the block. A
         * row that turns out to have a missing value is simply not counted. */
        size_t i = c->nblock, ld = c->block_rows;
        int miss = 0;
        for (size_t u = 0; u < f->nused; u++) {
            size_t j = f->used[u];
            const lr_csv_field *fl = &row->fields[j];
            double v;
            lr_cell_kind kind = lr_parse_cell(fl->data, fl->len, &v);
            if (kind != LR_CELL_NUMBER) {
                if (kind != LR_CELL_MISSING || f->na == LR_NA_ERROR) {
                    miss = -1; /* an error: the general path reports it */
                    break;
                }
                miss = 1;
                continue;
            }
            c->colval[j] = v;
            if (f->direct[j] != SIZE_MAX)
                c->block[f->direct[j] * ld + i] = v;
        }
        if (miss == 0 && f->ncl && lr_frame_cluster_missing(f, row))
            miss = 1;
        if (miss == 0 && (f->wcol == SIZE_MAX || c->colval[f->wcol] >= 0)) {
            if (c->keys.nkey)
                take_keys(c, row);
            return lr_chunk_direct_row_done(c, f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0,
                                            row->line, err);
        }
        if (miss == 1 && f->na != LR_NA_ERROR) {
            /* the general path below would find the same; but a text cell or a
             * negative weight in this row must still be an error */
            int bad = 0;
            for (size_t u = 0; u < f->nused && !bad; u++) {
                const lr_csv_field *fl = &row->fields[f->used[u]];
                double v;
                lr_cell_kind kind = lr_parse_cell(fl->data, fl->len, &v);
                bad = kind == LR_CELL_TEXT || kind == LR_CELL_OVERFLOW;
            }
            if (!bad) {
                c->dropped++;
                return LR_OK;
            }
        }
    }
    if ((rc = lr_chunk_read_cells(c, row, &missing, err)))
        return rc;
    if (missing) {
        /* As R's model.frame with na.omit: the whole row goes, and is counted. */
        c->dropped++;
        return f->bn_vars ? lr_chunk_collect(c, row, 0, err) : LR_OK;
    }
    int omit;
    if ((rc = lr_chunk_build_row(c, row, &omit, err)))
        return rc;
    if (omit) {
        c->dropped++;
        return f->bn_vars ? lr_chunk_collect(c, row, 0, err) : LR_OK;
    }
    if (f->bn_vars && (rc = lr_chunk_collect(c, row, 1, err)))
        return rc;
    if (c->keys.nkey)
        take_keys(c, row);
    if (c->sparse) {
        rc = lr_row_store_add(&c->store, c->ent, c->nent,
                              f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0, row->line, err);
        if (!rc && c->store.n >= LR_ROW_STORE_ENTRIES)
            rc = store_flush(c, err);
        return rc;
    }
    size_t i = c->nblock;
    for (size_t j = 0; j < c->k; j++)
        c->block[j * c->block_rows + i] = c->row[j];
    c->wblock[i] = f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0;
    c->lblock[i] = row->line;
    if (++c->nblock == c->block_rows)
        return flush(c, err);
    return LR_OK;
}

/* A row whose hash is known (a kept row has lost its unused cells): counted
 * in the fingerprint when it is used, i.e. neither dropped nor an error. */
int lr_chunk_add_hashed(lr_chunk *c, const lr_csv_row *row, uint64_t hash, lr_error *err)
{
    uint64_t dropped = c->dropped;
    int rc = chunk_add(c, row, err);
    if (rc == LR_OK && c->dropped == dropped)
        lr_row_fp_add(&c->fp, row->line, hash);
    return rc;
}

int lr_chunk_add_row(lr_chunk *c, const lr_csv_row *row, lr_error *err)
{
    return lr_chunk_add_hashed(c, row, lr_row_hash_fields(row, c->f->delim), err);
}

int lr_chunk_end(lr_chunk *c, lr_error *err)
{
    return c->sparse ? store_flush(c, err) : flush(c, err);
}
