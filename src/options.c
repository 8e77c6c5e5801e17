/*
 * options.c — the fit options: their defaults (lr_fit_options_init), their
 * checks (options.h) and the covariances' names (lr_vcov_name).
 */
#include <math.h>
#include <string.h>

#include "options.h"

void lr_fit_options_init(lr_fit_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->intercept = 1;
    opt->method = LR_METHOD_AUTO;
    opt->na_action = LR_NA_OMIT;
    opt->level = 0.95;
}

const char *lr_vcov_name(lr_vcov v)
{
    static const char *const names[] = {"classical", "HC0", "HC1", "HC2", "HC3", "HAC", "CL"};
    return (int)v >= 0 && (int)v <= (int)LR_VCOV_CL ? names[v] : "unknown";
}

int lr_fit_options_check(const lr_fit_options *opt, lr_error *err)
{
    if (!(opt->level > 0 && opt->level < 1))
        return lr_error_set(err, LR_EUSAGE, "confidence level %g is not between 0 and 1",
                            opt->level);
    if ((int)opt->method < (int)LR_METHOD_AUTO || (int)opt->method > (int)LR_METHOD_NAIVE)
        return lr_error_set(err, LR_EUSAGE, "unknown method %d", (int)opt->method);
    if (opt->na_action != LR_NA_OMIT && opt->na_action != LR_NA_ERROR)
        return lr_error_set(err, LR_EUSAGE, "unknown missing-value action %d", (int)opt->na_action);
    if (!(opt->ridge >= 0) || !isfinite(opt->ridge))
        return lr_error_set(err, LR_EUSAGE, "the ridge penalty must be a number >= 0, not %g",
                            opt->ridge);
    if (opt->threads < 0)
        return lr_error_set(err, LR_EUSAGE, "the thread count must be positive, not %d",
                            opt->threads);
    if (opt->ridge_scale != LR_RIDGE_STANDARDIZED && opt->ridge_scale != LR_RIDGE_RAW)
        return lr_error_set(err, LR_EUSAGE, "unknown ridge scale %d", (int)opt->ridge_scale);
    if ((int)opt->vcov < (int)LR_VCOV_CLASSICAL || (int)opt->vcov > (int)LR_VCOV_CL)
        return lr_error_set(err, LR_EUSAGE, "unknown covariance %d", (int)opt->vcov);
    if ((opt->vcov == LR_VCOV_CL) != (opt->cluster != NULL))
        return lr_error_set(err, LR_EUSAGE,
                            opt->cluster ? "cluster columns are for the "
                                           "clustered covariance (LR_VCOV_CL)"
                                         : "the clustered covariance needs "
                                           "cluster columns");
    if (opt->anova && opt->ridge > 0)
        return lr_error_set(err, LR_EUSAGE,
                            "the ANOVA table is not defined for a ridge fit "
                            "(its sums of squares are those of least squares)");
    return LR_OK;
}
