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

long lr_test_alloc_failures(lr_test_alloc_run run, void *ctx, long max_runs)
{
    int succeeded = 0;
    long runs = 0;
    for (lr_test_fail_at = 1; !succeeded && lr_test_fail_at < max_runs; lr_test_fail_at++) {
        lr_test_allocs = 0;
        lr_test_live = 0;
        lr_set_allocator(lr_test_failing_alloc, NULL);
        lr_error err;
        err.message[0] = '\0';
        int rc = run(ctx, &err);
        lr_set_allocator(NULL, NULL);
        runs++;
        if (rc == LR_OK)
            succeeded = 1;
        else
            ck_assert_msg(rc == LR_ENOMEM, "allocation %ld: %s", lr_test_fail_at, err.message);
        ck_assert_msg(lr_test_live == 0, "%lld bytes leaked when allocation %ld failed",
                      lr_test_live, lr_test_fail_at);
    }
    lr_test_fail_at = 0;
    ck_assert_msg(succeeded, "never succeeded in %ld runs", runs);
    return runs;
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

/* ---- R's reference results ---- */

json_t *lr_test_ref_entry(json_t *entries, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "id")), id))
            return e;
    }
    return NULL;
}

double lr_test_ref_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "missing key %s", key);
    return json_is_null(v) ? (double)NAN : json_number_value(v);
}

void lr_test_check_coef(json_t *ref, const lr_coef *c, double rtol, const char *id)
{
    const char *name = json_string_value(json_object_get(ref, "name"));
    ck_assert_msg(name && !strcmp(c->name, name), "%s: coefficient '%s', R's is '%s'", id, c->name,
                  name ? name : "(none)");
    json_t *al = json_object_get(ref, "aliased");
    ck_assert_msg(c->aliased == (al && json_is_true(al)), "%s: %s aliased %d", id, c->name,
                  c->aliased);
    LR_CK_REL(c->estimate, lr_test_ref_num(ref, "estimate"), rtol);
    LR_CK_REL(c->std_error, lr_test_ref_num(ref, "std_error"), rtol);
    LR_CK_REL(c->t, lr_test_ref_num(ref, "t"), rtol);
    LR_CK_REL(c->p, lr_test_ref_num(ref, "p"), rtol);
    LR_CK_REL(c->ci_low, lr_test_ref_num(ref, "ci_low"), rtol);
    LR_CK_REL(c->ci_high, lr_test_ref_num(ref, "ci_high"), rtol);
}

void lr_test_check_summary(json_t *ref, const lr_summary *s, double rtol, const char *id)
{
    ck_assert_msg(s->n == (uint64_t)json_integer_value(json_object_get(ref, "n")), "%s: n %llu", id,
                  (unsigned long long)s->n);
    json_t *rank = json_object_get(ref, "rank");
    if (rank)
        ck_assert_msg(s->rank == (size_t)json_integer_value(rank), "%s: rank %zu", id, s->rank);
    LR_CK_REL(s->df_residual, lr_test_ref_num(ref, "df_residual"), 0);
    LR_CK_REL(s->sigma, lr_test_ref_num(ref, "sigma"), rtol);
    LR_CK_REL(s->r_squared, lr_test_ref_num(ref, "r_squared"), rtol);
    LR_CK_REL(s->adj_r_squared, lr_test_ref_num(ref, "adj_r_squared"), rtol);
    LR_CK_REL(s->f_statistic, lr_test_ref_num(ref, "f_statistic"), rtol);
    LR_CK_REL(s->f_df1, lr_test_ref_num(ref, "f_df1"), 0);
    LR_CK_REL(s->f_df2, lr_test_ref_num(ref, "f_df2"), 0);
    LR_CK_REL(s->f_p, lr_test_ref_num(ref, "f_p"), rtol);
    LR_CK_REL(s->log_likelihood, lr_test_ref_num(ref, "log_likelihood"), rtol);
    LR_CK_REL(s->aic, lr_test_ref_num(ref, "aic"), rtol);
    LR_CK_REL(s->bic, lr_test_ref_num(ref, "bic"), rtol);
    json_t *rss = json_object_get(ref, "rss");
    if (rss)
        LR_CK_REL(s->rss, json_number_value(rss), rtol);
}

/* ---- generated data ---- */

static uint64_t lr_test_rng;

void lr_test_seed(uint64_t seed)
{
    lr_test_rng = seed;
}

double lr_test_urand(void)
{
    return lr_splitmix_unit(&lr_test_rng);
}

void lr_test_put(lr_test_text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        /* not ck_assert: suites build their data before Check runs (test_ingest's main) */
        if (k < 0) {
            fprintf(stderr, "lr_test_put: vsnprintf failed\n");
            abort();
        }
        if (t->s && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s) {
            fprintf(stderr, "lr_test_put: out of memory\n");
            abort();
        }
    }
}

/* ---- a minimal XML well-formedness checker (the SVG plots) ---- */

static int xml_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
static int xml_name_char(int c)
{
    return xml_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* An entity or character reference at s ('&'); returns its length, 0 if invalid. */
static size_t xml_reference(const char *s)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(s, named[i], strlen(named[i])))
            return strlen(named[i]);
    if (s[1] == '#') {
        size_t k = 2;
        int hex = s[2] == 'x';
        k += (size_t)hex;
        size_t d = k;
        while (hex ? strchr("0123456789abcdefABCDEF", s[k]) && s[k] : s[k] >= '0' && s[k] <= '9')
            k++;
        return k > d && s[k] == ';' ? k + 1 : 0;
    }
    return 0;
}

/* Character data up to the next '<': every '&' a valid reference. */
static int xml_char_data(const char **ps)
{
    const char *s = *ps;
    while (*s && *s != '<') {
        if (*s == '&') {
            size_t k = xml_reference(s);
            if (!k)
                return 0;
            s += k;
        } else if (*s == '>' && s >= *ps + 2 && s[-1] == ']' && s[-2] == ']') {
            return 0;
        } else {
            s++;
        }
    }
    *ps = s;
    return 1;
}

int lr_test_xml_well_formed(const char *doc, char *why, size_t whysize)
{
    const char *stack[256];
    size_t stack_len[256], depth = 0;
    int roots = 0;
    const char *s = doc;
#define XML_FAIL(msg)                                                                              \
    do {                                                                                           \
        snprintf(why, whysize, "%s at byte %ld", msg, (long)(s - doc));                            \
        return 0;                                                                                  \
    } while (0)
    if (!strncmp(s, "<?xml", 5)) {
        const char *e = strstr(s, "?>");
        if (!e)
            XML_FAIL("unterminated XML declaration");
        s = e + 2;
    }
    for (;;) {
        const char *t = s;
        if (!xml_char_data(&s))
            XML_FAIL("bad character data");
        if (depth == 0)
            for (; t < s; t++)
                if (!strchr(" \t\r\n", *t))
                    XML_FAIL("text outside the root element");
        if (!*s)
            break;
        if (!strncmp(s, "<!--", 4)) {
            const char *e = strstr(s + 4, "--");
            if (!e || e[2] != '>')
                XML_FAIL("bad comment");
            s = e + 3;
            continue;
        }
        if (!strncmp(s, "<?", 2)) {
            const char *e = strstr(s, "?>");
            if (!e)
                XML_FAIL("unterminated processing instruction");
            s = e + 2;
            continue;
        }
        if (s[1] == '/') {
            const char *n = s + 2;
            size_t len = 0;
            while (xml_name_char((unsigned char)n[len]))
                len++;
            if (depth == 0 || len != stack_len[depth - 1] || strncmp(n, stack[depth - 1], len))
                XML_FAIL("end tag does not match");
            s = n + len;
            while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
                s++;
            if (*s != '>')
                XML_FAIL("bad end tag");
            s++;
            depth--;
            continue;
        }
        /* a start tag */
        const char *n = s + 1;
        if (!xml_name_start((unsigned char)*n))
            XML_FAIL("bad element name");
        size_t len = 0;
        while (xml_name_char((unsigned char)n[len]))
            len++;
        if (depth == 0 && roots++ > 0)
            XML_FAIL("a second root element");
        s = n + len;
        const char *attrs[64];
        size_t alens[64], nattr = 0;
        for (;;) {
            int space = 0;
            while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
                s++;
                space = 1;
            }
            if (*s == '>' || (s[0] == '/' && s[1] == '>'))
                break;
            if (!space || !xml_name_start((unsigned char)*s))
                XML_FAIL("bad attribute");
            const char *an = s;
            size_t al = 0;
            while (xml_name_char((unsigned char)an[al]))
                al++;
            for (size_t i = 0; i < nattr; i++)
                if (alens[i] == al && !strncmp(attrs[i], an, al))
                    XML_FAIL("duplicate attribute");
            if (nattr < 64) {
                attrs[nattr] = an;
                alens[nattr++] = al;
            }
            s = an + al;
            if (*s != '=')
                XML_FAIL("attribute without a value");
            s++;
            char q = *s;
            if (q != '"' && q != '\'')
                XML_FAIL("unquoted attribute value");
            s++;
            while (*s && *s != q) {
                if (*s == '<')
                    XML_FAIL("'<' in an attribute value");
                if (*s == '&') {
                    size_t k = xml_reference(s);
                    if (!k)
                        XML_FAIL("bad reference in an attribute value");
                    s += k;
                } else {
                    s++;
                }
            }
            if (!*s)
                XML_FAIL("unterminated attribute value");
            s++;
        }
        if (*s == '/') {
            s += 2; /* empty element */
            continue;
        }
        s++;
        if (depth == 256)
            XML_FAIL("nesting too deep");
        stack[depth] = n;
        stack_len[depth++] = len;
    }
    if (depth != 0)
        XML_FAIL("unclosed element");
    if (roots != 1)
        XML_FAIL("no root element");
#undef XML_FAIL
    return 1;
}

void lr_test_same_fit_bits(const lr_fit *a, const lr_fit *b, const char *what)
{
    ck_assert_uint_eq(lr_fit_ncoef(a), lr_fit_ncoef(b));
    for (size_t j = 0; j < lr_fit_ncoef(a); j++) {
        const lr_coef *c = lr_fit_coef(a, j), *r = lr_fit_coef(b, j);
        ck_assert_msg(memcmp(&c->estimate, &r->estimate, sizeof(double)) == 0 &&
                          memcmp(&c->std_error, &r->std_error, sizeof(double)) == 0,
                      "%s, %s: %.17g (%.17g) against %.17g (%.17g)", what, c->name, c->estimate,
                      c->std_error, r->estimate, r->std_error);
    }
    ck_assert_msg(!memcmp(&lr_fit_summary(a)->rss, &lr_fit_summary(b)->rss, sizeof(double)),
                  "%s: the residual sums of squares differ", what);
}

char *lr_test_same_stdin(const char **argv, size_t at, const char *data, size_t len,
                         const char *from)
{
    lr_test_run_result r1, r2;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r1), 0);
    argv[at] = "-";
    ck_assert_int_eq(lr_test_run(argv, data, len, &r2), 0);
    ck_assert_msg(r1.exit_code == 0 && r2.exit_code == 0, "%s%s", r1.err, r2.err);
    const char *c1 = strstr(r1.out, from), *c2 = strstr(r2.out, from);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    ck_assert_str_eq(c1, c2);
    char *out = r1.out;
    r1.out = NULL;
    lr_test_run_free(&r1);
    lr_test_run_free(&r2);
    return out;
}

void lr_test_same_json_stdin(const char **argv, size_t at, const char *data, size_t len)
{
    free(lr_test_same_stdin(argv, at, data, len, "\"coefficients\""));
}

void *lr_test_peak_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    lr_test_peak *a = ud;
    if (new_size == 0) {
        free(ptr);
        a->live -= old_size;
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (!p)
        return NULL;
    a->live = a->live - old_size + new_size;
    if (a->live > a->peak)
        a->peak = a->live;
    return p;
}
