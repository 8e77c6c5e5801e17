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
    if (c->texts++ == 0) {
        c->first_text_line = line;
        c->first_text_col = col;
        lr_error_quote(c->first_text, sizeof c->first_text, s, n, 40);
        c->decimal_comma = looks_decimal_comma(s, n);
    }
}

int lr_col_census_mostly_numbers(const lr_col_census *c)
{
    /* numbers / (numbers + texts) >= 0.9, in integers */
    return c->texts > 0 && c->numbers >= 9 * c->texts;
}
