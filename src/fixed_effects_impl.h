/*
 * fixed_effects_impl.h — the fixed-effects object, shared by the two files
 * of that module (fixed_effects.c: the spool; fe_demean.c: the demeaning).
 */
#ifndef LR_FIXED_EFFECTS_IMPL_H
#define LR_FIXED_EFFECTS_IMPL_H

#include "fixed_effects.h"
#include "factor_levels.h"

/* Rows per block of the spool. */
#define LR_FE_BLOCK 4096

typedef struct fe_factor {
    const char *name;    /* the column (borrowed from the spec) */
    size_t col;          /* its header position */
    lr_levels *lv;       /* its levels (created at the first non-missing cell) */
    int numeric;         /* 1: levels are numbers (the first was one), else text */
    size_t nlev;         /* levels seen */
    size_t used;         /* levels with observations after the singletons went */
    uint32_t *count;     /* observations per level, capped at 2 (singleton search) */
    unsigned char *dead; /* 1: the level's rows are dropped (a singleton) */
    size_t added;        /* the rank its dummies add to the factors before it */
    int assumed;         /* 1: added is assumed (levels less one), not computed */
} fe_factor;

struct lr_fe {
    size_t nf;                 /* factors */
    size_t m;                  /* columns: the response and the q model columns */
    int weighted;              /* 1: case weights */
    int idfd;                  /* spool of level ids and weights */
    int valfd;                 /* spool of the centred columns */
    uint32_t *ids;             /* a block's ids, factor by factor (LR_FE_BLOCK each) */
    double *w;                 /* a block's weights */
    double *x;                 /* a block's columns, m × LR_FE_BLOCK column-major */
    double *mu;                /* the centre of each column (the first pass's means) */
    size_t *live;              /* the kept rows of the block last loaded */
    size_t nlive;              /* their number */
    uint64_t nrows;            /* rows in the spool */
    const lr_fit_options *opt; /* the fit's options: progress (borrowed for the fit) */
    uint64_t nalive;           /* of them, rows kept (not singletons) */
    uint64_t dropped;          /* rows omitted for a missing level */
    uint64_t singletons;       /* rows dropped as singletons */
    size_t nblocks;            /* blocks in the spool */
    fe_factor f[LR_FE_MAX];    /* the factors */
    size_t lev_off[LR_FE_MAX]; /* first index of each factor's levels in the arrays below */
    size_t nlevels;            /* Σ nlev */
    double *wsum;              /* Σ w per level */
    double *sum;               /* Σ w x per level and column, nlevels × m (level-major) */
    double *colss;             /* Σ w x² per column (the scale of convergence) */
    double tss;                /* Σ w (y − ȳ)² over the kept rows */
    double wtotal;             /* Σ w over the kept rows */
    size_t components;         /* connected components of the first two factors */
    uint32_t *comp;            /* with two or more factors: the component (0..components) of
                                  each level of the first two (factor 0's ids, then factor
                                  1's); a dropped level's own; else NULL */
    size_t ncomp;              /* its entries: the first two factors' levels */
    size_t fe_rank;            /* rank of the dummies (with the intercept) */
    double *alpha;             /* the fixed effects of each column, nlevels × m */
    double *ga;                /* one sweep from alpha (then scratch) */
    double *gga;               /* two sweeps (then scratch) */
    double *t;                 /* per-level sums of the other factors' effects */
    double *scale;             /* each column's root mean square (convergence) */
    unsigned iters;            /* sweeps done */
    double achieved;           /* the last sweep's largest relative change */
    unsigned char *collinear;  /* m flags: the column is in the dummies' span */
    const char *const *names;  /* the model columns' names (borrowed from the frame) */
    lr_accum *acc;             /* the demeaned statistics */
    char **notes;              /* notes (owned) */
    size_t nnotes;             /* their number */
};

/* fixed_effects.c */
int lr_fe_read_block(const lr_fe *fe, size_t b, int values, lr_error *err);
size_t lr_fe_block_rows(const lr_fe *fe, size_t b);
int lr_fe_row_alive(const lr_fe *fe, size_t i);
/* The demeaned rows of the block just read (alive ones only, in order,
 * compacted into blk, m × LR_FE_BLOCK, and wb); returns their number. */
size_t lr_fe_demeaned_block(const lr_fe *fe, size_t nb, double *blk, double *wb);
/* v (p × p, NaN but for the kept slopes idx[0..k)) = scale · A M A, A the
 * slope block of sol->xtx_inv, M = meat (k × k, full); am: k × k scratch. */
void lr_fe_sandwich_apply(const lr_solution *sol, const size_t *idx, size_t k, const double *meat,
                          double scale, double *am, double *v);
/* Read block b (with the columns if values) and list its kept rows in live. */
int lr_fe_load(lr_fe *fe, size_t b, int values, lr_error *err);
int lr_fe_add_note(lr_fe *fe, lr_error *err, const char *msg);

/* A least-squares problem of m columns on the first nfac factors' dummies. */
typedef struct lr_fe_problem {
    size_t nfac;         /* factors 0..nfac-1 */
    size_t m;            /* columns */
    const double *sum;   /* Σ w x per level and column (level-major, the factors' offsets) */
    const double *scale; /* each column's scale, for the convergence test */
    double *alpha;       /* in: the start (zeros); out: the effects */
    double *ga;          /* scratch of the same size */
    double *gga;         /* scratch of the same size */
    double *t;           /* scratch of the same size */
} lr_fe_problem;

/* fe_demean.c */
/* Alternating projections with Irons–Tuck acceleration to tolerance tol. */
int lr_fe_solve(lr_fe *fe, const lr_fe_problem *pr, double tol, unsigned max_iter,
                const char *source, lr_error *err);
int lr_fe_demean(lr_fe *fe, double tol, unsigned max_iter, const char *source, lr_error *err);
int lr_fe_accumulate(lr_fe *fe, lr_kernel kernel, const char *const *names, lr_error *err);
void lr_fe_demean_free(lr_fe *fe);

/* fe_rank.c: the rank that factor f >= 2 adds to the dummies of the factors
 * before it (*exact = 0: too large to compute, its levels less one taken). */
int lr_fe_further_rank(lr_fe *fe, size_t f, double tol, unsigned max_iter, const char *source,
                       size_t *rank, int *exact, lr_error *err);

/* fe_write.c: the effect of every level (fe->nlevels, at lev_off[k] + id;
 * NaN for a level whose rows were all dropped as singletons) for the slopes
 * beta[0..p) of the demeaned model, the aliased left out:
 *     effect_f[l] = α_f,y[l] − Σ_j β_j α_f,j[l]   (+ μ_y − Σ_j β_j μ_j for f = 1). */
void lr_fe_effects(const lr_fe *fe, size_t p, const double *beta, const unsigned char *aliased,
                   double *out);

/* lr_fe_take_row's answer for a row whose error the text pass must report
 * (its place is not in the row spool). */
#define LR_FE_TEXT (-1)

/* One row into the block: the factors' cells cell[f] (len[f] bytes), its
 * model columns xv (q), response y and weight w (> 0), centred by fe->mu.
 * row: the text's row, for the place of an error, or NULL (the row spool:
 * LR_FE_TEXT instead of such an error). A row missing a level is dropped
 * (counted) after the levels before it are interned, as always. */
int lr_fe_take_row(lr_fe *fe, const char *const *cell, const size_t *len, const lr_csv_row *row,
                   const double *xv, double y, double w, const char *source, int na_error,
                   lr_error *err);
/* A full block to the spool files. */
int lr_fe_flush_block(lr_fe *fe, lr_error *err);
/* Nothing taken yet: no levels, no rows, empty spool files. */
int lr_fe_rows_reset(lr_fe *fe, lr_error *err);
/* fe_rows.c: the rows from the frame's row spool (fe->mu set). *again = 1
 * (fe as it was, or partly filled: reset it) when the spool lacks them or a
 * row needs the text for its error. */
int lr_fe_rows_spooled(lr_fe *fe, const lr_frame *frame, const lr_model_columns *mc,
                       const lr_fe_spec *spec, const lr_fit_options *opt, int *again,
                       lr_error *err);

#endif
