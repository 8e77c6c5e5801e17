/*
 * fit_impl.h — the lr_fit object and the model description a fit is made
 * from, shared by the fit's own files: fit.c (the entry points: CSV files,
 * a frame, the caller's statistics), fit_solve.c (statistics → fit) and
 * fit_result.c (the object, its accessors, notes and save). No other file
 * includes it (scripts/include_graph.sh checks).
 */
#ifndef LR_FIT_IMPL_H
#define LR_FIT_IMPL_H

#include "accumulator.h"
#include "byte_source.h"
#include "diagnostics.h"
#include "fixed_effects.h"
#include "inference.h"
#include "model.h"
#include "model_frame.h"
#include "solver.h"

struct lr_fit {
    lr_summary summary;   /* model-level statistics; string members point into this object */
    size_t p;             /* coefficients */
    lr_coef *coefs;       /* p entries; names point to names[] */
    char **names;         /* coefficient names (owned), p entries */
    double *xtx_inv;      /* (XᵀX)⁻¹, p × p, ld p */
    char *response;       /* response label (owned) */
    char *source;         /* data display name (owned) */
    char *model;          /* the model formula (owned) */
    char *weights;        /* weights column (owned), or NULL */
    char *cluster;        /* CL: the cluster columns (owned), or NULL */
    char **notes;         /* notes (owned), nnotes entries */
    size_t nnotes;        /* their number */
    lr_diag_result diag;  /* the second pass's results (plot points) */
    lr_model *saved;      /* the model lr_fit_save writes (keep_model), or NULL */
    lr_fit_inference inf; /* terms and the ANOVA table (inference.h) */
};

/* What lr_fit_from_accum needs to know about the model besides the statistics. */
typedef struct model_desc {
    const lr_model_spec *spec;  /* columns and penalty */
    const char *response;       /* the response's label */
    const char *formula;        /* the model as a formula */
    const char *weights;        /* weights column or NULL */
    const char *source;         /* data display name or NULL */
    uint64_t n_dropped;         /* rows omitted for missing values */
    uint64_t n_zero_weight;     /* rows of weight 0 */
    lr_frame *frame;            /* the frame, for a second pass; NULL if none is possible */
    lr_source *input;           /* the data, kept open for a second pass (NULL: none) */
    char delimiter;             /* its delimiter */
    lr_fe *fe;                  /* absorbed fixed effects, or NULL */
    lr_vcov fe_vcov;            /* the covariance asked for with them */
    const char *no_input;       /* without input: why the data cannot be read again (merged
                                   partial fits), or NULL */
    const lr_diag_share *share; /* an MPI rank 0's second pass split among the ranks, or NULL */
} model_desc;

/* Append a note (printf-style) to the fit's notes: fit_result.c. LR_OK or
 * LR_ENOMEM. */
int lr_fit_add_note(lr_fit *fit, lr_error *err, const char *fmt, ...) LR_PRINTF(3, 4);

/* The model lr_fit_save writes (fit->saved): the frame's description, the
 * fit's results, the statistics acc; with absorbed fixed effects (fe) their
 * estimates. On failure the fit is freed. fit_result.c. */
int lr_fit_keep_model(lr_fit *fit, const lr_frame *frame, const lr_accum *acc, const lr_fe *fe,
                      lr_error *err);

/* The fit of the statistics acc of the model md describes, with what opt
 * asks for (a second pass through md's frame and input): fit_solve.c. On
 * success *out is the new fit (caller frees with lr_fit_free). */
int lr_fit_from_accum(const lr_accum *acc, const model_desc *md, const lr_fit_options *opt,
                      lr_fit **out, lr_error *err);

#endif
