/*
 * ingest.c — the whole input, in chunks, on every core.
 *
 * The main thread reads the input (a file, standard input, gzip-compressed
 * or not) and cuts it into chunks defined by the data alone (docs/design.md):
 * nominal blocks of LR_CHUNK bytes, each ending at the first line end after
 * its nominal end that is outside quotes. A chunk always starts outside
 * quotes, so the quote parity of its bytes is known, and where it ends
 * depends on its bytes only. The first chunk (with the header) is evaluated
 * on the main thread, which decides the column types from it (first on the
 * guess that every column is numeric, which holds unless the chunk fails;
 * then again with its rows kept until the types are known); every other
 * chunk is parsed and accumulated by whichever worker thread is free, then
 * folded into the frame by the main thread in chunk order along a fixed tree
 * (model_frame.c). Results are therefore bit-identical for any --threads.
 * A worker takes the rows of a plain numeric model straight from the bytes
 * (lr_chunk_add_text: delimiter scan and number conversion in one), and any
 * row that is not plain through the CSV reader.
 *
 * Memory: at most `threads + 2` chunk buffers exist at a time, whatever the
 * size of the input. Errors: each chunk numbers its lines from 1; the fold
 * adds the lines of the chunks before it, and the first error in file order
 * is the one reported (later chunks may have been evaluated, but are not
 * folded).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "byte_source.h"
#include "ingest.h"
#include "ingest_impl.h"
#include "partial_io.h"

/* ---- the first pass: the frame's chunks ---- */

/* The pass that builds a frame: "reading", or "reading again" when a first
 * reading gave the data-dependent bases (its done starts again from 0). */
static const char *reading_pass(const lr_frame *bases)
{
    return bases ? "reading again" : "reading";
}

/* Rows of the CSV reader csv into chunk: one, or all of them when `all`.
 * *has = 0 at the reader's end. */
static int generic_rows(lr_chunk *chunk, lr_csv *csv, int all, int *has, lr_error *err)
{
    lr_csv_row row;
    int rc;
    do {
        if ((rc = lr_csv_next(csv, &row, has, err)) || !*has)
            break;
        rc = lr_chunk_add_row(chunk, &row, err);
    } while (rc == LR_OK && all);
    return rc;
}

int lr_ingest_fused = 1;

/* Rows of a chunk that the fused path left (fallbacks) before the CSV reader
 * takes the rest of the chunk: a file where most rows need it is read the
 * ordinary way. */
#define LR_FALLBACK_ROWS 64

int lr_ingest_chunk_records = 0;

/* The chunk just evaluated (or its error) through a chunk record and back,
 * as an MPI rank sends it to rank 0 (partial_io.h). */
static int through_record(const frame_pass *fp, int rc, void **result, uint64_t *lines,
                          lr_error *err)
{
    lr_pbuf pb = {0};
    lr_error perr;
    lr_chunk_record r;
    size_t off = 0;
    int put = rc ? lr_partial_put_chunk_error(&pb, 0, 0, rc, err, &perr)
                 : lr_partial_put_chunk(&pb, *result, 0, 0, *lines, &perr);
    lr_chunk_free(*result);
    *result = NULL;
    if (!put)
        put = lr_partial_get_chunk(pb.b, pb.n, &off, "a chunk record", fp->frame, &r, &perr);
    lr_pbuf_free(&pb);
    if (put) {
        *err = perr;
        return put;
    }
    if (r.rc) {
        *err = r.err;
        return r.rc;
    }
    *result = r.chunk;
    *lines = r.lines;
    return LR_OK;
}

/* Parse and accumulate one chunk: what a worker does (or the main thread with
 * one thread). Rows go through the fused path (lr_chunk_add_text) while it
 * takes them; a row it leaves goes through the CSV reader. */
int lr_ingest_frame_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                         uint64_t *lines, lr_error *err)
{
    const frame_pass *fp = ctx;
    lr_csv *csv = NULL;
    lr_chunk *chunk = NULL;
    lr_csv_options copt = {fp->delimiter, fp->opt->max_line_bytes};
    size_t off = 0;
    uint64_t line0 = 0;
    int fallbacks = 0, has = 1;
    (void)seq;
    int rc = lr_chunk_create(fp->frame, &chunk, err);
    int fast = rc == LR_OK && lr_ingest_fused && lr_chunk_fast_text(chunk);
    while (rc == LR_OK && off < len && has) {
        if (fast && fallbacks < LR_FALLBACK_ROWS) {
            size_t used;
            uint64_t nl;
            rc = lr_chunk_add_text(chunk, buf + off, len - off, fp->delimiter, line0, &used, &nl,
                                   err);
            off += used;
            line0 += nl;
            if (rc || off == len)
                break;
            fallbacks++;
        }
        /* one row by the reader (the rest of the chunk after too many) */
        int all = !fast || fallbacks >= LR_FALLBACK_ROWS;
        if ((rc = lr_csv_open_buffer(buf + off, len - off, fp->name, &copt, &csv, err)))
            break;
        lr_csv_continue(csv, line0 + 1);
        rc = generic_rows(chunk, csv, all, &has, err);
        off += (size_t)lr_csv_consumed(csv);
        line0 = lr_csv_line(csv) - 1;
        lr_csv_free(csv);
        csv = NULL;
        /* a row ended by CR: its LF, if any, belongs to that line end */
        if (off > 0 && off < len && buf[off - 1] == '\r' && buf[off] == '\n')
            off++;
    }
    if (!rc)
        rc = lr_chunk_end(chunk, err);
    *lines = line0;
    *result = chunk;
    if (lr_ingest_chunk_records && !lr_frame_basis_vars(fp->frame))
        rc = through_record(fp, rc, result, lines, err);
    return rc;
}

static int frame_fold(void *ctx, void *result, uint64_t lines_before, size_t file, uint64_t block,
                      lr_error *err)
{
    const frame_pass *fp = ctx;
    int rc = lr_frame_fold_at(fp->frame, result, file, block, lines_before, err);
    if (rc == LR_OK)
        lr_progress_send(fp->opt->progress, fp->opt->progress_ud, fp->pass, "bytes", fp->sp->folded,
                         fp->total, lr_frame_rows(fp->frame));
    return rc;
}

static void frame_drop(void *ctx, void *result)
{
    (void)ctx;
    lr_chunk_free(result);
}

static const lr_chunk_ops frame_ops = {lr_ingest_frame_eval, NULL, frame_drop, frame_fold};

/* The first chunk's kept rows, evaluated once their types are known; then
 * (0 of 0) the chunk's merge into the frame, one step of unknown length
 * (seconds for a factor of thousands of levels: its factor is copied, or
 * re-triangularised when its columns move). */
static void kept_progress(void *ud, uint64_t done, uint64_t total)
{
    const lr_fit_options *opt = *(const lr_fit_options *const *)ud;
    lr_progress_send(opt->progress, opt->progress_ud,
                     total ? "reading: evaluating the first rows"
                           : "reading: merging the first chunk",
                     "rows", done, total, 0);
}

/* The raw input's bytes up to `parsed` bytes into the first chunk: exact for
 * an uncompressed input (the chunk starts the file), in proportion for a
 * compressed one. */
static uint64_t first_raw(const chunk_job *first, uint64_t parsed)
{
    if (first->raw_end == first->len || first->len == 0)
        return parsed;
    return (uint64_t)((double)first->raw_end * ((double)parsed / (double)first->len));
}

/* The first chunk on the calling thread: the header makes the frame, the
 * rows decide the column types (or, with `guess`, are evaluated on the guess
 * that every column is numeric: lr_frame_assume_numeric), and the chunk is
 * folded. *lines gets its physical lines. On error *out may hold a frame. */
static int first_chunk(const chunk_job *first, const char *name, const lr_fit_options *opt,
                       int keep_rows, int guess, const lr_frame *bases, uint64_t total,
                       uint64_t nfiles, lr_partial_sink *sink, lr_frame **out, char *delimiter,
                       uint64_t *lines, lr_error *err)
{
    const lr_fit_options *kept = opt; /* for kept_progress, while this runs */
    lr_csv *csv = NULL;
    /* an MPI rank after the first: the first file's delimiter and types */
    const unsigned char *types = sink ? sink->types : NULL;
    lr_csv_options copt = {types ? sink->delimiter : opt->delimiter, opt->max_line_bytes};
    lr_csv_row row;
    int has = 0, rc;
    *out = NULL;
    if ((rc = lr_csv_open_buffer(first->buf, first->len, name, &copt, &csv, err)) ||
        (rc = lr_csv_next(csv, &row, &has, err)))
        goto done;
    if (!has) {
        rc = lr_error_set(err, LR_EDATA, "%s: empty file (no header row)", name);
        goto done;
    }
    if (sink)
        lr_partial_put_header(sink, &row);
    if ((rc = lr_frame_create(&row, name, opt, out, err)))
        goto done;
    lr_frame_set_files(*out, nfiles, sink);
    if (bases && (rc = lr_frame_copy_bases(*out, bases, err)))
        goto done;
    /* A part is one pass over its files; C(g, sum)'s columns need the levels
     * of every file first (a second pass), which no part has. */
    if (sink && !sink->rank0 && lr_frame_coded_pending(*out)) {
        rc = lr_error_set(err, LR_EUSAGE,
                          "%s: C(x, sum) and C(x, helmert) cannot be saved as "
                          "partial fits (their coding needs every file's levels: a second pass)",
                          sink->who ? sink->who : "--save-partial");
        goto done;
    }
    /* without a temporary file for them, the text is read again */
    if (keep_rows)
        lr_frame_keep_rows(*out, keep_rows & LR_KEEP_ROW_LINES);
    *delimiter = lr_csv_delimiter(csv);
    lr_frame_set_delimiter(*out, *delimiter);
    if (types)
        lr_partial_set_types(*out, types);
    else if (guess && (rc = lr_frame_assume_numeric(*out, err)))
        goto done;
    if (opt->progress)
        lr_frame_on_kept_rows(*out, kept_progress, &kept);
    for (uint64_t n = 1;; n++) {
        if ((rc = lr_csv_next(csv, &row, &has, err)) || !has)
            break;
        if ((rc = lr_frame_add_row(*out, &row, err)))
            break;
        if (n % 1024 == 0) /* the first chunk is one block of work for the pool */
            lr_progress_send(opt->progress, opt->progress_ud, reading_pass(bases), "bytes",
                             first_raw(first, (uint64_t)lr_csv_consumed(csv)), total, 0);
    }
    if (!rc)
        rc = lr_frame_end_first(*out, err);
    if (*out)
        lr_frame_on_kept_rows(*out, NULL, NULL); /* `kept` ends here */
    *lines = lr_csv_line(csv) - 1;
done:
    lr_csv_free(csv);
    return rc;
}

/* The threads of a pass on nthreads threads (the calling thread and
 * nthreads − 1 workers: ingest_pool.c), each calling OpenBLAS: fewer if a
 * memory limit leaves no room for their buffers, and none (out of memory)
 * if there is none for this thread. */
int lr_ingest_pass_threads(int nthreads, int *threads, lr_error *err)
{
    int room = lr_blas_room(nthreads > 1 ? nthreads : 1);
    if (room == 0)
        return lr_error_nomem(err);
    *threads = room;
    return LR_OK;
}

int lr_ingest_threads(int requested)
{
    if (requested > 0)
        return requested > LR_INGEST_MAX_THREADS ? LR_INGEST_MAX_THREADS : requested;
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n < 1) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    return n > LR_INGEST_MAX_THREADS ? LR_INGEST_MAX_THREADS : n;
}

/* One pass that builds a frame from sp's input: the first chunk on this
 * thread (the header, the delimiter, the types), then the rest on the pool.
 * bases: a frame of the same model whose data-dependent bases are known
 * (lr_frame_fit_bases), given to the new frame before any row; NULL for the
 * first pass. */
int lr_ingest_frame_read(splitter *sp, const lr_fit_options *opt, int nthreads, int keep_rows,
                         const lr_frame *bases, uint64_t nfiles, lr_partial_sink *sink,
                         const lr_ingest_more *more, lr_frame **out, char *delimiter, lr_error *err)
{
    const char *name = lr_source_name(sp->src);
    uint64_t total = lr_source_size(sp->src);
    chunk_job first = {0};
    lr_frame *frame = NULL;
    int rc;
    if ((rc = lr_ingest_next_chunk(sp, &first, err)))
        goto done;
    if (sp->overlong && first.len == 0) { /* the header row */
        rc = lr_csv_row_too_long(err, name, 1, sp->max_line);
        goto done;
    }
    uint64_t lines_before = 0;
    /* Numeric columns guessed first; if the chunk does not go through, again
     * with its rows kept until the types are decided (out of memory is not
     * retried). */
    rc = first_chunk(&first, name, opt, keep_rows, 1, bases, total, nfiles, sink, &frame, delimiter,
                     &lines_before, err);
    if (rc && rc != LR_ENOMEM) {
        lr_frame_free(frame);
        frame = NULL;
        rc = first_chunk(&first, name, opt, keep_rows, 0, bases, total, nfiles, sink, &frame,
                         delimiter, &lines_before, err);
    }
    if (rc)
        goto done;
    sp->folded = first.raw_end;
    lr_progress_send(opt->progress, opt->progress_ud, reading_pass(bases), "bytes", sp->folded,
                     total, lr_frame_rows(frame));

    /* The other chunks, then the fold's partial sums merged (a step of
     * unknown length: seconds when each is a factor of thousands of columns). */
    frame_pass fp = {frame, *delimiter, name, opt, sp, total, reading_pass(bases)};
    rc = lr_ingest_run_pool(sp, &frame_ops, &fp, nthreads, 1, lines_before, name, err);
    if (sink) {
        sink->lines = sp->lines;
        /* several files read as one put a line end after a file without
         * one: the merge counts it when another part follows */
        sink->unterminated = sp->last && sp->last != '\n' && sp->last != '\r';
    }
    /* an MPI rank 0: the other ranks' chunks, after its own */
    if (!rc && more)
        rc = more->fold(more->ud, frame, sp->src, sp->lines, err);
    if (!rc) {
        lr_progress_send(opt->progress, opt->progress_ud, "reading: combining the chunks", "rows",
                         0, 0, 0);
        rc = lr_frame_finish(frame, err);
    }
    /* A file cut, grown or written while it was read is not fitted. */
    if (!rc)
        rc = lr_source_check(sp->src, err);
done:
    lr_mem_free(first.buf, first.cap);
    lr_mem_free(sp->carry, sp->carry_cap);
    sp->carry = NULL;
    sp->carry_len = sp->carry_cap = 0;
    if (rc) {
        lr_frame_free(frame);
        return rc;
    }
    *out = frame;
    return LR_OK;
}

int lr_ingest_first_frame(const char *path, const lr_fit_options *opt, lr_frame **out,
                          char *delimiter, lr_error *err)
{
    splitter sp = {0};
    sp.max_line = opt->max_line_bytes ? opt->max_line_bytes : LR_MAX_LINE_DEFAULT;
    chunk_job first = {0};
    lr_frame *frame = NULL;
    uint64_t lines = 0;
    *out = NULL;
    int rc = lr_source_open_files(&path, 1, sp.max_line, 0, &sp.src, err);
    if (!rc)
        rc = lr_ingest_next_chunk(&sp, &first, err);
    if (!rc && sp.overlong && first.len == 0)
        rc = lr_csv_row_too_long(err, path, 1, sp.max_line);
    /* as frame_read decides them: on the numeric guess, else with the rows */
    if (!rc &&
        (rc = first_chunk(&first, path, opt, 0, 1, NULL, 0, 1, NULL, &frame, delimiter, &lines,
                          err)) &&
        rc != LR_ENOMEM) {
        lr_frame_free(frame);
        frame = NULL;
        rc = first_chunk(&first, path, opt, 0, 0, NULL, 0, 1, NULL, &frame, delimiter, &lines, err);
    }
    lr_mem_free(first.buf, first.cap);
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    if (rc) {
        lr_frame_free(frame);
        return rc;
    }
    *out = frame;
    return LR_OK;
}

int lr_ingest_first_types(const char *path, const lr_fit_options *opt, unsigned char **types,
                          size_t *ntypes, char *delimiter, lr_error *err)
{
    lr_frame *frame = NULL;
    *types = NULL;
    *ntypes = 0;
    int rc = lr_ingest_first_frame(path, opt, &frame, delimiter, err);
    if (rc)
        return rc;
    *ntypes = lr_frame_ncols(frame);
    if (!(*types = lr_mem_calloc(*ntypes ? *ntypes : 1, 1)))
        rc = lr_error_nomem(err);
    else
        lr_partial_get_types(frame, *types);
    lr_frame_free(frame);
    return rc;
}

/* Whether a formula may call a data-dependent basis (poly, scale, ns, bs):
 * a stream is then copied for the second pass their statistics need. A
 * false positive only costs that copy. */
int lr_ingest_may_need_bases(const char *formula)
{
    static const char *const fn[] = {"poly", "scale", "ns", "bs"};
    for (int i = 0; formula && i < 4; i++)
        for (const char *s = formula; (s = strstr(s, fn[i])) != NULL; s++) {
            const char *e = s + strlen(fn[i]);
            while (*e == ' ' || *e == '\t')
                e++;
            if (*e == '(')
                return 1;
        }
    return 0;
}

int lr_ingest_spooled(const char *const *paths, size_t npaths, const lr_fit_options *opt,
                      uint64_t spool_limit, int keep_rows, lr_frame **out, char *delimiter,
                      lr_source **input, lr_error *err)
{
    return lr_ingest_partial(paths, npaths, opt, spool_limit, keep_rows, NULL, out, delimiter,
                             input, err);
}

int lr_ingest_partial(const char *const *paths, size_t npaths, const lr_fit_options *opt,
                      uint64_t spool_limit, int keep_rows, lr_partial_sink *sink, lr_frame **out,
                      char *delimiter, lr_source **input, lr_error *err)
{
    splitter sp = {0};
    sp.max_line = opt->max_line_bytes ? opt->max_line_bytes : LR_MAX_LINE_DEFAULT;
    lr_frame *frame = NULL;
    int nthreads = lr_ingest_threads(opt->threads), rc;
    int blas_threads = 0;
    int bases = lr_ingest_may_need_bases(opt->formula);

    *out = NULL;
    if (input)
        *input = NULL;
    /* a stream is copied whole for the second pass a basis needs */
    uint64_t spool = bases ? UINT64_MAX : input ? spool_limit : 0;
    if ((rc = lr_source_open_files(paths, npaths, sp.max_line, spool, &sp.src, err)))
        return rc;
    lr_source_split_files(sp.src); /* every file cut at its own offsets */
    if (sink && sink->types)
        lr_source_header_only(sp.src); /* an MPI rank after the first */
    lr_progress_send(opt->progress, opt->progress_ud, "reading", "bytes", 0, lr_source_size(sp.src),
                     0);

    if ((rc = lr_ingest_pass_threads(nthreads, &nthreads, err)))
        goto done;
    /* Accumulation uses one BLAS thread per worker: the kernels then run the
     * same way for any thread count (docs/design.md). */
    blas_threads = lr_blas_threads(1);
    rc = lr_ingest_frame_read(&sp, opt, nthreads, keep_rows, NULL, npaths, sink, NULL, &frame,
                              delimiter, err);
    if (rc == LR_OK && (lr_frame_basis_vars(frame) > 0 || lr_frame_coded_pending(frame))) {
        /* poly(), scale(), ns(), bs(): their bases from the first pass's
         * values, C(g, sum) its levels; then the model from a second pass
         * over the same bytes */
        splitter again = {0};
        lr_frame *second = NULL;
        again.max_line = sp.max_line;
        if (!(rc = lr_frame_fit_bases(frame, err)) &&
            !(rc = lr_source_again(sp.src, &again.src, err))) {
            lr_source_split_files(again.src);
            rc = lr_ingest_frame_read(&again, opt, nthreads, keep_rows, frame, npaths, NULL, NULL,
                                      &second, delimiter, err);
            lr_source_free(again.src);
        }
        lr_frame_free(frame);
        frame = second;
    }

done:
    if (blas_threads)
        lr_blas_threads(blas_threads);
    lr_mem_free(sp.carry, sp.carry_cap);
    if (rc)
        lr_source_relocate_error(sp.src, err); /* several files: name the one */
    if (rc || !input)
        lr_source_free(sp.src);
    else
        *input = sp.src;
    if (rc) {
        lr_frame_free(frame);
        return rc;
    }
    *out = frame;
    return LR_OK;
}

int lr_ingest_pass(lr_source *input, int threads, const lr_chunk_ops *ops, void *ctx, lr_error *err)
{
    splitter sp = {0};
    sp.max_line = SIZE_MAX; /* the first pass bounded the rows of these bytes */
    int rc = lr_source_again(input, &sp.src, err);
    if (rc)
        return rc;
    lr_source_split_files(sp.src);
    int blas_threads = lr_blas_threads(1), workers = 1;
    if ((rc = lr_ingest_pass_threads(lr_ingest_threads(threads), &workers, err)) == LR_OK)
        rc = lr_ingest_run_pool(&sp, ops, ctx, workers, 0, 0, lr_source_name(sp.src), err);
    lr_blas_threads(blas_threads);
    if (!rc)
        rc = lr_source_check(sp.src, err);
    if (rc)
        lr_source_relocate_error(sp.src, err);
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    return rc;
}
