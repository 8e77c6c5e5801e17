/*
 * predict_fixture.c — the helpers of predict_fixture.h.
 */
#include "predict_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *reference;

int predict_reference_load(void)
{
    json_error_t je;
    reference = json_load_file(lr_test_path("tests/data/r_predict.json"), 0, &je);
    if (!reference) {
        fprintf(stderr, "tests/data/r_predict.json: %s\n", je.text);
        return 1;
    }
    return 0;
}

void predict_reference_free(void)
{
    json_decref(reference);
    reference = NULL;
}

json_t *ref_array(const char *key)
{
    json_t *a = json_object_get(reference, key);
    ck_assert_msg(json_is_array(a), "r_predict.json has no array %s", key);
    return a;
}

double num(json_t *v)
{
    return json_is_null(v) ? (double)NAN : json_number_value(v);
}

void check_close(double got, double want, double scale, const char *what, size_t i)
{
    int ok = lr_test_rel_close(got, want, RTOL) || fabs(got - want) <= RTOL * scale;
    ck_assert_msg(ok, "%s[%zu] = %.17g, R: %.17g", what, i, got, want);
}

void check_case(double got, double want, double scale, const char *id, const char *what, size_t i)
{
    char label[160];
    snprintf(label, sizeof label, "%s: %s", id, what);
    check_close(got, want, scale, label, i);
}

double ref_key(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    ck_assert_msg(v != NULL, "missing key %s", k);
    return num(v);
}

void check_coef_case(json_t *r, const lr_coef *cf, const char *id, size_t j)
{
    const char *name = json_string_value(json_object_get(r, "name"));
    ck_assert_msg(name && !strcmp(cf->name, name), "%s: coefficient %zu is '%s', R's is '%s'", id,
                  j, cf->name, name ? name : "(none)");
    static const char *const key[] = {"estimate", "std_error", "t", "p", "ci_low", "ci_high"};
    const double got[] = {cf->estimate, cf->std_error, cf->t, cf->p, cf->ci_low, cf->ci_high};
    for (size_t i = 0; i < 6; i++)
        check_case(got[i], ref_key(r, key[i]), 0, id, key[i], j);
}

double max_abs(json_t *a)
{
    double m = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (fabs(num(v)) > m)
            m = fabs(num(v));
    }
    return m;
}

static char dataset[4096];
const char *data_path(const char *file)
{
    snprintf(dataset, sizeof dataset, "%s", lr_test_path("datasets/"));
    strncat(dataset, file, sizeof dataset - strlen(dataset) - 1);
    return dataset;
}

char *temp_path(void)
{
    char *p = lr_test_write_temp("", 0);
    unlink(p);
    return p;
}

void collect(void *ud, const lr_prediction *p)
{
    rows *r = ud;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->p = realloc(r->p, r->cap * sizeof *r->p);
    }
    r->p[r->n++] = *p;
}

int check_r_predictions(json_t *c, const char *model_path, const char *newdata)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    lr_model *m = NULL;
    lr_error err;
    ck_assert_msg(lr_model_load(model_path, &m, &err) == LR_OK, "%s: %s", id, err.message);
    json_t *want_fit = json_object_get(c, "fit"), *want_se = json_object_get(c, "se_fit");
    size_t n = json_array_size(want_fit);
    double scale = max_abs(want_fit);
    static const lr_interval kinds[] = {LR_INTERVAL_NONE, LR_INTERVAL_CONFIDENCE,
                                        LR_INTERVAL_PREDICTION};
    static const char *const bounds[] = {"lwr", "upr"};
    int beyond = 0;
    char what[160];
    for (int kind = 0; kind < 3; kind++) {
        rows r = {0};
        int rc = lr_predict_csv(m, newdata, kinds[kind], num(json_object_get(c, "level")), collect,
                                &r, &err);
        ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);
        ck_assert_msg(r.n == n, "%s: %zu predictions, R has %zu", id, r.n, n);
        json_t *iv = kind == 1   ? json_object_get(c, "confidence")
                     : kind == 2 ? json_object_get(c, "prediction")
                                 : NULL;
        for (size_t i = 0; i < n; i++) {
            ck_assert_msg(r.p[i].ok, "%s: row %zu not predicted", id, i);
            ck_assert_uint_eq(r.p[i].line, i + 2); /* after the header, in order */
            beyond |= r.p[i].beyond_knots;
            snprintf(what, sizeof what, "%s: fit", id);
            check_close(r.p[i].fit, num(json_array_get(want_fit, i)), scale, what, i);
            snprintf(what, sizeof what, "%s: se_fit", id);
            check_close(r.p[i].se_fit, num(json_array_get(want_se, i)), scale, what, i);
            if (!iv)
                ck_assert(isnan(r.p[i].lwr) && isnan(r.p[i].upr));
            for (int b = 0; iv && b < 2; b++) {
                snprintf(what, sizeof what, "%s: %s", id, bounds[b]);
                check_close(b ? r.p[i].upr : r.p[i].lwr,
                            num(json_array_get(json_object_get(iv, bounds[b]), i)), scale, what, i);
            }
        }
        free(r.p);
    }
    lr_model_free(m);
    return beyond;
}

char *saved_model(const char *file, const char *formula, size_t *len)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    opt.keep_model = 1;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(data_path(file), &opt, &fit, &err), LR_OK);
    char *path = temp_path();
    ck_assert_msg(lr_fit_save(fit, path, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    char *text = lr_test_read_file(path, len);
    lr_test_remove_file(path);
    return text;
}

lr_test_run_result run(const char *const *argv, const char *in)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, in, in ? strlen(in) : 0, &r), 0);
    return r;
}
