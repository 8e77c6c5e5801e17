/*
 * test_r_reference.c — every number of R's summary(lm(...)) for the reference
 * fits in tests/data/r_lm.json (R 4.2, 17 digits), to relative 1e-9: through
 * the library with both methods, and through `linreg fit --format json
 * --method inverse` so the whole command is checked too.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define RTOL 1e-9

/* The entries this suite covers (factors come with the formula language). */
static const char *const cases[] = {"cars_line",    "trees_2",       "stackloss_all", "swiss_all",
                                    "mtcars_wt_hp", "airquality_na", "women_noint"};

static json_t *reference;

static json_t *entry(const char *id)
{
    json_t *e = lr_test_ref_entry(reference, id);
    ck_assert_msg(e != NULL, "no reference entry %s", id);
    return e;
}

/* "y ~ a + b" or "y ~ 0 + x" → target, features, intercept. */
typedef struct model_spec {
    char target[512];   /* response */
    char *features[16]; /* predictors */
    size_t n;           /* number of predictors */
    int intercept;      /* 1 unless "0 +" */
    char list[512];     /* features joined by commas (for the CLI) */
    char buf[512];      /* storage */
} model_spec;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    memmove(s, s + i, n - i + 1);
}

static void parse_formula(const char *f, model_spec *m)
{
    memset(m, 0, sizeof *m);
    m->intercept = 1;
    snprintf(m->buf, sizeof m->buf, "%s", f);
    char *tilde = strchr(m->buf, '~');
    *tilde = '\0';
    snprintf(m->target, sizeof m->target, "%s", m->buf);
    trim(m->target);
    char *save = NULL;
    for (char *t = strtok_r(tilde + 1, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
        trim(t);
        if (!strcmp(t, "0")) {
            m->intercept = 0;
            continue;
        }
        m->features[m->n++] = t;
        if (m->list[0])
            strcat(m->list, ",");
        strcat(m->list, t);
    }
}

static void run_library(const char *id, lr_method method)
{
    json_t *ref = entry(id);
    model_spec m;
    parse_formula(json_string_value(json_object_get(ref, "formula")), &m);
    char rel[256];
    snprintf(rel, sizeof rel, "datasets/%s", json_string_value(json_object_get(ref, "file")));

    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.target = m.target;
    opt.features = (const char *const *)m.features;
    opt.n_features = m.n;
    opt.intercept = m.intercept;
    opt.method = method;
    lr_fit *fit;
    lr_error err;
    int rc = lr_fit_csv(lr_test_path(rel), &opt, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);

    json_t *coefs = json_object_get(ref, "coefficients");
    ck_assert_uint_eq(lr_fit_ncoef(fit), json_array_size(coefs));
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++)
        lr_test_check_coef(json_array_get(coefs, j), lr_fit_coef(fit, j), RTOL, id);
    lr_test_check_summary(ref, lr_fit_summary(fit), RTOL, id);
    if (!strcmp(id, "airquality_na"))
        ck_assert_uint_eq(lr_fit_summary(fit)->n_dropped, 42);
    lr_fit_free(fit);
}

START_TEST(test_library_inverse)
{
    run_library(cases[_i], LR_METHOD_INVERSE);
}
END_TEST

START_TEST(test_library_naive)
{
    run_library(cases[_i], LR_METHOD_NAIVE);
}
END_TEST

/* The command: linreg fit -y Y -x A,B --method inverse --format json FILE. */
START_TEST(test_cli_json)
{
    const char *id = cases[_i];
    json_t *ref = entry(id);
    model_spec m;
    parse_formula(json_string_value(json_object_get(ref, "formula")), &m);
    char path[4096];
    snprintf(path, sizeof path, "%s", lr_test_path("datasets/"));
    strncat(path, json_string_value(json_object_get(ref, "file")), sizeof path - strlen(path) - 1);
    const char *argv[16] = {"linreg", "fit",      "-y",      m.target,   "-x",
                            m.list,   "--method", "inverse", "--format", "json"};
    int a = 10;
    if (!m.intercept)
        argv[a++] = "--no-intercept";
    argv[a++] = path;
    argv[a] = NULL;
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    ck_assert_msg(r.exit_code == 0, "%s: exit %d: %s", id, r.exit_code, r.err);
    json_error_t je;
    json_t *out = json_loads(r.out, 0, &je);
    ck_assert_msg(out != NULL, "%s: invalid JSON at %d: %s\n%s", id, je.line, je.text, r.out);
    ck_assert_str_eq(json_string_value(json_object_get(out, "method")), "inverse");
    json_t *rcoefs = json_object_get(ref, "coefficients");
    json_t *ocoefs = json_object_get(out, "coefficients");
    ck_assert_uint_eq(json_array_size(ocoefs), json_array_size(rcoefs));
    for (size_t j = 0; j < json_array_size(ocoefs); j++) {
        json_t *o = json_array_get(ocoefs, j);
        ck_assert(json_is_false(json_object_get(o, "aliased")));
        lr_coef c = {json_string_value(json_object_get(o, "name")),
                     lr_test_ref_num(o, "estimate"),
                     lr_test_ref_num(o, "std_error"),
                     lr_test_ref_num(o, "t"),
                     lr_test_ref_num(o, "p"),
                     lr_test_ref_num(o, "ci_low"),
                     lr_test_ref_num(o, "ci_high"),
                     0};
        lr_test_check_coef(json_array_get(rcoefs, j), &c, RTOL, id);
    }
    const char *keys[] = {"sigma", "r_squared", "adj_r_squared", "f_statistic",
                          "f_df1", "f_df2",     "f_p",           "log_likelihood",
                          "aic",   "bic",       "df_residual"};
    for (size_t q = 0; q < sizeof keys / sizeof *keys; q++)
        LR_CK_REL(lr_test_ref_num(out, keys[q]), lr_test_ref_num(ref, keys[q]), RTOL);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "n")),
                     json_integer_value(json_object_get(ref, "n")));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "rank")),
                     json_integer_value(json_object_get(ref, "rank")));
    json_decref(out);
    lr_test_run_free(&r);
}
END_TEST

int main(void)
{
    reference = lr_test_load_json("tests/data/r_lm.json");
    if (!reference)
        return 1;
    int n = (int)(sizeof cases / sizeof *cases);
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_library_inverse, n),
        LR_TEST_LOOP(test_library_naive, n),
        LR_TEST_LOOP(test_cli_json, n),
    };
    int rc = lr_test_run_cases("r_reference", 0, tests, LR_TEST_COUNT(tests));
    json_decref(reference);
    return rc;
}
