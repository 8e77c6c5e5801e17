/*
 * model_frame.h — from CSV rows to blocks of model-matrix columns (internal).
 *
 * The frame evaluates a formula row by row: response, transformations,
 * factors (levels discovered as rows stream in), interactions, weights and
 * the missing-value policy; and feeds full blocks to an accumulator whose
 * columns are the full indicator coding of every term. After the last row,
 * lr_frame_model() chooses R's coding (treatment contrasts with the first
 * level as reference, R's marginality rules) as a subset of those columns.
 */
#ifndef LR_MODEL_FRAME_H
#define LR_MODEL_FRAME_H

#include "formula.h"

typedef struct lr_frame lr_frame;
typedef struct lr_chunk lr_chunk;

/*
 * A frame for the data whose header row is `header`. The model is opt->formula
 * if given (opt->intercept = 0 then also removes the intercept), else
 * opt->target ~ opt->features. Fails with LR_EUSAGE for formula errors and
 * unknown columns, LR_EDATA for an empty or duplicated header name the model
 * uses.
 */
int lr_frame_create(const lr_csv_row *header, const char *source, const lr_fit_options *opt,
                    lr_frame **out, lr_error *err);

/*
 * Rows are taken in chunks (docs/design.md: nominal byte blocks ending at a row
 * boundary), each evaluated on its own and folded into the frame in file
 * order along a fixed tree, so results do not depend on how many threads
 * evaluated them.
 *
 * The first chunk goes through the frame: lr_frame_add_row keeps its rows
 * until the column types are decided (from its first LR_FIRST_CHUNK bytes of
 * model cells), lr_frame_end_first decides them if that has not happened yet,
 * evaluates the kept rows and folds the chunk. Positions in its errors are
 * the file's.
 */
int lr_frame_add_row(lr_frame *f, const lr_csv_row *row, lr_error *err);
int lr_frame_end_first(lr_frame *f, lr_error *err);
/* fn (or NULL) is told, after each block, how many of the first chunk's kept
 * rows have been evaluated and accumulated (done of total; rows a QR
 * accumulator holds pending count once folded): with a wide factor that
 * takes seconds; then 0 of 0 when the chunk's merge into the frame begins
 * (seconds too). Called on the thread that adds the rows. */
void lr_frame_on_kept_rows(lr_frame *f, void (*fn)(void *ud, uint64_t done, uint64_t total),
                           void *ud);

/* A guess that saves keeping and replaying the first rows: every column not
 * forced to be a factor is numeric, decided now, before any row is added.
 * If the first chunk then goes through without an error, the guess was what
 * keeping its rows would have decided (no cell was text); after any error
 * the caller starts again with a new frame and no guess, so that types and
 * messages are those of the careful path. Refused (LR_EUSAGE) when a column
 * is read only through factor(): whether it is logical needs its rows. */
int lr_frame_assume_numeric(lr_frame *f, lr_error *err);

/* Every later chunk: a chunk evaluator (the frame's types must be known; the
 * frame is only read, so chunks may be evaluated on several threads at once),
 * its rows, then lr_chunk_end. Line numbers in its errors count from the
 * chunk's first line (1); lr_error_relocate makes them the file's. */
int lr_chunk_create(const lr_frame *f, lr_chunk **out, lr_error *err);
int lr_chunk_add_row(lr_chunk *c, const lr_csv_row *row, lr_error *err);
int lr_chunk_end(lr_chunk *c, lr_error *err);

/* The fused path: whether c can take rows straight from text (every term a
 * plain numeric column), and the rows of buf[0..len) it takes that way,
 * stopping at the first row it leaves to lr_csv_next + lr_chunk_add_row
 * (see model_frame_fused.c). buf starts at a row's first byte, whose line is
 * line0 + 1 within the chunk; *used gets the bytes taken, *lines the line
 * ends taken (one per row, but for a last row that the input's end ends). */
int lr_chunk_fast_text(lr_chunk *c);
int lr_chunk_add_text(lr_chunk *c, const char *buf, size_t len, char delim, uint64_t line0,
                      size_t *used, uint64_t *lines, lr_error *err);
void lr_chunk_free(lr_chunk *c);

/* Fold an ended chunk into the frame: chunks must be folded in file order;
 * lines_before is the physical lines of the input before the chunk. */
int lr_frame_fold(lr_frame *f, lr_chunk *c, uint64_t lines_before, lr_error *err);
/* The same for chunk `block` of file `file` (both from 0, in file order; the
 * chunk of file 0 block 0 is the first chunk, folded by lr_frame_end_first):
 * the blocks of a file skipped (no row starts in them) are empty leaves of
 * its tree, and each file's tree, once the next file begins, is one leaf of
 * the files' tree (docs/design.md, "Chunks at absolute offsets"). */
int lr_frame_fold_at(lr_frame *f, lr_chunk *c, size_t file, uint64_t block, uint64_t lines_before,
                     lr_error *err);

/* Keep the evaluated rows in a binary spool for second passes (row_spool.h;
 * call before any row is added), with their lines if with_lines (per-row
 * output names them). 0 if no temporary file can be made. */
int lr_frame_keep_rows(lr_frame *f, int with_lines);
/* After lr_frame_finish: the spool's descriptor (owned by the frame), or -1
 * if rows were not kept or the spool was given up (too large, a chunk's rows
 * exceeded its buffer, a write failed). */
int lr_frame_rows_fd(const lr_frame *f);
/* The key columns whose cells the spool's records carry (row_spool.h: the
 * cluster columns of --vcov CL, in --cluster's order): their number (0 when
 * rows are not kept or there are none) and *cols, their fields (borrowed). */
size_t lr_frame_key_cols(const lr_frame *f, const size_t **cols);
/* 1 if the spool's model columns are lr_frame_eval_row's values to the last
 * bit (0: a term multiplies a plain value after a poly column, among three
 * or more, which the two compute in different orders). */
int lr_frame_rows_as_eval(const lr_frame *f);

/* After the last chunk: the first chunk is folded if it was not, and the fold
 * completed; lr_frame_accum is then the statistics of every row. The levels
 * of a column read only through factor() become numbers if every one is
 * (an error for two spellings of one number). */
int lr_frame_finish(lr_frame *f, lr_error *err);

/* The model as R codes it: p_x columns besides the intercept. */
typedef struct lr_model_columns {
    size_t q;                 /* model-matrix columns other than the intercept */
    const size_t *acc_col;    /* accumulator column of each (SIZE_MAX: zero in every row) */
    const char *const *names; /* coefficient names, as R prints them */
    int intercept;            /* 1 if the model has an intercept */
    const char *response;     /* the response's label ("log(Volume)") */
    const char *formula;      /* the model as a formula (as given, or built from -y/-x) */
    size_t nterms;            /* right-hand-side terms (R's term.labels) */
    const size_t *term;       /* q entries: the 0-based term of each column (R's assign − 1) */
    const char *const *term_labels; /* nterms labels, as R's terms() gives them ("wool:tension") */
} lr_model_columns;

/* Choose R's coding and name the coefficients. Fails (LR_EDATA) for a factor
 * with fewer than two levels. The result is borrowed from the frame. */
int lr_frame_model(lr_frame *f, lr_model_columns *out, lr_error *err);

/* A header field as a column name: blanks around an unquoted name are not
 * part of it ("y , x" names y and x, as with numbers); a quoted one is taken
 * as written. */
void lr_frame_header_name(const lr_csv_field *fl, const char **name, size_t *len);

/*
 * After lr_frame_model: a data row in the model's own columns, x[0..q) in
 * lr_frame_model's order, the response *y and the weight *w. *use = 0 when a
 * cell the model needs is missing. A factor level not seen in the fit is an
 * error naming the row; so is a term that is not finite (log(0)), with
 * *use = -1 (a prediction makes that row NA and goes on). Evaluates in double, like the fit. colval
 * is the caller's scratch of lr_frame_eval_scratch(f) doubles, the row's cells first (what
 * lr_frame_eval_offset and lr_frame_beyond_knots read); the frame is only read, so threads with
 * their own scratch may evaluate rows at once.
 */
size_t lr_frame_eval_scratch(const lr_frame *f);
int lr_frame_eval_row(const lr_frame *f, double *colval, const lr_csv_row *row, double *x,
                      double *y, double *w, int *use, lr_error *err);

/* After lr_frame_eval_row gave *use = 1 with the same colval: the row's
 * offset (offset(expr) in the formula; 0 without one), which a prediction
 * adds to xᵀβ as R's predict.lm does. */
double lr_frame_eval_offset(const lr_frame *f, const double *colval);
/* The accumulator column holding the offset (in no model column), or SIZE_MAX. */
size_t lr_frame_offset_col(const lr_frame *f);

/* 1 if every field of the header is a number ("1.5,2,3"): the file may
 * have no header row, and its first row became the names. */
int lr_frame_header_numeric(const lr_frame *f);
/* The input's delimiter, which the rows fingerprint joins fields with (set
 * before the first row). */
void lr_frame_set_delimiter(lr_frame *f, char delim);

/* The header field named name (1), or 0 if there is none. */
int lr_frame_column(const lr_frame *f, const char *name, size_t *col);

/* Fields in the header. */
size_t lr_frame_ncols(const lr_frame *f);

/* The data's display name (borrowed). */
const char *lr_frame_source(const lr_frame *f);

/* The accumulator (owned by the frame). */
const lr_accum *lr_frame_accum(const lr_frame *f);
/* Data rows seen and rows omitted for missing values. */
uint64_t lr_frame_rows(const lr_frame *f);
uint64_t lr_frame_dropped(const lr_frame *f);
/* Of the rows dropped, those where a term was NaN (log(-1)); *first_line the
 * first one's line and *label its term's label (borrowed; NULL if none). */
uint64_t lr_frame_nan_rows(const lr_frame *f, uint64_t *first_line, const char **label);

/* Data-dependent bases (poly, scale, ns, bs: model_frame_basis.c). The
 * variables whose basis is not known yet: their values are collected over
 * the kept rows of this pass, and lr_frame_fit_bases (after lr_frame_finish)
 * computes the bases from them; a new frame for the second pass gets them
 * with lr_frame_copy_bases (same formula), which also codes the contrasts
 * of C(g, sum) and C(g, helmert) from the first pass's levels. */
int lr_frame_basis_vars(const lr_frame *f);
/* Whether the model has a term evaluated through a data-dependent basis
 * (poly, scale, ns, bs): its columns are doubles in the extended pass too. */
int lr_frame_has_basis(const lr_frame *f);
int lr_frame_fit_bases(lr_frame *f, lr_error *err);
int lr_frame_copy_bases(lr_frame *dst, const lr_frame *src, lr_error *err);
/* C(g, sum) and C(g, helmert) need their levels from a first pass too
 * (model_frame_coded.c): 1 while they do. */
int lr_frame_coded_pending(const lr_frame *f);
/* A prediction's frame (levels added from a saved model): the same coding. */
int lr_frame_code_saved_contrasts(lr_frame *f, lr_error *err);
/* After lr_frame_eval_row filled colval: 1 if a bs() variable's value lies
 * beyond its boundary knots (R's bs() warns there). */
int lr_frame_beyond_knots(const lr_frame *f, const double *colval);

/* ---- the frame described (model_frame_describe.c), for the code that saves
 * a model: read only, after lr_frame_model; everything returned is borrowed
 * from the frame ---- */

typedef struct lr_levels lr_levels;

/* The model: its variables (labels, kinds, the data column or expression each
 * reads, bases) and its terms. Variable 0 is the response. */
const lr_formula *lr_frame_formula(const lr_frame *f);
/* Variable v's levels (a factor; lr_levels_id_at gives them in R's order),
 * or NULL for a numeric variable. */
const lr_levels *lr_frame_var_levels(const lr_frame *f, size_t v);

/* What the frame decided about data column j (< lr_frame_ncols). */
typedef struct lr_frame_column_info {
    const char *name; /* the header's name */
    int used;         /* the model reads it */
    int categorical;  /* read as text: its cells are levels, not numbers */
    int logical;      /* of those, a logical column (T/F/TRUE/FALSE) */
} lr_frame_column_info;
void lr_frame_column_describe(const lr_frame *f, size_t j, lr_frame_column_info *out);

/* The extra missing-value spellings (--na-strings): *s and *len n entries. */
size_t lr_frame_na_strings(const lr_frame *f, const char *const **s, const size_t **len);

/* The accumulator column of each model column besides the intercept (*q
 * of them; SIZE_MAX: zero in every row), as lr_frame_model gave them. */
const size_t *lr_frame_model_acc_cols(const lr_frame *f, size_t *q);

/* The rows the fit used (row_fingerprint.c): their number, and into *fp
 * their fingerprint. */
uint64_t lr_frame_rows_used(const lr_frame *f, uint64_t *fp);

/* ---- setters, for the code that predicts from a saved model: a frame
 * created from the model's prediction formula, told what the fit knew ---- */

/* Column types as saved, before lr_frame_end_first: the used columns named
 * in categorical[0..ncat) are text (their levels as saved, not as factor()
 * would read them), those also in logical[0..nlog) logical; every other
 * column is read as numbers. */
void lr_frame_set_column_types(lr_frame *f, const char *const *categorical, size_t ncat,
                               const char *const *logical, size_t nlog);
/* Variable v's basis (poly, scale, ns, bs) as fitted: a copy of *b, which
 * must be of the kind and width the formula gives it. */
void lr_frame_set_basis(lr_frame *f, size_t v, const struct lr_basis *b);
/* 1 if factor variable v's levels are text (its column is categorical), 0
 * if they are numbers. */
int lr_frame_var_text_levels(const lr_frame *f, size_t v);
/* Add a level to factor variable v, after lr_frame_end_first and in R's
 * order: the text s[0..len) (text levels) or the number x (numeric ones);
 * one already there is not added again. LR_OK or LR_ENOMEM. */
int lr_frame_add_level(lr_frame *f, size_t v, const char *s, size_t len, double x, lr_error *err);

void lr_frame_free(lr_frame *f);

#endif
