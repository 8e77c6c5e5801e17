/*
 * stats.c — the statistics of R's summary.lm, logLik.lm, AIC and BIC.
 *
 * With n observations (nonzero weight), rank r, df = n − r and an intercept
 * indicator i:
 *   σ² = RSS / df,  SE_j = σ √[(XᵀX)⁻¹]_jj,  t_j = β_j / SE_j,
 *   p_j = 2 P(T_df > |t_j|),  CI_j = β_j ∓ t_{(1+level)/2, df} SE_j,
 *   R² = MSS / (MSS + RSS) (sums of squares about the mean, or about zero
 *   without an intercept),  adj R² = 1 − (1 − R²)(n − i)/df,
 *   F = (MSS / (r − i)) / σ²  on (r − i, df) degrees of freedom,
 *   logLik = ½ (Σ log w − n (log 2π + 1 − log n + log RSS)),
 *   AIC = −2 logLik + 2(r + 1),  BIC = −2 logLik + log(n)(r + 1)
 * (σ counts as a parameter in AIC and BIC, as in R).
 *
 * The distribution functions are GSL's (gsl_cdf_*), which agree with R's
 * nmath to about 1e-12 relative, upper tails included. GSL's default error
 * handler aborts the process; liblinreg turns it off (process-wide) and checks
 * arguments itself instead.
 */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <lapacke.h>

#include "stats.h"

/* log(2π) */
#define LR_LOG_2PI 1.8378770664093454835606594728112353

static void gsl_quiet(void)
{
    /* Idempotent; a library must never let a dependency abort its caller. */
    gsl_set_error_handler_off();
}

double lr_stats_t_pvalue(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return (double)NAN;
    if (isinf(t))
        return 0.0;
    gsl_quiet();
    /* P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t²): one regularised
     * incomplete beta, as R's pt computes it, with no 1 − P cancellation for
     * large |t| (gsl_cdf_tdist_Q loses ~1e-10 relative there). */
    double x = df / (df + t * t);
    return gsl_cdf_beta_P(x, 0.5 * df, 0.5);
}

double lr_stats_t_quantile_upper(double q, double df)
{
    if (!(df > 0) || !(q > 0 && q < 1))
        return (double)NAN;
    gsl_quiet();
    return gsl_cdf_tdist_Qinv(q, df);
}

double lr_stats_chisq_pvalue(double x, double df)
{
    if (isnan(x) || !(df > 0))
        return (double)NAN;
    if (isinf(x))
        return 0.0;
    gsl_quiet();
    return gsl_cdf_chisq_Q(x, df);
}

double lr_stats_f_pvalue(double f, double df1, double df2)
{
    if (isnan(f) || !(df1 > 0) || !(df2 > 0))
        return (double)NAN;
    if (isinf(f))
        return 0.0;
    gsl_quiet();
    return gsl_cdf_fdist_Q(f, df1, df2);
}

/*
 * The Wald F statistic of "every slope is zero" under the covariance V of β
 * (lmtest::waldtest(fit, vcov = V), statsmodels' robust fvalue):
 *   F = β_Sᵀ V_SS⁻¹ β_S / q,
 * S the q estimable coefficients other than the intercept. With V = σ²(XᵀX)⁻¹
 * it is the classical F. V_SS is factored by dpotrf; NaN if it is not
 * positive definite (a leverage of one makes HC2 and HC3 infinite) or memory
 * runs out.
 */
static double wald_f(const lr_solution *sol, const double *vcov, int intercept, double q)
{
    size_t p = sol->p, k = 0;
    size_t *idx = lr_mem_alloc((p ? p : 1) * sizeof *idx);
    double *v = lr_mem_alloc((p ? p * p : 1) * sizeof *v);
    double *b = lr_mem_alloc((p ? p : 1) * sizeof *b);
    double f = (double)NAN;
    if (!idx || !v || !b)
        goto done;
    for (size_t j = intercept ? 1 : 0; j < p; j++)
        if (!(sol->aliased && sol->aliased[j]))
            idx[k++] = j;
    if ((double)k != q || k == 0)
        goto done;
    for (size_t j = 0; j < k; j++) {
        b[j] = sol->beta[idx[j]];
        for (size_t i = 0; i < k; i++)
            if (isnan(LR_AT(v, k, i, j) = LR_AT(vcov, p, idx[i], idx[j])))
                goto done; /* a variance that is not known (clustered, zero to rounding) */
    }
    lapack_int n = (lapack_int)k;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, v, n) != 0 ||
        LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', n, 1, v, n, b, n) != 0)
        goto done;
    double w = 0;
    for (size_t j = 0; j < k; j++)
        w += sol->beta[idx[j]] * b[j];
    f = w / q;
done:
    lr_mem_free(idx, (p ? p : 1) * sizeof *idx);
    lr_mem_free(v, (p ? p * p : 1) * sizeof *v);
    lr_mem_free(b, (p ? p : 1) * sizeof *b);
    return f;
}

void lr_stats_compute(const lr_solution *sol, uint64_t nobs, double sum_log_w, int intercept,
                      int ridge, double level, const double *vcov, lr_coef *coefs, lr_summary *sum)
{
    size_t p = sol->p;
    double n = (double)nobs;
    double rank = ridge ? sol->edf : (double)sol->rank;
    double df = n - rank;
    double sigma2 = df > 0 ? sol->rss / df : (double)NAN;
    double tq = lr_stats_t_quantile_upper((1.0 - level) / 2.0, df);

    for (size_t j = 0; j < p; j++) {
        lr_coef *c = &coefs[j];
        double v = LR_AT(sol->xtx_inv, p, j, j);
        c->estimate = sol->beta[j];
        c->std_error = vcov ? sqrt(LR_AT(vcov, p, j, j)) : sqrt(sigma2 * v);
        c->t = c->estimate / c->std_error;
        c->p = lr_stats_t_pvalue(c->t, df);
        c->ci_low = c->estimate - tq * c->std_error;
        c->ci_high = c->estimate + tq * c->std_error;
        c->aliased = sol->aliased ? sol->aliased[j] : 0;
        if (ridge || sol->no_se || c->aliased)
            c->std_error = c->t = c->p = c->ci_low = c->ci_high = (double)NAN;
    }

    double ic = intercept ? 1.0 : 0.0;
    sum->n = nobs;
    sum->n_coef = p;
    sum->rank = sol->rank;
    sum->df_residual = df;
    sum->intercept = intercept;
    sum->level = level;
    sum->rss = sol->rss;
    sum->tss = sol->tss;
    sum->sigma = sqrt(sigma2);
    sum->edf = rank;
    /* Least squares: MSS / (MSS + RSS) as summary.lm; a penalised fit does not
     * split TSS that way, so 1 − RSS / TSS. */
    sum->r_squared = ridge ? 1.0 - sol->rss / sol->tss : sol->mss / (sol->mss + sol->rss);
    sum->digits = sol->digits;
    sum->extended_bits = sol->extended_bits;
    sum->adj_r_squared = df > 0 ? 1.0 - (1.0 - sum->r_squared) * ((n - ic) / df) : (double)NAN;
    sum->f_df1 = rank - ic;
    sum->f_df2 = df;
    if (sum->f_df1 > 0 && df > 0 && !ridge) {
        sum->f_statistic =
            vcov ? wald_f(sol, vcov, intercept, sum->f_df1) : (sol->mss / sum->f_df1) / sigma2;
        sum->f_p = lr_stats_f_pvalue(sum->f_statistic, sum->f_df1, df);
    } else {
        sum->f_statistic = (double)NAN;
        sum->f_p = (double)NAN;
    }
    sum->log_likelihood = 0.5 * (sum_log_w - n * (LR_LOG_2PI + 1.0 - log(n) + log(sol->rss)));
    sum->aic = -2.0 * sum->log_likelihood + 2.0 * (rank + 1.0);
    sum->bic = -2.0 * sum->log_likelihood + log(n) * (rank + 1.0);
    sum->condition_number = sol->rcond > 0 ? 1.0 / sol->rcond : (double)INFINITY;
}
