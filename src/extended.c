/*
 * extended.c — a fit recomputed in MPFR arithmetic from the decimal text.
 *
 * Second pass over the data: each row's model columns are evaluated in
 * `prec` bits (model_frame_mp.c) and shifted by the first pass's means —
 * constants, so the shift is exact to the working precision and undone
 * exactly below — and the cross products of [1, x − μ, y − μ_y] are
 * accumulated. In that precision κ² is harmless (prec is chosen from the
 * condition number: 2 log₂ κ bits are lost, the rest remain), so the normal
 * equations are solved by an in-order Cholesky factorisation G = RᵀR that
 * sets aside (aliases) a column whose relative pivot is below 2^−(prec−96):
 * dependence to the working precision, which for data given with at most 17
 * digits means exact dependence. With the response last, its pivot is the
 * residual sum of squares. β by back substitution, (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, the
 * intercept's row of the inverse by the exact shift, all in MPFR; rounded to
 * double once at the end.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "extended.h"
#include "model_frame_mp.h"

/* An MPFR matrix of n × n, column-major. */
typedef struct mpmat {
    mpfr_t *a; /* entries */
    size_t n;  /* order */
} mpmat;

static int mat_init(mpmat *m, size_t n, mpfr_prec_t prec)
{
    m->n = n;
    m->a = lr_mem_calloc(n * n, sizeof(mpfr_t));
    if (!m->a)
        return LR_ENOMEM;
    for (size_t i = 0; i < n * n; i++) {
        mpfr_init2(m->a[i], prec);
        mpfr_set_zero(m->a[i], 1);
    }
    return LR_OK;
}

static void mat_clear(mpmat *m)
{
    if (!m->a)
        return;
    for (size_t i = 0; i < m->n * m->n; i++)
        mpfr_clear(m->a[i]);
    lr_mem_free(m->a, m->n * m->n * sizeof(mpfr_t));
    m->a = NULL;
}

/* The input again from its start (its descriptor or its copy), past the
 * header row. */
static int reopen(lr_source *input, char delimiter, lr_csv **out, lr_error *err)
{
    lr_csv_options copt = {delimiter, SIZE_MAX}; /* rows bounded by the first pass */
    lr_csv_row header;
    lr_source *src;
    int has = 0, rc = lr_source_again(input, &src, err);
    *out = NULL;
    if (rc || (rc = lr_csv_open_source(src, &copt, out, err)))
        return rc;
    if ((rc = lr_csv_next(*out, &header, &has, err))) {
        lr_csv_free(*out);
        *out = NULL;
    }
    return rc;
}

#define M(m, i, j) ((m).a[(size_t)(j) * (m).n + (size_t)(i)])

/* The recomputation's state, shared by its phases below. Columns are
 * [1], x, y: P = p + 1 of them, the response last. */
typedef struct ext_work {
    size_t q;         /* the model's columns without the intercept */
    size_t icpt;      /* 1 with an intercept, else 0 */
    size_t p;         /* coefficients: icpt + q */
    size_t P;         /* columns: p + 1 (the response) */
    mpfr_prec_t prec; /* the working precision */
    mpmat G;          /* Σ w c cᵀ (upper triangle); later S = (XᵀX)⁻¹ in the kept block */
    mpmat R;          /* the Cholesky factor; R[y, y] is the RSS */
    mpmat V;          /* R⁻¹ (kept × kept, upper triangle) */
    mpfr_t *c;        /* one row's shifted columns */
    mpfr_t *mu;       /* the shift: the first pass's means (zero without an intercept) */
    mpfr_t *beta;     /* β on the shifted columns, then unshifted */
    mpfr_t *coef;     /* scratch: V_xx μ, then a dependency's coefficients */
    mpfr_t t1, t2;    /* scratch */
    mpfr_t wsum;      /* Σ w */
    int tinit;        /* c..coef, t1, t2 and wsum are initialised */
    unsigned char *keep; /* keep[j]: column j is not aliased */
    size_t *kept;        /* the kept columns, in order */
    size_t nk;           /* how many are kept (the rank) */
    double *dcoef;       /* a dependency's coefficients, rounded (q of them) */
    double minpiv;       /* the smallest relative pivot kept */
} ext_work;

static void work_clear(ext_work *w)
{
    size_t P = w->P, q = w->q;
    if (w->tinit) {
        for (size_t i = 0; i < P; i++)
            mpfr_clears(w->c[i], w->mu[i], w->beta[i], w->coef[i], (mpfr_ptr)0);
        mpfr_clears(w->t1, w->t2, w->wsum, (mpfr_ptr)0);
    }
    lr_mem_free(w->c, P * sizeof(mpfr_t));
    lr_mem_free(w->mu, P * sizeof(mpfr_t));
    lr_mem_free(w->beta, P * sizeof(mpfr_t));
    lr_mem_free(w->coef, P * sizeof(mpfr_t));
    lr_mem_free(w->keep, P);
    lr_mem_free(w->kept, P * sizeof(size_t));
    lr_mem_free(w->dcoef, (q ? q : 1) * sizeof(double));
    mat_clear(&w->G);
    mat_clear(&w->R);
    mat_clear(&w->V);
}

/* Allocate w for spec in prec bits and set the shift: the first pass's means
 * (exact doubles), with an intercept only. LR_OK or LR_ENOMEM (err set);
 * work_clear frees either way. */
static int work_init(ext_work *w, const lr_model_spec *spec, const lr_accum *acc, mpfr_prec_t prec,
                     lr_error *err)
{
    size_t q = spec->q, icpt = spec->intercept ? 1 : 0;
    size_t P = icpt + q + 1;
    memset(w, 0, sizeof *w);
    w->q = q;
    w->icpt = icpt;
    w->p = icpt + q;
    w->P = P;
    w->prec = prec;
    w->minpiv = 1;
    w->c = lr_mem_calloc(P, sizeof(mpfr_t));
    w->mu = lr_mem_calloc(P, sizeof(mpfr_t));
    w->beta = lr_mem_calloc(P, sizeof(mpfr_t));
    w->coef = lr_mem_calloc(P, sizeof(mpfr_t));
    w->keep = lr_mem_calloc(P, 1);
    w->dcoef = lr_mem_calloc(q ? q : 1, sizeof(double));
    if (!w->c || !w->mu || !w->beta || !w->coef || !w->keep || !w->dcoef ||
        mat_init(&w->G, P, prec) || mat_init(&w->R, P, prec) || mat_init(&w->V, P, prec) ||
        !(w->kept = lr_mem_calloc(P, sizeof(size_t))))
        return lr_error_nomem(err);
    for (size_t i = 0; i < P; i++) {
        mpfr_inits2(prec, w->c[i], w->mu[i], w->beta[i], w->coef[i], (mpfr_ptr)0);
        mpfr_set_zero(w->mu[i], 1);
    }
    mpfr_inits2(prec, w->t1, w->t2, w->wsum, (mpfr_ptr)0);
    w->tinit = 1;
    mpfr_set_zero(w->wsum, 1);
    if (icpt) {
        const double *amu = lr_accum_mean(acc);
        for (size_t j = 0; j < q; j++)
            mpfr_set_d(w->mu[1 + j], spec->cols[j] == SIZE_MAX ? 0.0 : amu[spec->cols[j]],
                       MPFR_RNDN);
        mpfr_set_d(w->mu[P - 1], amu[0], MPFR_RNDN);
    }
    return LR_OK;
}

/* The second pass: every row evaluated in MPFR, shifted, and its w c cᵀ
 * added to G; the count of observations checked against the first pass's. */
static int second_pass(ext_work *w, lr_source *input, char delimiter, lr_frame *frame,
                       lr_frame_mp *mp, const lr_accum *acc, const lr_fit_options *opt,
                       lr_error *err)
{
    size_t icpt = w->icpt, q = w->q, P = w->P;
    lr_csv *csv = NULL;
    lr_csv_row row;
    int has = 0, use = 0, rc;
    uint64_t nobs = 0;
    if ((rc = reopen(input, delimiter, &csv, err)))
        return rc;
    const uint64_t nrows = lr_frame_rows(frame);
    for (uint64_t nread = 0;; nread++) {
        if (nread % 4096 == 0) /* a row costs microseconds in MPFR: a call per 4,096 is noise */
            lr_progress_send(opt->progress, opt->progress_ud, "extended precision", "rows", nread,
                             nrows, 0);
        if ((rc = lr_csv_next(csv, &row, &has, err)))
            goto done;
        if (!has) {
            lr_progress_send(opt->progress, opt->progress_ud, "extended precision", "rows", nread,
                             nrows, 0);
            break;
        }
        if ((rc = lr_frame_mp_row(mp, &row, &use, err)))
            goto done;
        mpfr_ptr wt = lr_frame_mp_w(mp);
        if (!use || mpfr_zero_p(wt))
            continue;
        nobs++;
        mpfr_add(w->wsum, w->wsum, wt, MPFR_RNDN);
        mpfr_t *x = lr_frame_mp_x(mp);
        if (icpt)
            mpfr_set_ui(w->c[0], 1, MPFR_RNDN);
        for (size_t j = 0; j < q; j++)
            mpfr_sub(w->c[icpt + j], x[j], w->mu[icpt + j], MPFR_RNDN);
        mpfr_sub(w->c[P - 1], lr_frame_mp_y(mp), w->mu[P - 1], MPFR_RNDN);
        /* G += w c cᵀ (upper triangle) */
        for (size_t j = 0; j < P; j++) {
            mpfr_mul(w->t1, wt, w->c[j], MPFR_RNDN);
            for (size_t i = 0; i <= j; i++)
                mpfr_fma(M(w->G, i, j), w->t1, w->c[i], M(w->G, i, j), MPFR_RNDN);
        }
    }
    if ((rc = lr_source_check(lr_csv_source(csv), err)))
        goto done;
    if (nobs != lr_accum_nobs(acc)) {
        /* the same bytes (checked above) give the same rows: a bug if not */
        rc = lr_error_set(err, LR_EDATA,
                          "%s: %llu observations when read again, %llu the first "
                          "time",
                          lr_csv_name(csv), (unsigned long long)nobs,
                          (unsigned long long)lr_accum_nobs(acc));
        goto done;
    }
done:
    lr_csv_free(csv);
    return rc;
}

/* In-order Cholesky with aliasing; the response's pivot is the RSS. A column
 * whose relative pivot d / G_jj is at most 2^−(prec−96) is aliased. */
static void cholesky_alias(ext_work *w)
{
    size_t P = w->P, nk = 0;
    size_t *kept = w->kept;
    mpfr_ptr t1 = w->t1, t2 = w->t2;
    mpfr_t tol;
    mpfr_init2(tol, 64);
    mpfr_set_ui_2exp(tol, 1, -(long)(w->prec - 96), MPFR_RNDN);
    for (size_t j = 0; j < P; j++) {
        /* R[r, j] for the kept rows r, then the pivot d = G_jj − Σ R[r, j]² */
        for (size_t a = 0; a < nk; a++) {
            size_t r = kept[a];
            mpfr_set(t1, M(w->G, r, j), MPFR_RNDN);
            for (size_t b = 0; b < a; b++) {
                mpfr_mul(t2, M(w->R, kept[b], r), M(w->R, kept[b], j), MPFR_RNDN);
                mpfr_sub(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(M(w->R, r, j), t1, M(w->R, r, r), MPFR_RNDN);
        }
        mpfr_set(t1, M(w->G, j, j), MPFR_RNDN);
        for (size_t a = 0; a < nk; a++) {
            mpfr_sqr(t2, M(w->R, kept[a], j), MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
        }
        if (j == P - 1) {
            if (mpfr_sgn(t1) < 0)
                mpfr_set_zero(t1, 1);
            mpfr_set(M(w->R, j, j), t1, MPFR_RNDN); /* RSS */
            break;
        }
        /* relative pivot d / G_jj: dependence below the tolerance */
        int alias = mpfr_zero_p(M(w->G, j, j));
        if (!alias) {
            mpfr_div(t2, t1, M(w->G, j, j), MPFR_RNDN);
            alias = mpfr_cmp(t2, tol) <= 0;
            if (!alias && mpfr_get_d(t2, MPFR_RNDN) < w->minpiv)
                w->minpiv = mpfr_get_d(t2, MPFR_RNDN);
        }
        if (alias)
            continue;
        mpfr_sqrt(M(w->R, j, j), t1, MPFR_RNDN);
        w->keep[j] = 1;
        kept[nk++] = j;
    }
    w->nk = nk;
    mpfr_clear(tol);
}

/* β (shifted) by back substitution on the kept columns, R_KK β = R_Ky; then
 * (XᵀX)⁻¹ = R⁻¹R⁻ᵀ into G's kept block. */
static void solve_and_invert(ext_work *w)
{
    size_t P = w->P, nk = w->nk;
    const size_t *kept = w->kept;
    mpfr_ptr t1 = w->t1, t2 = w->t2;
    for (size_t a = nk; a-- > 0;) {
        size_t r = kept[a];
        mpfr_set(t1, M(w->R, r, P - 1), MPFR_RNDN);
        for (size_t b = a + 1; b < nk; b++) {
            mpfr_mul(t2, M(w->R, r, kept[b]), w->beta[kept[b]], MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
        }
        mpfr_div(w->beta[r], t1, M(w->R, r, r), MPFR_RNDN);
    }
    /* (XᵀX)⁻¹ = R⁻¹R⁻ᵀ: first R⁻¹ into V's upper triangle (kept × kept). */
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        mpfr_ui_div(M(w->V, j, j), 1, M(w->R, j, j), MPFR_RNDN);
        for (size_t b = a; b-- > 0;) {
            size_t i = kept[b];
            mpfr_set_zero(t1, 1);
            for (size_t e = b + 1; e <= a; e++) {
                mpfr_mul(t2, M(w->R, i, kept[e]), M(w->V, kept[e], j), MPFR_RNDN);
                mpfr_add(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(t1, t1, M(w->R, i, i), MPFR_RNDN);
            mpfr_neg(M(w->V, i, j), t1, MPFR_RNDN);
        }
    }
    /* S = R⁻¹R⁻ᵀ into G (no longer needed): S_ij = Σ_e Rinv[i, e] Rinv[j, e]. */
    for (size_t a = 0; a < nk; a++)
        for (size_t b = 0; b <= a; b++) {
            size_t i = kept[b], j = kept[a];
            mpfr_set_zero(t1, 1);
            for (size_t e = a; e < nk; e++) {
                mpfr_mul(t2, M(w->V, i, kept[e]), M(w->V, j, kept[e]), MPFR_RNDN);
                mpfr_add(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_set(M(w->G, i, j), t1, MPFR_RNDN);
            mpfr_set(M(w->G, j, i), t1, MPFR_RNDN);
        }
}

/* Undo the shift: β₀ −= Σ μⱼβⱼ; V₀₀ += −2 μᵀV_x0 + μᵀV_xxμ; V₀ⱼ −= (V_xxμ)ⱼ.
 * With an intercept only (without one there is no shift). */
static void undo_shift(ext_work *w)
{
    size_t P = w->P, nk = w->nk;
    const size_t *kept = w->kept;
    mpfr_t *mu = w->mu, *beta = w->beta, *coef = w->coef;
    mpfr_ptr t1 = w->t1, t2 = w->t2;
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        if (j == 0)
            continue;
        mpfr_mul(t1, mu[j], beta[j], MPFR_RNDN);
        mpfr_sub(beta[0], beta[0], t1, MPFR_RNDN);
    }
    mpfr_add(beta[0], beta[0], mu[P - 1], MPFR_RNDN); /* y was shifted too */
    /* h = V_xx μ (into coef), then the intercept row and corner */
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        mpfr_set_zero(coef[j], 1);
        if (j == 0)
            continue;
        for (size_t b = 0; b < nk; b++) {
            size_t i = kept[b];
            if (i == 0)
                continue;
            mpfr_mul(t2, M(w->G, j, i), mu[i], MPFR_RNDN);
            mpfr_add(coef[j], coef[j], t2, MPFR_RNDN);
        }
    }
    mpfr_set(t1, M(w->G, 0, 0), MPFR_RNDN);
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        if (j == 0)
            continue;
        mpfr_mul(t2, mu[j], M(w->G, j, 0), MPFR_RNDN);
        mpfr_mul_2ui(t2, t2, 1, MPFR_RNDN);
        mpfr_sub(t1, t1, t2, MPFR_RNDN);
        mpfr_mul(t2, mu[j], coef[j], MPFR_RNDN);
        mpfr_add(t1, t1, t2, MPFR_RNDN);
    }
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        if (j == 0)
            continue;
        mpfr_sub(M(w->G, j, 0), M(w->G, j, 0), coef[j], MPFR_RNDN);
        mpfr_set(M(w->G, 0, j), M(w->G, j, 0), MPFR_RNDN);
    }
    mpfr_set(M(w->G, 0, 0), t1, MPFR_RNDN);
}

/* Round once, into the solution: β, (XᵀX)⁻¹, aliasing, the sums of squares
 * and the digits the precision left. LR_OK or LR_ENOMEM. */
static int round_solution(ext_work *w, lr_solution *out, lr_error *err)
{
    size_t p = w->p, P = w->P;
    mpfr_ptr t1 = w->t1, t2 = w->t2;
    out->p = p;
    out->beta = lr_mem_calloc(p ? p : 1, sizeof(double));
    out->xtx_inv = lr_mem_calloc(p * p, sizeof(double));
    out->aliased = lr_mem_calloc(p ? p : 1, 1);
    out->depends = lr_mem_calloc(p ? p : 1, sizeof(char *));
    if (!out->beta || !out->xtx_inv || !out->aliased || !out->depends)
        return lr_error_nomem(err);
    for (size_t j = 0; j < p; j++) {
        out->beta[j] = w->keep[j] ? mpfr_get_d(w->beta[j], MPFR_RNDN) : (double)NAN;
        out->aliased[j] = !w->keep[j];
        for (size_t i = 0; i < p; i++)
            LR_AT(out->xtx_inv, p, i, j) =
                w->keep[i] && w->keep[j] ? mpfr_get_d(M(w->G, i, j), MPFR_RNDN) : (double)NAN;
    }
    out->rank = w->nk;
    mpfr_set(t1, M(w->R, P - 1, P - 1), MPFR_RNDN); /* RSS */
    out->rss = mpfr_get_d(t1, MPFR_RNDN);
    /* TSS about the mean — Σ w c_y² − (Σ w c_y)² / W with c_y = y − μ_y, from G's
     * response column, which the inverse did not overwrite — or about zero. */
    mpfr_set(t2, M(w->G, P - 1, P - 1), MPFR_RNDN);
    if (w->icpt) {
        mpfr_sqr(t1, M(w->G, 0, P - 1), MPFR_RNDN);
        mpfr_div(t1, t1, w->wsum, MPFR_RNDN);
        mpfr_sub(t2, t2, t1, MPFR_RNDN);
    }
    out->tss = mpfr_get_d(t2, MPFR_RNDN);
    mpfr_sub(t2, t2, M(w->R, P - 1, P - 1), MPFR_RNDN);
    out->mss = mpfr_get_d(t2, MPFR_RNDN);
    out->edf = (double)w->nk;
    out->extended_bits = (int)w->prec;
    /* what the precision left: 2 log₂ κ bits lost against prec */
    double lost = w->minpiv > 0 ? -log2(w->minpiv) : (double)w->prec;
    double bits = (double)w->prec - lost - 64;
    out->digits = bits * log10(2.0);
    if (out->digits > 15.9)
        out->digits = 15.9;
    if (out->digits < 0)
        out->digits = 0;
    return LR_OK;
}

/* Dependencies of aliased predictors: c = R_KK⁻¹ R_Kj over the columns kept
 * before j (coefficients on the shifted columns, the intercept's being the
 * constant), described into out->depends. LR_OK or LR_ENOMEM. */
static int describe_aliased(ext_work *w, const lr_model_spec *spec, lr_solution *out, lr_error *err)
{
    size_t icpt = w->icpt, p = w->p, q = w->q, nk = w->nk;
    const size_t *kept = w->kept;
    const unsigned char *keep = w->keep;
    mpfr_t *mu = w->mu, *coef = w->coef;
    double *dcoef = w->dcoef;
    mpfr_ptr t1 = w->t1, t2 = w->t2;
    for (size_t j = icpt; j < p; j++) {
        if (keep[j])
            continue;
        size_t jq = j - icpt;
        double constant = 0, scale = 0;
        int zero = spec->cols[jq] == SIZE_MAX;
        /* R[r, j] for kept r < j were computed by cholesky_alias. */
        for (size_t a = nk; a-- > 0;) {
            size_t r = kept[a];
            if (r >= j) {
                mpfr_set_zero(coef[r], 1);
                continue;
            }
            mpfr_set(t1, M(w->R, r, j), MPFR_RNDN);
            for (size_t b = a + 1; b < nk; b++) {
                if (kept[b] >= j)
                    continue;
                mpfr_mul(t2, M(w->R, r, kept[b]), coef[kept[b]], MPFR_RNDN);
                mpfr_sub(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(coef[r], t1, M(w->R, r, r), MPFR_RNDN);
        }
        double big = 0;
        for (size_t i = 0; i < q; i++) {
            dcoef[i] = keep[icpt + i] && icpt + i < j ? mpfr_get_d(coef[icpt + i], MPFR_RNDN) : 0.0;
            if (fabs(dcoef[i]) > big)
                big = fabs(dcoef[i]);
        }
        if (icpt) {
            /* x_j − μ_j = c₀ + Σ cᵢ (xᵢ − μᵢ)  ⇒  constant = μ_j + c₀ − Σ cᵢ μᵢ */
            mpfr_add(t1, mu[j], coef[0], MPFR_RNDN);
            for (size_t i = 1; i < j; i++)
                if (keep[i]) {
                    mpfr_mul(t2, coef[i], mu[i], MPFR_RNDN);
                    mpfr_sub(t1, t1, t2, MPFR_RNDN);
                }
            constant = mpfr_get_d(t1, MPFR_RNDN);
            /* the scale the constant is noise against: the largest term at the means */
            scale = fabs(mpfr_get_d(mu[j], MPFR_RNDN));
            for (size_t i = 1; i < j; i++)
                if (keep[i] && fabs(dcoef[i - 1] * mpfr_get_d(mu[i], MPFR_RNDN)) > scale)
                    scale = fabs(dcoef[i - 1] * mpfr_get_d(mu[i], MPFR_RNDN));
            if (big == 0)
                zero = 1; /* constant: collinear with the intercept alone */
        } else if (big == 0) {
            zero = 1;
        }
        out->depends[j] =
            lr_describe_dependency(spec, jq, zero, keep + icpt, dcoef, constant, scale);
        if (!out->depends[j])
            return lr_error_nomem(err);
    }
    return LR_OK;
}

int lr_extended_fit(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                    const lr_accum *acc, mpfr_prec_t prec, const lr_fit_options *opt,
                    lr_solution *out, lr_error *err)
{
    lr_frame_mp *mp = NULL;
    ext_work w;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = lr_frame_mp_create(frame, prec, &mp, err)))
        return rc;
    if (!(rc = work_init(&w, spec, acc, prec, err)) &&
        !(rc = second_pass(&w, input, delimiter, frame, mp, acc, opt, err))) {
        cholesky_alias(&w);
        solve_and_invert(&w);
        if (w.icpt)
            undo_shift(&w);
        if (!(rc = round_solution(&w, out, err)))
            rc = describe_aliased(&w, spec, out, err);
    }
    if (rc)
        lr_solution_free(out);
    work_clear(&w);
    lr_frame_mp_free(mp);
    return rc;
}
