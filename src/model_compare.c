/*
 * model_compare.c — R's anova(m1, m2, ...) (anova.lmlist) on saved models.
 *
 * For models i = 1..k in the order given, with residual degrees of freedom
 * d_i and residual sums of squares RSS_i = σ_i² d_i (weighted when the fits
 * were), the table holds
 *   Df_i = d_{i−1} − d_i,   SS_i = RSS_{i−1} − RSS_i,
 *   F_i = (SS_i / Df_i) / s²,   s² = RSS_b / d_b,
 * b the first model with the fewest residual degrees of freedom (R:
 * order(resdf)[1]), and p_i the upper tail of F(|Df_i|, d_b) at F_i. As in
 * R's stat.anova, F is NA where Df is 0 or F < 0; models in decreasing order
 * give negative Df and SS and a positive F.
 *
 * R checks only that the fits have the same number of residuals. Here the
 * models must also have been fitted on the same rows (the fingerprint the
 * fit stores, row_fingerprint.c), with the same response and weights, and
 * nest: the terms of the one with fewer terms are all terms of the other
 * (a term is its set of variables, so b:a is a:b; an absorbed fixed effect
 * "| firm" is a term of its own). Otherwise the F test is not the test of
 * the restrictions it appears to be.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formula.h"
#include "model.h"
#include "stats.h"

/* What the comparison reads from one model file. */
typedef struct cmp_model {
    const lr_model *m; /* the model */
    const char *path;  /* its file's name */
    char **terms;      /* term keys: variable labels sorted, joined by ':' */
    size_t nterms;     /* their number (the intercept is one, "(Intercept)") */
    size_t cap;        /* entries allocated in terms */
} cmp_model;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void terms_free(cmp_model *c)
{
    for (size_t t = 0; t < c->nterms; t++)
        lr_mem_strfree(c->terms[t]);
    lr_mem_free(c->terms, c->cap * sizeof(char *));
    c->terms = NULL;
    c->nterms = 0;
}

/* The terms of the stored prediction formula (which lists the model's terms
 * after its variables), parsed over the stored predictor columns. */
static int read_terms(cmp_model *c, lr_error *err)
{
    const lr_model *m = c->m;
    size_t ncols = m->predictors.n;
    const char **cols = lr_mem_calloc(ncols ? ncols : 1, sizeof *cols);
    lr_formula *f = NULL;
    int rc = LR_OK;
    if (!cols)
        return lr_error_nomem(err);
    for (size_t i = 0; i < ncols; i++)
        cols[i] = m->predictors.s[i].s;
    /* lr_model_load parsed this formula already: it cannot fail but for memory */
    rc = lr_formula_parse(m->prediction.s, cols, ncols, &f, err);
    lr_mem_free(cols, (ncols ? ncols : 1) * sizeof *cols);
    if (rc)
        return rc;
    int icpt = m->intercept;
    size_t nfe = m->fe ? lr_fe_model_nf(m->fe) : 0;
    c->cap = f->nterms + 1 + nfe;
    c->terms = lr_mem_calloc(c->cap, sizeof(char *));
    if (!c->terms) {
        lr_formula_free(f);
        return lr_error_nomem(err);
    }
    if (icpt && !(c->terms[c->nterms++] = lr_mem_strdup("(Intercept)")))
        rc = lr_error_nomem(err);
    for (size_t t = 0; rc == LR_OK && t < f->nterms; t++) {
        const lr_term *tm = &f->terms[t];
        const char **lab = lr_mem_calloc(tm->n ? tm->n : 1, sizeof(char *));
        size_t len = 0; /* the labels and n − 1 colons and the NUL (n >= 1) */
        if (!lab) {
            rc = lr_error_nomem(err);
            break;
        }
        for (size_t i = 0; i < tm->n; i++) {
            lab[i] = f->vars[tm->vars[i]].label;
            len += strlen(lab[i]) + 1;
        }
        if (tm->n == 0) {
            lr_mem_free(lab, sizeof(char *));
            continue;
        }
        qsort(lab, tm->n, sizeof *lab, cmp_str);
        char *key = lr_mem_calloc(len, 1);
        if (!key) {
            lr_mem_free(lab, tm->n * sizeof(char *));
            rc = lr_error_nomem(err);
            break;
        }
        for (size_t i = 0; i < tm->n; i++) {
            if (i)
                strcat(key, ":");
            strcat(key, lab[i]);
        }
        lr_mem_free(lab, tm->n * sizeof(char *));
        c->terms[c->nterms++] = key;
    }
    lr_formula_free(f);
    /* absorbed fixed effects (y ~ x | firm): a term each, "| firm" */
    for (size_t i = 0; rc == LR_OK && i < nfe; i++) {
        const char *col = lr_fe_model_column(m->fe, i);
        size_t len = strlen(col ? col : "") + 3;
        char *key = lr_mem_calloc(len, 1);
        if (!key)
            return lr_error_nomem(err);
        snprintf(key, len, "| %s", col ? col : "");
        c->terms[c->nterms++] = key;
    }
    return rc;
}

/* The first term of a that b lacks (NULL: a's terms are all b's). */
static const char *missing_term(const cmp_model *a, const cmp_model *b)
{
    for (size_t i = 0; i < a->nterms; i++) {
        size_t j = 0;
        while (j < b->nterms && strcmp(a->terms[i], b->terms[j]))
            j++;
        if (j == b->nterms)
            return a->terms[i];
    }
    return NULL;
}

/* Two strings of the data equal (both absent too). */
static int same_text(const lr_model_text *a, const lr_model_text *b)
{
    if (!a->s || !b->s)
        return !a->s && !b->s;
    return a->n == b->n && !memcmp(a->s, b->s, a->n);
}

/* Models i (a) and j (b) fitted on na and nb `what`: an error. */
static int other_counts(const cmp_model *a, size_t i, const cmp_model *b, size_t j, long long na,
                        long long nb, const char *what, lr_error *err)
{
    return lr_error_set(err, LR_EDATA,
                        "models %zu (%s) and %zu (%s) were fitted on different rows: %lld vs "
                        "%lld %s",
                        i, a->path, j, b->path, na, nb, what);
}

/* The checks of the header comment between models a and b (1-based i, j). */
static int check_pair(const cmp_model *a, size_t i, const cmp_model *b, size_t j, int force,
                      lr_error *err)
{
    const lr_model *ra = a->m, *rb = b->m;
    if (!same_text(&ra->response, &rb->response))
        return lr_error_set(err, LR_EDATA,
                            "models %zu (%s) and %zu (%s) have different responses: %s and %s", i,
                            a->path, j, b->path, ra->formula.s, rb->formula.s);
    if (!same_text(&ra->weights, &rb->weights))
        return lr_error_set(err, LR_EDATA,
                            "models %zu (%s) and %zu (%s) were fitted with different weights", i,
                            a->path, j, b->path);
    if (!ra->fingerprint.s || !rb->fingerprint.s) {
        if (!force)
            return lr_error_set(err, LR_EDATA,
                                "%s has no rows fingerprint (written by an older linreg): "
                                "cannot check that the models were fitted on the same rows "
                                "(fit it again, or --force to compare anyway)",
                                ra->fingerprint.s ? b->path : a->path);
    } else if (!same_text(&ra->fingerprint, &rb->fingerprint)) {
        long long na = (long long)ra->rows_used, nb = (long long)rb->rows_used;
        if (na != nb)
            return other_counts(a, i, b, j, na, nb, "rows used", err);
        return lr_error_set(err, LR_EDATA,
                            "models %zu (%s) and %zu (%s) were fitted on different rows: "
                            "%lld rows each, but not the same ones (their rows fingerprints "
                            "differ: another file, or other values)",
                            i, a->path, j, b->path, na);
    }
    /* the same rows read, the same observations fitted: a fixed-effects fit
     * drops singletons after the rows are read */
    long long oa = (long long)ra->n, ob = (long long)rb->n;
    if (oa != ob)
        return other_counts(a, i, b, j, oa, ob,
                            "observations (singletons dropped by fixed effects?)", err);
    /* the one with fewer terms must nest in the other */
    const cmp_model *s = a, *l = b;
    size_t si = i, li = j;
    if (b->nterms < a->nterms) {
        s = b, l = a;
        si = j, li = i;
    }
    const char *t = missing_term(s, l);
    if (t)
        return lr_error_set(err, LR_EDATA,
                            "models %zu (%s) and %zu (%s) are not nested: term '%s' of model "
                            "%zu is not a term of model %zu",
                            si, s->path, li, l->path, t, si, li);
    return LR_OK;
}

static int read_model(const lr_model *m, cmp_model *c, size_t i, lr_error *err)
{
    c->m = m;
    c->path = m->path;
    double d = isnan(m->df) ? 0 : m->df; /* null in the file (none) reads as 0 */
    if (d != floor(d))
        return lr_error_set(err, LR_EDATA,
                            "model %zu (%s) is a ridge fit: its residual degrees of freedom "
                            "(%g) are not those of least squares, and anova() does not apply",
                            i, c->path, d);
    return read_terms(c, err);
}

int lr_model_compare(const lr_model *const *models, size_t n, int force, lr_compare_row *rows,
                     lr_error *err)
{
    if (n < 2)
        return lr_error_set(err, LR_EUSAGE, "compare needs at least two models");
    cmp_model *c = lr_mem_calloc(n, sizeof *c);
    if (!c)
        return lr_error_nomem(err);
    int rc = LR_OK;
    for (size_t i = 0; rc == LR_OK && i < n; i++)
        rc = read_model(models[i], &c[i], i + 1, err);
    for (size_t i = 0; rc == LR_OK && i < n; i++)
        for (size_t j = i + 1; rc == LR_OK && j < n; j++)
            rc = check_pair(&c[i], i + 1, &c[j], j + 1, force, err);
    if (rc == LR_OK) {
        size_t big = 0;
        for (size_t i = 0; i < n; i++) {
            const lr_model *m = c[i].m;
            double d = isnan(m->df) ? 0 : m->df;
            rows[i].res_df = d;
            /* sigma is null only without residual df: a perfect fit, RSS 0 */
            rows[i].rss = isnan(m->sigma) ? 0 : m->sigma * m->sigma * d;
            if (d < rows[big].res_df)
                big = i;
        }
        double scale = rows[big].res_df > 0 ? rows[big].rss / rows[big].res_df : (double)NAN;
        for (size_t i = 0; i < n; i++) {
            lr_compare_row *r = &rows[i];
            r->df = r->sum_sq = r->f = r->p = (double)NAN;
            if (i == 0)
                continue;
            r->df = rows[i - 1].res_df - r->res_df;
            r->sum_sq = rows[i - 1].rss - r->rss;
            double f = r->df != 0 ? r->sum_sq / r->df / scale : (double)NAN;
            if (!(f >= 0))
                f = (double)NAN;
            r->f = f;
            r->p = isnan(f) ? (double)NAN : lr_stats_f_pvalue(f, fabs(r->df), rows[big].res_df);
        }
    }
    for (size_t i = 0; i < n; i++)
        terms_free(&c[i]);
    lr_mem_free(c, n * sizeof *c);
    return rc;
}
