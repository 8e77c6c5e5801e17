/*
 * diagnostics_rows.c — the second pass's evaluation of rows: each
 * observation's fitted value ŷ = xᵀβ, residual e = y − ŷ, leverage
 * h = w xᵀ(XᵀX)⁻¹x, the per-row measures of --residuals, and the meat's rows
 * √ω √w x (or the scores w e x for HAC and CL), a block of LR_DIAG_BLOCK rows
 * at a time; the chunk workers of the pass over the text.
 */
#include <math.h>
#include <string.h>

#include "diagnostics_impl.h"

void lr_diag_chunk_drop(void *ctx, void *result)
{
    const lr_diag_pass *dp = ctx;
    lr_diag_chunk *c = result;
    if (!c)
        return;
    lr_mem_free(c->r, c->cap_r * sizeof(lr_residual));
    lr_mem_free(c->rw, c->cap_rw * sizeof(double));
    lr_mem_free(c->u, c->cap_u * (dp->pk ? dp->pk : 1) * sizeof(double));
    lr_cluster_keys_free(&c->keys);
    lr_mem_free(c, sizeof *c);
}

int lr_diag_chunk_grow(const lr_diag_pass *dp, lr_diag_chunk *c, lr_error *err)
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

/* Fitted values ŷ = Xβ and leverages hᵢ = wᵢ xᵢᵀ V xᵢ, each row by the same
 * operations in the same order wherever it lies in whatever block: BLAS
 * kernels treat a block's edge rows with other instruction sequences (so a
 * row's last bits would depend on where the chunks and the first pass's
 * blocks end, which differ between the spool and the re-parse, and with the
 * factor levels seen so far). The loops run down the block's columns, so
 * the compiler vectorises them across rows, lane by lane the same
 * operations. V symmetric: xᵀVx = Σ_a x_a (V_aa x_a + 2 Σ_{b<a} V_ba x_b),
 * half the multiply-adds of the full form. */
static void diag_block_fit(const lr_diag_pass *dp, lr_diag_block *b, int need_h)
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
 * √ωᵢ √wᵢ xᵢ into the chunk (summed by lr_diag_fold in file order). */
void lr_diag_block_run(const lr_diag_pass *dp, lr_diag_block *b, lr_diag_chunk *c)
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
static int cl_keep(const lr_diag_pass *dp, lr_diag_chunk *c, const lr_csv_row *row, size_t obs,
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

/* A worker: fitted value, residual, leverage and the rest for each
 * observation of the chunk, and the chunk's part of the HC meat. */
int lr_diag_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                 uint64_t *lines, lr_error *err)
{
    const lr_diag_pass *dp = ctx;
    size_t pk = dp->pk, q = dp->q, icpt = dp->icpt;
    lr_csv *csv = NULL;
    lr_csv_options copt = {dp->delimiter, SIZE_MAX}; /* rows bounded by the first pass */
    lr_csv_row row;
    int has = 0, use = 0, rc;
    size_t ncol = lr_frame_eval_scratch(dp->frame), bcols = pk ? pk : 1;
    double *colval = lr_mem_calloc(ncol ? ncol : 1, sizeof(double));
    double *x = lr_mem_calloc(q ? q : 1, sizeof(double));
    double *xf = lr_mem_calloc(dp->p, sizeof(double));
    lr_diag_block *b = lr_mem_calloc(1, sizeof *b);
    lr_diag_chunk *c = lr_mem_calloc(1, sizeof *c);
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
        if (c->n + b->n == c->cap && (rc = lr_diag_chunk_grow(dp, c, err)))
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
            lr_diag_block_run(dp, b, c);
    }
    if (!rc)
        lr_diag_block_run(dp, b, c);
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
