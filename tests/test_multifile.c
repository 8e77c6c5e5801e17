/*
 * test_multifile.c — several files, one data set (issue 16, items 1 and 2):
 * a data set split into files (some gzip-compressed, one on standard input)
 * fits bit for bit the same for any thread count and wherever the files come
 * from (a file, gzip, standard input), and as the whole file does to 1e-10
 * (each file is cut at its own offsets and folds along its own tree, so the
 * last bits may differ from the concatenation's); headers that
 * differ, an empty file and '-' twice are errors naming the file; an error
 * in a later file names that file and its own line; --residuals and predict
 * name each row's file. The reference is the single-file fit, itself checked
 * against R by the other suites (tests/reference/gen_r_*.R).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "test_util.h"

/* ---- splitting a CSV text into files ---- */

/* Offsets of the starts of the lines of text (a line per row: no quoted
 * line ends in these data sets); *n of them. */
static size_t *line_starts(const char *text, size_t len, size_t *n)
{
    size_t cap = 1024, k = 0;
    size_t *at = malloc(cap * sizeof *at);
    for (size_t i = 0; i < len;
         i = (size_t)((const char *)memchr(text + i, '\n', len - i) - text) + 1) {
        if (k == cap)
            at = realloc(at, (cap *= 2) * sizeof *at);
        at[k++] = i;
        if (!memchr(text + i, '\n', len - i))
            break;
    }
    *n = k;
    return at;
}

static void write_gzip(const char *path, const char *data, size_t len)
{
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

/* The header of text and its rows [from, to) (1-based data rows), into
 * path (gzip-compressed if gz). */
static void write_part(const char *path, const char *text, size_t len, const size_t *at, size_t n,
                       size_t from, size_t to, int gz)
{
    size_t hend = n > 1 ? at[1] : len;
    size_t rs = from < n ? at[from] : len, re = to < n ? at[to] : len;
    size_t m = hend + (re - rs);
    char *b = malloc(m + 1);
    memcpy(b, text, hend);
    memcpy(b + hend, text + rs, re - rs);
    if (gz)
        write_gzip(path, b, m);
    else
        lr_test_write_file(path, b, m);
    free(b);
}

/* The data set at `whole` as three files in dir: rows [1, c1), [c1, c2),
 * [c2, end); the second gzip-compressed. Their paths into p[0..3). */
static void split3(const char *dir, const char *whole, double f1, double f2, char *p[3])
{
    size_t len, n;
    char *text = lr_test_read_file(whole, &len);
    ck_assert_ptr_nonnull(text);
    size_t *at = line_starts(text, len, &n);
    size_t c1 = 1 + (size_t)((double)(n - 1) * f1), c2 = 1 + (size_t)((double)(n - 1) * f2);
    p[0] = lr_test_join(dir, "part1.csv");
    p[1] = lr_test_join(dir, "part2.csv.gz");
    p[2] = lr_test_join(dir, "part3.csv");
    write_part(p[0], text, len, at, n, 1, c1, 0);
    write_part(p[1], text, len, at, n, c1, c2, 1);
    write_part(p[2], text, len, at, n, c2, n, 0);
    free(at);
    free(text);
}

/* JSON output without its "data" member (the name of the input). */
static char *without_data(const char *json)
{
    char *s = strdup(json), *d = strstr(s, "\"data\": \"");
    ck_assert_ptr_nonnull(d);
    char *e = strchr(d + 9, '"');
    ck_assert_ptr_nonnull(e);
    memmove(d, e + 1, strlen(e + 1) + 1);
    return s;
}

/* linreg fit ARGS... FILES... --format json: stdout without "data"; exit 0. */
static char *fit_json(const char *const *args, const char *const *files, size_t nfiles,
                      const char *in)
{
    const char *argv[32];
    size_t k = 0;
    argv[k++] = "linreg";
    argv[k++] = "fit";
    argv[k++] = "--format";
    argv[k++] = "json";
    for (size_t i = 0; args[i]; i++)
        argv[k++] = args[i];
    for (size_t i = 0; i < nfiles; i++)
        argv[k++] = files[i];
    argv[k] = NULL;
    ck_assert(k < 32);
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, in, in ? strlen(in) : 0, &r), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    char *s = without_data(r.out);
    lr_test_run_free(&r);
    return s;
}

/* The texts a and b are the same but for their numbers, which agree to a
 * relative 1e-10 (or both are below 1e-12 in size): the parts' fit against
 * the whole's, whose last bits may differ. */
static int same_numbers(const char *a, const char *b)
{
    while (*a && *b) {
        char *ea, *eb;
        if ((*a == '-' || (*a >= '0' && *a <= '9')) && (*b == '-' || (*b >= '0' && *b <= '9'))) {
            double x = strtod(a, &ea), y = strtod(b, &eb);
            if (ea > a && eb > b) {
                double d = x > y ? x - y : y - x, m = x < 0 ? -x : x;
                if (d > 1e-10 * m && d > 1e-12)
                    return 0;
                a = ea;
                b = eb;
                continue;
            }
        }
        if (*a++ != *b++)
            return 0;
    }
    return *a == *b;
}

/* ---- the fit of the parts is the fit of the whole ---- */

static const struct {
    const char *file;    /* under datasets/ */
    const char *args[8]; /* model and options */
} cases[] = {
    {"mtcars.csv", {"-f", "mpg ~ wt + factor(cyl) + log(hp)", NULL}},
    {"mtcars.csv", {"-f", "mpg ~ wt * hp", "--vcov", "HC3", NULL}},
    {"iris.csv", {"-f", "Sepal.Length ~ Petal.Length + Species", "--vcov", "HC1", NULL}},
    {"warpbreaks.csv", {"-f", "breaks ~ wool * tension", NULL}},
    {"airquality.csv",
     {"-f", "Ozone ~ Solar.R + Wind + Temp", "--vcov", "HAC", "--lag", "2", NULL}},
    {"cars.csv", {"-f", "dist ~ speed", "-w", "speed", NULL}},
    /* absorbed fixed effects read every file once more */
    {"panels/firms.csv", {"-f", "y ~ x1 + x2 | firm + year", NULL}},
};

START_TEST(test_datasets)
{
    char *dir = lr_test_temp_dir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[256], *p[3];
        snprintf(path, sizeof path, "datasets/%s", cases[i].file);
        const char *whole = lr_test_path(path);
        split3(dir, whole, 0.3, 0.7, p);
        char *w = fit_json(cases[i].args, &whole, 1, NULL);
        char *a = fit_json(cases[i].args, (const char *const *)p, 3, NULL);
        ck_assert_msg(same_numbers(w, a), "%s: the parts fit differently:\n%s\n%s", cases[i].file,
                      w, a);
        free(w);
        char *b;
        /* the third part on standard input */
        size_t n3;
        char *in = lr_test_read_file(p[2], &n3);
        const char *files[3] = {p[0], p[1], "-"};
        b = fit_json(cases[i].args, files, 3, in);
        ck_assert_msg(strcmp(a, b) == 0, "%s: with stdin:\n%s\n%s", cases[i].file, a, b);
        free(b);
        /* and the first (a second pass reads its copy) */
        free(in);
        in = lr_test_read_file(p[0], &n3);
        const char *files1[3] = {"-", p[1], p[2]};
        b = fit_json(cases[i].args, files1, 3, in);
        ck_assert_msg(strcmp(a, b) == 0, "%s: with stdin first:\n%s\n%s", cases[i].file, a, b);
        free(b);
        free(in);
        free(a);
        for (int k = 0; k < 3; k++)
            free(p[k]);
    }
    lr_test_remove_dir(dir);
}
END_TEST

/* Several chunks of 1 MiB in each file: the same bits for 1, 2 and 4
 * threads, and the whole file's numbers to 1e-10. */
START_TEST(test_large_threads)
{
    char *dir = lr_test_temp_dir();
    char *whole = lr_test_join(dir, "whole.csv");
    lr_test_text t = {NULL, 0, 0};
    lr_test_seed(16);
    lr_test_put(&t, "y,x1,x2,g\n");
    for (int i = 0; i < 60000; i++) {
        double x1 = lr_test_urand(), x2 = lr_test_urand() - 0.5, e = lr_test_urand() - 0.5;
        lr_test_put(&t, "%.9f,%.9f,%.9f,%c\n", 1 + 2 * x1 - 3 * x2 + e * 0.1, x1, x2,
                    "abcd"[i % 4]);
    }
    lr_test_write_file(whole, t.s, t.n);
    ck_assert_uint_gt(t.n, (size_t)2 << 20);
    free(t.s);
    char *p[3];
    split3(dir, whole, 0.45, 0.5, p);
    const char *w = whole;
    const char *a1[] = {"-f", "y ~ x1 + x2 + g", "--vcov", "HC2", "-t", "1", NULL};
    char *whole_fit = fit_json(a1, &w, 1, NULL);
    char *ref = fit_json(a1, (const char *const *)p, 3, NULL);
    ck_assert_msg(same_numbers(whole_fit, ref), "whole:\n%s\nparts:\n%s", whole_fit, ref);
    free(whole_fit);
    static const char *threads[] = {"1", "2", "4"};
    for (int k = 0; k < 3; k++) {
        const char *a[] = {"-f", "y ~ x1 + x2 + g", "--vcov", "HC2", "-t", threads[k], NULL};
        char *b = fit_json(a, (const char *const *)p, 3, NULL);
        ck_assert_msg(strcmp(ref, b) == 0, "-t %s:\n%s\n%s", threads[k], ref, b);
        free(b);
    }
    free(ref);
    for (int k = 0; k < 3; k++)
        free(p[k]);
    free(whole);
    lr_test_remove_dir(dir);
}
END_TEST

/* ---- errors ---- */

static void put(const char *path, const char *text)
{
    lr_test_write_file(path, text, strlen(text));
}

/* linreg ARGV: its exit code and the first line of stderr. */
static void expect_error(const char *const *argv, int code, const char *message)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    ck_assert_msg(r.exit_code == code, "exit %d, not %d: %s", r.exit_code, code, r.err);
    ck_assert_msg(strcmp(r.err, message) == 0, "stderr\n%s\nnot\n%s", r.err, message);
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
}

START_TEST(test_errors)
{
    char *dir = lr_test_temp_dir();
    char *a = lr_test_join(dir, "a.csv"), *b = lr_test_join(dir, "b.csv");
    char *e = lr_test_join(dir, "e.csv"), *h = lr_test_join(dir, "h.csv");
    char want[1024];
    put(a, "y,x1,x2\n1,2,3\n2,3,5\n3,5,4\n");
    put(e, "");
    /* the header differs: both files and the first column that differs */
    put(b, "y,x1,x3\n4,1,1\n");
    const char *v1[] = {"linreg", "fit", a, b, NULL};
    snprintf(want, sizeof want,
             "linreg: %s:1:6: the header differs from %s's: column 3 is 'x3' here, 'x2' in %s\n", b,
             a, a);
    expect_error(v1, 1, want);
    put(b, "y,x1\n4,1\n");
    snprintf(want, sizeof want,
             "linreg: %s:1: the header differs from %s's: 2 columns here, 3 there (column 3: "
             "none here, 'x2' there)\n",
             b, a);
    expect_error(v1, 1, want);
    /* another delimiter is another header */
    put(b, "y;x1;x2\n4;1;1\n");
    snprintf(want, sizeof want,
             "linreg: %s:1:1: the header differs from %s's: column 1 is 'y;x1;x2' here, 'y' in "
             "%s\n",
             b, a, a);
    expect_error(v1, 1, want);
    /* an error in the second file: its name and its own line, and the
     * message of the whole file at its line there */
    put(b, "y,x1,x2\n4,1,1\n5,2,2\n6,1\"x,3\n");
    snprintf(want, sizeof want, "linreg: %s:4:4: unexpected quote in unquoted field\n", b);
    expect_error(v1, 1, want);
    char *w = lr_test_join(dir, "w.csv");
    put(w, "y,x1,x2\n1,2,3\n2,3,5\n3,5,4\n4,1,1\n5,2,2\n6,1\"x,3\n");
    const char *vw[] = {"linreg", "fit", w, NULL};
    snprintf(want, sizeof want, "linreg: %s:7:4: unexpected quote in unquoted field\n", w);
    expect_error(vw, 1, want);
    free(w);
    /* an empty file, first or not */
    const char *v2[] = {"linreg", "fit", a, e, NULL};
    snprintf(want, sizeof want, "linreg: %s: empty file (no header row)\n", e);
    expect_error(v2, 1, want);
    const char *v3[] = {"linreg", "fit", e, a, NULL};
    expect_error(v3, 1, want);
    /* standard input twice */
    const char *v4[] = {"linreg", "fit", "-", a, "-", NULL};
    expect_error(v4, 2,
                 "linreg: standard input ('-') is given twice (files 1 and 3): it can be read "
                 "only once\n");
    /* a header and no rows is no error: the data are the other files' */
    put(h, "y,x1,x2\n");
    const char *none[] = {NULL};
    const char *fa[] = {a}, *fha[] = {h, a, h, b};
    /* nor is a byte order mark, or empty lines before the header */
    put(b, "\xef\xbb\xbf\n\ny,x1,x2\n");
    char *r1 = fit_json(none, fa, 1, NULL), *r2 = fit_json(none, fha, 4, NULL);
    ck_assert_str_eq(r1, r2);
    free(r1);
    free(r2);
    free(a);
    free(b);
    free(e);
    free(h);
    lr_test_remove_dir(dir);
}
END_TEST

/* Lines are physical lines of each file: CRLF, a quoted line end in the
 * header and in a row of the file before, a file without a final line end. */
START_TEST(test_lines)
{
    char *dir = lr_test_temp_dir();
    char *a = lr_test_join(dir, "a.csv"), *b = lr_test_join(dir, "b.csv");
    char want[1024];
    put(a, "y,x,\"note\r\nnote\"\r\n1,2,\"one\r\nline\"\r\n2,3,c\r\n3,5,\"d\"");
    put(b, "y,x,\"note\r\nnote\"\r\n1,2,a\r\n2,3,\"p\nq\"\r\n5,1\"x,a\r\n");
    const char *v[] = {"linreg", "fit", "-y", "y", "-x", "x", a, b, NULL};
    snprintf(want, sizeof want, "linreg: %s:6:4: unexpected quote in unquoted field\n", b);
    expect_error(v, 1, want);
    free(a);
    free(b);
    lr_test_remove_dir(dir);
}
END_TEST

/* A file without a final line end is followed by one; the lines of a
 * later file are its own in --residuals, which gains a file column. */
START_TEST(test_residuals)
{
    char *dir = lr_test_temp_dir();
    char *a = lr_test_join(dir, "a.csv"), *b = lr_test_join(dir, "b.csv");
    char *w = lr_test_join(dir, "w.csv"), *r1 = lr_test_join(dir, "r1.csv");
    char *r2 = lr_test_join(dir, "r2.csv");
    put(a, "y,x\n1,2\n2,3.5");
    put(b, "y,x\r\n3,4\r\n\r\n5,6.5\r\n4,4.5\r\n");
    put(w, "y,x\n1,2\n2,3.5\n3,4\n5,6.5\n4,4.5\n");
    const char *v1[] = {"linreg", "fit", "-q", "--residuals", r1, w, NULL};
    const char *v2[] = {"linreg", "fit", "-q", "--residuals", r2, a, b, NULL};
    lr_test_run_result o1, o2;
    ck_assert_int_eq(lr_test_run(v1, NULL, 0, &o1), 0);
    ck_assert_int_eq(lr_test_run(v2, NULL, 0, &o2), 0);
    ck_assert_int_eq(o1.exit_code, 0);
    ck_assert_int_eq(o2.exit_code, 0);
    size_t n1, n2;
    char *t1 = lr_test_read_file(r1, &n1), *t2 = lr_test_read_file(r2, &n2);
    /* whole: lines 2..6; parts: a.csv 2, 3; b.csv 2, 4 (after an empty line), 5 */
    static const char *where[] = {"a.csv,2,", "a.csv,3,", "b.csv,2,", "b.csv,4,", "b.csv,5,"};
    const char *p = strchr(t1, '\n') + 1, *q = strchr(t2, '\n') + 1;
    ck_assert(!strncmp(t2, "file,line,fitted,", 17));
    for (int i = 0; i < 5; i++) {
        const char *pv = strchr(p, ','), *qe = strchr(q, '\n');
        char full[64];
        snprintf(full, sizeof full, "%s/%s", dir, where[i]);
        ck_assert_msg(!strncmp(q, full, strlen(full)), "row %d: %.*s", i, (int)(qe - q), q);
        /* the same numbers, to 1e-10 */
        const char *qv = q + strlen(full) - 1, *pe = strchr(pv, '\n');
        char *x = strndup(pv, (size_t)(pe - pv)), *y = strndup(qv, (size_t)(qe - qv));
        ck_assert_msg(same_numbers(x, y), "%s\n%s", x, y);
        free(x);
        free(y);
        p = strchr(p, '\n') + 1;
        q = qe + 1;
    }
    free(t1);
    free(t2);
    lr_test_run_free(&o1);
    lr_test_run_free(&o2);
    free(a);
    free(b);
    free(w);
    free(r1);
    free(r2);
    lr_test_remove_dir(dir);
}
END_TEST

/* predict over several files: the same predictions as over the whole, each
 * JSON row naming its file and line. */
START_TEST(test_predict)
{
    char *dir = lr_test_temp_dir();
    char *model = lr_test_join(dir, "m.json"), *p[3];
    const char *whole = lr_test_path("datasets/mtcars.csv");
    const char *fv[] = {"linreg", "fit", "-q",  "-f", "mpg ~ wt + log(hp)",
                        "--save", model, whole, NULL};
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(fv, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 0);
    lr_test_run_free(&r);
    split3(dir, whole, 0.25, 0.5, p);
    const char *v1[] = {"linreg", "predict", "-m", model, whole, NULL};
    const char *v2[] = {"linreg", "predict", "-m", model, p[0], p[1], p[2], NULL};
    const char *v3[] = {"linreg", "predict", "-m", model, "--format",
                        "json",   p[0],      p[1], p[2],  NULL};
    lr_test_run_result a, b, c;
    ck_assert_int_eq(lr_test_run(v1, NULL, 0, &a), 0);
    ck_assert_int_eq(lr_test_run(v2, NULL, 0, &b), 0);
    ck_assert_int_eq(lr_test_run(v3, NULL, 0, &c), 0);
    ck_assert_int_eq(a.exit_code, 0);
    ck_assert_int_eq(b.exit_code, 0);
    ck_assert_str_eq(a.out, b.out);
    /* mtcars has 32 rows: part 2 holds rows 9..16, at its lines 2..9 */
    char want[512];
    snprintf(want, sizeof want, "{\"file\": \"%s\", \"line\": 2, \"fit\": ", p[1]);
    ck_assert_msg(strstr(c.out, want) != NULL, "%s", c.out);
    snprintf(want, sizeof want, "{\"file\": \"%s\", \"line\": 17, \"fit\": ", p[2]);
    ck_assert_msg(strstr(c.out, want) != NULL, "%s", c.out);
    lr_test_run_free(&a);
    lr_test_run_free(&b);
    lr_test_run_free(&c);
    /* a header that differs: both files named, nothing on stdout */
    char *h = lr_test_join(dir, "h.csv");
    put(h, "mpg,wt,hp\n21,2.6,110\n");
    const char *v4[] = {"linreg", "predict", "-m", model, p[0], h, NULL};
    snprintf(want, sizeof want,
             "linreg: %s:1:1: the header differs from %s's: column 1 is 'mpg' here, 'model' in "
             "%s\n",
             h, p[0], p[0]);
    expect_error(v4, 1, want);
    free(h);
    for (int k = 0; k < 3; k++)
        free(p[k]);
    free(model);
    lr_test_remove_dir(dir);
}
END_TEST

/* The library: lr_fit_csv_files against lr_fit_csv, coefficient by
 * coefficient, to 1e-12. */
START_TEST(test_library)
{
    char *dir = lr_test_temp_dir(), *p[3];
    const char *whole = lr_test_path("datasets/swiss.csv");
    split3(dir, whole, 0.5, 0.6, p);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "Fertility ~ .";
    lr_fit *f1 = NULL, *f2 = NULL;
    lr_error err;
    ck_assert_msg(lr_fit_csv(whole, &opt, &f1, &err) == LR_OK, "%s", err.message);
    ck_assert_msg(lr_fit_csv_files((const char *const *)p, 3, &opt, &f2, &err) == LR_OK, "%s",
                  err.message);
    ck_assert_uint_eq(lr_fit_ncoef(f1), lr_fit_ncoef(f2));
    for (size_t j = 0; j < lr_fit_ncoef(f1); j++) {
        const lr_coef *a = lr_fit_coef(f1, j), *b = lr_fit_coef(f2, j);
        ck_assert(isnan(a->estimate)
                      ? isnan(b->estimate)
                      : fabs(a->estimate - b->estimate) <= 1e-12 * fabs(a->estimate));
        ck_assert(isnan(a->std_error)
                      ? isnan(b->std_error)
                      : fabs(a->std_error - b->std_error) <= 1e-12 * fabs(a->std_error));
    }
    ck_assert_double_eq_tol(lr_fit_summary(f1)->r_squared, lr_fit_summary(f2)->r_squared, 1e-14);
    lr_fit_free(f1);
    lr_fit_free(f2);
    for (int k = 0; k < 3; k++)
        free(p[k]);
    lr_test_remove_dir(dir);
}
END_TEST

/* Every allocation of a fit of three files (the concatenation, the header
 * checks, the second readings of the diagnostics and extended-precision
 * passes, the saved model's content) failed in turn: LR_ENOMEM, nothing
 * leaked. */
START_TEST(test_alloc_failures)
{
    char *dir = lr_test_temp_dir(), *p[3];
    size_t len;
    char *text = lr_test_poly_csv(30, 0, &len);
    char *whole = lr_test_join(dir, "poly.csv");
    lr_test_write_file(whole, text, len);
    free(text);
    split3(dir, whole, 0.3, 0.6, p);
    lr_test_extended_run c = {(const char *const *)p, 3, LR_TEST_POLY_FORMULA, 0, 0};
    lr_test_alloc_failures(lr_test_extended_alloc_run, &c, 3000);
    ck_assert_msg(c.extended, "the extended-precision pass did not run");
    for (int k = 0; k < 3; k++)
        free(p[k]);
    free(whole);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_datasets), LR_TEST(test_large_threads),  LR_TEST(test_errors),
        LR_TEST(test_lines),    LR_TEST(test_residuals),      LR_TEST(test_predict),
        LR_TEST(test_library),  LR_TEST(test_alloc_failures),
    };
    return lr_test_run_cases("multifile", 0, tests, LR_TEST_COUNT(tests));
}
