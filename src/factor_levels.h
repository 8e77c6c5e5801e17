/*
 * factor_levels.h — the levels of one categorical variable, discovered as
 * rows stream in and ordered as R orders them (internal).
 */
#ifndef LR_FACTOR_LEVELS_H
#define LR_FACTOR_LEVELS_H

#include "internal.h"

typedef struct lr_levels lr_levels;

/* New, empty level set: of text values (ordered by byte order, strcmp — R's
 * order in the C locale) or, for factor() of a numeric column, of numbers
 * (ordered numerically, labelled as R's as.character prints them). */
int lr_levels_create(int numeric, lr_levels **out, lr_error *err);

/* The id of a level (ids count up in order of discovery), adding it if new. */
int lr_levels_intern_text(lr_levels *l, const char *s, size_t len, uint32_t *id, lr_error *err);
int lr_levels_intern_number(lr_levels *l, double x, uint32_t *id, lr_error *err);

/* The id of an existing level; 0 and *id set, or -1 if it was never seen. */
int lr_levels_find_text(const lr_levels *l, const char *s, size_t len, uint32_t *id);
int lr_levels_find_number(const lr_levels *l, double x, uint32_t *id);

/*
 * factor() of a column read as text (before lr_levels_sort): if every level
 * is a number, the set becomes numeric, as R's factor() of a numeric column
 * is — ordered by value, labelled as R prints the numbers — with each id
 * kept, and *converted = 1. Two levels that are the same number ("7" and
 * "007") are not merged: *converted = 0 and dup[0], dup[1] are their ids
 * (labels still as written); else dup[0] = dup[1] = UINT32_MAX.
 */
int lr_levels_to_numbers(lr_levels *l, int *converted, uint32_t dup[2], lr_error *err);

/* 1 if the levels are numbers. */
int lr_levels_numeric(const lr_levels *l);

/* The id of the level a cell's bytes name: the bytes themselves for text
 * levels, the number they spell for numeric ones; 0, or -1 if none. */
int lr_levels_find_cell(const lr_levels *l, const char *s, size_t len, uint32_t *id);

/* Number of levels seen. */
size_t lr_levels_count(const lr_levels *l);

/* Order the levels (after the last row). Then lr_levels_id_at(l, r) is the id
 * of the r-th level in R's order (r = 0 is the reference level). */
int lr_levels_sort(lr_levels *l, lr_error *err);
uint32_t lr_levels_id_at(const lr_levels *l, size_t rank);
/* After lr_levels_sort: put the levels in the order ids[0..count) (a
 * permutation of the ids), for relevel() and factor(x, levels = ). */
void lr_levels_set_order(lr_levels *l, const uint32_t *ids);

/* A numeric level's value; the byte length of a level's label. */
void lr_levels_value(const lr_levels *l, uint32_t id, double *x);
size_t lr_levels_length(const lr_levels *l, uint32_t id);

/* The label of level `id` as R prints it in coefficient names (borrowed). */
const char *lr_levels_label(const lr_levels *l, uint32_t id);

void lr_levels_free(lr_levels *l);

/* R's formatting of a double in labels (deparse / as.character): up to 15
 * significant digits, fixed or scientific whichever is narrower: 1e+05,
 * 123456, 0.5. out holds at least 32 bytes. */
void lr_format_r_number(double x, char *out, size_t size);

#endif
