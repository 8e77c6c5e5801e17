/*
 * test_fixed_effects.c — absorbed fixed effects (y ~ x | firm + year) against
 * R's lm with the factor dummies (tests/data/r_fixed_effects.json, made by
 * tests/reference/gen_r_fixed_effects.R on datasets/panels/): slopes,
 * standard errors (classical and sandwich's HC1), t, p, n, the residual
 * degrees of freedom (connected components; a nested third factor), R²,
 * σ and F, to 1e-9 relative; singletons, weights, collinear columns; the
 * command's spellings, thread counts, and its errors.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define RTOL 1e-9

static json_t *reference;

static int has_note(const lr_fit *fit, const char *text)
{
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        if (strstr(lr_fit_note(fit, i), text))
            return 1;
    return 0;
}

/* Fit reference entry e with the library. */
static lr_fit *fit_entry(json_t *e, int threads)
{
    lr_fit_options opt;
    lr_test_ref_options(e, &opt);
    opt.vcov = !strcmp(json_string_value(json_object_get(e, "vcov")), "HC1") ? LR_VCOV_HC1
                                                                             : LR_VCOV_CLASSICAL;
    opt.threads = threads;
    return lr_test_ref_fit(e, "", &opt);
}

START_TEST(test_matches_lm_with_dummies)
{
    json_t *e = json_array_get(reference, (size_t)_i);
    const char *id = json_string_value(json_object_get(e, "id"));
    lr_fit *fit = fit_entry(e, 0);
    const lr_summary *s = lr_fit_summary(fit);
    ck_assert_msg(s->n == (uint64_t)lr_test_ref_num(e, "n"), "%s: n %llu", id,
                  (unsigned long long)s->n);
    ck_assert_msg(s->rank == (size_t)lr_test_ref_num(e, "rank"), "%s: rank %zu, lm %g", id, s->rank,
                  lr_test_ref_num(e, "rank"));
    LR_CK_REL(s->df_residual, lr_test_ref_num(e, "df_residual"), 0);
    LR_CK_REL(s->sigma, lr_test_ref_num(e, "sigma"), RTOL);
    LR_CK_REL(s->r_squared, lr_test_ref_num(e, "r_squared"), RTOL);
    LR_CK_REL(s->adj_r_squared, lr_test_ref_num(e, "adj_r_squared"), RTOL);
    if (!isnan(lr_test_ref_num(e, "f_statistic")))
        LR_CK_REL(s->f_statistic, lr_test_ref_num(e, "f_statistic"), RTOL);
    else
        ck_assert_msg(isnan(s->f_statistic) && has_note(fit, "Wald F statistic under the robust"),
                      "%s: F %g", id, s->f_statistic);
    double singletons = lr_test_ref_num(e, "singletons");
    if (singletons > 0) {
        char text[64];
        snprintf(text, sizeof text, "%.0f singleton observations dropped", singletons);
        ck_assert_msg(has_note(fit, text), "%s: no note '%s'", id, text);
    }
    json_t *coefs = json_object_get(e, "coefficients");
    ck_assert_uint_eq(lr_fit_ncoef(fit), json_array_size(coefs));
    for (size_t j = 0; j < json_array_size(coefs); j++) {
        json_t *c = json_array_get(coefs, j);
        const lr_coef *k = lr_fit_coef(fit, j);
        ck_assert_str_eq(k->name, json_string_value(json_object_get(c, "name")));
        ck_assert_int_eq(k->aliased, json_is_true(json_object_get(c, "aliased")));
        if (k->aliased)
            continue;
        LR_CK_REL(k->estimate, lr_test_ref_num(c, "estimate"), RTOL);
        LR_CK_REL(k->std_error, lr_test_ref_num(c, "std_error"), RTOL);
        LR_CK_REL(k->t, lr_test_ref_num(c, "t"), RTOL);
        LR_CK_REL(k->p, lr_test_ref_num(c, "p"), 1e-8);
    }
    lr_fit_free(fit);
}
END_TEST

/* The demeaning's result does not depend on the thread count: the same bits. */
START_TEST(test_threads_same_bits)
{
    for (size_t i = 0; i < json_array_size(reference); i++) {
        json_t *e = json_array_get(reference, i);
        lr_fit *a = fit_entry(e, 1), *b = fit_entry(e, 2);
        for (size_t j = 0; j < lr_fit_ncoef(a); j++) {
            const lr_coef *ca = lr_fit_coef(a, j), *cb = lr_fit_coef(b, j);
            ck_assert(!memcmp(&ca->estimate, &cb->estimate, sizeof(double)));
            ck_assert(!memcmp(&ca->std_error, &cb->std_error, sizeof(double)));
        }
        ck_assert(!memcmp(&lr_fit_summary(a)->rss, &lr_fit_summary(b)->rss, sizeof(double)));
        lr_fit_free(a);
        lr_fit_free(b);
    }
}
END_TEST

/* The collinear column is aliased with a note that says why. */
START_TEST(test_collinear_note)
{
    json_t *e = NULL;
    for (size_t i = 0; i < json_array_size(reference) && !e; i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(reference, i), "id")),
                    "firms_collinear"))
            e = json_array_get(reference, i);
    ck_assert(e != NULL);
    lr_fit *fit = fit_entry(e, 0);
    ck_assert(lr_fit_coef(fit, 1)->aliased);
    ck_assert(has_note(fit, "x3 is collinear with the fixed effects"));
    ck_assert(has_note(fit, "x3 is in the span of the fixed effects"));
    lr_fit_free(fit);
}
END_TEST

/* --absorb is the formula's `|`; -t 1 and -t 2 print the same bytes. */
START_TEST(test_cli_spellings)
{
    const char *path = lr_test_path("datasets/panels/firms.csv");
    const char *a1[] = {"linreg", "fit", "-q", "-t", "1", "-f", "y ~ x1 + x2 | firm + year",
                        path,     NULL};
    const char *a2[] = {"linreg", "fit", "-q", "-t", "2", "-f", "y ~ x1 + x2 | firm + year",
                        path,     NULL};
    const char *a3[] = {"linreg",      "fit",      "-q",        "-t", "2", "-f",
                        "y ~ x1 + x2", "--absorb", "firm,year", path, NULL};
    lr_test_run_result r1 = lr_test_cmd(a1, NULL), r2 = lr_test_cmd(a2, NULL),
                       r3 = lr_test_cmd(a3, NULL);
    ck_assert_int_eq(r1.exit_code, 0);
    ck_assert_str_eq(r1.out, r2.out);
    ck_assert_str_eq(r1.out, r3.out);
    ck_assert_msg(strstr(r1.out, "on 623 degrees of freedom"), "%s", r1.out);
    ck_assert_msg(strstr(r1.out, "4 singleton observations dropped"), "%s", r1.out);
    ck_assert_msg(strstr(r1.out, "Linear model: y ~ x1 + x2 | firm + year"), "%s", r1.out);
    lr_test_run_free(&r1);
    lr_test_run_free(&r2);
    lr_test_run_free(&r3);
}
END_TEST

/* --absorb with -y alone: every other column but the fixed effects; without
 * -y, -x or -f it is a usage error. */
START_TEST(test_cli_absorb_every_other)
{
    const char csv[] = "y,x1,g,x2,h\n1,2,a,0.5,p\n2,3,a,1.5,q\n3,1,b,0.25,p\n5,4,b,3,q\n"
                       "2,2,c,1,p\n4,3,c,0.75,q\n3,5,a,2,p\n";
    char *path = lr_test_write_temp(csv, strlen(csv));
    const char *a1[] = {"linreg", "fit", "-q", "-y", "y", "--absorb", "g,h", path, NULL};
    const char *a2[] = {"linreg", "fit", "-q", "-f", "y ~ x1 + x2 | g + h", path, NULL};
    const char *a3[] = {"linreg", "fit", "-q", "--absorb", "g,h", path, NULL};
    lr_test_run_result r1 = lr_test_cmd(a1, NULL), r2 = lr_test_cmd(a2, NULL),
                       r3 = lr_test_cmd(a3, NULL);
    ck_assert_int_eq(r1.exit_code, 0);
    const char *c1 = strstr(r1.out, "Coefficients:"), *c2 = strstr(r2.out, "Coefficients:");
    ck_assert(c1 && c2);
    ck_assert_str_eq(c1, c2);
    ck_assert_int_eq(r3.exit_code, 2);
    ck_assert_msg(strstr(r3.err, "--absorb needs the model"), "%s", r3.err);
    lr_test_run_free(&r1);
    lr_test_run_free(&r2);
    lr_test_run_free(&r3);
    lr_test_remove_file(path);
}
END_TEST

/* The tolerance is what the note reports and what the sweeps reach; a
 * limit too low is an error with the achieved change, and nothing on stdout. */
START_TEST(test_cli_convergence)
{
    const char *path = lr_test_path("datasets/panels/workers.csv");
    const char *model = "wage ~ exper + tenure | worker + employer";
    const char *ok[] = {"linreg", "fit", "-q", "--fe-tol", "1e-6", "-f", model, path, NULL};
    lr_test_run_result r = lr_test_cmd(ok, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    const char *at = strstr(r.out, "last change ");
    ck_assert_msg(at != NULL, "%s", r.out);
    double change = strtod(at + strlen("last change "), NULL);
    ck_assert_msg(change <= 1e-6 && change > 0, "%g", change);
    ck_assert_msg(strstr(r.out, "(tolerance 1e-06)"), "%s", r.out);
    lr_test_run_free(&r);

    const char *bad[] = {"linreg", "fit", "--fe-max-iter", "2", "-f", model, path, NULL};
    r = lr_test_cmd(bad, NULL);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strstr(r.err, "the fixed effects did not converge in 2 sweeps: the last "
                                "changed an effect by "),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, "(tolerance 1e-13)"), "%s", r.err);
    lr_test_run_free(&r);
}
END_TEST

/* Usage errors: exit 2 with the reason. */
START_TEST(test_cli_usage_errors)
{
    const char *path = lr_test_path("datasets/panels/firms.csv");
    static const char *const cases[][3] = {
        {"y ~ x1 | firm + nosuch", "", "fixed effect 'nosuch' is not a column of the header"},
        {"y ~ x1 | firm + firm", "", "fixed effect 'firm' named twice"},
        {"y ~ x1 | firm + ", "", "an empty fixed-effect name"},
        {"y ~ x1 | firm", "HC3", "--vcov HC3 (it needs the leverages"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[] = {"linreg",    "fit",    "-f",
                              cases[i][0], "--vcov", cases[i][1][0] ? cases[i][1] : "classical",
                              path,        NULL};
        lr_test_run_result r = lr_test_cmd(argv, NULL);
        ck_assert_msg(r.exit_code == 2, "%s: exit %d", cases[i][0], r.exit_code);
        ck_assert_msg(strstr(r.err, cases[i][2]), "%s: %s", cases[i][0], r.err);
        ck_assert_str_eq(r.out, "");
        lr_test_run_free(&r);
    }
}
END_TEST

/* Bad values of the demeaning's options: exit 2 naming the option. */
START_TEST(test_cli_bad_fe_values)
{
    static const char *const cases[][3] = {
        {"--fe-tol", "2", "--fe-tol must be a number between 0 and 1, not '2'"},
        {"--fe-tol", "0", "--fe-tol must be a number between 0 and 1, not '0'"},
        {"--fe-max-iter", "1.5", "--fe-max-iter must be a positive integer, not '1.5'"},
        {"--fe-max-iter", "-3", "--fe-max-iter must be a positive integer, not '-3'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[] = {"linreg", "fit",       cases[i][0], cases[i][1],
                              "-f",     "y ~ x | g", "data.csv",  NULL};
        lr_test_run_result r = lr_test_cmd(argv, NULL);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.err, cases[i][2]), "%s", r.err);
        lr_test_run_free(&r);
    }
}
END_TEST

/* Levels on the command line, one case a row: a missing level is omitted and counted, or
 * with --na error an error at its place; numeric levels are numbers (2001 and 2001.0 are one
 * level, as read.csv reads the column) and a text level in such a column is an error at its
 * place; no row with every level, or none left after the singletons, is an error. A fit
 * prints want[] on stdout; a failure prints nothing there and want[] on stderr. */
static const struct {
    const char *csv, *na, *formula;
    int code;
    const char *want[2];
} level_cases[] = {
    {"y,x,g\n1,1,a\n2,2,a\n3,1,b\n5,4,b\n2,2,NA\n4,3,c\n3,5,c\n",
     NULL,
     "y ~ x | g",
     0,
     {"6 rows used, 1 dropped", "1 row omitted for a missing fixed-effect level"}},
    {"y,x,g\n1,1,a\n2,2,a\n3,1,b\n5,4,b\n2,2,NA\n4,3,c\n3,5,c\n",
     "error",
     "y ~ x | g",
     1,
     {":6:5: column 'g': missing fixed-effect level", NULL}},
    {"y,x,yr\n1,1,2001\n2,2,2001.0\n3,1,2002\n5,4,2002\n4,3,2e3\n3,5,2000\n",
     NULL,
     "y ~ x | yr",
     0,
     {"yr (3 levels)", NULL}},
    {"y,x,yr\n1,1,2001\n2,2,2001\n3,1,y2k\n5,4,2002\n",
     NULL,
     "y ~ x | yr",
     1,
     {":4:5: column 'yr': fixed-effect level \"y2k\" is not a number", NULL}},
    {"y,x,g\n1,1,NA\n2,2,\n3,1,NA\n",
     "omit",
     "y ~ x | g",
     1,
     {"no rows with every fixed-effect level present", NULL}},
    {"y,x,g\n1,1,a\n2,2,b\n3,1,c\n",
     "omit",
     "y ~ x | g",
     1,
     {"no observations left after dropping 3 singletons", NULL}},
};

START_TEST(test_levels)
{
    const char *csv = level_cases[_i].csv;
    char *path = lr_test_write_temp(csv, strlen(csv));
    /* na NULL: no --na option, so the default (omit) is what is checked */
    const char *argv[8] = {"linreg", "fit"};
    int a = 2;
    if (level_cases[_i].na) {
        argv[a++] = "--na";
        argv[a++] = level_cases[_i].na;
    }
    argv[a++] = "-f";
    argv[a++] = level_cases[_i].formula;
    argv[a++] = path;
    argv[a] = NULL;
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == level_cases[_i].code, "case %d: exit %d: %s", _i, r.exit_code,
                  r.err);
    if (r.exit_code != 0)
        ck_assert_str_eq(r.out, "");
    for (size_t k = 0; k < 2 && level_cases[_i].want[k]; k++)
        ck_assert_msg(strstr(r.exit_code ? r.err : r.out, level_cases[_i].want[k]),
                      "case %d: no %s in %s%s", _i, level_cases[_i].want[k], r.out, r.err);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

/* A 60,000-row panel past the first chunk (later rows take the fused text
 * loop when the model allows): firm (500 levels, text), year (numeric), k
 * (levels levels) and weights. quoted: firm in quotes, every row through
 * the CSV reader, and an unused column two bytes shorter, so both files
 * have the same bytes per row, the same chunks and the same sums. */
static char *panel_csv(int quoted, int rows, int levels, size_t *len)
{
    lr_test_text t = {0};
    lr_test_put(&t, "y,x1,x2,k,w,firm,year,pad\n");
    for (int i = 0; i < rows; i++) {
        double x1 = (i * 37) % 101 / 10.0, x2 = 1 + (i * 11) % 53;
        double y = 0.5 * x1 - 0.2 * x2 + (i % 500) * 0.01 + ((i * 7919) % 1000) / 500.0;
        lr_test_put(&t, "%.6g,%.6g,%.6g,%d,%d,", y, x1, x2, (i * 13) % levels, 1 + i % 3);
        lr_test_put(&t, quoted ? "\"f%d\",%d,\n" : "f%d,%d,ab\n", i % 500, 2000 + (i * 7) % 20);
    }
    *len = t.n;
    return t.s;
}

/* The factors' cells from the row spool, on every add path of the first
 * pass (fused text loop and direct rows; dense rows; factor rows through
 * the row store), one and three threads, files read by either path and
 * stdin: the same fit to the last bit. And where the spool is given up (a
 * model of 120 columns makes more than a chunk's 12 MiB of records), the
 * text is read again: the same fit at -t 1 and 3, and on stdin. */
START_TEST(test_fe_paths)
{
    static const char *const formulas[] = {"y ~ x1 + x2 | firm + year", "y ~ x1 + log(x2) | firm",
                                           "y ~ x1 + factor(k) | firm + year",
                                           "y ~ x1 + factor(k) | firm + year"};
    const char *formula = formulas[_i];
    int rows = _i == 3 ? 20000 : 60000, levels = _i == 3 ? 120 : 5;
    size_t la, lb;
    char *a = panel_csv(0, rows, levels, &la), *b = panel_csv(1, rows, levels, &lb);
    char *pa = lr_test_write_temp(a, la), *pb = lr_test_write_temp(b, lb);
    lr_fit *ref_fit = NULL;
    /* the spool given up costs valgrind 37 s of CPU a fit: there, file a on
     * one thread and file b on three (both readers, both thread counts) */
    int skip = _i == 3 && lr_test_under_valgrind();
    for (int v = 0; v < 4; v++) {
        if (skip && (v == 1 || v == 2))
            continue;
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = formula;
        opt.weights = "w";
        opt.threads = v % 2 ? 3 : 1;
        lr_fit *fit = lr_test_fit_path(v < 2 ? pa : pb, &opt);
        lr_test_same_as_first(&ref_fit, fit, formula, v);
    }
    lr_fit_free(ref_fit);
    const char *argv[] = {"linreg", "fit", "-f", formula, "-w", "w", "--format", "json", pa, NULL};
    lr_test_same_json_stdin(argv, 8, a, la);
    lr_test_remove_file(pa);
    lr_test_remove_file(pb);
    free(a);
    free(b);
}
END_TEST

/* --fe-out's effects: one factor, lm's level coefficients; two, weighted:
 * they and the slopes give back the fit's residual sum of squares. */
typedef struct effect {
    char factor[16]; /* the factor */
    char level[16];  /* the level */
    double value;    /* its effect */
} effect;

static size_t read_effects(const char *path, effect *e, size_t cap)
{
    char *text = lr_test_read_file(path, NULL);
    ck_assert(text != NULL);
    ck_assert(!strncmp(text, "factor,level,effect\n", 20));
    size_t n = 0;
    for (char *line = strchr(text, '\n') + 1; *line && n < cap; line = strchr(line, '\n') + 1) {
        ck_assert_int_eq(sscanf(line, "%15[^,],%15[^,],%lf", e[n].factor, e[n].level, &e[n].value),
                         3);
        n++;
    }
    free(text);
    return n;
}

static double lookup(const effect *e, size_t n, const char *factor, const char *level)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].factor, factor) && !strcmp(e[i].level, level))
            return e[i].value;
    return NAN; /* a singleton's level */
}

START_TEST(test_fe_out)
{
    static effect eff[256];
    char *out = lr_test_write_temp("", 0);
    for (size_t i = 0; i < json_array_size(reference); i++) {
        json_t *e = json_array_get(reference, i), *ref = json_object_get(e, "effects");
        if (!json_is_object(ref) || json_object_size(ref) == 0)
            continue;
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        opt.formula = json_string_value(json_object_get(e, "formula"));
        opt.fe_out = out;
        lr_fit *fit = NULL;
        lr_error err;
        char path[1024];
        snprintf(path, sizeof path, "%s",
                 lr_test_path(json_string_value(json_object_get(e, "file"))));
        ck_assert_msg(lr_fit_csv(path, &opt, &fit, &err) == LR_OK, "%s", err.message);
        size_t n = read_effects(out, eff, 256);
        ck_assert_uint_eq(n, json_object_size(ref));
        const char *level;
        json_t *v;
        json_object_foreach(ref, level, v)
        {
            LR_CK_REL(lookup(eff, n, "firm", level), json_number_value(v), RTOL);
        }
        lr_fit_free(fit);
    }
    /* two factors, weighted: Σ w (y − x1 β1 − x2 β2 − firm − year)² = RSS */
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x1 + x2 | firm + year";
    opt.weights = "w";
    opt.fe_out = out;
    lr_fit *fit = NULL;
    lr_error err;
    const char *path = lr_test_path("datasets/panels/firms.csv");
    ck_assert_msg(lr_fit_csv(path, &opt, &fit, &err) == LR_OK, "%s", err.message);
    size_t n = read_effects(out, eff, 256);
    char *text = lr_test_read_file(path, NULL);
    double rss = 0, b1 = lr_fit_coef(fit, 0)->estimate, b2 = lr_fit_coef(fit, 1)->estimate;
    size_t used = 0;
    for (char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        double y, x1, x2, x3, w;
        char firm[16], year[16];
        ck_assert_int_eq(
            sscanf(line, "%lf,%lf,%lf,%lf,%lf,%15[^,],%15[^,]", &y, &x1, &x2, &x3, &w, firm, year),
            7);
        double ef = lookup(eff, n, "firm", firm), ey = lookup(eff, n, "year", year);
        if (isnan(ef))
            continue;
        double r = y - b1 * x1 - b2 * x2 - ef - ey;
        rss += w * r * r;
        used++;
    }
    free(text);
    ck_assert_uint_eq(used, lr_fit_summary(fit)->n);
    LR_CK_REL(rss, lr_fit_summary(fit)->rss, 1e-9);
    lr_fit_free(fit);
    /* without fixed effects it is a usage error */
    opt.formula = "y ~ x1";
    ck_assert_int_eq(lr_fit_csv(path, &opt, &fit, &err), LR_EUSAGE);
    ck_assert_msg(strstr(err.message, "--fe-out needs fixed effects"), "%s", err.message);
    lr_test_remove_file(out);
}
END_TEST

/* A panel of several spool blocks (4096 rows each): the absorbed fit equals
 * linreg's own fit with the dummies (itself checked against R elsewhere),
 * weighted, with HC1 too. */
START_TEST(test_many_blocks_match_dummies)
{
    size_t n = 10007, len = 0, cap = n * 80;
    char *csv = malloc(cap);
    ck_assert(csv != NULL);
    len += (size_t)snprintf(csv, cap, "y,x1,x2,w,a,b\n");
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double u[4];
        for (int k = 0; k < 4; k++)
            u[k] = lr_lcg_unit(&s);
        unsigned a = (unsigned)(u[0] * 37), b = (unsigned)(u[1] * 11);
        double x1 = u[2] * 4 + a * 0.1, x2 = u[3] - b * 0.05;
        double y = 1 + 0.5 * x1 - 2 * x2 + 0.3 * a - 0.2 * b + (u[0] * 37 - a) * (1 + x1);
        len += (size_t)snprintf(csv + len, cap - len, "%.9g,%.9g,%.9g,%.3g,a%u,b%u\n", y, x1, x2,
                                0.5 + u[1] * 11 - b, a, b);
    }
    char *path = lr_test_write_temp(csv, len);
    free(csv);
    for (int variant = 0; variant < 2; variant++) {
        lr_fit_options o1, o2;
        lr_fit_options_init(&o1);
        lr_fit_options_init(&o2);
        o1.formula = "y ~ x1 + x2 | a + b";
        o2.formula = "y ~ factor(a) + factor(b) + x1 + x2";
        o1.weights = o2.weights = variant ? "w" : NULL;
        o1.vcov = o2.vcov = variant ? LR_VCOV_HC1 : LR_VCOV_CLASSICAL;
        lr_fit *f1 = NULL, *f2 = NULL;
        lr_error err;
        ck_assert_msg(lr_fit_csv(path, &o1, &f1, &err) == LR_OK, "%s", err.message);
        ck_assert_msg(lr_fit_csv(path, &o2, &f2, &err) == LR_OK, "%s", err.message);
        const lr_summary *s1 = lr_fit_summary(f1), *s2 = lr_fit_summary(f2);
        ck_assert_uint_eq(s1->n, n);
        LR_CK_REL(s1->df_residual, s2->df_residual, 0);
        LR_CK_REL(s1->sigma, s2->sigma, RTOL);
        LR_CK_REL(s1->r_squared, s2->r_squared, RTOL);
        for (size_t j = 0; j < 2; j++) {
            const lr_coef *c1 = lr_fit_coef(f1, j), *c2 = lr_fit_coef(f2, lr_fit_ncoef(f2) - 2 + j);
            ck_assert_str_eq(c1->name, c2->name);
            LR_CK_REL(c1->estimate, c2->estimate, RTOL);
            LR_CK_REL(c1->std_error, c2->std_error, RTOL);
        }
        lr_fit_free(f1);
        lr_fit_free(f2);
    }
    lr_test_remove_file(path);
}
END_TEST

static int fe_alloc_run(void *ctx, lr_error *err)
{
    lr_fit *fit = NULL;
    int rc = lr_fit_csv(lr_test_path("datasets/panels/firms.csv"), ctx, &fit, err);
    lr_fit_free(fit);
    return rc;
}

/* Every allocation failing in turn: LR_ENOMEM (or success) and no leak. */
START_TEST(test_alloc_failures)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = "y ~ x1 + x2 | firm + year + shift";
    opt.vcov = LR_VCOV_HC1;
    opt.threads = 1;
    lr_test_alloc_failures(fe_alloc_run, &opt, 100000);
}
END_TEST

int main(void)
{
    reference = lr_test_load_json("tests/data/r_fixed_effects.json");
    if (!reference)
        return 1;
    const lr_test_case tests[] = {
        {test_matches_lm_with_dummies, (int)json_array_size(reference), "r"},
        LR_TEST(test_threads_same_bits),
        LR_TEST(test_collinear_note),
        LR_TEST(test_fe_out),
        LR_TEST(test_many_blocks_match_dummies),
        LR_TEST(test_alloc_failures),
        {test_cli_spellings, 0, "cli"},
        LR_TEST(test_cli_convergence),
        LR_TEST(test_cli_absorb_every_other),
        LR_TEST(test_cli_usage_errors),
        LR_TEST_LOOP(test_levels, LR_TEST_COUNT(level_cases)),
        LR_TEST(test_cli_bad_fe_values),
        {test_fe_paths, 4, "paths"}, /* 60,000-row files, four fits and two runs each */
    };
    int rc = lr_test_run_cases("fixed_effects", 300, tests, LR_TEST_COUNT(tests));
    json_decref(reference);
    return rc;
}
