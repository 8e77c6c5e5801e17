/*
 * report_bench.c — the results of linreg bench as text tables, one JSON
 * object or CSV. Measurements carry 6 significant digits (timings on a
 * shared machine vary by percents; more digits would be noise); values that
 * are not finite are "-" in text, null in JSON and NA in CSV.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* ---- cells ---- */

#define CELL 32

/* A duration with 3 significant digits in a unit that keeps it readable. */
static void fmt_time(double s, char *out, size_t size)
{
    static const char *const unit[] = {"ns", "us", "ms", "s"};
    if (!isfinite(s) || s < 0) {
        snprintf(out, size, "-");
        return;
    }
    int u = s < 1e-6 ? 0 : s < 1e-3 ? 1 : s < 1 ? 2 : 3;
    double v = s * pow(1e3, 3 - u);
    /* 3 significant digits, trailing zeros kept (1.20 s, 15.0 us) */
    if (v >= 99.95)
        snprintf(out, size, "%.0f %s", v, unit[u]);
    else
        snprintf(out, size, "%#.3g %s", v, unit[u]);
}

/* The median, marked '*' when it is a single run. */
static void fmt_timing(const lr_bench_timing *t, char out[CELL])
{
    char b[CELL - 8];
    fmt_time(t->median, b, sizeof b);
    snprintf(out, CELL, "%s%s", b, t->single ? "*" : " ");
}

static void fmt_spread(const lr_bench_timing *t, char out[CELL])
{
    if (t->runs < 2 || !isfinite(t->spread))
        snprintf(out, CELL, "-");
    else if (t->spread < 0.1)
        snprintf(out, CELL, "%.1f%%", 100 * t->spread);
    else
        snprintf(out, CELL, "%.0f%%", 100 * t->spread);
}

static void fmt_fixed(double x, int decimals, const char *suffix, char out[CELL])
{
    if (!isfinite(x))
        snprintf(out, CELL, "-");
    else
        snprintf(out, CELL, "%.*f%s", decimals, x, suffix);
}

static void fmt_rate(double gflops, char out[CELL])
{
    fmt_fixed(gflops, gflops < 10 ? 2 : 1, "", out);
}

static void fmt_sci(double x, char out[CELL])
{
    if (!isfinite(x))
        snprintf(out, CELL, "-");
    else
        snprintf(out, CELL, "%.1e", x);
}

/* A condition number: fixed below 10⁴, scientific above. */
static void fmt_cond(double x, char out[CELL])
{
    if (!isfinite(x))
        snprintf(out, CELL, "-");
    else if (x < 1e4)
        snprintf(out, CELL, "%.0f", x);
    else
        snprintf(out, CELL, "%.1e", x);
}

/* "time spread GFLOP/s" of one kernel, as three columns. */
static void put_kernel(FILE *out, const lr_bench_timing *t)
{
    char a[CELL], b[CELL], c[CELL];
    fmt_timing(t, a);
    fmt_spread(t, b);
    fmt_rate(t->gflops, c);
    fprintf(out, " %10s %6s %7s", a, b, c);
}

static void put_speedup(FILE *out, double x)
{
    char a[CELL];
    fmt_fixed(x, x < 10 ? 2 : 1, "x", a);
    fprintf(out, " %8s", a);
}

static const char *method_label(lr_method m)
{
    return lr_method_name(m);
}

static int any_single(const lr_bench_result *r)
{
    for (size_t i = 0; i < r->n_sizes; i++)
        for (int k = 0; k < LR_BENCH_NKERNELS; k++)
            if (r->sizes[i].t[k].single)
                return 1;
    if (r->has_fit && (r->fit.naive.t.single || r->fit.dflt.t.single))
        return 1;
    return 0;
}

static void rows_rule(const lr_bench_result *r, char out[64])
{
    if (r->rows)
        snprintf(out, 64, "n = %zu", r->rows);
    else
        snprintf(out, 64, "n = max(4p, 256)");
}

/* ---- text ---- */

/* A header line without trailing blanks (the group labels are padded). */
static void header_line(FILE *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void header_line(FILE *out, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
    fprintf(out, "%s\n", buf);
}

static void text_sweep(FILE *out, const lr_bench_result *r)
{
    const char *sep = "-------------------------------------------------------------------------"
                      "--------------------------------------";
    fputs("\nX'X: naive dot products (1 thread) against dsyrk; dgemm (both triangles) as the "
          "machine's reference rate\n",
          out);
    header_line(out, "%5s %6s | %-25s | %-34s | %-25s %7s", "", "", "naive (1 thread)", "dsyrk",
                "dgemm (reference)", "dsyrk/");
    fprintf(out, "%5s %6s | %10s %6s %7s | %10s %6s %7s %8s | %10s %6s %7s %7s\n", "p", "n", "time",
            "spread", "GFLOP/s", "time", "spread", "GFLOP/s", "speedup", "time", "spread",
            "GFLOP/s", "dgemm");
    fprintf(out, "%.*s\n", 107, sep);
    for (size_t i = 0; i < r->n_sizes; i++) {
        const lr_bench_size *s = &r->sizes[i];
        char pct[CELL];
        fprintf(out, "%5zu %6zu |", s->p, s->n);
        put_kernel(out, &s->t[LR_BENCH_GRAM_NAIVE]);
        fputs(" |", out);
        put_kernel(out, &s->t[LR_BENCH_GRAM_DSYRK]);
        put_speedup(out, s->speedup_gram);
        fputs(" |", out);
        put_kernel(out, &s->t[LR_BENCH_GRAM_DGEMM]);
        fmt_fixed(100 * s->dsyrk_of_dgemm, 0, "%", pct);
        fprintf(out, " %7s\n", pct);
    }
    fputs("flops: X'X one triangle n p (p+1) (naive, dsyrk); dgemm 2 n p^2\n", out);

    fputs("\nInverse of A = X'X: Gauss-Jordan with partial pivoting (1 thread) against "
          "LAPACK\n",
          out);
    header_line(out, "%5s | %-25s | %-34s | %-34s", "", "Gauss-Jordan (1 thread)",
                "dpotrf + dpotri (Cholesky)", "dgetrf + dgetri (LU)");
    fprintf(out, "%5s | %10s %6s %7s | %10s %6s %7s %8s | %10s %6s %7s %8s\n", "p", "time",
            "spread", "GFLOP/s", "time", "spread", "GFLOP/s", "speedup", "time", "spread",
            "GFLOP/s", "speedup");
    fprintf(out, "%.*s\n", 107, sep);
    for (size_t i = 0; i < r->n_sizes; i++) {
        const lr_bench_size *s = &r->sizes[i];
        fprintf(out, "%5zu |", s->p);
        put_kernel(out, &s->t[LR_BENCH_INV_GJ]);
        fputs(" |", out);
        put_kernel(out, &s->t[LR_BENCH_INV_POTRI]);
        put_speedup(out, s->speedup_potri);
        fputs(" |", out);
        put_kernel(out, &s->t[LR_BENCH_INV_GETRI]);
        put_speedup(out, s->speedup_getri);
        fputc('\n', out);
    }
    fputs("flops: Gauss-Jordan 2p^3; dpotrf + dpotri p^3/3 + 2p^3/3; dgetrf + dgetri "
          "2p^3/3 + 4p^3/3\n",
          out);

    fputs("\nWhole solve: [X y]'[X y], the inverse, beta = (X'X)^-1 X'y\n", out);
    header_line(out, "%5s %6s | %-25s | %-34s", "", "", "naive (1 thread)",
                "dsyrk, dpotrf + dpotri, dsymv");
    fprintf(out, "%5s %6s | %10s %6s %7s | %10s %6s %7s %8s\n", "p", "n", "time", "spread",
            "GFLOP/s", "time", "spread", "GFLOP/s", "speedup");
    fprintf(out, "%.*s\n", 72, sep);
    for (size_t i = 0; i < r->n_sizes; i++) {
        const lr_bench_size *s = &r->sizes[i];
        fprintf(out, "%5zu %6zu |", s->p, s->n);
        put_kernel(out, &s->t[LR_BENCH_SOLVE_NAIVE]);
        fputs(" |", out);
        put_kernel(out, &s->t[LR_BENCH_SOLVE_LAPACK]);
        put_speedup(out, s->speedup_solve);
        fputc('\n', out);
    }
    fputs("flops: n (p+1)(p+2) + the inverse's count + 2p^2\n", out);

    static const char *const titles[LR_BENCH_NPROBLEMS] = {
        "the problem timed above (well conditioned)", "a collinear problem: column 1 = z1 + 64 z0"};
    for (int q = 0; q < LR_BENCH_NPROBLEMS; q++) {
        fprintf(out, "\nAccuracy, %s\n", titles[q]);
        header_line(out, "%5s %9s | %-27s | %-27s", "", "", "||I - A A^-1||_1",
                    "LRE of beta (15: all digits)");
        fprintf(out, "%5s %9s | %8s %8s %8s  | %8s %8s %8s\n", "p", "cond1(A)", "G-J", "potri",
                "getri", "G-J", "potri", "getri");
        fprintf(out, "%.*s\n", 76, sep);
        for (size_t i = 0; i < r->n_sizes; i++) {
            const lr_bench_accuracy *a = &r->sizes[i].acc[q];
            char c[CELL], x[LR_BENCH_NINVERSES][CELL], l[LR_BENCH_NINVERSES][CELL];
            fmt_cond(a->cond, c);
            for (int k = 0; k < LR_BENCH_NINVERSES; k++) {
                fmt_sci(a->residual[k], x[k]);
                fmt_fixed(a->lre[k], 1, "", l[k]);
            }
            fprintf(out, "%5zu %9s | %8s %8s %8s  | %8s %8s %8s\n", r->sizes[i].p, c, x[0], x[1],
                    x[2], l[0], l[1], l[2]);
        }
    }
    fputs("Exact solution b* known (integer data, y = X b* exactly); cond1 estimated by "
          "dpocon; '-': the inversion failed\n",
          out);
}

static void fit_desc(const lr_bench_fit_run *run, char *out, size_t size)
{
    if (run->status != LR_OK)
        snprintf(out, size, "refused: %s", lr_strerror(run->status));
    else if (run->extended_bits > 0)
        snprintf(out, size, "%s, then %d-bit recomputation (2 passes)", method_label(run->ran),
                 run->extended_bits);
    else
        snprintf(out, size, "%s (1 pass)", method_label(run->ran));
}

static void text_fit(FILE *out, const lr_bench_result *r)
{
    const lr_bench_fit *f = &r->fit;
    fprintf(out,
            "\nEnd to end: linreg fit %s (%llu rows used, %zu coefficients), the whole "
            "lr_fit_csv call\n",
            f->path, (unsigned long long)f->n, f->p);
    fprintf(out, "  %-16s %-44s %10s %6s %5s\n", "method", "what ran", "time", "spread", "runs");
    const lr_bench_fit_run *runs[2] = {&f->dflt, &f->naive};
    const char *names[2] = {"default (auto)", "--method naive"};
    for (int i = 0; i < 2; i++) {
        char d[LR_ERROR_MAX + 64], t[CELL], s[CELL];
        fit_desc(runs[i], d, sizeof d);
        fmt_timing(&runs[i]->t, t);
        fmt_spread(&runs[i]->t, s);
        fprintf(out, "  %-16s %-44s %10s %6s %5u\n", names[i], d, t, s, runs[i]->t.runs);
    }
    if (isfinite(f->speedup))
        fprintf(out, "  naive time / default time: %.2fx\n", f->speedup);
    else
        fprintf(out, "  --method naive refused the data: %s\n", f->naive.message);
}

void lr_report_bench_text(FILE *out, const lr_bench_result *r)
{
    char rows[64];
    rows_rule(r, rows);
    fputs("linreg bench: the normal equations through BLAS/LAPACK against naive loops\n", out);
    fprintf(out, "BLAS/LAPACK: %s\n", r->blas);
    fprintf(out,
            "Threads: BLAS/LAPACK on %d OpenBLAS threads (its default: all cores); naive "
            "loops on 1\n",
            r->blas_threads);
    if (r->n_sizes)
        fprintf(out,
                "Problem: X is n x p, fixed-seed integers in [-8, 8] (seed %llu), %s; y = "
                "X b* exactly\n",
                (unsigned long long)r->seed, rows);
    if (r->n_sizes)
        fprintf(out,
                "Timing: CLOCK_MONOTONIC; 1 warm-up, then the median of %u runs; spread = "
                "(max - min) / median\n",
                r->repeat);
    if (r->has_fit)
        fprintf(out, "%s 1 warm-up fit, then the median of %u fits\n",
                r->n_sizes ? "       " : "Timing: CLOCK_MONOTONIC;", r->fit_repeat);
    if (any_single(r))
        fprintf(out, "        * = a single run: the warm-up took over %g s\n",
                r->single_run_seconds);
    if (r->n_sizes) {
        fputs("Rates: GFLOP/s = counted flops / median time (a flop: one multiply or one add)\n",
              out);
        text_sweep(out, r);
    }
    if (r->has_fit)
        text_fit(out, r);
    char total[CELL];
    fmt_time(r->seconds, total, sizeof total);
    fprintf(out, "\nTotal: %s\n", total);
}

/* ---- JSON ---- */

/* before, then x to 6 digits, or `missing` when it is not finite (JSON null,
 * CSV NA). */
static void put_num(FILE *f, const char *before, double x, const char *missing)
{
    fputs(before, f);
    if (isfinite(x))
        fprintf(f, "%.6g", x);
    else
        fputs(missing, f);
}

static void json_num(FILE *f, double x)
{
    put_num(f, "", x, "null");
}

/* "key[0]": v[0], "key[1]": v[1], ... (n members). */
static void json_nums(FILE *f, const char *const *key, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\": ", i ? ", " : "", key[i]);
        json_num(f, v[i]);
    }
}

static void json_timing(FILE *f, const lr_bench_timing *t)
{
    static const char *const spread_key[] = {"median_s", "min_s", "max_s", "spread"};
    static const char *const rate_key[] = {"flops", "gflops"};
    const double spread[] = {t->median, t->min, t->max, t->spread}, rate[] = {t->flops, t->gflops};
    fputc('{', f);
    json_nums(f, spread_key, spread, 4);
    fprintf(f, ", \"runs\": %u, \"single_run\": %s, ", t->runs, t->single ? "true" : "false");
    json_nums(f, rate_key, rate, 2);
    fputc('}', f);
}

static const char *const inverse_key[LR_BENCH_NINVERSES] = {"gauss_jordan", "potrf_potri",
                                                            "getrf_getri"};
static const char *const problem_key[LR_BENCH_NPROBLEMS] = {"well_conditioned", "collinear"};

static void json_fit_run(FILE *f, const lr_bench_fit_run *run)
{
    fputs("{\"requested\": ", f);
    lr_json_string(f, lr_method_name(run->requested));
    fputs(", \"ran\": ", f);
    lr_json_string(f, lr_method_name(run->ran));
    fprintf(f, ", \"extended_bits\": %d, \"passes\": %d, \"status\": ", run->extended_bits,
            run->extended_bits > 0 ? 2 : 1);
    lr_json_string(f, run->status == LR_OK ? "ok" : lr_strerror(run->status));
    fputs(", \"message\": ", f);
    if (run->status == LR_OK)
        fputs("null", f);
    else
        lr_json_string(f, run->message);
    fputs(", \"time\": ", f);
    json_timing(f, &run->t);
    fputc('}', f);
}

void lr_report_bench_json(FILE *out, const lr_bench_result *r)
{
    fputs("{\"linreg_version\": ", out);
    lr_json_string(out, LR_VERSION_STRING);
    fputs(", \"blas\": ", out);
    lr_json_string(out, r->blas);
    fprintf(out,
            ", \"blas_threads\": %d, \"naive_threads\": 1,\n \"repeat\": %u, \"fit_repeat\": %u, "
            "\"single_run_seconds\": ",
            r->blas_threads, r->repeat, r->fit_repeat);
    json_num(out, r->single_run_seconds);
    /* rows: the n given for every size, or null for the default max(4p, 256) */
    fputs(", \"rows\": ", out);
    if (r->rows)
        fprintf(out, "%zu", r->rows);
    else
        fputs("null", out);
    fprintf(out, ", \"seed\": %llu, \"seconds\": ", (unsigned long long)r->seed);
    json_num(out, r->seconds);
    fputs(",\n \"flop_counts\": {\"gram\": \"n*p*(p+1)\", \"gram_dgemm\": \"2*n*p^2\", "
          "\"inv_gauss_jordan\": \"2*p^3\", \"inv_potrf_potri\": \"p^3\", \"inv_getrf_getri\": "
          "\"2*p^3\", \"solve_naive\": \"n*(p+1)*(p+2) + 2*p^3 + 2*p^2\", \"solve_lapack\": "
          "\"n*(p+1)*(p+2) + p^3 + 2*p^2\"},\n \"sizes\": [",
          out);
    for (size_t i = 0; i < r->n_sizes; i++) {
        const lr_bench_size *s = &r->sizes[i];
        fprintf(out, "%s\n  {\"p\": %zu, \"n\": %zu, \"timings\": {", i ? "," : "", s->p, s->n);
        for (int k = 0; k < LR_BENCH_NKERNELS; k++) {
            fprintf(out, "%s\n   ", k ? "," : "");
            lr_json_string(out, lr_bench_kernel_name((lr_bench_kernel)k));
            fputs(": ", out);
            json_timing(out, &s->t[k]);
        }
        static const char *const speedup_key[] = {"gram", "inv_potrf_potri", "inv_getrf_getri",
                                                  "solve"};
        const double speedup[] = {s->speedup_gram, s->speedup_potri, s->speedup_getri,
                                  s->speedup_solve};
        fputs("},\n   \"speedup\": {", out);
        json_nums(out, speedup_key, speedup, 4);
        fputs("}, \"dsyrk_of_dgemm\": ", out);
        json_num(out, s->dsyrk_of_dgemm);
        fputs(",\n   \"accuracy\": {", out);
        for (int q = 0; q < LR_BENCH_NPROBLEMS; q++) {
            const lr_bench_accuracy *a = &s->acc[q];
            fprintf(out, "%s\"%s\": {\"cond1\": ", q ? ", " : "", problem_key[q]);
            json_num(out, a->cond);
            for (int k = 0; k < LR_BENCH_NINVERSES; k++) {
                fprintf(out, ", \"%s\": {\"residual\": ", inverse_key[k]);
                json_num(out, a->residual[k]);
                fputs(", \"lre\": ", out);
                json_num(out, a->lre[k]);
                fputc('}', out);
            }
            fputc('}', out);
        }
        fputs("}}", out);
    }
    fputs("],\n \"fit\": ", out);
    if (r->has_fit) {
        const lr_bench_fit *f = &r->fit;
        fputs("{\"data\": ", out);
        lr_json_string(out, f->path);
        fprintf(out, ", \"n\": %llu, \"p\": %zu,\n  \"default\": ", (unsigned long long)f->n, f->p);
        json_fit_run(out, &f->dflt);
        fputs(",\n  \"naive\": ", out);
        json_fit_run(out, &f->naive);
        fputs(",\n  \"speedup\": ", out);
        json_num(out, f->speedup);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs("}\n", out);
}

/* ---- CSV ---- */

/* ",v[0],v[1],..." (n numbers). */
static void csv_nums(FILE *f, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_num(f, ",", v[i], "NA");
}

void lr_report_bench_csv(FILE *out, const lr_bench_result *r)
{
    if (r->n_sizes == 0 && r->has_fit) {
        const lr_bench_fit *f = &r->fit;
        fputs("method,ran,extended_bits,status,n,p,runs,median_s,min_s,max_s,spread\n", out);
        const lr_bench_fit_run *runs[2] = {&f->dflt, &f->naive};
        for (int i = 0; i < 2; i++) {
            const lr_bench_fit_run *run = runs[i];
            fprintf(out, "%s,%s,%d,", lr_method_name(run->requested), lr_method_name(run->ran),
                    run->extended_bits);
            lr_csv_write_field(out, run->status == LR_OK ? "ok" : lr_strerror(run->status));
            fprintf(out, ",%llu,%zu,%u", (unsigned long long)f->n, f->p, run->t.runs);
            const double v[] = {run->t.median, run->t.min, run->t.max, run->t.spread};
            csv_nums(out, v, 4);
            fputc('\n', out);
        }
        return;
    }
    fputs("p,n", out);
    for (int k = 0; k < LR_BENCH_NKERNELS; k++) {
        const char *name = lr_bench_kernel_name((lr_bench_kernel)k);
        fprintf(out, ",%s_median_s,%s_min_s,%s_max_s,%s_runs,%s_gflops", name, name, name, name,
                name);
    }
    fputs(",speedup_gram,speedup_potri,speedup_getri,speedup_solve,dsyrk_of_dgemm", out);
    for (int q = 0; q < LR_BENCH_NPROBLEMS; q++) {
        fprintf(out, ",%s_cond1", problem_key[q]);
        for (int k = 0; k < LR_BENCH_NINVERSES; k++)
            fprintf(out, ",%s_%s_residual,%s_%s_lre", problem_key[q], inverse_key[k],
                    problem_key[q], inverse_key[k]);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->n_sizes; i++) {
        const lr_bench_size *s = &r->sizes[i];
        fprintf(out, "%zu,%zu", s->p, s->n);
        for (int k = 0; k < LR_BENCH_NKERNELS; k++) {
            const lr_bench_timing *t = &s->t[k];
            const double spread[] = {t->median, t->min, t->max};
            csv_nums(out, spread, 3);
            fprintf(out, ",%u", t->runs);
            csv_nums(out, &t->gflops, 1);
        }
        const double speedup[] = {s->speedup_gram, s->speedup_potri, s->speedup_getri,
                                  s->speedup_solve, s->dsyrk_of_dgemm};
        csv_nums(out, speedup, 5);
        for (int q = 0; q < LR_BENCH_NPROBLEMS; q++) {
            csv_nums(out, &s->acc[q].cond, 1);
            for (int k = 0; k < LR_BENCH_NINVERSES; k++) {
                const double acc[] = {s->acc[q].residual[k], s->acc[q].lre[k]};
                csv_nums(out, acc, 2);
            }
        }
        fputc('\n', out);
    }
}
