/*
 * fuzz_number_parse.c — lr_parse_cell against glibc's strtod, and the fused
 * path's lr_parse_number_prefix against lr_parse_cell.
 *
 * The oracle is the documented contract: after trimming spaces and TABs, an
 * empty cell or NA/NaN (any case) is missing; text matching
 *     [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits]
 * is a number whose value is bit for bit the double strtod gives for the same
 * text — or an overflow where strtod overflows; anything else is text. That
 * grammar is a subset of what strtod accepts, so on it the two must agree.
 *
 * Random bytes rarely land where correct rounding is hard, so an input whose
 * first byte is 0xF0 or above is a recipe instead: the next eight bytes are a
 * double d, and the cell is built around the exact decimal value of the
 * midpoint between d and the next double up (or d itself), then cut,
 * nudged, padded or reshaped as the following bytes say. Every cell is passed
 * in an exactly sized heap copy, so reading past `len` is an ASan error.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"
#include "linreg.h"
#include "../tests/strtod_oracle.h" /* lr_strtod_oracle, shared with the tests */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if s[0..n) is exactly the number grammar (no blanks). */
static int grammar(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i == n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i == n;
}

static int is_na(const char *s, size_t n)
{
    /* R's spellings: NA exactly, NaN in any case */
    if (n == 2)
        return s[0] == 'N' && s[1] == 'A';
    return n == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n';
}

/* The fused path's parser on the trimmed cell t[0..tn) followed by a
 * delimiter (the buffer runs on, as a chunk does): it must take exactly the
 * cells lr_parse_cell takes as numbers, stop at the delimiter, and give the
 * same bits (or overflow where it does). */
static void check_prefix(const char *t, size_t tn, lr_cell_kind kind, double value)
{
    if (tn == 0)
        return;
    char *buf = malloc(tn + 1);
    if (!buf)
        return;
    memcpy(buf, t, tn);
    buf[tn] = ',';
    double v = 0;
    const char *stop = NULL;
    lr_cell_kind k = lr_parse_number_prefix(buf, buf + tn + 1, &v, &stop);
    int whole = (k == LR_CELL_NUMBER || k == LR_CELL_OVERFLOW) && stop == buf + tn;
    if (kind == LR_CELL_NUMBER) {
        FUZZ_CHECK(k == LR_CELL_NUMBER && stop == buf + tn);
        FUZZ_CHECK(memcmp(&v, &value, sizeof v) == 0);
    } else if (kind == LR_CELL_OVERFLOW) {
        FUZZ_CHECK(k == LR_CELL_OVERFLOW);
    } else {
        FUZZ_CHECK(!whole); /* at most a number that junk follows */
    }
    free(buf);
}

/* Check lr_parse_cell on the cell s[0..n). */
static void check_cell(const char *s, size_t n)
{
    char *cell = malloc(n ? n : 1); /* exactly sized: no NUL after it */
    if (!cell)
        return;
    memcpy(cell, s, n);
    double value = 0;
    lr_cell_kind kind = lr_parse_cell(cell, n, &value);
    free(cell);

    size_t a = 0, b = n;
    while (a < b && is_blank(s[a]))
        a++;
    while (b > a && is_blank(s[b - 1]))
        b--;
    const char *t = s + a;
    size_t tn = b - a;
    check_prefix(t, tn, kind, value);
    if (tn == 0 || is_na(t, tn)) {
        FUZZ_CHECK(kind == LR_CELL_MISSING);
        return;
    }
    if (!grammar(t, tn)) {
        FUZZ_CHECK(kind == LR_CELL_TEXT);
        return;
    }
    double want;
    int range;
    int whole = lr_strtod_oracle(t, tn, &want, &range);
    if (whole < 0)
        return;
    FUZZ_CHECK(whole); /* the grammar is a subset of strtod's */
    if (range && isinf(want)) {
        FUZZ_CHECK(kind == LR_CELL_OVERFLOW);
        return;
    }
    FUZZ_CHECK(kind == LR_CELL_NUMBER);
    FUZZ_CHECK(isfinite(value));
    FUZZ_CHECK(memcmp(&value, &want, sizeof value) == 0);
}

/*
 * A cell built from a recipe (see the top of the file): p[0..8) is a double,
 * p[8] chooses the shape, p[9] a length, p[10] a digit. Returns its length in
 * out (at least 1100 bytes).
 */
static size_t recipe(const uint8_t *p, size_t n, char *out)
{
    double d;
    uint64_t bits = 0;
    memcpy(&bits, p, n < 8 ? n : 8);
    memcpy(&d, &bits, sizeof d);
    d = fabs(d);
    if (!isfinite(d))
        d = 1.7976931348623157e308;
    uint8_t shape = n > 8 ? p[8] : 0, k = n > 9 ? p[9] : 0, dig = n > 10 ? p[10] : 0;
    /* The midpoint of d and its successor needs 54 bits: exact in x87's 64. */
    long double x = (long double)d;
    double up = nextafter(d, (double)INFINITY);
    if ((shape & 1) && isfinite(up))
        x = ((long double)d + (long double)up) / 2;
    /* %.800Le prints the exact binary value (glibc): 767 significant digits
     * suffice for any double's midpoint. */
    char m[1024];
    snprintf(m, sizeof m, "%.800Le", x);
    char *e = strchr(m, 'e');
    if (!e)
        return 0;
    int ex = atoi(e + 1);
    size_t nm = (size_t)(e - m); /* "D.DDDD…" */
    /* the significant digits alone */
    char digs[1200];
    size_t nd = 0;
    for (size_t i = 0; i < nm; i++)
        if (is_digit(m[i]))
            digs[nd++] = m[i];
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    switch ((shape >> 1) & 3) {
    case 0: /* exact */ break;
    case 1: /* cut to k digits: just below */
        if (k && k < nd)
            nd = k;
        break;
    case 2: /* a tiny bit above: a nonzero digit far out */
        memset(digs + nd, '0', k);
        nd += k;
        digs[nd++] = (char)('1' + dig % 9);
        break;
    case 3: /* the last digit nudged down by one (if it can be) */
        if (digs[nd - 1] > '0')
            digs[nd - 1]--;
        break;
    }
    size_t o = 0;
    if (shape & 0x80)
        out[o++] = ' ';
    if (shape & 0x40)
        out[o++] = (shape & 0x20) ? '-' : '+';
    int form = (shape >> 3) & 3;
    if (form == 0) {
        /* D.DDD e±X */
        out[o++] = digs[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digs + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)sprintf(out + o, "e%d", ex);
    } else if (form == 1) {
        /* all digits as an integer, the exponent adjusted */
        memcpy(out + o, digs, nd);
        o += nd;
        o += (size_t)sprintf(out + o, "E%+d", ex - (int)(nd - 1));
    } else if (form == 2) {
        /* leading zeros before the point: 0.000DDD e±X */
        out[o++] = '0';
        out[o++] = '.';
        size_t z = k % 40;
        memset(out + o, '0', z);
        o += z;
        memcpy(out + o, digs, nd);
        o += nd;
        o += (size_t)sprintf(out + o, "e%d", ex + 1 + (int)z);
    } else {
        /* .DDD with the exponent, no leading digit */
        out[o++] = '.';
        memcpy(out + o, digs, nd);
        o += nd;
        o += (size_t)sprintf(out + o, "e%d", ex + 1);
    }
    if (shape & 0x80)
        out[o++] = '\t';
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] >= 0xF0) {
        char cell[1400];
        size_t n = recipe(data + 1, size - 1, cell);
        if (n > 0)
            check_cell(cell, n);
        return 0;
    }
    check_cell((const char *)data, size);
    return 0;
}
