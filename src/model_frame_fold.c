/*
 * model_frame_fold.c — the fold: each chunk's levels and factor-term
 * columns mapped onto the frame's (new ones in the chunk's order), its
 * statistics remapped and merged, in file order, along a binary-counter
 * tree whose shape depends on the number of chunks only, so that results
 * do not depend on the threads. The files' level of the tree is
 * frame_files.c's.
 */
#include "accumulator.h"
#include "model_frame_impl.h"

/* ------------------------------------------------------------------------ */
/* The fold: chunks into the frame, in file order, along a fixed tree       */
/* ------------------------------------------------------------------------ */

/* dst := dst then src, both grown to the frame's columns first. */
int lr_frame_merge_grown(lr_frame *f, lr_accum *dst, const lr_accum *src, lr_accum *src_mut,
                         lr_error *err)
{
    int rc = lr_accum_grow(dst, f->k, err);
    if (!rc && src_mut)
        rc = lr_accum_grow(src_mut, f->k, err);
    if (!rc)
        rc = lr_accum_merge(dst, src, err);
    return rc;
}

int lr_frame_tree_push(lr_frame *f, lr_accum **stack, uint64_t *count, lr_accum *a, lr_error *err)
{
    uint64_t n = *count;
    int rc = LR_OK;
    for (int l = 0; l < LR_FOLD_LEVELS; l++) {
        if (!(n >> l & 1)) {
            stack[l] = a;
            a = NULL;
            break;
        }
        /* stack[l] holds the 2^l leaves before a's 2^l: merge in that order
         * (an empty side leaves the other as it is) */
        if (stack[l] && a) {
            if ((rc = lr_frame_merge_grown(f, stack[l], a, a, err)))
                break;
            lr_accum_free(a);
            a = NULL;
        }
        if (stack[l]) {
            a = stack[l];
            stack[l] = NULL;
        }
    }
    lr_accum_free(a);
    if (rc == LR_OK)
        (*count)++;
    return rc;
}

/* A QR model's chunks, from k + 1 = 32 (accumulator_qr.c), are merged in
 * file order into one accumulator, a chain, not along the tree. Folding
 * rows into a QR factor is backward stable in any order (the tree is for
 * the Gram kernels' sums), and in a tree every node that gathers B rows
 * factors them on its own and its triangle is merged into its parent's
 * later: (2/3)(k + 1)³ flops a triangle, at level-2 speed (dtpqrt's
 * panels), about a third of the fold's time on 100,000 × 200
 * (docs/performance.md). In the chain the rows go into one pending block
 * and are folded B at a time into one R⁺ by rectangular dtpqrt, each row
 * once, and only one R⁺ and one block are held. Between 32 and 128
 * columns (B = 2,048 rows) the chain and a larger nb took 16–24% off the
 * accumulator's CPU time at p = 40, 50 and 100; below 32 the tree stays, and its
 * bits. Whether a push chains depends on the kernel and the file's columns
 * so far (k only grows within a file), so on the data alone: the bits are
 * the same for any thread count. A file whose model becomes wide midway
 * collapses its tree into the chain first (its earlier chunks, in order). */
int lr_frame_chunk_push(lr_frame *f, lr_accum *a, lr_error *err)
{
    if (!lr_accum_chains(f->kernel, f->k))
        return lr_frame_tree_push(f, f->stack, &f->leaves, a, err);
    lr_accum **chain = &f->stack[LR_FOLD_CHAIN];
    int rc = LR_OK;
    if (!*chain)
        rc = lr_frame_tree_collapse(f, f->stack, chain, err);
    if (!rc && a && !*chain) {
        *chain = a;
        a = NULL;
    } else if (!rc && a)
        rc = lr_frame_merge_grown(f, *chain, a, a, err);
    lr_accum_free(a);
    if (rc == LR_OK)
        f->leaves++;
    return rc;
}

int lr_frame_note_origin(lr_frame *f, size_t j, const col_origin *o, uint64_t lines_before,
                         uint32_t level, lr_error *err)
{
    if (f->mapping_file)
        return LR_OK; /* the data set's columns: the last cap checked */
    if (j >= f->forigin_cap) {
        size_t cap = f->forigin_cap ? 2 * f->forigin_cap : 64;
        while (cap <= j)
            cap *= 2;
        col_origin *n = lr_mem_realloc(f->forigin, f->forigin_cap * sizeof(col_origin),
                                       cap * sizeof(col_origin));
        if (!n)
            return lr_error_nomem(err);
        f->forigin = n;
        f->forigin_cap = cap;
    }
    f->forigin[j] = *o;
    f->forigin[j].line = lines_before + o->line;
    f->forigin[j].level = level;
    return LR_OK;
}

int lr_frame_map_chunk(lr_frame *f, const lr_chunk *c, uint64_t lines_before, lr_accum **out,
                       size_t **colmap_out, lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nv = fm->nvars, kw = f->keywidth;
    size_t nk = c->k - f->kfixed;
    int rc = LR_OK;
    uint32_t **lmap = lr_mem_calloc(nv ? nv : 1, sizeof(uint32_t *));
    size_t *colmap = lr_mem_calloc(c->k, sizeof(size_t));
    *out = NULL;
    *colmap_out = NULL;
    if (!lmap || !colmap) {
        rc = lr_error_nomem(err);
        goto done;
    }
    /* The chunk's levels, in the order it saw them, into the frame's. */
    for (size_t v = 0; v < nv; v++) {
        if (!f->vars[v].factor)
            continue;
        size_t n = lr_levels_count(c->levels[v]);
        lmap[v] = lr_mem_calloc(n ? n : 1, sizeof(uint32_t));
        if (!lmap[v]) {
            rc = lr_error_nomem(err);
            goto done;
        }
        int numeric = lr_levels_numeric(c->levels[v]);
        for (size_t id = 0; id < n; id++) {
            double x = 0;
            const char *label = lr_levels_label(c->levels[v], (uint32_t)id);
            rc = numeric ? (lr_levels_value(c->levels[v], (uint32_t)id, &x),
                            lr_levels_intern_number(f->vars[v].levels, x, &lmap[v][id], err))
                         : lr_levels_intern_text(f->vars[v].levels, label,
                                                 lr_levels_length(c->levels[v], (uint32_t)id),
                                                 &lmap[v][id], err);
            if (rc)
                goto done;
        }
    }
    /* Its columns, in column order, onto the frame's. */
    for (size_t j = 0; j < f->kfixed; j++)
        colmap[j] = j;
    uint32_t key[66];
    for (size_t i = 0; i < nk; i++) {
        const uint32_t *lk = c->colkeys + i * kw;
        size_t t = lk[0] - 1, w = 1;
        key[0] = lk[0];
        for (size_t q = 0; q < fm->terms[t].n; q++) {
            size_t v = fm->terms[t].vars[q];
            if (f->vars[v].factor) {
                key[w] = lmap[v][lk[w]];
                w++;
            }
        }
        for (; w < kw; w++)
            key[w] = lk[w];
        size_t g = lr_cell_map_get(&f->map, key);
        if (g == SIZE_MAX) {
            g = f->k;
            const col_origin *o = &c->colorigin[i];
            if (f->k + 1 > LR_MAX_COLUMNS) {
                /* the row that made it, in the file's lines (a later chunk's
                 * own count stayed under the cap; the chunks before it had
                 * the other levels) */
                rc = lr_frame_cap_error(f, o->var, lr_levels_label(c->levels[o->var], o->level),
                                        lines_before + o->line, o->col, f->k + 1, err);
                goto done;
            }
            if ((rc = lr_cell_map_put(&f->map, key, g, err)) ||
                (rc = lr_frame_note_origin(f, g - f->kfixed, o, lines_before,
                                           lmap[o->var][o->level], err)))
                goto done;
            f->k++;
        }
        colmap[f->kfixed + i] = g;
    }
    if (c->acc) /* NULL: a file without an observation (frame_files.c) */
        rc = lr_accum_remap(c->acc, f->k, colmap, out, err);
done:
    if (lmap)
        for (size_t v = 0; v < nv; v++)
            if (lmap[v])
                lr_mem_free(lmap[v],
                            (lr_levels_count(c->levels[v]) ? lr_levels_count(c->levels[v]) : 1) *
                                sizeof(uint32_t));
    lr_mem_free(lmap, (nv ? nv : 1) * sizeof(uint32_t *));
    if (rc)
        lr_mem_free(colmap, c->k * sizeof(size_t));
    else
        *colmap_out = colmap;
    return rc;
}

int lr_frame_fold(lr_frame *f, lr_chunk *c, uint64_t lines_before, lr_error *err)
{
    size_t *colmap = NULL;
    lr_accum *a = NULL, *acc = c->acc;
    /* The chunk's statistics are mapped here, not by lr_frame_map_chunk: when
     * its columns are the frame's (the rule once the levels are known) the
     * chunk, freed after its fold, gives its accumulator up as it is — the
     * remap would be an exact copy of it (for a wide QR model, its pending
     * rows: 400 KB a chunk at p = 200). */
    c->acc = NULL;
    int rc = lr_frame_map_chunk(f, c, lines_before, &a, &colmap, err);
    c->acc = acc;
    if (rc)
        return rc;
    int identity = acc && lr_accum_ncols(acc) == f->k;
    for (size_t j = 0; identity && j < c->k; j++)
        identity = colmap[j] == j;
    if (identity) {
        a = acc;
        c->acc = NULL;
    } else if (acc && (rc = lr_accum_remap(acc, f->k, colmap, &a, err))) {
        lr_mem_free(colmap, c->k * sizeof(size_t));
        return rc;
    }
    /* Its rows to the spool, in the frame's columns. */
    if (f->rows_wanted && !f->rows_failed) {
        f->rows_failed =
            c->spool.over ||
            lr_row_buf_write(f->rows_fd, &c->spool, colmap, lines_before, &f->rows_bytes) != 0 ||
            f->rows_bytes > LR_ROW_SPOOL_MAX;
        lr_row_buf_free(&c->spool);
    }
    lr_mem_free(colmap, c->k * sizeof(size_t));
    /* The chunk's statistics along the current file's tree (frame_files.c) */
    if ((rc = lr_frame_chunk_push(f, a, err)))
        return rc;
    if (f->bn_vars && (rc = lr_frame_collect_fold(f, c, err)))
        return rc;
    f->rows += c->rows;
    f->dropped += c->dropped;
    lr_row_fp_fold(&f->fp, &c->fp, lines_before);
    if (c->nan_rows && !f->nan_rows) {
        /* chunks fold in file order: the first chunk with one has the first
         * (its line counted from the chunk's first) */
        f->nan_line = c->nan_line + lines_before;
        f->nan_var = c->nan_var;
    }
    f->nan_rows += c->nan_rows;
    f->chunks++;
    return LR_OK;
}
