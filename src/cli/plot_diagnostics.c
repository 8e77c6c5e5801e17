/*
 * plot_diagnostics.c — residuals against fitted values, and a normal Q–Q plot
 * of the standardized residuals, side by side in one SVG (R's plot.lm 1 and 2).
 * Large fits are drawn from the deterministic subsample the library keeps
 * (every k-th observation), which the subtitle states.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"

#define W 900.0
#define H 420.0
#define PAD_L 62.0
#define PAD_R 18.0
#define PAD_T 58.0
#define PAD_B 52.0
#define PANEL ((W - 3 * PAD_L) / 2)

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

void lr_plot_diagnostics_svg(FILE *f, const lr_fit *fit)
{
    const double *fv, *sr, *sorted;
    size_t n = lr_fit_plot_points(fit, &fv, &sr, &sorted);
    const lr_summary *s = lr_fit_summary(fit);
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
            "fill=\"#555\">%zu of %llu observations%s</text>\n",
            W / 2, n, (unsigned long long)s->n, n < s->n ? " (every k-th, in file order)" : "");
    /* residuals against fitted */
    axis ax = range_of(fv, n), ay = range_of(sr, n);
    double h = H - PAD_T - PAD_B;
    frame(f, PAD_L, &ax, &ay, "Residuals vs fitted", "fitted value", "standardized residual");
    if (ay.lo < 0 && ay.hi > 0) {
        double y = PAD_T + h - px(&ay, 0, 0, h);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                "stroke-dasharray=\"4 3\"/>\n",
                PAD_L, y, PAD_L + PANEL, y);
    }
    fputs("<g fill=\"#1f77b4\" fill-opacity=\"0.6\">\n", f);
    for (size_t i = 0; i < n; i++)
        if (isfinite(fv[i]) && isfinite(sr[i]))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>\n",
                    px(&ax, fv[i], PAD_L, PANEL), PAD_T + h - px(&ay, sr[i], 0, h));
    fputs("</g>\n", f);
    /* normal Q–Q: theoretical quantiles Φ⁻¹((i − a)/(n + 1 − 2a)), R's ppoints */
    double x0 = 2 * PAD_L + PANEL;
    double a = n <= 10 ? 3.0 / 8 : 0.5;
    double tmin = n ? gsl_cdf_ugaussian_Pinv((1 - a) / ((double)n + 1 - 2 * a)) : -2;
    axis tq = {tmin, -tmin};
    double pad = 0.05 * (tq.hi - tq.lo);
    tq.lo -= pad;
    tq.hi += pad;
    frame(f, x0, &tq, &ay, "Normal Q-Q", "theoretical quantile", "standardized residual");
    /* the line through the quartiles, as qqline */
    if (n >= 4) {
        double q1 = sorted[n / 4], q3 = sorted[(3 * n) / 4];
        double z1 = gsl_cdf_ugaussian_Pinv(0.25), z3 = gsl_cdf_ugaussian_Pinv(0.75);
        double slope = (q3 - q1) / (z3 - z1), icp = q1 - slope * z1;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\"/>\n",
                px(&tq, tq.lo, x0, PANEL), PAD_T + h - px(&ay, icp + slope * tq.lo, 0, h),
                px(&tq, tq.hi, x0, PANEL), PAD_T + h - px(&ay, icp + slope * tq.hi, 0, h));
    }
    fputs("<g fill=\"#1f77b4\" fill-opacity=\"0.6\">\n", f);
    for (size_t i = 0; i < n; i++) {
        double z = gsl_cdf_ugaussian_Pinv(((double)i + 1 - a) / ((double)n + 1 - 2 * a));
        if (isfinite(sorted[i]))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>\n", px(&tq, z, x0, PANEL),
                    PAD_T + h - px(&ay, sorted[i], 0, h));
    }
    fputs("</g>\n</svg>\n", f);
}
