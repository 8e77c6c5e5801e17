/*
 * row_spool.h — the model's evaluated rows, kept in binary for second passes
 * (internal).
 *
 * A second pass over the data (residual quantiles, HC covariances, per-row
 * diagnostics) needs each observation's model row again. Parsing the text a
 * second time costs as much as the first pass; reading back the doubles the
 * first pass computed costs almost nothing. So while the first pass
 * accumulates a block of rows it may also copy it into its chunk's row
 * buffer, and the fold (in file order) writes the buffer to an unlinked
 * temporary file, the chunk's accumulator columns mapped to the frame's.
 *
 * A record is one block:
 *   uint64 n, uint64 k, uint64 parts    (parts: LR_ROWS_WEIGHTS | LR_ROWS_LINES)
 *   uint64 col[k]                       (the frame's accumulator columns)
 *   double x[k][n]                      (column by column)
 *   double w[n]                         (case weights; only with LR_ROWS_WEIGHTS)
 *   uint64 line[n]                      (the rows' physical lines; only with LR_ROWS_LINES)
 *   uint32 len[n][nkey], bytes          (key cells; only with LR_ROWS_KEYS: row by row,
 *                                        each key column's cell, then the cells' bytes
 *                                        back to back, zero-padded to 8 bytes)
 * Weights of one and lines nobody asked for are left out: the spool is
 * written and read once per row, and its bytes are its cost.
 *
 * Key columns are columns a second pass needs as text, not as numbers: the
 * cluster columns of --vcov CL, read back so that the pass need not parse
 * the file again. Each row carries its cells' raw bytes (what the CSV reader
 * hands out: unquoted), in the same order the text pass would see them. The
 * parts word holds the flags in bits 0–7, nkey in bits 8–15 and the key
 * section's size in bytes (padded) from bit 16, so that a record's size is
 * known from its header alone.
 * Columns a record does not list are zero for its rows (factor cells that
 * were not seen yet when it was written).
 */
#ifndef LR_ROW_SPOOL_H
#define LR_ROW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The spool is given up beyond this size (the disk is the user's). */
#define LR_ROW_SPOOL_MAX ((uint64_t)4 << 30)

#define LR_ROWS_WEIGHTS 1u /* records hold the case weights */
#define LR_ROWS_LINES 2u   /* records hold the rows' lines */
#define LR_ROWS_KEYS 4u    /* records hold the rows' key cells */

/* Key columns a record may carry at most (nkey fits the parts word's byte). */
#define LR_ROW_KEYS_MAX 8

/* Rows' key cells, in the order the rows were taken, until lr_row_buf_add
 * copies them next to their values (the block's rows are the first pending
 * ones: every add path hands rows on in the order it took them). */
typedef struct lr_row_keys {
    size_t nkey;    /* key columns per row (0: none are kept) */
    char *bytes;    /* the pending rows' cells, back to back */
    size_t nbytes;  /* bytes used */
    size_t bcap;    /* bytes allocated */
    uint32_t *len;  /* per pending row, nkey cell lengths */
    size_t rows;    /* rows pending */
    size_t rcap;    /* rows allocated */
    size_t done;    /* of those, rows already handed to a buffer */
    size_t done_at; /* and where their bytes end */
    int failed;     /* out of memory or a cell over 4 GiB: the spool is given up */
} lr_row_keys;

/* Keep a row's nkey cells (cell[i], len[i] bytes). On failure keys->failed
 * is set, and the next lr_row_buf_add gives its buffer up. */
void lr_row_keys_add(lr_row_keys *keys, const char *const *cell, const size_t *len);
void lr_row_keys_free(lr_row_keys *keys);

/* A chunk's records, before its columns are known in the frame's terms. */
typedef struct lr_row_buf {
    unsigned char *data; /* the records, with chunk-local columns col[i] = i */
    size_t len;          /* bytes used */
    size_t cap;          /* capacity */
    int over;            /* gave up: the chunk's rows exceeded the buffer's limit or memory */
} lr_row_buf;

/* Append n rows of k columns (x column-major with leading dimension ld; w
 * NULL for weights of one, line NULL to leave the lines out; keys NULL or
 * with nkey 0 for no key cells, else its next n pending rows, which are then
 * consumed, given up or not). On failure the buffer is given up (over = 1). */
void lr_row_buf_add(lr_row_buf *b, size_t n, size_t k, const double *x, size_t ld, const double *w,
                    const uint64_t *line, lr_row_keys *keys);
void lr_row_buf_free(lr_row_buf *b);

/* Write b's records to fd, column i becoming colmap[i] and lines shifted by
 * lines_before; *bytes grows by what was written. Nonzero if a write failed. */
int lr_row_buf_write(int fd, lr_row_buf *b, const size_t *colmap, uint64_t lines_before,
                     uint64_t *bytes);

/* An unnamed temporary file in TMPDIR (or /tmp) for the records (temp_file.h), or -1. */
int lr_row_spool_create(void);

/* Reading the records back (pread: several readers may share the file). */
typedef struct lr_row_reader {
    int fd;               /* the spool */
    uint64_t off;         /* file offset of the next record */
    uint64_t n, k;        /* the current record's rows and columns */
    uint64_t *col;        /* its columns */
    double *x;            /* its values, k × n column-major */
    double *w;            /* its weights, NULL when they are all one */
    uint64_t *line;       /* its lines, NULL when the records leave them out */
    size_t nkey;          /* its key columns (0: it has none) */
    const uint32_t *klen; /* n × nkey key cell lengths, row by row (in ksec) */
    const char *kbytes;   /* the cells' bytes (in ksec) */
    size_t *koff;         /* where each cell starts in kbytes */
    size_t cap_col;       /* capacities, in elements (8 bytes each for ksec) */
    size_t cap_x;
    size_t cap_w;
    size_t cap_line;
    size_t cap_koff;
    size_t cap_ksec;
    double *w_buf; /* storage behind w and line */
    uint64_t *line_buf;
    uint64_t *ksec; /* the record's key section */
} lr_row_reader;

/* Row i's key cell c of the current record (lr_row_reader_next): its bytes
 * and *len; valid until the next record is read. */
static inline const char *lr_row_reader_key(const lr_row_reader *r, size_t i, size_t c, size_t *len)
{
    *len = r->klen[i * r->nkey + c];
    return r->kbytes + r->koff[i * r->nkey + c];
}

/* Start reading fd from its beginning. */
void lr_row_reader_init(lr_row_reader *r, int fd);
/* The record at r->off into r, r->off then past it; *has = 0 at the end.
 * LR_EIO if the file is short or unreadable, LR_ENOMEM. */
int lr_row_reader_next(lr_row_reader *r, int *has, lr_error *err);
void lr_row_reader_free(lr_row_reader *r);

/* Where each record starts (from the headers alone): *offs (lr_mem_alloc'd,
 * *nrec entries; NULL when there are none). LR_EIO, LR_ENOMEM. */
int lr_row_spool_index(int fd, uint64_t **offs, size_t *nrec, lr_error *err);

#endif
