/*
 * diagnostics.c — what needs the residuals: a second pass over the data.
 *
 * With β and (XᵀX)⁻¹ known, each observation's fitted value, residual
 * e = y − xᵀβ and leverage h = w xᵀ(XᵀX)⁻¹x follow; from them, in O(p²)
 * memory:
 *   - heteroskedasticity-consistent covariance (White 1980; MacKinnon &
 *     White 1985), as R's sandwich::vcovHC: V M V with V = (XᵀX)⁻¹ and
 *     M = Σ ωᵢ wᵢ xᵢxᵢᵀ, ωᵢ = wᵢeᵢ² (HC0, HC1 × n/(n−p)), wᵢeᵢ²/(1−hᵢ) (HC2),
 *     wᵢeᵢ²/(1−hᵢ)² (HC3) — M accumulated by dsyrk on blocks of scaled rows;
 *   - the quantiles of the (weighted, √w e) residuals that summary.lm prints:
 *     exact (sorted, R's type 7) for up to LR_RESID_BUDGET observations;
 *     beyond, from a histogram over the doubles' top bits (sign, exponent and
 *     six bits of mantissa: every bucket spans less than 1/64 of its values)
 *     with the error bound stated;
 *   - each observation's diagnostics for --residuals (R's rstandard and
 *     cooks.distance), and a deterministic subsample for plots.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "diagnostics.h"
#include "ingest.h"
#include "residual_quantiles.h"
#include "row_spool.h"
#include "vcov_cluster.h"
#include "source_concat.h"
#include "vcov_hac.h"

/* Residuals kept in memory for exact quantiles (8 MB). */
#define LR_RESID_BUDGET ((uint64_t)1 << 20)
/* Rows per block of the per-row loops and of the meat's dsyrk. */
#define LR_DIAG_BLOCK 256
/* A leverage is one to working precision when 1 − h < LR_ONE_ULPS · p · ε:
 * h = Σ_ab x_a V_ab x_b sums p² products whose rounding errors (and V's own,
 * a few ε relative for a well-conditioned fit) are each within ε of the
 * terms, and for a row that alone decides a coefficient the terms are of the
 * order of h = 1; measured 1 − h ≈ 7ε at p = 5 by the normal equations.
 * R's lm.influence takes h > 1 − 10ε as 1. */
#define LR_ONE_ULPS 16.0

void lr_diag_result_free(lr_diag_result *r)
{
    lr_mem_free(r->vcov, r->p * r->p * sizeof(double));
    lr_mem_free(r->cl_zero, r->p ? r->p : 1);
    lr_mem_free(r->pf, r->np_cap * sizeof(double));
    lr_mem_free(r->pr, r->np_cap * sizeof(double));
    lr_mem_free(r->pe, r->np_cap * sizeof(double));
    lr_mem_free(r->few, r->nfew * sizeof(double));
    lr_mem_free(r->few_row, r->nfew * sizeof(uint64_t));
    lr_mem_free(r->psorted, r->np_cap * sizeof(double));
    memset(r, 0, sizeof *r);
}

void lr_diag_one_note(const lr_diag_result *r, const char *type, char *buf, size_t cap)
{
    size_t k = r->n_one < LR_ONE_LINES ? (size_t)r->n_one : LR_ONE_LINES;
    int n = snprintf(buf, cap, "warning: %s standard errors, tests and intervals are NA: ", type);
    for (size_t i = 0; i < k && n >= 0 && (size_t)n < cap; i++) {
        uint64_t l = r->one_line[i];
        const char *lead = i == 0 ? (r->n_one == 1 ? "line " : "lines ") : ", ";
        if (l && r->one_file[i])
            n += snprintf(buf + n, cap - (size_t)n, "%s%s:%llu", lead, r->one_file[i],
                          (unsigned long long)l);
        else
            n += l ? snprintf(buf + n, cap - (size_t)n, "%s%llu", lead, (unsigned long long)l)
               : snprintf(buf + n, cap - (size_t)n, "%s?", lead);
    }
    if (n >= 0 && (size_t)n < cap && r->n_one > k)
        n += snprintf(buf + n, cap - (size_t)n, " and %llu more",
                      (unsigned long long)(r->n_one - k));
    if (n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n,
                 " %s a leverage of 1 to working precision, and %s divides by 1 - h; HC0 and "
                 "HC1 are defined",
                 r->n_one == 1 ? "has" : "have", type);
}

void lr_diag_negative_note(const lr_diag_result *r, char *buf, size_t cap)
{
    int one = r->n_negative == 1;
    snprintf(buf, cap,
             "warning: the two-way clustered covariance V1 + V2 - V12 is not positive "
             "semi-definite: %zu variance%s negative, so %s standard error%s, t, p and "
             "interval%s are NA, and so is a Wald F that needs it (R's vcovCL returns the "
             "negative variance%s, whose square root is NaN)",
             r->n_negative, one ? " is" : "s are", one ? "its" : "their", one ? "" : "s",
             one ? "" : "s", one ? "" : "s");
}

/* The second pass named for progress by the first thing that needs it. */
static const char *pass_name(const lr_diag_request *req)
{
    return req->residual_row              ? "second pass: residuals"
           : req->vcov == LR_VCOV_CL      ? "second pass: clustered covariance"
           : req->vcov == LR_VCOV_HAC     ? "second pass: HAC covariance"
           : req->vcov != LR_VCOV_CLASSICAL ? "second pass: HC covariance"
           : req->quantiles               ? "second pass: residual quantiles"
                                          : "second pass: plot points";
}

/* What the pass shares, read only by the workers. */
typedef struct diag_pass {
    const lr_frame *frame;      /* the model's frame */
    char delimiter;             /* the data's delimiter */
    const char *name;           /* for messages */
    const lr_source *input;     /* the data: its files' names and lines (lr_source_locate) */
    const lr_solution *sol;     /* β, (XᵀX)⁻¹, aliasing */
    const lr_diag_request *req; /* what is wanted */
    size_t q, icpt, p;          /* model columns, intercept, coefficients */
    size_t pk;                  /* kept (not aliased) coefficients */
    const size_t *kept;         /* their indices */
    const double *vk;           /* (XᵀX)⁻¹ on them, pk × pk */
    const double *bk;           /* β on them */
    double sigma, sigma2;       /* residual standard error, its square */
    double h_one;               /* a leverage above this is one (LR_ONE_ULPS) */
    int rows;                   /* per-observation values are wanted (rows or plot) */
    const char *pass;           /* the pass's name for progress (pass_name) */
    /* the fold's state (calling thread only) */
    uint64_t nobs;       /* observations the fit counted */
    uint64_t seen;       /* observations so far */
    uint64_t stride;     /* plot subsample: every stride-th observation */
    double *meat;        /* Σ ω w x xᵀ, pk × pk (upper), or NULL */
    double *mblock;      /* rows √ω √w x on their way into meat, LR_DIAG_BLOCK × pk */
    size_t mn;           /* rows in mblock */
    lr_hac *hac;         /* HAC: the scores' lag products (vcov_hac.c), or NULL; then
                            mblock carries the scores w e x, in file order */
    size_t ncl;          /* --vcov CL: cluster columns (0: not clustered) */
    size_t ccol[LR_CLUSTER_MAX]; /* their fields */
    lr_clustering *cl;   /* CL: the clusterings' sums (vcov_cluster.c), or NULL */
    double *resid;       /* exact quantiles: every √w e, or NULL */
    uint64_t *hist;      /* else their histogram, or NULL */
    double hmin, hmax;   /* with hist: the smallest and largest √w e, exact (Min and
                            Max do not depend on the order the rows come in) */
    lr_diag_result *out; /* the result */
} diag_pass;

/* One chunk's observations. */
typedef struct diag_chunk {
    size_t n, cap;  /* observations, capacity */
    lr_residual *r; /* per observation (line chunk-local), if rows are wanted */
    size_t cap_r;   /* its capacity */
    double *rw;     /* √w e, if quantiles are wanted */
    size_t cap_rw;  /* its capacity */
    double *u;      /* rows √ω √w xᵀ (n × pk, row-major) for the meat, or NULL */
    size_t cap_u;   /* its capacity in rows */
    size_t n_one;   /* observations with a leverage of one */
    uint64_t one_line[LR_ONE_LINES]; /* the first ones' lines */
    lr_cluster_keys keys; /* CL: the keys of the rows the model uses (weight zero too) */
} diag_chunk;

static void diag_drop(void *ctx, void *result)
{
    const diag_pass *dp = ctx;
    diag_chunk *c = result;
    if (!c)
        return;
    lr_mem_free(c->r, c->cap_r * sizeof(lr_residual));
    lr_mem_free(c->rw, c->cap_rw * sizeof(double));
    lr_mem_free(c->u, c->cap_u * (dp->pk ? dp->pk : 1) * sizeof(double));
    lr_cluster_keys_free(&c->keys);
    lr_mem_free(c, sizeof *c);
}

static int diag_grow(const diag_pass *dp, diag_chunk *c, lr_error *err)
{
    size_t cap = c->cap ? 2 * c->cap : 4096;
    if (dp->rows && c->cap_r < cap) {
        lr_residual *r =
            lr_mem_realloc(c->r, c->cap_r * sizeof(lr_residual), cap * sizeof(lr_residual));
        if (!r)
            return lr_error_nomem(err);
        c->r = r;
        c->cap_r = cap;
    }
    if (dp->req->quantiles && c->cap_rw < cap) {
        double *rw = lr_mem_realloc(c->rw, c->cap_rw * sizeof(double), cap * sizeof(double));
        if (!rw)
            return lr_error_nomem(err);
        c->rw = rw;
        c->cap_rw = cap;
    }
    if (dp->meat && c->cap_u < cap) {
        size_t w = dp->pk ? dp->pk : 1;
        double *u = lr_mem_realloc(c->u, c->cap_u * w * sizeof(double), cap * w * sizeof(double));
        if (!u)
            return lr_error_nomem(err);
        c->u = u;
        c->cap_u = cap;
    }
    c->cap = cap;
    return LR_OK;
}

/* A block of observations being evaluated by a worker. */
typedef struct diag_block {
    double *x; /* LR_DIAG_BLOCK × pk, column-major: the kept columns of the rows */
    double *t; /* the same shape: x V */
    double y[LR_DIAG_BLOCK], w[LR_DIAG_BLOCK], fit[LR_DIAG_BLOCK], h[LR_DIAG_BLOCK];
    double off[LR_DIAG_BLOCK]; /* offset(): each row's (y is y − offset); 0 without */
    uint64_t line[LR_DIAG_BLOCK];
    size_t n; /* rows in the block */
} diag_block;

/* Fitted values ŷ = Xβ and leverages hᵢ = wᵢ xᵢᵀ V xᵢ, each row by the same
 * operations in the same order wherever it lies in whatever block: BLAS
 * kernels treat a block's edge rows with other instruction sequences (so a
 * row's last bits would depend on where the chunks and the first pass's
 * blocks end, which differ between the spool and the re-parse, and with the
 * factor levels seen so far). The loops run down the block's columns, so
 * the compiler vectorises them across rows, lane by lane the same
 * operations. V symmetric: xᵀVx = Σ_a x_a (V_aa x_a + 2 Σ_{b<a} V_ba x_b),
 * half the multiply-adds of the full form. */
static void diag_block_fit(const diag_pass *dp, diag_block *b, int need_h)
{
    size_t n = b->n, pk = dp->pk;
    double *s = b->t; /* one column of scratch */
    memset(b->fit, 0, n * sizeof(double));
    memset(b->h, 0, n * sizeof(double));
    for (size_t a = 0; a < pk; a++) {
        const double *xa = b->x + a * LR_DIAG_BLOCK;
        double ba = dp->bk[a];
        for (size_t i = 0; i < n; i++)
            b->fit[i] += xa[i] * ba;
        if (!need_h)
            continue;
        memset(s, 0, n * sizeof(double));
        for (size_t c = 0; c < a; c++) {
            const double *xc = b->x + c * LR_DIAG_BLOCK;
            double v = LR_AT(dp->vk, pk, c, a);
            for (size_t i = 0; i < n; i++)
                s[i] += xc[i] * v;
        }
        double vaa = LR_AT(dp->vk, pk, a, a);
        for (size_t i = 0; i < n; i++)
            b->h[i] += xa[i] * (vaa * xa[i] + 2 * s[i]);
    }
}

/* Each row's residual and influence measures, and the meat's rows
 * √ωᵢ √wᵢ xᵢ into the chunk (summed by diag_fold in file order). */
static void diag_block_run(const diag_pass *dp, diag_block *b, diag_chunk *c)
{
    const lr_diag_request *req = dp->req;
    size_t n = b->n, pk = dp->pk;
    if (n == 0)
        return;
    /* the leverages serve the per-row measures and HC2/HC3 only: the residual
     * quantiles of the text summary, HC0 and HC1 go without them */
    int hc23 = req->vcov == LR_VCOV_HC2 || req->vcov == LR_VCOV_HC3;
    diag_block_fit(dp, b, dp->rows || hc23);
    for (size_t i = 0; i < n; i++) {
        double w = b->w[i], h = b->h[i] * w, fit = b->fit[i];
        double e = b->y[i] - fit, sw = sqrt(w), rw = sw * e;
        /* a leverage of one to working precision: the row alone determines
         * a direction of β, its residual is rounding noise, and 1 − h, by
         * which HC2/HC3 and the standardized measures divide, has no
         * correct digit (R's hatvalues says 1, rstandard NaN) */
        int one = h > dp->h_one;
        if (one) {
            h = 1;
            if (c->n_one < LR_ONE_LINES)
                c->one_line[c->n_one] = b->line[i];
            c->n_one++;
        }
        if (dp->rows) {
            double std = one ? (double)NAN : rw / (dp->sigma * sqrt(1 - h));
            double cooks =
                one ? (double)NAN
                    : rw * rw * h / ((double)dp->sol->rank * dp->sigma2 * (1 - h) * (1 - h));
            /* R's fitted values include the offset */
            lr_residual r = {b->line[i], fit + b->off[i], e, h, std, cooks, NULL};
            c->r[c->n + i] = r;
        }
        if (c->rw)
            c->rw[c->n + i] = rw;
        if (c->u && (req->vcov == LR_VCOV_HAC || req->vcov == LR_VCOV_CL)) { /* w e x */
            double *u = c->u + (c->n + i) * pk;
            for (size_t a = 0; a < pk; a++)
                u[a] = b->x[a * LR_DIAG_BLOCK + i] * w * e;
        } else if (c->u) {
            double om = rw * rw;
            if (one && hc23)
                om = 0; /* the whole covariance is NaN (lr_diagnostics) */
            else if (req->vcov == LR_VCOV_HC2)
                om /= 1 - h;
            else if (req->vcov == LR_VCOV_HC3)
                om /= (1 - h) * (1 - h);
            double sc = sqrt(om) * sw;
            double *u = c->u + (c->n + i) * pk;
            for (size_t a = 0; a < pk; a++)
                u[a] = b->x[a * LR_DIAG_BLOCK + i] * sc;
        }
    }
    c->n += n;
    b->n = 0;
}

/* CL: keep the row's cluster keys (obs: its observation in the chunk, or
 * SIZE_MAX for a row of weight zero, which sandwich counts in n and G). */
static int cl_keep(const diag_pass *dp, diag_chunk *c, const lr_csv_row *row, size_t obs,
                   lr_error *err)
{
    const char *key[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX];
    for (size_t i = 0; i < dp->ncl; i++) {
        key[i] = row->fields[dp->ccol[i]].data;
        len[i] = row->fields[dp->ccol[i]].len;
    }
    return lr_cluster_keys_add(&c->keys, dp->ncl, key, len, obs, err);
}

/* CL over the spool: row r's cluster cells, which its record carries (as
 * cl_keep's from the text: the same bytes, the rows in the same order). */
static int cl_keep_spooled(const diag_pass *dp, diag_chunk *c, const lr_row_reader *rec,
                           size_t r, size_t obs, lr_error *err)
{
    const char *key[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX];
    if (rec->nkey != dp->ncl)
        return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
    for (size_t i = 0; i < dp->ncl; i++)
        key[i] = lr_row_reader_key(rec, r, i, &len[i]);
    return lr_cluster_keys_add(&c->keys, dp->ncl, key, len, obs, err);
}

/* A worker: fitted value, residual, leverage and the rest for each
 * observation of the chunk, and the chunk's part of the HC meat. */
static int diag_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                     uint64_t *lines, lr_error *err)
{
    const diag_pass *dp = ctx;
    size_t pk = dp->pk, q = dp->q, icpt = dp->icpt;
    lr_csv *csv = NULL;
    lr_csv_options copt = {dp->delimiter, SIZE_MAX}; /* rows bounded by the first pass */
    lr_csv_row row;
    int has = 0, use = 0, rc;
    size_t ncol = lr_frame_ncols(dp->frame), bcols = pk ? pk : 1;
    double *colval = lr_mem_calloc(ncol ? ncol : 1, sizeof(double));
    double *x = lr_mem_calloc(q ? q : 1, sizeof(double));
    double *xf = lr_mem_calloc(dp->p, sizeof(double));
    diag_block *b = lr_mem_calloc(1, sizeof *b);
    diag_chunk *c = lr_mem_calloc(1, sizeof *c);
    *result = c;
    if (!colval || !x || !xf || !b || !c) {
        rc = lr_error_nomem(err);
        goto done;
    }
    b->x = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double));
    b->t = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double));
    if (!b->x || !b->t) {
        rc = lr_error_nomem(err);
        goto done;
    }
    if ((rc = lr_csv_open_buffer(buf, len, dp->name, &copt, &csv, err)))
        goto done;
    if (seq > 0)
        lr_csv_continue(csv, 1); /* as the first pass read it */
    if (seq == 0 && ((rc = lr_csv_next(csv, &row, &has, err)) || !has))
        goto done; /* the header */
    for (;;) {
        if ((rc = lr_csv_next(csv, &row, &has, err)) || !has)
            break;
        double y, w;
        use = 0;
        rc = lr_frame_eval_row(dp->frame, colval, &row, x, &y, &w, &use, err);
        if (rc == LR_EVALUE && use == -1) {
            rc = LR_OK; /* NaN (log(-1)): the fit omitted the row */
            continue;
        }
        if (rc)
            break;
        if (!use)
            continue;
        if (dp->ncl && (rc = cl_keep(dp, c, &row, w == 0 ? SIZE_MAX : c->n + b->n, err)))
            break;
        if (w == 0)
            continue;
        if (c->n + b->n == c->cap && (rc = diag_grow(dp, c, err)))
            break;
        if (icpt)
            xf[0] = 1;
        memcpy(xf + icpt, x, q * sizeof(double));
        for (size_t a = 0; a < pk; a++)
            b->x[a * LR_DIAG_BLOCK + b->n] = xf[dp->kept[a]];
        b->y[b->n] = y;
        b->off[b->n] = lr_frame_eval_offset(dp->frame, colval);
        b->w[b->n] = w;
        b->line[b->n] = row.line;
        if (++b->n == LR_DIAG_BLOCK)
            diag_block_run(dp, b, c);
    }
    if (!rc)
        diag_block_run(dp, b, c);
done:
    *lines = csv ? lr_csv_line(csv) - 1 : 0;
    lr_csv_free(csv);
    lr_mem_free(colval, (ncol ? ncol : 1) * sizeof(double));
    lr_mem_free(x, (q ? q : 1) * sizeof(double));
    lr_mem_free(xf, dp->p * sizeof(double));
    if (b) {
        lr_mem_free(b->x, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(b->t, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(b, sizeof *b);
    }
    return rc;
}

/* meat += Σ of mblock's rows' outer products. */
static void meat_flush(diag_pass *dp)
{
    if (dp->hac) /* HAC: the block's scores into the lag products */
        lr_hac_add_block(dp->hac, dp->mblock, LR_DIAG_BLOCK, dp->mn);
    else if (dp->mn > 0 && dp->pk > 0)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)dp->pk, (int)dp->mn, 1.0,
                    dp->mblock, LR_DIAG_BLOCK, 1.0, dp->meat, (int)dp->pk);
    dp->mn = 0;
}

/* In file order: callbacks, the plot subsample, the quantiles' data, and the
 * meat, in blocks of observations counted from the first (so the same for
 * any thread count and either pass). */
static int diag_fold(void *ctx, void *result, uint64_t lines_before, lr_error *err)
{
    diag_pass *dp = ctx;
    diag_chunk *c = result;
    lr_diag_result *out = dp->out;
    if (c->n > dp->nobs - dp->seen)
        return lr_error_set(err, LR_EIO,
                            "%s: changed while being read: more observations when read again "
                            "than the first time",
                            dp->name);
    for (size_t i = 0; i < c->n; i++) {
        uint64_t k = dp->seen + i;
        if (dp->rows) {
            lr_residual r = c->r[i];
            r.line += lines_before;
            lr_source_locate(dp->input, r.line, &r.file, &r.line); /* several files: its own */
            if (dp->req->residual_row)
                dp->req->residual_row(dp->req->residual_ud, &r);
            if (out->pf && k % dp->stride == 0 && out->np < out->np_cap) {
                out->pf[out->np] = r.fitted;
                out->pr[out->np] = r.std_residual;
                out->pe[out->np] = r.residual;
                out->np++;
            }
        }
        if (out->few) {
            uint64_t line = dp->rows ? c->r[i].line : 0;
            out->few[k] = c->rw[i];
            out->few_row[k] = line ? line + lines_before - 1 : k + 1;
        }
        if (dp->resid)
            dp->resid[k] = c->rw[i];
        else if (dp->hist) {
            dp->hist[lr_order_key(c->rw[i]) >> (64 - LR_HIST_BITS)]++;
            dp->hmin = c->rw[i] < dp->hmin ? c->rw[i] : dp->hmin;
            dp->hmax = c->rw[i] > dp->hmax ? c->rw[i] : dp->hmax;
        }
    }
    /* the meat in blocks of LR_DIAG_BLOCK observations counted from the
     * first, whatever the chunks: the same sums in the same order for any
     * thread count and either second pass */
    int rc;
    if (dp->ncl && (rc = lr_clustering_add_keys(dp->cl, &c->keys, c->u, dp->pk, err)))
        return rc;
    for (size_t i = 0; dp->meat && !dp->ncl && i < c->n; i++) {
        for (size_t a = 0; a < dp->pk; a++)
            dp->mblock[a * LR_DIAG_BLOCK + dp->mn] = c->u[i * dp->pk + a];
        if (++dp->mn == LR_DIAG_BLOCK)
            meat_flush(dp);
    }
    for (size_t i = 0; i < c->n_one && i < LR_ONE_LINES; i++)
        if (out->n_one + i < LR_ONE_LINES) {
            out->one_line[out->n_one + i] = c->one_line[i] + lines_before;
            if (lr_source_concat(dp->input) && c->one_line[i]) /* several files: name it */
                lr_source_locate(dp->input, c->one_line[i] + lines_before,
                                 &out->one_file[out->n_one + i], &out->one_line[out->n_one + i]);
        }
    out->n_one += c->n_one;
    dp->seen += c->n;
    lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows", dp->seen, dp->nobs,
                     0);
    return LR_OK;
}

static const lr_chunk_ops diag_ops = {diag_eval, diag_fold, diag_drop};

/* What a pass over the spool keeps per thread: a block, a chunk's worth of
 * results, and where a record holds each accumulator column. */
typedef struct spool_eval {
    diag_block *b; /* rows on their way to the BLAS calls */
    diag_chunk *c; /* a record's results */
    size_t *pos;   /* per accumulator column: its place in the record, or SIZE_MAX */
} spool_eval;

static void spool_eval_free(diag_pass *dp, size_t kacc, spool_eval *se)
{
    size_t bcols = dp->pk ? dp->pk : 1;
    if (se->b) {
        lr_mem_free(se->b->x, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(se->b->t, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(se->b, sizeof *se->b);
    }
    diag_drop(dp, se->c);
    lr_mem_free(se->pos, (kacc ? kacc : 1) * sizeof(size_t));
    memset(se, 0, sizeof *se);
}

static int spool_eval_init(diag_pass *dp, size_t kacc, spool_eval *se, lr_error *err)
{
    size_t pk = dp->pk, bcols = pk ? pk : 1;
    memset(se, 0, sizeof *se);
    se->pos = lr_mem_alloc((kacc ? kacc : 1) * sizeof(size_t));
    se->b = lr_mem_calloc(1, sizeof *se->b);
    se->c = lr_mem_calloc(1, sizeof *se->c);
    if (!se->pos || !se->b || !se->c ||
        !(se->b->x = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double))) ||
        !(se->b->t = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double)))) {
        spool_eval_free(dp, kacc, se);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

/* One record's rows through the blocks into se->c (its previous results
 * dropped). acol: the accumulator column of each kept coefficient (SIZE_MAX:
 * the intercept or a column of zeros). */
static int spool_record(const diag_pass *dp, const lr_row_reader *rec, const size_t *acol,
                        size_t kacc, spool_eval *se, lr_error *err)
{
    diag_block *b = se->b;
    diag_chunk *c = se->c;
    size_t *pos = se->pos, pk = dp->pk;
    size_t ocol = lr_frame_offset_col(dp->frame);
    if (ocol != SIZE_MAX && ocol >= kacc)
        ocol = SIZE_MAX;
    int rc;
    for (size_t i = 0; i < kacc; i++)
        pos[i] = SIZE_MAX;
    for (size_t i = 0; i < rec->k; i++)
        if (rec->col[i] < kacc)
            pos[rec->col[i]] = i;
    size_t n = (size_t)rec->n;
    c->n = 0;
    c->n_one = 0;
    c->keys.n = 0; /* CL: the record's keys, added in diag_fold */
    c->keys.nbytes = 0;
    while (c->cap < n)
        if ((rc = diag_grow(dp, c, err)))
            return rc;
    for (size_t i = 0; i < n;) {
        /* a run of rows into the block: column by column (memcpy) when
         * none has weight zero, else row by row skipping those */
        size_t m = n - i < LR_DIAG_BLOCK - b->n ? n - i : LR_DIAG_BLOCK - b->n;
        int zero = 0;
        for (size_t r = i; rec->w && r < i + m && !zero; r++)
            zero = rec->w[r] == 0;
        for (size_t a = 0; a < pk; a++) {
            double *dst = b->x + a * LR_DIAG_BLOCK + b->n;
            size_t ac = acol[a], at = ac == SIZE_MAX ? SIZE_MAX : pos[ac];
            const double *src = at == SIZE_MAX ? NULL : rec->x + at * n + i;
            double fill = dp->icpt && dp->kept[a] == 0 ? 1.0 : 0.0;
            if (!zero && src)
                memcpy(dst, src, m * sizeof(double));
            else
                for (size_t r = 0, o = 0; r < m; r++)
                    if (!zero || rec->w[i + r] != 0)
                        dst[o++] = src ? src[r] : fill;
        }
        for (size_t r = i; r < i + m; r++) {
            if (dp->ncl && (rc = cl_keep_spooled(dp, c, rec, r,
                                                 zero && rec->w[r] == 0 ? SIZE_MAX
                                                                        : c->n + b->n,
                                                 err)))
                return rc;
            if (zero && rec->w[r] == 0)
                continue;
            b->y[b->n] = pos[0] == SIZE_MAX ? 0.0 : rec->x[pos[0] * n + r];
            b->off[b->n] = ocol == SIZE_MAX || pos[ocol] == SIZE_MAX ? 0.0
                                                                     : rec->x[pos[ocol] * n + r];
            b->w[b->n] = rec->w ? rec->w[r] : 1.0;
            b->line[b->n] = rec->line ? rec->line[r] : 0; /* kept when rows are reported */
            b->n++;
        }
        if (b->n == LR_DIAG_BLOCK)
            diag_block_run(dp, b, c);
        i += m;
    }
    diag_block_run(dp, b, c);
    return LR_OK;
}

/* The pass in file order, for what depends on it (per-row output, the HC
 * meat's sums). (Reading the next record on a thread of its own, one
 * thread per record, was slower: 0.71 s against 0.63 s for --vcov HC3 on
 * the 1M-row benchmark file.) */
static int spool_pass_ordered(diag_pass *dp, int fd, const size_t *acol, size_t kacc, lr_error *err)
{
    lr_row_reader rd;
    lr_row_reader_init(&rd, fd);
    spool_eval se;
    int has = 0, rc = spool_eval_init(dp, kacc, &se, err);
    if (rc == LR_OK)
        rc = lr_row_reader_next(&rd, &has, err);
    while (rc == LR_OK && has) {
        if ((rc = spool_record(dp, &rd, acol, kacc, &se, err)) ||
            (rc = diag_fold(dp, se.c, 0, err)))
            break;
        rc = lr_row_reader_next(&rd, &has, err);
    }
    lr_row_reader_free(&rd);
    spool_eval_free(dp, kacc, &se);
    return rc;
}

/* The quantiles alone do not depend on the order of the residuals: records
 * are taken by whichever thread is free, each residual computed exactly as
 * in file order (the same blocks, the same BLAS calls), and stored at the
 * next free place, or counted in the thread's own histogram (summed after:
 * counts are exact whatever the order). */
typedef struct spool_shared {
    diag_pass *dp;
    int fd;
    const size_t *acol;
    size_t kacc;
    uint64_t *offs;     /* records' offsets */
    size_t nrec;        /* their number */
    pthread_mutex_t mu; /* guards what follows */
    size_t next;        /* the next record to take */
    uint64_t filled;    /* residuals stored */
    int rc;             /* the first failure */
    lr_error err;
    pthread_t caller;   /* the thread that tells progress (the caller's callback) */
} spool_shared;

static void *spool_worker(void *arg)
{
    spool_shared *sh = arg;
    diag_pass *dp = sh->dp;
    lr_row_reader rd;
    spool_eval se;
    lr_error err;
    uint64_t *hist = NULL;
    double hmin = INFINITY, hmax = -INFINITY;
    size_t nb = (size_t)1 << LR_HIST_BITS;
    lr_row_reader_init(&rd, sh->fd);
    int rc = spool_eval_init(dp, sh->kacc, &se, &err);
    if (rc == LR_OK && dp->hist && !(hist = lr_mem_calloc(nb, sizeof(uint64_t))))
        rc = lr_error_nomem(&err);
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        size_t i = sh->next++;
        int stop = rc != LR_OK || sh->rc != LR_OK || i >= sh->nrec;
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            break;
        int has = 0;
        rd.off = sh->offs[i];
        if ((rc = lr_row_reader_next(&rd, &has, &err)))
            break;
        if (!has) {
            rc = lr_error_set(&err, LR_EIO, "the spool of model rows cannot be read back");
            break;
        }
        if ((rc = spool_record(dp, &rd, sh->acol, sh->kacc, &se, &err)))
            break;
        const diag_chunk *c = se.c;
        if (hist) {
            for (size_t r = 0; r < c->n; r++) {
                hist[lr_order_key(c->rw[r]) >> (64 - LR_HIST_BITS)]++;
                hmin = c->rw[r] < hmin ? c->rw[r] : hmin;
                hmax = c->rw[r] > hmax ? c->rw[r] : hmax;
            }
            pthread_mutex_lock(&sh->mu);
            uint64_t now = sh->filled += c->n;
            pthread_mutex_unlock(&sh->mu);
            if (pthread_equal(pthread_self(), sh->caller))
                lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows", now,
                                 dp->nobs, 0);
        } else {
            pthread_mutex_lock(&sh->mu);
            uint64_t at = sh->filled;
            sh->filled += c->n;
            pthread_mutex_unlock(&sh->mu);
            if (pthread_equal(pthread_self(), sh->caller))
                lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows",
                                 at + c->n, dp->nobs, 0);
            if (at + c->n > dp->nobs) {
                rc = lr_error_set(&err, LR_EDATA,
                                  "%s: more observations when read again than the first "
                                  "time (the file changed between passes?)",
                                  dp->name);
                break;
            }
            memcpy(dp->resid + at, c->rw, c->n * sizeof(double));
        }
    }
    pthread_mutex_lock(&sh->mu);
    if (rc != LR_OK && sh->rc == LR_OK) {
        sh->rc = rc;
        sh->err = err;
    }
    if (hist && rc == LR_OK) {
        for (size_t k = 0; k < nb; k++)
            dp->hist[k] += hist[k];
        dp->hmin = hmin < dp->hmin ? hmin : dp->hmin;
        dp->hmax = hmax > dp->hmax ? hmax : dp->hmax;
    }
    pthread_mutex_unlock(&sh->mu);
    lr_mem_free(hist, nb * sizeof(uint64_t));
    lr_row_reader_free(&rd);
    spool_eval_free(dp, sh->kacc, &se);
    return NULL;
}

static int spool_pass_any_order(diag_pass *dp, int fd, const size_t *acol, size_t kacc, int threads,
                                lr_error *err)
{
    spool_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dp = dp;
    sh.fd = fd;
    sh.acol = acol;
    sh.kacc = kacc;
    sh.caller = pthread_self();
    int rc = lr_row_spool_index(fd, &sh.offs, &sh.nrec, err);
    if (rc)
        return rc;
    if (pthread_mutex_init(&sh.mu, NULL)) {
        lr_mem_free(sh.offs, sh.nrec * sizeof(uint64_t));
        return lr_error_set(err, LR_ENOMEM, "cannot create a lock");
    }
    pthread_t tid[LR_INGEST_MAX_THREADS];
    int started = 0;
    for (; started < threads - 1 && started < LR_INGEST_MAX_THREADS; started++)
        if (pthread_create(&tid[started], NULL, spool_worker, &sh) != 0)
            break; /* fewer threads: still correct */
    spool_worker(&sh);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&sh.mu);
    lr_mem_free(sh.offs, sh.nrec * sizeof(uint64_t));
    if (sh.rc) {
        *err = sh.err;
        return sh.rc;
    }
    dp->seen = sh.filled;
    return LR_OK;
}

/* The pass over the row spool: the first pass's evaluated rows, read back. */
static int diag_spool_pass(diag_pass *dp, int fd, const lr_model_spec *spec, size_t kacc,
                           int threads, lr_error *err)
{
    size_t pk = dp->pk, bcols = pk ? pk : 1;
    size_t *acol = lr_mem_alloc(bcols * sizeof(size_t));
    if (!acol)
        return lr_error_nomem(err);
    for (size_t a = 0; a < pk; a++) {
        size_t j = dp->kept[a];
        acol[a] = dp->icpt && j == 0 ? SIZE_MAX : spec->cols[j - dp->icpt];
    }
    threads = lr_ingest_threads(threads); /* 0: every core */
    int rc = !dp->rows && !dp->meat && threads > 1
                 ? spool_pass_any_order(dp, fd, acol, kacc, threads, err)
                 : spool_pass_ordered(dp, fd, acol, kacc, err);
    lr_mem_free(acol, bcols * sizeof(size_t));
    return rc;
}

/* out->vcov = scale · V M V on the kept coefficients, NaN for the aliased;
 * all NaN for HC2/HC3 when a leverage is one: they divide a residual of
 * rounding noise by a 1 − h of rounding noise, so no digit of V M V is known
 * (sandwich gives NaN). scale: n/(n − p) for HC1, CL's (cl_meat), else 1. */
static int hc_vcov(const diag_pass *dp, double scale, lr_error *err)
{
    lr_diag_result *out = dp->out;
    size_t p = dp->p, pk = dp->pk, pkk = pk ? pk * pk : 1;
    double *t = lr_mem_calloc(pkk, sizeof(double));
    double *vhc = lr_mem_calloc(pkk, sizeof(double));
    out->vcov = lr_mem_calloc(p * p, sizeof(double));
    if (!t || !vhc || !out->vcov) {
        lr_mem_free(t, pkk * sizeof(double));
        lr_mem_free(vhc, pkk * sizeof(double));
        return lr_error_nomem(err);
    }
    if (pk > 0) {
        int n = (int)pk;
        /* T = M V (M symmetric, upper), then V T */
        cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, n, n, 1.0, dp->meat, n, dp->vk, n, 0.0, t,
                    n);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, dp->vk, n, t, n, 0.0,
                    vhc, n);
    }
    lr_vcov type = dp->req->vcov;
    int unknown = out->n_one > 0 && (type == LR_VCOV_HC2 || type == LR_VCOV_HC3);
    for (size_t j = 0; j < p * p; j++)
        out->vcov[j] = (double)NAN;
    for (size_t a = 0; a < pk && !unknown; a++)
        for (size_t b = 0; b < pk; b++)
            LR_AT(out->vcov, p, dp->kept[a], dp->kept[b]) =
                scale * 0.5 * (LR_AT(vhc, pk, a, b) + LR_AT(vhc, pk, b, a));
    lr_mem_free(t, pkk * sizeof(double));
    lr_mem_free(vhc, pkk * sizeof(double));
    return LR_OK;
}

/* CL: the cluster columns' fields and a clustering for each (and for their
 * intersection). The keys are in the row spool's records when the frame kept
 * them (*spooled = 1), else the pass reads the text again. */
static int cl_setup(diag_pass *dp, lr_source *input, int fd, int *spooled, lr_error *err)
{
    const char *name[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX], n;
    const size_t *kcol;
    int rc;
    if (!dp->req->cluster)
        return lr_error_set(err, LR_EUSAGE, "the clustered covariance needs cluster columns");
    if ((rc = lr_cluster_split(dp->req->cluster, name, len, &n, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(len[i] < 255 ? len[i] : 255), name[i]);
        if (!lr_frame_column(dp->frame, nm, &dp->ccol[i]))
            return lr_error_set(err, LR_EUSAGE, "%s: no cluster column '%s'", dp->name, nm);
    }
    /* (and the spool's values are the text pass's to the bit: CL read the
     * text before, and its results stay the same) */
    *spooled = fd >= 0 && lr_frame_key_cols(dp->frame, &kcol) == n &&
               lr_frame_rows_as_eval(dp->frame);
    for (size_t i = 0; *spooled && i < n; i++)
        *spooled = kcol[i] == dp->ccol[i];
    const char *why = *spooled ? NULL : input ? lr_source_again_why(input) : "is not a file";
    if (why)
        return lr_error_set(err, LR_EIO,
                            "%s: the clustered covariance reads the cluster columns in a second "
                            "pass, and %s %s; give a file instead of a pipe, or a writable TMPDIR",
                            dp->name, dp->name, why);
    if (!(dp->cl = lr_mem_calloc(1, sizeof *dp->cl)))
        return lr_error_nomem(err);
    if ((rc = lr_clustering_init(dp->cl, n, dp->pk, err))) {
        lr_mem_free(dp->cl, sizeof *dp->cl);
        dp->cl = NULL;
        return rc;
    }
    dp->ncl = n;
    return LR_OK;
}

/* CL: the meat Σ_c ± G_c/(G_c − 1) Σ_g u_g u_gᵀ (minus for the intersection)
 * and *scale = (n₊/n)² (n − 1)/(n − k), n counting rows of weight zero and n₊
 * not (vcov_cluster.c has the derivation from sandwich::meatCL). */
static int cl_meat(diag_pass *dp, double *scale, lr_error *err)
{
    double n = (double)(dp->nobs + dp->cl->nzero), k = (double)dp->pk;
    int rc = lr_clustering_meat(dp->cl, dp->meat, dp->out->n_clusters, dp->name, err);
    if (rc)
        return rc;
    if (!(n > k))
        return lr_error_set(err, LR_EDATA,
                            "%s: the clustered covariance needs more observations than "
                            "coefficients",
                            dp->name);
    double r = (double)dp->nobs / n;
    *scale = r * r * (n - 1) / (n - k);
    return LR_OK;
}

int lr_diagnostics(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                   const lr_solution *sol, uint64_t nobs, const lr_diag_request *req,
                   lr_diag_result *out, lr_error *err)
{
    size_t q = spec->q, icpt = spec->intercept ? 1 : 0, p = q + icpt;
    double df = (double)nobs - (double)sol->rank;
    int rc = LR_OK;
    size_t pk = 0, pkk = 1;
    size_t *kept = NULL;
    double *vk = NULL, *bk = NULL;
    diag_pass dp;

    memset(out, 0, sizeof *out);
    memset(&dp, 0, sizeof dp);
    out->p = p;
    kept = lr_mem_calloc(p, sizeof(size_t));
    if (!kept) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < p; j++)
        if (!sol->aliased[j])
            kept[pk++] = j;
    pkk = pk ? pk * pk : 1; /* doubles of a kept × kept matrix (at least one) */
    vk = lr_mem_calloc(pkk, sizeof(double));
    bk = lr_mem_calloc(pk ? pk : 1, sizeof(double));
    if (!vk || !bk) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t a = 0; a < pk; a++) {
        bk[a] = sol->beta[kept[a]];
        for (size_t b = 0; b < pk; b++)
            LR_AT(vk, pk, a, b) = LR_AT(sol->xtx_inv, p, kept[a], kept[b]);
    }
    dp.frame = frame;
    dp.delimiter = delimiter;
    dp.name = lr_frame_source(frame);
    dp.input = input;
    dp.sol = sol;
    dp.req = req;
    dp.q = q;
    dp.icpt = icpt;
    dp.p = p;
    dp.pk = pk;
    dp.kept = kept;
    dp.vk = vk;
    dp.bk = bk;
    dp.sigma2 = df > 0 ? sol->rss / df : (double)NAN;
    dp.sigma = sqrt(dp.sigma2);
    dp.h_one = 1 - LR_ONE_ULPS * (double)(pk ? pk : 1) * DBL_EPSILON;
    dp.rows = req->residual_row != NULL || req->plot_points > 0;
    dp.nobs = nobs;
    dp.stride = 1;
    dp.out = out;
    if (req->vcov != LR_VCOV_CLASSICAL &&
        (!(dp.meat = lr_mem_calloc(pkk, sizeof(double))) ||
         !(dp.mblock = lr_mem_alloc(LR_DIAG_BLOCK * (pk ? pk : 1) * sizeof(double))))) {
        rc = lr_error_nomem(err);
        goto done;
    }
    /* The pass: over the rows the first pass kept, or the text again on
     * every core the fit used (for CL, the text when the spool lacks the
     * cluster cells: it was given up, or the frame kept none). */
    int fd = lr_frame_rows_fd(frame), cl_spooled = 0;
    if (req->vcov == LR_VCOV_CL && (rc = cl_setup(&dp, input, fd, &cl_spooled, err)))
        goto done;
    if (req->vcov == LR_VCOV_HAC && (!(dp.hac = lr_mem_calloc(1, sizeof *dp.hac)) ||
                                     (rc = lr_hac_init(dp.hac, pk, req->hac_lag, err)))) {
        rc = rc ? rc : lr_error_nomem(err);
        goto done;
    }
    if (req->quantiles) {
        if (nobs <= LR_RESID_BUDGET)
            dp.resid = lr_mem_alloc((nobs ? nobs : 1) * sizeof(double));
        else
            dp.hist = lr_mem_calloc((size_t)1 << LR_HIST_BITS, sizeof(uint64_t));
        dp.hmin = INFINITY;
        dp.hmax = -INFINITY;
        if (!dp.resid && !dp.hist) {
            rc = lr_error_nomem(err);
            goto done;
        }
    }
    if (req->quantiles && df > 0 && df <= 5) {
        /* summary.lm prints the residuals themselves, named by their rows */
        out->nfew = (size_t)nobs;
        out->few = lr_mem_alloc(out->nfew * sizeof(double));
        out->few_row = lr_mem_alloc(out->nfew * sizeof(uint64_t));
        if (!out->few || !out->few_row) {
            rc = lr_error_nomem(err);
            goto done;
        }
        dp.rows = 1; /* the lines */
    }
    if (req->plot_points > 0) {
        dp.stride = (nobs + req->plot_points - 1) / req->plot_points;
        if (dp.stride < 1)
            dp.stride = 1;
        out->np_cap = (size_t)(nobs / dp.stride + 1);
        out->pf = lr_mem_alloc(out->np_cap * sizeof(double));
        out->pr = lr_mem_alloc(out->np_cap * sizeof(double));
        out->pe = lr_mem_alloc(out->np_cap * sizeof(double));
        out->psorted = lr_mem_alloc(out->np_cap * sizeof(double));
        if (!out->pf || !out->pr || !out->pe || !out->psorted) {
            rc = lr_error_nomem(err);
            goto done;
        }
    }

    /* blocks of 256 rows: one BLAS thread (more would only spin, and a
     * threaded dsyrk need not sum in one order) */
    int blas_threads = lr_blas_threads(1);
    dp.pass = pass_name(req);
    lr_progress_send(req->progress, req->progress_ud, dp.pass, "rows", 0, nobs, 0);
    /* the residuals named by their rows want lines, which the spool may not
     * keep: the text again when it can be read */
    if (fd >= 0 && (!dp.ncl || cl_spooled) && !(out->few && input && !lr_source_again_why(input)))
        rc = diag_spool_pass(&dp, fd, spec, lr_accum_ncols(lr_frame_accum(frame)), req->threads,
                             err);
    else
        rc = lr_ingest_pass(input, req->threads, &diag_ops, &dp, err);
    if (rc == LR_OK && dp.meat)
        meat_flush(&dp);
    lr_blas_threads(blas_threads);
    if (rc)
        goto done;
    if (dp.seen != nobs) {
        rc = lr_error_set(err, LR_EIO,
                          "%s: changed while being read: %llu observations when read again, "
                          "%llu the first time",
                          dp.name, (unsigned long long)dp.seen, (unsigned long long)nobs);
        goto done;
    }

    /* HAC: the meat is the Bartlett-weighted sum of the lag products. */
    if (dp.hac && pk > 0)
        lr_hac_meat(dp.hac, dp.meat);
    /* HC covariance: V M V on the kept coefficients, NaN for the aliased. */
    double scale = req->vcov == LR_VCOV_HC1 ? (double)nobs / df : 1.0;
    if (dp.ncl && (rc = cl_meat(&dp, &scale, err)))
        goto done;
    if (dp.meat && (rc = hc_vcov(&dp, scale, err)))
        goto done;
    if (dp.ncl && out->vcov) {
        /* variances that are only rounding noise (the clusters nested in a term) */
        out->cl_zero = lr_mem_calloc(p ? p : 1, 1);
        rc = out->cl_zero ? lr_cluster_zero(dp.cl, p, pk, kept, vk, scale, out->vcov,
                                            out->cl_zero, &out->n_zero, err)
                          : lr_error_nomem(err);
        if (rc)
            goto done;
    }
    for (size_t a = 0; dp.ncl == 2 && out->vcov && a < pk; a++)
        out->n_negative += LR_AT(out->vcov, p, kept[a], kept[a]) < 0;

    /* Quantiles. */
    if (req->quantiles && nobs > 0) {
        static const double probs[5] = {0, 0.25, 0.5, 0.75, 1};
        if (dp.resid) {
            lr_quantiles7(dp.resid, nobs, probs, out->q);
        } else {
            /* Min and Max exact; 1Q, median and 3Q within the histogram's bound */
            double bound = 0;
            for (int i = 1; i < 4; i++) {
                double hpos = (double)(nobs - 1) * probs[i];
                uint64_t lo = (uint64_t)floor(hpos);
                double a = lr_hist_order(dp.hist, lo, &bound);
                double b = lo + 1 < nobs ? lr_hist_order(dp.hist, lo + 1, &bound) : a;
                out->q[i] = a + (hpos - (double)lo) * (b - a);
            }
            out->q[0] = dp.hmin;
            out->q[4] = dp.hmax;
            out->q_err = bound;
        }
        out->has_q = 1;
    }
    if (out->pr) {
        /* the defined ones sorted, then the NaNs (a leverage of one, no
         * residual degrees of freedom), which have no order */
        size_t nf = 0;
        for (size_t i = 0; i < out->np; i++)
            if (!isnan(out->pr[i]))
                out->psorted[nf++] = out->pr[i];
        qsort(out->psorted, nf, sizeof(double), lr_cmp_double);
        for (size_t i = nf; i < out->np; i++)
            out->psorted[i] = (double)NAN;
    }

done:
    lr_mem_free(kept, p * sizeof(size_t));
    lr_mem_free(vk, pkk * sizeof(double));
    lr_mem_free(bk, (pk ? pk : 1) * sizeof(double));
    lr_mem_free(dp.meat, pkk * sizeof(double));
    lr_mem_free(dp.mblock, LR_DIAG_BLOCK * (pk ? pk : 1) * sizeof(double));
    if (dp.hac)
        lr_hac_free(dp.hac);
    lr_mem_free(dp.hac, sizeof *dp.hac);
    if (dp.cl)
        lr_clustering_free(dp.cl);
    lr_mem_free(dp.cl, sizeof *dp.cl);
    lr_mem_free(dp.resid, (nobs ? nobs : 1) * sizeof(double));
    lr_mem_free(dp.hist, ((size_t)1 << LR_HIST_BITS) * sizeof(uint64_t));
    if (rc)
        lr_diag_result_free(out);
    return rc;
}
