/*
 * test_bench.c — linreg bench: the arithmetic of the benchmark (operation
 * counts, medians and spreads, the accuracy measures on cases whose inverse
 * is known exactly), a tiny sweep and an end-to-end fit through the library,
 * option errors, allocation failures, and the command: its reports (JSON
 * parsed back, CSV shape) and the SVG picture checked to be well-formed XML
 * with its title, axis labels and legend.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#include <lapacke.h>

#include "linreg_bench.h"
#include "solver.h"
#include "test_util.h"

/* ---- operation counts ---- */

/* The counts checked against the loops they describe: the naive XᵀX visits
 * p(p+1)/2 column pairs with n multiply-adds each; Gauss–Jordan does p pivot
 * steps, each updating p − 1 columns of p entries (a multiply-add each). */
START_TEST(test_flops)
{
    static const struct {
        size_t n, p; /* the size */
    } cases[] = {{4, 2}, {256, 16}, {4096, 1024}, {10, 10}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t n = cases[c].n, p = cases[c].p;
        double pairs = 0;
        for (size_t j = 0; j < p; j++)
            for (size_t i = 0; i <= j; i++)
                pairs += 1;
        double dn = (double)n, dp = (double)p;
        LR_CK_REL(lr_bench_flops(LR_BENCH_GRAM_NAIVE, n, p), 2 * dn * pairs, 0);
        LR_CK_REL(lr_bench_flops(LR_BENCH_GRAM_DSYRK, n, p), 2 * dn * pairs, 0);
        LR_CK_REL(lr_bench_flops(LR_BENCH_GRAM_DGEMM, n, p), 2 * dn * dp * dp, 0);
        LR_CK_REL(lr_bench_flops(LR_BENCH_INV_GJ, n, p), 2 * dp * dp * dp, 0);
        LR_CK_REL(lr_bench_flops(LR_BENCH_INV_POTRI, n, p), dp * dp * dp, 1e-15);
        LR_CK_REL(lr_bench_flops(LR_BENCH_INV_GETRI, n, p), 2 * dp * dp * dp, 1e-15);
        double gram1 = dn * (dp + 1) * (dp + 2);
        LR_CK_REL(lr_bench_flops(LR_BENCH_SOLVE_NAIVE, n, p),
                  gram1 + 2 * dp * dp * dp + 2 * dp * dp, 1e-15);
        LR_CK_REL(lr_bench_flops(LR_BENCH_SOLVE_LAPACK, n, p), gram1 + dp * dp * dp + 2 * dp * dp,
                  1e-15);
    }
    /* small values by hand: n = 4, p = 2 */
    ck_assert(lr_bench_flops(LR_BENCH_GRAM_DSYRK, 4, 2) == 24);
    ck_assert(lr_bench_flops(LR_BENCH_GRAM_DGEMM, 4, 2) == 32);
    ck_assert(lr_bench_flops(LR_BENCH_INV_GJ, 4, 3) == 54);
    ck_assert(lr_bench_flops(LR_BENCH_INV_POTRI, 4, 3) == 27);
    ck_assert(lr_bench_flops(LR_BENCH_INV_GETRI, 4, 3) == 54);
    ck_assert(lr_bench_flops(LR_BENCH_SOLVE_NAIVE, 4, 2) == 72);
    ck_assert(lr_bench_flops(LR_BENCH_SOLVE_LAPACK, 4, 2) == 64);
    ck_assert(isnan(lr_bench_flops(LR_BENCH_NKERNELS, 4, 2)));
    /* names: distinct, none unknown */
    for (int k = 0; k < LR_BENCH_NKERNELS; k++) {
        ck_assert_str_ne(lr_bench_kernel_name((lr_bench_kernel)k), "?");
        for (int l = 0; l < k; l++)
            ck_assert_str_ne(lr_bench_kernel_name((lr_bench_kernel)k),
                             lr_bench_kernel_name((lr_bench_kernel)l));
    }
    ck_assert_str_eq(lr_bench_kernel_name(LR_BENCH_NKERNELS), "?");
}
END_TEST

/* lr_naive_gram computes the upper triangle of XᵀX and leaves the rest alone. */
START_TEST(test_naive_gram)
{
    const size_t n = 5, p = 3;
    const double x[15] = {1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 2, 2, 2, 2, 0.5};
    double c[9];
    for (int i = 0; i < 9; i++)
        c[i] = -7;
    lr_naive_gram(n, p, x, n, c, p);
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++) {
            if (i > j) {
                ck_assert(LR_AT(c, p, i, j) == -7);
                continue;
            }
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += x[i * n + k] * x[j * n + k];
            ck_assert(LR_AT(c, p, i, j) == s);
        }
}
END_TEST

/* ---- medians and spreads ---- */

START_TEST(test_summarize)
{
    lr_bench_timing t;
    double odd[5] = {5, 1, 3, 2, 4};
    lr_bench_timing_summarize(5, odd, 6e9, &t);
    ck_assert(t.median == 3 && t.min == 1 && t.max == 5);
    ck_assert_uint_eq(t.runs, 5);
    ck_assert_int_eq(t.single, 0);
    LR_CK_REL(t.spread, 4.0 / 3.0, 1e-15);
    LR_CK_REL(t.gflops, 2, 1e-15);
    ck_assert(odd[0] == 1 && odd[4] == 5); /* sorted in place */

    double even[4] = {0.4, 0.1, 0.3, 0.2};
    lr_bench_timing_summarize(4, even, NAN, &t);
    LR_CK_REL(t.median, 0.25, 1e-15);
    ck_assert(isnan(t.gflops) && isnan(t.flops));

    double one[1] = {2.5};
    lr_bench_timing_summarize(1, one, 5e9, &t);
    ck_assert(t.median == 2.5 && t.spread == 0);
    LR_CK_REL(t.gflops, 2, 1e-15);

    lr_bench_timing_summarize(0, one, 1, &t);
    ck_assert(isnan(t.median) && t.runs == 0);
}
END_TEST

/* ---- the accuracy measures ---- */

START_TEST(test_lre)
{
    const double exact[3] = {1, -2, 4};
    double est[3] = {1, -2, 4};
    ck_assert(lr_bench_lre(3, est, exact) == 15);
    est[1] = -2 * (1 + 1e-10);
    LR_CK_REL(lr_bench_lre(3, est, exact), 10, 1e-5);
    est[2] = 4 * (1 - 1e-6); /* the minimum over the entries */
    LR_CK_REL(lr_bench_lre(3, est, exact), 6, 1e-5);
    est[0] = NAN;
    ck_assert(lr_bench_lre(3, est, exact) == 0);
    est[0] = INFINITY;
    ck_assert(lr_bench_lre(3, est, exact) == 0);
    const double zero[1] = {0};
    double small[1] = {1e-12};
    LR_CK_REL(lr_bench_lre(1, small, zero), 12, 1e-12);
    double close[1] = {1 + 1e-17};
    const double one[1] = {1};
    ck_assert(lr_bench_lre(1, close, one) == 15); /* capped */
    double far[1] = {1e5};
    ck_assert(lr_bench_lre(1, far, one) == 0); /* floored */
}
END_TEST

/* A = LLᵀ for a unit lower triangular integer L: A and A⁻¹ = L⁻ᵀL⁻¹ are
 * integer matrices, known exactly. */
static void exact_spd(size_t p, const signed char *lower, double *a, double *ainv)
{
    long long l[64], li[64];
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            l[i * p + j] = i == j ? 1 : j < i ? lower[i * p + j] : 0;
    /* L⁻¹ by forward substitution, exactly in integers (unit diagonal) */
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++) {
            long long s = i == j;
            for (size_t k = j; k < i; k++)
                s -= l[i * p + k] * li[k * p + j];
            li[i * p + j] = i < j ? 0 : s;
        }
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            long long s = 0, t = 0;
            for (size_t k = 0; k < p; k++) {
                s += l[i * p + k] * l[j * p + k];
                t += li[k * p + i] * li[k * p + j];
            }
            LR_AT(a, p, i, j) = (double)s;
            LR_AT(ainv, p, i, j) = (double)t;
        }
}

START_TEST(test_residual_exact)
{
    /* L = [1 0 0; 1 1 0; 2 1 1]: A = [1 1 2; 1 2 3; 2 3 6], A⁻¹ = [3 0 -1; 0 2 -1; -1 -1 1] */
    static const signed char lower[9] = {0, 0, 0, 1, 0, 0, 2, 1, 0};
    double a[9], ainv[9];
    exact_spd(3, lower, a, ainv);
    const double want[9] = {3, 0, -1, 0, 2, -1, -1, -1, 1};
    for (int i = 0; i < 9; i++)
        ck_assert(ainv[i] == want[i]);
    double res = -1;
    lr_error err;
    ck_assert_int_eq(lr_bench_inverse_residual(3, a, 3, ainv, 3, &res, &err), LR_OK);
    ck_assert(res == 0);
    /* B = A⁻¹ + δ e₀e₀ᵀ: I − AB = −δ A e₀ e₀ᵀ, whose 1-norm is δ ‖A e₀‖₁ = 4δ */
    ainv[0] += 1.0 / 1024;
    ck_assert_int_eq(lr_bench_inverse_residual(3, a, 3, ainv, 3, &res, &err), LR_OK);
    ck_assert(res == 4.0 / 1024);
    /* leading dimensions are honoured */
    double a5[15] = {0}, b5[15] = {0};
    for (size_t j = 0; j < 3; j++)
        for (size_t i = 0; i < 3; i++) {
            a5[j * 5 + i] = a[j * 3 + i];
            b5[j * 5 + i] = want[j * 3 + i];
        }
    a5[3] = b5[4] = 1e300; /* padding that must not be read as data */
    ck_assert_int_eq(lr_bench_inverse_residual(3, a5, 5, b5, 5, &res, &err), LR_OK);
    ck_assert(res == 0);
    ck_assert_int_eq(lr_bench_inverse_residual(3, a5, 2, b5, 5, &res, &err), LR_EUSAGE);
    ck_assert_int_eq(lr_bench_inverse_residual(0, a, 1, ainv, 1, &res, &err), LR_OK);
    ck_assert(res == 0);
}
END_TEST

/* The inverses the benchmark compares, applied to small matrices with an
 * exact inverse: the residual is at the level of rounding and β = A⁻¹b keeps
 * (nearly) every digit. */
START_TEST(test_inverses_known_case)
{
    static const signed char lower3[9] = {0, 0, 0, 1, 0, 0, 2, 1, 0};
    signed char lower8[64];
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++)
            lower8[i * 8 + j] = (signed char)(j < i ? (int)((i * 3 + j * 5 + 1) % 3) - 1 : 0);
    const signed char *lowers[2] = {lower3, lower8};
    const size_t sizes[2] = {3, 8};
    for (int c = 0; c < 2; c++) {
        size_t p = sizes[c];
        double a[64], ainv[64], w[64], beta_star[8], b[8], beta[8], work[8];
        size_t perm[8];
        exact_spd(p, lowers[c], a, ainv);
        for (size_t j = 0; j < p; j++)
            beta_star[j] = (double)((int)(j % 4) + 1) * (j % 2 ? -1 : 1);
        for (size_t i = 0; i < p; i++) { /* b = Aβ*, exact in integers */
            b[i] = 0;
            for (size_t j = 0; j < p; j++)
                b[i] += LR_AT(a, p, i, j) * beta_star[j];
        }
        /* the exact inverse gives the exact β */
        lr_naive_matvec(p, ainv, p, b, beta);
        ck_assert(lr_bench_lre(p, beta, beta_star) == 15);

        double cond = 0, na = 0, ni = 0;
        for (size_t j = 0; j < p; j++) {
            double sa = 0, si = 0;
            for (size_t i = 0; i < p; i++) {
                sa += fabs(LR_AT(a, p, i, j));
                si += fabs(LR_AT(ainv, p, i, j));
            }
            na = fmax(na, sa);
            ni = fmax(ni, si);
        }
        cond = na * ni;
        /* rounding allows about p u κ in the residual, u κ in β */
        double tol_res = 8 * (double)p * 1.1e-16 * cond;
        double min_lre = 15 - log10(cond) - 1.5;
        if (min_lre > 14)
            min_lre = 14;

        /* Gauss–Jordan */
        memcpy(w, a, p * p * sizeof(double));
        ck_assert_uint_eq(lr_naive_invert(p, w, p, 0.0, perm, work), 0);
        double res;
        lr_error err;
        ck_assert_int_eq(lr_bench_inverse_residual(p, a, p, w, p, &res, &err), LR_OK);
        ck_assert_msg(res <= tol_res, "p = %zu: Gauss-Jordan residual %g (cond %g)", p, res, cond);
        lr_naive_matvec(p, w, p, b, beta);
        ck_assert_msg(lr_bench_lre(p, beta, beta_star) >= min_lre, "p = %zu: LRE %g < %g", p,
                      lr_bench_lre(p, beta, beta_star), min_lre);

        /* dpotrf + dpotri */
        memcpy(w, a, p * p * sizeof(double));
        lapack_int pi = (lapack_int)p;
        ck_assert_int_eq(LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', pi, w, pi), 0);
        ck_assert_int_eq(LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', pi, w, pi), 0);
        for (size_t j = 0; j < p; j++)
            for (size_t i = j + 1; i < p; i++)
                LR_AT(w, p, i, j) = LR_AT(w, p, j, i);
        ck_assert_int_eq(lr_bench_inverse_residual(p, a, p, w, p, &res, &err), LR_OK);
        ck_assert_msg(res <= tol_res, "p = %zu: dpotri residual %g (cond %g)", p, res, cond);
        lr_naive_matvec(p, w, p, b, beta);
        ck_assert(lr_bench_lre(p, beta, beta_star) >= min_lre);
        if (p == 3) { /* the brief's case: κ₁ = 44, every digit */
            ck_assert(res < 1e-14);
            ck_assert(lr_bench_lre(p, beta, beta_star) >= 14);
        }
    }
}
END_TEST

/* ---- the benchmark through the library ---- */

static void check_timing(const lr_bench_timing *t, lr_bench_kernel k, size_t n, size_t p,
                         unsigned runs)
{
    ck_assert_msg(t->median > 0 && isfinite(t->median), "%s: median %g", lr_bench_kernel_name(k),
                  t->median);
    ck_assert(t->min <= t->median && t->median <= t->max);
    ck_assert_uint_eq(t->runs, runs);
    ck_assert(t->flops == lr_bench_flops(k, n, p));
    LR_CK_REL(t->gflops, t->flops / t->median * 1e-9, 1e-12);
    LR_CK_REL(t->spread, (t->max - t->min) / t->median, 1e-12);
}

START_TEST(test_tiny_sweep)
{
    const size_t sizes[2] = {8, 16};
    lr_bench_options opt;
    lr_bench_options_init(&opt);
    ck_assert_uint_eq(opt.repeat, 5);
    ck_assert(opt.single_run_seconds == 2);
    opt.sizes = sizes;
    opt.n_sizes = 2;
    opt.repeat = 2;
    lr_bench_result *r = NULL, *r2 = NULL;
    lr_error err;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_OK);
    ck_assert_uint_eq(r->n_sizes, 2);
    ck_assert_int_eq(r->has_fit, 0);
    ck_assert_ptr_nonnull(strstr(r->blas, "OpenBLAS"));
    ck_assert_int_ge(r->blas_threads, 1);
    ck_assert(r->seconds > 0);
    for (size_t i = 0; i < 2; i++) {
        const lr_bench_size *s = &r->sizes[i];
        ck_assert_uint_eq(s->p, sizes[i]);
        ck_assert_uint_eq(s->n, 256); /* max(4p, 256) */
        for (int k = 0; k < LR_BENCH_NKERNELS; k++)
            check_timing(&s->t[k], (lr_bench_kernel)k, s->n, s->p, 2);
        LR_CK_REL(s->speedup_gram,
                  s->t[LR_BENCH_GRAM_NAIVE].median / s->t[LR_BENCH_GRAM_DSYRK].median, 1e-12);
        LR_CK_REL(s->speedup_potri, s->t[LR_BENCH_INV_GJ].median / s->t[LR_BENCH_INV_POTRI].median,
                  1e-12);
        LR_CK_REL(s->speedup_getri, s->t[LR_BENCH_INV_GJ].median / s->t[LR_BENCH_INV_GETRI].median,
                  1e-12);
        LR_CK_REL(s->speedup_solve,
                  s->t[LR_BENCH_SOLVE_NAIVE].median / s->t[LR_BENCH_SOLVE_LAPACK].median, 1e-12);
        LR_CK_REL(s->dsyrk_of_dgemm,
                  s->t[LR_BENCH_GRAM_DSYRK].gflops / s->t[LR_BENCH_GRAM_DGEMM].gflops, 1e-12);
        /* well conditioned: every inverse accurate to rounding */
        const lr_bench_accuracy *w = &s->acc[LR_BENCH_WELL];
        ck_assert_msg(w->cond >= 1 && w->cond < 100, "cond %g", w->cond);
        for (int k = 0; k < LR_BENCH_NINVERSES; k++) {
            ck_assert_msg(w->residual[k] < 1e-14, "residual %g", w->residual[k]);
            ck_assert_msg(w->lre[k] >= 14, "LRE %g", w->lre[k]);
        }
        /* collinear: κ₁ ≈ 2·10⁷, digits lost roughly as log10 κ */
        const lr_bench_accuracy *c = &s->acc[LR_BENCH_COLLINEAR];
        ck_assert_msg(c->cond > 1e6 && c->cond < 1e9, "cond %g", c->cond);
        for (int k = 0; k < LR_BENCH_NINVERSES; k++) {
            ck_assert_msg(c->residual[k] < 1e-7, "residual %g", c->residual[k]);
            ck_assert_msg(c->lre[k] >= 6 && c->lre[k] < 15, "LRE %g", c->lre[k]);
        }
    }
    /* the problems are fixed by the seed: the accuracy figures repeat exactly */
    opt.repeat = 1;
    ck_assert_int_eq(lr_bench_run(&opt, &r2, &err), LR_OK);
    for (size_t i = 0; i < 2; i++)
        for (int q = 0; q < LR_BENCH_NPROBLEMS; q++) {
            ck_assert(r->sizes[i].acc[q].cond == r2->sizes[i].acc[q].cond);
            for (int k = 0; k < LR_BENCH_NINVERSES; k++)
                ck_assert(r->sizes[i].acc[q].lre[k] == r2->sizes[i].acc[q].lre[k]);
        }
    lr_bench_result_free(r);
    lr_bench_result_free(r2);
    lr_bench_result_free(NULL);
}
END_TEST

/* A warm-up longer than single_run_seconds is the only run, and flagged. */
START_TEST(test_single_run)
{
    const size_t sizes[1] = {4};
    lr_bench_options opt;
    lr_bench_options_init(&opt);
    opt.sizes = sizes;
    opt.n_sizes = 1;
    opt.rows = 9;
    opt.single_run_seconds = 1e-12;
    lr_bench_result *r;
    lr_error err;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_OK);
    ck_assert_uint_eq(r->sizes[0].n, 9);
    for (int k = 0; k < LR_BENCH_NKERNELS; k++) {
        ck_assert_uint_eq(r->sizes[0].t[k].runs, 1);
        ck_assert_int_eq(r->sizes[0].t[k].single, 1);
        ck_assert(r->sizes[0].t[k].spread == 0);
    }
    lr_bench_result_free(r);
}
END_TEST

START_TEST(test_bad_options)
{
    static lr_bench_result sentinel;
    lr_bench_options opt;
    lr_bench_result *r = &sentinel; /* must be reset to NULL */
    lr_error err;
    const size_t one[1] = {1}, eight[1] = {8};

    lr_bench_options_init(&opt);
    opt.repeat = 0;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.message, "repeat"));

    lr_bench_options_init(&opt);
    opt.sizes = one;
    opt.n_sizes = 1;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "at least 2"));

    lr_bench_options_init(&opt);
    opt.sizes = eight;
    opt.n_sizes = 1;
    opt.rows = 7;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);

    lr_bench_options_init(&opt);
    opt.sizes = eight;
    opt.n_sizes = 0;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);

    lr_bench_options_init(&opt);
    opt.sweep = 0;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);

    lr_bench_options_init(&opt);
    opt.single_run_seconds = NAN;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EUSAGE);

    lr_bench_options_init(&opt);
    opt.sweep = 0;
    opt.fit_path = "/nonexistent/linreg-bench.csv";
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/linreg-bench.csv"));
}
END_TEST

/* The end-to-end comparison: the same file by --method naive and the default. */
START_TEST(test_fit_bench)
{
    lr_bench_options opt;
    lr_bench_options_init(&opt);
    opt.sweep = 0;
    opt.fit_path = lr_test_path("datasets/cars.csv");
    opt.fit_repeat = 2;
    lr_bench_result *r;
    lr_error err;
    ck_assert_int_eq(lr_bench_run(&opt, &r, &err), LR_OK);
    ck_assert_uint_eq(r->n_sizes, 0);
    ck_assert_int_eq(r->has_fit, 1);
    const lr_bench_fit *f = &r->fit;
    ck_assert_uint_eq(f->n, 50);
    ck_assert_uint_eq(f->p, 2);
    ck_assert_ptr_nonnull(strstr(f->path, "cars.csv"));
    ck_assert_int_eq(f->dflt.status, LR_OK);
    ck_assert_int_eq(f->dflt.requested, LR_METHOD_AUTO);
    ck_assert_int_eq(f->dflt.ran, LR_METHOD_AUTO);
    ck_assert_int_eq(f->dflt.extended_bits, 0);
    ck_assert_int_eq(f->naive.status, LR_OK);
    ck_assert_int_eq(f->naive.ran, LR_METHOD_NAIVE);
    ck_assert_uint_eq(f->naive.t.runs, 2);
    ck_assert(f->naive.t.median > 0 && f->dflt.t.median > 0);
    ck_assert(isnan(f->dflt.t.gflops));
    LR_CK_REL(f->speedup, f->naive.t.median / f->dflt.t.median, 1e-12);
    lr_bench_result_free(r);
}
END_TEST

/* ---- allocation failures ---- */

static int bench_alloc_run(void *ctx, lr_error *err)
{
    lr_bench_result *r = NULL;
    int rc = lr_bench_run(ctx, &r, err);
    lr_bench_result_free(r);
    return rc;
}

START_TEST(test_alloc_failures)
{
    const size_t sizes[2] = {3, 5};
    lr_bench_options opt;
    lr_bench_options_init(&opt);
    opt.sizes = sizes;
    opt.n_sizes = 2;
    opt.repeat = 1;
    opt.fit_path = lr_test_path("datasets/cars.csv");
    opt.fit_repeat = 1;
    /* more than 19 runs: allocations 1 to 19 at least each failed in turn */
    ck_assert(lr_test_alloc_failures(bench_alloc_run, &opt, 5000) > 19);
}
END_TEST

/* ---- the XML checker (tests/test_util.c) ---- */

START_TEST(test_xml_checker)
{
    static const struct {
        const char *doc; /* a document */
        int ok;          /* 1 if well-formed */
    } cases[] = {
        {"<a/>", 1},
        {"<?xml version=\"1.0\"?>\n<a x=\"1\" y='2'><b>t &amp; &#955; &#x3bb;</b><!-- c --></a>\n",
         1},
        {"<a><b></a></b>", 0},
        {"<a>", 0},
        {"<a x=1/>", 0},
        {"<a x=\"1\" x=\"2\"/>", 0},
        {"<a>&</a>", 0},
        {"<a>&nbsp;</a>", 0},
        {"<a x=\"<\"/>", 0},
        {"<a/><b/>", 0},
        {"text<a/>", 0},
        {"<a></a >", 1},
        {"<a>]]></a>", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char why[128];
        ck_assert_msg(lr_test_xml_well_formed(cases[i].doc, why, sizeof why) == cases[i].ok,
                      "case %zu (%s): %s", i, cases[i].doc, cases[i].ok ? why : "accepted");
    }
}
END_TEST

/* ---- the command ---- */

START_TEST(test_cli_text_and_plot)
{
    char *svg = lr_test_write_temp("", 0);
    const char *argv[] = {"linreg",   "bench", "-q",     "--sizes", "8,16",
                          "--repeat", "2",     "--plot", svg,       NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert_uint_eq(r.err_len, 0); /* -q: no progress */
    static const char *const in_text[] = {"BLAS/LAPACK: OpenBLAS",
                                          "Threads: BLAS/LAPACK on",
                                          "naive (1 thread)",
                                          "dsyrk",
                                          "dpotrf + dpotri",
                                          "dgetrf + dgetri",
                                          "Whole solve",
                                          "Accuracy",
                                          "cond1(A)",
                                          "flops: X'X one triangle n p (p+1)",
                                          "Gauss-Jordan 2p^3",
                                          "\n    8    256 |",
                                          "\n   16    256 |"};
    for (size_t i = 0; i < sizeof in_text / sizeof *in_text; i++)
        ck_assert_msg(strstr(r.out, in_text[i]), "no '%s' in:\n%s", in_text[i], r.out);
    lr_test_run_free(&r);

    size_t len;
    char *doc = lr_test_read_file(svg, &len);
    ck_assert_ptr_nonnull(doc);
    char why[128];
    ck_assert_msg(lr_test_xml_well_formed(doc, why, sizeof why), "SVG not well-formed: %s", why);
    ck_assert_ptr_nonnull(strstr(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    static const char *const in_svg[] = {
        "<title>",                            /* a title for the document */
        "linreg bench: what BLAS/LAPACK buy", /* the visible title */
        "Time per call",
        "Speedup of the library path",               /* panel titles */
        "p, the number of columns of X (log scale)", /* x axis label */
        "time per call (log scale)",                 /* y axis labels */
        "naive time / BLAS-LAPACK time (log scale)",
        "inverse, dpotrf + dpotri",
        "whole solve", /* legend entries */
        "inverse, Gauss\xe2\x80\x93Jordan",
        "break-even",
        ">16</text>",
        ">8</text>", /* tick labels at powers of two */
        "<polyline",
        "<circle"};
    for (size_t i = 0; i < sizeof in_svg / sizeof *in_svg; i++)
        ck_assert_msg(strstr(doc, in_svg[i]), "no '%s' in the SVG", in_svg[i]);
    free(doc);
    lr_test_remove_file(svg);
}
END_TEST

START_TEST(test_cli_json_csv)
{
    const char *argv[] = {"linreg",   "bench", "-q",       "--sizes", "8,16",
                          "--repeat", "1",     "--format", "json",    NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    json_error_t jerr;
    json_t *root = json_loads(r.out, 0, &jerr);
    ck_assert_msg(root != NULL, "JSON: %s at line %d", jerr.text, jerr.line);
    json_t *sizes = json_object_get(root, "sizes");
    ck_assert_uint_eq(json_array_size(sizes), 2);
    json_t *s1 = json_array_get(sizes, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(s1, "p")), 16);
    json_t *gj = json_object_get(json_object_get(s1, "timings"), "inv_gauss_jordan");
    ck_assert(json_real_value(json_object_get(gj, "median_s")) > 0);
    ck_assert(json_is_false(json_object_get(gj, "single_run")));
    json_t *acc = json_object_get(json_object_get(s1, "accuracy"), "well_conditioned");
    ck_assert(json_number_value(json_object_get(json_object_get(acc, "potrf_potri"), "lre")) >= 14);
    ck_assert(json_is_null(json_object_get(root, "fit")));
    ck_assert(json_is_string(json_object_get(root, "blas")));
    json_decref(root);
    lr_test_run_free(&r);

    const char *argv2[] = {"linreg",   "bench", "-q",       "--sizes", "8,16",
                           "--repeat", "1",     "--format", "csv",     NULL};
    r = lr_test_cmd(argv2, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    /* a header and two rows, every row with the header's number of fields */
    size_t lines = 0, fields[3] = {0};
    for (const char *c = r.out; *c; c++) {
        if (lines < 3 && *c == ',')
            fields[lines]++;
        if (*c == '\n')
            lines++;
    }
    ck_assert_uint_eq(lines, 3);
    ck_assert_uint_eq(fields[1], fields[0]);
    ck_assert_uint_eq(fields[2], fields[0]);
    ck_assert(!strncmp(r.out, "p,n,gram_naive_median_s,", 24));
    ck_assert_ptr_nonnull(strstr(r.out, "\n16,256,"));
    lr_test_run_free(&r);
}
END_TEST

START_TEST(test_cli_fit)
{
    const char *cars = lr_test_path("datasets/cars.csv");
    char path[4096];
    snprintf(path, sizeof path, "%s", cars);
    const char *argv[] = {"linreg", "bench", "-q", "--fit", path, "--repeat", "1", NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "End to end: linreg fit"));
    ck_assert_ptr_nonnull(strstr(r.out, "50 rows used, 2 coefficients"));
    ck_assert_ptr_nonnull(strstr(r.out, "--method naive"));
    ck_assert_ptr_nonnull(strstr(r.out, "naive time / default time"));
    ck_assert_ptr_null(strstr(r.out, "X'X:")); /* --fit alone: no sweep */
    lr_test_run_free(&r);

    const char *argv2[] = {"linreg",   "bench", "-q",       "--fit", path,
                           "--repeat", "1",     "--format", "csv",   NULL};
    r = lr_test_cmd(argv2, NULL);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert(!strncmp(r.out, "method,ran,extended_bits,status,n,p,runs,", 41));
    ck_assert_ptr_nonnull(strstr(r.out, "\nauto,auto,0,ok,50,2,1,"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nnaive,naive,0,ok,50,2,1,"));
    lr_test_run_free(&r);
}
END_TEST

/* Usage errors exit 2 with a message and nothing on stdout; a missing file exits 1. */
START_TEST(test_cli_errors)
{
    static const struct {
        const char *args[10]; /* after "linreg bench" */
        int exit_code;        /* expected */
        const char *message;  /* expected in stderr */
    } cases[] = {
        {{"--sizes", "1", NULL}, 2, "--sizes must be a comma-separated list"},
        {{"--sizes", "8,,16", NULL}, 2, "--sizes must be"},
        {{"--sizes", "8x", NULL}, 2, "--sizes must be"},
        {{"--repeat", "0", NULL}, 2, "--repeat must be an integer from 1 to 1000"},
        {{"--rows", "-3", NULL}, 2, "--rows must be"},
        {{"--sizes", "64", "--rows", "32", NULL}, 2, "--rows is smaller than the size '64'"},
        {{"--format", "xml", NULL}, 2, "unknown --format"},
        {{"--fit", "x.csv", "--plot", "x.svg", NULL}, 2, "--plot draws the size sweep"},
        {{"--fit", "x.csv", "--sizes", "8", "--format", "csv", NULL}, 2, "one table"},
        {{"--bogus", NULL}, 2, "unknown option '--bogus'"},
        {{"--sizs", "8", NULL}, 2, "unknown option '--sizs' (did you mean '--sizes'?)"},
        {{"--format", "markdown", NULL}, 2, "unknown --format (expected text, json or csv)"},
        {{"--sizes", NULL}, 2, "missing value for option '--sizes'"},
        {{"extra", NULL}, 2, "unexpected argument"},
        {{"-q", "--fit", "/nonexistent/linreg.csv", NULL},
         1,
         "linreg: /nonexistent/linreg.csv: cannot open"},
        {{"-q", "--sizes", "8", "--repeat", "1", "--plot", "/nonexistent/dir/x.svg", NULL},
         1,
         "linreg: /nonexistent/dir/x.svg: cannot write (a temporary file in /nonexistent/dir): "
         "No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[14] = {"linreg", "bench"};
        size_t a = 2;
        for (size_t k = 0; cases[i].args[k]; k++)
            argv[a++] = cases[i].args[k];
        argv[a] = NULL;
        lr_test_run_result r = lr_test_cmd(argv, NULL);
        ck_assert_msg(r.exit_code == cases[i].exit_code, "case %zu: exit %d, stderr %s", i,
                      r.exit_code, r.err);
        ck_assert_msg(strstr(r.err, cases[i].message), "case %zu: stderr %s", i, r.err);
        ck_assert_msg(r.out_len == 0, "case %zu: stdout %s", i, r.out);
        lr_test_run_free(&r);
    }
    const char *help[] = {"linreg", "bench", "--help", NULL};
    lr_test_run_result r = lr_test_cmd(help, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert(!strncmp(r.out, "Usage: linreg bench", 19));
    lr_test_run_free(&r);
    const char *top[] = {"linreg", "--help", NULL};
    r = lr_test_cmd(top, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "  bench [OPTIONS]"));
    lr_test_run_free(&r);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_flops),
        LR_TEST(test_naive_gram),
        LR_TEST(test_summarize),
        LR_TEST(test_lre),
        LR_TEST(test_residual_exact),
        LR_TEST(test_inverses_known_case),
        LR_TEST(test_tiny_sweep),
        LR_TEST(test_single_run),
        LR_TEST(test_bad_options),
        LR_TEST(test_fit_bench),
        LR_TEST(test_alloc_failures),
        LR_TEST(test_xml_checker),
        LR_TEST(test_cli_text_and_plot),
        LR_TEST(test_cli_json_csv),
        LR_TEST(test_cli_fit),
        LR_TEST(test_cli_errors),
    };
    return lr_test_run_cases("bench", 120, tests, LR_TEST_COUNT(tests));
}
