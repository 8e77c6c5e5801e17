/*
 * fe_rank.c — the rank of the dummies of a third and further fixed effect.
 *
 * rank[D_1 ... D_F] = rank[D_1 D_2] + Σ_{f≥3} rank(D_f − P_{<f} D_f), where
 * P_{<f} projects on the dummies of the factors before f. The first term is
 * exact by counting components (fixed_effects.c). For the others, each level
 * of factor f is an indicator column, demeaned on the factors before it by
 * the same alternating projections as the data (fe_demean.c); the rank of
 * what is left is the number of eigenvalues of its Gram matrix above
 * LR_FE_RANK_TOL of the largest level weight. A factor nested in an earlier
 * one (region within firm) adds nothing; one crossed with them adds its
 * levels less one. This costs (levels before f) × (levels of f) doubles
 * four times over, so beyond LR_FE_RANK_CELLS the count lfe uses (levels
 * less one) is taken instead, and a note says so.
 */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "fixed_effects_impl.h"

#define LR_FE_RANK_CELLS ((size_t)1 << 21)
#define LR_FE_RANK_TOL 1e-8

/*
 * A pass over the kept rows. Without alpha: Σ w of each (earlier level,
 * level of f) pair into sum, and per level of f into wl. With alpha: the
 * Gram matrix (upper triangle, L × L) of the indicators of f's levels less
 * their projection alpha on the earlier factors (r: scratch of L).
 */
static int indicator_pass(lr_fe *fe, size_t f, const double *alpha, double *r, double *gram,
                          double *sum, double *wl, lr_error *err)
{
    size_t L = fe->f[f].nlev;
    for (size_t b = 0; b < fe->nblocks; b++) {
        int rc = lr_fe_load(fe, b, 0, err);
        if (rc)
            return rc;
        for (size_t k = 0; k < fe->nlive; k++) {
            size_t i = fe->live[k];
            uint32_t lf = fe->ids[f * LR_FE_BLOCK + i];
            double w = fe->w[i];
            if (!alpha) {
                wl[lf] += w;
                for (size_t g = 0; g < f; g++)
                    sum[(fe->lev_off[g] + fe->ids[g * LR_FE_BLOCK + i]) * L + lf] += w;
                continue;
            }
            for (size_t c = 0; c < L; c++)
                r[c] = c == lf ? 1.0 : 0.0;
            for (size_t g = 0; g < f; g++) {
                const double *a = alpha + (fe->lev_off[g] + fe->ids[g * LR_FE_BLOCK + i]) * L;
                for (size_t c = 0; c < L; c++)
                    r[c] -= a[c];
            }
            for (size_t c = 0; c < L; c++)
                for (size_t d = 0; d <= c; d++)
                    gram[c * L + d] += w * r[c] * r[d];
        }
    }
    return LR_OK;
}

int lr_fe_further_rank(lr_fe *fe, size_t f, double tol, unsigned max_iter, const char *source,
                       size_t *rank, int *exact, lr_error *err)
{
    size_t L = fe->f[f].nlev, nl = fe->lev_off[f], cells;
    *exact = !lr_mul_overflows(nl + 1, L, &cells) && cells <= LR_FE_RANK_CELLS;
    if (!*exact) {
        *rank = fe->f[f].used - 1;
        return LR_OK;
    }
    double *a[4], *wl = lr_mem_calloc(L, sizeof(double)), *scale = lr_mem_calloc(L, sizeof(double));
    double *gram = lr_mem_calloc(L * L, sizeof(double)), *ev = lr_mem_calloc(L, sizeof(double));
    int rc = !wl || !scale || !gram || !ev ? lr_error_nomem(err) : LR_OK;
    for (int k = 0; k < 4; k++)
        if (!(a[k] = lr_mem_calloc(cells, sizeof(double))))
            rc = lr_error_nomem(err);
    unsigned iters = fe->iters;
    double achieved = fe->achieved;
    if (!rc)
        rc = indicator_pass(fe, f, NULL, NULL, NULL, a[3], wl, err);
    double wmax = 0;
    for (size_t c = 0; !rc && c < L; c++) {
        scale[c] = sqrt(wl[c] / fe->wtotal);
        wmax = wl[c] > wmax ? wl[c] : wmax;
    }
    double *t = rc ? NULL : lr_mem_calloc(cells, sizeof(double));
    if (!rc && !t)
        rc = lr_error_nomem(err);
    lr_fe_problem pr = {f, L, a[3], scale, a[0], a[1], a[2], t};
    if (!rc)
        rc = lr_fe_solve(fe, &pr, tol, max_iter, source, err);
    if (!rc)
        rc = indicator_pass(fe, f, a[0], ev, gram, NULL, NULL, err);
    if (!rc &&
        LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)L, gram, (lapack_int)L, ev) != 0)
        rc = lr_error_set(err, LR_ELAPACK, "dsyev failed on the fixed effects' Gram matrix");
    *rank = 0;
    for (size_t c = 0; !rc && c < L; c++)
        *rank += ev[c] > LR_FE_RANK_TOL * wmax;
    fe->iters = iters;
    fe->achieved = achieved;
    for (int k = 0; k < 4; k++)
        lr_mem_free(a[k], a[k] ? cells * sizeof(double) : 0);
    lr_mem_free(t, t ? cells * sizeof(double) : 0);
    lr_mem_free(wl, L * sizeof(double));
    lr_mem_free(scale, L * sizeof(double));
    lr_mem_free(gram, L * L * sizeof(double));
    lr_mem_free(ev, L * sizeof(double));
    return rc;
}
