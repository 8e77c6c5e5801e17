/*
 * ingest_ranks.c — the first pass split among MPI ranks by chunks
 * (mpi_fit.c; docs/design.md, "MPI (issue 16, item 4)").
 *
 * Rank 0 reads the data set's first files as the single process does, up
 * to the end of its share, and then folds the other ranks' chunks after its
 * own (lr_ingest_more). A rank after it cuts its segments — blocks [b0, b1)
 * of a file, entered with the quote parity there (ingest_split.c) — into the
 * single process's own chunks, evaluates them on its threads in the frame
 * the first file's first chunk makes (the same types and delimiter as rank
 * 0's), and hands each, in order, to `emit` as a chunk record
 * (partial_io.c): the chunk's own tables and exact accumulator state, which
 * rank 0 folds with lr_frame_fold_at exactly as it would fold the chunk.
 * A failure is a record too, at its place: the first in file order wins.
 */
#include <string.h>

#include "ingest_impl.h"

int lr_ingest_rank0(const char *const *paths, size_t n, size_t last, uint64_t b1,
                    const lr_fit_options *opt, const lr_ingest_more *more, lr_partial_sink *sink,
                    lr_frame **out, char *delimiter, lr_error *err)
{
    splitter sp = {0};
    sp.max_line = opt->max_line_bytes ? opt->max_line_bytes : LR_MAX_LINE_DEFAULT;
    int nthreads = lr_ingest_threads(opt->threads), blas_threads = 0;
    *out = NULL;
    /* the data set's files as the fit opens them (the others are opened only
     * when the reading reaches them: never), read up to the end of file
     * `last` or its block b1 - 1 */
    int rc = lr_source_open_files(paths, n, sp.max_line, 0, &sp.src, err);
    if (rc)
        return rc;
    lr_source_split_files(sp.src);
    sp.eol_file = last;
    sp.end_file = 1;
    sp.stop = b1 * LR_CHUNK;
    if (!(rc = lr_ingest_pass_threads(nthreads, &nthreads, err))) {
        blas_threads = lr_blas_threads(1);
        rc = lr_ingest_frame_read(&sp, opt, nthreads, 0, NULL, n, sink, more, out, delimiter, err);
        lr_blas_threads(blas_threads);
    }
    if (!rc && lr_frame_coded_pending(*out)) {
        lr_frame_free(*out);
        *out = NULL;
        rc = lr_error_set(err, LR_EUSAGE,
                          "linreg fit on several MPI ranks: C(x, sum) and C(x, helmert) need "
                          "every file's levels first (a second pass): run one process");
    }
    if (rc)
        lr_source_relocate_error(sp.src, err);
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    return rc;
}

/* A rank's pass over one segment. */
typedef struct rank_pass {
    frame_pass fp;          /* the frame's evaluation */
    size_t file;            /* the segment's file */
    lr_ingest_emit_fn emit; /* where the records go, in order */
    void *ud;               /* its context */
    int failed;             /* an error record was emitted: the rank stops */
} rank_pass;

/* A chunk evaluated (on a worker) and written as its record: a chunk's, or
 * its error's; the block is written in at the fold, which knows it. */
static int rank_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                     uint64_t *lines, lr_error *err)
{
    rank_pass *rp = ctx;
    void *chunk = NULL;
    lr_error cerr;
    lr_pbuf *pb = lr_mem_calloc(1, sizeof *pb);
    *result = NULL;
    if (!pb)
        return lr_error_nomem(err);
    int rc = lr_ingest_frame_eval(&rp->fp, buf, len, seq, &chunk, lines, &cerr);
    if (rc)
        rc = lr_partial_put_chunk_error(pb, rp->file, 0, rc, &cerr, err);
    else
        rc = lr_partial_put_chunk(pb, chunk, rp->file, 0, *lines, err);
    lr_chunk_free(chunk);
    if (rc) {
        lr_pbuf_free(pb);
        lr_mem_free(pb, sizeof *pb);
        return rc;
    }
    *result = pb;
    return LR_OK;
}

/* The records' kinds that rank_fold reads (partial_io.c's REC_ERROR). */
#define REC_KIND_ERROR 7u

static int rank_fold(void *ctx, void *result, uint64_t lines_before, size_t file, uint64_t block,
                     lr_error *err)
{
    rank_pass *rp = ctx;
    lr_pbuf *pb = result;
    (void)lines_before;
    (void)file;
    for (int i = 0; i < 8; i++) /* the block field, little-endian */
        pb->b[16 + i] = (unsigned char)(block >> (8 * i));
    int rc = rp->emit(rp->ud, pb->b, pb->n, err);
    if (!rc && pb->b[0] == REC_KIND_ERROR) {
        rp->failed = 1;
        rc = lr_error_set(err, LR_EDATA, "stopped at an error record");
    }
    return rc;
}

static void rank_drop(void *ctx, void *result)
{
    (void)ctx;
    if (result) {
        lr_pbuf_free(result);
        lr_mem_free(result, sizeof(lr_pbuf));
    }
}

static const lr_chunk_ops rank_ops = {rank_eval, NULL, rank_drop, rank_fold};

/* An error as a record: `at` the block it is placed before (UINT64_MAX: a
 * message with its final place already, not to be moved). */
static int emit_error(rank_pass *rp, uint64_t at, int code, const lr_error *e, lr_error *err)
{
    lr_pbuf pb = {0};
    int rc = lr_partial_put_chunk_error(&pb, rp->file, at, code, e, err);
    if (!rc)
        rc = rp->emit(rp->ud, pb.b, pb.n, err);
    lr_pbuf_free(&pb);
    rp->failed = 1;
    return rc;
}

/* One segment's records (its file's start first, if it enters at block 0). */
static int segment(rank_pass *rp, const char *const *paths, size_t n, const lr_ingest_segment *sg,
                   int nthreads, lr_error *err)
{
    splitter sp = {0};
    lr_error e;
    sp.max_line = rp->fp.opt->max_line_bytes ? rp->fp.opt->max_line_bytes : LR_MAX_LINE_DEFAULT;
    /* messages name the first file, as the frame does (the source of the
     * messages of a chunk's rows); rank 0 puts the file and line in */
    rp->file = sg->file;
    rp->fp.name = paths[0];
    int rc = lr_ingest_enter(&sp, paths, n, sg->file, sg->b0, sg->b1, sg->odd, &e);
    if (!rc && sg->b0 == 0 && sg->file > 0) {
        lr_pbuf pb = {0};
        lr_partial_put_file_start(&pb, sg->file, sp.line_off);
        rc = pb.failed ? lr_error_nomem(err) : rp->emit(rp->ud, pb.b, pb.n, err);
        lr_pbuf_free(&pb);
        if (rc) {
            lr_mem_free(sp.carry, sp.carry_cap);
            lr_source_free(sp.src);
            return rc;
        }
    }
    if (rc) {
        rc = emit_error(rp, UINT64_MAX, rc, &e, err);
    } else {
        rp->fp.sp = &sp;
        rc = lr_ingest_run_pool(&sp, &rank_ops, rp, nthreads, 1, 0, paths[0], &e);
        if (rc && !rp->failed) {
            /* a row too long after its chunks, at the line after them; or
             * what reading the file found (a header, I/O) */
            if (sp.overlong)
                rc = lr_csv_row_too_long(&e, paths[0], 1, sp.max_line);
            rc = emit_error(rp, sp.overlong ? UINT64_MAX - 1 : UINT64_MAX, rc, &e, err);
        } else if (rp->failed) {
            rc = LR_OK; /* the error record went */
        }
    }
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    return rc;
}

int lr_ingest_records(const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t nseg,
                      const lr_fit_options *opt, lr_ingest_emit_fn emit, void *ud, lr_error *err)
{
    rank_pass rp;
    memset(&rp, 0, sizeof rp);
    rp.emit = emit;
    rp.ud = ud;
    rp.fp.opt = opt;
    rp.fp.pass = "reading";
    lr_frame *frame = NULL;
    lr_error e;
    int nthreads = lr_ingest_threads(opt->threads), rc;
    /* the model's frame, from the first file's first chunk (rank 0 reports
     * its errors: they come first) */
    if ((rc = lr_ingest_first_frame(paths[0], opt, &frame, &rp.fp.delimiter, &e)) ||
        (rc = lr_ingest_pass_threads(nthreads, &nthreads, &e))) {
        lr_frame_free(frame);
        rp.file = 0;
        return emit_error(&rp, UINT64_MAX, rc, &e, err);
    }
    rp.fp.frame = frame;
    int blas_threads = lr_blas_threads(1);
    for (size_t i = 0; i < nseg && !rc && !rp.failed; i++)
        rc = segment(&rp, paths, n, &seg[i], nthreads, err);
    lr_blas_threads(blas_threads);
    lr_frame_free(frame);
    return rc;
}

int lr_ingest_pass_share(lr_source *input, size_t last, uint64_t b1, int threads,
                         const lr_chunk_ops *ops, void *ctx, const lr_ingest_then *then,
                         lr_error *err)
{
    splitter sp = {0};
    sp.max_line = SIZE_MAX; /* the first pass bounded the rows of these bytes */
    int rc = lr_source_again(input, &sp.src, err);
    if (rc)
        return rc;
    /* cut as lr_ingest_rank0 cuts rank 0's share: the same chunks */
    lr_source_split_files(sp.src);
    sp.eol_file = last;
    sp.end_file = 1;
    sp.stop = b1 * LR_CHUNK;
    int blas_threads = lr_blas_threads(1), workers = 1;
    if ((rc = lr_ingest_pass_threads(lr_ingest_threads(threads), &workers, err)) == LR_OK)
        rc = lr_ingest_run_pool(&sp, ops, ctx, workers, 0, 0, lr_source_name(sp.src), err);
    lr_blas_threads(blas_threads);
    /* the other ranks' chunks come before what a check of the whole input
     * finds, as the single pass meets a changed row before its end */
    if (!rc && then)
        rc = then->fold(then->ud, sp.src, sp.lines, err);
    if (!rc)
        rc = lr_source_check(sp.src, err);
    if (rc)
        lr_source_relocate_error(sp.src, err);
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    return rc;
}

int lr_ingest_segments_pass(const char *const *paths, size_t n, const lr_ingest_segment *seg,
                            size_t nseg, size_t max_line, int threads, const lr_chunk_ops *ops,
                            void *ctx, lr_error *err)
{
    int blas_threads = lr_blas_threads(1), workers = 1;
    int rc = lr_ingest_pass_threads(lr_ingest_threads(threads), &workers, err);
    for (size_t i = 0; i < nseg && !rc; i++) {
        splitter sp = {0};
        sp.max_line = max_line ? max_line : LR_MAX_LINE_DEFAULT; /* entering reads a header */
        rc = lr_ingest_enter(&sp, paths, n, seg[i].file, seg[i].b0, seg[i].b1, seg[i].odd, err);
        if (!rc)
            rc = lr_ingest_run_pool(&sp, ops, ctx, workers, 1, 0, paths[0], err);
        lr_mem_free(sp.carry, sp.carry_cap);
        lr_source_free(sp.src);
    }
    lr_blas_threads(blas_threads);
    return rc;
}
