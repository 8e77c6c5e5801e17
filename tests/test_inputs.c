/*
 * test_inputs.c — inputs read once by descriptor (byte_source.c): second
 * passes through the descriptor or a stream's unnamed copy, never by name;
 * files that change while they are read. test_pipes.c runs the command on
 * pipes and FIFOs.
 *
 * The moments a file changes are made deterministic by lr_source_test_hook,
 * which the library calls after every read of a descriptor and before every
 * second pass.
 */
#define _GNU_SOURCE /* O_CLOEXEC, utimensat */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byte_source.h"
#include "test_util.h"

static int fit_file(const char *path, lr_fit **fit, lr_error *err)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = LR_TEST_POLY_FORMULA;
    opt.threads = 1;
    return lr_fit_csv(path, &opt, fit, err);
}

/* What the hooks do, and to which file. */
static struct {
    const char *path;    /* the file the test changes */
    const char *replace; /* a file renamed over it (LR_SOURCE_AGAIN) */
    uint64_t at_read;    /* the read after which to act (LR_SOURCE_READ) */
    off_t truncate_to;   /* cut the file to this size, or -1 */
    const char *append;  /* or append these bytes */
    off_t poke_at;       /* or overwrite one byte here (LR_SOURCE_AGAIN), or -1 */
    char poke;           /* the byte */
    int fired;           /* times the hook acted */
} hk;

static void hook_reset(void)
{
    memset(&hk, 0, sizeof hk);
    hk.truncate_to = -1;
    hk.poke_at = -1;
}

static void test_hook(int event, const char *name, uint64_t n)
{
    (void)name;
    if (event == LR_SOURCE_AGAIN && hk.replace) {
        ck_assert(rename(hk.replace, hk.path) == 0);
        hk.fired++;
    } else if (event == LR_SOURCE_AGAIN && hk.poke_at >= 0) {
        int fd = open(hk.path, O_WRONLY | O_CLOEXEC);
        ck_assert(fd >= 0);
        ck_assert(pwrite(fd, &hk.poke, 1, hk.poke_at) == 1);
        close(fd);
        hk.fired++;
    } else if (event == LR_SOURCE_READ && n == hk.at_read && hk.truncate_to >= 0) {
        ck_assert(truncate(hk.path, hk.truncate_to) == 0);
        hk.fired++;
    } else if (event == LR_SOURCE_READ && n == hk.at_read && hk.append) {
        int fd = open(hk.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        ck_assert(fd >= 0);
        size_t len = strlen(hk.append);
        ck_assert(write(fd, hk.append, len) == (ssize_t)len);
        close(fd);
        hk.fired++;
    }
}

/* The file's modification time set well in the past: a write in the same
 * clock tick as the file's creation would otherwise leave it unchanged (the
 * kernel stamps files with a coarse clock), and the test would depend on
 * timing. */
static void age_file(const char *path)
{
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    ck_assert(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

/* Issue 22: data.csv (A) is replaced by B (cp B data.new && mv data.new
 * data.csv) between the first pass and extended precision's second. The
 * second pass reads the file that was opened: A's fit, bit for bit, with
 * A's counts — before, B's coefficients came with A's counts. */
START_TEST(test_replaced_between_passes)
{
    char *dir = lr_test_temp_dir(), *path = lr_test_join(dir, "data.csv"),
         *newp = lr_test_join(dir, "data.new");
    char *ref = lr_test_join(dir, "a.csv");
    size_t la, lb;
    char *a = lr_test_poly_csv(200, 0, &la), *b = lr_test_poly_csv(200, 1, &lb);
    lr_test_write_file(path, a, la);
    lr_test_write_file(ref, a, la);
    lr_test_write_file(newp, b, lb);
    lr_error err;
    lr_fit *want = NULL, *got = NULL, *bfit = NULL;
    ck_assert_msg(fit_file(ref, &want, &err) == LR_OK, "%s", err.message);
    ck_assert_msg(lr_fit_summary(want)->extended_bits > 0, "the data must take a second pass");

    hook_reset();
    hk.path = path;
    hk.replace = newp;
    lr_source_test_hook = test_hook;
    int rc = fit_file(path, &got, &err);
    lr_source_test_hook = NULL;
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    ck_assert_int_eq(hk.fired, 1);
    ck_assert(lr_fit_summary(got)->extended_bits > 0);
    for (size_t j = 0; j < lr_fit_ncoef(want); j++)
        ck_assert_msg(lr_fit_coef(got, j)->estimate == lr_fit_coef(want, j)->estimate,
                      "coefficient %zu: %.17g, A's is %.17g", j, lr_fit_coef(got, j)->estimate,
                      lr_fit_coef(want, j)->estimate);
    /* and B's would have been different */
    ck_assert_msg(fit_file(path, &bfit, &err) == LR_OK, "%s", err.message);
    ck_assert(lr_fit_coef(bfit, 1)->estimate != lr_fit_coef(want, 1)->estimate);
    lr_fit_free(want);
    lr_fit_free(got);
    lr_fit_free(bfit);
    free(a);
    free(b);
    free(path);
    free(newp);
    free(ref);
    lr_test_remove_dir(dir);
}
END_TEST

/* The same file written in place between the passes (same size, one digit
 * changed): an error naming it, not a fit mixing two versions. */
START_TEST(test_written_between_passes)
{
    char *dir = lr_test_temp_dir(), *path = lr_test_join(dir, "data.csv");
    size_t la;
    char *a = lr_test_poly_csv(200, 0, &la);
    lr_test_write_file(path, a, la);
    age_file(path);
    hook_reset();
    hk.path = path;
    hk.poke_at = (off_t)(strchr(a + 4, ',') + 1 - a); /* the first y */
    hk.poke = '7';
    lr_source_test_hook = test_hook;
    lr_error err;
    lr_fit *fit = NULL;
    int rc = fit_file(path, &fit, &err);
    lr_source_test_hook = NULL;
    ck_assert_int_eq(hk.fired, 1);
    ck_assert_int_eq(rc, LR_EIO);
    ck_assert(fit == NULL);
    char want[4200];
    snprintf(want, sizeof want,
             "%s: changed while being read: written to after it was opened "
             "(its modification time changed)",
             path);
    ck_assert_str_eq(err.message, want);
    free(a);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

/* ---- a file of many rows, cut or grown while the first pass reads it ---- */

#define BIG_ROWS 120000

static char *big_csv(size_t *len)
{
    size_t cap = (size_t)BIG_ROWS * 48 + 16, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "y,x\n");
    unsigned s = 12345;
    for (int i = 0; i < BIG_ROWS; i++) {
        s = s * 1103515245u + 12345u;
        double x = (double)(s >> 8) / 65536.0;
        o +=
            (size_t)snprintf(b + o, cap - o, "%.6f,%.6f\n", 2 + 3 * x + (double)(s & 255) / 256, x);
    }
    *len = o;
    return b;
}

/* Past 1.5 MiB, in the middle of the last field of a row: the cut row still
 * parses (with fewer digits) and the file ends there. */
static off_t mid_number(const char *b)
{
    const char *nl = strchr(b + (3 << 19), '\n');
    return (off_t)(nl - b) - 3;
}

static lr_fit_options big_options(void)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.target = "y";
    static const char *const xs[] = {"x"};
    opt.features = xs;
    opt.n_features = 1;
    opt.threads = 2;
    return opt;
}

/* Fit the file of BIG_ROWS rows at dir/big.csv while the hook changes it
 * after the read at_read (truncate_to >= 0: cut there; else append). *path
 * and *data are the file's (malloc'd). The fit must fail: its error. */
static int fit_while_changed(const char *dir, uint64_t at_read, int cut, const char *append,
                             char **path, char **data, size_t *len, lr_error *err)
{
    *path = lr_test_join(dir, "big.csv");
    *data = big_csv(len);
    lr_test_write_file(*path, *data, *len);
    hook_reset();
    hk.path = *path;
    hk.at_read = at_read;
    hk.truncate_to = cut ? mid_number(*data) : -1;
    hk.append = append;
    lr_fit_options opt = big_options();
    lr_fit *fit = NULL;
    lr_source_test_hook = test_hook;
    int rc = lr_fit_csv(*path, &opt, &fit, err);
    lr_source_test_hook = NULL;
    ck_assert_msg(rc != LR_OK, "a fit of a file that changed");
    ck_assert(fit == NULL);
    ck_assert_int_eq(hk.fired, 1);
    return rc;
}

/* Issue 22: truncated while it is read. The first read is the 16 bytes
 * that look for gzip's magic, the second the rest of the first 1 MiB chunk:
 * after it the file is cut at 1.5 MiB, in the middle of a number. Before,
 * the ~65,000 rows up to the cut were fitted, exit 0. */
START_TEST(test_truncated_while_read)
{
    char *dir = lr_test_temp_dir(), *path, *b;
    size_t len;
    lr_error err;
    int rc = fit_while_changed(dir, 2, 1, NULL, &path, &b, &len, &err);
    ck_assert_int_eq(rc, LR_EIO);
    char want[4200];
    snprintf(want, sizeof want,
             "%s: changed while being read: %zu bytes when it was opened, %lld now", path, len,
             (long long)hk.truncate_to);
    ck_assert_str_eq(err.message, want);
    free(b);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

/* Grown while it is read (rows appended, as a log is): an error too. */
START_TEST(test_grown_while_read)
{
    char *dir = lr_test_temp_dir(), *path, *b;
    size_t len;
    lr_error err;
    int rc = fit_while_changed(dir, 2, 0, "1,2\n3,4\n", &path, &b, &len, &err);
    ck_assert_int_eq(rc, LR_EIO);
    ck_assert_msg(strstr(err.message, ": changed while being read: ") != NULL, "%s", err.message);
    free(b);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

static void count_row(void *ud, const lr_prediction *p)
{
    (void)p;
    ++*(long *)ud;
}

/* predict's input is checked the same way. */
START_TEST(test_predict_input_truncated)
{
    char *dir = lr_test_temp_dir(), *path = lr_test_join(dir, "big.csv"),
         *model = lr_test_join(dir, "m.json");
    size_t len;
    char *b = big_csv(&len);
    lr_test_write_file(path, b, len);
    lr_fit_options opt = big_options();
    opt.keep_model = 1;
    lr_error err;
    lr_fit *fit = NULL;
    lr_model *m = NULL;
    ck_assert_msg(lr_fit_csv(path, &opt, &fit, &err) == LR_OK, "%s", err.message);
    ck_assert_msg(lr_fit_save(fit, model, &err) == LR_OK, "%s", err.message);
    ck_assert_msg(lr_model_load(model, &m, &err) == LR_OK, "%s", err.message);
    long rows = 0;
    ck_assert_msg(lr_predict_csv(m, path, LR_INTERVAL_NONE, 0.95, count_row, &rows, &err) == LR_OK,
                  "%s", err.message);
    ck_assert_int_eq(rows, BIG_ROWS);

    hook_reset();
    hk.path = path;
    hk.at_read = 2;
    hk.truncate_to = mid_number(b);
    lr_source_test_hook = test_hook;
    int rc = lr_predict_csv(m, path, LR_INTERVAL_NONE, 0.95, count_row, &rows, &err);
    lr_source_test_hook = NULL;
    ck_assert_int_eq(hk.fired, 1);
    ck_assert_int_eq(rc, LR_EIO);
    ck_assert(strstr(err.message, ": changed while being read: ") != NULL);
    lr_model_free(m);
    lr_fit_free(fit);
    free(b);
    free(path);
    free(model);
    lr_test_remove_dir(dir);
}
END_TEST

/* ---- the byte source's copy of a stream, and a file read from an offset ---- */

/* Everything s hands out, into a malloc'd buffer. */
static char *read_all(lr_source *s, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap);
    lr_error err;
    do {
        ck_assert_msg(lr_source_read(s, b + n, cap - n, &got, &err) == LR_OK, "%s", err.message);
        n += got;
        if (n == cap)
            b = realloc(b, cap *= 2);
    } while (got > 0);
    *len = n;
    return b;
}

/* A pipe holding len bytes of data, its writing end closed: the reading end. */
static int filled_pipe(const char *data, size_t len)
{
    int pfd[2];
    ck_assert(pipe(pfd) == 0);
    ck_assert(write(pfd[1], data, len) == (ssize_t)len);
    close(pfd[1]);
    return pfd[0];
}

/* A stream's copy within its cap is read again, byte for byte; one over
 * its cap is given up, and the second pass is declined with the reason
 * (the 105 MB FIFO over the 64 MiB cap of extended precision, in small). */
START_TEST(test_stream_copy)
{
    size_t len;
    char *data = lr_test_poly_csv(200, 0, &len); /* 5 KB: fits in a pipe */
    char *dir = lr_test_temp_dir();
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", dir, 1);
    lr_error err;
    for (int capped = 0; capped < 2; capped++) {
        lr_source *s = NULL, *again = NULL;
        ck_assert(lr_source_open_fd(filled_pipe(data, len), 1, "<pipe>", &s, &err) == LR_OK);
        lr_source_spool(s, capped ? 1000 : (uint64_t)64 << 20);
        size_t n1;
        char *first = read_all(s, &n1);
        ck_assert_uint_eq(n1, len);
        ck_assert_int_eq(lr_test_dir_entries(dir), 0); /* the copy has no name */
        if (capped) {
            ck_assert_str_eq(lr_source_again_why(s), "can be read only once (a pipe or another "
                                                     "stream) and is larger than the 1000 bytes "
                                                     "kept for a second reading");
            ck_assert_int_eq(lr_source_again(s, &again, &err), LR_EIO);
            ck_assert_str_eq(err.message, "<pipe>: can be read only once (a pipe or another "
                                          "stream) and is larger than the 1000 bytes kept for a "
                                          "second reading");
        } else {
            ck_assert(lr_source_again_why(s) == NULL);
            ck_assert_msg(lr_source_again(s, &again, &err) == LR_OK, "%s", err.message);
            size_t n2;
            char *second = read_all(again, &n2);
            ck_assert_uint_eq(n2, len);
            ck_assert(memcmp(second, data, len) == 0);
            ck_assert_int_eq(lr_source_check(again, &err), LR_OK);
            free(second);
            lr_source_free(again);
        }
        free(first);
        lr_source_free(s);
    }
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* A regular file whose descriptor stands past its start (a script read its
 * first line): it is read from there, and read again from there. */
START_TEST(test_file_from_offset)
{
    const char *text = "skip me\ny,x\n1,2\n";
    char *dir = lr_test_temp_dir(), *path = lr_test_join(dir, "d.csv");
    lr_test_write_file(path, text, strlen(text));
    int fd = open(path, O_RDONLY);
    ck_assert(lseek(fd, 8, SEEK_SET) == 8);
    lr_source *s = NULL, *again = NULL;
    lr_error err;
    ck_assert(lr_source_open_fd(fd, 1, "d.csv", &s, &err) == LR_OK);
    ck_assert_uint_eq(lr_source_size(s), strlen(text) - 8);
    size_t n;
    char *b = read_all(s, &n);
    ck_assert_uint_eq(n, strlen(text) - 8);
    ck_assert(memcmp(b, text + 8, n) == 0);
    ck_assert_int_eq(lr_source_check(s, &err), LR_OK);
    free(b);
    ck_assert(lr_source_again(s, &again, &err) == LR_OK);
    b = read_all(again, &n);
    ck_assert_uint_eq(n, strlen(text) - 8);
    ck_assert(memcmp(b, text + 8, n) == 0);
    ck_assert_int_eq(lr_source_check(again, &err), LR_OK);
    free(b);
    lr_source_free(again);
    lr_source_free(s);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_replaced_between_passes), LR_TEST(test_written_between_passes),
        LR_TEST(test_truncated_while_read),    LR_TEST(test_grown_while_read),
        LR_TEST(test_predict_input_truncated), LR_TEST(test_stream_copy),
        LR_TEST(test_file_from_offset),
    };
    return lr_test_run_cases("inputs", 300, tests, LR_TEST_COUNT(tests));
}
