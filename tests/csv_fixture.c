/*
 * csv_fixture.c — what the CSV reader's suites share (csv_fixture.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_fixture.h"

void put(bytes *b, const void *data, size_t n)
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

void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

lr_csv *open_temp(const char *data, size_t len, const char *name, const lr_csv_options *opt,
                  char **path, int *rc, lr_error *err)
{
    *path = lr_test_write_temp(data, len);
    lr_csv *r = NULL;
    *rc = lr_csv_open(*path, name, opt, &r, err);
    return r;
}

void remove_temp(char *path)
{
    unlink(path);
    free(path);
}

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

int pipe_writer_start(pipe_writer *w, const char *data, size_t len)
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

void pipe_writer_finish(pipe_writer *w, int read_fd)
{
    close(read_fd);
    ck_assert_int_eq(pthread_join(w->thread, NULL), 0);
    ck_assert_msg(w->ok, "pipe writer failed");
}

uint64_t compare_readers(lr_csv *a, lr_csv *b)
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

const char *const csv_from_name[CSV_FROM_COUNT] = {"buffer", "file", "pipe"};

lr_csv *csv_source_open(csv_source *s, csv_from from, const char *data, size_t len,
                        const char *name, const lr_csv_options *opt)
{
    lr_csv *r = NULL;
    lr_error err;
    int rc = LR_OK;
    memset(s, 0, sizeof *s);
    s->from = from;
    s->fd = -1;
    switch (from) {
    case CSV_FROM_BUFFER:
        s->copy = malloc(len ? len : 1);
        memcpy(s->copy, data, len);
        rc = lr_csv_open_buffer(s->copy, len, name, opt, &r, &err);
        break;
    case CSV_FROM_FILE: r = open_temp(data, len, name, opt, &s->path, &rc, &err); break;
    default:
        s->fd = pipe_writer_start(&s->w, data, len);
        rc = lr_csv_open_fd(s->fd, name, opt, &r, &err);
        break;
    }
    ck_assert_msg(rc == LR_OK, "%s (%s): %s", name, csv_from_name[from], err.message);
    return r;
}

void csv_source_close(csv_source *s, lr_csv *r)
{
    lr_csv_free(r);
    free(s->copy);
    if (s->path)
        remove_temp(s->path);
    if (s->from == CSV_FROM_PIPE)
        pipe_writer_finish(&s->w, s->fd);
}
