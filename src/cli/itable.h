/*
 * itable.h — the inference tables' cells and layout (report_inference.c),
 * shared with linreg compare (cli_compare.c).
 */
#ifndef LR_ITABLE_H
#define LR_ITABLE_H

#include <stdio.h>

#include "cli.h"

/* A table of formatted cells: rows × cols, row-major, with row labels. */
typedef struct itable {
    size_t nrows;             /* rows */
    size_t ncols;             /* numeric columns */
    const char *const *head;  /* ncols column headings */
    const char **label;       /* nrows row labels */
    char (*cell)[LR_NUM_MAX]; /* nrows × ncols */
    const char **stars;       /* nrows significance stars, or NULL */
} itable;

/* rows × cols cells and labels for the headings head (borrowed); -1 out of memory. */
int itable_alloc(itable *t, size_t nrows, size_t ncols, const char *const *head);
void itable_free(itable *t);
/* Column j from x[0..nrows) as R's format(x, digits) jointly (NaN blank); zap:
 * first zapsmall(x, digits); round_dec >= 0: first rounded to that many decimals. */
void column_num(itable *t, size_t j, const double *x, int digits, int zap, int round_dec);
/* Column j of p-values: format.pval(digits = 4), NaN blank. */
void column_p(itable *t, size_t j, const double *p);
/* Text as R prints a matrix (markdown 0) or a Markdown table. */
void table_print(FILE *out, const itable *t, int markdown);

#endif
