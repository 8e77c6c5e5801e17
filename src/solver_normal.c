/*
 * solver_normal.c — the normal equations: inverse, cholesky and naive.
 *
 * From the centred cross products M (or, without an intercept, XᵀX = M +
 * W μμᵀ) of the model's predictors, G, and Gᵀy:
 *   1. equilibrate: Gs = D (G + Λ) D, D = diag(G + Λ)^(-1/2) (Λ the ridge
 *      penalty), so decisions do not depend on the columns' units;
 *   2. aliasing, in column order as R's lm does: a column whose residual sum
 *      of squares after regression on the columns kept before it is below
 *      LR_RANK_TOL_NORMAL of its own (a Cholesky pivot of Gs) is aliased;
 *   3. the kept block: inverse — dpotrf + dpotri (dgetrf + dgetri if rounding
 *      makes it not positive definite), β = Gs⁻¹ D b by dsymv; cholesky — the
 *      same factor, β by the triangular solves of dpotrs; naive — Gauss–Jordan
 *      and a matrix–vector product in plain loops;
 *   4. RSS from the quadratic form yᵀy − 2βᵀb + βᵀGβ, whose error is second
 *      order in the error of β.
 * What remains singular to working precision (rcond(Gs) < ε: (XᵀX)⁻¹ would
 * have no correct digit) is an error naming the most collinear column.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "solver.h"

/* M and μ of the model's columns: accumulator column c, or a column of zeros. */
static double comoment(const double *m, size_t ldm, size_t a, size_t b)
{
    if (a == SIZE_MAX || b == SIZE_MAX)
        return 0;
    return a <= b ? LR_AT(m, ldm, a, b) : LR_AT(m, ldm, b, a);
}

static double mean_of(const double *mu, size_t c)
{
    return c == SIZE_MAX ? 0 : mu[c];
}

/* 1-norm of a full symmetric matrix. */
static double norm1(size_t n, const double *a, size_t lda)
{
    double m = 0;
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += fabs(LR_AT(a, lda, i, j));
        if (s > m)
            m = s;
    }
    return m;
}

static int singular_error(lr_error *err, const lr_model_spec *spec, size_t j, double rcond)
{
    return lr_error_set(err, LR_ESINGULAR,
                        "X'X is singular to working precision (reciprocal condition %.3g): "
                        "column '%s' is nearly a linear combination of the other columns (the "
                        "default --method auto resolves more)",
                        rcond, spec->names[j]);
}

/* Working storage; freed together. */
typedef struct nws {
    size_t q;       /* predictors */
    double *g;      /* G, q × q */
    double *gs;     /* Gs, q × q */
    double *gk;     /* the kept block, then its inverse, nk × nk */
    double *fac;    /* a factor of the kept block, nk × nk */
    double *b;      /* Gᵀy, q */
    double *d;      /* D, q */
    double *pen;    /* Λ's diagonal, q */
    double *l;      /* aliasing: the in-order Cholesky rows, q × q */
    double *t;      /* scratch, 4q */
    lapack_int *iw; /* integer scratch, 2q */
    size_t *idx;    /* kept columns, q */
} nws;

static void nws_free(nws *w)
{
    size_t q = w->q ? w->q : 1, qq = q * q;
    lr_mem_free(w->g, qq * sizeof(double));
    lr_mem_free(w->gs, qq * sizeof(double));
    lr_mem_free(w->gk, qq * sizeof(double));
    lr_mem_free(w->fac, qq * sizeof(double));
    lr_mem_free(w->l, qq * sizeof(double));
    lr_mem_free(w->b, q * sizeof(double));
    lr_mem_free(w->d, q * sizeof(double));
    lr_mem_free(w->pen, q * sizeof(double));
    lr_mem_free(w->t, 4 * q * sizeof(double));
    lr_mem_free(w->iw, 2 * q * sizeof(lapack_int));
    lr_mem_free(w->idx, q * sizeof(size_t));
}

static int nws_alloc(nws *w, size_t q0)
{
    size_t q = q0 ? q0 : 1, qq = q * q;
    memset(w, 0, sizeof *w);
    w->q = q0;
    w->g = lr_mem_calloc(qq, sizeof(double));
    w->gs = lr_mem_calloc(qq, sizeof(double));
    w->gk = lr_mem_calloc(qq, sizeof(double));
    w->fac = lr_mem_calloc(qq, sizeof(double));
    w->l = lr_mem_calloc(qq, sizeof(double));
    w->b = lr_mem_calloc(q, sizeof(double));
    w->d = lr_mem_calloc(q, sizeof(double));
    w->pen = lr_mem_calloc(q, sizeof(double));
    w->t = lr_mem_calloc(4 * q, sizeof(double));
    w->iw = lr_mem_calloc(2 * q, sizeof(lapack_int));
    w->idx = lr_mem_calloc(q, sizeof(size_t));
    return w->g && w->gs && w->gk && w->fac && w->l && w->b && w->d && w->pen && w->t && w->iw &&
           w->idx;
}

/* Inverse of the kept block gk (n × n) in place by LAPACK; rcond estimated. */
static int invert_lapack(nws *w, size_t n, const lr_model_spec *spec, double *rcond, lr_error *err)
{
    lapack_int ni = (lapack_int)n;
    double anorm = norm1(n, w->gk, n);
    memcpy(w->fac, w->gk, n * n * sizeof(double));
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', ni, w->fac, ni);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dpotrf: argument %d is invalid", (int)-info);
    if (info == 0) {
        info =
            LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', ni, w->fac, ni, anorm, rcond, w->t, w->iw);
        if (info < 0)
            return lr_error_set(err, LR_ELAPACK, "dpocon: argument %d is invalid", (int)-info);
        if (!(*rcond >= DBL_EPSILON)) {
            size_t jm = 0;
            for (size_t j = 1; j < n; j++)
                if (LR_AT(w->fac, n, j, j) < LR_AT(w->fac, n, jm, jm))
                    jm = j;
            return singular_error(err, spec, w->idx[jm], *rcond);
        }
        memcpy(w->gk, w->fac, n * n * sizeof(double)); /* keep the factor in fac */
        info = LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', ni, w->gk, ni);
        if (info != 0)
            return info < 0
                       ? lr_error_set(err, LR_ELAPACK, "dpotri: argument %d is invalid", (int)-info)
                       : singular_error(err, spec, w->idx[info - 1], 0);
        for (size_t j = 0; j < n; j++)
            for (size_t i = j + 1; i < n; i++)
                LR_AT(w->gk, n, i, j) = LR_AT(w->gk, n, j, i);
        return LR_OK;
    }
    /* Not positive definite through rounding: LU decides. */
    size_t bad = (size_t)info - 1;
    memcpy(w->fac, w->gk, n * n * sizeof(double));
    info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, ni, ni, w->fac, ni, w->iw);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dgetrf: argument %d is invalid", (int)-info);
    if (info > 0)
        return singular_error(err, spec, w->idx[bad], 0);
    info =
        LAPACKE_dgecon_work(LAPACK_COL_MAJOR, '1', ni, w->fac, ni, anorm, rcond, w->t, w->iw + n);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dgecon: argument %d is invalid", (int)-info);
    if (!(*rcond >= DBL_EPSILON))
        return singular_error(err, spec, w->idx[bad], *rcond);
    info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, ni, w->fac, ni, w->iw, w->t, (lapack_int)(4 * n));
    if (info != 0)
        return info < 0
                   ? lr_error_set(err, LR_ELAPACK, "dgetri: argument %d is invalid", (int)-info)
                   : singular_error(err, spec, w->idx[info - 1], 0);
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
            LR_AT(w->gk, n, i, j) = 0.5 * (LR_AT(w->fac, n, i, j) + LR_AT(w->fac, n, j, i));
    memset(w->fac, 0, n * n * sizeof(double)); /* no Cholesky factor to offer */
    return LR_OK;
}

/* G and Gᵀy from the accumulator's comoments m (ld ldm): centred with an
 * intercept, raw without; *yy is yᵀy, likewise. Zero and constant columns are
 * aliased outright; the rest equilibrated into Gs = D (G + Λ) D. LR_OK or
 * LR_ERANGE when a sum of squares overflows. */
static int gram_equilibrated(nws *w, const lr_accum *acc, const double *m, size_t ldm,
                             const lr_model_spec *spec, lr_reduced *red, double *yy_out,
                             lr_error *err)
{
    size_t q = spec->q;
    const size_t *col = spec->cols;
    const double *mu = lr_accum_mean(acc);
    double wsum = lr_accum_weight(acc);
    double yy;
    for (size_t j = 0; j < q; j++) {
        for (size_t i = 0; i <= j; i++) {
            double g = comoment(m, ldm, col[i], col[j]);
            if (!spec->intercept)
                g += wsum * mean_of(mu, col[i]) * mean_of(mu, col[j]);
            LR_AT(w->g, q, i, j) = LR_AT(w->g, q, j, i) = g;
        }
        w->b[j] = comoment(m, ldm, 0, col[j]) +
                  (spec->intercept ? 0.0 : wsum * mu[0] * mean_of(mu, col[j]));
    }
    yy = LR_AT(m, ldm, 0, 0) + (spec->intercept ? 0.0 : wsum * mu[0] * mu[0]);
    red->tss = yy;
    *yy_out = yy;
    if (!isfinite(yy))
        return lr_error_set(err, LR_ERANGE,
                            "the sums of squares overflow a double (values too "
                            "large for the normal equations; use --method auto or qr)");

    /* Zero and constant columns are aliased outright. */
    for (size_t j = 0; j < q; j++) {
        double gjj = LR_AT(w->g, q, j, j);
        if (!isfinite(gjj))
            return lr_error_set(err, LR_ERANGE,
                                "the sums of squares of '%s' overflow a double "
                                "(use --method auto or qr)",
                                spec->names[j]);
        red->zero[j] =
            col[j] == SIZE_MAX ||
            (spec->intercept ? lr_column_is_constant(sqrt(gjj), wsum, mean_of(mu, col[j]))
                             : !(gjj > 0));
        if (red->zero[j] && col[j] != SIZE_MAX && gjj > 0)
            red->zero[j] = 2; /* constant to working precision only */
        w->pen[j] = spec->ridge_scale == LR_RIDGE_RAW ? spec->ridge : spec->ridge * gjj / wsum;
        w->d[j] = red->zero[j] ? 0.0 : 1.0 / sqrt(gjj + w->pen[j]);
    }
    /* ρ: raw against centred norms (centred only with an intercept) */
    red->rho = 1.0;
    for (size_t j = 0; spec->intercept && j <= q; j++) {
        double c = j < q ? (red->zero[j] ? 0.0 : sqrt(LR_AT(w->g, q, j, j))) : sqrt(yy);
        double mj = j == q ? mu[0] : c > 0 ? mean_of(mu, col[j]) : 0.0;
        if (c > 0 && hypot(c, sqrt(wsum) * mj) / c > red->rho)
            red->rho = hypot(c, sqrt(wsum) * mj) / c;
    }
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i < q; i++)
            LR_AT(w->gs, q, i, j) =
                w->d[i] * (LR_AT(w->g, q, i, j) + (i == j ? w->pen[j] : 0.0)) * w->d[j];
    return LR_OK;
}

/* Aliasing by an in-order Cholesky of Gs that skips dependent columns:
 * l[r, j] for kept row r, and d_j = Gs_jj − Σ l[r, j]² the relative residual
 * sum of squares of column j given the kept columns before it. Sets w->idx
 * and red->keep; returns how many are kept. */
static size_t alias_in_order(nws *w, lr_reduced *red)
{
    size_t q = w->q, nk = 0;
    for (size_t j = 0; j < q; j++) {
        if (red->zero[j])
            continue;
        for (size_t r = 0; r < nk; r++) {
            size_t i = w->idx[r];
            double s = LR_AT(w->gs, q, i, j);
            for (size_t t = 0; t < r; t++)
                s -= LR_AT(w->l, q, t, i) * LR_AT(w->l, q, t, j);
            LR_AT(w->l, q, r, j) = s / LR_AT(w->l, q, r, i);
        }
        double dj = LR_AT(w->gs, q, j, j);
        for (size_t r = 0; r < nk; r++)
            dj -= LR_AT(w->l, q, r, j) * LR_AT(w->l, q, r, j);
        if (!(dj > LR_RANK_TOL_NORMAL))
            continue; /* aliased */
        LR_AT(w->l, q, nk, j) = sqrt(dj);
        w->idx[nk++] = j;
        red->keep[j] = 1;
    }
    return nk;
}

/* --method naive: the kept block gk (n × n) inverted in place by Gauss–Jordan
 * in plain loops; rcond from the 1-norms of the block and its inverse. */
static int invert_naive(nws *w, size_t nk, const lr_model_spec *spec, double *rcond, lr_error *err)
{
    size_t q = w->q;
    double anorm = norm1(nk, w->gk, nk);
    memcpy(w->fac, w->gk, nk * nk * sizeof(double));
    size_t *perm = (size_t *)(void *)w->t;
    size_t bad = lr_naive_invert(nk, w->fac, nk, (double)nk * DBL_EPSILON, perm, w->t + q);
    if (bad)
        return singular_error(err, spec, w->idx[bad - 1], 0);
    *rcond = 1.0 / (anorm * norm1(nk, w->fac, nk));
    if (!(*rcond >= DBL_EPSILON)) {
        size_t jm = 0;
        for (size_t j = 1; j < nk; j++)
            if (LR_AT(w->fac, nk, j, j) > LR_AT(w->fac, nk, jm, jm))
                jm = j;
        return singular_error(err, spec, w->idx[jm], *rcond);
    }
    memcpy(w->gk, w->fac, nk * nk * sizeof(double));
    return LR_OK;
}

/* The kept block of Gs inverted (naive or LAPACK), then β = D Gs⁻¹ D b over
 * the kept columns and their (XᵀX)⁻¹ = D Gs⁻¹ D. */
static int solve_kept(nws *w, size_t nk, const lr_model_spec *spec, lr_method method,
                      lr_reduced *red, lr_error *err)
{
    size_t q = w->q;
    int naive = method == LR_METHOD_NAIVE, rc;
    if (nk == 0) {
        red->rcond = 1;
        return LR_OK;
    }
    for (size_t c = 0; c < nk; c++)
        for (size_t r = 0; r < nk; r++)
            LR_AT(w->gk, nk, r, c) = LR_AT(w->gs, q, w->idx[r], w->idx[c]);
    if ((rc = naive ? invert_naive(w, nk, spec, &red->rcond, err)
                    : invert_lapack(w, nk, spec, &red->rcond, err)))
        return rc;

    /* β = D Gs⁻¹ D b over the kept columns. */
    double *db = w->t, *bs = w->t + q;
    for (size_t r = 0; r < nk; r++)
        db[r] = w->d[w->idx[r]] * w->b[w->idx[r]];
    if (naive) {
        lr_naive_matvec(nk, w->gk, nk, db, bs);
    } else if (method == LR_METHOD_CHOLESKY && LR_AT(w->fac, nk, 0, 0) != 0) {
        /* triangular solves with the Cholesky factor instead of the inverse */
        memcpy(bs, db, nk * sizeof(double));
        lapack_int info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', (lapack_int)nk, 1, w->fac,
                                              (lapack_int)nk, bs, (lapack_int)nk);
        if (info != 0)
            return lr_error_set(err, LR_ELAPACK, "dpotrs: argument %d is invalid", (int)-info);
    } else {
        cblas_dsymv(CblasColMajor, CblasUpper, (int)nk, 1.0, w->gk, (int)nk, db, 1, 0.0, bs, 1);
    }
    for (size_t r = 0; r < nk; r++)
        red->beta[w->idx[r]] = w->d[w->idx[r]] * bs[r];
    for (size_t c = 0; c < nk; c++)
        for (size_t r = 0; r < nk; r++)
            LR_AT(red->v, q, w->idx[r], w->idx[c]) =
                w->d[w->idx[r]] * LR_AT(w->gk, nk, r, c) * w->d[w->idx[c]];
    return LR_OK;
}

/* The dependency of each aliased column on the kept ones:
 * c = G_KK⁻¹ G_Kj = D_K Gs_KK⁻¹ Gs_Kj / D_j. */
static void dependencies(const nws *w, size_t nk, lr_reduced *red)
{
    size_t q = w->q;
    for (size_t j = 0; j < q; j++) {
        if (red->keep[j] || red->zero[j])
            continue;
        for (size_t r = 0; r < nk; r++) {
            double s = 0;
            for (size_t t = 0; t < nk; t++)
                s += LR_AT(w->gk, nk, r, t) * LR_AT(w->gs, q, w->idx[t], j);
            LR_AT(red->dep, q, w->idx[r], j) = w->d[w->idx[r]] * s / w->d[j];
        }
    }
}

/* Sums of squares from the quadratic form, unpenalised G; with a penalty,
 * the effective degrees of freedom tr H. */
static void sums_of_squares(const nws *w, size_t nk, double yy, const lr_model_spec *spec,
                            lr_reduced *red)
{
    size_t q = w->q;
    double btb = 0, bgb = 0;
    for (size_t r = 0; r < nk; r++) {
        size_t i = w->idx[r];
        double gb = 0;
        for (size_t t = 0; t < nk; t++)
            gb += LR_AT(w->g, q, i, w->idx[t]) * red->beta[w->idx[t]];
        btb += red->beta[i] * w->b[i];
        bgb += red->beta[i] * gb;
    }
    red->mss = bgb;
    red->rss = yy - 2 * btb + bgb;
    if (red->rss < 0)
        red->rss = 0;
    red->edf = (double)nk;
    red->rank = nk;
    red->squared = 1;
    red->rcond = sqrt(red->rcond); /* κ(X) = √κ(XᵀX) */
    if (spec->ridge > 0) {
        /* tr(H) = tr((G + Λ)⁻¹ G) over the slopes */
        double tr = 0;
        for (size_t a = 0; a < nk; a++)
            for (size_t c = 0; c < nk; c++)
                tr += LR_AT(red->v, q, w->idx[a], w->idx[c]) * LR_AT(w->g, q, w->idx[c], w->idx[a]);
        red->edf = tr;
        red->no_se = 1;
    }
}

int lr_solve_normal(const lr_accum *acc, const lr_model_spec *spec, lr_method method,
                    lr_reduced *red, lr_error *err)
{
    size_t ldm;
    double yy = 0;
    int rc;
    nws w;

    const double *m = lr_accum_comoments(acc, &ldm);
    if (!m) /* a QR accumulator's RᵀR needed memory */
        return lr_error_nomem(err);
    if (!nws_alloc(&w, spec->q)) {
        nws_free(&w);
        return lr_error_nomem(err);
    }
    if (!(rc = gram_equilibrated(&w, acc, m, ldm, spec, red, &yy, err))) {
        size_t nk = alias_in_order(&w, red);
        if (!(rc = solve_kept(&w, nk, spec, method, red, err))) {
            dependencies(&w, nk, red);
            sums_of_squares(&w, nk, yy, spec, red);
        }
    }
    nws_free(&w);
    return rc;
}
