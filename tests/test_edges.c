/*
 * test_edges.c — R's answers at the edges, and no noise printed as a number:
 * a leverage of one (HC2/HC3 and the per-row diagnostics NA, as
 * sandwich::vcovHC and rstandard give NaN), bit-identical diagnostics for
 * any thread count and either second pass, responses near the ends of a
 * double's range, and the notes and plots that must not print nan.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* Run argv (no stdin); the run must happen. */
/* Run with TMPDIR set to dir (NULL: as it is), restoring it after. */
static lr_test_run_result run_tmpdir(const char *const *argv, const char *dir)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    if (dir)
        setenv("TMPDIR", dir, 1);
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    return r;
}

/* No text a C library prints for a non-finite double, in any case: the
 * words nan and inf (not letters inside a longer word, such as a path
 * /work/inference/ or a name "info"). */
static void ck_no_nonfinite_text(const char *what, const char *s)
{
    static const char *const bad[] = {"nan", "NaN", "NAN", "inf", "Inf", "INF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        for (const char *at = strstr(s, bad[i]); at; at = strstr(at + 1, bad[i])) {
            int word =
                (at == s || !isalpha((unsigned char)at[-1])) && !isalpha((unsigned char)at[3]);
            ck_assert_msg(!word, "%s holds '%s':\n%s", what, bad[i], s);
        }
}

/* ------------------------------------------------------------------------ */
/* A leverage of one                                                        */
/* ------------------------------------------------------------------------ */

/* R's value for TYPE NAME from tests/data/r_hc_singleton.txt. */
static double r_hc(const char *type, const char *name)
{
    char *text = lr_test_read_file(lr_test_path("tests/data/r_hc_singleton.txt"), NULL);
    ck_assert(text != NULL);
    double v = 0;
    int found = 0;
    for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
        char t[32], nm[64], val[64];
        if (line[0] != '#' && sscanf(line, "%31s %63s %63s", t, nm, val) == 3 && !strcmp(t, type) &&
            !strcmp(nm, name)) {
            v = strtod(val, NULL);
            found = 1;
        }
    }
    free(text);
    ck_assert_msg(found, "no reference %s %s", type, name);
    return v;
}

static const char *const methods[] = {"auto", "qr", "svd", "inverse", "cholesky", "naive"};

/* HC0 and HC1 agree with sandwich::vcovHC; HC2 and HC3 are NA (JSON null)
 * with everything derived from them, noted, and warned about on stderr
 * naming the line, in every method. */
START_TEST(test_hc_singleton_level)
{
    const char *method = methods[_i];
    static const char *const types[] = {"HC0", "HC1", "HC2", "HC3"};
    static const char *const derived[] = {"std_error", "t", "p", "ci_low", "ci_high"};
    /* a copy: lr_test_path's buffer is reused by r_hc */
    char *path = strdup(lr_test_path("tests/data/singleton_level.csv"));
    for (int k = 0; k < 4; k++) {
        const char *argv[] = {"linreg",   "fit",  "-f",       "y ~ x + g", "--vcov", types[k],
                              "--method", method, "--format", "json",      path,     NULL};
        lr_test_run_result r = lr_test_cmd(argv, NULL);
        ck_assert_msg(r.exit_code == 0, "%s %s: %s", method, types[k], r.err);
        ck_no_nonfinite_text("JSON", r.out);
        json_t *o = lr_test_out_json(&r);
        json_t *coefs = json_object_get(o, "coefficients");
        ck_assert_uint_eq(json_array_size(coefs), 5);
        int unstable = k >= 2;
        for (size_t j = 0; j < 5; j++) {
            json_t *c = json_array_get(coefs, j);
            const char *name = json_string_value(json_object_get(c, "name"));
            if (unstable) {
                for (size_t d = 0; d < 5; d++)
                    ck_assert_msg(json_is_null(json_object_get(c, derived[d])),
                                  "%s %s: %s %s is not null", method, types[k], name, derived[d]);
            } else {
                LR_CK_REL(json_number_value(json_object_get(c, "std_error")), r_hc(types[k], name),
                          1e-9);
            }
        }
        if (unstable) {
            ck_assert(json_is_null(json_object_get(o, "f_statistic")));
            ck_assert(json_is_null(json_object_get(o, "f_p")));
            ck_assert_msg(strstr(r.err, "warning: ") && strstr(r.err, types[k]) &&
                              strstr(r.err, "line 9"),
                          "%s %s: stderr: %s", method, types[k], r.err);
            ck_assert_msg(strstr(r.out, "leverage of 1") != NULL, "no note: %s", r.out);
        } else {
            ck_assert(json_is_number(json_object_get(o, "f_statistic")));
            ck_assert_msg(r.err_len == 0, "%s %s: stderr: %s", method, types[k], r.err);
        }
        json_decref(o);
        lr_test_run_free(&r);
    }
    /* the text report: NA with the reason, never nan */
    const char *argv[] = {"linreg", "fit",      "-f",   "y ~ x + g", "--vcov",
                          "HC3",    "--method", method, path,        NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_no_nonfinite_text("text", r.out);
    ck_assert_msg(strstr(r.out, "gsolo") && strstr(r.out, " NA "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "leverage of 1") != NULL, "%s", r.out);
    lr_test_run_free(&r);
    free(path);
}
END_TEST

/* The field `col` (0-based) of the row on line `line` of a --residuals CSV,
 * copied into buf. */
static void residual_field(const char *csv, unsigned line, int col, char *buf, size_t cap)
{
    char want[32];
    snprintf(want, sizeof want, "\n%u,", line);
    const char *p = strstr(csv, want);
    ck_assert_msg(p != NULL, "no line %u in\n%s", line, csv);
    p++;
    for (int c = 0; c < col; c++)
        p = strchr(p, ',') + 1;
    size_t n = strcspn(p, ",\n");
    ck_assert(n < cap);
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* Run `linreg fit ARGS... --residuals OUT DATA` and return OUT's contents,
 * checked free of nan and inf. */
static char *residuals_of(const char *const *args, const char *data)
{
    char out[4096];
    snprintf(out, sizeof out, "/tmp/linreg-edges-resid-%d.csv", (int)getpid());
    const char *argv[16] = {"linreg", "fit"};
    int a = 2;
    for (int k = 0; args[k]; k++)
        argv[a++] = args[k];
    argv[a++] = "--residuals";
    argv[a++] = out;
    argv[a++] = data;
    argv[a] = NULL;
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    char *csv = lr_test_read_file(out, NULL);
    ck_assert(csv != NULL);
    unlink(out);
    ck_no_nonfinite_text("residuals", csv);
    return csv;
}

/* Assert that field col of line's row is want (or, want NULL, is not NA). */
static void ck_field(const char *csv, unsigned line, int col, const char *want, const char *what)
{
    char f[64];
    residual_field(csv, line, col, f, sizeof f);
    if (want)
        ck_assert_msg(!strcmp(f, want), "%s: line %u field %d is %s, not %s", what, line, col, f,
                      want);
    else
        ck_assert_msg(strcmp(f, "NA") != 0, "%s: line %u field %d is NA", what, line, col);
}

/* --residuals: the leverage-one row has leverage 1 and NA standardized
 * residual and Cook's distance (R: NaN); with no residual degrees of freedom
 * every row's are NA. Never nan or inf. */
START_TEST(test_residuals_leverage_one)
{
    char *path = strdup(lr_test_path("tests/data/singleton_level.csv"));
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
        const char *args[] = {"-f", "y ~ x + g", "--method", methods[m], NULL};
        char *csv = residuals_of(args, path);
        ck_field(csv, 9, 3, "1", methods[m]);
        ck_field(csv, 9, 4, "NA", methods[m]);
        ck_field(csv, 9, 5, "NA", methods[m]);
        ck_field(csv, 2, 4, NULL, methods[m]); /* another row keeps R's numbers */
        ck_field(csv, 2, 5, NULL, methods[m]);
        free(csv);
    }
    free(path);
    /* no residual degrees of freedom: σ is undefined */
    char *data = lr_test_write_temp("y,x\n1,0\n3,1\n", 12);
    const char *args[] = {NULL};
    char *csv = residuals_of(args, data);
    for (unsigned line = 2; line <= 3; line++) {
        ck_field(csv, line, 4, "NA", "df 0");
        ck_field(csv, line, 5, "NA", "df 0");
    }
    free(csv);
    lr_test_remove_file(data);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Bit-identical diagnostics                                                */
/* ------------------------------------------------------------------------ */

/* About 2.4 MB (three chunks) with a factor whose levels arrive late, 'a'
 * and 'b' after 30 % of the rows and 'z' after 60 % (so the first pass's
 * blocks end early where the model widens), and a few zero weights. */
static char *late_levels_file(void)
{
    size_t rows = 80000, cap = rows * 48 + 64, n = 0;
    char *data = malloc(cap);
    uint64_t s = 12345;
    n += (size_t)snprintf(data + n, cap - n, "y,x1,x2,g,w\n");
    for (size_t i = 0; i < rows; i++) {
        double u[3];
        for (int k = 0; k < 3; k++)
            u[k] = lr_lcg_unit(&s);
        const char *lv = i < rows * 3 / 10 ? "mno" : i < rows * 6 / 10 ? "mnoab" : "mnoabz";
        char g = lv[(size_t)(u[2] * (double)strlen(lv))];
        double x1 = 6 * u[0] - 3, x2 = 4 * u[1] - 2;
        double y = 1 + 0.3 * x1 - 0.2 * x2 + 0.01 * g + (u[2] - 0.5) * (1 + x1 * x1);
        n += (size_t)snprintf(data + n, cap - n, "%.6f,%.6f,%.6f,%c,%d\n", y, x1, x2, g,
                              i % 997 == 5 ? 0 : 1 + (int)(i % 3));
    }
    char *path = lr_test_write_temp(data, n);
    free(data);
    return path;
}

/* One run's outputs: the --residuals file and the JSON report. */
typedef struct diag_run {
    char *resid; /* the residuals CSV */
    char *json;  /* stdout */
} diag_run;

static diag_run diag_outputs(const char *path, const char *threads, const char *tmpdir)
{
    char out[4096];
    snprintf(out, sizeof out, "/tmp/linreg-edges-bits-%d.csv", (int)getpid());
    const char *argv[] = {"linreg", "fit", "-q",     "-t",  threads,    "-f",   "y ~ x1 + x2 + g",
                          "-w",     "w",   "--vcov", "HC3", "--format", "json", "--residuals",
                          out,      path,  NULL};
    lr_test_run_result r = run_tmpdir(argv, tmpdir);
    ck_assert_msg(r.exit_code == 0, "-t %s: %s", threads, r.err);
    diag_run d = {lr_test_read_file(out, NULL), r.out};
    r.out = NULL;
    lr_test_run_free(&r);
    unlink(out);
    return d;
}

/* The JSON's HC3 standard errors are printed with 17 digits: equal text is
 * equal bits. */
static void ck_same_run(const diag_run *a, const diag_run *b, const char *what)
{
    ck_assert_msg(!strcmp(a->resid, b->resid), "%s: the --residuals files differ", what);
    json_error_t je;
    json_t *oa = json_loads(a->json, 0, &je), *ob = json_loads(b->json, 0, &je);
    ck_assert(oa && ob);
    json_t *ca = json_object_get(oa, "coefficients"), *cb = json_object_get(ob, "coefficients");
    ck_assert_uint_eq(json_array_size(ca), json_array_size(cb));
    ck_assert_uint_eq(json_array_size(ca), 8);
    for (size_t j = 0; j < json_array_size(ca); j++) {
        double sa = json_number_value(json_object_get(json_array_get(ca, j), "std_error"));
        double sb = json_number_value(json_object_get(json_array_get(cb, j), "std_error"));
        ck_assert_msg(memcmp(&sa, &sb, sizeof sa) == 0, "%s: SE %zu %.17g vs %.17g", what, j, sa,
                      sb);
    }
    json_decref(oa);
    json_decref(ob);
}

static void diag_run_free(diag_run *d)
{
    free(d->resid);
    free(d->json);
}

/* -t 1, 2 and 3, the spool of model rows and the re-parse of the text (no
 * usable TMPDIR): the same bytes. */
START_TEST(test_bit_identical_diagnostics)
{
    char *path = late_levels_file();
    diag_run t1 = diag_outputs(path, "1", NULL);
    diag_run t2 = diag_outputs(path, "2", NULL);
    diag_run t3 = diag_outputs(path, "3", NULL);
    ck_same_run(&t1, &t2, "-t 1 vs -t 2");
    ck_same_run(&t1, &t3, "-t 1 vs -t 3");
    /* valgrind (--trace-children) needs a TMPDIR of its own to start the child */
    if (!lr_test_under_valgrind()) {
        diag_run p1 = diag_outputs(path, "1", "/nonexistent-linreg-tmp");
        diag_run p3 = diag_outputs(path, "3", "/nonexistent-linreg-tmp");
        ck_same_run(&t1, &p1, "spool vs re-parse, -t 1");
        ck_same_run(&t1, &p3, "spool vs re-parse, -t 3");
        diag_run_free(&p1);
        diag_run_free(&p3);
    }
    diag_run_free(&t1);
    diag_run_free(&t2);
    diag_run_free(&t3);
    lr_test_remove_file(path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Responses at the ends of a double's range                                */
/* ------------------------------------------------------------------------ */

/* A response of magnitude 1e-200 has squares that underflow to zero: the
 * documented error (exit 1, nothing on stdout), not SE 0, t = Inf and "the
 * response is constant"; the same at 1e-160, and 1e+200 overflows. A truly
 * constant response is still fitted, with its note. */
START_TEST(test_response_range)
{
    static const struct {
        const char *exp;  /* the response's decimal exponent */
        const char *want; /* in the message */
    } cases[] = {{"e-200", "values too small for double precision"},
                 {"e-160", "values too small for double precision"},
                 {"e+200", "overflow"}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lr_test_text t = {0};
        lr_test_put(&t, "y,x\n");
        for (int i = 0; i < 20; i++)
            lr_test_put(&t, "%d.%d%s,%d\n", 1 + i % 7, (i * 37) % 100, cases[c].exp, i);
        char *path = lr_test_write_temp(t.s, t.n);
        free(t.s);
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            const char *argv[] = {"linreg", "fit", "--method", methods[m], path, NULL};
            lr_test_run_result r = lr_test_cmd(argv, NULL);
            ck_assert_msg(r.exit_code == 1 && r.out_len == 0 && strstr(r.err, cases[c].want),
                          "%s %s: exit %d\n%s%s", cases[c].exp, methods[m], r.exit_code, r.out,
                          r.err);
            lr_test_run_free(&r);
        }
        lr_test_remove_file(path);
    }
    char *path = lr_test_write_temp("y,x\n3,1\n3,2\n3,4\n", 16);
    const char *argv[] = {"linreg", "fit", path, NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0 && strstr(r.out, "the response is constant"), "%s", r.err);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Notes                                                                    */
/* ------------------------------------------------------------------------ */

/* CSV text: header, then rows row(t, 0) .. row(t, n - 1); free(t.s) when done. */
static lr_test_text csv_rows(const char *header, int n, void (*row)(lr_test_text *t, int i))
{
    lr_test_text t = {0};
    lr_test_put(&t, "%s\n", header);
    for (int i = 0; i < n; i++)
        row(&t, i);
    return t;
}

/* y = 3 + 2x with an error of about 1e-9: a near-exact fit. */
static void near_exact_row(lr_test_text *t, int i)
{
    lr_test_put(t, "%.12f,%d\n", 3 + 2 * i + 1e-9 * ((i * 7) % 5 - 2), i);
}

/* x3 = x1 + x2 exactly in decimal (thousandths), y = x1 + 2 x2 plus about 1e-9. */
static void dependent_row(lr_test_text *t, int i)
{
    int a = (i * 7919) % 10007, b = (i * 104729) % 9973; /* thousandths */
    double e = 1e-9 * ((i * 37) % 11 - 5);
    lr_test_put(t, "%.12f,%d.%03d,%d.%03d,%d.%03d\n", (a + 2.0 * b) / 1000 + e, a / 1000, a % 1000,
                b / 1000, b % 1000, (a + b) / 1000, (a + b) % 1000);
}

/* x: integers near 2^53 varying in their last digits. As doubles (even above 2^53) their
 * mean is 9007199254740995, rounded to ...996; the accumulators' means are within an ulp
 * of that. */
static void near_2_53_row(lr_test_text *t, int i)
{
    lr_test_put(t, "%d.%d,%lld,7\n", (i * 37) % 11, i % 7, 9007199254740990LL + i % 11);
}

/* A near-exact fit with κ = 1 loses digits to its tiny residual sum of
 * squares: the notes say so instead of blaming the condition number. */
START_TEST(test_precision_note_reason)
{
    lr_test_text t = csv_rows("y,x", 20, near_exact_row);
    char *path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    const char *argv[] = {"linreg", "fit", "--method", "auto", path, NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "Condition number (centred, scaled predictors): 1;") &&
                      strstr(r.out, "recomputed in 256-bit arithmetic") &&
                      strstr(r.out, "residual sum of squares 1.5e-20 of the total: a near-exact "
                                    "fit") &&
                      !strstr(r.out, "condition number put"),
                  "%s", r.out);
    lr_test_run_free(&r);
    argv[3] = "qr";
    r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_msg(strstr(r.err, "warning: only about 5 significant digits of these results can "
                                "be trusted (residual sum of squares 1.5e-20 of the total: a "
                                "near-exact fit)"),
                  "%s", r.err);
    ck_assert(strstr(r.out, "about 5 significant digits can be trusted") != NULL);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
    /* an ill-conditioned fit still names κ */
    const char *argv3[] = {"linreg",
                           "fit",
                           "-f",
                           "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)",
                           lr_test_path("datasets/nist/Wampler3.csv"),
                           NULL};
    r = lr_test_cmd(argv3, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "(digits were at risk in double precision: condition number "),
                  "%s", r.out);
    lr_test_run_free(&r);
}
END_TEST

/* Run `linreg fit ARGS... DATA` on the bytes data; exit 0; stdout (malloc'd). */
static char *fit_text(const char *const *args, const char *data, size_t len)
{
    char *path = lr_test_write_temp(data, len);
    const char *argv[16] = {"linreg", "fit"};
    int a = 2;
    for (int k = 0; args[k]; k++)
        argv[a++] = args[k];
    argv[a++] = path;
    argv[a] = NULL;
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    char *out = r.out;
    r.out = NULL;
    lr_test_run_free(&r);
    lr_test_remove_file(path);
    return out;
}

/* An exact dependency found in extended precision is printed without the
 * arithmetic's residue ("x3 = x1 + x2 - 2.10844e-81"). */
START_TEST(test_dependency_noise)
{
    lr_test_text t = csv_rows("y,x1,x2,x3", 30, dependent_row);
    const char *args[] = {"-f", "y ~ x1 + x2 + x3 + I(x1/3)", NULL};
    char *out = fit_text(args, t.s, t.n);
    free(t.s);
    ck_assert_msg(strstr(out, "recomputed in") && strstr(out, "    x3 = x1 + x2\n") &&
                      strstr(out, "    I(x1/3) = 0.333333 * x1\n"),
                  "%s", out);
    free(out);
}
END_TEST

/* ns(x, intercept = TRUE) beside the intercept is aliased (its columns sum
 * to 1 exactly). A near-exact fit puts digits at risk, but the extended pass
 * evaluates the basis in double, where the sum is 1 only to rounding, and
 * solved it exactly: coefficients of 94602 ± 851039 where R gives
 * 103.0175 ± 2.2e-9 and NA. Now the pass is declined with a note and the
 * double fit's aliasing stands, as R's. */
START_TEST(test_basis_aliased_extended)
{
    lr_test_seed(15);
    size_t cap = 60 * 64, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "y,x\n");
    for (int i = 0; i < 60; i++) {
        double x = 10 * lr_test_urand();
        len += (size_t)snprintf(csv + len, cap - len, "%.17g,%.17g\n",
                                3 + 2 * x + 1e-9 * (lr_test_urand() - 0.5), x);
    }
    lr_fit *fit = NULL;
    lr_error err;
    ck_assert_int_eq(lr_test_fit_text(csv, "y ~ ns(x, df = 3, intercept = TRUE)", &fit, &err),
                     LR_OK);
    ck_assert(lr_fit_coef(fit, 3)->aliased);
    /* the line 3 + 2x in the basis: intercept, then slopes of its first two columns */
    for (size_t j = 0; j < 3; j++)
        ck_assert_msg(fabs(lr_fit_coef(fit, j)->estimate) < 1e3, "coefficient %zu: %g", j,
                      lr_fit_coef(fit, j)->estimate);
    int declined = 0;
    for (size_t i = 0; i < lr_fit_nnotes(fit); i++)
        declined |= strstr(lr_fit_note(fit, i), "basis is evaluated in double") != NULL;
    ck_assert(declined);
    lr_fit_free(fit);
    free(csv);
}
END_TEST

/* A column of integers near 2^53 that varies in its last digits is
 * "constant to working precision" with its mean in full, not "constant
 * (9.0072e+15 in every row used)". */
START_TEST(test_constant_digits)
{
    lr_test_text t = csv_rows("y,x,c", 22, near_2_53_row);
    const char *args[] = {"-f", "y ~ x + c", "--method", "auto", NULL};
    static const char *const ms[] = {"auto", "qr", "inverse", "naive"};
    for (size_t m = 0; m < 4; m++) {
        args[3] = ms[m];
        char *out = fit_text(args, t.s, t.n);
        const char *at = strstr(out, "x is constant to working precision (mean 900719925474099");
        ck_assert_msg(at && strstr(at, "): it is collinear with the intercept") == at + 57 &&
                          !strstr(out, "9.0072e+15"),
                      "%s: %s", ms[m], out);
        free(out);
    }
    free(t.s);
}
END_TEST

/* Level names with a newline or control bytes are printed escaped as R
 * prints them (gd\001e), in the table and the notes: one line per row. */
START_TEST(test_escaped_names)
{
    static const char data[] = "y,g,z\n1,0,1\n2,0,1\n3,\"a\nb\",1\n5,\"a\nb\",1\n6,\"d\001e\",1\n"
                               "8,\"d\001e\",1\n";
    const char *plain[] = {"-f", "y ~ g", NULL};
    char *out = fit_text(plain, data, sizeof data - 1);
    ck_assert_msg(strstr(out, "\nga\\nb ") && strstr(out, "\ngd\\001e "), "%s", out);
    ck_assert_msg(!strstr(out, "a\nb") && !strchr(out, '\001'), "%s", out);
    free(out);
    const char *md[] = {"-f", "y ~ g", "--format", "markdown", NULL};
    out = fit_text(md, data, sizeof data - 1);
    ck_assert_msg(strstr(out, "| ga\\\\nb |") && !strstr(out, "a\nb"), "%s", out);
    free(out);
    /* and in the notes: a column named "z<byte 1>", constant, is aliased */
    static const char data2[] = "y,g,\"z\001\"\n1,0,1\n2,0,1\n3,\"a\nb\",1\n5,\"a\nb\",1\n"
                                "6,\"d\001e\",1\n8,\"d\001e\",1\n";
    const char *none[] = {NULL};
    out = fit_text(none, data2, sizeof data2 - 1);
    ck_assert_msg(strstr(out, "\n    `z\\001` is constant") && !strchr(out, '\001'), "%s", out);
    free(out);
    const char *md2[] = {"--format", "markdown", NULL};
    out = fit_text(md2, data2, sizeof data2 - 1);
    ck_assert_msg(!strchr(out, '\001') && !strstr(out, "a\nb"), "%s", out);
    free(out);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The diagnostic plot                                                      */
/* ------------------------------------------------------------------------ */

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (; (s = strstr(s, what)) != NULL; s++)
        n++;
    return n;
}

/* R's plot.lm panels 1-3: raw residuals against fitted (cars: residuals
 * up to 43, so a tick at 40, where standardized ones stay within ±3), the
 * Q-Q plot and the scale-location plot, a point per observation in each;
 * a saturated fit has no standardized residuals and writes no nan. */
START_TEST(test_plot_panels)
{
    char svg[4096];
    snprintf(svg, sizeof svg, "/tmp/linreg-edges-plot-%d.svg", (int)getpid());
    const char *argv[] = {
        "linreg", "fit", "-f", "dist ~ speed", "--plot", svg, lr_test_path("datasets/cars.csv"),
        NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    char *text = lr_test_read_file(svg, NULL);
    ck_assert(text != NULL);
    ck_assert(strstr(text, ">Residuals vs Fitted<") && strstr(text, ">Normal Q-Q<") &&
              strstr(text, ">Scale-Location<"));
    ck_assert(strstr(text, ">Residuals</text>") &&
              strstr(text, "text-anchor=\"end\" font-size=\"10\">40</text>")); /* a y tick */
    ck_assert_uint_eq(count(text, "<circle"), 3 * 50);
    ck_no_nonfinite_text("SVG", text);
    free(text);

    char *data = lr_test_write_temp("y,x\n1,0\n3,1\n", 12);
    argv[3] = "y ~ x";
    argv[6] = data;
    r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    lr_test_run_free(&r);
    text = lr_test_read_file(svg, NULL);
    ck_assert(text != NULL);
    ck_no_nonfinite_text("SVG", text);
    ck_assert(strstr(text, ">Scale-Location<") != NULL);
    ck_assert_uint_eq(count(text, "<circle"), 2); /* panel 1 only */
    free(text);
    lr_test_remove_file(data);
    unlink(svg);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The text report against R's print(summary(lm(...)))                     */
/* ------------------------------------------------------------------------ */

/* A line as compared: trailing blanks dropped; in R's, a tab (between the
 * R-squared values) is two spaces, and NaN is NA (linreg prints NA where R
 * prints NaN), in the same width where it is right-aligned. */
static void normalise(char *line, int from_r)
{
    char buf[1024];
    size_t n = 0;
    for (const char *p = line; *p && n + 3 < sizeof buf; p++) {
        if (from_r && *p == '\t') {
            buf[n++] = ' ';
            buf[n++] = ' ';
        } else if (from_r && !strncmp(p, "NaN", 3)) {
            /* right-aligned in a column: keep the width; in a sentence: NA */
            int aligned = p - line >= 2 && p[-1] == ' ' && p[-2] == ' ';
            memcpy(buf + n, aligned ? " NA" : "NA", aligned ? 3 : 2);
            n += aligned ? 3 : 2;
            p += 2;
        } else {
            buf[n++] = *p;
        }
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    strcpy(line, buf);
}

/* R's reference printouts: "### ID|FILE|FORMULA|WEIGHTS" then R's lines. */
static char *r_print_text;

static const char *r_print_block(int k, char *head, size_t cap)
{
    if (!r_print_text)
        r_print_text = lr_test_read_file(lr_test_path("tests/reference/r_summary_print.txt"), NULL);
    ck_assert(r_print_text != NULL);
    const char *p = r_print_text;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, "\n### ");
        if (!p)
            return NULL;
        p += 5;
    }
    size_t n = strcspn(p, "\n");
    ck_assert(n < cap);
    memcpy(head, p, n);
    head[n] = '\0';
    return p + n + 1;
}

enum { R_PRINT_FITS = 13 };

/* Copy the line at *p (its newline left out) to buf[0..cap), asserting that it fits, and
 * move *p past it. */
static void next_line(const char **p, char *buf, size_t cap)
{
    size_t n = strcspn(*p, "\n");
    ck_assert(n < cap);
    memcpy(buf, *p, n);
    buf[n] = '\0';
    *p += n + ((*p)[n] == '\n');
}

/* Every line R prints from "Residuals:" on appears in linreg's report, in
 * order, as a line or the start of one (linreg's own lines -- method,
 * condition number, log-likelihood, notes -- and its interval columns are
 * extras). */
START_TEST(test_summary_like_r)
{
    char head[512], *field[4];
    const char *body = r_print_block(_i, head, sizeof head);
    ck_assert_msg(body != NULL, "no block %d", _i);
    char *q = head;
    for (int f = 0; f < 4; f++) {
        field[f] = q;
        q += strcspn(q, "|");
        if (*q)
            *q++ = '\0';
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", lr_test_path(field[1]));
    const char *argv[] = {"linreg", "fit", "-f", field[2], "-w", field[3], path, NULL};
    if (!field[3][0]) {
        argv[4] = path;
        argv[5] = NULL;
    }
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s: %s", field[0], r.err);
    const char *ours = r.out;
    int started = 0;
    for (const char *p = body; *p && strncmp(p, "### ", 4);) {
        char line[1024];
        next_line(&p, line, sizeof line);
        started |= !strcmp(line, "Residuals:") || !strcmp(line, "Weighted Residuals:");
        normalise(line, 1);
        if (!started || !line[0])
            continue;
        int found = 0;
        while (*ours && !found) {
            char mine[1024];
            next_line(&ours, mine, sizeof mine);
            normalise(mine, 0);
            found = !strncmp(mine, line, strlen(line));
        }
        ck_assert_msg(found, "%s: R's line\n%s\nnot found (in order) in\n%s", field[0], line,
                      r.out);
    }
    ck_assert(started);
    lr_test_run_free(&r);
    if (!strcmp(field[0], "two_rows")) {
        /* nor does the Markdown report print quantiles of rounding noise */
        const char *md[] = {"linreg", "fit", "--format", "markdown", path, NULL};
        r = lr_test_cmd(md, NULL);
        ck_assert_msg(r.exit_code == 0 && strstr(r.out, "ALL 2 residuals are 0") &&
                          !strstr(r.out, "e-16"),
                      "%s", r.out);
        lr_test_run_free(&r);
    }
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_hc_singleton_level, (int)LR_TEST_COUNT(methods)),
        LR_TEST(test_residuals_leverage_one),
        LR_TEST(test_bit_identical_diagnostics),
        LR_TEST(test_response_range),
        LR_TEST(test_precision_note_reason),
        LR_TEST(test_dependency_noise),
        LR_TEST(test_constant_digits),
        LR_TEST(test_basis_aliased_extended),
        LR_TEST(test_escaped_names),
        LR_TEST(test_plot_panels),
        LR_TEST_LOOP(test_summary_like_r, R_PRINT_FITS),
    };
    int rc = lr_test_run_cases("edges", 0, tests, LR_TEST_COUNT(tests));
    free(r_print_text);
    return rc;
}
