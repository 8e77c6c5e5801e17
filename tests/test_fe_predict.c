/*
 * test_fe_predict.c — predictions of fixed-effects models saved by
 * lr_fit_save (linreg fit -f 'y ~ x | firm + year' --save) against R's
 * predict(lm(y ~ x1 + x2 + factor(firm) + factor(year)), newdata)
 * (tests/data/r_fe_predict.json and tests/data/fe_predict_new.csv, made by
 * tests/reference/gen_r_fe_predict.R): 1, 2 and 3 factors, weights, an
 * interaction; NA with a note for a level not in the fit and for one seen
 * only in dropped singletons, NA for a missing level; workers × employers
 * in three connected components: pairs never seen but linked predicted as
 * lm, pairs across components NA with a note; --interval refused;
 * the saved effects equal --fe-out's; corrupted model files refused.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define RTOL 1e-9
#define MAX_ROWS 64

static json_t *reference;

/* One prediction as the callback saw it. */
typedef struct got_row {
    int ok;         /* the prediction's ok */
    double fit;     /* its fit */
    double se_fit;  /* its se_fit */
    char note[512]; /* its note, or "" */
} got_row;

typedef struct got {
    size_t n;              /* rows seen */
    got_row row[MAX_ROWS]; /* each */
} got;

static void collect(void *ud, const lr_prediction *p)
{
    got *g = ud;
    ck_assert(g->n < MAX_ROWS);
    got_row *r = &g->row[g->n++];
    r->ok = p->ok;
    r->fit = p->fit;
    r->se_fit = p->se_fit;
    snprintf(r->note, sizeof r->note, "%s", p->note ? p->note : "");
}

/* Fit `formula` (weights: a column or NULL) on `file` (below the source
 * tree) and save the model to a new temporary file (returned; caller unlinks
 * and frees); fe_out: also write --fe-out there when not NULL. */
static char *fit_file_and_save(const char *file, const char *formula, const char *weights,
                               const char *fe_out)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = formula;
    opt.weights = weights;
    opt.keep_model = 1;
    opt.fe_out = fe_out;
    lr_fit *fit = NULL;
    lr_error err;
    char data[1024];
    snprintf(data, sizeof data, "%s", lr_test_path(file));
    ck_assert_msg(lr_fit_csv(data, &opt, &fit, &err) == LR_OK, "%s: %s", formula, err.message);
    char *path = lr_test_write_temp("", 0);
    ck_assert_msg(lr_fit_save(fit, path, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    return path;
}

static char *fit_and_save(const char *formula, const char *weights, const char *fe_out)
{
    return fit_file_and_save("datasets/panels/firms.csv", formula, weights, fe_out);
}

static void predict_file(const char *model, const char *newdata, lr_interval iv, got *g,
                         int expect_rc)
{
    lr_model *m = NULL;
    lr_error err;
    ck_assert_msg(lr_model_load(model, &m, &err) == LR_OK, "%s", err.message);
    char data[1024];
    snprintf(data, sizeof data, "%s", lr_test_path(newdata));
    g->n = 0;
    int rc = lr_predict_csv(m, data, iv, 0.95, collect, g, &err);
    ck_assert_msg(rc == expect_rc, "rc %d: %s", rc, rc ? err.message : "");
    if (rc)
        ck_assert_msg(strstr(err.message, "--interval is not available with fixed effects"), "%s",
                      err.message);
    lr_model_free(m);
}

START_TEST(test_matches_lm)
{
    json_t *e = json_array_get(reference, (size_t)_i);
    const char *id = json_string_value(json_object_get(e, "id"));
    json_t *w = json_object_get(e, "weights"), *fit = json_object_get(e, "fit"),
           *reason = json_object_get(e, "reason");
    const char *newdata = json_string_value(json_object_get(e, "newdata"));
    char *model = fit_file_and_save(json_string_value(json_object_get(e, "file")),
                                    json_string_value(json_object_get(e, "formula")),
                                    json_is_string(w) ? json_string_value(w) : NULL, NULL);
    static got g;
    predict_file(model, newdata, LR_INTERVAL_NONE, &g, LR_OK);
    ck_assert_uint_eq(g.n, json_array_size(fit));
    size_t npred = 0, nunseen = 0, nsingle = 0, nmissing = 0, ncomp = 0;
    for (size_t i = 0; i < g.n; i++) {
        json_t *y = json_array_get(fit, i);
        const char *why = json_string_value(json_array_get(reason, i));
        if (json_is_number(y)) {
            ck_assert_msg(g.row[i].ok, "%s row %zu: NA (%s)", id, i + 1, g.row[i].note);
            LR_CK_REL(g.row[i].fit, json_number_value(y), RTOL);
            ck_assert(isnan(g.row[i].se_fit)); /* not known with fixed effects */
            npred++;
            continue;
        }
        ck_assert_msg(!g.row[i].ok, "%s row %zu: predicted %g", id, i + 1, g.row[i].fit);
        ck_assert_ptr_nonnull(why);
        if (!strcmp(why, "missing")) {
            ck_assert_str_eq(g.row[i].note, ""); /* as R: NA without a word */
            nmissing++;
        } else {
            /* fe_predict_new.csv:<line>:<col>: column 'firm': level "F999" ... */
            char where[128];
            snprintf(where, sizeof where, "%s:%zu:", strrchr(newdata, '/') + 1, i + 2);
            ck_assert_msg(strstr(g.row[i].note, where), "%s", g.row[i].note);
            ck_assert_msg(strstr(g.row[i].note, !strcmp(why, "unseen") ? "was not in the fit"
                                                : !strcmp(why, "singleton")
                                                    ? "was only in rows dropped as singletons"
                                                    : "are in different connected components "
                                                      "of the fit (no row links them), so the "
                                                      "prediction is not identified"),
                          "%s row %zu (%s): %s", id, i + 1, why, g.row[i].note);
            nunseen += !strcmp(why, "unseen");
            nsingle += !strcmp(why, "singleton");
            ncomp += !strcmp(why, "components");
        }
    }
    /* every case is there */
    if (strstr(newdata, "workers")) {
        ck_assert_uint_eq(npred, 16); /* 8 pairs seen, 8 not but linked */
        ck_assert_uint_eq(ncomp, 4);
    } else {
        ck_assert_uint_ge(npred, 30);
        ck_assert_uint_ge(nunseen, 1);
        ck_assert_uint_eq(nsingle, 1);
        ck_assert_uint_ge(nmissing, 1);
        ck_assert_uint_eq(ncomp, 0);
    }
    /* no interval: the effects' covariance is not in the file */
    predict_file(model, newdata, LR_INTERVAL_CONFIDENCE, &g, LR_EUSAGE);
    predict_file(model, newdata, LR_INTERVAL_PREDICTION, &g, LR_EUSAGE);
    lr_test_remove_file(model);
}
END_TEST

/* --absorb with -y alone ("`y` ~ . - `firm` - `year` | firm + year", whose
 * left-hand frame holds firm and year too): the same predictions as the
 * formula, NA and notes included, on the firms panel's y, x1, x2, firm and
 * year columns. */
START_TEST(test_absorb_every_other)
{
    char *text = lr_test_read_file(lr_test_path("datasets/panels/firms.csv"), NULL);
    ck_assert_ptr_nonnull(text);
    /* y,x1,x2,x3,w,firm,year,region,shift -> y,x1,x2,firm,year */
    size_t cap = strlen(text) + 1, o = 0;
    char *cut = malloc(cap);
    ck_assert_ptr_nonnull(cut);
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        char f[9][32];
        ck_assert_int_eq(sscanf(line,
                                "%31[^,],%31[^,],%31[^,],%31[^,],%31[^,],%31[^,],%31[^,],"
                                "%31[^,],%31[^\n]",
                                f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]),
                         9);
        o += (size_t)snprintf(cut + o, cap - o, "%s,%s,%s,%s,%s\n", f[0], f[1], f[2], f[5], f[6]);
        line = end ? end + 1 : line + strlen(line);
    }
    char *data = lr_test_write_temp(cut, o);
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.target = "y";
    opt.absorb = "firm,year";
    opt.keep_model = 1;
    lr_fit *fit = lr_test_fit_path(data, &opt);
    char *every = lr_test_write_temp("", 0);
    lr_error err;
    ck_assert_msg(lr_fit_save(fit, every, &err) == LR_OK, "%s", err.message);
    lr_fit_free(fit);
    char *formula = fit_and_save("y ~ x1 + x2 | firm + year", NULL, NULL);
    static got a, b;
    predict_file(every, "tests/data/fe_predict_new.csv", LR_INTERVAL_NONE, &a, LR_OK);
    predict_file(formula, "tests/data/fe_predict_new.csv", LR_INTERVAL_NONE, &b, LR_OK);
    ck_assert_uint_eq(a.n, b.n);
    size_t nnote = 0;
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_int_eq(a.row[i].ok, b.row[i].ok);
        ck_assert_str_eq(a.row[i].note, b.row[i].note);
        nnote += a.row[i].note[0] != 0;
        if (a.row[i].ok)
            LR_CK_REL(a.row[i].fit, b.row[i].fit, 1e-12);
    }
    ck_assert_uint_eq(nnote, 3); /* F999, F092 (a singleton), 1999 */
    unlink(data);
    unlink(every);
    unlink(formula);
    free(data);
    free(every);
    free(formula);
    free(cut);
    free(text);
}
END_TEST

/* The model file's effects are --fe-out's, level by level. */
START_TEST(test_effects_are_fe_out)
{
    char *fe_out = lr_test_write_temp("", 0);
    char *model = fit_and_save("y ~ x1 + x2 | firm + year + shift", "w", fe_out);
    json_error_t je;
    json_t *root = json_load_file(model, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    json_t *factors = json_object_get(json_object_get(root, "fixed_effects"), "factors");
    ck_assert_uint_eq(json_array_size(factors), 3);
    char *text = lr_test_read_file(fe_out, NULL);
    char *line = strchr(text, '\n') + 1;
    size_t rows = 0;
    for (size_t k = 0; k < 3; k++) {
        json_t *f = json_array_get(factors, k), *lv = json_object_get(f, "levels"),
               *ef = json_object_get(f, "effects");
        const char *col = json_string_value(json_object_get(f, "column"));
        for (size_t i = 0; i < json_array_size(lv); i++, rows++) {
            char name[32], level[32], want[64];
            double v;
            ck_assert_int_eq(sscanf(line, "%31[^,],%31[^,],%lf", name, level, &v), 3);
            json_t *l = json_array_get(lv, i);
            if (json_is_string(l))
                snprintf(want, sizeof want, "%s", json_string_value(l));
            else
                snprintf(want, sizeof want, "%.0f", json_number_value(l));
            ck_assert_str_eq(name, col);
            ck_assert_str_eq(level, want);
            ck_assert(v == json_number_value(json_array_get(ef, i)));
            line = strchr(line, '\n') + 1;
        }
    }
    ck_assert_str_eq(line, ""); /* every line of --fe-out */
    ck_assert_uint_gt(rows, 100);
    /* the singletons' levels are listed as dropped */
    ck_assert_uint_ge(
        json_array_size(json_object_get(json_array_get(factors, 0), "dropped_levels")), 4);
    free(text);
    json_decref(root);
    unlink(model);
    unlink(fe_out);
    free(model);
    free(fe_out);
}
END_TEST

/* A corrupted "fixed_effects" is refused on loading, naming what is wrong. */
typedef struct corruption {
    const char *what;   /* the edit (see corrupt()) */
    const char *expect; /* in the message */
} corruption;

static const corruption corruptions[] = {
    {"effect_null", "\"effects\" is not a finite number at position 3"},
    {"effect_string", "\"effects\" is not a finite number at position 3"},
    {"effect_extra", "not one effect per level (counts differ)"},
    {"level_repeated", "a level is repeated in \"levels\" at position 2"},
    {"level_number", "a level in \"levels\" is not a string at position 1"},
    {"year_text", "a level in \"levels\" is not a finite number at position 1"},
    {"dropped_kept", "a level is both in \"levels\" and \"dropped_levels\""},
    {"no_levels", "has no levels"},
    {"column_repeated", "factor 2 ('firm'): is the column of an earlier factor"},
    {"no_column", "factor 1 ('?'): has no \"column\" name"},
    {"rank_high", "\"rank\" is not a whole number between 1"},
    {"rank_total", "\"rank\" is not the number of coefficients that are not aliased plus"},
    {"rank_zero", "\"fixed_effects\" has no \"rank\" that is a whole number >= 1"},
    {"no_factors", "is not an object with 1 to 8 \"factors\""},
    {"formula_bar", "does not parse over \"predictor_columns\""},
    {"components_short", "factor 1 ('worker'): has \"components\" not one per level"},
    {"components_negative", "an entry of \"components\" is not a whole number >= 0 at "
                            "position 2"},
    {"components_one", "has \"components\" in one of its first two factors only"},
};

/* Set the dummies' rank to fe_rank, the model's to the slopes' (2) + fe_rank
 * + more, and df_residual to match (n - rank), so that only what is meant
 * to be wrong is. */
static void set_rank(json_t *root, json_int_t fe_rank, json_int_t more)
{
    json_t *fe = json_object_get(root, "fixed_effects");
    json_int_t n = json_integer_value(json_object_get(root, "n"));
    json_object_set_new(fe, "rank", json_integer(fe_rank));
    json_object_set_new(root, "rank", json_integer(2 + fe_rank + more));
    json_object_set_new(root, "df_residual", json_integer(n - 2 - fe_rank - more));
}

static void corrupt(json_t *root, const char *what)
{
    json_t *fe = json_object_get(root, "fixed_effects"), *fs = json_object_get(fe, "factors");
    json_t *firm = json_array_get(fs, 0), *year = json_array_get(fs, 1);
    json_t *lv = json_object_get(firm, "levels"), *ef = json_object_get(firm, "effects");
    if (!strcmp(what, "effect_null"))
        json_array_set_new(ef, 2, json_null());
    else if (!strcmp(what, "effect_string"))
        json_array_set_new(ef, 2, json_string("1.5"));
    else if (!strcmp(what, "effect_extra"))
        json_array_append_new(ef, json_real(1));
    else if (!strcmp(what, "level_repeated"))
        json_array_set(lv, 1, json_array_get(lv, 0));
    else if (!strcmp(what, "level_number"))
        json_array_set_new(lv, 0, json_real(7));
    else if (!strcmp(what, "year_text"))
        json_array_set_new(json_object_get(year, "levels"), 0, json_string("2001"));
    else if (!strcmp(what, "dropped_kept"))
        json_array_append(json_object_get(firm, "dropped_levels"), json_array_get(lv, 0));
    else if (!strcmp(what, "no_levels")) {
        json_array_clear(lv);
        json_array_clear(ef);
    } else if (!strcmp(what, "column_repeated"))
        json_object_set_new(year, "column", json_string("firm"));
    else if (!strcmp(what, "no_column"))
        json_object_del(firm, "column");
    else if (!strcmp(what, "rank_high")) /* every level, where lm's dummies have one less */
        set_rank(
            root,
            (json_int_t)(json_array_size(lv) + json_array_size(json_object_get(year, "levels"))),
            0);
    else if (!strcmp(what, "rank_total")) /* one less in all, none less in the dummies */
        set_rank(root, json_integer_value(json_object_get(fe, "rank")), -1);
    else if (!strcmp(what, "rank_zero"))
        json_object_set_new(fe, "rank", json_integer(0));
    else if (!strcmp(what, "no_factors"))
        json_array_clear(fs);
    else if (!strcmp(what, "components_short"))
        json_array_remove(json_object_get(firm, "components"), 0);
    else if (!strcmp(what, "components_negative"))
        json_array_set_new(json_object_get(firm, "components"), 1, json_integer(-1));
    else if (!strcmp(what, "components_one"))
        json_object_del(year, "components");
    else if (!strcmp(what, "formula_bar")) {
        /* no effects, the rank and df of the slopes alone: "y ~ x1 + x2 | firm + year" */
        set_rank(root, 0, 0);
        json_object_del(root, "fixed_effects");
    } else
        ck_abort_msg("unknown corruption %s", what);
}

START_TEST(test_corrupted)
{
    const corruption *c = &corruptions[_i];
    int comps = !strncmp(c->what, "components", 10); /* workers: three components */
    char *model = comps ? fit_file_and_save("datasets/panels/workers.csv",
                                            "wage ~ exper + tenure | worker + employer", NULL, NULL)
                        : fit_and_save("y ~ x1 + x2 | firm + year", NULL, NULL);
    json_error_t je;
    json_t *root = json_load_file(model, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    corrupt(root, c->what);
    char *bad = lr_test_write_temp("", 0);
    ck_assert_int_eq(json_dump_file(root, bad, JSON_REAL_PRECISION(17)), 0);
    json_decref(root);
    lr_model *m = NULL;
    lr_error err;
    ck_assert_int_eq(lr_model_load(bad, &m, &err), LR_EDATA);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, c->expect), "%s: %s", c->what, err.message);
    ck_assert_msg(!strncmp(err.message, bad, strlen(bad)), "%s", err.message); /* names the file */
    lr_test_remove_file(bad);
    lr_test_remove_file(model);
}
END_TEST

/* The command: a warning naming the line for each unseen level, exit 0;
 * --interval a usage error; new data without a fixed-effect column. */
START_TEST(test_cli)
{
    char *model = lr_test_write_temp("", 0), data[1024], newdata[1024];
    snprintf(data, sizeof data, "%s", lr_test_path("datasets/panels/firms.csv"));
    snprintf(newdata, sizeof newdata, "%s", lr_test_path("tests/data/fe_predict_new.csv"));
    const char *fit[] = {"linreg", "fit", "-f", "y ~ x1 + x2 | firm + year",
                         "-o",     model, data, NULL};
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(fit, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_str_eq(r.err, "");
    lr_test_run_free(&r);
    const char *pred[] = {"linreg", "predict", "-m", model, newdata, NULL};
    ck_assert_int_eq(lr_test_run(pred, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(strstr(r.err, "fe_predict_new.csv:32:12: column 'firm': level \"F999\" was not "
                                "in the fit, so its effect is not estimated: NA written for "
                                "that row"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, "fe_predict_new.csv:33:14: column 'firm': level \"F092\" was only "
                                "in rows dropped as singletons in the fit"),
                  "%s", r.err);
    ck_assert(!strncmp(r.out, "fit\n", 4));
    lr_test_run_free(&r);
    const char *iv[] = {"linreg",     "predict",    "-m",    model,
                        "--interval", "prediction", newdata, NULL};
    ck_assert_int_eq(lr_test_run(iv, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.err, "--interval is not available with fixed effects"), "%s", r.err);
    ck_assert_str_eq(r.out, "");
    lr_test_run_free(&r);
    /* new data without the year column */
    char *nofe = lr_test_write_temp("x1,x2,firm\n1,2,F001\n", 20);
    const char *miss[] = {"linreg", "predict", "-m", model, nofe, NULL};
    ck_assert_int_eq(lr_test_run(miss, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_msg(strstr(r.err, "no column named 'year', the fixed effect the model needs"), "%s",
                  r.err);
    lr_test_run_free(&r);
    /* several files read as one: the note names the file and its own line */
    static const char second[] = "y,x1,x2,w,firm,year,shift\n,0.5,0.2,1,F001,2003,a\n"
                                 ",0.5,0.2,1,F999,2003,a\n";
    char *two = lr_test_write_temp(second, sizeof second - 1);
    const char *both[] = {"linreg", "predict", "-m", model, newdata, two, NULL};
    ck_assert_int_eq(lr_test_run(both, NULL, 0, &r), 0);
    ck_assert_int_eq(r.exit_code, 0);
    char want[1024];
    snprintf(want, sizeof want, "%s:3:12: column 'firm': level \"F999\" was not in the fit", two);
    ck_assert_msg(strstr(r.err, want), "%s", r.err);
    lr_test_run_free(&r);
    lr_test_remove_file(two);
    lr_test_remove_file(nofe);
    lr_test_remove_file(model);
}
END_TEST

/* Load the model file `model` and predict `data`, collecting into g. */
typedef struct fe_predict_run {
    const char *model; /* the saved model */
    const char *data;  /* the new data */
    got *g;            /* the predictions of the last run */
} fe_predict_run;

static int fe_predict_alloc_run(void *ctx, lr_error *err)
{
    fe_predict_run *c = ctx;
    lr_model *m = NULL;
    int rc = lr_model_load(c->model, &m, err);
    c->g->n = 0;
    if (rc == LR_OK)
        rc = lr_predict_csv(m, c->data, LR_INTERVAL_NONE, 0.95, collect, c->g, err);
    lr_model_free(m);
    return rc;
}

/* Loading and predicting under allocation failures: LR_ENOMEM, no leak. */
START_TEST(test_alloc_failures)
{
    char *model = fit_and_save("y ~ x1 + x2 | firm + year", NULL, NULL);
    char data[1024];
    snprintf(data, sizeof data, "%s", lr_test_path("tests/data/fe_predict_new.csv"));
    static got g;
    fe_predict_run c = {model, data, &g};
    lr_test_alloc_failures(fe_predict_alloc_run, &c, 100000);
    ck_assert_uint_eq(g.n, 36);
    lr_test_remove_file(model);
}
END_TEST

int main(void)
{
    reference = lr_test_load_json("tests/data/r_fe_predict.json");
    if (!reference)
        return 1;
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_matches_lm, (int)json_array_size(reference)),
        LR_TEST(test_effects_are_fe_out),
        LR_TEST(test_absorb_every_other),
        LR_TEST_LOOP(test_corrupted, (int)LR_TEST_COUNT(corruptions)),
        LR_TEST(test_cli),
        LR_TEST(test_alloc_failures),
    };
    int rc = lr_test_run_cases("fe_predict", 0, tests, LR_TEST_COUNT(tests));
    json_decref(reference);
    return rc;
}
