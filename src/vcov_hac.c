/*
 * vcov_hac.c — Newey–West (1987) heteroskedasticity- and autocorrelation-
 * consistent covariance, as sandwich::NeweyWest(fit, lag = L, prewhite =
 * FALSE), whose default adjust = FALSE makes no small-sample correction:
 * V Ω V, V = (XᵀX)⁻¹, with the Bartlett kernel
 *     Ω = Γ_0 + Σ_{l=1..L} (1 − l/(L + 1)) (Γ_l + Γ_lᵀ),  Γ_l = Σ_t s_t s_{t−l}ᵀ,
 * s_t = w_t e_t x_t the scores in file order (the data must be in time order).
 * The diagnostics pass folds the scores in file order in blocks of rows
 * (lr_hac_add_block); a run also keeps its first and last L scores, so runs
 * can be joined exactly (lr_hac_merge). O((L + 1) p²) memory.
 */
#include <string.h>

#include <cblas.h>

#include "vcov_hac.h"

int lr_hac_init(lr_hac *h, size_t p, size_t lag, lr_error *err)
{
    memset(h, 0, sizeof *h);
    size_t pp, cells, rows;
    if (lr_mul_overflows(p ? p : 1, p ? p : 1, &pp) || lr_mul_overflows(pp, lag + 1, &cells) ||
        lr_mul_overflows(lag ? lag : 1, p ? p : 1, &rows) || lag > ((size_t)1 << 20))
        return lr_error_set(err, LR_ERANGE, "HAC: lag %zu too large for %zu coefficients", lag, p);
    h->p = p;
    h->lag = lag;
    h->gamma = lr_mem_calloc(cells, sizeof(double));
    h->head = lr_mem_calloc(rows, sizeof(double));
    h->tail = lr_mem_calloc(rows, sizeof(double));
    h->s = lr_mem_calloc(p ? p : 1, sizeof(double));
    if (!h->gamma || !h->head || !h->tail || !h->s) {
        lr_hac_free(h);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

static size_t gamma_cells(const lr_hac *h)
{
    size_t p = h->p ? h->p : 1;
    return p * p * (h->lag + 1);
}

static size_t row_cells(const lr_hac *h)
{
    return (h->lag ? h->lag : 1) * (h->p ? h->p : 1);
}

void lr_hac_free(lr_hac *h)
{
    lr_mem_free(h->gamma, gamma_cells(h) * sizeof(double));
    lr_mem_free(h->head, row_cells(h) * sizeof(double));
    lr_mem_free(h->tail, row_cells(h) * sizeof(double));
    lr_mem_free(h->s, (h->p ? h->p : 1) * sizeof(double));
    memset(h, 0, sizeof *h);
}

void lr_hac_reset(lr_hac *h)
{
    memset(h->gamma, 0, gamma_cells(h) * sizeof(double));
    h->n = 0;
    h->ntail = 0;
}

/* Γ_l += a bᵀ */
static void outer_add(double *g, size_t p, const double *a, const double *b)
{
    for (size_t j = 0; j < p; j++) {
        double bj = b[j];
        if (bj == 0)
            continue;
        for (size_t i = 0; i < p; i++)
            g[j * p + i] += a[i] * bj;
    }
}

/* Append s (contiguous) to the tail window of L scores. */
static void tail_push(lr_hac *h, const double *s)
{
    size_t p = h->p, lag = h->lag;
    if (lag == 0)
        return;
    if (h->ntail == lag) {
        memmove(h->tail, h->tail + p, (lag - 1) * p * sizeof(double));
        h->ntail--;
    }
    memcpy(h->tail + h->ntail * p, s, p * sizeof(double));
    h->ntail++;
}

void lr_hac_add(lr_hac *h, const double *s, size_t inc)
{
    size_t p = h->p, pp = p * p;
    double *sc = h->s;
    for (size_t i = 0; i < p; i++)
        sc[i] = s[i * inc];
    outer_add(h->gamma, p, sc, sc);
    /* lags l = 1..min(L, ntail): tail[ntail − l] is s_{t−l} */
    for (size_t l = 1; l <= h->lag && l <= h->ntail; l++)
        outer_add(h->gamma + l * pp, p, sc, h->tail + (h->ntail - l) * p);
    if (h->n < h->lag)
        memcpy(h->head + h->n * p, sc, p * sizeof(double));
    tail_push(h, sc);
    h->n++;
}

void lr_hac_add_block(lr_hac *h, const double *s, size_t ld, size_t n)
{
    size_t p = h->p, pp = p * p, lag = h->lag;
    if (n == 0 || p == 0) {
        h->n += n;
        return;
    }
    /* the block's first rows with the scores before it (the tail) */
    for (size_t i = 0; i < n && i < lag; i++) {
        for (size_t a = 0; a < p; a++)
            h->s[a] = s[a * ld + i];
        for (size_t l = i + 1; l <= lag && l - i <= h->ntail; l++)
            outer_add(h->gamma + l * pp, p, h->s, h->tail + (h->ntail - (l - i)) * p);
    }
    /* within the block: Γ_l += S[l:]ᵀ S[:n−l] */
    int ip = (int)p;
    for (size_t l = 0; l <= lag && l < n; l++)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ip, ip, (int)(n - l), 1.0, s + l,
                    (int)ld, s, (int)ld, 1.0, h->gamma + l * pp, ip);
    /* the head (the run's first L scores) and the tail (its last L) */
    for (size_t i = 0; i < n && h->n + i < lag; i++)
        for (size_t a = 0; a < p; a++)
            h->head[(h->n + i) * p + a] = s[a * ld + i];
    for (size_t i = n > lag ? n - lag : 0; i < n; i++) {
        for (size_t a = 0; a < p; a++)
            h->s[a] = s[a * ld + i];
        tail_push(h, h->s);
    }
    h->n += n;
}

void lr_hac_merge(lr_hac *dst, const lr_hac *src)
{
    size_t p = dst->p, pp = p * p, lag = dst->lag;
    /* across the seam: src's i-th score with dst's scores l − i back from its end */
    size_t nh = src->n < lag ? (size_t)src->n : lag;
    for (size_t i = 0; i < nh; i++)
        for (size_t l = i + 1; l <= lag && l - i <= dst->ntail; l++)
            outer_add(dst->gamma + l * pp, p, src->head + i * p,
                      dst->tail + (dst->ntail - (l - i)) * p);
    for (size_t k = 0; k < pp * (lag + 1); k++)
        dst->gamma[k] += src->gamma[k];
    for (size_t i = 0; i < nh && dst->n + i < lag; i++)
        memcpy(dst->head + (dst->n + i) * p, src->head + i * p, p * sizeof(double));
    for (size_t i = 0; i < src->ntail; i++)
        tail_push(dst, src->tail + i * p);
    dst->n += src->n;
}

void lr_hac_meat(const lr_hac *h, double *meat)
{
    size_t p = h->p, pp = p * p;
    memcpy(meat, h->gamma, pp * sizeof(double));
    for (size_t l = 1; l <= h->lag; l++) {
        double w = 1.0 - (double)l / (double)(h->lag + 1);
        const double *g = h->gamma + l * pp;
        for (size_t j = 0; j < p; j++)
            for (size_t i = 0; i < p; i++)
                meat[j * p + i] += w * (g[j * p + i] + g[i * p + j]);
    }
}
