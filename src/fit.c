/*
 * fit.c — the pipeline: CSV reader → model frame → accumulator → solver →
 * statistics, from its entry points (CSV files, a finished frame, the
 * caller's statistics). The lr_fit object that holds the result is in
 * fit_result.c, the way from statistics to a fit in fit_solve.c.
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
#include "fit_frame.h"
#include "fit_impl.h"
#include "fit_offset.h"
#include "fixed_effects.h"
#include "model.h"
#include "options.h"
#include "ingest.h"
#include "inference.h"
#include "model_frame.h"
#include "solver.h"
#include "stats.h"

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
        o += (size_t)snprintf(formula + o, flen - o, "%s%s", (j || !opt->intercept) ? " + " : "",
                              names[j + 1]);
    if (q == 0 && opt->intercept)
        snprintf(formula + o, flen - o, "1");
    lr_model_spec spec = {q, cols, names + 1, opt->intercept, opt->ridge, opt->ridge_scale};
    model_desc md = {&spec, names[0], formula,           NULL, NULL, n_dropped, 0, NULL, NULL,
                     0,     NULL,     LR_VCOV_CLASSICAL, NULL, NULL};
    rc = lr_fit_from_accum(acc, &md, opt, out, err);
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
        rc = lr_fit_from_accum(lr_fe_accum(fe), md, &o, out, err);
    lr_mem_free(cols, (mc->q + 1) * sizeof(size_t));
    if (formula)
        lr_mem_strfree(formula);
    return rc;
}

static int fit_csv(const char *const *paths, size_t n, const lr_fit_options *opt,
                   const lr_fe_spec *fes, lr_vcov fe_vcov, lr_fit **out, lr_error *err);
static int fit_frame(lr_frame *frame, lr_source *input, char delimiter, const lr_fit_options *opt,
                     const lr_fe_spec *fes, lr_vcov fe_vcov, const char *no_input,
                     const lr_diag_share *share, lr_fit **out, lr_error *err);

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
            return lr_error_set(err, LR_EUSAGE,
                                "--fe-out needs fixed effects ('y ~ x | firm' "
                                "or --absorb)");
        return fit_csv(paths, n, opt, &fes, LR_VCOV_CLASSICAL, out, err);
    }
    /* Absorbed fixed effects: the first pass reads the left-hand model alone
     * (its coding, its means) and keeps the factors' cells in its row spool,
     * which the absorption reads back (the text again only without it). */
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
    /* the frame's key columns: the factors, named "a,b" (model_frame.c) */
    char absorb[1024];
    size_t at = 0;
    for (size_t f = 0; f < fes.nf && at < sizeof absorb; f++)
        at += (size_t)snprintf(absorb + at, sizeof absorb - at, "%s%s", f ? "," : "", fes.names[f]);
    o.absorb = at < sizeof absorb ? absorb : NULL; /* too long: the text is read again */
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
    /* CL: the spool's records carry the cluster cells too (row_spool.h) */
    int keep_rows =
        (want_rows || opt->residual_summary || fes->nf) && !(opt->ridge > 0)
            ? 1 | (opt->residual_row || opt->vcov == LR_VCOV_HC2 || opt->vcov == LR_VCOV_HC3
                       ? LR_KEEP_ROW_LINES
                       : 0)
            : 0;
    if ((rc = lr_ingest_spooled(paths, n, opt, limit, keep_rows, &frame, &delimiter, &input, err)))
        return rc;
    return fit_frame(frame, input, delimiter, opt, fes, fe_vcov, NULL, NULL, out, err);
}

int lr_fit_from_frame(lr_frame *frame, lr_source *input, char delimiter, const lr_fit_options *opt,
                      const char *no_input, const lr_diag_share *share, lr_fit **out, lr_error *err)
{
    lr_fe_spec fes;
    memset(&fes, 0, sizeof fes);
    return fit_frame(frame, input, delimiter, opt, &fes, LR_VCOV_CLASSICAL, no_input, share, out,
                     err);
}

/* The fit of the frame a first pass made (input: the data for second passes,
 * or NULL); both are freed. */
static int fit_frame(lr_frame *frame, lr_source *input, char delimiter, const lr_fit_options *opt,
                     const lr_fe_spec *fes, lr_vcov fe_vcov, const char *no_input,
                     const lr_diag_share *share, lr_fit **out, lr_error *err)
{
    int rc = LR_OK;
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
                          "column the model uses",
                          name, (unsigned long long)rows);
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
                     fe_vcov,
                     no_input,
                     share};
    if (fes->nf && lr_frame_offset_col(frame) != SIZE_MAX) {
        rc = lr_error_set(err, LR_EUSAGE,
                          "%s: offset() is not supported with absorbed fixed "
                          "effects",
                          name);
        goto done;
    }
    if (fes->nf) {
        lr_fe *fe = NULL;
        if (!(rc = lr_fe_absorb(input, delimiter, frame, &mc, fes, opt,
                                lr_method_kernel(opt->method), &fe, err)))
            rc = fit_absorbed(opt, &mc, fes, &md, fe, out, err);
        /* --save: the left-hand model, its demeaned statistics and the effects */
        if (rc == LR_OK && opt->keep_model &&
            (rc = lr_fit_keep_model(*out, frame, lr_fe_accum(fe), fe, err)))
            *out = NULL;
        lr_fe_free(fe);
        goto done;
    }
    rc = lr_fit_from_accum(acc, &md, opt, out, err);
    if (rc == LR_OK &&
        (rc = fit_inference(*out, acc, &spec, mc.term, mc.term_labels, mc.nterms, opt, err)))
        *out = NULL;
    if (rc == LR_OK && lr_frame_header_numeric(frame) &&
        (rc = lr_fit_add_note(*out, err,
                              "warning: %s: every name in the header row is a number: the "
                              "file may have no header (linreg reads its first row as the "
                              "column names)",
                              name))) {
        lr_fit_free(*out);
        *out = NULL;
    }
    uint64_t nan_line = 0, nan_rows = 0;
    const char *nan_label;
    const char *nan_file = name; /* several files: the one it is in, and its line */
    if (rc == LR_OK && (nan_rows = lr_frame_nan_rows(frame, &nan_line, &nan_label)) && input)
        lr_source_locate(input, nan_line, &nan_file, &nan_line);
    if (rc == LR_OK && nan_rows &&
        (rc = lr_fit_add_note(*out, err,
                              "warning: %s:%llu: %s is NaN (R: \"NaNs produced\"): %llu row%s "
                              "omitted as missing, as R's lm does",
                              nan_file, (unsigned long long)nan_line, nan_label,
                              (unsigned long long)nan_rows, nan_rows == 1 ? "" : "s"))) {
        lr_fit_free(*out);
        *out = NULL;
    }
    if (rc == LR_OK && opt->keep_model && (rc = lr_fit_keep_model(*out, frame, acc, NULL, err)))
        *out = NULL;

done:
    lr_source_free(input);
    lr_frame_free(frame);
    return rc;
}
