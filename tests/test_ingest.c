/*
 * test_ingest.c — chunked, multi-threaded ingestion: identical bits for any
 * thread count; factor levels first seen in later chunks; errors at their
 * exact file position whichever thread found them (the first in file order
 * wins); gzip, standard input and files giving the same result; quoted line
 * ends across chunk boundaries; progress reports.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest.h"
#include "test_util.h"

/* About 45 bytes a row: y = 1 + 2 x + effect(g) + x·slope(g) + noise; the level
 * "late" appears only in the last 40% of the rows (later chunks), "early" only in the
 * first rows; quoted text in a column the model ignores holds line ends. */
static const char *levels[] = {"early", "mid", "b", "a", "late"};
static const double effect[] = {0.0, 1.5, -2.0, 0.5, 3.0};

static lr_test_text make_data(size_t rows, long double *xty_unused)
{
    (void)xty_unused;
    lr_test_text t = {0};
    lr_test_seed(99);
    lr_test_put(&t, "y,x,g,note\n");
    for (size_t i = 0; i < rows; i++) {
        int g = i < 1000 ? 0 : (i > rows * 3 / 5 ? 1 + (int)(i % 4) : 1 + (int)(i % 3));
        double x = lr_test_urand() * 10 - 5;
        double y = 1 + 2 * x + effect[g] + 0.1 * (g + 1) * x + (lr_test_urand() - 0.5);
        if (i % 5000 == 17)
            lr_test_put(&t, "%.17g,%.17g,%s,\"a note\nover two lines\"\n", y, x, levels[g]);
        else
            lr_test_put(&t, "%.17g,%.17g,%s,plain\n", y, x, levels[g]);
    }
    return t;
}

static lr_fit *fit_path(const char *path, int threads, lr_method m)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x * g";
    opt.threads = threads;
    opt.method = m;
    lr_fit *fit = NULL;
    lr_error err;
    int rc = lr_fit_csv(path, &opt, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    return fit;
}

static void same_bits(const lr_fit *a, const lr_fit *b)
{
    ck_assert_uint_eq(lr_fit_ncoef(a), lr_fit_ncoef(b));
    for (size_t j = 0; j < lr_fit_ncoef(a); j++) {
        const lr_coef *ca = lr_fit_coef(a, j), *cb = lr_fit_coef(b, j);
        ck_assert_str_eq(ca->name, cb->name);
        ck_assert_msg(!memcmp(&ca->estimate, &cb->estimate, sizeof(double)) &&
                          !memcmp(&ca->std_error, &cb->std_error, sizeof(double)),
                      "%s: %.17g / %.17g differ", ca->name, ca->estimate, cb->estimate);
    }
    const lr_summary *sa = lr_fit_summary(a), *sb = lr_fit_summary(b);
    ck_assert(!memcmp(&sa->sigma, &sb->sigma, sizeof(double)));
    ck_assert_uint_eq(sa->n, sb->n);
}

static char *data_path;
static lr_test_text data;
static size_t data_rows;

/* Threads 1, 2, 3, 4: the same bits; stdin and gzip too. */
START_TEST(test_thread_count_invariance)
{
    lr_method methods[] = {LR_METHOD_AUTO, LR_METHOD_INVERSE};
    for (int m = 0; m < 2; m++) {
        lr_fit *base = fit_path(data_path, 1, methods[m]);
        ck_assert_uint_eq(lr_fit_summary(base)->n, data_rows);
        for (int t = 2; t <= 4; t++) {
            lr_fit *f = fit_path(data_path, t, methods[m]);
            same_bits(base, f);
            lr_fit_free(f);
        }
        lr_fit_free(base);
    }
}
END_TEST

/* Every level, including one first seen in a later chunk, with the right
 * coefficients: treatment contrasts against "a" (byte order), checked against
 * the normal equations solved here in long double. */
START_TEST(test_late_levels)
{
    lr_fit *fit = fit_path(data_path, 3, LR_METHOD_AUTO);
    const char *want[] = {"(Intercept)", "x",    "gb",       "gearly",  "glate",
                          "gmid",        "x:gb", "x:gearly", "x:glate", "x:gmid"};
    ck_assert_uint_eq(lr_fit_ncoef(fit), 10);
    for (size_t j = 0; j < 10; j++)
        ck_assert_str_eq(lr_fit_coef(fit, j)->name, want[j]);
    /* normal equations in long double over the same data, read back here */
    long double xtx[10][10] = {{0}}, xty[10] = {0};
    lr_csv *csv;
    lr_error err;
    ck_assert_int_eq(lr_csv_open(data_path, NULL, NULL, &csv, &err), LR_OK);
    lr_csv_row row;
    int has;
    ck_assert_int_eq(lr_csv_next(csv, &row, &has, &err), LR_OK);
    const char *order[] = {"b", "early", "late", "mid"}; /* non-reference levels */
    while (lr_csv_next(csv, &row, &has, &err) == LR_OK && has) {
        double y, x;
        lr_parse_cell(row.fields[0].data, row.fields[0].len, &y);
        lr_parse_cell(row.fields[1].data, row.fields[1].len, &x);
        long double v[10] = {1, x, 0, 0, 0, 0, 0, 0, 0, 0};
        for (int q = 0; q < 4; q++)
            if (row.fields[2].len == strlen(order[q]) &&
                !memcmp(row.fields[2].data, order[q], row.fields[2].len)) {
                v[2 + q] = 1;
                v[6 + q] = x;
            }
        for (int a = 0; a < 10; a++) {
            xty[a] += v[a] * y;
            for (int b = 0; b < 10; b++)
                xtx[a][b] += v[a] * v[b];
        }
    }
    lr_csv_free(csv);
    /* Gauss–Jordan in long double */
    for (int k = 0; k < 10; k++) {
        long double piv = xtx[k][k];
        for (int j = 0; j < 10; j++)
            xtx[k][j] /= piv;
        xty[k] /= piv;
        for (int i = 0; i < 10; i++)
            if (i != k) {
                long double f = xtx[i][k];
                for (int j = 0; j < 10; j++)
                    xtx[i][j] -= f * xtx[k][j];
                xty[i] -= f * xty[k];
            }
    }
    for (int j = 0; j < 10; j++)
        LR_CK_REL(lr_fit_coef(fit, (size_t)j)->estimate, (double)xty[j], 1e-10);
    lr_fit_free(fit);
}
END_TEST

/* The same bytes from a pipe and gzip-compressed: the same chunks, the same bits. */
START_TEST(test_stdin_and_gzip)
{
    lr_fit *base = fit_path(data_path, 2, LR_METHOD_AUTO);
    /* gzip */
    char gzpath[4096];
    snprintf(gzpath, sizeof gzpath, "%s.gz", data_path);
    gzFile gz = gzopen(gzpath, "wb6");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data.s, (unsigned)data.n), (int)data.n);
    gzclose(gz);
    lr_fit *g = fit_path(gzpath, 2, LR_METHOD_AUTO);
    same_bits(base, g);
    lr_fit_free(g);
    unlink(gzpath);
    /* stdin, through the command */
    const char *argv[] = {"linreg", "fit", "-q", "-f", "y ~ x * g", "--format", "json", "-", NULL};
    const char *argvf[] = {"linreg",   "fit",  "-q",      "-f", "y ~ x * g",
                           "--format", "json", data_path, NULL};
    lr_test_run_result a, b;
    ck_assert_int_eq(lr_test_run(argv, data.s, data.n, &a), 0);
    ck_assert_int_eq(lr_test_run(argvf, NULL, 0, &b), 0);
    ck_assert_msg(a.exit_code == 0, "%s", a.err);
    /* the same numbers; only the data's name differs */
    const char *ca = strstr(a.out, "\"coefficients\""), *cb = strstr(b.out, "\"coefficients\"");
    ck_assert(ca && cb);
    const char *ea = strstr(ca, "\"condition_number\""), *eb = strstr(cb, "\"condition_number\"");
    ck_assert_int_eq((int)(ea - ca), (int)(eb - cb));
    ck_assert(!memcmp(ca, cb, (size_t)(ea - ca)));
    lr_test_run_free(&a);
    lr_test_run_free(&b);
    lr_fit_free(base);
}
END_TEST

/* An error deep in the file, at its exact line and column for every thread
 * count; with two, the first in file order. */
START_TEST(test_error_positions)
{
    lr_test_text t = {0};
    size_t bad1 = 0, bad2 = 0, line = 1, col1 = 0;
    lr_test_put(&t, "y,x,note\n");
    lr_test_seed(5);
    for (size_t i = 0; i < 900000; i++) {
        line++;
        if (i % 7000 == 3) {
            lr_test_put(&t, "%.17g,%.17g,\"two\nlines\"\n", lr_test_urand(), lr_test_urand());
            line++;
        } else if (i == 700000) {
            char y[40];
            snprintf(y, sizeof y, "%.17g", lr_test_urand());
            lr_test_put(&t, "%s,oops1,x\n", y);
            bad1 = line;
            col1 = strlen(y) + 2;
        } else if (i == 800000) {
            lr_test_put(&t, "%.17g,oops2,x\n", lr_test_urand());
            bad2 = line;
        } else {
            lr_test_put(&t, "%.17g,%.17g,x\n", lr_test_urand(), lr_test_urand());
        }
    }
    (void)bad2;
    char *path = lr_test_write_temp(t.s, t.n);
    for (int threads = 1; threads <= 4; threads++) {
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = "y ~ x";
        opt.threads = threads;
        lr_fit *fit = NULL;
        lr_error err;
        ck_assert_int_eq(lr_fit_csv(path, &opt, &fit, &err), LR_EVALUE);
        char want[4200];
        snprintf(want, sizeof want, "%s:%zu:%zu: column 'x': expected a number, got \"oops1\"",
                 path, bad1, col1);
        ck_assert_msg(!strncmp(err.message, want, strlen(want)), "threads %d:\n got  %s\n want %s",
                      threads, err.message, want);
        ck_assert_uint_eq(err.line, bad1);
    }
    lr_test_remove_file(path);
    free(t.s);
}
END_TEST

/* CRLF line ends, with a chunk boundary somewhere among them. */
START_TEST(test_crlf_chunks)
{
    lr_test_text t = {0};
    lr_test_put(&t, "y,x\r\n");
    lr_test_seed(6);
    for (size_t i = 0; i < 400000; i++) {
        double x = lr_test_urand();
        lr_test_put(&t, "%.17g,%.17g\r\n", 3 * x + 0.01 * lr_test_urand(), x);
    }
    char *path = lr_test_write_temp(t.s, t.n);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.threads = 2;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(path, &opt, &fit, &err), LR_OK);
    ck_assert_uint_eq(lr_fit_summary(fit)->n, 400000);
    ck_assert(fabs(lr_fit_coef(fit, 1)->estimate - 3) < 1e-3);
    lr_fit_free(fit);
    lr_test_remove_file(path);
    free(t.s);
}
END_TEST

typedef struct progress_log {
    int calls;      /* "reading" calls */
    uint64_t first; /* the first reading call's bytes (0: the pass announced) */
    uint64_t last;  /* the last bytes value */
    uint64_t total; /* the total reported */
    int monotonic;  /* never went backwards */
    int after;      /* calls of another pass after reading ("solving") */
    int back;       /* a reading call after another pass (the order broken) */
} progress_log;

static void on_progress(void *ud, const lr_progress *p)
{
    progress_log *log = ud;
    if (strncmp(p->pass, "reading", 7) != 0) { /* "solving" and after */
        log->after++;
        return;
    }
    if (strcmp(p->pass, "reading") != 0) { /* "reading: evaluating the first rows" */
        ck_assert_str_eq(p->unit, "rows");
        ck_assert_uint_le(p->done, p->total);
        return;
    }
    ck_assert_str_eq(p->unit, "bytes");
    if (log->after)
        log->back = 1;
    if (log->calls == 0)
        log->first = p->done;
    if (p->done < log->last)
        log->monotonic = 0;
    log->last = p->done;
    log->total = p->total;
    log->calls++;
}

START_TEST(test_progress_callback)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x * g";
    opt.threads = 2;
    progress_log log = {0, 1, 0, 0, 1, 0, 0};
    opt.progress = on_progress;
    opt.progress_ud = &log;
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv(data_path, &opt, &fit, &err), LR_OK);
    ck_assert(log.calls >= 3);
    ck_assert_uint_eq(log.first, 0); /* the pass is announced before any work */
    ck_assert(log.monotonic);
    ck_assert_uint_eq(log.total, data.n);
    ck_assert_uint_eq(log.last, data.n);
    ck_assert_int_ge(log.after, 1); /* the solve is announced after reading */
    ck_assert_int_eq(log.back, 0);
    lr_fit_free(fit);
}
END_TEST

/* The shared data file, written before the tests run (no Check asserts here:
 * outside a test they cannot report). */
static char *write_data_file(const lr_test_text *t)
{
    char *path = malloc(4096);
    const char *dir = getenv("TMPDIR");
    snprintf(path, 4096, "%s/linreg-ingest-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    size_t off = 0;
    while (off < t->n) {
        ssize_t k = write(fd, t->s + off, t->n - off);
        if (k <= 0) {
            perror("write");
            exit(1);
        }
        off += (size_t)k;
    }
    close(fd);
    return path;
}

/* ---- the fused path against the CSV reader on the same bytes ---- */

typedef struct line_log {
    uint64_t *line;
    double *resid;
    size_t n, cap;
} line_log;

static void log_row(void *ud, const lr_residual *r)
{
    line_log *g = ud;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4096;
        g->line = realloc(g->line, g->cap * sizeof(uint64_t));
        g->resid = realloc(g->resid, g->cap * sizeof(double));
    }
    g->line[g->n] = r->line;
    g->resid[g->n++] = r->residual;
}

/* y ~ x1 + x2 weighted by w on two threads, with the fused path on or off;
 * each row's residual to g when g is given. */
static int fit_fused(const char *path, int fused, line_log *g, lr_fit **fit, lr_error *err)
{
    lr_ingest_fused = fused;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x1 + x2";
    opt.weights = "w";
    opt.threads = 2;
    if (g) {
        opt.residual_row = log_row;
        opt.residual_ud = g;
    }
    *fit = NULL;
    int rc = lr_fit_csv(path, &opt, fit, err);
    lr_ingest_fused = 1;
    return rc;
}

static lr_fit *fit_logged(const char *path, int fused, line_log *g)
{
    lr_fit *fit;
    lr_error err;
    int rc = fit_fused(path, fused, g, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    return fit;
}

/* Rows the fused path must leave to the reader, sprinkled over several
 * chunks (every `every` rows: sparse, under the per-chunk limit, and dense,
 * over it): the same coefficients to the bit, the same rows dropped, the same
 * residuals and physical lines as with the reader alone. */
START_TEST(test_fused_fallbacks)
{
    size_t every_of[2] = {5003, 97};
    for (int d = 0; d < 2; d++) {
        size_t every = every_of[d];
        lr_test_text t = {0};
        lr_test_seed(11 + (uint64_t)d);
        lr_test_put(&t, "y,x1,note,x2,w\n");
        for (size_t i = 0; i < 80000; i++) {
            double x1 = lr_test_urand() * 4 - 2, x2 = lr_test_urand();
            double y = 1 + x1 - 2 * x2 + lr_test_urand();
            char a[64], b[64], nt[64], w[16], end[4] = "\n";
            snprintf(a, sizeof a, "%.17g", x1);
            snprintf(b, sizeof b, "%.17g", x2);
            snprintf(nt, sizeof nt, "n%zu", i);
            snprintf(w, sizeof w, "%d", (int)(i % 3) + 1);
            switch (i % every) {
            case 1: snprintf(a, sizeof a, "NA"); break;            /* dropped */
            case 2: snprintf(a, sizeof a, "\"%.17g\"", x1); break; /* quoted */
            case 3: snprintf(b, sizeof b, " %.6g ", x2); break;    /* padded */
            case 4: snprintf(end, sizeof end, "\r\n"); break;      /* CRLF */
            case 5: lr_test_put(&t, "\n"); break;                  /* a blank line */
            case 6: snprintf(nt, sizeof nt, "\"a,b\nc\""); break;  /* quoted line end */
            case 7: snprintf(b, sizeof b, "%.3e", x2); break;      /* exponent */
            case 8: snprintf(a, sizeof a, "%.25f", x1); break;     /* 25+ digits */
            case 9: snprintf(end, sizeof end, "\r"); break;        /* a lone CR */
            case 10: snprintf(w, sizeof w, "0"); break;            /* weight zero */
            case 11: snprintf(b, sizeof b, "+.5"); break;          /* sign, no integer part */
            case 12: snprintf(nt, sizeof nt, "%s", ""); break;     /* empty unused cell */
            default: break;
            }
            lr_test_put(&t, "%.17g,%s,%s,%s,%s%s", y, a, nt, b, w, end);
        }
        char *path = lr_test_write_temp(t.s, t.n);
        line_log g1 = {0}, g2 = {0};
        lr_fit *slow = fit_logged(path, 0, &g1), *fast = fit_logged(path, 1, &g2);
        same_bits(slow, fast);
        ck_assert_uint_eq(lr_fit_summary(slow)->n_dropped, lr_fit_summary(fast)->n_dropped);
        ck_assert_uint_eq(lr_fit_summary(fast)->n_dropped, 80000 / every + (80000 % every > 1));
        ck_assert_uint_eq(g1.n, g2.n);
        for (size_t i = 0; i < g1.n; i++) {
            ck_assert_uint_eq(g1.line[i], g2.line[i]);
            ck_assert(!memcmp(&g1.resid[i], &g2.resid[i], sizeof(double)));
        }
        lr_fit_free(slow);
        lr_fit_free(fast);
        free(g1.line);
        free(g1.resid);
        free(g2.line);
        free(g2.resid);
        lr_test_remove_file(path);
        free(t.s);
    }
}
END_TEST

/* One byte changed in a row past the first chunk, at random: a number cut or
 * lengthened, a field split or merged, a quote, a NUL, a line end. Whatever
 * the CSV reader alone makes of the file — a fit or an error at a place —
 * the fused path makes the same. */
START_TEST(test_fused_mutations)
{
    static const char bytes[] = {',', '"', 'x', ' ', '\r', '\n', '\0', '-', '.', 'e', '9', '+'};
    lr_test_text t = {0};
    lr_test_seed(21);
    lr_test_put(&t, "y,x1,note,x2,w\n");
    for (size_t i = 0; i < 60000; i++) {
        double x1 = lr_test_urand() * 4 - 2, x2 = lr_test_urand();
        double y = 1 + x1 - 2 * x2 + lr_test_urand();
        lr_test_put(&t, "%.17g,%.17g,n%zu,%.17g,%d\n", y, x1, i, x2, (int)(i % 3) + 1);
    }
    int rounds = lr_test_under_valgrind() ? 4 : 40;
    /* the last round: the bytes of a UTF-8 byte order mark at a row's start,
     * which are data there (only a file's first bytes can be one) */
    for (int r = 0; r <= rounds; r++) {
        size_t at = (size_t)(1.2e6 + lr_test_urand() * (double)(t.n - 1300000));
        char old[3];
        if (r == rounds)
            at = (size_t)((const char *)memchr(t.s + at, '\n', t.n - at) - t.s) + 1;
        memcpy(old, t.s + at, 3);
        if (r == rounds)
            memcpy(t.s + at, "\xEF\xBB\xBF", 3);
        else
            t.s[at] = bytes[(size_t)(lr_test_urand() * sizeof bytes)];
        char *path = lr_test_write_temp(t.s, t.n);
        memcpy(t.s + at, old, 3);
        lr_fit *fit[2] = {NULL, NULL};
        lr_error err[2];
        int rc[2];
        for (int fused = 0; fused < 2; fused++)
            rc[fused] = fit_fused(path, fused, NULL, &fit[fused], &err[fused]);
        ck_assert_int_eq(rc[0], rc[1]);
        if (r == rounds)
            ck_assert_msg(rc[0] == LR_EVALUE && strstr(err[0].message, "expected a number"), "%s",
                          rc[0] ? err[0].message : "a fit");
        if (rc[0] == LR_OK) {
            same_bits(fit[0], fit[1]);
            ck_assert_uint_eq(lr_fit_summary(fit[0])->n_dropped, lr_fit_summary(fit[1])->n_dropped);
        } else {
            ck_assert_str_eq(err[0].message, err[1].message);
        }
        lr_fit_free(fit[0]);
        lr_fit_free(fit[1]);
        lr_test_remove_file(path);
    }
    free(t.s);
}
END_TEST

int main(void)
{
    /* under valgrind (fifty times slower) a fifth: still four chunks, "late" in the last */
    data_rows = lr_test_under_valgrind() ? 300000 : 1500000;
    data = make_data(data_rows, NULL);
    data_path = write_data_file(&data);
    const lr_test_case tests[] = {
        LR_TEST(test_thread_count_invariance),
        LR_TEST(test_late_levels),
        LR_TEST(test_stdin_and_gzip),
        LR_TEST(test_error_positions),
        LR_TEST(test_crlf_chunks),
        LR_TEST(test_progress_callback),
        LR_TEST(test_fused_fallbacks),
        LR_TEST(test_fused_mutations),
    };
    int rc = lr_test_run_cases("ingest", 300, tests, LR_TEST_COUNT(tests));
    lr_test_remove_file(data_path);
    free(data.s);
    return rc;
}
