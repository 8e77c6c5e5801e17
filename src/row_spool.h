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
 * Weights of one and lines nobody asked for are left out: the spool is
 * written and read once per row, and its bytes are its cost.
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

/* A chunk's records, before its columns are known in the frame's terms. */
typedef struct lr_row_buf {
    unsigned char *data; /* the records, with chunk-local columns col[i] = i */
    size_t len;          /* bytes used */
    size_t cap;          /* capacity */
    int over;            /* gave up: the chunk's rows exceeded the buffer's limit or memory */
} lr_row_buf;

/* Append n rows of k columns (x column-major with leading dimension ld; w
 * NULL for weights of one, line NULL to leave the lines out). On failure the
 * buffer is given up (over = 1). */
void lr_row_buf_add(lr_row_buf *b, size_t n, size_t k, const double *x, size_t ld, const double *w,
                    const uint64_t *line);
void lr_row_buf_free(lr_row_buf *b);

/* Write b's records to fd, column i becoming colmap[i] and lines shifted by
 * lines_before; *bytes grows by what was written. Nonzero if a write failed. */
int lr_row_buf_write(int fd, lr_row_buf *b, const size_t *colmap, uint64_t lines_before,
                     uint64_t *bytes);

/* An unnamed temporary file in TMPDIR (or /tmp) for the records (temp_file.h), or -1. */
int lr_row_spool_create(void);

/* Reading the records back (pread: several readers may share the file). */
typedef struct lr_row_reader {
    int fd;         /* the spool */
    uint64_t off;   /* file offset of the next record */
    uint64_t n, k;  /* the current record's rows and columns */
    uint64_t *col;  /* its columns */
    double *x;      /* its values, k × n column-major */
    double *w;      /* its weights, NULL when they are all one */
    uint64_t *line; /* its lines, NULL when the records leave them out */
    size_t cap_col; /* capacities, in elements */
    size_t cap_x;
    size_t cap_w;
    size_t cap_line;
    double *w_buf; /* storage behind w and line */
    uint64_t *line_buf;
} lr_row_reader;

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
