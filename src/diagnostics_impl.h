/*
 * diagnostics_impl.h — the second pass's shared state and its parts
 * (internal to diagnostics.c, diagnostics_rows.c and diagnostics_spool.c).
 *
 * diagnostics.c drives the pass and folds its results in file order;
 * diagnostics_rows.c evaluates rows (fitted value, residual, leverage, the
 * meat's rows) from the text; diagnostics_spool.c feeds the same evaluation
 * from the row spool.
 */
#ifndef LR_DIAGNOSTICS_IMPL_H
#define LR_DIAGNOSTICS_IMPL_H

#include "diagnostics.h"
#include "residual_quantiles.h"
#include "vcov_cluster.h"
#include "vcov_hac.h"

/* Rows per block of the per-row loops and of the meat's dsyrk. */
#define LR_DIAG_BLOCK 256

/* What the pass shares, read only by the workers. */
typedef struct lr_diag_pass {
    const lr_frame *frame;      /* the model's frame */
    char delimiter;             /* the data's delimiter */
    const char *name;           /* for messages */
    const lr_source *input;     /* the data: its files' names and lines (lr_source_locate) */
    const lr_solution *sol;     /* β, (XᵀX)⁻¹, aliasing */
    const lr_diag_request *req; /* what is wanted */
    size_t q, icpt, p;          /* model columns, intercept, coefficients */
    size_t pk;                  /* kept (not aliased) coefficients */
    size_t *kept;               /* their indices (owned by lr_diagnostics) */
    double *vk;                 /* (XᵀX)⁻¹ on them, pk × pk (likewise) */
    double *bk;                 /* β on them (likewise) */
    double sigma, sigma2;       /* residual standard error, its square */
    double h_one;               /* a leverage above this is one (LR_ONE_ULPS) */
    int rows;                   /* per-observation values are wanted (rows or plot) */
    const char *pass;           /* the pass's name for progress (pass_name) */
    /* the fold's state (calling thread only) */
    uint64_t nobs;               /* observations the fit counted */
    uint64_t seen;               /* observations so far */
    uint64_t stride;             /* plot subsample: every stride-th observation */
    double *meat;                /* Σ ω w x xᵀ, pk × pk (upper), or NULL */
    double *mblock;              /* rows √ω √w x on their way into meat, LR_DIAG_BLOCK × pk */
    size_t mn;                   /* rows in mblock */
    lr_hac *hac;                 /* HAC: the scores' lag products (vcov_hac.c), or NULL; then
                                    mblock carries the scores w e x, in file order */
    size_t ncl;                  /* --vcov CL: cluster columns (0: not clustered) */
    size_t ccol[LR_CLUSTER_MAX]; /* their fields */
    lr_clustering *cl;           /* CL: the clusterings' sums (vcov_cluster.c), or NULL */
    lr_qvalues qv;               /* the quantiles' √w e (every one, or their histogram and
                                    extremes: Min and Max do not depend on the rows' order);
                                    qv.on: wanted. Split among MPI ranks, rank 0's share */
    lr_q7_plan qplan;            /* the ranks' selection: where the order statistics lie */
    int q_done;                  /* out->q made already (the ranks' selection) */
    lr_diag_result *out;         /* the result */
    int cl_spooled;              /* CL: the cluster cells are read from the row spool */
} lr_diag_pass;

/* One chunk's observations. */
typedef struct lr_diag_chunk {
    size_t n, cap;  /* observations, capacity */
    lr_residual *r; /* per observation (line chunk-local), if rows are wanted */
    size_t cap_r;   /* its capacity */
    double *rw;     /* √w e, if quantiles are wanted */
    size_t cap_rw;  /* its capacity */
    double *u;      /* rows √ω √w xᵀ (n × pk, row-major) for the meat, or NULL */
    size_t cap_u;   /* its capacity in rows */
    size_t n_one;   /* observations with a leverage of one */
    uint64_t one_line[LR_ONE_LINES]; /* the first ones' lines */
    lr_cluster_keys keys;            /* CL: the keys of the rows the model uses (weight zero too) */
} lr_diag_chunk;

/* A block of observations being evaluated by a worker. */
typedef struct lr_diag_block {
    double *x; /* LR_DIAG_BLOCK × pk, column-major: the kept columns of the rows */
    double *t; /* the same shape: x V */
    double y[LR_DIAG_BLOCK], w[LR_DIAG_BLOCK], fit[LR_DIAG_BLOCK], h[LR_DIAG_BLOCK];
    double off[LR_DIAG_BLOCK]; /* offset(): each row's (y is y − offset); 0 without */
    uint64_t line[LR_DIAG_BLOCK];
    size_t n; /* rows in the block */
} lr_diag_block;

/* diagnostics_rows.c: a chunk's results freed (the lr_chunk_ops drop;
 * ctx the pass, NULL harmless), and grown by half again (at least 4,096). */
void lr_diag_chunk_drop(void *ctx, void *result);
int lr_diag_chunk_grow(const lr_diag_pass *dp, lr_diag_chunk *c, lr_error *err);

/* diagnostics_rows.c: the block's rows evaluated into the chunk c (the
 * block emptied). */
void lr_diag_block_run(const lr_diag_pass *dp, lr_diag_block *b, lr_diag_chunk *c);

/* diagnostics_rows.c: the lr_chunk_ops eval of the pass over the text. */
int lr_diag_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                 uint64_t *lines, lr_error *err);

/* diagnostics.c: the lr_chunk_ops fold: a chunk's results in file order. */
int lr_diag_fold(void *ctx, void *result, uint64_t lines_before, lr_error *err);

/* diagnostics_spool.c: the pass over the row spool fd (the first pass's
 * evaluated rows, kacc accumulator columns) on `threads` threads (0: every
 * core; one when the order matters). */
int lr_diag_spool_pass(lr_diag_pass *dp, int fd, const lr_model_spec *spec, size_t kacc,
                       int threads, lr_error *err);

/* diagnostics_share.c: what a rank needs to evaluate the pass's chunks
 * besides the frame, appended to p (LR_ENOMEM if it could not be). */
struct lr_pbuf;
int lr_diag_job_put(const lr_diag_pass *dp, struct lr_pbuf *p);

#endif
