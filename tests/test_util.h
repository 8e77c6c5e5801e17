/*
 * test_util.h — helpers shared by the Check suites.
 */
#ifndef LR_TEST_UTIL_H
#define LR_TEST_UTIL_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "linreg.h"
#include "test_rng.h"

/* 1 if a and b agree to relative tolerance rtol (both zero, or both NaN, also agree). */
int lr_test_rel_close(double a, double b, double rtol);
/* Fits a and b have the same coefficients (estimates and standard errors) and
 * residual sum of squares to the last bit; what names the case on failure. */
void lr_test_same_fit_bits(const lr_fit *a, const lr_fit *b, const char *what);
/* A series of fits that must be the same: the first is kept in *first; each later one is
 * compared with it (lr_test_same_fit_bits, named "formula, variant v") and freed. */
void lr_test_same_as_first(lr_fit **first, lr_fit *fit, const char *formula, int v);
/* `linreg fit --format json -f formula path` on 1, 2 and 4 threads (1 and 2 under valgrind,
 * where each thread runs in turn): each exits 0 and prints the same bytes; returns the
 * output (malloc'd). */
char *lr_test_json_same_threads(const char *formula, const char *path);
/* The command argv (NULL-terminated, argv[at] a data file holding data[0..len))
 * prints the same JSON from "coefficients" on when argv[at] is "-" and the
 * bytes come on stdin (argv[at] is changed). */
void lr_test_same_json_stdin(const char **argv, size_t at, const char *data, size_t len);
/* The same for any output: the two runs exit 0 and print the same from the first `from` on;
 * returns the first run's output (malloc'd). */
char *lr_test_same_stdin(const char **argv, size_t at, const char *data, size_t len,
                         const char *from);

/* Assert that `actual` agrees with `expected` to relative tolerance rtol. */
#define LR_CK_REL(actual, expected, rtol)                                                          \
    do {                                                                                           \
        double lr_a_ = (double)(actual), lr_e_ = (double)(expected), lr_t_ = (double)(rtol);       \
        ck_assert_msg(lr_test_rel_close(lr_a_, lr_e_, lr_t_),                                      \
                      "%s = %.17g, expected %.17g (relative error %.3g > %.3g)", #actual, lr_a_,   \
                      lr_e_, lr_e_ != 0 ? (lr_a_ - lr_e_) / lr_e_ : lr_a_, lr_t_);                 \
    } while (0)

/* Log relative error as docs/design.md defines it: -log10(|est-cert|/|cert|), or -log10|est| when
 * cert == 0; capped at 15. */
double lr_test_lre(double est, double cert);

/* An absolute path below the source tree: LR_SOURCE_DIR "/" rel. Returns a static buffer
 * that the next call overwrites. */
const char *lr_test_path(const char *rel);

/* Read a whole file into a malloc'd NUL-terminated buffer (*len set if non-NULL). */
char *lr_test_read_file(const char *path, size_t *len);

/* Write bytes to a new temporary file; returns its malloc'd path (caller unlinks, frees). */
char *lr_test_write_temp(const void *data, size_t len);
/* An expected message: msg with every "%F" replaced by path, and a final
 * newline (malloc'd). */
char *lr_test_expand_path(const char *msg, const char *path);

/* The result of running the linreg executable. */
typedef struct lr_test_run_result {
    int exit_code;  /* exit status, or 128 + signal number if killed */
    char *out;      /* stdout, malloc'd, NUL-terminated */
    size_t out_len; /* bytes in out */
    char *err;      /* stderr, malloc'd, NUL-terminated */
    size_t err_len; /* bytes in err */
} lr_test_run_result;

/*
 * Run the built linreg with argv (argv[0] ignored and replaced by the executable;
 * NULL-terminated). stdin_data (may be NULL: empty stdin) of stdin_len bytes is
 * fed to its standard input. Returns 0 on success (the run happened).
 */
int lr_test_run(const char *const *argv, const char *stdin_data, size_t stdin_len,
                lr_test_run_result *res);
void lr_test_run_free(lr_test_run_result *res);
/* In a forked child: exec the built linreg with argv (argv[0] replaced);
 * exits 127 if it cannot. */
void lr_test_exec_linreg(const char *const *argv);
/* When nonzero, lr_test_run's child (lr_test_exec_linreg) may use this many seconds of CPU time
 * (RLIMIT_CPU); past them it is killed (SIGXCPU: exit_code 128 + 24). */
extern unsigned lr_test_cpu_limit;

/*
 * Allocation failure injection: install lr_test_failing_alloc with
 * lr_set_allocator; allocation number lr_test_fail_at (1-based; 0: none)
 * fails, lr_test_allocs counts allocations and lr_test_live the bytes
 * allocated and not freed (0 after a clean run: nothing leaked).
 */
extern long lr_test_fail_at;
extern long lr_test_allocs;
extern long long lr_test_live;
void *lr_test_failing_alloc(void *ud, void *ptr, size_t old, size_t n);

/* A counting allocator for lr_set_allocator (not thread-safe: one thread):
 * ud is an lr_test_peak, which gets the bytes live and the most they were. */
typedef struct lr_test_peak {
    size_t live; /* bytes currently allocated */
    size_t peak; /* largest value live reached */
} lr_test_peak;
void *lr_test_peak_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

/* One run of the operation an allocation-failure test checks: make and free
 * everything (whatever the outcome); return its status, err filled on failure. */
typedef int (*lr_test_alloc_run)(void *ctx, lr_error *err);
/* The driver: run(ctx) with allocation 1, 2, ... made to fail in turn (fewer
 * than max_runs runs), until a run succeeds. Asserts that every failing run
 * returned LR_ENOMEM, that no run leaked (lr_test_live == 0) and that one
 * succeeded. Returns the number of runs, the successful one included. */
long lr_test_alloc_failures(lr_test_alloc_run run, void *ctx, long max_runs);

/* A run for lr_test_alloc_failures: the fit of formula to paths[0..n) (lr_fit_csv for one
 * file, lr_fit_csv_files on one thread for more: the counting allocator is not
 * thread-safe) with HC2, the residual quantiles and plot_points plot points, and the model
 * kept; the successful run sets extended when auto's extended-precision pass ran. */
typedef struct lr_test_extended_run {
    const char *const *paths; /* the CSV files */
    size_t n;                 /* their number */
    const char *formula;      /* the model */
    size_t plot_points;       /* lr_fit_options.plot_points */
    int extended;             /* set by the successful run */
} lr_test_extended_run;
int lr_test_extended_alloc_run(void *ctx, lr_error *err);

/* 1 when the test runs under valgrind. Valgrind computes x87 long double in
 * 64 bits, so references computed in long double are no more accurate than
 * what they check: tests loosen those tolerances there (and only there). */
int lr_test_under_valgrind(void);

/* Files for tests of inputs (each asserts its success). */
/* A private new directory under $TMPDIR (or /tmp): its malloc'd path. */
char *lr_test_temp_dir(void);
/* dir "/" name, malloc'd. */
char *lr_test_join(const char *dir, const char *name);
/* Write len bytes of data to path (created or truncated). */
void lr_test_write_file(const char *path, const char *data, size_t len);
/* Entries of dir other than . and .. */
int lr_test_dir_entries(const char *dir);
/* Remove the file path (a temporary one) and free the string. */
void lr_test_remove_file(char *path);
/* Remove dir's files and dir itself, and free the string. */
void lr_test_remove_dir(char *dir);
/* Near-exact data that auto's extended precision reads a second time: Wampler1's
 * polynomial y = 1 + x + ... + x^5 on x = 0, 0.1, ... (n rows, header "x,y"), or
 * with `other` another one (2, 3, ... 6 as coefficients); malloc'd, *len bytes. */
char *lr_test_poly_csv(int n, int other, size_t *len);
#define LR_TEST_POLY_FORMULA "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)"

/* R's reference results (tests/data/r_*.json, written by tests/reference/gen_r_*.R):
 * an array of entries, each with an "id", the model's statistics and its "coefficients". */
/* *opt initialised (lr_fit_options_init) with R's case c's "formula" and "weights" (a
 * column name, or null for none); the strings are borrowed from c. */
void lr_test_ref_options(json_t *c, lr_fit_options *opt);
/* The fit of R's case c with opt to its "file", below the source tree under dir ("datasets",
 * "tests/data"; "" when the file names its directory), asserted to succeed. */
lr_fit *lr_test_ref_fit(json_t *c, const char *dir, const lr_fit_options *opt);
/* lr_fit_csv(path, opt), asserted to succeed. */
lr_fit *lr_test_fit_path(const char *path, const lr_fit_options *opt);
/* The default fit of formula to the CSV text data (in a temporary file, removed): its status,
 * *fit and err as lr_fit_csv leaves them. */
int lr_test_fit_text(const char *data, const char *formula, lr_fit **fit, lr_error *err);
/* The entry of entries whose "id" is id, or NULL. */
json_t *lr_test_ref_entry(json_t *entries, const char *id);
/* The number obj[key] (asserted present); JSON null (R's NA) is NaN. */
double lr_test_ref_num(json_t *obj, const char *key);
/* A coefficient against R's (name, aliased, estimate, std_error, t, p, ci_low, ci_high) to
 * relative rtol; id names the fit in messages. */
void lr_test_check_coef(json_t *ref, const lr_coef *c, double rtol, const char *id);
/* A fit's summary against R's (n, rank, df_residual and F's degrees of freedom exactly; sigma,
 * R², adjusted R², F and its p, log-likelihood, AIC, BIC, and rss when present, to rtol). */
void lr_test_check_summary(json_t *ref, const lr_summary *s, double rtol, const char *id);

/* A fixed-seed generator (splitmix64), so every run sees the same data:
 * lr_test_seed, then numbers uniform in [0, 1). */
void lr_test_seed(uint64_t seed);
double lr_test_urand(void);
/* n numbers scale * u + shift, u uniform in [0, 1) from lr_test_seed(seed) (malloc'd). */
double *lr_test_uniform(uint64_t seed, size_t n, double scale, double shift);

/* A growing text buffer (a CSV built row by row); free(t.s) when done. lr_test_put appends
 * (aborts if out of memory; usable outside a Check test, e.g. from main). */
typedef struct lr_test_text {
    char *s;    /* contents, NUL-terminated */
    size_t n;   /* length */
    size_t cap; /* capacity */
} lr_test_text;
void lr_test_put(lr_test_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 if doc is one well-formed XML document (prolog, one root element, matched tags, quoted
 * unique attributes, valid references); otherwise 0 and why (in why[0..whysize)). */
int lr_test_xml_well_formed(const char *doc, char *why, size_t whysize);

/* Suites (test_suite.c). The JSON file rel below the source tree, or NULL with why on
 * stderr (for a suite's main, before Check runs); json_decref it. */
json_t *lr_test_load_json(const char *rel);
/* One row of a suite's table of tests: a START_TEST handle, run once (loop 0) or for
 * _i = 0 .. loop - 1; a row with a tcase name starts a new Check test case (the first
 * row's default: "core"). */
typedef struct lr_test_case {
    const TTest *test; /* the test */
    int loop;          /* 0: once; otherwise the number of loop iterations */
    const char *tcase; /* NULL: the test case of the row before */
} lr_test_case;
/* A row: t once; t for _i in [0, n). */
/* clang-format off */
#define LR_TEST(t) {(t), 0, NULL}
#define LR_TEST_LOOP(t, n) {(t), (int)(n), NULL}
/* clang-format on */
#define LR_TEST_COUNT(a) (sizeof(a) / sizeof *(a))
/* The suite `suite` of tests[0..n), each test case with a timeout in seconds (0: Check's)
 * and lr_test_teardown (when set) as a checked fixture: run after every test, pass or fail. */
extern SFun lr_test_teardown;
Suite *lr_test_suite(const char *suite, double timeout, const lr_test_case *tests, size_t n);
/* lr_test_main on lr_test_suite(suite, timeout, tests, n). */
int lr_test_run_cases(const char *suite, double timeout, const lr_test_case *tests, size_t n);
/* lr_test_run of argv with in (NULL: nothing) on stdin, asserting that it ran. */
lr_test_run_result lr_test_cmd(const char *const *argv, const char *in);
/* lr_test_cmd of argv (nothing on stdin), asserting that it exits 0. */
void lr_test_cmd_ok(const char *const *argv);
/* r's standard output as JSON (asserted valid); json_decref it. */
json_t *lr_test_out_json(const lr_test_run_result *r);

/* Run a suite with Check's runner; returns the process exit code (0 if all passed). */
int lr_test_main(Suite *s);

#endif
