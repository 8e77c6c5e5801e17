/*
 * test_hostile.c — hostile input must end with an error, quickly and in
 * bounded memory: endless lines (/dev/zero, a gzip bomb, a long row), the
 * address-space limit of `ulimit -v`. Each case runs the linreg executable in
 * a child with a timer (alarm survives execve), so a hang fails the test
 * instead of stalling it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "test_util.h"

/* Under ASan or valgrind (whose valgrind run traces the linreg children too)
 * a run takes far longer and far more memory: the timers are stretched and
 * the time and memory bounds not checked; the outcomes still are. */
static int measured_loosely(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#else
    return lr_test_under_valgrind();
#endif
}

/* The outcome of one limited run. */
typedef struct limited_run {
    int exit_code;   /* exit status; -1 if killed (see timed_out) */
    int timed_out;   /* killed by the timer */
    double seconds;  /* wall time */
    long max_rss_kb; /* the child's peak resident set */
    char err[4096];  /* the start of stderr */
    size_t out_len;  /* bytes written to stdout */
} limited_run;

/*
 * Run linreg with argv (argv[0] ignored) and stdin from `in` (NULL: empty),
 * killed after `timeout` seconds; `as_limit` > 0 sets RLIMIT_AS (bytes) in
 * the child, as `ulimit -v` does.
 */
static limited_run run_limited(const char *const *argv, const char *in, unsigned timeout,
                               rlim_t as_limit)
{
    limited_run r;
    memset(&r, 0, sizeof r);
    char errf[] = "/tmp/linreg-hostile-err-XXXXXX", outf[] = "/tmp/linreg-hostile-out-XXXXXX";
    int efd = mkstemp(errf), ofd = mkstemp(outf);
    ck_assert(efd >= 0 && ofd >= 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int ifd = open(in ? in : "/dev/null", O_RDONLY);
        dup2(ifd, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        if (as_limit) {
            struct rlimit rl = {as_limit, as_limit};
            setrlimit(RLIMIT_AS, &rl);
        }
        alarm(measured_loosely() ? 20 * timeout : timeout);
        lr_test_exec_linreg(argv);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        r.max_rss_kb = ru.ru_maxrss;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.timed_out = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
    ssize_t k = pread(efd, r.err, sizeof r.err - 1, 0);
    r.err[k > 0 ? k : 0] = '\0';
    r.out_len = (size_t)lseek(ofd, 0, SEEK_END);
    close(efd);
    close(ofd);
    unlink(errf);
    unlink(outf);
    return r;
}

/* A temporary file holding the header "y,x,note" (its note padded to
 * header_len bytes if larger), `rows` rows "Y,X,b" and, as row number long_at
 * (1-based; 0: none), one of exactly long_len bytes (its note padded). */
static char *write_rows(size_t header_len, size_t rows, size_t long_at, size_t long_len)
{
    char path[] = "/tmp/linreg-hostile-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("y,x,note", f);
    for (size_t k = 8; k < header_len; k++)
        fputc('e', f);
    fputc('\n', f);
    for (size_t i = 1; i <= rows; i++) {
        char pre[64];
        int n = snprintf(pre, sizeof pre, "%zu,%zu,", i % 7 + i / 3, i % 11);
        fputs(pre, f);
        if (i == long_at)
            for (size_t k = (size_t)n; k < long_len; k++)
                fputc('a', f);
        else
            fputc('b', f);
        fputc('\n', f);
    }
    ck_assert_int_eq(fclose(f), 0);
    return strdup(path);
}

static void assert_long_row(const limited_run *r, const char *path, uint64_t line, size_t max)
{
    char want[512];
    snprintf(want, sizeof want,
             "linreg: %s:%llu: a row longer than %zu bytes, the limit on a row's length (not a "
             "CSV file, or one endless line?); --max-line-bytes raises it\n",
             path, (unsigned long long)line, max);
    ck_assert_msg(!r->timed_out, "timed out");
    ck_assert_int_eq(r->exit_code, 1);
    ck_assert_str_eq(r->err, want);
    ck_assert_uint_eq(r->out_len, 0);
}

/* /dev/zero: NUL bytes from the first, never a line end. */
START_TEST(test_dev_zero)
{
    const char *fit[] = {"linreg", "fit", "/dev/zero", NULL};
    limited_run r = run_limited(fit, NULL, 20, 0);
    ck_assert_msg(!r.timed_out, "linreg fit /dev/zero did not end in 20 s");
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, "linreg: /dev/zero:1:1: a NUL byte: this is not a text CSV file "
                            "(binary data, or UTF-16/UTF-32 text?)\n");
    ck_assert_msg(r.seconds < 5 || measured_loosely(), "%.1f s", r.seconds);
    /* the same through a pipe, and predict */
    const char *std[] = {"linreg", "fit", "-", NULL};
    r = run_limited(std, "/dev/zero", 20, 0);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, "linreg: <stdin>:1:1: a NUL byte: this is not a text CSV file "
                            "(binary data, or UTF-16/UTF-32 text?)\n");
}
END_TEST

/* 200 MiB of zeros after two good lines, gzip-compressed to ~200 KB. */
START_TEST(test_gzip_bomb)
{
    char path[] = "/tmp/linreg-bomb-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    gzFile gz = gzdopen(fd, "wb9");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzputs(gz, "y,x\n1,2\n"), 8);
    static char zeros[1 << 20];
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(gzwrite(gz, zeros, sizeof zeros), (int)sizeof zeros);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    const char *fit[] = {"linreg", "fit", path, NULL};
    limited_run r = run_limited(fit, NULL, 20, 0);
    ck_assert_msg(!r.timed_out, "the gzip bomb did not end in 20 s");
    char want[256];
    snprintf(want, sizeof want,
             "linreg: %s:3:1: a NUL byte: this is not a text CSV file (binary data, or "
             "UTF-16/UTF-32 text?)\n",
             path);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, want);
    /* before the fix: 200 MB read and held; now about one chunk */
    ck_assert_msg(r.seconds < 5 || measured_loosely(), "%.1f s", r.seconds);
    ck_assert_msg(r.max_rss_kb < 100000 || measured_loosely(), "peak RSS %ld KB", r.max_rss_kb);
    unlink(path);
}
END_TEST

/* A row longer than --max-line-bytes: in the first chunk, one byte less
 * accepted, K suffix; in a later chunk (where the chunk splitter and the fused
 * path see it), from a file and from standard input; the header. */
START_TEST(test_long_row)
{
    char *p = write_rows(0, 10, 3, 1001);
    const char *fit[] = {"linreg",           "fit",  "-y", "y", "-x", "x",
                         "--max-line-bytes", "1000", p,    NULL};
    limited_run r = run_limited(fit, NULL, 20, 0);
    assert_long_row(&r, p, 4, 1000);
    fit[7] = "1001";
    r = run_limited(fit, NULL, 20, 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    fit[7] = "1K";
    r = run_limited(fit, NULL, 20, 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_remove_file(p);

    /* line 120,001 lies past the first MiB */
    p = write_rows(0, 150000, 120000, 1001);
    fit[7] = "1000";
    fit[8] = p;
    r = run_limited(fit, NULL, 20, 0);
    assert_long_row(&r, p, 120001, 1000);
    fit[8] = "-";
    r = run_limited(fit, p, 20, 0);
    assert_long_row(&r, "<stdin>", 120001, 1000);
    lr_test_remove_file(p);

    /* one byte over a limit above the chunk's size, on a row that crosses the
     * second chunk's end: its line end comes in the read that passes the limit */
    p = write_rows(0, 250000, 170000, (2u << 20) + 1);
    fit[7] = "2M";
    fit[8] = p;
    r = run_limited(fit, NULL, 20, 0);
    assert_long_row(&r, p, 170001, 2u << 20);
    fit[7] = "1000";
    lr_test_remove_file(p);

    /* the header */
    p = write_rows(1001, 10, 0, 0);
    fit[8] = p;
    r = run_limited(fit, NULL, 20, 0);
    assert_long_row(&r, p, 1, 1000);
    lr_test_remove_file(p);
}
END_TEST

/* The default limit, 8 MiB, on a row that crosses the first chunk's end; the
 * same row with the limit raised; predict's limit. */
START_TEST(test_long_row_default)
{
    char *p = write_rows(0, 100000, 90000, (8u << 20) + 1);
    const char *fit[] = {"linreg", "fit", "-y", "y", "-x", "x", p, NULL, NULL, NULL};
    limited_run r = run_limited(fit, NULL, 20, 0);
    assert_long_row(&r, p, 90001, 8u << 20);
    ck_assert_msg(r.max_rss_kb < 150000 || measured_loosely(), "peak RSS %ld KB", r.max_rss_kb);
    char model[] = "/tmp/linreg-hostile-model-XXXXXX";
    close(mkstemp(model));
    fit[6] = "--max-line-bytes";
    fit[7] = "16M";
    fit[8] = p;
    const char *save[] = {"linreg",           "fit", "-y", "y",   "-x", "x",
                          "--max-line-bytes", "9M",  "-o", model, p,    NULL};
    r = run_limited(save, NULL, 60, 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    const char *pred[] = {"linreg", "predict", "-m", model, p, NULL, NULL, NULL};
    r = run_limited(pred, NULL, 20, 0);
    assert_long_row(&r, p, 90001, 8u << 20);
    pred[4] = "--max-line-bytes";
    pred[5] = "9M";
    pred[6] = p;
    r = run_limited(pred, NULL, 20, 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    unlink(model);
    lr_test_remove_file(p);
}
END_TEST

/* --max-line-bytes values: a clear usage error for each bad one. */
START_TEST(test_max_line_option)
{
    static const struct {
        const char *value;   /* the option's value */
        const char *message; /* stderr's first line */
    } cases[] = {
        {"0", "linreg: --max-line-bytes must be a whole number of bytes >= 1, with K, M or G for "
              "KiB, MiB, GiB (e.g. 64M), not '0'"},
        {"12X", "linreg: --max-line-bytes must be a whole number of bytes >= 1, with K, M or G "
                "for KiB, MiB, GiB (e.g. 64M), not '12X'"},
        {"-5", "linreg: --max-line-bytes must be a whole number of bytes >= 1, with K, M or G "
               "for KiB, MiB, GiB (e.g. 64M), not '-5'"},
        {"99999999999G", "linreg: --max-line-bytes '99999999999G' is above the largest this "
                         "machine allows, 4611686018427387903"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (int cmd = 0; cmd < 2; cmd++) {
            const char *fit[] = {"linreg",       "fit",   "--max-line-bytes",
                                 cases[i].value, "x.csv", NULL};
            const char *pred[] = {"linreg",           "predict",      "-m",    "m.json",
                                  "--max-line-bytes", cases[i].value, "x.csv", NULL};
            limited_run r = run_limited(cmd ? pred : fit, NULL, 20, 0);
            ck_assert_int_eq(r.exit_code, 2);
            ck_assert_msg(!strncmp(r.err, cases[i].message, strlen(cases[i].message)),
                          "case %zu: %s", i, r.err);
        }
    }
}
END_TEST

/* A CSV of `cols` columns of pseudo-random numbers and `rows` rows. */
static char *write_wide(size_t cols, size_t rows)
{
    char path[] = "/tmp/linreg-hostile-wide-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t j = 0; j < cols; j++)
        fprintf(f, "%sx%zu", j ? "," : "", j);
    fputc('\n', f);
    unsigned long long state = 88172645463325252ull;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            fprintf(f, "%.4f%c", (double)(state % 100000) / 1e4, j + 1 < cols ? ',' : '\n');
        }
    ck_assert_int_eq(fclose(f), 0);
    return strdup(path);
}

/*
 * `ulimit -v`: OpenBLAS 0.3.21 retries a work buffer (128 MiB) it cannot map
 * forever, so a fit of 150 coefficients (its solve raised to every core's
 * BLAS threads) under 300,000 KB spun until killed, and lower limits hung
 * OpenBLAS's own threads at start. Each run must end within 20 s: a fit, or
 * exit 1 with "out of memory".
 */
START_TEST(test_memory_limit)
{
    if (measured_loosely()) {
        printf("test_memory_limit skipped: under a sanitizer or valgrind, which need far more "
               "address space than any limit tested here\n");
        return;
    }
    char *p = write_wide(150, 400);
    static const rlim_t kb[] = {100000, 150000, 200000, 250000, 300000, 400000};
    for (size_t i = 0; i < sizeof kb / sizeof *kb; i++) {
        const char *fit[] = {"linreg", "fit", "-q", p, NULL};
        limited_run r = run_limited(fit, NULL, 20, kb[i] * 1024);
        ck_assert_msg(!r.timed_out, "ulimit -v %lu: no end in 20 s", (unsigned long)kb[i]);
        ck_assert_msg(r.exit_code == 0 ||
                          (r.exit_code == 1 && !strcmp(r.err, "linreg: out of memory\n")),
                      "ulimit -v %lu: exit %d, %s", (unsigned long)kb[i], r.exit_code, r.err);
        /* the case completes (with fewer BLAS threads if need be) */
        if (kb[i] >= 300000)
            ck_assert_msg(r.exit_code == 0, "ulimit -v %lu: %s", (unsigned long)kb[i], r.err);
    }
    lr_test_remove_file(p);
}
END_TEST

/* Issue 23: each refusal gives its true reason, and the same refusal the
 * same exit code whichever way it was reached. */
START_TEST(test_messages)
{
    char neg[] = "/tmp/linreg-hostile-neg-XXXXXX";
    int fd = mkstemp(neg);
    ck_assert(fd >= 0);
    const char data[] = "y,x1,z\n1,-2,0\n2,3,1\n3,5,2\n4,1,3\n";
    ck_assert_int_eq(write(fd, data, sizeof data - 1), (ssize_t)(sizeof data - 1));
    close(fd);
    char *flat = malloc(600 * 5 + 32);
    strcpy(flat, "y ~ I(x1");
    for (int k = 1; k < 600; k++)
        strcat(flat, " + x1");
    strcat(flat, ")");
    const char *wide = lr_test_path("datasets/malformed/wide_100000_columns.csv.gz");
    static const char too_small[] = "is too small for a double (it rounds to 0)";
    struct {
        const char *argv[8]; /* the command line */
        int exit_code;       /* expected */
        const char *message; /* the start of stderr */
    } cases[] = {
        {{"linreg", "fit", "--ridge", "1e308", neg, NULL},
         2,
         "linreg: --ridge '1e308' is above the largest penalty accepted, 1e+300\n"},
        {{"linreg", "fit", "--ridge", "1e999", neg, NULL},
         2,
         "linreg: --ridge '1e999' is above the largest penalty accepted, 1e+300\n"},
        {{"linreg", "fit", "--ridge", "1e-400", neg, NULL},
         2,
         "linreg: --ridge '1e-400' is too small for a double (it rounds to 0); give 0 for no "
         "penalty\n"},
        {{"linreg", "fit", "--level", "1e-400", neg, NULL},
         2,
         "linreg: --level '1e-400' is too small for a double (it rounds to 0); the level must "
         "be between 0 and 1\n"},
        {{"linreg", "predict", "-m", "m.json", "--level", "1e-400", neg, NULL}, 2, NULL},
        {{"linreg", "fit", "-f", "y ~ I(x1^1e10)", neg, NULL},
         1,
         "linreg: PATH:2:3: I(x1^1e+10) is Inf: overflow\n"},
        /* NaN omits the row as R's lm does; with --na error it is an error */
        {{"linreg", "fit", "--na", "error", "-f", "y ~ I(x1^0.5)", neg, NULL},
         1,
         "linreg: PATH:2:3: I(x1^0.5) is NaN: a negative number to a fractional power\n"},
        {{"linreg", "fit", "-f", "y ~ I(z^-1)", neg, NULL},
         1,
         "linreg: PATH:2:6: I(z^-1) is Inf: 0 to a negative power\n"},
        {{"linreg", "fit", "-f", flat, neg, NULL},
         2,
         "linreg: formula:2505: expression too long: more than 500 operators on one path of "
         "its tree (a chain such as x1 + x2 + ... counts each operator); split it"},
        /* too wide: exit 1 by -y and by a formula */
        {{"linreg", "fit", "-y", "y", wide, NULL},
         1,
         "linreg: WIDE: 99999 predictor columns: linreg supports at most 4095"},
        {{"linreg", "fit", "-f", "y ~ .", wide, NULL},
         1,
         "linreg: formula:6: the model has more than 4096 terms (linreg supports at most "
         "4096 model columns)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        limited_run r = run_limited(cases[i].argv, NULL, 60, 0);
        ck_assert_msg(r.exit_code == cases[i].exit_code, "case %zu: exit %d: %s", i, r.exit_code,
                      r.err);
        ck_assert_uint_eq(r.out_len, 0);
        if (!cases[i].message) {
            ck_assert_msg(strstr(r.err, too_small) != NULL, "case %zu: %s", i, r.err);
            continue;
        }
        char want[1024];
        const char *m = cases[i].message, *ph = strstr(m, "PATH"), *pw = strstr(m, "WIDE");
        if (ph || pw)
            snprintf(want, sizeof want, "%.*s%s%s", (int)((ph ? ph : pw) - m), m, ph ? neg : wide,
                     (ph ? ph : pw) + 4);
        else
            snprintf(want, sizeof want, "%s", m);
        ck_assert_msg(!strncmp(r.err, want, strlen(want)), "case %zu: '%s', not '%s'", i, r.err,
                      want);
    }
    /* a subnormal level is accepted: (1 + level)/2 rounds to 1/2, the t
     * quantile is 0 and the interval is the estimate, as R's confint gives */
    const char *fit[] = {"linreg", "fit", "--level", "1e-320", "--format", "csv", neg, NULL};
    lr_test_run_result rr;
    ck_assert_int_eq(lr_test_run(fit, NULL, 0, &rr), 0);
    ck_assert_msg(rr.exit_code == 0, "%s", rr.err);
    char *line = strchr(rr.out, '\n');
    ck_assert_ptr_nonnull(line);
    for (line++; *line; line = strchr(line, '\n') + 1) {
        /* term,estimate,...,ci_low,ci_high: the last two equal the second */
        char *f[16];
        int nf = 0;
        char *copy = strndup(line, (size_t)(strchr(line, '\n') - line));
        for (char *t = strtok(copy, ","); t && nf < 16; t = strtok(NULL, ","))
            f[nf++] = t;
        ck_assert_int_ge(nf, 4);
        ck_assert_str_eq(f[nf - 2], f[1]);
        ck_assert_str_eq(f[nf - 1], f[1]);
        free(copy);
    }
    lr_test_run_free(&rr);
    unlink(neg);
    free(flat);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_dev_zero),         LR_TEST(test_gzip_bomb),       LR_TEST(test_long_row),
        LR_TEST(test_long_row_default), LR_TEST(test_max_line_option), LR_TEST(test_memory_limit),
        LR_TEST(test_messages),
    };
    return lr_test_run_cases("hostile", 300, tests, LR_TEST_COUNT(tests));
}
