/*
 * plot_diagnostics.c — R's plot.lm panels 1–3 side by side in one SVG: the
 * residuals against the fitted values, a normal Q–Q plot of the standardized
 * residuals, and the scale–location plot (√|standardized residual| against
 * the fitted values). Standardized residuals R leaves undefined (a leverage
 * of one, no residual degrees of freedom) are not drawn, as plot.lm drops
 * them. Large fits are drawn from the deterministic subsample the library
 * keeps (every k-th observation), which the subtitle states.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"

#define W 1350.0
#define H 420.0
#define PAD_L 62.0
#define PAD_R 18.0
#define PAD_T 58.0
#define PAD_B 52.0
#define PANEL ((W - 4 * PAD_L) / 3)
/* the left edge of panel k (0, 1, 2) */
#define PANEL_X(k) (PAD_L + (k) * (PANEL + PAD_L))

typedef struct axis {
    double lo, hi; /* data range */
} axis;

static axis range_of(const double *x, size_t n)
{
    axis a = {(double)INFINITY, -(double)INFINITY};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        if (x[i] < a.lo)
            a.lo = x[i];
        if (x[i] > a.hi)
            a.hi = x[i];
    }
    if (!(a.lo < a.hi)) {
        double c = isfinite(a.lo) ? a.lo : 0;
        a.lo = c - 1;
        a.hi = c + 1;
    }
    double pad = 0.05 * (a.hi - a.lo);
    a.lo -= pad;
    a.hi += pad;
    return a;
}

static double px(const axis *a, double v, double x0, double len)
{
    return x0 + (v - a->lo) / (a->hi - a->lo) * len;
}

/* About five ticks at 1, 2 or 5 × 10^k. */
static double tick_step(const axis *a)
{
    double raw = (a->hi - a->lo) / 5, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void frame(FILE *f, double x0, const axis *ax, const axis *ay, const char *title,
                  const char *xl, const char *yl)
{
    double y0 = PAD_T, w = PANEL, h = H - PAD_T - PAD_B;
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#444\"/>\n",
            x0, y0, w, h);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" "
            "font-weight=\"bold\">%s</text>\n",
            x0 + w / 2, y0 - 10, title);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">%s</text>\n",
            x0 + w / 2, H - 12, xl);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
            "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
            x0 - 44, y0 + h / 2, x0 - 44, y0 + h / 2, yl);
    double st = tick_step(ax);
    for (double t = ceil(ax->lo / st) * st; t <= ax->hi; t += st) {
        double x = px(ax, t, x0, w);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%g</text>\n",
                x, y0 + h, x, y0 + h + 4, x, y0 + h + 16, fabs(t) < st * 1e-9 ? 0.0 : t);
    }
    st = tick_step(ay);
    for (double t = ceil(ay->lo / st) * st; t <= ay->hi; t += st) {
        double y = y0 + h - px(ay, t, 0, h);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%g</text>\n",
                x0 - 4, y, x0, y, x0 - 6, y + 3, fabs(t) < st * 1e-9 ? 0.0 : t);
    }
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* One point per finite (x[i], y[i]) (y transformed by g when set). */
static void scatter(FILE *f, double x0, const axis *ax, const axis *ay, const double *x,
                    const double *y, size_t n, double (*g)(double))
{
    double h = H - PAD_T - PAD_B;
    fputs("<g fill=\"#1f77b4\" fill-opacity=\"0.6\">\n", f);
    for (size_t i = 0; i < n; i++) {
        double v = g ? g(y[i]) : y[i];
        if (isfinite(x[i]) && isfinite(v))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>\n", px(ax, x[i], x0, PANEL),
                    PAD_T + h - px(ay, v, 0, h));
    }
    fputs("</g>\n", f);
}

static double sqrt_abs(double x)
{
    return sqrt(fabs(x));
}

/* Panel 1: residuals against fitted values, with the zero line. */
static void panel_residuals(FILE *f, const double *fv, const double *e, size_t n)
{
    double h = H - PAD_T - PAD_B, x0 = PANEL_X(0);
    axis ax = range_of(fv, n), ay = range_of(e, n);
    frame(f, x0, &ax, &ay, "Residuals vs Fitted", "Fitted values", "Residuals");
    if (ay.lo < 0 && ay.hi > 0) {
        double y = PAD_T + h - px(&ay, 0, 0, h);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                "stroke-dasharray=\"4 3\"/>\n",
                x0, y, x0 + PANEL, y);
    }
    scatter(f, x0, &ax, &ay, fv, e, n, NULL);
}

/* Panel 2: normal Q–Q of the m defined standardized residuals (sorted):
 * theoretical quantiles Φ⁻¹((i − a)/(m + 1 − 2a)), R's ppoints, and the line
 * through the quartiles, as qqline. */
static void panel_qq(FILE *f, const double *sorted, size_t m)
{
    double h = H - PAD_T - PAD_B, x0 = PANEL_X(1);
    double a = m <= 10 ? 3.0 / 8 : 0.5;
    double tmin = m ? gsl_cdf_ugaussian_Pinv((1 - a) / ((double)m + 1 - 2 * a)) : -2;
    axis tq = {tmin, -tmin}, ay = range_of(sorted, m);
    double pad = 0.05 * (tq.hi - tq.lo);
    tq.lo -= pad;
    tq.hi += pad;
    frame(f, x0, &tq, &ay, "Normal Q-Q", "Theoretical Quantiles", "Standardized residuals");
    if (m >= 4) {
        double q1 = sorted[m / 4], q3 = sorted[(3 * m) / 4];
        double z1 = gsl_cdf_ugaussian_Pinv(0.25), z3 = gsl_cdf_ugaussian_Pinv(0.75);
        double slope = (q3 - q1) / (z3 - z1), icp = q1 - slope * z1;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\"/>\n",
                px(&tq, tq.lo, x0, PANEL), PAD_T + h - px(&ay, icp + slope * tq.lo, 0, h),
                px(&tq, tq.hi, x0, PANEL), PAD_T + h - px(&ay, icp + slope * tq.hi, 0, h));
    }
    double *z = malloc((m ? m : 1) * sizeof(double));
    for (size_t i = 0; z && i < m; i++)
        z[i] = gsl_cdf_ugaussian_Pinv(((double)i + 1 - a) / ((double)m + 1 - 2 * a));
    if (z)
        scatter(f, x0, &tq, &ay, z, sorted, m, NULL);
    free(z);
}

/* Panel 3: scale–location, √|standardized residual| against fitted values. */
static void panel_scale_location(FILE *f, const double *fv, const double *sr, size_t n)
{
    double x0 = PANEL_X(2), top = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(sr[i]) && sqrt_abs(sr[i]) > top)
            top = sqrt_abs(sr[i]);
    axis ax = range_of(fv, n), ay = {0, top > 0 ? 1.05 * top : 1};
    frame(f, x0, &ax, &ay, "Scale-Location", "Fitted values",
          "\xe2\x88\x9a|Standardized residuals|");
    scatter(f, x0, &ax, &ay, fv, sr, n, sqrt_abs);
}

void lr_plot_diagnostics_svg(FILE *f, const lr_fit *fit)
{
    const double *fv, *sr, *sorted;
    size_t n = lr_fit_plot_points(fit, &fv, &sr, &sorted);
    const double *e = lr_fit_plot_residuals(fit);
    const lr_summary *s = lr_fit_summary(fit);
    size_t m = 0; /* defined standardized residuals: first in sorted */
    while (m < n && isfinite(sorted[m]))
        m++;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/"
            "svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\""
            "sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fputs("<title>linreg: residual diagnostics</title>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Diagnostics: ",
            W / 2);
    xml_text(f, s->model);
    fprintf(f,
            "</text>\n<text x=\"%.1f\" y=\"38\" text-anchor=\"middle\" font-size=\"11\" "
            "fill=\"#555\">%zu of %llu observations%s%s</text>\n",
            W / 2, n, (unsigned long long)s->n, n < s->n ? " (every k-th, in file order)" : "",
            m < n ? "; standardized residuals not defined for some (leverage one, or no residual "
                    "degrees of freedom) are left out"
                  : "");
    panel_residuals(f, fv, e, n);
    panel_qq(f, sorted, m);
    panel_scale_location(f, fv, sr, n);
    fputs("</svg>\n", f);
}
