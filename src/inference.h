/*
 * inference.h — what the term-wise inference after a fit needs (internal):
 * the model's terms and which coefficients each owns (R's assign), and the
 * sequential ANOVA table computed at fit time (anova.c). The fit owns one
 * lr_fit_inference; fit_terms.c fills and frees it, vif.c and hypothesis.c
 * read it through lr_fit_inference_get.
 */
#ifndef LR_INFERENCE_H
#define LR_INFERENCE_H

#include "solver.h"

typedef struct lr_fit_inference {
    size_t p;            /* coefficients */
    size_t nterms;       /* terms */
    char **labels;       /* nterms term labels (owned) */
    size_t *assign;      /* p entries: 0 the intercept, t + 1 term t (owned) */
    size_t nanova;       /* rows of the ANOVA table (0: not computed) */
    lr_anova_row *anova; /* the table; its term strings point into labels (owned) */
} lr_fit_inference;

/* Record the terms: coefficient j (after the intercept, if any) belongs to
 * term[j] of labels[0..nterms) (term NULL: to term j). LR_OK or LR_ENOMEM. */
int lr_inference_set_terms(lr_fit_inference *inf, size_t q, int intercept, const size_t *term,
                           size_t nterms, const char *const *labels, lr_error *err);

/*
 * R's anova(lm) from the accumulated statistics (anova.c): the effects Qᵀy of
 * the estimable columns of spec in model order (aliased[j], p flags with the
 * intercept first, marks the others), summed by term. rss and df_residual
 * are the fit's. The terms must have been set.
 */
int lr_anova_compute(lr_fit_inference *inf, const lr_accum *acc, const lr_model_spec *spec,
                     const unsigned char *aliased, double rss, double df_residual, lr_error *err);

void lr_inference_free(lr_fit_inference *inf);

/* The fit's (fit.c). */
const lr_fit_inference *lr_fit_inference_get(const lr_fit *fit);

#endif
