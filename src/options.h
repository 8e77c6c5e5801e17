/*
 * options.h — the fit options checked (internal; their defaults and names
 * are linreg.h's lr_fit_options_init and lr_vcov_name, in options.c).
 */
#ifndef LR_OPTIONS_H
#define LR_OPTIONS_H

#include "internal.h"

/* LR_EUSAGE naming the first option out of its range (level, method,
 * missing-value action, ridge, threads, covariance and its clusters, an
 * ANOVA table of a ridge fit). */
int lr_fit_options_check(const lr_fit_options *opt, lr_error *err);

#endif
