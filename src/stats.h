/*
 * stats.h — summary.lm's statistics from a solution (internal).
 */
#ifndef LR_STATS_H
#define LR_STATS_H

#include "solver.h"

/*
 * Fill coefs[0..sol->p) (numbers only; names are the caller's) and the numeric
 * fields of *sum from the solution, R's definitions throughout. nobs is the
 * number of observations with nonzero weight, sum_log_w Σ log w over them.
 * With a ridge penalty (ridge = 1) the coefficients get no standard errors,
 * tests or intervals — their sampling distribution is not the OLS one — and
 * the effective degrees of freedom tr(H) take the place of the rank. vcov,
 * if not NULL, is the covariance of β to use for the coefficient table (p × p,
 * e.g. heteroskedasticity-consistent) instead of σ²(XᵀX)⁻¹; the F statistic
 * is then the Wald statistic under it.
 */
void lr_stats_compute(const lr_solution *sol, uint64_t nobs, double sum_log_w, int intercept,
                      int ridge, double level, const double *vcov, lr_coef *coefs, lr_summary *sum);

/* Two-sided p-value of a t statistic with df degrees of freedom. */
double lr_stats_t_pvalue(double t, double df);
/* The t quantile with upper-tail probability q: qt(1 − q, df). */
double lr_stats_t_quantile_upper(double q, double df);
/* Upper tail of the F(df1, df2) distribution at f. */
double lr_stats_f_pvalue(double f, double df1, double df2);
/* Upper tail of the χ²(df) distribution at x. */
double lr_stats_chisq_pvalue(double x, double df);

#endif
