/*
 * ingest.h — read, cut into chunks, evaluate on every core, fold (internal).
 */
#ifndef LR_INGEST_H
#define LR_INGEST_H

#include "byte_source.h"
#include "model_frame.h"

/* At most this many worker threads. */
#define LR_INGEST_MAX_THREADS 256

/* Whether chunks of plain numeric models take the fused scan-and-convert
 * path (lr_chunk_add_text); 1 unless a test turns it off to compare. */
extern int lr_ingest_fused;

/* Tests set it: every chunk a worker evaluates (or its error) goes through a
 * chunk record and back before it is folded (lr_partial_put_chunk,
 * lr_partial_get_chunk), as an MPI rank's chunk would; 0 otherwise. */
extern int lr_ingest_chunk_records;

/* The worker count for a request (0: the CPUs this process may use). */
int lr_ingest_threads(int requested);

/*
 * Read the files paths[0..npaths) ("-": standard input; gzip detected) as
 * one (lr_source_open_files: each file cut at its own offsets; errors name
 * the file and its line), build the frame of the model opt describes, and
 * evaluate and fold every row with opt->threads threads. On success *out is
 * the finished frame (caller frees) and *delimiter the delimiter used.
 * opt->progress, if set, is called from this thread after each chunk. With
 * input non-NULL the input is kept open for second
 * passes: *input (caller frees with lr_source_free) is then the source, read
 * to its end and checked (lr_source_check); when it is not a regular file,
 * its bytes (decompressed) are also copied to an unnamed temporary file, up
 * to spool_limit bytes (0: no copy), which its second passes read
 * (lr_source_again_why says when there is none). A regular file is read
 * again through its descriptor. keep_rows: the frame also keeps its
 * evaluated rows (lr_frame_keep_rows), for second passes that need the
 * model's rows but not the text: nonzero keeps them, LR_KEEP_ROW_LINES with
 * their lines. */
#define LR_KEEP_ROW_LINES 2
int lr_ingest_spooled(const char *const *paths, size_t npaths, const lr_fit_options *opt,
                      uint64_t spool_limit, int keep_rows, lr_frame **out, char *delimiter,
                      lr_source **input, lr_error *err);

/* Whether a formula may call a data-dependent basis (poly, scale, ns, bs);
 * a false positive only costs a copy of a stream (or, for --save-partial,
 * a refusal of a name like "ns (" that is no call). */
int lr_ingest_may_need_bases(const char *formula);

/* The same, and with sink non-NULL each file's state and the header row are
 * recorded there for --save-partial (partial_io.h). */
struct lr_partial_sink;
int lr_ingest_partial(const char *const *paths, size_t npaths, const lr_fit_options *opt,
                      uint64_t spool_limit, int keep_rows, struct lr_partial_sink *sink,
                      lr_frame **out, char *delimiter, lr_source **input, lr_error *err);

/* The column types (1 text, 2 logical; *types[0..*ntypes), caller frees
 * with lr_mem_free) and the delimiter the first chunk of `path` decides, as
 * the first pass over files starting with it decides them: what an MPI rank
 * reading later files gives lr_ingest_partial (sink->types). Its errors are
 * the first pass's over that chunk. */
int lr_ingest_first_types(const char *path, const lr_fit_options *opt, unsigned char **types,
                          size_t *ntypes, char *delimiter, lr_error *err);

/* ---- one file's blocks (an MPI rank's share of a file: mpi_fit.c) ---- */

/* The quote parity (1: an odd count of '"') of the bytes [from, to) of the
 * plain file `path` (to beyond its end: to its end). The parity at b·C of a
 * file is the XOR of those of the ranges before it: each rank counts its own
 * range, and no rank reads another's. */
int lr_ingest_quote_parity(const char *path, uint64_t from, uint64_t to, int *odd, lr_error *err);

/* What lr_ingest_cut gives each chunk: its file (from 0) and block (the
 * rows that start in the file's bytes [block·C, (block + 1)·C), C = 1 MiB),
 * the offset in the file of its first byte and its bytes (borrowed for the
 * call). Nonzero stops the cut and is its status. */
typedef int (*lr_ingest_cut_fn)(void *ud, size_t file, uint64_t block, uint64_t offset,
                                const char *buf, size_t len);

/* Every file of the data set, for lr_ingest_cut. */
#define LR_INGEST_ALL_FILES SIZE_MAX

/* The chunks of the blocks [b0, b1) (b1 = 0: to its end) of file `file` of
 * the data set paths[0..n), in order, as the first pass over the data set
 * cuts them (rows up to max_line bytes, 0: LR_MAX_LINE_DEFAULT; the cut stops
 * before a longer row), without reading the file's bytes before b0·C − 1:
 * for b0 > 0 the file is a plain regular file and `odd` is the quote parity
 * of its bytes [0, b0·C) (lr_ingest_quote_parity); from b0 = 0 it may be
 * gzip, and a file after the first is checked against the first's header.
 * A block no row starts in has no chunk. file = LR_INGEST_ALL_FILES: the
 * first pass's own cut of every file. */
int lr_ingest_cut(const char *const *paths, size_t n, size_t file, uint64_t b0, uint64_t b1,
                  int odd, size_t max_line, lr_ingest_cut_fn each, void *ud, lr_error *err);

/* ---- the first pass split among MPI ranks by chunks (ingest_ranks.c) ---- */

/* What rank 0 folds after its own chunks: fold(ud, f, src, lines_before)
 * with rank 0's input src (its files, for lr_source_locate) and the physical
 * lines of the data set before the next chunk. */
typedef struct lr_ingest_more {
    int (*fold)(void *ud, lr_frame *f, const lr_source *src, uint64_t lines_before, lr_error *err);
    void *ud; /* its context */
} lr_ingest_more;

/* Rank 0: the first pass over the files paths[0..last] of the data set
 * paths[0..n), the last one up to its block b1 (0: whole), then more; *out
 * is the finished frame (caller frees). Errors as the fit's. */
struct lr_partial_sink;
int lr_ingest_rank0(const char *const *paths, size_t n, size_t last, uint64_t b1,
                    const lr_fit_options *opt, const lr_ingest_more *more,
                    struct lr_partial_sink *sink, lr_frame **out, char *delimiter, lr_error *err);

/* A rank's segment: blocks [b0, b1) of file `file` (b1 = 0: to its end),
 * `odd` the quote parity of the file's bytes [0, b0·C). */
typedef struct lr_ingest_segment {
    size_t file; /* the file, from 0 */
    uint64_t b0; /* its first block */
    uint64_t b1; /* the block after its last (0: to the file's end) */
    int odd;     /* the quote parity at b0·C */
} lr_ingest_segment;

/* Where a rank's records go, in file order (nonzero stops the pass). */
typedef int (*lr_ingest_emit_fn)(void *ud, const unsigned char *rec, size_t len, lr_error *err);

/* A rank after the first: the chunks of seg[0..nseg), in order, as chunk
 * records (partial_io.h) to emit, on opt->threads threads; a failure is an
 * error record at its place, and the last record. LR_OK unless emit
 * failed. */
int lr_ingest_records(const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t nseg,
                      const lr_fit_options *opt, lr_ingest_emit_fn emit, void *ud, lr_error *err);

/*
 * What a pass over the input does with its chunks. eval runs on a worker
 * thread (several at once, so it may only read shared state): it turns the
 * chunk's bytes into *result and counts its physical lines; seq 0 is the
 * chunk that starts with the header row. fold runs on the calling thread in
 * chunk order, lines_before being the physical lines of the input before the
 * chunk. drop frees a result (NULL too).
 */
typedef struct lr_chunk_ops {
    int (*eval)(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                uint64_t *lines, lr_error *err);
    int (*fold)(void *ctx, void *result, uint64_t lines_before, lr_error *err);
    void (*drop)(void *ctx, void *result);
    /* if set, called instead of fold, with the chunk's file (from 0) and its
     * block in it (chunk i holds the rows that start in the file's bytes
     * [i·C, (i+1)·C); blocks no row starts in have no chunk) */
    int (*fold_at)(void *ctx, void *result, uint64_t lines_before, size_t file, uint64_t block,
                   lr_error *err);
} lr_chunk_ops;

/* ---- a further pass split among MPI ranks (the second pass: mpi_fit.c) ---- */

/* What rank 0 folds after its own chunks of a further pass: fold(ud, src,
 * lines_before), src its input (for lr_source_name) and lines_before the
 * physical lines of the data set before the next chunk. */
typedef struct lr_ingest_then {
    int (*fold)(void *ud, const lr_source *src, uint64_t lines_before, lr_error *err);
    void *ud; /* its context */
} lr_ingest_then;

/* Rank 0: lr_ingest_pass over its share of the input only — the files up to
 * `last`, that one up to its block b1 (0: whole), as lr_ingest_rank0 reads
 * them — then then->fold. Errors as lr_ingest_pass's. */
int lr_ingest_pass_share(lr_source *input, size_t last, uint64_t b1, int threads,
                         const lr_chunk_ops *ops, void *ctx, const lr_ingest_then *then,
                         lr_error *err);

/* A rank after the first: the chunks of seg[0..nseg) of the data set
 * paths[0..n), cut as the pass over the data set cuts them (max_line: the first
 * pass's bound, 0 the default), through ops
 * (fold_at, in order) on `threads` threads; stops at the first failure. */
int lr_ingest_segments_pass(const char *const *paths, size_t n, const lr_ingest_segment *seg,
                            size_t nseg, size_t max_line, int threads, const lr_chunk_ops *ops,
                            void *ctx, lr_error *err);

/* A further pass over the input lr_ingest_spooled kept (through its
 * descriptor or its copy: lr_source_again) with `threads` threads (0: every
 * CPU), one BLAS thread each, checked after (lr_source_check). An error of a
 * chunk is reported at its place in the file. */
int lr_ingest_pass(lr_source *input, int threads, const lr_chunk_ops *ops, void *ctx,
                   lr_error *err);

#endif
