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
    mpfr_t *a;  /* entries */
    size_t n;   /* order */
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

int lr_extended_fit(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                    const lr_accum *acc, mpfr_prec_t prec, const lr_fit_options *opt,
                    lr_solution *out, lr_error *err)
{
    size_t q = spec->q;
    size_t icpt = spec->intercept ? 1 : 0;
    size_t P = icpt + q + 1; /* [1], x, y */
    size_t p = icpt + q;
    const double *amu = lr_accum_mean(acc);
    lr_csv *csv = NULL;
    lr_frame_mp *mp = NULL;
    mpmat G = {NULL, 0}, R = {NULL, 0}, V = {NULL, 0};
    mpfr_t *c = NULL, *mu = NULL, *beta = NULL, *coef = NULL;
    mpfr_t t1, t2, wsum;
    unsigned char *keep = NULL;
    double *dcoef = NULL;
    int rc, tinit = 0;
    uint64_t nobs = 0;

    memset(out, 0, sizeof *out);
    if ((rc = lr_frame_mp_create(frame, prec, &mp, err)))
        return rc;
    c = lr_mem_calloc(P, sizeof(mpfr_t));
    mu = lr_mem_calloc(P, sizeof(mpfr_t));
    beta = lr_mem_calloc(P, sizeof(mpfr_t));
    coef = lr_mem_calloc(P, sizeof(mpfr_t));
    keep = lr_mem_calloc(P, 1);
    dcoef = lr_mem_calloc(q ? q : 1, sizeof(double));
    if (!c || !mu || !beta || !coef || !keep || !dcoef || mat_init(&G, P, prec) ||
        mat_init(&R, P, prec) || mat_init(&V, P, prec)) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t i = 0; i < P; i++) {
        mpfr_inits2(prec, c[i], mu[i], beta[i], coef[i], (mpfr_ptr)0);
        mpfr_set_zero(mu[i], 1);
    }
    mpfr_inits2(prec, t1, t2, wsum, (mpfr_ptr)0);
    tinit = 1;
    mpfr_set_zero(wsum, 1);
    /* The shift: the first pass's means (exact doubles), with an intercept only. */
    if (icpt) {
        for (size_t j = 0; j < q; j++)
            mpfr_set_d(mu[1 + j], spec->cols[j] == SIZE_MAX ? 0.0 : amu[spec->cols[j]],
                       MPFR_RNDN);
        mpfr_set_d(mu[P - 1], amu[0], MPFR_RNDN);
    }

    /* The second pass. */
    lr_csv_row row;
    int has = 0, use = 0;
    if ((rc = reopen(input, delimiter, &csv, err)))
        goto done;
    const uint64_t nrows = lr_frame_rows(frame);
    for (uint64_t nread = 0;; nread++) {
        if (nread % 4096 == 0) /* a row costs microseconds in MPFR: a call per 4,096 is noise */
            lr_progress_send(opt->progress, opt->progress_ud, "extended precision", "rows",
                             nread, nrows, 0);
        if ((rc = lr_csv_next(csv, &row, &has, err)))
            goto done;
        if (!has) {
            lr_progress_send(opt->progress, opt->progress_ud, "extended precision", "rows",
                             nread, nrows, 0);
            break;
        }
        if ((rc = lr_frame_mp_row(mp, &row, &use, err)))
            goto done;
        mpfr_ptr w = lr_frame_mp_w(mp);
        if (!use || mpfr_zero_p(w))
            continue;
        nobs++;
        mpfr_add(wsum, wsum, w, MPFR_RNDN);
        mpfr_t *x = lr_frame_mp_x(mp);
        if (icpt)
            mpfr_set_ui(c[0], 1, MPFR_RNDN);
        for (size_t j = 0; j < q; j++)
            mpfr_sub(c[icpt + j], x[j], mu[icpt + j], MPFR_RNDN);
        mpfr_sub(c[P - 1], lr_frame_mp_y(mp), mu[P - 1], MPFR_RNDN);
        /* G += w c cᵀ (upper triangle) */
        for (size_t j = 0; j < P; j++) {
            mpfr_mul(t1, w, c[j], MPFR_RNDN);
            for (size_t i = 0; i <= j; i++)
                mpfr_fma(M(G, i, j), t1, c[i], M(G, i, j), MPFR_RNDN);
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

    /* In-order Cholesky with aliasing; the response's pivot is the RSS. */
    mpfr_t tol;
    mpfr_init2(tol, 64);
    mpfr_set_ui_2exp(tol, 1, -(long)(prec - 96), MPFR_RNDN);
    size_t nk = 0;
    size_t *kept = lr_mem_calloc(P, sizeof(size_t));
    double minpiv = 1;
    if (!kept) {
        mpfr_clear(tol);
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < P; j++) {
        /* R[r, j] for the kept rows r, then the pivot d = G_jj − Σ R[r, j]² */
        for (size_t a = 0; a < nk; a++) {
            size_t r = kept[a];
            mpfr_set(t1, M(G, r, j), MPFR_RNDN);
            for (size_t b = 0; b < a; b++) {
                mpfr_mul(t2, M(R, kept[b], r), M(R, kept[b], j), MPFR_RNDN);
                mpfr_sub(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(M(R, r, j), t1, M(R, r, r), MPFR_RNDN);
        }
        mpfr_set(t1, M(G, j, j), MPFR_RNDN);
        for (size_t a = 0; a < nk; a++) {
            mpfr_sqr(t2, M(R, kept[a], j), MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
        }
        if (j == P - 1) {
            if (mpfr_sgn(t1) < 0)
                mpfr_set_zero(t1, 1);
            mpfr_set(M(R, j, j), t1, MPFR_RNDN); /* RSS */
            break;
        }
        /* relative pivot d / G_jj: dependence below the tolerance */
        int alias = mpfr_zero_p(M(G, j, j));
        if (!alias) {
            mpfr_div(t2, t1, M(G, j, j), MPFR_RNDN);
            alias = mpfr_cmp(t2, tol) <= 0;
            if (!alias && mpfr_get_d(t2, MPFR_RNDN) < minpiv)
                minpiv = mpfr_get_d(t2, MPFR_RNDN);
        }
        if (alias)
            continue;
        mpfr_sqrt(M(R, j, j), t1, MPFR_RNDN);
        keep[j] = 1;
        kept[nk++] = j;
    }
    mpfr_clear(tol);

    /* β (shifted) by back substitution on the kept columns: R_KK β = R_Ky. */
    for (size_t a = nk; a-- > 0;) {
        size_t r = kept[a];
        mpfr_set(t1, M(R, r, P - 1), MPFR_RNDN);
        for (size_t b = a + 1; b < nk; b++) {
            mpfr_mul(t2, M(R, r, kept[b]), beta[kept[b]], MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
        }
        mpfr_div(beta[r], t1, M(R, r, r), MPFR_RNDN);
    }
    /* (XᵀX)⁻¹ = R⁻¹R⁻ᵀ: first R⁻¹ into V's upper triangle (kept × kept). */
    for (size_t a = 0; a < nk; a++) {
        size_t j = kept[a];
        mpfr_ui_div(M(V, j, j), 1, M(R, j, j), MPFR_RNDN);
        for (size_t b = a; b-- > 0;) {
            size_t i = kept[b];
            mpfr_set_zero(t1, 1);
            for (size_t e = b + 1; e <= a; e++) {
                mpfr_mul(t2, M(R, i, kept[e]), M(V, kept[e], j), MPFR_RNDN);
                mpfr_add(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(t1, t1, M(R, i, i), MPFR_RNDN);
            mpfr_neg(M(V, i, j), t1, MPFR_RNDN);
        }
    }
    /* S = R⁻¹R⁻ᵀ into G (no longer needed): S_ij = Σ_e Rinv[i, e] Rinv[j, e]. */
    for (size_t a = 0; a < nk; a++)
        for (size_t b = 0; b <= a; b++) {
            size_t i = kept[b], j = kept[a];
            mpfr_set_zero(t1, 1);
            for (size_t e = a; e < nk; e++) {
                mpfr_mul(t2, M(V, i, kept[e]), M(V, j, kept[e]), MPFR_RNDN);
                mpfr_add(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_set(M(G, i, j), t1, MPFR_RNDN);
            mpfr_set(M(G, j, i), t1, MPFR_RNDN);
        }

    /* Undo the shift: β₀ −= Σ μⱼβⱼ; V₀₀ += −2 μᵀV_x0 + μᵀV_xxμ; V₀ⱼ −= (V_xxμ)ⱼ. */
    if (icpt) {
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
                mpfr_mul(t2, M(G, j, i), mu[i], MPFR_RNDN);
                mpfr_add(coef[j], coef[j], t2, MPFR_RNDN);
            }
        }
        mpfr_set(t1, M(G, 0, 0), MPFR_RNDN);
        for (size_t a = 0; a < nk; a++) {
            size_t j = kept[a];
            if (j == 0)
                continue;
            mpfr_mul(t2, mu[j], M(G, j, 0), MPFR_RNDN);
            mpfr_mul_2ui(t2, t2, 1, MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
            mpfr_mul(t2, mu[j], coef[j], MPFR_RNDN);
            mpfr_add(t1, t1, t2, MPFR_RNDN);
        }
        for (size_t a = 0; a < nk; a++) {
            size_t j = kept[a];
            if (j == 0)
                continue;
            mpfr_sub(M(G, j, 0), M(G, j, 0), coef[j], MPFR_RNDN);
            mpfr_set(M(G, 0, j), M(G, j, 0), MPFR_RNDN);
        }
        mpfr_set(M(G, 0, 0), t1, MPFR_RNDN);
    }

    /* Round once, into the solution. */
    out->p = p;
    out->beta = lr_mem_calloc(p ? p : 1, sizeof(double));
    out->xtx_inv = lr_mem_calloc(p * p, sizeof(double));
    out->aliased = lr_mem_calloc(p ? p : 1, 1);
    out->depends = lr_mem_calloc(p ? p : 1, sizeof(char *));
    if (!out->beta || !out->xtx_inv || !out->aliased || !out->depends) {
        lr_mem_free(kept, P * sizeof(size_t));
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < p; j++) {
        out->beta[j] = keep[j] ? mpfr_get_d(beta[j], MPFR_RNDN) : (double)NAN;
        out->aliased[j] = !keep[j];
        for (size_t i = 0; i < p; i++)
            LR_AT(out->xtx_inv, p, i, j) =
                keep[i] && keep[j] ? mpfr_get_d(M(G, i, j), MPFR_RNDN) : (double)NAN;
    }
    out->rank = nk;
    mpfr_set(t1, M(R, P - 1, P - 1), MPFR_RNDN); /* RSS */
    out->rss = mpfr_get_d(t1, MPFR_RNDN);
    /* TSS about the mean — Σ w c_y² − (Σ w c_y)² / W with c_y = y − μ_y, from G's
     * response column, which the inverse did not overwrite — or about zero. */
    mpfr_set(t2, M(G, P - 1, P - 1), MPFR_RNDN);
    if (icpt) {
        mpfr_sqr(t1, M(G, 0, P - 1), MPFR_RNDN);
        mpfr_div(t1, t1, wsum, MPFR_RNDN);
        mpfr_sub(t2, t2, t1, MPFR_RNDN);
    }
    out->tss = mpfr_get_d(t2, MPFR_RNDN);
    mpfr_sub(t2, t2, M(R, P - 1, P - 1), MPFR_RNDN);
    out->mss = mpfr_get_d(t2, MPFR_RNDN);
    out->edf = (double)nk;
    out->extended_bits = (int)prec;
    /* what the precision left: 2 log₂ κ bits lost against prec */
    {
        double lost = minpiv > 0 ? -log2(minpiv) : (double)prec;
        double bits = (double)prec - lost - 64;
        out->digits = bits * log10(2.0);
        if (out->digits > 15.9)
            out->digits = 15.9;
        if (out->digits < 0)
            out->digits = 0;
    }
    /* Dependencies of aliased predictors: c = R_KK⁻¹ R_Kj over the columns kept
     * before j (coefficients on the shifted columns, the intercept's being the
     * constant). */
    for (size_t j = icpt; j < p; j++) {
        if (keep[j])
            continue;
        size_t jq = j - icpt;
        double constant = 0, scale = 0;
        int zero = spec->cols[jq] == SIZE_MAX;
        /* R[r, j] for kept r < j were computed above. */
        for (size_t a = nk; a-- > 0;) {
            size_t r = kept[a];
            if (r >= j) {
                mpfr_set_zero(coef[r], 1);
                continue;
            }
            mpfr_set(t1, M(R, r, j), MPFR_RNDN);
            for (size_t b = a + 1; b < nk; b++) {
                if (kept[b] >= j)
                    continue;
                mpfr_mul(t2, M(R, r, kept[b]), coef[kept[b]], MPFR_RNDN);
                mpfr_sub(t1, t1, t2, MPFR_RNDN);
            }
            mpfr_div(coef[r], t1, M(R, r, r), MPFR_RNDN);
        }
        double big = 0;
        for (size_t i = 0; i < q; i++) {
            dcoef[i] = keep[icpt + i] && icpt + i < j ? mpfr_get_d(coef[icpt + i], MPFR_RNDN)
                                                      : 0.0;
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
        if (!out->depends[j]) {
            lr_mem_free(kept, P * sizeof(size_t));
            rc = lr_error_nomem(err);
            goto done;
        }
    }
    lr_mem_free(kept, P * sizeof(size_t));
    rc = LR_OK;
done:
    if (rc)
        lr_solution_free(out);
    if (tinit) {
        for (size_t i = 0; i < P; i++)
            mpfr_clears(c[i], mu[i], beta[i], coef[i], (mpfr_ptr)0);
        mpfr_clears(t1, t2, wsum, (mpfr_ptr)0);
    }
    lr_mem_free(c, P * sizeof(mpfr_t));
    lr_mem_free(mu, P * sizeof(mpfr_t));
    lr_mem_free(beta, P * sizeof(mpfr_t));
    lr_mem_free(coef, P * sizeof(mpfr_t));
    lr_mem_free(keep, P);
    lr_mem_free(dcoef, (q ? q : 1) * sizeof(double));
    mat_clear(&G);
    mat_clear(&R);
    mat_clear(&V);
    lr_frame_mp_free(mp);
    lr_csv_free(csv);
    return rc;
}
