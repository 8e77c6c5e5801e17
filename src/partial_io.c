/*
 * partial_io.c — the serialized form of a partial fit (`linreg fit
 * --save-partial`), written and read back bit for bit.
 *
 * A part is the first pass's state of some files of a data set: for each
 * file, the state its chunks fold to (frame_files.c) — its factor levels in
 * order of appearance, its factor-term columns' keys, its accumulator (shift
 * and offset means, the factor R or the co-moments, pending rows, Σw, Σlog w,
 * the count) — and, for the part, what the fold adds up (rows, rows dropped,
 * NaN rows, the rows' fingerprint, physical lines), the model options, the
 * header row and the column types the first file's first chunk decided.
 * Merging parts in file order replays the files' tree exactly, so the merged
 * fit prints what the fit of all the files prints (partial_merge.c).
 *
 * Layout, every number little-endian, doubles as their IEEE-754 bits:
 *   "LRPART\r\n"  (the CR LF catches a text-mode transfer)
 *   u64 version   LR_PARTIAL_VERSION
 *   u64 length    of the whole part, checksum included
 *   sections: u64 tag, u64 length, bytes (1 model options, 2 header and
 *             column types, 3 counts, 4 file names, 5 file records)
 *   u64 XXH3-64 of every byte before it
 * A string is a u64 length (UINT64_MAX: absent), its bytes and a NUL.
 * Nothing in it depends on the host (no pointer, no padding, no size_t), so
 * the same bytes can travel between processes (a later MPI build's
 * messages) as well as through files.
 */
#define XXH_INLINE_ALL /* header-only: nothing to link */
#include <xxhash.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "partial_io.h"

static const char magic[8] = {'L', 'R', 'P', 'A', 'R', 'T', '\r', '\n'};

/* ---- writing ---- */

void lr_pbuf_bytes(lr_pbuf *p, const void *x, size_t n)
{
    if (p->failed || n == 0)
        return;
    if (p->n + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->n + n)
            cap *= 2;
        unsigned char *b = lr_mem_realloc(p->b, p->cap, cap);
        if (!b) {
            p->failed = 1;
            return;
        }
        p->b = b;
        p->cap = cap;
    }
    memcpy(p->b + p->n, x, n);
    p->n += n;
}

void lr_pbuf_u64(lr_pbuf *p, uint64_t x)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(x >> (8 * i));
    lr_pbuf_bytes(p, b, 8);
}

void lr_pbuf_f64(lr_pbuf *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    lr_pbuf_u64(p, u);
}

void lr_pbuf_str(lr_pbuf *p, const char *s, size_t n)
{
    if (!s) {
        lr_pbuf_u64(p, UINT64_MAX);
        return;
    }
    lr_pbuf_u64(p, n);
    lr_pbuf_bytes(p, s, n);
    lr_pbuf_bytes(p, "", 1);
}

void lr_pbuf_free(lr_pbuf *p)
{
    lr_mem_free(p->b, p->cap);
    memset(p, 0, sizeof *p);
}

static void put_cstr(lr_pbuf *p, const char *s)
{
    lr_pbuf_str(p, s, s ? strlen(s) : 0);
}

static void put_doubles(lr_pbuf *p, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lr_pbuf_f64(p, x[i]);
}

void lr_partial_put_header(lr_partial_sink *s, const lr_csv_row *row)
{
    lr_pbuf_free(&s->header);
    lr_pbuf_u64(&s->header, row->nfields);
    uint64_t ends = 0;
    for (size_t j = 0; j < row->nfields; j++) {
        const lr_csv_field *fl = &row->fields[j];
        lr_pbuf_str(&s->header, fl->data, fl->len);
        lr_pbuf_u64(&s->header, (uint64_t)fl->quoted);
        /* line ends inside quoted names: CR, LF and CR LF each one */
        for (size_t i = 0; i < fl->len; i++)
            ends +=
                fl->data[i] == '\r' || (fl->data[i] == '\n' && (i == 0 || fl->data[i - 1] != '\r'));
    }
    s->head_lines = row->line + ends; /* blank lines before it, and its own */
}

/* A state's tables and accumulator: a file record's body, and a chunk
 * record's (lr_partial_put_chunk). */
static void put_state(lr_pbuf *p, const lr_frame *f, lr_levels *const *levels,
                      const uint32_t *colkeys, size_t k, const lr_accum *acc)
{
    const lr_formula *fm = f->formula;
    for (size_t v = 0; v < fm->nvars; v++) {
        if (!f->vars[v].factor)
            continue;
        size_t n = lr_levels_count(levels[v]);
        int text = !lr_frame_levels_numeric(f, v);
        lr_pbuf_u64(p, n);
        for (uint32_t id = 0; id < n; id++) {
            if (text) {
                lr_pbuf_str(p, lr_levels_label(levels[v], id), lr_levels_length(levels[v], id));
            } else {
                double x;
                lr_levels_value(levels[v], id, &x);
                lr_pbuf_f64(p, x);
            }
        }
    }
    size_t kw = f->keywidth;
    lr_pbuf_u64(p, k);
    for (size_t i = 0; i < (k - f->kfixed) * kw; i++)
        lr_pbuf_u64(p, colkeys[i]);
    lr_pbuf_u64(p, acc != NULL);
    if (acc) {
        lr_accum_state st;
        lr_accum_get_state(acc, &st);
        lr_pbuf_u64(p, (uint64_t)st.kernel);
        lr_pbuf_u64(p, st.nobs);
        lr_pbuf_f64(p, st.w);
        lr_pbuf_f64(p, st.sum_log_w);
        put_doubles(p, st.shift, k);
        put_doubles(p, st.dmean, k);
        lr_pbuf_u64(p, st.m2 != NULL);
        if (st.m2)
            put_doubles(p, st.m2, st.mdim * st.mdim);
        lr_pbuf_u64(p, st.rrows);
        lr_pbuf_u64(p, st.npend);
        for (size_t j = 0; j < st.mdim && st.npend; j++)
            put_doubles(p, st.pend + j * st.ldp, st.npend);
    }
}

int lr_partial_put_file(lr_partial_sink *s, const lr_frame *f, lr_levels *const *levels,
                        const uint32_t *colkeys, size_t k, const lr_accum *acc, lr_error *err)
{
    put_state(&s->files, f, levels, colkeys, k, acc);
    s->nfiles++;
    return s->files.failed ? lr_error_nomem(err) : LR_OK;
}

static void section(lr_pbuf *out, uint64_t tag, const lr_pbuf *body)
{
    lr_pbuf_u64(out, tag);
    lr_pbuf_u64(out, body->n);
    lr_pbuf_bytes(out, body->b, body->n);
}

/* The model options a part was made with: what the first pass depends on
 * and what the solve does (the output options are the merge's own). */
static void put_options(lr_pbuf *p, const lr_fit_options *o)
{
    put_cstr(p, o->formula);
    put_cstr(p, o->target);
    lr_pbuf_u64(p, o->features ? o->n_features : UINT64_MAX);
    for (size_t i = 0; o->features && i < o->n_features; i++)
        put_cstr(p, o->features[i]);
    lr_pbuf_u64(p, (uint64_t)o->intercept);
    put_cstr(p, o->weights);
    lr_pbuf_u64(p, (uint64_t)o->method);
    lr_pbuf_u64(p, (uint64_t)o->na_action);
    lr_pbuf_u64(p, o->na_strings ? o->n_na_strings : UINT64_MAX);
    for (size_t i = 0; o->na_strings && i < o->n_na_strings; i++)
        put_cstr(p, o->na_strings[i]);
    lr_pbuf_u64(p, (unsigned char)o->delimiter);
    lr_pbuf_u64(p, o->max_line_bytes);
    lr_pbuf_f64(p, o->ridge);
    lr_pbuf_u64(p, (uint64_t)o->ridge_scale);
    put_cstr(p, o->cluster);
}

int lr_partial_serialize(const lr_partial_sink *s, const lr_frame *f, const lr_fit_options *opt,
                         char delimiter, const char *const *names, size_t n, lr_pbuf *out,
                         lr_error *err)
{
    lr_pbuf sec[5];
    memset(sec, 0, sizeof sec);
    memset(out, 0, sizeof *out);
    put_options(&sec[0], opt);
    /* the header row and the column types decided */
    lr_pbuf_u64(&sec[1], (unsigned char)delimiter);
    lr_pbuf_bytes(&sec[1], s->header.b, s->header.n);
    lr_pbuf_u64(&sec[1], s->head_lines);
    lr_pbuf_u64(&sec[1], f->ncsv);
    for (size_t j = 0; j < f->ncsv; j++)
        lr_pbuf_u64(&sec[1], (uint64_t)(f->cols[j].text | f->cols[j].logical << 1));
    /* what the fold adds up */
    lr_pbuf_u64(&sec[2], s->nfiles);
    lr_pbuf_u64(&sec[2], f->rows);
    lr_pbuf_u64(&sec[2], f->dropped);
    lr_pbuf_u64(&sec[2], f->nan_rows);
    lr_pbuf_u64(&sec[2], f->nan_line);
    lr_pbuf_u64(&sec[2], f->nan_var);
    lr_pbuf_u64(&sec[2], f->fp.n);
    lr_pbuf_u64(&sec[2], f->fp.s0);
    lr_pbuf_u64(&sec[2], f->fp.s1);
    lr_pbuf_u64(&sec[2], s->lines);
    lr_pbuf_u64(&sec[2], (uint64_t)s->unterminated);
    lr_pbuf_u64(&sec[3], n);
    for (size_t i = 0; i < n; i++)
        put_cstr(&sec[3], names[i]);
    lr_pbuf_bytes(&sec[4], s->files.b, s->files.n);
    int failed = s->header.failed || s->files.failed;
    for (int i = 0; i < 5; i++)
        failed |= sec[i].failed;
    lr_pbuf_bytes(out, magic, sizeof magic);
    lr_pbuf_u64(out, LR_PARTIAL_VERSION);
    size_t len_at = out->n;
    lr_pbuf_u64(out, 0);
    for (int i = 0; i < 5; i++) {
        section(out, (uint64_t)i + 1, &sec[i]);
        lr_pbuf_free(&sec[i]);
    }
    if (failed || out->failed) {
        lr_pbuf_free(out);
        return lr_error_nomem(err);
    }
    uint64_t total = out->n + 8;
    for (int i = 0; i < 8; i++)
        out->b[len_at + (size_t)i] = (unsigned char)(total >> (8 * i));
    lr_pbuf_u64(out, XXH3_64bits(out->b, out->n));
    if (out->failed) {
        lr_pbuf_free(out);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

/* ---- reading ---- */

typedef struct cursor {
    const unsigned char *b; /* the bytes */
    size_t n;               /* their number */
    size_t off;             /* the next one */
    int bad;                /* read past the end, or a value out of range */
} cursor;

static uint64_t get_u64(cursor *c)
{
    if (c->bad || c->n - c->off < 8) {
        c->bad = 1;
        return 0;
    }
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)c->b[c->off + (size_t)i] << (8 * i);
    c->off += 8;
    return x;
}

static double get_f64(cursor *c)
{
    uint64_t u = get_u64(c);
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* A count of items of at least `each` bytes that the rest can hold. */
static size_t get_count(cursor *c, size_t each)
{
    uint64_t n = get_u64(c);
    if (c->bad || n > (c->n - c->off) / (each ? each : 1)) {
        c->bad = 1;
        return 0;
    }
    return (size_t)n;
}

/* A string (pointer into the bytes, NUL-terminated), NULL if absent. */
static const char *get_str(cursor *c, size_t *len)
{
    uint64_t n = get_u64(c);
    *len = 0;
    if (c->bad || n == UINT64_MAX)
        return NULL;
    if (n >= c->n - c->off || c->b[c->off + n] != '\0') {
        c->bad = 1;
        return NULL;
    }
    const char *s = (const char *)c->b + c->off;
    c->off += (size_t)n + 1;
    *len = (size_t)n;
    return s;
}

static const char *get_cstr(cursor *c)
{
    size_t n;
    return get_str(c, &n);
}

static int corrupt(lr_error *err, const char *name, const char *what)
{
    return lr_error_set(err, LR_EDATA, "%s: not a valid partial fit: %s", name, what);
}

void lr_partial_free(lr_partial *p)
{
    if (!p)
        return;
    lr_mem_free(p->bytes, p->len ? p->len : 1);
    lr_mem_free(p->features, (p->n_features ? p->n_features : 1) * sizeof(char *));
    lr_mem_free(p->na_strings, (p->n_na ? p->n_na : 1) * sizeof(char *));
    lr_mem_free(p->fields, (p->nfields ? p->nfields : 1) * sizeof(lr_csv_field));
    lr_mem_free(p->types, p->ncsv ? p->ncsv : 1);
    lr_mem_free(p->names, (p->nnames ? p->nnames : 1) * sizeof(char *));
    lr_mem_strfree(p->name);
    lr_mem_free(p, sizeof *p);
}

/* An array of n strings read into *out (allocated; n may be UINT64_MAX: absent). */
static int get_strings(cursor *c, const char ***out, size_t *n, int *absent)
{
    uint64_t m = get_u64(c);
    *absent = m == UINT64_MAX;
    *n = 0;
    if (*absent)
        return 0;
    if (c->bad || m > (c->n - c->off) / 9) {
        c->bad = 1;
        return 0;
    }
    *out = lr_mem_calloc(m ? (size_t)m : 1, sizeof(char *));
    if (!*out)
        return -1;
    *n = (size_t)m;
    for (size_t i = 0; i < m; i++)
        (*out)[i] = get_cstr(c);
    return 0;
}

int lr_partial_parse(const void *bytes, size_t len, const char *name, lr_partial **out,
                     lr_error *err)
{
    *out = NULL;
    if (len < 8 + 8 + 8 + 8 || memcmp(bytes, magic, sizeof magic) != 0)
        return corrupt(err, name, "it does not start as one (made by linreg fit --save-partial)");
    lr_partial *p = lr_mem_calloc(1, sizeof *p);
    if (p && (p->bytes = lr_mem_alloc(len)))
        p->len = len;
    if (!p || !p->bytes || !(p->name = lr_mem_strdup(name))) {
        lr_partial_free(p);
        return lr_error_nomem(err);
    }
    memcpy(p->bytes, bytes, len);
    cursor c = {p->bytes, len, 8, 0};
    uint64_t version = get_u64(&c), total = get_u64(&c);
    int rc = LR_OK;
    if (version != LR_PARTIAL_VERSION) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: partial fit of format version %llu; this linreg reads version %u "
                          "(make the parts with the same linreg as the merge)",
                          name, (unsigned long long)version, LR_PARTIAL_VERSION);
        goto fail;
    }
    if (total != len) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: partial fit truncated or extended: %llu bytes, "
                          "%llu expected",
                          name, (unsigned long long)len, (unsigned long long)total);
        goto fail;
    }
    cursor t = {p->bytes, len, len - 8, 0};
    if (get_u64(&t) != XXH3_64bits(p->bytes, len - 8)) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: partial fit corrupted: its checksum does not "
                          "match its bytes",
                          name);
        goto fail;
    }
    c.n = len - 8;
    /* the sections, in order */
    size_t at[5], end[5];
    for (uint64_t i = 0; i < 5; i++) {
        uint64_t tag = get_u64(&c);
        size_t n = get_count(&c, 1);
        if (c.bad || tag != i + 1) {
            rc = corrupt(err, name, "its sections are out of order");
            goto fail;
        }
        at[i] = c.off;
        end[i] = c.off + n;
        c.off += n;
    }
    p->spec_at = at[0];
    p->spec_len = end[0] - at[0];
    p->head_at = at[1];
    p->head_len = end[1] - at[1];
    /* model options */
    cursor s = {p->bytes, end[0], at[0], 0};
    int absent = 0;
    size_t nn;
    p->formula = get_cstr(&s);
    p->target = get_cstr(&s);
    if (get_strings(&s, &p->features, &p->n_features, &absent))
        goto nomem;
    p->features_absent = absent;
    p->intercept = (int)get_u64(&s);
    p->weights = get_cstr(&s);
    p->method = (int)get_u64(&s);
    p->na_action = (int)get_u64(&s);
    if (get_strings(&s, &p->na_strings, &p->n_na, &absent))
        goto nomem;
    p->na_absent = absent;
    p->delim_opt = (char)get_u64(&s);
    p->max_line = get_u64(&s);
    p->ridge = get_f64(&s);
    p->ridge_scale = (int)get_u64(&s);
    p->cluster = get_cstr(&s);
    /* header and types */
    cursor h = {p->bytes, end[1], at[1], 0};
    p->delimiter = (char)get_u64(&h);
    p->nfields = get_count(&h, 17);
    if (!(p->fields = lr_mem_calloc(p->nfields ? p->nfields : 1, sizeof(lr_csv_field))))
        goto nomem;
    for (size_t j = 0; j < p->nfields; j++) {
        p->fields[j].data = get_str(&h, &nn);
        p->fields[j].len = nn;
        p->fields[j].quoted = (int)get_u64(&h);
        p->fields[j].line = 1;
        p->fields[j].col = 1;
        if (!p->fields[j].data)
            h.bad = 1;
    }
    p->head_lines = get_u64(&h);
    p->ncsv = get_count(&h, 8);
    if (!(p->types = lr_mem_calloc(p->ncsv ? p->ncsv : 1, 1)))
        goto nomem;
    for (size_t j = 0; j < p->ncsv; j++)
        p->types[j] = (unsigned char)get_u64(&h);
    /* counts */
    cursor k = {p->bytes, end[2], at[2], 0};
    p->nfiles = get_u64(&k);
    p->rows = get_u64(&k);
    p->dropped = get_u64(&k);
    p->nan_rows = get_u64(&k);
    p->nan_line = get_u64(&k);
    p->nan_var = get_u64(&k);
    p->fp.n = get_u64(&k);
    p->fp.s0 = get_u64(&k);
    p->fp.s1 = get_u64(&k);
    p->lines = get_u64(&k);
    p->unterminated = get_u64(&k) != 0;
    /* names */
    cursor m = {p->bytes, end[3], at[3], 0};
    if (get_strings(&m, &p->names, &p->nnames, &absent))
        goto nomem;
    p->files_at = at[4];
    p->files_end = end[4];
    if (s.bad || s.off != end[0] || h.bad || h.off != end[1] || k.bad || k.off != end[2] || m.bad ||
        m.off != end[3] || absent || p->nnames != p->nfiles || p->ncsv != p->nfields ||
        p->nfiles == 0) {
        rc = corrupt(err, name, "a section does not hold what it should");
        goto fail;
    }
    *out = p;
    return LR_OK;
nomem:
    rc = lr_error_nomem(err);
fail:
    lr_partial_free(p);
    return rc;
}

/* ---- a file record back ---- */

/* put_state's fields back from *cp (name: the bytes' name for messages). */
static int get_state(cursor *cp, const char *name, const lr_frame *f, lr_levels **levels,
                     uint32_t **colkeys, size_t *k, lr_accum **acc, lr_error *err)
{
    cursor c = *cp;
    const lr_formula *fm = f->formula;
    int rc = LR_OK;
    *colkeys = NULL;
    *acc = NULL;
    for (size_t v = 0; v < fm->nvars; v++) {
        if (!f->vars[v].factor)
            continue;
        int text = !lr_frame_levels_numeric(f, v);
        size_t n = get_count(&c, 8);
        for (size_t i = 0; i < n && !c.bad && !rc; i++) {
            uint32_t id;
            if (text) {
                size_t len;
                const char *s = get_str(&c, &len);
                rc = s ? lr_levels_intern_text(levels[v], s, len, &id, err) : LR_OK;
            } else {
                rc = lr_levels_intern_number(levels[v], get_f64(&c), &id, err);
            }
            if (!rc && !c.bad && id != i)
                c.bad = 1; /* a level twice */
        }
        if (rc)
            return rc;
    }
    size_t kw = f->keywidth;
    *k = (size_t)get_u64(&c);
    if (c.bad || *k < f->kfixed || *k > LR_MAX_COLUMNS)
        return corrupt(err, name, "a file's column count is out of range");
    size_t nk = (*k - f->kfixed) * kw;
    if (!(*colkeys = lr_mem_calloc(nk ? nk : 1, sizeof(uint32_t))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < nk; i++) {
        uint64_t x = get_u64(&c);
        (*colkeys)[i] = (uint32_t)x;
        if (x > UINT32_MAX)
            c.bad = 1;
    }
    /* each key: a term with factors, level ids within the levels read */
    for (size_t i = 0; i < *k - f->kfixed && !c.bad; i++) {
        const uint32_t *key = *colkeys + i * kw;
        if (key[0] == 0 || key[0] > fm->nterms || f->terms[key[0] - 1].nf == 0) {
            c.bad = 1;
            break;
        }
        const lr_term *t = &fm->terms[key[0] - 1];
        size_t w = 1;
        for (size_t q = 0; q < t->n; q++)
            if (f->vars[t->vars[q]].factor && key[w++] >= lr_levels_count(levels[t->vars[q]]))
                c.bad = 1;
    }
    if (get_u64(&c) && !c.bad) {
        lr_accum_state st;
        memset(&st, 0, sizeof st);
        st.k = *k;
        st.kernel = (lr_kernel)get_u64(&c);
        st.nobs = get_u64(&c);
        st.w = get_f64(&c);
        st.sum_log_w = get_f64(&c);
        st.mdim = st.kernel == LR_KERNEL_QR ? *k + 1 : *k;
        size_t kk = st.mdim * st.mdim;
        size_t need = 2 * *k;
        double *arr = NULL;
        /* shift, dmean, [R or M], pending rows: one array */
        if (c.n - c.off < 8 * need) {
            c.bad = 1;
        } else {
            size_t save = c.off;
            c.off += 8 * need;
            int has_m2 = (int)get_u64(&c);
            if (has_m2 && c.n - c.off < 8 * kk)
                c.bad = 1;
            c.off += has_m2 && !c.bad ? 8 * kk : 0;
            st.rrows = (size_t)get_u64(&c);
            st.npend = get_count(&c, 8 * st.mdim);
            c.off = save;
            size_t total = need + (has_m2 ? kk : 0) + st.npend * st.mdim;
            if (!c.bad && !(arr = lr_mem_alloc((total ? total : 1) * sizeof(double)))) {
                lr_mem_free(*colkeys, (nk ? nk : 1) * sizeof(uint32_t));
                *colkeys = NULL;
                return lr_error_nomem(err);
            }
            for (size_t i = 0; !c.bad && i < need; i++)
                arr[i] = get_f64(&c);
            get_u64(&c);
            for (size_t i = 0; !c.bad && has_m2 && i < kk; i++)
                arr[need + i] = get_f64(&c);
            get_u64(&c);
            get_u64(&c);
            double *pend = arr ? arr + need + (has_m2 ? kk : 0) : NULL;
            for (size_t i = 0; !c.bad && i < st.npend * st.mdim; i++)
                pend[i] = get_f64(&c);
            if (!c.bad && (st.kernel > LR_KERNEL_QR || st.rrows > st.mdim || !isfinite(st.w)))
                c.bad = 1;
            if (!c.bad) {
                st.shift = arr;
                st.dmean = arr + *k;
                st.m2 = has_m2 ? arr + need : NULL;
                st.pend = st.npend ? pend : NULL;
                st.ldp = st.npend;
                rc = lr_accum_from_state(&st, acc, err);
            }
            lr_mem_free(arr, (total ? total : 1) * sizeof(double));
        }
    }
    if (!rc && c.bad)
        rc = corrupt(err, name, "a file record does not hold what it should");
    if (rc) {
        lr_mem_free(*colkeys, (nk ? nk : 1) * sizeof(uint32_t));
        *colkeys = NULL;
        lr_accum_free(*acc);
        *acc = NULL;
        return rc;
    }
    *cp = c;
    return LR_OK;
}

int lr_partial_get_file(lr_partial_cursor *pc, const lr_frame *f, lr_levels **levels,
                        uint32_t **colkeys, size_t *k, lr_accum **acc, lr_error *err)
{
    cursor c = {pc->p->bytes, pc->p->files_end, pc->off, 0};
    int rc = get_state(&c, pc->p->name, f, levels, colkeys, k, acc, err);
    if (!rc)
        pc->off = c.off;
    return rc;
}

/* ---- a parsed chunk as a record (an MPI rank's, for rank 0's fold) ---- */

/* Record kinds, after the part's section tags (1 to 5). */
#define REC_CHUNK 6u /* a parsed chunk */
#define REC_ERROR 7u /* a chunk that failed */
#define REC_START 8u /* a file after the first starts: its header's lines */

void lr_partial_put_file_start(lr_pbuf *p, uint64_t file, uint64_t line_off)
{
    lr_pbuf_u64(p, REC_START);
    lr_pbuf_u64(p, file);
    lr_pbuf_u64(p, 0);
    lr_pbuf_u64(p, line_off);
}

int lr_partial_put_chunk(lr_pbuf *p, const lr_chunk *c, uint64_t file, uint64_t block,
                         uint64_t lines, lr_error *err)
{
    const lr_frame *f = c->f;
    /* a first pass of bases collects values rank 0 would need as well */
    if (f->bn_vars || c->bn)
        return lr_error_set(err, LR_EUSAGE,
                            "a chunk of a model with poly/scale/ns/bs "
                            "cannot be sent as a record");
    uint64_t head[] = {REC_CHUNK,   file,        block,      lines,   c->rows,  c->dropped,
                       c->nan_rows, c->nan_line, c->nan_var, c->fp.n, c->fp.s0, c->fp.s1};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        lr_pbuf_u64(p, head[i]);
    put_state(p, f, c->levels, c->colkeys, c->k, c->acc);
    for (size_t i = 0; i < c->k - f->kfixed; i++) {
        const col_origin *o = &c->colorigin[i];
        lr_pbuf_u64(p, o->line);
        lr_pbuf_u64(p, o->col);
        lr_pbuf_u64(p, o->var);
        lr_pbuf_u64(p, o->level);
    }
    return p->failed ? lr_error_nomem(err) : LR_OK;
}

int lr_partial_put_chunk_error(lr_pbuf *p, uint64_t file, uint64_t block, int code,
                               const lr_error *e, lr_error *err)
{
    uint64_t head[] = {REC_ERROR, file, block, (uint64_t)code, e->line, e->col};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        lr_pbuf_u64(p, head[i]);
    put_cstr(p, e->message);
    return p->failed ? lr_error_nomem(err) : LR_OK;
}

/* The chunk's own fields of a REC_CHUNK record into c (made by
 * lr_chunk_create: fresh levels, no column). */
static int get_chunk_body(cursor *cp, const char *name, lr_chunk *c, lr_error *err)
{
    const lr_frame *f = c->f;
    uint64_t *head[] = {&c->rows,       &c->dropped, &c->nan_rows, &c->nan_line,
                        NULL /* var */, &c->fp.n,    &c->fp.s0,    &c->fp.s1};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        uint64_t x = get_u64(cp);
        if (head[i])
            *head[i] = x;
        else
            c->nan_var = (size_t)x;
    }
    uint32_t *colkeys = NULL;
    lr_accum *acc = NULL;
    size_t k = 0;
    int rc = get_state(cp, name, f, c->levels, &colkeys, &k, &acc, err);
    if (rc)
        return rc;
    size_t nk = k - f->kfixed;
    lr_accum_free(c->acc);
    c->acc = acc;
    c->k = k;
    c->colkeys_cap = nk;
    c->colkeys = colkeys;
    if (!nk) { /* get_state's one spare key */
        lr_mem_free(colkeys, sizeof(uint32_t));
        c->colkeys = NULL;
    }
    if (nk && !(c->colorigin = lr_mem_calloc(nk, sizeof(col_origin))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < nk && !cp->bad; i++) {
        col_origin *o = &c->colorigin[i];
        o->line = get_u64(cp);
        o->col = get_u64(cp);
        uint64_t var = get_u64(cp), level = get_u64(cp);
        if (var >= f->formula->nvars || !f->vars[var].factor ||
            level >= lr_levels_count(c->levels[var]))
            cp->bad = 1;
        o->var = (size_t)var;
        o->level = (uint32_t)level;
    }
    if (cp->bad)
        return corrupt(err, name, "a chunk record does not hold what it should");
    /* its rows are not sent: a second pass reads the text again */
    c->spool.over = f->rows_wanted != 0;
    return LR_OK;
}

int lr_partial_get_chunk(const void *bytes, size_t len, size_t *off, const char *name,
                         const lr_frame *f, lr_chunk_record *out, lr_error *err)
{
    cursor c = {bytes, len, *off, 0};
    memset(out, 0, sizeof *out);
    uint64_t kind = get_u64(&c);
    out->file = get_u64(&c);
    out->block = get_u64(&c);
    int rc = LR_OK;
    if (kind == REC_ERROR) {
        uint64_t code = get_u64(&c);
        out->err.line = get_u64(&c);
        out->err.col = get_u64(&c);
        const char *msg = get_cstr(&c);
        if (c.bad || !msg || code == LR_OK || code > INT32_MAX)
            return corrupt(err, name, "an error record does not hold what it should");
        out->rc = (int)code;
        out->err.code = (int)code;
        snprintf(out->err.message, sizeof out->err.message, "%s", msg);
    } else if (kind == REC_START) {
        out->start = 1;
        out->lines = get_u64(&c);
        if (c.bad)
            return corrupt(err, name, "a file's start record is cut short");
    } else if (kind == REC_CHUNK) {
        out->lines = get_u64(&c);
        if (c.bad)
            return corrupt(err, name, "a chunk record is cut short");
        if ((rc = lr_chunk_create(f, &out->chunk, err)) ||
            (rc = get_chunk_body(&c, name, out->chunk, err))) {
            lr_chunk_free(out->chunk);
            out->chunk = NULL;
            return rc;
        }
    } else {
        return corrupt(err, name, "not a chunk record");
    }
    *off = c.off;
    return LR_OK;
}

int lr_partial_load(const char *path, lr_partial **out, lr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lr_error_set(err, LR_EIO, "%s: cannot open the partial fit", path);
    lr_pbuf b = {0};
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        lr_pbuf_bytes(&b, buf, got);
    int bad = ferror(f);
    fclose(f);
    int rc = bad        ? lr_error_set(err, LR_EIO, "%s: cannot read the partial fit", path)
             : b.failed ? lr_error_nomem(err)
                        : lr_partial_parse(b.b, b.n, path, out, err);
    lr_pbuf_free(&b);
    return rc;
}
