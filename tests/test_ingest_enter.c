/*
 * test_ingest_enter.c — entering a file at block b0 with its quote parity
 * (ingest_enter.c, what an MPI rank does with its share of a file): for
 * every b0 of a quoted multi-block file the chunks cut from b0 on are those
 * the pass over the whole file cuts there (block, offset, bytes, physical
 * lines), and those chunks are the definition's (a chunk per block a row
 * starts in, starting at the first such row). The file puts the hard cases
 * on block boundaries: a CR LF row end split by one, a quoted CR LF split by
 * one, a closing quote as a block's last byte, a row longer than a block
 * across two boundaries (a block no row starts in), a row ending exactly at
 * one, escaped quotes around one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ingest.h"
#include "partial_io.h"
#include "test_util.h"

#define C ((size_t)1 << 20) /* the chunk size (LR_CHUNK) */

typedef struct piece {
    size_t file;
    uint64_t block, offset, lines;
    size_t len;
    uLong crc;
} piece;

typedef struct pieces {
    piece *p;
    size_t n, cap;
} pieces;

/* Physical lines of b[0..n): a CR LF is one line end. */
static uint64_t count_lines(const char *b, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] == '\n' || (b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n')))
            k++;
    return k;
}

static int collect(void *ud, size_t file, uint64_t block, uint64_t offset, const char *buf,
                   size_t len)
{
    pieces *ps = ud;
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 16;
        ps->p = realloc(ps->p, ps->cap * sizeof *ps->p);
        ck_assert_ptr_nonnull(ps->p);
    }
    piece *q = &ps->p[ps->n++];
    q->file = file;
    q->block = block;
    q->offset = offset;
    q->len = len;
    q->lines = count_lines(buf, len);
    q->crc = crc32(0L, (const Bytef *)buf, (uInt)len);
    return 0;
}

/* The chunks of blocks [b0, b1) of file `file` of paths[0..n) (every file's
 * with LR_INGEST_ALL_FILES). */
static pieces cut_files(const char *const *paths, size_t n, size_t file, uint64_t b0, uint64_t b1,
                        int odd)
{
    pieces ps = {0};
    lr_error err;
    int rc = lr_ingest_cut(paths, n, file, b0, b1, odd, 0, collect, &ps, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    return ps;
}

static pieces cut(const char *path, uint64_t b0, uint64_t b1, int odd)
{
    return cut_files(&path, 1, b0 || b1 ? 0 : LR_INGEST_ALL_FILES, b0, b1, odd);
}

/* A row whose quoted note makes `before` end exactly at offset `at` (its
 * last byte at − 1), then `after`: the rest of that row. */
static void put_at(lr_test_text *t, size_t at, const char *before, const char *after)
{
    static const char head[] = "1,2,a,\"";
    size_t fixed = t->n + sizeof head - 1 + strlen(before);
    ck_assert(at >= fixed);
    lr_test_put(t, "%s", head);
    for (size_t i = 0; i < at - fixed; i++)
        lr_test_put(t, "%c", i % 7 == 3 ? ' ' : 'x');
    lr_test_put(t, "%s%s", before, after);
    ck_assert_uint_eq(t->n, at + strlen(after));
}

/* Ordinary rows (some with quoted line ends) up to about `to`. */
static void fill(lr_test_text *t, size_t to)
{
    for (size_t i = 0; t->n + 400 < to; i++) {
        if (i % 97 == 5)
            lr_test_put(t, "%zu.5,%zu,b,\"two\r\nlines, \"\"q\"\"\"\r\n", i, i % 13);
        else
            lr_test_put(t, "%zu.25,%zu,c,plain\r\n", i, i % 11);
    }
}

static lr_test_text make_file(void)
{
    lr_test_text t = {0};
    lr_test_put(&t, "y,x,g,note\r\n");
    fill(&t, C);
    put_at(&t, C, "end\"\r", "\n"); /* a row's CR LF split by the boundary */
    fill(&t, 2 * C);
    put_at(&t, 2 * C, "in\r", "\nside\"\r\n"); /* a quoted CR LF split by it */
    fill(&t, 3 * C);
    put_at(&t, 3 * C, "closed\"", "\r\n"); /* the closing quote, the block's last byte */
    fill(&t, 4 * C - 5000);
    /* longer than a block, across 4C and 5C: no row starts in block 4 */
    put_at(&t, 5 * C + C / 4, "long\r\n", "still\"\r\n");
    fill(&t, 6 * C);
    put_at(&t, 6 * C, "exact\"\n", ""); /* a row ending at the boundary */
    fill(&t, 7 * C);
    put_at(&t, 7 * C, "x\"\"y\r", "\n\"\"z\"\r\n"); /* escaped quotes around a quoted CR LF */
    fill(&t, 7 * C + C / 3);
    return t;
}

/* The chunks by their definition: block i has one if a row starts in
 * [i·C, (i+1)·C), from its first row start. */
static void check_definition(const lr_test_text *t, const pieces *ref)
{
    size_t nb = (t->n + C - 1) / C, k = 0, empty = 0;
    size_t *starts = malloc((t->n + 1) * sizeof *starts), ns = 0;
    ck_assert_ptr_nonnull(starts);
    starts[ns++] = 0;
    int odd = 0;
    for (size_t i = 0; i < t->n; i++) {
        char ch = t->s[i];
        if (ch == '"')
            odd ^= 1;
        else if (!odd && (ch == '\n' || ch == '\r')) {
            if (ch == '\r' && i + 1 < t->n && t->s[i + 1] == '\n')
                i++;
            if (i + 1 < t->n)
                starts[ns++] = i + 1;
        }
    }
    for (size_t b = 0, s = 0; b < nb; b++) {
        while (s < ns && starts[s] < b * C)
            s++;
        if (s == ns || starts[s] >= (b + 1) * C) {
            empty++;
            continue;
        }
        ck_assert_uint_lt(k, ref->n);
        ck_assert_uint_eq(ref->p[k].block, b);
        ck_assert_uint_eq(ref->p[k].offset, starts[s]);
        k++;
    }
    ck_assert_uint_eq(k, ref->n);
    ck_assert_uint_ge(empty, 1); /* the long row's block */
    free(starts);
}

/* got: the chunks of blocks [b0, b1) of file `file` of ref's. */
static void same_file_pieces(const pieces *got, const pieces *ref, size_t file, uint64_t b0,
                             uint64_t b1)
{
    size_t k = 0;
    for (size_t i = 0; i < ref->n; i++) {
        const piece *r = &ref->p[i];
        if (r->file != file || r->block < b0 || (b1 && r->block >= b1))
            continue;
        ck_assert_msg(k < got->n, "b0 %llu: chunk of block %llu missing", (unsigned long long)b0,
                      (unsigned long long)r->block);
        const piece *g = &got->p[k++];
        ck_assert_uint_eq(g->file, r->file);
        ck_assert_uint_eq(g->block, r->block);
        ck_assert_uint_eq(g->offset, r->offset);
        ck_assert_uint_eq(g->len, r->len);
        ck_assert_uint_eq(g->lines, r->lines);
        ck_assert_uint_eq(g->crc, r->crc);
    }
    ck_assert_uint_eq(k, got->n);
}

static void same_pieces(const pieces *got, const pieces *ref, uint64_t b0, uint64_t b1)
{
    same_file_pieces(got, ref, 0, b0, b1);
}

START_TEST(test_enter_every_block)
{
    lr_test_text t = make_file();
    char *path = lr_test_write_temp(t.s, t.n);
    pieces ref = cut(path, 0, 0, 0);
    check_definition(&t, &ref);
    size_t nb = (t.n + C - 1) / C;
    lr_error err;
    for (uint64_t b0 = 1; b0 <= nb + 1; b0++) {
        /* the parity at b0·C from two ranges, as two ranks would count it */
        int p1, p2, naive = 0;
        uint64_t mid = b0 * C / 3;
        ck_assert_int_eq(lr_ingest_quote_parity(path, 0, mid, &p1, &err), LR_OK);
        ck_assert_int_eq(lr_ingest_quote_parity(path, mid, b0 * C, &p2, &err), LR_OK);
        for (size_t i = 0; i < b0 * C && i < t.n; i++)
            naive ^= t.s[i] == '"';
        ck_assert_int_eq(p1 ^ p2, naive);
        pieces all = cut(path, b0, 0, p1 ^ p2), two = cut(path, b0, b0 + 2, p1 ^ p2);
        same_pieces(&all, &ref, b0, 0);
        same_pieces(&two, &ref, b0, b0 + 2);
        free(all.p);
        free(two.p);
    }
    /* the parity matters: inside the quoted CR LF at 2C, the wrong one
     * takes it for a row end */
    int p;
    ck_assert_int_eq(lr_ingest_quote_parity(path, 0, 2 * C, &p, &err), LR_OK);
    ck_assert_int_eq(p, 1);
    pieces wrong = cut(path, 2, 3, !p);
    ck_assert_uint_eq(wrong.n, 1);
    ck_assert_uint_eq(wrong.p[0].offset, 2 * C + 1);
    free(wrong.p);
    free(ref.p);
    lr_test_remove_file(path);
    free(t.s);
}
END_TEST

/* A gzip file has no offsets to enter at: refused, not misread. */
START_TEST(test_enter_gzip_refused)
{
    char *path = lr_test_write_temp("", 0);
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    for (int i = 0; i < 200000; i++)
        gzprintf(gz, "%d,%d\n", i, i % 7);
    gzclose(gz);
    pieces ps = {0};
    lr_error err;
    const char *one[] = {path};
    ck_assert_int_eq(lr_ingest_cut(one, 1, 0, 1, 0, 0, 0, collect, &ps, &err), LR_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot be read from an offset"));
    ck_assert_uint_eq(ps.n, 0);
    ps = cut(path, 0, 0, 0); /* the whole pass reads it */
    ck_assert_uint_ge(ps.n, 1);
    free(ps.p);
    lr_test_remove_file(path);
}
END_TEST

/* Several files: the quoted file, a file whose last row has no line end
 * (the pass puts one after it), a gzip file, a last file without a final
 * line end (none put). Every file entered at every block cuts the chunks
 * the pass over the four cuts; a header that differs is the same error. */
START_TEST(test_enter_files)
{
    lr_test_text t[4] = {make_file(), {0}, {0}, {0}};
    for (int f = 1; f < 4; f++) {
        lr_test_put(&t[f], "y,x,g,note\r\n");
        fill(&t[f], f == 2 ? C / 3 : 2 * C + C / 2 * (size_t)f);
        lr_test_put(&t[f], "9,9,z,\"last\"");
    }
    char *paths[5];
    for (int f = 0; f < 4; f++)
        paths[f] = lr_test_write_temp(t[f].s, t[f].n);
    gzFile gz = gzopen(paths[2], "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, t[2].s, (unsigned)t[2].n), (int)t[2].n);
    gzclose(gz);
    const char *const *pp = (const char *const *)paths;
    pieces ref = cut_files(pp, 4, LR_INGEST_ALL_FILES, 0, 0, 0);
    lr_error err;
    for (size_t f = 0; f < 4; f++) {
        size_t nb = f == 2 ? 1 : (t[f].n + C - 1) / C;
        for (uint64_t b0 = 0; b0 < nb + (f != 2); b0++) {
            int odd = 0;
            if (b0)
                ck_assert_int_eq(lr_ingest_quote_parity(pp[f], 0, b0 * C, &odd, &err), LR_OK);
            pieces all = cut_files(pp, 4, f, b0, 0, odd),
                   one = cut_files(pp, 4, f, b0, b0 + 1, odd);
            same_file_pieces(&all, &ref, f, b0, 0);
            same_file_pieces(&one, &ref, f, b0, b0 + 1);
            free(all.p);
            free(one.p);
        }
    }
    /* the line end put after file 1's last row, none after file 3's */
    ck_assert_uint_eq(ref.p[ref.n - 1].file, 3);
    for (size_t i = ref.n - 1; i > 0; i--)
        if (ref.p[i].file == 1) {
            ck_assert_uint_eq(ref.p[i].offset + ref.p[i].len, t[1].n + 1);
            break;
        }
    ck_assert_uint_eq(ref.p[ref.n - 1].offset + ref.p[ref.n - 1].len, t[3].n);
    /* a header that differs, found where the pass finds it */
    t[3].s[0] = 'Y';
    lr_test_write_file(paths[3], t[3].s, t[3].n);
    pieces ps = {0};
    lr_error e1, e2;
    ck_assert_int_ne(lr_ingest_cut(pp, 4, LR_INGEST_ALL_FILES, 0, 0, 0, 0, collect, &ps, &e1),
                     LR_OK);
    free(ps.p);
    ps = (pieces){0};
    ck_assert_int_ne(lr_ingest_cut(pp, 4, 3, 0, 0, 0, 0, collect, &ps, &e2), LR_OK);
    ck_assert_uint_eq(ps.n, 0);
    ck_assert_str_eq(e1.message, e2.message);
    free(ps.p);
    free(ref.p);
    for (int f = 0; f < 4; f++) {
        lr_test_remove_file(paths[f]);
        free(t[f].s);
    }
}
END_TEST

/* ---- chunk records: a chunk through its serialized form folds the same ---- */

/* About 3.5 MiB: a factor whose level "late" first appears in the last
 * chunk, weights, rows log() makes NaN, quoted CR LF notes; with `bad`, a
 * cell that is no number in chunk `bad` (from 1). */
static lr_test_text record_data(int bad)
{
    lr_test_text t = {0};
    lr_test_seed(7);
    lr_test_put(&t, "y,x,g,w,z,note\r\n");
    for (size_t i = 0; t.n < 3 * C + C / 2; i++) {
        const char *g = t.n > 3 * C + C / 4 ? (i % 2 ? "late" : "b") : (i % 3 ? "a" : "b");
        double x = lr_test_urand() * 4, w = 0.5 + lr_test_urand();
        double y = 1 + x + (g[0] == 'b') + lr_test_urand();
        int cut = bad && t.n > (size_t)bad * C + C / 3 && t.n < (size_t)bad * C + C / 3 + 300;
        char xs[40];
        if (cut)
            snprintf(xs, sizeof xs, "1x5");
        else
            snprintf(xs, sizeof xs, "%.17g", x);
        char zs[24];
        snprintf(zs, sizeof zs, "%zu.5", i % 5);
        lr_test_put(&t, "%.17g,%s,%s,%.17g,%s,%s\r\n", y, xs, g, w, i % 1001 == 9 ? "-1" : zs,
                    i % 89 ? "n" : "\"a\r\nquoted\"\"note\"");
    }
    return t;
}

typedef struct fit_out {
    int rc;
    lr_error err;
    lr_fit *fit;
    char *model; /* the --save file's bytes */
    size_t model_len;
} fit_out;

static fit_out record_fit(const char *path, int records, int threads)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x * g + log(z)";
    opt.weights = "w";
    opt.threads = threads;
    opt.vcov = LR_VCOV_HC3;
    opt.residual_summary = 1;
    opt.keep_model = 1;
    fit_out o = {0};
    lr_ingest_chunk_records = records;
    o.rc = lr_fit_csv(path, &opt, &o.fit, &o.err);
    lr_ingest_chunk_records = 0;
    if (o.rc == LR_OK) {
        char *dir = lr_test_temp_dir();
        char mpath[4096];
        snprintf(mpath, sizeof mpath, "%s/m.lrm", dir);
        lr_error err;
        ck_assert_int_eq(lr_fit_save(o.fit, mpath, &err), LR_OK);
        o.model = lr_test_read_file(mpath, &o.model_len);
        lr_test_remove_dir(dir);
    }
    return o;
}

static void same_fit(const fit_out *a, const fit_out *b)
{
    ck_assert_int_eq(a->rc, b->rc);
    if (a->rc) {
        ck_assert_str_eq(a->err.message, b->err.message);
        return;
    }
    size_t p = lr_fit_ncoef(a->fit);
    ck_assert_uint_eq(p, lr_fit_ncoef(b->fit));
    for (size_t j = 0; j < p; j++) {
        const lr_coef *ca = lr_fit_coef(a->fit, j), *cb = lr_fit_coef(b->fit, j);
        ck_assert_str_eq(ca->name, cb->name);
        ck_assert(!memcmp(&ca->estimate, &cb->estimate, sizeof(double)));
        ck_assert(!memcmp(&ca->std_error, &cb->std_error, sizeof(double)));
    }
    const lr_summary *sa = lr_fit_summary(a->fit), *sb = lr_fit_summary(b->fit);
    ck_assert(sa->has_quantiles && sb->has_quantiles);
    ck_assert(
        !memcmp(sa->residual_quantiles, sb->residual_quantiles, sizeof sa->residual_quantiles));
    ck_assert(!memcmp(&sa->sigma, &sb->sigma, sizeof(double)));
    ck_assert_uint_eq(sa->n, sb->n);
    ck_assert_uint_eq(sa->n_dropped, sb->n_dropped);
    ck_assert_uint_eq(lr_fit_nnotes(a->fit), lr_fit_nnotes(b->fit));
    for (size_t i = 0; i < lr_fit_nnotes(a->fit); i++)
        ck_assert_str_eq(lr_fit_note(a->fit, i), lr_fit_note(b->fit, i));
    ck_assert_uint_eq(a->model_len, b->model_len);
    ck_assert(!memcmp(a->model, b->model, a->model_len));
}

static void free_fit(fit_out *o)
{
    lr_fit_free(o->fit);
    free(o->model);
}

/* Every chunk but the first through a record and back: the same fit, bit
 * for bit (HC3, residual quantiles, the model file), for 1 and 3 threads;
 * an error in the second or the last chunk: the same message. */
START_TEST(test_chunk_records_fold_the_same)
{
    static const int bads[] = {0, 2, 3};
    for (size_t bi = 0; bi < 3; bi++) {
        int bad = bads[bi];
        lr_test_text t = record_data(bad);
        char *path = lr_test_write_temp(t.s, t.n);
        for (int threads = 1; threads <= 3; threads += 2) {
            fit_out a = record_fit(path, 0, threads), b = record_fit(path, 1, threads);
            ck_assert_msg(bad ? a.rc == LR_EVALUE : a.rc == LR_OK, "%s",
                          a.rc ? a.err.message : "a fit");
            if (!bad) /* the late level is a column */
                ck_assert(lr_fit_ncoef(a.fit) == 7);
            same_fit(&a, &b);
            free_fit(&a);
            free_fit(&b);
        }
        lr_test_remove_file(path);
        free(t.s);
    }
}
END_TEST

/* A record cut short or of an unknown kind is refused, not misread. */
START_TEST(test_chunk_record_corrupt)
{
    lr_pbuf pb = {0};
    lr_error e = {0}, err;
    e.code = LR_EVALUE;
    e.line = 3;
    snprintf(e.message, sizeof e.message, "x:3:1: bad");
    ck_assert_int_eq(lr_partial_put_chunk_error(&pb, 2, 5, LR_EVALUE, &e, &err), LR_OK);
    lr_chunk_record r;
    size_t off = 0;
    ck_assert_int_eq(lr_partial_get_chunk(pb.b, pb.n, &off, "rec", NULL, &r, &err), LR_OK);
    ck_assert_uint_eq(off, pb.n);
    ck_assert_uint_eq(r.file, 2);
    ck_assert_uint_eq(r.block, 5);
    ck_assert_int_eq(r.rc, LR_EVALUE);
    ck_assert_uint_eq(r.err.line, 3);
    ck_assert_str_eq(r.err.message, "x:3:1: bad");
    for (size_t cut = 0; cut < pb.n; cut += 7) {
        off = 0;
        ck_assert_int_eq(lr_partial_get_chunk(pb.b, cut, &off, "rec", NULL, &r, &err), LR_EDATA);
        ck_assert_uint_eq(off, 0);
    }
    pb.b[0] = 9; /* no such kind */
    off = 0;
    ck_assert_int_eq(lr_partial_get_chunk(pb.b, pb.n, &off, "rec", NULL, &r, &err), LR_EDATA);
    ck_assert_ptr_nonnull(strstr(err.message, "not a chunk record"));
    lr_pbuf_free(&pb);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_enter_every_block),    LR_TEST(test_enter_gzip_refused),
        LR_TEST(test_enter_files),          LR_TEST(test_chunk_records_fold_the_same),
        LR_TEST(test_chunk_record_corrupt),
    };
    return lr_test_run_cases("ingest_enter", 300, tests, LR_TEST_COUNT(tests));
}
