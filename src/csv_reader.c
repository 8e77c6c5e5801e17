/*
 * csv_reader.c — the pull-style CSV reader: bytes in, borrowed fields out.
 *
 * Design (zsv/libcsv shape, with positions on every error):
 *
 *   - The bytes come either from a borrowed in-memory buffer or from a file
 *     descriptor read(2) into an owned buffer of 1 MiB. A row that straddles
 *     the end of the buffer is moved to the front and the rest of the buffer
 *     refilled; only a row longer than the whole buffer makes it grow
 *     (doubling). Memory is therefore bounded by the longest row, never by
 *     the file.
 *   - A row is parsed in one go from its first byte. If the bytes in hand end
 *     before the row does, the attempt is abandoned and restarted after a
 *     refill. Refills read until the buffer is full (or EOF), so a row is
 *     re-parsed at most once per doubling of the data in hand: the cost of
 *     restarting is amortised, and the parser needs no resumable state.
 *   - Unquoted fields and quoted fields without "" point straight into the
 *     bytes. Fields with "" are unescaped into a reader-owned scratch area
 *     only once the row is complete, when the space they need is known; so
 *     scratch never moves under a field already handed out in the same row.
 *   - Positions: a field's line and column are computed from stream offsets
 *     (offset of data[0] plus the index), so moving bytes within the buffer
 *     never disturbs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "byte_source.h"
#include "internal.h"

/* The fuzz build makes the buffer tiny (LR_CSV_BUF_SIZE=64), so that short
 * fuzz inputs read through a descriptor cross refills and grow the buffer. */
#ifndef LR_CSV_BUF_SIZE
#define LR_CSV_BUF_SIZE (1 << 20)
#endif

enum {
    CSV_BUF_SIZE = LR_CSV_BUF_SIZE, /* owned read buffer: large reads, few refills */
    CSV_SNIFF_MIN = 64 << 10,       /* a pipe's first fill may stop here without a line end */
    CSV_SNIFF_LINES = 20,           /* lines sampled to detect the delimiter */
    CSV_FIELDS_INIT = 16            /* initial capacity of the fields array */
};

/* Bits of the byte-class table: one lookup per byte in the scanning loops. */
enum {
    CLS_END_UNQUOTED = 1, /* ends an unquoted run: delimiter, LF, CR, quote */
    CLS_END_QUOTED = 2,   /* ends a run inside quotes: quote, LF, CR */
    CLS_PAD = 4           /* blank allowed around a quoted field: space, TAB (unless delimiter) */
};

/* Outcome of one attempt to parse a row from the bytes in hand. */
enum {
    ROW_DONE = 0, /* a row was parsed and committed */
    ROW_MORE = 1, /* the bytes in hand end inside the row: refill and retry */
    ROW_FAIL = 2  /* an error, recorded in the reader */
};

struct lr_csv {
    lr_source *src;         /* the bytes (file, stdin, gzip); NULL for an in-memory buffer */
    int is_regular;         /* 1 if src is a regular file: its first fill is a full buffer */
    char *name;             /* display name for messages (owned) */
    char delim;             /* delimiter in use, given or detected */
    char *buf;              /* owned read buffer; NULL for an in-memory source */
    size_t cap;             /* size of buf in bytes */
    const char *data;       /* the bytes being parsed: buf, or the caller's buffer */
    size_t pos;             /* first unconsumed byte of data */
    size_t end;             /* number of valid bytes in data */
    int eof;                /* 1 once the source has no more bytes beyond data[end) */
    uint64_t base;          /* stream offset of data[0] */
    uint64_t line;          /* physical line (1-based) of data[pos] */
    uint64_t line_start;    /* stream offset of the first byte of that line */
    int skip_lf;            /* the last line end was a CR: a LF right after it is part of it */
    uint64_t nrows;         /* rows handed out so far */
    size_t max_row;         /* a row of more bytes (line end excluded) is an error */
    int done;               /* 1 once the end of the input was reported */
    lr_csv_field *fields;   /* the current row's fields (reused between rows) */
    size_t fields_cap;      /* capacity of fields */
    char *scratch;          /* unescaped contents of quoted fields holding "" */
    size_t scratch_cap;     /* capacity of scratch in bytes */
    unsigned char cls[256]; /* CLS_* bits of each byte value, for this delimiter */
    int failed;             /* 1 after an error: later calls repeat it */
    lr_error error;         /* the error to repeat */
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Record a sticky error in the reader and copy it to err. */
static int fail(lr_csv *r, lr_error *err)
{
    r->failed = 1;
    if (err)
        *err = r->error;
    return r->error.code;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

static void set_classes(lr_csv *r)
{
    unsigned char *cls = r->cls;
    memset(cls, 0, sizeof r->cls);
    cls[(unsigned char)r->delim] |= CLS_END_UNQUOTED;
    cls['\n'] |= CLS_END_UNQUOTED | CLS_END_QUOTED;
    cls['\r'] |= CLS_END_UNQUOTED | CLS_END_QUOTED;
    cls['"'] |= CLS_END_UNQUOTED | CLS_END_QUOTED;
    /* A NUL byte is never text: it stops both scans, and is an error. */
    cls[0] |= CLS_END_UNQUOTED | CLS_END_QUOTED;
    /* A blank that is the delimiter separates fields; it cannot also pad one. */
    if (r->delim != ' ')
        cls[' '] |= CLS_PAD;
    if (r->delim != '\t')
        cls['\t'] |= CLS_PAD;
}

/*
 * Count candidate delimiters outside quotes on the first lines of d[0..n)
 * and pick the one that is consistent (the same count, at least one, on every
 * sampled line) with the largest count; ties go to the earlier of , ; TAB |.
 * Failing that, the one most frequent on the first line; failing that, ','.
 * `complete` says that d ends at the end of the input, so a last line without
 * a line end is whole; otherwise it is sampled only if it is the only line.
 */
static char detect_delimiter(const char *d, size_t n, int complete)
{
    static const char cand[4] = {',', ';', '\t', '|'};
    size_t first[4] = {0, 0, 0, 0}, cur[4] = {0, 0, 0, 0};
    int consistent[4] = {1, 1, 1, 1};
    size_t lines = 0, linelen = 0;
    int inq = 0;

    for (size_t i = 0; i <= n && lines < CSV_SNIFF_LINES; i++) {
        int at_end = i == n;
        char c = at_end ? '\n' : d[i];
        if (at_end && !(complete || lines == 0))
            break;
        if (c == '"') {
            /* "" inside quotes toggles twice: no special case needed. */
            inq = !inq;
        } else if ((c == '\n' || c == '\r') && (!inq || at_end)) {
            if (linelen > 0) {
                for (int k = 0; k < 4; k++) {
                    if (lines == 0)
                        first[k] = cur[k];
                    else if (cur[k] != first[k])
                        consistent[k] = 0;
                }
                lines++;
            }
            memset(cur, 0, sizeof cur);
            linelen = 0;
            continue;
        } else if (!inq) {
            for (int k = 0; k < 4; k++)
                cur[k] += c == cand[k];
        }
        linelen++;
    }

    int best = -1;
    for (int k = 0; k < 4; k++)
        if (first[k] > 0 && consistent[k] && (best < 0 || first[k] > first[best]))
            best = k;
    if (best < 0)
        for (int k = 0; k < 4; k++)
            if (first[k] > 0 && (best < 0 || first[k] > first[best]))
                best = k;
    return best < 0 ? ',' : cand[best];
}

/*
 * read(2) into buf[end..cap) until the buffer is full or EOF, or, when
 * `sniff` is set, until the bytes hold a line end or CSV_SNIFF_MIN bytes (a
 * pipe's writer may pause after the header; the first rows must not wait for
 * a full megabyte).
 */
static int fill(lr_csv *r, int sniff)
{
    while (r->end < r->cap) {
        size_t got = 0;
        if (lr_source_read(r->src, r->buf + r->end, r->cap - r->end, &got, &r->error))
            return r->error.code;
        if (got == 0) {
            r->eof = 1;
            break;
        }
        const char *fresh = r->buf + r->end;
        r->end += got;
        if (sniff &&
            (r->end >= CSV_SNIFF_MIN || memchr(fresh, '\n', got) || memchr(fresh, '\r', got)))
            break;
    }
    r->data = r->buf;
    return LR_OK;
}

/*
 * Make room after the unconsumed bytes and read more: drop the consumed
 * prefix, grow the buffer only if the unconsumed bytes (one row) fill it.
 */
static int refill(lr_csv *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->base += r->pos;
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->end == r->cap) {
        if (r->cap > SIZE_MAX / 2)
            return lr_error_nomem(&r->error);
        char *nb = lr_mem_realloc(r->buf, r->cap, r->cap * 2);
        if (!nb)
            return lr_error_nomem(&r->error);
        r->buf = nb;
        r->cap *= 2;
    }
    return fill(r, 0);
}

/* Allocate a reader with its name and fields; the source is set by the caller. */
static int new_reader(const char *name, const lr_csv_options *opt, lr_csv **out, lr_error *err)
{
    char delim = opt ? opt->delimiter : 0;
    if (delim == '"' || delim == '\n' || delim == '\r')
        return lr_error_at(err, LR_EUSAGE, name, 0, 0,
                           "invalid delimiter (quote and line ends cannot delimit fields)");
    lr_csv *r = lr_mem_calloc(1, sizeof *r);
    if (!r)
        return lr_error_nomem(err);
    r->line = 1;
    r->delim = delim;
    r->max_row = opt && opt->max_row_bytes ? opt->max_row_bytes : LR_MAX_LINE_DEFAULT;
    r->name = lr_mem_strdup(name);
    r->fields = lr_mem_calloc(CSV_FIELDS_INIT, sizeof *r->fields);
    r->fields_cap = r->fields ? CSV_FIELDS_INIT : 0;
    if (!r->name || !r->fields) {
        lr_csv_free(r);
        return lr_error_nomem(err);
    }
    *out = r;
    return LR_OK;
}

/*
 * Common tail of every open: skip a UTF-8 BOM (it is not part of the first
 * line's columns), then settle the delimiter from the first bytes.
 * `sample` bounds the detection sample so that the same bytes give the same
 * delimiter from a file (one buffer) and from memory.
 */
static void start(lr_csv *r, size_t sample, int sample_complete)
{
    if (r->end >= 3 && memcmp(r->data, "\xEF\xBB\xBF", 3) == 0) {
        r->pos = 3;
        r->line_start = 3;
    }
    if (r->delim == 0)
        r->delim = detect_delimiter(r->data + r->pos, sample - r->pos, sample_complete);
    set_classes(r);
}

/* A reader over a byte source (taken over: freed with the reader). */
static int open_source(lr_source *src, const char *name, const lr_csv_options *opt, lr_csv **out,
                       lr_error *err)
{
    lr_csv *r = NULL;
    *out = NULL;
    int rc = new_reader(name, opt, &r, err);
    if (rc) {
        lr_source_free(src);
        return rc;
    }
    r->src = src;
    r->is_regular = lr_source_regular(src);
    r->buf = lr_mem_alloc(CSV_BUF_SIZE);
    if (!r->buf) {
        lr_csv_free(r);
        return lr_error_nomem(err);
    }
    r->cap = CSV_BUF_SIZE;
    r->data = r->buf;
    if (fill(r, !r->is_regular)) {
        if (err)
            *err = r->error;
        rc = r->error.code;
        lr_csv_free(r);
        return rc;
    }
    start(r, r->end, r->eof);
    *out = r;
    return LR_OK;
}

int lr_csv_open_fd(int fd, const char *display_name, const lr_csv_options *opt, lr_csv **out,
                   lr_error *err)
{
    const char *name = display_name ? display_name : "<fd>";
    lr_source *src;
    *out = NULL;
    int rc = lr_source_open_fd(fd, 0, name, &src, err);
    return rc ? rc : open_source(src, name, opt, out, err);
}

int lr_csv_open(const char *path, const char *display_name, const lr_csv_options *opt, lr_csv **out,
                lr_error *err)
{
    const char *name = display_name ? display_name : strcmp(path, "-") == 0 ? "<stdin>" : path;
    lr_source *src;
    *out = NULL;
    int rc = lr_source_open(path, name, &src, err);
    return rc ? rc : open_source(src, name, opt, out, err);
}

int lr_csv_open_source(lr_source *src, const lr_csv_options *opt, lr_csv **out, lr_error *err)
{
    return open_source(src, lr_source_name(src), opt, out, err);
}

const lr_source *lr_csv_source(const lr_csv *r)
{
    return r->src;
}

int lr_csv_open_buffer(const char *data, size_t len, const char *display_name,
                       const lr_csv_options *opt, lr_csv **out, lr_error *err)
{
    lr_csv *r = NULL;
    *out = NULL;
    int rc = new_reader(display_name ? display_name : "<buffer>", opt, &r, err);
    if (rc)
        return rc;
    r->data = data ? data : "";
    r->end = data ? len : 0;
    r->eof = 1;
    /* Sample what a file's first buffer would hold, so both agree. */
    start(r, r->end < CSV_BUF_SIZE ? r->end : CSV_BUF_SIZE, r->end <= CSV_BUF_SIZE);
    *out = r;
    return LR_OK;
}

char lr_csv_delimiter(const lr_csv *r)
{
    return r->delim;
}

const char *lr_csv_name(const lr_csv *r)
{
    return r->name;
}

uint64_t lr_csv_consumed(const lr_csv *r)
{
    return r->base + r->pos;
}

void lr_csv_continue(lr_csv *r, uint64_t line)
{
    /* a byte order mark belongs at the start of a file only: undo its skip */
    if (r->base == 0 && r->line_start == r->pos && r->pos == 3) {
        r->pos = 0;
        r->line_start = 0;
    }
    r->line = line;
}

uint64_t lr_csv_line(const lr_csv *r)
{
    return r->line;
}

void lr_csv_free(lr_csv *r)
{
    if (!r)
        return;
    lr_source_free(r->src);
    lr_mem_free(r->buf, r->cap);
    lr_mem_free(r->fields, r->fields_cap * sizeof *r->fields);
    lr_mem_free(r->scratch, r->scratch_cap);
    lr_mem_strfree(r->name);
    lr_mem_free(r, sizeof *r);
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                     */
/* ------------------------------------------------------------------------ */

static int grow_fields(lr_csv *r)
{
    size_t ncap, bytes;
    if (lr_mul_overflows(r->fields_cap, 2, &ncap) ||
        lr_mul_overflows(ncap, sizeof *r->fields, &bytes))
        return lr_error_nomem(&r->error);
    lr_csv_field *nf = lr_mem_realloc(r->fields, r->fields_cap * sizeof *r->fields, bytes);
    if (!nf)
        return lr_error_nomem(&r->error);
    r->fields = nf;
    r->fields_cap = ncap;
    return LR_OK;
}

/*
 * Replace the raw contents of the fields marked quoted == 2 (they hold "")
 * by their unescaped bytes in scratch. `need` is the sum of their raw
 * lengths, which bounds the unescaped total, so scratch is sized once.
 */
static int unescape_fields(lr_csv *r, size_t nf, size_t need)
{
    if (need > r->scratch_cap) {
        size_t ncap = r->scratch_cap > need / 2 ? r->scratch_cap * 2 : need;
        if (ncap < need)
            ncap = need;
        /* The old contents are dead: free first rather than copy them. */
        lr_mem_free(r->scratch, r->scratch_cap);
        r->scratch_cap = 0;
        r->scratch = lr_mem_alloc(ncap);
        if (!r->scratch)
            return lr_error_nomem(&r->error);
        r->scratch_cap = ncap;
    }
    char *o = r->scratch;
    for (size_t i = 0; i < nf; i++) {
        lr_csv_field *f = &r->fields[i];
        if (f->quoted != 2)
            continue;
        const char *s = f->data, *e = f->data + f->len;
        char *start = o;
        while (s < e) {
            /* Each '"' here is the first of a "" pair: keep it, skip its twin. */
            const char *q = memchr(s, '"', (size_t)(e - s));
            size_t n = q ? (size_t)(q - s) + 1 : (size_t)(e - s);
            memcpy(o, s, n);
            o += n;
            s += q ? n + 1 : n;
        }
        f->data = start;
        f->len = (size_t)(o - start);
        f->quoted = 1;
    }
    return LR_OK;
}

/* CSV is text: a NUL byte means a binary file, or text in UTF-16 or UTF-32. */
static int nul_byte(lr_csv *r, uint64_t line, uint64_t col)
{
    lr_error_at(&r->error, LR_EPARSE, r->name, line, col,
                "a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 "
                "text?)");
    return ROW_FAIL;
}

int lr_csv_row_too_long(lr_error *err, const char *name, uint64_t line, size_t max)
{
    return lr_error_at(err, LR_EDATA, name, line, 0,
                       "a row longer than %zu bytes, the limit on a row's length (not a CSV "
                       "file, or one endless line?); --max-line-bytes raises it",
                       max);
}

/* Where parse_row's scan is: local to it (and to the field scanners, which
 * are inlined into it), committed to the reader only when the row is whole;
 * with the reader's fields it reads, copied once a row (in locals the
 * compiler need not reload after each store to a field). */
typedef struct row_scan {
    size_t p;                 /* the next byte */
    uint64_t line;            /* its physical line */
    uint64_t lstart;          /* where that line starts (as r->line_start) */
    const char *d;            /* r->data */
    size_t e;                 /* r->end */
    int eof;                  /* r->eof */
    char delim;               /* r->delim */
    const unsigned char *cls; /* r->cls */
    uint64_t base;            /* r->base */
} row_scan;

/* A quoted field whose opening quote is at q: its contents into f (quoted 2
 * when they hold "" pairs, whose raw length is added to *escaped), then past
 * the closing quote and the blanks after it to the delimiter or line end.
 * ROW_DONE (s moved past the field), ROW_MORE or ROW_FAIL. */
static inline __attribute__((always_inline)) int scan_quoted(lr_csv *r, row_scan *s, size_t q,
                                                             lr_csv_field *f, size_t *escaped)
{
    const char *const d = s->d;
    const size_t e = s->e;
    const int eof = s->eof;
    const unsigned char *const cls = s->cls;
    const uint64_t base = s->base;
    uint64_t line = s->line, lstart = s->lstart;
    const uint64_t qline = line, qcol = base + q - lstart + 1;
    const size_t cs = q + 1;
    size_t i = cs;
    int esc = 0;
    for (;;) {
        while (i < e && !(cls[(unsigned char)d[i]] & CLS_END_QUOTED))
            i++;
        if (i == e || (i + 1 == e && !eof)) {
            /* The byte after a quote or CR decides what it is. */
            if (!eof)
                return ROW_MORE;
            lr_error_at(&r->error, LR_EPARSE, r->name, qline, qcol, "unterminated quoted field");
            return ROW_FAIL;
        }
        if (d[i] == '\0')
            return nul_byte(r, line, base + i - lstart + 1);
        if (d[i] == '"') {
            if (i + 1 < e && d[i + 1] == '"') {
                esc = 1;
                i += 2;
                continue;
            }
            break;
        }
        /* A line end inside quotes is data, but still a physical line. */
        if (d[i] == '\r' && i + 1 < e && d[i + 1] == '\n')
            i++;
        i++;
        line++;
        lstart = base + i;
    }
    f->data = d + cs;
    f->len = i - cs;
    f->quoted = esc ? 2 : 1;
    if (esc)
        *escaped += f->len;
    size_t p = i + 1;
    while (p < e && (cls[(unsigned char)d[p]] & CLS_PAD))
        p++;
    if (p == e && !eof)
        return ROW_MORE;
    if (p < e && d[p] != s->delim && d[p] != '\n' && d[p] != '\r') {
        lr_error_at(&r->error, LR_EPARSE, r->name, line, base + p - lstart + 1,
                    "unexpected character after closing quote");
        return ROW_FAIL;
    }
    s->p = p;
    s->line = line;
    s->lstart = lstart;
    return ROW_DONE;
}

/* An unquoted field from fstart, whose first byte that is not a blank is at
 * q, to the delimiter or line end: into f. The hot loop: numeric CSV spends
 * its time here. ROW_DONE (s->p at the byte that ends the field), ROW_MORE or
 * ROW_FAIL. */
static inline __attribute__((always_inline)) int
scan_unquoted(lr_csv *r, row_scan *s, size_t fstart, size_t q, lr_csv_field *f)
{
    const char *const d = s->d;
    const size_t e = s->e;
    const unsigned char *const cls = s->cls;
    size_t i = q;
#if defined(__SSE2__)
    /* Sixteen bytes at a time: the first delimiter, line end or quote. */
    {
        const __m128i vd = _mm_set1_epi8(s->delim), vn = _mm_set1_epi8('\n'),
                      vr = _mm_set1_epi8('\r'), vq = _mm_set1_epi8('"'), v0 = _mm_setzero_si128();
        while (i + 16 <= e) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
            __m128i m = _mm_or_si128(
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vr), _mm_cmpeq_epi8(x, vq))),
                _mm_cmpeq_epi8(x, v0));
            unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                i += (size_t)__builtin_ctz(mask);
                goto found;
            }
            i += 16;
        }
    }
#endif
    while (i < e && !(cls[(unsigned char)d[i]] & CLS_END_UNQUOTED))
        i++;
#if defined(__SSE2__)
found:
#endif
    if (i == e && !s->eof)
        return ROW_MORE;
    if (i < e && d[i] == '"') {
        lr_error_at(&r->error, LR_EPARSE, r->name, s->line, s->base + i - s->lstart + 1,
                    "unexpected quote in unquoted field");
        return ROW_FAIL;
    }
    if (i < e && d[i] == '\0')
        return nul_byte(r, s->line, s->base + i - s->lstart + 1);
    f->data = d + fstart;
    f->len = i - fstart;
    f->quoted = 0;
    s->p = i;
    return ROW_DONE;
}

/*
 * Parse one row starting at r->pos, which is not at a line end. Works on
 * local copies of the position state and commits them only when the row is
 * complete, so ROW_MORE leaves the reader as it was.
 */
static int parse_row(lr_csv *r, lr_csv_row *row)
{
    const char *const d = r->data;
    const size_t e = r->end;
    const int eof = r->eof;
    const char delim = r->delim;
    const unsigned char *const cls = r->cls;
    const uint64_t base = r->base;
    row_scan s = {r->pos, r->line, r->line_start, d, e, eof, delim, cls, base};
    size_t nf = 0, escaped = 0, content_end = s.p;
    int ended_by_cr = 0;
    /* Locals, not r->fields: stores through f could otherwise alias them. */
    lr_csv_field *fields = r->fields;
    size_t fields_cap = r->fields_cap;

    for (;;) {
        if (nf == fields_cap) {
            if (grow_fields(r))
                return ROW_FAIL;
            fields = r->fields;
            fields_cap = r->fields_cap;
        }
        lr_csv_field *f = &fields[nf++];
        const size_t fstart = s.p;
        f->line = s.line;
        f->col = base + s.p - s.lstart + 1;

        size_t q = s.p;
        while (q < e && (cls[(unsigned char)d[q]] & CLS_PAD))
            q++;
        if (q == e && !eof)
            return ROW_MORE;
        int st = q < e && d[q] == '"' ? scan_quoted(r, &s, q, f, &escaped)
                                      : scan_unquoted(r, &s, fstart, q, f);
        if (st != ROW_DONE)
            return st;

        size_t p = s.p;
        if (p == e) {
            content_end = p;
            break; /* the last line has no line end */
        }
        content_end = p;
        const char c = d[p++];
        s.p = p;
        if (c == delim)
            continue;
        /* A CR ends the line; whether a LF follows is settled by the next call,
         * which may need to read first. */
        ended_by_cr = c == '\r';
        s.line++;
        s.lstart = base + p;
        break;
    }
    /* The row's bytes without its line end. */
    if (content_end - r->pos > r->max_row) {
        lr_csv_row_too_long(&r->error, r->name, r->line, r->max_row);
        return ROW_FAIL;
    }

    if (escaped && unescape_fields(r, nf, escaped))
        return ROW_FAIL;
    r->pos = s.p;
    r->line = s.line;
    r->line_start = s.lstart;
    r->skip_lf = ended_by_cr;
    row->fields = r->fields;
    row->nfields = nf;
    row->line = r->fields[0].line;
    row->index = r->nrows++;
    return ROW_DONE;
}

int lr_csv_next(lr_csv *r, lr_csv_row *row, int *has_row, lr_error *err)
{
    *has_row = 0;
    if (r->failed)
        return fail(r, err);
    if (r->done)
        return LR_OK;
    for (;;) {
        /* Skip line ends: the LF of a CRLF split from its CR, then empty lines. */
        if (r->pos == r->end) {
            if (r->eof) {
                r->done = 1;
                return LR_OK;
            }
            if (refill(r))
                return fail(r, err);
            continue;
        }
        const char c = r->data[r->pos];
        if (c == '\n' || c == '\r') {
            r->pos++;
            if (!(c == '\n' && r->skip_lf))
                r->line++;
            r->skip_lf = c == '\r';
            r->line_start = r->base + r->pos;
            continue;
        }
        r->skip_lf = 0;

        int st = parse_row(r, row);
        if (st == ROW_DONE) {
            *has_row = 1;
            return LR_OK;
        }
        /* The bytes in hand all belong to the unfinished row: past the limit,
         * stop before reading (and growing the buffer) any further. */
        if (st == ROW_MORE && r->end - r->pos > r->max_row) {
            lr_csv_row_too_long(&r->error, r->name, r->line, r->max_row);
            return fail(r, err);
        }
        if (st == ROW_FAIL || refill(r))
            return fail(r, err);
    }
}
