/*
 * plot_svg.c — the benchmark sweep as one hand-written SVG picture: on the
 * left the time per call of every kernel against p, on the right the
 * speedup of each library path over its naive counterpart, both on log
 * axes (p at powers of two, values at powers of ten), with title, axis
 * labels and legends. Only layout arithmetic here; every number plotted
 * comes from the library's result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Canvas and panel geometry, in SVG user units (pixels). */
#define W 1000.0
#define H 610.0
#define PLOT_TOP 95.0
#define PLOT_BOTTOM 400.0
#define LEFT_X0 90.0
#define LEFT_X1 470.0
#define RIGHT_X0 590.0
#define RIGHT_X1 970.0

/* One curve. */
typedef struct series {
    const char *label; /* legend text */
    const char *color; /* stroke colour */
    int dashed;        /* 1: the naive code (dashed line, hollow markers) */
    int speedup;       /* 0: timing of kernel `index`; 1: speedup number `index` */
    int index;         /* lr_bench_kernel, or 0..3 for gram, potri, getri, solve */
    int row;           /* legend row */
    int col;           /* legend column: naive code left, the library right */
} series;

static const series time_series[] = {
    {"X'X, dot products", "#1f77b4", 1, 0, LR_BENCH_GRAM_NAIVE, 0, 0},
    {"X'X, dsyrk", "#1f77b4", 0, 0, LR_BENCH_GRAM_DSYRK, 0, 1},
    {"inverse, Gauss\xe2\x80\x93Jordan", "#d62728", 1, 0, LR_BENCH_INV_GJ, 1, 0},
    {"inverse, dpotrf + dpotri", "#d62728", 0, 0, LR_BENCH_INV_POTRI, 1, 1},
    {"inverse, dgetrf + dgetri", "#ff7f0e", 0, 0, LR_BENCH_INV_GETRI, 2, 1},
    {"whole solve", "#2ca02c", 1, 0, LR_BENCH_SOLVE_NAIVE, 3, 0},
    {"whole solve", "#2ca02c", 0, 0, LR_BENCH_SOLVE_LAPACK, 3, 1},
};

static const series speedup_series[] = {
    {"X'X: dot products / dsyrk", "#1f77b4", 0, 1, 0, 0, 0},
    {"inverse: Gauss\xe2\x80\x93Jordan / dpotrf + dpotri", "#d62728", 0, 1, 1, 1, 0},
    {"inverse: Gauss\xe2\x80\x93Jordan / dgetrf + dgetri", "#ff7f0e", 0, 1, 2, 2, 0},
    {"whole solve: naive / BLAS/LAPACK", "#2ca02c", 0, 1, 3, 3, 0},
};

static double value_of(const lr_bench_size *s, const series *c)
{
    if (!c->speedup)
        return s->t[c->index].median;
    switch (c->index) {
    case 0: return s->speedup_gram;
    case 1: return s->speedup_potri;
    case 2: return s->speedup_getri;
    default: return s->speedup_solve;
    }
}

/* A log axis: the domain [lo, hi] in log units mapped onto pixels [px0, px1]. */
typedef struct axis {
    double lo;  /* log of the first value shown */
    double hi;  /* log of the last value shown */
    double px0; /* pixel of lo */
    double px1; /* pixel of hi */
} axis;

static double map(const axis *a, double logv)
{
    return a->px0 + (logv - a->lo) / (a->hi - a->lo) * (a->px1 - a->px0);
}

/* Text with the five XML special characters escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}

static void text(FILE *f, double x, double y, const char *anchor, double size, const char *extra,
                 const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.0f\"%s%s>", x, y,
            anchor, size, extra[0] ? " " : "", extra);
    xml_text(f, s);
    fputs("</text>\n", f);
}

/* "1 ms", "10 s": a power of ten of seconds. */
static void time_label(int e, char *out, size_t size)
{
    static const char *const units[] = {"ns", "\xc2\xb5s", "ms", "s"};
    int u = e < -9 ? 0 : e >= 0 ? 3 : (e + 9) / 3;
    int rest = e - (u * 3 - 9);
    if (e < -9 || e > 3)
        snprintf(out, size, "1e%d s", e);
    else
        snprintf(out, size, "%s %s",
                 rest == 0   ? "1"
                 : rest == 1 ? "10"
                 : rest == 2 ? "100"
                             : "1000",
                 units[u]);
}

static void speedup_label(int e, char *out, size_t size)
{
    if (e >= 0 && e <= 6)
        snprintf(out, size, "%.0f\xc3\x97", pow(10, e));
    else if (e < 0 && e >= -3)
        snprintf(out, size, "%.*f\xc3\x97", -e, pow(10, e));
    else
        snprintf(out, size, "1e%d\xc3\x97", e);
}

/* The frame, grid, ticks and labels of one panel. */
static void panel_axes(FILE *f, const axis *ax, const axis *ay, int speedup, const char *title,
                       const char *ylabel)
{
    double x0 = ax->px0, x1 = ax->px1, yb = ay->px0, yt = ay->px1;
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
            "stroke=\"#333333\"/>\n",
            x0, yt, x1 - x0, yb - yt);
    /* p at powers of two (every other one when there are many) */
    int k0 = (int)ceil(ax->lo), k1 = (int)floor(ax->hi);
    int step = k1 - k0 > 8 ? 2 : 1;
    for (int k = k0; k <= k1; k += step) {
        double x = map(ax, k);
        char lab[32];
        snprintf(lab, sizeof lab, "%.0f", ldexp(1.0, k));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                x, yt, x, yb);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
                x, yb, x, yb + 5);
        text(f, x, yb + 19, "middle", 12, "", lab);
    }
    /* values at powers of ten, with faint lines at 2..9 times each */
    int e0 = (int)floor(ay->lo + 1e-9), e1 = (int)ceil(ay->hi - 1e-9);
    for (int e = e0; e <= e1; e++) {
        for (int m = 2; m <= 9 && e < e1; m++) {
            double lm = e + log10((double)m);
            if (lm > ay->hi)
                break;
            double y = map(ay, lm);
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#f2f2f2\"/>\n",
                    x0, y, x1, y);
        }
        if (e < ay->lo - 1e-9 || e > ay->hi + 1e-9)
            continue;
        double y = map(ay, e);
        char lab[32];
        if (speedup)
            speedup_label(e, lab, sizeof lab);
        else
            time_label(e, lab, sizeof lab);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d0d0\"/>\n",
                x0, y, x1, y);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
                x0 - 5, y, x0, y);
        text(f, x0 - 8, y + 4, "end", 12, "", lab);
    }
    text(f, (x0 + x1) / 2, yt - 10, "middle", 15, "font-weight=\"bold\"", title);
    text(f, (x0 + x1) / 2, yb + 42, "middle", 13, "", "p, the number of columns of X (log scale)");
    char rot[96];
    double lx = x0 - 62, ly = (yt + yb) / 2;
    snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", lx, ly);
    text(f, lx, ly, "middle", 13, rot, ylabel);
}

/* Indices of the sizes in increasing p (the sweep may be given in any order). */
static void sort_sizes(const lr_bench_result *r, size_t *order)
{
    for (size_t i = 0; i < r->n_sizes; i++)
        order[i] = i;
    for (size_t i = 1; i < r->n_sizes; i++)
        for (size_t j = i; j > 0 && r->sizes[order[j - 1]].p > r->sizes[order[j]].p; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

static void marker(FILE *f, double x, double y, const series *c)
{
    fprintf(f,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" stroke=\"%s\" "
            "stroke-width=\"1.5\"/>\n",
            x, y, c->dashed ? "#ffffff" : c->color, c->color);
}

/* One curve: a polyline through the finite positive values, broken where one
 * is missing, and a marker at each point. */
static void curve(FILE *f, const lr_bench_result *r, const size_t *order, const series *c,
                  const axis *ax, const axis *ay)
{
    const char *dash = c->dashed ? " stroke-dasharray=\"7 4\"" : "";
    int open = 0;
    for (size_t k = 0; k < r->n_sizes; k++) {
        const lr_bench_size *s = &r->sizes[order ? order[k] : k];
        double v = value_of(s, c);
        if (!(v > 0) || !isfinite(v)) {
            if (open)
                fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                    c->color, dash);
        fprintf(f, "%s%.1f,%.1f", open ? " " : "", map(ax, log2((double)s->p)), map(ay, log10(v)));
        open = 1;
    }
    if (open)
        fputs("\"/>\n", f);
    for (size_t k = 0; k < r->n_sizes; k++) {
        const lr_bench_size *s = &r->sizes[order ? order[k] : k];
        double v = value_of(s, c);
        if (v > 0 && isfinite(v))
            marker(f, map(ax, log2((double)s->p)), map(ay, log10(v)), c);
    }
}

static void legend(FILE *f, const series *list, size_t n, double x0, double y0, double colw)
{
    for (size_t i = 0; i < n; i++) {
        const series *c = &list[i];
        double x = x0 + (double)c->col * colw, y = y0 + (double)c->row * 20;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"%s/>\n",
                x, y, x + 28, y, c->color, c->dashed ? " stroke-dasharray=\"7 4\"" : "");
        marker(f, x + 14, y, c);
        text(f, x + 36, y + 4, "start", 12, "", c->label);
    }
}

/* The range of log10 of the curves' finite positive values, widened to whole
 * decades; `include` (if > 0) is always shown. */
static void value_range(const lr_bench_result *r, const series *list, size_t n, double include,
                        axis *a)
{
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    for (size_t i = 0; i < r->n_sizes; i++)
        for (size_t j = 0; j < n; j++) {
            double v = value_of(&r->sizes[i], &list[j]);
            if (v > 0 && isfinite(v)) {
                lo = fmin(lo, log10(v));
                hi = fmax(hi, log10(v));
            }
        }
    if (include > 0) {
        lo = fmin(lo, log10(include));
        hi = fmax(hi, log10(include));
    }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    a->lo = floor(lo);
    a->hi = ceil(hi);
    if (a->hi - a->lo < 1)
        a->hi = a->lo + 1;
}

void lr_plot_bench_svg(FILE *f, const lr_bench_result *r)
{
    /* Out of memory for a few indices: the curves follow the given order. */
    size_t *order = malloc((r->n_sizes ? r->n_sizes : 1) * sizeof *order);
    if (order)
        sort_sizes(r, order);

    /* x: log2 p, padded by a third of an octave (an octave each way for one size) */
    double pmin = (double)INFINITY, pmax = 0;
    for (size_t i = 0; i < r->n_sizes; i++) {
        pmin = fmin(pmin, (double)r->sizes[i].p);
        pmax = fmax(pmax, (double)r->sizes[i].p);
    }
    if (!(pmax > 0))
        pmin = pmax = 16;
    double pad = pmin == pmax ? 1.0 : 0.33;
    axis lx = {log2(pmin) - pad, log2(pmax) + pad, LEFT_X0, LEFT_X1};
    axis rx = {lx.lo, lx.hi, RIGHT_X0, RIGHT_X1};
    axis ty, sy;
    size_t nt = sizeof time_series / sizeof *time_series;
    size_t ns = sizeof speedup_series / sizeof *speedup_series;
    value_range(r, time_series, nt, 0, &ty);
    value_range(r, speedup_series, ns, 1, &sy);
    ty.px0 = sy.px0 = PLOT_BOTTOM;
    ty.px1 = sy.px1 = PLOT_TOP;

    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\">\n",
            W, H, W, H);
    fputs("<title>linreg bench: BLAS/LAPACK against naive loops on the normal "
          "equations</title>\n",
          f);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    text(f, W / 2, 30, "middle", 20, "font-weight=\"bold\"",
         "linreg bench: what BLAS/LAPACK buy over naive loops (normal equations)");
    char sub[256], rows[64];
    if (r->rows)
        snprintf(rows, sizeof rows, "n = %zu rows", r->rows);
    else
        snprintf(rows, sizeof rows, "n = max(4p, 256) rows");
    snprintf(sub, sizeof sub,
             "OpenBLAS on %d threads against naive code on 1; X is n \xc3\x97 p, %s; median of "
             "%u runs",
             r->blas_threads, rows, r->repeat);
    text(f, W / 2, 52, "middle", 13, "fill=\"#444444\"", sub);

    panel_axes(f, &lx, &ty, 0, "Time per call", "time per call (log scale)");
    panel_axes(f, &rx, &sy, 1, "Speedup of the library path",
               "naive time / BLAS-LAPACK time (log scale)");
    /* break-even */
    double y1 = map(&sy, 0);
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n",
            rx.px0, y1, rx.px1, y1);
    text(f, rx.px1 - 6, y1 - 6, "end", 11, "fill=\"#555555\"", "break-even");
    for (size_t i = 0; i < nt; i++)
        curve(f, r, order, &time_series[i], &lx, &ty);
    for (size_t i = 0; i < ns; i++)
        curve(f, r, order, &speedup_series[i], &rx, &sy);

    /* legends: on the left the naive code in one column, the library in the other */
    text(f, LEFT_X0 - 60, 468, "start", 12, "font-weight=\"bold\"",
         "naive code, 1 thread (dashed)");
    text(f, LEFT_X0 + 170, 468, "start", 12, "font-weight=\"bold\"", "BLAS/LAPACK (solid)");
    legend(f, time_series, nt, LEFT_X0 - 60, 486, 230);
    text(f, RIGHT_X0 - 60, 468, "start", 12, "font-weight=\"bold\"",
         "speedup = naive time / library time");
    legend(f, speedup_series, ns, RIGHT_X0 - 60, 486, 0);

    /* the BLAS in use, as lr_blas_info() reports it: two lines, split after a
     * "; " (the second shortened to fit) */
    const size_t fit = 170;
    char line[2][176];
    size_t len = strlen(r->blas), cut = len;
    if (len > fit) {
        cut = 0;
        for (size_t i = 0; i + 1 < fit; i++)
            if (r->blas[i] == ';' && r->blas[i + 1] == ' ')
                cut = i + 1;
        if (cut == 0)
            cut = fit;
    }
    memcpy(line[0], r->blas, cut);
    line[0][cut] = '\0';
    const char *rest = r->blas + cut;
    while (*rest == ' ')
        rest++;
    size_t rlen = strlen(rest);
    if (rlen > fit) {
        memcpy(line[1], rest, fit - 3);
        memcpy(line[1] + fit - 3, "...", 4);
    } else {
        memcpy(line[1], rest, rlen + 1);
    }
    text(f, W / 2, H - 26, "middle", 10, "fill=\"#666666\"", line[0]);
    if (line[1][0])
        text(f, W / 2, H - 12, "middle", 10, "fill=\"#666666\"", line[1]);
    fputs("</svg>\n", f);
    free(order);
}
