/*
 * factor_levels.c — level dictionaries for categorical variables.
 *
 * Levels are interned in order of discovery (an open-addressing hash table
 * over the level bytes, or over the bits of the number), so a row costs one
 * lookup; they are ordered only once, after the last row, because a level
 * seen late may sort first and so become the reference level.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factor_levels.h"

struct lr_levels {
    int numeric;     /* 1: levels are numbers; 0: byte strings */
    size_t n;        /* levels seen */
    size_t cap;      /* capacity of the arrays below */
    char **label;    /* label of each level (arena) */
    size_t *len;     /* label length (text levels: the value's bytes) */
    double *value;   /* numeric levels: the value */
    uint32_t *order; /* after sorting: ids in R's order */
    uint32_t *slots; /* hash table of id + 1 (0 = empty), size nslots */
    size_t nslots;   /* a power of two, at least 2n */
    lr_arena arena;  /* label storage */
};

void lr_format_r_number(double x, char *out, size_t size)
{
    char e[64], f[400];
    if (x == 0) {
        snprintf(out, size, "0");
        return;
    }
    snprintf(e, sizeof e, "%.14e", x);
    char *ep = strchr(e, 'e');
    char *m = ep - 1;
    while (*m == '0')
        m--;
    int nsig = 0;
    for (char *q = e; q <= m; q++)
        nsig += *q >= '0' && *q <= '9';
    int kp = atoi(ep + 1);
    char sci[64];
    snprintf(sci, sizeof sci, "%.*e", nsig > 0 ? nsig - 1 : 0, x);
    int rgt = nsig - kp - 1;
    if (rgt < 0)
        rgt = 0;
    if (rgt > 350)
        rgt = 350;
    snprintf(f, sizeof f, "%.*f", rgt, x);
    snprintf(out, size, "%s", strlen(f) <= strlen(sci) ? f : sci);
}

int lr_levels_create(int numeric, lr_levels **out, lr_error *err)
{
    lr_levels *l = lr_mem_calloc(1, sizeof *l);
    *out = NULL;
    if (!l)
        return lr_error_nomem(err);
    l->numeric = numeric;
    l->nslots = 16;
    l->slots = lr_mem_calloc(l->nslots, sizeof(uint32_t));
    if (!l->slots) {
        lr_levels_free(l);
        return lr_error_nomem(err);
    }
    *out = l;
    return LR_OK;
}

void lr_levels_free(lr_levels *l)
{
    if (!l)
        return;
    lr_mem_free(l->label, l->cap * sizeof(char *));
    lr_mem_free(l->len, l->cap * sizeof(size_t));
    lr_mem_free(l->value, l->cap * sizeof(double));
    lr_mem_free(l->order, (l->n ? l->n : 1) * sizeof(uint32_t));
    lr_mem_free(l->slots, l->nslots * sizeof(uint32_t));
    lr_arena_free(&l->arena);
    lr_mem_free(l, sizeof *l);
}

size_t lr_levels_count(const lr_levels *l)
{
    return l->n;
}
const char *lr_levels_label(const lr_levels *l, uint32_t id)
{
    return l->label[id];
}
size_t lr_levels_length(const lr_levels *l, uint32_t id)
{
    return l->len[id];
}
void lr_levels_value(const lr_levels *l, uint32_t id, double *x)
{
    *x = l->value[id];
}
uint32_t lr_levels_id_at(const lr_levels *l, size_t rank)
{
    return l->order[rank];
}
void lr_levels_set_order(lr_levels *l, const uint32_t *ids)
{
    memcpy(l->order, ids, l->n * sizeof *ids);
}

/* FNV-1a: adequate for level strings, which are short and few. */
static uint64_t hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int grow(lr_levels *l, lr_error *err)
{
    /* arrays: all three are allocated before any is replaced, so a failure
     * leaves the level set as it was */
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        lr_mem_array a[] = {
            {l->label, l->cap * sizeof(char *), cap * sizeof(char *), l->n * sizeof(char *), 0},
            {l->len, l->cap * sizeof(size_t), cap * sizeof(size_t), l->n * sizeof(size_t), 0},
            {l->value, l->cap * sizeof(double), cap * sizeof(double), l->n * sizeof(double), 0}};
        if (lr_mem_replace(a, 3))
            return lr_error_nomem(err);
        l->label = a[0].p;
        l->len = a[1].p;
        l->value = a[2].p;
        l->cap = cap;
    }
    /* hash table: keep the load factor at most 1/2 */
    if (2 * (l->n + 1) > l->nslots) {
        size_t ns = 2 * l->nslots;
        uint32_t *slots = lr_mem_calloc(ns, sizeof(uint32_t));
        if (!slots)
            return lr_error_nomem(err);
        for (size_t id = 0; id < l->n; id++) {
            uint64_t h = l->numeric ? hash_bytes(&l->value[id], sizeof(double))
                                    : hash_bytes(l->label[id], l->len[id]);
            size_t s = (size_t)h & (ns - 1);
            while (slots[s])
                s = (s + 1) & (ns - 1);
            slots[s] = (uint32_t)id + 1;
        }
        lr_mem_free(l->slots, l->nslots * sizeof(uint32_t));
        l->slots = slots;
        l->nslots = ns;
    }
    return LR_OK;
}

static int add_level(lr_levels *l, const char *label, size_t len, double value, uint64_t h,
                     uint32_t *id, lr_error *err)
{
    if (l->n >= UINT32_MAX - 1)
        return lr_error_set(err, LR_ERANGE, "too many levels in a factor");
    if (grow(l, err))
        return LR_ENOMEM;
    char *copy = lr_arena_strndup(&l->arena, label, len);
    if (!copy)
        return lr_error_nomem(err);
    size_t s = (size_t)h & (l->nslots - 1);
    while (l->slots[s])
        s = (s + 1) & (l->nslots - 1);
    l->slots[s] = (uint32_t)l->n + 1;
    l->label[l->n] = copy;
    l->len[l->n] = len;
    l->value[l->n] = value;
    *id = (uint32_t)l->n++;
    return LR_OK;
}

int lr_levels_find_text(const lr_levels *l, const char *s, size_t len, uint32_t *id)
{
    uint64_t h = hash_bytes(s, len);
    for (size_t k = (size_t)h & (l->nslots - 1); l->slots[k]; k = (k + 1) & (l->nslots - 1)) {
        uint32_t c = l->slots[k] - 1;
        if (l->len[c] == len && !memcmp(l->label[c], s, len)) {
            *id = c;
            return 0;
        }
    }
    return -1;
}

int lr_levels_find_number(const lr_levels *l, double x, uint32_t *id)
{
    if (x == 0)
        x = 0;
    uint64_t h = hash_bytes(&x, sizeof x);
    for (size_t k = (size_t)h & (l->nslots - 1); l->slots[k]; k = (k + 1) & (l->nslots - 1)) {
        uint32_t c = l->slots[k] - 1;
        if (l->value[c] == x) {
            *id = c;
            return 0;
        }
    }
    return -1;
}

int lr_levels_intern_text(lr_levels *l, const char *s, size_t len, uint32_t *id, lr_error *err)
{
    uint64_t h = hash_bytes(s, len);
    for (size_t k = (size_t)h & (l->nslots - 1); l->slots[k]; k = (k + 1) & (l->nslots - 1)) {
        uint32_t c = l->slots[k] - 1;
        if (l->len[c] == len && !memcmp(l->label[c], s, len)) {
            *id = c;
            return LR_OK;
        }
    }
    return add_level(l, s, len, 0, h, id, err);
}

int lr_levels_intern_number(lr_levels *l, double x, uint32_t *id, lr_error *err)
{
    if (x == 0)
        x = 0; /* −0 and +0 are one level, as in R */
    uint64_t h = hash_bytes(&x, sizeof x);
    for (size_t k = (size_t)h & (l->nslots - 1); l->slots[k]; k = (k + 1) & (l->nslots - 1)) {
        uint32_t c = l->slots[k] - 1;
        if (l->value[c] == x) {
            *id = c;
            return LR_OK;
        }
    }
    char label[400];
    lr_format_r_number(x, label, sizeof label);
    return add_level(l, label, strlen(label), x, h, id, err);
}

int lr_levels_numeric(const lr_levels *l)
{
    return l->numeric;
}

int lr_levels_find_cell(const lr_levels *l, const char *s, size_t len, uint32_t *id)
{
    double x;
    if (!l->numeric)
        return lr_levels_find_text(l, s, len, id);
    return lr_parse_cell(s, len, &x) == LR_CELL_NUMBER ? lr_levels_find_number(l, x, id) : -1;
}

int lr_levels_to_numbers(lr_levels *l, int *converted, uint32_t dup[2], lr_error *err)
{
    *converted = 0;
    dup[0] = dup[1] = UINT32_MAX;
    if (l->numeric)
        return LR_OK;
    for (size_t id = 0; id < l->n; id++)
        if (lr_parse_cell(l->label[id], l->len[id], &l->value[id]) != LR_CELL_NUMBER)
            return LR_OK; /* text: the levels stay the strings */
    /* the same ids in a numeric set: a value seen before is a second spelling */
    lr_levels *num;
    int rc = lr_levels_create(1, &num, err);
    for (size_t id = 0; rc == LR_OK && id < l->n; id++) {
        uint32_t got;
        if ((rc = lr_levels_intern_number(num, l->value[id], &got, err)))
            break;
        if (got != id) {
            dup[0] = got;
            dup[1] = (uint32_t)id;
            lr_levels_free(num);
            return LR_OK;
        }
    }
    if (rc) {
        lr_levels_free(num);
        return rc;
    }
    /* take over num's labels, table and arena; l keeps its own arrays' sizes */
    for (size_t id = 0; id < l->n; id++) {
        l->label[id] = num->label[id];
        l->len[id] = num->len[id];
        l->value[id] = num->value[id];
    }
    lr_mem_free(l->slots, l->nslots * sizeof(uint32_t));
    l->slots = num->slots;
    l->nslots = num->nslots;
    num->slots = NULL;
    num->nslots = 0;
    lr_arena tmp = l->arena;
    l->arena = num->arena;
    num->arena = tmp;
    l->numeric = 1;
    *converted = 1;
    lr_levels_free(num);
    return LR_OK;
}

static int less(const lr_levels *l, uint32_t a, uint32_t b)
{
    if (l->numeric)
        return l->value[a] < l->value[b];
    size_t n = l->len[a] < l->len[b] ? l->len[a] : l->len[b];
    int c = memcmp(l->label[a], l->label[b], n);
    return c < 0 || (c == 0 && l->len[a] < l->len[b]);
}

/* Merge sort of ids (qsort has no context argument in C11, and a global one
 * would make concurrent fits race). */
static void merge_sort(const lr_levels *l, uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(l, a, tmp, h);
    merge_sort(l, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = less(l, a[j], a[i]) ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int lr_levels_sort(lr_levels *l, lr_error *err)
{
    size_t bytes = (l->n ? l->n : 1) * sizeof(uint32_t);
    lr_mem_free(l->order, bytes);
    l->order = lr_mem_alloc(bytes);
    uint32_t *tmp = lr_mem_alloc(bytes);
    if (!l->order || !tmp) {
        lr_mem_free(tmp, bytes);
        return lr_error_nomem(err);
    }
    for (size_t i = 0; i < l->n; i++)
        l->order[i] = (uint32_t)i;
    merge_sort(l, l->order, tmp, l->n);
    lr_mem_free(tmp, bytes);
    return LR_OK;
}
