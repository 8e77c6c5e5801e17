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

/* An MPI rank 0's second pass (mpi_fit.c; a request's share): a pass over
 * the text calls run instead of lr_ingest_pass — with the frame, the
 * input, the job (what a rank needs besides the frame to evaluate chunks:
 * lr_diag_remote) and ops/ctx, the pass's chunk operations — which
 * evaluates rank 0's share with ops and folds the others' records with
 * lr_diag_fold_record(ctx, ...), all in file order. */
typedef struct lr_diag_share {
    int (*run)(void *ud, const lr_frame *frame, lr_source *input, const unsigned char *job,
               size_t jlen, int threads, const lr_chunk_ops *ops, void *ctx, lr_error *err);
    void *ud; /* its context */
} lr_diag_share;

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
    const lr_diag_share *share; /* an MPI rank 0's: the pass split among the ranks, or NULL */
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
    unsigned char *cl_zero; /* CL, HC, HAC: p flags, 1 where the variance is zero to rounding, or
                               NULL */
    size_t n_zero;          /* CL, HC, HAC: how many (their vcov rows are NaN) */
    double hc_digits;       /* HC, HAC: the fewest significant digits a robust variance not
                               flagged keeps (by the bound on V M V's rounding), or 16 */
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

/* A rank after the first: the chunks of its segments seg[0..nseg) of the
 * data set paths[0..n), evaluated in frame (rank 0's, rebuilt; lr_frame_model
 * called) as rank 0's job[0..jlen) says (max_line, threads: the fit's options), each as a record to
 * emit, in order; a failure is an error record, the last. LR_OK unless emit failed.
 * *qv: the quantiles' values of its share when they stay on the ranks (the
 * caller frees it; qv->on 0 otherwise, and after a failure). */
int lr_diag_remote(const lr_frame *frame, char delimiter, const unsigned char *job, size_t jlen,
                   const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t nseg,
                   size_t max_line, int threads, lr_ingest_emit_fn emit, void *ud, lr_qvalues *qv,
                   lr_error *err);

/* The quantiles' selection among the ranks, after a pass that run split
 * and every rank's status is known to be good. The values stay where they
 * were evaluated; the ranks' integer counts are summed (in any order: the
 * same sum), and only the values of the few buckets that hold the order
 * statistics travel, so rank 0 receives about 0.5 MB a rank plus those, not
 * 8 bytes a row; the quantiles are the same bits as one process's.
 *   1. every rank: lr_qvalues_count of its values (rank 0: lr_diag_qvalues)
 *      into counts of lr_qvalues_buckets(exact) buckets, summed at rank 0;
 *      and its extremes, gathered in rank order;
 *   2. rank 0: lr_diag_qsel_plan with them: the histogram's quantiles are
 *      complete (nw = 0), or the exact selection wants buckets want[0..nw);
 *   3. nw > 0: every rank's lr_qvalues_pick of those buckets, gathered in
 *      rank order (counts nranks × nw, values rank after rank), and rank
 *      0's lr_diag_qsel_finish. */
/* Rank 0: its share's values when they stay on the ranks (the pass ctx's),
 * else NULL (no selection: every value reached rank 0). */
lr_qvalues *lr_diag_qvalues(void *ctx);
int lr_diag_qsel_plan(void *ctx, const uint64_t *h, const double *ext, int nranks, uint32_t *want,
                      int *nw, lr_error *err);
int lr_diag_qsel_finish(void *ctx, const uint64_t *cnt, const double *v, int nranks, lr_error *err);

/* Rank 0: a record rec[0..len) of another rank folded by the pass ctx (the
 * run's) after *lines_before lines of the data set (moved past it); name:
 * the input's, for an error's place. An error record is its error. */
int lr_diag_fold_record(void *ctx, const unsigned char *rec, size_t len, const char *name,
                        uint64_t *lines_before, lr_error *err);

/* The warning for r->n_one > 0 under HC2 or HC3 (type: its name), naming
 * the lines as sandwich names the observations, into buf[0..cap); no_df:
 * the fit has no residual degrees of freedom (then HC1 is not defined). */
void lr_diag_one_note(const lr_diag_result *r, const char *type, int no_df, char *buf, size_t cap);

/* The warning for a covariance type (its name) whose factor (as "n/(n - p)")
 * makes its zero sandwich NaN when there are no residual degrees of freedom,
 * into buf[0..cap). */
void lr_diag_no_df_note(const char *type, const char *factor, char *buf, size_t cap);

/* The warning for r->n_negative > 0 (two-way CL), into buf[0..cap). */
void lr_diag_negative_note(const lr_diag_result *r, char *buf, size_t cap);

#endif
