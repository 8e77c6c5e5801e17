/*
 * test_fit.c — the solver and the fit pipeline through the library API:
 * exact solutions, inverse against naive, the shift undone exactly, singular
 * models, n = p, Gauss–Jordan itself, and allocation failures.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagnostics.h"
#include "solver.h"
#include "stats.h"
#include "test_util.h"

/* Fit columns x (n × k, column 0 the response) through an accumulator. */
static int fit_matrix(size_t n, size_t k, const double *x, int intercept, lr_method m, lr_fit **fit,
                      lr_error *err)
{
    static const char *names[] = {"y", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"};
    lr_accum *a;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.intercept = intercept;
    opt.method = m;
    int rc = lr_accum_create(k, lr_method_kernel(m), &a, err);
    if (rc)
        return rc;
    rc = lr_accum_add(a, n, x, n, NULL, err);
    if (rc == LR_OK)
        rc = lr_fit_accum(a, names, &opt, 0, fit, err);
    lr_accum_free(a);
    return rc;
}

/* y = 1 + 2 x1 − 3 x2 exactly: β exact, RSS zero, R² one. */
START_TEST(test_exact_solution)
{
    size_t n = 50, k = 3;
    double x[150];
    for (size_t i = 0; i < n; i++) {
        double x1 = (double)i, x2 = (double)((i * 7) % 11);
        x[n + i] = x1;
        x[2 * n + i] = x2;
        x[i] = 1 + 2 * x1 - 3 * x2;
    }
    lr_method methods[] = {LR_METHOD_INVERSE, LR_METHOD_NAIVE};
    for (int m = 0; m < 2; m++) {
        lr_fit *fit;
        lr_error err;
        ck_assert_int_eq(fit_matrix(n, k, x, 1, methods[m], &fit, &err), LR_OK);
        ck_assert_uint_eq(lr_fit_ncoef(fit), 3);
        ck_assert_str_eq(lr_fit_coef(fit, 0)->name, "(Intercept)");
        ck_assert_str_eq(lr_fit_coef(fit, 2)->name, "x2");
        ck_assert(fabs(lr_fit_coef(fit, 0)->estimate - 1) < 1e-12);
        ck_assert(fabs(lr_fit_coef(fit, 1)->estimate - 2) < 1e-13);
        ck_assert(fabs(lr_fit_coef(fit, 2)->estimate + 3) < 1e-13);
        const lr_summary *s = lr_fit_summary(fit);
        /* The normal-equation RSS is y'y - b'X'y, a difference of numbers
         * near 5e5: its rounding is a few ulps of those (0 with OpenBLAS's
         * Haswell kernels, 7e-12 with SkylakeX's), not of the RSS. */
        ck_assert(s->rss < 1e-15 * s->tss);
        ck_assert(fabs(s->r_squared - 1) < 1e-14);
        ck_assert_uint_eq(s->n, 50);
        ck_assert(s->df_residual == 47);
        lr_fit_free(fit);
    }
}
END_TEST

/* (XᵀX)⁻¹ in the user's units: A (XᵀX)⁻¹ = I with XᵀX formed directly in long
 * double from the raw (unshifted) columns, for both methods. */
START_TEST(test_inverse_unshifted)
{
    lr_test_seed(11);
    size_t n = 400, k = 4, p = 4;
    double *x = malloc(n * k * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        x[n + i] = 100 + 10 * lr_test_urand();
        x[2 * n + i] = -50 + lr_test_urand() + 0.2 * x[n + i];
        x[3 * n + i] = lr_test_urand() * lr_test_urand();
        x[i] = 3 + 0.5 * x[n + i] - x[2 * n + i] + 4 * x[3 * n + i] + (lr_test_urand() - 0.5);
    }
    long double xtx[16] = {0};
    for (size_t i = 0; i < n; i++) {
        long double row[4] = {1, x[n + i], x[2 * n + i], x[3 * n + i]};
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                xtx[a * p + b] += row[a] * row[b];
    }
    lr_method methods[] = {LR_METHOD_INVERSE, LR_METHOD_NAIVE};
    for (int m = 0; m < 2; m++) {
        lr_fit *fit;
        lr_error err;
        ck_assert_int_eq(fit_matrix(n, k, x, 1, methods[m], &fit, &err), LR_OK);
        size_t ld;
        const double *inv = lr_fit_xtx_inverse(fit, &ld);
        ck_assert_uint_eq(ld, p);
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++) {
                long double s = 0;
                for (size_t c = 0; c < p; c++)
                    s += xtx[a * p + c] * inv[b * ld + c];
                ck_assert_msg(fabsl(s - (a == b)) < (lr_test_under_valgrind() ? 1e-6L : 1e-9L),
                              "(A A^-1)[%zu,%zu] = %Lg", a, b, s);
            }
        lr_fit_free(fit);
    }
    free(x);
}
END_TEST

/* The fit of the n x k matrix x (with an intercept when icpt) by method m agrees with base:
 * every estimate and standard error to relative rtol[0], sigma to rtol[1], R² to rtol[2];
 * and it says it used m. */
static void check_method_agrees(size_t n, size_t k, const double *x, int icpt, lr_method m,
                                const lr_fit *base, const double rtol[3])
{
    lr_fit *f;
    lr_error err;
    ck_assert_int_eq(fit_matrix(n, k, x, icpt, m, &f, &err), LR_OK);
    ck_assert_uint_eq(lr_fit_ncoef(f), lr_fit_ncoef(base));
    for (size_t j = 0; j < lr_fit_ncoef(base); j++) {
        LR_CK_REL(lr_fit_coef(f, j)->estimate, lr_fit_coef(base, j)->estimate, rtol[0]);
        LR_CK_REL(lr_fit_coef(f, j)->std_error, lr_fit_coef(base, j)->std_error, rtol[0]);
    }
    LR_CK_REL(lr_fit_summary(f)->sigma, lr_fit_summary(base)->sigma, rtol[1]);
    LR_CK_REL(lr_fit_summary(f)->r_squared, lr_fit_summary(base)->r_squared, rtol[2]);
    ck_assert_int_eq(lr_fit_summary(f)->method, m);
    lr_fit_free(f);
}

/* inverse and naive agree on a random, well-conditioned problem. */
START_TEST(test_inverse_vs_naive)
{
    size_t n = 1000, k = 6;
    double *x = lr_test_uniform(12, n * k, 10, -3);
    for (int icpt = 0; icpt < 2; icpt++) {
        lr_fit *f1;
        lr_error err;
        ck_assert_int_eq(fit_matrix(n, k, x, icpt, LR_METHOD_INVERSE, &f1, &err), LR_OK);
        ck_assert_int_eq(lr_fit_summary(f1)->method, LR_METHOD_INVERSE);
        const double rtol[3] = {1e-10, 1e-12, 1e-12};
        check_method_agrees(n, k, x, icpt, LR_METHOD_NAIVE, f1, rtol);
        lr_fit_free(f1);
    }
    free(x);
}
END_TEST

static const lr_method all_methods[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_INVERSE,
                                        LR_METHOD_CHOLESKY, LR_METHOD_NAIVE};

/* A dependent column is aliased (NA) and its dependency named, as R's lm
 * does; so are a constant column (collinear with the intercept) and, without
 * an intercept, a zero column. The rest of the fit is the fit without it. */
START_TEST(test_aliasing)
{
    size_t n = 20, k = 4;
    double x[80], x3[60];
    for (size_t i = 0; i < n; i++) {
        x[n + i] = (double)i;
        x[2 * n + i] = (double)(i * i % 7);
        x[3 * n + i] = 2 * x[n + i] - x[2 * n + i]; /* x3 = 2 x1 − x2 */
        x[i] = (double)(i % 5) + 0.1 * x[n + i];
        x3[i] = x[i];
        x3[n + i] = x[n + i];
        x3[2 * n + i] = x[2 * n + i];
    }
    const lr_method m = all_methods[_i];
    lr_fit *fit = NULL, *ref = NULL;
    lr_error err;
    ck_assert_int_eq(fit_matrix(n, k, x, 1, m, &fit, &err), LR_OK);
    ck_assert_int_eq(fit_matrix(n, 3, x3, 1, m, &ref, &err), LR_OK);
    ck_assert(lr_fit_coef(fit, 3)->aliased);
    ck_assert(isnan(lr_fit_coef(fit, 3)->estimate));
    ck_assert_uint_eq(lr_fit_summary(fit)->rank, 3);
    for (size_t j = 0; j < 3; j++) {
        ck_assert(!lr_fit_coef(fit, j)->aliased);
        LR_CK_REL(lr_fit_coef(fit, j)->estimate, lr_fit_coef(ref, j)->estimate, 1e-9);
        LR_CK_REL(lr_fit_coef(fit, j)->std_error, lr_fit_coef(ref, j)->std_error, 1e-9);
    }
    LR_CK_REL(lr_fit_summary(fit)->df_residual, 17, 0);
    int named = 0;
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        named |= strstr(lr_fit_note(fit, i), "x3 = 2 * x1 - x2") != NULL;
    ck_assert_msg(named, "dependency not named: %s",
                  lr_fit_nnotes(fit) > 1 ? lr_fit_note(fit, 1) : "(no notes)");
    lr_fit_free(fit);

    for (size_t i = 0; i < n; i++)
        x[3 * n + i] = 12.5; /* constant */
    ck_assert_int_eq(fit_matrix(n, k, x, 1, m, &fit, &err), LR_OK);
    ck_assert(lr_fit_coef(fit, 3)->aliased);
    named = 0;
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        named |= strstr(lr_fit_note(fit, i), "x3 is constant (12.5 in every row used)") != NULL;
    ck_assert(named);
    lr_fit_free(fit);

    for (size_t i = 0; i < n; i++)
        x[3 * n + i] = 0;
    ck_assert_int_eq(fit_matrix(n, k, x, 0, m, &fit, &err), LR_OK);
    ck_assert(lr_fit_coef(fit, 2)->aliased);
    lr_fit_free(fit);
    lr_fit_free(ref);
}
END_TEST

/* Every method gives the same answer on a well-conditioned problem. */
START_TEST(test_methods_agree)
{
    size_t n = 700, k = 5;
    double *x = lr_test_uniform(15, n * k, 4, -1);
    for (size_t i = 0; i < n * k; i++)
        x[i] += (double)(i % 3);
    lr_fit *base;
    lr_error err;
    ck_assert_int_eq(fit_matrix(n, k, x, 1, LR_METHOD_INVERSE, &base, &err), LR_OK);
    const lr_method ms[] = {LR_METHOD_AUTO, LR_METHOD_QR, LR_METHOD_SVD, LR_METHOD_CHOLESKY,
                            LR_METHOD_NAIVE};
    const double rtol[3] = {1e-11, 1e-12, 1e-13};
    for (size_t q = 0; q < sizeof ms / sizeof *ms; q++)
        check_method_agrees(n, k, x, 1, ms[q], base, rtol);
    lr_fit_free(base);
    free(x);
}
END_TEST

/* A column 1e9 + noise is not mistaken for a constant, and is fitted. */
START_TEST(test_offset_column_fits)
{
    lr_test_seed(13);
    size_t n = 500, k = 2;
    double x[1000];
    for (size_t i = 0; i < n; i++) {
        double u = lr_test_urand() - 0.5;
        x[n + i] = 1e9 + u;
        x[i] = 2 + 3 * u + 0.01 * (lr_test_urand() - 0.5);
    }
    lr_fit *fit;
    lr_error err;
    ck_assert_int_eq(fit_matrix(n, k, x, 1, LR_METHOD_INVERSE, &fit, &err), LR_OK);
    /* The true slope is 3; rounding x to a double near 1e9 (ulp 1.2e-7) moves it
     * by far less than the noise. */
    ck_assert(fabs(lr_fit_coef(fit, 1)->estimate - 3) < 1e-2);
    lr_fit_free(fit);
}
END_TEST

/* The intercept's variance, 1/W + μᵀM⁻¹μ, from the QR factor as a sum of
 * squares: eight columns near 1e6 that differ by 1e-8 (condition number
 * about 1e9) gave --method qr a negative variance, reported as "values too
 * large", and --method svd an intercept standard error 4 times too large.
 * Against auto's recomputation in extended precision (every digit). */
START_TEST(test_intercept_variance)
{
    lr_test_seed(14);
    size_t n = 3000, k = 8, len = 0, cap = n * 256;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "y,x1,x2,x3,x4,x5,x6,x7,x8\n");
    for (size_t i = 0; i < n; i++) {
        double t = lr_test_urand() - 0.5, x[8], y = 0;
        for (size_t j = 0; j < k; j++) {
            x[j] = 1e6 + t + 1e-8 * (double)(j + 1) * (lr_test_urand() - 0.5);
            y += (0.5 + 0.01 * (double)j) * x[j];
        }
        y += lr_test_urand() - 0.5;
        len += (size_t)snprintf(csv + len, cap - len, "%.17g", y);
        for (size_t j = 0; j < k; j++)
            len += (size_t)snprintf(csv + len, cap - len, ",%.17g", x[j]);
        len += (size_t)snprintf(csv + len, cap - len, "\n");
    }
    char *path = lr_test_write_temp(csv, len);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ .";
    lr_fit *ref = lr_test_fit_path(path, &opt);
    ck_assert(lr_fit_summary(ref)->digits > 15); /* recomputed */
    const lr_method ms[] = {LR_METHOD_QR, LR_METHOD_SVD};
    for (size_t q = 0; q < 2; q++) {
        opt.method = ms[q];
        lr_fit *fit = lr_test_fit_path(path, &opt);
        double se = lr_fit_coef(fit, 0)->std_error, want = lr_fit_coef(ref, 0)->std_error;
        ck_assert_msg(fabs(se - want) < 1e-4 * want, "%s: intercept SE %.10g, exact %.10g",
                      lr_method_name(ms[q]), se, want);
        lr_fit_free(fit);
    }
    lr_fit_free(ref);
    remove(path);
    free(path);
    free(csv);
}
END_TEST

/* About normal (0, 1): the sum of twelve uniforms, less 6. */
static double gauss12(void)
{
    double s = -6;
    for (int i = 0; i < 12; i++)
        s += lr_test_urand();
    return s;
}

/* The digit estimate is a bound on the slopes' error (solver.c,
 * estimate_digits): on collinear columns (κ ≈ 2·10⁶) whose values are about
 * 1,000 times their spread, --method qr and svd keep at least the digits
 * they promise, measured normwise against auto's recomputation of the decimal
 * text. The estimate from κ alone, u (q + 1) κ, promised more digits than
 * were right: rounding the data to double costs u |x|, 1,000 times u against
 * the centred columns. */
START_TEST(test_digits_bound)
{
    static const struct {
        double offset, noise;
    } cases[] = {{1000, 0.1}, {1000, 3}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lr_test_seed(21 + (unsigned)c);
        size_t n = 3000, k = 8, len = 0, cap = n * 200;
        char *csv = malloc(cap);
        len += (size_t)snprintf(csv, cap, "y,x1,x2,x3,x4,x5,x6,x7,x8\n");
        for (size_t i = 0; i < n; i++) {
            double x[8], y = 0;
            for (size_t j = 0; j < k; j++) {
                x[j] = j + 1 < k ? gauss12() : x[j - 1] + 1e-6 * gauss12();
                y += 0.1 * (double)(j + 1) * x[j];
            }
            y += cases[c].noise * gauss12();
            len += (size_t)snprintf(csv + len, cap - len, "%.9g", y);
            for (size_t j = 0; j < k; j++)
                len += (size_t)snprintf(csv + len, cap - len, ",%.15g", cases[c].offset + x[j]);
            len += (size_t)snprintf(csv + len, cap - len, "\n");
        }
        char *path = lr_test_write_temp(csv, len);
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        lr_fit *ref = lr_test_fit_path(path, &opt);
        ck_assert(lr_fit_summary(ref)->extended_bits > 0);
        const lr_method ms[] = {LR_METHOD_QR, LR_METHOD_SVD};
        for (size_t m = 0; m < 2; m++) {
            opt.method = ms[m];
            lr_fit *fit = lr_test_fit_path(path, &opt);
            double num = 0, den = 0;
            for (size_t j = 1; j <= k; j++) {
                double b = lr_fit_coef(fit, j)->estimate, r = lr_fit_coef(ref, j)->estimate;
                num += (b - r) * (b - r);
                den += r * r;
            }
            double right = -log10(sqrt(num / den)), promised = lr_fit_summary(fit)->digits;
            double by_kappa =
                -log10(DBL_EPSILON / 2 * (double)(k + 1) * lr_fit_summary(fit)->condition_number);
            ck_assert_msg(promised <= right && by_kappa > right,
                          "case %zu, %s: %.2f digits promised, %.2f right, %.2f by kappa alone", c,
                          lr_method_name(ms[m]), promised, right, by_kappa);
            lr_fit_free(fit);
        }
        lr_fit_free(ref);
        remove(path);
        free(path);
        free(csv);
    }
}
END_TEST

/* n == p: a fit with no residual degrees of freedom; SEs are NaN. */
START_TEST(test_no_residual_df)
{
    double xx[4] = {1, 3, 0, 1}; /* n = 2: y = (1, 3), x1 = (0, 1) */
    lr_fit *fit;
    lr_error err;
    ck_assert_int_eq(fit_matrix(2, 2, xx, 1, LR_METHOD_INVERSE, &fit, &err), LR_OK);
    ck_assert(fabs(lr_fit_coef(fit, 1)->estimate - 2) < 1e-14);
    ck_assert(isnan(lr_fit_coef(fit, 1)->std_error));
    ck_assert(isnan(lr_fit_coef(fit, 1)->p));
    ck_assert(lr_fit_summary(fit)->df_residual == 0);
    lr_fit_free(fit);
    /* fewer rows than coefficients: fitted as R does, the slope aliased */
    ck_assert_int_eq(fit_matrix(1, 2, xx, 1, LR_METHOD_AUTO, &fit, &err), LR_OK);
    ck_assert(lr_fit_coef(fit, 1)->aliased);
    LR_CK_REL(lr_fit_coef(fit, 0)->estimate, 1.0, 0);
    ck_assert(isnan(lr_fit_coef(fit, 0)->std_error));
    lr_fit_free(fit);
}
END_TEST

/* Gauss–Jordan with partial pivoting: A A⁻¹ = I on a matrix that needs pivoting. */
START_TEST(test_gauss_jordan)
{
    lr_test_seed(14);
    size_t n = 40;
    double *a = malloc(n * n * sizeof(double)), *inv = malloc(n * n * sizeof(double));
    double *work = malloc(n * sizeof(double));
    size_t *perm = malloc(n * sizeof(size_t));
    for (size_t i = 0; i < n * n; i++)
        a[i] = lr_test_urand() - 0.5;
    a[0] = 0; /* forces a row interchange at the first step */
    memcpy(inv, a, n * n * sizeof(double));
    ck_assert_uint_eq(lr_naive_invert(n, inv, n, 1e-300, perm, work), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t c = 0; c < n; c++)
                s += a[c * n + i] * inv[j * n + c];
            ck_assert_msg(fabs(s - (i == j)) < 1e-11, "(A A^-1)[%zu,%zu] = %g", i, j, s);
        }
    /* a singular matrix: two equal columns */
    for (size_t i = 0; i < n; i++)
        a[3 * n + i] = a[1 * n + i];
    memcpy(inv, a, n * n * sizeof(double));
    ck_assert_uint_ne(lr_naive_invert(n, inv, n, 1e-12, perm, work), 0);
    free(a);
    free(inv);
    free(work);
    free(perm);
}
END_TEST

/* p-values and quantiles against values printed by R 4.2 (17 digits). */
START_TEST(test_distributions)
{
    /* 2 * pt(-9.4639899902983711, 48) */
    LR_CK_REL(lr_stats_t_pvalue(9.4639899902983711, 48), 1.4898364962950876e-12, 1e-11);
    /* qt(0.975, 48), qt(0.995, 3), qt(0.975, 1e6) */
    LR_CK_REL(lr_stats_t_quantile_upper(0.025, 48), 2.0106347576242318, 1e-13);
    LR_CK_REL(lr_stats_t_quantile_upper(0.005, 3), 5.8409093097333544, 1e-13);
    LR_CK_REL(lr_stats_t_quantile_upper(0.025, 1e6), 1.9599663568141066, 1e-13);
    /* pf(89.567106536467776, 1, 48, lower.tail = FALSE) */
    LR_CK_REL(lr_stats_f_pvalue(89.567106536467776, 1, 48), 1.4898364962950767e-12, 1e-11);
    ck_assert(lr_stats_t_pvalue(INFINITY, 3) == 0);
    ck_assert(isnan(lr_stats_t_pvalue(1, 0)));
}
END_TEST

/* ---- allocation failure injection through the whole CSV pipeline ---- */

/* A fit of the file `path` (one row with NA) by `method`. */
typedef struct csv_run {
    const char *path; /* the CSV file */
    lr_method method; /* the method */
} csv_run;

static int csv_alloc_run(void *ctx, lr_error *err)
{
    const csv_run *c = ctx;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.method = c->method;
    lr_fit *fit = NULL;
    int rc = lr_fit_csv(c->path, &opt, &fit, err);
    if (rc == LR_OK)
        ck_assert_uint_eq(lr_fit_summary(fit)->n_dropped, 1);
    else
        ck_assert_ptr_null(fit);
    lr_fit_free(fit);
    return rc;
}

START_TEST(test_alloc_failures)
{
    const char csv[] = "\"y\",\"a\",\"b\"\n1,2,3\n2,NA,1\n3,5,9\n4,4,4\n5,1,0\n6,7,2\n";
    char *path = lr_test_write_temp(csv, sizeof csv - 1);
    lr_method methods[] = {LR_METHOD_INVERSE, LR_METHOD_NAIVE, LR_METHOD_AUTO};
    for (int m = 0; m < 3; m++) {
        csv_run c = {path, methods[m]};
        /* the pipeline did allocate, and each failure was seen */
        ck_assert(lr_test_alloc_failures(csv_alloc_run, &c, 500) > 4);
    }
    lr_test_remove_file(path);
}
END_TEST

/* The same through auto's extended-precision second pass (Wampler1 triggers it),
 * with a factor and a formula, the diagnostics pass (HC2, residual quantiles,
 * plot points) and the model kept for saving: every failure is LR_ENOMEM and
 * nothing leaks. */
START_TEST(test_alloc_failures_extended)
{
    const char csv[] = "y,x,g\n1,0,a\n6,1,b\n63,2,a\n364,3,b\n1365,4,a\n3906,5,b\n"
                       "9331,6,a\n19608,7,b\n37449,8,a\n66430,9,b\n111111,10,a\n";
    char *path = lr_test_write_temp(csv, sizeof csv - 1);
    const char *paths[] = {path};
    lr_test_extended_run c = {paths, 1, "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5) + g", 5, 0};
    lr_test_alloc_failures(lr_test_extended_alloc_run, &c, 2000);
    ck_assert_msg(c.extended, "the extended-precision pass did not run");
    lr_test_remove_file(path);
}
END_TEST

START_TEST(test_options)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    ck_assert_int_eq(opt.intercept, 1);
    ck_assert_int_eq(opt.method, LR_METHOD_AUTO);
    ck_assert(opt.level == 0.95);
    ck_assert_str_eq(lr_method_name(LR_METHOD_NAIVE), "naive");
    ck_assert_str_eq(lr_strerror(LR_ENOMEM), "out of memory");
    opt.level = 1.5;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(lr_test_path("datasets/cars.csv"), &opt, &fit, &err), LR_EUSAGE);
    ck_assert_ptr_null(fit);
    lr_fit_free(NULL);
}
END_TEST

/* ---- residual quantiles: bucketed selection against a full sort ---- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Values of six kinds for the quantiles' tests. */
#define QUANTILE_KINDS 6
static void quantile_data(double *x, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        double u = lr_test_urand() - 0.5;
        switch (kind) {
        case 0: x[i] = u; break;                         /* spread over binades */
        case 1: x[i] = 0.025 + u * 1e-9; break;          /* one bucket or two */
        case 2: x[i] = 0.0; break;                       /* every value equal */
        case 3: x[i] = (i % 3 == 0) ? -0.0 : 0.0; break; /* signed zeros */
        case 4: x[i] = floor(u * 8); break;              /* many ties */
        default: /* wide range */ x[i] = ldexp(u, (int)(lr_test_urand() * 2000) - 1000); break;
        }
    }
}

START_TEST(test_quantiles7)
{
    static const double probs[5] = {0, 0.25, 0.5, 0.75, 1};
    lr_test_seed(7);
    size_t sizes[] = {1, 2, 3, 4, 5, 7, 100, 1001, 65537, 300000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *x = malloc(n * sizeof(double)), *s = malloc(n * sizeof(double));
        for (int kind = 0; kind < QUANTILE_KINDS; kind++) {
            quantile_data(x, n, kind);
            memcpy(s, x, n * sizeof(double));
            qsort(s, n, sizeof(double), cmp_dbl);
            double q[5];
            lr_quantiles7(x, n, probs, q);
            for (int k = 0; k < 5; k++) {
                double h = (double)(n - 1) * probs[k];
                size_t lo = (size_t)floor(h);
                double a = s[lo], b = lo + 1 < n ? s[lo + 1] : a;
                double want = a + (h - (double)lo) * (b - a);
                ck_assert_msg(q[k] == want, "n %zu kind %d q%d: %.17g, sorted %.17g", n, kind, k,
                              q[k], want);
            }
        }
        free(x);
        free(s);
    }
}
END_TEST

/* The quantiles' selection split among "ranks" (diagnostics.h, the steps
 * mpi_fit.c runs): x cut into nr contiguous shares (some empty), each an
 * lr_qvalues; counts summed, the plan, the wanted buckets' values picked
 * rank after rank: the same bits as lr_quantiles7 on the whole. And a
 * histogram's counts and extremes summed over the shares are one process's. */
static void split_select(const double *x, size_t n, int nr, double q[5])
{
    lr_qvalues qv[5];
    size_t nb = lr_qvalues_buckets(1);
    uint64_t *h = calloc(nb, sizeof *h), cnt[5 * LR_Q7_WANT];
    double ext[2];
    ck_assert_ptr_nonnull(h);
    for (int r = 0; r < nr; r++) {
        /* share r is x[cut(r), cut(r + 1)); with three or more, share 1 is empty */
        size_t a = n * (size_t)(r == 2 ? 1 : r) / (size_t)nr;
        size_t b = n * (size_t)(r == 1 && nr > 2 ? 1 : r + 1) / (size_t)nr;
        ck_assert_int_eq(lr_qvalues_init(&qv[r], n, 1), LR_OK);
        ck_assert_int_eq(lr_qvalues_add(&qv[r], x + a, b - a), LR_OK);
        lr_qvalues_count(&qv[r], h, ext);
    }
    lr_q7_plan pl;
    lr_q7_plan_make(h, n, lr_quantile_probs, &pl);
    free(h);
    double *g = malloc((size_t)(pl.total ? pl.total : 1) * sizeof *g), *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(v);
    size_t at = 0;
    for (int r = 0; r < nr; r++) {
        lr_qvalues_pick(&qv[r], pl.want, pl.nw, cnt + r * pl.nw, v + at);
        for (int j = 0; j < pl.nw; j++)
            at += cnt[r * pl.nw + j];
    }
    ck_assert_uint_eq(at, pl.total);
    uint64_t pos[LR_Q7_WANT];
    memcpy(pos, pl.start, sizeof pos);
    at = 0;
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < pl.nw; j++)
            for (uint64_t k = 0; k < cnt[r * pl.nw + j]; k++)
                g[pos[j]++] = v[at++];
    lr_q7_plan_finish(&pl, g, q);
    for (int r = 0; r < nr; r++)
        lr_qvalues_free(&qv[r]);
    free(g);
    free(v);
}

START_TEST(test_quantiles_split)
{
    lr_test_seed(11);
    size_t sizes[] = {1, 2, 5, 100, 1001, 65537, 200000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
        for (int kind = 0; kind < QUANTILE_KINDS; kind++) {
            quantile_data(x, n, kind);
            double want[5], q[5];
            memcpy(y, x, n * sizeof(double));
            lr_quantiles7(y, n, lr_quantile_probs, want);
            for (int nr = 1; nr <= 5; nr++) {
                split_select(x, n, nr, q);
                ck_assert_msg(!memcmp(q, want, sizeof q), "n %zu kind %d, %d shares", n, kind, nr);
            }
        }
        /* a histogram (more observations than the exact budget): the shares'
         * counts and extremes are the whole's */
        lr_qvalues whole, part;
        size_t nb = lr_qvalues_buckets(0);
        uint64_t *h0 = calloc(nb, sizeof *h0), *h1 = calloc(nb, sizeof *h1);
        double e0[2], e1[2], mn = INFINITY, mx = -INFINITY;
        ck_assert_int_eq(lr_qvalues_init(&whole, LR_RESID_BUDGET + 1, 0), LR_OK);
        ck_assert_int_eq(lr_qvalues_add(&whole, x, n), LR_OK);
        lr_qvalues_count(&whole, h0, e0);
        for (int r = 0; r < 3; r++) {
            size_t a = n * (size_t)r / 3, b = n * (size_t)(r + 1) / 3;
            ck_assert_int_eq(lr_qvalues_init(&part, LR_RESID_BUDGET + 1, 0), LR_OK);
            ck_assert_int_eq(lr_qvalues_add(&part, x + a, b - a), LR_OK);
            lr_qvalues_count(&part, h1, e1);
            mn = e1[0] < mn ? e1[0] : mn;
            mx = e1[1] > mx ? e1[1] : mx;
            lr_qvalues_free(&part);
        }
        ck_assert_int_eq(whole.exact, 0);
        ck_assert(!memcmp(h0, h1, nb * sizeof *h0));
        ck_assert(mn == e0[0] && mx == e0[1]);
        lr_qvalues_free(&whole);
        free(h0);
        free(h1);
        free(x);
        free(y);
    }
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_exact_solution),
        LR_TEST(test_inverse_unshifted),
        LR_TEST(test_inverse_vs_naive),
        LR_TEST_LOOP(test_aliasing, (int)LR_TEST_COUNT(all_methods)),
        LR_TEST(test_methods_agree),
        LR_TEST(test_offset_column_fits),
        LR_TEST(test_intercept_variance),
        LR_TEST(test_digits_bound),
        LR_TEST(test_no_residual_df),
        LR_TEST(test_gauss_jordan),
        LR_TEST(test_distributions),
        LR_TEST(test_alloc_failures),
        LR_TEST(test_alloc_failures_extended),
        LR_TEST(test_options),
        LR_TEST(test_quantiles7),
        LR_TEST(test_quantiles_split),
    };
    return lr_test_run_cases("fit", 0, tests, LR_TEST_COUNT(tests));
}
