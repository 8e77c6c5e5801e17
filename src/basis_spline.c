/*
 * basis_spline.c — the splines package's ns() and bs(), evaluated as R does.
 *
 * Knots. With df and no knots, the interior knots are R's type-7 quantiles
 * of x (inside the boundary knots) at probabilities i / (m + 1), i = 1..m,
 * m = df − 1 (ns) or df − degree (bs), intercept = FALSE; the boundary
 * knots default to range(x). The full knot sequence repeats each boundary
 * knot `ord` times (ord = degree + 1; 4 for ns).
 *
 * B-splines. B_{i,1} is 1 on [t_i, t_{i+1}) (the last non-empty interval
 * also holding its right end, as splineDesign's set_cursor), and
 *   B_{i,k} = (x − t_i)/(t_{i+k−1} − t_i) B_{i,k−1} + (t_{i+k} − x)/(t_{i+k} − t_{i+1})
 * B_{i+1,k−1}, derivatives by B'_{i,k} = (k − 1)(B_{i,k−1}/(t_{i+k−1} − t_i) − B_{i+1,k−1}/(t_{i+k}
 * − t_{i+1})), a term whose knot span is empty being 0.
 *
 * bs drops the first B-spline (intercept = FALSE; intercept = TRUE keeps it,
 * and df then makes one interior knot fewer). Outside the boundary
 * knots it is R's Taylor expansion at a pivot a quarter of the way to the
 * next knot: Σ_r (x − pivot)^r / r! B^{(r)}(pivot) (R warns there).
 *
 * ns: the cubic B-splines without the first (with it for intercept = TRUE),
 * projected onto the null space of their second derivatives at the boundary knots: with C the 2 ×
 * (nb − 1) matrix of those, R takes the Householder QR of Cᵀ (LINPACK dqrdc2) and keeps columns 3..
 * of Qᵀ b for each row's b. Outside the boundary knots b is extended linearly from the boundary
 * knot (value and first derivative).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "basis.h"

/* The most knots a full sequence has: interior + 2 × (highest order). */
#define LR_MAX_FULL (LR_BASIS_MAX_KNOTS + 2 * (LR_BASIS_MAX_DEGREE + 1))

static int order_of(const lr_basis *b)
{
    return b->kind == LR_BASIS_NS ? 4 : b->degree + 1;
}

/* The full knot sequence; returns its length. */
static size_t full_knots(const lr_basis *b, double *t)
{
    int ord = order_of(b);
    size_t n = 0;
    for (int i = 0; i < ord; i++)
        t[n++] = b->boundary[0];
    for (size_t i = 0; i < b->nknots; i++)
        t[n++] = b->knots[i];
    for (int i = 0; i < ord; i++)
        t[n++] = b->boundary[1];
    return n;
}

/*
 * The nt − ord B-splines of order ord over knots t[0..nt), their deriv-th
 * derivative at x, into out. x must lie within [t[ord−1], t[nt−ord]].
 */
static void bspline_design(const double *t, size_t nt, int ord, double x, int deriv, double *out)
{
    double v[LR_MAX_FULL];
    size_t last = nt - (size_t)ord; /* index of the right boundary knot's first copy */
    /* the interval: t_J ≤ x < t_{J+1}, or the last non-empty one at the right end */
    size_t J = SIZE_MAX;
    for (size_t i = 0; i + 1 < nt; i++)
        if (t[i] <= x && x < t[i + 1])
            J = i;
    if (J == SIZE_MAX || J >= last)
        for (size_t i = last; i-- > 0;)
            if (t[i] < t[i + 1]) {
                J = i;
                break;
            }
    for (size_t i = 0; i + 1 < nt; i++)
        v[i] = i == J ? 1.0 : 0.0;
    int k = 2;
    for (; k <= ord - deriv; k++)
        for (size_t i = 0; i + (size_t)k < nt; i++) {
            double a = t[i + (size_t)k - 1] - t[i], c = t[i + (size_t)k] - t[i + 1];
            double s = 0;
            if (a > 0)
                s += (x - t[i]) / a * v[i];
            if (c > 0)
                s += (t[i + (size_t)k] - x) / c * v[i + 1];
            v[i] = s;
        }
    for (; k <= ord; k++)
        for (size_t i = 0; i + (size_t)k < nt; i++) {
            double a = t[i + (size_t)k - 1] - t[i], c = t[i + (size_t)k] - t[i + 1];
            double s = 0;
            if (a > 0)
                s += v[i] / a;
            if (c > 0)
                s -= v[i + 1] / c;
            v[i] = (double)(k - 1) * s;
        }
    for (size_t i = 0; i < last; i++)
        out[i] = v[i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's seq.int(0, 1, length.out = m + 2)[i], computed from both ends as R does. */
static double seq_prob(size_t i, size_t m)
{
    size_t lout = m + 2;
    double by = 1.0 / (double)(lout - 1);
    return i < lout / 2 ? (double)i * by : 1.0 - (double)(lout - 1 - i) * by;
}

int lr_basis_fit_spline(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                        lr_error *err)
{
    double *s = lr_mem_calloc(n, sizeof(double));
    if (!s)
        return lr_error_nomem(err);
    size_t m = 0;
    double lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (!b->boundary_given) {
        b->boundary[0] = lo;
        b->boundary[1] = hi;
    }
    /* quantiles of the x inside the boundary knots */
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (v >= b->boundary[0] && v <= b->boundary[1])
            s[m++] = v;
    }
    if (!b->knots_given && b->nknots > 0) {
        if (m == 0) {
            lr_mem_free(s, n * sizeof(double));
            return lr_error_set(err, LR_EDATA,
                                "%s: no value inside the boundary knots to "
                                "place knots at",
                                label);
        }
        qsort(s, m, sizeof(double), cmp_double);
        for (size_t i = 0; i < b->nknots; i++) {
            /* type 7: index = 1 + (m − 1) p, between order statistics lo and hi */
            double idx = 1 + (double)(m - 1) * seq_prob(i + 1, b->nknots);
            size_t l = (size_t)floor(idx), h = (size_t)ceil(idx);
            double q = s[l - 1];
            if (idx > (double)l && s[h - 1] != q) {
                double w = idx - (double)l;
                q = (1 - w) * q + w * s[h - 1];
            }
            b->knots[i] = q;
        }
    }
    lr_mem_free(s, n * sizeof(double));
    return LR_OK;
}

int lr_basis_prepare_spline(lr_basis *b, const char *label, lr_error *err)
{
    if (!(b->boundary[0] < b->boundary[1]) || !isfinite(b->boundary[0]) ||
        !isfinite(b->boundary[1]))
        return lr_error_set(err, LR_EDATA,
                            "%s: the boundary knots must be finite and distinct "
                            "(is x constant?)",
                            label);
    for (size_t i = 0; i < b->nknots; i++)
        if (!isfinite(b->knots[i]))
            return lr_error_set(err, LR_EDATA, "%s: a knot is not finite", label);
    qsort(b->knots, b->nknots, sizeof(double), cmp_double);
    int ord = order_of(b);
    int want =
        (b->kind == LR_BASIS_NS ? (int)b->nknots + 1 : (int)b->nknots + ord - 1) + b->intercept;
    if (want != b->ncol)
        return lr_error_set(err, LR_EDATA, "%s: %zu knots make %d columns, not %d", label,
                            b->nknots, want, b->ncol);
    if (b->kind != LR_BASIS_NS)
        return LR_OK;
    /* C = second derivatives at the boundary knots, without the first B-spline
     * (unless intercept = TRUE); Cᵀ is mrow × 2, factored as LINPACK's dqrdc2
     * (no pivoting: full rank) */
    double t[LR_MAX_FULL], d2[LR_MAX_FULL];
    size_t drop = b->intercept ? 0 : 1;
    size_t nt = full_knots(b, t), nb = nt - 4, mrow = nb - drop;
    for (int c = 0; c < 2; c++) {
        bspline_design(t, nt, 4, b->boundary[c], 2, d2);
        for (size_t i = 0; i < mrow; i++)
            b->qr[(size_t)c * mrow + i] = d2[i + drop];
    }
    for (size_t l = 0; l < 2; l++) {
        double *xl = &b->qr[l * mrow];
        double nrm = 0;
        for (size_t i = l; i < mrow; i++)
            nrm += xl[i] * xl[i];
        nrm = sqrt(nrm);
        b->qraux[l] = 0;
        if (nrm == 0)
            continue;
        if (xl[l] != 0)
            nrm = copysign(nrm, xl[l]);
        for (size_t i = l; i < mrow; i++)
            xl[i] /= nrm;
        xl[l] += 1;
        for (size_t j = l + 1; j < 2; j++) {
            double *xj = &b->qr[j * mrow], dot = 0;
            for (size_t i = l; i < mrow; i++)
                dot += xl[i] * xj[i];
            double tt = -dot / xl[l];
            for (size_t i = l; i < mrow; i++)
                xj[i] += tt * xl[i];
        }
        b->qraux[l] = xl[l];
        xl[l] = -nrm;
    }
    return LR_OK;
}

void lr_basis_eval_spline(const lr_basis *b, double x, double *out)
{
    double t[LR_MAX_FULL], v[LR_MAX_FULL], d[LR_MAX_FULL];
    int ord = order_of(b);
    size_t nt = full_knots(b, t), nb = nt - (size_t)ord;
    double lo = b->boundary[0], hi = b->boundary[1];
    if (b->kind == LR_BASIS_NS) {
        if (x < lo || x > hi) {
            /* linear from the boundary knot: value + (x − k) × first derivative */
            double k = x < lo ? lo : hi;
            bspline_design(t, nt, 4, k, 0, v);
            bspline_design(t, nt, 4, k, 1, d);
            for (size_t i = 0; i < nb; i++)
                v[i] += (x - k) * d[i];
        } else {
            bspline_design(t, nt, 4, x, 0, v);
        }
        /* y = Qᵀ b (LINPACK dqrsl), b without the first B-spline (unless
         * intercept = TRUE) */
        size_t drop = b->intercept ? 0 : 1, mrow = nb - drop;
        double *y = v + drop;
        for (size_t j = 0; j < 2; j++) {
            if (b->qraux[j] == 0)
                continue;
            double xjj[LR_MAX_FULL];
            memcpy(xjj, &b->qr[j * mrow], mrow * sizeof(double));
            xjj[j] = b->qraux[j];
            double dot = 0;
            for (size_t i = j; i < mrow; i++)
                dot += xjj[i] * y[i];
            double tt = -dot / xjj[j];
            for (size_t i = j; i < mrow; i++)
                y[i] += tt * xjj[i];
        }
        for (size_t i = 2; i < mrow; i++)
            out[i - 2] = y[i];
        return;
    }
    if (x < lo || x > hi) {
        /* R's bs: Σ_r (x − pivot)^r / r! B^{(r)}(pivot), the pivot a quarter of
         * the way from the boundary knot to the next knot inward */
        double piv =
            x < lo ? 0.75 * lo + 0.25 * t[ord] : 0.75 * hi + 0.25 * t[nt - (size_t)ord - 1];
        double pw = 1, fact = 1;
        for (size_t i = 0; i < nb; i++)
            v[i] = 0;
        for (int r = 0; r <= b->degree; r++) {
            if (r > 0) {
                pw *= x - piv;
                fact *= r;
            }
            bspline_design(t, nt, ord, piv, r, d);
            for (size_t i = 0; i < nb; i++)
                v[i] += pw * (d[i] / fact);
        }
    } else {
        bspline_design(t, nt, ord, x, 0, v);
    }
    for (size_t i = b->intercept ? 0 : 1; i < nb; i++)
        out[i - (b->intercept ? 0 : 1)] = v[i];
}
