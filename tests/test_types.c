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
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    check_against_r(rcase, &r);
    lr_test_run_free(&r);
}

/* `linreg fit --format json [opt] -` on data succeeds and its output holds
 * each of want[] (NULL-terminated); opt may be NULL. */
static void fit_has(const char *opt, const char *optval, const char *data, const char *const *want)
{
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL, NULL, NULL};
    if (opt) {
        argv[4] = opt;
        argv[5] = optval;
        argv[6] = "-";
    }
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    for (size_t i = 0; want[i]; i++)
        ck_assert_msg(strstr(r.out, want[i]) != NULL, "no %s in %s", want[i], r.out);
    lr_test_run_free(&r);
}

/* argv on data (stdin) exits code with nothing on stdout and exactly err on stderr. */
static void expect_fail(const char *const *argv, const char *data, int code, const char *err)
{
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_int_eq(r.exit_code, code);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, err);
    lr_test_run_free(&r);
}

/* Fit with argv (data on stdin, NULL for none), which saves the model to model, then
 * `linreg predict -m model -` on newdata: both exit 0; the prediction's run (free it). */
static lr_test_run_result fit_then_predict(const char *const *argv, const char *data,
                                           const char *model, const char *newdata)
{
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    const char *argv_p[] = {"linreg", "predict", "-m", model, "-", NULL};
    r = lr_test_cmd(argv_p, newdata);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    return r;
}

/* ---- item 1: a mostly numeric column with a few text cells ---- */

/* A text cell in a numeric column is an error at its place, with the hint when most
 * cells are numbers; "na" in a numeric column is such text too, as in R. */
static const struct {
    const char *data, *err;
} text_in_numbers[] = {
    {"y,x\n1,1\n2,2\n3,3\n4,1_000\n5,5\n6,6\n7,7\n8,8\n9,9\n10,10\n11,12\n",
     "linreg: <stdin>:5:3: column 'x': \"1_000\" is not a number, though 10 of the 11 "
     "cells in its first rows are (write factor(x) in the formula if the column is "
     "categorical)\n"},
    {"y,x\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,9\n10,na\n",
     "linreg: <stdin>:11:4: column 'x': \"na\" is not a number, though 9 of the 10 "
     "cells in its first rows are (write factor(x) in the formula if the column is "
     "categorical)\n"},
};

START_TEST(mostly_numeric_is_an_error)
{
    const char *argv[] = {"linreg", "fit", "-", NULL};
    expect_fail(argv, text_in_numbers[_i].data, 1, text_in_numbers[_i].err);
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
    const char *want[] = {"\"ga\"", "\"gb\"", "\"gc\"", NULL}; /* "1": the reference */
    fit_has(NULL, NULL, "y,g\n1,a\n2,b\n3,1\n4,a\n5,b\n6,c\n", want);
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
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    check_against_r("latetext", &r);
    lr_test_run_free(&r);
    /* C(site) is the same factor (its names are R's C(site)...: check one) */
    const char *argv_c[] = {"linreg", "fit", "--format", "json", "-f", "y ~ C(site)", path, NULL};
    r = lr_test_cmd(argv_c, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"C(site)B7\""));
    lr_test_run_free(&r);
    /* without factor(): the error's hint names what works */
    const char *argv_plain[] = {"linreg", "fit", "-f", "y ~ site", path, NULL};
    r = lr_test_cmd(argv_plain, NULL);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "write factor(site)"));
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

/* "7" and "007" are one number: all-numeric codes spelt two ways cannot be
 * two levels (R reads both as 7) and are not silently merged either. */
START_TEST(numeric_codes_spelt_twice)
{
    const char *data = "y,site\n1,7\n2,007\n3,8\n4,8\n";
    const char *argv[] = {"linreg", "fit", "-f", "y ~ factor(site)", "-", NULL};
    expect_fail(argv, data, 1,
                "linreg: <stdin>: factor(site): \"7\" and \"007\" are the same number, which R "
                "reads as one level; write them one way\n");
}
END_TEST

/* ---- item 3: missing values spelt as R spells them ---- */

/* "Na" (sodium) is a level; "NA" is missing; NaN in x is a number R's na.omit
 * drops. */
START_TEST(na_spellings_as_r)
{
    fit_against_r("elements", "tests/data/types_elements.csv", "y ~ x + elem");
}
END_TEST

/* In a text column only NA is missing: "na", "NaN" and "" are levels. */
START_TEST(text_column_levels_that_look_missing)
{
    const char *want[] = {"\"n\": 7,", "\"gna\"", "\"gNaN\"", "\"gb\"", NULL};
    fit_has(NULL, NULL, "y,g\n1,na\n2,NaN\n3,\n4,na\n5,NaN\n6,\n7,NA\n8,b\n", want);
}
END_TEST

/* --na-strings adds spellings, in numeric and text columns, on the general
 * path and (checked by the counts) never read as numbers by the fast one;
 * the saved model makes predict read them too, and predict takes its own. */
START_TEST(na_strings_option)
{
    const char *data = "y,x,g\n1,2,a\n2,-999,b\n3,5,a\n4,.,b\n5,3,?\n6,7,b\n7,1,a\n";
    char *model = lr_test_write_temp("", 0);
    const char *argv[] = {"linreg", "fit", "--na-strings", "-999, .,?", "--format",
                          "json",   "-o",  model,          "-",         NULL};
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"n\": 4,"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"n_dropped\": 3,"));
    lr_test_run_free(&r);
    const char *want[] = {"\"n\": 7,", NULL}; /* without it: -999 a value, "." a level */
    fit_has(NULL, NULL, data, want);
    const char *newdata = "x,g\n-999,a\n2,b\nmissing,a\n";
    const char *argv_p[] = {"linreg", "predict", "-m", model, "--na-strings", "missing", "-", NULL};
    r = lr_test_cmd(argv_p, newdata);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    double mid;
    char last[8];
    ck_assert_msg(sscanf(r.out, "fit\nNA\n%lf\n%7s\n", &mid, last) == 2, "%s", r.out);
    ck_assert_str_eq(last, "NA");
    lr_test_run_free(&r);
    lr_test_remove_file(model);
}
END_TEST

/* ---- item 4: logical columns ---- */

START_TEST(logical_column_as_r)
{
    fit_against_r("logical", "tests/data/types_logical.csv", "y ~ x + flag");
    fit_against_r("logical_factor", "tests/data/types_logical.csv", "y ~ x + factor(flag)");
}
END_TEST

/* The saved model reads T and TRUE as one level in new data. */
START_TEST(logical_predict)
{
    char *model = lr_test_write_temp("", 0);
    char path[4096];
    snprintf(path, sizeof path, "%s", lr_test_path("tests/data/types_logical.csv"));
    const char *argv[] = {"linreg", "fit", "-f", "y ~ x + flag", "-o", model, path, NULL};
    lr_test_run_result r =
        fit_then_predict(argv, NULL, model, "x,flag\n1,T\n1,TRUE\n1,F\n1,FALSE\n");
    double a, b, c, d;
    ck_assert_int_eq(sscanf(r.out, "fit\n%lf\n%lf\n%lf\n%lf", &a, &b, &c, &d), 4);
    ck_assert(a == b && c == d);
    /* R: (Intercept) + x + flagTRUE, and (Intercept) + x */
    LR_CK_REL(a, -0.77906976744185619 + 2.0808139534883714 + 1.4988372093023241, 1e-9);
    LR_CK_REL(c, -0.77906976744185619 + 2.0808139534883714, 1e-9);
    lr_test_run_free(&r);
    lr_test_remove_file(model);
}
END_TEST

/* ---- item 5: predict goes on past a row whose term is not finite ---- */

START_TEST(predict_log_zero_is_na)
{
    char *model = lr_test_write_temp("", 0);
    const char *data = "y,x\n1,1\n2,2\n3,4\n4,3\n5,6\n";
    const char *argv[] = {"linreg", "fit", "-f", "y ~ log(x)", "-o", model, "-", NULL};
    lr_test_run_result r = fit_then_predict(argv, data, model, "x\n2\n0\n-1\n3\n");
    double a, b;
    char na1[8], na2[8];
    ck_assert_int_eq(sscanf(r.out, "fit\n%lf\n%7s\n%7s\n%lf", &a, na1, na2, &b), 4);
    ck_assert_str_eq(na1, "NA");
    ck_assert_str_eq(na2, "NA");
    ck_assert_str_eq(r.err, "linreg: warning: <stdin>:3:1: log(x) is -Inf: the logarithm of 0: "
                            "NA written for that row\n"
                            "linreg: warning: <stdin>:4:1: log(x) is NaN: the logarithm of a "
                            "negative value: NA written for that row\n");
    lr_test_run_free(&r);
    lr_test_remove_file(model);
}
END_TEST

/* ---- items 6 and 7: names as typed ---- */

static void expect_usage(const char *const *argv, const char *in, const char *err)
{
    lr_test_run_result r = lr_test_cmd(argv, in);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strstr(r.err, err) != NULL, "stderr: %s", r.err);
    lr_test_run_free(&r);
}

START_TEST(features_with_blanks)
{
    const char *want[] = {"\"wt\"", "\"hp\"", NULL};
    fit_has("-x", "wt, hp", "y,wt,hp\n1,2,3\n2,3,1\n4,1,1\n5,7,2\n", want);
}
END_TEST

START_TEST(option_suggestions)
{
    const char *fit[] = {"linreg", "fit", "--formla", "y ~ x", "-", NULL};
    expect_usage(fit, "", "linreg: unknown option '--formla' (did you mean '--formula'?)\n");
    const char *fit_eq[] = {"linreg", "fit", "--formual=y~x", "-", NULL};
    expect_usage(fit_eq, "", "unknown option '--formual' (did you mean '--formula'?)");
    const char *pred[] = {"linreg", "predict", "--intreval", "x", NULL};
    expect_usage(pred, "", "unknown option '--intreval' (did you mean '--interval'?)");
    const char *far[] = {"linreg", "fit", "--zzzzzz", "-", NULL};
    expect_usage(far, "", "linreg: unknown option '--zzzzzz'\nTry");
    const char *help[] = {"linreg", "fit", "--help", NULL};
    lr_test_run_result r = lr_test_cmd(help, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "'Formulas' of README.md"));
    lr_test_run_free(&r);
}
END_TEST

/* Transpositions, for -y, -x, -w and names in formulas. */
START_TEST(name_suggestions)
{
    const char *data = "speed,dist\n1,2\n2,3\n3,5\n";
    const char *y[] = {"linreg", "fit", "-y", "dsit", "-", NULL};
    expect_usage(y, data, "no column named 'dsit' (did you mean 'dist'?)");
    const char *x[] = {"linreg", "fit", "-x", "spede", "-", NULL};
    expect_usage(x, data, "no column named 'spede' (did you mean 'speed'?)");
    const char *w[] = {"linreg", "fit", "-w", "dsit", "-", NULL};
    expect_usage(w, data, "no weights column named 'dsit' (did you mean 'dist'?)");
    const char *f[] = {"linreg", "fit", "-f", "dist ~ log(spede)", "-", NULL};
    expect_usage(f, data, "no column named 'spede' (did you mean 'speed'?)");
    const char *none[] = {"linreg", "fit", "-y", "zz", "-", NULL};
    expect_usage(none, data, "no column named 'zz'\n");
    const char *names[] = {"dist", "speed"};
    ck_assert_uint_eq(lr_suggest_name("dsit", 4, names, 2), 0);
    ck_assert_uint_eq(lr_suggest_name("DIST", 4, names, 2), 0);
    ck_assert_uint_eq(lr_suggest_name("x", 1, names, 2), 2);
}
END_TEST

START_TEST(numeric_header_warns)
{
    const char *data = "1.5,2\n3,4\n5,7\n7,7\n";
    const char *argv[] = {"linreg", "fit", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_str_eq(r.err, "linreg: warning: <stdin>: every name in the header row is a "
                            "number: the file may have no header (linreg reads its first row "
                            "as the column names)\n");
    lr_test_run_free(&r);
    const char *named = "y,x2\n3,4\n5,7\n7,7\n";
    r = lr_test_cmd(argv, named);
    ck_assert_str_eq(r.err, "");
    lr_test_run_free(&r);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST_LOOP(mostly_numeric_is_an_error, LR_TEST_COUNT(text_in_numbers)),
        LR_TEST(mostly_numeric_as_factor),
        LR_TEST(text_column_with_numbers_is_a_factor),
        LR_TEST(numeric_codes_sort_numerically),
        LR_TEST(late_text_as_factor),
        LR_TEST(numeric_codes_spelt_twice),
        LR_TEST(na_spellings_as_r),
        LR_TEST(text_column_levels_that_look_missing),
        LR_TEST(na_strings_option),
        LR_TEST(logical_column_as_r),
        LR_TEST(logical_predict),
        LR_TEST(predict_log_zero_is_na),
        LR_TEST(features_with_blanks),
        LR_TEST(option_suggestions),
        LR_TEST(name_suggestions),
        LR_TEST(numeric_header_warns),
    };
    return lr_test_run_cases("types", 0, tests, LR_TEST_COUNT(tests));
}
