/*
 * test_basis.c — data-dependent bases in formulas against R
 * (tests/data/r_basis.json from tests/reference/gen_r_basis.R): orthogonal
 * poly(), scale(), and the splines package's ns() and bs(), alone, weighted,
 * with factors and interactions, after rows dropped for missing values:
 *
 *   - every coefficient (estimate, SE, t, p, interval) and the summary's
 *     statistics, by each method that saves, to relative 1e-9;
 *   - fit → save → load → predict on new data inside, at and beyond the
 *     fitted range (poly's alpha/norm2, scale's centre/scale, the splines'
 *     knots stored in the model file, as R's makepredictcall), fit, se.fit
 *     and both intervals to 1e-9;
 *   - the same fit from standard input (the second pass reads the spool) and
 *     from a file many chunks long on two threads;
 *   - model files whose stored basis is missing or damaged, and data that
 *     cannot make a basis: clear LR_EDATA errors.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predict_fixture.h"
#include "test_util.h"

static json_t *basis_ref;

static const lr_method methods[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_INVERSE,
                                    LR_METHOD_CHOLESKY};
#define NMETHODS (sizeof methods / sizeof *methods)

static lr_fit *fit_ref(json_t *c, lr_method method)
{
    lr_fit_options opt;
    lr_test_ref_options(c, &opt);
    opt.method = method;
    opt.keep_model = 1;
    return lr_test_ref_fit(c, "datasets", &opt);
}

static void check_summary(json_t *c, const lr_fit *fit)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    json_t *coefs = json_object_get(c, "coefficients");
    ck_assert_msg(lr_fit_ncoef(fit) == json_array_size(coefs), "%s: %zu coefficients, R has %zu",
                  id, lr_fit_ncoef(fit), json_array_size(coefs));
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++) {
        const lr_coef *cf = lr_fit_coef(fit, j);
        json_t *r = json_array_get(coefs, j);
        check_coef_case(r, cf, id, j);
    }
    const lr_summary *s = lr_fit_summary(fit);
    ck_assert_msg(s->n == (uint64_t)json_integer_value(json_object_get(c, "n")), "%s: n %llu", id,
                  (unsigned long long)s->n);
    ck_assert_int_eq((long long)s->rank, json_integer_value(json_object_get(c, "rank")));
    check_case(s->df_residual, ref_key(c, "df_residual"), 0, id, "df_residual", 0);
    check_case(s->sigma, ref_key(c, "sigma"), 0, id, "sigma", 0);
    check_case(s->r_squared, ref_key(c, "r_squared"), 0, id, "r_squared", 0);
    check_case(s->adj_r_squared, ref_key(c, "adj_r_squared"), 0, id, "adj_r_squared", 0);
    check_case(s->f_statistic, ref_key(c, "f_statistic"), 0, id, "f_statistic", 0);
    check_case(s->f_p, ref_key(c, "f_p"), 0, id, "f_p", 0);
    check_case(s->rss, ref_key(c, "rss"), 0, id, "rss", 0);
}

/* Predictions from the saved model against R's; R warns when a bs() x lies
 * beyond the boundary knots, and linreg flags those rows. */
static void check_predictions(json_t *c, const char *model_path)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/%s", json_string_value(json_object_get(c, "newdata")));
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path(rel));
    const char *note = json_string_value(json_object_get(c, "note"));
    int beyond = note && strstr(note, "beyond boundary knots");
    int any = check_r_predictions(c, model_path, newdata);
    ck_assert_msg(any == (beyond != 0), "%s: beyond the knots %d, R's warning %d",
                  json_string_value(json_object_get(c, "id")), any, beyond != 0);
}

/* Every fit by every method that saves, then its predictions. */
START_TEST(test_r_basis)
{
    json_t *fits = json_object_get(basis_ref, "fits");
    json_t *c = json_array_get(fits, (size_t)_i / NMETHODS);
    lr_fit *fit = fit_ref(c, methods[(size_t)_i % NMETHODS]);
    check_summary(c, fit);
    char *model_path = temp_path();
    lr_error err;
    ck_assert_msg(lr_fit_save(fit, model_path, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    check_predictions(c, model_path);
    lr_test_remove_file(model_path);
}
END_TEST

/* From standard input the second pass reads the spooled copy: the same text. */
START_TEST(test_basis_stdin)
{
    size_t len;
    char *data = lr_test_read_file(lr_test_path("datasets/airquality.csv"), &len);
    const char *formula = "Ozone ~ poly(Temp, 2) + ns(Wind, df = 3) + scale(Solar.R)";
    const char *argv[] = {"linreg", "fit", "-f", formula, lr_test_path("datasets/airquality.csv"),
                          NULL};
    /* the data line names the input; the rest must be identical */
    char *out = lr_test_same_stdin(argv, 4, data, len, "Coefficients:");
    ck_assert_ptr_nonnull(strstr(out, "poly(Temp, 2)1"));
    free(out);
    free(data);
}
END_TEST

/* Many chunks on two threads: the bases see every row in file order, so
 * poly(x, 3) spans what raw powers span (the same fit), and scale(x)'s
 * slope is the raw slope times sd(x). */
START_TEST(test_basis_chunks)
{
    lr_test_text t = {0};
    lr_test_seed(14);
    lr_test_put(&t, "x,y\n");
    double sx = 0, sxx = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = 10 * lr_test_urand();
        double y = 1 + 0.5 * x - 0.2 * x * x + 0.01 * x * x * x + lr_test_urand();
        lr_test_put(&t, "%.17g,%.17g\n", x, y);
        sx += x;
        sxx += x * x;
    }
    char *path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    static const char *const formulas[] = {"y ~ poly(x, 3)", "y ~ poly(x, 3, raw = TRUE)",
                                           "y ~ scale(x)", "y ~ x"};
    lr_fit *fit[4];
    for (int k = 0; k < 4; k++) {
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = formulas[k];
        opt.threads = 2;
        fit[k] = lr_test_fit_path(path, &opt);
    }
    const lr_summary *a = lr_fit_summary(fit[0]), *b = lr_fit_summary(fit[1]);
    ck_assert_uint_eq(a->n, (uint64_t)n);
    check_case(a->sigma, b->sigma, 0, "chunks", "sigma", 0);
    check_case(a->r_squared, b->r_squared, 0, "chunks", "r_squared", 0);
    /* orthonormal columns: the intercept is the mean of y, and the coefficients'
     * standard errors are all sigma */
    for (size_t j = 1; j < 4; j++)
        check_case(lr_fit_coef(fit[0], j)->std_error, a->sigma, 0, "chunks", "se", j);
    double sd = sqrt((sxx - sx * sx / n) / (n - 1));
    check_case(lr_fit_coef(fit[2], 1)->estimate, lr_fit_coef(fit[3], 1)->estimate * sd, 0, "chunks",
               "scale slope", 0);
    for (int k = 0; k < 4; k++)
        lr_fit_free(fit[k]);
    lr_test_remove_file(path);
}
END_TEST

/* linreg predict says R's warning for new x beyond a bs() basis' knots, and
 * not for ns(), which is linear there by construction. */
START_TEST(test_basis_predict_warning)
{
    static const char *const formulas[] = {"dist ~ bs(speed, df = 5)", "dist ~ ns(speed, df = 5)"};
    for (int k = 0; k < 2; k++) {
        char *model = temp_path();
        const char *fit_argv[] = {
            "linreg", "fit", "-f", formulas[k], "-o", model, lr_test_path("datasets/cars.csv"),
            NULL};
        lr_test_run_result a, b;
        ck_assert_int_eq(lr_test_run(fit_argv, NULL, 0, &a), 0);
        ck_assert_msg(a.exit_code == 0, "%s", a.err);
        const char *pred_argv[] = {
            "linreg", "predict", "-m", model, lr_test_path("tests/data/basis_cars_new.csv"), NULL};
        ck_assert_int_eq(lr_test_run(pred_argv, NULL, 0, &b), 0);
        ck_assert_msg(b.exit_code == 0, "%s", b.err);
        const char *w = strstr(b.err, "warning: some 'x' values beyond boundary knots may cause "
                                      "ill-conditioned bases (bs(), 2 rows)");
        ck_assert_msg(k == 0 ? w != NULL : w == NULL, "%s: %s", formulas[k], b.err);
        lr_test_run_free(&a);
        lr_test_run_free(&b);
        lr_test_remove_file(model);
    }
}
END_TEST

/* A saved basis missing or damaged: the model file is refused, naming it. */
START_TEST(test_basis_model_damaged)
{
    json_t *c = json_array_get(json_object_get(basis_ref, "fits"), 5); /* cars_ns3 */
    ck_assert_str_eq(json_string_value(json_object_get(c, "id")), "cars_ns3");
    lr_fit *fit = fit_ref(c, LR_METHOD_AUTO);
    char *path = temp_path();
    lr_error err;
    ck_assert_int_eq(lr_fit_save(fit, path, &err), LR_OK);
    lr_fit_free(fit);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(root);
    static const char *const damage[] = {"drop", "kind", "knots", "boundary", "reversed", "degree"};
    for (size_t d = 0; d < sizeof damage / sizeof *damage; d++) {
        json_t *copy = json_deep_copy(root);
        json_t *var = json_array_get(json_object_get(copy, "variables"), 0);
        json_t *basis = json_object_get(var, "basis");
        ck_assert_ptr_nonnull(basis);
        if (d == 0)
            json_object_del(var, "basis");
        else if (d == 1)
            json_object_set_new(basis, "kind", json_string("bs"));
        else if (d == 2)
            json_array_append_new(json_object_get(basis, "knots"), json_real(20));
        else if (d == 3)
            json_object_set_new(basis, "boundary_knots", json_pack("[f]", 4.0));
        else if (d == 4)
            json_object_set_new(basis, "boundary_knots", json_pack("[f, f]", 25.0, 4.0));
        else
            json_object_set_new(basis, "degree", json_integer(2));
        char *bad = temp_path();
        ck_assert_int_eq(json_dump_file(copy, bad, 0), 0);
        lr_model *m = NULL;
        int rc = lr_model_load(bad, &m, &err);
        ck_assert_msg(rc == LR_EDATA, "%s: rc %d", damage[d], rc);
        ck_assert_msg(strstr(err.message, "\"basis\" of variable ns(speed, df = 3)"), "%s: %s",
                      damage[d], err.message);
        ck_assert_ptr_null(m);
        json_decref(copy);
        lr_test_remove_file(bad);
    }
    json_decref(root);
    lr_test_remove_file(path);
}
END_TEST

/* Data that cannot make the basis (R's poly() stops; scale() would divide by
 * zero; a spline of a constant has no boundary knots). */
START_TEST(test_basis_data_errors)
{
    static const struct {
        const char *data, *formula, *message;
    } cases[] = {
        {"x,y\n1,1\n2,2\n3,1\n", "y ~ poly(x, 3)",
         "poly(x, 3): the degree must be less than "
         "the number of distinct values (3)"},
        {"x,y\n1,1\n1,2\n1,1\n", "y ~ scale(x)", "scale(x): the column is constant"},
        {"x,y\n2,1\n2,2\n2,1\n", "y ~ ns(x, df = 2)", "ns(x, df = 2): the boundary knots"},
        {"x,y\nNA,1\nNA,2\n", "y ~ bs(x)", "no complete rows"},
        {"x,y\n1,1\nNA,2\n3,1\n4,2\n", "y ~ poly(x, 2)",
         "poly(x, 2): missing values are not allowed in poly()"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lr_fit *fit;
        lr_error err;
        int rc = lr_test_fit_text(cases[i].data, cases[i].formula, &fit, &err);
        ck_assert_msg(rc == LR_EDATA, "%s: rc %d", cases[i].formula, rc);
        ck_assert_msg(strstr(err.message, cases[i].message), "%s: %s", cases[i].formula,
                      err.message);
        ck_assert_ptr_null(fit);
    }
}
END_TEST

int main(void)
{
    basis_ref = lr_test_load_json("tests/data/r_basis.json");
    if (!basis_ref)
        return 1;
    size_t nfits = json_array_size(json_object_get(basis_ref, "fits"));
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_r_basis, (int)(nfits * NMETHODS)),
        LR_TEST(test_basis_stdin),
        LR_TEST(test_basis_chunks),
        LR_TEST(test_basis_predict_warning),
        LR_TEST(test_basis_model_damaged),
        LR_TEST(test_basis_data_errors),
    };
    int rc = lr_test_run_cases("basis", 120, tests, LR_TEST_COUNT(tests));
    json_decref(basis_ref);
    return rc;
}
