/*
 * frame_files.c — the fold's two levels: a file's chunks, then the files.
 *
 * Chunk i of a file holds the rows that start in its bytes [i·C, (i+1)·C)
 * (ingest.c), so a file's chunks, and their indices, are functions of the
 * file's bytes alone. They fold along a binary-counter tree over the chunk
 * index (a wide QR model's: a chain in chunk order, model_frame_fold.c),
 * into tables (levels, factor-term columns) of the file's own: what a file
 * folds to depends on its bytes only, not on the files before it. A block
 * in which no row starts (a row longer than C crosses it) is an empty leaf,
 * so the tree's shape is that of the block count. Once the next file
 * begins, the file's state is mapped onto the data set's tables (its new
 * levels and columns appended in its order: first appearance in file order)
 * and becomes one leaf of a second binary-counter tree, over the file index.
 *
 * Floating-point addition is not associative; what makes the result a
 * function of the files' bytes and order only — for any thread count, and
 * for a file's state saved by `linreg fit --save-partial` and merged later
 * (partial_io.c) — is that both trees are fixed by those alone and that a
 * file's state is computed the same way wherever it is computed.
 */
#include <string.h>

#include "model_frame_impl.h"
#include "partial_io.h"

int lr_frame_tree_collapse(lr_frame *f, lr_accum **stack, lr_accum **out, lr_error *err)
{
    lr_accum *acc = NULL;
    int rc = LR_OK;
    *out = NULL;
    for (int l = LR_FOLD_LEVELS; l-- > 0;) {
        if (!stack[l])
            continue;
        if (!acc) {
            acc = stack[l];
            stack[l] = NULL;
            continue;
        }
        if ((rc = lr_frame_merge_grown(f, acc, stack[l], stack[l], err)))
            break;
        lr_accum_free(stack[l]);
        stack[l] = NULL;
    }
    if (!rc && acc)
        rc = lr_accum_grow(acc, f->k, err);
    if (rc) {
        lr_accum_free(acc);
        return rc;
    }
    *out = acc;
    return LR_OK;
}

/* The data set's tables, made at the first file's end. */
static int tables_init(lr_frame *f, lr_error *err)
{
    size_t nv = f->formula->nvars;
    if (f->glevels)
        return LR_OK;
    if (!(f->glevels = lr_mem_calloc(nv ? nv : 1, sizeof(lr_levels *))))
        return lr_error_nomem(err);
    for (size_t v = 0; v < nv; v++) {
        int rc;
        if (f->vars[v].factor &&
            (rc = lr_levels_create(lr_frame_levels_numeric(f, v), &f->glevels[v], err)))
            return rc;
    }
    f->gmap.width = f->keywidth;
    f->gk = f->kfixed;
    return LR_OK;
}

/* The file's tables and the data set's trade places. */
static void tables_swap(lr_frame *f)
{
    /* only factors' levels are per file: a coded variable's (C(g, sum),
     * model_frame_coded.c) are the first pass's, the same for every file */
    for (size_t v = 0; v < f->formula->nvars; v++) {
        if (!f->vars[v].factor)
            continue;
        lr_levels *t = f->vars[v].levels;
        f->vars[v].levels = f->glevels[v];
        f->glevels[v] = t;
    }
    cell_map m = f->map;
    f->map = f->gmap;
    f->gmap = m;
    size_t k = f->k;
    f->k = f->gk;
    f->gk = k;
}

/* The file's tables afresh, for the next file. */
static int tables_reset(lr_frame *f, lr_error *err)
{
    for (size_t v = 0; v < f->formula->nvars; v++) {
        int rc;
        if (!f->vars[v].factor)
            continue;
        lr_levels_free(f->vars[v].levels);
        f->vars[v].levels = NULL;
        if ((rc = lr_levels_create(lr_frame_levels_numeric(f, v), &f->vars[v].levels, err)))
            return rc;
    }
    lr_cell_map_free(&f->map);
    f->map.width = f->keywidth;
    f->k = f->kfixed;
    f->leaves = 0;
    return LR_OK;
}

int lr_frame_fold_file(lr_frame *f, lr_levels *const *levels, const uint32_t *colkeys, size_t k,
                       const col_origin *origins, lr_accum *acc, lr_error *err)
{
    size_t nv = f->formula->nvars;
    int rc = tables_init(f, err);
    if (!rc && f->partial)
        rc = lr_partial_put_file(f->partial, f, levels, colkeys, k, acc, err);
    if (rc) {
        lr_accum_free(acc);
        return rc;
    }
    /* A file without an observation is an empty leaf (its levels and columns
     * still count): the same whether it had a chunk or only a header. */
    if (acc && lr_accum_nobs(acc) == 0) {
        lr_accum_free(acc);
        acc = NULL;
    }
    /* the file as one chunk of the data set */
    lr_chunk pc;
    memset(&pc, 0, sizeof pc);
    pc.f = f;
    pc.k = k;
    pc.acc = acc;
    pc.colorigin = (col_origin *)(uintptr_t)origins;
    pc.colkeys = (uint32_t *)(uintptr_t)colkeys;
    pc.levels = (lr_levels **)(uintptr_t)levels;
    lr_accum *g = NULL;
    size_t *colmap = NULL;
    (void)nv;
    /* with the data set's tables in place (f->k theirs) */
    tables_swap(f);
    f->mapping_file = 1;
    rc = lr_frame_map_chunk(f, &pc, 0, &g, &colmap, err);
    if (!rc) {
        rc = lr_frame_tree_push(f, f->gstack, &f->gfiles, g, err);
        g = NULL;
    }
    f->mapping_file = 0;
    tables_swap(f);
    /* The row spool holds the file's rows in its own columns: still right
     * only if they are the data set's. */
    for (size_t j = 0; !rc && j < k && !f->rows_failed; j++)
        if (colmap[j] != j)
            f->rows_failed = f->rows_wanted;
    lr_accum_free(g);
    lr_accum_free(acc);
    lr_mem_free(colmap, k * sizeof(size_t));
    return rc;
}

/* The state of the file f's tables hold (acc, in its columns; NULL: no
 * chunk) into the files' tree. */
static int fold_file(lr_frame *f, lr_accum *acc, lr_error *err)
{
    size_t nv = f->formula->nvars, kw = f->keywidth, nk = f->k - f->kfixed;
    lr_levels **levels = lr_mem_calloc(nv ? nv : 1, sizeof(lr_levels *));
    uint32_t *colkeys = lr_mem_calloc(nk ? nk * kw : 1, sizeof(uint32_t));
    int rc;
    if (!levels || !colkeys) {
        lr_accum_free(acc);
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t v = 0; v < nv; v++)
        levels[v] = f->vars[v].levels;
    for (size_t s = 0; s < f->map.nslots; s++)
        if (f->map.keys[s * kw])
            memcpy(colkeys + (f->map.cols[s] - f->kfixed) * kw, f->map.keys + s * kw,
                   kw * sizeof(uint32_t));
    rc = lr_frame_fold_file(f, levels, colkeys, f->k, f->forigin, acc, err);
done:
    lr_mem_free(levels, (nv ? nv : 1) * sizeof(lr_levels *));
    lr_mem_free(colkeys, (nk ? nk * kw : 1) * sizeof(uint32_t));
    return rc;
}

/* The current file's tree collapsed and folded as one leaf of the files';
 * its tables start afresh. */
static int close_file(lr_frame *f, lr_error *err)
{
    lr_accum *acc = NULL;
    int rc = lr_frame_tree_collapse(f, f->stack, &acc, err);
    if (!rc)
        rc = fold_file(f, acc, err);
    if (!rc)
        rc = tables_reset(f, err);
    return rc;
}

int lr_frame_fold_at(lr_frame *f, lr_chunk *c, size_t file, uint64_t block, uint64_t lines_before,
                     lr_error *err)
{
    int rc;
    if (file < f->cur_file || (file == f->cur_file && block < f->leaves))
        return lr_error_set(err, LR_EUSAGE, "fold: chunk %zu:%llu out of order", file,
                            (unsigned long long)block);
    for (; f->cur_file < file; f->cur_file++)
        if ((rc = close_file(f, err)))
            return rc;
    while (f->leaves < block) /* blocks no row starts in */
        if ((rc = lr_frame_chunk_push(f, NULL, err)))
            return rc;
    return lr_frame_fold(f, c, lines_before, err);
}

int lr_frame_files_finish(lr_frame *f, lr_error *err)
{
    if (f->files_done)
        return LR_OK;
    int rc = tables_init(f, err);
    lr_accum *acc = NULL;
    /* the last file with a chunk, then those with none after it: every file
     * is a leaf */
    if (!rc && !f->merged)
        for (rc = close_file(f, err); !rc && f->cur_file + 1 < f->nfiles; f->cur_file++)
            rc = close_file(f, err);
    if (rc)
        return rc;
    /* from here on the data set's tables are the frame's */
    tables_swap(f);
    f->files_done = 1;
    if ((rc = lr_frame_tree_collapse(f, f->gstack, &acc, err)))
        return rc;
    /* no observation in any file: the statistics of none */
    if (!acc && (rc = lr_accum_create(f->k, f->kernel, &acc, err)))
        return rc;
    lr_accum_free(f->acc);
    f->acc = acc;
    return LR_OK;
}

void lr_frame_set_files(lr_frame *f, uint64_t nfiles, struct lr_partial_sink *sink)
{
    f->nfiles = nfiles;
    f->partial = sink;
}

int lr_frame_files_merge(lr_frame *f, uint64_t nfiles, lr_error *err)
{
    for (int l = 0; l < LR_FOLD_LEVELS; l++) {
        lr_accum_free(f->stack[l]);
        f->stack[l] = NULL;
    }
    f->rows = f->dropped = f->nan_rows = f->nan_line = 0;
    memset(&f->fp, 0, sizeof f->fp);
    f->nfiles = nfiles;
    f->merged = 1;
    return tables_reset(f, err);
}

int lr_frame_finish(lr_frame *f, lr_error *err)
{
    int rc = lr_frame_end_first(f, err);
    /* the last file's tree, then the files' (frame_files.c) */
    if (rc || (rc = lr_frame_files_finish(f, err)))
        return rc;
    /* every level known: factor() levels that are all numbers become numbers */
    for (size_t v = 0; v < f->formula->nvars; v++) {
        if (!f->vars[v].factor)
            continue;
        col_info *ci = &f->cols[f->formula->vars[v].col];
        if (ci->as_factor && !f->formula->vars[v].icols && !f->formula->vars[v].logical &&
            (rc = lr_factor_as_numbers(f->vars[v].levels, f->source, f->formula->vars[v].label,
                                       &ci->levels_numeric, err)))
            return rc;
    }
    return LR_OK;
}
