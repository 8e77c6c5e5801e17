/*
 * basis_poly.c — the bases' dispatch, R's orthogonal poly() and scale().
 *
 * poly(x, d) (R's stats::poly): with x̄ the mean and c = x − x̄, the monic
 * polynomials orthogonal over the rows, P₀ = 1, P₁ = c − a₀,
 *   P_{k+1} = (c − a_k) P_k − (‖P_k‖² / ‖P_{k−1}‖²) P_{k−1},
 *   a_k = Σ c P_k² / ‖P_k‖²,
 * are what R's QR of the centred powers gives (its Z = Q diag(R) has P_k as
 * column k). R keeps alpha = a + x̄ and norm2 = (1, ‖P₀‖², …, ‖P_d‖²), and its
 * columns are P_k / ‖P_k‖, k = 1..d; predict evaluates the same recurrence in
 * x with those alpha and norm2, as here for every row.
 *
 * scale(x): (x − mean) / sd, sd with n − 1; with center = FALSE the divisor
 * is the root mean square √(Σx² / (n − 1)) (R's scale.default).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "basis.h"

/* Serials for lr_basis_column's cache. */
static _Atomic uint64_t next_serial = 1;

int lr_basis_fit(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                 lr_error *err)
{
    int rc;
    if (n == 0)
        return lr_error_set(err, LR_EDATA, "%s: no complete rows to compute it from", label);
    switch (b->kind) {
    case LR_BASIS_POLY: rc = lr_basis_fit_poly(b, x, n, stride, label, err); break;
    case LR_BASIS_SCALE: rc = lr_basis_fit_scale(b, x, n, stride, label, err); break;
    default: rc = lr_basis_fit_spline(b, x, n, stride, label, err); break;
    }
    if (rc == LR_OK)
        rc = lr_basis_prepare(b, label, err);
    return rc;
}

int lr_basis_prepare(lr_basis *b, const char *label, lr_error *err)
{
    b->ready = 0;
    switch (b->kind) {
    case LR_BASIS_POLY:
        for (int k = 0; k < b->degree + 2; k++)
            if (!(b->norm2[k] > 0) || !isfinite(b->norm2[k]))
                return lr_error_set(err, LR_EDATA, "%s: norm2 must be positive", label);
        for (int k = 0; k < b->degree; k++)
            if (!isfinite(b->alpha[k]))
                return lr_error_set(err, LR_EDATA, "%s: alpha must be finite", label);
        break;
    case LR_BASIS_SCALE:
        if (!isfinite(b->center_v) || !(b->scale_v > 0) || !isfinite(b->scale_v))
            return lr_error_set(err, LR_EDATA,
                                "%s: the centre must be finite and the scale "
                                "positive",
                                label);
        break;
    default: {
        int rc = lr_basis_prepare_spline(b, label, err);
        if (rc)
            return rc;
    }
    }
    b->serial = next_serial++;
    b->ready = 1;
    return LR_OK;
}

void lr_basis_eval(const lr_basis *b, double x, double *out)
{
    if (!b->ready) {
        for (int j = 0; j < b->ncol; j++)
            out[j] = 0;
        return;
    }
    switch (b->kind) {
    case LR_BASIS_POLY: lr_basis_eval_poly(b, x, out); break;
    case LR_BASIS_SCALE: out[0] = (x - b->center_v) / b->scale_v; break;
    default: lr_basis_eval_spline(b, x, out); break;
    }
}

/* The model frame asks for a row's columns one at a time: the last row's
 * basis is kept per thread, keyed by the basis' serial (new at every
 * lr_basis_prepare) and the bits of x. */
static _Thread_local struct {
    uint64_t serial;                                          /* the basis evaluated (0: none) */
    double x;                                                 /* at this x */
    double out[LR_BASIS_MAX_KNOTS + LR_BASIS_MAX_DEGREE + 2]; /* its columns */
} last;

double lr_basis_column(const lr_basis *b, double x, unsigned j)
{
    if (j < 1 || (int)j > b->ncol)
        return 0;
    if (!b->ready)
        return 0;
    if (last.serial != b->serial || memcmp(&last.x, &x, sizeof x) != 0) {
        lr_basis_eval(b, x, last.out);
        last.serial = b->serial;
        last.x = x;
    }
    return last.out[j - 1];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int lr_basis_fit_poly(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                      lr_error *err)
{
    int d = b->degree;
    double *buf = lr_mem_calloc(3 * n, sizeof(double));
    if (!buf)
        return lr_error_nomem(err);
    double *c = buf, *prev = buf + n, *cur = buf + 2 * n;
    /* R: 'degree' must be less than the number of unique points */
    for (size_t i = 0; i < n; i++)
        c[i] = x[i * stride];
    qsort(c, n, sizeof(double), cmp_double);
    size_t uniq = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        uniq += c[i] != c[i - 1];
    if ((size_t)d >= uniq) {
        lr_mem_free(buf, 3 * n * sizeof(double));
        return lr_error_set(err, LR_EDATA,
                            "%s: the degree must be less than the number of "
                            "distinct values (%zu), as R's poly() requires",
                            label, uniq);
    }
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i * stride];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        c[i] = x[i * stride] - mean;
        prev[i] = 0;
        cur[i] = 1;
    }
    b->norm2[0] = 1;
    b->norm2[1] = (double)n;
    for (int k = 0; k < d; k++) {
        /* a_k, then P_{k+1} into prev (which held P_{k−1}) */
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += c[i] * cur[i] * cur[i];
        double a = s / b->norm2[k + 1];
        double r = k ? b->norm2[k + 1] / b->norm2[k] : 0;
        double nn = 0;
        for (size_t i = 0; i < n; i++) {
            double p = (c[i] - a) * cur[i] - r * prev[i];
            prev[i] = cur[i];
            cur[i] = p;
            nn += p * p;
        }
        b->alpha[k] = a + mean;
        b->norm2[k + 2] = nn;
    }
    lr_mem_free(buf, 3 * n * sizeof(double));
    return LR_OK;
}

void lr_basis_eval_poly(const lr_basis *b, double x, double *out)
{
    /* R's predict: Z₀ = 1, Z₁ = x − α₁, Z_{i+1} = (x − α_{i+1}) Z_i − (n2_{i+1}/n2_i) Z_{i−1},
     * column k = Z_k / √n2_{k+1} (norm2 indexed from 0 here) */
    double zprev = 1, z = x - b->alpha[0];
    out[0] = z / sqrt(b->norm2[2]);
    for (int i = 1; i < b->degree; i++) {
        double zn = (x - b->alpha[i]) * z - (b->norm2[i + 1] / b->norm2[i]) * zprev;
        zprev = z;
        z = zn;
        out[i] = z / sqrt(b->norm2[i + 2]);
    }
}

int lr_basis_fit_scale(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                       lr_error *err)
{
    double mean = 0;
    if (b->center) {
        for (size_t i = 0; i < n; i++)
            mean += x[i * stride];
        mean /= (double)n;
    }
    b->center_v = mean;
    b->scale_v = 1;
    if (b->scale) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (x[i * stride] - mean) * (x[i * stride] - mean);
        b->scale_v = sqrt(ss / (double)(n > 1 ? n - 1 : 1));
        if (!(b->scale_v > 0))
            return lr_error_set(err, LR_EDATA,
                                "%s: the column is constant, so scaling divides "
                                "by a standard deviation of 0",
                                label);
    }
    return LR_OK;
}
