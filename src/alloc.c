/*
 * alloc.c — the one replaceable allocator every liblinreg allocation goes through.
 *
 * Like Lua's lua_Alloc, the allocator is a single realloc-like function that
 * is told the old size. Tests install one that fails the k-th allocation to
 * check that every failure path returns LR_ENOMEM and leaks nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void *default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static lr_alloc_fn g_alloc = default_alloc; /* the installed allocator */
static void *g_alloc_ud = NULL;             /* its user data */

void lr_set_allocator(lr_alloc_fn fn, void *ud)
{
    g_alloc = fn ? fn : default_alloc;
    g_alloc_ud = fn ? ud : NULL;
}

/* A zero-byte request still returns a distinct pointer (size 1), so callers
 * never confuse "empty" with "failed". */
void *lr_mem_alloc(size_t n)
{
    return g_alloc(g_alloc_ud, NULL, 0, n ? n : 1);
}

int lr_mul_overflows(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

void *lr_mem_calloc(size_t count, size_t size)
{
    size_t n;
    if (lr_mul_overflows(count, size, &n))
        return NULL;
    void *p = lr_mem_alloc(n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void *lr_mem_realloc(void *p, size_t old, size_t n)
{
    if (!p)
        return lr_mem_alloc(n);
    return g_alloc(g_alloc_ud, p, old ? old : 1, n ? n : 1);
}

void lr_mem_free(void *p, size_t size)
{
    if (p)
        (void)g_alloc(g_alloc_ud, p, size ? size : 1, 0);
}

char *lr_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lr_mem_alloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void lr_mem_strfree(char *s)
{
    if (s)
        lr_mem_free(s, strlen(s) + 1);
}

int lr_mem_replace(lr_mem_array *a, size_t n)
{
    void *fresh[LR_MEM_ARRAYS_MAX];
    int ok = n <= LR_MEM_ARRAYS_MAX;
    for (size_t i = 0; i < n && i < LR_MEM_ARRAYS_MAX; i++) {
        fresh[i] = a[i].zero ? lr_mem_calloc(a[i].size, 1) : lr_mem_alloc(a[i].size);
        ok &= fresh[i] != NULL;
    }
    for (size_t i = 0; i < n && i < LR_MEM_ARRAYS_MAX; i++) {
        if (!ok) {
            lr_mem_free(fresh[i], a[i].size);
            continue;
        }
        if (a[i].keep)
            memcpy(fresh[i], a[i].p, a[i].keep);
        lr_mem_free(a[i].p, a[i].old);
        a[i].p = fresh[i];
    }
    return ok ? 0 : -1;
}

/* ---- arena ---- */

struct lr_arena_block {
    struct lr_arena_block *next; /* older block */
    size_t size;                 /* bytes in data[] */
    size_t used;                 /* bytes handed out */
    max_align_t data[];          /* the storage */
};

enum { ARENA_BLOCK = 4096 };

void *lr_arena_alloc(lr_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) / align * align;
    struct lr_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (size > SIZE_MAX - sizeof *b)
            return NULL;
        b = lr_mem_alloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->next = a->head;
        b->size = size;
        b->used = 0;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *lr_arena_strndup(lr_arena *a, const char *data, size_t len)
{
    char *s = len < SIZE_MAX ? lr_arena_alloc(a, len + 1) : NULL;
    if (s) {
        memcpy(s, data, len);
        s[len] = '\0';
    }
    return s;
}

void lr_arena_free(lr_arena *a)
{
    struct lr_arena_block *b = a->head;
    while (b) {
        struct lr_arena_block *next = b->next;
        lr_mem_free(b, sizeof *b + b->size);
        b = next;
    }
    a->head = NULL;
}
