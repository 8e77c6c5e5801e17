/*
 * solver.c — from the reduced problem (the predictors) to the full solution.
 *
 * With an intercept every method works with the centred predictors: the
 * model matrix is shifted, Z = [1, X − 1μᵀ], so ZᵀZ = diag(W, M) and
 * X = Z A with A = [[1, μᵀ], [0, I]]; the shift is undone exactly:
 *     β = A⁻¹ β_Z:  β₀ = μ_y − μᵀβ_x,
 *     (XᵀX)⁻¹ = A⁻¹ diag(1/W, M⁻¹) A⁻ᵀ:
 *         V₀₀ = 1/W + μᵀ M⁻¹ μ,  V₀ⱼ = −(M⁻¹ μ)ⱼ,  Vᵢⱼ = (M⁻¹)ᵢⱼ.
 * Without an intercept nothing is shifted.
 *
 * Aliased columns (R's NA coefficients) get NaN in β and in their rows and
 * columns of (XᵀX)⁻¹, and a description of the dependency.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"

int lr_column_is_constant(double centred_norm, double wsum, double mean)
{
    return !(centred_norm > 100.0 * DBL_EPSILON * fabs(mean) * sqrt(wsum));
}

int lr_reduced_alloc(lr_reduced *r, size_t q, lr_error *err)
{
    size_t n = q ? q : 1;
    memset(r, 0, sizeof *r);
    r->q = q;
    r->keep = lr_mem_calloc(n, 1);
    r->zero = lr_mem_calloc(n, 1);
    r->beta = lr_mem_calloc(n, sizeof(double));
    r->v = lr_mem_calloc(n * n, sizeof(double));
    r->dep = lr_mem_calloc(n * n, sizeof(double));
    r->hmu = lr_mem_calloc(n, sizeof(double));
    if (!r->keep || !r->zero || !r->beta || !r->v || !r->dep || !r->hmu) {
        lr_reduced_free(r);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

void lr_reduced_free(lr_reduced *r)
{
    size_t n = r->q ? r->q : 1;
    lr_mem_free(r->keep, n);
    lr_mem_free(r->zero, n);
    lr_mem_free(r->beta, n * sizeof(double));
    lr_mem_free(r->v, n * n * sizeof(double));
    lr_mem_free(r->dep, n * n * sizeof(double));
    lr_mem_free(r->hmu, n * sizeof(double));
    memset(r, 0, sizeof *r);
}

/*
 * β comes out right for data near the ends of a double's range (the QR
 * factor is formed with scaled norms), but the sums of squares and (XᵀX)⁻¹
 * are squares of the data: around 1e±154 they overflow to Inf or underflow
 * to zero or to subnormals, and σ, the standard errors, t and p would be
 * wrong (an SE of Inf, t = 0, p = 1). That is an error, not a report.
 */
int lr_solution_check_range(const lr_solution *sol, int ridge, int intercept, const char *source,
                            lr_error *err)
{
    /* A subnormal x carries about log10(x / 2^-1074) digits; below 2^-1034
     * that is fewer than 12, and zero (underflow) none. Sums of squares that
     * overflow, or an (XᵀX)⁻¹ that underflows, mean values too large; sums
     * that underflow, or an (XᵀX)⁻¹ that overflows, values too small. */
    const double tiny = 0x1p-1034;
    int large = !isfinite(sol->rss) || !isfinite(sol->tss) || !isfinite(sol->mss);
    int small = (sol->tss > 0 && sol->tss < tiny) || (sol->rss > 0 && sol->rss < tiny);
    /* TSS = 0 says the response is constant; then Xᵀy_c = 0 and every slope
     * is exactly 0. A nonzero slope with TSS = 0 means y_c's squares
     * underflowed to zero (a response of magnitude 1e-200), not a constant. */
    for (size_t j = intercept ? 1 : 0; !ridge && sol->tss == 0 && j < sol->p && !small; j++)
        small |= !(sol->aliased && sol->aliased[j]) && sol->beta[j] != 0;
    for (size_t j = 0; !ridge && !sol->no_se && j < sol->p && !large && !small; j++) {
        if (sol->aliased && sol->aliased[j])
            continue;
        double v = LR_AT(sol->xtx_inv, sol->p, j, j);
        small |= !(v <= DBL_MAX);
        large |= !(v >= tiny);
    }
    if (!large && !small)
        return LR_OK;
    return lr_error_set(err, LR_ERANGE,
                        "%s%svalues too %s for double precision: their squares %s (magnitudes "
                        "%s about 1e%s154), so the standard errors cannot be computed; rescale "
                        "the data (multiply or divide the columns by a power of ten)",
                        source ? source : "", source ? ": " : "", large ? "large" : "small",
                        large ? "overflow" : "underflow", large ? "beyond" : "below",
                        large ? "" : "-");
}

void lr_solution_free(lr_solution *s)
{
    if (!s)
        return;
    if (s->depends)
        for (size_t j = 0; j < s->p; j++)
            lr_mem_strfree(s->depends[j]);
    lr_mem_free(s->depends, s->p * sizeof(char *));
    lr_mem_free(s->aliased, s->p);
    lr_mem_free(s->beta, s->p * sizeof(double));
    lr_mem_free(s->xtx_inv, s->p * s->p * sizeof(double));
    memset(s, 0, sizeof *s);
}

/* x with the fewest significant digits (at least 6) that read back as x. */
static void shortest_g(double x, char out[32])
{
    for (int d = 6; d <= 17; d++) {
        snprintf(out, 32, "%.*g", d, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

char *lr_describe_dependency(const lr_model_spec *spec, size_t j, int zero,
                             const unsigned char *keep, const double *coef, double constant,
                             double scale)
{
    char cbuf[32];
    char buf[LR_ERROR_MAX];
    size_t n = 0;
    const char *name = spec->names[j];
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(buf + n, sizeof buf - n, __VA_ARGS__);                                   \
        if (k_ > 0)                                                                                \
            n += (size_t)k_ < sizeof buf - n ? (size_t)k_ : sizeof buf - n - 1;                    \
    } while (0)
    if (spec->cols[j] == SIZE_MAX) {
        PUT("%s is zero in every row used (no row has this combination of levels)", name);
    } else if (zero) {
        /* the value with every digit it needs: 9007199254740993 is not 9.0072e+15 */
        shortest_g(constant, cbuf);
        if (spec->intercept && zero == 2)
            PUT("%s is constant to working precision (mean %s): it is collinear with the "
                "intercept",
                name, cbuf);
        else if (spec->intercept)
            PUT("%s is constant (%s in every row used): it is collinear with the intercept", name,
                cbuf);
        else
            PUT("%s is zero in every row used", name);
    } else {
        if (!(fabs(constant) > LR_DEP_NOISE * scale))
            constant = 0; /* rounding noise (6.2e-81 from the extended path) */
        double big = 0;
        for (size_t i = 0; i < spec->q; i++)
            if (keep[i] && fabs(coef[i]) > big)
                big = fabs(coef[i]);
        PUT("%s =", name);
        int first = 1;
        for (size_t i = 0; i < spec->q; i++) {
            double c = coef[i];
            if (!keep[i] || !(fabs(c) > LR_DEP_NOISE * big))
                continue;
            if (fabs(c - 1) < 1e-9)
                PUT("%s %s", first ? "" : " +", spec->names[i]);
            else if (fabs(c + 1) < 1e-9)
                PUT(" %s%s", first ? "-" : "- ", spec->names[i]);
            else
                PUT("%s %.6g * %s", first ? "" : (c < 0 ? " -" : " +"), first ? c : fabs(c),
                    spec->names[i]);
            first = 0;
        }
        if (spec->intercept && constant != 0 && !first)
            PUT(" %s %.6g", constant < 0 ? "-" : "+", fabs(constant));
        else if (spec->intercept && first)
            PUT(" %.6g", constant);
        else if (first)
            PUT(" 0");
    }
#undef PUT
    return lr_mem_strdup(buf);
}

/* The double path's description: coefficients on centred columns; the
 * constant restores the means (and is rounding noise when tiny). */
static char *describe_dependency(const lr_model_spec *spec, const lr_reduced *r, size_t j,
                                 const double *mu)
{
    double *coef = r->dep + j * r->q; /* column j of dep */
    double c0 = mu ? mu[j] : 0.0, scale = fabs(c0);
    for (size_t i = 0; i < r->q; i++)
        if (r->keep[i] && mu) {
            c0 -= coef[i] * mu[i];
            if (fabs(coef[i] * mu[i]) > scale)
                scale = fabs(coef[i] * mu[i]);
        }
    if (r->zero[j])
        c0 = mu ? mu[j] : 0.0;
    return lr_describe_dependency(spec, j, r->zero[j], r->keep, coef, c0, scale);
}

/* Estimated significant digits of the coefficients, from the first-order
 * perturbation theory of least squares (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., §20.1): with κ the condition number of the
 * scaled, centred columns, θ the angle between the response and its fit
 * (tan θ = ‖r‖ / ‖ŷ − ȳ‖ = √(RSS / (TSS − RSS))) and relative perturbations ε
 * of the columns, ‖δβ‖/‖β‖ ≲ ε (κ + κ² tan θ). Two sources of ε:
 *   - rounding the decimal data to double: u |x|, which against the centred
 *     column is u ρ (ρ = √(1 + W μ²/Σ w (x − μ)²)): data far from their means
 *     lose digits however they are solved;
 *   - the solve: u for a backward-stable QR, and u κ for the normal
 *     equations, whose error is u κ² sec θ instead.
 * The κ² tan θ term is (AᵀA)⁻¹ δAᵀ r; its worst case needs δA aligned with
 * the residual, and rounding errors that are not make it about √n smaller
 * (a sum of n terms of random sign). Measured against 256-bit fits of
 * 10,000 × 40 files (docs/accuracy.md), the estimate
 *   e = u (q + 1) (κ ρ + κ² tan θ / √n)   (QR, SVD)
 *   e = u (q + 1) (max(κ², κ ρ) + κ² (sec θ − 1))   (normal equations;
 *       u (q + 1) κ² sec θ whenever κ ≥ ρ)
 * was 0.4–4.2 digits pessimistic for qr (5.2 on one file), where u (q + 1) κ alone promised up
 * to 2.5 digits too many. And u √(TSS / RSS) for the residual sum of squares (a tiny residual is a
 * difference of large numbers). The slopes' terms need slopes (rank > 0): an intercept alone is a
 * mean. *by: which term binds, so that a note blames the right cause. */
static double estimate_digits(const lr_reduced *red, size_t q, double nobs, double rss,
                              lr_digits_cause *by)
{
    double u = DBL_EPSILON / 2, tss = red->tss;
    double rho = red->rho >= 1 ? red->rho : 1.0;
    double kappa = red->rcond > 0 ? 1.0 / red->rcond : 0.0;
    double e = red->rcond > 0 ? (red->squared ? u * kappa * kappa : u * kappa) : 1.0;
    *by = LR_DIGITS_KAPPA;
    if (red->rcond > 0 && rho * u * kappa > e) {
        e = rho * u * kappa;
        if (rho > 2)
            *by = LR_DIGITS_OFFSET;
    }
    if (red->rank > 0 && red->rcond > 0 && tss > 0 && rss > 0) {
        double fit = tss - rss > u * tss ? tss - rss : u * tss;
        double tan_theta = sqrt(rss / fit);
        double el = red->squared ? u * kappa * kappa * sqrt(1.0 + tan_theta * tan_theta)
                                 : u * kappa * kappa * tan_theta / sqrt(nobs > 1 ? nobs : 1.0);
        if (el > e && *by == LR_DIGITS_KAPPA && el > 2 * u * kappa * (red->squared ? kappa : 1))
            *by = LR_DIGITS_RESIDUAL;
        e += red->squared ? el - u * kappa * kappa : el;
    }
    if (tss > 0 && rss > 0) {
        double er = u * sqrt(tss / rss);
        if (er > e) {
            e = er;
            *by = LR_DIGITS_RSS;
        }
    } else if (tss > 0 && rss == 0) {
        e = e > u ? e : u;
    }
    e *= (double)(q + 1);
    double d = -log10(e);
    if (d > 15.9)
        d = 15.9;
    if (d < 0)
        d = 0;
    return d;
}

void lr_digits_risk(const lr_solution *sol, double kappa, char *buf, size_t cap)
{
    if (sol->digits_by == LR_DIGITS_RSS && sol->rss == 0)
        snprintf(buf, cap, "residual sum of squares 0: an exact fit");
    else if (sol->digits_by == LR_DIGITS_RSS)
        snprintf(buf, cap, "residual sum of squares %.2g of the total: a near-exact fit",
                 sol->rss / sol->tss);
    else if (sol->digits_by == LR_DIGITS_OFFSET)
        snprintf(buf, cap,
                 "condition number %.3g, and data up to %.2g times their spread, whose "
                 "rounding to double weighs that much more",
                 kappa, sol->rho);
    else if (sol->digits_by == LR_DIGITS_RESIDUAL)
        snprintf(buf, cap,
                 "condition number %.3g, squared by residuals %.2g times the fitted "
                 "values' spread",
                 kappa, sqrt(sol->rss / fmax(sol->tss - sol->rss, DBL_EPSILON * sol->tss)));
    else
        snprintf(buf, cap, "condition number %.3g", kappa);
}

int lr_solve(const lr_accum *acc, const lr_model_spec *spec, lr_method method, lr_solution *out,
             lr_error *err)
{
    size_t q = spec->q;
    int icpt = spec->intercept ? 1 : 0;
    size_t p = q + (size_t)icpt;
    double wsum = lr_accum_weight(acc);
    lr_reduced red;
    int rc;

    memset(out, 0, sizeof *out);
    if (p == 0)
        return lr_error_set(err, LR_EUSAGE, "the model has no coefficients");
    if (p > (size_t)INT32_MAX / 4 || p * p > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "too many coefficients (%zu)", p);
    if (!(wsum > 0))
        return lr_error_set(err, LR_EDATA, "no observations with nonzero weight");
    if ((lr_accum_kernel(acc) == LR_KERNEL_QR) != (lr_method_kernel(method) == LR_KERNEL_QR))
        return lr_error_set(err, LR_EUSAGE, "the accumulator's kernel does not suit method %s",
                            lr_method_name(method));

    double *mu = lr_mem_calloc(q ? q : 1, sizeof(double));
    if (!mu)
        return lr_error_nomem(err);
    if ((rc = lr_reduced_alloc(&red, q, err))) {
        lr_mem_free(mu, (q ? q : 1) * sizeof(double));
        return rc;
    }
    const double *amu = lr_accum_mean(acc);
    for (size_t j = 0; j < q; j++)
        mu[j] = spec->cols[j] == SIZE_MAX ? 0.0 : amu[spec->cols[j]];
    red.mu = icpt ? mu : NULL;
    rc = lr_method_kernel(method) == LR_KERNEL_QR ? lr_solve_factor(acc, spec, method, &red, err)
                                                  : lr_solve_normal(acc, spec, method, &red, err);
    if (rc)
        goto fail;

    out->p = p;
    out->beta = lr_mem_calloc(p, sizeof(double));
    out->xtx_inv = lr_mem_calloc(p * p, sizeof(double));
    out->aliased = lr_mem_calloc(p, 1);
    out->depends = lr_mem_calloc(p, sizeof(char *));
    if (!out->beta || !out->xtx_inv || !out->aliased || !out->depends) {
        rc = lr_error_nomem(err);
        goto fail;
    }

    /* Slopes, their covariance, aliasing. */
    for (size_t j = 0; j < q; j++) {
        size_t c = j + (size_t)icpt;
        if (red.keep[j]) {
            out->beta[c] = red.beta[j];
        } else {
            out->beta[c] = (double)NAN;
            out->aliased[c] = 1;
            out->depends[c] = describe_dependency(spec, &red, j, spec->intercept ? mu : NULL);
            if (!out->depends[c]) {
                rc = lr_error_nomem(err);
                goto fail;
            }
        }
        for (size_t i = 0; i < q; i++) {
            size_t r = i + (size_t)icpt;
            LR_AT(out->xtx_inv, p, r, c) =
                (red.keep[i] && red.keep[j]) ? LR_AT(red.v, q, i, j) : (double)NAN;
        }
    }
    /* The intercept: undo the shift (top of this file). The QR methods give
     * M⁻¹μ and μᵀM⁻¹μ from their triangle (a sum of squares); the normal
     * equations' from M⁻¹'s entries, whose quadratic form may cancel, as
     * that method's κ² does. */
    if (icpt) {
        double mb = 0, mhm = 0;
        for (size_t j = 0; j < q; j++) {
            if (!red.keep[j])
                continue;
            mb += mu[j] * red.beta[j];
            double hj = 0; /* (M⁻¹ μ)ⱼ */
            if (red.has_mhm)
                hj = red.hmu[j];
            else
                for (size_t i = 0; i < q; i++)
                    if (red.keep[i])
                        hj += LR_AT(red.v, q, j, i) * mu[i];
            mhm += mu[j] * hj;
            LR_AT(out->xtx_inv, p, 0, j + 1) = -hj;
            LR_AT(out->xtx_inv, p, j + 1, 0) = -hj;
        }
        for (size_t j = 0; j < q; j++)
            if (!red.keep[j])
                LR_AT(out->xtx_inv, p, 0, j + 1) = LR_AT(out->xtx_inv, p, j + 1, 0) = (double)NAN;
        out->beta[0] = amu[0] - mb;
        LR_AT(out->xtx_inv, p, 0, 0) = 1.0 / wsum + (red.has_mhm ? red.mhm : mhm);
    }
    out->rank = red.rank + (size_t)icpt;
    out->no_se = red.no_se;
    out->rss = red.rss;
    out->mss = red.mss;
    out->tss = red.tss;
    out->rcond = red.rcond;
    out->edf = red.edf + (double)icpt;
    out->rho = red.rho;
    double nobs = (double)lr_accum_nobs(acc);
    out->digits = estimate_digits(&red, q, nobs, red.rss, &out->digits_by);
    lr_digits_cause by_kappa;
    out->digits_kappa = estimate_digits(&red, q, nobs, 0.0, &by_kappa);
    lr_mem_free(mu, (q ? q : 1) * sizeof(double));
    lr_reduced_free(&red);
    return LR_OK;

fail:
    lr_mem_free(mu, (q ? q : 1) * sizeof(double));
    lr_reduced_free(&red);
    lr_solution_free(out);
    return rc;
}
