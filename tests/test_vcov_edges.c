/*
 * test_vcov_edges.c — robust covariances at the edges, where what double
 * precision sums is rounding: no residual degrees of freedom (the meat is
 * exactly zero: R's 0 and NaN, never noise), and sandwiches whose terms
 * cancel, HC's and HAC's (NA with a warning when no digit is certain, and a
 * warning that never promises more digits than are right).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* No residual degrees of freedom: the fit passes through every row of
 * nonzero weight, so every residual is 0 and so is every robust covariance's
 * meat. R's residuals are exactly 0 there: HC0, HAC and CL give standard
 * errors of exactly 0, and HC1, HC2 and HC3 NaN (NA here, with the reason).
 * The rounding noise of the residuals (7e-16 on the first file) used to be
 * printed as standard errors, with t values of 1e15. */
typedef struct no_df_case {
    const char *formula; /* NULL: y ~ x1 + x2 */
    const char *data;    /* the CSV */
    const char *vcov[3]; /* --vcov and its options */
    int zero;            /* 1: every standard error is exactly 0; 0: every one is NA */
    const char *note;    /* in a note when NA (NULL: none asked) */
} no_df_case;

static const no_df_case no_df_cases[] = {
    {NULL, "y,x1,x2\n1.3,0.1,2.7\n2.9,1.7,0.3\n0.7,2.2,1.9\n", {"HC0"}, 1, NULL},
    {NULL, "y,x1,x2\n1.3,0.1,2.7\n2.9,1.7,0.3\n0.7,2.2,1.9\n", {"HAC", "--lag", "1"}, 1, NULL},
    {NULL,
     "y,x1,x2\n1.3,0.1,2.7\n2.9,1.7,0.3\n0.7,2.2,1.9\n",
     {"HC1"},
     0,
     "no residual degrees of freedom, so every residual is 0, and HC1 multiplies"},
    {NULL, "y,x1,x2\n1.3,0.1,2.7\n2.9,1.7,0.3\n0.7,2.2,1.9\n", {"HC3"}, 0, "HC0 is defined"},
    /* rows of weight zero: CL's n counts them, so (n - 1)/(n - k) is finite */
    {NULL,
     "y,x1,x2,g,w\n1.3,0.1,2.7,a,1\n2.9,1.7,0.3,b,2\n0.7,2.2,1.9,a,1.5\n4.1,0.9,0.4,b,0\n"
     "3.3,3.1,2.2,c,0\n",
     {"CL", "--cluster", "g"},
     1,
     NULL},
    {NULL,
     "y,x1,x2,g,w\n1.3,0.1,2.7,a,1\n2.9,1.7,0.3,b,2\n0.7,2.2,1.9,a,1.5\n4.1,0.9,0.4,b,0\n"
     "3.3,3.1,2.2,c,0\n",
     {"HC0"},
     1,
     NULL},
    /* absorbed fixed effects (their own sandwich, fe_demean.c): the residual
     * sum of squares is 0 too, not the demeaned solve's 4e-33, whose logLik
     * of 146 was printed */
    {"y ~ x1 + x2 | g",
     "y,x1,x2,g\n1.3,0.1,0.5,a\n2.9,1.7,0.2,b\n0.7,2.2,1.1,a\n3.1,0.4,2.9,b\n",
     {"HC0"},
     1,
     NULL},
    {"y ~ x1 + x2 | g",
     "y,x1,x2,g\n1.3,0.1,0.5,a\n2.9,1.7,0.2,b\n0.7,2.2,1.1,a\n3.1,0.4,2.9,b\n",
     {"HC1"},
     0,
     "HC1 multiplies the zero sandwich"},
};

START_TEST(test_vcov_no_df)
{
    const no_df_case *c = &no_df_cases[_i];
    char *path = lr_test_write_temp(c->data, strlen(c->data));
    int weighted = strstr(c->data, ",w\n") != NULL;
    const char *formula = c->formula ? c->formula : "y ~ x1 + x2";
    const char *argv[16] = {"linreg", "fit", "-q", "--format", "json", "-f", formula, "--vcov"};
    size_t n = 8;
    for (size_t k = 0; k < 3 && c->vcov[k]; k++)
        argv[n++] = c->vcov[k];
    if (weighted) {
        argv[n++] = "-w";
        argv[n++] = "w";
    }
    argv[n++] = path;
    argv[n] = NULL;
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s: %s", c->vcov[0], r.err);
    json_t *j = lr_test_out_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "df_residual")), 0);
    json_t *coefs = json_object_get(j, "coefficients");
    ck_assert_uint_eq(json_array_size(coefs), c->formula ? 2 : 3);
    ck_assert_msg(json_number_value(json_object_get(j, "rss")) == 0, "%s: RSS %.17g", c->vcov[0],
                  json_number_value(json_object_get(j, "rss")));
    ck_assert(json_is_null(json_object_get(j, "log_likelihood"))); /* +Inf */
    for (size_t k = 0; k < json_array_size(coefs); k++) {
        json_t *se = json_object_get(json_array_get(coefs, k), "std_error");
        if (c->zero)
            ck_assert_msg(json_is_number(se) && json_number_value(se) == 0,
                          "%s: coefficient %zu: standard error %.17g, not 0", c->vcov[0], k,
                          json_number_value(se));
        else
            ck_assert_msg(json_is_null(se), "%s: coefficient %zu: standard error %.17g, not NA",
                          c->vcov[0], k, json_number_value(se));
    }
    if (c->note) {
        char *notes = json_dumps(json_object_get(j, "notes"), 0);
        ck_assert_msg(notes && strstr(notes, c->note), "%s: notes %s", c->vcov[0], notes);
        free(notes);
    }
    json_decref(j);
    lr_test_run_free(&r);
    /* and the text report prints no noise and no nan */
    argv[4] = "text";
    r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0 && !strstr(r.out, "e-1"), "%s: %s", c->vcov[0], r.out);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

/* Robust variances with no certain digit. HC's V M V is computed in the
 * data's units, and its terms cancel where columns sit far from zero for
 * their spread. Seven rows of y ~ x1 * g, x1 ≈ 252,150 and a level of g seen
 * in two rows (which fix the intercept and the slope of x1 alone): HC1's
 * exact standard errors, in rational arithmetic on the decimal text, are 0,
 * 0, 94773.74380907511 and 0.3758579557401801; double precision printed
 * 3.8e-6 (with t = -3e10) and NA without a reason for the first two, which
 * are now NA with a warning, and keeps about 5.4 and 6.6 digits of the
 * others, whose warning must not claim more. And a model without an
 * intercept whose x1 ≈ 2,028,658.83 varies in its third decimal: every
 * robust standard error was noise (421.8 for an exact 36.52 on the 346-row
 * original of this file), now NA. */
static const char hc_cancel_csv[] = "y,x1,g\n"
                                    "3.6146037163568718,252145.80168302823,L1\n"
                                    "0.18774677983727206,252149.69639683477,L1\n"
                                    "1.2940972195516249,252152.9924396924,L0\n"
                                    "5.3279452823676072,252156.40884997704,L1\n"
                                    "-1.8808069643053607,252148.04515688555,L1\n"
                                    "3.2040926862022858,252157.27661729811,L0\n"
                                    "2.0089891621112286,252156.30374722162,L1\n";

START_TEST(test_hc_cancellation)
{
    char *path = lr_test_write_temp(hc_cancel_csv, strlen(hc_cancel_csv));
    const char *argv[] = {"linreg",     "fit",    "-q",  "--format", "json", "-f",
                          "y ~ x1 * g", "--vcov", "HC1", path,       NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *j = lr_test_out_json(&r);
    json_t *coefs = json_object_get(j, "coefficients");
    static const double exact[] = {0, 0, 94773.74380907511, 0.3758579557401801};
    ck_assert_uint_eq(json_array_size(coefs), 4);
    for (size_t k = 0; k < 4; k++) {
        json_t *se = json_object_get(json_array_get(coefs, k), "std_error");
        if (exact[k] == 0)
            ck_assert_msg(json_is_null(se), "coefficient %zu: %.17g, not NA", k,
                          json_number_value(se));
        else
            LR_CK_REL(json_number_value(se), exact[k], 1e-4);
    }
    char *notes = json_dumps(json_object_get(j, "notes"), 0);
    ck_assert_msg(strstr(notes, "(Intercept), x1: no digit of their robust variances is certain"),
                  "%s", notes);
    const char *d = strstr(notes, "only about ");
    ck_assert_msg(d && atoi(d + 11) <= 5, "%s", notes); /* 5.4 digits are right */
    free(notes);
    json_decref(j);
    lr_test_run_free(&r);
    lr_test_remove_file(path);

    /* no intercept, x1 far from zero: every robust variance is noise */
    lr_test_text t = {0};
    uint64_t s = 7;
    lr_test_put(&t, "y,x1,g\n");
    for (int i = 0; i < 60; i++) {
        double u = lr_lcg_unit(&s), v = lr_lcg_unit(&s);
        lr_test_put(&t, "%.6f,%.10f,L%d\n", 3 * u - 1.5, 2028658.83 + 0.003 * v, i % 4);
    }
    path = lr_test_write_temp(t.s, t.n);
    free(t.s);
    const char *argv2[] = {"linreg",         "fit",    "-q",  "--format", "json", "-f",
                           "y ~ 0 + x1 + g", "--vcov", "HC0", path,       NULL};
    r = lr_test_cmd(argv2, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    j = lr_test_out_json(&r);
    coefs = json_object_get(j, "coefficients");
    for (size_t k = 0; k < json_array_size(coefs); k++)
        ck_assert(json_is_null(json_object_get(json_array_get(coefs, k), "std_error")));
    notes = json_dumps(json_object_get(j, "notes"), 0);
    ck_assert_msg(strstr(notes, "x1, gL0, gL1, gL2, gL3: no digit"), "%s", notes);
    free(notes);
    json_decref(j);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

/* HAC's sandwich cancels the same way: 7 rows whose x4 ≈ 107.26 varies in
 * its third decimal, --vcov HAC --lag 2. The exact standard errors (rational
 * arithmetic on the decimal text) are kept to 5.8–8.8 digits; R's NeweyWest
 * gets 5.4–8.9. The warning must say so without promising more than 5. */
static const char hac_cancel_csv[] =
    "y,x1,x2,x3,x4,g\n"
    "-1.0373528640954435,17659.629142234739,4561.2447530636364,355.77801374271985,"
    "107.2590211394613,L1\n"
    "-3.2927124877368215,-112035.39692545026,9032.6052590388736,521.43892988688344,"
    "107.25919094428266,L1\n"
    "-4.2739858712232568,-1394.8186746307531,6812.5823834558214,1087.4169949101554,"
    "107.25927630397724,L1\n"
    "-0.62070946582321174,-67033.326043568391,3384.1034361057768,199.40702293161917,"
    "107.25926796816682,L1\n"
    "2.5167804259802038,-59172.361579206387,-1310.1547537172225,673.65575888195372,"
    "107.26174909687572,L0\n"
    "4.0790697069791397,117662.63339211214,-4930.102293571359,125.69117863455644,"
    "107.26472012027433,L1\n"
    "-2.6090017063576485,50311.633730973394,5762.0630724448392,783.47913457721415,"
    "107.2614224179983,L0\n";

START_TEST(test_hac_cancellation)
{
    static const double exact[] = {14828.924216655181,    1.6754310993209202e-06,
                                   4.131149688078784e-05, 0.00046204226230436076,
                                   138.24785005950204,    0.15917247850214203};
    char *path = lr_test_write_temp(hac_cancel_csv, strlen(hac_cancel_csv));
    const char *argv[] = {"linreg", "fit", "-q",    "--format", "json", "-f", "y ~ .",
                          "--vcov", "HAC", "--lag", "2",        path,   NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *j = lr_test_out_json(&r);
    json_t *coefs = json_object_get(j, "coefficients");
    ck_assert_uint_eq(json_array_size(coefs), 6);
    for (size_t k = 0; k < 6; k++)
        LR_CK_REL(json_number_value(json_object_get(json_array_get(coefs, k), "std_error")),
                  exact[k], 1e-5);
    char *notes = json_dumps(json_object_get(j, "notes"), 0);
    const char *d = strstr(notes, "only about ");
    ck_assert_msg(d && atoi(d + 11) <= 5, "%s", notes);
    free(notes);
    json_decref(j);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_vcov_no_df, (int)LR_TEST_COUNT(no_df_cases)),
        LR_TEST(test_hc_cancellation),
        LR_TEST(test_hac_cancellation),
    };
    return lr_test_run_cases("vcov_edges", 0, tests, LR_TEST_COUNT(tests));
}
