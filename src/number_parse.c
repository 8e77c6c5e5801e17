/*
 * number_parse.c — classify a CSV cell and convert it exactly as strtod does.
 *
 * The cell is checked against the grammar by hand (strtod alone would accept
 * "inf", "nan(...)", hex floats, and stop silently at trailing junk), and the
 * digits are normalised into a short NUL-terminated string on the stack:
 *
 *     [-]<significant digits>e<exponent>
 *
 * Leading zeros are dropped, the decimal point is folded into the exponent,
 * and at most MAX_DIGITS significant digits are kept. The decimal expansion
 * of the midpoint between two adjacent doubles has at most 767 significant
 * digits, so a value's rounding is decided within its first 767 digits
 * unless every digit up to there matches a midpoint; then any nonzero digit
 * further on tips it over. Keeping 800 digits and, if a nonzero digit was
 * dropped, appending one nonzero "sticky" digit therefore rounds exactly as
 * the full string would, for a cell of any length.
 *
 * Locale: the normalised string has no decimal point and no grouping, so
 * LC_NUMERIC cannot change how strtod reads it; the cell's '.' is handled
 * here. (The CLI never calls setlocale anyway, so the "C" locale is in force.)
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "internal.h"

enum {
    MAX_DIGITS = 800,        /* significant digits kept: > 767, see above */
    EXP_CLAMP = 1000000,     /* beyond this, every kept mantissa over/underflows */
    EXP_SATURATE = 100000000 /* written exponents stop growing here (no int64 overflow) */
};

/* 1 for NA or NaN in any case. */
static int is_na(const char *s, size_t n)
{
    if (n < 2 || n > 3 || (s[0] | 0x20) != 'n' || (s[1] | 0x20) != 'a')
        return 0;
    return n == 2 || (s[2] | 0x20) == 'n';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Clinger's fast path: a mantissa below 2^53 and a power of ten up to 1e22
 * are both exact doubles, so one IEEE multiplication or division rounds the
 * product or quotient correctly — the same double strtod returns. Only valid
 * when double arithmetic is not carried out in a wider format.
 */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define LR_FAST_PATH 1
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#else
#define LR_FAST_PATH 0
#endif

lr_cell_kind lr_parse_cell(const char *data, size_t len, double *value)
{
    const char *s = data, *end = data + len;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (s == end || is_na(s, (size_t)(end - s)))
        return LR_CELL_MISSING;

    int neg = 0;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        s++;
    }

    /* value = 0.dig[0..nd) × 10^dexp, with sticky standing for dropped digits. */
    char buf[MAX_DIGITS + 32];
    char *dig = buf + 1;
    size_t nd = 0, ndigits = 0;
    int sticky = 0;
    int64_t dexp = 0;
    uint64_t mant = 0; /* the first 19 significant digits as an integer (fast path) */

    while (s < end && is_digit(*s)) {
        char c = *s++;
        ndigits++;
        if (nd == 0 && c == '0')
            continue;
        if (nd < 19)
            mant = mant * 10 + (uint64_t)(c - '0');
        if (nd < MAX_DIGITS)
            dig[nd++] = c;
        else if (c != '0')
            sticky = 1;
        dexp++;
    }
    if (s < end && *s == '.') {
        s++;
        while (s < end && is_digit(*s)) {
            char c = *s++;
            ndigits++;
            if (nd == 0 && c == '0') {
                dexp--; /* a zero between the point and the first significant digit */
                continue;
            }
            if (nd < 19)
                mant = mant * 10 + (uint64_t)(c - '0');
            if (nd < MAX_DIGITS)
                dig[nd++] = c;
            else if (c != '0')
                sticky = 1;
        }
    }
    if (ndigits == 0)
        return LR_CELL_TEXT; /* ".", "+", "e5", "-.e1" */

    int64_t e10 = 0;
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        int eneg = 0;
        if (s < end && (*s == '+' || *s == '-')) {
            eneg = *s == '-';
            s++;
        }
        if (s == end || !is_digit(*s))
            return LR_CELL_TEXT; /* "1e", "1e+" */
        while (s < end && is_digit(*s)) {
            if (e10 < EXP_SATURATE)
                e10 = e10 * 10 + (*s - '0');
            s++;
        }
        if (eneg)
            e10 = -e10;
    }
    if (s != end)
        return LR_CELL_TEXT; /* trailing junk, inner blanks, NUL, a second point */

    if (nd == 0) {
        *value = neg ? -0.0 : 0.0;
        return LR_CELL_NUMBER;
    }
    /* Trailing zeros do not change 0.d1d2...; with a sticky digit they hold its place. */
    if (!sticky)
        while (dig[nd - 1] == '0') {
            if (nd <= 19)
                mant /= 10; /* the digit dropped is one mant holds */
            nd--;
        }
    e10 += dexp;
    if (e10 > EXP_CLAMP)
        e10 = EXP_CLAMP;
    if (e10 < -EXP_CLAMP)
        e10 = -EXP_CLAMP;

#if LR_FAST_PATH
    if (!sticky && nd <= 15) {
        int64_t k = e10 - (int64_t)nd; /* value = mantissa × 10^k */
        if (k >= -22 && k <= 22) {
            double v = (double)mant;
            v = k >= 0 ? v * pow10_exact[k] : v / pow10_exact[-k];
            *value = neg ? -v : v;
            return LR_CELL_NUMBER;
        }
    }
#endif

    if (sticky)
        dig[nd++] = '1';
    char *o = dig + nd;
    *o++ = 'e';
    int64_t x = e10 - (int64_t)nd; /* integer mantissa: value = dig × 10^x */
    if (x < 0) {
        *o++ = '-';
        x = -x;
    }
    char tmp[24];
    size_t nt = 0;
    do {
        tmp[nt++] = (char)('0' + x % 10);
        x /= 10;
    } while (x > 0);
    while (nt > 0)
        *o++ = tmp[--nt];
    *o = '\0';

    char *first = dig;
    if (neg)
        *--first = '-';
    int saved = errno;
    errno = 0;
    double v = strtod(first, NULL);
    int range = errno == ERANGE;
    errno = saved;
    /* ERANGE also flags underflow, which gives 0 or a subnormal and is fine. */
    if (range && (v == HUGE_VAL || v == -HUGE_VAL))
        return LR_CELL_OVERFLOW;
    *value = v;
    return LR_CELL_NUMBER;
}
