/*
 * column_types.h — how the cells of a column decide its type, as R's
 * read.csv decides it (internal): numbers, text, and the rule that turns a
 * mostly numeric column with a few text cells into an error.
 */
#ifndef LR_COLUMN_TYPES_H
#define LR_COLUMN_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* What the first chunk showed of a column. */
typedef struct lr_col_census {
    uint64_t numbers;         /* non-missing cells that are numbers (Inf included) */
    uint64_t texts;           /* non-missing cells that are text */
    uint64_t first_text_line; /* position of the first text cell (for messages) */
    uint64_t first_text_col;  /* its column */
    char first_text[72];      /* the cell, quoted for a message */
    int decimal_comma;        /* it looks like a number with a decimal comma ("1,5") */
} lr_col_census;

/* Count one non-missing cell of the first chunk; *text = 1 if it is text
 * (not a number by the grammar, nor Inf/Infinity, which R reads as numbers). */
void lr_col_census_add(lr_col_census *c, const char *s, size_t n, uint64_t line, uint64_t col,
                       int *text);

/* 1 if the column's text cells are a few among numbers: at least 90% of its
 * non-missing cells are numbers, and some are text. Such a column is an
 * error (a typo, a hex float, a thousands separator, a decimal comma), not
 * the categorical variable of dozens of levels it would silently become. */
int lr_col_census_mostly_numbers(const lr_col_census *c);

/* "Inf", "-Inf", "Infinity" (any case, blanks around). */
int lr_is_infinity(const char *s, size_t n);

#endif
