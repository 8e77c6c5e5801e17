/*
 * test_util.c — helpers shared by the Check suites: tolerances, paths, running the CLI,
 * files and directories for tests of inputs.
 */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int lr_test_rel_close(double a, double b, double rtol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (a == b)
        return 1;
    double scale = fabs(b);
    if (scale == 0)
        return fabs(a) <= rtol;
    return fabs(a - b) <= rtol * scale;
}

double lr_test_lre(double est, double cert)
{
    double lre;
    if (isnan(est))
        return 0;
    if (cert == 0)
        lre = est == 0 ? 15 : -log10(fabs(est));
    else if (est == cert)
        lre = 15;
    else
        lre = -log10(fabs(est - cert) / fabs(cert));
    if (lre > 15)
        lre = 15;
    if (lre < 0)
        lre = 0;
    return lre;
}

const char *lr_test_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", LR_SOURCE_DIR, rel);
    return buf;
}

char *lr_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *lr_test_write_temp(const void *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/linreg-test-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        ck_assert_msg(k > 0, "write: %s", strerror(errno));
        p += k;
        len -= (size_t)k;
    }
    close(fd);
    return path;
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

unsigned lr_test_cpu_limit;

void lr_test_exec_linreg(const char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **args = calloc(n + 1, sizeof *args);
    /* execv takes char *const[]: copies, in the child that is about to exec. */
    args[0] = strdup(LR_LINREG_EXE);
    for (size_t i = 1; i < n; i++)
        args[i] = strdup(argv[i]);
    if (lr_test_cpu_limit) {
        struct rlimit rl = {lr_test_cpu_limit, lr_test_cpu_limit};
        setrlimit(RLIMIT_CPU, &rl);
    }
    execv(LR_LINREG_EXE, args);
    _exit(127);
}

int lr_test_run(const char *const *argv, const char *stdin_data, size_t stdin_len,
                lr_test_run_result *res)
{
    int in[2], out[2], err[2];
    memset(res, 0, sizeof *res);
    if (pipe(in) || pipe(out) || pipe(err))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        lr_test_exec_linreg(argv);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t in_off = 0, ocap = 0, ecap = 0;
    res->out = calloc(1, 1);
    res->err = calloc(1, 1);
    int in_open = 1, out_open = 1, err_open = 1;
    if (!stdin_data || stdin_len == 0) {
        close(in[1]);
        in_open = 0;
    } else {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    while (out_open || err_open) {
        struct pollfd fds[3];
        int nf = 0, io = -1, oo = -1, eo = -1;
        if (in_open) {
            fds[nf].fd = in[1];
            fds[nf].events = POLLOUT;
            io = nf++;
        }
        if (out_open) {
            fds[nf].fd = out[0];
            fds[nf].events = POLLIN;
            oo = nf++;
        }
        if (err_open) {
            fds[nf].fd = err[0];
            fds[nf].events = POLLIN;
            eo = nf++;
        }
        if (poll(fds, (nfds_t)nf, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        char buf[65536];
        if (io >= 0 && fds[io].revents) {
            ssize_t k = write(in[1], stdin_data + in_off, stdin_len - in_off);
            if (k > 0)
                in_off += (size_t)k;
            if (k < 0 && errno != EAGAIN) {
                close(in[1]);
                in_open = 0;
            } else if (in_off == stdin_len) {
                close(in[1]);
                in_open = 0;
            }
        }
        if (oo >= 0 && fds[oo].revents) {
            ssize_t k = read(out[0], buf, sizeof buf);
            if (k > 0)
                append(&res->out, &res->out_len, &ocap, buf, (size_t)k);
            else {
                close(out[0]);
                out_open = 0;
            }
        }
        if (eo >= 0 && fds[eo].revents) {
            ssize_t k = read(err[0], buf, sizeof buf);
            if (k > 0)
                append(&res->err, &res->err_len, &ecap, buf, (size_t)k);
            else {
                close(err[0]);
                err_open = 0;
            }
        }
    }
    if (in_open)
        close(in[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status))
        res->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->exit_code = 128 + WTERMSIG(status);
    return 0;
}

void lr_test_run_free(lr_test_run_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

int lr_test_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

long lr_test_fail_at;
long lr_test_allocs;
long long lr_test_live;

void *lr_test_failing_alloc(void *ud, void *ptr, size_t old, size_t n)
{
    (void)ud;
    if (n == 0) {
        lr_test_live -= (long long)old;
        free(ptr);
        return NULL;
    }
    if (++lr_test_allocs == lr_test_fail_at)
        return NULL;
    void *p = realloc(ptr, n);
    if (p)
        lr_test_live += (long long)n - (long long)(ptr ? old : 0);
    return p;
}

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LR_HAVE_VALGRIND_H 1
#endif
#endif

int lr_test_under_valgrind(void)
{
#ifdef LR_HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND != 0;
#else
    return 0;
#endif
}

char *lr_test_expand_path(const char *msg, const char *path)
{
    size_t n = 0, plen = strlen(path);
    for (const char *m = msg; *m; m++)
        n += m[0] == '%' && m[1] == 'F' ? plen : 1;
    char *out = malloc(n + 2);
    char *o = out;
    for (const char *m = msg; *m; m++) {
        if (m[0] == '%' && m[1] == 'F') {
            memcpy(o, path, plen);
            o += plen;
            m++;
        } else {
            *o++ = *m;
        }
    }
    *o++ = '\n';
    *o = '\0';
    return out;
}

/* ---- files for tests of inputs ---- */

/* A private directory for a test's files (malloc'd path). */
char *lr_test_temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/linreg-inputs-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
    return strdup(d);
}

char *lr_test_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void lr_test_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert(fwrite(data, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
}

/* Entries of dir other than . and .. */
int lr_test_dir_entries(const char *dir)
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

void lr_test_remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = lr_test_join(dir, e->d_name);
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
char *lr_test_poly_csv(int n, int other, size_t *len)
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

void lr_test_collect_prediction(void *ud, const lr_prediction *p)
{
    lr_test_predictions *r = ud;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->p = realloc(r->p, r->cap * sizeof *r->p);
        ck_assert_ptr_nonnull(r->p);
    }
    r->p[r->n++] = *p;
}

/* ---- generated data ---- */

static uint64_t lr_test_rng;

void lr_test_seed(uint64_t seed)
{
    lr_test_rng = seed;
}

double lr_test_urand(void)
{
    uint64_t z = (lr_test_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

void lr_test_put(lr_test_text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(k, 0);
        if (t->s && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = realloc(t->s, t->cap);
        ck_assert_ptr_nonnull(t->s);
    }
}
