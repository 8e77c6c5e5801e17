/*
 * fit.c — the pipeline: CSV reader → model frame → accumulator → solver →
 * statistics, and the lr_fit object that holds the result.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "accumulator.h"
#include "diagnostics.h"
#include "extended.h"
#include "fe_model.h"
#include "fit_offset.h"
#include "fixed_effects.h"
#include "model.h"
#include "options.h"
#include "ingest.h"
#include "inference.h"
#include "model_frame.h"
#include "solver.h"
#include "stats.h"

struct lr_fit {
    lr_summary summary; /* model-level statistics; string members point into this object */
    size_t p;           /* coefficients */
    lr_coef *coefs;     /* p entries; names point to names[] */
    char **names;       /* coefficient names (owned), p entries */
    double *xtx_inv;    /* (XᵀX)⁻¹, p × p, ld p */
    char *response;     /* response label (owned) */
    char *source;       /* data display name (owned) */
    char *model;        /* the model formula (owned) */
    char *weights;      /* weights column (owned), or NULL */
    char *cluster;      /* CL: the cluster columns (owned), or NULL */
    char **notes;       /* notes (owned), nnotes entries */
    size_t nnotes;      /* their number */
    lr_diag_result diag; /* the second pass's results (plot points) */
    lr_model *saved;    /* the model lr_fit_save writes (keep_model), or NULL */
    lr_fit_inference inf; /* terms and the ANOVA table (inference.h) */
};

void lr_fit_free(lr_fit *fit)
{
    if (!fit)
        return;
    if (fit->names)
        for (size_t j = 0; j < fit->p; j++)
            lr_mem_strfree(fit->names[j]);
    lr_mem_free(fit->names, fit->p * sizeof(char *));
    lr_mem_free(fit->coefs, fit->p * sizeof(lr_coef));
    lr_mem_free(fit->xtx_inv, fit->p * fit->p * sizeof(double));
    lr_mem_strfree(fit->response);
    lr_mem_strfree(fit->source);
    lr_mem_strfree(fit->model);
    lr_mem_strfree(fit->weights);
    lr_mem_strfree(fit->cluster);
    for (size_t i = 0; i < fit->nnotes; i++)
        lr_mem_strfree(fit->notes[i]);
    lr_mem_free(fit->notes, fit->nnotes * sizeof(char *));
    lr_diag_result_free(&fit->diag);
    lr_model_free(fit->saved);
    lr_inference_free(&fit->inf);
    lr_mem_free(fit, sizeof *fit);
}

const lr_summary *lr_fit_summary(const lr_fit *fit) { return &fit->summary; }
const lr_fit_inference *lr_fit_inference_get(const lr_fit *fit)
{
    return &fit->inf;
}

void lr_fit_vcov(const lr_fit *fit, double *out, size_t ld)
{
    size_t p = fit->p;
    double s2 = fit->summary.sigma * fit->summary.sigma;
    int none = fit->summary.ridge > 0;
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            LR_AT(out, ld, i, j) = none             ? (double)NAN
                                   : fit->diag.vcov ? LR_AT(fit->diag.vcov, p, i, j)
                                                    : s2 * LR_AT(fit->xtx_inv, p, i, j);
}
size_t lr_fit_nnotes(const lr_fit *fit) { return fit->nnotes; }

/* What lr_fit_save and lr_fit_save_to say of a fit made without keep_model. */
static int not_saveable(lr_error *err)
{
    return lr_error_set(err, LR_EUSAGE,
                        "only fits made by lr_fit_csv with keep_model = 1 can be saved");
}

int lr_fit_save(const lr_fit *fit, const char *path, lr_error *err)
{
    return fit->saved ? lr_model_save(fit->saved, path, err) : not_saveable(err);
}

int lr_fit_save_to(const lr_fit *fit, lr_output *o, lr_error *err)
{
    return fit->saved ? lr_model_write(fit->saved, o, err) : not_saveable(err);
}

/* The model lr_fit_save writes: the frame's description, the fit's results,
 * the statistics acc; with absorbed fixed effects (fe) their estimates. On
 * failure the fit is freed. */
static int keep_model(lr_fit *fit, const lr_frame *frame, const lr_accum *acc, const lr_fe *fe,
                      lr_error *err)
{
    const lr_summary *s = &fit->summary;
    lr_model_result r = {s->model, s->response, s->intercept,   s->weights,  s->method,
                         s->n,     s->rank,     s->df_residual, s->sigma,    fit->p,
                         fit->coefs, fit->xtx_inv, fit->p};
    int rc = lr_model_create(frame, &r, acc, &fit->saved, err);
    if (rc == LR_OK && fe)
        rc = lr_fe_model_from_fe(fe, fit->p, fit->coefs, &fit->saved->fe, err);
    if (rc)
        lr_fit_free(fit);
    return rc;
}

size_t lr_fit_plot_points(const lr_fit *fit, const double **fitted, const double **std_resid,
                          const double **sorted_std_resid)
{
    *fitted = fit->diag.pf;
    *std_resid = fit->diag.pr;
    *sorted_std_resid = fit->diag.psorted;
    return fit->diag.np;
}
const double *lr_fit_plot_residuals(const lr_fit *fit) { return fit->diag.pe; }
size_t lr_fit_small_residuals(const lr_fit *fit, const double **resid, const uint64_t **row)
{
    *resid = fit->diag.few;
    *row = fit->diag.few_row;
    return fit->diag.few ? fit->diag.nfew : 0;
}
const char *lr_fit_note(const lr_fit *fit, size_t i) { return fit->notes[i]; }

/* Append a note (printf-style). LR_OK or LR_ENOMEM. */
static int add_note(lr_fit *fit, lr_error *err, const char *fmt, ...) LR_PRINTF(3, 4);
static int add_note(lr_fit *fit, lr_error *err, const char *fmt, ...)
{
    char buf[LR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *copy = lr_mem_strdup(buf);
    if (!copy)
        return lr_error_nomem(err);
    char **n = lr_mem_realloc(fit->notes, fit->nnotes * sizeof(char *),
                              (fit->nnotes + 1) * sizeof(char *));
    if (!n) {
        lr_mem_strfree(copy);
        return lr_error_nomem(err);
    }
    fit->notes = n;
    n[fit->nnotes++] = copy;
    return LR_OK;
}
size_t lr_fit_ncoef(const lr_fit *fit) { return fit->p; }
const lr_coef *lr_fit_coef(const lr_fit *fit, size_t j) { return &fit->coefs[j]; }

const double *lr_fit_xtx_inverse(const lr_fit *fit, size_t *ld)
{
    *ld = fit->p;
    return fit->xtx_inv;
}

/* Prefix err's message with "source: " (solver messages have no place of their own). */
static int with_source(lr_error *err, const char *source, int rc)
{
    if (err && source) {
        char msg[LR_ERROR_MAX];
        memcpy(msg, err->message, sizeof msg);
        lr_error_set(err, rc, "%s: %s", source, msg);
    }
    return rc;
}

/* What fit_from_accum needs to know about the model besides the statistics. */
typedef struct model_desc {
    const lr_model_spec *spec; /* columns and penalty */
    const char *response;      /* the response's label */
    const char *formula;       /* the model as a formula */
    const char *weights;       /* weights column or NULL */
    const char *source;        /* data display name or NULL */
    uint64_t n_dropped;        /* rows omitted for missing values */
    uint64_t n_zero_weight;    /* rows of weight 0 */
    lr_frame *frame;           /* the frame, for a second pass; NULL if none is possible */
    lr_source *input;          /* the data, kept open for a second pass (NULL: none) */
    char delimiter;            /* its delimiter */
    lr_fe *fe;                 /* absorbed fixed effects, or NULL */
    lr_vcov fe_vcov;           /* the covariance asked for with them */
} model_desc;

/* Extended precision is used when fewer than this many digits are expected
 * in double precision, and the second pass costs at most LR_EXTENDED_WORK
 * multiply-adds (n × (p + 2)²): about a second of CPU, 40–75 ns a
 * multiply-add in MPFR at 256 bits whatever the width — measured for issue
 * 20 (docs/accuracy.md), where a wide model (p = 1,000 needs 10⁹) stays out. */
#define LR_EXTENDED_DIGITS 14.0
#define LR_EXTENDED_WORK 2e7

/* What a user should know about the fit: aliasing, precision, warnings. */
static int fit_notes(lr_fit *fit, const lr_solution *sol, const lr_fe *fe, lr_error *err)
{
    const lr_summary *s = &fit->summary;
    int rc;
    size_t naliased = 0;
    char why[128];
    lr_digits_risk(sol, s->condition_number, why, sizeof why);
    for (size_t i = 0; fe && i < lr_fe_nnotes(fe); i++) /* what was absorbed, first */
        if ((rc = add_note(fit, err, "%s", lr_fe_note(fe, i))))
            return rc;
    for (size_t j = 0; j < sol->p; j++)
        naliased += sol->aliased[j];
    if (naliased) {
        rc = add_note(fit, err, "%zu coefficient%s not defined because of singularities (aliased, "
                      "as R reports NA):", naliased, naliased == 1 ? " is" : "s are");
        if (rc)
            return rc;
        for (size_t j = 0; j < sol->p; j++)
            if (sol->aliased[j] && (rc = add_note(fit, err, "  %s", sol->depends[j])))
                return rc;
    }
    if (s->extended_bits > 0 &&
        (rc = add_note(fit, err, "recomputed in %d-bit arithmetic from the decimal text of the "
                       "data (digits were at risk in double precision: %s)",
                       s->extended_bits, why)))
        return rc;
    if (!(sol->tss > 0) && (rc = add_note(fit, err, "the response is constant in the rows used: "
                                         "R-squared is undefined (0/0)")))
        return rc;
    if (s->digits < 6 && (rc = add_note(fit, err, "warning: only about %.0f significant digits "
                                        "of these results can be trusted (%s)", floor(s->digits),
                                        why)))
        return rc;
    if (sol->no_se && !(s->ridge > 0) &&
        (rc = add_note(fit, err, "the model is rank deficient: --method svd gives the "
                       "minimum-norm coefficients, which are not identifiable one by one, so no "
                       "standard errors or tests are given")))
        return rc;
    return LR_OK;
}

/*
 * What needs the residuals cannot have its second pass. What the user asked
 * for by name (an HC covariance, per-row residuals, plot points) and did not
 * get is an error: a report with classical standard errors under a request
 * for HC3 would be a silently different statistic. The residual quantiles
 * of the text summary, which nobody asked for by name, are left out with a
 * warning (a note starting "warning: ", which the command also prints on
 * stderr). Ridge fits have no second pass by design: a note, and only when
 * something was asked for.
 */
static int diag_declined(const lr_fit_options *opt, const model_desc *md, const char *again_why,
                         char *note, size_t size, lr_error *err)
{
    const lr_model_spec *spec = md->spec;
    int asked = opt->vcov != LR_VCOV_CLASSICAL || opt->residual_row || opt->plot_points > 0;
    if (spec->ridge > 0) {
        if (asked)
            snprintf(note, size,
                     "residual diagnostics and robust covariances are not computed "
                     "for ridge fits");
        return LR_OK;
    }
    if (!md->frame) {
        snprintf(note, size,
                 "residual diagnostics and robust covariances are not available for "
                 "statistics accumulated by the caller");
        return LR_OK;
    }
    if (!asked) {
        snprintf(note, size,
                 "warning: the residual quantiles were not computed: %s %s; give a "
                 "file instead of a pipe, or a writable TMPDIR",
                 md->source, again_why);
        return LR_OK;
    }
    char what[160] = "";
    size_t o = 0;
    if (opt->vcov != LR_VCOV_CLASSICAL)
        o += (size_t)snprintf(what + o, sizeof what - o, "the %s covariance",
                              opt->vcov == LR_VCOV_HC0   ? "HC0"
                              : opt->vcov == LR_VCOV_HC1 ? "HC1"
                              : opt->vcov == LR_VCOV_HC2 ? "HC2"
                                                         : "HC3");
    if (opt->residual_row && o < sizeof what)
        o += (size_t)snprintf(what + o, sizeof what - o, "%sthe per-row residuals", o ? ", " : "");
    if (opt->plot_points > 0 && o < sizeof what)
        snprintf(what + o, sizeof what - o, "%sthe plot points", o ? ", " : "");
    return lr_error_set(err, LR_EIO,
                        "%s: cannot compute %s: a second reading of the data is "
                        "needed, and %s %s; give a file instead of a pipe, or a writable TMPDIR",
                        md->source, what, md->source, again_why);
}

/* Absorbed fixed effects (fixed_effects.h): the dummies' model's rank and
 * sums of squares, its HC covariance into diag, --fe-out; a note when auto
 * would have recomputed in extended precision, which reads the text. */
static int fe_finish(lr_fe *fe, lr_solution *sol, const lr_fit_options *opt,
                     lr_diag_result *diag, char *note, size_t size, lr_error *err)
{
    if (opt->method == LR_METHOD_AUTO && sol->digits < LR_EXTENDED_DIGITS)
        snprintf(note, size, "extended precision is not used with absorbed fixed effects; about "
                 "%.0f digits can be trusted", floor(sol->digits));
    int rc = lr_fe_finish(fe, sol, opt->vcov, &diag->vcov, err);
    if (!rc && opt->vcov == LR_VCOV_CL)
        rc = lr_fe_cluster_vcov(fe, sol, opt->cluster, &diag->vcov, diag->n_clusters,
                                &diag->n_negative, err);
    diag->p = diag->vcov ? sol->p : 0;
    return rc ? rc : opt->fe_out ? lr_fe_write(fe, sol, opt->fe_out, err) : LR_OK;
}

/* CL: a warning naming the coefficients whose clustered variance is zero to
 * rounding (vcov_cluster.c), and why their inference and the Wald F are NA. */
static int cl_zero_note(lr_fit *fit, lr_error *err)
{
    char names[LR_ERROR_MAX / 2] = "";
    size_t used = 0, n = fit->diag.n_zero;
    for (size_t j = 0; j < fit->p && used < sizeof names; j++)
        if (fit->diag.cl_zero[j]) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                             fit->names[j]);
            used += w > 0 ? (size_t)w : 0;
        }
    return add_note(fit, err,
                    "warning: %s: %s clustered variance is zero to rounding: the clusters are "
                    "nested in %s, so each cluster's residuals sum to zero; %s standard "
                    "error%s, t, p and interval%s are NA (R's vcovCL gives rounding noise), and "
                    "so is the Wald F, whose slopes' covariance is singular",
                    names, n == 1 ? "its" : "their", n == 1 ? "this term" : "these terms",
                    n == 1 ? "its" : "their", n == 1 ? "" : "s", n == 1 ? "" : "s");
}

static int fit_from_accum(const lr_accum *acc, const model_desc *md, const lr_fit_options *opt,
                          lr_fit **out, lr_error *err)
{
    lr_solution sol;
    int rc;
    const lr_model_spec *spec = md->spec;
    *out = NULL;

    uint64_t nobs = lr_accum_nobs(acc);
    /* The final solve on one BLAS thread, whatever -t says: OpenBLAS's
     * threaded kernels (dpotri's dlauum and dtrtri, dgemv, the dgemm of a
     * block reflector) split their sums by the thread count, so a solve of
     * 128 coefficients or more on -t threads gave different last bits for
     * -t 1, 2 and 4 (found on a 300-level factor: 103 of 602 estimates and
     * standard errors differed by up to 3e-16 relative), breaking the
     * promise that results do not depend on the thread count. Small solves
     * were on one thread already: OpenBLAS's helpers busy-wait about 0.1 s
     * after a call and take a core from the second pass. */
    int blas_threads = lr_blas_threads(1);
    /* one call with no steps inside: a display shows the time it takes */
    lr_progress_send(opt->progress, opt->progress_ud, "solving", "coefficients", 0,
                     spec->q + (spec->intercept ? 1u : 0u), 0);
    rc = lr_solve(acc, spec, opt->method, &sol, err);
    lr_blas_threads(blas_threads);
    if (rc)
        return with_source(err, md->source, rc);

    /* Why the data cannot be read a second time, or NULL. */
    const char *again_why =
        !md->input ? "was not kept for a second reading" : lr_source_again_why(md->input);
    /* auto: when the condition number puts digits at risk, recompute in
     * extended precision from the decimal text (a second pass). */
    char ext_note[LR_ERROR_MAX] = "";
    if (opt->method == LR_METHOD_AUTO && !(spec->ridge > 0) && sol.digits < LR_EXTENDED_DIGITS &&
        !md->fe) {
        double width = (double)(spec->q + 3);
        if (!md->frame) {
            snprintf(ext_note, sizeof ext_note, "extended precision was not used: the statistics "
                     "were accumulated by the caller, not read from a file");
        } else if (again_why) {
            snprintf(ext_note, sizeof ext_note,
                     "extended precision was declined: %s %s; about "
                     "%.0f digits can be trusted; give a file instead of a pipe, or a writable "
                     "TMPDIR, to get every digit",
                     md->source, again_why, floor(sol.digits));
        } else if ((double)nobs * width * width > LR_EXTENDED_WORK) {
            snprintf(ext_note, sizeof ext_note, "extended precision was not used: the data are "
                     "too large for the second pass (n (p + 2)^2 > %.0g); about %.0f digits can "
                     "be trusted", LR_EXTENDED_WORK, floor(sol.digits));
        } else {
            /* 2 log₂ κ bits are lost to the normal equations; keep 160 beyond that. */
            double kappa = sol.rcond > 0 ? 1.0 / sol.rcond : 1e17;
            if (kappa < 1e17 && sol.rank < sol.p)
                kappa = 1e17; /* columns aliased in double may be resolvable: room for them */
            double bits = 160.0 + 2.0 * log2(kappa > 1 ? kappa : 1);
            if (bits < 256)
                bits = 256;
            if (bits > 4096)
                bits = 4096;
            lr_solution ext;
            rc = lr_extended_fit(md->input, md->delimiter, md->frame, spec, acc, (mpfr_prec_t)bits,
                                 opt, &ext, err);
            if (rc) {
                lr_solution_free(&sol);
                return rc;
            }
            ext.rcond = sol.rcond;
            ext.digits_by_rss = sol.digits_by_rss;
            lr_solution_free(&sol);
            sol = ext;
        }
    }

    /* offset(): R's mss counts the offset in the fitted values (fit_offset.c) */
    if (md->frame && lr_frame_offset_col(md->frame) != SIZE_MAX)
        sol.mss = lr_offset_mss(acc, spec, &sol, lr_frame_offset_col(md->frame));
    lr_fit *fit = NULL;
    if ((rc = lr_solution_check_range(&sol, spec->ridge > 0, spec->intercept, md->source, err)))
        goto fail;
    if (!(fit = lr_mem_calloc(1, sizeof *fit))) {
        rc = lr_error_nomem(err);
        goto fail;
    }

    /* A second pass for what needs the residuals. */
    char diag_note[LR_ERROR_MAX] = "";
    int want_diag = opt->vcov != LR_VCOV_CLASSICAL || opt->residual_summary || opt->residual_row ||
                    opt->plot_points > 0;
    if (md->fe) {
        if ((rc = fe_finish(md->fe, &sol, opt, &fit->diag, diag_note, sizeof diag_note, err)))
            goto fail;
    } else if (want_diag && md->frame && (!again_why || lr_frame_rows_fd(md->frame) >= 0) &&
        !(spec->ridge > 0)) {
        lr_diag_request req = {opt->vcov,        opt->residual_summary, opt->residual_row,
                               opt->residual_ud, opt->plot_points,      opt->threads,
                               opt->hac_lag,     opt->cluster,          opt->progress,
                               opt->progress_ud};
        if ((rc = lr_diagnostics(md->input, md->delimiter, md->frame, spec, &sol, nobs, &req,
                                 &fit->diag, err)))
            goto fail;
        if (fit->diag.n_one > 0 && (opt->vcov == LR_VCOV_HC2 || opt->vcov == LR_VCOV_HC3))
            lr_diag_one_note(&fit->diag, opt->vcov == LR_VCOV_HC2 ? "HC2" : "HC3", diag_note,
                             sizeof diag_note);
    } else if (want_diag &&
               (rc = diag_declined(opt, md, again_why, diag_note, sizeof diag_note, err))) {
        goto fail;
    }
    char cl_note[LR_ERROR_MAX] = "";
    if (fit->diag.n_negative > 0)
        lr_diag_negative_note(&fit->diag, cl_note, sizeof cl_note);
    fit->p = sol.p;
    fit->coefs = lr_mem_calloc(sol.p, sizeof(lr_coef));
    fit->names = lr_mem_calloc(sol.p, sizeof(char *));
    fit->response = lr_mem_strdup(md->response);
    fit->source = lr_mem_strdup(md->source ? md->source : "");
    fit->model = lr_mem_strdup(md->formula);
    fit->weights = md->weights ? lr_mem_strdup(md->weights) : NULL;
    if (!fit->coefs || !fit->names || !fit->response || !fit->source || !fit->model ||
        (md->weights && !fit->weights)) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    for (size_t j = 0; j < sol.p; j++) {
        const char *nm = spec->intercept ? (j == 0 ? "(Intercept)" : spec->names[j - 1])
                                         : spec->names[j];
        if (!(fit->names[j] = lr_mem_strdup(nm))) {
            rc = lr_error_nomem(err);
            goto fail;
        }
    }
    /* with fixed effects, lm's intercept is among the dummies */
    lr_stats_compute(&sol, nobs, lr_accum_sum_log_weight(acc), spec->intercept || md->fe,
                     spec->ridge > 0, opt->level, fit->diag.vcov, fit->coefs, &fit->summary);
    fit->summary.vcov = fit->diag.vcov ? opt->vcov : LR_VCOV_CLASSICAL;
    fit->summary.hac_lag = fit->summary.vcov == LR_VCOV_HAC ? opt->hac_lag : 0;
    if (fit->summary.vcov == LR_VCOV_CL) {
        if (!(fit->cluster = lr_mem_strdup(opt->cluster))) {
            rc = lr_error_nomem(err);
            goto fail;
        }
        fit->summary.cluster = fit->cluster;
        memcpy(fit->summary.n_clusters, fit->diag.n_clusters, sizeof fit->diag.n_clusters);
    }
    if (fit->diag.has_q) {
        fit->summary.has_quantiles = 1;
        memcpy(fit->summary.residual_quantiles, fit->diag.q, sizeof fit->diag.q);
        fit->summary.quantile_error = fit->diag.q_err;
    }
    for (size_t j = 0; j < sol.p; j++)
        fit->coefs[j].name = fit->names[j];
    fit->summary.response = fit->response;
    fit->summary.source = fit->source;
    fit->summary.model = fit->model;
    fit->summary.weights = fit->weights;
    fit->summary.ridge = spec->ridge;
    fit->summary.ridge_scale = spec->ridge_scale;
    fit->summary.n_dropped = md->n_dropped;
    fit->summary.n_zero_weight = md->n_zero_weight;
    fit->summary.method = opt->method;
    /* The solution's (XᵀX)⁻¹ moves into the fit. */
    fit->xtx_inv = sol.xtx_inv;
    sol.xtx_inv = NULL;
    if ((rc = fit_notes(fit, &sol, md->fe, err)) ||
        (ext_note[0] && (rc = add_note(fit, err, "%s", ext_note))) ||
        (diag_note[0] && (rc = add_note(fit, err, "%s", diag_note))) ||
        (cl_note[0] && (rc = add_note(fit, err, "%s", cl_note))) ||
        (fit->diag.n_zero > 0 && (rc = cl_zero_note(fit, err))))
        goto fail;
    /* the Wald F needs the slopes' covariance positive definite, which a
     * two-way clustered one need not be (R's waldtest inverts it anyway) */
    if (fit->summary.vcov == LR_VCOV_CL && !md->fe && fit->diag.n_negative == 0 &&
        fit->diag.n_zero == 0 &&
        isnan(fit->summary.f_statistic) && fit->summary.f_df1 > 0 &&
        (rc = add_note(fit, err, "warning: the Wald F is NA: the clustered covariance of the "
                                 "slopes is not positive definite")))
        goto fail;
    lr_solution_free(&sol);
    *out = fit;
    return LR_OK;

fail:
    lr_solution_free(&sol);
    lr_fit_free(fit);
    return rc;
}

/* The terms, and the ANOVA table when asked for; on failure the fit is freed. */
static int fit_inference(lr_fit *fit, const lr_accum *acc, const lr_model_spec *spec,
                         const size_t *term, const char *const *labels, size_t nterms,
                         const lr_fit_options *opt, lr_error *err)
{
    int rc = lr_inference_set_terms(&fit->inf, spec->q, spec->intercept, term, nterms, labels, err);
    if (rc == LR_OK && opt->anova) {
        unsigned char *aliased = lr_mem_calloc(fit->p ? fit->p : 1, 1);
        if (!aliased)
            rc = lr_error_nomem(err);
        size_t kept = fit->p;
        for (size_t j = 0; aliased && j < fit->p; j++)
            kept -= (aliased[j] = (unsigned char)fit->coefs[j].aliased);
        /* svd's minimum-norm fit of a rank-deficient model marks no column
         * aliased: the sequential sums need to know which are */
        if (aliased && kept != fit->summary.rank)
            rc = lr_error_set(err, LR_EUSAGE,
                              "%s: the ANOVA table needs the aliased columns identified, which "
                              "--method svd does not do for a rank-deficient model (rank %zu "
                              "of %zu): use the default method",
                              fit->summary.source, fit->summary.rank, fit->p);
        else if (aliased)
            rc = lr_anova_compute(&fit->inf, acc, spec, aliased, fit->summary.rss,
                                  fit->summary.df_residual, err);
        lr_mem_free(aliased, fit->p ? fit->p : 1);
    }
    if (rc)
        lr_fit_free(fit);
    return rc;
}

int lr_fit_accum(const lr_accum *acc, const char *const *names, const lr_fit_options *opt,
                 uint64_t n_dropped, lr_fit **out, lr_error *err)
{
    int rc = lr_fit_options_check(opt, err);
    *out = NULL;
    if (rc)
        return rc;
    size_t q = lr_accum_ncols(acc) - 1;
    size_t *cols = lr_mem_calloc(q ? q : 1, sizeof(size_t));
    char *formula = NULL;
    size_t flen = 0;
    if (!cols)
        return lr_error_nomem(err);
    for (size_t j = 0; j < q; j++) {
        cols[j] = j + 1;
        flen += strlen(names[j + 1]) + 3;
    }
    flen += strlen(names[0]) + 8;
    formula = lr_mem_alloc(flen);
    if (!formula) {
        lr_mem_free(cols, (q ? q : 1) * sizeof(size_t));
        return lr_error_nomem(err);
    }
    /* "y ~ a + b" (or "y ~ 0 + a"), for the summary */
    size_t o = (size_t)snprintf(formula, flen, "%s ~ %s", names[0], opt->intercept ? "" : "0");
    for (size_t j = 0; j < q; j++)
        o += (size_t)snprintf(formula + o, flen - o, "%s%s",
                              (j || !opt->intercept) ? " + " : "", names[j + 1]);
    if (q == 0 && opt->intercept)
        snprintf(formula + o, flen - o, "1");
    lr_model_spec spec = {q, cols, names + 1, opt->intercept, opt->ridge, opt->ridge_scale};
    model_desc md = {&spec, names[0], formula, NULL, NULL, n_dropped,
                     0,     NULL,     NULL,    0,    NULL, LR_VCOV_CLASSICAL};
    rc = fit_from_accum(acc, &md, opt, out, err);
    /* one term per predictor */
    if (rc == LR_OK && (rc = fit_inference(*out, acc, &spec, NULL, names + 1, q, opt, err)))
        *out = NULL;
    lr_mem_free(formula, flen);
    lr_mem_free(cols, (q ? q : 1) * sizeof(size_t));
    return rc;
}

/* "y ~ x | firm + year": the model as given, or built from the columns and --absorb. */
static char *fe_formula(const lr_fit_options *opt, const lr_model_columns *mc,
                        const lr_fe_spec *fes)
{
    if (opt->formula && strchr(opt->formula, '|'))
        return lr_mem_strdup(opt->formula);
    char buf[4096];
    size_t o = (size_t)snprintf(buf, sizeof buf, "%s |", mc->formula);
    for (size_t f = 0; f < fes->nf && o < sizeof buf; f++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s %s", f ? " +" : "", fes->names[f]);
    return lr_mem_strdup(buf);
}

/* The model without its intercept on the demeaned columns 1..q of fe's
 * accumulator, solved and reported as lm with the dummies. */
static int fit_absorbed(const lr_fit_options *opt, const lr_model_columns *mc,
                        const lr_fe_spec *fes, model_desc *md, lr_fe *fe, lr_fit **out,
                        lr_error *err)
{
    size_t *cols = lr_mem_calloc(mc->q + 1, sizeof(size_t));
    char *formula = fe_formula(opt, mc, fes);
    int rc = !cols || !formula ? lr_error_nomem(err) : LR_OK;
    for (size_t j = 0; !rc && j < mc->q; j++)
        cols[j] = j + 1;
    lr_model_spec spec = {mc->q, cols, mc->names, 0, 0.0, opt->ridge_scale};
    md->spec = &spec;
    md->formula = formula;
    md->n_dropped += lr_fe_dropped(fe);
    md->frame = NULL;
    md->fe = fe;
    lr_fit_options o = *opt; /* the covariance asked for, which the first pass left out */
    o.vcov = md->fe_vcov;
    if (!rc)
        rc = fit_from_accum(lr_fe_accum(fe), md, &o, out, err);
    lr_mem_free(cols, (mc->q + 1) * sizeof(size_t));
    if (formula)
        lr_mem_strfree(formula);
    return rc;
}

static int fit_csv(const char *const *paths, size_t n, const lr_fit_options *opt,
                   const lr_fe_spec *fes, lr_vcov fe_vcov, lr_fit **out, lr_error *err);

int lr_fit_csv(const char *path, const lr_fit_options *opt, lr_fit **out, lr_error *err)
{
    return lr_fit_csv_files(&path, 1, opt, out, err);
}

int lr_fit_csv_files(const char *const *paths, size_t n, const lr_fit_options *opt, lr_fit **out,
                     lr_error *err)
{
    lr_fe_spec fes;
    int rc = lr_fit_options_check(opt, err);
    *out = NULL;
    if (rc || (rc = lr_fe_parse(opt, &fes, err)))
        return rc;
    if (fes.nf == 0) {
        lr_fe_spec_free(&fes);
        if (opt->fe_out)
            return lr_error_set(err, LR_EUSAGE, "--fe-out needs fixed effects ('y ~ x | firm' "
                                "or --absorb)");
        return fit_csv(paths, n, opt, &fes, LR_VCOV_CLASSICAL, out, err);
    }
    /* Absorbed fixed effects: the first pass reads the left-hand model alone
     * (its coding, its means), the absorption reads the data once more. */
    lr_fit_options o = *opt;
    if (fes.left)
        o.formula = fes.left;
    char *every = NULL; /* -y with --absorb alone: every other column but the fixed effects */
    if (!opt->formula && !opt->features && (rc = lr_fe_every_other(opt, &fes, &every, err))) {
        lr_fe_spec_free(&fes);
        return rc;
    }
    if (every)
        o.formula = every;
    o.absorb = NULL;
    o.vcov = LR_VCOV_CLASSICAL;
    o.residual_summary = 0;
    if ((rc = lr_fe_check_options(opt, err)) == LR_OK)
        rc = fit_csv(paths, n, &o, &fes, opt->vcov, out, err);
    lr_fe_spec_free(&fes);
    if (every)
        lr_mem_strfree(every);
    return rc;
}

static int fit_csv(const char *const *paths, size_t n, const lr_fit_options *opt,
                   const lr_fe_spec *fes, lr_vcov fe_vcov, lr_fit **out, lr_error *err)
{
    lr_frame *frame = NULL;
    char delimiter = 0;
    int rc = LR_OK;
    /* The input stays open for second passes, read through its descriptor.
     * A stream is copied (to an unnamed file in TMPDIR) for them: whole when
     * HC covariances, per-row diagnostics or plot points are asked for; up
     * to 1 GiB for the residual quantiles alone (a courtesy of the text
     * summary that should not fill a disk); up to 64 MiB when auto's
     * extended precision might need one (it only runs on small problems). */
    lr_source *input = NULL;
    int want_rows = opt->vcov != LR_VCOV_CLASSICAL || opt->residual_row || opt->plot_points > 0;
    uint64_t limit = want_rows || fes->nf            ? UINT64_MAX
                     : opt->residual_summary         ? (uint64_t)1 << 30
                     : opt->method == LR_METHOD_AUTO ? (uint64_t)64 << 20
                                                     : 0;
    /* CL reads the cluster keys from the text, so the spool would go unread */
    int keep_rows = (want_rows || opt->residual_summary) && !(opt->ridge > 0) &&
                            opt->vcov != LR_VCOV_CL
                        ? 1 | (opt->residual_row || opt->vcov == LR_VCOV_HC2 ||
                                       opt->vcov == LR_VCOV_HC3
                                   ? LR_KEEP_ROW_LINES
                                   : 0)
                        : 0;
    if ((rc = lr_ingest_spooled(paths, n, opt, limit, keep_rows, &frame, &delimiter, &input, err)))
        return rc;
    const char *name = lr_frame_source(frame);
    const lr_accum *acc = lr_frame_accum(frame);
    uint64_t rows = lr_frame_rows(frame);
    if (rows == 0) {
        rc = lr_error_set(err, LR_EDATA, "%s: no data rows after the header", name);
        goto done;
    }
    if (lr_accum_nobs(acc) == 0 && lr_frame_dropped(frame) == rows) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: no complete rows: all %llu data rows have a missing value in a "
                          "column the model uses", name, (unsigned long long)rows);
        goto done;
    }
    lr_model_columns mc;
    if ((rc = lr_frame_model(frame, &mc, err)))
        goto done;
    lr_model_spec spec = {mc.q, mc.acc_col, mc.names, mc.intercept, opt->ridge, opt->ridge_scale};
    model_desc md = {&spec,
                     mc.response,
                     mc.formula,
                     opt->weights,
                     name,
                     lr_frame_dropped(frame),
                     rows - lr_frame_dropped(frame) - lr_accum_nobs(acc),
                     frame,
                     input,
                     delimiter,
                     NULL,
                     fe_vcov};
    if (fes->nf && lr_frame_offset_col(frame) != SIZE_MAX) {
        rc = lr_error_set(err, LR_EUSAGE, "%s: offset() is not supported with absorbed fixed "
                          "effects", name);
        goto done;
    }
    if (fes->nf) {
        lr_fe *fe = NULL;
        const char *why = lr_source_again_why(input);
        if (why)
            rc = lr_error_set(err, LR_EIO, "%s: absorbing fixed effects reads the data twice, "
                              "and %s %s; give a file instead of a pipe, or a writable TMPDIR",
                              name, name, why);
        else if (!(rc = lr_fe_absorb(input, delimiter, frame, &mc, fes, opt,
                                     lr_method_kernel(opt->method), &fe, err)))
            rc = fit_absorbed(opt, &mc, fes, &md, fe, out, err);
        /* --save: the left-hand model, its demeaned statistics and the effects */
        if (rc == LR_OK && opt->keep_model && (rc = keep_model(*out, frame, lr_fe_accum(fe), fe, err)))
            *out = NULL;
        lr_fe_free(fe);
        goto done;
    }
    rc = fit_from_accum(acc, &md, opt, out, err);
    if (rc == LR_OK &&
        (rc = fit_inference(*out, acc, &spec, mc.term, mc.term_labels, mc.nterms, opt, err)))
        *out = NULL;
    if (rc == LR_OK && lr_frame_header_numeric(frame) &&
        (rc = add_note(*out, err,
                       "warning: %s: every name in the header row is a number: the "
                       "file may have no header (linreg reads its first row as the "
                       "column names)",
                       name))) {
        lr_fit_free(*out);
        *out = NULL;
    }
    uint64_t nan_line, nan_rows;
    const char *nan_label;
    if (rc == LR_OK && (nan_rows = lr_frame_nan_rows(frame, &nan_line, &nan_label)) &&
        (rc = add_note(*out, err,
                       "warning: %s:%llu: %s is NaN (R: \"NaNs produced\"): %llu row%s "
                       "omitted as missing, as R's lm does",
                       name, (unsigned long long)nan_line, nan_label,
                       (unsigned long long)nan_rows, nan_rows == 1 ? "" : "s"))) {
        lr_fit_free(*out);
        *out = NULL;
    }
    if (rc == LR_OK && opt->keep_model && (rc = keep_model(*out, frame, acc, NULL, err)))
        *out = NULL;

done:
    lr_source_free(input);
    lr_frame_free(frame);
    return rc;
}
