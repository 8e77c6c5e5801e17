/*
 * test_inputs.c — inputs read once by descriptor (byte_source.c): second
 * passes through the descriptor or an unnamed spool, never by name; files
 * that change while they are read; pipes and FIFOs without a usable TMPDIR;
 * spools that do not outlive a killed process.
 *
 * The moments a file changes are made deterministic by lr_source_test_hook,
 * which the library calls after every read of a descriptor and before every
 * second pass. Tests of the command run it with a timeout (a hang is a
 * failure, not a stuck suite).
 */
#define _GNU_SOURCE /* mkdtemp, O_CLOEXEC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "byte_source.h"
#include "test_util.h"

/* A private directory for a test's files (malloc'd path). */
static char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/linreg-inputs-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
    return strdup(d);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert(fwrite(data, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
}

/* Entries of dir other than . and .. */
static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = join(dir, e->d_name);
        unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

/* ---- near-exact data: extended precision reads the input a second time ---- */

/* Wampler1's polynomial on x = 0..n-1 (scaled by 1/10), response yA or,
 * with `other`, a different polynomial: the same shape and, for n rows,
 * the same number of bytes only by accident. */
static char *poly_csv(int n, int other, size_t *len)
{
    size_t cap = (size_t)n * 64 + 16, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "x,y\n");
    for (int i = 0; i < n; i++) {
        double x = i / 10.0, y = 1, t = 1;
        for (int k = 1; k <= 5; k++) {
            t *= x;
            y += (other ? k + 1 : 1) * t;
        }
        o += (size_t)snprintf(b + o, cap - o, "%.1f,%.17g\n", x, y);
    }
    *len = o;
    return b;
}

/* valgrind (--trace-children) needs a TMPDIR of its own to start the
 * child: the tests that take it away from linreg run without valgrind. */
static int skip_under_valgrind(void)
{
    if (!lr_test_under_valgrind())
        return 0;
    printf("skipped under valgrind: the test runs linreg without a usable TMPDIR\n");
    return 1;
}

static const char *poly_formula = "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)";

static int fit_file(const char *path, lr_fit **fit, lr_error *err)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = poly_formula;
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
    char *dir = temp_dir(), *path = join(dir, "data.csv"), *newp = join(dir, "data.new");
    char *ref = join(dir, "a.csv");
    size_t la, lb;
    char *a = poly_csv(200, 0, &la), *b = poly_csv(200, 1, &lb);
    write_file(path, a, la);
    write_file(ref, a, la);
    write_file(newp, b, lb);
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
    remove_dir(dir);
}
END_TEST

/* The same file written in place between the passes (same size, one digit
 * changed): an error naming it, not a fit mixing two versions. */
START_TEST(test_written_between_passes)
{
    char *dir = temp_dir(), *path = join(dir, "data.csv");
    size_t la;
    char *a = poly_csv(200, 0, &la);
    write_file(path, a, la);
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
    remove_dir(dir);
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
    *path = join(dir, "big.csv");
    *data = big_csv(len);
    write_file(*path, *data, *len);
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
    char *dir = temp_dir(), *path, *b;
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
    remove_dir(dir);
}
END_TEST

/* Grown while it is read (rows appended, as a log is): an error too. */
START_TEST(test_grown_while_read)
{
    char *dir = temp_dir(), *path, *b;
    size_t len;
    lr_error err;
    int rc = fit_while_changed(dir, 2, 0, "1,2\n3,4\n", &path, &b, &len, &err);
    ck_assert_int_eq(rc, LR_EIO);
    ck_assert_msg(strstr(err.message, ": changed while being read: ") != NULL, "%s", err.message);
    free(b);
    free(path);
    remove_dir(dir);
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
    char *dir = temp_dir(), *path = join(dir, "big.csv"), *model = join(dir, "m.json");
    size_t len;
    char *b = big_csv(&len);
    write_file(path, b, len);
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
    remove_dir(dir);
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
    char *data = poly_csv(200, 0, &len); /* 5 KB: fits in a pipe */
    char *dir = temp_dir();
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
        ck_assert_int_eq(dir_entries(dir), 0); /* the copy has no name */
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
    remove_dir(dir);
}
END_TEST

/* A regular file whose descriptor stands past its start (a script read its
 * first line): it is read from there, and read again from there. */
START_TEST(test_file_from_offset)
{
    const char *text = "skip me\ny,x\n1,2\n";
    char *dir = temp_dir(), *path = join(dir, "d.csv");
    write_file(path, text, strlen(text));
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
    remove_dir(dir);
}
END_TEST

/* ---- the command, with a timeout ---- */

typedef struct bg {
    pid_t pid; /* the linreg process */
    char *out; /* where its stdout goes (a file in the test's directory) */
    char *err; /* and its stderr */
} bg;

/* Start linreg with argv (argv[0] replaced), stdin from in_fd (-1: /dev/null),
 * TMPDIR set to tmpdir (NULL: unchanged), output into files of dir. */
static bg start_linreg(const char *const *argv, int in_fd, const char *tmpdir, const char *dir)
{
    bg r;
    r.out = join(dir, "stdout");
    r.err = join(dir, "stderr");
    r.pid = fork();
    ck_assert(r.pid >= 0);
    if (r.pid == 0) {
        int o = open(r.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(r.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int i = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || i < 0)
            _exit(126);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (tmpdir)
            setenv("TMPDIR", tmpdir, 1);
        lr_test_exec_linreg(argv);
    }
    return r;
}

/* Wait up to `seconds` for it; its exit code, or -1 (killed) if it hung. */
static int wait_linreg(bg *r, double seconds)
{
    int status = 0;
    for (double t = 0; t < seconds; t += 0.01) {
        pid_t w = waitpid(r->pid, &status, WNOHANG);
        if (w == r->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &status, 0);
    return -1;
}

static void bg_free(bg *r, char **out, char **err)
{
    *out = lr_test_read_file(r->out, NULL);
    *err = lr_test_read_file(r->err, NULL);
    unlink(r->out);
    unlink(r->err);
    free(r->out);
    free(r->err);
}

/* A child that writes data into the FIFO (blocking until linreg opens it). */
static pid_t fifo_writer(const char *fifo, const char *data, size_t len)
{
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        int fd = open(fifo, O_WRONLY);
        size_t off = 0;
        while (fd >= 0 && off < len) {
            ssize_t k = write(fd, data + off, len - off);
            if (k <= 0)
                break;
            off += (size_t)k;
        }
        _exit(off == len ? 0 : 1);
    }
    return pid;
}

/* Run linreg on a FIFO fed with data; its exit code (-1: hung), output. */
static int run_on_fifo(const char *const *argv_with_fifo, const char *fifo, const char *data,
                       size_t len, const char *tmpdir, const char *dir, char **out, char **err)
{
    pid_t w = fifo_writer(fifo, data, len);
    bg r = start_linreg(argv_with_fifo, -1, tmpdir, dir);
    int code = wait_linreg(&r, 60);
    kill(w, SIGKILL); /* if linreg never opened the FIFO */
    waitpid(w, NULL, 0);
    bg_free(&r, out, err);
    return code;
}

/* Issue 22: a FIFO whose second pass cannot come from a spool (TMPDIR
 * unusable; the same path as a stream over the 64 MiB cap) is not opened a
 * second time — that open waited forever for a writer. Extended precision is
 * declined with a note saying why; with a usable TMPDIR the spool gives it. */
START_TEST(test_fifo_second_pass)
{
    char *dir = temp_dir(), *fifo = join(dir, "in.fifo"), *out, *err;
    ck_assert(mkfifo(fifo, 0600) == 0);
    size_t len;
    char *data = poly_csv(200, 0, &len);
    const char *argv[] = {"linreg", "fit", "-f", poly_formula, fifo, NULL};
    int code;
    if (!skip_under_valgrind()) {
        code = run_on_fifo(argv, fifo, data, len, "/nonexistent-linreg-tmp", dir, &out, &err);
        ck_assert_msg(code != -1, "linreg hung on the FIFO (killed after 60 s)");
        ck_assert_msg(code == 0, "exit %d: %s", code, err);
        char want[4300];
        snprintf(want, sizeof want,
                 "extended precision was declined: %s can be read only once (a "
                 "pipe or another stream) and no copy of it could be kept for a second reading "
                 "(TMPDIR /nonexistent-linreg-tmp: No such file or directory)",
                 fifo);
        ck_assert_msg(strstr(out, want) != NULL, "%s", out);
        free(out);
        free(err);
    }

    code = run_on_fifo(argv, fifo, data, len, dir, dir, &out, &err);
    ck_assert_msg(code == 0, "exit %d: %s", code, err);
    ck_assert_msg(strstr(out, "recomputed in 256-bit arithmetic") != NULL, "%s", out);
    ck_assert(strstr(out, "declined") == NULL);
    free(out);
    free(err);
    unlink(fifo);
    free(fifo);
    free(data);
    remove_dir(dir);
}
END_TEST

/* Issue 23: with standard input and no usable TMPDIR, what the user asked
 * for by name and cannot get is an error (exit 1, nothing on stdout, the
 * reason and what would make it possible); the text summary's quantiles a
 * warning on stderr. Before, each was exit 0 with stderr empty. */
static const struct {
    const char *opt[3]; /* the options */
    int code;           /* exit code */
    const char *err;    /* a part of stderr */
} asked_cases[] = {
    {{"--vcov", "HC3", NULL},
     1,
     "linreg: <stdin>: cannot compute the HC3 covariance: a second reading of the data is "
     "needed, and <stdin> can be read only once (a pipe or another stream) and no copy of it "
     "could be kept for a second reading (TMPDIR /nonexistent-linreg-tmp: No such file or "
     "directory); give a file instead of a pipe, or a writable TMPDIR\n"},
    {{"--residuals", "%D/res.csv", NULL}, 1, "cannot compute the per-row residuals: "},
    {{"--plot", "%D/plot.svg", NULL}, 1, "cannot compute the plot points: "},
    {{"--format", "text", NULL}, 0, "linreg: warning: the residual quantiles were not computed: "},
    {{"--format", "json", NULL}, 0, ""},
};

START_TEST(test_asked_without_second_pass)
{
    if (skip_under_valgrind())
        return;
    char *dir = temp_dir(), *out, *err;
    size_t len;
    char *data = lr_test_read_file(lr_test_path("datasets/nist/Norris.csv"), &len);
    int pfd[2];
    ck_assert(pipe(pfd) == 0);
    /* the whole data fits in the pipe: written, then closed */
    ck_assert(write(pfd[1], data, len) == (ssize_t)len);
    close(pfd[1]);
    char arg[4200] = "";
    const char *argv[8] = {"linreg", "fit", "-y", "y", "-x", "x", NULL, NULL};
    size_t n = 6;
    for (int k = 0; k < 2 && asked_cases[_i].opt[k]; k++) {
        const char *o = asked_cases[_i].opt[k];
        if (!strncmp(o, "%D", 2)) {
            snprintf(arg, sizeof arg, "%s%s", dir, o + 2);
            o = arg;
        }
        argv[n++] = o;
    }
    const char *full[10];
    memcpy(full, argv, n * sizeof *argv);
    full[n] = "-";
    full[n + 1] = NULL;
    bg r = start_linreg(full, pfd[0], "/nonexistent-linreg-tmp", dir);
    close(pfd[0]);
    int code = wait_linreg(&r, 60);
    bg_free(&r, &out, &err);
    ck_assert_msg(code == asked_cases[_i].code, "exit %d: %s", code, err);
    ck_assert_msg(strstr(err, asked_cases[_i].err) != NULL, "stderr: %s", err);
    if (code)
        ck_assert_msg(out[0] == '\0', "stdout: %s", out);
    else if (!asked_cases[_i].err[0])
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
    free(out);
    free(err);
    free(data);
    remove_dir(dir);
}
END_TEST

/* Issue 23: `/dev/stdin` from a pipe. Opening it again read the drained
 * pipe ("0 observations when read again ... (the file changed between
 * passes?)"); now it is read once, like `-`. */
START_TEST(test_dev_stdin_pipe)
{
    if (skip_under_valgrind())
        return;
    char *dir = temp_dir(), *out, *err;
    size_t len;
    char *data = poly_csv(200, 0, &len);
    static const char *const extra[][3] = {{NULL}, {"--vcov", "HC3", NULL}};
    for (int c = 0; c < 2; c++) {
        int pfd[2];
        ck_assert(pipe(pfd) == 0);
        ck_assert(write(pfd[1], data, len) == (ssize_t)len);
        close(pfd[1]);
        const char *argv[8] = {"linreg", "fit", "-f", poly_formula};
        size_t n = 4;
        for (int k = 0; extra[c][k]; k++)
            argv[n++] = extra[c][k];
        argv[n++] = "/dev/stdin";
        argv[n] = NULL;
        bg r = start_linreg(argv, pfd[0], "/nonexistent-linreg-tmp", dir);
        close(pfd[0]);
        int code = wait_linreg(&r, 60);
        bg_free(&r, &out, &err);
        ck_assert_msg(strstr(err, "changed") == NULL, "stderr: %s", err);
        if (c == 0) {
            ck_assert_msg(code == 0, "exit %d: %s", code, err);
            ck_assert_msg(strstr(out, "extended precision was declined: /dev/stdin can be read "
                                      "only once") != NULL,
                          "%s", out);
        } else {
            ck_assert_msg(code == 1, "exit %d: %s", code, err);
            ck_assert_msg(strstr(err, "linreg: /dev/stdin: cannot compute the HC3 covariance") !=
                              NULL,
                          "stderr: %s", err);
            ck_assert(out[0] == '\0');
        }
        free(out);
        free(err);
    }
    free(data);
    remove_dir(dir);
}
END_TEST

/* A file (by name, or as standard input) gets every pass through its
 * descriptor when TMPDIR is unusable: no note, nothing on stderr. */
START_TEST(test_file_without_tmpdir)
{
    if (skip_under_valgrind())
        return;
    char *dir = temp_dir(), *path = join(dir, "data.csv"), *out, *err;
    size_t len;
    char *data = poly_csv(200, 0, &len);
    write_file(path, data, len);
    for (int c = 0; c < 2; c++) {
        const char *argv[] = {"linreg", "fit",         "-f", poly_formula,   "--vcov",
                              "HC3",    "--residuals", NULL, c ? "-" : path, NULL};
        char *res = join(dir, "res.csv");
        argv[7] = res;
        int in = c ? open(path, O_RDONLY) : -1;
        bg r = start_linreg(argv, in, "/nonexistent-linreg-tmp", dir);
        if (in >= 0)
            close(in);
        int code = wait_linreg(&r, 60);
        bg_free(&r, &out, &err);
        ck_assert_msg(code == 0, "exit %d: %s", code, err);
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
        ck_assert_msg(strstr(out, "recomputed in 256-bit arithmetic") != NULL, "%s", out);
        ck_assert(strstr(out, "standard errors HC3") != NULL || strstr(out, "HC3") != NULL);
        ck_assert(strstr(out, "declined") == NULL && strstr(out, "not computed") == NULL);
        ck_assert(strstr(out, "Residuals:") != NULL);
        size_t rlen = 0;
        char *rows = lr_test_read_file(res, &rlen);
        ck_assert(rows != NULL);
        size_t lines = 0;
        for (size_t k = 0; k < rlen; k++)
            lines += rows[k] == '\n';
        ck_assert_uint_eq(lines, 201); /* a header and every row */
        free(rows);
        unlink(res);
        free(res);
        free(out);
        free(err);
    }
    free(data);
    free(path);
    remove_dir(dir);
}
END_TEST

/* Issue 13: a fit reading standard input killed with SIGKILL mid-run leaves
 * nothing in TMPDIR: its spools never have a name. The fit is caught while
 * it holds a spool open (a descriptor into TMPDIR), reading a pipe that is
 * still open. */
START_TEST(test_sigkill_leaves_no_spool)
{
    char *dir = temp_dir(), *tmp = join(dir, "tmp"), *out, *err;
    ck_assert(mkdir(tmp, 0700) == 0);
    int pfd[2];
    ck_assert(pipe(pfd) == 0);
    const char *argv[] = {"linreg", "fit", "-y", "y", "-x", "x", "--vcov", "HC3", "-", NULL};
    bg r = start_linreg(argv, pfd[0], tmp, dir);
    close(pfd[0]);
    const char *rows = "y,x\n1,2\n3,5\n4,4\n";
    ck_assert(write(pfd[1], rows, strlen(rows)) == (ssize_t)strlen(rows));
    /* until the process holds a file of TMPDIR open */
    int holds = 0;
    char fddir[64];
    snprintf(fddir, sizeof fddir, "/proc/%d/fd", (int)r.pid);
    for (int t = 0; t < 3000 && !holds; t++) {
        DIR *d = opendir(fddir);
        struct dirent *e;
        while (d && (e = readdir(d)) && !holds) {
            char link[4200], target[4200];
            snprintf(link, sizeof link, "%s/%s", fddir, e->d_name);
            ssize_t k = readlink(link, target, sizeof target - 1);
            if (k > 0) {
                target[k] = '\0';
                holds = !strncmp(target, tmp, strlen(tmp)) && target[strlen(tmp)] == '/';
            }
        }
        if (d)
            closedir(d);
        if (!holds)
            usleep(10000);
    }
    kill(r.pid, SIGKILL);
    int code = wait_linreg(&r, 60);
    close(pfd[1]);
    bg_free(&r, &out, &err);
    ck_assert_msg(holds, "linreg never opened a spool in its TMPDIR");
    ck_assert_int_eq(code, 128 + SIGKILL);
    ck_assert_msg(dir_entries(tmp) == 0, "files left in TMPDIR after SIGKILL");
    rmdir(tmp);
    free(tmp);
    free(out);
    free(err);
    remove_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inputs");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_replaced_between_passes);
    tcase_add_test(tc, test_written_between_passes);
    tcase_add_test(tc, test_truncated_while_read);
    tcase_add_test(tc, test_grown_while_read);
    tcase_add_test(tc, test_predict_input_truncated);
    tcase_add_test(tc, test_stream_copy);
    tcase_add_test(tc, test_file_from_offset);
    tcase_add_test(tc, test_fifo_second_pass);
    tcase_add_loop_test(tc, test_asked_without_second_pass, 0,
                        (int)(sizeof asked_cases / sizeof *asked_cases));
    tcase_add_test(tc, test_dev_stdin_pipe);
    tcase_add_test(tc, test_file_without_tmpdir);
    tcase_add_test(tc, test_sigkill_leaves_no_spool);
    suite_add_tcase(s, tc);
    return lr_test_main(s);
}
