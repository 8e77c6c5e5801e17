/*
 * fuzz_csv_reader.c — the streaming CSV reader (lr_csv_open_buffer,
 * lr_csv_open_fd, lr_csv_next) against a plain byte-at-a-time reading of the
 * same rules.
 *
 * The first input byte chooses the delimiter option (so detection, the usual
 * delimiters, blanks as delimiters and invalid ones are all reached) and, by
 * its bit 0x40, whether the data are read from memory or through a file
 * descriptor (a memfd): the fuzz build's 64-byte read buffer (LR_CSV_BUF_SIZE)
 * then makes rows cross refills and outgrow the buffer. The rest is the data.
 *
 * The reference below knows nothing of the reader's buffers, SIMD scanning or
 * deferred unescaping: it walks the bytes once and says, for every field,
 * where it starts (offset, line, column) and what its bytes are, or where the
 * first error is (a NUL byte anywhere in a field is one: CSV is text). Every
 * row the reader hands out must match it field for field, every field read
 * from memory must point into the input when it is not unescaped, an error
 * must carry a message and the reference's position, and end of input and
 * errors must be sticky.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "linreg.h"

/* The delimiter option for a first byte: mostly the usual ones and detection,
 * sometimes any ASCII byte (quote and line ends are usage errors). */
static char delimiter_for(uint8_t b)
{
    static const char usual[8] = {0, 0, ',', ';', '\t', '|', ' ', '"'};
    return b < 0x80 ? usual[b % 8] : (char)(b & 0x7f);
}

/* Physical lines: line_of[i] is the 1-based line of byte i (i <= n), and
 * start_of[l] the offset where line l starts. LF, CR and CRLF each end a line,
 * inside quotes too; a UTF-8 byte order mark is not part of line 1's columns. */
typedef struct lines {
    uint64_t *line_of; /* n + 1 entries */
    size_t *start_of;  /* indexed by line; entry 0 unused */
} lines;

static int lines_init(lines *L, const char *d, size_t n, size_t bom)
{
    L->line_of = malloc((n + 1) * sizeof *L->line_of);
    L->start_of = malloc((n + 2) * sizeof *L->start_of);
    if (!L->line_of || !L->start_of)
        return 0;
    uint64_t line = 1;
    L->start_of[1] = bom;
    for (size_t i = 0; i <= n; i++) {
        L->line_of[i] = line;
        if (i < n && (d[i] == '\n' || (d[i] == '\r' && !(i + 1 < n && d[i + 1] == '\n'))))
            L->start_of[++line] = i + 1;
    }
    return 1;
}

static void lines_free(lines *L)
{
    free(L->line_of);
    free(L->start_of);
}

/* The reference reader's state and its current field. */
typedef struct ref {
    const char *d;  /* the data */
    size_t n;       /* its length */
    char delim;     /* the delimiter the reader settled on */
    size_t pos;     /* next byte */
    const lines *L; /* line table */
    char *buf;      /* the current field's expected bytes (n + 1 bytes) */
} ref_reader;

/* A blank that may pad a quoted field: space or TAB, unless it is the delimiter. */
static int is_pad(const ref_reader *r, char c)
{
    return (c == ' ' || c == '\t') && c != r->delim;
}

static uint64_t col_of(const ref_reader *r, size_t off)
{
    return off - r->L->start_of[r->L->line_of[off]] + 1;
}

/* Where a row or field ends, or went wrong. */
enum { F_NEXT, F_ROW_END, F_ERROR };

/*
 * The field at r->pos: its expected bytes in r->buf[0..*len), whether it was
 * quoted, whether its bytes can be found verbatim at *raw in the input (no
 * "" inside), and what follows it. On F_ERROR, *err_off is the offset the
 * error points at.
 */
static int ref_field(ref_reader *r, size_t *len, int *quoted, const char **raw, size_t *err_off)
{
    const char *d = r->d;
    size_t n = r->n, p = r->pos, q = p;
    while (q < n && is_pad(r, d[q]))
        q++;
    *len = 0;
    if (q < n && d[q] == '"') {
        size_t i = q + 1;
        int escaped = 0;
        for (;;) {
            if (i == n) {
                *err_off = q; /* unterminated: the opening quote */
                return F_ERROR;
            }
            if (d[i] == '\0') {
                *err_off = i; /* not text */
                return F_ERROR;
            }
            if (d[i] == '"') {
                if (i + 1 < n && d[i + 1] == '"') {
                    r->buf[(*len)++] = '"';
                    escaped = 1;
                    i += 2;
                    continue;
                }
                break;
            }
            r->buf[(*len)++] = d[i++];
        }
        *quoted = 1;
        *raw = escaped ? NULL : d + q + 1;
        p = i + 1;
        while (p < n && is_pad(r, d[p]))
            p++;
        if (p < n && d[p] != r->delim && d[p] != '\n' && d[p] != '\r') {
            *err_off = p;
            return F_ERROR;
        }
    } else {
        size_t i = p;
        while (i < n && d[i] != r->delim && d[i] != '\n' && d[i] != '\r' && d[i] != '"' &&
               d[i] != '\0')
            i++;
        if (i < n && (d[i] == '"' || d[i] == '\0')) {
            *err_off = i;
            return F_ERROR;
        }
        memcpy(r->buf, d + p, i - p);
        *len = i - p;
        *quoted = 0;
        *raw = d + p;
        p = i;
    }
    if (p == n) {
        r->pos = p;
        return F_ROW_END;
    }
    r->pos = p + 1;
    return d[p] == r->delim ? F_NEXT : F_ROW_END;
}

static int one_input(const uint8_t *data, size_t size, int *fdp)
{
    if (size < 1)
        return 0;
    lr_csv_options opt = {delimiter_for(data[0]), 0};
    const char *d = (const char *)data + 1;
    size_t n = size - 1;

    lr_csv *r = NULL;
    lr_error err;
    memset(&err, 0, sizeof err);
    /* through a descriptor, unless the data start like gzip (the reader would
     * inflate them; the reference reads bytes) */
    int fd = -1;
    if ((data[0] & 0x40) &&
        !(n >= 2 && (unsigned char)d[0] == 0x1f && (unsigned char)d[1] == 0x8b)) {
        fd = *fdp = memfd_create("fuzz.csv", 0);
        if (fd < 0 || write(fd, d, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0)
            return 0;
    }
    int rc = fd >= 0 ? lr_csv_open_fd(fd, "fuzz.csv", &opt, &r, &err)
                     : lr_csv_open_buffer(d, n, "fuzz.csv", &opt, &r, &err);
    if (rc != LR_OK) {
        /* only a delimiter that cannot delimit is refused */
        FUZZ_CHECK(rc == LR_EUSAGE && r == NULL);
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
        FUZZ_CHECK(opt.delimiter == '"' || opt.delimiter == '\n' || opt.delimiter == '\r');
        return 0;
    }
    FUZZ_CHECK(r != NULL);
    char delim = lr_csv_delimiter(r);
    if (opt.delimiter)
        FUZZ_CHECK(delim == opt.delimiter);
    else
        FUZZ_CHECK(delim == ',' || delim == ';' || delim == '\t' || delim == '|');
    FUZZ_CHECK(strcmp(lr_csv_name(r), "fuzz.csv") == 0);

    size_t bom = n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    lines L = {NULL, NULL};
    ref_reader ref = {d, n, delim, bom, &L, malloc(n + 1)};
    if (!ref.buf || !lines_init(&L, d, n, bom)) {
        free(ref.buf);
        lines_free(&L);
        lr_csv_free(r);
        return 0;
    }

    uint64_t index = 0;
    for (;;) {
        /* The reference: skip line ends (empty lines), then read a row. */
        while (ref.pos < n && (d[ref.pos] == '\n' || d[ref.pos] == '\r'))
            ref.pos++;
        int at_end = ref.pos == n;

        lr_csv_row row;
        int has = -1;
        memset(&row, 0, sizeof row);
        rc = lr_csv_next(r, &row, &has, &err);
        if (at_end) {
            FUZZ_CHECK(rc == LR_OK && has == 0);
            FUZZ_CHECK(lr_csv_line(r) == L.line_of[n]);
            /* the end is sticky */
            FUZZ_CHECK(lr_csv_next(r, &row, &has, &err) == LR_OK && has == 0);
            break;
        }
        if (rc != LR_OK) {
            /* the reader failed: the reference must fail in this row, at the same place */
            FUZZ_CHECK(has == 0);
            FUZZ_CHECK(rc == LR_EPARSE || rc == LR_ENOMEM);
            FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
            if (rc == LR_EPARSE) {
                size_t len, err_off = 0;
                int quoted, st;
                const char *raw;
                do
                    st = ref_field(&ref, &len, &quoted, &raw, &err_off);
                while (st == F_NEXT);
                FUZZ_CHECK(st == F_ERROR);
                FUZZ_CHECK(err.line == L.line_of[err_off] && err.col == col_of(&ref, err_off));
                FUZZ_CHECK(strncmp(err.message, "fuzz.csv:", 9) == 0);
            }
            /* errors are sticky */
            lr_error again;
            FUZZ_CHECK(lr_csv_next(r, &row, &has, &again) == rc && has == 0);
            FUZZ_CHECK(strcmp(again.message, err.message) == 0);
            break;
        }
        FUZZ_CHECK(has == 1);
        FUZZ_CHECK(row.nfields >= 1 && row.fields != NULL);
        FUZZ_CHECK(row.index == index++);
        FUZZ_CHECK(row.line == L.line_of[ref.pos]);
        int st = F_NEXT;
        for (size_t j = 0; j < row.nfields; j++) {
            const lr_csv_field *f = &row.fields[j];
            FUZZ_CHECK(st == F_NEXT); /* the reference has a field here too */
            size_t off = ref.pos, len, err_off;
            int quoted;
            const char *raw;
            st = ref_field(&ref, &len, &quoted, &raw, &err_off);
            FUZZ_CHECK(st != F_ERROR);
            FUZZ_CHECK(f->line >= 1 && f->col >= 1);
            FUZZ_CHECK(f->line == L.line_of[off] && f->col == col_of(&ref, off));
            FUZZ_CHECK(f->quoted == quoted);
            FUZZ_CHECK(f->len == len && (len == 0 || memcmp(f->data, ref.buf, len) == 0));
            /* borrowed straight from the input unless "" had to be unescaped
             * (read through a descriptor, the bytes are the reader's copy) */
            if (raw && len > 0 && fd < 0)
                FUZZ_CHECK(f->data == raw);
        }
        FUZZ_CHECK(st == F_ROW_END); /* and no more fields */
    }
    free(ref.buf);
    lines_free(&L);
    lr_csv_free(r);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = -1;
    int rc = one_input(data, size, &fd);
    if (fd >= 0)
        close(fd);
    return rc;
}
