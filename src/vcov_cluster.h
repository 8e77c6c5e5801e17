/*
 * vcov_cluster.h — the clustered meat: per-cluster sums of scores (internal).
 */
#ifndef LR_VCOV_CLUSTER_H
#define LR_VCOV_CLUSTER_H

#include "internal.h"

/* Cluster columns at most (sandwich's two-way: V1 + V2 − V12). */
#define LR_CLUSTER_MAX 2

/*
 * One clustering: each cluster's key (its cell's bytes, or for the
 * intersection of two clusterings an unambiguous join of both) and
 * u_g = Σ_{i∈g} s_i, s_i = w_i e_i x_i the score of row i. Open addressing on
 * a 64-bit hash of the key. Memory O(G (p + key bytes)), whatever the rows.
 */
typedef struct lr_cluster {
    size_t p;       /* score length (kept coefficients) */
    size_t g;       /* clusters seen */
    size_t cap;     /* clusters allocated (sums, keys' offsets) */
    double *sum;    /* cap × p: cluster g's u_g at sum + g p */
    size_t *off;    /* cap: where cluster g's key starts in bytes */
    size_t *len;    /* cap: its length */
    uint64_t *hash; /* cap: its hash */
    char *bytes;    /* the keys, back to back */
    size_t nbytes;  /* bytes used */
    size_t bcap;    /* bytes allocated */
    size_t *slot;   /* nslot: cluster index + 1, or 0 for an empty slot */
    size_t nslot;   /* a power of two, at least twice g */
} lr_cluster;

int lr_cluster_init(lr_cluster *c, size_t p, lr_error *err);
/* c->sum etc. freed; lr_cluster_free on a zeroed struct is harmless. */
void lr_cluster_free(lr_cluster *c);
/* u_key += s[0..p) (s NULL: the key is counted as a cluster, a row of weight
 * zero, which sandwich counts, adds nothing). */
int lr_cluster_add(lr_cluster *c, const char *key, size_t len, const double *s, lr_error *err);
/* meat (p × p, upper triangle, leading dimension p) += alpha Σ_g u_g u_gᵀ,
 * or alpha Σ_g s_g s_gᵀ with s_g = Σ_{i∈g} |s_i| when abs_sums. */
void lr_cluster_crossprod(const lr_cluster *c, int abs_sums, double alpha, double *meat);

/* One or two clusterings (two: also their intersection, whose key joins
 * both without ambiguity: the first key's length in 8 bytes, then both). */
typedef struct lr_clustering {
    size_t ncl;       /* cluster columns, 1 or 2 */
    lr_cluster cl[3]; /* by each column, then by the intersection */
    uint64_t nzero;   /* rows of weight zero added (sandwich's n counts them) */
    char *join;       /* scratch: an intersection's key */
    size_t join_cap;  /* its capacity */
} lr_clustering;

int lr_clustering_init(lr_clustering *c, size_t ncl, size_t p, lr_error *err);
void lr_clustering_free(lr_clustering *c);
/* A row with keys key[0..ncl) (len bytes each) and score s[0..p), or NULL
 * for a row of weight zero. */
int lr_clustering_add(lr_clustering *c, const char *const *key, const size_t *len, const double *s,
                      lr_error *err);
/* meat (p × p, upper) += Σ_c ± G_c/(G_c − 1) Σ_g u_g u_gᵀ, minus for the
 * intersection; n_clusters[c] = G_c. LR_EDATA (named by source) for a
 * clustering with fewer than two clusters. */
int lr_clustering_meat(lr_clustering *c, double *meat, uint64_t n_clusters[3], const char *source,
                       lr_error *err);
/* meat_abs (p × p, upper) += Σ_c G_c/(G_c − 1) Σ_g s_g s_gᵀ, s_g the cluster
 * sums of |s_i|, every clustering with a plus sign (clusterings with fewer
 * than two clusters skipped: lr_clustering_meat refuses them). */
void lr_clustering_meat_abs(const lr_clustering *c, double *meat_abs);

/* V_jj is zero to working precision when |V_jj| ≤ c ε scale (|A| M_abs |A|)_jj:
 * each computed u_g carries rounding errors that the sums of |s_i| bound, and
 * when every cluster's exact sum is zero (the clusters nested in the term, so
 * each cluster's residuals sum to zero) V_jj is only those errors, squared:
 * of order ε² against the ε here. c = 1e-4 flags nothing whose standard error
 * is above 1.5e-10 of sqrt((|A| M_abs |A|)_jj) (docs/guide.md, "Cluster-robust"). */
#define LR_CLUSTER_ZERO_TOL 1e-4
/* zero[j] = 1 (j < p) for the kept coefficients whose variance in vcov
 * (p × p, leading dimension p) is zero to rounding, whose rows and columns of
 * vcov become NaN; *n_zero how many. kept[0..k): the kept coefficients; a:
 * (XᵀWX)⁻¹ on them (k × k); scale: the factor that took the meat to vcov. */
int lr_cluster_zero(const lr_clustering *c, size_t p, size_t k, const size_t *kept, const double *a,
                    double scale, double *vcov, unsigned char *zero, size_t *n_zero, lr_error *err);

/* A run of rows' keys, kept in order until they can be added in file order
 * (a chunk evaluated on another thread). */
typedef struct lr_cluster_row {
    size_t obs;                 /* the row's observation, or SIZE_MAX: weight zero */
    size_t off[LR_CLUSTER_MAX]; /* where each key starts in bytes */
    size_t len[LR_CLUSTER_MAX]; /* its length */
} lr_cluster_row;

typedef struct lr_cluster_keys {
    char *bytes;         /* the keys, back to back */
    size_t nbytes, bcap; /* bytes used, allocated */
    lr_cluster_row *row; /* per row */
    size_t n, cap;       /* rows kept, allocated */
} lr_cluster_keys;

int lr_cluster_keys_add(lr_cluster_keys *k, size_t ncl, const char *const *key, const size_t *len,
                        size_t obs, lr_error *err);
void lr_cluster_keys_free(lr_cluster_keys *k);
/* Every kept row into c, row i's score at u + obs·ld (SIZE_MAX: none). */
int lr_clustering_add_keys(lr_clustering *c, const lr_cluster_keys *k, const double *u, size_t ld,
                           lr_error *err);

/* Split "a,b" into at most LR_CLUSTER_MAX names (borrowed pointers into
 * spec with their lengths); LR_EUSAGE for an empty name or too many. */
int lr_cluster_split(const char *spec, const char **name, size_t *len, size_t *n, lr_error *err);

#endif
