/*
 * ingest_split.c — cutting the input into chunks defined by the data alone
 * (ingest.c says why): nominal blocks of LR_CHUNK bytes, each ending at the
 * first line end after its nominal end that is outside quotes, and no row
 * longer than the limit.
 */
#include <string.h>

#include "ingest_impl.h"

/* The first line end outside quotes at or after `from`, with quote parity
 * `odd` at `from`: the offset just past it, or 0 if the bytes end first —
 * then *resume is where to go on from once more bytes are in (a CR at the
 * very end waits for what follows it: CRLF is one line end). A NUL byte ends
 * the chunk too (just past it): text never holds one, so the chunk's parse
 * reports it at its line and column, and /dev/zero or a gzip bomb of zeros
 * stops there instead of being gathered in search of a line end. */
static size_t boundary(const char *b, size_t len, size_t from, int *odd, size_t *resume)
{
    for (size_t i = from; i < len; i++) {
        char ch = b[i];
        if (ch == '\0')
            return i + 1;
        if (ch == '"') {
            *odd ^= 1;
        } else if (!*odd && (ch == '\n' || ch == '\r')) {
            if (ch == '\r') {
                if (i + 1 == len) {
                    *resume = i;
                    return 0;
                }
                if (b[i + 1] == '\n')
                    i++;
            }
            return i + 1;
        }
    }
    *resume = len;
    return 0;
}

/* Quote parity of b[0..n): counted with memchr (numeric CSV has no quotes). */
int lr_ingest_parity(const char *b, size_t n)
{
    int odd = 0;
    const char *p = b, *e = b + n;
    while ((p = memchr(p, '"', (size_t)(e - p)))) {
        odd ^= 1;
        p++;
    }
    return odd;
}

/* Where the row holding offset `at` starts: just past the last line end
 * outside quotes before it (0: the chunk's start). `odd` is the quote parity
 * at `at`; going back over a quote flips it, and a line end at i is outside
 * quotes when the parity before b[i] (that after it: it is no quote) is 0. */
static size_t row_start(const char *b, size_t at, int odd)
{
    for (size_t i = at; i > 0; i--) {
        char ch = b[i - 1];
        if (ch == '"')
            odd ^= 1;
        else if (!odd && (ch == '\n' || ch == '\r'))
            return i;
    }
    return 0;
}

/* The start of the first row of b[from..to) (both rows' starts, or `to` the
 * input's end) with more than max bytes before its line end; `to` if none. */
static size_t first_long_row(const char *b, size_t from, size_t to, size_t max)
{
    size_t start = from;
    int odd = 0;
    while (start < to) {
        size_t resume, next = boundary(b, to, start, &odd, &resume);
        if (!next)
            next = to;
        size_t eol = 0;
        if (b[next - 1] == '\n' || b[next - 1] == '\r')
            eol = next - 1 > start && b[next - 1] == '\n' && b[next - 2] == '\r' ? 2 : 1;
        if (next - start - eol > max)
            return start;
        start = next;
    }
    return to;
}

/* lr_source_read; and, entered (lr_ingest_enter) in a file that other files
 * follow in the data set, the line end the concatenation of the files puts
 * after its last row when it has none (source_concat.c), at its end. */
static int read_input(splitter *s, char *buf, size_t n, size_t *got, lr_error *err)
{
    int rc = lr_source_read(s->src, buf, n, got, err);
    if (rc || n == 0)
        return rc;
    if (*got) {
        s->last_read = buf[*got - 1];
    } else if (s->owe_eol && s->file == s->eol_file && s->last_read && s->last_read != '\n' &&
               s->last_read != '\r') {
        buf[0] = s->last_read = '\n';
        *got = 1;
        s->owe_eol = 0;
    }
    return LR_OK;
}

static int grow_buf(chunk_job *j, size_t need, lr_error *err)
{
    if (need <= j->cap)
        return LR_OK;
    size_t cap = j->cap ? j->cap : LR_CHUNK + (LR_CHUNK >> 2);
    while (cap < need)
        cap *= 2;
    char *b = lr_mem_realloc(j->buf, j->cap, cap);
    if (!b)
        return lr_error_nomem(err);
    j->buf = b;
    j->cap = cap;
    return LR_OK;
}

/* The next chunk into j (its bytes, len; 0 at the end of the input): the
 * rows of the current file that start in the block [i·C, (i+1)·C) of it
 * holding the first byte not yet handed out, C = LR_CHUNK. The first row
 * start at or after (i+1)·C is the first line end outside quotes that ends
 * there or later; the reading is sequential, so the quote parity is that of
 * the chunk's own bytes (a chunk starts at a row start, outside quotes). */
int lr_ingest_next_chunk(splitter *s, chunk_job *j, lr_error *err)
{
    int rc;
    size_t len = 0, want = 0;
    j->len = 0;
    if (s->stop && s->file == s->eol_file && s->off >= s->stop)
        s->done = 1; /* entered: the chunk of the last block was cut */
    for (;;) {
        /* the next file, once this one is used up */
        while (s->eof && s->carry_len == 0 && !s->done) {
            uint64_t start;
            if (s->end_file && s->file == s->eol_file) {
                s->done = 1;
                break;
            }
            int more = lr_source_next_file(s->src, &start, err);
            if (more < 0)
                return -more;
            if (!more) {
                s->done = 1;
                break;
            }
            s->file++;
            s->off = start;
            s->eof = 0;
        }
        if (s->done)
            return LR_OK;
        want = (size_t)((s->off / LR_CHUNK + 1) * LR_CHUNK - s->off);
        if ((rc = grow_buf(j, s->carry_len + want, err)))
            return rc;
        if (s->carry_len)
            memcpy(j->buf, s->carry, s->carry_len);
        len = s->carry_len;
        s->carry_len = 0;
        /* fill up to the block's end */
        while (len < want && !s->eof) {
            size_t got;
            if ((rc = read_input(s, j->buf + len, want - len, &got, err)))
                return rc;
            if (got == 0)
                s->eof = 1;
            len += got;
        }
        if (len > 0)
            break;
    }
    j->file = s->file;
    j->block = s->off / LR_CHUNK;
    j->offset = s->off;
    size_t nominal = len < want ? len : want;
    int odd_nominal = lr_ingest_parity(j->buf, nominal);
    /* the search starts at the block's last byte: a line end there makes the
     * next row start the next block's first byte */
    int odd = odd_nominal ^ (j->buf[nominal - 1] == '"');
    size_t scanned = nominal - 1, end = 0, rs = SIZE_MAX; /* rs: see row_start */
    /* the first row boundary after the nominal end, reading on as needed */
    while (!(end = boundary(j->buf, len, scanned, &odd, &scanned))) {
        if (s->eof) {
            end = len;
            break;
        }
        /* Bounded: once the row that crosses the nominal end has more than
         * max_line bytes, the chunk stops where it starts (or just past a
         * NUL byte in it: that is the error to report first). */
        if (len > s->max_line) {
            if (rs == SIZE_MAX)
                rs = row_start(j->buf, nominal, odd_nominal);
            if (len - rs > s->max_line) {
                const char *nul = memchr(j->buf + rs, '\0', nominal - rs);
                end = nul ? (size_t)(nul - j->buf) + 1 : rs;
                s->overlong = !nul;
                break;
            }
        }
        /* a little at a time: the line end is usually near, and what is read
         * past it is copied out as the next chunk's start */
        if ((rc = grow_buf(j, len + LR_OVERREAD, err)))
            return rc;
        size_t got;
        if ((rc = read_input(s, j->buf + len, LR_OVERREAD, &got, err)))
            return rc;
        if (got == 0)
            s->eof = 1;
        len += got;
    }
    /* Every row of the chunk within the limit: the one that crosses the
     * nominal end (the search above may find its line end in the read that
     * takes it past the limit), and, with a limit below the chunk's size, all
     * of them. A row that starts the chunk or follows a line end outside
     * quotes starts with the quote parity even. */
    if (!s->overlong && end > s->max_line) {
        size_t from = 0;
        if (s->max_line >= nominal)
            from = rs != SIZE_MAX ? rs : row_start(j->buf, nominal, odd_nominal);
        size_t ls = first_long_row(j->buf, from, end, s->max_line);
        if (ls < end) {
            end = ls;
            s->overlong = 1;
        }
    }
    /* keep what lies beyond the boundary for the next chunk (nothing more is
     * read after a row too long) */
    size_t rest = s->overlong ? 0 : len - end;
    if (rest > s->carry_cap) {
        char *c = lr_mem_realloc(s->carry, s->carry_cap, rest);
        if (!c)
            return lr_error_nomem(err);
        s->carry = c;
        s->carry_cap = rest;
    }
    if (rest)
        memcpy(s->carry, j->buf + end, rest);
    s->carry_len = rest;
    s->off += end;
    j->len = end;
    if (end)
        s->last = j->buf[end - 1];
    /* Where the chunk ends in the raw input, for progress: the bytes read but
     * those carried to the next chunk (text bytes, so subtracted only from an
     * uncompressed count), never less than the last chunk's. */
    uint64_t raw = lr_source_consumed(s->src);
    if (!lr_source_is_gzip(s->src) && raw >= rest)
        raw -= rest;
    s->raw_end = j->raw_end = raw > s->raw_end ? raw : s->raw_end;
    return LR_OK;
}

/* Up to n more bytes of s's input appended to its carry (s->eof at its end). */
static int carry_more(splitter *s, size_t n, lr_error *err)
{
    if (s->carry_len + n > s->carry_cap) {
        size_t cap = s->carry_cap ? s->carry_cap : LR_OVERREAD;
        while (cap < s->carry_len + n)
            cap *= 2;
        char *c = lr_mem_realloc(s->carry, s->carry_cap, cap);
        if (!c)
            return lr_error_nomem(err);
        s->carry = c;
        s->carry_cap = cap;
    }
    size_t got;
    int rc = read_input(s, s->carry + s->carry_len, n, &got, err);
    if (!rc && got == 0)
        s->eof = 1;
    s->carry_len += got;
    return rc;
}

/* The first row start at or after b0·C is where the chunk of block b0 − 1
 * (or of the block its row began in) ends: just past the first line end
 * outside quotes that ends at or after b0·C, found as lr_ingest_next_chunk
 * finds it — the search starts at the byte b0·C − 1 (a line end there makes
 * b0·C a row start; a CR there with an LF at b0·C is one line end) with the
 * parity before that byte. A whole pass's chunks all start outside quotes,
 * so its parity there is the file's: `odd` is that of [0, b0·C). */
static int enter_at(splitter *s, uint64_t b0, int odd, lr_error *err)
{
    size_t scanned = 0, end = 0;
    int rc = carry_more(s, LR_OVERREAD, err);
    if (rc)
        return rc;
    if (s->carry_len == 0) { /* the file ends before the block: nothing */
        s->done = 1;
        return LR_OK;
    }
    odd ^= s->carry[0] == '"';
    while (!(end = boundary(s->carry, s->carry_len, scanned, &odd, &scanned))) {
        /* No row starts in the blocks from b0 on (the last row crosses
         * b0·C), or the row that crosses b0·C is longer than the limit:
         * the chunk it is in, an earlier one, reports it. */
        if (s->eof || (s->carry_len > 2 && s->carry_len - 2 > s->max_line)) {
            s->done = 1;
            return LR_OK;
        }
        if ((rc = carry_more(s, LR_OVERREAD, err)))
            return rc;
    }
    memmove(s->carry, s->carry + end, s->carry_len - end);
    s->carry_len -= end;
    s->off = b0 * LR_CHUNK - 1 + end;
    return LR_OK;
}

int lr_ingest_enter(splitter *s, const char *const *paths, size_t n, size_t file, uint64_t b0,
                    uint64_t b1, int odd, lr_error *err)
{
    size_t max_line = s->max_line;
    memset(s, 0, sizeof *s);
    s->max_line = max_line;
    s->stop = b1 ? b1 * LR_CHUNK : 0;
    s->owe_eol = file + 1 < n;
    int rc;
    if (b0 > 0) { /* its bytes from b0·C − 1 on */
        if ((rc = lr_source_open_at(paths[file], b0 * LR_CHUNK - 1, &s->src, err)))
            return rc;
        return enter_at(s, b0, odd, err);
    }
    if (file == 0) /* from its start, as the pass reads it (gzip too) */
        return lr_source_open_files(paths, 1, max_line, 0, &s->src, err);
    /* After the first file's header row (the concatenation checks the file's
     * against it and skips it: its first chunk starts past it, as in the
     * pass): the header's chunk, of "file" 0, is passed over. */
    const char *two[] = {paths[0], paths[file]};
    chunk_job head = {0};
    if ((rc = lr_source_open_files(two, 2, max_line, 0, &s->src, err)))
        return rc;
    lr_source_split_files(s->src);
    lr_source_header_only(s->src);
    s->eol_file = 1;
    rc = lr_ingest_next_chunk(s, &head, err);
    if (!rc && s->overlong) /* the first file's header: its fit reports it */
        s->done = 1;
    /* the file's line that follows the header's lines in the concatenation
     * (its own header row may span more than one) */
    uint64_t hl = 0, local = 0;
    for (size_t i = 0; i < head.len; i++)
        hl += head.buf[i] == '\n' ||
              (head.buf[i] == '\r' && (i + 1 == head.len || head.buf[i + 1] != '\n'));
    lr_mem_free(head.buf, head.cap);
    if (!rc && !s->done) {
        /* the next chunk opens the file (its header checked) */
        const char *nm;
        uint64_t start;
        int more = lr_source_next_file(s->src, &start, err);
        if (more < 0)
            return -more;
        if (!more) {
            s->done = 1;
            return LR_OK;
        }
        s->file++;
        s->off = start;
        s->eof = 0;
        lr_source_locate(s->src, hl + 1, &nm, &local);
        s->line_off = local ? local - 1 : 0;
    }
    return rc;
}
