/*
 * predict.c — predictions from a saved model (model.h) for the rows of new
 * data.
 *
 * Prediction rebuilds the model frame on the new data's header from a
 * formula that lists every variable in its original order and then the
 * terms ("0 ~ a + b - a - b + a + b:a"), so that variables, terms and
 * coefficient names come out exactly as in the fit; column types and levels
 * come from the model, never from the new data. Intervals as R's predict.lm:
 *   se = √(xᵀ V x) σ, confidence: ŷ ∓ t se, prediction: ŷ ∓ t √(se² + σ²),
 * t the (1 + level)/2 quantile with the residual degrees of freedom.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "byte_source.h"
#include "model.h"
#include "stats.h"

/* The model's levels of variable v (1-based in the frame) into the frame:
 * LR_EDATA when they are not of its column's type. */
static int set_levels(const lr_model *m, lr_frame *f, size_t v, lr_error *err)
{
    const lr_model_var *x = &m->vars[v - 1];
    int text = lr_frame_var_text_levels(f, v);
    if (x->nlevels > 0 && x->kind != (text ? LR_LEVELS_TEXT : LR_LEVELS_NUMBER))
        return lr_error_set(err, LR_EDATA,
                            "%s: not a valid linreg model file: \"levels\" holds a value of the "
                            "wrong type",
                            m->path);
    for (size_t r = 0; r < x->nlevels; r++) {
        int rc = text ? lr_frame_add_level(f, v, x->level[r].s, x->level[r].n, 0, err)
                      : lr_frame_add_level(f, v, NULL, 0, x->level_x[r], err);
        if (rc)
            return rc;
    }
    return LR_OK;
}

/* The frame's variables and coefficient names against the model's. */
static int check_frame(const lr_model *m, lr_frame *f, lr_error *err)
{
    const lr_formula *fm = lr_frame_formula(f);
    int rc;
    if (m->nvars + 1 != fm->nvars)
        return lr_error_set(err, LR_EDATA,
                            "%s: the model file's variables do not match its "
                            "formula",
                            m->path);
    for (size_t v = 1; v < fm->nvars; v++) {
        const lr_model_var *x = &m->vars[v - 1];
        if (fm->vars[v].basis && x->basis)
            lr_frame_set_basis(f, v, x->basis);
        if (x->factor != (lr_frame_var_levels(f, v) != NULL) ||
            (x->factor && x->kind == LR_LEVELS_ABSENT))
            return lr_error_set(err, LR_EDATA, "%s: variable %s is %s in the model file", m->path,
                                fm->vars[v].label, x->factor ? "a factor" : "numeric");
        if (x->factor && (rc = set_levels(m, f, v, err)))
            return rc;
    }
    lr_model_columns mc;
    /* C(g, sum), C(g, helmert): their columns coded from the saved levels */
    if ((rc = lr_frame_code_saved_contrasts(f, err)) || (rc = lr_frame_model(f, &mc, err)))
        return rc;
    /* with fixed effects the intercept is among them, not a coefficient */
    size_t icpt = mc.intercept && !m->fe ? 1 : 0;
    if (mc.q + icpt != m->p)
        return lr_error_set(err, LR_EDATA,
                            "%s: the model file's coefficients do not match its "
                            "formula",
                            m->path);
    for (size_t j = 0; j < mc.q; j++)
        if (strcmp(mc.names[j], m->names[j + icpt].s))
            return lr_error_set(err, LR_EDATA,
                                "%s: coefficient %zu is '%s' in the model file but "
                                "'%s' when rebuilt",
                                m->path, j + icpt + 1, m->names[j + icpt].s, mc.names[j]);
    return LR_OK;
}

/* The strings of a list, borrowed (out: l->n + 1 entries, caller's). */
static void list_strings(const lr_model_list *l, const char **out)
{
    for (size_t i = 0; i < l->n; i++)
        out[i] = l->s[i].s;
}

/* The frame of the model on the new data's header: types and levels from the
 * model; the coefficient names must come out as saved. */
static int predict_frame(const lr_model *m, const lr_csv_row *hdr, const char *name, lr_frame **out,
                         lr_error *err)
{
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = m->prediction.s;
    opt.method = LR_METHOD_INVERSE; /* the kernel is irrelevant: nothing is accumulated */
    lr_frame *f = NULL;
    /* every column the predictors read, by name (the response need not be there) */
    for (size_t i = 0; i < m->predictors.n; i++) {
        const char *c = m->predictors.s[i].s;
        size_t j = 0;
        for (; j < hdr->nfields; j++) {
            const char *nm;
            size_t n;
            lr_frame_header_name(&hdr->fields[j], &nm, &n);
            if (n == strlen(c) && !memcmp(nm, c, n))
                break;
        }
        if (j == hdr->nfields)
            return lr_error_set(err, LR_EDATA,
                                "%s: no column named '%s', which the model (%s) "
                                "needs",
                                name, c, m->formula.s);
    }
    /* missing-value spellings: the fit's and lr_model_add_na_strings' */
    const char *na_list[LR_MODEL_MAX_NA_STRINGS];
    list_strings(&m->na_strings, na_list);
    opt.n_na_strings = m->na_strings.n;
    opt.na_strings = na_list;
    int rc = lr_frame_create(hdr, name, &opt, &f, err);
    if (rc == LR_EUSAGE) {
        /* the frame's message, copied: it is the destination's own buffer */
        char why[sizeof err->message];
        memcpy(why, err->message, sizeof why);
        return lr_error_set(err, LR_EDATA, "%s: the data do not have the model's columns: %s", name,
                            why);
    }
    if (rc)
        return rc;
    /* column types: categorical as saved (not as the formula's factor()
     * would make them: the saved levels say whether they are numbers);
     * logical columns: T and TRUE are the level TRUE (absent before: none) */
    size_t ncat = m->categorical.n, nlog = m->logical.n;
    const char **names = lr_mem_calloc(ncat + nlog + 1, sizeof(char *));
    if (!names) {
        lr_frame_free(f);
        return lr_error_nomem(err);
    }
    list_strings(&m->categorical, names);
    list_strings(&m->logical, names + ncat);
    lr_frame_set_column_types(f, names, ncat, names + ncat, nlog);
    lr_mem_free(names, (ncat + nlog + 1) * sizeof(char *));
    /* the first-chunk machinery decides the rest from no rows: numeric */
    if ((rc = lr_frame_end_first(f, err)) || (rc = check_frame(m, f, err))) {
        lr_frame_free(f);
        return rc;
    }
    *out = f;
    return LR_OK;
}

/* x'(X'X)^-1 x for the model row xf summed from the model file's (X'X)^-1,
 * for a file written before it kept se_factor. Its rounding is at most about
 * 2p u Σ|x_i||V_ij||x_j|; for columns far from zero for their spread and a
 * large condition number that exceeds the sum itself: then *noise = 1 and
 * se.fit has no certain digit (NA with the reason, not that noise). */
static double q_from_inverse(const lr_model *m, const double *xf, int *noise)
{
    size_t p = m->p;
    double q = 0, qabs = 0;
    for (size_t j = 0; j < p; j++) {
        if (m->aliased[j])
            continue;
        double s = 0, sa = 0;
        for (size_t i = 0; i < p; i++)
            if (!m->aliased[i]) {
                s += LR_AT(m->xtx_inv, p, i, j) * xf[i];
                sa += fabs(LR_AT(m->xtx_inv, p, i, j) * xf[i]);
            }
        q += xf[j] * s;
        qabs += fabs(xf[j]) * sa;
    }
    *noise = !(q > (double)(2 * p + 2) * (DBL_EPSILON / 2) * qabs);
    return q;
}

int lr_predict_csv(const lr_model *m, const char *path, lr_interval interval, double level,
                   void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err)
{
    return lr_predict_csv_files(m, &path, 1, interval, level, row_cb, ud, err);
}

int lr_predict_csv_files(const lr_model *m, const char *const *paths, size_t n,
                         lr_interval interval, double level,
                         void (*row_cb)(void *ud, const lr_prediction *p), void *ud, lr_error *err)
{
    if (!(level > 0 && level < 1))
        return lr_error_set(err, LR_EUSAGE, "confidence level %g is not between 0 and 1", level);
    if (m->fe && interval != LR_INTERVAL_NONE)
        return lr_error_set(err, LR_EUSAGE,
                            "--interval is not available with fixed effects: the model file "
                            "does not hold the covariance of the estimated effects, which "
                            "the standard error of a prediction needs (fixest's predict has "
                            "no se.fit either)");
    if (lr_blas_room(1) == 0) /* OpenBLAS would retry its buffer forever */
        return lr_error_nomem(err);
    lr_csv *csv = NULL;
    lr_frame *f = NULL;
    lr_csv_row row;
    int has = 0, rc;
    double *x = NULL, *xf = NULL, *colval = NULL; /* colval: lr_frame_eval_row's scratch */
    size_t p = m->p, nscratch = 0;
    lr_csv_options copt = {0, m->max_line};
    lr_source *src = NULL; /* several files: read as one, their lines told apart */
    if ((rc = lr_source_open_files(paths, n, m->max_line, 0, &src, err)) ||
        (rc = lr_csv_open_source(src, &copt, &csv, err)) ||
        (rc = lr_csv_next(csv, &row, &has, err)))
        goto done;
    if (!has) {
        rc = lr_error_set(err, LR_EDATA, "%s: empty file (no header row)", lr_csv_name(csv));
        goto done;
    }
    size_t fe_cols[LR_FE_MAX];
    lr_error fe_note; /* why a row is NA for its fixed effects */
    if ((rc = predict_frame(m, &row, lr_csv_name(csv), &f, err)) ||
        (m->fe && (rc = lr_fe_model_columns(m->fe, &row, lr_csv_name(csv), fe_cols, err))))
        goto done;
    x = lr_mem_calloc(p, sizeof(double));
    xf = lr_mem_calloc(2 * p, sizeof(double)); /* and lr_model_se_quad's work */
    if (!x || !xf) {
        rc = lr_error_nomem(err);
        goto done;
    }
    size_t icpt = lr_frame_formula(f)->intercept && !m->fe ? 1 : 0;
    nscratch = lr_frame_eval_scratch(f);
    if (!(colval = lr_mem_calloc(nscratch ? nscratch : 1, sizeof(double)))) {
        rc = lr_error_nomem(err);
        goto done;
    }
    double tq = lr_stats_t_quantile_upper((1 - level) / 2, m->df);
    for (;;) {
        if ((rc = lr_csv_next(csv, &row, &has, err)) || !has)
            break;
        double y, w, fe_sum = 0;
        int use = 0, got = 1;
        /* The fixed effects first: a row with a level missing, or one the
         * fit has no effect for, is NA (the latter with the reason), and its
         * left-hand columns are not read (with "y ~ . | firm" the left-hand
         * frame holds firm as well, and would refuse the level as a factor
         * level never seen). */
        if (m->fe)
            got = lr_fe_model_row(m->fe, fe_cols, &row, lr_csv_name(csv), &fe_sum, &fe_note);
        rc = got <= 0 ? LR_OK : lr_frame_eval_row(f, colval, &row, x, &y, &w, &use, err);
        lr_prediction pr = {row.line,
                            use == 1 && got == 1,
                            (double)NAN,
                            (double)NAN,
                            (double)NAN,
                            (double)NAN,
                            NULL,
                            NULL,
                            0};
        lr_source_locate(src, row.line, &pr.file, &pr.line);
        if (got == -1) {
            lr_source_relocate_error(src, &fe_note); /* several files: name the one */
            pr.note = fe_note.message;
        }
        if (rc)
            lr_source_relocate_error(src, err);
        if (rc == LR_EVALUE && use == -1) {
            /* a term not finite for this row (log(0)): NA, as R's predict
             * gives -Inf or NaN there, with the reason */
            pr.note = err->message;
            rc = LR_OK;
        } else if (rc)
            break;
        if (pr.ok) {
            pr.beyond_knots = lr_frame_beyond_knots(f, colval);
            if (icpt)
                xf[0] = 1;
            memcpy(xf + icpt, x, (p - icpt) * sizeof(double));
            double fit = 0, q;
            for (size_t j = 0; j < p; j++)
                if (!m->aliased[j])
                    fit += m->beta[j] * xf[j];
            int q_noise = 0;
            /* ‖T⁻ᵀ(x − μ)‖² + 1/W: a sum of squares (model_se_factor.c) */
            q = m->se_tri ? lr_model_se_quad(m, xf, xf + p) : q_from_inverse(m, xf, &q_noise);
            /* R's predict.lm adds the offset evaluated on the new data */
            fit += lr_frame_eval_offset(f, colval);
            pr.fit = fit + fe_sum;
            /* with fixed effects: NA, as the effects' own variance is not known */
            pr.se_fit = m->fe || q_noise ? (double)NAN : m->sigma * sqrt(q);
            if (q_noise && !m->fe && !pr.note)
                pr.note = "the standard error of a prediction has no certain digit here: "
                          "x'(X'X)^-1 x cancels in double precision (columns far from zero "
                          "for their spread, a large condition number) and the model file, "
                          "written before linreg kept a factor for it, has no other way; "
                          "saving the model again with this version avoids it";
            if (interval == LR_INTERVAL_CONFIDENCE) {
                pr.lwr = fit - tq * pr.se_fit;
                pr.upr = fit + tq * pr.se_fit;
            } else if (interval == LR_INTERVAL_PREDICTION) {
                double sp = sqrt(pr.se_fit * pr.se_fit + m->sigma * m->sigma);
                pr.lwr = fit - tq * sp;
                pr.upr = fit + tq * sp;
            }
        }
        row_cb(ud, &pr);
    }
    /* predictions of a file cut or written while it was read are not all */
    if (rc == LR_OK)
        rc = lr_source_check(lr_csv_source(csv), err);
done:
    if (rc && csv)
        lr_source_relocate_error(lr_csv_source(csv), err);
    lr_mem_free(x, p * sizeof(double));
    lr_mem_free(xf, 2 * p * sizeof(double));
    lr_mem_free(colval, (nscratch ? nscratch : 1) * sizeof(double));
    lr_frame_free(f);
    lr_csv_free(csv);
    return rc;
}
