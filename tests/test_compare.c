/*
 * test_compare.c — `linreg compare` (R's anova(m1, m2, ...)) against R
 * (tests/data/r_compare.json, from tests/reference/gen_r_compare.R), its
 * refusals, and the rows fingerprint that `linreg fit -o` stores.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static json_t *reference;

/* Fit `formula` (weights: NULL or a column) on `data` and save it to path. */
static void fit_to(const char *data, const char *formula, const char *weights, const char *path,
                   const char *threads)
{
    const char *argv[12] = {"linreg", "fit", "-q", "-f", formula, "-o", path};
    int a = 7;
    if (weights) {
        argv[a++] = "-w";
        argv[a++] = weights;
    }
    if (threads) {
        argv[a++] = "-t";
        argv[a++] = threads;
    }
    argv[a++] = data;
    argv[a] = NULL;
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    ck_assert_msg(r.exit_code == 0, "fit %s: %s", formula, r.err);
    lr_test_run_free(&r);
}

/* linreg compare [extra] m[0..n) into r (exit code and output). */
static void compare(const char *extra, char **m, size_t n, lr_test_run_result *r)
{
    const char *argv[16] = {"linreg", "compare"};
    size_t a = 2;
    if (extra)
        argv[a++] = extra;
    for (size_t i = 0; i < n && a < 15; i++)
        argv[a++] = m[i];
    argv[a] = NULL;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, r), 0);
}

static double jnum(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : (double)NAN;
}

/* The models of `formulas` on datasets/file, saved in dir as m1.json, ... */
static char **fit_models(const char *dir, const char *file, const json_t *formulas,
                         const char *weights)
{
    size_t n = json_array_size(formulas);
    char **m = calloc(n, sizeof(char *));
    char data[4096];
    ck_assert_ptr_nonnull(m);
    snprintf(data, sizeof data, "%s", lr_test_path("datasets/"));
    strncat(data, file, sizeof data - strlen(data) - 1);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "m%zu.json", i + 1);
        m[i] = lr_test_join(dir, name);
        fit_to(data, json_string_value(json_array_get(formulas, i)), weights, m[i], NULL);
    }
    return m;
}

static void free_models(char **m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i]);
    free(m);
}

/* Every case of r_compare.json, in JSON: each column at 1e-9 relative; Sum of
 * Sq, a difference of residual sums of squares, to 1e-9 of the larger RSS
 * (where R's is 0 or -0 ours is a rounding error of that size). */
START_TEST(test_compare_matches_r)
{
    const json_t *cs = json_array_get(json_object_get(reference, "cases"), (size_t)_i);
    const char *id = json_string_value(json_object_get(cs, "id"));
    const json_t *formulas = json_object_get(cs, "linreg_formulas");
    if (!formulas)
        formulas = json_object_get(cs, "formulas");
    const json_t *w = json_object_get(cs, "weights");
    size_t n = json_array_size(formulas);
    char *dir = lr_test_temp_dir();
    char **m = fit_models(dir, json_string_value(json_object_get(cs, "file")), formulas,
                          json_is_string(w) ? json_string_value(w) : NULL);
    lr_test_run_result r;
    compare("--format=json", m, n, &r);
    ck_assert_msg(r.exit_code == 0, "%s: %s", id, r.err);
    json_error_t je;
    json_t *out = json_loads(r.out, 0, &je);
    ck_assert_msg(out != NULL, "%s: output is not JSON: %s", id, je.text);
    const json_t *rows = json_object_get(out, "models");
    ck_assert_uint_eq(json_array_size(rows), n);
    static const char *const cols[] = {"res_df", "rss", "df", "sum_sq", "f", "p"};
    double rss_max = 0;
    for (size_t i = 0; i < n; i++)
        rss_max = fmax(rss_max, jnum(json_array_get(json_object_get(cs, "rss"), i)));
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i);
        ck_assert_str_eq(json_string_value(json_object_get(row, "formula")),
                         json_string_value(json_array_get(formulas, i)));
        for (size_t c = 0; c < 6; c++) {
            double got = jnum(json_object_get(row, cols[c]));
            double want = jnum(json_array_get(json_object_get(cs, cols[c]), i));
            int ok = c == 3 && !isnan(want) ? fabs(got - want) <= 1e-9 * rss_max
                                            : lr_test_rel_close(got, want, 1e-9);
            ck_assert_msg(ok, "%s row %zu %s: %.17g, R %.17g", id, i + 1, cols[c], got, want);
        }
    }
    json_decref(out);
    lr_test_run_free(&r);
    free_models(m, n);
    lr_test_remove_dir(dir);
}
END_TEST

/* The text layout of R's print(anova(m1, m2, m3)) (R 4.2.2, trailing blanks
 * aside: R pads the stars column to its width). */
START_TEST(test_compare_text)
{
    static const char *const expect[] = {
        "Analysis of Variance Table",
        "",
        "Model 1: mpg ~ wt",
        "Model 2: mpg ~ wt + hp",
        "Model 3: mpg ~ wt + hp + factor(cyl)",
        "  Res.Df    RSS Df Sum of Sq       F    Pr(>F)",
        "1     30 278.32",
        "2     29 195.05  1    83.274 13.9846 0.0008777 ***",
        "3     27 160.78  2    34.270  2.8776 0.0736450 .",
        "---",
        "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1",
    };
    json_t *f = json_pack("[sss]", "mpg ~ wt", "mpg ~ wt + hp", "mpg ~ wt + hp + factor(cyl)");
    char *dir = lr_test_temp_dir();
    char **m = fit_models(dir, "mtcars.csv", f, NULL);
    lr_test_run_result r;
    compare(NULL, m, 3, &r);
    ck_assert_int_eq(r.exit_code, 0);
    char *line = r.out;
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        size_t len = strlen(line);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        ck_assert_str_eq(line, expect[i]);
        line = nl + 1;
    }
    ck_assert_str_eq(line, "");
    lr_test_run_free(&r);
    /* csv and markdown carry the same rows */
    compare("--format=csv", m, 3, &r);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "model,formula,res_df,rss,df,sum_sq,f,p_value\n"
                                        "1,mpg ~ wt,30,278.32193754334"));
    lr_test_run_free(&r);
    compare("--format=markdown", m, 3, &r);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(
        strstr(r.out, "| 3 | 27 | 160.78 | 2 | 34.270 | 2.8776 | 0.0736450 | . |"));
    lr_test_run_free(&r);
    free_models(m, 3);
    json_decref(f);
    lr_test_remove_dir(dir);
}
END_TEST

/* A refusal: exit 1, stderr holding `why`, nothing on stdout. */
static void refused(const char *extra, char **m, size_t n, const char *why)
{
    lr_test_run_result r;
    compare(extra, m, n, &r);
    ck_assert_msg(r.exit_code == 1 && strstr(r.err, why) && r.out_len == 0,
                  "exit %d, stderr '%s', expected '%s'", r.exit_code, r.err, why);
    lr_test_run_free(&r);
}

START_TEST(test_compare_refusals)
{
    char *dir = lr_test_temp_dir();
    char *m[2];
    char mt[4096], aq[4096];
    snprintf(mt, sizeof mt, "%s", lr_test_path("datasets/mtcars.csv"));
    snprintf(aq, sizeof aq, "%s", lr_test_path("datasets/airquality.csv"));
    m[0] = lr_test_join(dir, "a.json");
    m[1] = lr_test_join(dir, "b.json");
    /* the same number of rows as mtcars, one value changed (in a column neither reads) */
    size_t len;
    char *text = lr_test_read_file(mt, &len);
    char *p = strstr(text, "16.46");
    ck_assert_ptr_nonnull(p);
    p[4] = '7';
    char *mt2 = lr_test_join(dir, "mtcars2.csv");
    lr_test_write_file(mt2, text, len);
    free(text);
    const char *const data[] = {mt, aq, mt2};
    /* two models (data, formula, weights) that compare refuses, and why */
    static const struct {
        int data[2];            /* the files: data[] */
        const char *formula[2]; /* the models */
        const char *weights[2]; /* their weights (NULL: none) */
        const char *why;        /* in the message */
    } cases[] = {
        /* missing values in Solar.R: 116 rows against 111 (R: "models were not
         * all fitted to the same size of dataset") */
        {{1, 1},
         {"Ozone ~ Temp", "Ozone ~ Temp + Solar.R"},
         {NULL, NULL},
         "were fitted on different rows: 116 vs 111 rows used"},
        {{0, 2},
         {"mpg ~ wt", "mpg ~ wt + hp"},
         {NULL, NULL},
         "32 rows each, but not the same ones"},
        /* not nested */
        {{0, 0},
         {"mpg ~ wt", "mpg ~ hp"},
         {NULL, NULL},
         "are not nested: term 'wt' of model 1 is not a term of model 2"},
        {{0, 0},
         {"mpg ~ wt", "mpg ~ wt:hp + hp"},
         {NULL, NULL},
         "term 'wt' of model 1 is not a term of model 2"},
        {{0, 0},
         {"mpg ~ wt", "mpg ~ wt + hp + qsec - 1"},
         {NULL, NULL},
         "term '(Intercept)' of model 1 is not a term of model 2"},
        /* other absorbed fixed effects; fixed effects against their dummies
         * (nested in column space, but not by terms: refused) */
        {{0, 0},
         {"mpg ~ wt | cyl", "mpg ~ wt + hp | gear"},
         {NULL, NULL},
         "term '| cyl' of model 1 is not a term of model 2"},
        {{0, 0},
         {"mpg ~ wt | cyl", "mpg ~ wt + hp + factor(cyl)"},
         {NULL, NULL},
         "term '| cyl' of model 1 is not a term of model 2"},
        /* another response; other weights */
        {{0, 0},
         {"mpg ~ wt", "qsec ~ wt + hp"},
         {NULL, NULL},
         "have different responses: mpg ~ wt and qsec ~ wt + hp"},
        {{0, 0},
         {"mpg ~ wt", "mpg ~ wt + hp"},
         {NULL, "qsec"},
         "were fitted with different weights"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (int k = 0; k < 2; k++)
            fit_to(data[cases[i].data[k]], cases[i].formula[k], cases[i].weights[k], m[k], NULL);
        refused(NULL, m, 2, cases[i].why);
    }
    /* a file without the fingerprint (an older linreg's): refused, or
     * compared with --force */
    fit_to(mt, "mpg ~ wt + hp", NULL, m[1], NULL);
    json_error_t je;
    json_t *j = json_load_file(m[1], 0, &je);
    ck_assert_ptr_nonnull(j);
    json_object_del(j, "rows_fingerprint");
    ck_assert_int_eq(json_dump_file(j, m[1], JSON_REAL_PRECISION(17)), 0);
    json_decref(j);
    refused(NULL, m, 2, "b.json has no rows fingerprint");
    lr_test_run_result r;
    compare("--force", m, 2, &r);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "2     29 195.05  1    83.274 12.381 0.001451 **"));
    lr_test_run_free(&r);
    /* a damaged file: lr_model_load's message, naming it */
    text = lr_test_read_file(m[0], &len);
    lr_test_write_file(m[1], text, len / 2);
    free(text);
    refused(NULL, m, 2, "b.json");
    /* usage */
    compare(NULL, m, 1, &r);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "at least two model files"));
    lr_test_run_free(&r);
    free(m[0]);
    free(m[1]);
    free(mt2);
    lr_test_remove_dir(dir);
}
END_TEST

/* The fingerprint is the same for any -t, whichever path (the fused text
 * path, the CSV reader, the first chunk's kept rows) read each row; it
 * changes with the rows used. Several 1 MiB chunks of rows, with quoted
 * cells and a text column here and there. */
START_TEST(test_fingerprint_threads_and_paths)
{
    char *dir = lr_test_temp_dir();
    lr_test_text t = {0};
    lr_test_seed(7);
    lr_test_put(&t, "y,x1,x2,g\n");
    for (int i = 0; i < 90000; i++) {
        double x1 = lr_test_urand(), x2 = lr_test_urand();
        const char *g = i % 3 ? "a" : "b";
        if (i % 20011 == 5)
            lr_test_put(&t, "%.6f,\"%.6f\",%.6f,\"%s\"\n", x1 + x2 + lr_test_urand(), x1, x2, g);
        else
            lr_test_put(&t, "%.6f,%.6f,%.6f,%s\n", x1 + x2 + lr_test_urand(), x1, x2, g);
    }
    char *data = lr_test_join(dir, "d.csv");
    lr_test_write_file(data, t.s, t.n);
    free(t.s);
    t.s = NULL;
    static const char *const forms[] = {"y ~ x1", "y ~ x1 + x2", "y ~ x1 + x2 + g"};
    static const char *const threads[] = {"1", "3"};
    char fp0[64] = "";
    for (size_t f = 0; f < 3; f++)
        for (size_t k = 0; k < 2; k++) {
            char *path = lr_test_join(dir, "m.json");
            fit_to(data, forms[f], NULL, path, threads[k]);
            json_error_t je;
            json_t *j = json_load_file(path, 0, &je);
            ck_assert_ptr_nonnull(j);
            const char *fp = json_string_value(json_object_get(j, "rows_fingerprint"));
            ck_assert_ptr_nonnull(fp);
            ck_assert_int_eq(json_integer_value(json_object_get(j, "rows_used")), 90000);
            if (!fp0[0])
                snprintf(fp0, sizeof fp0, "%s", fp);
            ck_assert_str_eq(fp, fp0);
            json_decref(j);
            free(path);
        }
    /* the same rows in two files (linreg fit A B reads them as one): the same
     * fingerprint */
    {
        char *text = lr_test_read_file(data, NULL);
        char *cut = strchr(text + t.n / 2, '\n') + 1;
        char *a = lr_test_join(dir, "a.csv"), *b = lr_test_join(dir, "b.csv");
        lr_test_write_file(a, text, (size_t)(cut - text));
        lr_test_text tb = {0};
        lr_test_put(&tb, "y,x1,x2,g\n%s", cut);
        lr_test_write_file(b, tb.s, tb.n);
        free(tb.s);
        char *path = lr_test_join(dir, "m.json");
        const char *argv[] = {"linreg", "fit", "-q", "-f", "y ~ x1", "-o", path, a, b, NULL};
        lr_test_run_result r;
        ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
        ck_assert_msg(r.exit_code == 0, "%s", r.err);
        lr_test_run_free(&r);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        ck_assert_ptr_nonnull(j);
        ck_assert_str_eq(json_string_value(json_object_get(j, "rows_fingerprint")), fp0);
        json_decref(j);
        free(path);
        free(a);
        free(b);
        free(text);
    }
    /* one row dropped (a missing x1): another fingerprint */
    char *text = lr_test_read_file(data, NULL);
    char *second = strchr(strchr(text, '\n') + 1, '\n') + 1; /* row 2 */
    char *c1 = strchr(second, ','), *c2 = strchr(c1 + 1, ',');
    memmove(c1 + 1, c2, strlen(c2) + 1); /* x1 emptied: row 2 is dropped */
    lr_test_write_file(data, text, strlen(text));
    free(text);
    char *path = lr_test_join(dir, "m.json");
    fit_to(data, "y ~ x1", NULL, path, "2");
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "rows_used")), 89999);
    ck_assert_str_ne(json_string_value(json_object_get(j, "rows_fingerprint")), fp0);
    json_decref(j);
    free(path);
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* Load the two model files ctx (char *[2]) and compare them. */
static int compare_alloc_run(void *ctx, lr_error *err)
{
    char **m = ctx;
    lr_model *mm[2] = {NULL, NULL};
    lr_compare_row rows[2];
    int rc = lr_model_load(m[0], &mm[0], err);
    if (rc == LR_OK)
        rc = lr_model_load(m[1], &mm[1], err);
    if (rc == LR_OK)
        rc = lr_model_compare((const lr_model *const *)mm, 2, 0, rows, err);
    if (rc == LR_OK) {
        ck_assert_double_eq(rows[1].df, 4); /* tension 2, wool:tension 2 */
        ck_assert(isnan(rows[0].f) && rows[1].f > 0);
    }
    lr_model_free(mm[0]);
    lr_model_free(mm[1]);
    return rc;
}

/* Every allocation of loading two models and comparing them failed in
 * turn: LR_ENOMEM and nothing leaked, until all succeed with R's numbers. */
START_TEST(test_alloc_failures_compare)
{
    json_t *f = json_pack("[ss]", "breaks ~ wool", "breaks ~ wool * tension");
    char *dir = lr_test_temp_dir();
    char **m = fit_models(dir, "warpbreaks.csv", f, NULL);
    ck_assert(lr_test_alloc_failures(compare_alloc_run, m, 2000) > 4);
    free_models(m, 2);
    json_decref(f);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    reference = lr_test_load_json("tests/data/r_compare.json");
    if (!reference)
        return 1;
    const lr_test_case tests[] = {
        {test_compare_matches_r, (int)json_array_size(json_object_get(reference, "cases")), "r"},
        LR_TEST(test_compare_text),
        {test_compare_refusals, 0, "refusals"},
        LR_TEST(test_fingerprint_threads_and_paths),
        LR_TEST(test_alloc_failures_compare),
    };
    int rc = lr_test_run_cases("compare", 0, tests, LR_TEST_COUNT(tests));
    json_decref(reference);
    return rc;
}
