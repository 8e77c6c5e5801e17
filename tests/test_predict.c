/*
 * test_predict.c — prediction from saved models, against R
 * (tests/data/r_predict.json from tests/reference/gen_r_predict.R:
 * predict.lm; 17 digits):
 *
 *   - fit → save → load → predict, fitted values, se.fit and both interval
 *     kinds, for six models (factors, poly(), log(), weights, rank
 *     deficiency), to relative 1e-9, through every method that saves;
 *   - prediction errors: a level the fit never saw, a missing column;
 *   - the commands: linreg fit --save and linreg predict (CSV, JSON, NA
 *     rows, warnings, no partial output).
 *
 * The model file itself is test_model_file.c's; the residual diagnostics
 * and robust covariances test_diagnostics.c's.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predict_fixture.h"

/* ---- fit → save → load → predict against predict.lm ---- */

static const lr_method save_methods[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_INVERSE,
                                         LR_METHOD_CHOLESKY};

START_TEST(test_predict_matches_r)
{
    /* every case by every method */
    json_t *c = json_array_get(ref_array("predict"), (size_t)_i / LR_TEST_COUNT(save_methods));
    const char *id = json_string_value(json_object_get(c, "id"));
    lr_fit_options opt;
    lr_test_ref_options(c, &opt);
    /* the rank-deficient case needs pivoting or the Schur test: every method here has one */
    opt.method = save_methods[(size_t)_i % LR_TEST_COUNT(save_methods)];
    opt.level = num(json_object_get(c, "level"));
    opt.keep_model = 1;
    lr_fit *fit = lr_test_ref_fit(c, "datasets", &opt);
    lr_error err;
    char *model_path = temp_path();
    ck_assert_msg(lr_fit_save(fit, model_path, &err) == LR_OK, "%s: %s", id, err.message);
    lr_fit_free(fit);

    lr_model *m = NULL;
    ck_assert_msg(lr_model_load(model_path, &m, &err) == LR_OK, "%s: %s", id, err.message);
    ck_assert_int_eq(lr_model_weighted(m), opt.weights != NULL);
    lr_model_free(m);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/"));
    strncat(newdata, json_string_value(json_object_get(c, "newdata")),
            sizeof newdata - strlen(newdata) - 1);
    check_r_predictions(c, model_path, newdata);
    lr_test_remove_file(model_path);
}
END_TEST

/* ---- prediction errors and missing values ---- */

START_TEST(test_predict_errors)
{
    size_t len;
    char *text = saved_model("iris.csv", "Sepal.Length ~ log(Sepal.Width) + Species", &len);
    char *model = lr_test_write_temp(text, len);
    lr_model *m = NULL;
    lr_error err;
    ck_assert_int_eq(lr_model_load(model, &m, &err), LR_OK);

    /* an unseen level: an error naming its line and column, nothing predicted after it */
    const char *unseen = "Species,Sepal.Width\nsetosa,3\nvirginica,3.1\nmaritima,3\n";
    char *data = lr_test_write_temp(unseen, strlen(unseen));
    rows r = {0};
    ck_assert_int_eq(lr_predict_csv(m, data, LR_INTERVAL_NONE, 0.95, collect, &r, &err), LR_EDATA);
    ck_assert_uint_eq(err.line, 4);
    ck_assert_msg(strstr(err.message, "maritima") != NULL, "%s", err.message);
    ck_assert_uint_le(r.n, 2);
    lr_test_remove_file(data);

    /* a missing predictor column names it */
    const char *nocol = "Species,Petal.Width\nsetosa,3\n";
    data = lr_test_write_temp(nocol, strlen(nocol));
    r.n = 0;
    ck_assert_int_eq(lr_predict_csv(m, data, LR_INTERVAL_NONE, 0.95, collect, &r, &err), LR_EDATA);
    ck_assert_msg(strstr(err.message, "no column named 'Sepal.Width'") != NULL, "%s", err.message);
    lr_test_remove_file(data);

    /* missing values give NA rows (the response need not be there) */
    /* (in a text column only NA is missing: an empty cell is the level "",
     * as in R's read.csv) */
    const char *na = "Sepal.Width,Species,Sepal.Length\n3,setosa,NA\nNA,setosa,1\n3,NA,1\n";
    data = lr_test_write_temp(na, strlen(na));
    r.n = 0;
    ck_assert_int_eq(lr_predict_csv(m, data, LR_INTERVAL_CONFIDENCE, 0.9, collect, &r, &err),
                     LR_OK);
    ck_assert_uint_eq(r.n, 3);
    ck_assert(r.p[0].ok && isfinite(r.p[0].fit) && r.p[0].lwr < r.p[0].fit);
    for (size_t i = 1; i < 3; i++) {
        ck_assert(!r.p[i].ok);
        ck_assert(isnan(r.p[i].fit) && isnan(r.p[i].se_fit) && isnan(r.p[i].lwr));
    }
    lr_test_remove_file(data);

    /* a value outside log's domain makes its row NA with the reason, naming
     * the cell, and the rows go on (R's predict gives NaN with a warning) */
    const char *dom = "Sepal.Width,Species\n3,setosa\n-1,setosa\n3,setosa\n";
    data = lr_test_write_temp(dom, strlen(dom));
    r.n = 0;
    ck_assert_int_eq(lr_predict_csv(m, data, LR_INTERVAL_NONE, 0.95, collect, &r, &err), LR_OK);
    ck_assert_uint_eq(r.n, 3);
    ck_assert(r.p[0].ok && r.p[2].ok && r.p[0].fit == r.p[2].fit && r.p[0].note == NULL);
    ck_assert(!r.p[1].ok && isnan(r.p[1].fit) && r.p[1].note != NULL);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_msg(strstr(err.message, "log(Sepal.Width)") != NULL, "%s", err.message);
    lr_test_remove_file(data);

    ck_assert_int_eq(
        lr_predict_csv(m, data_path("iris.csv"), LR_INTERVAL_NONE, 1.5, collect, &r, &err),
        LR_EUSAGE);
    free(r.p);
    lr_model_free(m);
    lr_test_remove_file(model);
    free(text);
}
END_TEST

/* ---- the commands ---- */

/* x'(X'X)^-1 x summed in double cancels for columns near 1e6 that differ by
 * 1e-7 (condition number about 1e7): se.fit was printed as 322.8 where R's
 * is 0.0256, or NA without a reason. The model now keeps a factor T of the
 * centred cross products (model_se_factor.c) and se.fit is σ √(1/n +
 * ‖T⁻ᵀ(x − μ)‖²). Checked on the fit's own rows, where (se.fit / σ)² is the
 * leverage h_ii, and Σ h_ii = p exactly (the hat matrix's trace); the sum of
 * the old cancelling forms was 10⁴ times off. A model file without the
 * factor (written before it) still gives NA with the reason under qr. The
 * factor from both kernels. */
START_TEST(test_predict_se_cancels)
{
    lr_test_seed(16);
    size_t n = 2000, cap = n * 200, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "y,x1,x2,x3,x4,x5\n");
    for (size_t i = 0; i < n; i++) {
        double t = lr_test_urand() - 0.5, x[5], y = 0;
        for (size_t j = 0; j < 5; j++) {
            x[j] = 1e6 + t + 1e-7 * (double)(j + 1) * (lr_test_urand() - 0.5);
            y += (0.5 + 0.1 * (double)j) * x[j];
        }
        len += (size_t)snprintf(csv + len, cap - len, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
                                y + lr_test_urand() - 0.5, x[0], x[1], x[2], x[3], x[4]);
    }
    char *data = lr_test_write_temp(csv, len), *model = temp_path();
    const lr_method ms[] = {LR_METHOD_QR, LR_METHOD_INVERSE};
    for (size_t k = 0; k < 2; k++) {
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = "y ~ .";
        opt.method = ms[k];
        opt.keep_model = 1;
        lr_fit *fit = lr_test_fit_path(data, &opt);
        double sigma = lr_fit_summary(fit)->sigma;
        size_t p = lr_fit_summary(fit)->rank;
        lr_error err;
        ck_assert_int_eq(lr_fit_save(fit, model, &err), LR_OK);
        for (int old = 0; old < (ms[k] == LR_METHOD_QR ? 2 : 1); old++) {
            if (old) { /* the same file as an older linreg wrote it */
                json_t *root = json_load_file(model, 0, NULL);
                ck_assert(root && json_object_del(root, "se_factor") == 0);
                ck_assert_int_eq(json_dump_file(root, model, JSON_REAL_PRECISION(17)), 0);
                json_decref(root);
            }
            lr_model *m = NULL;
            ck_assert_int_eq(lr_model_load(model, &m, &err), LR_OK);
            rows r = {0};
            ck_assert_int_eq(
                lr_predict_csv(m, data, LR_INTERVAL_CONFIDENCE, 0.95, collect, &r, &err), LR_OK);
            ck_assert_uint_eq(r.n, n);
            double trace = 0;
            for (size_t i = 0; i < n; i++) {
                ck_assert(r.p[i].ok && isfinite(r.p[i].fit));
                if (old) {
                    ck_assert_msg(isnan(r.p[i].se_fit) && isnan(r.p[i].lwr) && isnan(r.p[i].upr),
                                  "%s, row %zu: se.fit %g", lr_method_name(ms[k]), i,
                                  r.p[i].se_fit);
                    ck_assert(r.p[i].note && strstr(r.p[i].note, "no certain digit"));
                } else {
                    double h = (r.p[i].se_fit / sigma) * (r.p[i].se_fit / sigma);
                    ck_assert_msg(h >= 1.0 / (double)n * (1 - 1e-9) && h <= 1, "row %zu: h %g", i,
                                  h);
                    ck_assert(!r.p[i].note && r.p[i].lwr < r.p[i].fit && r.p[i].fit < r.p[i].upr);
                    trace += h;
                }
            }
            if (!old)
                ck_assert_msg(fabs(trace - (double)p) < 1e-6 * (double)p,
                              "%s: the leverages sum to %.10g, not %zu", lr_method_name(ms[k]),
                              trace, p);
            free(r.p);
            lr_model_free(m);
        }
        lr_fit_free(fit);
    }
    lr_test_remove_file(data);
    lr_test_remove_file(model);
    free(csv);
}
END_TEST

START_TEST(test_cli_save_and_predict)
{
    char *model = temp_path();
    const char *fit_argv[] = {"linreg", "fit", "-f",  "dist ~ speed",        "--format",
                              "json",   "-o",  model, data_path("cars.csv"), NULL};
    lr_test_run_result r = run(fit_argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);

    /* CSV: the header and one row per data row, R's numbers */
    json_t *c = json_array_get(ref_array("predict"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "id")), "cars_pred");
    const char *newdata = lr_test_path("tests/data/predict_cars_new.csv");
    char nd[4096];
    snprintf(nd, sizeof nd, "%s", newdata);
    const char *pred_argv[] = {"linreg",     "predict",    "-m", model,
                               "--interval", "prediction", nd,   NULL};
    r = run(pred_argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_uint_eq(r.err_len, 0);
    ck_assert(!strncmp(r.out, "fit,lwr,upr\n", 12));
    json_t *pi = json_object_get(c, "prediction");
    char *line = strchr(r.out, '\n') + 1;
    for (size_t i = 0; i < json_array_size(json_object_get(pi, "fit")); i++) {
        double f, lo, hi;
        ck_assert_int_eq(sscanf(line, "%lf,%lf,%lf", &f, &lo, &hi), 3);
        LR_CK_REL(f, num(json_array_get(json_object_get(pi, "fit"), i)), RTOL);
        LR_CK_REL(lo, num(json_array_get(json_object_get(pi, "lwr"), i)), RTOL);
        LR_CK_REL(hi, num(json_array_get(json_object_get(pi, "upr"), i)), RTOL);
        line = strchr(line, '\n') + 1;
    }
    ck_assert_str_eq(line, "");
    lr_test_run_free(&r);

    /* JSON from standard input, a row with a missing predictor as null */
    const char *in = "speed,dist\n10,1\nNA,2\n";
    const char *json_argv[] = {"linreg", "predict",    "-m",         model, "--format",
                               "json",   "--interval", "confidence", "-",   NULL};
    r = run(json_argv, in);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *o = lr_test_out_json(&r);
    json_t *preds = json_object_get(o, "predictions");
    ck_assert_uint_eq(json_array_size(preds), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(preds, 0), "line")), 2);
    LR_CK_REL(json_number_value(json_object_get(json_array_get(preds, 0), "fit")),
              num(json_array_get(json_object_get(c, "fit"), 6)), RTOL);
    ck_assert(json_is_null(json_object_get(json_array_get(preds, 1), "fit")));
    ck_assert(json_is_null(json_object_get(json_array_get(preds, 1), "lwr")));
    json_decref(o);
    lr_test_run_free(&r);

    /* an error part-way: exit 1, the line named, nothing on stdout */
    const char *bad = "speed\n10\n11\nfast\n";
    const char *bad_argv[] = {"linreg", "predict", "-m", model, "-", NULL};
    r = run(bad_argv, bad);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_uint_eq(r.out_len, 0);
    ck_assert_msg(strstr(r.err, "<stdin>:4:") != NULL, "%s", r.err);
    lr_test_run_free(&r);

    /* usage errors */
    const char *no_model[] = {"linreg", "predict", nd, NULL};
    r = run(no_model, NULL);
    ck_assert_int_eq(r.exit_code, 2);
    lr_test_run_free(&r);
    const char *bad_level[] = {"linreg", "predict", "-m", model, "--level", "95", nd, NULL};
    r = run(bad_level, NULL);
    ck_assert_int_eq(r.exit_code, 2);
    lr_test_run_free(&r);
    /* a data file given as the model */
    const char *not_model[] = {"linreg", "predict", "-m", nd, nd, NULL};
    r = run(not_model, NULL);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_msg(strstr(r.err, "not a valid linreg model file") != NULL, "%s", r.err);
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
    lr_test_remove_file(model);
}
END_TEST

/* R's warnings: rank-deficient fits, and prediction intervals of weighted fits. */
START_TEST(test_cli_predict_warnings)
{
    char *model = temp_path();
    char nd[4096];
    const char *fit_argv[] = {"linreg", "fit", "-f",  "breaks ~ wool:tension",     "--format",
                              "json",   "-o",  model, data_path("warpbreaks.csv"), NULL};
    lr_test_run_result r = run(fit_argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    snprintf(nd, sizeof nd, "%s", lr_test_path("tests/data/predict_warpbreaks_new.csv"));
    const char *pred_argv[] = {"linreg", "predict", "-m", model, nd, NULL};
    r = run(pred_argv, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(strstr(r.err, "prediction from a rank-deficient fit may be misleading"), "%s",
                  r.err);
    lr_test_run_free(&r);

    const char *wfit_argv[] = {
        "linreg", "fit", "-f",  "mpg ~ wt + hp",         "-w", "qsec", "--format",
        "json",   "-o",  model, data_path("mtcars.csv"), NULL};
    r = run(wfit_argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    snprintf(nd, sizeof nd, "%s", lr_test_path("tests/data/predict_mtcars_new.csv"));
    const char *wpred_argv[] = {"linreg",     "predict",    "-m", model,
                                "--interval", "prediction", nd,   NULL};
    r = run(wpred_argv, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(strstr(r.err, "assuming constant prediction variance"), "%s", r.err);
    lr_test_run_free(&r);
    const char *quiet_argv[] = {"linreg",     "predict",    "-q", "-m", model,
                                "--interval", "prediction", nd,   NULL};
    r = run(quiet_argv, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_uint_eq(r.err_len, 0);
    lr_test_run_free(&r);
    lr_test_remove_file(model);
}
END_TEST

int main(void)
{
    if (predict_reference_load())
        return 1;
    const lr_test_case tests[] = {
        {test_predict_matches_r,
         (int)(LR_TEST_COUNT(save_methods) *
               json_array_size(json_object_get(reference, "predict"))),
         "r"},
        LR_TEST(test_predict_errors),
        LR_TEST(test_predict_se_cancels),
        {test_cli_save_and_predict, 0, "cli"},
        LR_TEST(test_cli_predict_warnings),
    };
    int rc = lr_test_run_cases("predict", 0, tests, LR_TEST_COUNT(tests));
    predict_reference_free();
    return rc;
}
