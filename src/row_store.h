/*
 * row_store.h — a chunk's evaluated rows kept sparsely until its columns are
 * known (internal).
 *
 * A model with factors gets a column per level (or level combination) seen,
 * and a chunk learns its levels as its rows come. Accumulating a block of
 * rows before the chunk's last level is known means factoring triangles that
 * must grow later, and a model that passes the column cap would be refused
 * only after the dense work of every row before the row that passes it. So
 * such a chunk keeps each row as its nonzero entries (a factor term writes
 * one column per row, whatever its number of levels): the column cap is
 * checked as rows are read, with nothing accumulated yet, and the rows are
 * accumulated at the chunk's end, in blocks of the chunk's final width.
 */
#ifndef LR_ROW_STORE_H
#define LR_ROW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Entries a store holds before its rows are accumulated anyway (16 bytes
 * each: 8 MiB; a model y ~ x + z + g writes 4 a row, so 131,072 rows, more
 * than a 1 MiB chunk holds). */
#define LR_ROW_STORE_ENTRIES ((size_t)1 << 19)

/* One nonzero value of a row. */
typedef struct lr_row_entry {
    uint32_t col; /* its accumulator column (chunk-local) */
    double val;   /* the value */
} lr_row_entry;

/* One row. */
typedef struct lr_row_head {
    size_t start;  /* its first entry */
    size_t n;      /* its entries */
    double w;      /* its case weight */
    uint64_t line; /* its physical line */
} lr_row_head;

typedef struct lr_row_store {
    lr_row_entry *e;  /* the entries, row after row */
    size_t n;         /* entries */
    size_t cap;       /* capacity in entries */
    lr_row_head *row; /* the rows */
    size_t rows;      /* rows */
    size_t rcap;      /* capacity in rows */
} lr_row_store;

/* Append a row of n entries, weight w, at line. */
int lr_row_store_add(lr_row_store *s, const lr_row_entry *e, size_t n, double w, uint64_t line,
                     lr_error *err);

/* Forget the rows (keeping the memory for the next ones). */
void lr_row_store_clear(lr_row_store *s);

void lr_row_store_free(lr_row_store *s);

#endif
