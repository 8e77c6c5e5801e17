/*
 * fit_terms.c — the model's terms kept with a fit (R's term.labels and
 * assign), and their public accessors.
 */
#include <string.h>

#include "inference.h"

int lr_inference_set_terms(lr_fit_inference *inf, size_t q, int intercept, const size_t *term,
                           size_t nterms, const char *const *labels, lr_error *err)
{
    size_t p = q + (intercept ? 1 : 0);
    inf->p = p;
    inf->assign = lr_mem_calloc(p ? p : 1, sizeof(size_t));
    inf->labels = lr_mem_calloc(nterms ? nterms : 1, sizeof(char *));
    if (!inf->labels)
        return lr_error_nomem(err);
    inf->nterms = nterms; /* lr_inference_free frees what was allocated */
    if (!inf->assign)
        return lr_error_nomem(err);
    for (size_t t = 0; t < nterms; t++)
        if (!(inf->labels[t] = lr_mem_strdup(labels[t])))
            return lr_error_nomem(err);
    for (size_t j = 0; j < q; j++)
        inf->assign[j + (intercept ? 1 : 0)] = (term ? term[j] : j) + 1;
    return LR_OK;
}

void lr_inference_free(lr_fit_inference *inf)
{
    if (inf->labels)
        for (size_t t = 0; t < inf->nterms; t++)
            lr_mem_strfree(inf->labels[t]);
    lr_mem_free(inf->labels, (inf->nterms ? inf->nterms : 1) * sizeof(char *));
    lr_mem_free(inf->assign, (inf->p ? inf->p : 1) * sizeof(size_t));
    lr_mem_free(inf->anova, inf->nanova * sizeof(lr_anova_row));
    memset(inf, 0, sizeof *inf);
}

size_t lr_fit_nterms(const lr_fit *fit)
{
    return lr_fit_inference_get(fit)->nterms;
}

size_t lr_fit_anova(const lr_fit *fit, const lr_anova_row **rows)
{
    const lr_fit_inference *inf = lr_fit_inference_get(fit);
    *rows = inf->anova;
    return inf->nanova;
}
