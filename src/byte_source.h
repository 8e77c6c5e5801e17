/*
 * byte_source.h — where the input's bytes come from (internal).
 */
#ifndef LR_BYTE_SOURCE_H
#define LR_BYTE_SOURCE_H

#include "internal.h"

typedef struct lr_source lr_source;

/* Open `path` ("-": standard input); gzip input is detected by its magic
 * bytes and decompressed transparently. Errors: "NAME: cannot open: ...",
 * "NAME: is a directory". */
int lr_source_open(const char *path, const char *display_name, lr_source **out, lr_error *err);
/* Several files read as one (source_concat.c): paths[0] whole, then the
 * rows of each other file, whose header row must match the first file's;
 * "-" at most once. n == 1: lr_source_open. max_line bounds the header rows
 * read (0: LR_MAX_LINE_DEFAULT); spool_limit is lr_source_spool's for each
 * stream among them (0: no copy), set before anything is read. The first
 * file is opened now, the others when the reading reaches them (their
 * errors come from lr_source_read). */
int lr_source_open_files(const char *const *paths, size_t n, size_t max_line, uint64_t spool_limit,
                         lr_source **out, lr_error *err);
/* Line `line` of s (of the concatenation, for several files): the name of
 * the file it is in and its line there (borrowed names, live as long as s). */
void lr_source_locate(const lr_source *s, uint64_t line, const char **name, uint64_t *local);
/* An error at "NAME:LINE[:COL]: " of s's concatenation made to name the file
 * and its line; anything else (or s of one file, or NULL) is left alone. */
void lr_source_relocate_error(const lr_source *s, lr_error *err);

/* The plain (not gzip) regular file `path` from byte `offset` on (its end if
 * beyond): an MPI rank reading its blocks of a file (ingest_split.c).
 * Errors: "PATH: cannot open: ...", LR_EUSAGE "PATH: cannot be read from an
 * offset (not a plain regular file)". */
int lr_source_open_at(const char *path, uint64_t offset, lr_source **out, lr_error *err);

/* Over a descriptor; owns_fd: close it in lr_source_free. */
int lr_source_open_fd(int fd, int owns_fd, const char *name, lr_source **out, lr_error *err);

/* Up to n bytes into buf; *got = 0 at the end. */
int lr_source_read(lr_source *s, char *buf, size_t n, size_t *got, lr_error *err);

/* 1 for an uncompressed regular file. */
int lr_source_regular(const lr_source *s);
/* The file's size for a regular file (compressed size if gzip), else 0. */
uint64_t lr_source_size(const lr_source *s);
/* Raw (compressed) bytes read so far: progress against lr_source_size. */
uint64_t lr_source_consumed(const lr_source *s);
int lr_source_is_gzip(const lr_source *s);
const char *lr_source_name(const lr_source *s);

void lr_source_free(lr_source *s);

/* ---- second passes ---- */

/* Keep a copy of the bytes s hands out (up to limit bytes; 0: none) in an
 * unnamed temporary file, if s is not a regular file: its second passes
 * read that copy. Call before the first lr_source_read. A copy that cannot
 * be made or outgrows the limit is given up, and lr_source_again_why says
 * so. */
void lr_source_spool(lr_source *s, uint64_t limit);

/* Several files (lr_source_open_files): from now on reads stop (0 bytes) at
 * the end of each file — after the line end added to a file whose last row
 * has none — until lr_source_next_file, which returns 1 with *start the
 * offset in the next file of the first byte it reads (the length of the
 * header row skipped), 0 after the last file (and always for one file), or
 * minus an error code. The chunker uses it to cut every file at its own
 * offsets. */
void lr_source_split_files(lr_source *s);
/* The name of file k (from 0) of s for messages; NULL beyond the last. */
const char *lr_source_file_name(const lr_source *s, size_t k);
int lr_source_next_file(lr_source *s, uint64_t *start, lr_error *err);
/* Several files, before the first read: the first file hands out its header
 * row only (its rows are another MPI rank's); nothing for one file. */
void lr_source_header_only(lr_source *s);

/* NULL if s, read to its end, can be read again (a regular file, or a
 * complete copy); otherwise why not, to follow its name in messages ("can be read
 * only once (a pipe or another stream) and ..."; borrowed, lives as long as
 * s). */
const char *lr_source_again_why(const lr_source *s);

/* A new source over the same bytes from their start, through s's
 * descriptor (pread; never by name) or its copy; s must outlive it (caller
 * frees with lr_source_free). A regular file is checked first
 * (lr_source_check). LR_EIO if it cannot be read again (the message says why). */
int lr_source_again(lr_source *s, lr_source **out, lr_error *err);

/* After a pass: a regular file's size and modification time (ns) as at open,
 * and, if the pass read to the end, as many bytes read as it had. Otherwise
 * LR_EIO "NAME: changed while being read: ...". LR_OK for anything else. */
int lr_source_check(const lr_source *s, lr_error *err);

/* Test builds only set this: called after every read of a descriptor
 * (LR_SOURCE_READ, n: reads of that source so far) and when a second pass
 * starts (LR_SOURCE_AGAIN), on the thread that reads; tests use it to change
 * or replace a file at a chosen moment. NULL otherwise. */
#define LR_SOURCE_READ 1  /* a read(2)/pread(2) of the input returned bytes */
#define LR_SOURCE_AGAIN 2 /* lr_source_again is about to reread */
extern void (*lr_source_test_hook)(int event, const char *name, uint64_t n);

/* ---- readers over a source (csv_reader.c) ---- */

/* A CSV reader over src (taken over: freed with the reader, also on failure). */
int lr_csv_open_source(lr_source *src, const lr_csv_options *opt, lr_csv **out, lr_error *err);
/* The reader's source (NULL for a buffer): for lr_source_check after its end. */
const lr_source *lr_csv_source(const lr_csv *r);

#endif
