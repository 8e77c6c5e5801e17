/*
 * test_wide_rows.c — rows wider than a chunk holds many of: 3,000 rows of 300
 * predictors (about 5 MB, so six 1 MiB chunks of ~550 rows, fewer rows each
 * than the accumulator gathers before it factors, B = 2 k = 602). The QR
 * accumulator's pending rows then span chunks, are folded into R in the merge
 * tree, and full factors merge: the JSON must be the same bytes on 1, 2 and 4
 * threads, and the fit R's (tests/data/r_wide_rows.json, made by
 * tests/reference/gen_r_wide_rows.R from the same integer recurrence).
 * And a model that becomes wide midway through a file (a factor's levels
 * come late): its first chunks fold along the tree, the rest in a chain
 * (model_frame_fold.c). Mid-width models (32 <= k + 1 < 128), which chain
 * with blocks of 2,048 rows. And predictions with a model of 80 variables.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "test_util.h"

/* Every number is R's to about 10 digits: the model is well conditioned. */
#define RTOL 1e-9

static json_t *ref;

/* x / 100 for an integer x, written exactly (no rounding of a double). */
static void put_hundredths(lr_test_text *t, long long x, const char *sep)
{
    long long a = x < 0 ? -x : x;
    lr_test_put(t, "%s%lld.%02lld%s", x < 0 ? "-" : "", a / 100, a % 100, sep);
}

static size_t csv_bytes; /* the data set's size */
static double *csv_y;    /* when set (n entries): each row's response */

/* The data set of gen_r_wide_rows.R (its header comment has the recipe). */
static char *wide_csv(int n, int p, uint64_t seed)
{
    lr_test_text t = {NULL, 0, 0};
    uint64_t s = seed;
    long long *x = malloc((size_t)p * sizeof *x);
    ck_assert_ptr_nonnull(x);
    lr_test_put(&t, "y");
    for (int j = 1; j <= p; j++)
        lr_test_put(&t, ",x%d", j);
    lr_test_put(&t, "\n");
    for (int i = 0; i < n; i++) {
        long long y = 500;
        for (int j = 0; j <= p; j++) {
            s = s * 48271 % 2147483647;
            long long v = (long long)(s % 2001) - 1000;
            if (j < p) {
                x[j] = v;
                y += (long long)((j + 1) % 7 - 3) * v;
            } else {
                y += 10 * v;
            }
        }
        if (csv_y)
            csv_y[i] = (double)y / 100;
        put_hundredths(&t, y, ",");
        for (int j = 0; j < p; j++)
            put_hundredths(&t, x[j], j + 1 < p ? "," : "\n");
    }
    free(x);
    char *file = lr_test_write_temp(t.s, t.n);
    csv_bytes = t.n;
    free(t.s);
    return file;
}

/* The data set of the reference, as a temporary file (each test makes its own). */
static char *ref_csv(void)
{
    return wide_csv((int)json_integer_value(json_object_get(ref, "n")),
                    (int)json_integer_value(json_object_get(ref, "p")),
                    (uint64_t)json_integer_value(json_object_get(ref, "seed")));
}

/* The fit of formula by method on two threads (keep_model: for lr_fit_save). */
static lr_fit *fit_with(const char *path, const char *formula, lr_method m, int keep_model)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    opt.threads = 2;
    opt.method = m;
    opt.keep_model = keep_model;
    return lr_test_fit_path(path, &opt);
}

/* The JSON on 1, 2 and 4 threads, byte for byte. */
START_TEST(test_wide_rows_threads)
{
    char *path = ref_csv();
    ck_assert_uint_gt(csv_bytes, 4u << 20); /* several chunks */
    char *out = lr_test_json_same_threads("y ~ .", path);
    ck_assert_ptr_nonnull(strstr(out, "\"rank\": 301,"));
    free(out);
    lr_test_remove_file(path);
}
END_TEST

/* R's coefficients, standard errors, t values, σ and R² (default method, two threads). */
START_TEST(test_wide_rows_r)
{
    char *path = ref_csv();
    lr_fit *fit = fit_with(path, "y ~ .", LR_METHOD_AUTO, 0);
    json_t *coefs = json_object_get(ref, "coefficients");
    ck_assert_uint_eq(lr_fit_ncoef(fit), json_array_size(coefs));
    ck_assert_uint_eq(json_array_size(coefs), 301);
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++) {
        json_t *r = json_array_get(coefs, j);
        const lr_coef *c = lr_fit_coef(fit, j);
        ck_assert_str_eq(c->name, json_string_value(json_object_get(r, "name")));
        LR_CK_REL(c->estimate, lr_test_ref_num(r, "estimate"), RTOL);
        LR_CK_REL(c->std_error, lr_test_ref_num(r, "std_error"), RTOL);
        LR_CK_REL(c->t, lr_test_ref_num(r, "t"), RTOL);
    }
    const lr_summary *s = lr_fit_summary(fit);
    ck_assert_uint_eq(s->n, (uint64_t)json_integer_value(json_object_get(ref, "n")));
    LR_CK_REL(s->df_residual, lr_test_ref_num(ref, "df_residual"), 0);
    LR_CK_REL(s->sigma, lr_test_ref_num(ref, "sigma"), RTOL);
    LR_CK_REL(s->r_squared, lr_test_ref_num(ref, "r_squared"), RTOL);
    lr_fit_free(fit);
    lr_test_remove_file(path);
}
END_TEST

/* Predictions with a model of 80 variables (more than the 64 a row's
 * evaluation once held on its stack, which made every such prediction an
 * error): over the data it was fitted to, Σ (y − ŷ)² is the fit's RSS.
 * 600 rows, the reference's recurrence: small, for the valgrind stage. */
typedef struct rss_sum {
    double rss;
    size_t n, bad;
} rss_sum;

static void add_residual(void *ud, const lr_prediction *p)
{
    rss_sum *r = ud;
    if (!p->ok || !(fabs(p->se_fit) >= 0))
        r->bad++;
    double e = csv_y[r->n++] - p->fit;
    r->rss += e * e;
}

START_TEST(test_wide_rows_predict)
{
    size_t n = 600;
    csv_y = malloc(n * sizeof *csv_y);
    ck_assert_ptr_nonnull(csv_y);
    char *path = wide_csv((int)n, 80, 11);
    lr_fit *fit = fit_with(path, "y ~ .", LR_METHOD_AUTO, 1);
    const lr_summary *s = lr_fit_summary(fit);
    char *dir = lr_test_temp_dir(), model[4096];
    snprintf(model, sizeof model, "%s/wide.json", dir);
    lr_error err;
    ck_assert_msg(lr_fit_save(fit, model, &err) == LR_OK, "%s", err.message);
    lr_model *m = NULL;
    ck_assert_msg(lr_model_load(model, &m, &err) == LR_OK, "%s", err.message);
    rss_sum r = {0, 0, 0};
    ck_assert_msg(lr_predict_csv(m, path, LR_INTERVAL_CONFIDENCE, 0.95, add_residual, &r, &err) ==
                      LR_OK,
                  "%s", err.message);
    ck_assert_uint_eq(r.n, n);
    ck_assert_uint_eq(r.bad, 0);
    LR_CK_REL(r.rss, s->sigma * s->sigma * s->df_residual, RTOL);
    lr_model_free(m);
    lr_fit_free(fit);
    unlink(model);
    rmdir(dir);
    free(dir);
    free(csv_y);
    csv_y = NULL;
    lr_test_remove_file(path);
}
END_TEST

/* y = 3 + x/2 + (level of g)/10 + noise; g has 10 levels in the first
 * 24,000 rows (about 2.4 MB: several chunks with k + 1 < 32, which fold
 * along the tree) and 200 from there on, so the model becomes wide (k + 1 =
 * 202) midway and its tree is collapsed into the chain. Each row carries a
 * note the model does not use (80 bytes), so that the chunks hold few rows:
 * the QR work of the rows, not the bytes, is what this test costs under
 * valgrind. */
#define NOTE "a note of eighty bytes that the model does not read: it only makes rows wider..."
static char *late_levels_csv(void)
{
    lr_test_text t = {NULL, 0, 0};
    uint64_t s = 12345;
    lr_test_put(&t, "y,x,g,note\n");
    for (int i = 0; i < 36000; i++) {
        s = s * 48271 % 2147483647;
        long long x = (long long)(s % 2001) - 1000;
        s = s * 48271 % 2147483647;
        int g = (int)(s % (i < 24000 ? 10 : 200));
        s = s * 48271 % 2147483647;
        long long e = (long long)(s % 201) - 100;
        put_hundredths(&t, 300 + x / 2 + 10 * g + e, ",");
        put_hundredths(&t, x, ",");
        lr_test_put(&t, "L%03d," NOTE "\n", g);
    }
    char *file = lr_test_write_temp(t.s, t.n);
    csv_bytes = t.n;
    free(t.s);
    return file;
}

/* y ~ x + g on two threads by the method m. */
/* The chained fit: the same bytes on 1, 2 and 4 threads, and the Gram
 * path's numbers (this model is well conditioned) to 1e-9. */
START_TEST(test_wide_rows_late_levels)
{
    char *path = late_levels_csv();
    ck_assert_uint_gt(csv_bytes, 3u << 20); /* several chunks before and after */
    char *out = lr_test_json_same_threads("y ~ x + g", path);
    ck_assert_ptr_nonnull(strstr(out, "\"rank\": 201,"));
    free(out);
    lr_fit *qr = fit_with(path, "y ~ x + g", LR_METHOD_AUTO, 0),
           *gram = fit_with(path, "y ~ x + g", LR_METHOD_INVERSE, 0);
    ck_assert_uint_eq(lr_fit_ncoef(qr), 201);
    ck_assert_uint_eq(lr_fit_ncoef(gram), 201);
    for (size_t j = 0; j < lr_fit_ncoef(qr); j++) {
        const lr_coef *a = lr_fit_coef(qr, j), *b = lr_fit_coef(gram, j);
        ck_assert_str_eq(a->name, b->name);
        LR_CK_REL(a->estimate, b->estimate, RTOL);
        LR_CK_REL(a->std_error, b->std_error, RTOL);
    }
    LR_CK_REL(lr_fit_summary(qr)->sigma, lr_fit_summary(gram)->sigma, RTOL);
    lr_fit_free(qr);
    lr_fit_free(gram);
    lr_test_remove_file(path);
}
END_TEST

/* Mid-width models (32 <= k + 1 < 128) chain too, gathering B = 2,048 rows
 * before each fold (accumulator_qr.c): 12,000 x 40 has chunks of ~4,600
 * rows, more than B (each folds its own block and brings a triangle and
 * leftover rows), 5,000 x 100 chunks of ~1,900, fewer (they bring rows
 * only). Either way the JSON must be the same bytes on 1, 2 and 4 threads
 * and the numbers the Gram path's (the model is well conditioned). */
START_TEST(test_wide_rows_mid)
{
    const int shapes[2][2] = {{12000, 40}, {5000, 100}};
    for (int c = 0; c < 2; c++) {
        char *path = wide_csv(shapes[c][0], shapes[c][1], 7 + (uint64_t)c);
        ck_assert_uint_gt(csv_bytes, 5u << 19); /* three chunks or more */
        char rank[32];
        snprintf(rank, sizeof rank, "\"rank\": %d,", shapes[c][1] + 1);
        char *out = lr_test_json_same_threads("y ~ .", path);
        ck_assert_ptr_nonnull(strstr(out, rank));
        free(out);
        lr_fit *qr = fit_with(path, "y ~ .", LR_METHOD_AUTO, 0),
               *gram = fit_with(path, "y ~ .", LR_METHOD_INVERSE, 0);
        ck_assert_uint_eq(lr_fit_ncoef(qr), (size_t)shapes[c][1] + 1);
        for (size_t j = 0; j < lr_fit_ncoef(qr); j++) {
            LR_CK_REL(lr_fit_coef(qr, j)->estimate, lr_fit_coef(gram, j)->estimate, RTOL);
            LR_CK_REL(lr_fit_coef(qr, j)->std_error, lr_fit_coef(gram, j)->std_error, RTOL);
        }
        LR_CK_REL(lr_fit_summary(qr)->sigma, lr_fit_summary(gram)->sigma, RTOL);
        lr_fit_free(qr);
        lr_fit_free(gram);
        lr_test_remove_file(path);
    }
}
END_TEST

int main(void)
{
    ref = lr_test_load_json("tests/data/r_wide_rows.json");
    if (!ref)
        return 1;
    const lr_test_case tests[] = {
        LR_TEST(test_wide_rows_threads),     LR_TEST(test_wide_rows_r),
        LR_TEST(test_wide_rows_late_levels), LR_TEST(test_wide_rows_mid),
        LR_TEST(test_wide_rows_predict),
    };
    int rc = lr_test_run_cases("wide_rows", 600, tests, LR_TEST_COUNT(tests));
    json_decref(ref);
    return rc;
}
