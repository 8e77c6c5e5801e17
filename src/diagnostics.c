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
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "diagnostics.h"

/* Residuals kept in memory for exact quantiles (8 MB). */
#define LR_RESID_BUDGET ((uint64_t)1 << 20)
/* Histogram buckets: the top 18 bits of an order-preserving key. */
#define LR_HIST_BITS 18
/* Rows per block of the meat's dsyrk. */
#define LR_DIAG_BLOCK 256

void lr_diag_result_free(lr_diag_result *r)
{
    lr_mem_free(r->vcov, r->p * r->p * sizeof(double));
    lr_mem_free(r->pf, r->np_cap * sizeof(double));
    lr_mem_free(r->pr, r->np_cap * sizeof(double));
    lr_mem_free(r->psorted, r->np_cap * sizeof(double));
    memset(r, 0, sizeof *r);
}

/* An order-preserving map of doubles to unsigned integers. */
static uint64_t order_key(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : (b | 0x8000000000000000ULL);
}

static double key_value(uint64_t k)
{
    uint64_t b = (k >> 63) ? (k & 0x7fffffffffffffffULL) : ~k;
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's quantile type 7 of sorted x[0..n). */
static double quantile7(const double *x, uint64_t n, double prob)
{
    double h = (double)(n - 1) * prob;
    uint64_t lo = (uint64_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* The value of the order statistic `rank` (0-based) from the histogram: the
 * bucket's midpoint; *bound gets half its width. */
static double hist_order(const uint64_t *h, uint64_t rank, double *bound)
{
    uint64_t c = 0;
    size_t nb = (size_t)1 << LR_HIST_BITS;
    for (size_t b = 0; b < nb; b++) {
        c += h[b];
        if (c > rank) {
            uint64_t lo = (uint64_t)b << (64 - LR_HIST_BITS);
            uint64_t hi = lo | ((1ULL << (64 - LR_HIST_BITS)) - 1);
            double a = key_value(lo), z = key_value(hi);
            if (!isfinite(a))
                a = z;
            if (!isfinite(z))
                z = a;
            double w = fabs(z - a) / 2;
            if (w > *bound)
                *bound = w;
            return (a + z) / 2;
        }
    }
    return (double)NAN;
}

int lr_diagnostics(const char *path, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                   const lr_solution *sol, uint64_t nobs, const lr_diag_request *req,
                   lr_diag_result *out, lr_error *err)
{
    size_t q = spec->q, icpt = spec->intercept ? 1 : 0, p = q + icpt;
    double df = (double)nobs - (double)sol->rank;
    double sigma2 = df > 0 ? sol->rss / df : (double)NAN;
    double sigma = sqrt(sigma2);
    lr_csv *csv = NULL;
    int rc = LR_OK;
    size_t pk = 0;
    size_t *kept = NULL;
    double *x = NULL, *xf = NULL, *vk = NULL, *vx = NULL, *meat = NULL, *blk = NULL;
    double *resid = NULL;
    uint64_t *hist = NULL;
    size_t nblk = 0, pkk = 1;
    uint64_t seen = 0;

    memset(out, 0, sizeof *out);
    out->p = p;
    kept = lr_mem_calloc(p, sizeof(size_t));
    x = lr_mem_calloc(q ? q : 1, sizeof(double));
    xf = lr_mem_calloc(p, sizeof(double));
    vx = lr_mem_calloc(p, sizeof(double));
    if (!kept || !x || !xf || !vx) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < p; j++)
        if (!sol->aliased[j])
            kept[pk++] = j;
    pkk = pk ? pk * pk : 1; /* doubles of a kept × kept matrix (at least one) */
    vk = lr_mem_calloc(pkk, sizeof(double));
    if (!vk) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t a = 0; a < pk; a++)
        for (size_t b = 0; b < pk; b++)
            LR_AT(vk, pk, a, b) = LR_AT(sol->xtx_inv, p, kept[a], kept[b]);
    if (req->vcov != LR_VCOV_CLASSICAL) {
        meat = lr_mem_calloc(pkk, sizeof(double));
        blk = lr_mem_calloc(LR_DIAG_BLOCK * (pk ? pk : 1), sizeof(double));
        if (!meat || !blk) {
            rc = lr_error_nomem(err);
            goto done;
        }
    }
    int exact = nobs <= LR_RESID_BUDGET;
    if (req->quantiles) {
        if (exact)
            resid = lr_mem_alloc((nobs ? nobs : 1) * sizeof(double));
        else
            hist = lr_mem_calloc((size_t)1 << LR_HIST_BITS, sizeof(uint64_t));
        if ((exact && !resid) || (!exact && !hist)) {
            rc = lr_error_nomem(err);
            goto done;
        }
    }
    uint64_t stride = 1;
    if (req->plot_points > 0) {
        stride = (nobs + req->plot_points - 1) / req->plot_points;
        if (stride < 1)
            stride = 1;
        out->np_cap = (size_t)(nobs / stride + 1);
        out->pf = lr_mem_alloc(out->np_cap * sizeof(double));
        out->pr = lr_mem_alloc(out->np_cap * sizeof(double));
        out->psorted = lr_mem_alloc(out->np_cap * sizeof(double));
        if (!out->pf || !out->pr || !out->psorted) {
            rc = lr_error_nomem(err);
            goto done;
        }
    }

    /* The pass. */
    lr_csv_row row;
    int has = 0, use = 0;
    if ((rc = lr_frame_reopen(path, delimiter, &csv, err)))
        goto done;
    for (;;) {
        if ((rc = lr_csv_next(csv, &row, &has, err)))
            goto done;
        if (!has)
            break;
        double y, w;
        if ((rc = lr_frame_eval_row(frame, &row, x, &y, &w, &use, err)))
            goto done;
        if (!use || w == 0)
            continue;
        if (seen == nobs) {
            rc = lr_error_set(err, LR_EDATA,
                              "%s: more observations when read again than the "
                              "first time (the file changed between passes?)",
                              lr_csv_name(csv));
            goto done;
        }
        if (icpt)
            xf[0] = 1;
        memcpy(xf + icpt, x, q * sizeof(double));
        double fit = 0, h = 0;
        for (size_t a = 0; a < pk; a++)
            fit += sol->beta[kept[a]] * xf[kept[a]];
        for (size_t a = 0; a < pk; a++) {
            double s = 0;
            for (size_t b = 0; b < pk; b++)
                s += LR_AT(vk, pk, a, b) * xf[kept[b]];
            vx[a] = s;
            h += xf[kept[a]] * s;
        }
        h *= w;
        double e = y - fit, sw = sqrt(w), rw = sw * e;
        double std = rw / (sigma * sqrt(1 - h));
        double cooks = rw * rw * h / ((double)sol->rank * sigma2 * (1 - h) * (1 - h));
        if (req->residual_row) {
            lr_residual r = {row.line, fit, e, h, std, cooks};
            req->residual_row(req->residual_ud, &r);
        }
        if (meat) {
            double om = rw * rw;
            if (req->vcov == LR_VCOV_HC2)
                om /= 1 - h;
            else if (req->vcov == LR_VCOV_HC3)
                om /= (1 - h) * (1 - h);
            double s = sqrt(om) * sw;
            for (size_t a = 0; a < pk; a++)
                blk[a * LR_DIAG_BLOCK + nblk] = s * xf[kept[a]];
            if (++nblk == LR_DIAG_BLOCK) {
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)pk, (int)nblk, 1.0, blk,
                            LR_DIAG_BLOCK, 1.0, meat, (int)pk);
                nblk = 0;
            }
        }
        if (resid)
            resid[seen] = rw;
        if (hist)
            hist[order_key(rw) >> (64 - LR_HIST_BITS)]++;
        if (out->pf && seen % stride == 0 && out->np < out->np_cap) {
            out->pf[out->np] = fit;
            out->pr[out->np] = std;
            out->np++;
        }
        seen++;
    }
    if (seen != nobs) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: %llu observations when read again, %llu the first "
                          "time (the file changed between passes?)",
                          lr_csv_name(csv), (unsigned long long)seen, (unsigned long long)nobs);
        goto done;
    }

    /* HC covariance: V M V on the kept coefficients, NaN for the aliased. */
    if (meat) {
        if (nblk)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)pk, (int)nblk, 1.0, blk,
                        LR_DIAG_BLOCK, 1.0, meat, (int)pk);
        double *t = lr_mem_calloc(pkk, sizeof(double));
        double *vhc = lr_mem_calloc(pkk, sizeof(double));
        out->vcov = lr_mem_calloc(p * p, sizeof(double));
        if (!t || !vhc || !out->vcov) {
            lr_mem_free(t, pkk * sizeof(double));
            lr_mem_free(vhc, pkk * sizeof(double));
            rc = lr_error_nomem(err);
            goto done;
        }
        if (pk > 0) {
            int n = (int)pk;
            /* T = M V (M symmetric, upper), then V T */
            cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, n, n, 1.0, meat, n, vk, n, 0.0, t, n);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, vk, n, t, n, 0.0,
                        vhc, n);
        }
        double scale = req->vcov == LR_VCOV_HC1 ? (double)nobs / df : 1.0;
        for (size_t j = 0; j < p * p; j++)
            out->vcov[j] = (double)NAN;
        for (size_t a = 0; a < pk; a++)
            for (size_t b = 0; b < pk; b++)
                LR_AT(out->vcov, p, kept[a], kept[b]) =
                    scale * 0.5 * (LR_AT(vhc, pk, a, b) + LR_AT(vhc, pk, b, a));
        lr_mem_free(t, pkk * sizeof(double));
        lr_mem_free(vhc, pkk * sizeof(double));
    }

    /* Quantiles. */
    if (req->quantiles && nobs > 0) {
        static const double probs[5] = {0, 0.25, 0.5, 0.75, 1};
        if (resid) {
            qsort(resid, (size_t)nobs, sizeof(double), cmp_double);
            for (int i = 0; i < 5; i++)
                out->q[i] = quantile7(resid, nobs, probs[i]);
        } else {
            double bound = 0;
            for (int i = 0; i < 5; i++) {
                double hpos = (double)(nobs - 1) * probs[i];
                uint64_t lo = (uint64_t)floor(hpos);
                double a = hist_order(hist, lo, &bound);
                double b = lo + 1 < nobs ? hist_order(hist, lo + 1, &bound) : a;
                out->q[i] = a + (hpos - (double)lo) * (b - a);
            }
            out->q_err = bound;
        }
        out->has_q = 1;
    }
    if (out->pr) {
        memcpy(out->psorted, out->pr, out->np * sizeof(double));
        qsort(out->psorted, out->np, sizeof(double), cmp_double);
    }

done:
    lr_csv_free(csv);
    lr_mem_free(kept, p * sizeof(size_t));
    lr_mem_free(x, (q ? q : 1) * sizeof(double));
    lr_mem_free(xf, p * sizeof(double));
    lr_mem_free(vx, p * sizeof(double));
    lr_mem_free(vk, pkk * sizeof(double));
    lr_mem_free(meat, pkk * sizeof(double));
    lr_mem_free(blk, LR_DIAG_BLOCK * (pk ? pk : 1) * sizeof(double));
    lr_mem_free(resid, (nobs ? nobs : 1) * sizeof(double));
    lr_mem_free(hist, ((size_t)1 << LR_HIST_BITS) * sizeof(uint64_t));
    if (rc)
        lr_diag_result_free(out);
    return rc;
}
