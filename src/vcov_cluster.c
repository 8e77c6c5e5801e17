/*
 * vcov_cluster.c — cluster-robust covariance, as sandwich::vcovCL(fit,
 * cluster = ~c1 [+ c2], type = "HC1") with its defaults (cadjust = TRUE,
 * multi0 = FALSE). sandwich::meatCL sums the scores s_i = w_i e_i x_i by
 * cluster, u_g = Σ_{i∈g} s_i, and for one clustering of G clusters
 *     meat = G/(G − 1) · (n − 1)/(n − k) · Σ_g u_g u_gᵀ / n,
 * n the rows of estfun (zero weights included), k the kept coefficients;
 * for two, V1 + V2 − V12 with V12 clustered on the intersection (each term
 * with its own G/(G − 1)). The sandwich is B M B / n with bread B = V n₊,
 * V = (XᵀX)⁻¹, n₊ the rows of nonzero weight (bread.lm's rank + df), so
 *     vcov = (n₊/n)² (n − 1)/(n − k) Σ_c ± G_c/(G_c − 1) V (Σ_g u_g u_gᵀ) V.
 * This file keeps one clustering's sums; diagnostics.c feeds the scores in
 * file order and combines them.
 */
#include <string.h>

#include <cblas.h>

#include "vcov_cluster.h"

int lr_cluster_init(lr_cluster *c, size_t p, lr_error *err)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->cap = 64;
    c->nslot = 256;
    c->bcap = 1024;
    c->sum = lr_mem_calloc(c->cap * (p ? p : 1), sizeof(double));
    c->off = lr_mem_alloc(c->cap * sizeof(size_t));
    c->len = lr_mem_alloc(c->cap * sizeof(size_t));
    c->hash = lr_mem_alloc(c->cap * sizeof(uint64_t));
    c->slot = lr_mem_calloc(c->nslot, sizeof(size_t));
    c->bytes = lr_mem_alloc(c->bcap);
    if (!c->sum || !c->off || !c->len || !c->hash || !c->slot || !c->bytes) {
        lr_cluster_free(c);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

void lr_cluster_free(lr_cluster *c)
{
    size_t w = c->p ? c->p : 1;
    lr_mem_free(c->sum, c->cap * w * sizeof(double));
    lr_mem_free(c->off, c->cap * sizeof(size_t));
    lr_mem_free(c->len, c->cap * sizeof(size_t));
    lr_mem_free(c->hash, c->cap * sizeof(uint64_t));
    lr_mem_free(c->slot, c->nslot * sizeof(size_t));
    lr_mem_free(c->bytes, c->bcap);
    memset(c, 0, sizeof *c);
}

/* FNV-1a, then a final mix (keys are often short decimal numbers, whose
 * FNV values differ only in their low bits) */
static uint64_t key_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int grow(lr_cluster *c, lr_error *err)
{
    size_t w = c->p ? c->p : 1, cap = 2 * c->cap;
    double *sum = lr_mem_calloc(cap * w, sizeof(double));
    size_t *off = lr_mem_alloc(cap * sizeof(size_t));
    size_t *len = lr_mem_alloc(cap * sizeof(size_t));
    uint64_t *hash = lr_mem_alloc(cap * sizeof(uint64_t));
    if (!sum || !off || !len || !hash) {
        lr_mem_free(sum, cap * w * sizeof(double));
        lr_mem_free(off, cap * sizeof(size_t));
        lr_mem_free(len, cap * sizeof(size_t));
        lr_mem_free(hash, cap * sizeof(uint64_t));
        return lr_error_nomem(err);
    }
    memcpy(sum, c->sum, c->g * w * sizeof(double));
    memcpy(off, c->off, c->g * sizeof(size_t));
    memcpy(len, c->len, c->g * sizeof(size_t));
    memcpy(hash, c->hash, c->g * sizeof(uint64_t));
    size_t old = c->cap;
    lr_mem_free(c->sum, old * w * sizeof(double));
    lr_mem_free(c->off, old * sizeof(size_t));
    lr_mem_free(c->len, old * sizeof(size_t));
    lr_mem_free(c->hash, old * sizeof(uint64_t));
    c->sum = sum;
    c->off = off;
    c->len = len;
    c->hash = hash;
    c->cap = cap;
    return LR_OK;
}

static int rehash(lr_cluster *c, lr_error *err)
{
    size_t n = 2 * c->nslot, mask = n - 1;
    size_t *slot = lr_mem_calloc(n, sizeof(size_t));
    if (!slot)
        return lr_error_nomem(err);
    for (size_t g = 0; g < c->g; g++) {
        size_t i = (size_t)c->hash[g] & mask;
        while (slot[i])
            i = (i + 1) & mask;
        slot[i] = g + 1;
    }
    lr_mem_free(c->slot, c->nslot * sizeof(size_t));
    c->slot = slot;
    c->nslot = n;
    return LR_OK;
}

int lr_cluster_add(lr_cluster *c, const char *key, size_t len, const double *s, lr_error *err)
{
    uint64_t h = key_hash(key, len);
    size_t mask = c->nslot - 1, i = (size_t)h & mask, g;
    int rc;
    for (;;) {
        size_t e = c->slot[i];
        if (!e)
            break;
        g = e - 1;
        if (c->hash[g] == h && c->len[g] == len && !memcmp(c->bytes + c->off[g], key, len))
            goto found;
        i = (i + 1) & mask;
    }
    /* a new cluster */
    if (c->g == c->cap && (rc = grow(c, err)))
        return rc;
    if (c->nbytes + len > c->bcap) {
        size_t bcap = c->bcap;
        while (c->nbytes + len > bcap)
            bcap *= 2;
        char *b = lr_mem_realloc(c->bytes, c->bcap, bcap);
        if (!b)
            return lr_error_nomem(err);
        c->bytes = b;
        c->bcap = bcap;
    }
    g = c->g++;
    memcpy(c->bytes + c->nbytes, key, len);
    c->off[g] = c->nbytes;
    c->len[g] = len;
    c->hash[g] = h;
    c->nbytes += len;
    c->slot[i] = g + 1;
    if (2 * c->g > c->nslot && (rc = rehash(c, err)))
        return rc;
found:
    if (s) {
        double *u = c->sum + g * c->p;
        for (size_t a = 0; a < c->p; a++)
            u[a] += s[a];
    }
    return LR_OK;
}

void lr_cluster_crossprod(const lr_cluster *c, double alpha, double *meat)
{
    /* the sums are the columns of a p × G matrix U (leading dimension p):
     * meat += alpha U Uᵀ, in slices of G that an int can count */
    size_t p = c->p, step = (size_t)1 << 30;
    for (size_t g0 = 0; p > 0 && g0 < c->g; g0 += step) {
        size_t m = c->g - g0 < step ? c->g - g0 : step;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)p, (int)m, alpha,
                    c->sum + g0 * p, (int)p, 1.0, meat, (int)p);
    }
}

int lr_cluster_split(const char *spec, const char **name, size_t *len, size_t *n, lr_error *err)
{
    *n = 0;
    const char *s = spec;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 0)
            return lr_error_set(err, LR_EUSAGE, "--cluster \"%s\": an empty column name", spec);
        if (*n == LR_CLUSTER_MAX)
            return lr_error_set(err, LR_EUSAGE,
                                "--cluster \"%s\": at most %d cluster columns (one-way or "
                                "two-way clustering)",
                                spec, LR_CLUSTER_MAX);
        name[*n] = s;
        len[*n] = l;
        (*n)++;
        if (!e)
            return LR_OK;
        s = e + 1;
    }
}
