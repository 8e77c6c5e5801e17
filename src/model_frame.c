/*
 * model_frame.c — from CSV rows to blocks of the model's columns.
 *
 * The frame knows which CSV columns the model uses and in what order (the
 * response first, then the predictors), converts their cells with
 * lr_parse_cell, applies the missing-value policy as R's model.frame does
 * (only the model's columns count), and hands full blocks of rows to the
 * accumulator. Memory: one block, independent of the number of rows.
 */
#include <string.h>

#include "model_frame.h"

/* Rows per block handed to the accumulator: large enough that dsyrk runs at
 * speed, small enough that the block stays in cache. */
#define LR_BLOCK_ROWS 1024

struct lr_frame {
    char *source;        /* display name of the data (owned) */
    size_t ncsv;         /* fields in the header */
    size_t k;            /* model columns: response + predictors */
    size_t *csv_col;     /* CSV column index of each model column, k entries */
    char **names;        /* model column names (owned), k entries */
    lr_na_action na;     /* missing-value policy */
    double *block;       /* LR_BLOCK_ROWS × k, column-major */
    size_t nblock;       /* rows in the block */
    uint64_t rows;       /* data rows seen */
    uint64_t dropped;    /* rows omitted for missing values */
    lr_accum *acc;       /* the statistics */
};

void lr_frame_free(lr_frame *f)
{
    if (!f)
        return;
    if (f->names)
        for (size_t j = 0; j < f->k; j++)
            lr_mem_strfree(f->names[j]);
    lr_mem_free(f->names, f->k * sizeof(char *));
    lr_mem_free(f->csv_col, f->k * sizeof(size_t));
    lr_mem_free(f->block, LR_BLOCK_ROWS * f->k * sizeof(double));
    lr_accum_free(f->acc);
    lr_mem_strfree(f->source);
    lr_mem_free(f, sizeof *f);
}

const lr_accum *lr_frame_accum(const lr_frame *f) { return f->acc; }
const char *const *lr_frame_names(const lr_frame *f) { return (const char *const *)f->names; }
uint64_t lr_frame_rows(const lr_frame *f) { return f->rows; }
uint64_t lr_frame_dropped(const lr_frame *f) { return f->dropped; }

static int field_is(const lr_csv_field *fl, const char *name)
{
    size_t n = strlen(name);
    return fl->len == n && memcmp(fl->data, name, n) == 0;
}

/* Edit distance between a and the field's bytes, case-insensitively cheaper:
 * a case-only difference costs nothing, so "speed" finds "Speed". Bounded
 * work: names longer than 64 bytes are not compared. */
static size_t edit_distance(const char *a, const lr_csv_field *b)
{
    size_t na = strlen(a), nb = b->len;
    size_t prev[65], cur[65];
    if (na > 64 || nb > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            char ca = a[i - 1], cb = b->data[j - 1];
            if (ca >= 'A' && ca <= 'Z')
                ca = (char)(ca - 'A' + 'a');
            if (cb >= 'A' && cb <= 'Z')
                cb = (char)(cb - 'A' + 'a');
            size_t sub = prev[j - 1] + (ca == cb ? 0 : 1);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (nb + 1) * sizeof(size_t));
    }
    return prev[nb];
}

/* Find `name` in the header. Returns LR_OK and *col, or an error naming the
 * closest header name when there is a plausible one. */
static int find_column(const lr_csv_row *hdr, const char *source, const char *name, size_t *col,
                       lr_error *err)
{
    size_t found = SIZE_MAX;
    for (size_t j = 0; j < hdr->nfields; j++) {
        if (field_is(&hdr->fields[j], name)) {
            if (found != SIZE_MAX)
                return lr_error_at(err, LR_EDATA, source, hdr->fields[j].line,
                                   hdr->fields[j].col,
                                   "column name '%s' appears more than once in the header", name);
            found = j;
        }
    }
    if (found != SIZE_MAX) {
        *col = found;
        return LR_OK;
    }
    size_t best = SIZE_MAX, bj = 0;
    for (size_t j = 0; j < hdr->nfields; j++) {
        size_t d = edit_distance(name, &hdr->fields[j]);
        if (d < best) {
            best = d;
            bj = j;
        }
    }
    size_t limit = strlen(name) / 3; /* one edit per three characters */
    if (best <= limit) {
        char q[160];
        lr_error_quote(q, sizeof q, hdr->fields[bj].data, hdr->fields[bj].len, 120);
        return lr_error_set(err, LR_EUSAGE, "%s: no column named '%s' (did you mean '%s'?)",
                            source, name, q);
    }
    return lr_error_set(err, LR_EUSAGE, "%s: no column named '%s'", source, name);
}

/* Copy the header name of CSV column j; an empty name cannot be used. */
static int take_name(lr_frame *f, const lr_csv_row *hdr, size_t j, size_t slot, lr_error *err)
{
    const lr_csv_field *fl = &hdr->fields[j];
    if (fl->len == 0)
        return lr_error_at(err, LR_EDATA, f->source, fl->line, fl->col,
                           "column %zu has an empty name in the header", j + 1);
    if (memchr(fl->data, '\0', fl->len))
        return lr_error_at(err, LR_EDATA, f->source, fl->line, fl->col,
                           "column %zu has a NUL byte in its name", j + 1);
    char *s = lr_mem_alloc(fl->len + 1);
    if (!s)
        return lr_error_nomem(err);
    memcpy(s, fl->data, fl->len);
    s[fl->len] = '\0';
    f->names[slot] = s;
    f->csv_col[slot] = j;
    return LR_OK;
}

int lr_frame_create(const lr_csv_row *hdr, const char *source, const lr_fit_options *opt,
                    lr_frame **out, lr_error *err)
{
    int rc;
    size_t ycol = 0;
    *out = NULL;

    lr_frame *f = lr_mem_calloc(1, sizeof *f);
    if (!f)
        return lr_error_nomem(err);
    f->source = lr_mem_strdup(source);
    if (!f->source) {
        lr_frame_free(f);
        return lr_error_nomem(err);
    }
    f->ncsv = hdr->nfields;
    f->na = opt->na_action;

    if (opt->target && (rc = find_column(hdr, source, opt->target, &ycol, err)))
        goto fail;
    f->k = 1 + (opt->features ? opt->n_features : hdr->nfields - 1);
    f->names = lr_mem_calloc(f->k, sizeof(char *));
    f->csv_col = lr_mem_calloc(f->k, sizeof(size_t));
    if (!f->names || !f->csv_col) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if ((rc = take_name(f, hdr, ycol, 0, err)))
        goto fail;
    if (opt->features) {
        for (size_t i = 0; i < opt->n_features; i++) {
            size_t c;
            if ((rc = find_column(hdr, source, opt->features[i], &c, err)))
                goto fail;
            if (c == ycol) {
                rc = lr_error_set(err, LR_EUSAGE,
                                  "%s: column '%s' is the response and cannot be a predictor",
                                  source, opt->features[i]);
                goto fail;
            }
            for (size_t j = 1; j <= i; j++)
                if (f->csv_col[j] == c) {
                    rc = lr_error_set(err, LR_EUSAGE, "column '%s' is listed twice",
                                      opt->features[i]);
                    goto fail;
                }
            if ((rc = take_name(f, hdr, c, i + 1, err)))
                goto fail;
        }
    } else {
        size_t slot = 1;
        for (size_t j = 0; j < hdr->nfields; j++)
            if (j != ycol && (rc = take_name(f, hdr, j, slot++, err)))
                goto fail;
    }
    /* Every column the model uses must be named unambiguously. */
    for (size_t a = 0; a < f->k; a++)
        for (size_t j = 0; j < hdr->nfields; j++)
            if (j != f->csv_col[a] && field_is(&hdr->fields[j], f->names[a])) {
                rc = lr_error_at(err, LR_EDATA, source, hdr->fields[j].line, hdr->fields[j].col,
                                 "column name '%s' appears more than once in the header",
                                 f->names[a]);
                goto fail;
            }

    f->block = lr_mem_calloc(LR_BLOCK_ROWS * f->k, sizeof(double));
    if (!f->block) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if ((rc = lr_accum_create(f->k,
                              opt->method == LR_METHOD_NAIVE ? LR_KERNEL_NAIVE : LR_KERNEL_BLAS,
                              &f->acc, err)))
        goto fail;
    *out = f;
    return LR_OK;

fail:
    lr_frame_free(f);
    return rc;
}

static int flush(lr_frame *f, lr_error *err)
{
    int rc = lr_accum_add(f->acc, f->nblock, f->block, LR_BLOCK_ROWS, NULL, err);
    f->nblock = 0;
    return rc;
}

int lr_frame_add_row(lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    if (row->nfields != f->ncsv) {
        const lr_csv_field *at =
            &row->fields[row->nfields > f->ncsv ? f->ncsv : row->nfields - 1];
        return lr_error_at(err, LR_EPARSE, f->source, at->line, at->col,
                           "row has %zu field%s but the header has %zu", row->nfields,
                           row->nfields == 1 ? "" : "s", f->ncsv);
    }
    f->rows++;
    size_t i = f->nblock;
    const lr_csv_field *missing = NULL; /* the first missing cell of the row */
    size_t missing_col = 0;
    /* Every cell is checked before the row can be omitted: a text cell or an
     * overflow is an error even in a row that a missing value would drop. */
    for (size_t j = 0; j < f->k; j++) {
        const lr_csv_field *fl = &row->fields[f->csv_col[j]];
        double v = 0;
        char q[96];
        switch (lr_parse_cell(fl->data, fl->len, &v)) {
        case LR_CELL_NUMBER:
            LR_AT(f->block, LR_BLOCK_ROWS, i, j) = v;
            break;
        case LR_CELL_MISSING:
            if (!missing) {
                missing = fl;
                missing_col = j;
            }
            break;
        case LR_CELL_OVERFLOW:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': \"%s\" is out of the range of a double",
                               f->names[j], q);
        case LR_CELL_TEXT:
        default:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': expected a number, got \"%s\"", f->names[j], q);
        }
    }
    if (missing) {
        if (f->na == LR_NA_ERROR)
            return lr_error_at(err, LR_EMISSING, f->source, missing->line, missing->col,
                               "column '%s': missing value (--na error)", f->names[missing_col]);
        /* As R's model.frame with na.omit: the whole row goes, and is counted. */
        f->dropped++;
        return LR_OK;
    }
    if (++f->nblock == LR_BLOCK_ROWS)
        return flush(f, err);
    return LR_OK;
}

int lr_frame_finish(lr_frame *f, lr_error *err)
{
    return f->nblock ? flush(f, err) : LR_OK;
}
