/*
 * predict_fixture.h — what the suites of saved models, prediction and
 * residual diagnostics share (test_predict.c, test_model_file.c,
 * test_diagnostics.c): R's results in tests/data/r_predict.json (from
 * tests/reference/gen_r_predict.R), paths, a prediction collector, a saved
 * model, a run of the command.
 */
#ifndef LR_PREDICT_FIXTURE_H
#define LR_PREDICT_FIXTURE_H

#include <jansson.h>
#include <stddef.h>

#include "test_util.h"

/* Relative tolerance against R's 17 digits. */
#define RTOL 1e-9

/* tests/data/r_predict.json, read by predict_reference_load (0 on success; the message on
 * stderr otherwise) and freed by predict_reference_free. */
extern json_t *reference;
int predict_reference_load(void);
void predict_reference_free(void);

/* The array `key` of the reference (asserted present). */
json_t *ref_array(const char *key);
/* A JSON number, or NaN for null (R's NA). */
double num(json_t *v);
/* Relative agreement, or absolute agreement at `scale` (for values that are
 * zero up to rounding, where relative error means nothing). */
void check_close(double got, double want, double scale, const char *what, size_t i);
/* check_close with the case's id in the message. */
void check_case(double got, double want, double scale, const char *id, const char *what, size_t i);
/* Coefficient j, cf, against R's r (name, estimate, std_error, t, p, ci_low, ci_high) to
 * RTOL, named by the case's id. */
void check_coef_case(json_t *r, const lr_coef *cf, const char *id, size_t j);
/* The number o[k] (asserted present; null is NaN). */
double ref_key(json_t *o, const char *k);
/* The largest absolute value of an array of numbers. */
double max_abs(json_t *a);
/* datasets/FILE below the source tree (a static buffer: the next call overwrites it). */
const char *data_path(const char *file);
/* A fresh temporary path that does not exist (malloc'd). */
char *temp_path(void);

/* Predictions collected by collect (an lr_predict_csv callback); free(r.p) when done. */
typedef struct rows {
    lr_prediction *p; /* collected predictions */
    size_t n, cap;    /* count, capacity */
} rows;
void collect(void *ud, const lr_prediction *p);

/* A saved model's predictions on `newdata` against R's in case c ("id", "level",
 * "fit", "se_fit", "confidence" and "prediction" {"lwr", "upr"}), each kind of
 * interval, to RTOL; returns 1 if any row lay beyond a bs() basis' knots. */
int check_r_predictions(json_t *c, const char *model_path, const char *newdata);

/* The model file of `formula` fitted to datasets/FILE, read back (malloc'd, *len bytes). */
char *saved_model(const char *file, const char *formula, size_t *len);

/* Run the built linreg with argv and stdin `in` (NULL: empty). */
lr_test_run_result run(const char *const *argv, const char *in);

#endif
