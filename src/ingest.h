/*
 * ingest.h — read, cut into chunks, evaluate on every core, fold (internal).
 */
#ifndef LR_INGEST_H
#define LR_INGEST_H

#include "model_frame.h"

/* At most this many worker threads. */
#define LR_INGEST_MAX_THREADS 256

/* Whether chunks of plain numeric models take the fused scan-and-convert
 * path (lr_chunk_add_text); 1 unless a test turns it off to compare. */
extern int lr_ingest_fused;

/* The worker count for a request (0: the CPUs this process may use). */
int lr_ingest_threads(int requested);

/*
 * Read `path` ("-": standard input; gzip detected), build the frame of the
 * model opt describes, and evaluate and fold every row with opt->threads
 * threads. On success *out is the finished frame (caller frees) and
 * *delimiter the delimiter used. opt->progress, if set, is called from this
 * thread after each chunk.
 */
int lr_ingest(const char *path, const lr_fit_options *opt, lr_frame **out, char *delimiter,
              lr_error *err);

/* The same, and when the input is not a regular file (standard input, a
 * pipe), its bytes (decompressed) are also written to a temporary file in
 * $TMPDIR (or /tmp) so that it can be read a second time: *spool is then its
 * path (the caller unlinks it and frees the string with lr_mem_strfree), or
 * NULL if the input was larger than spool_limit bytes or the file could not
 * be written (no second pass is possible then). spool_limit 0: no spool.
 * keep_rows: the frame also keeps its evaluated rows (lr_frame_keep_rows),
 * for second passes that need the model's rows but not the text: nonzero
 * keeps them, LR_KEEP_ROW_LINES with their lines. */
#define LR_KEEP_ROW_LINES 2
int lr_ingest_spooled(const char *path, const lr_fit_options *opt, uint64_t spool_limit,
                      int keep_rows, lr_frame **out, char *delimiter, char **spool, lr_error *err);

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
} lr_chunk_ops;

/* A further pass over `path` (a file: the input again, or its spool) with
 * `threads` threads (0: every CPU), one BLAS thread each. An error of a
 * chunk is reported at its place in the file. */
int lr_ingest_pass(const char *path, int threads, const lr_chunk_ops *ops, void *ctx,
                   lr_error *err);

#endif
