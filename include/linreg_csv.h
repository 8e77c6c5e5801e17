/*
 * linreg_csv.h — liblinreg's CSV reader and number grammar: the pull-style
 * reader that hands out borrowed fields (lr_csv_*) and the conversion of one
 * cell (lr_parse_cell), usable on their own.
 *
 * Part of linreg.h, which includes it: include <linreg.h>, not this header
 * (it uses linreg.h's lr_error and status codes, and linreg.h's conventions
 * and thread-safety note apply). Its functions are exported like linreg.h's.
 */
#ifndef LINREG_CSV_H
#define LINREG_CSV_H

#ifndef LINREG_H
#error "include <linreg.h>, which includes linreg_csv.h"
#endif

/* ------------------------------------------------------------------------ */
/* CSV reader: pull-style, streaming, borrowed cells                        */
/* ------------------------------------------------------------------------ */

/*
 * RFC 4180 with the usual extensions: "" escapes inside quotes, delimiters
 * and newlines inside quotes, LF or CRLF line ends, a UTF-8 byte order mark,
 * a final line with or without a newline. The reader knows nothing about
 * numbers: it hands out fields as bytes. Memory is bounded by the longest
 * row, not the file, and a row longer than a limit (LR_MAX_LINE_DEFAULT
 * unless raised) is an error: a file of one endless line (/dev/zero, a
 * decompression bomb) ends with an error after reading about the limit.
 */
typedef struct lr_csv lr_csv;

/* The longest row (its bytes, line end excluded; a quoted field's line ends
 * included) read by default: 8 MiB. A CSV row of 8 MiB is already far beyond
 * any table a regression reads (a million columns of "1,"); the memory a row
 * costs is about twice its length (the buffer doubles). */
#define LR_MAX_LINE_DEFAULT ((size_t)8 << 20)

typedef struct lr_csv_options {
    char delimiter;       /* 0: detect among , ; TAB | from the start of the input */
    size_t max_row_bytes; /* the longest row accepted (0: LR_MAX_LINE_DEFAULT); a longer
                             one is an LR_EDATA error naming its line */
} lr_csv_options;

/* One field of a row. Borrowed: valid until the next lr_csv_next call or
 * lr_csv_free. `data` is not NUL-terminated; quotes are removed and ""
 * unescaped. */
typedef struct lr_csv_field {
    const char *data; /* the field's bytes */
    size_t len;       /* their number */
    uint64_t line;    /* physical line (1-based) where the field starts */
    uint64_t col;     /* 1-based byte column where the field starts */
    int quoted;       /* 1 if the field was enclosed in quotes */
} lr_csv_field;

/* A row: `fields[0..nfields)`, borrowed like its fields. */
typedef struct lr_csv_row {
    const lr_csv_field *fields; /* the row's fields */
    size_t nfields;             /* their number, >= 1 */
    uint64_t line;              /* physical line where the row starts */
    uint64_t index;             /* 0-based record number (the header is 0) */
} lr_csv_row;

/*
 * Open `path` ("-" for standard input) for reading; gzip-compressed input
 * (detected by its magic bytes) is decompressed. `display_name` is used in
 * error messages (NULL: `path`, or "<stdin>" for "-"). `opt` may be NULL.
 * On success *out is a new reader the caller frees with lr_csv_free.
 */
int lr_csv_open(const char *path, const char *display_name, const lr_csv_options *opt, lr_csv **out,
                lr_error *err);

/* Read from a caller-owned file descriptor (not closed by lr_csv_free). */
int lr_csv_open_fd(int fd, const char *display_name, const lr_csv_options *opt, lr_csv **out,
                   lr_error *err);

/* Parse an in-memory buffer (borrowed: must outlive the reader). */
int lr_csv_open_buffer(const char *data, size_t len, const char *display_name,
                       const lr_csv_options *opt, lr_csv **out, lr_error *err);

/*
 * Read the next row into *row. Sets *has_row to 1 when a row was read and to
 * 0 at the end of the input. Empty lines (no bytes between two line ends) are
 * skipped. Errors (unterminated quote, a quote inside an unquoted field,
 * bytes after a closing quote, a read error) carry line and column.
 */
int lr_csv_next(lr_csv *r, lr_csv_row *row, int *has_row, lr_error *err);

/* The delimiter in use (detected or given). */
char lr_csv_delimiter(const lr_csv *r);

/* The name used in error messages (borrowed, lives as long as r). */
const char *lr_csv_name(const lr_csv *r);

/* The physical line (1-based) of the next unread byte: after the last row of
 * an input that ends with a line end, one more than its number of lines. */
uint64_t lr_csv_line(const lr_csv *r);

/* Close and free. lr_csv_free(NULL) is harmless. */
void lr_csv_free(lr_csv *r);

/*
 * Write s to f as one comma-separated field that lr_csv_next reads back as s:
 * quoted (RFC 4180, a quote doubled) when it holds a comma, a quote or a line
 * end, or begins or ends with a space or TAB (which the reader trims from an
 * unquoted field); as it is otherwise. s is only read; write errors are f's.
 */
void lr_csv_write_field(FILE *f, const char *s);

/* ------------------------------------------------------------------------ */
/* Numbers and missing values                                               */
/* ------------------------------------------------------------------------ */

typedef enum lr_cell_kind {
    LR_CELL_NUMBER = 0,  /* a finite number, stored in *value */
    LR_CELL_MISSING = 1, /* empty (after trimming spaces), NA (exactly), NaN in any case */
    LR_CELL_TEXT = 2,    /* not a number by the grammar */
    LR_CELL_OVERFLOW = 3 /* a number by the grammar, but beyond the range of a double */
} lr_cell_kind;

/*
 * Classify and convert one cell. The grammar is
 *     [spaces] [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits] [spaces]
 * with spaces being ' ' or TAB; the value is exactly the double strtod
 * returns for the same text (correctly rounded; underflow gives 0 or a
 * subnormal without error). "Inf", hex floats, thousands separators and
 * everything else are LR_CELL_TEXT. Never fails: the kind says what it is.
 */
lr_cell_kind lr_parse_cell(const char *data, size_t len, double *value);

#endif /* LINREG_CSV_H */
