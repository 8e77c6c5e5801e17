/*
 * test_partials.c — partial fits (issue 16, items 2 and 3): `linreg fit
 * --save-partial PART FILE...` then `linreg merge PART... --data FILE...`
 * prints byte for byte what `linreg fit FILE...` prints, for several splits
 * of shipped data sets into parts (text summary, JSON, weights, HC0-HC3,
 * factor levels that first appear in the last part), on data whose quoted
 * line ends (CR LF) straddle the 1 MiB chunk boundaries, and with -t 1, 2
 * and 4 (the parts' bytes themselves do not depend on -t). Parts that are
 * corrupted, truncated, of another version or of another model are refused
 * with the reason, and so are models a part cannot hold (bases, C(g, sum)). The reference is the
 * fit of the files, itself checked against R by the other suites (tests/reference/gen_r_*.R).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* linreg ARGV: its run (exit code, stdout, stderr); the caller frees. */
/* argv = head..., then list[0..n), then tail... (NULL-terminated lists). */
static const char **args(const char *const *head, const char *const *list, size_t n,
                         const char *const *tail)
{
    static const char *v[64];
    size_t k = 0;
    for (size_t i = 0; head && head[i]; i++)
        v[k++] = head[i];
    for (size_t i = 0; i < n; i++)
        v[k++] = list[i];
    for (size_t i = 0; tail && tail[i]; i++)
        v[k++] = tail[i];
    ck_assert(k < 64);
    v[k] = NULL;
    return v;
}

/* Split the CSV text into nf files of dir (header repeated, rows in order,
 * cut at the given fractions of the rows); the last one gzip-free, names
 * f0.csv, f1.csv, ... into p. Rows are lines here (no quoted line ends). */
static void split_rows(const char *dir, const char *text, size_t len, size_t nf, const double *frac,
                       char **p)
{
    const char *hdr_end = memchr(text, '\n', len);
    ck_assert_ptr_nonnull(hdr_end);
    size_t hlen = (size_t)(hdr_end - text) + 1, nrows = 0;
    for (const char *s = hdr_end + 1; s < text + len; s = strchr(s, '\n') + 1)
        nrows++;
    const char *at = hdr_end + 1;
    size_t done = 0;
    for (size_t f = 0; f < nf; f++) {
        size_t upto = f + 1 == nf ? nrows : (size_t)((double)nrows * frac[f]);
        const char *e = at;
        for (; done < upto; done++)
            e = strchr(e, '\n') + 1;
        char name[32];
        snprintf(name, sizeof name, "f%zu.csv", f);
        p[f] = lr_test_join(dir, name);
        char *b = malloc(hlen + (size_t)(e - at) + 1);
        memcpy(b, text, hlen);
        memcpy(b + hlen, at, (size_t)(e - at));
        lr_test_write_file(p[f], b, hlen + (size_t)(e - at));
        free(b);
        at = e;
    }
}

/* The model options given to fit and to --save-partial. */
typedef struct model_case {
    const char *file;     /* under datasets/ */
    const char *model[6]; /* model options */
} model_case;

static const model_case models[] = {
    {"mtcars.csv", {"-f", "mpg ~ wt + factor(cyl) + log(hp)", NULL}},
    /* Species is sorted: virginica first appears in the last part */
    {"iris.csv", {"-f", "Sepal.Length ~ Petal.Length * Species", NULL}},
    {"cars.csv", {"-f", "dist ~ speed", "-w", "speed", NULL}},
    {"warpbreaks.csv", {"-f", "breaks ~ wool * tension", NULL}},
    /* text levels of numeric columns: a logical's (FALSE, TRUE) and
     * interaction()'s, in every file's tables and in the parts */
    {"mtcars.csv", {"-f", "mpg ~ 0 + I(hp > 120) + interaction(cyl, am) + wt", NULL}},
};

/* Output options of the fit and the merge. */
static const char *const outputs[][4] = {
    {NULL},
    {"--format", "json", NULL},
    {"--vcov", "HC0", NULL},
    {"--vcov", "HC1", "--format", "json"},
    {"--vcov", "HC2", NULL},
    {"--vcov", "HC3", NULL},
};

/* The files p[0..nf) saved as parts by the split `cut` (file counts per
 * part, summing to nf), merged with --data: stdout as the fit's. */
static void check_split(const char *dir, const model_case *m, char **p, size_t nf,
                        const size_t *cut, size_t nparts, size_t noutputs)
{
    char *parts[8];
    size_t at = 0;
    for (size_t i = 0; i < nparts; i++) {
        char name[32];
        snprintf(name, sizeof name, "part%zu", i);
        parts[i] = lr_test_join(dir, name);
        const char *head[] = {"linreg", "fit", "-q", NULL};
        const char *mid[12];
        size_t k = 0;
        for (size_t j = 0; m->model[j]; j++)
            mid[k++] = m->model[j];
        mid[k++] = "--save-partial";
        mid[k++] = parts[i];
        mid[k] = NULL;
        const char **v = args(head, (const char *const *)mid, k, NULL);
        const char *argv[64];
        memcpy(argv, v, sizeof argv);
        v = args(argv, (const char *const *)(p + at), cut[i], NULL);
        lr_test_run_result r = lr_test_cmd(v, NULL);
        ck_assert_msg(r.exit_code == 0 && r.out_len == 0, "%s: save-partial: %s", m->file, r.err);
        lr_test_run_free(&r);
        at += cut[i];
    }
    for (size_t o = 0; o < noutputs; o++) {
        const char *fh[16] = {"linreg", "fit", "-q"};
        size_t k = 3;
        for (size_t j = 0; m->model[j]; j++)
            fh[k++] = m->model[j];
        for (size_t j = 0; j < 4 && outputs[o][j]; j++)
            fh[k++] = outputs[o][j];
        fh[k] = NULL;
        lr_test_run_result a = lr_test_cmd(args(fh, (const char *const *)p, nf, NULL), NULL);
        ck_assert_msg(a.exit_code == 0, "%s: fit: %s", m->file, a.err);
        const char *mh[16] = {"linreg", "merge", "-q"};
        k = 3;
        for (size_t j = 0; j < 4 && outputs[o][j]; j++)
            mh[k++] = outputs[o][j];
        mh[k] = NULL;
        const char *argv[64];
        memcpy(argv,
               args(mh, (const char *const *)parts, nparts, (const char *const[]){"--data", NULL}),
               sizeof argv);
        lr_test_run_result b = lr_test_cmd(args(argv, (const char *const *)p, nf, NULL), NULL);
        ck_assert_msg(b.exit_code == 0, "%s: merge: %s", m->file, b.err);
        ck_assert_msg(a.out_len == b.out_len && !memcmp(a.out, b.out, a.out_len),
                      "%s, %zu parts, output %zu: the merge prints\n%s\nthe fit\n%s", m->file,
                      nparts, o, b.out, a.out);
        lr_test_run_free(&a);
        lr_test_run_free(&b);
    }
    for (size_t i = 0; i < nparts; i++) {
        remove(parts[i]);
        free(parts[i]);
    }
}

START_TEST(test_splits)
{
    static const double frac[] = {0.3, 0.6, 0.8};
    static const size_t splits[][4] = {{1, 3}, {3, 1}, {2, 2}, {1, 1, 1, 1}};
    static const size_t nsplit[] = {2, 2, 2, 4};
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        char *dir = lr_test_temp_dir(), *p[4], path[128];
        snprintf(path, sizeof path, "datasets/%s", models[i].file);
        size_t len;
        char *text = lr_test_read_file(lr_test_path(path), &len);
        ck_assert_ptr_nonnull(text);
        split_rows(dir, text, len, 4, frac, p);
        /* under valgrind (over a second of CPU for each of 170 commands),
         * every split for the first two models and every output for all */
        size_t nsplits = lr_test_under_valgrind() && i >= 2 ? 1 : sizeof nsplit / sizeof *nsplit;
        for (size_t s = 0; s < nsplits; s++)
            check_split(dir, &models[i], p, 4, splits[s], nsplit[s],
                        s == 0 ? sizeof outputs / sizeof *outputs : 2);
        for (int k = 0; k < 4; k++)
            free(p[k]);
        free(text);
        lr_test_remove_dir(dir);
    }
}
END_TEST

/* Rows of about 1 KB with a quoted note holding CR LF line ends, CR LF
 * between rows: the 1 MiB block boundaries fall inside quotes. */
static char *quoted_data(size_t rows, size_t *len)
{
    lr_test_text t = {NULL, 0, 0};
    lr_test_seed(26);
    lr_test_put(&t, "y,x,note,g\r\n");
    for (size_t i = 0; i < rows; i++) {
        double x = lr_test_urand(), e = lr_test_urand() - 0.5;
        lr_test_put(&t, "%.9f,%.9f,\"", 1 + 2 * x + e, x);
        for (int l = 0; l < 10; l++)
            lr_test_put(&t, "%s%s",
                        "a note, \"\"quoted\"\" over many lines of the cell .........."
                        "..............................................",
                        l < 9 ? "\r\n" : "");
        lr_test_put(&t, "\",%c\r\n", "pqrs"[(i * 7) % 4 + (i > rows - 3 ? 0 : 0)]);
    }
    *len = t.n;
    return t.s;
}

/* Whether offset `at` of text is inside quotes (quote parity before it). */
static int inside_quotes(const char *text, size_t at)
{
    int odd = 0;
    for (size_t i = 0; i < at; i++)
        odd ^= text[i] == '"';
    return odd;
}

START_TEST(test_quoted_chunks)
{
    char *dir = lr_test_temp_dir();
    size_t len;
    char *text = quoted_data(3000, &len);
    ck_assert_uint_gt(len, (size_t)5 << 19);
    /* the data are what the test is about: boundaries inside quotes */
    for (size_t b = 1; ((size_t)b << 20) < len; b++)
        ck_assert_msg(inside_quotes(text, b << 20), "offset %zu MiB is outside quotes", b);
    /* two files: the whole, and its rows again */
    char *a = lr_test_join(dir, "a.csv"), *b = lr_test_join(dir, "b.csv");
    lr_test_write_file(a, text, len);
    lr_test_write_file(b, text, len);
    const char *files[] = {a, b};
    char *pa[3], *pb = lr_test_join(dir, "pb");
    static const char *threads[] = {"1", "2", "4"};
    char *ref = NULL;
    size_t ref_len = 0;
    char *part_ref = NULL;
    size_t part_len = 0;
    for (int t = 0; t < 3; t++) {
        const char *fit[] = {"linreg",    "fit",    "-q",  "-t", threads[t], "-f",
                             "y ~ x + g", "--vcov", "HC3", a,    b,          NULL};
        lr_test_run_result r = lr_test_cmd(fit, NULL);
        ck_assert_msg(r.exit_code == 0, "%s", r.err);
        if (!ref) {
            ref = r.out;
            ref_len = r.out_len;
            r.out = NULL;
        } else {
            ck_assert_msg(r.out_len == ref_len && !memcmp(r.out, ref, ref_len), "-t %s:\n%s\n%s",
                          threads[t], r.out, ref);
        }
        lr_test_run_free(&r);
        /* the part of a, made with t threads: the same bytes */
        char name[16];
        snprintf(name, sizeof name, "pa%d", t);
        pa[t] = lr_test_join(dir, name);
        const char *save[] = {"linreg",         "fit", "-q", "-t", threads[t], "-f", "y ~ x + g",
                              "--save-partial", pa[t], a,    NULL};
        r = lr_test_cmd(save, NULL);
        ck_assert_msg(r.exit_code == 0, "%s", r.err);
        lr_test_run_free(&r);
        size_t n;
        char *bytes = lr_test_read_file(pa[t], &n);
        if (!part_ref) {
            part_ref = bytes;
            part_len = n;
        } else {
            ck_assert_msg(n == part_len && !memcmp(bytes, part_ref, n), "part with -t %s differs",
                          threads[t]);
            free(bytes);
        }
    }
    const char *save_b[] = {"linreg",         "fit", "-q", "-f", "y ~ x + g",
                            "--save-partial", pb,    b,    NULL};
    lr_test_cmd_ok(save_b);
    for (int t = 0; t < 3; t++) {
        const char *merge[] = {"linreg", "merge", "-q",     "-t",     threads[t], "--vcov", "HC3",
                               pa[t],    pb,      "--data", files[0], files[1],   NULL};
        lr_test_run_result r = lr_test_cmd(merge, NULL);
        ck_assert_msg(r.exit_code == 0, "%s", r.err);
        ck_assert_msg(r.out_len == ref_len && !memcmp(r.out, ref, ref_len), "merge -t %s:\n%s\n%s",
                      threads[t], r.out, ref);
        lr_test_run_free(&r);
        free(pa[t]);
    }
    free(part_ref);
    free(ref);
    free(text);
    free(a);
    free(b);
    free(pb);
    lr_test_remove_dir(dir);
}
END_TEST

/* A file without a final line end, CR LF line ends, an empty line, a
 * missing value and a NaN (log(-1)) in the last file: the report (its NaN
 * warning names n3.csv:4), the saved model (its rows' fingerprint counts
 * lines) and --residuals are the fit's, byte for byte, for both splits. */
START_TEST(test_line_ends)
{
    char *dir = lr_test_temp_dir();
    char *n[3] = {lr_test_join(dir, "n1.csv"), lr_test_join(dir, "n2.csv"),
                  lr_test_join(dir, "n3.csv")};
    static const char *text[] = {"y,x,g\n1,2,a\n2,3.5,b\n3,1,a",
                                 "y,x,g\r\n3,4,c\r\n\r\n5,6.5,a\r\n4,4.5,NA\r\n",
                                 "y,x,g\n7,1,b\n8,2,c\n9,-1,d\n"};
    for (int i = 0; i < 3; i++)
        lr_test_write_file(n[i], text[i], strlen(text[i]));
    char *out[6], *q1 = lr_test_join(dir, "q1"), *q2 = lr_test_join(dir, "q2");
    static const char *names[] = {"f.txt", "f.json", "f.csv", "m.txt", "m.json", "m.csv"};
    for (int i = 0; i < 6; i++)
        out[i] = lr_test_join(dir, names[i]);
    const char *fit[] = {"linreg", "fit",  "-q",          "-f",   "y ~ log(x) + g",
                         "-o",     out[1], "--residuals", out[2], n[0],
                         n[1],     n[2],   NULL};
    lr_test_run_result a = lr_test_cmd(fit, NULL);
    ck_assert_msg(a.exit_code == 0, "%s", a.err);
    ck_assert_ptr_nonnull(strstr(a.out, "n3.csv:4: log(x) is NaN"));
    for (size_t cut = 1; cut <= 2; cut++) {
        const char *s1[] = {"linreg",
                            "fit",
                            "-q",
                            "-f",
                            "y ~ log(x) + g",
                            "--save-partial",
                            q1,
                            n[0],
                            cut == 2 ? n[1] : NULL,
                            NULL};
        const char *s2[] = {"linreg",
                            "fit",
                            "-q",
                            "-f",
                            "y ~ log(x) + g",
                            "--save-partial",
                            q2,
                            cut == 1 ? n[1] : n[2],
                            cut == 1 ? n[2] : NULL,
                            NULL};
        lr_test_cmd_ok(s1);
        lr_test_cmd_ok(s2);
        const char *merge[] = {"linreg", "merge", "-q",     "-o", out[4], "--residuals", out[5],
                               q1,       q2,      "--data", n[0], n[1],   n[2],          NULL};
        lr_test_run_result r = lr_test_cmd(merge, NULL);
        ck_assert_msg(r.exit_code == 0, "%s", r.err);
        ck_assert_msg(r.out_len == a.out_len && !memcmp(r.out, a.out, a.out_len),
                      "split %zu:\n%s\n%s", cut, r.out, a.out);
        lr_test_run_free(&r);
        for (int i = 1; i < 3; i++) {
            size_t la, lb;
            char *x = lr_test_read_file(out[i], &la), *y = lr_test_read_file(out[i + 3], &lb);
            ck_assert_msg(la == lb && !memcmp(x, y, la), "split %zu, %s:\n%s\n%s", cut, names[i], x,
                          y);
            free(x);
            free(y);
        }
    }
    lr_test_run_free(&a);
    for (int i = 0; i < 6; i++)
        free(out[i]);
    for (int i = 0; i < 3; i++)
        free(n[i]);
    free(q1);
    free(q2);
    lr_test_remove_dir(dir);
}
END_TEST

/* linreg ARGV fails with `code` and a message holding `what`, no stdout. */
static void expect_refusal(const char *const *argv, int code, const char *what)
{
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == code, "exit %d, not %d: %s", r.exit_code, code, r.err);
    ck_assert_msg(strstr(r.err, what) != NULL, "stderr\n%s\nlacks\n%s", r.err, what);
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
}

START_TEST(test_refused)
{
    char *dir = lr_test_temp_dir();
    const char *cars = lr_test_path("datasets/cars.csv");
    char carsp[4096];
    snprintf(carsp, sizeof carsp, "%s", cars);
    char *p1 = lr_test_join(dir, "p1"), *p2 = lr_test_join(dir, "p2"),
         *bad = lr_test_join(dir, "bad");
    const char *s1[] = {"linreg", "fit", "-f", "dist ~ speed", "--save-partial", p1, carsp, NULL};
    const char *s2[] = {"linreg",         "fit", "-f",  "dist ~ log(speed)",
                        "--save-partial", p2,    carsp, NULL};
    lr_test_cmd_ok(s1);
    lr_test_cmd_ok(s2);
    size_t n;
    char *bytes = lr_test_read_file(p1, &n);
    /* one bit flipped in a double of the state: the checksum */
    bytes[n / 2] ^= 1;
    lr_test_write_file(bad, bytes, n);
    const char *m1[] = {"linreg", "merge", bad, NULL};
    expect_refusal(m1, 1, "checksum does not match");
    bytes[n / 2] ^= 1;
    /* truncated */
    lr_test_write_file(bad, bytes, n - 9);
    expect_refusal(m1, 1, "truncated");
    /* another version */
    bytes[8] = 9;
    lr_test_write_file(bad, bytes, n);
    expect_refusal(m1, 1, "format version 9");
    /* not a part at all */
    expect_refusal((const char *const[]){"linreg", "merge", carsp, NULL}, 1,
                   "not a valid partial fit");
    /* parts of different models */
    expect_refusal((const char *const[]){"linreg", "merge", p1, p2, NULL}, 2,
                   "different model options");
    /* model options belong to the parts */
    expect_refusal((const char *const[]){"linreg", "merge", "-f", "dist ~ speed", p1, NULL}, 2,
                   "come from the parts");
    /* a second pass asked for by name without the data */
    expect_refusal((const char *const[]){"linreg", "merge", "--vcov", "HC1", p1, NULL}, 2,
                   "give --data");
    /* --data of another count of files */
    expect_refusal((const char *const[]){"linreg", "merge", p1, "--data", carsp, carsp, NULL}, 2,
                   "the parts cover 1");
    /* what a part cannot hold */
    expect_refusal((const char *const[]){"linreg", "fit", "-f", "dist ~ poly(speed, 2)",
                                         "--save-partial", bad, carsp, NULL},
                   2, "bases need every row");
    /* nor the coding of C(g, sum) and C(g, helmert), which needs every
     * file's levels first; no part is written */
    remove(bad);
    expect_refusal((const char *const[]){"linreg", "fit", "-f", "dist ~ C(speed, helmert)",
                                         "--save-partial", bad, carsp, NULL},
                   2, "C(x, sum) and C(x, helmert) cannot be saved");
    FILE *none = fopen(bad, "rb");
    ck_assert_msg(none == NULL, "a refused part was written");
    /* without --data: the fit, its residual quantiles left out with a note */
    const char *fit[] = {"linreg", "fit", "-f", "dist ~ speed", "--format", "json", carsp, NULL};
    const char *merge[] = {"linreg", "merge", "--format", "json", p1, NULL};
    lr_test_run_result a = lr_test_cmd(fit, NULL), b = lr_test_cmd(merge, NULL);
    ck_assert_int_eq(b.exit_code, 0);
    char *ca = strstr(a.out, "\"coefficients\""), *cb = strstr(b.out, "\"coefficients\"");
    ck_assert_ptr_nonnull(ca);
    ck_assert_ptr_nonnull(cb);
    char *ea = strstr(ca, "]"), *eb = strstr(cb, "]");
    ck_assert(ea - ca == eb - cb && !memcmp(ca, cb, (size_t)(ea - ca)));
    lr_test_run_free(&a);
    lr_test_run_free(&b);
    const char *text[] = {"linreg", "merge", p1, NULL};
    lr_test_run_result r = lr_test_cmd(text, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "residual quantiles were not computed"));
    ck_assert_ptr_null(strstr(r.out, "Residuals:"));
    lr_test_run_free(&r);
    free(bytes);
    free(p1);
    free(p2);
    free(bad);
    lr_test_remove_dir(dir);
}
END_TEST

/* The library: a part of two files and one of a third saved, then merged
 * with their data, every allocation failing in turn: LR_ENOMEM, nothing
 * leaked, and the successful merge's coefficients those of the fit. */
typedef struct alloc_ctx {
    const char *const *files; /* three CSV files */
    const char *parts[2];     /* the parts' paths */
} alloc_ctx;

static void alloc_opt(lr_fit_options *opt)
{
    lr_fit_options_init(opt);
    opt->formula = "Sepal.Length ~ Petal.Length * Species";
    opt->threads = 1; /* the counting allocator is not thread-safe */
}

static int alloc_save(void *ctx, lr_error *err)
{
    alloc_ctx *c = ctx;
    lr_fit_options opt;
    alloc_opt(&opt);
    int rc = lr_fit_save_partial(c->files, 2, &opt, c->parts[0], err);
    return rc ? rc : lr_fit_save_partial(c->files + 2, 1, &opt, c->parts[1], err);
}

static int alloc_merge(void *ctx, lr_error *err)
{
    alloc_ctx *c = ctx;
    lr_fit_options opt;
    alloc_opt(&opt);
    opt.vcov = LR_VCOV_HC3;
    opt.residual_summary = 1;
    lr_fit *fit = NULL;
    int rc = lr_fit_merge(c->parts, 2, c->files, 3, &opt, &fit, err);
    lr_fit_free(fit);
    return rc;
}

START_TEST(test_alloc_failures)
{
    char *dir = lr_test_temp_dir(), *p[3];
    static const double frac[] = {0.34, 0.67};
    size_t len;
    char *text = lr_test_read_file(lr_test_path("datasets/iris.csv"), &len);
    split_rows(dir, text, len, 3, frac, p);
    char *pa = lr_test_join(dir, "a.lrp"), *pb = lr_test_join(dir, "b.lrp");
    alloc_ctx c = {(const char *const *)p, {pa, pb}};
    lr_test_alloc_failures(alloc_save, &c, 3000);
    lr_test_alloc_failures(alloc_merge, &c, 3000);
    /* and the merge is the fit */
    lr_fit_options opt;
    alloc_opt(&opt);
    opt.vcov = LR_VCOV_HC3;
    lr_fit *a = NULL, *b = NULL;
    lr_error err;
    ck_assert_msg(lr_fit_csv_files(c.files, 3, &opt, &a, &err) == LR_OK, "%s", err.message);
    ck_assert_msg(lr_fit_merge(c.parts, 2, c.files, 3, &opt, &b, &err) == LR_OK, "%s", err.message);
    ck_assert_uint_eq(lr_fit_ncoef(a), lr_fit_ncoef(b));
    for (size_t j = 0; j < lr_fit_ncoef(a); j++) {
        const lr_coef *x = lr_fit_coef(a, j), *y = lr_fit_coef(b, j);
        ck_assert(!memcmp(&x->estimate, &y->estimate, sizeof(double)));
        ck_assert(!memcmp(&x->std_error, &y->std_error, sizeof(double)));
    }
    lr_fit_free(a);
    lr_fit_free(b);
    for (int k = 0; k < 3; k++)
        free(p[k]);
    free(pa);
    free(pb);
    free(text);
    lr_test_remove_dir(dir);
}
END_TEST

/* `linreg merge` of many parts holds one part at a time (and the first), not
 * all of them: 48 files of 60 predictors (a part is a 61 × 61 triangle and
 * more, about 23 KB) merged under an allocator that tracks the bytes in
 * use: the peak does not grow with the parts beyond the files' tree; and
 * the merge is the fit of the files, to the bit. */
START_TEST(test_merge_memory)
{
    enum { NF = 48, ROWS = 40, P = 60 };
    char *dir = lr_test_temp_dir(), *files[NF], *parts[NF];
    size_t total = 0;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.target = "y";
    opt.method = LR_METHOD_QR; /* no extended-precision pass: a merge without data has none */
    opt.threads = 1;           /* the tracking allocator is not thread-safe */
    lr_error err;
    lr_test_seed(48);
    for (int f = 0; f < NF; f++) {
        lr_test_text t = {0};
        char name[32];
        lr_test_put(&t, "y");
        for (int j = 1; j <= P; j++)
            lr_test_put(&t, ",x%d", j);
        lr_test_put(&t, "\n");
        for (int i = 0; i < ROWS; i++) {
            lr_test_put(&t, "%.6f", lr_test_urand());
            for (int j = 1; j <= P; j++)
                lr_test_put(&t, ",%.6f", lr_test_urand());
            lr_test_put(&t, "\n");
        }
        snprintf(name, sizeof name, "f%02d.csv", f);
        files[f] = lr_test_join(dir, name);
        lr_test_write_file(files[f], t.s, t.n);
        free(t.s);
        snprintf(name, sizeof name, "f%02d.lrp", f);
        parts[f] = lr_test_join(dir, name);
        ck_assert_msg(
            lr_fit_save_partial((const char *const *)&files[f], 1, &opt, parts[f], &err) == LR_OK,
            "%s", err.message);
        size_t len;
        free(lr_test_read_file(parts[f], &len));
        total += len;
    }
    /* the peak of a merge of 32 parts, then of all 48: the files' tree holds
     * a state a level (about 1 MB each for this model: a QR chain's block),
     * the same five levels for both; holding every part would add the 16
     * parts' bytes (about 370 KB) */
    lr_test_peak p32 = {0, 0}, pc = {0, 0};
    lr_fit *m = NULL, *a = NULL;
    lr_set_allocator(lr_test_peak_alloc, &p32);
    int rc = lr_fit_merge((const char *const *)parts, 32, NULL, 0, &opt, &m, &err);
    lr_set_allocator(NULL, NULL);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    lr_fit_free(m);
    lr_set_allocator(lr_test_peak_alloc, &pc);
    rc = lr_fit_merge((const char *const *)parts, NF, NULL, 0, &opt, &m, &err);
    lr_set_allocator(NULL, NULL);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    ck_assert_uint_gt(total, 48 * 15000);
    ck_assert_msg(pc.peak < p32.peak + total / 16,
                  "merge of 48 parts: peak %zu bytes; of 32: %zu; the 48 parts: %zu", pc.peak,
                  p32.peak, total);
    ck_assert_msg(lr_fit_csv_files((const char *const *)files, NF, &opt, &a, &err) == LR_OK, "%s",
                  err.message);
    ck_assert_uint_eq(lr_fit_ncoef(a), P + 1);
    ck_assert_uint_eq(lr_fit_ncoef(m), P + 1);
    for (size_t j = 0; j < lr_fit_ncoef(a); j++)
        ck_assert(
            !memcmp(&lr_fit_coef(a, j)->estimate, &lr_fit_coef(m, j)->estimate, sizeof(double)));
    lr_fit_free(a);
    lr_fit_free(m);
    for (int f = 0; f < NF; f++) {
        free(files[f]);
        free(parts[f]);
    }
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_splits),  LR_TEST(test_quoted_chunks),  LR_TEST(test_line_ends),
        LR_TEST(test_refused), LR_TEST(test_alloc_failures), LR_TEST(test_merge_memory),
    };
    return lr_test_run_cases("partials", 120, tests, LR_TEST_COUNT(tests));
}
