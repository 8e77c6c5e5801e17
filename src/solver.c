/*
 * solver.c — β and (XᵀX)⁻¹ from the accumulated statistics.
 *
 * The model matrix the solver works with is the shifted one. With an
 * intercept, Z = [1, X − 1μᵀ]: its Gram matrix is block diagonal,
 *     G = ZᵀZ = diag(W, M_xx),   Zᵀy = (W μ_y, M_xy),
 * and X = Z A with A = [[1, μᵀ], [0, I]], so the shift is undone exactly:
 *     β = A⁻¹ β_Z,   (XᵀX)⁻¹ = A⁻¹ G⁻¹ A⁻ᵀ,   A⁻¹ = [[1, −μᵀ], [0, I]].
 * Without an intercept nothing is shifted: G = XᵀX = M_xx + W μ_x μ_xᵀ.
 *
 * G is equilibrated (Gs = D G D, D = diag(G)^(-1/2), unit diagonal) before it
 * is factored: the inverse is D Gs⁻¹ D. Cholesky is insensitive to this
 * scaling (van der Sluis), but the condition number that decides singularity
 * must not depend on the units of the columns, and Gauss–Jordan is not
 * insensitive to it.
 *
 * --method inverse: Gs = LLᵀ by dpotrf, Gs⁻¹ by dpotri, β_s = Gs⁻¹ (D b) by
 * dsymv; if dpotrf finds Gs not positive definite (rounding in a nearly
 * singular Gs), dgetrf + dgetri. --method naive: the same with plain loops and
 * Gauss–Jordan elimination with partial pivoting (solver_naive.c).
 *
 * Singular to working precision means: a column whose centred values are
 * rounding noise (constant; collinear with the intercept), an all-zero
 * column, or rcond(Gs) < ε — beyond that (XᵀX)⁻¹ has no correct digit.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "solver.h"

void lr_solution_free(lr_solution *s)
{
    if (!s)
        return;
    lr_mem_free(s->beta, s->p * sizeof(double));
    lr_mem_free(s->xtx_inv, s->p * s->p * sizeof(double));
    memset(s, 0, sizeof *s);
}

/* Working storage of one solve; freed together. */
typedef struct solve_ws {
    size_t p;       /* unknowns */
    double *g;      /* G, p × p, full */
    double *gs;     /* equilibrated G, then its inverse, p × p */
    double *fac;    /* factor (Cholesky or LU), p × p */
    double *b;      /* Zᵀy, p */
    double *d;      /* D, p */
    double *t;      /* scratch, 4p */
    lapack_int *iw; /* integer scratch / pivots, 2p */
} solve_ws;

static void ws_free(solve_ws *w)
{
    size_t pp = w->p * w->p;
    lr_mem_free(w->g, pp * sizeof(double));
    lr_mem_free(w->gs, pp * sizeof(double));
    lr_mem_free(w->fac, pp * sizeof(double));
    lr_mem_free(w->b, w->p * sizeof(double));
    lr_mem_free(w->d, w->p * sizeof(double));
    lr_mem_free(w->t, 4 * w->p * sizeof(double));
    lr_mem_free(w->iw, 2 * w->p * sizeof(lapack_int));
}

static int ws_alloc(solve_ws *w, size_t p)
{
    size_t pp = p * p;
    memset(w, 0, sizeof *w);
    w->p = p;
    w->g = lr_mem_calloc(pp, sizeof(double));
    w->gs = lr_mem_calloc(pp, sizeof(double));
    w->fac = lr_mem_calloc(pp, sizeof(double));
    w->b = lr_mem_calloc(p, sizeof(double));
    w->d = lr_mem_calloc(p, sizeof(double));
    w->t = lr_mem_calloc(4 * p, sizeof(double));
    w->iw = lr_mem_calloc(2 * p, sizeof(lapack_int));
    return w->g && w->gs && w->fac && w->b && w->d && w->t && w->iw;
}

/* Copy the upper triangle of a (ld lda) into the lower one. */
static void symmetrize(size_t n, double *a, size_t lda)
{
    for (size_t j = 0; j < n; j++)
        for (size_t i = j + 1; i < n; i++)
            LR_AT(a, lda, i, j) = LR_AT(a, lda, j, i);
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

/* Name of coefficient j of the model (j = 0 is the intercept when there is one). */
static const char *coef_name(const lr_model_spec *spec, size_t j)
{
    if (spec->intercept)
        return j == 0 ? "(Intercept)" : spec->names[j - 1];
    return spec->names[j];
}

static int singular_error(lr_error *err, const lr_model_spec *spec, size_t j, double rcond)
{
    return lr_error_set(err, LR_ESINGULAR,
                        "X'X is singular to working precision (reciprocal condition %.3g): "
                        "column '%s' is a linear combination of the other columns",
                        rcond, coef_name(spec, j));
}

/* The column most involved in a near-dependency: the largest diagonal of Gs⁻¹
 * (its variance inflation factor), from a full inverse in a (ld p). */
static size_t max_vif(size_t p, const double *inv)
{
    size_t jm = 0;
    for (size_t j = 1; j < p; j++)
        if (fabs(LR_AT(inv, p, j, j)) > fabs(LR_AT(inv, p, jm, jm)))
            jm = j;
    return jm;
}

/* Gs⁻¹ by LAPACKE into w->gs (full). Returns LR_OK or an error. */
static int invert_lapack(solve_ws *w, const lr_model_spec *spec, double *rcond, lr_error *err)
{
    lapack_int n = (lapack_int)w->p;
    size_t p = w->p;
    double anorm = norm1(p, w->gs, p);
    memcpy(w->fac, w->gs, p * p * sizeof(double));
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, w->fac, n);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dpotrf: argument %d is invalid", (int)-info);
    if (info == 0) {
        info = LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', n, w->fac, n, anorm, rcond, w->t, w->iw);
        if (info < 0)
            return lr_error_set(err, LR_ELAPACK, "dpocon: argument %d is invalid", (int)-info);
        if (!(*rcond >= DBL_EPSILON)) {
            /* Column j's Cholesky pivot L_jj² is 1 − R²_j of regressing it on the
             * columns before it: the smallest one names the dependent column. */
            size_t jm = 0;
            for (size_t j = 1; j < p; j++)
                if (LR_AT(w->fac, p, j, j) < LR_AT(w->fac, p, jm, jm))
                    jm = j;
            return singular_error(err, spec, jm, *rcond);
        }
        info = LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'U', n, w->fac, n);
        if (info != 0)
            return info < 0 ? lr_error_set(err, LR_ELAPACK, "dpotri: argument %d is invalid",
                                           (int)-info)
                            : singular_error(err, spec, (size_t)info - 1, 0);
        memcpy(w->gs, w->fac, p * p * sizeof(double));
        symmetrize(p, w->gs, p);
        return LR_OK;
    }
    /* Not positive definite: leading minor `info` failed, so column info − 1
     * depends on the columns before it — unless LU finds Gs well conditioned
     * after all (indefinite only through rounding), when dgetri inverts it. */
    size_t bad = (size_t)info - 1;
    memcpy(w->fac, w->gs, p * p * sizeof(double));
    info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, w->fac, n, w->iw);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dgetrf: argument %d is invalid", (int)-info);
    if (info > 0)
        return singular_error(err, spec, bad, 0);
    info = LAPACKE_dgecon_work(LAPACK_COL_MAJOR, '1', n, w->fac, n, anorm, rcond, w->t,
                               w->iw + p);
    if (info < 0)
        return lr_error_set(err, LR_ELAPACK, "dgecon: argument %d is invalid", (int)-info);
    if (!(*rcond >= DBL_EPSILON))
        return singular_error(err, spec, bad, *rcond);
    /* dgetri needs workspace: the 4p doubles of t are enough for its unblocked path
     * (lwork >= n); query for the optimum is unnecessary at these sizes. */
    info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, n, w->fac, n, w->iw, w->t, (lapack_int)(4 * p));
    if (info != 0)
        return info < 0 ? lr_error_set(err, LR_ELAPACK, "dgetri: argument %d is invalid",
                                       (int)-info)
                        : singular_error(err, spec, (size_t)info - 1, 0);
    memcpy(w->gs, w->fac, p * p * sizeof(double));
    /* The LU inverse of a symmetric matrix is symmetric only to rounding. */
    for (size_t j = 0; j < p; j++)
        for (size_t i = j + 1; i < p; i++) {
            double v = 0.5 * (LR_AT(w->gs, p, i, j) + LR_AT(w->gs, p, j, i));
            LR_AT(w->gs, p, i, j) = LR_AT(w->gs, p, j, i) = v;
        }
    return LR_OK;
}

/* Gs⁻¹ by Gauss–Jordan in plain loops into w->gs. */
static int invert_naive(solve_ws *w, const lr_model_spec *spec, double *rcond, lr_error *err)
{
    size_t p = w->p;
    double anorm = norm1(p, w->gs, p);
    memcpy(w->fac, w->gs, p * p * sizeof(double));
    size_t *perm = (size_t *)(void *)w->t; /* p entries fit in the 4p doubles */
    /* Gs has unit diagonal: a pivot below pε is rounding noise. */
    size_t bad = lr_naive_invert(p, w->fac, p, (double)p * DBL_EPSILON, perm, w->t + p);
    if (bad)
        return singular_error(err, spec, bad - 1, 0);
    *rcond = 1.0 / (anorm * norm1(p, w->fac, p));
    if (!(*rcond >= DBL_EPSILON))
        return singular_error(err, spec, max_vif(p, w->fac), *rcond);
    memcpy(w->gs, w->fac, p * p * sizeof(double));
    return LR_OK;
}

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

int lr_solve(const lr_accum *acc, const lr_model_spec *spec, lr_method method, lr_solution *out,
             lr_error *err)
{
    size_t ldm;
    int intercept = spec->intercept;
    size_t q = spec->q;
    size_t p = q + (intercept ? 1u : 0u);
    const double *mu = lr_accum_mean(acc);
    const double *m = lr_accum_comoments(acc, &ldm);
    double wsum = lr_accum_weight(acc);
    int naive = method == LR_METHOD_NAIVE;
    int rc = LR_OK;

    memset(out, 0, sizeof *out);
    if (p == 0)
        return lr_error_set(err, LR_EUSAGE, "the model has no coefficients");
    if (p > (size_t)INT32_MAX / 4 || p * p > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "too many coefficients (%zu)", p);
    if (!(wsum > 0))
        return lr_error_set(err, LR_EDATA, "no observations with nonzero weight");

    solve_ws w;
    if (!ws_alloc(&w, p)) {
        ws_free(&w);
        return lr_error_nomem(err);
    }
    out->p = p;
    out->beta = lr_mem_calloc(p, sizeof(double));
    out->xtx_inv = lr_mem_calloc(p * p, sizeof(double));
    double *pen = lr_mem_calloc(p, sizeof(double)); /* the ridge penalty's diagonal */
    if (!out->beta || !out->xtx_inv || !pen) {
        rc = lr_error_nomem(err);
        goto fail;
    }

    /* G and Zᵀy of the shifted model matrix (see the top of this file). Model
     * column j ≥ off is the spec's column j − off. */
    size_t off = intercept ? 1 : 0;
    const size_t *col = spec->cols;
    double yy;
    if (intercept) {
        LR_AT(w.g, p, 0, 0) = wsum;
        w.b[0] = wsum * mu[0];
        for (size_t j = 1; j < p; j++) {
            for (size_t i = 1; i <= j; i++)
                LR_AT(w.g, p, i, j) = comoment(m, ldm, col[i - 1], col[j - 1]);
            w.b[j] = comoment(m, ldm, 0, col[j - 1]);
        }
        yy = LR_AT(m, ldm, 0, 0);
    } else {
        for (size_t j = 0; j < p; j++) {
            double muj = mean_of(mu, col[j]);
            for (size_t i = 0; i <= j; i++)
                LR_AT(w.g, p, i, j) =
                    comoment(m, ldm, col[i], col[j]) + wsum * mean_of(mu, col[i]) * muj;
            w.b[j] = comoment(m, ldm, 0, col[j]) + wsum * mu[0] * muj;
        }
        yy = LR_AT(m, ldm, 0, 0) + wsum * mu[0] * mu[0];
    }
    symmetrize(p, w.g, p);

    /* Zero and constant columns: a centred sum of squares at the level of the
     * rounding of the column's own values (100 ε |μ|)² per unit weight means the
     * column is constant; without an intercept, an all-zero column. */
    for (size_t j = off; j < p; j++) {
        double gjj = LR_AT(w.g, p, j, j);
        double noise = intercept ? 100.0 * DBL_EPSILON * fabs(mean_of(mu, col[j - off])) : 0.0;
        if (col[j - off] == SIZE_MAX) {
            rc = lr_error_set(err, LR_ESINGULAR,
                              "column '%s' is zero in every row used (no row has this "
                              "combination of levels)", coef_name(spec, j));
            goto fail;
        }
        if (!(gjj > wsum * noise * noise)) {
            rc = lr_error_set(err, LR_ESINGULAR,
                              intercept ? "column '%s' is constant: it is collinear with the "
                                          "intercept"
                                        : "column '%s' is zero in every row used",
                              coef_name(spec, j));
            goto fail;
        }
    }

    /* Ridge: minimise ‖y − Xβ‖² + βᵀΛβ over the slopes, Λ = λ diag(s²) with
     * s² the mean square of each (centred) column — the penalty on
     * coefficients of standardized columns, as MASS::lm.ridge — or Λ = λ I. */
    for (size_t j = off; j < p; j++)
        pen[j] = spec->ridge_scale == LR_RIDGE_RAW ? spec->ridge
                                                   : spec->ridge * LR_AT(w.g, p, j, j) / wsum;

    /* Equilibrate G + Λ: Gs = D (G + Λ) D, D = diag(G + Λ)^(-1/2). */
    for (size_t j = 0; j < p; j++)
        w.d[j] = 1.0 / sqrt(LR_AT(w.g, p, j, j) + pen[j]);
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            LR_AT(w.gs, p, i, j) =
                w.d[i] * (LR_AT(w.g, p, i, j) + (i == j ? pen[j] : 0.0)) * w.d[j];

    rc = naive ? invert_naive(&w, spec, &out->rcond, err)
               : invert_lapack(&w, spec, &out->rcond, err);
    if (rc)
        goto fail;

    /* β = D Gs⁻¹ D b;  (XᵀX)⁻¹ of the shifted problem = D Gs⁻¹ D. */
    double *db = w.t; /* D b */
    for (size_t j = 0; j < p; j++)
        db[j] = w.d[j] * w.b[j];
    if (naive)
        lr_naive_matvec(p, w.gs, p, db, out->beta);
    else
        cblas_dsymv(CblasColMajor, CblasUpper, (int)p, 1.0, w.gs, (int)p, db, 1, 0.0, out->beta,
                    1);
    for (size_t j = 0; j < p; j++)
        out->beta[j] *= w.d[j];
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            LR_AT(out->xtx_inv, p, i, j) = w.d[i] * LR_AT(w.gs, p, i, j) * w.d[j];

    /* Sums of squares from the quadratic form q(β) = yy − 2βᵀb + βᵀGβ, whose
     * error is second order in the error of β. With an intercept only the slopes
     * enter (the intercept block of the centred problem is exact). */
    double *gb = w.t + p; /* G β */
    if (naive)
        lr_naive_matvec(p, w.g, p, out->beta, gb);
    else
        cblas_dsymv(CblasColMajor, CblasUpper, (int)p, 1.0, w.g, (int)p, out->beta, 1, 0.0, gb,
                    1);
    double btb = 0, bgb = 0;
    for (size_t j = off; j < p; j++) {
        btb += out->beta[j] * w.b[j];
        bgb += out->beta[j] * gb[j];
    }
    out->mss = bgb;
    out->tss = yy;
    out->rss = yy - 2 * btb + bgb;
    if (out->rss < 0)
        out->rss = 0;
    out->rank = p;
    /* Effective degrees of freedom tr(H) = tr((G + Λ)⁻¹ G) over the slopes,
     * plus the intercept; exactly p without a penalty. */
    out->edf = (double)p;
    if (spec->ridge > 0) {
        double tr = 0;
        for (size_t i = off; i < p; i++)
            for (size_t j = off; j < p; j++)
                tr += LR_AT(out->xtx_inv, p, i, j) * LR_AT(w.g, p, j, i);
        out->edf = tr + (double)off;
    }

    /* Undo the shift: β₀ = β_Z0 − μᵀβ_x and (XᵀX)⁻¹ = A⁻¹ V A⁻ᵀ:
     *   V₀₀' = V₀₀ − 2μᵀv + μᵀHμ,  v' = v − Hμ,  H unchanged,
     * with V = [[V₀₀, vᵀ], [v, H]]. */
    if (intercept) {
        double *shift = w.t + 3 * p; /* μ of the model's columns */
        for (size_t i = 0; i < q; i++)
            shift[i] = mean_of(mu, col[i]);
        double *v = out->xtx_inv;
        double *hmu = w.t + 2 * p;
        for (size_t i = 0; i < q; i++) {
            double s = 0;
            for (size_t j = 0; j < q; j++)
                s += LR_AT(v, p, i + 1, j + 1) * shift[j];
            hmu[i] = s;
        }
        double mv = 0, mhm = 0, mb = 0;
        for (size_t i = 0; i < q; i++) {
            mv += shift[i] * LR_AT(v, p, i + 1, 0);
            mhm += shift[i] * hmu[i];
            mb += shift[i] * out->beta[i + 1];
        }
        LR_AT(v, p, 0, 0) = LR_AT(v, p, 0, 0) - 2 * mv + mhm;
        for (size_t i = 0; i < q; i++) {
            double vi = LR_AT(v, p, i + 1, 0) - hmu[i];
            LR_AT(v, p, i + 1, 0) = vi;
            LR_AT(v, p, 0, i + 1) = vi;
        }
        out->beta[0] -= mb;
    }
    ws_free(&w);
    lr_mem_free(pen, p * sizeof(double));
    return LR_OK;

fail:
    ws_free(&w);
    lr_mem_free(pen, p * sizeof(double));
    lr_solution_free(out);
    return rc;
}
