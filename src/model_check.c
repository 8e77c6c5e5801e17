/*
 * model_check.c — a model file is used for predictions only if it is one
 * that lr_fit_save could have written: a file edited by hand or damaged
 * (sigma -1, whose intervals were computed with |σ|; df_residual -3 or
 * 1e300; rank 99; a formula that no longer parses) is refused, naming the
 * field, before any data are read.
 *
 * What holds for every saved fit (R's lm as well):
 *   rank     = the coefficients not aliased, 0 ≤ rank ≤ p; with absorbed
 *              fixed effects, plus the rank of their dummies (with the
 *              intercept), "fixed_effects"."rank" (the effects themselves
 *              are checked by fe_model.c);
 *   n        ≥ rank, an integer (the rows with nonzero weight);
 *   df_resid = n − rank for least squares. A ridge fit saves n − edf, where
 *              the effective degrees of freedom edf = tr(H) lie between 0 and
 *              rank, so a df_residual that is not an integer must lie in
 *              (n − rank, n); an integral one must be n − rank (a ridge fit
 *              with an integral edf is λ = 0, least squares);
 *   sigma    ≥ 0 and finite, or null (NaN) exactly when df_residual is 0.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "basis_json.h"
#include "formula.h"
#include "model_check.h"

static int bad(lr_error *err, const char *path, const char *field, const char *what)
{
    return lr_error_set(err, LR_EDATA, "%s: not a valid linreg model file: \"%s\" %s", path, field,
                        what);
}

/* A non-negative integer field (a JSON integer, or a real with an integral
 * value below 2^53). */
static int get_count(const json_t *root, const char *key, double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_number(v))
        return 0;
    double x = json_number_value(v);
    *out = x;
    return x >= 0 && x <= 9007199254740992.0 && x == floor(x);
}

/* sigma, df_residual, n and rank, as the header comment states. */
static int check_numbers(const json_t *root, const char *path, size_t p, size_t rank, lr_error *err)
{
    double n, r, fe_rank = 0;
    const json_t *fe = json_object_get(root, "fixed_effects");
    if (fe && (!json_is_object(fe) || !get_count(fe, "rank", &fe_rank) || fe_rank < 1))
        return bad(err, path, "fixed_effects", "has no \"rank\" that is a whole number >= 1");
    if (!get_count(root, "rank", &r))
        return bad(err, path, "rank", "is not a whole number >= 0");
    if (r > (double)p + fe_rank)
        return bad(err, path, "rank", "is larger than the number of coefficients");
    if (r != (double)rank + fe_rank)
        return bad(err, path, "rank",
                   fe ? "is not the number of coefficients that are not aliased plus the "
                        "fixed effects' rank"
                      : "is not the number of coefficients that are not aliased");
    if (!get_count(root, "n", &n))
        return bad(err, path, "n", "is not a whole number >= 0");
    if (n < r)
        return bad(err, path, "n", "is smaller than the rank");
    const json_t *jdf = json_object_get(root, "df_residual");
    double df = json_number_value(jdf);
    if (!json_is_number(jdf) || !isfinite(df) || df < 0)
        return bad(err, path, "df_residual", "is not a number >= 0");
    if (df == floor(df) ? df != n - r : !(df > n - r && df < n))
        return bad(err, path, "df_residual",
                   "is not n - rank (least squares) or between n - rank and n (ridge)");
    const json_t *js = json_object_get(root, "sigma");
    double sigma = json_number_value(js);
    if (json_is_null(js) ? df != 0 : !json_is_number(js) || !isfinite(sigma) || sigma < 0)
        return bad(err, path, "sigma",
                   "is not a finite number >= 0 (null only with no residual degrees of "
                   "freedom)");
    return LR_OK;
}

/* An array of strings (NULL if `key` is not one). */
static const json_t *string_array(const json_t *root, const char *key)
{
    const json_t *a = json_object_get(root, key);
    if (!json_is_array(a))
        return NULL;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!json_is_string(json_array_get(a, i)))
            return NULL;
    return a;
}

/* The accumulated statistics: `columns` means and a triangle of columns
 * rows, the j-th of j + 1 numbers. */
static int check_statistics(const json_t *root, const char *path, lr_error *err)
{
    const json_t *st = json_object_get(root, "statistics");
    double k;
    if (!json_is_object(st) || !get_count(st, "columns", &k) || k < 1)
        return bad(err, path, "statistics", "is missing or has no \"columns\" count");
    const json_t *mean = json_object_get(st, "mean"),
                 *tri = json_object_get(st, "upper_triangle_by_column");
    if (!json_is_array(mean) || (double)json_array_size(mean) != k || !json_is_array(tri) ||
        (double)json_array_size(tri) != k)
        return bad(err, path, "statistics",
                   "has a \"mean\" or triangle not of \"columns\" entries");
    for (size_t j = 0; j < json_array_size(tri); j++) {
        const json_t *row = json_array_get(tri, j);
        if (!json_is_array(row) || json_array_size(row) != j + 1)
            return bad(err, path, "statistics", "has a triangle row of the wrong length");
        for (size_t i = 0; i <= j; i++)
            if (!json_is_number(json_array_get(row, i)))
                return bad(err, path, "statistics", "has a triangle entry that is not a number");
    }
    for (size_t j = 0; j < json_array_size(mean); j++)
        if (!json_is_number(json_array_get(mean, j)))
            return bad(err, path, "statistics", "has a mean that is not a number");
    return LR_OK;
}

/* The optional factor for predictions' standard errors: a mean and a
 * triangle row for each kept coefficient besides the intercept, nonzero
 * finite numbers on the diagonal (model_se_factor.c divides by them). */
static int check_se_factor(const json_t *root, const char *path, lr_error *err)
{
    const json_t *se = json_object_get(root, "se_factor");
    if (!se)
        return LR_OK;
    const json_t *coefs = json_object_get(root, "coefficients");
    size_t kept = 0;
    for (size_t j = 0; j < json_array_size(coefs); j++)
        kept += !json_is_true(json_object_get(json_array_get(coefs, j), "aliased"));
    if (json_is_true(json_object_get(root, "intercept")) && kept > 0)
        kept--;
    const json_t *mean = json_object_get(se, "mean"),
                 *tri = json_object_get(se, "upper_triangle_by_column");
    if (!json_is_object(se) || !json_is_array(mean) || !json_is_array(tri) ||
        json_array_size(mean) != kept || json_array_size(tri) != kept)
        return bad(err, path, "se_factor",
                   "does not have a mean and a triangle row for each coefficient not aliased");
    for (size_t j = 0; j < kept; j++) {
        const json_t *row = json_array_get(tri, j);
        if (!json_is_number(json_array_get(mean, j)) || !json_is_array(row) ||
            json_array_size(row) != j + 1)
            return bad(err, path, "se_factor", "has a mean or a triangle row of the wrong shape");
        for (size_t i = 0; i <= j; i++)
            if (!json_is_number(json_array_get(row, i)))
                return bad(err, path, "se_factor", "has a triangle entry that is not a number");
        double d = json_number_value(json_array_get(row, j));
        if (d == 0 || !isfinite(d))
            return bad(err, path, "se_factor", "has a zero on its diagonal");
    }
    return LR_OK;
}

/* Parse `text` over the predictor columns; its variables (after the
 * response) must be those of "variables", in order. */
static int check_formula(const char *text, const char *field, const char *const *cols, size_t ncols,
                         const json_t *vars, const char *path, lr_error *err)
{
    lr_formula *f = NULL;
    lr_error perr;
    if (lr_formula_parse(text, cols, ncols, &f, &perr)) {
        if (perr.code == LR_ENOMEM) {
            *err = perr;
            return LR_ENOMEM;
        }
        /* the parser's first line (the others show the formula and a caret) */
        char *nl = strchr(perr.message, '\n');
        if (nl)
            *nl = '\0';
        char what[sizeof perr.message + 64];
        snprintf(what, sizeof what, "does not parse over \"predictor_columns\": %s", perr.message);
        return bad(err, path, field, what);
    }
    int ok = f->nvars == json_array_size(vars) + 1;
    for (size_t v = 1; ok && v < f->nvars; v++) {
        const char *label =
            json_string_value(json_object_get(json_array_get(vars, v - 1), "label"));
        ok = label && !strcmp(label, f->vars[v].label);
    }
    /* data-dependent bases: their stored parameters complete and consistent */
    int rc = LR_OK;
    for (size_t v = 1; ok && rc == LR_OK && v < f->nvars; v++)
        if (f->vars[v].basis)
            rc = lr_basis_from_json(f->vars[v].basis,
                                    json_object_get(json_array_get(vars, v - 1), "basis"), path,
                                    f->vars[v].label, err);
    lr_formula_free(f);
    if (rc)
        return rc;
    return ok ? LR_OK : bad(err, path, field, "does not have the variables of \"variables\"");
}

/* The length of `model` before its top-level `|` (outside backquotes and
 * parentheses: "y ~ x | firm + year"), or all of it. */
static size_t before_bar(const char *model)
{
    int quoted = 0, depth = 0;
    for (size_t i = 0; model[i]; i++) {
        if (model[i] == '`')
            quoted = !quoted;
        else if (!quoted && model[i] == '(')
            depth++;
        else if (!quoted && model[i] == ')')
            depth--;
        else if (!quoted && depth == 0 && model[i] == '|')
            return i;
    }
    return strlen(model);
}

/* "prediction_formula" as it is, and "formula" with its left-hand side
 * blanked to "0" (the response's columns are not stored; the positions in a
 * message stay those of the text saved); with fixed effects, without the
 * `| firm + year` (fe_model.c checks those). */
static int check_formulas(const json_t *root, const char *path, lr_error *err)
{
    const json_t *pcols = string_array(root, "predictor_columns");
    const json_t *cats = string_array(root, "categorical_columns");
    const json_t *vars = json_object_get(root, "variables");
    if (!pcols)
        return bad(err, path, "predictor_columns", "is not an array of column names");
    if (!cats)
        return bad(err, path, "categorical_columns", "is not an array of column names");
    for (size_t v = 0; v < json_array_size(vars); v++) {
        const json_t *o = json_array_get(vars, v);
        if (!json_is_string(json_object_get(o, "label")) ||
            !json_is_boolean(json_object_get(o, "factor")))
            return bad(err, path, "variables", "has an entry without a label or \"factor\"");
    }
    size_t ncols = json_array_size(pcols);
    const char **cols = lr_mem_calloc(ncols ? ncols : 1, sizeof *cols);
    if (!cols)
        return lr_error_nomem(err);
    for (size_t i = 0; i < ncols; i++)
        cols[i] = json_string_value(json_array_get(pcols, i));
    int rc = check_formula(json_string_value(json_object_get(root, "prediction_formula")),
                           "prediction_formula", cols, ncols, vars, path, err);
    const char *model = json_string_value(json_object_get(root, "formula"));
    const char *tilde = model ? strchr(model, '~') : NULL;
    if (rc == LR_OK && !tilde)
        rc = bad(err, path, "formula", "is not a model formula (no '~')");
    if (rc == LR_OK) {
        size_t lhs = (size_t)(tilde - model), n = strlen(model) + 2;
        char *rhs = lr_mem_alloc(n);
        if (!rhs) {
            rc = lr_error_nomem(err);
        } else {
            /* "log(y) ~ x" → "0      ~ x"; "~ x" → "0~ x" */
            snprintf(rhs, n, "0%s", lhs ? model + 1 : model);
            memset(rhs + 1, ' ', lhs ? lhs - 1 : 0);
            if (json_object_get(root, "fixed_effects"))
                rhs[before_bar(rhs)] = '\0';
            rc = check_formula(rhs, "formula", cols, ncols, vars, path, err);
            lr_mem_free(rhs, n);
        }
    }
    lr_mem_free(cols, (ncols ? ncols : 1) * sizeof *cols);
    return rc;
}

int lr_model_check(const void *root, const char *path, size_t p, size_t rank, lr_error *err)
{
    int rc = check_numbers(root, path, p, rank, err);
    if (rc == LR_OK)
        rc = check_statistics(root, path, err);
    if (rc == LR_OK)
        rc = check_se_factor(root, path, err);
    if (rc == LR_OK)
        rc = check_formulas(root, path, err);
    return rc;
}
