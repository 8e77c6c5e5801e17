/*
 * test_diag_share.c — the second pass split among MPI ranks, without MPI
 * (src/diagnostics_share.c; src/mpi_fit.c moves these bytes between ranks).
 *
 * A fit merged from a part with the file as --data runs its second pass
 * over the text. Given an lr_diag_share, that pass calls the hook below,
 * which plays two ranks in one process: "rank 1" evaluates the file's blocks
 * from SPLIT on (entered at the quote parity there) into records with
 * lr_diag_remote, and "rank 0" evaluates the blocks before SPLIT with the
 * pass's own operations (lr_ingest_pass_share) and folds the records after
 * them (lr_diag_fold_record). The text summary's quantiles, HC3 and every
 * --residuals row must be the unsplit pass's to the bit; and a row changed
 * between the passes in rank 1's blocks must give the unsplit pass's error,
 * message (file and line) and status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnostics.h"
#include "partial_io.h"
#include "test_util.h"

#define SPLIT 2 /* rank 1's first block */
#define MIB ((size_t)1 << 20)

/* The data: rows y,x1,x2,w,g,note, most bytes in quoted notes with CR LF;
 * *bad is the offset of the x1 field of a row that starts in block SPLIT + 1. */
static char *make_file(const char *dir, size_t rows, size_t *bad)
{
    lr_test_text t = {0};
    lr_test_seed(77);
    lr_test_put(&t, "y,x1,x2,w,g,note\r\n");
    *bad = 0;
    for (size_t i = 1; i <= rows; i++) {
        double x1 = lr_test_urand() * 10, x2 = lr_test_urand() - 0.5, w = 0.5 + lr_test_urand();
        int k = (int)(lr_test_urand() * 4);
        const char *g = (const char *[]){"a", "b", "c", "d"}[k];
        double y = 1 + 2 * x1 - 3 * x2 + (k == 1) * 0.5 + lr_test_urand() - 0.5;
        size_t start = t.n;
        lr_test_put(&t, "%.15g,", y);
        if (!*bad && start > (SPLIT + 1) * MIB + 1000)
            *bad = t.n;
        lr_test_put(&t, "%.15g,%.15g,%.6g,%s,", x1, x2, w, g);
        if (lr_test_urand() < 0.6)
            lr_test_put(&t, "\"a note\r\n\"\"quoted\"\" on\r\nthree lines, long enough that most "
                            "bytes of the file are inside quotes\"");
        lr_test_put(&t, "\r\n");
    }
    char *p = lr_test_join(dir, "d.csv");
    lr_test_write_file(p, t.s, t.n);
    free(t.s);
    return p;
}

/* The --residuals rows a fit hands out. */
typedef struct rows {
    lr_residual *r;
    size_t n, cap;
} rows;

static void keep_row(void *ud, const lr_residual *r)
{
    rows *k = ud;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4096;
        k->r = realloc(k->r, k->cap * sizeof *k->r);
        ck_assert_ptr_nonnull(k->r);
    }
    k->r[k->n] = *r;
    k->r[k->n++].file = NULL;
}

/* The quantiles' selection between "rank 0" (qv0) and "rank 1" (qv1), the
 * steps lr_diag_qsel_plan and lr_diag_qsel_finish describe; *nsel: the
 * values that travelled. */
static int play_select(void *ctx, const lr_qvalues *qv0, const lr_qvalues *qv1, uint64_t *nsel,
                       lr_error *err)
{
    const lr_qvalues *qv[2] = {qv0, qv1};
    size_t nb = lr_qvalues_buckets(qv0->exact);
    uint64_t *h = calloc(nb, sizeof *h), cnt[2 * LR_Q7_WANT];
    double ext[4];
    uint32_t want[LR_Q7_WANT];
    int nw = 0;
    ck_assert_ptr_nonnull(h);
    for (int r = 0; r < 2; r++)
        lr_qvalues_count(qv[r], h, ext + 2 * r);
    int rc = lr_diag_qsel_plan(ctx, h, ext, 2, want, &nw, err);
    free(h);
    if (rc || nw == 0)
        return rc;
    uint64_t total = 0;
    for (int r = 0; r < 2; r++) {
        lr_qvalues_pick(qv[r], want, nw, cnt + r * nw, NULL);
        for (int j = 0; j < nw; j++)
            total += cnt[r * nw + j];
    }
    double *v = malloc((size_t)(total ? total : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int r = 0, at = 0; r < 2; r++) {
        lr_qvalues_pick(qv[r], want, nw, cnt + r * nw, v + at);
        for (int j = 0; j < nw; j++)
            at += (int)cnt[r * nw + j];
    }
    *nsel = total;
    rc = lr_diag_qsel_finish(ctx, cnt, v, 2, err);
    free(v);
    return rc;
}

/* The two ranks played in one process (lr_diag_share's run). */
typedef struct play {
    const char *path; /* the file */
    size_t bad;       /* > 0: write 'z' over the x1 field there before rank 1 reads */
    int whole;        /* 1: no split, the pass as lr_diagnostics runs it (lr_ingest_pass) */
    lr_pbuf recs;     /* rank 1's stream: each record's length and bytes */
    size_t nrecs;     /* its records */
    void *pass;       /* the pass (lr_diag_fold_record's ctx) */
    uint64_t nsel;    /* the values that travelled for the quantiles' selection */
} play;

static int put_record(void *ud, const unsigned char *rec, size_t len, lr_error *err)
{
    play *pl = ud;
    (void)err;
    lr_pbuf_u64(&pl->recs, len);
    lr_pbuf_bytes(&pl->recs, rec, len);
    pl->nrecs++;
    return pl->recs.failed ? LR_ENOMEM : LR_OK;
}

static int fold_records(void *ud, const lr_source *src, uint64_t lines_before, lr_error *err)
{
    play *pl = ud;
    int rc = LR_OK;
    for (size_t at = 0; at < pl->recs.n && !rc;) {
        uint64_t len = 0;
        for (int i = 0; i < 8; i++)
            len |= (uint64_t)pl->recs.b[at + (size_t)i] << (8 * i);
        rc = lr_diag_fold_record(pl->pass, pl->recs.b + at + 8, (size_t)len, lr_source_name(src),
                                 &lines_before, err);
        at += 8 + (size_t)len;
    }
    return rc;
}

static int play_run(void *ud, const lr_frame *frame, lr_source *input, const unsigned char *job,
                    size_t jlen, int threads, const lr_chunk_ops *ops, void *ctx, lr_error *err)
{
    play *pl = ud;
    if (pl->bad) { /* the data changed after the first pass, in rank 1's share */
        FILE *f = fopen(pl->path, "r+b");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fseek(f, (long)pl->bad, SEEK_SET), 0);
        ck_assert_int_eq(fputc('z', f), 'z');
        fclose(f);
    }
    if (pl->whole)
        return lr_ingest_pass(input, threads, ops, ctx, err);
    int odd = 0;
    ck_assert_int_eq(lr_ingest_quote_parity(pl->path, 0, SPLIT * MIB, &odd, err), LR_OK);
    lr_ingest_segment seg = {0, SPLIT, 0, odd};
    lr_qvalues qv1;
    int rc = lr_diag_remote(frame, frame->delim, job, jlen, &pl->path, 1, &seg, 1, 0, threads,
                            put_record, pl, &qv1, err);
    ck_assert_int_eq(rc, LR_OK);
    pl->pass = ctx;
    lr_ingest_then then = {fold_records, pl};
    rc = lr_ingest_pass_share(input, 0, SPLIT, threads, ops, ctx, &then, err);
    lr_qvalues *qv0 = lr_diag_qvalues(ctx);
    if (!rc && qv0) /* the selection, as mpi_fit.c runs it between the ranks */
        rc = play_select(ctx, qv0, &qv1, &pl->nsel, err);
    lr_qvalues_free(&qv1);
    return rc;
}

/* The fit merged from the part with the file as --data (a pass over the
 * text), its rows into k; split by pl, or not (NULL). */
static int merged(lr_partial *part, const char *path, lr_fit_options *opt, rows *k, play *pl,
                  lr_fit **fit, lr_error *err)
{
    lr_diag_share share = {play_run, pl};
    opt->residual_ud = k;
    lr_part_list parts = {1, &part, NULL, NULL};
    return lr_fit_merge_parts(&parts, &path, 1, opt, pl ? &share : NULL, fit, err);
}

/* --vcov CL, two-way by g and w (four levels, and almost a cluster a row):
 * rank 1's records carry its rows' keys, and the covariance is the unsplit
 * pass's to the bit. */
static void cl_split(const char *path, const lr_fit_options *base)
{
    lr_fit_options opt = *base;
    opt.vcov = LR_VCOV_CL;
    opt.cluster = "g,w";
    opt.residual_row = NULL;
    lr_error err;
    lr_pbuf b;
    lr_partial *part = NULL;
    ck_assert_int_eq(lr_fit_part(&path, 1, 0, 1, &opt, "test", &b, &err), LR_OK);
    ck_assert_int_eq(lr_partial_parse(b.b, b.n, "part", &part, &err), LR_OK);
    lr_pbuf_free(&b);
    play pl = {path, 0, 0, {0}, 0, NULL, 0};
    lr_fit *ref = NULL, *fit = NULL;
    int rc0 = merged(part, path, &opt, NULL, NULL, &ref, &err);
    ck_assert_msg(rc0 == LR_OK, "%s", err.message);
    int rc = merged(part, path, &opt, NULL, &pl, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    ck_assert_uint_ge(pl.nrecs, 2);
    lr_test_same_fit_bits(fit, ref, "the split CL pass");
    const lr_summary *s0 = lr_fit_summary(ref), *s1 = lr_fit_summary(fit);
    ck_assert_uint_gt(s0->n_clusters[1], 1000); /* w: many clusters */
    ck_assert_mem_eq(s0->n_clusters, s1->n_clusters, sizeof s0->n_clusters);
    for (size_t j = 0; j < lr_fit_ncoef(ref); j++)
        ck_assert(!memcmp(&lr_fit_coef(ref, j)->std_error, &lr_fit_coef(fit, j)->std_error,
                          sizeof(double)));
    lr_fit_free(ref);
    lr_fit_free(fit);
    lr_pbuf_free(&pl.recs);
    lr_partial_free(part);
}

START_TEST(test_split_pass)
{
    char *dir = lr_test_temp_dir();
    size_t bad;
    char *path = make_file(dir, 36000, &bad);
    size_t len;
    char *text = lr_test_read_file(path, &len);
    ck_assert_uint_gt(len, (SPLIT + 2) * MIB);
    ck_assert_uint_gt(bad, 0);
    size_t quotes = 0; /* the entry means something only inside quotes */
    for (size_t i = 0; i < SPLIT * MIB; i++)
        quotes += text[i] == '"';
    ck_assert_uint_eq(quotes % 2, 1);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x1 + x2 + g";
    opt.weights = "w";
    opt.threads = 2;
    opt.vcov = LR_VCOV_HC3;
    opt.method = LR_METHOD_QR; /* no extended precision: its pass would read the text first */
    opt.residual_summary = 1;
    opt.residual_row = keep_row;
    lr_error err;
    lr_pbuf b;
    lr_partial *part = NULL;
    ck_assert_int_eq(lr_fit_part((const char *const *)&path, 1, 0, 1, &opt, "test", &b, &err),
                     LR_OK);
    ck_assert_int_eq(lr_partial_parse(b.b, b.n, "part", &part, &err), LR_OK);
    lr_pbuf_free(&b);

    rows r0 = {0}, r1 = {0};
    play pl = {path, 0, 0, {0}, 0, NULL, 0};
    lr_fit *ref = NULL, *fit = NULL;
    ck_assert_int_eq(merged(part, path, &opt, &r0, NULL, &ref, &err), LR_OK);
    int rc = merged(part, path, &opt, &r1, &pl, &fit, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    /* rank 1 had about half the file's chunks, and they were folded */
    ck_assert_uint_ge(pl.nrecs, 2);
    lr_test_same_fit_bits(fit, ref, "the split second pass");
    const lr_summary *s0 = lr_fit_summary(ref), *s1 = lr_fit_summary(fit);
    ck_assert_int_eq(s0->has_quantiles, 1);
    ck_assert_int_eq(s1->has_quantiles, 1);
    ck_assert_mem_eq(s0->residual_quantiles, s1->residual_quantiles, sizeof s0->residual_quantiles);
    /* the quantiles by the ranks' selection: a few buckets' values moved,
     * not rank 1's 8 bytes a row */
    ck_assert_uint_gt(pl.nsel, 0);
    ck_assert_uint_lt(pl.nsel, 36000 / 10);
    ck_assert_uint_eq(r1.n, r0.n);
    ck_assert_uint_eq(r0.n, 36000);
    for (size_t i = 0; i < r0.n; i++)
        ck_assert_msg(!memcmp(&r0.r[i], &r1.r[i], sizeof r0.r[i]), "residual row %zu (line %llu)",
                      i, (unsigned long long)r0.r[i].line);
    lr_fit_free(ref);
    lr_fit_free(fit);
    lr_pbuf_free(&pl.recs);
    cl_split(path, &opt);

    /* x1 of a row in rank 1's share made "z..." after the first pass: rank
     * 1's error record, placed by rank 0, is the unsplit pass's error */
    lr_error e0, e1;
    play spoil = {path, 0, 0, {0}, 0, NULL, 0};
    text[bad] = 'z';
    lr_test_write_file(path, text, len);
    r0.n = r1.n = 0;
    int c0 = merged(part, path, &opt, &r0, NULL, &ref, &e0);
    int c1 = merged(part, path, &opt, &r1, &spoil, &fit, &e1);
    ck_assert_int_eq(c0, LR_EVALUE);
    ck_assert_int_eq(c1, c0);
    ck_assert_str_eq(e1.message, e0.message);
    ck_assert_ptr_nonnull(strstr(e0.message, "d.csv:"));
    ck_assert_ptr_nonnull(strstr(e0.message, "column 'x1': expected a number, got \"z"));
    ck_assert_uint_ge(spoil.nrecs, 2); /* rank 1's chunks before it, then the error */
    lr_pbuf_free(&spoil.recs);
    /* and changed while the second pass has it open: the same too */
    play late = {path, bad, 0, {0}, 0, NULL, 0}, whole = {path, bad, 1, {0}, 0, NULL, 0};
    text[bad] = '1';
    lr_test_write_file(path, text, len);
    c0 = merged(part, path, &opt, &r0, &whole, &ref, &e0);
    lr_test_write_file(path, text, len);
    c1 = merged(part, path, &opt, &r1, &late, &fit, &e1);
    ck_assert_int_ne(c0, LR_OK);
    ck_assert_int_eq(c1, c0);
    ck_assert_str_eq(e1.message, e0.message);
    lr_pbuf_free(&late.recs);

    free(r0.r);
    free(r1.r);
    free(text);
    lr_partial_free(part);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("diag_share");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_split_pass);
    suite_add_tcase(s, tc);
    return lr_test_main(s);
}
