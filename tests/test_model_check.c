/*
 * test_model_check.c — a model file edited or damaged is refused at load with
 * the field named (model_check.c); the files lr_fit_save writes (least
 * squares, weights with zero weights, ridge, aliased coefficients, no
 * residual degrees of freedom) still load.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* A fit of `formula` on `file` (a path under the source tree) saved as JSON. */
static json_t *saved(const char *file, const char *formula, const char *weights, double ridge)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    opt.weights = weights;
    opt.ridge = ridge;
    opt.keep_model = 1;
    lr_fit *fit = lr_test_fit_path(lr_test_path(file), &opt);
    char *path = lr_test_write_temp("", 0);
    lr_error err;
    ck_assert_msg(lr_fit_save(fit, path, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(root);
    lr_test_remove_file(path);
    return root;
}

/* Load root written to a file: the status, and the message in err. */
static int load(json_t *root, char **path_out, lr_error *err)
{
    char *path = lr_test_write_temp("", 0);
    ck_assert_int_eq(json_dump_file(root, path, 0), 0);
    lr_model *m = NULL;
    int rc = lr_model_load(path, &m, err);
    lr_model_free(m);
    if (path_out)
        *path_out = path;
    else {
        lr_test_remove_file(path);
    }
    return rc;
}

START_TEST(test_saved_models_load)
{
    static const struct {
        const char *file, *formula, *weights;
        double ridge;
    } fits[] = {
        {"datasets/mtcars.csv", "mpg ~ wt + factor(cyl) + I(hp^2)", NULL, 0},
        {"datasets/mtcars.csv", "mpg ~ wt + hp", NULL, 2},
        {"datasets/mtcars.csv", "log(mpg) ~ .", NULL, 0},
        {"datasets/mtcars.csv", "mpg ~ wt + I(2*wt)", "hp", 0},
        {"datasets/warpbreaks.csv", "breaks ~ 0 + wool * tension", NULL, 0},
        {"datasets/malformed/n_equals_p.csv", "y ~ x1 + x2", NULL, 0},
    };
    for (size_t i = 0; i < sizeof fits / sizeof *fits; i++) {
        json_t *root = saved(fits[i].file, fits[i].formula, fits[i].weights, fits[i].ridge);
        lr_error err;
        ck_assert_msg(load(root, NULL, &err) == LR_OK, "fit %zu: %s", i, err.message);
        json_decref(root);
    }
}
END_TEST

/* One edit of a saved model: the key set to the JSON text `value` (NULL:
 * removed), and the message that must follow the file's name. */
typedef struct tamper {
    const char *key;     /* a top-level key, or "statistics.mean", "variables.0.label" */
    const char *value;   /* JSON text, or NULL to remove the key */
    const char *message; /* after "PATH: not a valid linreg model file: " */
} tamper;

static json_t **slot_parent(json_t *root, const char *key, const char **leaf)
{
    static json_t *parent;
    parent = root;
    *leaf = key;
    if (!strcmp(key, "statistics.mean")) {
        parent = json_object_get(root, "statistics");
        *leaf = "mean";
    } else if (!strcmp(key, "variables.0.label")) {
        parent = json_array_get(json_object_get(root, "variables"), 0);
        *leaf = "label";
    }
    return &parent;
}

#define SIGMA_BAD                                                                                  \
    "\"sigma\" is not a finite number >= 0 (null only with no residual degrees of freedom)"
#define DF_BAD "\"df_residual\" is not n - rank (least squares) or between n - rank and n (ridge)"

START_TEST(test_tampered_models)
{
    static const tamper cases[] = {
        {"sigma", "-1", SIGMA_BAD},
        {"sigma", "null", SIGMA_BAD},
        {"sigma", "\"2\"", "\"sigma\" or \"df_residual\" is missing or not a number"},
        {"df_residual", "-3", "\"df_residual\" is not a number >= 0"},
        {"df_residual", "1e300", DF_BAD},
        {"df_residual", "26", DF_BAD},
        {"df_residual", "26.5", DF_BAD},
        {"rank", "99", "\"rank\" is larger than the number of coefficients"},
        {"rank", "-1", "\"rank\" is not a whole number >= 0"},
        {"rank", "4", "\"rank\" is not the number of coefficients that are not aliased"},
        {"rank", "5.5", "\"rank\" is not a whole number >= 0"},
        {"rank", NULL, "\"rank\" is not a whole number >= 0"},
        {"n", "3", "\"n\" is smaller than the rank"},
        {"n", "1e300", "\"n\" is not a whole number >= 0"},
        {"formula", "\"mpg ~ wt + factor(cyl) + I(hp^2\"",
         "\"formula\" does not parse over \"predictor_columns\": formula:32: expected ')' to "
         "close I( at 27"},
        {"formula", "\"mpg ~ wt + I(hp^2)\"",
         "\"formula\" does not have the variables of \"variables\""},
        {"formula", "\"mpg\"", "\"formula\" is not a model formula (no '~')"},
        {"prediction_formula", "\"0 ~ wt + factor(cyl) + I(hp^2) - wt - factor(cyl) - + \"",
         "\"prediction_formula\" does not parse over \"predictor_columns\": formula:53: "
         "unexpected '+'"},
        {"prediction_formula", "\"0 ~ wt + factor(cyl) + I(hp^3)\"",
         "\"prediction_formula\" does not have the variables of \"variables\""},
        {"predictor_columns", "[\"cyl\", 1]",
         "\"predictor_columns\" is not an array of column names"},
        {"predictor_columns", "[\"cyl\", \"wt\"]",
         "\"prediction_formula\" does not parse over \"predictor_columns\": formula:26: no "
         "column named 'hp'"},
        {"categorical_columns", "{}", "\"categorical_columns\" is not an array of column names"},
        {"statistics.mean", "[1, 2]",
         "\"statistics\" has a \"mean\" or triangle not of \"columns\" entries"},
        {"variables.0.label", "3", "\"variables\" has an entry without a label or \"factor\""},
        /* the factor for se.fit: a row for each of wt, cyl6, cyl8, I(hp^2) */
        {"se_factor", "{\"mean\": [1], \"upper_triangle_by_column\": [[1]]}",
         "\"se_factor\" does not have a mean and a triangle row for each coefficient not "
         "aliased"},
        {"se_factor",
         "{\"mean\": [0, 0, 0, 0], \"upper_triangle_by_column\": [[1], [0, 1], [0, 0, 1], [0, 1]]}",
         "\"se_factor\" has a mean or a triangle row of the wrong shape"},
        {"se_factor",
         "{\"mean\": [0, 0, 0, 0], \"upper_triangle_by_column\": [[1], [0, 1], [0, 0, 0], [0, 0, "
         "0, 1]]}",
         "\"se_factor\" has a zero on its diagonal"},
    };
    json_t *base = saved("datasets/mtcars.csv", "mpg ~ wt + factor(cyl) + I(hp^2)", NULL, 0);
    lr_error err;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *root = json_deep_copy(base);
        const char *leaf;
        json_t *parent = *slot_parent(root, cases[i].key, &leaf);
        if (cases[i].value) {
            json_error_t je;
            json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, &je);
            ck_assert_ptr_nonnull(v);
            ck_assert_int_eq(json_object_set_new(parent, leaf, v), 0);
        } else {
            ck_assert_int_eq(json_object_del(parent, leaf), 0);
        }
        char *path;
        int rc = load(root, &path, &err);
        char want[1024];
        snprintf(want, sizeof want, "%s: not a valid linreg model file: %s", path,
                 cases[i].message);
        ck_assert_msg(rc == LR_EDATA, "case %zu (%s = %s): loaded", i, cases[i].key,
                      cases[i].value ? cases[i].value : "removed");
        ck_assert_msg(!strcmp(err.message, want), "case %zu: '%s', not '%s'", i, err.message, want);
        /* the command: exit 1, the same message, nothing on stdout */
        if (i == 0) {
            const char *argv[] = {
                "linreg", "predict", "-m", path, lr_test_path("datasets/mtcars.csv"), NULL};
            lr_test_run_result r;
            ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
            ck_assert_int_eq(r.exit_code, 1);
            char line[1100];
            snprintf(line, sizeof line, "linreg: %s\n", want);
            ck_assert_str_eq(r.err, line);
            ck_assert_uint_eq(r.out_len, 0);
            lr_test_run_free(&r);
        }
        lr_test_remove_file(path);
        json_decref(root);
    }
    json_decref(base);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_saved_models_load),
        LR_TEST(test_tampered_models),
    };
    return lr_test_run_cases("model_check", 0, tests, LR_TEST_COUNT(tests));
}
