/*
 * test_mpi_part.c — what an MPI rank computes, without MPI (issue 16, item
 * 4; src/mpi_fit.c moves these bytes between ranks): the parts of runs of
 * files made by lr_fit_part (a run after the first reads the first file's
 * header row and the types its first chunk decides) and folded by
 * lr_fit_merge_parts give the fit of all the files bit for bit, for every
 * way of dealing four files of over 1 MiB (quoted CR LF line ends across the
 * 1 MiB chunk boundary, a level that first appears in the last file,
 * weights) to ranks; a run's error is the fit's, message and status; and
 * every allocation failing in turn leaks nothing. tests/mpi_identity.sh runs
 * the command itself under mpirun.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partial_io.h"
#include "test_util.h"

#define NFILES 4

/* File f of rows y,x1,x2,w,g,note: most bytes in quoted notes with CR LF;
 * level "zlast" of g in the last file only; `bad` (nonzero) puts "oops" in
 * x1 of that row. */
static char *make_file(const char *dir, size_t f, size_t rows, size_t bad)
{
    lr_test_text t = {0};
    lr_test_seed(1000 + f);
    lr_test_put(&t, "y,x1,x2,w,g,note\r\n");
    for (size_t i = 1; i <= rows; i++) {
        double x1 = lr_test_urand() * 10, x2 = lr_test_urand() - 0.5, w = 0.5 + lr_test_urand();
        int k = (int)(lr_test_urand() * 4);
        const char *g = (const char *[]){"a", "b", "c", "d"}[k];
        if (f == NFILES - 1 && i > rows / 2 && lr_test_urand() < 0.3)
            g = "zlast";
        double y =
            1 + 2 * x1 - 3 * x2 + (g[0] == 'b') * 0.5 + (g[0] == 'z') * 2 + lr_test_urand() - 0.5;
        if (i == bad)
            lr_test_put(&t, "%.15g,oops,%.15g,%.6g,%s,", y, x2, w, g);
        else
            lr_test_put(&t, "%.15g,%.15g,%.15g,%.6g,%s,", y, x1, x2, w, g);
        if (lr_test_urand() < 0.6)
            lr_test_put(&t, "\"a note\r\n\"\"quoted\"\" on\r\nthree lines, long enough that most "
                            "bytes of the file are inside quotes\"");
        lr_test_put(&t, "\r\n");
    }
    char name[32];
    snprintf(name, sizeof name, "f%zu%s.csv", f, bad ? "bad" : "");
    char *p = lr_test_join(dir, name);
    lr_test_write_file(p, t.s, t.n);
    free(t.s);
    return p;
}

static void options(lr_fit_options *opt)
{
    lr_fit_options_init(opt);
    opt->formula = "y ~ x1 + x2 + g";
    opt->weights = "w";
    opt->threads = 2;
}

/* The fit of paths[0..n) from the parts of the runs [first[r], first[r+1]),
 * r < nranks, as rank 0 folds them. */
static int fit_dealt(const char *const *paths, size_t n, const size_t *first, size_t nranks,
                     const lr_fit_options *opt, lr_fit **out, lr_error *err)
{
    lr_partial *p[NFILES] = {NULL};
    size_t np = 0;
    int rc = LR_OK;
    *out = NULL;
    for (size_t r = 0; r < nranks && !rc; r++) {
        if (first[r] == first[r + 1])
            continue;
        lr_pbuf b;
        rc = lr_fit_part(paths, n, first[r], first[r + 1], opt, "test", &b, err);
        if (!rc && !(rc = lr_partial_parse(b.b, b.n, "part", &p[np], err)))
            p[np++]->skip = r > 0;
        lr_pbuf_free(&b);
    }
    lr_part_list list = {np, p, NULL, NULL};
    if (!rc)
        rc = lr_fit_merge_parts(&list, paths, n, opt, NULL, out, err);
    for (size_t i = 0; i < np; i++)
        lr_partial_free(p[i]);
    return rc;
}

static const size_t deals[][NFILES + 1] = {
    {0, 4, 4, 4, 4},                  /* one rank */
    {0, 1, 4, 4, 4},                  /* two */
    {0, 3, 4, 4, 4}, {0, 2, 3, 4, 4}, /* three */
    {0, 1, 2, 3, 4},                  /* four */
    {0, 1, 1, 3, 4},                  /* a rank without a file */
};

START_TEST(test_deals)
{
    char *dir = lr_test_temp_dir();
    char *paths[NFILES];
    for (size_t f = 0; f < NFILES; f++)
        paths[f] = make_file(dir, f, 10000, 0);
    /* the case means something only if a chunk boundary is inside quotes */
    size_t inside = 0;
    for (size_t f = 0; f < NFILES; f++) {
        size_t len, quotes = 0;
        char *b = lr_test_read_file(paths[f], &len);
        ck_assert_uint_gt(len, 1u << 20);
        for (size_t i = 0; i < 1u << 20; i++)
            quotes += b[i] == '"';
        inside += quotes % 2;
        free(b);
    }
    ck_assert_uint_ge(inside, 1);
    lr_fit_options opt;
    options(&opt);
    lr_error err;
    lr_fit *ref = NULL;
    ck_assert_int_eq(lr_fit_csv_files((const char *const *)paths, NFILES, &opt, &ref, &err), LR_OK);
    ck_assert_uint_eq(lr_fit_ncoef(ref), 7); /* gzlast among them */
    for (size_t d = 0; d < sizeof deals / sizeof deals[0]; d++) {
        lr_fit *fit = NULL;
        int rc = fit_dealt((const char *const *)paths, NFILES, deals[d], NFILES, &opt, &fit, &err);
        ck_assert_msg(rc == LR_OK, "deal %zu: %s", d, err.message);
        char what[32];
        snprintf(what, sizeof what, "deal %zu", d);
        lr_test_same_fit_bits(fit, ref, what);
        ck_assert_str_eq(lr_fit_summary(fit)->source, lr_fit_summary(ref)->source);
        lr_fit_free(fit);
    }
    lr_fit_free(ref);
    /* an error in the third file: the run holding it reports the fit's */
    char *good = paths[2];
    paths[2] = make_file(dir, 2, 10000, 9500);
    lr_error e1, e2;
    lr_fit *fit = NULL;
    int r1 = lr_fit_csv_files((const char *const *)paths, NFILES, &opt, &fit, &e1);
    ck_assert_int_eq(r1, LR_EVALUE);
    lr_pbuf pb;
    int r2 = lr_fit_part((const char *const *)paths, NFILES, 2, 4, &opt, "test", &pb, &e2);
    ck_assert_int_eq(r2, r1);
    ck_assert_str_eq(e2.message, e1.message);
    ck_assert_ptr_nonnull(strstr(e1.message, "oops"));
    lr_pbuf_free(&pb);
    free(paths[2]);
    paths[2] = good;
    for (size_t f = 0; f < NFILES; f++)
        free(paths[f]);
    lr_test_remove_dir(dir);
}
END_TEST

/* Small files for the allocation failures: every one is a clean error. */
typedef struct alloc_ctx {
    const char *const *paths; /* the files */
    lr_fit_options opt;       /* the model */
    const lr_fit *ref;        /* their fit, without failures */
} alloc_ctx;

static int alloc_run(void *ud, lr_error *err)
{
    const alloc_ctx *c = ud;
    static const size_t first[] = {0, 1, 3};
    lr_fit *fit = NULL;
    int rc = fit_dealt(c->paths, 3, first, 2, &c->opt, &fit, err);
    if (rc == LR_OK) /* a failure it could do without changes no bit */
        lr_test_same_fit_bits(fit, c->ref, "after an allocation failure");
    lr_fit_free(fit);
    return rc;
}

START_TEST(test_alloc_failures)
{
    char *dir = lr_test_temp_dir();
    char *paths[3];
    for (size_t f = 0; f < 3; f++)
        paths[f] = make_file(dir, f + 1, 40, 0);
    alloc_ctx c = {(const char *const *)paths, {0}, NULL};
    options(&c.opt);
    c.opt.threads = 1;
    lr_fit *ref = NULL;
    lr_error err;
    ck_assert_int_eq(lr_fit_csv_files(c.paths, 3, &c.opt, &ref, &err), LR_OK);
    c.ref = ref;
    lr_test_alloc_failures(alloc_run, &c, 20000);
    lr_fit_free(ref);
    for (size_t f = 0; f < 3; f++)
        free(paths[f]);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mpi_part");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_deals);
    tcase_add_test(tc, test_alloc_failures);
    suite_add_tcase(s, tc);
    return lr_test_main(s);
}
