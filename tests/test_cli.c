/*
 * test_cli.c — golden tests of the linreg executable: exit codes, the exact
 * error messages (linreg: FILE:LINE:COL: ...), nothing on stdout when a run
 * fails, and the output formats.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

/* One error case: a data file (or none), extra arguments, and the expected
 * exit code and stderr. "%F" in the expected message stands for the file's path. */
typedef struct error_case {
    const char *name;    /* what is tested */
    const char *data;    /* file contents; NULL: use `path` as given */
    const char *path;    /* when data is NULL */
    const char *args[8]; /* arguments before the file, NULL-terminated */
    int exit_code;       /* expected exit code */
    const char *message; /* expected stderr line (without the trailing newline) */
} error_case;

static const error_case error_cases[] = {
    {"nonexistent file",
     NULL,
     "/nonexistent/data.csv",
     {NULL},
     1,
     "linreg: /nonexistent/data.csv: cannot open: No such file or directory"},
    {"empty file", "", NULL, {NULL}, 1, "linreg: %F: empty file (no header row)"},
    {"header only", "y,x\n", NULL, {NULL}, 1, "linreg: %F: no data rows after the header"},
    {"ragged row (short)",
     "y,x\n1,2\n3\n4,5\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:1: row has 1 field but the header has 2"},
    {"ragged row (long)",
     "y,x\n1,2\n3,4,5\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:5: row has 3 fields but the header has 2"},
    {"text response",
     "y,x\n1,2\nabc,3\n4,5\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:1: column 'y' holds text (\"abc\"), so it cannot be the response"},
    {"factor with a single level",
     "name,y,x\n\"a b\",1,2\n\"a b\",2,5\n\"a b\",3,1\n",
     NULL,
     {"-y", "y", NULL},
     1,
     "linreg: %F: factor name has a single level 'a b' in the rows used: a factor needs at "
     "least two"},
    {"unterminated quote",
     "y,x\n1,2\n3,\"4\n5,6\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:3: unterminated quoted field"},
    {"stray quote",
     "y,x\n1,2\n3,4\"\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:4: unexpected quote in unquoted field"},
    {"unknown column",
     "y,x\n1,2\n3,4\n",
     NULL,
     {"-x", "z", NULL},
     2,
     "linreg: %F: no column named 'z'"},
    {"unknown column, suggestion",
     "y,speed\n1,2\n3,4\n",
     NULL,
     {"-x", "sped", NULL},
     2,
     "linreg: %F: no column named 'sped' (did you mean 'speed'?)"},
    {"unknown target",
     "y,x\n1,2\n3,4\n",
     NULL,
     {"-y", "Y", NULL},
     2,
     "linreg: %F: no column named 'Y' (did you mean 'y'?)"},
    {"overflow",
     "y,x\n1,2\n3,1e999\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:3: column 'x': \"1e999\" is out of the range of a double"},
    {"Inf is not a number",
     "y,x\n1,2\n3,Inf\n",
     NULL,
     {NULL},
     1,
     "linreg: %F:3:3: column 'x': expected a number, got \"Inf\""},
    {"missing value with --na error",
     "y,x\n1,2\n3,\n4,5\n",
     NULL,
     {"--na", "error", NULL},
     1,
     "linreg: %F:3:3: column 'x': missing value (--na error)"},
    {"all rows missing",
     "y,x\n1,NA\nNA,2\n",
     NULL,
     {NULL},
     1,
     "linreg: %F: no complete rows: all 2 data rows have a missing value in a column the model "
     "uses"},
    {"duplicate column",
     "y,x,x\n1,2,3\n2,3,4\n",
     NULL,
     {"-x", "x", NULL},
     1,
     "linreg: %F:1:5: column name 'x' appears more than once in the header"},
    {"response as predictor",
     "y,x\n1,2\n",
     NULL,
     {"-x", "y", NULL},
     2,
     "linreg: %F: column 'y' is the response and cannot be a predictor"},
    {"formula syntax error",
     "y,x\n1,2\n",
     NULL,
     {"-f", "y ~ x + )", NULL},
     2,
     "linreg: formula:9: unexpected ')'\n  y ~ x + )\n          ^"},
    {"formula unknown column",
     "y,speed\n1,2\n",
     NULL,
     {"-f", "y ~ log(sped)", NULL},
     2,
     "linreg: formula:9: no column named 'sped' (did you mean 'speed'?)\n  y ~ log(sped)\n"
     "          ^"},
    {"log of zero",
     "y,x\n1,3\n2,0\n3,2\n",
     NULL,
     {"-f", "y ~ log(x)", NULL},
     1,
     "linreg: %F:3:3: log(x) is -Inf: the logarithm of 0"},
    {"division by zero",
     "y,x\n1,3\n2,0\n3,2\n",
     NULL,
     {"-f", "y ~ I(1/x)", NULL},
     1,
     "linreg: %F:3:3: I(1/x) is Inf: division by zero"},
    {"negative weight",
     "y,x,w\n1,3,1\n2,0,-1\n3,2,1\n",
     NULL,
     {"-f", "y ~ x", "-w", "w", NULL},
     1,
     "linreg: %F:3:5: column 'w': weight -1 is negative"},
    {"unknown weights column",
     "y,x,w\n1,3,1\n",
     NULL,
     {"-w", "wt", NULL},
     2,
     "linreg: %F: no weights column named 'wt' (did you mean 'w'?)"},
    {"text in an expression",
     "y,g\n1,a\n2,b\n3,a\n",
     NULL,
     {"-f", "y ~ log(g)", NULL},
     1,
     "linreg: %F:2:3: column 'g' holds text (\"a\"), so it cannot be used in log(g)"},
};

START_TEST(test_errors)
{
    const error_case *c = &error_cases[_i];
    char *path = c->data ? lr_test_write_temp(c->data, strlen(c->data)) : strdup(c->path);
    const char *argv[16] = {"linreg", "fit"};
    int a = 2;
    for (int k = 0; c->args[k]; k++)
        argv[a++] = c->args[k];
    argv[a++] = path;
    argv[a] = NULL;
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    char *want = lr_test_expand_path(c->message, path);
    ck_assert_msg(r.exit_code == c->exit_code, "%s: exit %d, expected %d; stderr: %s", c->name,
                  r.exit_code, c->exit_code, r.err);
    ck_assert_msg(!strcmp(r.err, want), "%s:\n  got:  %s  want: %s", c->name, r.err, want);
    ck_assert_msg(r.out_len == 0, "%s: stdout not empty: %s", c->name, r.out);
    free(want);
    lr_test_run_free(&r);
    if (c->data)
        unlink(path);
    free(path);
}
END_TEST

/* Run with args and stdin; returns the result (caller frees). */
START_TEST(test_directory)
{
    char dir[] = "/tmp/linreg-dir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *argv[] = {"linreg", "fit", dir, NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    char want[256];
    snprintf(want, sizeof want, "linreg: %s: is a directory\n", dir);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, want);
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
    rmdir(dir);
}
END_TEST

/* Usage errors: exit 2, a message on stderr, nothing on stdout. */
START_TEST(test_usage)
{
    static const struct {
        const char *argv[8]; /* the command line */
        const char *message; /* the first line of stderr */
    } cases[] = {
        {{"linreg", NULL}, "Usage: linreg COMMAND [OPTIONS] ..."},
        {{"linreg", "frobnicate", NULL},
         "linreg: unknown command 'frobnicate' (try 'linreg --help')"},
        {{"linreg", "fit", NULL},
         "linreg: no input file (give a CSV file, or - for standard input)"},
        {{"linreg", "fit", "--bogus", "x.csv", NULL}, "linreg: unknown option '--bogus'"},
        {{"linreg", "fit", "-y", NULL}, "linreg: missing value for option '-y'"},
        {{"linreg", "fit", "--method", "magic", "x.csv", NULL},
         "linreg: unknown --method (expected auto, inverse, cholesky, qr, svd or naive): "
         "'magic'"},
        {{"linreg", "fit", "--level", "1.5", "x.csv", NULL},
         "linreg: --level must be a number between 0 and 1, not '1.5'"},
        {{"linreg", "fit", "--format", "xml", "x.csv", NULL},
         "linreg: unknown --format (expected text, json, csv or markdown): 'xml'"},
        {{"linreg", "fit", "-d", "ab", "x.csv", NULL},
         "linreg: --delimiter must be one character or 'tab', not 'ab'"},
        {{"linreg", "fit", "-", "b.csv", "-", NULL},
         "linreg: standard input ('-') is given twice (files 1 and 3): it can be read only "
         "once"},
        {{"linreg", "fit", "-f", "y ~ x", "-y", "y", "a.csv", NULL},
         "linreg: --formula describes the whole model: it cannot be combined with --target"},
        {{"linreg", "fit", "--ridge", "-1", "a.csv", NULL},
         "linreg: --ridge must be a number >= 0, not '-1'"},
        {{"linreg", "fit", "--ridge-scale", "log", "a.csv", NULL},
         "linreg: unknown --ridge-scale (expected standardized or raw): 'log'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lr_test_run_result r = lr_test_cmd(cases[i].argv, NULL);
        ck_assert_msg(r.exit_code == 2, "case %zu: exit %d", i, r.exit_code);
        ck_assert_msg(!strncmp(r.err, cases[i].message, strlen(cases[i].message)),
                      "case %zu: stderr %s", i, r.err);
        ck_assert_uint_eq(r.out_len, 0);
        lr_test_run_free(&r);
    }
}
END_TEST

START_TEST(test_help_and_version)
{
    const char *h1[] = {"linreg", "--help", NULL};
    lr_test_run_result r = lr_test_cmd(h1, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert(strstr(r.out, "Usage: linreg COMMAND") != NULL);
    ck_assert_uint_eq(r.err_len, 0);
    lr_test_run_free(&r);
    const char *h2[] = {"linreg", "fit", "--help", NULL};
    r = lr_test_cmd(h2, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert(strstr(r.out, "Usage: linreg fit [OPTIONS] FILE|-") != NULL);
    ck_assert(strstr(r.out, "--no-intercept") != NULL);
    lr_test_run_free(&r);
    const char *v[] = {"linreg", "--version", NULL};
    r = lr_test_cmd(v, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    static const char version_line[] = "linreg " LR_VERSION_STRING "\n";
    ck_assert(!strncmp(r.out, version_line, sizeof version_line - 1));
    ck_assert(strstr(r.out, "OpenBLAS") != NULL);
    ck_assert(strstr(r.out, "LAPACK 3.") != NULL);
    lr_test_run_free(&r);
}
END_TEST

/* The text summary of cars from stdin, against the golden file. */
START_TEST(test_text_golden)
{
    char *cars = lr_test_read_file(lr_test_path("datasets/cars.csv"), NULL);
    char *golden = lr_test_read_file(lr_test_path("tests/golden/cars_text.txt"), NULL);
    ck_assert_ptr_nonnull(golden);
    const char *argv[] = {"linreg", "fit", "-y", "dist", "-x", "speed", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, cars);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(!strcmp(r.out, golden), "got:\n%s\nwant:\n%s", r.out, golden);
    ck_assert_uint_eq(r.err_len, 0);
    lr_test_run_free(&r);
    free(golden);

    golden = lr_test_read_file(lr_test_path("tests/golden/cars_markdown.md"), NULL);
    ck_assert_ptr_nonnull(golden);
    const char *argv2[] = {"linreg", "fit",      "-y",       "dist", "-x",
                           "speed",  "--format", "markdown", "-",    NULL};
    r = lr_test_cmd(argv2, cars);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(!strcmp(r.out, golden), "got:\n%s\nwant:\n%s", r.out, golden);
    lr_test_run_free(&r);
    free(golden);
    free(cars);
}
END_TEST

/* CSV output: a header and one row per coefficient, 17 significant digits;
 * names quoted where a reader would change them. */
START_TEST(test_csv_format)
{
    const char *argv[] = {
        "linreg", "fit", "-y", "dist", "--format", "csv", lr_test_path("datasets/cars.csv"), NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    const char *head = "name,estimate,std_error,t,p,ci_low,ci_high\n(Intercept),-17.57909489051";
    ck_assert_msg(!strncmp(r.out, head, strlen(head)), "%s", r.out);
    ck_assert(strstr(r.out, "\nspeed,3.93240875912408") != NULL);
    lr_test_run_free(&r);

    /* a name that ends in a blank (a level "c ") is quoted, or a CSV reader
     * would trim it */
    const char *data = "y,x,g\n1,1,\"a \"\n2,3,b\n3,2,\"a \"\n4,5,b\n5,4,\"c \"\n7,8,\"c \"\n";
    const char *argv2[] = {"linreg", "fit", "-f", "y ~ x + g", "--format", "csv", "-", NULL};
    r = lr_test_cmd(argv2, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "\ngb,") && strstr(r.out, "\n\"gc \",1,"), "%s", r.out);
    lr_test_run_free(&r);
}
END_TEST

/* Reading: BOM, CRLF, ';' detected, quoted header and cells, stdin, NA rows counted. */
START_TEST(test_reading_variants)
{
    const char *data = "\xEF\xBB\xBF\"y\";\"x\"\r\n1;\"2\"\r\n2;NA\r\n 3 ;  5\r\n4;7\r\n";
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *o = lr_test_out_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "n")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "n_dropped")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(o, "data")), "<stdin>");
    ck_assert_str_eq(json_string_value(json_object_get(o, "response")), "y");
    json_decref(o);
    lr_test_run_free(&r);

    /* TAB given explicitly; an error from stdin names <stdin>. */
    const char *tsv = "y\tx\n1\t2\nfoo\t3\n";
    const char *argv2[] = {"linreg", "fit", "-d", "tab", "-", NULL};
    r = lr_test_cmd(argv2, tsv);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, "linreg: <stdin>:3:1: column 'y' holds text (\"foo\"), so it cannot "
                            "be the response\n");
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
}
END_TEST

/* With no residual degrees of freedom the JSON carries null, never nan. */
START_TEST(test_json_nonfinite)
{
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, "y,x\n1,0\n3,1\n");
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "nan") == NULL && strstr(r.out, "inf") == NULL);
    json_t *o = lr_test_out_json(&r);
    ck_assert(json_is_null(json_object_get(o, "sigma")));
    json_t *c1 = json_array_get(json_object_get(o, "coefficients"), 1);
    ck_assert(json_is_null(json_object_get(c1, "std_error")));
    LR_CK_REL(json_number_value(json_object_get(c1, "estimate")), 2.0, 1e-14);
    json_decref(o);
    lr_test_run_free(&r);
}
END_TEST

/* A text cell after the first 1 MiB in a column that held only numbers is an
 * error that names the place and suggests factor(). */
START_TEST(test_text_after_first_chunk)
{
    size_t rows = 800000; /* about 7.5 MB: well past the first 1 MiB chunk */
    char *data = malloc(rows * 16 + 64);
    size_t n = (size_t)sprintf(data, "y,x\n");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(data + n, "%zu,%zu.25\n", i % 97, i % 89);
    n += (size_t)sprintf(data + n, "5,oops\n");
    char *path = lr_test_write_temp(data, n);
    const char *argv[] = {"linreg", "fit", path, NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "linreg: %s:%zu:3: column 'x': expected a number, got \"oops\" (the column holds "
             "numbers in its first rows; write factor(x) in a formula to make it categorical)\n",
             path, rows + 2);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, want);
    ck_assert_uint_eq(r.out_len, 0);
    lr_test_run_free(&r);
    lr_test_remove_file(path);
    free(data);
}
END_TEST

/* Ridge output: estimates only, with the reason. */
START_TEST(test_ridge_output)
{
    const char *argv[] = {"linreg",
                          "fit",
                          "-f",
                          "Volume ~ Girth + Height",
                          "--ridge",
                          "2",
                          lr_test_path("datasets/trees.csv"),
                          NULL};
    lr_test_run_result r = lr_test_cmd(argv, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert(strstr(r.out, "Ridge: lambda = 2 on standardized columns") != NULL);
    ck_assert(strstr(r.out, "no standard errors, t or p values") != NULL);
    ck_assert(strstr(r.out, "Std. Error") == NULL);
    lr_test_run_free(&r);
}
END_TEST

/* Aliased columns: exit 0, NA in the text, null in JSON, the dependency noted;
 * fewer rows than coefficients fits as R does. */
START_TEST(test_aliased_output)
{
    const char *data = "y,a,b,c\n1,1,2,7\n2,2,4,7\n4,3,6,7\n3,5,10,7\n";
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *o = lr_test_out_json(&r);
    json_t *cs = json_object_get(o, "coefficients");
    ck_assert(json_is_true(json_object_get(json_array_get(cs, 2), "aliased")));
    ck_assert(json_is_null(json_object_get(json_array_get(cs, 2), "estimate")));
    ck_assert(json_is_true(json_object_get(json_array_get(cs, 3), "aliased")));
    ck_assert(json_is_false(json_object_get(json_array_get(cs, 1), "aliased")));
    ck_assert_int_eq(json_integer_value(json_object_get(o, "rank")), 2);
    json_t *notes = json_object_get(o, "notes");
    ck_assert_str_eq(json_string_value(json_array_get(notes, 1)), "  b = 2 * a");
    ck_assert_str_eq(json_string_value(json_array_get(notes, 2)),
                     "  c is constant (7 in every row used): it is collinear with the intercept");
    json_decref(o);
    lr_test_run_free(&r);

    /* A near-dependency (1e-9) the normal equations cannot resolve is aliased by
     * them; the QR path keeps the column. */
    const char *near = "y,a,b\n1,1,1\n2,2,2.000000001\n4,3,3\n3,5,5\n";
    const char *argv3[] = {"linreg", "fit", "--method", "inverse", "--format", "json", "-", NULL};
    r = lr_test_cmd(argv3, near);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "\"name\": \"b\", \"estimate\": null") != NULL);
    lr_test_run_free(&r);
    const char *argv4[] = {"linreg", "fit", "--format", "json", "-", NULL};
    r = lr_test_cmd(argv4, near);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "\"name\": \"b\", \"estimate\": null") == NULL);
    ck_assert(strstr(r.out, "\"rank\": 3") != NULL);
    lr_test_run_free(&r);

    const char *argv2[] = {"linreg", "fit", "-", NULL};
    r = lr_test_cmd(argv2, "y,a,b\n1,2,3\n");
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "Coefficients: (2 not defined because of singularities)") != NULL);
    ck_assert(strstr(r.out, "ALL 1 residuals are 0: no residual degrees of freedom!") != NULL);
    lr_test_run_free(&r);
}
END_TEST

/* A constant response: R² is 0/0 (null), with a warning on stderr; an exact
 * fit (NIST Wampler1): σ = 0, R² = 1, F infinite (null in JSON, Inf in text). */
START_TEST(test_degenerate_fits)
{
    const char *argv[] = {"linreg", "fit", "--format", "json", "-", NULL};
    lr_test_run_result r = lr_test_cmd(argv, "y,x\n5,1\n5,2\n5,3\n5,7\n");
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "\"r_squared\": null") != NULL);
    ck_assert_str_eq(r.err, "linreg: warning: the response is constant in the rows used: "
                            "R-squared is undefined (0/0)\n");
    lr_test_run_free(&r);
    const char *argv_q[] = {"linreg", "fit", "-q", "--format", "json", "-", NULL};
    r = lr_test_cmd(argv_q, "y,x\n5,1\n5,2\n5,3\n5,7\n");
    ck_assert_uint_eq(r.err_len, 0); /* -q: no warnings */
    lr_test_run_free(&r);

    const char *f = "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)";
    const char *argv2[] = {
        "linreg", "fit", "-f", f, "--format", "json", lr_test_path("datasets/nist/Wampler1.csv"),
        NULL};
    r = lr_test_cmd(argv2, NULL);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    json_t *o = lr_test_out_json(&r);
    ck_assert(json_number_value(json_object_get(o, "sigma")) == 0);
    ck_assert(json_number_value(json_object_get(o, "r_squared")) == 1);
    ck_assert(json_is_null(json_object_get(o, "f_statistic")));
    ck_assert(json_number_value(json_object_get(o, "f_p")) == 0);
    ck_assert(json_integer_value(json_object_get(o, "extended_bits")) >= 256);
    json_decref(o);
    lr_test_run_free(&r);
    const char *argv3[] = {"linreg", "fit", "-f", f, lr_test_path("datasets/nist/Wampler1.csv"),
                           NULL};
    r = lr_test_cmd(argv3, NULL);
    /* formatC(x, digits = 4) right-aligns in five places, as R prints them */
    ck_assert(strstr(r.out, "F-statistic:   Inf on 5 and 15 DF") != NULL);
    ck_assert(strstr(r.out, "Multiple R-squared:      1,") != NULL);
    lr_test_run_free(&r);
}
END_TEST

/* Standard input is kept in TMPDIR for the second passes (extended
 * precision, residual quantiles); where it cannot be kept, they are declined
 * with notes saying so (a warning on stderr for the quantiles), and the fit
 * is still reported. */
START_TEST(test_extended_on_stdin)
{
    char *data = lr_test_read_file(lr_test_path("datasets/nist/Wampler1.csv"), NULL);
    const char *argv[] = {"linreg", "fit", "-f", "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)",
                          "-",      NULL};
    lr_test_run_result r = lr_test_cmd(argv, data);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "Precision: recomputed in 256-bit arithmetic") != NULL);
    ck_assert(strstr(r.out, "Residuals:") != NULL);
    ck_assert(strstr(r.out, "declined") == NULL);
    lr_test_run_free(&r);

    /* valgrind (--trace-children) needs a TMPDIR of its own to start the child */
    if (lr_test_under_valgrind()) {
        free(data);
        return;
    }
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", "/nonexistent-linreg-tmp", 1);
    r = lr_test_cmd(argv, data);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert(strstr(r.out, "extended precision was declined: <stdin> can be read only once (a "
                            "pipe or another stream) and no copy of it could be kept for a "
                            "second reading (TMPDIR /nonexistent-linreg-tmp: No such file or "
                            "directory)") != NULL);
    /* the quantiles nobody asked for by name: a warning, on stderr too */
    ck_assert(strstr(r.out, "warning: the residual quantiles were not computed: <stdin> can be "
                            "read only once") != NULL);
    ck_assert(strstr(r.err, "linreg: warning: the residual quantiles were not computed") != NULL);
    ck_assert(strstr(r.out, "Residuals:") == NULL);
    lr_test_run_free(&r);
    free(data);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_errors, (int)LR_TEST_COUNT(error_cases)),
        LR_TEST(test_directory),
        LR_TEST(test_usage),
        LR_TEST(test_help_and_version),
        LR_TEST(test_text_golden),
        LR_TEST(test_csv_format),
        LR_TEST(test_reading_variants),
        LR_TEST(test_json_nonfinite),
        LR_TEST(test_text_after_first_chunk),
        LR_TEST(test_ridge_output),
        LR_TEST(test_aliased_output),
        LR_TEST(test_degenerate_fits),
        LR_TEST(test_extended_on_stdin),
    };
    return lr_test_run_cases("cli", 120, tests, LR_TEST_COUNT(tests));
}
