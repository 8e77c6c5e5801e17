/*
 * source_concat.c — several files read as one input: the first file whole,
 * then the rows of every other file (its header row checked against the
 * first file's and skipped), each file that does not end with a line end
 * followed by one. The chunker (ingest.c) sees one stream of bytes, so the
 * chunks, the merge tree and therefore every bit of the result are those of
 * that concatenation: they depend on the bytes and the order of the files
 * only, not on where one file ends (docs/design.md, "Several files").
 *
 * Messages still name a file and its line: while the first pass hands the
 * bytes out it counts their physical lines (LF, CR and CRLF each end one, in
 * quotes too, as the CSV reader counts them) and records where each file's
 * part starts; lr_concat_locate maps a line of the concatenation back.
 * Files are opened one after the other as the reading reaches them, and kept
 * open for second passes, which read each again (lr_source_again: through
 * its descriptor, or its copy for a stream) and skip the same header bytes.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "source_concat.h"

typedef struct member {
    char *path;          /* as given ("-": standard input) (owned) */
    const char *name;    /* for messages: lr_source_name of src (borrowed from it) */
    lr_source *src;      /* its bytes, once the reading reached it (owned) */
    uint64_t first_line; /* line of the concatenation where its part starts */
    uint64_t line_off;   /* that line's number in the file */
    size_t skip;         /* bytes of its header row, line end included (0 for the first) */
} member;

struct lr_concat {
    member *m;              /* the files, in order (the first pass's own; a second pass's
                               point at the same array) */
    size_t n;               /* their number */
    const lr_concat *table; /* a second pass: the first pass, whose sources it reads again
                               and whose line table it uses; NULL for the first pass */
    lr_source **again;      /* a second pass: the sources it reads (owned), NULL before */
    size_t cur;             /* the file being read */
    int opened;             /* the current file is open (and its header read) */
    char *hdr;              /* the first file's header row, line end excluded (owned) */
    size_t hdr_len;         /* its bytes */
    char *pend;             /* bytes read from the current file not handed out yet */
    size_t pend_len;        /* their number */
    size_t pend_off;        /* the next one */
    size_t pend_cap;        /* capacity */
    int emitted;            /* the current file handed out a byte */
    char last;              /* the last byte handed out */
    int eol;                /* a line end is owed after the file just finished */
    uint64_t lines;         /* first pass: line ends handed out so far */
    int prev_cr;            /* first pass: the last byte handed out was a CR */
    size_t max_line;        /* the longest header row read */
    uint64_t spool_limit;   /* for lr_source_spool of each stream */
    uint64_t size;          /* the files' sizes (stat; 0 for streams) */
    int split;              /* reads stop at each file's end (lr_concat_split) */
    int held;               /* split: stopped at a file's end until lr_concat_next */
    size_t hdr_skip;        /* the first file's bytes up to its first data row */
    int head_only;          /* the first file hands out its header row only (an MPI
                               rank's types come from it; lr_concat_header_only) */
    char why[640];          /* lr_concat_again_why's answer */
};

/* The bytes '\n' of b[0..n), eight at a time: a byte x of w ^ 0x0a..0a is 0
 * exactly when the high bit of ((x & 0x7f) + 0x7f) | x is clear (no carry
 * crosses a byte: the sum is at most 0xfe). */
static uint64_t count_lf(const char *b, size_t n)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, lf = 0x0a0a0a0a0a0a0a0aULL;
    uint64_t k = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        uint64_t x = w ^ lf, t = ((x & low7) + low7) | x;
        /* one bit per LF byte, summed into the top byte by one multiply */
        k += (((~t & ~low7) >> 7) * 0x0101010101010101ULL) >> 56;
    }
    for (; i < n; i++)
        k += b[i] == '\n';
    return k;
}

/* Physical lines ended in b[0..n), as the CSV reader counts them: LF, CR and
 * CRLF (also split between two reads) each end one. */
static void count_lines(lr_concat *c, const char *b, size_t n)
{
    if (n > 0 && !memchr(b, '\r', n)) { /* LF only: the common case */
        const char *p = b, *e = b + n;
        if (c->prev_cr && *p == '\n')
            p++; /* the LF of a CRLF split between two reads */
        c->lines += count_lf(p, (size_t)(e - p));
        c->prev_cr = 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\r')
            c->lines++;
        else if (b[i] == '\n' && !c->prev_cr)
            c->lines++;
        c->prev_cr = b[i] == '\r';
    }
}

static int pend_grow(lr_concat *c, size_t need, lr_error *err)
{
    if (need <= c->pend_cap)
        return LR_OK;
    size_t cap = c->pend_cap ? c->pend_cap : 65536;
    while (cap < need)
        cap *= 2;
    char *p = lr_mem_realloc(c->pend, c->pend_cap, cap);
    if (!p)
        return lr_error_nomem(err);
    c->pend = p;
    c->pend_cap = cap;
    return LR_OK;
}

/* Read src into c->pend until it holds a whole first row (a line end outside
 * quotes; a CR at the end waits for the next byte) or the file ends:
 * *hlen = the row's bytes without its line end, *skip with it. */
static int read_header(lr_concat *c, lr_source *src, const char *name, size_t *hstart,
                       size_t *hlen, size_t *skip, lr_error *err)
{
    size_t i = 0;
    int odd = 0, rc;
    *hstart = 0; /* empty lines before it are skipped, as the CSV reader does */
    c->pend_len = c->pend_off = 0;
    for (;;) {
        /* a UTF-8 byte order mark first is no part of the header (the CSV
         * reader drops it), and empty lines may follow it */
        if (i == 0 && c->pend_len >= 3 && memcmp(c->pend, "\xef\xbb\xbf", 3) == 0)
            i = *hstart = 3;
        for (; i < c->pend_len; i++) {
            char ch = c->pend[i];
            if (ch == '"')
                odd ^= 1;
            else if (!odd && (ch == '\n' || ch == '\r')) {
                if (ch == '\r' && i + 1 == c->pend_len)
                    break; /* read on: CRLF or CR */
                size_t next = i + 1 + (ch == '\r' && c->pend[i + 1] == '\n');
                if (i == *hstart) {
                    *hstart = next;
                    i = next - 1;
                    continue;
                }
                *hlen = i - *hstart;
                *skip = next;
                return LR_OK;
            }
        }
        if (c->pend_len > c->max_line + 2)
            return lr_csv_row_too_long(err, name, 1, c->max_line);
        if ((rc = pend_grow(c, c->pend_len + 65536, err)))
            return rc;
        size_t got;
        if ((rc = lr_source_read(src, c->pend + c->pend_len, 65536, &got, err)))
            return rc;
        if (got == 0)
            break;
        c->pend_len += got;
    }
    if (c->pend_len == *hstart)
        return lr_error_set(err, LR_EDATA, "%s: empty file (no header row)", name);
    *skip = c->pend_len;
    *hlen = c->pend_len - *hstart;
    if (c->pend[c->pend_len - 1] == '\r')
        (*hlen)--;
    return LR_OK;
}

/* The header row of file k, hdr[0..len), against the first file's: the
 * same fields (quoting aside) in the same order, or an error naming both
 * files and the first column that differs. */
static int same_header(const lr_concat *c, size_t k, const char *hdr, size_t len, lr_error *err)
{
    const char *n0 = c->m[0].name, *nk = c->m[k].name;
    if (len == c->hdr_len && memcmp(hdr, c->hdr, len) == 0)
        return LR_OK;
    lr_csv_options copt = {0, c->max_line + 2};
    lr_csv *a = NULL, *b = NULL;
    lr_csv_row ra, rb;
    int ha = 0, hb = 0;
    int rc = lr_csv_open_buffer(c->hdr, c->hdr_len, n0, &copt, &a, err);
    if (!rc)
        rc = lr_csv_next(a, &ra, &ha, err);
    /* the later header read with the first one's delimiter: "y;x" is not "y,x" */
    if (!rc)
        copt.delimiter = lr_csv_delimiter(a);
    if (!rc)
        rc = lr_csv_open_buffer(hdr, len, nk, &copt, &b, err);
    if (!rc)
        rc = lr_csv_next(b, &rb, &hb, err);
    if (rc)
        goto done;
    size_t na = ha ? ra.nfields : 0, nb = hb ? rb.nfields : 0;
    for (size_t j = 0; j < na || j < nb; j++) {
        char qa[96], qb[96];
        if (j < na)
            lr_error_quote(qa, sizeof qa, ra.fields[j].data, ra.fields[j].len, 64);
        if (j < nb)
            lr_error_quote(qb, sizeof qb, rb.fields[j].data, rb.fields[j].len, 64);
        if (j >= na || j >= nb) {
            rc = lr_error_at(err, LR_EDATA, nk, 1, j < nb ? rb.fields[j].col : 0,
                             "the header differs from %s's: %zu columns here, %zu there "
                             "(column %zu: %s%s%s)",
                             n0, nb, na, j + 1, j < nb ? "'" : "none here, '", j < nb ? qb : qa,
                             j < nb ? "' here, none there" : "' there");
            goto done;
        }
        if (ra.fields[j].len != rb.fields[j].len ||
            memcmp(ra.fields[j].data, rb.fields[j].data, ra.fields[j].len) != 0) {
            rc = lr_error_at(err, LR_EDATA, nk, 1, rb.fields[j].col,
                             "the header differs from %s's: column %zu is '%s' here, '%s' in %s",
                             n0, j + 1, qb, qa, n0);
            goto done;
        }
    }
done:
    lr_csv_free(a);
    lr_csv_free(b);
    return rc;
}

/* Open file c->cur (first pass) or read it again (a second pass), read
 * its header row, and leave in pend what it hands out first. */
static int open_member(lr_concat *c, lr_error *err)
{
    size_t k = c->cur;
    member *m = &c->m[k];
    int rc;
    c->pend_len = c->pend_off = 0;
    c->emitted = 0;
    if (c->table) {
        /* the same bytes as the first pass: its header length holds */
        if ((rc = lr_source_again(m->src, &c->again[k], err)))
            return rc;
        size_t left = m->skip;
        while (left > 0) {
            size_t got;
            if ((rc = pend_grow(c, 65536, err)) ||
                (rc = lr_source_read(c->again[k], c->pend, left < 65536 ? left : 65536, &got,
                                     err)))
                return rc;
            if (got == 0)
                break;
            left -= got;
        }
        c->pend_len = 0;
        c->opened = 1;
        return LR_OK;
    }
    if ((rc = lr_source_open(m->path, NULL, &m->src, err)))
        return rc;
    m->name = lr_source_name(m->src);
    lr_source_spool(m->src, c->spool_limit);
    size_t hstart = 0, hlen = 0, skip = 0;
    if ((rc = read_header(c, m->src, m->name, &hstart, &hlen, &skip, err)))
        return rc;
    if (k == 0) {
        c->hdr = lr_mem_alloc(hlen + 1);
        if (!c->hdr)
            return lr_error_nomem(err);
        memcpy(c->hdr, c->pend + hstart, hlen);
        c->hdr_len = hlen;
        c->hdr_skip = skip;
        m->line_off = 1;
    } else {
        if ((rc = same_header(c, k, c->pend + hstart, hlen, err)))
            return rc;
        /* its header's lines (a quoted name may hold a line end) */
        lr_concat h = {0};
        count_lines(&h, c->pend, skip);
        m->line_off = h.lines + (skip == hlen) + 1;
        m->skip = skip;
        c->pend_off = skip;
    }
    m->first_line = c->lines + 1;
    c->opened = 1;
    return LR_OK;
}

static lr_source *cur_src(const lr_concat *c)
{
    return c->table ? c->again[c->cur] : c->m[c->cur].src;
}

/* Hand out b[0..n) as the next bytes. */
static void hand_out(lr_concat *c, char *buf, const char *b, size_t n)
{
    if (buf != b)
        memcpy(buf, b, n);
    if (n == 0)
        return;
    c->emitted = 1;
    c->last = b[n - 1];
    if (!c->table)
        count_lines(c, b, n);
}

int lr_concat_read(lr_concat *c, char *buf, size_t n, size_t *got, lr_error *err)
{
    int rc;
    *got = 0;
    if (n == 0)
        return LR_OK;
    for (;;) {
        if (c->eol) { /* after a byte that is no line end: one more line */
            c->eol = 0;
            buf[0] = '\n';
            c->last = '\n';
            c->prev_cr = 0;
            c->lines += !c->table;
            *got = 1;
            return LR_OK;
        }
        if (c->held || c->cur == c->n)
            return LR_OK;
        if (!c->opened && (rc = open_member(c, err)))
            return rc;
        if (c->pend_off < c->pend_len) {
            size_t k = c->pend_len - c->pend_off;
            if (k > n)
                k = n;
            hand_out(c, buf, c->pend + c->pend_off, k);
            c->pend_off += k;
            *got = k;
            return LR_OK;
        }
        size_t k = 0;
        if (!(c->head_only && c->cur == 0) && (rc = lr_source_read(cur_src(c), buf, n, &k, err)))
            return rc;
        if (k > 0) {
            hand_out(c, buf, buf, k);
            *got = k;
            return LR_OK;
        }
        /* this file is done: a line end after it if its last row has none */
        c->eol = c->emitted && c->last != '\n' && c->last != '\r' && c->cur + 1 < c->n;
        c->cur++;
        c->opened = 0;
        c->held = c->split; /* after the line end owed, if any */
    }
}

const char *lr_concat_name(const lr_concat *c, size_t k)
{
    const lr_concat *t = c->table ? c->table : c;
    return k >= t->n ? NULL : t->m[k].name ? t->m[k].name : t->m[k].path;
}

void lr_concat_split(lr_concat *c)
{
    c->split = 1;
}

int lr_concat_next(lr_concat *c, uint64_t *start, lr_error *err)
{
    int rc;
    *start = 0;
    if (c->eol || c->cur == c->n)
        return 0;
    c->held = 0;
    if (!c->opened && (rc = open_member(c, err)))
        return -rc;
    *start = c->m[c->cur].skip;
    return 1;
}

void lr_concat_header_only(lr_concat *c)
{
    /* only before the first byte is handed out */
    if (c->table || c->cur != 0 || !c->opened || c->pend_off != 0)
        return;
    c->head_only = 1;
    if (c->pend_len > c->hdr_skip)
        c->pend_len = c->hdr_skip;
}

void lr_concat_spool(lr_concat *c, uint64_t limit)
{
    c->spool_limit = limit;
}

const char *lr_concat_again_why(lr_concat *c)
{
    for (size_t k = 0; k < c->n; k++) {
        if (!c->m[k].src) {
            snprintf(c->why, sizeof c->why, "was not read to its end");
            return c->why;
        }
        const char *why = lr_source_again_why(c->m[k].src);
        if (why) {
            snprintf(c->why, sizeof c->why, "includes %s, which %s", c->m[k].name, why);
            return c->why;
        }
    }
    return NULL;
}

void lr_concat_free(lr_concat *c)
{
    if (!c)
        return;
    if (c->table) {
        for (size_t k = 0; k < c->n && c->again; k++)
            lr_source_free(c->again[k]);
        lr_mem_free(c->again, c->n * sizeof(lr_source *));
    } else {
        for (size_t k = 0; k < c->n; k++) {
            lr_source_free(c->m[k].src);
            lr_mem_strfree(c->m[k].path);
        }
        lr_mem_free(c->m, c->n * sizeof(member));
        lr_mem_free(c->hdr, c->hdr_len + 1);
    }
    lr_mem_free(c->pend, c->pend_cap);
    lr_mem_free(c, sizeof *c);
}

int lr_concat_again(lr_concat *c, lr_concat **out, lr_error *err)
{
    *out = NULL;
    const char *why = lr_concat_again_why(c);
    if (why)
        return lr_error_set(err, LR_EIO, "%s %s", c->m[0].name, why);
    lr_concat *a = lr_mem_calloc(1, sizeof *a);
    if (!a)
        return lr_error_nomem(err);
    a->m = c->m;
    a->n = c->n;
    a->table = c->table ? c->table : c;
    a->max_line = c->max_line;
    a->size = c->size;
    a->again = lr_mem_calloc(c->n, sizeof(lr_source *));
    if (!a->again) {
        lr_concat_free(a);
        return lr_error_nomem(err);
    }
    *out = a;
    return LR_OK;
}

int lr_concat_check(const lr_concat *c, lr_error *err)
{
    int rc;
    for (size_t k = 0; k < c->n; k++) {
        const lr_source *s = c->table ? c->again[k] : c->m[k].src;
        if (s && (rc = lr_source_check(s, err)))
            return rc;
    }
    return LR_OK;
}

uint64_t lr_concat_size(const lr_concat *c)
{
    return c->size;
}

uint64_t lr_concat_consumed(const lr_concat *c)
{
    uint64_t t = 0;
    for (size_t k = 0; k < c->n; k++) {
        const lr_source *s = c->table ? c->again[k] : c->m[k].src;
        if (s)
            t += lr_source_consumed(s);
    }
    return t;
}

void lr_concat_locate(const lr_concat *c, uint64_t line, const char **name, uint64_t *local)
{
    const lr_concat *t = c->table ? c->table : c;
    /* the last file reached whose part starts at or before `line` */
    size_t lo = 0, hi = t->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->m[mid].src && t->m[mid].first_line <= line)
            lo = mid;
        else
            hi = mid;
    }
    *name = t->m[lo].name ? t->m[lo].name : t->m[lo].path;
    *local = line - t->m[lo].first_line + t->m[lo].line_off;
}

int lr_source_open_files(const char *const *paths, size_t n, size_t max_line,
                         uint64_t spool_limit, lr_source **out, lr_error *err)
{
    *out = NULL;
    if (n == 0)
        return lr_error_set(err, LR_EUSAGE, "no input file");
    if (n == 1) {
        int rc = lr_source_open(paths[0], NULL, out, err);
        if (rc == LR_OK)
            lr_source_spool(*out, spool_limit);
        return rc;
    }
    size_t stdin_at = 0;
    for (size_t k = 0; k < n; k++)
        if (strcmp(paths[k], "-") == 0) {
            if (stdin_at)
                return lr_error_set(err, LR_EUSAGE,
                                    "standard input ('-') is given twice (files %zu and %zu): it "
                                    "can be read only once",
                                    stdin_at, k + 1);
            stdin_at = k + 1;
        }
    lr_concat *c = lr_mem_calloc(1, sizeof *c);
    if (!c)
        return lr_error_nomem(err);
    c->max_line = max_line ? max_line : LR_MAX_LINE_DEFAULT;
    c->spool_limit = spool_limit; /* before the first file's first read */
    c->m = lr_mem_calloc(n, sizeof(member));
    if (!c->m) {
        lr_mem_free(c, sizeof *c);
        return lr_error_nomem(err);
    }
    c->n = n;
    for (size_t k = 0; k < n; k++) {
        struct stat st;
        if (!(c->m[k].path = lr_mem_strdup(paths[k]))) {
            lr_concat_free(c);
            return lr_error_nomem(err);
        }
        if (strcmp(paths[k], "-") != 0 && stat(paths[k], &st) == 0 && S_ISREG(st.st_mode))
            c->size += (uint64_t)st.st_size;
    }
    /* the first file now: its errors (cannot open, empty) come first */
    int rc = open_member(c, err);
    char name[512];
    snprintf(name, sizeof name, "%s and %zu more file%s", c->m[0].name ? c->m[0].name : paths[0],
             n - 1, n == 2 ? "" : "s");
    if (rc) {
        lr_concat_free(c);
        return rc;
    }
    return lr_source_wrap_concat(c, name, out, err);
}

void lr_source_locate(const lr_source *s, uint64_t line, const char **name, uint64_t *local)
{
    const lr_concat *c = s ? lr_source_concat(s) : NULL;
    if (!c || line == 0) {
        *name = s ? lr_source_name(s) : NULL;
        *local = line;
        return;
    }
    lr_concat_locate(c, line, name, local);
}

void lr_source_relocate_error(const lr_source *s, lr_error *err)
{
    const lr_concat *c = s ? lr_source_concat(s) : NULL;
    if (!c || !err || err->line == 0)
        return;
    char rest[LR_ERROR_MAX];
    if (!lr_error_after_place(err, lr_source_name(s), rest, sizeof rest))
        return;
    const char *file;
    uint64_t local;
    lr_concat_locate(c, err->line, &file, &local);
    lr_error_at(err, err->code, file, local, err->col, "%s", rest);
}
