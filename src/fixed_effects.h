/*
 * fixed_effects.h — absorbing high-dimensional fixed effects (internal).
 *
 * `y ~ x1 + x2 | firm + year` (or --absorb firm,year) fits the slopes of
 * lm(y ~ x1 + x2 + factor(firm) + factor(year)) without a column per level:
 * by the Frisch–Waugh–Lovell theorem those slopes are the least-squares
 * slopes of the columns with their projection on the fixed-effect dummies
 * removed ("demeaned"), and that projection is found by alternating
 * projections (Gaure 2013) over a binary spool of the rows, accelerated by
 * Irons & Tuck (1969) as fixest does. Memory is O(levels × columns), not
 * O(rows): the rows live in two unlinked temporary files.
 */
#ifndef LR_FIXED_EFFECTS_H
#define LR_FIXED_EFFECTS_H

#include "byte_source.h"
#include "model_frame.h"
#include "solver.h"

/* At most this many fixed-effect factors. */
#define LR_FE_MAX 8
/* Default convergence tolerance of the demeaning (see fixed_effects.c). */
#define LR_FE_TOL 1e-13
/* Default limit of alternating-projection sweeps. */
#define LR_FE_MAX_ITER 10000

/* The model split at its `|`: the left-hand formula and the factors absorbed. */
typedef struct lr_fe_spec {
    char *left;             /* the formula before `|` (owned), or NULL without a formula */
    char *names[LR_FE_MAX]; /* the fixed-effect columns (owned) */
    size_t nf;              /* their number; 0: no fixed effects */
} lr_fe_spec;

/* Split opt->formula at a top-level `|` and/or read opt->absorb (comma
 * separated). nf = 0 when neither names a fixed effect. LR_EUSAGE for an
 * empty name, a repeated one or more than LR_FE_MAX. */
int lr_fe_parse(const lr_fit_options *opt, lr_fe_spec *out, lr_error *err);
void lr_fe_spec_free(lr_fe_spec *s);

/* --absorb without a formula or -x: the model "`y` ~ . - `firm` - `year`"
 * (every other column but the fixed effects; *out allocated, free with
 * lr_mem_strfree). LR_EUSAGE without -y (the response must be named). */
int lr_fe_every_other(const lr_fit_options *opt, const lr_fe_spec *spec, char **out, lr_error *err);

/* Options a fixed-effects fit cannot honour: LR_EUSAGE naming them. */
int lr_fe_check_options(const lr_fit_options *opt, lr_error *err);

typedef struct lr_fe lr_fe;

/*
 * Read the input again (lr_source_again; delimiter as found by the first pass; frame after
 * lr_frame_model, mc its model), keep each used row's model columns and
 * fixed-effect levels in the spool, drop singletons, demean and accumulate
 * the demeaned columns (column 0 the response, column j the model column j,
 * no intercept) into a new accumulator of `kernel`. *out is freed with
 * lr_fe_free.
 */
int lr_fe_absorb(lr_source *input, char delimiter, const lr_frame *frame,
                 const lr_model_columns *mc, const lr_fe_spec *spec, const lr_fit_options *opt,
                 lr_kernel kernel, lr_fe **out, lr_error *err);

/* The demeaned statistics (owned by fe). */
const lr_accum *lr_fe_accum(const lr_fe *fe);
/* Rows dropped for a missing fixed-effect level (singletons dropped are
 * counted in a note: lr_fe_note). */
uint64_t lr_fe_dropped(const lr_fe *fe);

/*
 * Turn the solution of the demeaned model into that of the model with the
 * dummies: rank += the dummies' rank, TSS and MSS about the response's mean
 * (an intercept is among the dummies). With an HC vcov, *vcov becomes the
 * sandwich covariance of the slopes (lr_mem_alloc'd, p × p; a pass over the
 * spool), else NULL.
 */
int lr_fe_finish(lr_fe *fe, lr_solution *sol, lr_vcov vcov, double **vcov_out, lr_error *err);

/* After lr_fe_finish: the slopes' sandwich::vcovCL (HC1) on the dummies' lm,
 * clustered by the fixed effects named in spec ("firm" or "firm,year";
 * LR_EUSAGE for another column) into *vcov_out (lr_mem_alloc'd, p × p, NaN
 * for the aliased), with each clustering's count (two-way: then the
 * intersection's) and the kept slopes whose variance is negative (fe_cluster.c). */
int lr_fe_cluster_vcov(lr_fe *fe, const lr_solution *sol, const char *spec, double **vcov_out,
                       uint64_t n_clusters[3], size_t *n_negative, lr_error *err);

/* Write the estimated effects of every kept level (factor, level, effect:
 * the fitted value is xᵀβ plus the row's effects) to the CSV file `path`,
 * from the solution of the demeaned model. LR_EIO naming the file. */
int lr_fe_write(const lr_fe *fe, const lr_solution *sol, const char *path, lr_error *err);

/* Number of notes, and note i: levels, singletons, components, iterations. */
size_t lr_fe_nnotes(const lr_fe *fe);
const char *lr_fe_note(const lr_fe *fe, size_t i);

void lr_fe_free(lr_fe *fe);

#endif
