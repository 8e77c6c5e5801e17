/*
 * test_wide_factor.c — factors with thousands of levels through the command:
 * the model-column cap refused at the row that passes it (in the first chunk,
 * and in a later chunk where only the union of the chunks passes it), fast
 * (the child gets a CPU-time limit: before, reaching the cap took minutes);
 * and a wide factor whose levels appear late, in later chunks, fitted with
 * the same bits on 1, 2 and 4 threads. Agreement with R on a 300-level factor
 * seen late is in test_formula.c (wide_factor_late_levels, every method).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* CPU seconds the refusals may take (the fixed build takes about 0.01 s;
 * the old one, minutes). Generous for sanitizer builds. */
#define CAP_CPU_SECONDS 30

/* Run linreg on the text (as a file) with a CPU limit; expect exit 1 and
 * exactly `want` (%F: the file) on stderr, nothing on stdout. */
static void expect_refusal(lr_test_text *t, const char *formula, const char *want)
{
    char *path = lr_test_write_temp(t->s, t->n);
    const char *argv[] = {"linreg", "fit", "-f", formula, path, NULL};
    lr_test_run_result r;
    lr_test_cpu_limit = CAP_CPU_SECONDS;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    lr_test_cpu_limit = 0;
    char *msg = lr_test_expand_path(want, path);
    ck_assert_msg(r.exit_code == 1, "exit %d (137/152: killed at the CPU limit), stderr: %s",
                  r.exit_code, r.err);
    ck_assert_str_eq(r.err, msg);
    ck_assert_uint_eq(r.out_len, 0);
    free(msg);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
    free(t->s);
}

#define CAP_TAIL                                                                                   \
    ", and linreg supports at most 4096 (the response, the predictors and a column per factor "    \
    "level): it keeps matrices of columns x columns while it streams; fit fewer levels (merge "    \
    "rare ones) or fewer predictors"

/* 4,200 levels, one new per row: the model's columns are y, x and one per
 * level, so level L4094 (row 4095, line 4096) makes column 4097. */
START_TEST(test_cap_first_chunk)
{
    lr_test_text t = {NULL, 0, 0};
    lr_test_put(&t, "y,x,g\n");
    lr_test_seed(1);
    for (int i = 0; i < 4200; i++)
        lr_test_put(&t, "%.3f,%.3f,L%04d\n", 1 + lr_test_urand(), lr_test_urand(), i);
    expect_refusal(&t, "y ~ x + g",
                   "linreg: %F:4096:13: column 'g': level 'L4094' makes the model's column "
                   "4097" CAP_TAIL);
}
END_TEST

/* Levels that come slowly, a new one every 10 rows, of factor() of a
 * numeric column (the first chunk taken on the guess that columns are
 * numeric; beyond its first 1 MiB of cells, rows are not kept for a replay):
 * level 14094 (row 40,940, line 40,942) makes column 4097. The chunk keeps
 * its rows sparsely until it ends, so nothing is accumulated before the
 * refusal; accumulating as they came cost 45 s of CPU. */
START_TEST(test_cap_slow_levels)
{
    lr_test_text t = {NULL, 0, 0};
    lr_test_put(&t, "y,x,g\n");
    lr_test_seed(4);
    for (int i = 0; i < 45000; i++)
        lr_test_put(&t, "%.3f,%.3f,%d\n", 1 + lr_test_urand(), lr_test_urand(), 10000 + i / 10);
    expect_refusal(&t, "y ~ x + factor(g)",
                   "linreg: %F:40942:13: column 'g': level '14094' makes the model's column "
                   "4097" CAP_TAIL);
}
END_TEST

/* A level that passes the cap in a later chunk whose own columns stay under
 * it: rows of 10 kB (an unused column) make chunks of about 100 rows, and
 * each level brings 20 columns (g:poly(x, 20)), so the second chunk holds
 * about 2,100 columns while the union passes 4096 at level L0204 (line
 * 206): 1 + 20 × 204 + 16 = 4097. The error names the file's line. */
START_TEST(test_cap_later_chunk)
{
    lr_test_text t = {NULL, 0, 0};
    char *pad = malloc(10001);
    memset(pad, 'p', 10000);
    pad[10000] = 0;
    lr_test_put(&t, "y,x,g,pad\n");
    lr_test_seed(2);
    for (int i = 0; i < 260; i++)
        lr_test_put(&t, "%.3f,%.3f,L%04d,%s\n", lr_test_urand(), lr_test_urand(), i, pad);
    free(pad);
    expect_refusal(&t, "y ~ g:poly(x, 20, raw = TRUE)",
                   "linreg: %F:206:13: column 'g': level 'L0204' makes the model's column "
                   "4097" CAP_TAIL);
}
END_TEST

/* 10,000 rows of about 620 bytes (six chunks) and a 300-level factor whose
 * levels L000..L099 — the reference level among them — appear only after
 * row 6,700: the same JSON, byte for byte, on 1, 2 and 4 threads. The pad
 * keeps the rows few: the QR work of the rows is what the test costs. */
START_TEST(test_late_levels_threads)
{
    lr_test_text t = {NULL, 0, 0};
    char pad[601];
    memset(pad, 'q', 600);
    pad[600] = 0;
    lr_test_put(&t, "y,x,g,pad\n");
    lr_test_seed(3);
    for (int i = 0; i < 10000; i++) {
        int level = i < 6700 ? 100 + (int)(lr_test_urand() * 200) : (int)(lr_test_urand() * 300);
        double x = 2 * lr_test_urand() - 1;
        lr_test_put(&t, "%.6f,%.6f,L%03d,%s\n", 1 + 2 * x + 0.01 * level + lr_test_urand(), x,
                    level, pad);
    }
    ck_assert_uint_gt(t.n, 5u << 20);
    char *path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    /* valgrind runs one thread at a time and each fit here for minutes: its
     * run checks -t 1 against -t 2 (the release and sanitizer runs all three) */
    char *out = lr_test_json_same_threads("y ~ x + g", path);
    ck_assert_ptr_nonnull(strstr(out, "\"rank\": 301,"));
    ck_assert_ptr_nonnull(strstr(out, "\"name\": \"gL001\""));
    ck_assert_ptr_null(strstr(out, "\"name\": \"gL000\"")); /* the reference */
    free(out);
    lr_test_remove_file(path);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_cap_first_chunk),
        LR_TEST(test_cap_slow_levels),
        LR_TEST(test_cap_later_chunk),
        LR_TEST(test_late_levels_threads),
    };
    return lr_test_run_cases("wide_factor", 600, tests, LR_TEST_COUNT(tests));
}
