/*
 * column_types.c — the type of a column from the cells of the first chunk.
 *
 * R's read.csv makes a column numeric when every non-missing cell is a
 * number, and character (a factor in lm) otherwise. That is right for a
 * column of names, and wrong in a way nobody sees for a column of numbers
 * with one cell written "1_000", "0x1p3" or "2,5": lm then fits one dummy
 * per distinct value instead of one slope. linreg counts what the first
 * chunk shows and makes the second case an error naming the cell; a
 * formula that asks for factor(x) reads the column as text from the start.
 */
#include <string.h>

#include "column_types.h"
#include "factor_levels.h"
#include "internal.h"

int lr_is_infinity(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n && (*s == '+' || *s == '-')) {
        s++;
        n--;
    }
    static const char inf[] = "infinity";
    if (n != 3 && n != 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != inf[i])
            return 0;
    return 1;
}

/* "1,5" or "-12,75": a number written with a decimal comma (a European
 * export), for a hint in the message. */
static int looks_decimal_comma(const char *s, size_t n)
{
    size_t i = 0, d1 = 0, d2 = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        d1++;
    if (i == n || s[i] != ',')
        return 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        d2++;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i == n && d1 > 0 && d2 > 0;
}

void lr_col_census_add(lr_col_census *c, const char *s, size_t n, uint64_t line, uint64_t col,
                       int *text)
{
    double v;
    /* an overflowing number counts as a number (and fails later, as a value) */
    *text = lr_parse_cell(s, n, &v) == LR_CELL_TEXT && !lr_is_infinity(s, n);
    if (!*text) {
        c->numbers++;
        return;
    }
    c->nonlogical += lr_logical_label(s, n) == NULL;
    if (c->texts++ == 0) {
        c->first_text_line = line;
        c->first_text_col = col;
        lr_error_quote(c->first_text, sizeof c->first_text, s, n, 40);
        c->decimal_comma = looks_decimal_comma(s, n);
    }
}

int lr_na_set_init(lr_na_set *na, const char *const *s, size_t n, lr_error *err)
{
    if (n == 0)
        return LR_OK;
    na->s = lr_mem_calloc(n, sizeof(char *));
    na->len = lr_mem_calloc(n, sizeof(size_t));
    if (!na->s || !na->len) {
        lr_na_set_free(na);
        return lr_error_nomem(err);
    }
    na->n = n;
    for (size_t i = 0; i < n; i++) {
        na->len[i] = strlen(s[i]);
        na->s[i] = lr_mem_strdup(s[i]);
        if (!na->s[i]) {
            lr_na_set_free(na);
            return lr_error_nomem(err);
        }
    }
    return LR_OK;
}

void lr_na_set_free(lr_na_set *na)
{
    for (size_t i = 0; na->s && i < na->n; i++)
        lr_mem_free(na->s[i], na->len[i] + 1);
    lr_mem_free(na->s, na->n * sizeof(char *));
    lr_mem_free(na->len, na->n * sizeof(size_t));
    na->s = NULL;
    na->len = NULL;
    na->n = 0;
}

lr_cell_kind lr_cell_classify(const lr_na_set *na, int text, const char *s, size_t n, double *v)
{
    for (size_t i = 0; i < na->n; i++)
        if (na->len[i] == n && !memcmp(na->s[i], s, n))
            return LR_CELL_MISSING;
    if (text)
        return n == 2 && s[0] == 'N' && s[1] == 'A' ? LR_CELL_MISSING : LR_CELL_TEXT;
    return lr_parse_cell(s, n, v);
}

int lr_col_census_mostly_numbers(const lr_col_census *c)
{
    /* numbers / (numbers + texts) >= 0.9, in integers */
    return c->texts > 0 && c->numbers >= 9 * c->texts;
}

int lr_col_census_logical(const lr_col_census *c)
{
    return c->texts > 0 && c->numbers == 0 && c->nonlogical == 0;
}

const char *lr_logical_label(const char *s, size_t n)
{
    if ((n == 1 && s[0] == 'T') || (n == 4 && !memcmp(s, "TRUE", 4)))
        return "TRUE";
    if ((n == 1 && s[0] == 'F') || (n == 5 && !memcmp(s, "FALSE", 5)))
        return "FALSE";
    return NULL;
}

int lr_col_census_error(const lr_col_census *c, const char *source, const char *name, lr_error *err)
{
    return lr_error_at(
        err, LR_EVALUE, source, c->first_text_line, c->first_text_col,
        "column '%s': \"%s\" is not a number, though %llu of the %llu cells in "
        "its first rows are (%swrite factor(%s) in the formula if the column is "
        "categorical)",
        name, c->first_text, (unsigned long long)c->numbers,
        (unsigned long long)(c->numbers + c->texts),
        c->decimal_comma ? "a decimal comma? linreg reads '.' as the decimal point; " : "", name);
}

int lr_factor_as_numbers(lr_levels *l, const char *source, const char *label, int *numeric,
                         lr_error *err)
{
    uint32_t dup[2];
    int rc = lr_levels_to_numbers(l, numeric, dup, err);
    if (rc || dup[0] == UINT32_MAX)
        return rc;
    char a[96], b[96];
    lr_error_quote(a, sizeof a, lr_levels_label(l, dup[0]), lr_levels_length(l, dup[0]), 40);
    lr_error_quote(b, sizeof b, lr_levels_label(l, dup[1]), lr_levels_length(l, dup[1]), 40);
    return lr_error_set(err, LR_EDATA,
                        "%s: %s: \"%s\" and \"%s\" are the same number, which R reads as one "
                        "level; write them one way",
                        source, label, a, b);
}
