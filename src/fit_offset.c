/*
 * fit_offset.c — R's regression sum of squares for a model with offset(z).
 *
 * lm fits y − z, so β, the residuals, σ and the log-likelihood are those of
 * that fit. R's summary.lm (R 4.2) takes mss from the fitted values, which
 * include the offset: with u = Xβ + z,
 *
 *   mss = Σ w (u − ū)²        with an intercept (ū the weighted mean of u),
 *   mss = Σ w u²              without,
 *
 * so R², adjusted R² and F are not those of the y − z fit. Both come from the
 * accumulator, whose columns hold the model's columns and the offset's: with
 * v the coefficients over those columns (the offset's is 1, an aliased
 * coefficient's 0) and M their weighted centred cross products,
 *
 *   Σ w (u − ū)² = vᵀ M v,    Σ w u² = vᵀ M v + W (vᵀ μ + β₀)²,
 *
 * μ the weighted column means and W the sum of the weights.
 */
#include <math.h>

#include "fit_offset.h"

double lr_offset_mss(const lr_accum *acc, const lr_model_spec *spec, const lr_solution *sol,
                     size_t offset_col)
{
    size_t ld;
    const double *m = lr_accum_comoments(acc, &ld);
    const double *mu = lr_accum_mean(acc);
    size_t icpt = spec->intercept ? 1 : 0;
    if (!m) /* out of memory for RᵀR: R² and F become NA */
        return NAN;
    /* the columns: the model's (beyond the intercept), then the offset */
    long double quad = 0, mean = icpt && !sol->aliased[0] ? sol->beta[0] : 0;
    for (size_t a = 0; a <= spec->q; a++) {
        size_t ca = a < spec->q ? spec->cols[a] : offset_col;
        double va = a < spec->q ? (sol->aliased[a + icpt] ? 0 : sol->beta[a + icpt]) : 1.0;
        if (ca == SIZE_MAX || va == 0)
            continue;
        mean += (long double)va * mu[ca];
        for (size_t b = 0; b <= spec->q; b++) {
            size_t cb = b < spec->q ? spec->cols[b] : offset_col;
            double vb = b < spec->q ? (sol->aliased[b + icpt] ? 0 : sol->beta[b + icpt]) : 1.0;
            if (cb == SIZE_MAX || vb == 0)
                continue;
            /* M's upper triangle is the valid one */
            double mab = ca <= cb ? LR_AT(m, ld, ca, cb) : LR_AT(m, ld, cb, ca);
            quad += (long double)va * vb * mab;
        }
    }
    if (spec->intercept)
        return (double)quad;
    return (double)(quad + (long double)lr_accum_weight(acc) * mean * mean);
}
