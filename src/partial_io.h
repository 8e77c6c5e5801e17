/*
 * partial_io.h — partial fits: a first pass's state, saved losslessly and
 * merged (internal; partial_io.c, partial_merge.c; docs/design.md, "Partial
 * fits").
 */
#ifndef LR_PARTIAL_IO_H
#define LR_PARTIAL_IO_H

#include "byte_source.h"
#include "model_frame_impl.h"

/* The format's version: a part of another version is refused. */
#define LR_PARTIAL_VERSION 1u

/* A growing byte buffer of little-endian fields (the serialized form). */
typedef struct lr_pbuf {
    unsigned char *b; /* the bytes (owned) */
    size_t n;         /* used */
    size_t cap;       /* capacity */
    int failed;       /* an allocation failed: the buffer is unusable */
} lr_pbuf;

void lr_pbuf_bytes(lr_pbuf *p, const void *x, size_t n);
void lr_pbuf_u64(lr_pbuf *p, uint64_t x);
void lr_pbuf_f64(lr_pbuf *p, double x);                /* its bits, exactly */
void lr_pbuf_str(lr_pbuf *p, const char *s, size_t n); /* NULL: absent */
void lr_pbuf_free(lr_pbuf *p);

/* What `linreg fit --save-partial` gathers during its first pass. */
typedef struct lr_partial_sink {
    lr_pbuf header;      /* the first file's header row: its fields */
    uint64_t head_lines; /* the physical lines before its first data row */
    lr_pbuf files;       /* one record per file, in file order (lr_partial_put_file) */
    uint64_t nfiles;     /* records */
    uint64_t lines;      /* physical lines of the part's input (its concatenation) */
    int unterminated;    /* its last row has no line end */
    /* An MPI rank after the first (mpi_fit.c): its input is the first file's
     * header row, then its own files; the types are the first file's. */
    const unsigned char *types; /* per column: 1 text, 2 logical (lr_partial_get_types);
                                   NULL: decided by the first chunk as usual */
    char delimiter;             /* with types: the delimiter the first file's chunk read */
    const char *who;            /* who refuses what cannot be a part (NULL: --save-partial) */
    int rank0; /* an MPI rank 0's first pass (its frame for the second pass's ranks):
                  it refuses C(x, sum) itself (lr_ingest_rank0) */
} lr_partial_sink;

/* frame_files.c: the record of one file (see lr_frame_fold_file). */
int lr_partial_put_file(lr_partial_sink *s, const lr_frame *f, lr_levels *const *levels,
                        const uint32_t *colkeys, size_t k, const lr_accum *acc, lr_error *err);
/* ingest.c: the header row, as the first pass read it. */
void lr_partial_put_header(lr_partial_sink *s, const lr_csv_row *row);

/* The whole part — version, model options, header and column types, counts,
 * file names, the file records, XXH3 checksum — into *out (caller frees with
 * lr_pbuf_free); from the finished frame f of the fit of `names[0..n)`
 * with options opt, the delimiter read. The same bytes are what a later MPI
 * build would send between ranks. */
int lr_partial_serialize(const lr_partial_sink *s, const lr_frame *f, const lr_fit_options *opt,
                         char delimiter, const char *const *names, size_t n, lr_pbuf *out,
                         lr_error *err);

typedef struct lr_partial lr_partial;

/* The column types the frame f decided, types[0..f->ncsv) (1 text, 2
 * logical), as a part saves them; and given to a frame made from the same
 * header row (only the columns the model uses; before its first row). */
void lr_partial_get_types(const lr_frame *f, unsigned char *types);
void lr_partial_set_types(lr_frame *f, const unsigned char *types);

/* Read and check a part (magic, version, length, checksum, structure) from
 * bytes[0..len) (copied); `name` for messages. */
int lr_partial_parse(const void *bytes, size_t len, const char *name, lr_partial **out,
                     lr_error *err);
void lr_partial_free(lr_partial *p);

/* A part read from the file at path (named so in messages). */
int lr_partial_load(const char *path, lr_partial **out, lr_error *err);

/* Parts in order: all n in memory (mem), or (mem NULL) the first loaded and
 * each other read from paths[i] when it is wanted and freed after, so that
 * `linreg merge` holds one part at a time besides the first, whatever n. */
typedef struct lr_part_list {
    size_t n;                 /* parts */
    lr_partial *const *mem;   /* all of them, or NULL */
    lr_partial *first;        /* without mem: part 0 (model options point into it) */
    const char *const *paths; /* without mem: the files of parts 1..n-1 */
} lr_part_list;

/* The frame of the data set the parts cover, in order: each part's model
 * options must be the first's, and so its header and column types (all
 * checked before any is folded; a part read twice must be the same bytes);
 * opt (the caller's output options) gets the model options of the parts (its
 * strings borrowed from the first). *name: the data's name as the fit of the
 * files names it (caller frees with lr_mem_strfree); *nfiles: the data set's
 * files. */
int lr_partial_frame(const lr_part_list *parts, lr_fit_options *opt, lr_frame **out,
                     char *delimiter, char **name, uint64_t *nfiles, lr_error *err);

/* A part read back (partial_io.c), for partial_merge.c and fit_partial.c. */
struct lr_partial {
    char *name;               /* for messages (owned) */
    unsigned char *bytes;     /* the part (owned); the strings below point into it */
    size_t len;               /* its length */
    size_t spec_at, spec_len; /* the model options' section */
    size_t head_at, head_len; /* the header and column types' section */
    const char *formula;      /* model options, as lr_fit_options */
    const char *target;
    const char **features; /* (owned array) */
    size_t n_features;
    int features_absent; /* features was NULL */
    int intercept;
    const char *weights;
    int method;
    int na_action;
    const char **na_strings; /* (owned array) */
    size_t n_na;
    int na_absent;  /* na_strings was NULL */
    char delim_opt; /* the --delimiter given (0: detect) */
    uint64_t max_line;
    double ridge;
    int ridge_scale;
    const char *cluster;
    char delimiter;       /* the delimiter read */
    lr_csv_field *fields; /* the header row's fields (owned array) */
    size_t nfields;
    uint64_t head_lines;  /* physical lines before the first data row */
    unsigned char *types; /* per column: 1 text, 2 logical (owned) */
    size_t ncsv;
    uint64_t nfiles;        /* file records */
    uint64_t rows, dropped; /* counts of the fold */
    uint64_t nan_rows, nan_line, nan_var;
    lr_row_fp fp;       /* the rows' fingerprint, lines of the part's input */
    uint64_t lines;     /* physical lines of the part's input */
    int unterminated;   /* its last row has no line end (one is added when files
                           follow, as for several files read as one) */
    const char **names; /* the files' names (owned array) */
    size_t nnames;
    size_t files_at, files_end; /* the file records' section */
    uint64_t skip;              /* leading file records to pass over (an MPI rank's first,
                                   the header-only first file; set after parsing) */
};

/* Reading a part's file records in order. */
typedef struct lr_partial_cursor {
    const lr_partial *p; /* the part */
    size_t off;          /* the next record */
} lr_partial_cursor;

/* The next record: its levels interned into levels[v] (fresh tables, one per
 * factor variable of f), its column keys (*colkeys, caller frees: (k −
 * f->kfixed) × f->keywidth entries), *k, *acc (NULL: no observation). */
int lr_partial_get_file(lr_partial_cursor *pc, const lr_frame *f, lr_levels **levels,
                        uint32_t **colkeys, size_t *k, lr_accum **acc, lr_error *err);

/* ---- a parsed chunk as a record: what an MPI rank that splits a file's
 * chunks with others would send rank 0 (docs/design.md, "MPI") ---- */

/* Chunk c of block `block` of file `file`, `lines` physical lines, as a
 * record appended to p: its counts (rows, dropped, NaN rows, the rows'
 * fingerprint), its tables (levels in order of appearance, factor-term
 * column keys and origins: the chunk's own, which the fold maps into the
 * file's) and its accumulator's exact state. Not for a first pass of
 * data-dependent bases (LR_EUSAGE). */
int lr_partial_put_chunk(lr_pbuf *p, const lr_chunk *c, uint64_t file, uint64_t block,
                         uint64_t lines, lr_error *err);
/* A chunk whose evaluation failed (code, e: its error, lines counted from
 * the chunk's first): the fold relocates it by the lines before it. */
int lr_partial_put_chunk_error(lr_pbuf *p, uint64_t file, uint64_t block, int code,
                               const lr_error *e, lr_error *err);

/* A file after the first begins: line_off, its lines before its first data
 * row (its header row's), places its errors. */
void lr_partial_put_file_start(lr_pbuf *p, uint64_t file, uint64_t line_off);

/* A chunk record read back. */
typedef struct lr_chunk_record {
    uint64_t file;   /* its file (from 0) */
    uint64_t block;  /* its block in it (an error's: UINT64_MAX if its message
                        is placed already, else it is moved by the lines before it) */
    int start;       /* a file's start record (lines: its line_off) */
    uint64_t lines;  /* its physical lines (a chunk) */
    lr_chunk *chunk; /* the chunk, for lr_frame_fold_at (caller frees); NULL for an error */
    int rc;          /* an error record: its code (LR_OK for a chunk) */
    lr_error err;    /* and its error, lines counted from the chunk's first */
} lr_chunk_record;

/* The record at bytes[*off..len) (name for messages) into *out, a chunk's
 * made for the frame f (the frame of the same model, types decided); *off
 * moves past it. */
int lr_partial_get_chunk(const void *bytes, size_t len, size_t *off, const char *name,
                         const lr_frame *f, lr_chunk_record *out, lr_error *err);

/* fit_partial.c, for an MPI rank (mpi_fit.c): the part of the files
 * paths[lo..hi) of the data set paths[0..n) into *bytes (caller frees with
 * lr_pbuf_free): for lo > 0 made with the first file's header row and the
 * types its first chunk decides, so that its file records are those the fit
 * of all the files folds, after one header-only record (lr_partial.skip).
 * who names the refusal of what cannot be a part. */
int lr_fit_part(const char *const *paths, size_t n, size_t lo, size_t hi, const lr_fit_options *opt,
                const char *who, lr_pbuf *bytes, lr_error *err);
struct lr_diag_share;

/* For an MPI fit split by chunks (mpi_fit.c): LR_EUSAGE for what cannot be
 * split (as for a part; who names the refusal); and the fit of rank 0's
 * finished frame (taken over) with the second passes over paths[0..n), as
 * lr_fit_merge_parts does with --data, split among the ranks by share
 * (diagnostics.h). */
int lr_fit_split_check(const lr_fit_options *opt, const char *who, lr_error *err);
int lr_fit_split_finish(lr_frame *frame, char delimiter, const char *const *paths, size_t n,
                        const lr_fit_options *opt, const struct lr_diag_share *share, lr_fit **out,
                        lr_error *err);

/* What lr_fit_merge does with the parts (borrowed); share: a second pass
 * split among MPI ranks (diagnostics.h), or NULL. */
int lr_fit_merge_parts(const lr_part_list *parts, const char *const *data, size_t ndata,
                       const lr_fit_options *opt, const struct lr_diag_share *share, lr_fit **out,
                       lr_error *err);

#endif
