/*
 * test_contrasts.c — coded factors in formulas against R
 * (tests/data/r_contrasts.json from tests/reference/gen_r_contrasts.R):
 * C(g, contr) with sum, Helmert and treatment contrasts (alone, with other
 * terms, in interactions, weighted, without an intercept), interaction(a, b)
 * as one factor, and ns()/bs() with intercept = TRUE:
 *
 *   - every coefficient's name as R prints it, the aliased ones R reports NA,
 *     estimate, SE, t, p and interval, the summary's statistics and the
 *     anova(lm) rows, by each method that saves, to relative 1e-9;
 *   - fit → save → load → predict on new data, fit, se.fit and both
 *     intervals to 1e-9;
 *   - the same fit from standard input (the second pass reads the spool),
 *     and from a file many chunks long on two threads (sum and Helmert
 *     intercepts are the mean of the treatment fit's level means);
 *   - a level the fit did not see is refused in prediction, naming it, as
 *     for any factor; what stays unsupported is refused with a clear error.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predict_fixture.h"
#include "test_util.h"

static json_t *ref;

static const lr_method methods[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_INVERSE,
                                    LR_METHOD_CHOLESKY};
#define NMETHODS (sizeof methods / sizeof *methods)

static lr_fit *fit_case(json_t *c, lr_method method)
{
    lr_fit_options opt;
    lr_test_ref_options(c, &opt);
    opt.method = method;
    opt.keep_model = 1;
    opt.anova = 1;
    return lr_test_ref_fit(c, "tests/data", &opt);
}

/* R's coef(summary(fit)) lists the estimable coefficients; the NA ones are
 * named in "aliased", in order. */
static void check_coefficients(json_t *c, const lr_fit *fit)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    json_t *coefs = json_object_get(c, "coefficients"), *aliased = json_object_get(c, "aliased");
    size_t e = 0, a = 0;
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++) {
        const lr_coef *cf = lr_fit_coef(fit, j);
        if (cf->aliased) {
            json_t *nm = json_array_get(aliased, a++);
            ck_assert_msg(nm && !strcmp(cf->name, json_string_value(nm)),
                          "%s: '%s' aliased, R's NA is '%s'", id, cf->name,
                          nm ? json_string_value(nm) : "(none)");
            continue;
        }
        json_t *r = json_array_get(coefs, e++);
        ck_assert_msg(r != NULL, "%s: coefficient '%s' beyond R's", id, cf->name);
        check_coef_case(r, cf, id, j);
    }
    ck_assert_msg(e == json_array_size(coefs) && a == json_array_size(aliased),
                  "%s: %zu estimable and %zu aliased, R has %zu and %zu", id, e, a,
                  json_array_size(coefs), json_array_size(aliased));
}

static void check_summary(json_t *c, const lr_fit *fit)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const lr_summary *s = lr_fit_summary(fit);
    ck_assert_msg(s->n == (uint64_t)json_integer_value(json_object_get(c, "n")), "%s: n %llu", id,
                  (unsigned long long)s->n);
    ck_assert_int_eq((long long)s->rank, json_integer_value(json_object_get(c, "rank")));
    static const char *const keys[] = {"df_residual", "sigma", "r_squared", "adj_r_squared",
                                       "f_statistic", "f_p",   "rss"};
    const double got[] = {s->df_residual, s->sigma, s->r_squared, s->adj_r_squared,
                          s->f_statistic, s->f_p,   s->rss};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        check_case(got[i], ref_key(c, keys[i]), 0, id, keys[i], 0);
    const lr_anova_row *tab = NULL;
    json_t *want = json_object_get(c, "anova");
    size_t nrows = lr_fit_anova(fit, &tab);
    ck_assert_msg(nrows == json_array_size(want), "%s: %zu anova rows, R has %zu", id, nrows,
                  json_array_size(want));
    for (size_t i = 0; i < nrows; i++) {
        json_t *r = json_array_get(want, i);
        ck_assert_msg(!strcmp(tab[i].term, json_string_value(json_object_get(r, "term"))),
                      "%s: anova row %zu is '%s', R's is '%s'", id, i, tab[i].term,
                      json_string_value(json_object_get(r, "term")));
        check_case(tab[i].df, ref_key(r, "df"), 0, id, "anova df", i);
        check_case(tab[i].sum_sq, ref_key(r, "sum_sq"), 0, id, "anova sum_sq", i);
        check_case(tab[i].mean_sq, ref_key(r, "mean_sq"), 0, id, "anova mean_sq", i);
        if (i + 1 < nrows) {
            check_case(tab[i].f, ref_key(r, "f"), 0, id, "anova f", i);
            check_case(tab[i].p, ref_key(r, "p"), 0, id, "anova p", i);
        }
    }
}

/* Every fit by every method that saves, then its predictions from the saved model. */
START_TEST(test_r_contrasts)
{
    json_t *c = json_array_get(json_object_get(ref, "fits"), (size_t)_i / NMETHODS);
    lr_fit *fit = fit_case(c, methods[(size_t)_i % NMETHODS]);
    check_coefficients(c, fit);
    check_summary(c, fit);
    char *model_path = temp_path();
    lr_error err;
    ck_assert_msg(lr_fit_save(fit, model_path, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/contrasts_new.csv"));
    /* R warns when a bs() x lies beyond the boundary knots; linreg flags the rows */
    const char *note = json_string_value(json_object_get(c, "note"));
    int beyond = note && strstr(note, "beyond boundary knots") != NULL;
    ck_assert_msg(check_r_predictions(c, model_path, newdata) == beyond, "%s: beyond the knots",
                  json_string_value(json_object_get(c, "id")));
    lr_test_remove_file(model_path);
}
END_TEST

/* From standard input the second pass (which codes the contrasts from the
 * first pass's levels) reads the spooled copy: the same text. */
START_TEST(test_contrasts_stdin)
{
    size_t len;
    const char *path = lr_test_path("tests/data/contrasts.csv");
    char *data = lr_test_read_file(path, &len);
    const char *formula = "y ~ C(g, sum) * x + C(h, helmert)";
    const char *argv[] = {"linreg", "fit", "-f", formula, "--vcov", "HC3", path, NULL};
    char *out = lr_test_same_stdin(argv, 6, data, len, "Coefficients:");
    ck_assert_ptr_nonnull(strstr(out, "C(g, sum)3:x"));
    free(out);
    free(data);
}
END_TEST

/* Many chunks on two threads: C(g, sum) spans what g spans (the same fit),
 * and its intercept is the mean of the level means, which the treatment
 * coding gives as b0 and b0 + bj; interaction(g, h) - 1 is the cell means,
 * as g:h - 1 is. */
START_TEST(test_contrasts_chunks)
{
    lr_test_text t = {0};
    lr_test_seed(1406);
    lr_test_put(&t, "g,h,y\n");
    static const char *const level[] = {"lo", "mid", "high", "top", "zero"};
    for (int i = 0; i < 200000; i++) {
        int g = (int)(5 * lr_test_urand()), h = (int)(3 * lr_test_urand());
        lr_test_put(&t, "%s,%d,%.17g\n", level[g], h * 10, g * 1.5 + h + lr_test_urand());
    }
    char *path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    static const char *const formulas[] = {"y ~ C(g, sum)", "y ~ g", "y ~ C(g, helmert)",
                                           "y ~ interaction(g, h) - 1", "y ~ g:factor(h) - 1"};
    lr_fit *fit[5];
    for (int k = 0; k < 5; k++) {
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = formulas[k];
        opt.threads = 2;
        fit[k] = lr_test_fit_path(path, &opt);
    }
    double mean = lr_fit_coef(fit[1], 0)->estimate * 5;
    for (size_t j = 1; j < 5; j++)
        mean += lr_fit_coef(fit[1], j)->estimate;
    check_case(lr_fit_coef(fit[0], 0)->estimate, mean / 5, 0, "chunks", "intercept", 0);
    check_case(lr_fit_coef(fit[2], 0)->estimate, mean / 5, 0, "chunks", "helmert intercept", 0);
    for (int k = 0; k < 3; k += 2) {
        check_case(lr_fit_summary(fit[k])->sigma, lr_fit_summary(fit[1])->sigma, 0, "chunks",
                   "sigma", (size_t)k);
        check_case(lr_fit_summary(fit[k])->r_squared, lr_fit_summary(fit[1])->r_squared, 0,
                   "chunks", "r_squared", (size_t)k);
    }
    ck_assert_uint_eq(lr_fit_ncoef(fit[3]), 15);
    ck_assert_str_eq(lr_fit_coef(fit[3], 1)->name, "interaction(g, h)lo.0");
    check_case(lr_fit_summary(fit[3])->sigma, lr_fit_summary(fit[4])->sigma, 0, "chunks",
               "interaction sigma", 0);
    check_case(lr_fit_summary(fit[3])->r_squared, lr_fit_summary(fit[4])->r_squared, 0, "chunks",
               "interaction r_squared", 0);
    for (int k = 0; k < 5; k++)
        lr_fit_free(fit[k]);
    lr_test_remove_file(path);
}
END_TEST

/* A level the fit did not see is refused in prediction, naming it and its
 * line, as for any factor (R: "factor C(g, sum) has new level e"); so is a
 * combination of interaction(g, k) that no row of the fit had. */
START_TEST(test_contrasts_new_level)
{
    char *model = temp_path();
    const char *fit_argv[] = {"linreg",
                              "fit",
                              "-f",
                              "y ~ C(g, sum) + x + interaction(g, k)",
                              "-o",
                              model,
                              lr_test_path("tests/data/contrasts.csv"),
                              NULL};
    lr_test_run_result a, b;
    ck_assert_int_eq(lr_test_run(fit_argv, NULL, 0, &a), 0);
    ck_assert_msg(a.exit_code == 0, "%s", a.err);
    static const char *const csv[] = {"y,x,w,g,h,k,dose\n1,2,1,a,u,p,1\n1,2,1,e,u,p,1\n",
                                      "y,x,w,g,h,k,dose\n1,2,1,a,u,p,1\n1,2,1,d,u,r,1\n"};
    static const char *const want[] = {
        ":3:7: C(g, sum): level \"e\" was not seen when the model was fitted",
        ":3:7: interaction(g, k): level \"d.r\" was not seen when the model was fitted"};
    for (int i = 0; i < 2; i++) {
        char *nd = lr_test_write_temp(csv[i], strlen(csv[i]));
        const char *pred_argv[] = {"linreg", "predict", "-m", model, nd, NULL};
        ck_assert_int_eq(lr_test_run(pred_argv, NULL, 0, &b), 0);
        ck_assert_int_eq(b.exit_code, 1);
        ck_assert_msg(strstr(b.err, want[i]), "%s", b.err);
        lr_test_run_free(&b);
        lr_test_remove_file(nd);
    }
    lr_test_run_free(&a);
    lr_test_remove_file(model);
}
END_TEST

/* What stays unsupported, and data that cannot be coded: clear errors. */
START_TEST(test_contrasts_errors)
{
    static const struct {
        const char *data, *formula, *message;
        int code;
    } cases[] = {
        {"g,y\na,1\nb,2\n", "y ~ C(g, poly)",
         "C() takes contr.treatment, contr.sum or contr.helmert", LR_EUSAGE},
        {"g,y\na,1\nb,2\n", "y ~ C(g, sum, 1)", "how.many is not supported", LR_EUSAGE},
        {"g,y\na,1\na,2\n", "y ~ C(g, sum)", "factor C(g, sum) has a single level in the rows used",
         LR_EDATA},
        {"g,y\na,1\nb,2\n", "y ~ interaction(g)", "interaction() needs two columns or more",
         LR_EUSAGE},
        {"g,y\na,1\nb,2\n", "y ~ interaction(g, y, sep = 1)", "expected a string", LR_EUSAGE},
        {"g,y\nNA,1\nb,2\nc,3\n", "y ~ C(g, helmert) - 1", "", LR_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lr_fit *fit;
        lr_error err;
        int rc = lr_test_fit_text(cases[i].data, cases[i].formula, &fit, &err);
        ck_assert_msg(rc == cases[i].code, "%s: rc %d", cases[i].formula, rc);
        if (rc)
            ck_assert_msg(strstr(err.message, cases[i].message), "%s: %s", cases[i].formula,
                          err.message);
        else /* without an intercept the factor is coded by indicators, named by level */
            ck_assert_str_eq(lr_fit_coef(fit, 1)->name, "C(g, helmert)c");
        lr_fit_free(fit);
    }
}
END_TEST

int main(void)
{
    ref = lr_test_load_json("tests/data/r_contrasts.json");
    if (!ref)
        return 1;
    size_t nfits = json_array_size(json_object_get(ref, "fits"));
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_r_contrasts, (int)(nfits * NMETHODS)),
        LR_TEST(test_contrasts_stdin),
        LR_TEST(test_contrasts_chunks),
        LR_TEST(test_contrasts_new_level),
        LR_TEST(test_contrasts_errors),
    };
    int rc = lr_test_run_cases("contrasts", 120, tests, LR_TEST_COUNT(tests));
    json_decref(ref);
    return rc;
}
