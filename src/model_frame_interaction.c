/*
 * model_frame_interaction.c — interaction(a, b, ...) as one factor: its level
 * in a row, and R's order of its levels.
 *
 * A level is the parts (each column's cell; a numeric column's value as R's
 * as.character prints it) joined by the byte 0x1f, which no part may hold,
 * so a level splits back into its parts even when they contain the sep
 * ("0.5" and "OJ" make "0.5.OJ" under R's sep = "."); names show sep in its
 * place. R's interaction() orders the combinations with the first factor
 * varying fastest (with lex.order = TRUE, slowest), each factor's levels in
 * their own order: numeric if every value of that part is a number, else
 * by bytes (R's C-locale sort). lm drops the combinations no row has, so
 * the levels are those seen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_frame_impl.h"

#define SEP '\x1f'

int lr_interaction_join(const lr_frame *f, const lr_var *x, const lr_csv_row *row,
                        const double *colval, char *buf, size_t cap, size_t *len, lr_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < x->nicols; i++) {
        size_t j = x->icols[i];
        const lr_csv_field *fl = &row->fields[j];
        const char *s = fl->data;
        size_t sn = fl->len;
        char num[40];
        if (f->cols[j].logical && lr_logical_label(fl->data, fl->len)) {
            s = lr_logical_label(fl->data, fl->len);
            sn = strlen(s);
        } else if (!f->cols[j].text) {
            lr_format_r_number(colval[j], num, sizeof num);
            s = num;
            sn = strlen(num);
        }
        if (memchr(s, SEP, sn) || n + sn + 1 > cap)
            return lr_error_at(err, LR_EDATA, f->source, fl->line, fl->col, "%s: column '%s': %s",
                               x->label, f->colnames[j],
                               n + sn + 1 > cap ? "the level is too long"
                                                : "a cell holds the byte 0x1f");
        if (i)
            buf[n++] = SEP;
        memcpy(buf + n, s, sn);
        n += sn;
    }
    *len = n;
    return LR_OK;
}

void lr_interaction_label(const lr_var *x, const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0, sl = strlen(x->isep);
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        if (s[i] != SEP) {
            out[k++] = s[i];
            continue;
        }
        for (size_t c = 0; c < sl && k + 1 < cap; c++)
            out[k++] = x->isep[c];
    }
    out[k] = '\0';
}

/* One part of one level. */
typedef struct part {
    const char *s; /* its bytes (in the level's label) */
    size_t n;      /* their number */
    double num;    /* its value, when the part is numeric */
    size_t level;  /* the level's rank in byte order */
} part;

/* One level: its id and its parts' ranks, compared most significant first. */
typedef struct keyed {
    uint32_t id;         /* the level */
    const uint32_t *key; /* its parts' ranks, most significant first */
    size_t n;            /* their number */
} keyed;

static int numeric_part(const char *s, size_t n, double *v)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    *v = strtod(tmp, &end);
    return *end == '\0' && isfinite(*v);
}

static int cmp_num(const void *a, const void *b)
{
    const part *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

static int cmp_bytes(const void *a, const void *b)
{
    const part *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    for (size_t i = 0; i < x->n; i++)
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    return 0;
}

int lr_interaction_order(lr_levels *l, const lr_var *x, lr_error *err)
{
    size_t nl = lr_levels_count(l), np = x->nicols, cells;
    if (nl == 0)
        return LR_OK;
    if (lr_mul_overflows(nl, np, &cells))
        return lr_error_set(err, LR_ERANGE, "interaction too large");
    part *parts = lr_mem_calloc(nl, sizeof *parts);
    uint32_t *keys = lr_mem_calloc(cells, sizeof *keys), *ids = lr_mem_calloc(nl, sizeof *ids);
    keyed *order = lr_mem_calloc(nl, sizeof *order);
    int rc = parts && keys && ids && order ? LR_OK : lr_error_nomem(err);
    for (size_t i = 0; i < np && rc == LR_OK; i++) {
        /* part i of every level, ranked (equal parts share a rank) */
        int numeric = 1;
        for (size_t r = 0; r < nl; r++) {
            uint32_t id = lr_levels_id_at(l, r);
            const char *s = lr_levels_label(l, id), *end = s + lr_levels_length(l, id);
            for (size_t k = 0; k < i; k++)
                s = (const char *)memchr(s, SEP, (size_t)(end - s)) + 1;
            const char *e = memchr(s, SEP, (size_t)(end - s));
            parts[r] = (part){s, (size_t)((e ? e : end) - s), 0, r};
            numeric &= numeric_part(s, parts[r].n, &parts[r].num);
        }
        int (*cmp)(const void *, const void *) = numeric ? cmp_num : cmp_bytes;
        qsort(parts, nl, sizeof *parts, cmp);
        /* most significant first: the last part, unless lex.order */
        size_t slot = x->lex_order ? i : np - 1 - i;
        uint32_t rank = 0;
        for (size_t r = 0; r < nl; r++) {
            if (r && cmp(&parts[r - 1], &parts[r]))
                rank++;
            keys[parts[r].level * np + slot] = rank;
        }
    }
    if (rc == LR_OK) {
        for (size_t r = 0; r < nl; r++)
            order[r] = (keyed){lr_levels_id_at(l, r), &keys[r * np], np};
        qsort(order, nl, sizeof *order, cmp_keyed);
        for (size_t r = 0; r < nl; r++)
            ids[r] = order[r].id;
        lr_levels_set_order(l, ids);
    }
    lr_mem_free(parts, nl * sizeof *parts);
    lr_mem_free(keys, cells * sizeof *keys);
    lr_mem_free(ids, nl * sizeof *ids);
    lr_mem_free(order, nl * sizeof *order);
    return rc;
}
