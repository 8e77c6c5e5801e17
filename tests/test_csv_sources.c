/*
 * test_csv_sources.c — where the CSV reader's bytes come from, and their
 * errors: a missing file, a directory, a descriptor that cannot be read, a
 * pipe (far more than a pipe holds, in uneven writes), standard input; the
 * caller's descriptors are left open.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_fixture.h"

START_TEST(test_open_missing)
{
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open("/nonexistent-dir/x.csv", NULL, NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.message, "/nonexistent-dir/x.csv: cannot open: No such file or directory");
    ck_assert_int_eq(err.code, LR_EIO);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_int_eq(lr_csv_open("/nonexistent-dir/x.csv", "data", NULL, &r, &err), LR_EIO);
    ck_assert_str_eq(err.message, "data: cannot open: No such file or directory");
}
END_TEST

START_TEST(test_open_directory)
{
    char dir[] = "/tmp/linreg-dir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open(dir, NULL, NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    char want[256];
    snprintf(want, sizeof want, "%s: is a directory", dir);
    ck_assert_str_eq(err.message, want);
    rmdir(dir);
}
END_TEST

START_TEST(test_read_error)
{
    char *path = lr_test_write_temp("a,b\n", 4);
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open_fd(fd, "w.csv", NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.message, "w.csv: read error: Bad file descriptor");
    /* The caller's descriptor is still open. */
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
    close(fd);
    remove_temp(path);
}
END_TEST

START_TEST(test_open_fd_pipe)
{
    /* ~600 KB through a pipe (far more than a pipe holds), written in uneven chunks. */
    bytes b = {0};
    puts_(&b, "id;name;value\n");
    for (int i = 0; i < 30000; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d;\"n;%d\";%d.5\n", i, i % 97, i * 7);
        puts_(&b, line);
    }
    pipe_writer w;
    int fd = pipe_writer_start(&w, b.p, b.n);
    lr_csv *a, *m;
    lr_error err;
    ck_assert_int_eq(lr_csv_open_fd(fd, "p.csv", NULL, &a, &err), LR_OK);
    ck_assert_int_eq(lr_csv_delimiter(a), ';');
    ck_assert_str_eq(lr_csv_name(a), "p.csv");
    ck_assert_int_eq(lr_csv_open_buffer(b.p, b.n, "p.csv", NULL, &m, &err), LR_OK);
    ck_assert_uint_eq(compare_readers(a, m), 30001);
    lr_csv_free(a);
    lr_csv_free(m);
    /* lr_csv_free leaves the caller's descriptor open. */
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
    pipe_writer_finish(&w, fd);
    free(b.p);
}
END_TEST

START_TEST(test_open_stdin)
{
    const char *in = "x|y\n1|2\n";
    char *path = lr_test_write_temp(in, strlen(in));
    int saved = dup(0);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, 0), 0);
    close(fd);
    lr_csv *r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open("-", NULL, NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "<stdin>");
    ck_assert_int_eq(lr_csv_delimiter(r), '|');
    lr_csv_row row;
    int has_row, n = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row)
        n++;
    ck_assert_int_eq(n, 2);
    lr_csv_free(r);
    ck_assert_int_ne(fcntl(0, F_GETFD), -1); /* stdin is not closed */
    ck_assert_int_eq(lseek(0, 0, SEEK_SET), 0);
    ck_assert_int_eq(lr_csv_open("-", "input", NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "input");
    lr_csv_free(r);
    dup2(saved, 0);
    close(saved);
    remove_temp(path);
}
END_TEST

static Suite *csv_sources_suite(void)
{
    Suite *s = suite_create("csv_sources");
    TCase *ts = tcase_create("sources");
    tcase_add_test(ts, test_open_missing);
    tcase_add_test(ts, test_open_directory);
    tcase_add_test(ts, test_read_error);
    tcase_add_test(ts, test_open_fd_pipe);
    tcase_add_test(ts, test_open_stdin);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    return lr_test_main(csv_sources_suite());
}
