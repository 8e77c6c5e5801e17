/*
 * diagnostics.h — residuals, leverage, HC covariance: a second pass (internal).
 */
#ifndef LR_DIAGNOSTICS_H
#define LR_DIAGNOSTICS_H

#include "byte_source.h"
#include "ingest.h"
#include "model_frame.h"
#include "residual_quantiles.h" /* lr_quantiles7 */
#include "solver.h"

/* Lines of observations with a leverage of one kept for messages. */
#define LR_ONE_LINES 5

/* What the second pass is for. */
typedef struct lr_diag_request {
    lr_vcov vcov;  /* an HC covariance, or classical (none) */
    int quantiles; /* the residuals' five-number summary */
    void (*residual_row)(void *ud, const lr_residual *r); /* per observation, or NULL */
    void *residual_ud;                                    /* for residual_row */
    size_t plot_points;                                   /* > 0: a subsample for plots */
    int threads;                                          /* threads for the pass (0: every CPU) */
    size_t hac_lag;                                       /* LR_VCOV_HAC: the lag L */
    const char *cluster; /* LR_VCOV_CL: the cluster columns, "a" or "a,b" (borrowed) */
    void (*progress)(void *ud, const lr_progress *p); /* told the pass's rows, or NULL */
    void *progress_ud;                                /* for progress */
} lr_diag_request;

typedef struct lr_diag_result {
    size_t p;               /* coefficients */
    double *vcov;           /* the HC covariance, p × p (NaN for aliased; all NaN for HC2/HC3
                               when n_one > 0), or NULL */
    int has_q;              /* q is set */
    double q[5];            /* min, 1Q, median, 3Q, max */
    double q_err;           /* 0: exact; else the bound of the histogram's error */
    uint64_t n_clusters[3]; /* CL: clusters of each column, then of their intersection */
    size_t n_negative;      /* CL two-way: kept coefficients whose variance came out negative */
    unsigned char *cl_zero; /* CL: p flags, 1 where the variance is zero to rounding, or NULL */
    size_t n_zero;          /* CL: how many (their vcov rows are NaN) */
    uint64_t n_one;         /* observations with a leverage of one (to working precision) */
    uint64_t one_line[LR_ONE_LINES];    /* the first ones' lines (0: not known) */
    const char *one_file[LR_ONE_LINES]; /* several files: the file of each (its line in
                                           one_line; borrowed from the input); else NULL */
    double *pf;                         /* subsample: fitted values */
    double *pr;        /* subsample: standardized residuals (NaN where undefined) */
    double *pe;        /* subsample: residuals y − xᵀβ */
    double *few;       /* 1–5 residual df: every √w e, in file order, or NULL */
    uint64_t *few_row; /* their row numbers (line − 1; else the observation's) */
    size_t nfew;       /* entries in few */
    double *psorted;   /* the same, sorted */
    size_t np;         /* points */
    size_t np_cap;     /* capacity */
} lr_diag_result;

/*
 * Read the input again (its evaluated rows if the frame kept them, else its
 * text: lr_ingest_pass; delimiter as in the fit) and compute what req asks for
 * from the solution sol of spec (frame: the fit's, after lr_frame_model;
 * nobs: observations with nonzero weight). Fails if the data changed.
 */
int lr_diagnostics(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                   const lr_solution *sol, uint64_t nobs, const lr_diag_request *req,
                   lr_diag_result *out, lr_error *err);

void lr_diag_result_free(lr_diag_result *r);

/* ---- the second pass split among MPI ranks (diagnostics_share.c) ---- */

/* Set by an MPI rank 0 (mpi_fit.c) for the time of its fit: a pass over the
 * text (not CL's) calls run instead of lr_ingest_pass — with the frame, the
 * input, the job (what a rank needs besides the frame to evaluate chunks:
 * lr_diag_remote) and ops/ctx, the pass's chunk operations — which
 * evaluates rank 0's share with ops and folds the others' records with
 * lr_diag_fold_record(ctx, ...), all in file order. NULL: no MPI. */
typedef struct lr_diag_share {
    int (*run)(void *ud, const lr_frame *frame, lr_source *input, const unsigned char *job,
               size_t jlen, int threads, const lr_chunk_ops *ops, void *ctx, lr_error *err);
    void *ud; /* its context */
} lr_diag_share;
extern const lr_diag_share *lr_diag_shared;

/* A rank after the first: the chunks of its segments seg[0..nseg) of the
 * data set paths[0..n), evaluated in frame (rank 0's, rebuilt; lr_frame_model
 * called) as rank 0's job[0..jlen) says (max_line, threads: the fit's options), each as a record to
 * emit, in order; a failure is an error record, the last. LR_OK unless emit failed. */
int lr_diag_remote(const lr_frame *frame, char delimiter, const unsigned char *job, size_t jlen,
                   const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t nseg,
                   size_t max_line, int threads, lr_ingest_emit_fn emit, void *ud, lr_error *err);

/* Rank 0: a record rec[0..len) of another rank folded by the pass ctx (the
 * run's) after *lines_before lines of the data set (moved past it); name:
 * the input's, for an error's place. An error record is its error. */
int lr_diag_fold_record(void *ctx, const unsigned char *rec, size_t len, const char *name,
                        uint64_t *lines_before, lr_error *err);

/* The warning for r->n_one > 0 under HC2 or HC3 (type: its name), naming
 * the lines as sandwich names the observations, into buf[0..cap). */
void lr_diag_one_note(const lr_diag_result *r, const char *type, char *buf, size_t cap);

/* The warning for r->n_negative > 0 (two-way CL), into buf[0..cap). */
void lr_diag_negative_note(const lr_diag_result *r, char *buf, size_t cap);

#endif
