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
#include <string.h>

#include "internal.h"
#include "pow5_table.h"

enum {
    MAX_DIGITS = 800,        /* significant digits kept: > 767, see above */
    EXP_CLAMP = 1000000,     /* beyond this, every kept mantissa over/underflows */
    EXP_SATURATE = 100000000 /* written exponents stop growing here (no int64 overflow) */
};

/* 1 for NA (R's na.strings default, exactly) or NaN in any case (a number
 * to R's read.csv, as its strtod reads it, which na.omit then drops). "na"
 * and "Na" are text, as in R. */
static int is_na(const char *s, size_t n)
{
    if (n == 2)
        return s[0] == 'N' && s[1] == 'A';
    return n == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n';
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

/* The 128-bit product a × b. */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

static int leading_zeros(uint64_t x)
{
#if defined(__GNUC__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x & 0x8000000000000000ULL)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/*
 * Eisel–Lemire (Lemire 2021, "Number Parsing at a Gigabyte per Second"): the
 * correctly rounded double nearest w × 10^q for a decimal significand w of at
 * most 19 digits, from one (rarely two) 64 × 128-bit products with a table of
 * 5^q. Returns 1 and the bits, or 0 when the product cannot decide (the caller
 * then uses the exact path). Positive w only; w = 0 is handled by the caller.
 */
static inline __attribute__((always_inline)) int eisel_lemire(uint64_t w, int64_t q, uint64_t *bits)
{
    if (q < LR_POW5_SMALLEST) {
        *bits = 0; /* below the smallest subnormal's half */
        return 1;
    }
    if (q > LR_POW5_LARGEST)
        return 0; /* overflow: let the exact path say so */
    int lz = leading_zeros(w);
    w <<= lz;
    size_t idx = 2 * (size_t)(q - LR_POW5_SMALLEST);
    uint64_t hi, lo;
    mul128(w, lr_pow5_128[idx], &hi, &lo);
    /* 55 bits are needed (52 + implicit + rounding + 1): when the bits below
     * them are all ones the truncated table entry may matter — add the low
     * word's contribution. */
    if ((hi & 0x1ff) == 0x1ff) {
        uint64_t hi2, lo2;
        mul128(w, lr_pow5_128[idx + 1], &hi2, &lo2);
        (void)lo2;
        lo += hi2;
        if (hi2 > lo)
            hi++;
        if ((hi & 0x1ff) == 0x1ff && lo == UINT64_MAX)
            return 0; /* still ambiguous */
    }
    int upper = (int)(hi >> 63);
    int shift = upper + 9;
    uint64_t mant = hi >> shift;
    /* the binary exponent: floor(q log2(10)) + 63 + upper − lz, biased */
    int64_t p2 = ((((int64_t)152170 + 65536) * q) >> 16) + 63 + upper - lz + 1023;
    if (p2 <= 0) {
        /* subnormal: shift into place, round half up on the dropped bit */
        if (-p2 + 1 >= 64) {
            *bits = 0;
            return 1;
        }
        mant >>= -p2 + 1;
        mant += mant & 1;
        mant >>= 1;
        p2 = mant < (1ULL << 52) ? 0 : 1;
        *bits = (mant & ((1ULL << 52) - 1)) | ((uint64_t)p2 << 52);
        return 1;
    }
    /* Exactly halfway between two doubles (possible only for −4 ≤ q ≤ 23, where
     * 5^q fits the table exactly): round to even instead of up. */
    if (lo <= 1 && q >= -4 && q <= 23 && (mant & 3) == 1 && (mant << shift) == hi)
        mant &= ~1ULL;
    mant += mant & 1;
    mant >>= 1;
    if (mant >= (2ULL << 52)) {
        mant = 1ULL << 52;
        p2++;
    }
    mant &= ~(1ULL << 52);
    if (p2 >= 0x7ff)
        return 0; /* overflow: the exact path reports it */
    *bits = mant | ((uint64_t)p2 << 52);
    return 1;
}

/* One significant digit c (leading zeros are not) into the mantissa: the first
 * 19 also into *mant (the fast path's integer), the first MAX_DIGITS into dig,
 * and a nonzero one past those into *sticky (the dropped digits are not all
 * zero, which decides a tie). */
static inline void keep_digit(char c, char *dig, size_t *nd, uint64_t *mant, int *sticky)
{
    if (*nd < 19)
        *mant = *mant * 10 + (uint64_t)(c - '0');
    if (*nd < MAX_DIGITS)
        dig[(*nd)++] = c;
    else if (c != '0')
        *sticky = 1;
}

/* The exact path: any number of digits, normalised and handed to strtod. s and
 * end delimit the trimmed, non-missing cell. */
static lr_cell_kind parse_exact(const char *s, const char *end, double *value)
{

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
        keep_digit(c, dig, &nd, &mant, &sticky);
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
            keep_digit(c, dig, &nd, &mant, &sticky);
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

/* Eight ASCII digits at once (SWAR; little-endian load via memcpy): 1 if
 * every byte of v is '0'..'9'. */
static int eight_digits(uint64_t v)
{
    return !(((v + 0x4646464646464646ULL) | (v - 0x3030303030303030ULL)) & 0x8080808080808080ULL);
}

/* Their value, first byte most significant: three multiply-and-shift steps
 * combine digits pairwise, then into fours, then eight. */
static uint64_t eight_digits_value(uint64_t v)
{
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 0x000F424000000064ULL; /* 100 + (1000000 << 32) */
    const uint64_t mul2 = 0x0000271000000001ULL; /* 1 + (10000 << 32) */
    v -= 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    v = (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
    return v;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* A number's parts as the grammar reads them: value = ±w × 10^q, from the
 * first 19 significant digits (dropped: there were more). */
typedef struct num_parts {
    uint64_t w;
    int64_t q;
    int neg;
    int nd;      /* significant digits in w */
    int ndigits; /* digits of the significand, leading zeros included */
    int dropped; /* a 20th significant digit or more: exact path */
} num_parts;

/* Eight digits at p (a little-endian machine's SWAR test) into *w, when there
 * are eight and the 19 kept digits have room for them (*nd <= 11): 1 if so. */
static inline __attribute__((always_inline)) int eight_digits_more(const char *p, const char *end,
                                                                   uint64_t *w, int *nd)
{
    uint64_t v;
    if (*nd > 11 || end - p < 8)
        return 0;
    memcpy(&v, p, 8);
    if (!eight_digits(v))
        return 0;
    *w = *w * 100000000 + eight_digits_value(v);
    *nd += 8;
    return 1;
}

/* The digits from p on, one at a time (past the last one returned): the first
 * 19 significant ones into *w (*dropped for any more), leading zeros skipped;
 * after the point (frac), each leading zero and kept digit lowers *q. */
static inline __attribute__((always_inline)) const char *digit_run(const char *p, const char *end,
                                                                   int frac, uint64_t *w, int *nd,
                                                                   int *ndigits, int64_t *q,
                                                                   int *dropped)
{
    while (p < end && (unsigned)(*p - '0') < 10) {
        unsigned d = (unsigned)(*p++ - '0');
        (*ndigits)++;
        if (*nd == 0 && d == 0) {
            *q -= frac;
            continue;
        }
        if (*nd < 19) {
            *w = *w * 10 + d;
            (*nd)++;
            *q -= frac;
        } else {
            *dropped = 1;
        }
    }
    return p;
}

/*
 * Read [+-]digits[.digits][(e|E)[+-]digits] from s (s < end), validating the
 * grammar as the significand goes into an integer: the pointer just past the
 * number, or NULL if an exponent marker has no digits. np->ndigits == 0 (no
 * significand digit) is for the caller to judge; the exponent is then not
 * read.
 */
static inline __attribute__((always_inline)) const char *scan_number(const char *s, const char *end,
                                                                     num_parts *np)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    uint64_t w = 0;
    int nd = 0;
    int ndigits = 0;
    int64_t q = 0;
    int dropped = 0;
    int le = little_endian();
    while (le && nd > 0 && eight_digits_more(p, end, &w, &nd)) {
        ndigits += 8;
        p += 8;
    }
    p = digit_run(p, end, 0, &w, &nd, &ndigits, &q, &dropped);
    if (p < end && *p == '.') {
        p++;
        for (;;) {
            /* leading zeros one by one, then eight significant digits at a time */
            while (nd == 0 && p < end && *p == '0') {
                p++;
                ndigits++;
                q--;
            }
            if (!le || !eight_digits_more(p, end, &w, &nd))
                break;
            ndigits += 8;
            q -= 8;
            p += 8;
        }
        p = digit_run(p, end, 1, &w, &nd, &ndigits, &q, &dropped);
    }
    np->neg = neg;
    np->nd = nd;
    np->ndigits = ndigits;
    np->dropped = dropped;
    if (ndigits == 0) {
        np->w = w;
        np->q = q;
        return p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end || (unsigned)(*p - '0') >= 10)
            return NULL;
        int64_t e = 0;
        while (p < end && (unsigned)(*p - '0') < 10) {
            if (e < EXP_SATURATE)
                e = e * 10 + (*p - '0');
            p++;
        }
        q += eneg ? -e : e;
    }
    np->w = w;
    np->q = q;
    return p;
}

/*
 * The double of a scanned number s..stop: a significand of at most 19
 * digits by Clinger's exact fast path or by Eisel–Lemire, both giving the
 * double strtod gives; anything else — more than 19 significant digits, an
 * Eisel–Lemire undecided case, overflow — by the exact path.
 */
static inline __attribute__((always_inline)) lr_cell_kind
convert_number(const num_parts *np, const char *s, const char *stop, double *value)
{
    uint64_t w = np->w;
    int64_t q = np->q;
    int neg = np->neg;
    if (w == 0 && !np->dropped) {
        *value = neg ? -0.0 : 0.0;
        return LR_CELL_NUMBER;
    }
    if (!np->dropped) {
#if LR_FAST_PATH
        if (w <= (1ULL << 53) && q >= -22 && q <= 22) {
            double v = (double)w;
            v = q >= 0 ? v * pow10_exact[q] : v / pow10_exact[-q];
            *value = neg ? -v : v;
            return LR_CELL_NUMBER;
        }
#endif
        uint64_t bits;
        if (eisel_lemire(w, q, &bits)) {
            double v;
            memcpy(&v, &bits, sizeof v);
            *value = neg ? -v : v;
            return LR_CELL_NUMBER;
        }
    }
    return parse_exact(s, stop, value);
}

lr_cell_kind lr_parse_cell(const char *data, size_t len, double *value)
{
    const char *s = data, *end = data + len;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (s == end)
        return LR_CELL_MISSING;
    num_parts np;
    const char *p = scan_number(s, end, &np);
    if (np.ndigits == 0)
        return is_na(s, (size_t)(end - s)) ? LR_CELL_MISSING : LR_CELL_TEXT;
    if (p != end)
        return LR_CELL_TEXT;
    return convert_number(&np, s, end, value);
}

lr_cell_kind lr_parse_number_prefix(const char *s, const char *end, double *value,
                                    const char **stop)
{
    if (s == end)
        return LR_CELL_TEXT;
    num_parts np;
    const char *p = scan_number(s, end, &np);
    if (!p || np.ndigits == 0)
        return LR_CELL_TEXT;
    *stop = p;
    return convert_number(&np, s, p, value);
}
