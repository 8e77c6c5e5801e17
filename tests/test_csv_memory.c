/*
 * test_csv_memory.c — the CSV reader's memory: bounded by its buffer and the
 * longest row, not by the file, and every allocation failure surfacing as
 * LR_ENOMEM with nothing left allocated (from memory and from a file).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_fixture.h"

/* Memory is bounded by the buffer and the longest row, not by the file. */
START_TEST(test_bounded_memory)
{
    bytes b = {0};
    for (int i = 0; i < 1000000; i++)
        puts_(&b, i % 10 ? "1.25,2.5,3.75,4.125,\"x\"\"y\"\n" : "10,20,30,40,\"q\"\n");
    char *path = lr_test_write_temp(b.p, b.n);
    lr_test_peak a = {0};
    lr_set_allocator(lr_test_peak_alloc, &a);
    lr_csv *r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open(path, NULL, NULL, &r, &err), LR_OK);
    lr_csv_row row;
    int has_row, n = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row)
        n++;
    lr_csv_free(r);
    lr_set_allocator(NULL, NULL);
    ck_assert_int_eq(n, 1000000);
    ck_assert_uint_eq(a.live, 0);
    ck_assert_msg(b.n > 20 * BUF_SIZE && a.peak < BUF_SIZE + 8192,
                  "peak %zu bytes for a %zu-byte file", a.peak, b.n);
    remove_temp(path);
    free(b.p);
}
END_TEST

/* Read everything; return the status of the first failure (LR_OK if none). */
static int read_all(lr_csv *r, size_t *nrows)
{
    lr_csv_row row;
    int has_row;
    lr_error err;
    *nrows = 0;
    for (;;) {
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc) {
            ck_assert_str_eq(err.message, "out of memory");
            return rc;
        }
        if (!has_row)
            return LR_OK;
        (*nrows)++;
    }
}

/* One open and read of data (from the file `path` when set, else the buffer). */
typedef struct csv_alloc_run {
    const char *data; /* the bytes */
    size_t len;       /* their number */
    const char *path; /* a file holding them, or NULL: read the buffer */
    size_t want_rows; /* rows a complete read yields */
} csv_alloc_run;

static int csv_alloc_run_fn(void *ctx, lr_error *err)
{
    const csv_alloc_run *c = ctx;
    lr_csv *r = NULL;
    int rc = c->path ? lr_csv_open(c->path, "f.csv", NULL, &r, err)
                     : lr_csv_open_buffer(c->data, c->len, "f.csv", NULL, &r, err);
    size_t nrows = 0;
    if (rc == LR_OK) {
        rc = read_all(r, &nrows);
        lr_csv_free(r);
    } else {
        ck_assert_ptr_null(r);
        ck_assert_str_eq(err->message, "out of memory");
    }
    if (rc == LR_OK) {
        /* a refused allocation is never swallowed: success means none was refused */
        ck_assert_msg(lr_test_allocs < lr_test_fail_at, "allocation %ld refused, yet a success",
                      lr_test_fail_at);
        ck_assert_uint_eq(nrows, c->want_rows);
    }
    return rc;
}

/*
 * Fail the k-th allocation for k = 1, 2, ... until a run needs no more than
 * k - 1: every failure must surface as LR_ENOMEM and leave nothing allocated.
 */
static void alloc_failure_sweep(const char *data, size_t len, int from_file, size_t want_rows)
{
    char *path = from_file ? lr_test_write_temp(data, len) : NULL;
    csv_alloc_run c = {data, len, path, want_rows};
    /* more than 4 runs: the sweep did reach the row-time allocations */
    ck_assert(lr_test_alloc_failures(csv_alloc_run_fn, &c, 1000000) > 4);
    if (path) {
        unlink(path);
        free(path);
    }
}

START_TEST(test_alloc_failure_buffer)
{
    /* Escapes need scratch, twice growing; 40 fields grow the fields array. */
    bytes b = {0};
    puts_(&b, "\"a\"\"b\",\"c\"\n");
    for (int j = 0; j < 40; j++)
        puts_(&b, j ? ",x" : "x");
    puts_(&b, "\n\"");
    for (int j = 0; j < 200; j++)
        puts_(&b, "q\"\"");
    puts_(&b, "\",z\n");
    alloc_failure_sweep(b.p, b.n, 0, 3);
    free(b.p);
}
END_TEST

START_TEST(test_alloc_failure_file)
{
    /* A row longer than the buffer makes it grow, twice. */
    bytes b = {0};
    puts_(&b, "h\n\"");
    for (int j = 0; j < (3 << 20) / 4; j++)
        puts_(&b, "ab\"\"");
    puts_(&b, "\"\nend\n");
    alloc_failure_sweep(b.p, b.n, 1, 3);
    free(b.p);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        {test_bounded_memory, 0, "memory"},
        LR_TEST(test_alloc_failure_buffer),
        LR_TEST(test_alloc_failure_file),
    };
    return lr_test_run_cases("csv_memory", 600, tests, LR_TEST_COUNT(tests));
}
