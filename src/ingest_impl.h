/*
 * ingest_impl.h — the chunks of the input, shared by the ingest module's own
 * files: ingest_split.c (cutting the input into chunks), ingest_pool.c (the
 * worker threads that evaluate them and the in-order fold) and ingest.c (the
 * passes). No other file includes it (scripts/include_graph.sh checks).
 */
#ifndef LR_INGEST_IMPL_H
#define LR_INGEST_IMPL_H

#include "byte_source.h"
#include "ingest.h"
#include "partial_io.h"

/* Nominal bytes per chunk. */
#define LR_CHUNK ((size_t)1 << 20)
/* Bytes read at a time past a chunk's nominal end, looking for its end. */
#define LR_OVERREAD ((size_t)64 << 10)

typedef struct chunk_job {
    char *buf;        /* the chunk's bytes (owned) */
    size_t cap;       /* buffer capacity */
    size_t len;       /* bytes of the chunk */
    uint64_t seq;     /* its number in the input (0: the one with the header) */
    int state;        /* 0 free, 1 queued, 2 running, 3 done */
    int rc;           /* result */
    lr_error err;     /* its error, lines counted from the chunk's first */
    void *result;     /* what eval made of it (owned until folded) */
    uint64_t lines;   /* physical lines in the chunk */
    size_t file;      /* the file it is from (several files), from 0 */
    uint64_t block;   /* its index in that file: its first row starts in
                         [block·LR_CHUNK, (block + 1)·LR_CHUNK) of the file */
    uint64_t raw_end; /* the input's raw (compressed) bytes up to the chunk's end: what
                         "reading" reports once it is folded */
    uint64_t offset;  /* the offset in its file of its first byte */
} chunk_job;

typedef struct splitter {
    lr_source *src;    /* the input */
    char *carry;       /* bytes read past the last chunk's end */
    size_t carry_len;  /* their number */
    size_t carry_cap;  /* capacity */
    int eof;           /* the current file is exhausted */
    int done;          /* every file is */
    size_t file;       /* the current file (several files), from 0 */
    uint64_t off;      /* offset in it of the next chunk's first byte (carry[0]) */
    uint64_t lines;    /* after a pass: the physical lines of its chunks */
    char last;         /* the last byte of the last chunk (0: none yet) */
    size_t max_line;   /* the longest row (line end excluded) the input may have */
    int overlong;      /* the last chunk stopped before a row longer than max_line:
                          nothing more is read, and that row is the error */
    uint64_t raw_end;  /* raw_end of the last chunk cut */
    uint64_t folded;   /* raw_end of the last chunk folded (progress: bytes done) */
    uint64_t stop;     /* entered (lr_ingest_enter): the input ends once the next
                          chunk would start at or past this offset (0: no end) */
    int owe_eol;       /* entered in a file other files follow: a line end is put
                          after its last row if it has none (once) */
    size_t eol_file;   /* the splitter's number of that file (stop applies in it only) */
    int end_file;      /* the input ends with file eol_file (an MPI rank 0's share) */
    uint64_t line_off; /* entered at block 0 of a file after the first: the file's
                          lines before its first data row (its header row) */
    char last_read;    /* the last byte read (0: none yet) */
} splitter;

/* The next chunk into j (its bytes, j->len; 0 at the end of the input):
 * ingest_split.c. */
int lr_ingest_next_chunk(splitter *s, chunk_job *j, lr_error *err);

/* The quote parity of b[0..n) (1: odd count of '"'). ingest_split.c. */
int lr_ingest_parity(const char *b, size_t n);

/* A splitter that cuts the chunks of the blocks [b0, b1) (b1 = 0: to its
 * end) of file `file` of the data set paths[0..n) exactly as the pass over
 * the data set cuts them (lr_source_open_files, split at each file), the
 * file's own bytes before b0·C − 1 not read. For b0 > 0 the file must be a
 * plain regular file and `odd` is the quote parity of its bytes [0, b0·C);
 * from b0 = 0 it may be gzip, and a file after the first starts past its
 * header row, checked against the first file's. The pass's line end after
 * a file without one that others follow is put after it too. s is zeroed
 * but for max_line, which the caller sets; s->file numbers the file 0 (or 1
 * after the first file's header row); the caller frees s->src and s->carry,
 * also on error. ingest_split.c. */
int lr_ingest_enter(splitter *s, const char *const *paths, size_t n, size_t file, uint64_t b0,
                    uint64_t b1, int odd, lr_error *err);

/* ---- ingest.c's first pass, for the MPI ranks' passes (ingest_ranks.c) ---- */

/* The context of the frame's chunk operations. */
typedef struct frame_pass {
    lr_frame *frame;           /* read only while workers run; folded into here */
    char delimiter;            /* the input's delimiter */
    const char *name;          /* for messages */
    const lr_fit_options *opt; /* for progress */
    const splitter *sp;        /* for progress: the bytes folded (sp->folded) */
    uint64_t total;            /* the input's size, 0 if unknown */
    const char *pass;          /* its name for progress (reading_pass) */
} frame_pass;

/* A chunk into an lr_chunk of fp->frame (lr_chunk_ops.eval; ctx: frame_pass). */
int lr_ingest_frame_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                         uint64_t *lines, lr_error *err);
/* The threads a pass may have, the calling one included (memory for their
 * BLAS buffers). */
int lr_ingest_pass_threads(int nthreads, int *threads, lr_error *err);
/* The pass that builds a frame from sp's input (the first chunk here, the
 * rest on the pool); more, if set, folds more chunks after sp's, before the
 * frame is finished. */
int lr_ingest_frame_read(splitter *sp, const lr_fit_options *opt, int nthreads, int keep_rows,
                         const lr_frame *bases, uint64_t nfiles, lr_partial_sink *sink,
                         const lr_ingest_more *more, lr_frame **out, char *delimiter,
                         lr_error *err);
/* The frame that the first chunk of `path` makes (header, delimiter, types;
 * that chunk folded), as the first pass over a data set starting with it. */
int lr_ingest_first_frame(const char *path, const lr_fit_options *opt, lr_frame **out,
                          char *delimiter, lr_error *err);

/* Evaluate sp's chunks on up to nthreads workers and fold them in order:
 * ingest_pool.c. */
int lr_ingest_run_pool(splitter *sp, const lr_chunk_ops *ops, void *ctx, int nthreads, uint64_t seq,
                       uint64_t lines_before, const char *name, lr_error *err);

#endif
