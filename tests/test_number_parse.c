/*
 * test_number_parse.c — lr_parse_cell: classification by the grammar, and
 * values bit-for-bit equal to glibc's strtod (the oracle), on a table of
 * cases and on millions of generated strings (random digits, shortest and
 * exact midpoints between adjacent doubles, subnormals, values near DBL_MAX).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "strtod_oracle.h"
#include "test_util.h"

/*
 * Check's assertions write to its message channel on every call, even when
 * they pass (millions of system calls here), so the loops below test with a
 * plain `if` and call into Check only to report a failure.
 */

/* The double strtod gives for s[0..len) with blanks trimmed, and the kind it implies. */
static lr_cell_kind reference(const char *s, size_t len, double *value)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    double v;
    int range;
    if (lr_strtod_oracle(s, len, &v, &range) != 1)
        ck_abort_msg("strtod did not take all of \"%.*s\"", len < 60 ? (int)len : 60, s);
    if (range && fabs(v) == HUGE_VAL)
        return LR_CELL_OVERFLOW;
    *value = v;
    return LR_CELL_NUMBER;
}

/* Assert lr_parse_cell agrees with strtod on s (a valid number by the grammar). */
static void check_against_strtod(const char *s, size_t len)
{
    double want = 0, got = 0;
    lr_cell_kind wk = reference(s, len, &want);
    lr_cell_kind gk = lr_parse_cell(s, len, &got);
    if (gk != wk)
        ck_abort_msg("\"%.80s\" (len %zu): kind %d, strtod says %d", s, len, (int)gk, (int)wk);
    if (wk == LR_CELL_NUMBER && memcmp(&got, &want, sizeof got) != 0)
        ck_abort_msg("\"%.80s\" (len %zu): got %a, strtod gives %a", s, len, got, want);
}

/* ------------------------------------------------------------------------ */
/* Table of cases                                                           */
/* ------------------------------------------------------------------------ */

typedef struct parse_case {
    const char *in;    /* the cell's bytes */
    size_t len;        /* their number; 0: strlen(in) */
    lr_cell_kind kind; /* expected kind */
    int exact;         /* 1: compare with `value`; 0: with strtod (NUMBER only) */
    double value;      /* expected value when exact */
} parse_case;

/* clang-format off */
static const parse_case cases[] = {
    /* missing */
    {"", 0, LR_CELL_MISSING, 0, 0},
    {"   ", 0, LR_CELL_MISSING, 0, 0},
    {" \t \t", 0, LR_CELL_MISSING, 0, 0},
    {"NA", 0, LR_CELL_MISSING, 0, 0},
    {"na", 0, LR_CELL_TEXT, 0, 0}, /* R's read.csv: only NA, exactly */
    {"nA", 0, LR_CELL_TEXT, 0, 0},
    {" NA ", 0, LR_CELL_MISSING, 0, 0},
    {"NaN", 0, LR_CELL_MISSING, 0, 0},
    {"nan", 0, LR_CELL_MISSING, 0, 0},
    {"NAN", 0, LR_CELL_MISSING, 0, 0},
    {"\tnaN  ", 0, LR_CELL_MISSING, 0, 0},
    /* text holding NUL bytes (the other text cells: text_cells below) */
    {"1\0", 2, LR_CELL_TEXT, 0, 0},
    {"\0" "1", 2, LR_CELL_TEXT, 0, 0},
    {"1\0" "2", 3, LR_CELL_TEXT, 0, 0},
    /* numbers */
    {"0", 0, LR_CELL_NUMBER, 1, 0.0},
    {"-0", 0, LR_CELL_NUMBER, 1, -0.0},
    {"-0.0e-5", 0, LR_CELL_NUMBER, 1, -0.0},
    {"+0", 0, LR_CELL_NUMBER, 1, 0.0},
    {"0e999999999999", 0, LR_CELL_NUMBER, 1, 0.0},
    {"1", 0, LR_CELL_NUMBER, 1, 1.0},
    {"+1", 0, LR_CELL_NUMBER, 1, 1.0},
    {"-1", 0, LR_CELL_NUMBER, 1, -1.0},
    {".5", 0, LR_CELL_NUMBER, 1, 0.5},
    {"-.5", 0, LR_CELL_NUMBER, 1, -0.5},
    {"5.", 0, LR_CELL_NUMBER, 1, 5.0},
    {"5.e1", 0, LR_CELL_NUMBER, 1, 50.0},
    {".5e-1", 0, LR_CELL_NUMBER, 1, 0.05},
    {"1E5", 0, LR_CELL_NUMBER, 1, 1e5},
    {"1e+5", 0, LR_CELL_NUMBER, 1, 1e5},
    {"1e005", 0, LR_CELL_NUMBER, 1, 1e5},
    {" 42 ", 0, LR_CELL_NUMBER, 1, 42.0},
    {"\t-3.25e-2 ", 0, LR_CELL_NUMBER, 1, -3.25e-2},
    {"  \t 7\t\t ", 0, LR_CELL_NUMBER, 1, 7.0},
    {"000000123.4500000", 0, LR_CELL_NUMBER, 1, 123.45},
    {"-000.000100", 0, LR_CELL_NUMBER, 1, -1e-4},
    {"0.1", 0, LR_CELL_NUMBER, 1, 0.1},
    {"3.14159", 0, LR_CELL_NUMBER, 0, 0},
    {"123456789012345", 0, LR_CELL_NUMBER, 1, 123456789012345.0},
    {"1234567890123456", 0, LR_CELL_NUMBER, 1, 1234567890123456.0},
    {"12345678901234567", 0, LR_CELL_NUMBER, 1, 12345678901234568.0},
    {"1234567890123456789", 0, LR_CELL_NUMBER, 0, 0},
    {"12345678901234567890123", 0, LR_CELL_NUMBER, 0, 0},
    {"9007199254740992", 0, LR_CELL_NUMBER, 1, 9007199254740992.0},
    {"9007199254740993", 0, LR_CELL_NUMBER, 1, 9007199254740992.0}, /* tie: to even */
    {"9007199254740995", 0, LR_CELL_NUMBER, 1, 9007199254740996.0}, /* tie: to even */
    {"9007199254740993.0000000000000000000001", 0, LR_CELL_NUMBER, 1, 9007199254740994.0},
    {"9007199254740992.9999999999999999999999", 0, LR_CELL_NUMBER, 1, 9007199254740992.0},
    /* more than 19 digits whose trailing zeros leave a short mantissa */
    {"123456789012000000000000000", 0, LR_CELL_NUMBER, 1, 123456789012e15},
    {"1234567890120000000000000e-20", 0, LR_CELL_NUMBER, 1, 12345.6789012},
    {"0.000123450000000000000000000000", 0, LR_CELL_NUMBER, 1, 0.00012345},
    {"1000000000000000000000000000000", 0, LR_CELL_NUMBER, 1, 1e30},
    {"1e22", 0, LR_CELL_NUMBER, 1, 1e22},
    {"1e23", 0, LR_CELL_NUMBER, 1, 1e23},
    {"8.98846567431158e307", 0, LR_CELL_NUMBER, 0, 0},
    {"1.7976931348623157e308", 0, LR_CELL_NUMBER, 1, DBL_MAX},
    {"1.7976931348623158e308", 0, LR_CELL_NUMBER, 1, DBL_MAX}, /* below the midpoint */
    {"1.7976931348623159e308", 0, LR_CELL_OVERFLOW, 0, 0},     /* above it: strtod says inf */
    {"-1.7976931348623159e308", 0, LR_CELL_OVERFLOW, 0, 0},
    /* DBL_MAX + ulp/2 = 2^1024 - 2^970 exactly: a tie, to even, which is 2^1024: overflow */
    {
     "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490"
     "1797758720709633028641669288791094655554785194040263065748867150582068190890200070838367"
     "6273854845817711531764475730270069855571366959622842914819860834936475292719074168444365"
     "510704342711559699508093042880177904174497792",
     0, LR_CELL_OVERFLOW, 0, 0},
    /* one below that midpoint: DBL_MAX */
    {
     "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490"
     "1797758720709633028641669288791094655554785194040263065748867150582068190890200070838367"
     "6273854845817711531764475730270069855571366959622842914819860834936475292719074168444365"
     "510704342711559699508093042880177904174497791",
     0, LR_CELL_NUMBER, 1, DBL_MAX},
    {"1e308", 0, LR_CELL_NUMBER, 1, 1e308},
    {"1e309", 0, LR_CELL_OVERFLOW, 0, 0},
    {"1e999", 0, LR_CELL_OVERFLOW, 0, 0},
    {"-1e999", 0, LR_CELL_OVERFLOW, 0, 0},
    {"1e99999999999999999999", 0, LR_CELL_OVERFLOW, 0, 0},
    {"-1e+99999999999999999999", 0, LR_CELL_OVERFLOW, 0, 0},
    {"1e-99999999999999999999", 0, LR_CELL_NUMBER, 1, 0.0},
    {"-1e-99999999999999999999", 0, LR_CELL_NUMBER, 1, -0.0},
    {"0.000000000000000000000000000000001e99999999999999999999", 0, LR_CELL_OVERFLOW, 0, 0},
    {"1e-400", 0, LR_CELL_NUMBER, 1, 0.0},
    {"-1e-400", 0, LR_CELL_NUMBER, 1, -0.0},
    {"4.9e-324", 0, LR_CELL_NUMBER, 1, 0x1p-1074},
    {"4.9406564584124654e-324", 0, LR_CELL_NUMBER, 1, 0x1p-1074},
    {"2.4703282292062327e-324", 0, LR_CELL_NUMBER, 1, 0.0},       /* below half the minimum */
    {"2.4703282292062328e-324", 0, LR_CELL_NUMBER, 1, 0x1p-1074}, /* above it */
    {"2.2250738585072011e-308", 0, LR_CELL_NUMBER, 0, 0},
    {"2.2250738585072012e-308", 0, LR_CELL_NUMBER, 1, DBL_MIN},
    {"2.2250738585072014e-308", 0, LR_CELL_NUMBER, 1, DBL_MIN},
    {"2.225073858507201136057409796709131975934819546351645648e-308", 0, LR_CELL_NUMBER, 0, 0},
    {"0.1e-307", 0, LR_CELL_NUMBER, 0, 0},
    {"123.456e-2", 0, LR_CELL_NUMBER, 0, 0},
    {"123456.789e3", 0, LR_CELL_NUMBER, 0, 0},
    {"3.0e-44", 0, LR_CELL_NUMBER, 0, 0},
    {"7.2057594037927933e16", 0, LR_CELL_NUMBER, 0, 0},
    {"1e-22", 0, LR_CELL_NUMBER, 1, 1e-22},
    {"123456789012345e-22", 0, LR_CELL_NUMBER, 0, 0},
    {"123456789012345e22", 0, LR_CELL_NUMBER, 0, 0},
    {"0.000000000000000000000000000000000000000000000000000000000000000000001", 0,
     LR_CELL_NUMBER, 1, 1e-69},
};

/* Cells that are text by the grammar, whole (strlen): near NA and NaN, what
 * strtod takes and R does not (Inf, hex, separators), broken signs, points
 * and exponents, inner blanks and line ends, other letters and currency, and
 * non-ASCII digits and blanks. */
static const char *const text_cells[] = {
    "N", "NAA", "NaNa", "-NaN", "+nan", "nan(1)", "N A", "Inf", "-inf", "infinity", "Infinity",
    "0x1p3", "0x10", "1,000", "1.2.3", "--5", "+-5", "1e", "1e+", "1e-", "1ee5", "1e5.0",
    "1e5e5", "e5", "E5", ".e5", ".", "-.", "+", "-", "..5", "5..", "1 2", "1\t2", "- 1", "1 e5",
    "1\n", "\r1", "1d5", "1f", "abc", "$5", "5%", "\xc2\xa0" "5", "\xef\xbc\x91",
};
/* clang-format on */

START_TEST(test_table)
{
    const parse_case *c = &cases[_i];
    size_t len = c->len ? c->len : strlen(c->in);
    const double sentinel = 12345.678;
    double v = sentinel;
    lr_cell_kind k = lr_parse_cell(c->in, len, &v);
    ck_assert_msg(k == c->kind, "case %d \"%s\": kind %d, expected %d", _i, c->in, (int)k,
                  (int)c->kind);
    if (c->kind != LR_CELL_NUMBER) {
        /* The value is left alone unless the cell is a number. */
        ck_assert_msg(memcmp(&v, &sentinel, sizeof v) == 0, "case %d: value changed", _i);
        if (c->kind == LR_CELL_OVERFLOW)
            check_against_strtod(c->in, len);
        return;
    }
    if (c->exact)
        ck_assert_msg(memcmp(&v, &c->value, sizeof v) == 0, "case %d \"%s\": %a, expected %a", _i,
                      c->in, v, c->value);
    check_against_strtod(c->in, len);
}
END_TEST

START_TEST(test_text_cells)
{
    const char *in = text_cells[_i];
    const double sentinel = 12345.678;
    double v = sentinel;
    lr_cell_kind k = lr_parse_cell(in, strlen(in), &v);
    ck_assert_msg(k == LR_CELL_TEXT, "\"%s\": kind %d, expected text", in, (int)k);
    ck_assert_msg(memcmp(&v, &sentinel, sizeof v) == 0, "\"%s\": value changed", in);
}
END_TEST

/* The parser must never read past data + len: the cell is not NUL-terminated. */
START_TEST(test_no_overread)
{
    static const char *texts[] = {"12", "1.5e3", " 7 ", "NA", "-", "1e", ".", "nan", "9"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t n = strlen(texts[t]);
        /* An exact-size heap block: ASan and valgrind catch a read past its end. */
        char *p = malloc(n);
        memcpy(p, texts[t], n);
        double v = 0, w = 0;
        lr_cell_kind a = lr_parse_cell(p, n, &v);
        char *q = malloc(n + 1);
        memcpy(q, texts[t], n + 1);
        lr_cell_kind b = lr_parse_cell(q, n, &w);
        ck_assert_int_eq(a, b);
        ck_assert(memcmp(&v, &w, sizeof v) == 0);
        free(p);
        free(q);
    }
    /* A prefix of a longer buffer: "12" of "123" is 12. */
    double v = 0;
    ck_assert_int_eq(lr_parse_cell("123", 2, &v), LR_CELL_NUMBER);
    ck_assert(v == 12.0);
    ck_assert_int_eq(lr_parse_cell("1e5", 2, &v), LR_CELL_TEXT);
    ck_assert_int_eq(lr_parse_cell("NAN", 2, &v), LR_CELL_MISSING);
    ck_assert_int_eq(lr_parse_cell("x", 0, &v), LR_CELL_MISSING);
}
END_TEST

/* The fused path's parser: where it stops, and what it refuses. */
START_TEST(test_number_prefix)
{
    static const struct {
        const char *in; /* the bytes (the parser may read all of them) */
        int kind;       /* expected kind */
        size_t stop;    /* where a number ends */
        double value;   /* its value */
    } pcases[] = {
        {"1.5,2", LR_CELL_NUMBER, 3, 1.5},
        {"-0.25\n", LR_CELL_NUMBER, 5, -0.25},
        {"+.5,", LR_CELL_NUMBER, 3, 0.5},
        {"5.,", LR_CELL_NUMBER, 2, 5.0},
        {"1E5\r\n", LR_CELL_NUMBER, 3, 1e5},
        {"12345678901234567890123,", LR_CELL_NUMBER, 23, 12345678901234567890123.0},
        {"0.12345678901234567,0.5", LR_CELL_NUMBER, 19, 0.12345678901234567},
        {"1.5x", LR_CELL_NUMBER, 3, 1.5}, /* the caller sees the x and falls back */
        {"1e,", LR_CELL_TEXT, 0, 0},      /* an exponent marker without digits */
        {"1e+", LR_CELL_TEXT, 0, 0},
        {".,", LR_CELL_TEXT, 0, 0},
        {"-,", LR_CELL_TEXT, 0, 0},
        {",", LR_CELL_TEXT, 0, 0},
        {" 1", LR_CELL_TEXT, 0, 0}, /* blanks are the reader's business */
        {"NA,", LR_CELL_TEXT, 0, 0},
        {"\"1\"", LR_CELL_TEXT, 0, 0},
        {"1e999,", LR_CELL_OVERFLOW, 5, 0},
    };
    for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
        const char *s = pcases[i].in;
        double v = 0;
        const char *stop = NULL;
        lr_cell_kind k = lr_parse_number_prefix(s, s + strlen(s), &v, &stop);
        ck_assert_msg((int)k == pcases[i].kind, "\"%s\": kind %d", s, (int)k);
        if (k == LR_CELL_NUMBER || k == LR_CELL_OVERFLOW)
            ck_assert_msg(stop == s + pcases[i].stop, "\"%s\": stops at %td", s, stop - s);
        if (k == LR_CELL_NUMBER)
            ck_assert_msg(v == pcases[i].value, "\"%s\": %.17g", s, v);
    }
    /* Random numbers followed by a delimiter and more digits: the same bits
     * as lr_parse_cell on the number alone. */
    uint64_t x = 12345;
    char buf[96];
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double d;
        uint64_t bits = x ^ (x >> 29);
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            continue;
        /* shortest-ish, 17 digits, or 1 to 16 digits */
        int n = i % 3 ? snprintf(buf, sizeof buf, "%.17g", d)
                      : snprintf(buf, sizeof buf, "%.*g", (int)(x >> 60) + 1, d);
        memcpy(buf + n, ",98765432109876543", 19);
        double a = 0, b = 0;
        const char *stop = NULL;
        lr_cell_kind ka = lr_parse_cell(buf, (size_t)n, &a);
        lr_cell_kind kb = lr_parse_number_prefix(buf, buf + n + 18, &b, &stop);
        if (ka != kb || stop != buf + n || memcmp(&a, &b, sizeof a) != 0)
            ck_abort_msg("\"%.*s\": %.17g / %.17g", n, buf, a, b);
    }
}
END_TEST

/* Cells far longer than the 800 digits kept: the sticky digit must decide ties. */
START_TEST(test_long_strings)
{
    enum { N = 1100 };
    char *s = malloc(N + 64);
    double v;

    /* 1 followed by 999 zeros: 1e999 overflows. */
    memset(s, '0', 1000);
    s[0] = '1';
    ck_assert_int_eq(lr_parse_cell(s, 1000, &v), LR_CELL_OVERFLOW);
    check_against_strtod(s, 1000);

    /* 0.000...1 with 1000 digits after the point underflows to 0. */
    memcpy(s, "0.", 2);
    memset(s + 2, '0', 999);
    s[1001] = '1';
    ck_assert_int_eq(lr_parse_cell(s, 1002, &v), LR_CELL_NUMBER);
    ck_assert(v == 0.0 && !signbit(v));
    check_against_strtod(s, 1002);

    /* 1000 digits with a point and an exponent. */
    for (size_t i = 0; i < 1000; i++)
        s[i] = (char)('1' + i % 9);
    s[3] = '.';
    memcpy(s + 1000, "e-700", 6);
    check_against_strtod(s, 1005);
    memcpy(s + 1000, "e-1300", 7);
    check_against_strtod(s, 1006);
    memcpy(s + 1000, "e300", 5);
    check_against_strtod(s, 1004);

    /* The tie 2^53 + 1, padded with zeros past 800 digits: still a tie, to even. */
    const char *tie = "9007199254740993";
    size_t tl = strlen(tie);
    memcpy(s, tie, tl);
    memset(s + tl, '0', 900);
    memcpy(s + tl + 900, "e-900", 6);
    ck_assert_int_eq(lr_parse_cell(s, tl + 905, &v), LR_CELL_NUMBER);
    ck_assert(v == 9007199254740992.0);
    check_against_strtod(s, tl + 905);
    /* ... and with a 1 at digit 917: just above the tie, rounds up. */
    s[tl + 899] = '1';
    ck_assert_int_eq(lr_parse_cell(s, tl + 905, &v), LR_CELL_NUMBER);
    ck_assert(v == 9007199254740994.0);
    check_against_strtod(s, tl + 905);
    /* ... and with the nonzero digit at position 801 exactly. */
    s[tl + 899] = '0';
    s[800] = '7';
    ck_assert_int_eq(lr_parse_cell(s, tl + 905, &v), LR_CELL_NUMBER);
    ck_assert(v == 9007199254740994.0);
    check_against_strtod(s, tl + 905);
    /* Leading zeros do not count towards the 800. */
    memset(s, '0', 1000);
    memcpy(s + 1000, tie, tl);
    memcpy(s + 1000 + tl, "000001", 7);
    check_against_strtod(s, 1000 + tl + 6);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Generated strings                                                        */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;

/* xorshift64*: fixed seed, so every run checks the same strings. */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* A random finite double with uniformly random bits. */
static double rnd_double(void)
{
    for (;;) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            return d;
    }
}

/* Random digits, a random point, a random exponent in [-400, 400]. */
static size_t gen_digits(char *s)
{
    size_t n = 0;
    unsigned r = rnd_below(4);
    if (r == 1)
        s[n++] = '-';
    else if (r == 2)
        s[n++] = '+';
    unsigned nd = 1 + rnd_below(40);
    unsigned point = rnd_below(3) ? rnd_below(nd + 1) : nd + 1; /* nd + 1: no point */
    unsigned zeros = rnd_below(4) == 0 ? rnd_below(20) : 0;
    for (unsigned i = 0; i < nd; i++) {
        if (i == point)
            s[n++] = '.';
        s[n++] = i < zeros ? '0' : (char)('0' + rnd_below(10));
    }
    if (point == nd)
        s[n++] = '.';
    if (rnd_below(4)) {
        s[n++] = rnd_below(2) ? 'e' : 'E';
        int e = (int)rnd_below(801) - 400;
        unsigned form = rnd_below(3);
        if (e < 0)
            s[n++] = '-';
        else if (form == 0)
            s[n++] = '+';
        n += (size_t)sprintf(s + n, form == 1 ? "%03d" : "%d", abs(e));
    }
    s[n] = '\0';
    return n;
}

/* d printed shortest-ish (%.17g) or with fewer digits (%.{1..16}g). */
static size_t gen_printed(char *s, double d)
{
    int prec = rnd_below(2) ? 17 : 1 + (int)rnd_below(16);
    return (size_t)sprintf(s, rnd_below(2) ? "%.*g" : "%.*e", prec, d);
}

#if LDBL_MANT_DIG >= 64
/*
 * The exact decimal expansion of the midpoint between d > 0 and the next
 * double up (long double holds it exactly), as a tie (exact), just below
 * (truncated) or just above (a 1 appended after 820+ digits, beyond the 800
 * the parser keeps).
 */
static size_t gen_midpoint(char *s, double d)
{
    /* Above DBL_MAX the "next double" is 2^1024, the overflow threshold's twin. */
    long double next =
        d == DBL_MAX ? 2.0L * (long double)0x1p1023 : (long double)nextafter(d, INFINITY);
    long double mid = ((long double)d + next) / 2;
    char tmp[1024];
    int n = snprintf(tmp, sizeof tmp, "%.800Le", mid); /* exact: <= 767 significant digits */
    char *epos = strchr(tmp, 'e');
    size_t mant = (size_t)(epos - tmp);
    unsigned kind = rnd_below(3);
    size_t o;
    if (kind == 0) {
        memcpy(s, tmp, (size_t)n + 1);
        return (size_t)n;
    }
    if (kind == 1) {
        /* Truncated: below the tie unless the dropped digits were all zero. */
        size_t keep = 17 + rnd_below(60);
        if (keep > mant)
            keep = mant;
        memcpy(s, tmp, keep);
        o = keep;
    } else {
        memcpy(s, tmp, mant);
        o = mant;
        size_t pad = 20 + rnd_below(100);
        memset(s + o, '0', pad);
        o += pad;
        s[o++] = (char)('1' + rnd_below(9));
    }
    size_t elen = strlen(epos);
    memcpy(s + o, epos, elen + 1);
    return o + elen;
}
#endif

START_TEST(test_random_vs_strtod)
{
    /* Under valgrind (fifty times slower, and here for memory errors, which any
     * of the generators' shapes shows) a tenth of the strings. */
    const unsigned N = lr_test_under_valgrind() ? 200000 : 2000000;
    char *s = malloc(4096);
    rng_state = 0x9E3779B97F4A7C15ULL;
    size_t counts[6] = {0, 0, 0, 0, 0, 0};
    for (unsigned i = 0; i < N; i++) {
        unsigned gen = i % 20;
        size_t n;
        double d;
        if (gen < 9) {
            n = gen_digits(s);
            counts[0]++;
        } else if (gen < 12) {
            n = gen_printed(s, rnd_double());
            counts[1]++;
        } else if (gen < 15) {
#if LDBL_MANT_DIG >= 64
            n = gen_midpoint(s, fabs(rnd_double()));
#else
            n = gen_printed(s, rnd_double());
#endif
            counts[2]++;
        } else if (gen < 17) {
            /* subnormals: exponent field 0 */
            uint64_t bits = rnd() & 0x800FFFFFFFFFFFFFULL;
            memcpy(&d, &bits, sizeof d);
#if LDBL_MANT_DIG >= 64
            n = rnd_below(2) ? gen_printed(s, d) : gen_midpoint(s, fabs(d));
#else
            n = gen_printed(s, d);
#endif
            counts[3]++;
        } else if (gen < 19) {
            /* near DBL_MAX: a few ulps below, or random digits at the boundary */
            uint64_t bits;
            memcpy(&bits, &(double){DBL_MAX}, sizeof bits);
            bits -= rnd_below(1000); /* k ulps below: adjacent doubles have adjacent bits */
            memcpy(&d, &bits, sizeof d);
            unsigned form = rnd_below(3);
            if (form == 0)
                n = gen_printed(s, d);
#if LDBL_MANT_DIG >= 64
            else if (form == 1)
                n = gen_midpoint(s, rnd_below(4) ? d : DBL_MAX);
#endif
            else
                n = (size_t)sprintf(s, "1.797693134862315%07ue308", rnd_below(10000000));
            counts[4]++;
        } else {
            /* Blanks around and long digit strings. */
            char *t = s;
            t += sprintf(t, "%s", rnd_below(2) ? " \t" : "");
            size_t nd = 20 + rnd_below(1500);
            if (rnd_below(2))
                *t++ = '-';
            for (size_t k = 0; k < nd; k++)
                *t++ = (char)('0' + rnd_below(10));
            t += sprintf(t, "e%d%s", (int)rnd_below(1400) - 1000, rnd_below(2) ? "\t " : "");
            n = (size_t)(t - s);
            counts[5]++;
        }
        check_against_strtod(s, n);
    }
    free(s);
    ck_assert_uint_eq(counts[0] + counts[1] + counts[2] + counts[3] + counts[4] + counts[5], N);
}
END_TEST

/* Every double survives print (%.17g) and parse unchanged. */
START_TEST(test_round_trip)
{
    rng_state = 12345;
    char s[64];
    const int n_round = lr_test_under_valgrind() ? 20000 : 200000;
    for (int i = 0; i < n_round; i++) {
        double d = rnd_double(), v;
        int n = snprintf(s, sizeof s, "%.17g", d);
        if (lr_parse_cell(s, (size_t)n, &v) != LR_CELL_NUMBER || memcmp(&v, &d, sizeof d) != 0)
            ck_abort_msg("%s -> %a, expected %a", s, v, d);
    }
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        {test_table, (int)LR_TEST_COUNT(cases), "table"},
        LR_TEST_LOOP(test_text_cells, LR_TEST_COUNT(text_cells)),
        LR_TEST(test_no_overread),
        LR_TEST(test_long_strings),
        {test_random_vs_strtod, 0, "random"},
        LR_TEST(test_round_trip),
        LR_TEST(test_number_prefix),
    };
    return lr_test_run_cases("number_parse", 600, tests, LR_TEST_COUNT(tests));
}
