/*
 * csv_fixture.h — what the CSV reader's suites share (test_csv_grammar.c,
 * test_csv_sources.c, test_csv_streaming.c, test_csv_memory.c): a growable
 * byte string, temporary files, a pipe written in uneven chunks by a thread,
 * a reader opened on the same bytes from a buffer, a file or a pipe, and a
 * comparison of two readers row by row.
 *
 * Check's assertions write to its message channel on every call, even when
 * they pass, so loops over millions of fields test with a plain `if` and call
 * into Check only to report a failure.
 */
#ifndef LR_CSV_FIXTURE_H
#define LR_CSV_FIXTURE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "test_util.h"

enum { BUF_SIZE = 1 << 20 }; /* the reader's buffer size, for boundary tests */

/* A growable byte string. */
typedef struct bytes {
    char *p;    /* the bytes (malloc'd) */
    size_t n;   /* their number */
    size_t cap; /* capacity */
} bytes;

/* Append data[0..n) (or the string s) to b, which stays NUL-terminated. */
void put(bytes *b, const void *data, size_t n);
void puts_(bytes *b, const char *s);

/* Write data to a temp file (*path, freed by remove_temp) and open it with
 * lr_csv_open; *rc is its status. */
lr_csv *open_temp(const char *data, size_t len, const char *name, const lr_csv_options *opt,
                  char **path, int *rc, lr_error *err);
/* Remove the temp file and free its path. */
void remove_temp(char *path);

/*
 * A thread that writes data to a pipe in chunks of varying size, so the
 * reader sees short reads. (A thread rather than a forked child: under
 * valgrind a child would report the parent's heap as its own leaks.)
 */
typedef struct pipe_writer {
    pthread_t thread; /* the writing thread */
    int fd;           /* write end of the pipe */
    const char *data; /* bytes to write (borrowed) */
    size_t len;       /* their number */
    int ok;           /* 1 if every byte was written */
} pipe_writer;

/* Start writing data into a new pipe; return its read end. */
int pipe_writer_start(pipe_writer *w, const char *data, size_t len);
/* Close the read end and wait for the writer; require that it wrote everything. */
void pipe_writer_finish(pipe_writer *w, int read_fd);

/* Read every row of a and of b and require the same fields, positions and
 * outcome. Returns the number of rows. */
uint64_t compare_readers(lr_csv *a, lr_csv *b);

/* How the bytes reach the reader: lr_csv_open_buffer on an exact-size copy
 * (ASan and valgrind catch any read past the end), lr_csv_open on a
 * temporary file, lr_csv_open_fd on a pipe written in uneven chunks. */
typedef enum csv_from { CSV_FROM_BUFFER, CSV_FROM_FILE, CSV_FROM_PIPE, CSV_FROM_COUNT } csv_from;
extern const char *const csv_from_name[CSV_FROM_COUNT]; /* "buffer", "file", "pipe" */

/* An open source of bytes for a reader, and what closing it needs. */
typedef struct csv_source {
    csv_from from; /* which kind */
    char *copy;    /* CSV_FROM_BUFFER: the copy (malloc'd) */
    char *path;    /* CSV_FROM_FILE: the temporary file (malloc'd) */
    pipe_writer w; /* CSV_FROM_PIPE: its writer */
    int fd;        /* CSV_FROM_PIPE: its read end */
} csv_source;

/* A reader of data[0..len) from `from`, named `name`; its opening must
 * succeed. Free it with csv_source_close. */
lr_csv *csv_source_open(csv_source *s, csv_from from, const char *data, size_t len,
                        const char *name, const lr_csv_options *opt);
/* Free r, then what s holds (the pipe's writer must have written all). */
void csv_source_close(csv_source *s, lr_csv *r);

#endif
