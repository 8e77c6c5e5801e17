/*
 * ingest.h — read, cut into chunks, evaluate on every core, fold (internal).
 */
#ifndef LR_INGEST_H
#define LR_INGEST_H

#include "model_frame.h"

/* At most this many worker threads. */
#define LR_INGEST_MAX_THREADS 256

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
 * be written (no second pass is possible then). spool_limit 0: no spool. */
int lr_ingest_spooled(const char *path, const lr_fit_options *opt, uint64_t spool_limit,
                      lr_frame **out, char *delimiter, char **spool, lr_error *err);

#endif
