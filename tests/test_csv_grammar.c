/*
 * test_csv_grammar.c — the CSV reader's grammar: a table of inputs and the
 * rows, fields and positions (or errors) they must give — line ends, a
 * byte-order mark, quotes and escapes, blanks, NUL bytes, delimiter
 * detection, errors with their line and column — each read from memory, a
 * file and a pipe; then what holds around the table: the end and errors are
 * sticky, invalid delimiters are refused, rows reuse their storage, and
 * what lr_csv_write_field writes is read back unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_fixture.h"

typedef struct exp_field {
    int row;          /* 0-based row the field belongs to */
    const char *text; /* expected bytes; NULL ends the list */
    uint64_t line;    /* expected physical line */
    uint64_t col;     /* expected byte column */
    int quoted;       /* expected quoted flag */
    size_t len;       /* length of text when it holds NUL bytes (0: strlen) */
} exp_field;

typedef struct csv_case {
    const char *name;     /* what the case is about */
    const char *in;       /* input bytes */
    size_t in_len;        /* their number (0: strlen) */
    char delim;           /* lr_csv_options.delimiter (0: detect) */
    char want_delim;      /* delimiter the reader must report */
    int want_rc;          /* LR_OK, or the error after the listed rows */
    const char *want_msg; /* the error message */
    uint64_t err_line;    /* the error's line */
    uint64_t err_col;     /* the error's column */
    exp_field f[16];      /* expected fields, row by row */
} csv_case;

/* clang-format off */
static const csv_case cases[] = {
    {"simple", "a,b,c\n1,2,3\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3", 2, 5, 0, 0}}},
    {"crlf", "a,b\r\n10,20\r\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "10", 2, 1, 0, 0}, {1, "20", 2, 4, 0, 0}}},
    {"lone cr", "a,b\r1,2\r3,4", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0},
      {2, "3", 3, 1, 0, 0}, {2, "4", 3, 3, 0, 0}}},
    {"empty lines of each kind", "\na\n\n\r\n\r\rb\r\n\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 2, 1, 0, 0}, {1, "b", 7, 1, 0, 0}}},
    {"cr cr lf", "a\r\r\nb\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "b", 3, 1, 0, 0}}},
    {"bom", "\xEF\xBB\xBFx,y\n1,2\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x", 1, 1, 0, 0}, {0, "y", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}}},
    {"bom then quote", "\xEF\xBB\xBF\"x\",y\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x", 1, 1, 1, 0}, {0, "y", 1, 5, 0, 0}}},
    {"bom only", "\xEF\xBB\xBF", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"bom not at start", "a\n\xEF\xBB\xBF" "b\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "\xEF\xBB\xBF" "b", 2, 1, 0, 0}}},
    {"quotes, escapes, delimiter and newline inside",
     "\"a\"\"b\",\"c,d\"\n\"e\nf\",g\nh,i\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a\"b", 1, 1, 1, 0}, {0, "c,d", 1, 8, 1, 0}, {1, "e\nf", 2, 1, 1, 0},
      {1, "g", 3, 4, 0, 0}, {2, "h", 4, 1, 0, 0}, {2, "i", 4, 3, 0, 0}}},
    {"crlf and cr inside quotes", "\"x\r\ny\",z\r\n\"a\rb\",c\rd\r", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "x\r\ny", 1, 1, 1, 0}, {0, "z", 2, 4, 0, 0}, {1, "a\rb", 3, 1, 1, 0},
      {1, "c", 4, 4, 0, 0}, {2, "d", 5, 1, 0, 0}}},
    {"empty lines inside quotes are data", "\"\n\n\",x\n\ny\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "\n\n", 1, 1, 1, 0}, {0, "x", 3, 3, 0, 0}, {1, "y", 5, 1, 0, 0}}},
    {"escapes only", "\"\"\"\"\n\"\"\"\"\"\"\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "\"", 1, 1, 1, 0}, {1, "\"\"", 2, 1, 1, 0}}},
    {"several escaped fields", "\"a\"\"\",b,\"\"\"c\",\"d\"\"e\"\"f\"\n", 0, 0, ',', LR_OK, NULL, 0,
     0,
     {{0, "a\"", 1, 1, 1, 0}, {0, "b", 1, 7, 0, 0}, {0, "\"c", 1, 9, 1, 0},
      {0, "d\"e\"f", 1, 15, 1, 0}}},
    {"empty quoted field", "\"\",x\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "", 1, 1, 1, 0}, {0, "x", 1, 4, 0, 0}}},
    {"empty fields", ",,\n,\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "", 1, 1, 0, 0}, {0, "", 1, 2, 0, 0}, {0, "", 1, 3, 0, 0}, {1, "", 2, 1, 0, 0},
      {1, "", 2, 2, 0, 0}}},
    {"last line without line end", "a,b\n1,2", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}}},
    {"trailing delimiter at eof", "a,b,", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "", 1, 5, 0, 0}}},
    {"quoted field at eof", "a,\"b\"", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 1, 0}}},
    {"quoted field and blanks at eof", "a,\"b\"  ", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 1, 0}}},
    {"only empty lines", "\n\r\n\r\n\n", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"empty input", "", 0, 0, ',', LR_OK, NULL, 0, 0, {{0, NULL, 0, 0, 0, 0}}},
    {"a line of blanks is a row", "a\n   \n\t\nb\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {1, "   ", 2, 1, 0, 0}, {2, "\t", 3, 1, 0, 0},
      {3, "b", 4, 1, 0, 0}}},
    {"blanks in unquoted fields are kept", " 1 , 2 \n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, " 1 ", 1, 1, 0, 0}, {0, " 2 ", 1, 5, 0, 0}}},
    {"blanks around quoted fields", "  \"a\"  ,b\n\t\"c\"\t,\" d \"\n", 0, 0, ',', LR_OK, NULL,
     0, 0,
     {{0, "a", 1, 1, 1, 0}, {0, "b", 1, 9, 0, 0}, {1, "c", 2, 1, 1, 0},
      {1, " d ", 2, 7, 1, 0}}},
    {"tab delimiter: only spaces pad", "\"a\"\t \"b\" \n\t\"c\"\n", 0, '\t', '\t', LR_OK,
     NULL, 0, 0,
     {{0, "a", 1, 1, 1, 0}, {0, "b", 1, 5, 1, 0}, {1, "", 2, 1, 0, 0},
      {1, "c", 2, 2, 1, 0}}},
    {"non-utf-8 bytes are data", "a\xe9" "b,\xff\xfe\n\"\xe9\",\x80\n", 0, 0, ',', LR_OK,
     NULL, 0, 0,
     {{0, "a\xe9" "b", 1, 1, 0, 0}, {0, "\xff\xfe", 1, 5, 0, 0}, {1, "\xe9", 2, 1, 1, 0},
      {1, "\x80", 2, 5, 0, 0}}},
    /* a NUL byte: binary data, or UTF-16 — an error where it is, quoted or not */
    {"nul byte unquoted", "a,b\n1,2\0\n", 10, 0, ',', LR_EPARSE,
     "t.csv:2:4: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     2, 4, {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"nul byte quoted", "a,b\n1,\"x\0\"\n", 11, 0, ',', LR_EPARSE,
     "t.csv:2:5: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     2, 5, {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"utf-16 text", "\xff\xfe" "a\0,\0b\0\n\0", 11, ',', ',', LR_EPARSE,
     "t.csv:1:4: a NUL byte: this is not a text CSV file (binary data, or UTF-16/UTF-32 text?)",
     1, 4, {{0, NULL, 0, 0, 0, 0}}},
    /* delimiter detection */
    {"detect semicolon", "a;b;c\n1,5;2,5;3\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1,5", 2, 1, 0, 0}, {1, "2,5", 2, 5, 0, 0}, {1, "3", 2, 9, 0, 0}}},
    {"detect tab", "a\tb\n1 2\t3\n", 0, 0, '\t', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1 2", 2, 1, 0, 0},
      {1, "3", 2, 5, 0, 0}}},
    {"detect pipe", "a|b|c\n1|2|3\n", 0, 0, '|', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3", 2, 5, 0, 0}}},
    {"detect: tie goes to comma", "a,b;c\n1,2;3\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b;c", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2;3", 2, 3, 0, 0}}},
    {"detect: tie semicolon over tab", "a;b\tc\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b\tc", 1, 3, 0, 0}}},
    {"detect: largest consistent count", "a;b;c,d\n1;2;3,4\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c,d", 1, 5, 0, 0},
      {1, "1", 2, 1, 0, 0}, {1, "2", 2, 3, 0, 0}, {1, "3,4", 2, 5, 0, 0}}},
    {"detect: consistent beats frequent", "a;b,c,d\n1;2\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b,c,d", 1, 3, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2", 2, 3, 0, 0}}},
    {"detect: none consistent, most on first line", "a|b|c;d\n1;2;3\n4\n", 0, 0, '|', LR_OK,
     NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {0, "c;d", 1, 5, 0, 0},
      {1, "1;2;3", 2, 1, 0, 0}, {2, "4", 3, 1, 0, 0}}},
    {"detect: none present", "abc\n1\n", 0, 0, ',', LR_OK, NULL, 0, 0,
     {{0, "abc", 1, 1, 0, 0}, {1, "1", 2, 1, 0, 0}}},
    {"detect: quoted delimiters do not count", "\"a;b;c\",d\n1,2\n", 0, 0, ',', LR_OK, NULL, 0,
     0,
     {{0, "a;b;c", 1, 1, 1, 0}, {0, "d", 1, 9, 0, 0}, {1, "1", 2, 1, 0, 0},
      {1, "2", 2, 3, 0, 0}}},
    {"detect: quoted commas do not count", "a;\"x,y\"\nb;\"z,w\"\n", 0, 0, ';', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "x,y", 1, 3, 1, 0}, {1, "b", 2, 1, 0, 0},
      {1, "z,w", 2, 3, 1, 0}}},
    {"detect: quoted newline joins lines", "a;\"x\ny;z\";b\n1;2;3\n", 0, 0, ';', LR_OK, NULL, 0,
     0,
     {{0, "a", 1, 1, 0, 0}, {0, "x\ny;z", 1, 3, 1, 0}, {0, "b", 2, 6, 0, 0},
      {1, "1", 3, 1, 0, 0}, {1, "2", 3, 3, 0, 0}, {1, "3", 3, 5, 0, 0}}},
    {"detect: empty lines are not sampled", "a|b\n\n1|2\n", 0, 0, '|', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}, {1, "1", 3, 1, 0, 0}, {1, "2", 3, 3, 0, 0}}},
    {"given delimiter", "a,b;c\n", 0, ';', ';', LR_OK, NULL, 0, 0,
     {{0, "a,b", 1, 1, 0, 0}, {0, "c", 1, 5, 0, 0}}},
    {"given space delimiter", "a \"b c\" d\n", 0, ' ', ' ', LR_OK, NULL, 0, 0,
     {{0, "a", 1, 1, 0, 0}, {0, "b c", 1, 3, 1, 0}, {0, "d", 1, 9, 0, 0}}},
    /* errors */
    {"unterminated quote", "a,b\n1,\"xy\nz\n", 0, 0, ',', LR_EPARSE,
     "t.csv:2:3: unterminated quoted field", 2, 3,
     {{0, "a", 1, 1, 0, 0}, {0, "b", 1, 3, 0, 0}}},
    {"unterminated quote after blanks", "a,  \"x", 0, 0, ',', LR_EPARSE,
     "t.csv:1:5: unterminated quoted field", 1, 5, {{0, NULL, 0, 0, 0, 0}}},
    {"unterminated quote ending in an escape", "\"x\"\"", 0, 0, ',', LR_EPARSE,
     "t.csv:1:1: unterminated quoted field", 1, 1, {{0, NULL, 0, 0, 0, 0}}},
    {"unterminated quote ending in cr", "x\n\"a\r", 0, 0, ',', LR_EPARSE,
     "t.csv:2:1: unterminated quoted field", 2, 1, {{0, "x", 1, 1, 0, 0}}},
    {"stray quote", "a,b\"c\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:4: unexpected quote in unquoted field", 1, 4, {{0, NULL, 0, 0, 0, 0}}},
    {"stray quote after blanks and text", "x\n1, 2\"\n", 0, 0, ',', LR_EPARSE,
     "t.csv:2:5: unexpected quote in unquoted field", 2, 5, {{0, "x", 1, 1, 0, 0}}},
    {"text after closing quote", "\"a\"x,b\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:4: unexpected character after closing quote", 1, 4, {{0, NULL, 0, 0, 0, 0}}},
    {"second quoted string after blanks", "\"a\" \"b\"\n", 0, 0, ',', LR_EPARSE,
     "t.csv:1:5: unexpected character after closing quote", 1, 5, {{0, NULL, 0, 0, 0, 0}}},
    {"text after a multi-line quoted field", "h\n\"a\nbc\"d\n", 0, 0, ',', LR_EPARSE,
     "t.csv:3:4: unexpected character after closing quote", 3, 4, {{0, "h", 1, 1, 0, 0}}},
    {"tab after closing quote with tab delimiter is a delimiter", "\"a\"\t\"b\" x\n", 0, '\t',
     '\t', LR_EPARSE, "t.csv:1:9: unexpected character after closing quote", 1, 9,
     {{0, NULL, 0, 0, 0, 0}}},
};
/* clang-format on */

/* Read all rows of r and compare them with the case's expectations. */
static void check_case(const csv_case *c, lr_csv *r, const char *how)
{
    ck_assert_msg(lr_csv_delimiter(r) == c->want_delim, "%s (%s): delimiter '%c'", c->name, how,
                  lr_csv_delimiter(r));
    ck_assert_str_eq(lr_csv_name(r), "t.csv");
    size_t k = 0;
    int nrow = 0;
    for (;;) {
        lr_csv_row row;
        int has_row = -1;
        lr_error err;
        int rc = lr_csv_next(r, &row, &has_row, &err);
        if (rc) {
            ck_assert_msg(rc == c->want_rc, "%s (%s): rc %d (%s)", c->name, how, rc, err.message);
            ck_assert_int_eq(has_row, 0);
            ck_assert_str_eq(err.message, c->want_msg);
            ck_assert_int_eq(err.code, c->want_rc);
            ck_assert_uint_eq(err.line, c->err_line);
            ck_assert_uint_eq(err.col, c->err_col);
            break;
        }
        if (!has_row) {
            ck_assert_msg(c->want_rc == LR_OK, "%s (%s): no error", c->name, how);
            break;
        }
        ck_assert_uint_eq(row.index, (uint64_t)nrow);
        ck_assert_msg(c->f[k].text && c->f[k].row == nrow, "%s (%s): unexpected row %d", c->name,
                      how, nrow);
        ck_assert_uint_eq(row.line, c->f[k].line);
        size_t j = 0;
        for (; c->f[k].text && c->f[k].row == nrow; k++, j++) {
            const exp_field *e = &c->f[k];
            ck_assert_msg(j < row.nfields, "%s (%s): row %d has %zu fields", c->name, how, nrow,
                          row.nfields);
            const lr_csv_field *f = &row.fields[j];
            size_t len = e->len ? e->len : strlen(e->text);
            ck_assert_msg(f->len == len && memcmp(f->data, e->text, len) == 0,
                          "%s (%s): row %d field %zu is \"%.*s\"", c->name, how, nrow, j,
                          (int)f->len, f->data);
            ck_assert_msg(f->line == e->line && f->col == e->col && f->quoted == e->quoted,
                          "%s (%s): row %d field %zu at %llu:%llu quoted %d", c->name, how, nrow, j,
                          (unsigned long long)f->line, (unsigned long long)f->col, f->quoted);
        }
        ck_assert_msg(j == row.nfields, "%s (%s): row %d has %zu fields, expected %zu", c->name,
                      how, nrow, row.nfields, j);
        nrow++;
    }
    ck_assert_msg(c->f[k].text == NULL, "%s (%s): only %d rows", c->name, how, nrow);
}

/* Case _i / CSV_FROM_COUNT, from the source _i % CSV_FROM_COUNT. */
START_TEST(test_table)
{
    const csv_case *c = &cases[_i / CSV_FROM_COUNT];
    csv_from from = (csv_from)(_i % CSV_FROM_COUNT);
    size_t len = c->in_len ? c->in_len : strlen(c->in);
    lr_csv_options opt = {c->delim, 0};
    /* a file is also opened with no options when none is given (the defaults) */
    const lr_csv_options *o = from == CSV_FROM_FILE && !c->delim ? NULL : &opt;
    csv_source s;
    lr_csv *r = csv_source_open(&s, from, c->in, len, "t.csv", o);
    check_case(c, r, csv_from_name[from]);
    csv_source_close(&s, r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Behaviour around the table                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_end_and_errors_are_sticky)
{
    lr_csv *r;
    lr_error err;
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_open_buffer("a\n", 2, NULL, NULL, &r, &err), LR_OK);
    ck_assert_str_eq(lr_csv_name(r), "<buffer>");
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 1);
    for (int i = 0; i < 3; i++) {
        has_row = -1;
        ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
        ck_assert_int_eq(has_row, 0);
    }
    lr_csv_free(r);

    ck_assert_int_eq(lr_csv_open_buffer("a\"b\nc\n", 6, "e.csv", NULL, &r, &err), LR_OK);
    for (int i = 0; i < 3; i++) {
        has_row = -1;
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_EPARSE);
        ck_assert_int_eq(has_row, 0);
        ck_assert_str_eq(err.message, "e.csv:1:2: unexpected quote in unquoted field");
    }
    /* A NULL error pointer is allowed. */
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, NULL), LR_EPARSE);
    lr_csv_free(r);
    lr_csv_free(NULL);

    ck_assert_int_eq(lr_csv_open_buffer(NULL, 0, "n", NULL, &r, &err), LR_OK);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 0);
    lr_csv_free(r);
}
END_TEST

START_TEST(test_invalid_delimiter)
{
    static const char bad[] = {'"', '\n', '\r'};
    for (size_t i = 0; i < sizeof bad; i++) {
        lr_csv_options opt = {bad[i], 0};
        lr_csv *r = (lr_csv *)&opt; /* must be reset to NULL */
        lr_error err;
        ck_assert_int_eq(lr_csv_open_buffer("a\n", 2, "d.csv", &opt, &r, &err), LR_EUSAGE);
        ck_assert_ptr_null(r);
        ck_assert_msg(strncmp(err.message, "d.csv: invalid delimiter", 24) == 0, "%s", err.message);
    }
}
END_TEST

/* The fields array and scratch are reused; earlier rows do not leak into later ones. */
START_TEST(test_reuse_between_rows)
{
    const char *in = "\"a\"\"\",b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n"
                     "\"x\"\"y\"\"z\"\n"
                     "1,2\n";
    lr_csv *r;
    lr_error err;
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_open_buffer(in, strlen(in), "r", NULL, &r, &err), LR_OK);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 20);
    ck_assert_int_eq((int)row.fields[0].len, 2);
    ck_assert(memcmp(row.fields[0].data, "a\"", 2) == 0);
    ck_assert(row.fields[19].len == 1 && row.fields[19].data[0] == 't');
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 1);
    ck_assert(row.fields[0].len == 5 && memcmp(row.fields[0].data, "x\"y\"z", 5) == 0);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_uint_eq(row.nfields, 2);
    ck_assert(row.fields[1].len == 1 && row.fields[1].data[0] == '2' && !row.fields[1].quoted);
    ck_assert_uint_eq(row.index, 2);
    ck_assert_uint_eq(row.line, 3);
    lr_csv_free(r);
}
END_TEST

/* lr_csv_write_field: every field read back as written, quoted only when
 * it must be (edge blanks, which the reader trims from an unquoted field,
 * the delimiter, a quote, a line end). */
START_TEST(test_write_field_round_trip)
{
    static const char *const fields[] = {"plain", "a b", " lead", "trail ",    "\ttab",
                                         "tab\t", "a,b", "q\"q",  "line\nend", ""};
    static const char want[] = "plain,a b,\" lead\",\"trail \",\"\ttab\",\"tab\t\",\"a,b\","
                               "\"q\"\"q\",\"line\nend\",\n";
    enum { N = sizeof fields / sizeof fields[0] };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < N; i++) {
        if (i)
            fputc(',', f);
        lr_csv_write_field(f, fields[i]);
    }
    fputc('\n', f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_str_eq(buf, want);
    lr_csv_options opt = {0};
    opt.delimiter = ',';
    lr_csv *r;
    lr_error err;
    lr_csv_row row;
    int has_row;
    ck_assert_int_eq(lr_csv_open_buffer(buf, len, "w", &opt, &r, &err), LR_OK);
    ck_assert_int_eq(lr_csv_next(r, &row, &has_row, &err), LR_OK);
    ck_assert_int_eq(has_row, 1);
    ck_assert_uint_eq(row.nfields, N);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(row.fields[i].len == strlen(fields[i]) &&
                          !memcmp(row.fields[i].data, fields[i], row.fields[i].len),
                      "field %zu: '%.*s'", i, (int)row.fields[i].len, row.fields[i].data);
    lr_csv_free(r);
    free(buf);
}
END_TEST

static Suite *csv_grammar_suite(void)
{
    Suite *s = suite_create("csv_grammar");
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_table, 0, ncases * CSV_FROM_COUNT);
    tcase_add_test(tc, test_end_and_errors_are_sticky);
    tcase_add_test(tc, test_invalid_delimiter);
    tcase_add_test(tc, test_reuse_between_rows);
    tcase_add_test(tc, test_write_field_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lr_test_main(csv_grammar_suite());
}
