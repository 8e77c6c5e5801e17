/*
 * fit_solve.c — from the accumulated statistics to the fit: the solve, auto's
 * recomputation in extended precision, the second pass for what needs the
 * residuals (or the absorbed fixed effects' finish), the summary statistics
 * and the notes that say what a user should know about the fit.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "extended.h"
#include "fit_impl.h"
#include "fit_offset.h"
#include "stats.h"

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
    char why[256];
    lr_digits_risk(sol, s->condition_number, why, sizeof why);
    for (size_t i = 0; fe && i < lr_fe_nnotes(fe); i++) /* what was absorbed, first */
        if ((rc = lr_fit_add_note(fit, err, "%s", lr_fe_note(fe, i))))
            return rc;
    for (size_t j = 0; j < sol->p; j++)
        naliased += sol->aliased[j];
    if (naliased) {
        rc = lr_fit_add_note(fit, err,
                             "%zu coefficient%s not defined because of singularities "
                             "(aliased, as R reports NA):",
                             naliased, naliased == 1 ? " is" : "s are");
        if (rc)
            return rc;
        for (size_t j = 0; j < sol->p; j++)
            if (sol->aliased[j] && (rc = lr_fit_add_note(fit, err, "  %s", sol->depends[j])))
                return rc;
    }
    if (s->extended_bits > 0 &&
        (rc = lr_fit_add_note(fit, err,
                              "recomputed in %d-bit arithmetic from the decimal text "
                              "of the data (digits were at risk in double precision: %s)",
                              s->extended_bits, why)))
        return rc;
    if (!(sol->tss > 0) && (rc = lr_fit_add_note(fit, err,
                                                 "the response is constant in the rows used: "
                                                 "R-squared is undefined (0/0)")))
        return rc;
    if (s->digits < 6 && (rc = lr_fit_add_note(fit, err,
                                               "warning: only about %.0f significant digits "
                                               "of these results can be trusted (%s)",
                                               floor(s->digits), why)))
        return rc;
    if (sol->no_se && !(s->ridge > 0) &&
        (rc = lr_fit_add_note(fit, err,
                              "the model is rank deficient: --method svd gives the "
                              "minimum-norm coefficients, which are not identifiable one by one, "
                              "so no standard errors or tests are given")))
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
    if (md->no_input && !md->input) {
        if (asked)
            return lr_error_set(err, LR_EUSAGE,
                                "%s: %s: give --data FILE... (the files, in "
                                "the same order) for what needs the residuals",
                                md->source, md->no_input);
        snprintf(note, size,
                 "the residual quantiles were not computed: %s (give --data FILE... "
                 "to read the files again)",
                 md->no_input);
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
static int fe_finish(lr_fe *fe, lr_solution *sol, const lr_fit_options *opt, lr_diag_result *diag,
                     char *note, size_t size, lr_error *err)
{
    int rc = lr_fe_finish(fe, sol, opt->vcov, &diag->vcov, err);
    /* (after lr_fe_finish, which knows the rank with the dummies: with no
     * residual degrees of freedom the fit is exact and its digits κ's) */
    if (!rc && opt->method == LR_METHOD_AUTO && sol->digits < LR_EXTENDED_DIGITS)
        snprintf(note, size,
                 "extended precision is not used with absorbed fixed effects; about "
                 "%.0f digits can be trusted",
                 floor(sol->digits));
    if (!rc && opt->vcov == LR_VCOV_CL)
        rc = lr_fe_cluster_vcov(fe, sol, opt->cluster, &diag->vcov, diag->n_clusters,
                                &diag->n_negative, err);
    diag->p = diag->vcov ? sol->p : 0;
    return rc ? rc : opt->fe_out ? lr_fe_write(fe, sol, opt->fe_out, err) : LR_OK;
}

/* CL, HC: a warning naming the coefficients whose robust variance is zero to
 * rounding (vcov_cluster.c, diagnostics.c), and why their inference (and,
 * when a slope is among them, the Wald F) is NA. */
static int zero_note(lr_fit *fit, int intercept, lr_error *err)
{
    char names[LR_ERROR_MAX / 2] = "";
    size_t used = 0, n = fit->diag.n_zero;
    int slope = 0;
    for (size_t j = 0; j < fit->p && used < sizeof names; j++)
        if (fit->diag.cl_zero[j]) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                             fit->names[j]);
            used += w > 0 ? (size_t)w : 0;
            slope |= !(intercept && j == 0);
        }
    const char *its = n == 1 ? "its" : "their", *s = n == 1 ? "" : "s";
    if (fit->summary.vcov == LR_VCOV_CL)
        return lr_fit_add_note(
            fit, err,
            "warning: %s: %s clustered variance is zero to rounding: the clusters are "
            "nested in %s, so each cluster's residuals sum to zero; %s standard "
            "error%s, t, p and interval%s are NA (R's vcovCL gives rounding noise), and "
            "so is the Wald F, whose slopes' covariance is singular",
            names, its, n == 1 ? "this term" : "these terms", its, s, s);
    return lr_fit_add_note(
        fit, err,
        "warning: %s: no digit of %s robust variance%s is certain in double precision: %s "
        "within the bound of %s rounding errors, as the terms of the sandwich cancel (columns "
        "far from zero for their spread, or only rows the fit passes through informing %s); %s "
        "standard error%s, t, p and interval%s are NA (R's sandwich prints rounding noise)%s",
        names, its, s, n == 1 ? "it is" : "each is", its, n == 1 ? "it" : "them", its, s, s,
        slope ? ", and so is the Wald F" : "");
}

/* HC, HAC: a warning when a robust variance keeps fewer than 6 digits by the
 * bound on its rounding (diagnostics.c, hc_digits). */
static int hc_digits_note(lr_fit *fit, lr_error *err)
{
    lr_vcov v = fit->summary.vcov;
    if (!(v == LR_VCOV_HC0 || v == LR_VCOV_HC1 || v == LR_VCOV_HC2 || v == LR_VCOV_HC3 ||
          v == LR_VCOV_HAC) ||
        !fit->diag.cl_zero || !(fit->diag.hc_digits < 6))
        return LR_OK;
    return lr_fit_add_note(fit, err,
                           "warning: only about %.0f significant digits of the robust standard "
                           "errors are certain in double precision: the terms of their sandwich "
                           "V M V cancel (columns far from zero for their spread)",
                           floor(fit->diag.hc_digits > 0 ? fit->diag.hc_digits : 0));
}

/* The final solve on one BLAS thread, whatever -t says: OpenBLAS's
 * threaded kernels (dpotri's dlauum and dtrtri, dgemv, the dgemm of a
 * block reflector) split their sums by the thread count, so a solve of
 * 128 coefficients or more on -t threads gave different last bits for
 * -t 1, 2 and 4 (found on a 300-level factor: 103 of 602 estimates and
 * standard errors differed by up to 3e-16 relative), breaking the
 * promise that results do not depend on the thread count. Small solves
 * were on one thread already: OpenBLAS's helpers busy-wait about 0.1 s
 * after a call and take a core from the second pass. */
static int final_solve(const lr_accum *acc, const model_desc *md, const lr_fit_options *opt,
                       lr_solution *sol, lr_error *err)
{
    const lr_model_spec *spec = md->spec;
    int blas_threads = lr_blas_threads(1);
    /* one call with no steps inside: a display shows the time it takes */
    lr_progress_send(opt->progress, opt->progress_ud, "solving", "coefficients", 0,
                     spec->q + (spec->intercept ? 1u : 0u), 0);
    int rc = lr_solve(acc, spec, opt->method, sol, err);
    lr_blas_threads(blas_threads);
    if (rc)
        return with_source(err, md->source, rc);
    return LR_OK;
}

/* auto: when the condition number puts digits at risk, recompute in
 * extended precision from the decimal text (a second pass); *sol is then
 * the extended solution. Otherwise a note (into note, size bytes) says why
 * not, if it was declined. again_why: why the data cannot be read a second
 * time, or NULL. On error *sol is still the caller's to free. */
static int extended_recompute(const lr_accum *acc, const model_desc *md, const lr_fit_options *opt,
                              const char *again_why, uint64_t nobs, lr_solution *sol, char *note,
                              size_t size, lr_error *err)
{
    const lr_model_spec *spec = md->spec;
    if (!(opt->method == LR_METHOD_AUTO && !(spec->ridge > 0) && sol->digits < LR_EXTENDED_DIGITS &&
          !md->fe))
        return LR_OK;
    double width = (double)(spec->q + 3);
    if (!md->frame) {
        snprintf(note, size,
                 "extended precision was not used: the statistics "
                 "were accumulated by the caller, not read from a file");
    } else if (md->no_input && !md->input) {
        snprintf(note, size,
                 "extended precision was not used: %s; about %.0f "
                 "digits can be trusted (give --data FILE... to get every digit)",
                 md->no_input, floor(sol->digits));
    } else if (again_why) {
        snprintf(note, size,
                 "extended precision was declined: %s %s; about "
                 "%.0f digits can be trusted; give a file instead of a pipe, or a writable "
                 "TMPDIR, to get every digit",
                 md->source, again_why, floor(sol->digits));
    } else if (sol->rank < sol->p && lr_frame_has_basis(md->frame)) {
        /* A basis (ns, bs, poly) is evaluated in double in the extended pass
         * too: columns that depend on each other exactly (ns(x, intercept =
         * TRUE) beside the intercept) do so there only to double's rounding,
         * and an exact solve would keep them, with coefficients of 1e5 ± 1e6
         * where R aliases one. The double fit's aliasing stands. */
        snprintf(note, size,
                 "extended precision was not used: the model's spline or polynomial basis is "
                 "evaluated in double precision, so its aliased columns cannot be resolved "
                 "beyond it; about %.0f digits can be trusted",
                 floor(sol->digits));
    } else if ((double)nobs * width * width > LR_EXTENDED_WORK) {
        snprintf(note, size,
                 "extended precision was not used: the data are "
                 "too large for the second pass (n (p + 2)^2 > %.0g); about %.0f digits can "
                 "be trusted",
                 LR_EXTENDED_WORK, floor(sol->digits));
    } else {
        /* 2 log₂ κ bits are lost to the normal equations; keep 160 beyond that. */
        double kappa = sol->rcond > 0 ? 1.0 / sol->rcond : 1e17;
        if (kappa < 1e17 && sol->rank < sol->p)
            kappa = 1e17; /* columns aliased in double may be resolvable: room for them */
        double bits = 160.0 + 2.0 * log2(kappa > 1 ? kappa : 1);
        if (bits < 256)
            bits = 256;
        if (bits > 4096)
            bits = 4096;
        lr_solution ext;
        int rc = lr_extended_fit(md->input, md->delimiter, md->frame, spec, acc, (mpfr_prec_t)bits,
                                 opt, &ext, err);
        if (rc)
            return rc;
        ext.rcond = sol->rcond;
        ext.digits_by = sol->digits_by;
        ext.rho = sol->rho;
        lr_solution_free(sol);
        *sol = ext;
    }
    return LR_OK;
}

/* A second pass for what needs the residuals (into fit->diag), or with
 * absorbed fixed effects their finish; a note into note (size bytes) when
 * it was declined or says something of its results. */
static int residual_pass(lr_fit *fit, const model_desc *md, const lr_fit_options *opt,
                         const char *again_why, lr_solution *sol, uint64_t nobs, char *note,
                         size_t size, lr_error *err)
{
    const lr_model_spec *spec = md->spec;
    int rc = LR_OK;
    int want_diag = opt->vcov != LR_VCOV_CLASSICAL || opt->residual_summary || opt->residual_row ||
                    opt->plot_points > 0;
    if (md->fe) {
        rc = fe_finish(md->fe, sol, opt, &fit->diag, note, size, err);
    } else if (want_diag && md->frame && (!again_why || lr_frame_rows_fd(md->frame) >= 0) &&
               !(spec->ridge > 0)) {
        lr_diag_request req = {
            opt->vcov,        opt->residual_summary, opt->residual_row, opt->residual_ud,
            opt->plot_points, opt->threads,          opt->hac_lag,      opt->cluster,
            opt->progress,    opt->progress_ud,      md->share};
        if ((rc = lr_diagnostics(md->input, md->delimiter, md->frame, spec, sol, nobs, &req,
                                 &fit->diag, err)))
            return rc;
        if (fit->diag.n_one > 0 && (opt->vcov == LR_VCOV_HC2 || opt->vcov == LR_VCOV_HC3))
            lr_diag_one_note(&fit->diag, opt->vcov == LR_VCOV_HC2 ? "HC2" : "HC3",
                             nobs == sol->rank, note, size);
    } else if (want_diag) {
        rc = diag_declined(opt, md, again_why, note, size, err);
    }
    if (!rc && fit->diag.vcov && opt->vcov == LR_VCOV_HC1 && nobs == sol->rank) {
        char buf[LR_ERROR_MAX];
        lr_diag_no_df_note("HC1", "n/(n - p)", buf, sizeof buf);
        rc = lr_fit_add_note(fit, err, "%s", buf);
    }
    return rc;
}

/* The fit's coefficients, their names and its summary, from the solution
 * (whose (XᵀX)⁻¹ moves into the fit) and the second pass's results. */
static int fill_fit(lr_fit *fit, const lr_accum *acc, const model_desc *md,
                    const lr_fit_options *opt, lr_solution *sol, uint64_t nobs, lr_error *err)
{
    const lr_model_spec *spec = md->spec;
    fit->p = sol->p;
    fit->coefs = lr_mem_calloc(sol->p, sizeof(lr_coef));
    fit->names = lr_mem_calloc(sol->p, sizeof(char *));
    fit->response = lr_mem_strdup(md->response);
    fit->source = lr_mem_strdup(md->source ? md->source : "");
    fit->model = lr_mem_strdup(md->formula);
    fit->weights = md->weights ? lr_mem_strdup(md->weights) : NULL;
    if (!fit->coefs || !fit->names || !fit->response || !fit->source || !fit->model ||
        (md->weights && !fit->weights))
        return lr_error_nomem(err);
    for (size_t j = 0; j < sol->p; j++) {
        const char *nm =
            spec->intercept ? (j == 0 ? "(Intercept)" : spec->names[j - 1]) : spec->names[j];
        if (!(fit->names[j] = lr_mem_strdup(nm)))
            return lr_error_nomem(err);
    }
    /* with fixed effects, lm's intercept is among the dummies */
    lr_stats_compute(sol, nobs, lr_accum_sum_log_weight(acc), spec->intercept || md->fe,
                     spec->ridge > 0, opt->level, fit->diag.vcov, fit->coefs, &fit->summary);
    fit->summary.vcov = fit->diag.vcov ? opt->vcov : LR_VCOV_CLASSICAL;
    fit->summary.hac_lag = fit->summary.vcov == LR_VCOV_HAC ? opt->hac_lag : 0;
    if (fit->summary.vcov == LR_VCOV_CL) {
        if (!(fit->cluster = lr_mem_strdup(opt->cluster)))
            return lr_error_nomem(err);
        fit->summary.cluster = fit->cluster;
        memcpy(fit->summary.n_clusters, fit->diag.n_clusters, sizeof fit->diag.n_clusters);
    }
    if (fit->diag.has_q) {
        fit->summary.has_quantiles = 1;
        memcpy(fit->summary.residual_quantiles, fit->diag.q, sizeof fit->diag.q);
        fit->summary.quantile_error = fit->diag.q_err;
    }
    for (size_t j = 0; j < sol->p; j++)
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
    fit->xtx_inv = sol->xtx_inv;
    sol->xtx_inv = NULL;
    return LR_OK;
}

int lr_fit_from_accum(const lr_accum *acc, const model_desc *md, const lr_fit_options *opt,
                      lr_fit **out, lr_error *err)
{
    lr_solution sol;
    int rc;
    const lr_model_spec *spec = md->spec;
    *out = NULL;

    uint64_t nobs = lr_accum_nobs(acc);
    if ((rc = final_solve(acc, md, opt, &sol, err)))
        return rc;

    /* Why the data cannot be read a second time, or NULL. */
    const char *again_why = md->input      ? lr_source_again_why(md->input)
                            : md->no_input ? md->no_input
                                           : "was not kept for a second reading";
    char ext_note[LR_ERROR_MAX] = "";
    if ((rc = extended_recompute(acc, md, opt, again_why, nobs, &sol, ext_note, sizeof ext_note,
                                 err))) {
        lr_solution_free(&sol);
        return rc;
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

    char diag_note[LR_ERROR_MAX] = "";
    if ((rc = residual_pass(fit, md, opt, again_why, &sol, nobs, diag_note, sizeof diag_note, err)))
        goto fail;
    char cl_note[LR_ERROR_MAX] = "";
    if (fit->diag.n_negative > 0)
        lr_diag_negative_note(&fit->diag, cl_note, sizeof cl_note);
    if ((rc = fill_fit(fit, acc, md, opt, &sol, nobs, err)))
        goto fail;
    if ((rc = fit_notes(fit, &sol, md->fe, err)) ||
        (ext_note[0] && (rc = lr_fit_add_note(fit, err, "%s", ext_note))) ||
        (diag_note[0] && (rc = lr_fit_add_note(fit, err, "%s", diag_note))) ||
        (cl_note[0] && (rc = lr_fit_add_note(fit, err, "%s", cl_note))) ||
        (fit->diag.n_zero > 0 && (rc = zero_note(fit, md->spec->intercept, err))) ||
        (rc = hc_digits_note(fit, err)))
        goto fail;
    /* the Wald F needs the slopes' covariance positive definite, which a
     * two-way clustered one need not be (R's waldtest inverts it anyway) */
    if (fit->summary.vcov == LR_VCOV_CL && !md->fe && fit->diag.n_negative == 0 &&
        fit->diag.n_zero == 0 && isnan(fit->summary.f_statistic) && fit->summary.f_df1 > 0 &&
        (rc = lr_fit_add_note(fit, err,
                              "warning: the Wald F is NA: the clustered covariance "
                              "of the slopes is not positive definite")))
        goto fail;
    lr_solution_free(&sol);
    *out = fit;
    return LR_OK;

fail:
    lr_solution_free(&sol);
    lr_fit_free(fit);
    return rc;
}
