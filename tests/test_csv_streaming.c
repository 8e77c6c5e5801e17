/*
 * test_csv_streaming.c — the CSV reader's streaming machinery: rows larger
 * than its buffer, 100,000 columns, generated inputs whose rows straddle
 * buffer boundaries (read from memory, a file and a pipe), and tricky
 * patterns placed so that the first buffer ends at every offset in them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_fixture.h"

/* ------------------------------------------------------------------------ */
/* Large rows and many columns                                              */
/* ------------------------------------------------------------------------ */

START_TEST(test_row_larger_than_buffer)
{
    enum { BIG = 3 << 20 };
    bytes b = {0};
    puts_(&b, "h1,h2\n");
    /* An unquoted 3 MB field. */
    char *x = malloc(BIG);
    memset(x, 'x', BIG);
    put(&b, x, BIG);
    puts_(&b, ",1\n");
    /* A quoted 3 MB field with escapes and newlines. */
    puts_(&b, "2,\"");
    for (size_t i = 0; i < BIG / 4; i++)
        puts_(&b, i % 1000 == 999 ? "a\n\"\"" : "ab\"\"");
    puts_(&b, "\"\nlast,row\n");

    char *path;
    int rc;
    lr_error err;
    lr_csv *r = open_temp(b.p, b.n, "big.csv", NULL, &path, &rc, &err);
    ck_assert_int_eq(rc, LR_OK);
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert_uint_eq(row.fields[0].len, BIG);
    ck_assert(memcmp(row.fields[0].data, x, BIG) == 0);
    ck_assert(row.fields[1].len == 1 && row.fields[1].data[0] == '1');
    ck_assert_uint_eq(row.fields[1].col, BIG + 2);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert_uint_eq(row.line, 3);
    const lr_csv_field *f = &row.fields[1];
    ck_assert_int_eq(f->quoted, 1);
    ck_assert_uint_eq(f->len, (BIG / 4) * 3);
    size_t newlines = 0;
    for (size_t i = 0; i < f->len; i++)
        newlines += f->data[i] == '\n';
    ck_assert_uint_eq(newlines, BIG / 4 / 1000);
    ck_assert(memcmp(f->data, "ab\"ab\"", 6) == 0);

    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 1);
    ck_assert_uint_eq(row.line, 4 + newlines);
    ck_assert(row.fields[1].len == 3 && memcmp(row.fields[1].data, "row", 3) == 0);
    ck_assert_uint_eq(row.fields[1].col, 6);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 0);
    lr_csv_free(r);

    /* The same through a pipe, and from memory. */
    csv_source sp, sm;
    lr_csv *p = csv_source_open(&sp, CSV_FROM_PIPE, b.p, b.n, "big.csv", NULL);
    lr_csv *m = csv_source_open(&sm, CSV_FROM_BUFFER, b.p, b.n, "big.csv", NULL);
    ck_assert_uint_eq(compare_readers(p, m), 4);
    csv_source_close(&sp, p);
    csv_source_close(&sm, m);

    remove_temp(path);
    free(x);
    free(b.p);
}
END_TEST

START_TEST(test_many_columns)
{
    enum { NCOL = 100000 };
    bytes b = {0};
    char cell[32];
    for (int j = 0; j < NCOL; j++) {
        snprintf(cell, sizeof cell, j ? "\tc%d" : "c%d", j);
        puts_(&b, cell);
    }
    puts_(&b, "\r\n");
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < NCOL; j++) {
            snprintf(cell, sizeof cell, j ? "\t%d.%d" : "%d.%d", i, j);
            puts_(&b, cell);
        }
        puts_(&b, "\r\n");
    }
    char *path;
    int rc;
    lr_error err;
    lr_csv *r = open_temp(b.p, b.n, "wide.tsv", NULL, &path, &rc, &err);
    ck_assert_int_eq(rc, LR_OK);
    ck_assert_int_eq(lr_csv_delimiter(r), '\t');
    lr_csv_row row;
    int has_row, nrow = 0;
    while (lr_csv_next(r, &row, &has_row, &err) == LR_OK && has_row) {
        ck_assert_uint_eq(row.nfields, NCOL);
        ck_assert_uint_eq(row.line, (uint64_t)nrow + 1);
        uint64_t col = 1;
        for (int j = 0; j < NCOL; j++) {
            if (nrow == 0)
                snprintf(cell, sizeof cell, "c%d", j);
            else
                snprintf(cell, sizeof cell, "%d.%d", nrow - 1, j);
            const lr_csv_field *f = &row.fields[j];
            if (f->len != strlen(cell) || memcmp(f->data, cell, f->len) != 0 || f->col != col ||
                f->line != (uint64_t)nrow + 1)
                ck_abort_msg("row %d column %d: \"%.*s\" at col %llu", nrow, j, (int)f->len,
                             f->data, (unsigned long long)f->col);
            col += f->len + 1;
        }
        nrow++;
    }
    ck_assert_int_eq(nrow, 4);
    lr_csv_free(r);
    remove_temp(path);
    free(b.p);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Rows straddling buffer boundaries                                        */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/* A generated input and the fields it must give: text in `text`, positions alongside. */
typedef struct gen_field {
    size_t off, len; /* the expected bytes: text.p[off..off+len) */
    uint64_t row;    /* row index */
    uint64_t line;   /* physical line */
    uint64_t col;    /* byte column */
    int quoted;      /* quoted flag */
} gen_field;

typedef struct gen {
    bytes out;       /* the CSV bytes */
    bytes text;      /* expected field contents, concatenated */
    gen_field *f;    /* expected fields */
    size_t nf, capf; /* their number and capacity */
    uint64_t line;   /* line of the next byte */
    uint64_t col;    /* column of the next byte */
    int last_cr;     /* the last byte written was a CR */
} gen;

/* Emit bytes, tracking lines and columns as the reader must count them. */
static void emit(gen *g, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' && g->last_cr) {
            g->col = 1; /* second half of a CRLF */
        } else if (c == '\n' || c == '\r') {
            g->line++;
            g->col = 1;
        } else {
            g->col++;
        }
        g->last_cr = c == '\r';
    }
    put(&g->out, s, n);
}

static void emits(gen *g, const char *s)
{
    emit(g, s, strlen(s));
}

static const char *line_end(void)
{
    static const char *ends[] = {"\n", "\n", "\n", "\r\n", "\r\n", "\r"};
    return ends[rnd(6)];
}

/*
 * Generate about `target` bytes of valid CSV: numbers, words, blanks, empty
 * fields, quoted fields with "" and the delimiter and every kind of line end
 * inside, blanks around quotes, empty lines, all three line ends.
 */
static void generate(gen *g, size_t target, char delim)
{
    static const char *words[] = {"alpha", "b",  "Gamma delta", "3.25", "-17",
                                  "1e-5",  "NA", "x y z",       "",     "  padded  "};
    memset(g, 0, sizeof *g);
    g->line = 1;
    g->col = 1;
    if (rnd(2))
        put(&g->out, "\xEF\xBB\xBF", 3); /* not counted in columns */
    uint64_t row = 0;
    while (g->out.n < target) {
        if (rnd(20) == 0)
            emits(g, line_end()); /* an empty line */
        unsigned nfields = 1 + rnd(rnd(10) == 0 ? 40 : 8);
        for (unsigned j = 0; j < nfields; j++) {
            if (j)
                emit(g, &delim, 1);
            if (g->nf == g->capf) {
                g->capf = g->capf ? g->capf * 2 : 1024;
                g->f = realloc(g->f, g->capf * sizeof *g->f);
            }
            gen_field *f = &g->f[g->nf++];
            f->row = row;
            f->line = g->line;
            f->col = g->col;
            f->off = g->text.n;
            unsigned kind = rnd(10);
            if (kind < 5) {
                /* unquoted: a number or a word (never blank-only alone on a line) */
                char tmp[64];
                if (kind < 3)
                    snprintf(tmp, sizeof tmp, "%u.%u", rnd(100000), rnd(1000));
                else
                    snprintf(tmp, sizeof tmp, "%s", words[rnd(10)]);
                if (nfields == 1 && tmp[0] == '\0')
                    snprintf(tmp, sizeof tmp, "w");
                if (nfields == 1 && tmp[0] == ' ')
                    tmp[0] = 'p'; /* a line of blanks then text, kept simple */
                emits(g, tmp);
                puts_(&g->text, tmp);
                f->quoted = 0;
            } else {
                if (rnd(4) == 0)
                    emits(g, "  ");
                emit(g, "\"", 1);
                unsigned parts = rnd(6);
                for (unsigned k = 0; k < parts; k++) {
                    switch (rnd(7)) {
                    case 0:
                        emits(g, "\"\"");
                        puts_(&g->text, "\"");
                        break;
                    case 1:
                        emit(g, &delim, 1);
                        put(&g->text, &delim, 1);
                        break;
                    case 2: {
                        const char *le = line_end();
                        emits(g, le);
                        puts_(&g->text, le);
                        break;
                    }
                    default: {
                        const char *w = words[rnd(10)];
                        emits(g, w);
                        puts_(&g->text, w);
                    }
                    }
                }
                emit(g, "\"", 1);
                if (rnd(4) == 0)
                    emits(g, " ");
                f->quoted = 1;
            }
            f->len = g->text.n - f->off;
        }
        row++;
        if (g->out.n < target || rnd(2))
            emits(g, line_end());
    }
}

/* Compare reader r with the generator's expectations. */
static void check_generated(const gen *g, lr_csv *r)
{
    size_t k = 0;
    uint64_t nrow = 0;
    lr_csv_row row;
    int has_row;
    lr_error err;
    for (;;) {
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc)
            ck_abort_msg("row %llu: %s", (unsigned long long)nrow, err.message);
        if (!has_row)
            break;
        if (row.index != nrow || k >= g->nf || g->f[k].row != nrow || row.line != g->f[k].line)
            ck_abort_msg("row %llu: index %llu line %llu", (unsigned long long)nrow,
                         (unsigned long long)row.index, (unsigned long long)row.line);
        for (size_t j = 0; j < row.nfields; j++, k++) {
            const lr_csv_field *f = &row.fields[j];
            const gen_field *e = &g->f[k];
            if (k >= g->nf || e->row != nrow || f->len != e->len ||
                memcmp(f->data, g->text.p + e->off, e->len) != 0 || f->line != e->line ||
                f->col != e->col || f->quoted != e->quoted)
                ck_abort_msg("row %llu field %zu: \"%.*s\" at %llu:%llu q%d, expected "
                             "\"%.*s\" at %llu:%llu q%d",
                             (unsigned long long)nrow, j, (int)(f->len > 30 ? 30 : f->len), f->data,
                             (unsigned long long)f->line, (unsigned long long)f->col, f->quoted,
                             (int)(e->len > 30 ? 30 : e->len), g->text.p + e->off,
                             (unsigned long long)e->line, (unsigned long long)e->col, e->quoted);
        }
        nrow++;
    }
    ck_assert_uint_eq(k, g->nf);
}

static void free_gen(gen *g)
{
    free(g->out.p);
    free(g->text.p);
    free(g->f);
}

START_TEST(test_generated_straddling)
{
    static const char delims[] = {',', '\t', ';', '|'};
    rng_state = UINT64_C(0x5DEECE66D) * (unsigned)(_i + 1);
    char delim = delims[_i % 4];
    gen g;
    generate(&g, 3 << 20, delim);
    lr_csv_options opt = {delim, 0};
    for (int from = 0; from < CSV_FROM_COUNT; from++) {
        csv_source src;
        lr_csv *r = csv_source_open(&src, (csv_from)from, g.out.p, g.out.n, "g.csv", &opt);
        check_generated(&g, r);
        csv_source_close(&src, r);
    }
    free_gen(&g);
}
END_TEST

/*
 * Place each tricky pattern so that the first buffer (exactly 1 MiB for a
 * regular file) ends at every offset within it, and compare the file's rows
 * with the same bytes parsed from memory (no boundaries at all).
 */
START_TEST(test_boundary_patterns)
{
    static const char *patterns[] = {
        "\"ab\"\"cd\",x\r\n", "a\r\nb\r\n",    "\r\n\r\n\r\r\n", "q,\"b\nc\"\r\n",
        "\"\",\"\"\"\"\r",    "  \"x\"  ,y\n", "12345,67890\r",
    };
    const char *pat = patterns[_i];
    size_t plen = strlen(pat);
    for (size_t k = 0; k <= plen + 1; k++) {
        bytes b = {0};
        /* Filler rows up to 1 MiB - k, then the pattern, then more rows. */
        size_t target = BUF_SIZE - k;
        while (b.n + 16 < target)
            puts_(&b, "1.5,2.25,3.125\n");
        while (b.n + 3 < target)
            puts_(&b, "7\n");
        while (b.n < target)
            puts_(&b, "\n");
        for (int rep = 0; rep < 3; rep++)
            puts_(&b, pat);
        puts_(&b, "\nlast,1\n");
        lr_csv_options opt = {',', 0};
        char *path;
        int rc;
        lr_error err;
        lr_csv *f = open_temp(b.p, b.n, "b.csv", &opt, &path, &rc, &err);
        ck_assert_int_eq(rc, LR_OK);
        lr_csv *m;
        ck_assert_int_eq(lr_csv_open_buffer(b.p, b.n, "b.csv", &opt, &m, &err), LR_OK);
        ck_assert_uint_gt(compare_readers(f, m), 50000);
        lr_csv_free(f);
        lr_csv_free(m);
        remove_temp(path);
        free(b.p);
    }
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        {test_row_larger_than_buffer, 0, "large"},
        LR_TEST(test_many_columns),
        LR_TEST_LOOP(test_generated_straddling, 8),
        LR_TEST_LOOP(test_boundary_patterns, 7),
    };
    return lr_test_run_cases("csv_streaming", 600, tests, LR_TEST_COUNT(tests));
}
