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
 * This file keeps the clusterings' sums and combines them; diagnostics.c
 * (and fe_cluster.c with fixed effects) feed the scores in file order.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#define XXH_INLINE_ALL /* header-only, as in row_fingerprint.c */
#include <xxhash.h>

#include "vcov_cluster.h"

int lr_cluster_init(lr_cluster *c, size_t p, lr_error *err)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->cap = 64;
    c->nslot = 256;
    c->bcap = 1024;
    c->sum = lr_mem_calloc(c->cap * (p ? 2 * p : 1), sizeof(double));
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
    size_t w = c->p ? 2 * c->p : 1;
    lr_mem_free(c->sum, c->cap * w * sizeof(double));
    lr_mem_free(c->off, c->cap * sizeof(size_t));
    lr_mem_free(c->len, c->cap * sizeof(size_t));
    lr_mem_free(c->hash, c->cap * sizeof(uint64_t));
    lr_mem_free(c->slot, c->nslot * sizeof(size_t));
    lr_mem_free(c->bytes, c->bcap);
    memset(c, 0, sizeof *c);
}

/* The same hash as the rows' fingerprint (xxhash, already a dependency);
 * the clusters stay in order of discovery, so it decides only the slots. */
static uint64_t key_hash(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

static int grow(lr_cluster *c, lr_error *err)
{
    size_t w = c->p ? 2 * c->p : 1, cap = 2 * c->cap, old = c->cap, g = c->g;
    /* the sums past the clusters so far start at zero */
    lr_mem_array a[] = {
        {c->sum, old * w * sizeof(double), cap * w * sizeof(double), g * w * sizeof(double), 1},
        {c->off, old * sizeof(size_t), cap * sizeof(size_t), g * sizeof(size_t), 0},
        {c->len, old * sizeof(size_t), cap * sizeof(size_t), g * sizeof(size_t), 0},
        {c->hash, old * sizeof(uint64_t), cap * sizeof(uint64_t), g * sizeof(uint64_t), 0}};
    if (lr_mem_replace(a, 4))
        return lr_error_nomem(err);
    c->sum = a[0].p;
    c->off = a[1].p;
    c->len = a[2].p;
    c->hash = a[3].p;
    c->cap = cap;
    return LR_OK;
}

/* *buf (of *cap bytes) at least need bytes, doubling from first; -1 when
 * memory runs out (*buf kept). */
static int grow_bytes(char **buf, size_t *cap, size_t need, size_t first)
{
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    char *b = lr_mem_realloc(*buf, *cap, n);
    if (!b)
        return -1;
    *buf = b;
    *cap = n;
    return 0;
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
    if (c->nbytes + len > c->bcap && grow_bytes(&c->bytes, &c->bcap, c->nbytes + len, 1024))
        return lr_error_nomem(err);
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
        /* u_g, then the sum of |s_i| that bounds its rounding error */
        double *u = c->sum + g * 2 * c->p;
        for (size_t a = 0; a < c->p; a++) {
            u[a] += s[a];
            u[c->p + a] += fabs(s[a]);
        }
    }
    return LR_OK;
}

void lr_cluster_crossprod(const lr_cluster *c, int abs_sums, double alpha, double *meat)
{
    /* the sums are the columns of a 2p × G matrix (leading dimension 2p), U
     * its first p rows and S (the |s_i| sums) its last: meat += alpha U Uᵀ
     * (or S Sᵀ), in slices of G that an int can count */
    size_t p = c->p, step = (size_t)1 << 30;
    for (size_t g0 = 0; p > 0 && g0 < c->g; g0 += step) {
        size_t m = c->g - g0 < step ? c->g - g0 : step;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)p, (int)m, alpha,
                    c->sum + g0 * 2 * p + (abs_sums ? p : 0), (int)(2 * p), 1.0, meat, (int)p);
    }
}

static size_t clusterings(size_t ncl)
{
    return ncl == 2 ? 3 : ncl;
}

int lr_clustering_init(lr_clustering *c, size_t ncl, size_t p, lr_error *err)
{
    memset(c, 0, sizeof *c);
    c->ncl = ncl;
    for (size_t i = 0; i < clusterings(ncl); i++) {
        int rc = lr_cluster_init(&c->cl[i], p, err);
        if (rc) {
            lr_clustering_free(c);
            return rc;
        }
    }
    return LR_OK;
}

void lr_clustering_free(lr_clustering *c)
{
    for (size_t i = 0; i < 3; i++)
        lr_cluster_free(&c->cl[i]);
    lr_mem_free(c->join, c->join_cap);
    memset(c, 0, sizeof *c);
}

int lr_clustering_add(lr_clustering *c, const char *const *key, const size_t *len, const double *s,
                      lr_error *err)
{
    int rc;
    c->nzero += s == NULL;
    for (size_t i = 0; i < c->ncl; i++)
        if ((rc = lr_cluster_add(&c->cl[i], key[i], len[i], s, err)))
            return rc;
    if (c->ncl < 2)
        return LR_OK;
    size_t n = 8 + len[0] + len[1];
    if (n > c->join_cap && grow_bytes(&c->join, &c->join_cap, n, 256))
        return lr_error_nomem(err);
    uint64_t l0 = len[0];
    memcpy(c->join, &l0, 8);
    memcpy(c->join + 8, key[0], len[0]);
    memcpy(c->join + 8 + len[0], key[1], len[1]);
    return lr_cluster_add(&c->cl[2], c->join, n, s, err);
}

int lr_clustering_meat(lr_clustering *c, double *meat, uint64_t n_clusters[3], const char *source,
                       lr_error *err)
{
    for (size_t i = 0; i < clusterings(c->ncl); i++) {
        double g = (double)c->cl[i].g;
        n_clusters[i] = c->cl[i].g;
        if (c->cl[i].g < 2)
            return lr_error_set(err, LR_EDATA,
                                "%s: the clustered covariance needs at least two clusters; "
                                "the rows used have %zu in %s",
                                source, c->cl[i].g,
                                i == 2 ? "the intersection of the cluster columns"
                                       : "a cluster column");
        lr_cluster_crossprod(&c->cl[i], 0, (i == 2 ? -1.0 : 1.0) * g / (g - 1), meat);
    }
    return LR_OK;
}

void lr_clustering_meat_abs(const lr_clustering *c, double *meat_abs)
{
    /* every clustering with a plus sign: the intersection's rounding errors
     * add to the others' as well */
    for (size_t i = 0; i < clusterings(c->ncl); i++) {
        double g = (double)c->cl[i].g;
        if (c->cl[i].g >= 2)
            lr_cluster_crossprod(&c->cl[i], 1, g / (g - 1), meat_abs);
    }
}

int lr_cluster_zero(const lr_clustering *c, size_t p, size_t k, const size_t *kept, const double *a,
                    double scale, double *vcov, unsigned char *zero, size_t *n_zero, lr_error *err)
{
    double *mabs = lr_mem_calloc(k ? k * k : 1, sizeof(double));
    if (!mabs)
        return lr_error_nomem(err);
    lr_clustering_meat_abs(c, mabs);
    *n_zero = 0;
    memset(zero, 0, p);
    for (size_t j = 0; j < k; j++) {
        /* the rounding bound of V_jj: scale (|A| M_abs |A|)_jj, M_abs upper */
        double b = 0;
        for (size_t x = 0; x < k; x++)
            for (size_t y = 0; y < k; y++) {
                double m = x <= y ? LR_AT(mabs, k, x, y) : LR_AT(mabs, k, y, x);
                b += fabs(LR_AT(a, k, j, x)) * m * fabs(LR_AT(a, k, y, j));
            }
        size_t jj = kept[j];
        zero[jj] = fabs(LR_AT(vcov, p, jj, jj)) <= LR_CLUSTER_ZERO_TOL * DBL_EPSILON * scale * b;
        *n_zero += zero[jj];
    }
    /* no digit of such a row of the covariance is known: NaN, printed NA */
    for (size_t jj = 0; jj < p; jj++)
        for (size_t x = 0; zero[jj] && x < p; x++)
            LR_AT(vcov, p, jj, x) = LR_AT(vcov, p, x, jj) = (double)NAN;
    lr_mem_free(mabs, (k ? k * k : 1) * sizeof(double));
    return LR_OK;
}

int lr_cluster_keys_add(lr_cluster_keys *k, size_t ncl, const char *const *key, const size_t *len,
                        size_t obs, lr_error *err)
{
    size_t need = k->nbytes;
    for (size_t i = 0; i < ncl; i++)
        need += len[i];
    if (need > k->bcap && grow_bytes(&k->bytes, &k->bcap, need, 4096))
        return lr_error_nomem(err);
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 1024;
        lr_cluster_row *r =
            lr_mem_realloc(k->row, k->cap * sizeof(lr_cluster_row), cap * sizeof(lr_cluster_row));
        if (!r)
            return lr_error_nomem(err);
        k->row = r;
        k->cap = cap;
    }
    lr_cluster_row *r = &k->row[k->n++];
    r->obs = obs;
    for (size_t i = 0; i < ncl; i++) {
        r->off[i] = k->nbytes;
        r->len[i] = len[i];
        if (len[i])
            memcpy(k->bytes + k->nbytes, key[i], len[i]);
        k->nbytes += len[i];
    }
    return LR_OK;
}

void lr_cluster_keys_free(lr_cluster_keys *k)
{
    lr_mem_free(k->bytes, k->bcap);
    lr_mem_free(k->row, k->cap * sizeof(lr_cluster_row));
    memset(k, 0, sizeof *k);
}

int lr_clustering_add_keys(lr_clustering *c, const lr_cluster_keys *k, const double *u, size_t ld,
                           lr_error *err)
{
    for (size_t i = 0; i < k->n; i++) {
        const lr_cluster_row *r = &k->row[i];
        const char *key[LR_CLUSTER_MAX];
        for (size_t j = 0; j < c->ncl; j++)
            key[j] = k->bytes + r->off[j];
        int rc =
            lr_clustering_add(c, key, r->len, r->obs == SIZE_MAX ? NULL : u + r->obs * ld, err);
        if (rc)
            return rc;
    }
    return LR_OK;
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
