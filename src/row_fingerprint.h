/*
 * row_fingerprint.h — which rows a fit used, as one 64-bit fingerprint
 * (internal; row_fingerprint.c).
 */
#ifndef LR_ROW_FINGERPRINT_H
#define LR_ROW_FINGERPRINT_H

#include "internal.h"

/* The running sums of a set of used rows (a chunk's or the whole file's). */
typedef struct lr_row_fp {
    uint64_t n;  /* rows added */
    uint64_t s0; /* Σ h_i (mod 2^64) */
    uint64_t s1; /* Σ h_i · line_i (mod 2^64) */
} lr_row_fp;

/* The hash of one row from its fields (the CSV reader's, quotes removed),
 * joined by the delimiter. */
uint64_t lr_row_hash_fields(const lr_csv_row *row, char delim);

/* The same hash from the row's text buf[0..len) (line end excluded) when it
 * holds no quote. */
uint64_t lr_row_hash_text(const char *buf, size_t len);

/* Add a used row: its physical line (counted from the chunk's first line
 * when the chunk's line offset is not known yet) and its hash. */
void lr_row_fp_add(lr_row_fp *fp, uint64_t line, uint64_t hash);

/* Fold a chunk's sums into dst, its lines shifted by lines_before. */
void lr_row_fp_fold(lr_row_fp *dst, const lr_row_fp *chunk, uint64_t lines_before);

/* The fingerprint of the rows added. */
uint64_t lr_row_fp_value(const lr_row_fp *fp);

#endif
