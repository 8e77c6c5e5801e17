/*
 * hypothesis.c — Wald tests of linear restrictions Lβ = r, as
 * car::linearHypothesis(fit, c("x1 = x2", ...), vcov. = V).
 *
 * With d = Lβ − r and V the covariance in force (σ²(XᵀX)⁻¹ or a robust one),
 *     W = dᵀ (L V Lᵀ)⁻¹ d,   F = W / q on (q, n − rank),   χ² = W on q;
 * under the classical V, W σ² is exactly the rise of the residual sum of
 * squares when the restrictions are imposed (the RSS columns of R's table).
 * W is formed through the Cholesky factor U of L V Lᵀ: W = ‖U⁻ᵀ d‖².
 *
 * The restrictions are parsed here: sums of [number [*]] coefficient-name
 * or number on each side of '=', separated by ';' or newlines; names are
 * matched longest first against the coefficients as printed, so names with
 * parentheses, colons or spaces ("(Intercept)", "wool:tensionM",
 * "factor(cyl)6") need no quoting.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "inference.h"
#include "stats.h"

/* The parser's state over the whole text. */
typedef struct hyp_parse {
    const char *text; /* the restrictions */
    size_t pos;       /* current offset */
    const lr_fit *fit;
    size_t p; /* coefficients */
} hyp_parse;

static void skip_blanks(hyp_parse *h)
{
    while (h->text[h->pos] == ' ' || h->text[h->pos] == '\t')
        h->pos++;
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_';
}

/* The coefficient whose name starts at the current position (longest match,
 * not followed by a name character); p if none. */
static size_t match_name(hyp_parse *h)
{
    size_t best = h->p, best_len = 0;
    const char *s = h->text + h->pos;
    for (size_t j = 0; j < h->p; j++) {
        const char *nm = lr_fit_coef(h->fit, j)->name;
        size_t n = strlen(nm);
        if (n > best_len && !strncmp(s, nm, n) &&
            !(is_name_char(nm[n - 1]) && is_name_char(s[n]))) {
            best = j;
            best_len = n;
        }
    }
    if (best < h->p)
        h->pos += best_len;
    return best;
}

static int syntax_error(hyp_parse *h, lr_error *err, const char *what)
{
    return lr_error_set(err, LR_EUSAGE, "hypothesis:%zu: %s\n  %s\n  %*s^", h->pos + 1, what,
                        h->text, (int)h->pos, "");
}

/* The unknown name at the current position, with the closest coefficient. */
static int unknown_name(hyp_parse *h, lr_error *err)
{
    const char *s = h->text + h->pos;
    size_t n = 0;
    while (s[n] && s[n] != '=' && s[n] != ';' && s[n] != '\n' && s[n] != '+' && s[n] != '*' &&
           !(s[n] == '-' && n > 0))
        n++;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    const char **names = lr_mem_calloc(h->p ? h->p : 1, sizeof(char *));
    if (!names)
        return lr_error_nomem(err);
    for (size_t j = 0; j < h->p; j++)
        names[j] = lr_fit_coef(h->fit, j)->name;
    size_t c = lr_suggest_name(s, n, names, h->p);
    char what[LR_ERROR_MAX];
    snprintf(what, sizeof what, "'%.*s' is not a coefficient of the model%s%s%s",
             (int)(n > 200 ? 200 : n), s, c < h->p ? " (did you mean '" : "",
             c < h->p ? names[c] : "", c < h->p ? "'?)" : "");
    lr_mem_free(names, (h->p ? h->p : 1) * sizeof(char *));
    return syntax_error(h, err, what);
}

/* One side of a restriction: adds sign × its coefficients to row[0..p) and
 * sign × its constants to *rhs_const. Stops at '=', ';', newline or the end. */
static int parse_side(hyp_parse *h, double sign, double *row, double *constant, lr_error *err)
{
    int first = 1;
    for (;;) {
        skip_blanks(h);
        char c = h->text[h->pos];
        double s = sign;
        if (c == '+' || c == '-') {
            s = c == '-' ? -sign : sign;
            h->pos++;
            skip_blanks(h);
        } else if (!first) {
            return LR_OK;
        }
        c = h->text[h->pos];
        if (c == '\0' || c == '=' || c == ';' || c == '\n')
            return syntax_error(h, err, "expected a coefficient or a number");
        first = 0;
        double mult = 1;
        size_t at = h->pos, j = match_name(h);
        if (j == h->p) {
            char *end;
            const char *start = h->text + h->pos;
            mult = strtod(start, &end);
            if (end == start || !isfinite(mult) || isalpha((unsigned char)*start))
                return unknown_name(h, err);
            h->pos += (size_t)(end - start);
            skip_blanks(h);
            if (h->text[h->pos] == '*') {
                h->pos++;
                skip_blanks(h);
                at = h->pos;
                if ((j = match_name(h)) == h->p)
                    return unknown_name(h, err);
            } else {
                at = h->pos; /* "2 x1" as car reads it, or a constant */
                if ((j = match_name(h)) == h->p) {
                    *constant += s * mult;
                    continue;
                }
            }
        } else {
            skip_blanks(h);
            if (h->text[h->pos] == '*') {
                h->pos++;
                skip_blanks(h);
                char *end;
                const char *start = h->text + h->pos;
                mult = strtod(start, &end);
                if (end == start || !isfinite(mult))
                    return syntax_error(h, err, "expected a number after '*'");
                h->pos += (size_t)(end - start);
            }
        }
        if (lr_fit_coef(h->fit, j)->aliased) {
            h->pos = at;
            return syntax_error(h, err,
                                "the coefficient is aliased (not estimable): it cannot "
                                "be tested");
        }
        row[j] += s * mult;
    }
}

/* Parse every restriction into L (q rows of p, column-major q × p after the
 * transpose below; here row-major, one restriction after another) and r.
 * *cap is the capacity of *l and *r, in restrictions. */
static int parse_all(hyp_parse *h, double **l, double **r, size_t *q, size_t *cap, lr_error *err)
{
    for (;;) {
        while (h->text[h->pos] == ';' || h->text[h->pos] == '\n' || h->text[h->pos] == ' ' ||
               h->text[h->pos] == '\t')
            h->pos++;
        if (h->text[h->pos] == '\0')
            return *q ? LR_OK : syntax_error(h, err, "no restriction to test");
        if (*q == *cap) {
            size_t nc = *cap ? 2 * *cap : 4, p = h->p;
            double *nl = lr_mem_realloc(*l, *cap * p * sizeof(double), nc * p * sizeof(double));
            if (!nl)
                return lr_error_nomem(err);
            *l = nl;
            double *nr = lr_mem_realloc(*r, *cap * sizeof(double), nc * sizeof(double));
            if (!nr)
                return lr_error_nomem(err);
            *r = nr;
            *cap = nc;
        }
        double *row = *l + *q * h->p, lhs = 0, rhs = 0;
        memset(row, 0, h->p * sizeof(double));
        int rc = parse_side(h, 1.0, row, &lhs, err);
        if (rc)
            return rc;
        if (h->text[h->pos] == '=') {
            h->pos++;
            if ((rc = parse_side(h, -1.0, row, &rhs, err)))
                return rc;
        }
        if (h->text[h->pos] != '\0' && h->text[h->pos] != ';' && h->text[h->pos] != '\n')
            return syntax_error(h, err, "expected '=', ';' or the end of the restriction");
        /* row·β + lhs + rhs = 0, the constants of both sides moved right */
        (*r)[*q] = -(lhs + rhs);
        (*q)++;
    }
}

/* W = dᵀ (L V Lᵀ)⁻¹ d for L (q rows of p, row-major), d = Lβ − r. */
static int wald(const lr_fit *fit, const double *l, const double *r, size_t q, double *w,
                lr_error *err)
{
    size_t p = lr_fit_ncoef(fit), pp, qq;
    if (lr_mul_overflows(p, p, &pp) || lr_mul_overflows(q, q, &qq) || p > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "hypothesis: model too large");
    double *v = lr_mem_alloc(pp * sizeof(double));
    double *lv = lr_mem_calloc(q * p, sizeof(double));
    double *a = lr_mem_calloc(qq, sizeof(double));
    double *d = lr_mem_calloc(q, sizeof(double));
    int rc = LR_OK;
    if (!v || !lv || !a || !d) {
        rc = lr_error_nomem(err);
        goto done;
    }
    lr_fit_vcov(fit, v, p);
    /* aliased coefficients have NaN rows in V and zero columns in L */
    for (size_t k = 0; k < q; k++) {
        d[k] = -r[k];
        for (size_t j = 0; j < p; j++) {
            double c = l[k * p + j];
            if (c == 0)
                continue;
            d[k] += c * lr_fit_coef(fit, j)->estimate;
            for (size_t i = 0; i < p; i++)
                if (!lr_fit_coef(fit, i)->aliased)
                    lv[k * p + i] += c * LR_AT(v, p, j, i);
        }
    }
    for (size_t k2 = 0; k2 < q; k2++)
        for (size_t k = 0; k <= k2; k++) {
            double s = 0;
            for (size_t i = 0; i < p; i++)
                if (l[k2 * p + i] != 0)
                    s += lv[k * p + i] * l[k2 * p + i];
            a[k2 * q + k] = s;
        }
    for (size_t i = 0; i < qq && rc == LR_OK; i++)
        if (!isfinite(a[i]))
            rc = lr_error_set(err, LR_EDATA,
                              "hypothesis: the fit has no covariance to test "
                              "with (no residual degrees of freedom, or a ridge or "
                              "minimum-norm fit)");
    if (rc == LR_OK &&
        LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)q, a, (lapack_int)q) != 0)
        rc = lr_error_set(err, LR_EUSAGE,
                          "hypothesis: the restrictions are linearly "
                          "dependent (or test a combination with no variance): drop the "
                          "redundant ones");
    if (rc == LR_OK) {
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (blasint)q, a, (blasint)q,
                    d, 1);
        *w = cblas_ddot((blasint)q, d, 1, d, 1);
    }
done:
    lr_mem_free(v, pp * sizeof(double));
    lr_mem_free(lv, q * p * sizeof(double));
    lr_mem_free(a, qq * sizeof(double));
    lr_mem_free(d, q * sizeof(double));
    return rc;
}

int lr_fit_test(const lr_fit *fit, const char *restrictions, lr_hypothesis *out, lr_error *err)
{
    hyp_parse h = {restrictions, 0, fit, lr_fit_ncoef(fit)};
    const lr_summary *s = lr_fit_summary(fit);
    double *l = NULL, *r = NULL, w = 0;
    size_t q = 0, cap = 0;
    memset(out, 0, sizeof *out);
    if (s->ridge > 0)
        return lr_error_set(err, LR_EUSAGE, "hypothesis: no tests for a ridge fit");
    /* a clustered variance zero to rounding (vcov_cluster.c) is NaN for its
     * coefficient only: tests that do not involve it are still defined */
    int cl = s->vcov == LR_VCOV_CL;
    for (size_t j = 0; j < h.p && !cl; j++)
        if (!lr_fit_coef(fit, j)->aliased && !isfinite(lr_fit_coef(fit, j)->std_error))
            return lr_error_set(err, LR_EDATA,
                                "hypothesis: the fit has no covariance to test with (no "
                                "residual degrees of freedom, or a minimum-norm fit)");
    int rc = parse_all(&h, &l, &r, &q, &cap, err);
    for (size_t k = 0; cl && rc == LR_OK && k < q; k++)
        for (size_t j = 0; rc == LR_OK && j < h.p; j++)
            if (l[k * h.p + j] != 0 && !lr_fit_coef(fit, j)->aliased &&
                !isfinite(lr_fit_coef(fit, j)->std_error))
                rc = lr_error_set(err, LR_EDATA,
                                  "hypothesis: NA: the clustered variance of %s is not known "
                                  "(zero to rounding, or negative): no test involving it",
                                  lr_fit_coef(fit, j)->name);
    if (rc == LR_OK)
        rc = wald(fit, l, r, q, &w, err);
    lr_mem_free(l, cap * h.p * sizeof(double));
    lr_mem_free(r, cap * sizeof(double));
    if (rc)
        return rc;
    double dq = (double)q;
    out->q = q;
    out->df2 = s->df_residual;
    out->chisq = w;
    out->p_chisq = lr_stats_chisq_pvalue(w, dq);
    out->f = w / dq;
    out->p_f = lr_stats_f_pvalue(out->f, dq, s->df_residual);
    out->sum_sq = (double)NAN;
    if (s->vcov == LR_VCOV_CLASSICAL) {
        out->sum_sq = w * s->sigma * s->sigma;
    }
    return LR_OK;
}
