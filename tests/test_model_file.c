/*
 * test_model_file.c — the model file that linreg fit --save writes and
 * linreg predict loads:
 *
 *   - damaged model files (truncated at every length, bytes changed, fields
 *     missing or of the wrong type): a clear LR_EDATA, never a crash;
 *   - every allocation of a load and a prediction made to fail in turn.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predict_fixture.h"

/* ---- damaged model files ---- */

/* Load `bytes` as a model file and predict with it if it loads: either must
 * fail with a message, or succeed. Returns the load status. */
static int try_model(const char *bytes, size_t len, const char *newdata, lr_error *err)
{
    char *path = lr_test_write_temp(bytes, len);
    lr_model *m = NULL;
    int rc = lr_model_load(path, &m, err);
    if (rc == LR_OK) {
        rows r = {0};
        lr_error e2;
        int rc2 = lr_predict_csv(m, newdata, LR_INTERVAL_PREDICTION, 0.95, collect, &r, &e2);
        ck_assert(rc2 == LR_OK || (e2.message[0] && (rc2 == LR_EDATA || rc2 == LR_ENOMEM)));
        free(r.p);
    } else {
        ck_assert_msg(rc == LR_EDATA, "status %d: %s", rc, err->message);
        ck_assert(err->message[0] != '\0');
        ck_assert(m == NULL);
    }
    lr_model_free(m);
    lr_test_remove_file(path);
    return rc;
}

START_TEST(test_truncated_model_files)
{
    size_t len;
    char *text = saved_model("iris.csv", "Sepal.Length ~ Sepal.Width + Species", &len);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/predict_iris_new.csv"));
    lr_error err;
    ck_assert_int_eq(try_model(text, len, newdata, &err), LR_OK);
    /* every proper prefix that cuts into the JSON value is an error naming the file */
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
        end--;
    for (size_t cut = 0; cut < end; cut++) {
        int rc = try_model(text, cut, newdata, &err);
        ck_assert_msg(rc == LR_EDATA, "a model file cut at %zu of %zu bytes loaded", cut, len);
    }
    ck_assert_int_eq(try_model(text, 0, newdata, &err), LR_EDATA);
    free(text);
}
END_TEST

START_TEST(test_mutated_model_files)
{
    size_t len;
    char *text = saved_model("warpbreaks.csv", "breaks ~ wool * tension", &len);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/predict_warpbreaks_new.csv"));
    char *copy = malloc(len);
    static const char subst[] = {'x', '"', '9', '-', '[', '}', ',', 'e', '\0', ' '};
    lr_error err;
    size_t loaded = 0, tried = 0;
    for (size_t i = 0; i < len; i++)
        for (size_t s = 0; s < sizeof subst; s++) {
            if (text[i] == subst[s] || (i % 3 != s % 3))
                continue;
            memcpy(copy, text, len);
            copy[i] = subst[s];
            loaded += try_model(copy, len, newdata, &err) == LR_OK;
            tried++;
        }
    /* most changes break it; some (a digit of a number, a space) do not */
    ck_assert(tried > 1000);
    ck_assert(loaded < tried);
    free(copy);
    free(text);
}
END_TEST

/* Replace the first occurrence of `from` by `to` in text. */
static char *edited(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "no '%s' in the model file", from);
    size_t n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    size_t a = (size_t)(at - text);
    memcpy(out, text, a);
    strcpy(out + a, to);
    strcat(out, at + strlen(from));
    return out;
}

START_TEST(test_model_file_fields)
{
    size_t len;
    char *text = saved_model("mtcars.csv", "mpg ~ wt + factor(cyl)", &len);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/predict_mtcars_new.csv"));
    static const struct {
        const char *from, *to, *message;
    } cases[] = {
        {"\"format\": \"linreg-model\"", "\"format\": \"other\"", "\"format\""},
        {"\"format_version\": 1", "\"format_version\": 2", "\"format_version\""},
        {"\"prediction_formula\"", "\"prediction_formulas\"", "\"prediction_formula\""},
        {"\"coefficients\"", "\"coefficient\"", "\"coefficients\""},
        {"\"xtx_inverse\"", "\"xtx\"", "\"xtx_inverse\""},
        {"\"sigma\"", "\"sigmas\"", "\"sigma\""},
        {"\"variables\"", "\"vars\"", "\"variables\""},
        {"\"estimate\"", "\"estimates\"", "\"coefficients\""},
        {"\"aliased\": false", "\"aliased\": 0", "\"coefficients\""},
        {"\"levels\": [\n    4.0", "\"levels\": [\n    \"4\"", "\"levels\""},
        {"\"factor\": true", "\"factor\": false", "variable factor(cyl)"},
        {"\"name\": \"wt\"", "\"name\": \"weight\"", "coefficient 2 is 'weight'"},
        {"\"mpg ~ wt + factor(cyl)\"", "\"mpg ~ wt + factor(cyl)\", \"formula\": 1", "duplicate"},
    };
    lr_error err;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *t = edited(text, cases[i].from, cases[i].to);
        char *path = lr_test_write_temp(t, strlen(t));
        lr_model *m = NULL;
        int rc = lr_model_load(path, &m, &err);
        if (rc == LR_OK) {
            rows r = {0};
            rc = lr_predict_csv(m, newdata, LR_INTERVAL_NONE, 0.95, collect, &r, &err);
            free(r.p);
            lr_model_free(m);
        }
        ck_assert_msg(rc == LR_EDATA, "case %zu (%s): status %d", i, cases[i].to, rc);
        ck_assert_msg(strstr(err.message, path) && strstr(err.message, cases[i].message),
                      "case %zu: message '%s' lacks '%s'", i, err.message, cases[i].message);
        lr_test_remove_file(path);
        free(t);
    }
    /* a prediction formula that names a column the saved list lacks: the
     * model file is at fault (issue 23: it was blamed on the data), and the
     * message keeps the formula's own diagnosis */
    {
        char *t =
            edited(text, "\"prediction_formula\": \"0 ~ ", "\"prediction_formula\": \"0 ~ zz + ");
        char *p = lr_test_write_temp(t, strlen(t));
        lr_model *mm = NULL;
        ck_assert_int_eq(lr_model_load(p, &mm, &err), LR_EDATA);
        char want[4096];
        snprintf(want, sizeof want,
                 "%s: not a valid linreg model file: \"prediction_formula\" does not parse over "
                 "\"predictor_columns\": formula:5: no column named 'zz'",
                 p);
        ck_assert_str_eq(err.message, want);
        ck_assert_ptr_null(mm);
        lr_test_remove_file(p);
        free(t);
    }
    /* not a model file at all */
    const char *not_json = "fit,lwr,upr\n1,2,3\n";
    char *path = lr_test_write_temp(not_json, strlen(not_json));
    lr_model *m = NULL;
    ck_assert_int_eq(lr_model_load(path, &m, &err), LR_EDATA);
    ck_assert_uint_eq(err.line, 1);
    lr_test_remove_file(path);
    ck_assert_int_eq(lr_model_load("/nonexistent/model.json", &m, &err), LR_EIO);
    ck_assert(strstr(err.message, "/nonexistent/model.json") != NULL);
    free(text);
}
END_TEST

/* ---- allocation failures while loading and predicting ---- */

/* Load the model file `model` and predict `newdata` (6 rows) with intervals. */
typedef struct predict_run {
    const char *model;   /* the saved model */
    const char *newdata; /* the new data */
} predict_run;

static int predict_alloc_run(void *ctx, lr_error *err)
{
    const predict_run *c = ctx;
    lr_model *m = NULL;
    rows r = {0};
    int rc = lr_model_load(c->model, &m, err);
    if (rc == LR_OK)
        rc = lr_predict_csv(m, c->newdata, LR_INTERVAL_PREDICTION, 0.95, collect, &r, err);
    if (rc == LR_OK)
        ck_assert_uint_eq(r.n, 6);
    free(r.p);
    lr_model_free(m);
    return rc;
}

START_TEST(test_alloc_failures_predict)
{
    size_t len;
    char *text = saved_model("iris.csv", "Sepal.Length ~ Sepal.Width * Species", &len);
    char *model = lr_test_write_temp(text, len);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/predict_iris_new.csv"));
    predict_run c = {model, newdata};
    ck_assert(lr_test_alloc_failures(predict_alloc_run, &c, 2000) > 4);
    lr_test_remove_file(model);
    free(text);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_truncated_model_files),
        LR_TEST(test_mutated_model_files),
        LR_TEST(test_model_file_fields),
        LR_TEST(test_alloc_failures_predict),
    };
    return lr_test_run_cases("model_file", 0, tests, LR_TEST_COUNT(tests));
}
