/*
 * model_frame_impl.h — the model frame's state, shared by the frame's own
 * files: model_frame.c (construction, the cell map), model_frame_types.c
 * (the first chunk, column types), model_frame_chunk.c (a chunk's blocks
 * and rows), model_frame_fused.c (rows straight from the text),
 * model_frame_eval.c (rows in double), model_frame_fold.c (chunks into the
 * frame), model_frame_columns.c (R's coding), frame_files.c (files into the
 * data set), model_frame_basis.c (data-dependent bases), model_frame_coded.c
 * (contrasts), model_frame_interaction.c (interaction()), model_frame_mp.c
 * (rows again, in extended precision) and model_frame_describe.c (the frame
 * described and set through model_frame.h). No other file includes it
 * (scripts/include_graph.sh checks).
 */
#ifndef LR_MODEL_FRAME_IMPL_H
#define LR_MODEL_FRAME_IMPL_H

#include "column_types.h"
#include "factor_levels.h"
#include "model_frame.h"
#include "row_spool.h"
#include "row_store.h"
#include "row_fingerprint.h"

/* Per data column the model uses. */
typedef struct col_info {
    int used;             /* referenced: 1 only through factor()/C(), 2 otherwise (a term,
                             an expression, the weights) */
    int text;             /* decided: holds text (categorical) */
    const char *name;     /* header name (the frame's copy) */
    const char *cell;     /* extended pass: this row's cell (text columns), borrowed */
    size_t cell_len;      /* its length */
    lr_col_census census; /* what the first chunk's cells showed */
    int as_factor;        /* read only through factor()/C(): text from the start, its
                             levels numbers at the end if every one is (R's factor()) */
    int levels_numeric;   /* as_factor, and every level was a number */
    int logical;          /* T/F/TRUE/FALSE only: a factor of levels FALSE, TRUE (R's
                             logical column) */
} col_info;

/* Per formula variable. */
typedef struct var_info {
    int factor;        /* categorical */
    lr_levels *levels; /* its levels over the chunks folded so far (factor) */
} var_info;

/* Per term. */
typedef struct term_info {
    size_t nf;        /* factor variables in it */
    size_t first_col; /* terms without factors: their first accumulator column */
    size_t ncombo;    /* columns per level combination: the product of poly degrees */
} term_info;

/* A hash map from (term, level ids, poly index) to accumulator column. */
typedef struct cell_map {
    uint32_t *keys; /* nslots × width words (word 0 = term + 1; 0 marks an empty slot) */
    size_t *cols;   /* accumulator column per slot */
    size_t nslots;  /* a power of two */
    size_t n;       /* entries */
    size_t width;   /* words per key: 1 + max factors per term + 1 */
} cell_map;

/* A first-chunk row kept until column types are known. */
typedef struct kept_field {
    size_t off;    /* offset of the bytes in the keep buffer */
    size_t len;    /* their number */
    uint64_t line; /* position in the file */
    uint64_t col;  /* column */
    int quoted;    /* was quoted */
} kept_field;

/* Where a chunk's factor-term column first appeared (for the column cap's
 * error, which names the row, the factor and its level). */
typedef struct col_origin {
    uint64_t line;  /* the row's line (the chunk's count) */
    uint64_t col;   /* the factor's field column in it */
    size_t var;     /* the factor variable named */
    uint32_t level; /* its level id (chunk-local) */
} col_origin;

/*
 * One chunk of rows, evaluated on its own (by whichever thread): its own
 * factor levels and accumulator columns, in the order the chunk shows them,
 * so that what it computes depends on its bytes only. lr_frame_fold maps its
 * levels and columns onto the frame's.
 */
struct lr_chunk {
    const lr_frame *f;     /* the model (read only) */
    int first;             /* the first chunk (the one types were decided on) */
    double *colval;        /* this row's numeric value of each column, ncsv entries */
    const char **cell;     /* this row's cell of each text column, ncsv entries */
    size_t *cell_len;      /* their lengths */
    double *value;         /* per variable: this row's value (numeric, or the poly base) */
    uint32_t *level;       /* per variable: this row's level id, chunk-local (factor) */
    lr_levels **levels;    /* per variable: the chunk's levels (factor), in order seen */
    cell_map map;          /* factor-term columns of the chunk */
    uint32_t *colkeys;     /* the key of each factor-term column, in column order */
    size_t colkeys_cap;    /* capacity in keys (and in colorigin) */
    col_origin *colorigin; /* where each factor-term column first appeared, column order */
    size_t k;              /* accumulator columns */
    lr_accum *acc;         /* the chunk's statistics */
    double *block;         /* block_rows × block_k, column-major */
    double *wblock;        /* weights of the block's rows */
    uint64_t *lblock;      /* physical lines of the block's rows */
    lr_row_buf spool;      /* the blocks again, for a second pass (if the frame keeps rows) */
    lr_row_keys keys;      /* with it, the key cells of the rows taken and not yet in spool */
    size_t block_rows;     /* rows the block holds */
    size_t block_k;        /* columns the block holds */
    size_t nblock;         /* rows in the block */
    double *row;           /* the current row's accumulator values, k entries */
    int sparse;            /* the model has factor terms: rows are kept in `store` until
                              the chunk ends (row_store.h) */
    lr_row_entry *ent;     /* sparse: the current row's entries */
    size_t nent;           /* their number */
    size_t ent_cap;        /* capacity: 1 + the columns the terms write a row */
    lr_row_store store;    /* sparse: the chunk's rows so far */
    size_t row_cap;        /* capacity of row */
    uint64_t rows;         /* data rows seen */
    uint64_t dropped;      /* rows omitted for missing values */
    double *bvals;         /* first pass of a model with bases: each kept row's basis
                              variables' values (model_frame_basis.c) */
    size_t bn, bcap;       /* doubles in bvals, its capacity */
    lr_row_fp fp;          /* the rows used, lines counted from the chunk's first */
    uint64_t nan_rows;     /* of those, rows where a term was NaN (log(-1)) */
    uint64_t nan_line;     /* the first such row's line (0: none) */
    size_t nan_var;        /* the variable that was NaN there */
};

/* The most accumulator columns a model may have (see check_width). */
#define LR_MAX_COLUMNS 4096

/* Levels of 64 of them: the fold's binary-counter stack has at most one
 * accumulator per power of two of chunks. */
#define LR_FOLD_LEVELS 64
/* The stack's top level, which a counter of chunks never reaches, holds the
 * chain of a wide QR model (lr_frame_chunk_push). */
#define LR_FOLD_CHAIN (LR_FOLD_LEVELS - 1)

struct lr_frame {
    char *source;                 /* display name of the data (owned) */
    size_t ncsv;                  /* fields in the header */
    char **colnames;              /* header names (owned) */
    lr_formula *formula;          /* the model (owned) */
    lr_na_action na;              /* missing-value policy */
    lr_na_set nas;                /* extra missing-value spellings (--na-strings) */
    int header_numeric;           /* every header name is a number (no header row?) */
    lr_kernel kernel;             /* accumulator kernel */
    size_t wcol;                  /* weights column, SIZE_MAX if none */
    size_t ncl;                   /* --vcov CL: cluster columns (also in used, read as text) */
    size_t ccol[2];               /* their fields (LR_CLUSTER_MAX) */
    col_info *cols;               /* ncsv entries */
    double *colval;               /* extended pass: this row's value of each column, ncsv entries */
    var_info *vars;               /* formula->nvars entries */
    term_info *terms;             /* formula->nterms entries */
    size_t kfixed;                /* accumulator columns before the factor terms' ones */
    size_t offset_col;            /* the accumulator column of offset(expr) (in no model column:
                                     R's summary takes its mss from fitted values that include
                                     it), or SIZE_MAX */
    size_t *direct;               /* a linear model in plain numeric columns: the accumulator
                                     column of each data column (SIZE_MAX: none), else NULL */
    size_t keywidth;              /* words per cell key: 1 + most factors in a term + 1 */
    int types_known;              /* column types decided */
    size_t *used;                 /* indices of the used columns */
    size_t nused;                 /* their number (then, up to nkeep, the key columns the model does
                                     not use: cells the first chunk keeps too) */
    size_t nkeep;                 /* used columns and those key columns */
    size_t nkey;                  /* key columns: their cells go with the rows into the spool
                                     (row_spool.h), the cluster columns or the absorbed factors */
    size_t kcol[LR_ROW_KEYS_MAX]; /* their fields */
    size_t first_bytes; /* the kept used cells' bytes + 16 each (when types are decided) */
    /* the first chunk, until types are decided */
    char *keep;           /* first-chunk cell bytes */
    size_t keep_len;      /* used */
    size_t keep_cap;      /* capacity */
    kept_field *kept;     /* first-chunk cells: nkept_rows × nused */
    size_t nkept;         /* kept fields */
    size_t kept_cap;      /* capacity */
    uint64_t *kept_line;  /* line of each kept row */
    uint64_t *kept_hash;  /* its lr_row_hash_fields (its unused cells are not kept) */
    size_t kept_hash_cap; /* capacity of kept_hash */
    size_t nkept_rows;    /* kept rows */
    size_t kept_rows_cap; /* capacity */
    lr_csv_field *replay; /* a full-width row for replaying kept rows */
    lr_chunk *first;      /* the first chunk once types are known, until folded */
    int first_done;       /* the first chunk has been folded */
    /* the chunks folded so far */
    cell_map map;                    /* factor-term columns, over all chunks */
    size_t k;                        /* accumulator columns, over all chunks */
    lr_accum *stack[LR_FOLD_LEVELS]; /* the fold: stack[l] holds 2^l chunks, or NULL */
    lr_accum *acc;                   /* after lr_frame_finish: the statistics of every row */
    uint64_t rows;                   /* data rows */
    uint64_t dropped;                /* rows omitted for missing values */
    lr_row_fp fp;                    /* the rows used (row_fingerprint.c) */
    char delim;                      /* the input's delimiter (',' until set) */
    uint64_t nan_rows;               /* of those, rows where a term was NaN (log(-1)) */
    uint64_t nan_line;               /* the first such row's line (0: none) */
    size_t nan_var;                  /* the variable that was NaN there */
    uint64_t chunks;                 /* chunks folded */
    int rows_wanted;     /* chunks copy their blocks for the row spool (set before any) */
    int rows_lines;      /* ... with the rows' lines (for per-row output) */
    int rows_fd;         /* the row spool (unlinked temporary file), or -1 */
    int rows_failed;     /* it was given up (too large, a write failed) */
    uint64_t rows_bytes; /* bytes written to it */
    void (*on_kept)(void *ud, uint64_t done, uint64_t total); /* told the first chunk's kept
                            rows evaluated, per block (store_flush), or NULL */
    void *on_kept_ud;                                         /* for on_kept */
    /* lr_frame_model's result */
    size_t mq;            /* model columns besides the intercept */
    size_t *mterm;        /* the term of each model column, mq entries */
    uint32_t *mchoice;    /* per model column, per variable of its term (mwidth slots):
                             the level id (factor), the power (poly), 0 (numeric) */
    size_t mwidth;        /* slots per model column: the most variables in a term */
    size_t *macc;         /* their accumulator columns */
    char **mnames;        /* their names */
    lr_arena names_arena; /* storage of mnames' strings */
    /* Files (frame_files.c): the current file's chunks fold into the tables
     * above (levels, map, k) along `stack`; at the file's end its state is
     * mapped onto the data set's tables below as one leaf of the files' tree
     * and the tables above start afresh. lr_frame_finish swaps them. */
    lr_levels **glevels;              /* per variable: the data set's levels (factor) */
    cell_map gmap;                    /* the data set's factor-term columns */
    size_t gk;                        /* the data set's accumulator columns */
    lr_accum *gstack[LR_FOLD_LEVELS]; /* the files' tree: gstack[l] holds 2^l files */
    uint64_t gfiles;                  /* files folded into it */
    size_t cur_file;                  /* the file whose chunks are folding */
    uint64_t leaves;                  /* its leaves (chunks and empty blocks) so far */
    int files_done;                   /* lr_frame_files_finish ran: the tables are swapped */
    int mapping_file;                 /* a file's state is being mapped onto the data
                                         set's tables (swapped in for that) */
    uint64_t nfiles;                  /* the files of the data set (0: as many as folded) */
    int merged;                       /* the files came from partial fits (partial_io.c):
                                         no file of its own to close at the end */
    struct lr_partial_sink *partial;  /* --save-partial: each file's state is recorded
                                         here as it is folded (not owned), or NULL */
    col_origin *forigin;              /* where each of the file's factor-term columns
                                         first appeared (lines of the data set) */
    size_t forigin_cap;               /* capacity */
    size_t bn_vars;                   /* basis variables collected in this pass (0: none) */
    double *bvals;                    /* the chunks' bvals folded, in file order */
    size_t bn, bcap;                  /* doubles in bvals, its capacity */
};

/* model_frame_basis.c: a row's basis values collected (complete: the row is
 * kept and c->value holds them, else from the cells its variable has); a chunk's folded;
 * the frame's freed; column j (1-based) of a poly-kind variable at value. */
int lr_chunk_collect(lr_chunk *c, const lr_csv_row *row, int complete, lr_error *err);
int lr_frame_collect_fold(lr_frame *f, lr_chunk *c, lr_error *err);
void lr_frame_basis_free(lr_frame *f);
double lr_var_column(const lr_var *x, double value, unsigned j);

/* model_frame_coded.c: C(x, sum) and C(x, helmert). R's contrast matrix entry
 * [rank + 1, j]; R's coding of each factor in each term (dummy[t * nvars + v] =
 * 1: indicators); 1 while a sum or Helmert factor awaits its levels (a first
 * pass); the coded variables appended to dst from src's sorted levels (src is
 * dst itself for a loaded model); a coded variable's level rank for a row's
 * cell (text columns) or number, 0, or −1 if the level is not known. */
double lr_contrast_entry(lr_contrast kind, size_t nlev, size_t rank, unsigned j);
void lr_frame_coding(const lr_frame *f, unsigned char *dummy);
int lr_frame_code_contrasts(lr_frame *dst, const lr_frame *src, lr_error *err);
int lr_frame_coded_rank(const lr_frame *f, size_t v, const char *cell, size_t len, double num,
                        double *rank);

/* model_frame_interaction.c: interaction(a, b, ...). A row's level (its parts
 * joined by 0x1f) into buf[0..cap), *len bytes; a level's name with sep for
 * 0x1f into out (NUL-terminated); the levels put in R's order (after
 * lr_levels_sort). The most bytes a level may have: */
#define LR_INTERACTION_MAX 4096
int lr_interaction_join(const lr_frame *f, const lr_var *x, const lr_csv_row *row,
                        const double *colval, char *buf, size_t cap, size_t *len, lr_error *err);
void lr_interaction_label(const lr_var *x, const char *s, size_t n, char *out, size_t cap);
int lr_interaction_order(lr_levels *l, const lr_var *x, lr_error *err);

/* The accumulator column of a factor term's cell, or SIZE_MAX if never seen. */
size_t lr_cell_map_get(const cell_map *m, const uint32_t *key);
void lr_cell_map_free(cell_map *m);
int lr_cell_map_put(cell_map *m, const uint32_t *key, size_t col, lr_error *err);

/* model_frame.c: the first of the cluster columns (--vcov CL) whose cell in
 * row is missing (empty, NA or one of --na-strings), or NULL. */
const lr_csv_field *lr_frame_cluster_missing(const lr_frame *f, const lr_csv_row *row);

/* model_frame_chunk.c: the error of a row whose field count differs from
 * the header's; room for k columns in c's block and row (a flush first when
 * the width changes); the end of a row the direct paths wrote into the
 * block's next row (its weight and line; a flush when the block is full); a
 * row whose hash is known added to c (counted in the fingerprint if used). */
int lr_frame_ragged_row(const lr_frame *f, const lr_csv_row *row, lr_error *err);
int lr_chunk_ensure_width(lr_chunk *c, size_t k, lr_error *err);
int lr_chunk_direct_row_done(lr_chunk *c, double w, uint64_t line, lr_error *err);
int lr_chunk_add_hashed(lr_chunk *c, const lr_csv_row *row, uint64_t hash, lr_error *err);

/* model_frame_eval.c: a row's model cells into c->colval / c->cell
 * (*missing = 1 if one is missing and that is not an error); its variables
 * evaluated and its accumulator values laid out (*omit = 1: the row is NA);
 * the error of a model that would pass LR_MAX_COLUMNS with its column k,
 * made for level `label` of variable v at (line, col). */
int lr_chunk_read_cells(lr_chunk *c, const lr_csv_row *row, int *missing, lr_error *err);
int lr_chunk_build_row(lr_chunk *c, const lr_csv_row *row, int *omit, lr_error *err);
int lr_frame_cap_error(const lr_frame *f, size_t v, const char *label, uint64_t line, uint64_t col,
                       size_t k, lr_error *err);

/* model_frame_fold.c: c's levels and columns onto f's current tables (new ones
 * added in c's order); *out = c's statistics in f's columns and *colmap the
 * map (c->k entries; both the caller's). Lines of c's origins are c's own
 * plus lines_before. */
int lr_frame_map_chunk(lr_frame *f, const lr_chunk *c, uint64_t lines_before, lr_accum **out,
                       size_t **colmap, lr_error *err);
/* dst := dst then src, both grown to f->k first (src_mut: src, to grow). */
int lr_frame_merge_grown(lr_frame *f, lr_accum *dst, const lr_accum *src, lr_accum *src_mut,
                         lr_error *err);

/* One more leaf (a, taken over; NULL: an empty one) along a binary-counter
 * tree: stack[l] holds the 2^l leaves before, when bit l of *count is set. */
int lr_frame_tree_push(lr_frame *f, lr_accum **stack, uint64_t *count, lr_accum *a, lr_error *err);
/* The tree's leaves so far into *out (NULL if all were empty), from the
 * earliest (highest level) to the latest, grown to f->k (frame_files.c). */
int lr_frame_tree_collapse(lr_frame *f, lr_accum **stack, lr_accum **out, lr_error *err);
/* The current file's next chunk (a, taken over; NULL: an empty one): along
 * the binary-counter tree f->stack, or, for a QR model of k + 1 ≥
 * LR_QR_CHAIN (32), merged into the chain f->stack[LR_FOLD_CHAIN]. */
int lr_frame_chunk_push(lr_frame *f, lr_accum *a, lr_error *err);
/* Where the current file's factor-term column j (from kfixed) first appeared. */
int lr_frame_note_origin(lr_frame *f, size_t j, const col_origin *o, uint64_t lines_before,
                         uint32_t level, lr_error *err);
/* frame_files.c: the last file closed, the files' tree collapsed into f->acc
 * and the data set's tables made f's own (lr_frame_finish). */
int lr_frame_files_finish(lr_frame *f, lr_error *err);
/* The state of one file (its levels per variable, in id order; its
 * factor-term columns' keys in column order, k columns in all; its
 * statistics, taken over, NULL if it has no observation) as the next leaf
 * of the files' tree: what the end of a file does, and what merging a
 * partial fit does for each of its files. */
/* Before any chunk: the data set has nfiles files (each a leaf of the
 * files' tree, whether it has rows or not), and --save-partial records each
 * file's state into sink (NULL: none). */
void lr_frame_set_files(lr_frame *f, uint64_t nfiles, struct lr_partial_sink *sink);
/* After lr_frame_end_first of a frame made for merging parts: the (empty)
 * first chunk forgotten, nfiles files to come by lr_frame_fold_file. */
int lr_frame_files_merge(lr_frame *f, uint64_t nfiles, lr_error *err);
int lr_frame_fold_file(lr_frame *f, lr_levels *const *levels, const uint32_t *colkeys, size_t k,
                       const col_origin *origins, lr_accum *acc, lr_error *err);
/* 1 if factor variable v's levels are numbers (a numeric column's factor()),
 * 0 if text: a text column's, interaction()'s and a logical's (FALSE, TRUE).
 * Every levels table of v (a chunk's, a file's, the data set's) is made so. */
int lr_frame_levels_numeric(const lr_frame *f, size_t v);

/* factor(x, levels = c(...)): 1 if the cell's level (bytes s[0..len), or num
 * as R's as.character writes it if numeric) is listed, else 0 (R's NA); 1 for
 * any other variable. */
int lr_frame_level_listed(const lr_var *x, const char *s, size_t len, double num, int numeric);

#endif
