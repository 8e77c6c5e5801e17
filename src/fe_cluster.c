/*
 * fe_cluster.c — --vcov CL with absorbed fixed effects: sandwich::vcovCL
 * (type "HC1") on the dummies' lm, clustered by one or two of the absorbed
 * factors (their level ids are in the spool; other columns are not).
 *
 * By Frisch–Waugh–Lovell the slope rows of (XᵀWX)⁻¹XᵀW, X = [D Z], are
 * A Z̃ᵀW with Z̃ the demeaned slopes and A = (Z̃ᵀWZ̃)⁻¹, and the residuals are
 * the same; so the slope block of vcovCL's V (Σ_g u_g u_gᵀ) V is
 * A (Σ_g ũ_g ũ_gᵀ) A with ũ_g = Σ_{i∈g} wᵢeᵢz̃ᵢ. The factors are those of
 * vcov_cluster.c with k = the rank with the dummies and n the kept rows.
 */
#include <string.h>

#include "fixed_effects_impl.h"
#include "vcov_cluster.h"

/* The factors named by spec ("firm" or "firm,year"), as indices into fe->f. */
static int cluster_factors(const lr_fe *fe, const char *spec, size_t *fac, size_t *n, lr_error *err)
{
    const char *name[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX];
    int rc = lr_cluster_split(spec, name, len, n, err);
    for (size_t i = 0; !rc && i < *n; i++) {
        fac[i] = SIZE_MAX;
        for (size_t f = 0; f < fe->nf; f++)
            if (strlen(fe->f[f].name) == len[i] && !memcmp(fe->f[f].name, name[i], len[i]))
                fac[i] = f;
        if (fac[i] == SIZE_MAX)
            rc = lr_error_set(err, LR_EUSAGE,
                              "--cluster %.*s: with absorbed fixed effects the cluster columns "
                              "must be fixed effects",
                              (int)len[i], name[i]);
    }
    return rc;
}

/* Every kept row's score into its clusters' sums, keyed by the level ids. */
static int fold_scores(lr_fe *fe, const lr_solution *sol, const size_t *idx, size_t k,
                       const size_t *fac, lr_clustering *cl, lr_error *err)
{
    size_t m = fe->m;
    double *blk = lr_mem_alloc(m * LR_FE_BLOCK * sizeof(double));
    double *wb = lr_mem_alloc(LR_FE_BLOCK * sizeof(double));
    double *s = lr_mem_alloc((k ? k : 1) * sizeof(double));
    int rc = !blk || !wb || !s ? lr_error_nomem(err) : LR_OK;
    for (size_t b = 0; !rc && b < fe->nblocks; b++) {
        if ((rc = lr_fe_read_block(fe, b, 1, err)))
            break;
        size_t nb = lr_fe_block_rows(fe, b);
        lr_fe_demeaned_block(fe, nb, blk, wb);
        for (size_t i = 0, r = 0; !rc && i < nb; i++) {
            if (!lr_fe_row_alive(fe, i))
                continue;
            double e = blk[r];
            for (size_t a = 0; a < k; a++)
                e -= sol->beta[idx[a]] * blk[(idx[a] + 1) * LR_FE_BLOCK + r];
            for (size_t a = 0; a < k; a++)
                s[a] = wb[r] * e * blk[(idx[a] + 1) * LR_FE_BLOCK + r];
            uint32_t id[LR_CLUSTER_MAX];
            const char *key[LR_CLUSTER_MAX];
            size_t len[LR_CLUSTER_MAX];
            for (size_t c = 0; c < cl->ncl; c++) {
                id[c] = fe->ids[fac[c] * LR_FE_BLOCK + i];
                key[c] = (const char *)&id[c];
                len[c] = sizeof id[c];
            }
            rc = lr_clustering_add(cl, key, len, s, err);
            r++;
        }
    }
    lr_mem_free(blk, m * LR_FE_BLOCK * sizeof(double));
    lr_mem_free(wb, LR_FE_BLOCK * sizeof(double));
    lr_mem_free(s, (k ? k : 1) * sizeof(double));
    return rc;
}

int lr_fe_cluster_vcov(lr_fe *fe, const lr_solution *sol, const char *spec, double **vcov_out,
                       uint64_t n_clusters[3], size_t *n_negative, lr_error *err)
{
    size_t p = sol->p, k = 0, fac[LR_CLUSTER_MAX], ncl = 0;
    lr_clustering cl;
    memset(&cl, 0, sizeof cl);
    *vcov_out = NULL;
    *n_negative = 0;
    size_t *idx = lr_mem_alloc((p ? p : 1) * sizeof(size_t));
    double *meat = lr_mem_calloc(p * p + 1, sizeof(double));
    double *am = lr_mem_calloc(p * p + 1, sizeof(double));
    double *v = lr_mem_alloc((p ? p * p : 1) * sizeof(double));
    int rc = !idx || !meat || !am || !v ? lr_error_nomem(err) : LR_OK;
    if (!rc)
        rc = cluster_factors(fe, spec, fac, &ncl, err);
    for (size_t j = 0; !rc && j < p; j++)
        if (!sol->aliased[j])
            idx[k++] = j;
    if (!rc)
        rc = lr_clustering_init(&cl, ncl, k, err);
    if (!rc)
        rc = fold_scores(fe, sol, idx, k, fac, &cl, err);
    if (!rc)
        rc = lr_clustering_meat(&cl, meat, n_clusters, "the fixed-effects fit", err);
    double n = (double)lr_accum_nobs(fe->acc), rank = (double)sol->rank;
    if (!rc && !(n > rank))
        rc = lr_error_set(err, LR_EDATA,
                          "the clustered covariance needs more observations "
                          "than coefficients");
    if (!rc) {
        double scale = (n - 1) / (n - rank);
        for (size_t a = 0; a < k; a++) /* the full meat from its upper triangle */
            for (size_t z = 0; z < a; z++)
                meat[z * k + a] = meat[a * k + z];
        lr_fe_sandwich_apply(sol, idx, k, meat, scale, am, v);
        for (size_t a = 0; a < k; a++)
            *n_negative += LR_AT(v, p, idx[a], idx[a]) < 0;
        rc = lr_fe_add_note(fe, err,
                            "the Wald F statistic under the robust covariance would test every "
                            "dummy too, whose covariance is not formed: NA");
    }
    if (!rc) {
        *vcov_out = v;
        v = NULL;
    }
    lr_clustering_free(&cl);
    lr_mem_free(idx, (p ? p : 1) * sizeof(size_t));
    lr_mem_free(meat, (p * p + 1) * sizeof(double));
    lr_mem_free(am, (p * p + 1) * sizeof(double));
    lr_mem_free(v, (p ? p * p : 1) * sizeof(double));
    return rc;
}
