/*
 * fe_rows.c — the absorbed fixed effects' rows from the first pass's row
 * spool (row_spool.h), so that the CSV is parsed once: each record holds
 * the rows' model values and, as key columns, the factors' cells, which are
 * interned here in file order exactly as the text pass does
 * (lr_fe_take_row): the same level ids, the same drops, the same values.
 */
#include <string.h>

#include "fixed_effects_impl.h"
#include "row_spool.h"

/* Where each accumulator column is in the record (SIZE_MAX: not there, its
 * rows' values are zero). */
static void record_columns(const lr_row_reader *rd, size_t kacc, size_t *pos)
{
    for (size_t i = 0; i < kacc; i++)
        pos[i] = SIZE_MAX;
    for (size_t i = 0; i < rd->k; i++)
        if (rd->col[i] < kacc)
            pos[rd->col[i]] = i;
}

/* Row r's value of accumulator column a (SIZE_MAX: a column of zeros). */
static double value(const lr_row_reader *rd, const size_t *pos, size_t kacc, size_t a, size_t r)
{
    return a == SIZE_MAX || a >= kacc || pos[a] == SIZE_MAX ? 0.0 : rd->x[pos[a] * rd->n + r];
}

int lr_fe_rows_spooled(lr_fe *fe, const lr_frame *frame, const lr_model_columns *mc,
                       const lr_fe_spec *spec, const lr_fit_options *opt, int *again, lr_error *err)
{
    const size_t *kcol;
    int fd = lr_frame_rows_fd(frame);
    *again = 1;
    /* the text when the spool's values are not the text pass's to the bit */
    if (fd < 0 || lr_frame_key_cols(frame, &kcol) != spec->nf || !lr_frame_rows_as_eval(frame))
        return LR_OK;
    for (size_t f = 0; f < spec->nf; f++) {
        size_t col;
        if (!lr_frame_column(frame, spec->names[f], &col) || col != kcol[f])
            return LR_OK; /* the text pass names what is wrong */
        fe->f[f].col = col;
        fe->f[f].name = spec->names[f];
    }
    const char *source = lr_frame_source(frame);
    size_t kacc = lr_accum_ncols(lr_frame_accum(frame)), q = mc->q;
    size_t *pos = lr_mem_alloc((kacc ? kacc : 1) * sizeof(size_t));
    double *xv = lr_mem_alloc((q ? q : 1) * sizeof(double));
    uint64_t seen = 0, total = lr_frame_rows(frame) - lr_frame_dropped(frame);
    int na_error = opt->na_action == LR_NA_ERROR, has = 0, rc = LR_OK;
    lr_row_reader rd;
    lr_row_reader_init(&rd, fd);
    if (!pos || !xv)
        rc = lr_error_nomem(err);
    if (!rc)
        rc = lr_row_reader_next(&rd, &has, err);
    while (!rc && has) {
        lr_progress_send(opt->progress, opt->progress_ud, "fixed effects: reading", "rows", seen,
                         total, 0);
        if (rd.nkey != fe->nf) {
            rc = lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
            break;
        }
        record_columns(&rd, kacc, pos);
        for (size_t r = 0; r < rd.n && !rc; r++) {
            /* the text pass takes the rows of positive weight (the fit's) */
            double w = rd.w ? rd.w[r] : 1.0;
            if (!(w > 0))
                continue;
            const char *cell[LR_FE_MAX];
            size_t len[LR_FE_MAX];
            for (size_t f = 0; f < fe->nf; f++)
                cell[f] = lr_row_reader_key(&rd, r, f, &len[f]);
            for (size_t j = 0; j < q; j++)
                xv[j] = value(&rd, pos, kacc, mc->acc_col[j], r);
            rc = lr_fe_take_row(fe, cell, len, NULL, xv, value(&rd, pos, kacc, 0, r), w, source,
                                na_error, err);
        }
        if (rc)
            break;
        seen += rd.n;
        rc = lr_row_reader_next(&rd, &has, err);
    }
    if (rc == LR_FE_TEXT)
        rc = LR_OK; /* *again stays 1 */
    else if (!rc)
        *again = 0;
    lr_row_reader_free(&rd);
    lr_mem_free(pos, (kacc ? kacc : 1) * sizeof(size_t));
    lr_mem_free(xv, (q ? q : 1) * sizeof(double));
    return rc;
}
