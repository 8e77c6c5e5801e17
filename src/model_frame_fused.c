/*
 * model_frame_fused.c — the fused path: rows of a plain numeric model
 * (every term a numeric column, lr_frame's `direct`) read straight from the
 * text into a chunk's block, the CSV scan and the number conversion in one
 * loop; any other row is left to the CSV reader and lr_chunk_add_row.
 */
#include "model_frame_impl.h"

int lr_chunk_fast_text(lr_chunk *c)
{
    /* the block is made by the first row otherwise */
    return c->f->direct != NULL && lr_chunk_ensure_width(c, c->k, NULL) == LR_OK;
}

/*
 * Rows straight from the text, the CSV scan and the number conversion fused
 * (as fread does), for the direct case: each field of the header's width is
 * either a number the model uses — converted where it starts, the byte after
 * it checked to be the delimiter or the line end — or a field it does not
 * use, skipped to the next delimiter. Rows end with LF or CRLF. The first row
 * that is anything else (a quote, a blank, an empty or missing cell, text, a
 * number too large, another field count, an empty line, a lone CR, a NUL
 * byte, a negative weight) stops the loop at its first byte: the caller
 * reads it with the CSV reader and lr_chunk_add_row, which accept or report
 * it exactly as for any chunk. Every value is the one lr_parse_cell gives for
 * the cell's bytes, so the results do not depend on which path read a row.
 */
int lr_chunk_add_text(lr_chunk *c, const char *buf, size_t len, char delim, uint64_t line0,
                      size_t *used, uint64_t *lines, lr_error *err)
{
    const lr_frame *f = c->f;
    const char *p = buf, *const end = buf + len;
    const size_t ncsv = f->ncsv, wcol = f->wcol;
    const size_t *direct = f->direct;
    double *colval = c->colval;
    uint64_t nrows = 0, nlines = 0;
    int rc = LR_OK;
    const char *kcell[LR_ROW_KEYS_MAX] = {NULL}; /* the row's key cells (c->keys) */
    size_t klen[LR_ROW_KEYS_MAX] = {0};
    *used = 0;
    *lines = 0;
    while (p < end) {
        const char *row = p, *rend = p;
        size_t i = c->nblock, ld = c->block_rows;
        size_t j = 0;
        int ok = 1;
        for (;; j++) {
            const char *field = p;
            if (direct[j] != SIZE_MAX || j == wcol) {
                double v;
                const char *stop;
                if (lr_parse_number_prefix(p, end, &v, &stop) != LR_CELL_NUMBER) {
                    ok = 0;
                    break;
                }
                colval[j] = v;
                if (direct[j] != SIZE_MAX)
                    c->block[direct[j] * ld + i] = v;
                p = stop;
            } else {
                /* a field the model does not read: any bytes but quotes, line
                 * ends and NUL up to the delimiter */
                const char *start = p;
                while (p < end && *p != delim && *p != '\n' && *p != '\r' && *p != '"' &&
                       *p != '\0')
                    p++;
                if (p < end && (*p == '"' || *p == '\0')) {
                    ok = 0;
                    break;
                }
                /* a cluster column's missing key: the row path omits the row */
                if (f->cols[j].used &&
                    (p == start || (p - start == 2 && start[0] == 'N' && start[1] == 'A'))) {
                    ok = 0;
                    break;
                }
            }
            for (size_t q = 0; q < c->keys.nkey; q++)
                if (f->kcol[q] == j) { /* unquoted: the bytes the CSV reader hands out */
                    kcell[q] = field;
                    klen[q] = (size_t)(p - field);
                }
            if (j + 1 < ncsv) {
                if (p == end || *p != delim) {
                    ok = 0;
                    break;
                }
                p++;
                continue;
            }
            /* the last field: the line end (or the input's end) must follow */
            rend = p;
            if (p < end) {
                if (*p == '\n')
                    p++;
                else if (*p == '\r' && p + 1 < end && p[1] == '\n')
                    p += 2;
                else
                    ok = 0;
                nlines += ok ? 1u : 0u;
            }
            break;
        }
        if (!ok || (wcol != SIZE_MAX && !(colval[wcol] >= 0))) {
            p = row;
            break;
        }
        /* the block's row i holds the values (a row given up above is not
         * counted, so what it wrote there is overwritten) */
        c->rows++;
        nrows++;
        lr_row_fp_add(&c->fp, line0 + nrows, lr_row_hash_text(row, (size_t)(rend - row)));
        if (c->keys.nkey)
            lr_row_keys_add(&c->keys, kcell, klen);
        if ((rc = lr_chunk_direct_row_done(c, wcol != SIZE_MAX ? colval[wcol] : 1.0, line0 + nrows,
                                           err)))
            break;
    }
    *used = (size_t)(p - buf);
    *lines = nlines; /* a last row without a line end is not a line more */
    return rc;
}
