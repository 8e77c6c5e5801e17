/*
 * fe_demean.c — the demeaning: alternating projections over the spool,
 * accelerated, then the demeaned statistics and the sandwich of the slopes.
 *
 * For each column x (the response and every model column) the fixed effects
 * α = (α_1, ..., α_F) minimise Σ w (x − Σ_f α_f[id_f])². A sweep (block
 * Gauss–Seidel, Gaure 2013) solves for one factor at a time given the
 * others:
 *     α_f[l] = (Σ_{i∈l} w x_i − Σ_{i∈l} w Σ_{g≠f} α_g[id_g(i)]) / Σ_{i∈l} w,
 * the first sum kept per level from the start, the second a pass over the
 * level ids only (the columns are not read). One factor is one exact sweep.
 * For more, Irons & Tuck (1969) extrapolation, as fixest: with
 * X, G(X), G(G(X)), per column
 *     X' = GGX − (ΔGX · Δ²X / Δ²X · Δ²X) ΔGX,  ΔGX = GGX − GX,
 *     Δ²X = GGX − 2 GX + X.
 * Convergence: a sweep that changes no effect of column c by more than
 * tol × rms(c) (the column's root mean square about the first pass's mean).
 * At LR_FE_TOL = 1e-13 the slopes agree with lm's on the dummies to 1e-9 or
 * better on the shipped panels (tests/test_fixed_effects.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixed_effects_impl.h"

/* End of the level arrays of the first nfac factors. */
static size_t levels_of(const lr_fe *fe, size_t nfac)
{
    return nfac < fe->nf ? fe->lev_off[nfac] : fe->nlevels;
}

/* One sweep over the first pr->nfac factors: out = G(in). */
static int sweep(lr_fe *fe, const lr_fe_problem *pr, const double *in, double *out, lr_error *err)
{
    size_t m = pr->m, nf = pr->nfac;
    memcpy(out, in, levels_of(fe, nf) * m * sizeof(double));
    for (size_t f = 0; f < nf; f++) {
        const fe_factor *ff = &fe->f[f];
        double *t = pr->t + fe->lev_off[f] * m;
        memset(t, 0, ff->nlev * m * sizeof(double));
        for (size_t b = 0; nf > 1 && b < fe->nblocks; b++) {
            int rc = lr_fe_load(fe, b, 0, err);
            if (rc)
                return rc;
            for (size_t k = 0; k < fe->nlive; k++) {
                size_t i = fe->live[k];
                double w = fe->w[i];
                double *ti = t + (size_t)fe->ids[f * LR_FE_BLOCK + i] * m;
                for (size_t g = 0; g < nf; g++) {
                    if (g == f)
                        continue;
                    const double *a = out + (fe->lev_off[g] + fe->ids[g * LR_FE_BLOCK + i]) * m;
                    for (size_t c = 0; c < m; c++)
                        ti[c] += w * a[c];
                }
            }
        }
        for (size_t l = 0; l < ff->nlev; l++) {
            size_t o = fe->lev_off[f] + l;
            double W = fe->wsum[o];
            for (size_t c = 0; c < m; c++)
                out[o * m + c] = W > 0 ? (pr->sum[o * m + c] - t[l * m + c]) / W : 0.0;
        }
    }
    fe->iters++;
    if (fe->opt) /* a sweep reads every row: a call each is nothing */
        lr_progress_send(fe->opt->progress, fe->opt->progress_ud, "demeaning", "sweeps", fe->iters,
                         0, 0);
    return LR_OK;
}

/* The largest change of a sweep, relative to each column's scale. */
static double change(const lr_fe *fe, const lr_fe_problem *pr, const double *a, const double *b)
{
    double worst = 0;
    size_t nl = levels_of(fe, pr->nfac), m = pr->m;
    for (size_t c = 0; c < m; c++) {
        double scale = pr->scale[c], d = 0;
        if (!(scale > 0))
            continue;
        for (size_t l = 0; l < nl; l++) {
            double v = fabs(a[l * m + c] - b[l * m + c]);
            d = v > d ? v : d;
        }
        worst = d / scale > worst ? d / scale : worst;
    }
    return worst;
}

/* X := GGX − (ΔGX · Δ²X / Δ²X · Δ²X) ΔGX, column by column. */
static void irons_tuck(const lr_fe *fe, const lr_fe_problem *pr, double *x, const double *gx,
                       const double *ggx)
{
    size_t nl = levels_of(fe, pr->nfac), m = pr->m;
    for (size_t c = 0; c < m; c++) {
        double num = 0, den = 0;
        for (size_t l = 0; l < nl; l++) {
            size_t o = l * m + c;
            double d1 = ggx[o] - gx[o], d2 = ggx[o] - 2.0 * gx[o] + x[o];
            num += d1 * d2;
            den += d2 * d2;
        }
        double k = den > 0 ? num / den : 0.0;
        for (size_t l = 0; l < nl; l++) {
            size_t o = l * m + c;
            x[o] = ggx[o] - k * (ggx[o] - gx[o]);
        }
    }
}

int lr_fe_solve(lr_fe *fe, const lr_fe_problem *pr, double tol, unsigned max_iter,
                const char *source, lr_error *err)
{
    size_t cells = levels_of(fe, pr->nfac) * pr->m;
    double *x = pr->alpha, *gx = pr->ga, *ggx = pr->gga;
    int rc;
    unsigned start = fe->iters;
    for (;;) {
        if ((rc = sweep(fe, pr, x, gx, err)))
            return rc;
        if (pr->nfac == 1 || (fe->achieved = change(fe, pr, x, gx)) <= tol) {
            memcpy(x, gx, cells * sizeof(double));
            return LR_OK;
        }
        if ((rc = sweep(fe, pr, gx, ggx, err)))
            return rc;
        if ((fe->achieved = change(fe, pr, gx, ggx)) <= tol) {
            memcpy(x, ggx, cells * sizeof(double));
            return LR_OK;
        }
        if (fe->iters - start >= max_iter)
            return lr_error_set(err, LR_EDATA,
                                "%s: the fixed effects did not converge in %u "
                                "sweeps: the last changed an effect by %.3g of its column's "
                                "scale (tolerance %.3g); raise --fe-max-iter or --fe-tol",
                                source, fe->iters - start, fe->achieved, tol);
        irons_tuck(fe, pr, x, gx, ggx);
    }
}

int lr_fe_demean(lr_fe *fe, double tol, unsigned max_iter, const char *source, lr_error *err)
{
    size_t cells = fe->nlevels * fe->m + 1;
    if (!(fe->alpha = lr_mem_calloc(cells, sizeof(double))) ||
        !(fe->ga = lr_mem_calloc(cells, sizeof(double))) ||
        !(fe->gga = lr_mem_calloc(cells, sizeof(double))) ||
        !(fe->t = lr_mem_calloc(cells, sizeof(double))) ||
        !(fe->scale = lr_mem_calloc(fe->m, sizeof(double))))
        return lr_error_nomem(err);
    for (size_t c = 0; c < fe->m; c++)
        fe->scale[c] = sqrt(fe->colss[c] / fe->wtotal);
    lr_fe_problem pr = {fe->nf, fe->m, fe->sum, fe->scale, fe->alpha, fe->ga, fe->gga, fe->t};
    int rc = lr_fe_solve(fe, &pr, tol, max_iter, source, err);
    if (rc)
        return rc;
    char note[512];
    if (fe->nf == 1)
        snprintf(note, sizeof note, "demeaned exactly (one fixed effect: its level means)");
    else
        snprintf(note, sizeof note,
                 "demeaned by alternating projections (Irons-Tuck "
                 "accelerated): %u sweeps, last change %.2g of a column's scale (tolerance %.2g)",
                 fe->iters, fe->achieved, tol);
    return lr_fe_add_note(fe, err, note);
}

/* The demeaned rows of the block just read (alive ones only, compacted into
 * blk, m × LR_FE_BLOCK, and wb); returns their number. */
size_t lr_fe_demeaned_block(const lr_fe *fe, size_t nb, double *blk, double *wb)
{
    size_t k = 0, m = fe->m;
    for (size_t i = 0; i < nb; i++) {
        if (!lr_fe_row_alive(fe, i))
            continue;
        for (size_t c = 0; c < m; c++) {
            double v = fe->x[c * LR_FE_BLOCK + i];
            for (size_t f = 0; f < fe->nf; f++)
                v -= fe->alpha[(fe->lev_off[f] + fe->ids[f * LR_FE_BLOCK + i]) * m + c];
            blk[c * LR_FE_BLOCK + k] = fe->collinear && fe->collinear[c] ? 0.0 : v;
        }
        wb[k++] = fe->w[i];
    }
    return k;
}

/* A model column whose demeaned root mean square is below this fraction of
 * its own is in the span of the dummies (constant within a factor's levels,
 * or a sum of such): aliased, as fixest removes it. The demeaning leaves
 * about tol of the scale, so the gap between the two is wide. */
#define LR_FE_COLLINEAR 1e-9

/* Progress of a pass over the spool's blocks: block b is done (b = 0 for the
 * pass's start), in rows. */
static void block_progress(const lr_fe *fe, const char *pass, size_t b, uint64_t *rows)
{
    if (!fe->opt)
        return;
    *rows = b ? *rows + lr_fe_block_rows(fe, b - 1) : 0;
    lr_progress_send(fe->opt->progress, fe->opt->progress_ud, pass, "rows", *rows, fe->nrows, 0);
}

int lr_fe_accumulate(lr_fe *fe, lr_kernel kernel, const char *const *names, lr_error *err)
{
    static const char check[] = "fixed effects: checking collinearity",
                      acc[] = "fixed effects: accumulating";
    size_t m = fe->m;
    uint64_t rows = 0;
    double *blk = lr_mem_alloc(m * LR_FE_BLOCK * sizeof(double));
    double *wb = lr_mem_alloc(LR_FE_BLOCK * sizeof(double));
    double *ss = lr_mem_calloc(m, sizeof(double));
    fe->names = names;
    int rc = !blk || !wb || !ss ? lr_error_nomem(err) : LR_OK;
    for (size_t b = 0; !rc && b < fe->nblocks; b++) {
        block_progress(fe, check, b, &rows);
        if ((rc = lr_fe_read_block(fe, b, 1, err)))
            break;
        size_t k = lr_fe_demeaned_block(fe, lr_fe_block_rows(fe, b), blk, wb);
        for (size_t c = 0; c < m; c++)
            for (size_t i = 0; i < k; i++)
                ss[c] += wb[i] * blk[c * LR_FE_BLOCK + i] * blk[c * LR_FE_BLOCK + i];
    }
    if (!rc)
        block_progress(fe, check, fe->nblocks, &rows);
    if (!rc && !(fe->collinear = lr_mem_calloc(m, 1)))
        rc = lr_error_nomem(err);
    for (size_t c = 1; !rc && c < m; c++) {
        if (!(sqrt(ss[c]) <= LR_FE_COLLINEAR * sqrt(fe->colss[c])) || !(fe->colss[c] > 0))
            continue;
        fe->collinear[c] = 1;
        char note[LR_ERROR_MAX];
        snprintf(note, sizeof note,
                 "%s is collinear with the fixed effects (no variation "
                 "within their levels): removed, as fixest does",
                 names[c - 1]);
        rc = lr_fe_add_note(fe, err, note);
    }
    if (!rc)
        rc = lr_accum_create(m, kernel, &fe->acc, err);
    for (size_t b = 0; !rc && b < fe->nblocks; b++) {
        block_progress(fe, acc, b, &rows);
        if ((rc = lr_fe_read_block(fe, b, 1, err)))
            break;
        size_t k = lr_fe_demeaned_block(fe, lr_fe_block_rows(fe, b), blk, wb);
        if (k)
            rc = lr_accum_add(fe->acc, k, blk, LR_FE_BLOCK, fe->weighted ? wb : NULL, err);
    }
    if (!rc)
        block_progress(fe, acc, fe->nblocks, &rows);
    lr_mem_free(blk, m * LR_FE_BLOCK * sizeof(double));
    lr_mem_free(wb, LR_FE_BLOCK * sizeof(double));
    lr_mem_free(ss, m * sizeof(double));
    return rc;
}

/* The HC meat Σ (w e)² x̃ x̃ᵀ over the kept slopes (idx[0..k)), in block order. */
static int hc_meat(const lr_fe *fe, const lr_solution *sol, const size_t *idx, size_t k,
                   double *meat, lr_error *err)
{
    size_t m = fe->m;
    double *blk = lr_mem_alloc(m * LR_FE_BLOCK * sizeof(double));
    double *wb = lr_mem_alloc(LR_FE_BLOCK * sizeof(double));
    int rc = !blk || !wb ? lr_error_nomem(err) : LR_OK;
    for (size_t b = 0; !rc && b < fe->nblocks; b++) {
        if ((rc = lr_fe_read_block(fe, b, 1, err)))
            break;
        size_t nk = lr_fe_demeaned_block(fe, lr_fe_block_rows(fe, b), blk, wb);
        for (size_t i = 0; i < nk; i++) {
            double e = blk[i];
            for (size_t a = 0; a < k; a++)
                e -= sol->beta[idx[a]] * blk[(idx[a] + 1) * LR_FE_BLOCK + i];
            double s = wb[i] * e;
            s *= s;
            for (size_t a = 0; a < k; a++)
                for (size_t z = 0; z <= a; z++)
                    meat[a * k + z] += s * blk[(idx[a] + 1) * LR_FE_BLOCK + i] *
                                       blk[(idx[z] + 1) * LR_FE_BLOCK + i];
        }
    }
    lr_mem_free(blk, m * LR_FE_BLOCK * sizeof(double));
    lr_mem_free(wb, LR_FE_BLOCK * sizeof(double));
    return rc;
}

void lr_fe_sandwich_apply(const lr_solution *sol, const size_t *idx, size_t k, const double *meat,
                          double scale, double *am, double *v)
{
    size_t p = sol->p;
    for (size_t a = 0; a < k; a++) /* A M */
        for (size_t z = 0; z < k; z++) {
            double s = 0;
            for (size_t r = 0; r < k; r++)
                s += LR_AT(sol->xtx_inv, p, idx[a], idx[r]) * meat[z * k + r];
            am[z * k + a] = s;
        }
    for (size_t j = 0; j < p * p; j++)
        v[j] = (double)NAN;
    for (size_t a = 0; a < k; a++) /* (A M) A */
        for (size_t z = 0; z < k; z++) {
            double s = 0;
            for (size_t r = 0; r < k; r++)
                s += am[r * k + a] * LR_AT(sol->xtx_inv, p, idx[r], idx[z]);
            LR_AT(v, p, idx[a], idx[z]) = scale * s;
        }
}

/* The slopes' sandwich V = c A M A, A = (X̃ᵀWX̃)⁻¹ (the slope block of the
 * dummies' model's (XᵀWX)⁻¹, by Frisch–Waugh–Lovell, and the residuals are
 * the same), c = 1 (HC0) or n / (n − rank) (HC1, rank with the dummies'). */
static int sandwich(const lr_fe *fe, const lr_solution *sol, lr_vcov vcov, double **out,
                    lr_error *err)
{
    size_t p = sol->p, k = 0;
    size_t *idx = lr_mem_alloc((p + 1) * sizeof(size_t));
    double *meat = lr_mem_calloc(p * p + 1, sizeof(double));
    double *am = lr_mem_calloc(p * p + 1, sizeof(double));
    double *v = lr_mem_alloc((p ? p * p : 1) * sizeof(double)); /* p × p: diag's size */
    int rc = !idx || !meat || !am || !v ? lr_error_nomem(err) : LR_OK;
    for (size_t j = 0; !rc && j < p; j++)
        if (!sol->aliased[j])
            idx[k++] = j;
    if (!rc)
        rc = hc_meat(fe, sol, idx, k, meat, err);
    if (!rc) {
        double n = (double)lr_accum_nobs(fe->acc);
        double scale = vcov == LR_VCOV_HC1 ? n / (n - (double)sol->rank) : 1.0;
        /* no residual degrees of freedom: every residual is 0, and what was
         * summed is their rounding noise (as diagnostics.c, pass_vcov) */
        if (n == (double)sol->rank)
            memset(meat, 0, k * k * sizeof(double));
        for (size_t a = 0; a < k; a++) /* full meat */
            for (size_t z = 0; z < a; z++)
                meat[z * k + a] = meat[a * k + z];
        lr_fe_sandwich_apply(sol, idx, k, meat, scale, am, v);
        *out = v;
        v = NULL;
    }
    lr_mem_free(idx, (p + 1) * sizeof(size_t));
    lr_mem_free(meat, (p * p + 1) * sizeof(double));
    lr_mem_free(am, (p * p + 1) * sizeof(double));
    lr_mem_free(v, (p ? p * p : 1) * sizeof(double));
    return rc;
}

int lr_fe_finish(lr_fe *fe, lr_solution *sol, lr_vcov vcov, double **vcov_out, lr_error *err)
{
    *vcov_out = NULL;
    /* a column in the dummies' span was zeroed: say why it is aliased */
    for (size_t j = 0; j < sol->p && fe->collinear; j++) {
        if (!fe->collinear[j + 1] || !sol->aliased[j])
            continue;
        char buf[LR_ERROR_MAX];
        snprintf(buf, sizeof buf, "%s is in the span of the fixed effects", fe->names[j]);
        char *d = lr_mem_strdup(buf);
        if (!d)
            return lr_error_nomem(err);
        if (sol->depends[j])
            lr_mem_strfree(sol->depends[j]);
        sol->depends[j] = d;
    }
    sol->rank += fe->fe_rank;
    sol->edf = (double)sol->rank;
    sol->tss = fe->tss;
    if ((double)lr_accum_nobs(fe->acc) == (double)sol->rank) {
        /* No residual degrees of freedom: the dummies and slopes pass through
         * every row, so the residual sum of squares is 0; what the demeaned
         * solve left is rounding noise (1e-34 of the total, and a logLik of
         * 146 printed from it). Nor does it limit the digits. */
        sol->rss = 0;
        sol->digits = sol->digits_kappa;
        sol->digits_by = LR_DIGITS_KAPPA;
    }
    sol->mss = fe->tss - sol->rss;
    if (vcov == LR_VCOV_HC0 || vcov == LR_VCOV_HC1) {
        int rc = lr_fe_add_note(fe, err,
                                "the Wald F statistic under the robust covariance "
                                "would test every dummy too, whose covariance is not formed: "
                                "NA");
        return rc ? rc : sandwich(fe, sol, vcov, vcov_out, err);
    }
    return LR_OK;
}

void lr_fe_demean_free(lr_fe *fe)
{
    size_t cells = fe->nlevels * fe->m + 1;
    lr_mem_free(fe->alpha, fe->alpha ? cells * sizeof(double) : 0);
    lr_mem_free(fe->ga, fe->ga ? cells * sizeof(double) : 0);
    lr_mem_free(fe->gga, fe->gga ? cells * sizeof(double) : 0);
    lr_mem_free(fe->t, fe->t ? cells * sizeof(double) : 0);
    lr_mem_free(fe->collinear, fe->collinear ? fe->m : 0);
    lr_mem_free(fe->scale, fe->scale ? fe->m * sizeof(double) : 0);
}
