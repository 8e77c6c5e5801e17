/*
 * row_spool.c — the model's evaluated rows in binary, for second passes (see
 * row_spool.h for the record layout and why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "row_spool.h"
#include "temp_file.h"

/* A chunk's buffer may hold this much; beyond, the spool is given up and the
 * second pass parses the text again (a CSV of tiny cells makes 8-byte
 * doubles of 2-byte fields: memory must stay bounded). */
#define LR_ROW_BUF_MAX ((size_t)12 << 20)

static int reserve(lr_row_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 1;
    if (b->len + more > LR_ROW_BUF_MAX)
        return 0;
    /* a chunk of text (1 MiB) makes about 0.3–4 MiB of records: start at 1 MiB
     * rather than copying the buffer through a dozen doublings */
    size_t cap = b->cap ? b->cap : (size_t)1 << 20;
    while (cap < b->len + more)
        cap *= 2;
    if (cap > LR_ROW_BUF_MAX)
        cap = LR_ROW_BUF_MAX;
    unsigned char *d = lr_mem_realloc(b->data, b->cap, cap);
    if (!d)
        return 0;
    b->data = d;
    b->cap = cap;
    return 1;
}

void lr_row_buf_free(lr_row_buf *b)
{
    lr_mem_free(b->data, b->cap);
    memset(b, 0, sizeof *b);
}

void lr_row_keys_add(lr_row_keys *k, const char *const *cell, const size_t *len)
{
    if (k->failed || k->nkey == 0)
        return;
    size_t need = k->nbytes;
    for (size_t i = 0; i < k->nkey; i++) {
        if (len[i] > UINT32_MAX) {
            k->failed = 1;
            return;
        }
        need += len[i];
    }
    if (need > k->bcap) {
        size_t cap = k->bcap ? k->bcap : 4096;
        while (cap < need)
            cap *= 2;
        char *nb = lr_mem_realloc(k->bytes, k->bcap, cap);
        if (!nb) {
            k->failed = 1;
            return;
        }
        k->bytes = nb;
        k->bcap = cap;
    }
    if (k->rows == k->rcap) {
        size_t cap = k->rcap ? 2 * k->rcap : 1024, w = k->nkey * sizeof(uint32_t);
        uint32_t *nl = lr_mem_realloc(k->len, k->rcap * w, cap * w);
        if (!nl) {
            k->failed = 1;
            return;
        }
        k->len = nl;
        k->rcap = cap;
    }
    for (size_t i = 0; i < k->nkey; i++) {
        k->len[k->rows * k->nkey + i] = (uint32_t)len[i];
        if (len[i])
            memcpy(k->bytes + k->nbytes, cell[i], len[i]);
        k->nbytes += len[i];
    }
    k->rows++;
}

void lr_row_keys_free(lr_row_keys *k)
{
    size_t nkey = k->nkey;
    lr_mem_free(k->bytes, k->bcap);
    lr_mem_free(k->len, k->rcap * nkey * sizeof(uint32_t));
    memset(k, 0, sizeof *k);
    k->nkey = nkey;
}

/* The next n pending rows' key bytes, and what a record needs for them:
 * their lengths, then their bytes, padded to 8. SIZE_MAX: fewer than n
 * rows are pending (keys were lost: the spool is given up). */
static size_t keys_section(const lr_row_keys *k, size_t n, size_t *cells)
{
    if (k->failed || k->done + n > k->rows)
        return SIZE_MAX;
    size_t bytes = 0;
    for (size_t i = k->done * k->nkey; i < (k->done + n) * k->nkey; i++)
        bytes += k->len[i];
    *cells = bytes;
    return (4 * n * k->nkey + bytes + 7) & ~(size_t)7;
}

/* n rows handed on (bytes of cells): when none are left pending the storage
 * is reused from its start. */
static void keys_consume(lr_row_keys *k, size_t n, size_t bytes)
{
    k->done += n;
    k->done_at += bytes;
    if (k->done >= k->rows)
        k->rows = k->done = k->nbytes = k->done_at = 0;
}

void lr_row_buf_add(lr_row_buf *b, size_t n, size_t k, const double *x, size_t ld, const double *w,
                    const uint64_t *line, lr_row_keys *keys)
{
    size_t nkey = keys ? keys->nkey : 0, cells = 0, ksize = 0;
    if (nkey && !b->over && n > 0 && (ksize = keys_section(keys, n, &cells)) == SIZE_MAX) {
        lr_row_buf_free(b);
        b->over = 1;
    }
    if (nkey && b->over) {
        /* nothing more is kept for this buffer: its keys neither */
        keys->failed = 1;
        keys->rows = keys->done = keys->nbytes = keys->done_at = 0;
    }
    if (b->over || n == 0)
        return;
    uint64_t parts = (w ? LR_ROWS_WEIGHTS : 0) | (line ? LR_ROWS_LINES : 0) |
                     (nkey ? LR_ROWS_KEYS | (uint64_t)nkey << 8 | (uint64_t)ksize << 16 : 0);
    size_t bytes = 24 + 8 * k + 8 * k * n + (w ? 8 * n : 0) + (line ? 8 * n : 0) + ksize;
    if (!reserve(b, bytes)) {
        lr_row_buf_free(b);
        b->over = 1;
        if (nkey) {
            keys->failed = 1;
            keys->rows = keys->done = keys->nbytes = keys->done_at = 0;
        }
        return;
    }
    unsigned char *p = b->data + b->len;
    uint64_t hdr[3] = {n, k, parts};
    memcpy(p, hdr, 24);
    p += 24;
    for (size_t i = 0; i < k; i++) {
        uint64_t c = i;
        memcpy(p, &c, 8);
        p += 8;
    }
    for (size_t j = 0; j < k; j++) {
        memcpy(p, x + j * ld, 8 * n);
        p += 8 * n;
    }
    if (w) {
        memcpy(p, w, 8 * n);
        p += 8 * n;
    }
    if (line) {
        memcpy(p, line, 8 * n);
        p += 8 * n;
    }
    if (nkey) {
        size_t nl = n * nkey;
        memcpy(p, keys->len + keys->done * nkey, 4 * nl);
        if (cells)
            memcpy(p + 4 * nl, keys->bytes + keys->done_at, cells);
        memset(p + 4 * nl + cells, 0, ksize - 4 * nl - cells);
        keys_consume(keys, n, cells);
    }
    b->len += bytes;
}

/* A record's size in bytes from its header. */
static uint64_t record_size(const uint64_t hdr[3])
{
    uint64_t n = hdr[0], k = hdr[1];
    return 24 + 8 * k + 8 * k * n + (hdr[2] & LR_ROWS_WEIGHTS ? 8 * n : 0) +
           (hdr[2] & LR_ROWS_LINES ? 8 * n : 0) + (hdr[2] & LR_ROWS_KEYS ? hdr[2] >> 16 : 0);
}

/* A header that the writer could have written. */
static int header_ok(const uint64_t hdr[3])
{
    uint64_t flags = hdr[2] & 0xff, nkey = hdr[2] >> 8 & 0xff, ksize = hdr[2] >> 16;
    int keys = (flags & LR_ROWS_KEYS) != 0;
    return hdr[0] > 0 && hdr[0] <= ((uint64_t)1 << 32) && hdr[1] <= ((uint64_t)1 << 32) &&
           flags <= (LR_ROWS_WEIGHTS | LR_ROWS_LINES | LR_ROWS_KEYS) &&
           (keys ? nkey > 0 && nkey <= LR_ROW_KEYS_MAX && ksize % 8 == 0 &&
                       ksize >= 4 * hdr[0] * nkey
                 : nkey == 0 && ksize == 0);
}

int lr_row_buf_write(int fd, lr_row_buf *b, const size_t *colmap, uint64_t lines_before,
                     uint64_t *bytes)
{
    size_t off = 0;
    while (off < b->len) {
        unsigned char *p = b->data + off;
        uint64_t hdr[3];
        memcpy(hdr, p, 24);
        size_t n = (size_t)hdr[0], k = (size_t)hdr[1];
        size_t size = (size_t)record_size(hdr);
        /* in place: the buffer is written once and then freed */
        for (size_t i = 0; i < k; i++) {
            uint64_t c = colmap[i];
            memcpy(p + 24 + 8 * i, &c, 8);
        }
        unsigned char *lines = p + 24 + 8 * k + 8 * k * n + (hdr[2] & LR_ROWS_WEIGHTS ? 8 * n : 0);
        for (size_t i = 0; hdr[2] & LR_ROWS_LINES && i < n; i++) {
            uint64_t l;
            memcpy(&l, lines + 8 * i, 8);
            l += lines_before;
            memcpy(lines + 8 * i, &l, 8);
        }
        if (lr_temp_write(fd, p, size))
            return 1;
        *bytes += size;
        off += size;
    }
    return 0;
}

int lr_row_spool_create(void)
{
    return lr_temp_fd(NULL, 0);
}

void lr_row_reader_init(lr_row_reader *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
}

void lr_row_reader_free(lr_row_reader *r)
{
    lr_mem_free(r->col, r->cap_col * 8);
    lr_mem_free(r->x, r->cap_x * 8);
    lr_mem_free(r->w_buf, r->cap_w * 8);
    lr_mem_free(r->line_buf, r->cap_line * 8);
    lr_mem_free(r->koff, r->cap_koff * 8); /* grow counts 8-byte elements */
    lr_mem_free(r->ksec, r->cap_ksec * 8);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* Read exactly n bytes at *off (advanced past them); 1 at a clean end of
 * file (nothing read), -1 on a short read or an error, 0 on success. */
static int read_all(int fd, void *data, size_t n, uint64_t *off)
{
    unsigned char *p = data;
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, p + got, n - got, (off_t)(*off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return got == 0 ? 1 : -1;
        got += (size_t)k;
    }
    *off += n;
    return 0;
}

int lr_row_spool_index(int fd, uint64_t **offs, size_t *nrec, lr_error *err)
{
    uint64_t off = 0, *v = NULL;
    size_t n = 0, cap = 0;
    *offs = NULL;
    *nrec = 0;
    for (;;) {
        uint64_t hdr[3], at = off;
        int st = read_all(fd, hdr, 24, &off);
        if (st == 1)
            break;
        if (st < 0 || !header_ok(hdr)) {
            lr_mem_free(v, cap * sizeof *v);
            return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            uint64_t *nv = lr_mem_realloc(v, cap * sizeof *v, nc * sizeof *v);
            if (!nv) {
                lr_mem_free(v, cap * sizeof *v);
                return lr_error_nomem(err);
            }
            v = nv;
            cap = nc;
        }
        v[n++] = at;
        off = at + record_size(hdr);
    }
    if (n == 0) {
        lr_mem_free(v, cap * sizeof *v);
        return LR_OK;
    }
    /* exactly n entries, so that the caller frees what it was given */
    uint64_t *exact = lr_mem_realloc(v, cap * sizeof *v, n * sizeof *v);
    if (!exact) {
        lr_mem_free(v, cap * sizeof *v);
        return lr_error_nomem(err);
    }
    *offs = exact;
    *nrec = n;
    return LR_OK;
}

static int grow(void **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    void *q = lr_mem_realloc(*p, *cap * 8, need * 8);
    if (!q)
        return 0;
    *p = q;
    *cap = need;
    return 1;
}

int lr_row_reader_next(lr_row_reader *r, int *has, lr_error *err)
{
    uint64_t hdr[3];
    *has = 0;
    int st = read_all(r->fd, hdr, 24, &r->off);
    if (st == 1)
        return LR_OK;
    if (st < 0 || !header_ok(hdr))
        return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
    size_t n = (size_t)hdr[0], k = (size_t)hdr[1];
    int has_w = (hdr[2] & LR_ROWS_WEIGHTS) != 0, has_line = (hdr[2] & LR_ROWS_LINES) != 0;
    if (!grow((void **)&r->col, &r->cap_col, k ? k : 1) ||
        !grow((void **)&r->x, &r->cap_x, k && n ? k * n : 1) ||
        (has_w && !grow((void **)&r->w_buf, &r->cap_w, n)) ||
        (has_line && !grow((void **)&r->line_buf, &r->cap_line, n)))
        return lr_error_nomem(err);
    r->w = has_w ? r->w_buf : NULL;
    r->line = has_line ? r->line_buf : NULL;
    if (read_all(r->fd, r->col, 8 * k, &r->off) || read_all(r->fd, r->x, 8 * k * n, &r->off) ||
        (has_w && read_all(r->fd, r->w, 8 * n, &r->off)) ||
        (has_line && read_all(r->fd, r->line, 8 * n, &r->off)))
        return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
    r->nkey = 0;
    if (hdr[2] & LR_ROWS_KEYS) {
        size_t nkey = (size_t)(hdr[2] >> 8 & 0xff), ksize = (size_t)(hdr[2] >> 16), nl = n * nkey;
        if (!grow((void **)&r->ksec, &r->cap_ksec, ksize / 8 ? ksize / 8 : 1) ||
            !grow((void **)&r->koff, &r->cap_koff, nl))
            return lr_error_nomem(err);
        if (read_all(r->fd, r->ksec, ksize, &r->off))
            return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
        r->klen = (const uint32_t *)r->ksec;
        r->kbytes = (const char *)r->ksec + 4 * nl;
        size_t at = 0;
        for (size_t i = 0; i < nl; i++) {
            r->koff[i] = at;
            at += r->klen[i];
        }
        if (at > ksize - 4 * nl)
            return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
        r->nkey = nkey;
    }
    r->n = n;
    r->k = k;
    *has = 1;
    return LR_OK;
}
