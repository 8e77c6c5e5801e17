/*
 * format_number.c — numbers formatted the way R prints them, so that a
 * linreg summary reads like summary(lm(...)) to an R user.
 *
 * R's format(x, digits = d) (formatReal in R's format.c) shows each element
 * with at most d significant digits, dropping trailing zeros, then gives all
 * elements the same layout: fixed notation with the largest number of
 * decimals any element needs, unless scientific notation is narrower.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Decompose |x| at `digits` significant digits: *nsig digits are needed after
 * trailing zeros are dropped, and *kpower is the decimal exponent of the
 * rounded value (so 9.9996 at 4 digits is 1.000e+01: nsig 1, kpower 1). */
static void sci_parts(double x, int digits, int *nsig, int *kpower)
{
    char buf[64];
    if (x == 0) {
        *nsig = 1;
        *kpower = 0;
        return;
    }
    if (snprintf(buf, sizeof buf, "%.*e", digits - 1, fabs(x)) >= (int)sizeof buf)
        buf[sizeof buf - 1] = '\0';
    char *e = strchr(buf, 'e');
    *kpower = atoi(e + 1);
    /* mantissa digits are buf[0] and buf[2..e) */
    int n = digits;
    char *last = e - 1;
    while (n > 1 && *last == '0') {
        n--;
        last--;
    }
    *nsig = n;
}

static void format_special(double x, char out[LR_NUM_MAX])
{
    if (isnan(x))
        snprintf(out, LR_NUM_MAX, "NA");
    else
        snprintf(out, LR_NUM_MAX, x > 0 ? "Inf" : "-Inf");
}

void lr_format_joint(const double *x, size_t n, int digits, char (*out)[LR_NUM_MAX])
{
    if (digits < 1)
        digits = 1;
    if (digits > 17)
        digits = 17;
    int neg = 0, mxsl = 1, rgt = 0, mxns = 1, bigexp = 0, any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        int nsig, kp;
        sci_parts(x[i], digits, &nsig, &kp);
        any = 1;
        if (x[i] < 0)
            neg = 1;
        int left = kp >= 0 ? kp + 1 : 1;
        int r = nsig - kp - 1;
        if (left > mxsl)
            mxsl = left;
        if (r > rgt)
            rgt = r;
        if (nsig > mxns)
            mxns = nsig;
        if (kp >= 100 || kp <= -100)
            bigexp = 1;
    }
    /* Widths of the two layouts; R prefers fixed unless it is wider. */
    int wfixed = neg + mxsl + (rgt > 0 ? rgt + 1 : 0);
    int wsci = neg + (mxns > 1 ? mxns + 1 : mxns) + 4 + bigexp;
    int fixed = !any || wfixed <= wsci;
    if (rgt > 17)
        fixed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            format_special(x[i], out[i]);
        else if (fixed && snprintf(out[i], LR_NUM_MAX, "%.*f", rgt, x[i]) < LR_NUM_MAX)
            continue;
        else if (snprintf(out[i], LR_NUM_MAX, "%.*e", mxns - 1, x[i]) >= LR_NUM_MAX)
            out[i][LR_NUM_MAX - 1] = '\0';
    }
}

void lr_format_pvalues(const double *p, size_t n, int digits, char (*out)[LR_NUM_MAX])
{
    double *grp = calloc(n ? n : 1, sizeof(double));
    size_t *idx = calloc(n ? n : 1, sizeof(size_t));
    char(*tmp)[LR_NUM_MAX] = calloc(n ? n : 1, LR_NUM_MAX);
    size_t nc = 0;
    int any0 = 0;
    if (!grp || !idx || !tmp) {
        for (size_t i = 0; i < n; i++)
            lr_format_g(p[i], digits, out[i]);
        free(grp);
        free(idx);
        free(tmp);
        return;
    }
    /* Two groups formatted jointly, as format.pval does: p ≥ 1e-4 (fixed) and
     * smaller ones (which format() then writes in scientific notation). */
    for (int pass = 0; pass < 2; pass++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(p[i]) || p[i] < DBL_EPSILON)
                continue;
            /* R 4.2: fixed notation down to 1e-4 (with more than one digit) */
            double expo = floor(log10(p[i]));
            int fixp = expo >= -3 || (expo == -4 && digits > 1);
            if (fixp == (pass == 0)) {
                idx[m] = i;
                grp[m++] = p[i];
            }
        }
        lr_format_joint(grp, m, digits, tmp);
        for (size_t j = 0; j < m; j++) {
            memcpy(out[idx[j]], tmp[j], LR_NUM_MAX);
            size_t w = strlen(tmp[j]);
            if (w > nc)
                nc = w;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i]))
            snprintf(out[i], LR_NUM_MAX, "NA");
        else if (p[i] < DBL_EPSILON)
            any0 = 1;
    }
    if (any0) {
        int d = digits - 2 > 1 ? digits - 2 : 1;
        int any_other = nc > 0;
        if (any_other && d > 1 && (size_t)d + 6 > nc)
            d = (int)nc - 7 > 1 ? (int)nc - 7 : 1;
        const char *sep = any_other ? ((d == 1 && nc <= 6) ? "" : " ") : (d == 1 ? "" : " ");
        char eps[LR_NUM_MAX];
        double e = DBL_EPSILON;
        lr_format_joint(&e, 1, d, &eps);
        for (size_t i = 0; i < n; i++)
            if (!isnan(p[i]) && p[i] < DBL_EPSILON)
                if (snprintf(out[i], LR_NUM_MAX, "<%s%s", sep, eps) >= LR_NUM_MAX)
                    out[i][LR_NUM_MAX - 1] = '\0';
    }
    free(grp);
    free(idx);
    free(tmp);
}

void lr_format_g(double x, int digits, char out[LR_NUM_MAX])
{
    if (!isfinite(x))
        format_special(x, out);
    else
        snprintf(out, LR_NUM_MAX, "%.*g", digits, x);
}

void lr_format_json_number(double x, char out[LR_NUM_MAX])
{
    if (!isfinite(x))
        snprintf(out, LR_NUM_MAX, "null");
    else
        snprintf(out, LR_NUM_MAX, "%.17g", x);
}

const char *lr_signif_stars(double p)
{
    if (isnan(p))
        return " ";
    if (p <= 0.001)
        return "***";
    if (p <= 0.01)
        return "**";
    if (p <= 0.05)
        return "*";
    if (p <= 0.1)
        return ".";
    return " ";
}
