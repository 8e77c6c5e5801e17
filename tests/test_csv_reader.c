/*
 * test_csv_reader.c — the CSV reader: a table of inputs and the rows, fields
 * and positions (or errors) they must give, read both from memory and from a
 * file; then the streaming machinery: rows larger than the buffer, 100,000
 * columns, rows straddling buffer boundaries, pipes, standard input, open and
 * read errors, bounded memory, and allocation failures.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

enum { BUF_SIZE = 1 << 20 }; /* the reader's buffer size, for boundary tests */

/*
 * Check's assertions write to its message channel on every call, even when
 * they pass, so loops over millions of fields test with a plain `if` and call
 * into Check only to report a failure.
 */

/* ------------------------------------------------------------------------ */
/* A test allocator: counts live bytes, tracks the peak                     */
/* ------------------------------------------------------------------------ */

typedef struct test_alloc {
    size_t live; /* bytes currently allocated */
    size_t peak; /* largest value live reached */
} test_alloc;

static void *test_alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    test_alloc *a = ud;
    if (new_size == 0) {
        free(ptr);
        a->live -= old_size;
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (!p)
        return NULL;
    a->live = a->live - old_size + new_size;
    if (a->live > a->peak)
        a->peak = a->live;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* A growable byte string. */
typedef struct bytes {
    char *p;    /* the bytes (malloc'd) */
    size_t n;   /* their number */
    size_t cap; /* capacity */
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Write data to a temp file and open it with lr_csv_open. */
static lr_csv *open_temp(const char *data, size_t len, const char *name, const lr_csv_options *opt,
                         char **path, int *rc, lr_error *err)
{
    *path = lr_test_write_temp(data, len);
    lr_csv *r = NULL;
    *rc = lr_csv_open(*path, name, opt, &r, err);
    return r;
}

static void remove_temp(char *path)
{
    unlink(path);
    free(path);
}

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

static void *pipe_writer_main(void *arg)
{
    pipe_writer *w = arg;
    size_t off = 0, step = 1;
    w->ok = 1;
    while (off < w->len) {
        size_t n = w->len - off < step ? w->len - off : step;
        ssize_t k = write(w->fd, w->data + off, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->ok = 0;
            break;
        }
        off += (size_t)k;
        step = step * 3 % 100003 + 1; /* 1, 4, 13, ..., up to ~100 KB */
    }
    close(w->fd);
    return NULL;
}

/* Start writing data into a new pipe; return its read end. */
static int pipe_writer_start(pipe_writer *w, const char *data, size_t len)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    /* A reader that stops early must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    w->fd = fds[1];
    w->data = data;
    w->len = len;
    ck_assert_int_eq(pthread_create(&w->thread, NULL, pipe_writer_main, w), 0);
    return fds[0];
}

/* Close the read end and wait for the writer; require that it wrote everything. */
static void pipe_writer_finish(pipe_writer *w, int read_fd)
{
    close(read_fd);
    ck_assert_int_eq(pthread_join(w->thread, NULL), 0);
    ck_assert_msg(w->ok, "pipe writer failed");
}

/*
 * Read every row of a and of b and require the same fields, positions and
 * outcome. Returns the number of rows.
 */
static uint64_t compare_readers(lr_csv *a, lr_csv *b)
{
    uint64_t rows = 0;
    for (;;) {
        lr_csv_row ra, rb;
        int ha, hb;
        lr_error ea, eb;
        int ca = lr_csv_next(a, &ra, &ha, &ea);
        int cb = lr_csv_next(b, &rb, &hb, &eb);
        if (ca != cb || ha != hb)
            ck_abort_msg("row %llu: rc %d/%d, has_row %d/%d", (unsigned long long)rows, ca, cb, ha,
                         hb);
        if (ca) {
            ck_assert_str_eq(ea.message, eb.message);
            return rows;
        }
        if (!ha)
            return rows;
        if (ra.nfields != rb.nfields || ra.line != rb.line || ra.index != rb.index ||
            ra.index != rows)
            ck_abort_msg("row %llu: nfields %zu/%zu line %llu/%llu", (unsigned long long)rows,
                         ra.nfields, rb.nfields, (unsigned long long)ra.line,
                         (unsigned long long)rb.line);
        for (size_t j = 0; j < ra.nfields; j++) {
            const lr_csv_field *fa = &ra.fields[j], *fb = &rb.fields[j];
            if (fa->len != fb->len || memcmp(fa->data, fb->data, fa->len) != 0 ||
                fa->line != fb->line || fa->col != fb->col || fa->quoted != fb->quoted)
                ck_abort_msg("row %llu field %zu: \"%.*s\" %llu:%llu q%d vs \"%.*s\" %llu:%llu q%d",
                             (unsigned long long)rows, j, (int)(fa->len > 40 ? 40 : fa->len),
                             fa->data, (unsigned long long)fa->line, (unsigned long long)fa->col,
                             fa->quoted, (int)(fb->len > 40 ? 40 : fb->len), fb->data,
                             (unsigned long long)fb->line, (unsigned long long)fb->col, fb->quoted);
        }
        rows++;
    }
}

/* ------------------------------------------------------------------------ */
/* Table of cases                                                           */
/* ------------------------------------------------------------------------ */

typedef struct exp_field {
    int row;          /* 0-based row the field belongs to */
    const char *text; /* expected bytes; NULL ends the list */
    uint64_t line;    /* expected physical line */
    uint64_t col;     /* expected byte column */
    int quoted;       /* expected quoted flag */
    size_t len;       /* length of text when it holds NUL bytes (0: strlen) */
} exp_field;

typedef struct csv_case {
    const char *name;     /* what the case is about */
    const char *in;       /* input bytes */
    size_t in_len;        /* their number (0: strlen) */
    char delim;           /* lr_csv_options.delimiter (0: detect) */
    char want_delim;      /* delimiter the reader must report */
    int want_rc;          /* LR_OK, or the error after the listed rows */
    const char *want_msg; /* the error message */
    uint64_t err_line;    /* the error's line */
    uint64_t err_col;     /* the error's column */
    exp_field f[16];      /* expected fields, row by row */
} csv_case;

/* clang-format off */
static const csv_case cases[] = {
    {"simple", "a,b,c\n1,2,3\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3", 2, 5, 0, 0}}},
    {"crlf", "a,b\r\n10,20\r\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "10", 2, 1, 0, 0}, {1, "20", 2, 4, 0, 0}}},
    {"lone cr", "a,b\r1,2\r3,4", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0},
      {2, "3", 3, 1, 0, 0}, {2, "4", 3, 3, 0, 0}}},
    {"empty lines of each kind", "\na\n\n\r\n\r\rb\r\n\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 2, 1, 0, 0}, {1, "b", 7, 1, 0, 0}}},
    {"cr cr lf", "a\r\r\nb\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "b", 3, 1, 0, 0}}},
    {"bom", "\xEF\xBB\xBFx,y\n1,2\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x", 1, 1, 0, 0}, {0, "y", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}}},
    {"bom then quote", "\xEF\xBB\xBF\"x\",y\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x", 1, 1, 1, 0}, {0, "y", 1, 5, 0, 0}}},
    {"bom only", "\xEF\xBB\xBF", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"bom not at start", "a\n\xEF\xBB\xBF" "b\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "\xEF\xBB\xBF" "b", 2, 1, 0, 0}}},
    {"quotes, escapes, delimiter and newline inside",
     "\"a\"\"b\",\"c,d\"\n\"e\nf\",g\nh,i\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a\"b", 1, 1, 1, 0}, {0, "c,d", 1, 8, 1, 0}, {1, "e\nf", 2, 1, 1, 0},
      {1, "g", 3, 4, 0, 0}, {2, "h", 4, 1, 0, 0}, {2, "i", 4, 3, 0, 0}}},
    {"crlf and cr inside quotes", "\"x\r\ny\",z\r\n\"a\rb\",c\rd\r", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x\r\ny", 1, 1, 1, 0}, {0, "z", 2, 4, 0, 0}, {1, "a\rb", 3, 1, 1, 0},
      {1, "c", 4, 4, 0, 0}, {2, "d", 5, 1, 0, 0}}},
    {"empty lines inside quotes are data", "\"\n\n\",x\n\ny\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "\n\n", 1, 1, 1, 0}, {0, "x", 3, 3, 0, 0}, {1, "y", 5, 1, 0, 0}}},
    {"escapes only", "\"\"\"\"\n\"\"\"\"\"\"\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "\"", 1, 1, 1, 0}, {1, "\"\"", 2, 1, 1, 0}}},
    {"several escaped fields", "\"a\"\"\",b,\"\"\"c\",\"d\"\"e\"\"f\"\n", 0, 0, ',', LR_OK, NULL, 0,
     0,
     {{0, "a\"", 1, 1, 1, 0}, {0, "b", 1, 7, 0, 0}, {0, "\"c", 1, 9, 1, 0},
      {0, "d\"e\"f", 1, 15, 1, 0}}},
    {"empty quoted field", "\"\",x\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "", 1, 1, 1, 0}, {0, "x", 1, 4, 0, 0}}},
    {"empty fields", ",,\n,\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "", 1, 1, 0, 0}, {0, "", 1, 2, 0, 0}, {0, "", 1, 3, 0, 0}, {1, "", 2, 1, 0, 0},
      {1, "", 2, 2, 0, 0}}},
    {"last line without line end", "a,b\n1,2", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}}},
    {"trailing delimiter at eof", "a,b,", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "", 1, 5, 0, 0}}},
    {"quoted field at eof", "a,\"b\"", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 1, 0}}},
    {"quoted field and blanks at eof", "a,\"b\"  ", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 1, 0}}},
    {"only empty lines", "\n\r\n\r\n\n", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"empty input", "", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"a line of blanks is a row", "a\n   \n\t\nb\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "   ", 2, 1, 0, 0}, {2, "\t", 3, 1, 0, 0},
      {3, "b", 4, 1, 0, 0}}},
    {"blanks in unquoted fields are kept", " 1 , 2 \n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, " 1 ", 1, 1, 0, 0}, {0, " 2 ", 1, 5, 0, 0}}},
    {"blanks around quoted fields", "  \"a\"  ,b\n\t\"c\"\t,\" d \"\n", 0, 0, ',', LR_OK, NULL,
     0, 0,
     {{0, "a", 1, 1, 1, 0}, {0, "b", 1, 9, 0, 0}, {1, "c", 2, 1, 1, 0},
      {1, " d ", 2, 7, 1, 0}}},
    {"tab delimiter: only spaces pad", "\"a\"\t \"b\" \n\t\"c\"\n", 0, '\t', '\t', LR_OK,
     NULL, 0, 0,
     {{0, "a", 1, 1, 1, 0}, {0, "b", 1, 5, 1, 0}, {1, "", 2, 1, 0, 0},
      {1, "c", 2, 2, 1, 0}}},
    {"non-utf-8 bytes are data", "a\xe9" "b,\xff\xfe\n\"\xe9\",\x80\n", 0, 0, ',', LR_OK,
     NULL, 0, 0,
     {{0, "a\xe9" "b", 1, 1, 0, 0}, {0, "\xff\xfe", 1, 5, 0, 0}, {1, "\xe9", 2, 1, 1, 0},
      {1, "\x80", 2, 5, 0, 0}}},
    /* a NUL byte: binary data, or UTF-16 — an error where it is, quoted or not */
    {"nul byte unquoted", "a,b\n1,2\0\n", 10, 0, ',', LR_EPARSE,
     "t.csv:2:4: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     2, 4, {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"nul byte quoted", "a,b\n1,\"x\0\"\n", 11, 0, ',', LR_EPARSE,
     "t.csv:2:5: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     2, 5, {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"utf-16 text", "\xff\xfe" "a\0,\0b\0\n\0", 11, ',', ',', LR_EPARSE,
     "t.csv:1:4: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     1, 4, {{0, NULL, 0, 0, 0, 0}}},
    /* delimiter detection */
    {"detect semicolon", "a;b;c\n1,5;2,5;3\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1,5", 2, 1, 0, 0}, {1, "2,5", 2, 5, 0, 0}, {1, "3", 2, 9, 0, 0}}},
    {"detect tab", "a\tb\n1 2\t3\n", 0, 0, '\t', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1 2", 2, 1, 0, 0},
      {1, "3", 2, 5, 0, 0}}},
    {"detect pipe", "a|b|c\n1|2|3\n", 0, 0, '|', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3", 2, 5, 0, 0}}},
    {"detect: tie goes to comma", "a,b;c\n1,2;3\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b;c", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2;3", 2, 3, 0, 0}}},
    {"detect: tie semicolon over tab", "a;b\tc\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b\tc", 1, 3, 0, 0}}},
    {"detect: largest consistent count", "a;b;c,d\n1;2;3,4\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c,d", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3,4", 2, 5, 0, 0}}},
    {"detect: consistent beats frequent", "a;b,c,d\n1;2\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b,c,d", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2", 2, 3, 0, 0}}},
    {"detect: none consistent, most on first line", "a|b|c;d\n1;2;3\n4\n", 0, 0, '|', LR_OK,
     NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c;d", 1, 5, 0, 0},
      {1, "1;2;3", 2, 1, 0, 0}, {2, "4", 3, 1, 0, 0}}},
    {"detect: none present", "abc\n1\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "abc", 1, 1, 0, 0}, {1, "1", 2, 1, 0, 0}}},
    {"detect: quoted delimiters do not count", "\"a;b;c\",d\n1,2\n", 0, 0, ',', LR_OK, NULL, 0,
     0,
     {{0, "a;b;c", 1, 1, 1, 0}, {0, "d", 1, 9, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2", 2, 3, 0, 0}}},
    {"detect: quoted commas do not count", "a;\"x,y\"\nb;\"z,w\"\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "x,y", 1, 3, 1, 0}, {1, "b", 2, 1, 0, 0},
      {1, "z,w", 2, 3, 1, 0}}},
    {"detect: quoted newline joins lines", "a;\"x\ny;z\";b\n1;2;3\n", 0, 0, ';', LR_OK, NULL, 0,
     0,
     {{0, "a", 1, 1, 0, 0}, {0, "x\ny;z", 1, 3, 1, 0}, {0, "b", 2, 6, 0, 0},
      {1, "1", 3, 1, 0, 0}, {1, "2", 3, 3, 0, 0}, {1, "3", 3, 5, 0, 0}}},
    {"detect: empty lines are not sampled", "a|b\n\n1|2\n", 0, 0, '|', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 3, 1, 0, 0}, {1, "2", 3, 3, 0, 0}}},
    {"given delimiter", "a,b;c\n", 0, ';', ';', LR_OK, NULL, 0, 0,
     {{0, "a,b", 1, 1, 0, 0}, {0, "c", 1, 5, 0, 0}}},
    {"given space delimiter", "a \"b c\" d\n", 0, ' ', ' ', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b c", 1, 3, 1, 0}, {0, "d", 1, 9, 0, 0}}},
    /* errors */
    {"unterminated quote", "a,b\n1,\"xy\nz\n", 0, 0, ',', LR_EPARSE,
     "t.csv:2:3: unterminated quoted field", 2, 3,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"unterminated quote after blanks", "a,  \"x", 0, 0, ',', LR_EPARSE,
     "t.csv:1:5: unterminated quoted field", 1, 5, {{0, NULL, 0, 0, 0, 0}}},
    {"unterminated quote ending in an escape", "\"x\"\"", 0, 0, ',', LR_EPARSE,
     "t.csv:1:1: unterminated quoted field", 1, 1, {{0, NULL, 0, 0, 0, 0}}},
    {"unterminated quote ending in cr", "x\n\"a\r", 0, 0, ',', LR_EPARSE,
     "t.csv:2:1: unterminated quoted field", 2, 1, {{0, "x", 1, 1, 0, 0}}},
    {"stray quote", "a,b\"c\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:4: unexpected quote in unquoted field", 1, 4, {{0, NULL, 0, 0, 0, 0}}},
    {"stray quote after blanks and text", "x\n1, 2\"\n", 0, 0, ',', LR_EPARSE,
     "t.csv:2:5: unexpected quote in unquoted field", 2, 5, {{0, "x", 1, 1, 0, 0}}},
    {"text after closing quote", "\"a\"x,b\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:4: unexpected character after closing quote", 1, 4, {{0, NULL, 0, 0, 0, 0}}},
    {"second quoted string after blanks", "\"a\" \"b\"\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:5: unexpected character after closing quote", 1, 5, {{0, NULL, 0, 0, 0, 0}}},
    {"text after a multi-line quoted field", "h\n\"a\nbc\"d\n", 0, 0, ',', LR_EPARSE,
     "t.csv:3:4: unexpected character after closing quote", 3, 4, {{0, "h", 1, 1, 0, 0}}},
    {"tab after closing quote with tab delimiter is a delimiter", "\"a\"\t\"b\" x\n", 0, '\t',
     '\t', LR_EPARSE, "t.csv:1:9: unexpected character after closing quote", 1, 9,
     {{0, NULL, 0, 0, 0, 0}}},
};
/* clang-format on */

/* Read all rows of r and compare them with the case's expectations. */
static void check_case(const csv_case *c, lr_csv *r, const char *how)
{
    ck_assert_msg(lr_csv_delimiter(r) == c->want_delim, "%s (%s): delimiter '%c'", c->name, how,
                  lr_csv_delimiter(r));
    ck_assert_str_eq(lr_csv_name(r), "t.csv");
    size_t k = 0;
    int nrow = 0;
    for (;;) {
        lr_csv_row row;
        int has_row = -1;
        lr_error err;
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc) {
            ck_assert_msg(rc == c->want_rc, "%s (%s): rc %d (%s)", c->name, how, rc, err.message);
            ck_assert_int_eq(has_row, 0);
            ck_assert_str_eq(err.message, c->want_msg);
            ck_assert_int_eq(err.code, c->want_rc);
            ck_assert_uint_eq(err.line, c->err_line);
            ck_assert_uint_eq(err.col, c->err_col);
            break;
        }
        if (!has_row) {
            ck_assert_msg(c->want_rc == LR_OK, "%s (%s): no error", c->name, how);
            break;
        }
        ck_assert_uint_eq(row.index, (uint64_t)nrow);
        ck_assert_msg(c->f[k].text && c->f[k].row == nrow, "%s (%s): unexpected row %d", c->name,
                      how, nrow);
        ck_assert_uint_eq(row.line, c->f[k].line);
        size_t j = 0;
        for (; c->f[k].text && c->f[k].row == nrow; k++, j++) {
            const exp_field *e = &c->f[k];
            ck_assert_msg(j < row.nfields, "%s (%s): row %d has %zu fields", c->name, how, nrow,
                          row.nfields);
            const lr_csv_field *f = &row.fields[j];
            size_t len = e->len ? e->len : strlen(e->text);
            ck_assert_msg(f->len == len && memcmp(f->data, e->text, len) == 0,
                          "%s (%s): row %d field %zu is \"%.*s\"", c->name, how, nrow, j,
                          (int)f->len, f->data);
            ck_assert_msg(f->line == e->line && f->col == e->col && f->quoted == e->quoted,
                          "%s (%s): row %d field %zu at %llu:%llu quoted %d", c->name, how, nrow, j,
                          (unsigned long long)f->line, (unsigned long long)f->col, f->quoted);
        }
        ck_assert_msg(j == row.nfields, "%s (%s): row %d has %zu fields, expected %zu", c->name,
                      how, nrow, row.nfields, j);
        nrow++;
    }
    ck_assert_msg(c->f[k].text == NULL, "%s (%s): only %d rows", c->name, how, nrow);
}

START_TEST(test_table_buffer)
{
    const csv_case *c = &cases[_i];
    size_t len = c->in_len ? c->in_len : strlen(c->in);
    lr_csv_options opt = {c->delim, 0};
    lr_csv *r = NULL;
    lr_error err;
    /* An exact-size copy: ASan and valgrind catch any read past the end. */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, c->in, len);
    ck_assert_int_eq(lr_csv_open_buffer(copy, len, "t.csv", &opt, &r, &err), LR_OK);
    check_case(c, r, "buffer");
    lr_csv_free(r);
    free(copy);
}
END_TEST

START_TEST(test_table_file)
{
    const csv_case *c = &cases[_i];
    size_t len = c->in_len ? c->in_len : strlen(c->in);
    lr_csv_options opt = {c->delim, 0};
    char *path;
    int rc;
    lr_error err;
    lr_csv *r = open_temp(c->in, len, "t.csv", c->delim ? &opt : NULL, &path, &rc, &err);
    ck_assert_msg(rc == LR_OK, "%s", err.message);
    check_case(c, r, "file");
    lr_csv_free(r);
    remove_temp(path);
}
END_TEST

START_TEST(test_table_pipe)
{
    const csv_case *c = &cases[_i];
    size_t len = c->in_len ? c->in_len : strlen(c->in);
    lr_csv_options opt = {c->delim, 0};
    pipe_writer w;
    int fd = pipe_writer_start(&w, c->in, len);
    lr_csv *r = NULL;
    lr_error err;
    ck_assert_int_eq(lr_csv_open_fd(fd, "t.csv", &opt, &r, &err), LR_OK);
    check_case(c, r, "pipe");
    lr_csv_free(r);
    pipe_writer_finish(&w, fd);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Behaviour around the table                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_end_and_errors_are_sticky)
{
    lr_csv *r;
    lr_error err;
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_open_buffer("a\n", 2, NULL, NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "<buffer>");
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 1);
    for (int i = 0; i < 3; i++) {
        has_row = -1;
        ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
        ck_assert_int_eq(has_row, 0);
    }
    lr_csv_free(r);

    ck_assert_int_eq(lr_csv_open_buffer("a\"b\nc\n", 6, "e.csv", NULL, &r, &err), LR_OK);
    for (int i = 0; i < 3; i++) {
        has_row = -1;
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_EPARSE);
        ck_assert_int_eq(has_row, 0);
        ck_assert_str_eq(err.message, "e.csv:1:2: unexpected quote in unquoted field");
    }
    /* A NULL error pointer is allowed. */
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, NULL), LR_EPARSE);
    lr_csv_free(r);
    lr_csv_free(NULL);

    ck_assert_int_eq(lr_csv_open_buffer(NULL, 0, "n", NULL, &r, &err), LR_OK);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 0);
    lr_csv_free(r);
}
END_TEST

START_TEST(test_invalid_delimiter)
{
    static const char bad[] = {'"', '\n', '\r'};
    for (size_t i = 0; i < sizeof bad; i++) {
        lr_csv_options opt = {bad[i], 0};
        lr_csv *r = (lr_csv *)&opt; /* must be reset to NULL */
        lr_error err;
        ck_assert_int_eq(lr_csv_open_buffer("a\n", 2, "d.csv", &opt, &r, &err), LR_EUSAGE);
        ck_assert_ptr_null(r);
        ck_assert_msg(strncmp(err.message, "d.csv: invalid delimiter", 24) == 0, "%s", err.message);
    }
}
END_TEST

/* The fields array and scratch are reused; earlier rows do not leak into later ones. */
START_TEST(test_reuse_between_rows)
{
    const char *in = "\"a\"\"\",b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n"
                     "\"x\"\"y\"\"z\"\n"
                     "1,2\n";
    lr_csv *r;
    lr_error err;
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_open_buffer(in, strlen(in), "r", NULL, &r, &err), LR_OK);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 20);
    ck_assert_int_eq((int)row.fields[0].len, 2);
    ck_assert(memcmp(row.fields[0].data, "a\"", 2) == 0);
    ck_assert(row.fields[19].len == 1 && row.fields[19].data[0] == 't');
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 1);
    ck_assert(row.fields[0].len == 5 && memcmp(row.fields[0].data, "x\"y\"z", 5) == 0);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert(row.fields[1].len == 1 && row.fields[1].data[0] == '2' && !row.fields[1].quoted);
    ck_assert_uint_eq(row.index, 2);
    ck_assert_uint_eq(row.line, 3);
    lr_csv_free(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Sources and their errors                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_open_missing)
{
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open("/nonexistent-dir/x.csv", NULL, NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.message, "/nonexistent-dir/x.csv: cannot open: No such file or directory");
    ck_assert_int_eq(err.code, LR_EIO);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_int_eq(lr_csv_open("/nonexistent-dir/x.csv", "data", NULL, &r, &err), LR_EIO);
    ck_assert_str_eq(err.message, "data: cannot open: No such file or directory");
}
END_TEST

START_TEST(test_open_directory)
{
    char dir[] = "/tmp/linreg-dir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open(dir, NULL, NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    char want[256];
    snprintf(want, sizeof want, "%s: is a directory", dir);
    ck_assert_str_eq(err.message, want);
    rmdir(dir);
}
END_TEST

START_TEST(test_read_error)
{
    char *path = lr_test_write_temp("a,b\n", 4);
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    lr_csv *r = (lr_csv *)&r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open_fd(fd, "w.csv", NULL, &r, &err), LR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.message, "w.csv: read error: Bad file descriptor");
    /* The caller's descriptor is still open. */
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
    close(fd);
    remove_temp(path);
}
END_TEST

START_TEST(test_open_fd_pipe)
{
    /* ~600 KB through a pipe (far more than a pipe holds), written in uneven chunks. */
    bytes b = {0};
    puts_(&b, "id;name;value\n");
    for (int i = 0; i < 30000; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d;\"n;%d\";%d.5\n", i, i % 97, i * 7);
        puts_(&b, line);
    }
    pipe_writer w;
    int fd = pipe_writer_start(&w, b.p, b.n);
    lr_csv *a, *m;
    lr_error err;
    ck_assert_int_eq(lr_csv_open_fd(fd, "p.csv", NULL, &a, &err), LR_OK);
    ck_assert_int_eq(lr_csv_delimiter(a), ';');
    ck_assert_str_eq(lr_csv_name(a), "p.csv");
    ck_assert_int_eq(lr_csv_open_buffer(b.p, b.n, "p.csv", NULL, &m, &err), LR_OK);
    ck_assert_uint_eq(compare_readers(a, m), 30001);
    lr_csv_free(a);
    lr_csv_free(m);
    /* lr_csv_free leaves the caller's descriptor open. */
    ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
    pipe_writer_finish(&w, fd);
    free(b.p);
}
END_TEST

START_TEST(test_open_stdin)
{
    const char *in = "x|y\n1|2\n";
    char *path = lr_test_write_temp(in, strlen(in));
    int saved = dup(0);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, 0), 0);
    close(fd);
    lr_csv *r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open("-", NULL, NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "<stdin>");
    ck_assert_int_eq(lr_csv_delimiter(r), '|');
    lr_csv_row row;
    int has_row, n = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row)
        n++;
    ck_assert_int_eq(n, 2);
    lr_csv_free(r);
    ck_assert_int_ne(fcntl(0, F_GETFD), -1); /* stdin is not closed */
    ck_assert_int_eq(lseek(0, 0, SEEK_SET), 0);
    ck_assert_int_eq(lr_csv_open("-", "input", NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "input");
    lr_csv_free(r);
    dup2(saved, 0);
    close(saved);
    remove_temp(path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Large rows and many columns                                              */
/* ------------------------------------------------------------------------ */

START_TEST(test_row_larger_than_buffer)
{
    enum { BIG = 3 << 20 };
    bytes b = {0};
    puts_(&b, "h1,h2\n");
    /* An unquoted 3 MB field. */
    char *x = malloc(BIG);
    memset(x, 'x', BIG);
    put(&b, x, BIG);
    puts_(&b, ",1\n");
    /* A quoted 3 MB field with escapes and newlines. */
    puts_(&b, "2,\"");
    for (size_t i = 0; i < BIG / 4; i++)
        puts_(&b, i % 1000 == 999 ? "a\n\"\"" : "ab\"\"");
    puts_(&b, "\"\nlast,row\n");

    char *path;
    int rc;
    lr_error err;
    lr_csv *r = open_temp(b.p, b.n, "big.csv", NULL, &path, &rc, &err);
    ck_assert_int_eq(rc, LR_OK);
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert_uint_eq(row.fields[0].len, BIG);
    ck_assert(memcmp(row.fields[0].data, x, BIG) == 0);
    ck_assert(row.fields[1].len == 1 && row.fields[1].data[0] == '1');
    ck_assert_uint_eq(row.fields[1].col, BIG + 2);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert_uint_eq(row.line, 3);
    const lr_csv_field *f = &row.fields[1];
    ck_assert_int_eq(f->quoted, 1);
    ck_assert_uint_eq(f->len, (BIG / 4) * 3);
    size_t newlines = 0;
    for (size_t i = 0; i < f->len; i++)
        newlines += f->data[i] == '\n';
    ck_assert_uint_eq(newlines, BIG / 4 / 1000);
    ck_assert(memcmp(f->data, "ab\"ab\"", 6) == 0);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 1);
    ck_assert_uint_eq(row.line, 4 + newlines);
    ck_assert(row.fields[1].len == 3 && memcmp(row.fields[1].data, "row", 3) == 0);
    ck_assert_uint_eq(row.fields[1].col, 6);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 0);
    lr_csv_free(r);

    /* The same through a pipe, and from memory. */
    pipe_writer w;
    int fd = pipe_writer_start(&w, b.p, b.n);
    lr_csv *p, *m;
    ck_assert_int_eq(lr_csv_open_fd(fd, "big.csv", NULL, &p, &err), LR_OK);
    ck_assert_int_eq(lr_csv_open_buffer(b.p, b.n, "big.csv", NULL, &m, &err), LR_OK);
    ck_assert_uint_eq(compare_readers(p, m), 4);
    lr_csv_free(p);
    lr_csv_free(m);
    pipe_writer_finish(&w, fd);

    remove_temp(path);
    free(x);
    free(b.p);
}
END_TEST

START_TEST(test_many_columns)
{
    enum { NCOL = 100000 };
    bytes b = {0};
    char cell[32];
    for (int j = 0; j < NCOL; j++) {
        snprintf(cell, sizeof cell, j ? "\tc%d" : "c%d", j);
        puts_(&b, cell);
    }
    puts_(&b, "\r\n");
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < NCOL; j++) {
            snprintf(cell, sizeof cell, j ? "\t%d.%d" : "%d.%d", i, j);
            puts_(&b, cell);
        }
        puts_(&b, "\r\n");
    }
    char *path;
    int rc;
    lr_error err;
    lr_csv *r = open_temp(b.p, b.n, "wide.tsv", NULL, &path, &rc, &err);
    ck_assert_int_eq(rc, LR_OK);
    ck_assert_int_eq(lr_csv_delimiter(r), '\t');
    lr_csv_row row;
    int has_row, nrow = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row) {
        ck_assert_uint_eq(row.nfields, NCOL);
        ck_assert_uint_eq(row.line, (uint64_t)nrow + 1);
        uint64_t col = 1;
        for (int j = 0; j < NCOL; j++) {
            if (nrow == 0)
                snprintf(cell, sizeof cell, "c%d", j);
            else
                snprintf(cell, sizeof cell, "%d.%d", nrow - 1, j);
            const lr_csv_field *f = &row.fields[j];
            if (f->len != strlen(cell) || memcmp(f->data, cell, f->len) != 0 || f->col != col ||
                f->line != (uint64_t)nrow + 1)
                ck_abort_msg("row %d column %d: \"%.*s\" at col %llu", nrow, j, (int)f->len,
                             f->data, (unsigned long long)f->col);
            col += f->len + 1;
        }
        nrow++;
    }
    ck_assert_int_eq(nrow, 4);
    lr_csv_free(r);
    remove_temp(path);
    free(b.p);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Rows straddling buffer boundaries                                        */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/* A generated input and the fields it must give: text in `text`, positions alongside. */
typedef struct gen_field {
    size_t off, len; /* the expected bytes: text.p[off..off+len) */
    uint64_t row;    /* row index */
    uint64_t line;   /* physical line */
    uint64_t col;    /* byte column */
    int quoted;      /* quoted flag */
} gen_field;

typedef struct gen {
    bytes out;       /* the CSV bytes */
    bytes text;      /* expected field contents, concatenated */
    gen_field *f;    /* expected fields */
    size_t nf, capf; /* their number and capacity */
    uint64_t line;   /* line of the next byte */
    uint64_t col;    /* column of the next byte */
    int last_cr;     /* the last byte written was a CR */
} gen;

/* Emit bytes, tracking lines and columns as the reader must count them. */
static void emit(gen *g, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' && g->last_cr) {
            g->col = 1; /* second half of a CRLF */
        } else if (c == '\n' || c == '\r') {
            g->line++;
            g->col = 1;
        } else {
            g->col++;
        }
        g->last_cr = c == '\r';
    }
    put(&g->out, s, n);
}

static void emits(gen *g, const char *s)
{
    emit(g, s, strlen(s));
}

static const char *line_end(void)
{
    static const char *ends[] = {"\n", "\n", "\n", "\r\n", "\r\n", "\r"};
    return ends[rnd(6)];
}

/*
 * Generate about `target` bytes of valid CSV: numbers, words, blanks, empty
 * fields, quoted fields with "" and the delimiter and every kind of line end
 * inside, blanks around quotes, empty lines, all three line ends.
 */
static void generate(gen *g, size_t target, char delim)
{
    static const char *words[] = {"alpha", "b",  "Gamma delta", "3.25", "-17",
                                  "1e-5",  "NA", "x y z",       "",     "  padded  "};
    memset(g, 0, sizeof *g);
    g->line = 1;
    g->col = 1;
    if (rnd(2))
        put(&g->out, "\xEF\xBB\xBF", 3); /* not counted in columns */
    uint64_t row = 0;
    while (g->out.n < target) {
        if (rnd(20) == 0)
            emits(g, line_end()); /* an empty line */
        unsigned nfields = 1 + rnd(rnd(10) == 0 ? 40 : 8);
        for (unsigned j = 0; j < nfields; j++) {
            if (j)
                emit(g, &delim, 1);
            if (g->nf == g->capf) {
                g->capf = g->capf ? g->capf * 2 : 1024;
                g->f = realloc(g->f, g->capf * sizeof *g->f);
            }
            gen_field *f = &g->f[g->nf++];
            f->row = row;
            f->line = g->line;
            f->col = g->col;
            f->off = g->text.n;
            unsigned kind = rnd(10);
            if (kind < 5) {
                /* unquoted: a number or a word (never blank-only alone on a line) */
                char tmp[64];
                if (kind < 3)
                    snprintf(tmp, sizeof tmp, "%u.%u", rnd(100000), rnd(1000));
                else
                    snprintf(tmp, sizeof tmp, "%s", words[rnd(10)]);
                if (nfields == 1 && tmp[0] == '\0')
                    snprintf(tmp, sizeof tmp, "w");
                if (nfields == 1 && tmp[0] == ' ')
                    tmp[0] = 'p'; /* a line of blanks then text, kept simple */
                emits(g, tmp);
                puts_(&g->text, tmp);
                f->quoted = 0;
            } else {
                if (rnd(4) == 0)
                    emits(g, "  ");
                emit(g, "\"", 1);
                unsigned parts = rnd(6);
                for (unsigned k = 0; k < parts; k++) {
                    switch (rnd(7)) {
                    case 0:
                        emits(g, "\"\"");
                        puts_(&g->text, "\"");
                        break;
                    case 1:
                        emit(g, &delim, 1);
                        put(&g->text, &delim, 1);
                        break;
                    case 2: {
                        const char *le = line_end();
                        emits(g, le);
                        puts_(&g->text, le);
                        break;
                    }
                    default: {
                        const char *w = words[rnd(10)];
                        emits(g, w);
                        puts_(&g->text, w);
                    }
                    }
                }
                emit(g, "\"", 1);
                if (rnd(4) == 0)
                    emits(g, " ");
                f->quoted = 1;
            }
            f->len = g->text.n - f->off;
        }
        row++;
        if (g->out.n < target || rnd(2))
            emits(g, line_end());
    }
}

/* Compare reader r with the generator's expectations. */
static void check_generated(const gen *g, lr_csv *r)
{
    size_t k = 0;
    uint64_t nrow = 0;
    lr_csv_row row;
    int has_row;
    lr_error err;
    for (;;) {
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc)
            ck_abort_msg("row %llu: %s", (unsigned long long)nrow, err.message);
        if (!has_row)
            break;
        if (row.index != nrow || k >= g->nf || g->f[k].row != nrow || row.line != g->f[k].line)
            ck_abort_msg("row %llu: index %llu line %llu", (unsigned long long)nrow,
                         (unsigned long long)row.index, (unsigned long long)row.line);
        for (size_t j = 0; j < row.nfields; j++, k++) {
            const lr_csv_field *f = &row.fields[j];
            const gen_field *e = &g->f[k];
            if (k >= g->nf || e->row != nrow || f->len != e->len ||
                memcmp(f->data, g->text.p + e->off, e->len) != 0 || f->line != e->line ||
                f->col != e->col || f->quoted != e->quoted)
                ck_abort_msg("row %llu field %zu: \"%.*s\" at %llu:%llu q%d, expected "
                             "\"%.*s\" at %llu:%llu q%d",
                             (unsigned long long)nrow, j, (int)(f->len > 30 ? 30 : f->len), f->data,
                             (unsigned long long)f->line, (unsigned long long)f->col, f->quoted,
                             (int)(e->len > 30 ? 30 : e->len), g->text.p + e->off,
                             (unsigned long long)e->line, (unsigned long long)e->col, e->quoted);
        }
        nrow++;
    }
    ck_assert_uint_eq(k, g->nf);
}

static void free_gen(gen *g)
{
    free(g->out.p);
    free(g->text.p);
    free(g->f);
}

START_TEST(test_generated_straddling)
{
    static const char delims[] = {',', '\t', ';', '|'};
    rng_state = UINT64_C(0x5DEECE66D) * (unsigned)(_i + 1);
    char delim = delims[_i % 4];
    gen g;
    generate(&g, 3 << 20, delim);
    lr_csv_options opt = {delim, 0};
    lr_error err;

    lr_csv *m;
    ck_assert_int_eq(lr_csv_open_buffer(g.out.p, g.out.n, "g.csv", &opt, &m, &err), LR_OK);
    check_generated(&g, m);
    lr_csv_free(m);

    char *path;
    int rc;
    lr_csv *r = open_temp(g.out.p, g.out.n, "g.csv", &opt, &path, &rc, &err);
    ck_assert_int_eq(rc, LR_OK);
    check_generated(&g, r);
    lr_csv_free(r);
    remove_temp(path);

    pipe_writer w;
    int fd = pipe_writer_start(&w, g.out.p, g.out.n);
    ck_assert_int_eq(lr_csv_open_fd(fd, "g.csv", &opt, &r, &err), LR_OK);
    check_generated(&g, r);
    lr_csv_free(r);
    pipe_writer_finish(&w, fd);
    free_gen(&g);
}
END_TEST

/*
 * Place each tricky pattern so that the first buffer (exactly 1 MiB for a
 * regular file) ends at every offset within it, and compare the file's rows
 * with the same bytes parsed from memory (no boundaries at all).
 */
START_TEST(test_boundary_patterns)
{
    static const char *patterns[] = {
        "\"ab\"\"cd\",x\r\n", "a\r\nb\r\n",    "\r\n\r\n\r\r\n", "q,\"b\nc\"\r\n",
        "\"\",\"\"\"\"\r",    "  \"x\"  ,y\n", "12345,67890\r",
    };
    const char *pat = patterns[_i];
    size_t plen = strlen(pat);
    for (size_t k = 0; k <= plen + 1; k++) {
        bytes b = {0};
        /* Filler rows up to 1 MiB - k, then the pattern, then more rows. */
        size_t target = BUF_SIZE - k;
        while (b.n + 16 < target)
            puts_(&b, "1.5,2.25,3.125\n");
        while (b.n + 3 < target)
            puts_(&b, "7\n");
        while (b.n < target)
            puts_(&b, "\n");
        for (int rep = 0; rep < 3; rep++)
            puts_(&b, pat);
        puts_(&b, "\nlast,1\n");
        lr_csv_options opt = {',', 0};
        char *path;
        int rc;
        lr_error err;
        lr_csv *f = open_temp(b.p, b.n, "b.csv", &opt, &path, &rc, &err);
        ck_assert_int_eq(rc, LR_OK);
        lr_csv *m;
        ck_assert_int_eq(lr_csv_open_buffer(b.p, b.n, "b.csv", &opt, &m, &err), LR_OK);
        ck_assert_uint_gt(compare_readers(f, m), 50000);
        lr_csv_free(f);
        lr_csv_free(m);
        remove_temp(path);
        free(b.p);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */
/* ------------------------------------------------------------------------ */

/* Memory is bounded by the buffer and the longest row, not by the file. */
START_TEST(test_bounded_memory)
{
    bytes b = {0};
    for (int i = 0; i < 1000000; i++)
        puts_(&b, i % 10 ? "1.25,2.5,3.75,4.125,\"x\"\"y\"\n" : "10,20,30,40,\"q\"\n");
    char *path = lr_test_write_temp(b.p, b.n);
    test_alloc a = {0};
    lr_set_allocator(test_alloc_fn, &a);
    lr_csv *r;
    lr_error err;
    ck_assert_int_eq(lr_csv_open(path, NULL, NULL, &r, &err), LR_OK);
    lr_csv_row row;
    int has_row, n = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row)
        n++;
    lr_csv_free(r);
    lr_set_allocator(NULL, NULL);
    ck_assert_int_eq(n, 1000000);
    ck_assert_uint_eq(a.live, 0);
    ck_assert_msg(b.n > 20 * BUF_SIZE && a.peak < BUF_SIZE + 8192,
                  "peak %zu bytes for a %zu-byte file", a.peak, b.n);
    remove_temp(path);
    free(b.p);
}
END_TEST

/* Read everything; return the status of the first failure (LR_OK if none). */
static int read_all(lr_csv *r, size_t *nrows)
{
    lr_csv_row row;
    int has_row;
    lr_error err;
    *nrows = 0;
    for (;;) {
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc) {
            ck_assert_str_eq(err.message, "out of memory");
            return rc;
        }
        if (!has_row)
            return LR_OK;
        (*nrows)++;
    }
}

/* One open and read of data (from the file `path` when set, else the buffer). */
typedef struct csv_alloc_run {
    const char *data; /* the bytes */
    size_t len;       /* their number */
    const char *path; /* a file holding them, or NULL: read the buffer */
    size_t want_rows; /* rows a complete read yields */
} csv_alloc_run;

static int csv_alloc_run_fn(void *ctx, lr_error *err)
{
    const csv_alloc_run *c = ctx;
    lr_csv *r = NULL;
    int rc = c->path ? lr_csv_open(c->path, "f.csv", NULL, &r, err)
                     : lr_csv_open_buffer(c->data, c->len, "f.csv", NULL, &r, err);
    size_t nrows = 0;
    if (rc == LR_OK) {
        rc = read_all(r, &nrows);
        lr_csv_free(r);
    } else {
        ck_assert_ptr_null(r);
        ck_assert_str_eq(err->message, "out of memory");
    }
    if (rc == LR_OK) {
        /* a refused allocation is never swallowed: success means none was refused */
        ck_assert_msg(lr_test_allocs < lr_test_fail_at, "allocation %ld refused, yet a success",
                      lr_test_fail_at);
        ck_assert_uint_eq(nrows, c->want_rows);
    }
    return rc;
}

/*
 * Fail the k-th allocation for k = 1, 2, ... until a run needs no more than
 * k - 1: every failure must surface as LR_ENOMEM and leave nothing allocated.
 */
static void alloc_failure_sweep(const char *data, size_t len, int from_file, size_t want_rows)
{
    char *path = from_file ? lr_test_write_temp(data, len) : NULL;
    csv_alloc_run c = {data, len, path, want_rows};
    /* more than 4 runs: the sweep did reach the row-time allocations */
    ck_assert(lr_test_alloc_failures(csv_alloc_run_fn, &c, 1000000) > 4);
    if (path) {
        unlink(path);
        free(path);
    }
}

START_TEST(test_alloc_failure_buffer)
{
    /* Escapes need scratch, twice growing; 40 fields grow the fields array. */
    bytes b = {0};
    puts_(&b, "\"a\"\"b\",\"c\"\n");
    for (int j = 0; j < 40; j++)
        puts_(&b, j ? ",x" : "x");
    puts_(&b, "\n\"");
    for (int j = 0; j < 200; j++)
        puts_(&b, "q\"\"");
    puts_(&b, "\",z\n");
    alloc_failure_sweep(b.p, b.n, 0, 3);
    free(b.p);
}
END_TEST

START_TEST(test_alloc_failure_file)
{
    /* A row longer than the buffer makes it grow, twice. */
    bytes b = {0};
    puts_(&b, "h\n\"");
    for (int j = 0; j < (3 << 20) / 4; j++)
        puts_(&b, "ab\"\"");
    puts_(&b, "\"\nend\n");
    alloc_failure_sweep(b.p, b.n, 1, 3);
    free(b.p);
}
END_TEST

static Suite *csv_reader_suite(void)
{
    Suite *s = suite_create("csv_reader");
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_table_buffer, 0, ncases);
    tcase_add_loop_test(tc, test_table_file, 0, ncases);
    tcase_add_loop_test(tc, test_table_pipe, 0, ncases);
    tcase_add_test(tc, test_end_and_errors_are_sticky);
    tcase_add_test(tc, test_invalid_delimiter);
    tcase_add_test(tc, test_reuse_between_rows);
    suite_add_tcase(s, tc);

    TCase *ts = tcase_create("sources");
    tcase_add_test(ts, test_open_missing);
    tcase_add_test(ts, test_open_directory);
    tcase_add_test(ts, test_read_error);
    tcase_add_test(ts, test_open_fd_pipe);
    tcase_add_test(ts, test_open_stdin);
    suite_add_tcase(s, ts);

    TCase *tl = tcase_create("large");
    tcase_set_timeout(tl, 600);
    tcase_add_test(tl, test_row_larger_than_buffer);
    tcase_add_test(tl, test_many_columns);
    tcase_add_loop_test(tl, test_generated_straddling, 0, 8);
    tcase_add_loop_test(tl, test_boundary_patterns, 0, 7);
    suite_add_tcase(s, tl);

    TCase *tm = tcase_create("memory");
    tcase_set_timeout(tm, 600);
    tcase_add_test(tm, test_bounded_memory);
    tcase_add_test(tm, test_alloc_failure_buffer);
    tcase_add_test(tm, test_alloc_failure_file);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    return lr_test_main(csv_reader_suite());
}
