/*
 * column_types.h — how the cells of a column decide its type, as R's
 * read.csv decides it (internal): numbers, text, and the rule that turns a
 * mostly numeric column with a few text cells into an error.
 */
#ifndef LR_COLUMN_TYPES_H
#define LR_COLUMN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* What the first chunk showed of a column. */
typedef struct lr_col_census {
    uint64_t numbers;         /* non-missing cells that are numbers (Inf included) */
    uint64_t texts;           /* non-missing cells that are text */
    uint64_t first_text_line; /* position of the first text cell (for messages) */
    uint64_t first_text_col;  /* its column */
    char first_text[72];      /* the cell, quoted for a message */
    int decimal_comma;        /* it looks like a number with a decimal comma ("1,5") */
    uint64_t nonlogical;      /* text cells other than T, F, TRUE, FALSE */
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

/*
 * Missing values, as R's read.csv reads them (na.strings = "NA"): in a
 * numeric column an empty cell, NA, and NaN in any case (a number to R, which
 * na.omit drops as missing); in a text column exactly NA — "Na" (sodium),
 * "na", "NaN" and "" are levels. Extra spellings (--na-strings, R's
 * na.strings) are missing in any column, compared byte for byte.
 */
typedef struct lr_na_set {
    char **s;    /* the extra spellings (owned) */
    size_t *len; /* their lengths */
    size_t n;    /* their number */
} lr_na_set;

/* Copy n spellings into na (which must be zeroed). */
int lr_na_set_init(lr_na_set *na, const char *const *s, size_t n, lr_error *err);
void lr_na_set_free(lr_na_set *na);

/* A cell's kind in a text column (text = 1: LR_CELL_MISSING or LR_CELL_TEXT,
 * a level) or a numeric one (lr_parse_cell's kind, *v set for a number). */
lr_cell_kind lr_cell_classify(const lr_na_set *na, int text, const char *s, size_t n, double *v);

/* 1 if the column is logical, as R's read.csv makes one: its non-missing
 * cells are all T, F, TRUE or FALSE (exactly those four: R 4.2's
 * type.convert reads "true" or "True" as text). lm codes it as a factor of
 * levels FALSE, TRUE: one column named <col>TRUE. */
int lr_col_census_logical(const lr_col_census *c);

/* A logical cell's level: "TRUE" for T and TRUE, "FALSE" for F and FALSE,
 * else NULL. */
const char *lr_logical_label(const char *s, size_t n);

/* The error for a mostly numeric column (lr_col_census_mostly_numbers):
 * its first text cell, with the hint to write factor(name). */
int lr_col_census_error(const lr_col_census *c, const char *source, const char *name,
                        lr_error *err);

/* factor() of a column read as text, after its last row: its levels become
 * numbers (*numeric = 1) if every one is a number — R's factor() of a
 * numeric column, levels in numeric order — else stay strings (R's factor()
 * of a character column). Two spellings of one number ("7", "007") are an
 * error (LR_EDATA) naming both: R reads them as one level. */
typedef struct lr_levels lr_levels;
int lr_factor_as_numbers(lr_levels *l, const char *source, const char *label, int *numeric,
                         lr_error *err);

/* "Inf", "-Inf", "Infinity" (any case, blanks around). */
int lr_is_infinity(const char *s, size_t n);

#endif
