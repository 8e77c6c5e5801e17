/*
 * test_types.c — column types, missing values, logical columns and names as
 * an R user expects them, through the linreg executable: fits compared with
 * R's answers (tests/data/r_types.tsv from tests/reference/gen_r_types.R),
 * and the messages and warnings of the cases R has no answer for.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* Run linreg; the result is the caller's to free. */
static lr_test_run_result run(const char *const *argv, const char *in)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, in, in ? strlen(in) : 0, &r), 0);
    return r;
}

/* Check a --format json fit against every value R gave for the case:
 * the number of rows used and each coefficient (and no other). */
static void check_against_r(const char *rcase, const lr_test_run_result *r)
{
    ck_assert_msg(r->exit_code == 0, "%s: exit %d: %s", rcase, r->exit_code, r->err);
    json_error_t je;
    json_t *root = json_loads(r->out, 0, &je);
    ck_assert_msg(root != NULL, "%s: output is not JSON: %s", rcase, je.text);
    json_t *coefs = json_object_get(root, "coefficients");
    char *tsv = lr_test_read_file(lr_test_path("tests/data/r_types.tsv"), NULL);
    ck_assert_ptr_nonnull(tsv);
    size_t ncoef = 0, nlines = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        char *key = strchr(line, '\t');
        ck_assert_ptr_nonnull(key);
        *key++ = '\0';
        char *val = strchr(key, '\t');
        ck_assert_ptr_nonnull(val);
        *val++ = '\0';
        if (strcmp(line, rcase) != 0 || !strcmp(key, "levels"))
            continue;
        nlines++;
        if (!strcmp(key, "n")) {
            ck_assert_int_eq(json_integer_value(json_object_get(root, "n")), atol(val));
            continue;
        }
        const char *name = key + 5; /* "coef:" */
        size_t i;
        for (i = 0; i < json_array_size(coefs); i++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(coefs, i), "name")), name))
                break;
        ck_assert_msg(i < json_array_size(coefs), "%s: no coefficient %s in %s", rcase, name,
                      r->out);
        LR_CK_REL(json_number_value(json_object_get(json_array_get(coefs, i), "estimate")),
                  strtod(val, NULL), 1e-9);
        ncoef++;
    }
    ck_assert_msg(nlines > 0, "no reference for %s", rcase);
    ck_assert_uint_eq(ncoef, json_array_size(coefs));
    free(tsv);
    json_decref(root);
}

static void fit_against_r(const char *rcase, const char *file, const char *formula)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", lr_test_path(file));
    const char *argv[] = {"linreg", "fit", "--format", "json", "-f", formula, path, NULL};
    lr_test_run_result r = run(argv, NULL);
    check_against_r(rcase, &r);
    lr_test_run_free(&r);
}

/* ---- item 1: a mostly numeric column with a few text cells ---- */

START_TEST(mostly_numeric_is_an_error)
{
    const char *data = "y,x\n1,1\n2,2\n3,3\n4,1_000\n5,5\n6,6\n7,7\n8,8\n9,9\n10,10\n11,12\n";
    const char *argv[] = {"linreg", "fit", "-", NULL};
    lr_test_run_result r = run(argv, data);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "linreg: <stdin>:5:3: column 'x': \"1_000\" is not a number, "
                            "though 10 of the 11 cells in its first rows are (write "
                            "factor(x) in the formula if the column is categorical)\n");
    lr_test_run_free(&r);
}
END_TEST

/* The hint works: factor(x) reads the column as text, as R's read.csv does. */
START_TEST(mostly_numeric_as_factor)
{
    fit_against_r("textcodes", "tests/data/types_textcodes.csv", "y ~ factor(x)");
}
END_TEST

/* A genuinely text column stays a factor, even with a few numbers in it. */
START_TEST(text_column_with_numbers_is_a_factor)
{
    const char *data = "y,g\n1,a\n2,b\n3,1\n4,a\n5,b\n6,c\n";
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL};
    lr_test_run_result r = run(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"gb\""));
    ck_assert_ptr_nonnull(strstr(r.out, "\"gc\""));
    lr_test_run_free(&r);
}
END_TEST

/* ---- item 2: the type follows the formula ---- */

START_TEST(numeric_codes_sort_numerically)
{
    fit_against_r("numcodes", "tests/data/types_numcodes.csv", "y ~ factor(site)");
}
END_TEST

/* Codes that look numeric for more than the first MiB, then text: factor(site)
 * and C(site) fit as R does (levels sorted as text: 10, 100, 9, B7). */
START_TEST(late_text_as_factor)
{
    static const char *c3[] = {"10", "9", "100"}, *c4[] = {"10", "9", "100", "B7"};
    size_t cap = 3u << 20, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len += (size_t)snprintf(buf, cap, "site,y\n");
    for (long i = 0; i < 260000; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s,%ld\n",
                                i < 250000 ? c3[i % 3] : c4[i % 4], (7 * i) % 13 + i % 3);
    ck_assert_uint_gt(len, 1u << 20);
    ck_assert_ptr_null(memchr(buf, 'B', 1u << 20)); /* the first MiB holds numbers only */
    char *path = lr_test_write_temp(buf, len);
    free(buf);
    const char *argv[] = {"linreg",           "fit", "--format", "json", "-f",
                          "y ~ factor(site)", path,  NULL};
    lr_test_run_result r = run(argv, NULL);
    check_against_r("latetext", &r);
    lr_test_run_free(&r);
    /* C(site) is the same factor (its names are R's C(site)...: check one) */
    const char *argv_c[] = {"linreg", "fit", "--format", "json", "-f", "y ~ C(site)", path, NULL};
    r = run(argv_c, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"C(site)B7\""));
    lr_test_run_free(&r);
    /* without factor(): the error's hint names what works */
    const char *argv_plain[] = {"linreg", "fit", "-f", "y ~ site", path, NULL};
    r = run(argv_plain, NULL);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "write factor(site)"));
    lr_test_run_free(&r);
    unlink(path);
    free(path);
}
END_TEST

/* "7" and "007" are one number: all-numeric codes spelt two ways cannot be
 * two levels (R reads both as 7) and are not silently merged either. */
START_TEST(numeric_codes_spelt_twice)
{
    const char *data = "y,site\n1,7\n2,007\n3,8\n4,8\n";
    const char *argv[] = {"linreg", "fit", "-f", "y ~ factor(site)", "-", NULL};
    lr_test_run_result r = run(argv, data);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, "linreg: <stdin>: factor(site): \"7\" and \"007\" are the same "
                            "number, which R reads as one level; write them one way\n");
    lr_test_run_free(&r);
}
END_TEST

Suite *types_suite(void);
Suite *types_suite(void)
{
    Suite *s = suite_create("types");
    TCase *tc = tcase_create("types");
    tcase_add_test(tc, mostly_numeric_is_an_error);
    tcase_add_test(tc, mostly_numeric_as_factor);
    tcase_add_test(tc, text_column_with_numbers_is_a_factor);
    tcase_add_test(tc, numeric_codes_sort_numerically);
    tcase_add_test(tc, late_text_as_factor);
    tcase_add_test(tc, numeric_codes_spelt_twice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lr_test_main(types_suite());
}
