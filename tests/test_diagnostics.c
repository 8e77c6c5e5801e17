/*
 * test_diagnostics.c — robust covariances and residual diagnostics, against
 * R (tests/data/r_predict.json from tests/reference/gen_r_predict.R:
 * sandwich::vcovHC, hatvalues, rstandard, cooks.distance; 17 digits):
 *
 *   - HC0–HC3 standard errors, t, p and intervals, and the Wald F under them;
 *   - the residual quantiles, fitted values, residuals, leverages,
 *     standardized residuals and Cook's distances of every observation;
 *   - the residual quantiles beyond 2^20 rows (tests/data/r_quantiles_large.json
 *     from tests/reference/gen_r_quantiles_large.R);
 *   - the second pass over a spool, the text again or standard input;
 *   - the commands: linreg fit --residuals, --plot.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predict_fixture.h"

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
    json_t *c = json_array_get(ref_array("diagnostics"), (size_t)_i);
    const char *id = json_string_value(json_object_get(c, "id"));
    lr_fit_options opt;
    lr_test_ref_options(c, &opt);
    opt.residual_summary = 1;
    diag_rows d = {0};
    opt.residual_row = collect_residual;
    opt.residual_ud = &d;
    opt.plot_points = 1000;
    lr_fit *fit = lr_test_ref_fit(c, "datasets", &opt);
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
        check_close(d.r[i].leverage, num(json_array_get(json_object_get(c, "hat"), i)), 1, "hat",
                    i);
        check_close(d.r[i].std_residual, num(json_array_get(json_object_get(c, "rstandard"), i)), 1,
                    "rstandard", i);
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

/* A temporary CSV file (its malloc'd path): header, then n rows row(t, i, u), each with the
 * next number u of lr_lcg_unit from seed, so every run sees the same data. */
static char *lcg_csv(const char *header, size_t n, uint64_t seed,
                     void (*row)(lr_test_text *t, size_t i, double u))
{
    lr_test_text t = {0};
    lr_test_put(&t, "%s\n", header);
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        row(&t, i, lr_lcg_unit(&state));
    char *path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    return path;
}

/* x on a grid and a skewed error: the square of a uniform, centred. */
static void skewed_row(lr_test_text *t, size_t i, double u)
{
    double x = (double)(i % 1000) / 10;
    lr_test_put(t, "%.4f,%.9f\n", x, 3 + 0.5 * x + 10 * u * u);
}

START_TEST(test_quantile_sketch_bound)
{
    const size_t n = 1200000;
    char *path = lcg_csv("x,y", n, 42, skewed_row);
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
    lr_test_remove_file(path);
}
END_TEST

/* Beyond 2^20 rows against R (tests/data/r_quantiles_large.json, made by
 * tests/reference/gen_r_quantiles_large.R, which says how the data are made
 * and is followed here): Min and Max are R's; 1Q, Median and 3Q are within
 * the bound the summary states; the text report prints them to the bound's
 * precision, still R's to that precision, and says so. */
static char *large_quantile_data(const json_t *ref, size_t *len)
{
    size_t n = (size_t)json_integer_value(json_object_get(ref, "n"));
    uint64_t s = (uint64_t)json_integer_value(json_object_get(ref, "seed"));
    size_t cap = n * 24 + 16, l = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    l += (size_t)snprintf(buf, cap, "y,x\n");
    for (size_t i = 0; i < n; i++) {
        s = s * 48271 % 2147483647;
        long long x = (long long)(s % 1000);
        s = s * 48271 % 2147483647;
        long long e = (long long)(s % 2001) - 1000;
        long long y = 300 + 5 * x + e + e * e / 1000, a = y < 0 ? -y : y;
        l += (size_t)snprintf(buf + l, cap - l, "%s%lld.%02lld,%lld.%lld\n", y < 0 ? "-" : "",
                              a / 100, a % 100, x / 10, x % 10);
    }
    *len = l;
    return buf;
}

START_TEST(test_quantiles_beyond_memory_match_r)
{
    json_error_t je;
    json_t *ref = json_load_file(lr_test_path("tests/data/r_quantiles_large.json"), 0, &je);
    ck_assert_msg(ref != NULL, "%s", je.text);
    json_t *rq = json_object_get(ref, "quantiles");
    double r[5];
    for (size_t k = 0; k < 5; k++)
        r[k] = json_real_value(json_array_get(rq, k));
    size_t len;
    char *text = large_quantile_data(ref, &len);
    char *path = lr_test_write_temp(text, len);
    free(text);

    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x";
    opt.residual_summary = 1;
    lr_fit *fit = lr_test_fit_path(path, &opt);
    const lr_summary *sm = lr_fit_summary(fit);
    ck_assert_uint_eq(sm->n, (uint64_t)json_integer_value(json_object_get(ref, "n")));
    ck_assert(sm->has_quantiles);
    ck_assert(sm->quantile_error > 0); /* more rows than memory keeps for them */
    double spread = r[4] - r[0], bound = sm->quantile_error;
    ck_assert(bound < spread / 32); /* a fraction of the spread, not the whole */
    /* Min and Max: R's, to the rounding of two fits of the same data */
    ck_assert_double_eq_tol(sm->residual_quantiles[0], r[0], 1e-9 * spread);
    ck_assert_double_eq_tol(sm->residual_quantiles[4], r[4], 1e-9 * spread);
    for (int k = 1; k < 4; k++)
        ck_assert_msg(fabs(sm->residual_quantiles[k] - r[k]) <= bound * (1 + 1e-9),
                      "quantile %d: %.17g, R %.17g, bound %.3g", k, sm->residual_quantiles[k], r[k],
                      bound);
    lr_fit_free(fit);

    /* the text report: the numbers under "Min 1Q Median 3Q Max", and the note */
    const char *argv[] = {"linreg", "fit", "-f", "y ~ x", path, NULL};
    lr_test_run_result res;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &res), 0);
    ck_assert_msg(res.exit_code == 0, "%s", res.err);
    const char *head = strstr(res.out, "Max\n");
    ck_assert_ptr_nonnull(head);
    double p[5];
    char cell[5][32];
    ck_assert_int_eq(
        sscanf(head + 4, "%31s %31s %31s %31s %31s", cell[0], cell[1], cell[2], cell[3], cell[4]),
        5);
    json_t *printed = json_object_get(ref, "printed");
    for (int k = 0; k < 5; k++) {
        if (k == 0 || k == 4) { /* exact: as R prints them */
            ck_assert_str_eq(cell[k], json_string_value(json_array_get(printed, (size_t)k)));
            continue;
        }
        /* R's value to the digits shown, give or take the bound, and no digit
         * the bound does not reach */
        p[k] = strtod(cell[k], NULL);
        const char *dot = strchr(cell[k], '.');
        double unit = pow(10.0, -(dot ? (int)strlen(dot + 1) : 0));
        ck_assert_msg(fabs(p[k] - r[k]) <= (0.5 * unit + bound) * (1 + 1e-9),
                      "%s printed, R %.17g, bound %.3g", cell[k], r[k], bound);
        ck_assert_msg(unit >= bound / 10, "%s printed with bound %.3g", cell[k], bound);
    }
    ck_assert_ptr_nonnull(strstr(res.out, "(Min and Max exact; 1Q, Median and 3Q from a "
                                          "histogram of the 1100000 residuals, each within"));
    lr_test_run_free(&res);
    lr_test_remove_file(path);
    json_decref(ref);
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

/* A factor whose levels change after row 300,000, weights with zeros, and a skewed,
 * heteroskedastic error. */
static void second_pass_row(lr_test_text *t, size_t i, double u)
{
    const char *g = i < 300000 ? (i % 2 ? "a" : "b") : (i % 3 ? "c" : "a");
    double x = (double)(i % 977) / 97, z = 1 + (double)(i % 13);
    lr_test_put(t, "%s,%.6f,%.0f,%d,%.9f\n", g, x, z, (int)(i % 7 % 4),
                2 + x * (g[0] == 'c' ? 2 : 1) + 0.3 * log(z) + u * u * (1 + x));
}

START_TEST(test_second_pass_paths)
{
    const size_t n = 400000;
    char *path = lcg_csv("g,x,z,wt,y", n, 7, second_pass_row);
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
    lr_test_remove_file(path);
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

/* ---- the commands ---- */

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
    char why[128];
    ck_assert_msg(lr_test_xml_well_formed(svg, why, sizeof why), "SVG not well-formed: %s", why);
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
    if (predict_reference_load())
        return 1;
    const lr_test_case tests[] = {
        {test_hc_matches_sandwich, 0, "r"},
        LR_TEST_LOOP(test_diagnostics_match_r,
                     json_array_size(json_object_get(reference, "diagnostics"))),
        LR_TEST(test_diagnostics_ridge),
        LR_TEST(test_quantile_sketch_bound),
        LR_TEST(test_quantiles_beyond_memory_match_r),
        LR_TEST(test_second_pass_paths),
        {test_cli_residuals_and_plot, 0, "cli"},
    };
    int rc = lr_test_run_cases("diagnostics", 0, tests, LR_TEST_COUNT(tests));
    predict_reference_free();
    return rc;
}
