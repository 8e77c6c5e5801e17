/*
 * row_store.c — a chunk's rows as their nonzero entries (see row_store.h).
 */
#include <string.h>

#include "row_store.h"

/* Grow an array of `size`-byte elements from *cap to at least `need`
 * (doubling); on failure it is unchanged. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return LR_OK;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = lr_mem_realloc(*p, *cap * size, nc * size);
    if (!q)
        return LR_ENOMEM;
    *p = q;
    *cap = nc;
    return LR_OK;
}

int lr_row_store_add(lr_row_store *s, const lr_row_entry *e, size_t n, double w, uint64_t line,
                     lr_error *err)
{
    if (grow((void **)&s->e, &s->cap, s->n + n, sizeof *s->e) ||
        grow((void **)&s->row, &s->rcap, s->rows + 1, sizeof *s->row))
        return lr_error_nomem(err);
    if (n)
        memcpy(s->e + s->n, e, n * sizeof *e);
    s->row[s->rows++] = (lr_row_head){s->n, n, w, line};
    s->n += n;
    return LR_OK;
}

void lr_row_store_clear(lr_row_store *s)
{
    s->n = 0;
    s->rows = 0;
}

void lr_row_store_free(lr_row_store *s)
{
    lr_mem_free(s->e, s->cap * sizeof *s->e);
    lr_mem_free(s->row, s->rcap * sizeof *s->row);
    memset(s, 0, sizeof *s);
}
