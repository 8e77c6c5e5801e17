/*
 * partial_merge.c — the frame of a data set from partial fits of its files.
 *
 * The parts' file records are folded, in file order, exactly as the fit of
 * all the files folds each file's state (lr_frame_fold_file: levels and
 * columns onto the data set's, in order of first appearance, then one leaf
 * of the files' tree), and their counts are added as the fold adds them,
 * each part's lines shifted to those of the files read as one (its first
 * file's header is not a line of the data set there). The frame itself is
 * made as the fit makes it: from the first file's header row, with the
 * column types its first chunk decided (saved in every part; the parts of
 * one data set must agree on them, and on every model option).
 */
#include <string.h>

#include "partial_io.h"

/* A part's section of model options, or of header and types, is the first
 * part's. */
static int same_section(const lr_partial *a, size_t aat, size_t alen, const lr_partial *b,
                        size_t bat, size_t blen)
{
    return alen == blen && memcmp(a->bytes + aat, b->bytes + bat, alen) == 0;
}

/* Where a column made by a merged file first appeared, for the column
 * cap's message: its term's first factor and that level (no line). */
static col_origin *origins_of(const lr_frame *f, const uint32_t *colkeys, size_t k)
{
    size_t nk = k - f->kfixed, kw = f->keywidth;
    col_origin *o = lr_mem_calloc(nk ? nk : 1, sizeof(col_origin));
    for (size_t i = 0; o && i < nk; i++) {
        const lr_term *t = &f->formula->terms[colkeys[i * kw] - 1];
        for (size_t q = 0; q < t->n; q++)
            if (f->vars[t->vars[q]].factor) {
                o[i].var = t->vars[q];
                o[i].level = colkeys[i * kw + 1];
                break;
            }
    }
    return o;
}

void lr_partial_get_types(const lr_frame *f, unsigned char *types)
{
    for (size_t j = 0; j < f->ncsv; j++)
        types[j] = (unsigned char)(f->cols[j].text | f->cols[j].logical << 1);
}

void lr_partial_set_types(lr_frame *f, const unsigned char *types)
{
    for (size_t j = 0; j < f->ncsv; j++)
        if (f->cols[j].used) {
            f->cols[j].text = types[j] & 1;
            f->cols[j].logical = types[j] >> 1 & 1;
        }
}

/* The part's file records into f, its counts with its lines moved by shift. */
static int fold_part(lr_frame *f, const lr_partial *p, uint64_t shift, lr_error *err)
{
    size_t nv = f->formula->nvars;
    lr_partial_cursor pc = {p, p->files_at};
    int rc = LR_OK;
    for (uint64_t r = 0; r < p->nfiles && !rc; r++) {
        lr_levels **levels = lr_mem_calloc(nv ? nv : 1, sizeof(lr_levels *));
        uint32_t *colkeys = NULL;
        col_origin *orig = NULL;
        lr_accum *acc = NULL;
        size_t k = 0;
        if (!levels)
            return lr_error_nomem(err);
        for (size_t v = 0; v < nv && !rc; v++)
            if (f->vars[v].factor)
                rc = lr_levels_create(lr_frame_levels_numeric(f, v), &levels[v], err);
        if (!rc)
            rc = lr_partial_get_file(&pc, f, levels, &colkeys, &k, &acc, err);
        if (!rc && !(orig = origins_of(f, colkeys, k))) {
            lr_accum_free(acc);
            rc = lr_error_nomem(err);
        }
        if (!rc && r < p->skip) /* not this part's file */
            lr_accum_free(acc);
        else if (!rc)
            rc = lr_frame_fold_file(f, levels, colkeys, k, orig, acc, err);
        for (size_t v = 0; v < nv; v++)
            lr_levels_free(levels[v]);
        lr_mem_free(levels, (nv ? nv : 1) * sizeof(lr_levels *));
        if (colkeys) {
            size_t nk = (k - f->kfixed) * f->keywidth;
            lr_mem_free(colkeys, (nk ? nk : 1) * sizeof(uint32_t));
            lr_mem_free(orig, (k - f->kfixed ? k - f->kfixed : 1) * sizeof(col_origin));
        }
    }
    if (!rc && pc.off != p->files_end)
        rc = lr_error_set(err, LR_EDATA,
                          "%s: not a valid partial fit: bytes after its last file "
                          "record",
                          p->name);
    if (rc)
        return rc;
    f->rows += p->rows;
    f->dropped += p->dropped;
    if (p->nan_rows && !f->nan_rows) {
        f->nan_line = p->nan_line + shift;
        f->nan_var = (size_t)p->nan_var;
    }
    f->nan_rows += p->nan_rows;
    lr_row_fp_fold(&f->fp, &p->fp, shift);
    return LR_OK;
}

/* Part i of the list: in memory, or read now (part_put frees it). */
static int part_get(const lr_part_list *l, size_t i, lr_partial **p, lr_error *err)
{
    if (l->mem || i == 0) {
        *p = l->mem ? l->mem[i] : l->first;
        return LR_OK;
    }
    return lr_partial_load(l->paths[i], p, err);
}

static void part_put(const lr_part_list *l, size_t i, lr_partial *p)
{
    if (!l->mem && i > 0)
        lr_partial_free(p);
}

/* A part's checksum: its last 8 bytes (partial_io.c). */
static uint64_t part_sum(const lr_partial *p)
{
    uint64_t x = 0;
    memcpy(&x, p->bytes + p->len - 8, 8);
    return x;
}

/* Every part's options, header and types are the first's (p0's); the data
 * set's files counted, and each part's checksum kept (sums[0..n)). */
static int parts_check(const lr_part_list *l, const lr_partial *p0, uint64_t *sums,
                       uint64_t *nfiles, lr_error *err)
{
    int rc = LR_OK;
    *nfiles = 0;
    for (size_t i = 0; i < l->n && !rc; i++) {
        lr_partial *p;
        if ((rc = part_get(l, i, &p, err)))
            break;
        if (!same_section(p0, p0->spec_at, p0->spec_len, p, p->spec_at, p->spec_len))
            rc = lr_error_set(err, LR_EUSAGE,
                              "%s and %s were made with different model options (formula, "
                              "weights, method, missing values, delimiter, ridge or cluster): "
                              "parts of one fit must be made with the same options",
                              p0->name, p->name);
        else if (!same_section(p0, p0->head_at, p0->head_len, p, p->head_at, p->head_len))
            rc = lr_error_set(err, LR_EUSAGE,
                              "%s and %s differ in their header row, delimiter or column types "
                              "(types are decided by each part's first rows: a column numeric in "
                              "one part and text in another cannot be merged)",
                              p0->name, p->name);
        *nfiles += p->nfiles - p->skip;
        sums[i] = part_sum(p);
        part_put(l, i, p);
    }
    return rc;
}

/* The parts folded in order, each read again and checked to be the bytes
 * parts_check saw. */
static int parts_fold(lr_frame *f, const lr_part_list *l, const uint64_t *sums, lr_error *err)
{
    uint64_t lines = 0;
    int rc = LR_OK;
    for (size_t i = 0; i < l->n && !rc; i++) {
        lr_partial *p;
        if ((rc = part_get(l, i, &p, err)))
            break;
        /* the first part's lines are the data set's; a later part's header
         * is not there */
        uint64_t head = i ? p->head_lines : 0;
        if (part_sum(p) != sums[i])
            rc = lr_error_set(err, LR_EIO, "%s: changed while the parts were merged", p->name);
        else
            rc = fold_part(f, p, lines - head, err);
        lines += p->lines - head + (p->unterminated && i + 1 < l->n);
        part_put(l, i, p);
    }
    return rc;
}

int lr_partial_frame(const lr_part_list *parts, lr_fit_options *opt, lr_frame **out,
                     char *delimiter, char **name, uint64_t *nfiles_out, lr_error *err)
{
    const lr_partial *p0 = parts->mem ? parts->mem[0] : parts->first;
    lr_frame *f = NULL;
    int rc;
    *out = NULL;
    *name = NULL;
    uint64_t nfiles = 0, *sums = lr_mem_alloc(parts->n * sizeof(uint64_t));
    if (!sums)
        return lr_error_nomem(err);
    if ((rc = parts_check(parts, p0, sums, &nfiles, err)))
        goto fail;
    *nfiles_out = nfiles;
    if ((opt->cluster != NULL) != (p0->cluster != NULL) ||
        (opt->cluster && strcmp(opt->cluster, p0->cluster))) {
        rc = lr_error_set(err, LR_EUSAGE,
                          "the parts were made %s%s%s; merge with the same --vcov CL "
                          "--cluster",
                          p0->cluster ? "with --vcov CL --cluster " : "without --vcov CL",
                          p0->cluster ? p0->cluster : "", "");
        goto fail;
    }
    /* the model options the parts were made with */
    opt->formula = p0->formula;
    opt->target = p0->target;
    opt->features = p0->features_absent ? NULL : p0->features;
    opt->n_features = p0->n_features;
    opt->intercept = p0->intercept;
    opt->weights = p0->weights;
    opt->method = (lr_method)p0->method;
    opt->na_action = (lr_na_action)p0->na_action;
    opt->na_strings = p0->na_absent ? NULL : p0->na_strings;
    opt->n_na_strings = p0->n_na;
    opt->delimiter = p0->delim_opt;
    opt->max_line_bytes = (size_t)p0->max_line;
    opt->ridge = p0->ridge;
    opt->ridge_scale = (lr_ridge_scale)p0->ridge_scale;
    /* the data's name, as the fit of the files names it */
    char buf[512];
    if (nfiles == 1)
        snprintf(buf, sizeof buf, "%s", p0->names[0]);
    else
        snprintf(buf, sizeof buf, "%s and %llu more file%s", p0->names[0],
                 (unsigned long long)(nfiles - 1), nfiles == 2 ? "" : "s");
    if (!(*name = lr_mem_strdup(buf))) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    lr_csv_row hdr = {p0->fields, p0->nfields, 1, 0};
    if ((rc = lr_frame_create(&hdr, *name, opt, &f, err)))
        goto fail;
    /* the column types the first chunk decided */
    lr_partial_set_types(f, p0->types);
    lr_frame_set_delimiter(f, p0->delimiter);
    *delimiter = p0->delimiter;
    if ((rc = lr_frame_end_first(f, err)) || (rc = lr_frame_files_merge(f, nfiles, err)))
        goto fail;
    if ((rc = parts_fold(f, parts, sums, err)) || (rc = lr_frame_finish(f, err)))
        goto fail;
    lr_mem_free(sums, parts->n * sizeof(uint64_t));
    *out = f;
    return LR_OK;
fail:
    lr_mem_free(sums, parts->n * sizeof(uint64_t));
    lr_frame_free(f);
    lr_mem_strfree(*name);
    *name = NULL;
    return rc;
}
