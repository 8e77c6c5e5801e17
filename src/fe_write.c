/*
 * fe_write.c — the estimated fixed effects as a CSV file (--fe-out).
 *
 * The fitted value of a kept row is xᵀβ + Σ_f effect_f[level_f], where, for
 * the centred columns the demeaning worked on (x − μ),
 *     effect_f[l] = α_f,y[l] − Σ_j β_j α_f,j[l]   (+ μ_y − Σ_j β_j μ_j for f = 1),
 * the aliased slopes left out. With one factor the effects are lm's
 * intercept plus each level's dummy coefficient; with more, only their sums
 * are identified (a constant can move between factors in each connected
 * component), and these are the ones the demeaning converged to.
 * The file is written beside its destination and renamed over it, so it is
 * never left half written.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixed_effects_impl.h"

void lr_fe_effects(const lr_fe *fe, size_t p, const double *beta, const unsigned char *aliased,
                   double *out)
{
    size_t m = fe->m;
    double c0 = fe->mu[0];
    for (size_t j = 0; j < p; j++)
        if (!aliased[j])
            c0 -= beta[j] * fe->mu[j + 1];
    for (size_t k = 0; k < fe->nf; k++)
        for (size_t l = 0; l < fe->f[k].nlev; l++) {
            size_t o = fe->lev_off[k] + l;
            if (!(fe->wsum[o] > 0)) {
                out[o] = (double)NAN; /* a singleton's level, dropped */
                continue;
            }
            double e = fe->alpha[o * m] + (k == 0 ? c0 : 0.0);
            for (size_t j = 0; j < p; j++)
                if (!aliased[j])
                    e -= beta[j] * fe->alpha[o * m + j + 1];
            out[o] = e;
        }
}

static int write_effects(const lr_fe *fe, const lr_solution *sol, FILE *f, lr_error *err)
{
    double *eff = lr_mem_calloc(fe->nlevels ? fe->nlevels : 1, sizeof(double));
    if (!eff)
        return lr_error_nomem(err);
    lr_fe_effects(fe, sol->p, sol->beta, sol->aliased, eff);
    fputs("factor,level,effect\n", f);
    for (size_t k = 0; k < fe->nf; k++) {
        const fe_factor *ff = &fe->f[k];
        for (size_t r = 0; r < ff->nlev; r++) {
            uint32_t l = lr_levels_id_at(ff->lv, r); /* R's order of the levels */
            double e = eff[fe->lev_off[k] + l];
            if (isnan(e))
                continue; /* a singleton's level, dropped */
            lr_csv_write_field(f, ff->name);
            fputc(',', f);
            lr_csv_write_field(f, lr_levels_label(ff->lv, l));
            fprintf(f, ",%.17g\n", e);
        }
    }
    lr_mem_free(eff, (fe->nlevels ? fe->nlevels : 1) * sizeof(double));
    return LR_OK;
}

int lr_fe_write(const lr_fe *fe, const lr_solution *sol, const char *path, lr_error *err)
{
    /* the shared atomic writer (output_file.c): temporary, fsync, rename */
    lr_output *o = NULL;
    int rc = lr_output_open(path, &o, err);
    if (rc)
        return rc;
    if ((rc = write_effects(fe, sol, lr_output_stream(o), err))) {
        lr_output_discard(o);
        return rc;
    }
    return lr_output_commit(o, err);
}
