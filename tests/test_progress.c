/*
 * test_progress.c — the progress display of `linreg fit` (src/cli/progress_bar.c
 * and the passes the library reports): with LINREG_PROGRESS=always it is drawn
 * on a pipe, a line per pass and at most one a second after, so a run shows
 * every pass it makes, in order; -q and a stderr that is not a terminal (the
 * variable unset) show nothing; a percentage never passes 100 and no line
 * says "0 s left".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h" /* lr_progress_left (progress_bar.c, built into this test) */
#include "test_util.h"

/* A CSV text of n rows: y, x, a factor g of `levels` levels (text), a second
 * factor h of 7 levels for two-way absorption; fixed seed. *len gets its
 * length; caller frees. */
static char *csv_text(size_t n, size_t levels, size_t *len)
{
    size_t cap = 64 * n + 64, l = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    l += (size_t)snprintf(buf, cap, "y,x,g,h\n");
    uint64_t rng = 42;
    for (size_t i = 0; i < n; i++) {
        double x = lr_splitmix_unit(&rng) * 2 - 1;
        size_t g = i % levels, h = (i * 31) % 7;
        double y =
            1 + 2 * x + 0.1 * (double)(g % 13) + 0.05 * (double)h + (lr_splitmix_unit(&rng) - 0.5);
        l += (size_t)snprintf(buf + l, cap - l, "%.6f,%.6f,L%04zu,H%zu\n", y, x, g, h);
    }
    *len = l;
    return buf;
}

/* csv_text in a temporary file: its path (caller frees). */
static char *write_csv(size_t n, size_t levels)
{
    size_t len;
    char *buf = csv_text(n, levels, &len);
    char *path = lr_test_write_temp(buf, len);
    free(buf);
    return path;
}

static lr_test_run_result run(const char *const *argv)
{
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    return r;
}

/* The percentage a progress line shows, or -1. */
static int line_percent(const char *l, const char *e)
{
    const char *pct = strstr(l, "%");
    if (!pct || pct >= e)
        return -1;
    const char *s = pct;
    while (s > l && (s[-1] == ' ' || (s[-1] >= '0' && s[-1] <= '9')))
        s--;
    return atoi(s);
}

/* Every line of err is a progress line: a pass name from `passes` at its
 * start (in the order given, each at least once; the "reading" passes, which
 * take turns, all before the others), no percentage over 100 and none lower
 * than an earlier one of the same pass ("reading" resumed included), no
 * "0 s left". */
static void check_passes(const char *err, const char *const *passes, size_t npasses)
{
    size_t at = 0; /* the furthest pass so far */
    int pct[16];   /* each pass's last percentage */
    ck_assert_uint_le(npasses, 16);
    for (size_t j = 0; j < npasses; j++)
        pct[j] = -1;
    for (const char *l = err; *l;) {
        const char *e = strchr(l, '\n');
        ck_assert_msg(e != NULL, "an unterminated progress line: %s", l);
        ck_assert_msg(l[0] != '\r' && memchr(l, '\033', (size_t)(e - l)) == NULL,
                      "terminal codes on a pipe: %.*s", (int)(e - l), l);
        /* the longest name that matches ("reading: evaluating ..." over "reading") */
        size_t best = npasses, blen = 0;
        for (size_t j = 0; j < npasses; j++) {
            size_t n = strlen(passes[j]);
            if (strncmp(l, passes[j], n) == 0 && l[n] == ' ' && n > blen) {
                best = j;
                blen = n;
            }
        }
        ck_assert_msg(best < npasses, "not a known pass: %.*s", (int)(e - l), l);
        int reading = strncmp(passes[best], "reading", 7) == 0;
        ck_assert_msg(best >= at || (reading && strncmp(passes[at], "reading", 7) == 0),
                      "pass out of order: %.*s", (int)(e - l), l);
        at = best > at ? best : at;
        int p = line_percent(l, e);
        ck_assert_int_le(p, 100);
        ck_assert_msg(p >= pct[best], "%s went back from %d%%: %.*s", passes[best], pct[best],
                      (int)(e - l), l);
        pct[best] = p >= 0 ? p : pct[best];
        const char *zero = strstr(l, " 0 s left");
        ck_assert_msg(zero == NULL || zero > e, "0 s left: %.*s", (int)(e - l), l);
        l = e + 1;
    }
    ck_assert_msg(at == npasses - 1, "the last pass (%s) was not announced: %s",
                  passes[npasses - 1], err);
}

static int has_pass(const char *err, const char *pass)
{
    size_t n = strlen(pass);
    for (const char *l = err; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
        if (strncmp(l, pass, n) == 0)
            return 1;
    return 0;
}

START_TEST(test_every_pass_announced)
{
    char *data = write_csv(3000, 40);
    char *res = lr_test_write_temp("", 0);
    setenv("LINREG_PROGRESS", "always", 1);
    const char *argv[] = {"linreg", "fit", "--format",    "json", "-f", "y ~ x + g",
                          "--vcov", "HC3", "--residuals", res,    data, NULL};
    lr_test_run_result r = run(argv);
    /* (auto may recompute in extended precision: 40 levels cost digits) */
    static const char *const passes[] = {"reading",
                                         "reading: evaluating the first rows",
                                         "reading: merging the first chunk",
                                         "reading: combining the chunks",
                                         "solving",
                                         "extended precision",
                                         "second pass: residuals"};
    check_passes(r.err, passes, 7);
    ck_assert(has_pass(r.err, "reading: evaluating the first rows"));
    ck_assert(has_pass(r.err, "reading: merging the first chunk"));
    ck_assert(has_pass(r.err, "reading: combining the chunks"));
    ck_assert(strstr(r.err, "3000 of 3000 rows") != NULL); /* the second pass to its end */
    lr_test_run_free(&r);
    /* the two silent runs repeat the same passes (two thirds of this test's
     * time under valgrind, for no code the run above did not take): the
     * release and sanitizer builds check them */
    if (lr_test_under_valgrind())
        goto out;

    /* -q: nothing on stderr, even when forced */
    const char *argv_q[] = {"linreg", "fit", "-q",          "--format", "json", "-f", "y ~ x + g",
                            "--vcov", "HC3", "--residuals", res,        data,   NULL};
    r = run(argv_q);
    ck_assert_uint_eq(r.err_len, 0);
    lr_test_run_free(&r);

    /* not forced, stderr a pipe: nothing */
    unsetenv("LINREG_PROGRESS");
    r = run(argv);
    ck_assert_uint_eq(r.err_len, 0);
    lr_test_run_free(&r);
out:
    unsetenv("LINREG_PROGRESS");
    unlink(res);
    unlink(data);
    free(res);
    free(data);
}
END_TEST

START_TEST(test_fixed_effects_passes)
{
    char *data = write_csv(3000, 40);
    setenv("LINREG_PROGRESS", "always", 1);
    const char *argv[] = {"linreg", "fit", "--format", "json", "-f", "y ~ x | g + h", data, NULL};
    lr_test_run_result r = run(argv);
    static const char *const passes[] = {"reading",
                                         "reading: merging the first chunk",
                                         "reading: combining the chunks",
                                         "fixed effects: reading",
                                         "demeaning",
                                         "fixed effects: checking collinearity",
                                         "fixed effects: accumulating",
                                         "solving"};
    check_passes(r.err, passes, 8);
    ck_assert(has_pass(r.err, "fixed effects: reading"));
    ck_assert(has_pass(r.err, "demeaning"));
    /* the passes after demeaning, each over every row to its end */
    ck_assert(strstr(r.err, "fixed effects: checking collinearity [####################] 100%  "
                            "3000 of 3000 rows") != NULL);
    ck_assert(strstr(r.err, "fixed effects: accumulating [####################] 100%  "
                            "3000 of 3000 rows") != NULL);
    ck_assert(strstr(r.err, "sweeps") != NULL); /* a count, not a fraction */
    lr_test_run_free(&r);
    unsetenv("LINREG_PROGRESS");
    lr_test_remove_file(data);
}
END_TEST

START_TEST(test_extended_precision_pass)
{
    setenv("LINREG_PROGRESS", "always", 1);
    const char *argv[] = {"linreg",
                          "fit",
                          "--format",
                          "json",
                          "-f",
                          "y ~ x + I(x^2) + I(x^3) + I(x^4) + I(x^5)",
                          lr_test_path("datasets/nist/Wampler1.csv"),
                          NULL};
    lr_test_run_result r = run(argv);
    static const char *const passes[] = {"reading", "reading: merging the first chunk",
                                         "reading: combining the chunks", "solving",
                                         "extended precision"};
    check_passes(r.err, passes, 5);
    ck_assert(strstr(r.err, "extended precision [####################] 100%  21 of 21 rows") !=
              NULL); /* every row of Wampler1, read again */
    lr_test_run_free(&r);
    unsetenv("LINREG_PROGRESS");
}
END_TEST

/* ---- the estimate: lr_progress_left ---- */

/* A pass that works at a constant rate is never told less than it has left,
 * also when it resumes after another pass (reading after the first chunk's
 * rows): the rate is the one since it resumed. And no estimate at all
 * before a second, before 2% of what was left, or with nothing left. */
START_TEST(test_estimate_never_short)
{
    static const struct {
        uint64_t done0, total; /* done at the (re)start, the pass's units */
        double rate;           /* units a second */
    } cases[] = {
        {0, 1000, 10},         /* a pass from its start */
        {780, 1000, 1},        /* resumed at 78%, slower than its first part */
        {999000, 1000000, 50}, /* resumed at 99.9% */
        {0, 100, 1000},        /* fast */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t d0 = cases[c].done0, tot = cases[c].total;
        double rate = cases[c].rate;
        for (double t = 0.25; d0 + (uint64_t)(rate * t) < tot; t += 0.25) {
            uint64_t done = d0 + (uint64_t)(rate * t);
            double truth = (double)(tot - done) / rate;
            double left = lr_progress_left(t, d0, done, tot);
            if (t < 1.0 || (double)(done - d0) < 0.02 * (double)(tot - d0)) {
                ck_assert_msg(left < 0, "case %zu: an estimate at %.2f s", c, t);
                continue;
            }
            ck_assert_msg(left >= truth * (1 - 1e-12), "case %zu at %.2f s: %g s left of %g", c, t,
                          left, truth);
        }
    }
    /* nothing done since the pass resumed: no estimate, however long it ran
     * (the old whole-pass fraction said 5 × 22 / 78 = 1.4 s) */
    ck_assert(lr_progress_left(5.0, 780, 780, 1000) < 0);
    ck_assert(lr_progress_left(5.0, 0, 1000, 1000) < 0); /* done */
    ck_assert(lr_progress_left(0.99, 0, 500, 1000) < 0); /* under a second */
    /* a pass resumed at 78% that then did 5% in 5 s: 17% left at that rate */
    ck_assert_double_eq_tol(lr_progress_left(5.0, 780, 830, 1000), 17.0, 1e-12);
}
END_TEST

/* ---- what the library reports ---- */

typedef struct pass_log {
    const char *text;       /* the input's bytes */
    size_t len;             /* their number */
    int reading_calls;      /* "reading" calls with done > 0 */
    uint64_t last_reading;  /* the last "reading" done */
    uint64_t reading_total; /* its total */
    int again_calls;        /* "reading again" calls with done > 0 */
    uint64_t last_again;    /* the last "reading again" done */
    int eval_calls;         /* "reading: evaluating the first rows" calls */
    int eval_distinct;      /* distinct done values among them */
    uint64_t last_eval;     /* the last one's done */
    uint64_t eval_total;    /* its total */
    int merged;             /* "reading: merging the first chunk" calls */
    int combined;           /* "reading: combining the chunks" calls */
} pass_log;

static void log_pass(void *ud, const lr_progress *p)
{
    pass_log *g = ud;
    int again = strcmp(p->pass, "reading again") == 0;
    if (again || strcmp(p->pass, "reading") == 0) {
        uint64_t *last = again ? &g->last_again : &g->last_reading;
        ck_assert_str_eq(p->unit, "bytes");
        ck_assert_uint_ge(p->done, *last); /* resumed too */
        ck_assert_uint_le(p->done, p->total);
        ck_assert(!again || g->combined); /* after the first reading's end */
        /* the bytes parsed and folded: whole rows, so a line end before */
        if (p->done > 0) {
            ck_assert_msg(g->text[p->done - 1] == '\n', "%s reports %llu, not a line end", p->pass,
                          (unsigned long long)p->done);
            *(again ? &g->again_calls : &g->reading_calls) += 1;
        }
        *last = p->done;
        g->reading_total = p->total;
    } else if (strcmp(p->pass, "reading: evaluating the first rows") == 0) {
        ck_assert_uint_ge(p->done, g->eval_calls ? g->last_eval : 0);
        ck_assert_uint_le(p->done, p->total);
        g->eval_distinct += g->eval_calls == 0 || p->done != g->last_eval;
        g->eval_calls++;
        g->last_eval = p->done;
        g->eval_total = p->total;
    } else if (strcmp(p->pass, "reading: merging the first chunk") == 0) {
        ck_assert_uint_eq(p->total, 0);           /* one step: a spinner */
        ck_assert_int_eq(g->combined, g->merged); /* once per reading, before combining */
        g->merged++;
    } else if (strcmp(p->pass, "reading: combining the chunks") == 0) {
        ck_assert_uint_eq(p->total, 0);
        /* after every chunk */
        ck_assert_uint_eq(g->combined ? g->last_again : g->last_reading, g->len);
        g->combined++;
    }
}

static void fit_logged(const char *formula, size_t n, size_t levels, int threads, pass_log *g)
{
    size_t len;
    char *text = csv_text(n, levels, &len);
    char *path = lr_test_write_temp(text, len);
    *g = (pass_log){0};
    g->text = text;
    g->len = len;
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    opt.threads = threads;
    opt.progress = log_pass;
    opt.progress_ud = g;
    lr_fit *fit = lr_test_fit_path(path, &opt);
    lr_fit_free(fit);
    lr_test_remove_file(path);
    free(text);
    g->text = NULL;
}

/* Reading follows what has been parsed and folded: each report is the end of
 * a row, never less than the one before (after the first chunk's rows and
 * its merge too), the whole file at the end; then the chunks are combined. */
START_TEST(test_reading_follows_folded_bytes)
{
    pass_log g;
    fit_logged("y ~ x", 150000, 10, 2, &g); /* ~5 MB: five chunks and more */
    ck_assert_int_ge(g.reading_calls, 5);
    ck_assert_uint_eq(g.last_reading, g.reading_total);
    ck_assert_int_eq(g.merged, 1);
    ck_assert_int_eq(g.combined, 1);
    pass_log one;
    fit_logged("y ~ x", 150000, 10, 1, &one); /* the same reports on one thread */
    ck_assert_int_eq(one.reading_calls, g.reading_calls);
    ck_assert_int_eq(g.again_calls, 0);
    /* poly() reads the data twice: the second reading has a name of its own
     * (its done starts again from 0), and the same reports */
    pass_log twice;
    fit_logged("y ~ poly(x, 2)", 150000, 10, 2, &twice);
    ck_assert_int_eq(twice.reading_calls, g.reading_calls);
    ck_assert_int_eq(twice.again_calls, g.reading_calls);
    ck_assert_uint_eq(twice.last_again, twice.reading_total);
    ck_assert_int_eq(twice.merged, 2);
    ck_assert_int_eq(twice.combined, 2);
}
END_TEST

/* A factor of 900 levels (a QR accumulator folding its pending rows every
 * 2k = 1,802, in blocks of fewer rows than columns, which stay pending
 * whole): the first rows count as done when folded, so the done values stay
 * put between folds instead of growing with every block, and they reach
 * every row at the end. */
START_TEST(test_wide_factor_rows_count_when_folded)
{
    pass_log g;
    fit_logged("y ~ x + g", 2000, 900, 1, &g);
    ck_assert_int_ge(g.eval_calls, 4);
    ck_assert_uint_eq(g.last_eval, g.eval_total);
    ck_assert_uint_eq(g.eval_total, 2000);
    ck_assert_msg(g.eval_distinct < g.eval_calls, "%d calls, %d values", g.eval_calls,
                  g.eval_distinct);
    ck_assert_int_eq(g.merged, 1);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        {test_every_pass_announced, 0, "passes"},
        LR_TEST(test_fixed_effects_passes),
        LR_TEST(test_extended_precision_pass),
        {test_estimate_never_short, 0, "estimate"},
        {test_reading_follows_folded_bytes, 0, "library"},
        LR_TEST(test_wide_factor_rows_count_when_folded),
    };
    return lr_test_run_cases("progress", 0, tests, LR_TEST_COUNT(tests));
}
