/*
 * partial_parts.h — a part read back (partial_io.c), for partial_merge.c.
 * Internal to those and fit_partial.c.
 */
#ifndef LR_PARTIAL_PARTS_H
#define LR_PARTIAL_PARTS_H

#include "partial_io.h"

struct lr_partial {
    char *name;                /* for messages (owned) */
    unsigned char *bytes;      /* the part (owned); the strings below point into it */
    size_t len;                /* its length */
    size_t spec_at, spec_len;  /* the model options' section */
    size_t head_at, head_len;  /* the header and column types' section */
    const char *formula;       /* model options, as lr_fit_options */
    const char *target;
    const char **features;     /* (owned array) */
    size_t n_features;
    int features_absent;       /* features was NULL */
    int intercept;
    const char *weights;
    int method;
    int na_action;
    const char **na_strings;   /* (owned array) */
    size_t n_na;
    int na_absent;             /* na_strings was NULL */
    char delim_opt;            /* the --delimiter given (0: detect) */
    uint64_t max_line;
    double ridge;
    int ridge_scale;
    const char *cluster;
    char delimiter;            /* the delimiter read */
    lr_csv_field *fields;      /* the header row's fields (owned array) */
    size_t nfields;
    uint64_t head_lines;       /* physical lines before the first data row */
    unsigned char *types;      /* per column: 1 text, 2 logical (owned) */
    size_t ncsv;
    uint64_t nfiles;           /* file records */
    uint64_t rows, dropped;    /* counts of the fold */
    uint64_t nan_rows, nan_line, nan_var;
    lr_row_fp fp;              /* the rows' fingerprint, lines of the part's input */
    uint64_t lines;            /* physical lines of the part's input */
    int unterminated;          /* its last row has no line end (one is added when files
                                  follow, as for several files read as one) */
    const char **names;        /* the files' names (owned array) */
    size_t nnames;
    size_t files_at, files_end; /* the file records' section */
};

/* Reading a part's file records in order. */
typedef struct lr_partial_cursor {
    const lr_partial *p; /* the part */
    size_t off;          /* the next record */
} lr_partial_cursor;

/* The next record: its levels interned into levels[v] (fresh tables, one per
 * factor variable of f), its column keys (*colkeys, caller frees: (k −
 * f->kfixed) × f->keywidth entries), *k, *acc (NULL: no observation). */
int lr_partial_get_file(lr_partial_cursor *pc, const lr_frame *f, lr_levels **levels,
                        uint32_t **colkeys, size_t *k, lr_accum **acc, lr_error *err);

#endif
