/*
 * test_predict.c — saved models, prediction, robust covariances and residual
 * diagnostics, against R (tests/data/r_predict.json from
 * tests/reference/gen_r_predict.R: predict.lm, sandwich::vcovHC, hatvalues,
 * rstandard, cooks.distance; 17 digits):
 *
 *   - fit → save → load → predict, fitted values, se.fit and both interval
 *     kinds, for six models (factors, poly(), log(), weights, rank
 *     deficiency), to relative 1e-9, through every method that saves;
 *   - HC0–HC3 standard errors, t, p and intervals, and the Wald F under them;
 *   - the residual quantiles, fitted values, residuals, leverages,
 *     standardized residuals and Cook's distances of every observation;
 *   - damaged model files (truncated at every length, bytes changed, fields
 *     missing or of the wrong type): a clear LR_EDATA, never a crash;
 *   - prediction errors: a level the fit never saw, a missing column;
 *   - the commands: linreg predict (CSV, JSON, NA rows, warnings, no partial
 *     output), --residuals, --plot.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define RTOL 1e-9

static json_t *reference;

static json_t *ref_array(const char *key)
{
    json_t *a = json_object_get(reference, key);
    ck_assert_msg(json_is_array(a), "r_predict.json has no array %s", key);
    return a;
}

static double num(json_t *v)
{
    return json_is_null(v) ? (double)NAN : json_number_value(v);
}

/* Relative agreement, or absolute agreement at `scale` (for values that are
 * zero up to rounding, where relative error means nothing). */
static void check_close(double got, double want, double scale, const char *what, size_t i)
{
    int ok = lr_test_rel_close(got, want, RTOL) || fabs(got - want) <= RTOL * scale;
    ck_assert_msg(ok, "%s[%zu] = %.17g, R: %.17g", what, i, got, want);
}

static double max_abs(json_t *a)
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
static const char *data_path(const char *file)
{
    snprintf(dataset, sizeof dataset, "%s", lr_test_path("datasets/"));
    strncat(dataset, file, sizeof dataset - strlen(dataset) - 1);
    return dataset;
}

static char *temp_path(void)
{
    char *p = lr_test_write_temp("", 0);
    unlink(p);
    return p;
}

/* ---- fit → save → load → predict against predict.lm ---- */

typedef lr_test_predictions rows;
#define collect lr_test_collect_prediction

static const lr_method save_methods[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_INVERSE,
                                         LR_METHOD_CHOLESKY};

START_TEST(test_predict_matches_r)
{
    json_t *cases = ref_array("predict");
    size_t k;
    json_t *c;
    json_array_foreach(cases, k, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        json_t *w = json_object_get(c, "weights");
        lr_method method = save_methods[_i];
        /* the rank-deficient case needs pivoting or the Schur test: every method here has one */
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = json_string_value(json_object_get(c, "formula"));
        opt.weights = json_is_string(w) ? json_string_value(w) : NULL;
        opt.method = method;
        opt.level = num(json_object_get(c, "level"));
        opt.keep_model = 1;
        lr_fit *fit = NULL;
        lr_error err;
        int rc =
            lr_fit_csv(data_path(json_string_value(json_object_get(c, "file"))), &opt, &fit, &err);
        ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);
        char *model_path = temp_path();
        ck_assert_msg(lr_fit_save(fit, model_path, &err) == LR_OK, "%s: %s", id, err.message);
        lr_fit_free(fit);

        lr_model *m = NULL;
        ck_assert_msg(lr_model_load(model_path, &m, &err) == LR_OK, "%s: %s", id, err.message);
        ck_assert_int_eq(lr_model_weighted(m), opt.weights != NULL);
        char newdata[4096];
        snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/"));
        strncat(newdata, json_string_value(json_object_get(c, "newdata")),
                sizeof newdata - strlen(newdata) - 1);
        json_t *want_fit = json_object_get(c, "fit"), *want_se = json_object_get(c, "se_fit");
        size_t n = json_array_size(want_fit);
        double scale = max_abs(want_fit);
        static const lr_interval kinds[] = {LR_INTERVAL_NONE, LR_INTERVAL_CONFIDENCE,
                                            LR_INTERVAL_PREDICTION};
        for (int kind = 0; kind < 3; kind++) {
            rows r = {0};
            rc = lr_predict_csv(m, newdata, kinds[kind], opt.level, collect, &r, &err);
            ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);
            ck_assert_msg(r.n == n, "%s: %zu predictions, R has %zu", id, r.n, n);
            json_t *iv = kind == 1   ? json_object_get(c, "confidence")
                         : kind == 2 ? json_object_get(c, "prediction")
                                     : NULL;
            for (size_t i = 0; i < n; i++) {
                ck_assert(r.p[i].ok);
                ck_assert_uint_eq(r.p[i].line, i + 2);
                check_close(r.p[i].fit, num(json_array_get(want_fit, i)), scale, "fit", i);
                check_close(r.p[i].se_fit, num(json_array_get(want_se, i)), scale, "se_fit", i);
                if (!iv) {
                    ck_assert(isnan(r.p[i].lwr) && isnan(r.p[i].upr));
                    continue;
                }
                check_close(r.p[i].lwr, num(json_array_get(json_object_get(iv, "lwr"), i)), scale,
                            "lwr", i);
                check_close(r.p[i].upr, num(json_array_get(json_object_get(iv, "upr"), i)), scale,
                            "upr", i);
            }
            free(r.p);
        }
        lr_model_free(m);
        unlink(model_path);
        free(model_path);
    }
}
END_TEST

/* ---- HC covariances against sandwich::vcovHC ---- */

START_TEST(test_hc_matches_sandwich)
{
    static const char *const types[] = {"HC0", "HC1", "HC2", "HC3"};
    static const lr_vcov vt[] = {LR_VCOV_HC0, LR_VCOV_HC1, LR_VCOV_HC2, LR_VCOV_HC3};
    json_t *cases = ref_array("vcov");
    size_t k;
    json_t *c;
    json_array_foreach(cases, k, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        json_t *w = json_object_get(c, "weights");
        for (int t = 0; t < 4; t++) {
            lr_fit_options opt;
            lr_fit_options_init(&opt);
            opt.formula = json_string_value(json_object_get(c, "formula"));
            opt.weights = json_is_string(w) ? json_string_value(w) : NULL;
            opt.vcov = vt[t];
            lr_fit *fit = NULL;
            lr_error err;
            int rc = lr_fit_csv(data_path(json_string_value(json_object_get(c, "file"))), &opt,
                                &fit, &err);
            ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);
            const lr_summary *s = lr_fit_summary(fit);
            ck_assert_int_eq(s->vcov, vt[t]);
            json_t *ref = json_object_get(c, types[t]);
            json_t *names = json_object_get(c, "coefficients");
            size_t p = json_array_size(names);
            ck_assert_uint_eq(lr_fit_ncoef(fit), p);
            json_t *vc = json_object_get(ref, "vcov");
            for (size_t j = 0; j < p; j++) {
                const lr_coef *cf = lr_fit_coef(fit, j);
                ck_assert_str_eq(cf->name, json_string_value(json_array_get(names, j)));
                double se = num(json_array_get(json_object_get(ref, "std_error"), j));
                LR_CK_REL(cf->estimate, num(json_array_get(json_object_get(c, "estimate"), j)),
                          RTOL);
                LR_CK_REL(cf->std_error, se, RTOL);
                /* t and the bounds: relative to the estimate's scale, since a
                 * near-zero estimate has a t of rounding noise */
                double tscale = fabs(cf->estimate) / se + 1;
                check_close(cf->t, num(json_array_get(json_object_get(ref, "t"), j)), tscale, "t",
                            j);
                check_close(cf->ci_low, num(json_array_get(json_object_get(ref, "ci_low"), j)),
                            fabs(cf->estimate) + se, "ci_low", j);
                check_close(cf->ci_high, num(json_array_get(json_object_get(ref, "ci_high"), j)),
                            fabs(cf->estimate) + se, "ci_high", j);
                double pv = num(json_array_get(json_object_get(ref, "p"), j));
                ck_assert_msg(lr_test_rel_close(cf->p, pv, 1e-6) || fabs(cf->p - pv) < 1e-12,
                              "%s %s p = %.17g, R: %.17g", id, types[t], cf->p, pv);
            }
            /* the Wald F under V: b_Sᵀ V_SS⁻¹ b_S / q from R's own V and b,
             * by Gauss–Jordan here (p ≤ 8) */
            double a[8][9];
            size_t q = 0, idx[8];
            for (size_t j = 1; j < p; j++)
                idx[q++] = j;
            for (size_t i = 0; i < q; i++) {
                for (size_t j = 0; j < q; j++)
                    a[i][j] = num(json_array_get(json_array_get(vc, idx[i]), idx[j]));
                a[i][q] = num(json_array_get(json_object_get(c, "estimate"), idx[i]));
            }
            for (size_t i = 0; i < q; i++)
                for (size_t r = 0; r < q; r++) {
                    if (r == i)
                        continue;
                    double f = a[r][i] / a[i][i];
                    for (size_t j = i; j <= q; j++)
                        a[r][j] -= f * a[i][j];
                }
            double wald = 0;
            for (size_t i = 0; i < q; i++)
                wald +=
                    num(json_array_get(json_object_get(c, "estimate"), idx[i])) * a[i][q] / a[i][i];
            LR_CK_REL(s->f_statistic, wald / (double)q, 1e-8);
            lr_fit_free(fit);
        }
    }
}
END_TEST

/* ---- residual diagnostics against hatvalues, rstandard, cooks.distance ---- */

typedef struct diag_rows {
    lr_residual *r;
    size_t n, cap;
} diag_rows;

static void collect_residual(void *ud, const lr_residual *r)
{
    diag_rows *d = ud;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->r = realloc(d->r, d->cap * sizeof *d->r);
    }
    d->r[d->n++] = *r;
}

START_TEST(test_diagnostics_match_r)
{
    json_t *cases = ref_array("diagnostics");
    size_t k;
    json_t *c;
    json_array_foreach(cases, k, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        json_t *w = json_object_get(c, "weights");
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = json_string_value(json_object_get(c, "formula"));
        opt.weights = json_is_string(w) ? json_string_value(w) : NULL;
        opt.residual_summary = 1;
        diag_rows d = {0};
        opt.residual_row = collect_residual;
        opt.residual_ud = &d;
        opt.plot_points = 1000;
        lr_fit *fit = NULL;
        lr_error err;
        int rc =
            lr_fit_csv(data_path(json_string_value(json_object_get(c, "file"))), &opt, &fit, &err);
        ck_assert_msg(rc == LR_OK, "%s: %s", id, err.message);
        const lr_summary *s = lr_fit_summary(fit);
        LR_CK_REL(s->sigma, num(json_object_get(c, "sigma")), RTOL);
        ck_assert(s->has_quantiles);
        ck_assert(s->quantile_error == 0);
        json_t *rows_ = json_object_get(c, "rows");
        size_t n = json_array_size(rows_);
        json_t *q = json_object_get(c, "residual_quantiles");
        double rscale = max_abs(json_object_get(c, "residuals"));
        for (size_t i = 0; i < 5; i++)
            check_close(s->residual_quantiles[i], num(json_array_get(q, i)), rscale, "quantile", i);
        ck_assert_msg(d.n == n, "%s: %zu rows, R has %zu", id, d.n, n);
        double fscale = max_abs(json_object_get(c, "fitted"));
        for (size_t i = 0; i < n; i++) {
            /* R's row names are data row numbers: line − 1 */
            ck_assert_uint_eq(d.r[i].line, (uint64_t)num(json_array_get(rows_, i)) + 1);
            check_close(d.r[i].fitted, num(json_array_get(json_object_get(c, "fitted"), i)), fscale,
                        "fitted", i);
            check_close(d.r[i].residual, num(json_array_get(json_object_get(c, "residuals"), i)),
                        fscale, "residual", i);
            check_close(d.r[i].leverage, num(json_array_get(json_object_get(c, "hat"), i)), 1,
                        "hat", i);
            check_close(d.r[i].std_residual,
                        num(json_array_get(json_object_get(c, "rstandard"), i)), 1, "rstandard", i);
            check_close(d.r[i].cooks, num(json_array_get(json_object_get(c, "cooks"), i)),
                        max_abs(json_object_get(c, "cooks")), "cooks", i);
        }
        /* the plot subsample: every observation here, in file order, and sorted */
        const double *pf, *pr, *ps;
        size_t np = lr_fit_plot_points(fit, &pf, &pr, &ps);
        ck_assert_uint_eq(np, n);
        for (size_t i = 0; i < np; i++) {
            ck_assert(pf[i] == d.r[i].fitted);
            ck_assert(pr[i] == d.r[i].std_residual);
            if (i)
                ck_assert(ps[i - 1] <= ps[i]);
        }
        free(d.r);
        lr_fit_free(fit);
    }
}
END_TEST

/* Beyond the in-memory budget (2^20 residuals) the quantiles come from a
 * histogram, with a bound that must hold: against the exact type-7 quantiles
 * of the residuals handed to residual_row. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void keep_residual(void *ud, const lr_residual *r)
{
    diag_rows *d = ud;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1 << 20;
        d->r = realloc(d->r, d->cap * sizeof *d->r);
    }
    d->r[d->n++].residual = r->residual;
}

START_TEST(test_quantile_sketch_bound)
{
    const size_t n = 1200000;
    char *buf = malloc(n * 40 + 16);
    size_t len = (size_t)sprintf(buf, "x,y\n");
    uint64_t state = 42;
    for (size_t i = 0; i < n; i++) {
        /* a skewed error: the square of a uniform, centred */
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(state >> 11) / 9007199254740992.0;
        double x = (double)(i % 1000) / 10;
        len += (size_t)sprintf(buf + len, "%.4f,%.9f\n", x, 3 + 0.5 * x + 10 * u * u);
    }
    char *path = lr_test_write_temp(buf, len);
    free(buf);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.residual_summary = 1;
    diag_rows d = {0};
    opt.residual_row = keep_residual;
    opt.residual_ud = &d;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(path, &opt, &fit, &err), LR_OK);
    const lr_summary *s = lr_fit_summary(fit);
    ck_assert(s->has_quantiles);
    ck_assert(s->quantile_error > 0);
    ck_assert_uint_eq(d.n, n);
    double *e = malloc(n * sizeof *e);
    for (size_t i = 0; i < n; i++)
        e[i] = d.r[i].residual;
    qsort(e, n, sizeof *e, cmp_double);
    static const double probs[5] = {0, 0.25, 0.5, 0.75, 1};
    for (int k = 0; k < 5; k++) {
        double h = (double)(n - 1) * probs[k];
        size_t lo = (size_t)h;
        double exact = lo + 1 < n ? e[lo] + (h - (double)lo) * (e[lo + 1] - e[lo]) : e[n - 1];
        ck_assert_msg(fabs(s->residual_quantiles[k] - exact) <= s->quantile_error,
                      "quantile %g: %.17g, exact %.17g, bound %.3g", probs[k],
                      s->residual_quantiles[k], exact, s->quantile_error);
    }
    /* Min and Max are exact, whatever the histogram */
    ck_assert(s->residual_quantiles[0] == e[0]);
    ck_assert(s->residual_quantiles[4] == e[n - 1]);
    /* the bound is a fraction of the spread, not the whole of it */
    ck_assert(s->quantile_error < (e[n - 1] - e[0]) / 32);
    free(e);
    free(d.r);
    lr_fit_free(fit);
    unlink(path);
    free(path);
}
END_TEST

/* The second pass reads the rows the first pass kept (a binary spool in
 * TMPDIR), or, when none can be kept, parses the text again on every core:
 * both must give the same diagnostics. The data span several chunks and a
 * factor level first appears late, so spooled blocks have fewer columns than
 * the final model. With d NULL the fit asks for no per-row output (the spool
 * then leaves the lines out); with weights, the spool keeps them. */
static void fit_with_tmpdir(const char *path, const char *tmpdir, int threads, lr_fit **fit,
                            diag_rows *d, const char *weights)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    if (tmpdir)
        setenv("TMPDIR", tmpdir, 1);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x * g + log(z)";
    opt.vcov = LR_VCOV_HC3;
    opt.residual_summary = 1;
    opt.residual_row = d ? collect_residual : NULL;
    opt.residual_ud = d;
    opt.threads = threads;
    opt.weights = weights;
    lr_error err;
    int rc = lr_fit_csv(path, &opt, fit, &err);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
}

START_TEST(test_second_pass_paths)
{
    const size_t n = 400000;
    char *buf = malloc(n * 64 + 32);
    size_t len = (size_t)sprintf(buf, "g,x,z,wt,y\n");
    uint64_t state = 7;
    for (size_t i = 0; i < n; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(state >> 11) / 9007199254740992.0;
        const char *g = i < 300000 ? (i % 2 ? "a" : "b") : (i % 3 ? "c" : "a");
        double x = (double)(i % 977) / 97, z = 1 + (double)(i % 13);
        len += (size_t)sprintf(buf + len, "%s,%.6f,%.0f,%d,%.9f\n", g, x, z, (int)(i % 7 % 4),
                               2 + x * (g[0] == 'c' ? 2 : 1) + 0.3 * log(z) + u * u * (1 + x));
    }
    char *path = lr_test_write_temp(buf, len);
    free(buf);
    lr_fit *a = NULL, *b = NULL, *c = NULL;
    diag_rows da = {0}, db = {0}, dc = {0};
    fit_with_tmpdir(path, NULL, 2, &a, &da, NULL);                      /* the row spool */
    fit_with_tmpdir(path, "/nonexistent-linreg-tmp", 2, &b, &db, NULL); /* the text again */
    fit_with_tmpdir(path, NULL, 1, &c, &dc, NULL);                      /* spool, one thread */
    const lr_summary *sa = lr_fit_summary(a), *sb = lr_fit_summary(b), *sc = lr_fit_summary(c);
    ck_assert(sa->has_quantiles && sb->has_quantiles);
    ck_assert_int_eq(sa->vcov, LR_VCOV_HC3);
    ck_assert_int_eq(sb->vcov, LR_VCOV_HC3);
    for (int i = 0; i < 5; i++) {
        LR_CK_REL(sa->residual_quantiles[i], sb->residual_quantiles[i], 1e-12);
        ck_assert(sa->residual_quantiles[i] == sc->residual_quantiles[i]);
    }
    ck_assert_uint_eq(lr_fit_ncoef(a), 7);
    for (size_t j = 0; j < lr_fit_ncoef(a); j++) {
        LR_CK_REL(lr_fit_coef(a, j)->std_error, lr_fit_coef(b, j)->std_error, 1e-12);
        ck_assert(lr_fit_coef(a, j)->std_error == lr_fit_coef(c, j)->std_error);
    }
    LR_CK_REL(sa->f_statistic, sb->f_statistic, 1e-12);
    ck_assert_uint_eq(da.n, n);
    ck_assert_uint_eq(db.n, n);
    for (size_t i = 0; i < n; i += 997) {
        ck_assert_uint_eq(da.r[i].line, i + 2);
        ck_assert_uint_eq(db.r[i].line, i + 2);
        LR_CK_REL(da.r[i].fitted, db.r[i].fitted, 1e-12);
        LR_CK_REL(da.r[i].leverage, db.r[i].leverage, 1e-12);
        LR_CK_REL(da.r[i].cooks, db.r[i].cooks, 1e-9);
    }
    free(da.r);
    free(db.r);
    free(dc.r);
    lr_fit_free(a);
    lr_fit_free(b);
    lr_fit_free(c);

    /* Weights (zero for some rows) kept in the spool, and records without
     * lines when no per-row output is asked for: spool against text, for the
     * quantiles and the HC3 errors, with and without the rows. */
    lr_fit *w[4] = {NULL, NULL, NULL, NULL};
    diag_rows dw = {0}, dt = {0};
    fit_with_tmpdir(path, NULL, 2, &w[0], NULL, "wt");
    fit_with_tmpdir(path, "/nonexistent-linreg-tmp", 2, &w[1], NULL, "wt");
    fit_with_tmpdir(path, NULL, 2, &w[2], &dw, "wt");
    fit_with_tmpdir(path, "/nonexistent-linreg-tmp", 2, &w[3], &dt, "wt");
    uint64_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += i % 7 % 4 == 0;
    ck_assert_uint_eq(lr_fit_summary(w[0])->n_zero_weight, zeros);
    for (int k = 1; k < 4; k++) {
        const lr_summary *s0 = lr_fit_summary(w[0]), *sk = lr_fit_summary(w[k]);
        ck_assert(s0->has_quantiles && sk->has_quantiles);
        for (int i = 0; i < 5; i++)
            LR_CK_REL(s0->residual_quantiles[i], sk->residual_quantiles[i], 1e-12);
        for (size_t j = 0; j < lr_fit_ncoef(w[0]); j++)
            LR_CK_REL(lr_fit_coef(w[0], j)->std_error, lr_fit_coef(w[k], j)->std_error, 1e-12);
    }
    ck_assert_uint_eq(dw.n, dt.n);
    for (size_t i = 0; i < dw.n; i += 991) {
        ck_assert_uint_eq(dw.r[i].line, dt.r[i].line);
        LR_CK_REL(dw.r[i].leverage, dt.r[i].leverage, 1e-12);
    }
    free(dw.r);
    free(dt.r);
    for (int k = 0; k < 4; k++)
        lr_fit_free(w[k]);
    unlink(path);
    free(path);
}
END_TEST

/* Residual quantiles for a ridge fit are not computed, quietly; HC is noted. */
START_TEST(test_diagnostics_ridge)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "dist ~ speed";
    opt.ridge = 1;
    opt.residual_summary = 1;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(data_path("cars.csv"), &opt, &fit, &err), LR_OK);
    ck_assert(!lr_fit_summary(fit)->has_quantiles);
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        ck_assert(strstr(lr_fit_note(fit, i), "ridge") == NULL);
    lr_fit_free(fit);
    opt.vcov = LR_VCOV_HC3;
    ck_assert_int_eq(lr_fit_csv(data_path("cars.csv"), &opt, &fit, &err), LR_OK);
    int noted = 0;
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        noted |= strstr(lr_fit_note(fit, i), "not computed for ridge fits") != NULL;
    ck_assert(noted);
    ck_assert_int_eq(lr_fit_summary(fit)->vcov, LR_VCOV_CLASSICAL);
    lr_fit_free(fit);
}
END_TEST

/* ---- damaged model files ---- */

static char *saved_model(const char *file, const char *formula, size_t *len)
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
    unlink(path);
    free(path);
    return text;
}

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
    unlink(path);
    free(path);
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
        unlink(path);
        free(path);
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
        unlink(p);
        free(p);
        free(t);
    }
    /* not a model file at all */
    const char *not_json = "fit,lwr,upr\n1,2,3\n";
    char *path = lr_test_write_temp(not_json, strlen(not_json));
    lr_model *m = NULL;
    ck_assert_int_eq(lr_model_load(path, &m, &err), LR_EDATA);
    ck_assert_uint_eq(err.line, 1);
    unlink(path);
    free(path);
    ck_assert_int_eq(lr_model_load("/nonexistent/model.json", &m, &err), LR_EIO);
    ck_assert(strstr(err.message, "/nonexistent/model.json") != NULL);
    free(text);
}
END_TEST

/* ---- allocation failures while loading and predicting ---- */

START_TEST(test_alloc_failures_predict)
{
    size_t len;
    char *text = saved_model("iris.csv", "Sepal.Length ~ Sepal.Width * Species", &len);
    char *model = lr_test_write_temp(text, len);
    char newdata[4096];
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/predict_iris_new.csv"));
    int succeeded = 0;
    for (lr_test_fail_at = 1; !succeeded && lr_test_fail_at < 2000; lr_test_fail_at++) {
        lr_test_allocs = 0;
        lr_test_live = 0;
        lr_set_allocator(lr_test_failing_alloc, NULL);
        lr_model *m = NULL;
        lr_error err;
        rows r = {0};
        int rc = lr_model_load(model, &m, &err);
        if (rc == LR_OK)
            rc = lr_predict_csv(m, newdata, LR_INTERVAL_PREDICTION, 0.95, collect, &r, &err);
        if (rc == LR_OK) {
            succeeded = 1;
            ck_assert_uint_eq(r.n, 6);
        } else {
            ck_assert_msg(rc == LR_ENOMEM, "allocation %ld: %s", lr_test_fail_at, err.message);
        }
        free(r.p);
        lr_model_free(m);
        lr_set_allocator(NULL, NULL);
        ck_assert_msg(lr_test_live == 0, "%lld bytes leaked when allocation %ld failed",
                      lr_test_live, lr_test_fail_at);
    }
    ck_assert(succeeded);
    ck_assert(lr_test_fail_at > 5);
    unlink(model);
    free(model);
    free(text);
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
    unlink(data);
    free(data);

    /* a missing predictor column names it */
    const char *nocol = "Species,Petal.Width\nsetosa,3\n";
    data = lr_test_write_temp(nocol, strlen(nocol));
    r.n = 0;
    ck_assert_int_eq(lr_predict_csv(m, data, LR_INTERVAL_NONE, 0.95, collect, &r, &err), LR_EDATA);
    ck_assert_msg(strstr(err.message, "no column named 'Sepal.Width'") != NULL, "%s", err.message);
    unlink(data);
    free(data);

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
    unlink(data);
    free(data);

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
    unlink(data);
    free(data);

    ck_assert_int_eq(
        lr_predict_csv(m, data_path("iris.csv"), LR_INTERVAL_NONE, 1.5, collect, &r, &err),
        LR_EUSAGE);
    free(r.p);
    lr_model_free(m);
    unlink(model);
    free(model);
    free(text);
}
END_TEST

/* ---- the commands ---- */

static lr_test_run_result run(const char *const *argv, const char *in)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, in, in ? strlen(in) : 0, &r), 0);
    return r;
}

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
    json_error_t je;
    json_t *o = json_loads(r.out, 0, &je);
    ck_assert_msg(o != NULL, "%s: %s", r.out, je.text);
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
    unlink(model);
    free(model);
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
    unlink(model);
    free(model);
}
END_TEST

/* A minimal well-formedness check of XML: tags nest and close. */
static int xml_balanced(const char *s)
{
    const char *stack[256];
    size_t depth = 0, lens[256];
    while ((s = strchr(s, '<')) != NULL) {
        if (s[1] == '?' || s[1] == '!') {
            s = strchr(s, '>');
            if (!s)
                return 0;
            continue;
        }
        int closing = s[1] == '/';
        const char *name = s + 1 + closing;
        size_t n = strcspn(name, " \t\n/>");
        const char *end = strchr(s, '>');
        if (!end)
            return 0;
        if (closing) {
            if (depth == 0 || lens[depth - 1] != n || memcmp(stack[depth - 1], name, n))
                return 0;
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 256)
                return 0;
            stack[depth] = name;
            lens[depth++] = n;
        }
        s = end + 1;
    }
    return depth == 0;
}

START_TEST(test_cli_residuals_and_plot)
{
    char *res = temp_path(), *plot = temp_path();
    const char *argv[] = {
        "linreg", "fit",    "-f",  "Ozone ~ Solar.R + Wind + Temp", "--residuals", res, "--plot",
        plot,     "--vcov", "HC1", data_path("airquality.csv"),     NULL};
    lr_test_run_result r = run(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "Residuals:\n") != NULL);
    ck_assert(strstr(r.out, "standard errors HC1") != NULL);
    ck_assert(strstr(r.out, "Wald F-statistic (HC1)") != NULL);
    lr_test_run_free(&r);

    json_t *c = NULL;
    size_t k;
    json_t *e;
    json_array_foreach(ref_array("diagnostics"), k, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "id")), "airquality_solar_wind_temp"))
            c = e;
    }
    ck_assert_ptr_nonnull(c);
    char *csv = lr_test_read_file(res, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert(!strncmp(csv, "line,fitted,residual,leverage,std_residual,cooks_distance\n", 58));
    char *line = strchr(csv, '\n') + 1;
    size_t n = json_array_size(json_object_get(c, "rows"));
    for (size_t i = 0; i < n; i++) {
        unsigned long long ln;
        double f, e2, h, rs, cd;
        ck_assert_int_eq(sscanf(line, "%llu,%lf,%lf,%lf,%lf,%lf", &ln, &f, &e2, &h, &rs, &cd), 6);
        ck_assert_uint_eq(ln, (uint64_t)num(json_array_get(json_object_get(c, "rows"), i)) + 1);
        LR_CK_REL(h, num(json_array_get(json_object_get(c, "hat"), i)), RTOL);
        LR_CK_REL(rs, num(json_array_get(json_object_get(c, "rstandard"), i)), RTOL);
        LR_CK_REL(cd, num(json_array_get(json_object_get(c, "cooks"), i)), RTOL);
        line = strchr(line, '\n') + 1;
    }
    ck_assert_str_eq(line, "");
    free(csv);

    char *svg = lr_test_read_file(plot, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert(strstr(svg, "<svg") != NULL);
    ck_assert(strstr(svg, "Normal Q-Q") != NULL);
    ck_assert(xml_balanced(svg));
    /* one point per observation in each panel */
    size_t circles = 0;
    for (const char *s = svg; (s = strstr(s, "<circle")) != NULL; s++)
        circles++;
    ck_assert_uint_eq(circles, 3 * n); /* plot.lm panels 1-3 */
    free(svg);

    /* an unwritable residuals file is an error before anything is printed */
    const char *bad[] = {
        "linreg", "fit", "--residuals", "/nonexistent/r.csv", data_path("cars.csv"), NULL};
    r = run(bad, NULL);
    ck_assert_int_ne(r.exit_code, 0);
    ck_assert_uint_eq(r.out_len, 0);
    ck_assert(strstr(r.err, "/nonexistent/r.csv") != NULL);
    lr_test_run_free(&r);
    unlink(res);
    unlink(plot);
    free(res);
    free(plot);
}
END_TEST

int main(void)
{
    json_error_t je;
    reference = json_load_file(lr_test_path("tests/data/r_predict.json"), 0, &je);
    if (!reference) {
        fprintf(stderr, "tests/data/r_predict.json: %s\n", je.text);
        return 1;
    }
    Suite *s = suite_create("predict");
    TCase *tc = tcase_create("r");
    tcase_add_loop_test(tc, test_predict_matches_r, 0,
                        (int)(sizeof save_methods / sizeof *save_methods));
    tcase_add_test(tc, test_hc_matches_sandwich);
    tcase_add_test(tc, test_diagnostics_match_r);
    tcase_add_test(tc, test_diagnostics_ridge);
    tcase_add_test(tc, test_quantile_sketch_bound);
    tcase_add_test(tc, test_second_pass_paths);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("model_file");
    tcase_add_test(tm, test_truncated_model_files);
    tcase_add_test(tm, test_mutated_model_files);
    tcase_add_test(tm, test_model_file_fields);
    tcase_add_test(tm, test_predict_errors);
    tcase_add_test(tm, test_alloc_failures_predict);
    suite_add_tcase(s, tm);
    TCase *tcli = tcase_create("cli");
    tcase_add_test(tcli, test_cli_save_and_predict);
    tcase_add_test(tcli, test_cli_predict_warnings);
    tcase_add_test(tcli, test_cli_residuals_and_plot);
    suite_add_tcase(s, tcli);
    int rc = lr_test_main(s);
    json_decref(reference);
    return rc;
}
