/*
 * test_accumulator.c — the normal-equation statistics: block and merge
 * invariance, the BLAS and naive kernels, shifting, weights, errors, and
 * allocation failures.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accumulator.h"
#include "internal.h"
#include "test_util.h"

/* A fixed-seed generator (splitmix64) so every run sees the same data. */
/* Exact-ish reference moments in long double, two-pass. */
static void reference_moments(size_t n, size_t k, const double *x, size_t ld, const double *w,
                              long double *mean, long double *m2)
{
    long double W = 0;
    for (size_t i = 0; i < n; i++)
        W += w ? w[i] : 1.0L;
    for (size_t j = 0; j < k; j++) {
        long double s = 0;
        for (size_t i = 0; i < n; i++)
            s += (w ? w[i] : 1.0L) * x[j * ld + i];
        mean[j] = s / W;
    }
    for (size_t j = 0; j < k; j++)
        for (size_t l = 0; l < k; l++) {
            long double s = 0;
            for (size_t i = 0; i < n; i++)
                s += (w ? w[i] : 1.0L) * (x[j * ld + i] - mean[j]) * (x[l * ld + i] - mean[l]);
            m2[j * k + l] = s;
        }
}

static double *make_data(size_t n, size_t k, double offset)
{
    double *x = malloc(n * k * sizeof(double));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            x[j * n + i] =
                offset + (double)(j + 1) * (lr_test_urand() - 0.5) + (j ? 0.3 * x[i] : 0);
    return x;
}

/* An accumulator of k columns on kernel; its creation must succeed. */
static lr_accum *accum_new(size_t k, lr_kernel kernel)
{
    lr_accum *a = NULL;
    lr_error err;
    ck_assert_int_eq(lr_accum_create(k, kernel, &a, &err), LR_OK);
    return a;
}

/* x's n rows (leading dimension ld) added to a in blocks of `block` rows. */
static void add_blocks(lr_accum *a, size_t n, const double *x, size_t ld, size_t block)
{
    lr_error err;
    for (size_t i = 0; i < n; i += block)
        ck_assert_int_eq(lr_accum_add(a, n - i < block ? n - i : block, x + i, ld, NULL, &err),
                         LR_OK);
}

/* a's means and co-moments (lower triangle) against b's, k columns: the
 * means first, as a mean may settle a QR accumulator's co-moments. */
static void check_same_moments(const lr_accum *a, const lr_accum *b, size_t k, double rtol_mean,
                               double rtol)
{
    for (size_t j = 0; j < k; j++)
        LR_CK_REL(lr_accum_mean(a)[j], lr_accum_mean(b)[j], rtol_mean);
    size_t la, lb;
    const double *ma = lr_accum_comoments(a, &la), *mb = lr_accum_comoments(b, &lb);
    for (size_t j = 0; j < k; j++)
        for (size_t l = 0; l <= j; l++)
            LR_CK_REL(ma[j * la + l], mb[j * lb + l], rtol);
}

static void check_against_reference(const lr_accum *a, size_t n, size_t k, const double *x,
                                    const double *w, double rtol)
{
    long double *mean = malloc(k * sizeof(long double));
    long double *m2 = malloc(k * k * sizeof(long double));
    reference_moments(n, k, x, n, w, mean, m2);
    if (lr_test_under_valgrind())
        rtol *= 1e3; /* the long double reference is a double one there */
    size_t ld;
    const double *m = lr_accum_comoments(a, &ld);
    for (size_t j = 0; j < k; j++) {
        LR_CK_REL(lr_accum_mean(a)[j], (double)mean[j], rtol);
        for (size_t l = 0; l <= j; l++)
            LR_CK_REL(m[j * ld + l], (double)m2[j * k + l],
                      rtol * sqrtl(m2[j * k + j] * m2[l * k + l]) /
                          (fabsl(m2[j * k + l]) + 1e-300L));
    }
    free(mean);
    free(m2);
}

/* Rows added in blocks of any size, on each kernel, give the reference
 * statistics; so do accumulators of one block each merged in order (a
 * one-row part, a short last part). */
typedef struct block_case {
    unsigned seed;  /* lr_test_seed's */
    size_t n;       /* rows */
    size_t k;       /* columns */
    double offset;  /* make_data's */
    size_t block;   /* rows a call */
    lr_kernel kern; /* the accumulator's */
    double rtol;    /* against the long-double reference */
} block_case;

static const block_case block_cases[] = {
    {1, 5000, 6, 3.0, 1, LR_KERNEL_BLAS, 1e-13},
    {1, 5000, 6, 3.0, 7, LR_KERNEL_BLAS, 1e-13},
    {1, 5000, 6, 3.0, 100, LR_KERNEL_BLAS, 1e-13},
    {1, 5000, 6, 3.0, 1024, LR_KERNEL_BLAS, 1e-13},
    {1, 5000, 6, 3.0, 5000, LR_KERNEL_BLAS, 1e-13},
    /* the naive kernel: the same statistics in plain loops */
    {2, 3000, 5, -7.0, 512, LR_KERNEL_NAIVE, 1e-13},
    {2, 3000, 5, -7.0, 512, LR_KERNEL_BLAS, 1e-13},
    /* a column 1e9 + unit noise keeps its digits: every block is centred
     * first (uncentred sums would lose all 16 digits, 1e18 against ~1e3) */
    {3, 4000, 3, 1e9, 1000, LR_KERNEL_BLAS, 1e-12},
};

START_TEST(test_blocks)
{
    const block_case *c = &block_cases[_i];
    lr_test_seed(c->seed);
    double *x = make_data(c->n, c->k, c->offset);
    lr_accum *a = accum_new(c->k, c->kern), *merged = accum_new(c->k, c->kern);
    add_blocks(a, c->n, x, c->n, c->block);
    lr_error err;
    for (size_t i = 0; i < c->n; i += c->block) { /* each block its own, merged in order */
        lr_accum *part = accum_new(c->k, c->kern);
        add_blocks(part, c->n - i < c->block ? c->n - i : c->block, x + i, c->n, c->block);
        ck_assert_int_eq(lr_accum_merge(merged, part, &err), LR_OK);
        lr_accum_free(part);
    }
    const lr_accum *both[2] = {a, merged};
    for (int q = 0; q < 2; q++) {
        ck_assert_uint_eq(lr_accum_nobs(both[q]), c->n);
        LR_CK_REL(lr_accum_weight(both[q]), (double)c->n, 0);
        check_against_reference(both[q], c->n, c->k, x, NULL, c->rtol);
    }
    lr_accum_free(a);
    lr_accum_free(merged);
    free(x);
}
END_TEST

/* Weight 2 is the row twice; weight 0 rows count for nothing. */
START_TEST(test_weights)
{
    lr_test_seed(4);
    size_t n = 200, k = 3;
    double *x = make_data(n, k, 1.0);
    double *w = malloc(n * sizeof(double));
    double *dup = malloc(2 * n * k * sizeof(double));
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        w[i] = (double)(i % 3); /* 0, 1, 2 */
        for (size_t r = 0; r < (size_t)w[i]; r++) {
            for (size_t j = 0; j < k; j++)
                dup[j * 2 * n + nd] = x[j * n + i];
            nd++;
        }
    }
    lr_accum *a = accum_new(k, LR_KERNEL_BLAS), *b = accum_new(k, LR_KERNEL_BLAS);
    lr_error err;
    ck_assert_int_eq(lr_accum_add(a, n, x, n, w, &err), LR_OK);
    ck_assert_int_eq(lr_accum_add(b, nd, dup, 2 * n, NULL, &err), LR_OK);
    /* rows with w = 0 are not observations */
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++)
        nonzero += w[i] > 0;
    ck_assert_uint_eq(lr_accum_nobs(a), nonzero);
    LR_CK_REL(lr_accum_weight(a), lr_accum_weight(b), 1e-15);
    check_same_moments(a, b, k, 1e-13, 1e-12);
    /* A negative or non-finite weight is an error. */
    w[5] = -1;
    ck_assert_int_eq(lr_accum_add(a, n, x, n, w, &err), LR_EVALUE);
    w[5] = NAN;
    ck_assert_int_eq(lr_accum_add(a, n, x, n, w, &err), LR_EVALUE);
    lr_accum_free(a);
    lr_accum_free(b);
    free(x);
    free(w);
    free(dup);
}
END_TEST

/* The QR kernel: RᵀR equals the centred cross products, whatever the blocks,
 * and merging factors equals one pass. */
START_TEST(test_qr_kernel)
{
    lr_test_seed(5);
    size_t n = 3000, k = 5;
    double *x = make_data(n, k, 1e6);
    lr_accum *a, *b, *c, *d;
    lr_error err;
    a = accum_new(k, LR_KERNEL_QR);
    b = accum_new(k, LR_KERNEL_QR);
    c = accum_new(k, LR_KERNEL_QR);
    d = accum_new(k, LR_KERNEL_BLAS);
    ck_assert_uint_eq(lr_accum_kernel(a), LR_KERNEL_QR);
    for (size_t i = 0; i < n; i += 333) {
        size_t m = n - i < 333 ? n - i : 333;
        ck_assert_int_eq(lr_accum_add(a, m, x + i, n, NULL, &err), LR_OK);
        ck_assert_int_eq(lr_accum_add(i < n / 2 ? b : c, m, x + i, n, NULL, &err), LR_OK);
    }
    ck_assert_int_eq(lr_accum_add(d, n, x, n, NULL, &err), LR_OK);
    ck_assert_int_eq(lr_accum_merge(b, c, &err), LR_OK);
    ck_assert_uint_eq(lr_accum_nobs(b), n);
    check_against_reference(a, n, k, x, NULL, 1e-12);
    check_against_reference(b, n, k, x, NULL, 1e-12);
    size_t ld;
    const double *r = lr_accum_factor(a, &ld);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_null(lr_accum_factor(d, &ld));
    for (size_t j = 0; j < k; j++)
        for (size_t i = j + 1; i < k; i++)
            ck_assert(r[j * ld + i] == 0); /* upper triangular */
    /* a factor cannot be merged with cross products */
    ck_assert_int_eq(lr_accum_merge(a, d, &err), LR_EUSAGE);
    lr_accum_free(a);
    lr_accum_free(b);
    lr_accum_free(c);
    lr_accum_free(d);
    free(x);
}
END_TEST

/* The QR kernel's merges (accumulator_qr.c) on rows wide enough to gather
 * pending rows (k + 1 = 121 and 141, B = 2,048: a full first block by
 * dgeqrt; after a merged triangle, 121 folds its pending rows and 141 keeps
 * them): accumulators of a few rows (pending rows only) and of more than B
 * (a factor R⁺ and pending rows), whose shifts differ because the columns
 * drift from 1e6 by up to 5e4, merged in a tree — a factor into an
 * accumulator without one (twice), a triangle under a triangle (dtpqrt's
 * pentagonal form) with pending rows under both, an empty accumulator —
 * equal one pass (its last rows by the update) and the long-double
 * reference; and the same rows through a column permutation
 * (lr_accum_remap re-triangularises R⁺) give the permuted statistics. */
static const size_t merge_paths_k[] = {120, 140};

START_TEST(test_qr_merge_paths)
{
    lr_test_seed(9);
    size_t n = 4800, k = merge_paths_k[_i];
    double *x = make_data(n, k, 1e6);
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            x[j * n + i] += 10.0 * (double)i * (double)(j % 3);
    size_t cut[] = {0, 40, 2140, 2160, 2360, 2365, 2565, 4665, 4800};
    lr_accum *part[8], *one = accum_new(k, LR_KERNEL_QR), *perm;
    lr_error err;
    add_blocks(one, n, x, n, 97);
    for (int q = 0; q < 8; q++) {
        part[q] = accum_new(k, LR_KERNEL_QR);
        ck_assert_int_eq(lr_accum_add(part[q], cut[q + 1] - cut[q], x + cut[q], n, NULL, &err),
                         LR_OK);
    }
    lr_accum *empty = accum_new(k, LR_KERNEL_QR);
    for (int step = 1; step < 8; step *= 2) {
        for (int q = 0; q + step < 8; q += 2 * step)
            ck_assert_int_eq(lr_accum_merge(part[q], part[q + step], &err), LR_OK);
        ck_assert_int_eq(lr_accum_merge(part[0], empty, &err), LR_OK);
    }
    lr_accum_free(empty);
    ck_assert_uint_eq(lr_accum_nobs(part[0]), n);
    check_against_reference(one, n, k, x, NULL, 1e-11);
    check_against_reference(part[0], n, k, x, NULL, 1e-11);
    /* reversed columns */
    size_t *map = malloc(k * sizeof *map);
    double *xr = malloc(n * k * sizeof *xr);
    for (size_t j = 0; j < k; j++) {
        map[j] = k - 1 - j;
        memcpy(xr + map[j] * n, x + j * n, n * sizeof *xr);
    }
    ck_assert_int_eq(lr_accum_remap(part[0], k, map, &perm, &err), LR_OK);
    check_against_reference(perm, n, k, xr, NULL, 1e-11);
    lr_accum_free(perm);
    for (int q = 0; q < 8; q++)
        lr_accum_free(part[q]);
    lr_accum_free(one);
    free(map);
    free(xr);
    free(x);
}
END_TEST

/* The preconditioned update (accumulator_qr.c) folds blocks of 2,048 rows
 * into k + 1 = 61 columns; its guard sends a block to dtpqrt. Seven blocks
 * of rows around 1e6: the first factored on its own; the second while
 * column 5, zero in the first 3,000 rows (a level seen late), leaves a zero
 * on R⁺'s diagonal (dtpqrt, no update tried); the fourth with deviations
 * 30 times the others' (‖C‖₂ far above 2: refused); the rest updated, the
 * last at the end (a full block read, not made room for). Rows come in
 * calls of 333 (lr_qr_add) and in parts of 500 merged in order (a chain:
 * put_rows), so C is made both as rows arrive and at the fold; both equal
 * the long-double reference, and the counts say which way each block went.
 * Then the same with a triangle: a wide accumulator's factor merged under
 * another's (pentagonal dtpqrt, never the update). */
START_TEST(test_qr_update)
{
    lr_test_seed(12);
    size_t n = 7 * 2048, k = 60;
    double *x = make_data(n, k, 1e6);
    for (size_t i = 0; i < 3000; i++)
        x[5 * n + i] = 0;
    for (size_t j = 0; j < k; j++)
        for (size_t i = 3 * 2048; i < 4 * 2048; i++)
            if (j != 5)
                x[j * n + i] = 1e6 + 30.0 * (x[j * n + i] - 1e6);
    lr_accum *one = accum_new(k, LR_KERNEL_QR), *chain = NULL;
    lr_error err;
    add_blocks(one, n, x, n, 333);
    for (size_t i = 0; i < n; i += 500) {
        lr_accum *part = accum_new(k, LR_KERNEL_QR);
        add_blocks(part, n - i < 500 ? n - i : 500, x + i, n, 500);
        if (!chain) {
            chain = part;
            continue;
        }
        ck_assert_int_eq(lr_accum_merge(chain, part, &err), LR_OK);
        lr_accum_free(part);
    }
    check_against_reference(one, n, k, x, NULL, 1e-11);
    check_against_reference(chain, n, k, x, NULL, 1e-11);
    lr_accum *acc[] = {one, chain};
    for (int q = 0; q < 2; q++) {
        uint64_t taken, refused;
        lr_accum_update_counts(acc[q], &taken, &refused);
        ck_assert_uint_eq(taken, 4);   /* blocks 3, 5, 6 and 7 */
        ck_assert_uint_eq(refused, 1); /* block 4 */
    }
    /* A factor under a factor: the pentagonal fold, then pending rows. */
    lr_accum *a = accum_new(k, LR_KERNEL_QR), *b = accum_new(k, LR_KERNEL_QR);
    add_blocks(a, 5000, x, n, 5000);
    add_blocks(b, n - 5000, x + 5000, n, 4096);
    ck_assert_int_eq(lr_accum_merge(a, b, &err), LR_OK);
    check_against_reference(a, n, k, x, NULL, 1e-11);
    lr_accum_free(a);
    lr_accum_free(b);
    lr_accum_free(one);
    lr_accum_free(chain);
    free(x);
}
END_TEST

/* Values of size 1e150 and 1e-150: the factor neither overflows nor underflows. */
START_TEST(test_qr_extreme_scale)
{
    lr_test_seed(6);
    size_t n = 500, k = 3;
    for (int e = -1; e <= 1; e += 2) {
        double s = e > 0 ? 1e150 : 1e-150;
        double *x = make_data(n, k, 2.0);
        lr_accum *u = accum_new(k, LR_KERNEL_QR);
        add_blocks(u, n, x, n, n);
        for (size_t i = 0; i < n * k; i++)
            x[i] *= s;
        lr_accum *a = accum_new(k, LR_KERNEL_QR);
        add_blocks(a, n, x, n, 100);
        size_t ld, ldu;
        const double *r = lr_accum_factor(a, &ld), *ru = lr_accum_factor(u, &ldu);
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i <= j; i++) {
                ck_assert(isfinite(r[j * ld + i]));
                /* |R| scales with the data (signs of rows may differ) */
                LR_CK_REL(fabs(r[j * ld + i]) / s, fabs(ru[j * ldu + i]), 1e-12);
            }
        lr_accum_free(a);
        lr_accum_free(u);
        free(x);
    }
}
END_TEST

/* Growing adds columns that were zero in every earlier row (a factor level
 * seen late): the same statistics as having them from the start. */
START_TEST(test_grow)
{
    lr_kernel kernels[] = {LR_KERNEL_BLAS, LR_KERNEL_NAIVE, LR_KERNEL_QR};
    lr_test_seed(7);
    size_t n = 200, k = 4;
    double *x = make_data(n, k, 0.5);
    for (size_t i = 0; i < n / 2; i++)
        x[3 * n + i] = 0; /* column 3 is zero in the first half */
    for (int q = 0; q < 3; q++) {
        lr_accum *a = accum_new(3, kernels[q]), *b = accum_new(4, kernels[q]);
        lr_error err;
        add_blocks(a, n / 2, x, n, n);
        ck_assert_int_eq(lr_accum_grow(a, 4, &err), LR_OK);
        add_blocks(a, n / 2, x + n / 2, n, n);
        add_blocks(b, n, x, n, n);
        ck_assert_int_eq(lr_accum_grow(b, 3, &err), LR_ERANGE); /* cannot shrink */
        check_same_moments(a, b, 4, 1e-13, 1e-12);
        lr_accum_free(a);
        lr_accum_free(b);
    }
    free(x);
}
END_TEST

START_TEST(test_errors)
{
    lr_accum *a = NULL, *b = NULL;
    lr_error err;
    double x[4] = {1, 2, 3, 4};
    ck_assert_int_eq(lr_accum_create(0, LR_KERNEL_BLAS, &a, &err), LR_ERANGE);
    ck_assert_ptr_null(a);
    a = accum_new(2, LR_KERNEL_BLAS);
    ck_assert_int_eq(lr_accum_add(a, 2, x, 1, NULL, &err), LR_ERANGE); /* ld < rows */
    ck_assert_int_eq(lr_accum_add(a, 0, x, 1, NULL, &err), LR_OK);
    b = accum_new(3, LR_KERNEL_BLAS);
    ck_assert_int_eq(lr_accum_merge(a, b, &err), LR_EUSAGE);
    ck_assert_uint_eq(lr_accum_ncols(b), 3);
    lr_accum_free(a);
    lr_accum_free(b);
    lr_accum_free(NULL);
}
END_TEST

/* ---- allocation failure injection ---- */

/* Two accumulators of kernels ka and kb: created, fed, grown and merged. */
typedef struct accum_run {
    const double *x; /* 10 × 3, column-major */
    lr_kernel ka;    /* kernel of the first */
    lr_kernel kb;    /* kernel of the second */
} accum_run;

static int accum_alloc_run(void *ctx, lr_error *err)
{
    const accum_run *c = ctx;
    lr_accum *a = NULL, *b = NULL;
    int rc = lr_accum_create(3, c->ka, &a, err);
    if (rc == LR_OK)
        rc = lr_accum_add(a, 10, c->x, 10, NULL, err);
    if (rc == LR_OK)
        rc = lr_accum_create(3, c->kb, &b, err);
    if (rc == LR_OK)
        rc = lr_accum_add(b, 10, c->x, 10, NULL, err);
    if (rc == LR_OK)
        rc = lr_accum_grow(b, 4, err);
    if (rc == LR_OK)
        rc = lr_accum_grow(a, 4, err);
    if (rc == LR_OK)
        rc = lr_accum_merge(a, b, err);
    lr_accum_free(a);
    lr_accum_free(b);
    return rc;
}

/* A chained model's accumulator (k + 1 = 41): blocks folded by the update
 * as rows are added and as rows are merged in, its workspaces made lazily. */
static int wide_alloc_run(void *ctx, lr_error *err)
{
    const double *x = ctx; /* 6,700 × 40 */
    lr_accum *a = NULL, *b = NULL;
    int rc = lr_accum_create(40, LR_KERNEL_QR, &a, err);
    for (size_t i = 0; rc == LR_OK && i < 6200; i += 1000)
        rc = lr_accum_add(a, 6200 - i < 1000 ? 6200 - i : 1000, x + i, 6700, NULL, err);
    if (rc == LR_OK)
        rc = lr_accum_create(40, LR_KERNEL_QR, &b, err);
    if (rc == LR_OK)
        rc = lr_accum_add(b, 500, x + 6200, 6700, NULL, err);
    if (rc == LR_OK)
        rc = lr_accum_merge(a, b, err);
    lr_accum_free(a);
    lr_accum_free(b);
    return rc;
}

START_TEST(test_alloc_failures_wide)
{
    lr_test_seed(13);
    double *x = make_data(6700, 40, 5.0);
    lr_test_alloc_failures(wide_alloc_run, x, 200);
    free(x);
}
END_TEST

START_TEST(test_alloc_failures)
{
    double x[3 * 10];
    for (int i = 0; i < 30; i++)
        x[i] = i * 0.5 + (i % 7);
    accum_run c = {x, _i == 0 ? LR_KERNEL_BLAS : LR_KERNEL_QR,
                   _i == 0 ? LR_KERNEL_NAIVE : LR_KERNEL_QR};
    lr_test_alloc_failures(accum_alloc_run, &c, 100);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_blocks, LR_TEST_COUNT(block_cases)),
        LR_TEST(test_weights),
        LR_TEST(test_errors),
        LR_TEST_LOOP(test_alloc_failures, 2),
        LR_TEST(test_alloc_failures_wide),
        LR_TEST(test_qr_kernel),
        LR_TEST(test_qr_extreme_scale),
        LR_TEST_LOOP(test_qr_merge_paths, sizeof merge_paths_k / sizeof merge_paths_k[0]),
        LR_TEST(test_grow),
        LR_TEST(test_qr_update),
    };
    return lr_test_run_cases("accumulator", 0, tests, LR_TEST_COUNT(tests));
}
