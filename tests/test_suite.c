/*
 * test_suite.c — what every suite's main and command test repeats: reading an R
 * reference file, building a suite from a table of its tests, running the
 * executable and reading its JSON.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *lr_test_load_json(const char *rel)
{
    json_error_t je;
    json_t *root = json_load_file(lr_test_path(rel), 0, &je);
    if (!root)
        fprintf(stderr, "cannot read %s: %s\n", rel, je.text);
    return root;
}

SFun lr_test_teardown;

Suite *lr_test_suite(const char *suite, double timeout, const lr_test_case *tests, size_t n)
{
    Suite *s = suite_create(suite);
    TCase *tc = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!tc || tests[i].tcase) {
            tc = tcase_create(tests[i].tcase ? tests[i].tcase : "core");
            if (timeout > 0)
                tcase_set_timeout(tc, timeout);
            if (lr_test_teardown)
                tcase_add_checked_fixture(tc, NULL, lr_test_teardown);
            suite_add_tcase(s, tc);
        }
        if (tests[i].loop > 0)
            tcase_add_loop_test(tc, tests[i].test, 0, tests[i].loop);
        else
            tcase_add_test(tc, tests[i].test);
    }
    return s;
}

int lr_test_run_cases(const char *suite, double timeout, const lr_test_case *tests, size_t n)
{
    return lr_test_main(lr_test_suite(suite, timeout, tests, n));
}

lr_test_run_result lr_test_cmd(const char *const *argv, const char *in)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, in, in ? strlen(in) : 0, &r), 0);
    return r;
}

void lr_test_cmd_ok(const char *const *argv)
{
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    lr_test_run_free(&r);
}

json_t *lr_test_out_json(const lr_test_run_result *r)
{
    json_error_t je;
    json_t *o = json_loads(r->out, 0, &je);
    ck_assert_msg(o != NULL, "invalid JSON: %s\n%s", je.text, r->out);
    return o;
}

void lr_test_remove_file(char *path)
{
    unlink(path);
    free(path);
}

void lr_test_same_as_first(lr_fit **first, lr_fit *fit, const char *formula, int v)
{
    if (!*first) {
        *first = fit;
        return;
    }
    char what[96];
    snprintf(what, sizeof what, "%s, variant %d", formula, v);
    lr_test_same_fit_bits(fit, *first, what);
    lr_fit_free(fit);
}

char *lr_test_json_same_threads(const char *formula, const char *path)
{
    static const char *const threads[] = {"1", "2", "4"};
    char *first = NULL;
    size_t nthreads = lr_test_under_valgrind() ? 2 : 3;
    for (size_t k = 0; k < nthreads; k++) {
        const char *argv[] = {"linreg",   "fit", "--format", "json", "-t",
                              threads[k], "-f",  formula,    path,   NULL};
        lr_test_run_result r = lr_test_cmd(argv, NULL);
        ck_assert_msg(r.exit_code == 0, "-t %s: exit %d: %s", threads[k], r.exit_code, r.err);
        if (!first)
            first = strdup(r.out);
        else
            ck_assert_msg(!strcmp(first, r.out), "-t %s differs from -t 1", threads[k]);
        lr_test_run_free(&r);
    }
    return first;
}

void lr_test_ref_options(json_t *c, lr_fit_options *opt)
{
    lr_fit_options_init(opt);
    opt->formula = json_string_value(json_object_get(c, "formula"));
    json_t *w = json_object_get(c, "weights");
    opt->weights = json_is_string(w) ? json_string_value(w) : NULL;
}

lr_fit *lr_test_ref_fit(json_t *c, const char *dir, const lr_fit_options *opt)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "%s%s%s", dir, *dir ? "/" : "",
             json_string_value(json_object_get(c, "file")));
    lr_fit *fit = NULL;
    lr_error err;
    int rc = lr_fit_csv(lr_test_path(rel), opt, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s: %s", json_string_value(json_object_get(c, "id")), err.message);
    return fit;
}

double *lr_test_uniform(uint64_t seed, size_t n, double scale, double shift)
{
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    lr_test_seed(seed);
    for (size_t i = 0; i < n; i++)
        x[i] = lr_test_urand() * scale + shift;
    return x;
}

int lr_test_extended_alloc_run(void *ctx, lr_error *err)
{
    lr_test_extended_run *c = ctx;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = c->formula;
    /* and the diagnostics pass and the saved model's content */
    opt.vcov = LR_VCOV_HC2;
    opt.residual_summary = 1;
    opt.plot_points = c->plot_points;
    opt.keep_model = 1;
    lr_fit *fit = NULL;
    int rc;
    if (c->n == 1) {
        rc = lr_fit_csv(c->paths[0], &opt, &fit, err);
    } else {
        opt.threads = 1;
        rc = lr_fit_csv_files(c->paths, c->n, &opt, &fit, err);
    }
    if (rc == LR_OK)
        c->extended = lr_fit_summary(fit)->extended_bits > 0;
    else
        ck_assert_ptr_null(fit);
    lr_fit_free(fit);
    return rc;
}

lr_fit *lr_test_fit_path(const char *path, const lr_fit_options *opt)
{
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_msg(lr_fit_csv(path, opt, &fit, &err) == LR_OK, "%s", err.message);
    return fit;
}

int lr_test_fit_text(const char *data, const char *formula, lr_fit **fit, lr_error *err)
{
    char *path = lr_test_write_temp(data, strlen(data));
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    *fit = NULL;
    int rc = lr_fit_csv(path, &opt, fit, err);
    lr_test_remove_file(path);
    return rc;
}
