/*
 * diagnostics.c — what needs the residuals: a second pass over the data.
 *
 * With β and (XᵀX)⁻¹ known, each observation's fitted value, residual
 * e = y − xᵀβ and leverage h = w xᵀ(XᵀX)⁻¹x follow; from them, in O(p²)
 * memory:
 *   - heteroskedasticity-consistent covariance (White 1980; MacKinnon &
 *     White 1985), as R's sandwich::vcovHC: V M V with V = (XᵀX)⁻¹ and
 *     M = Σ ωᵢ wᵢ xᵢxᵢᵀ, ωᵢ = wᵢeᵢ² (HC0, HC1 × n/(n−p)), wᵢeᵢ²/(1−hᵢ) (HC2),
 *     wᵢeᵢ²/(1−hᵢ)² (HC3) — M accumulated by dsyrk on blocks of scaled rows;
 *   - the quantiles of the (weighted, √w e) residuals that summary.lm prints:
 *     exact (sorted, R's type 7) for up to LR_RESID_BUDGET observations;
 *     beyond, from a histogram over the doubles' top bits (sign, exponent and
 *     six bits of mantissa: every bucket spans less than 1/64 of its values)
 *     with the error bound stated;
 *   - each observation's diagnostics for --residuals (R's rstandard and
 *     cooks.distance), and a deterministic subsample for plots.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "diagnostics_impl.h"
#include "ingest.h"
#include "partial_io.h"
#include "residual_quantiles.h"
#include "source_concat.h"

/* A leverage is one to working precision when 1 − h < LR_ONE_ULPS · p · ε:
 * h = Σ_ab x_a V_ab x_b sums p² products whose rounding errors (and V's own,
 * a few ε relative for a well-conditioned fit) are each within ε of the
 * terms, and for a row that alone decides a coefficient the terms are of the
 * order of h = 1; measured 1 − h ≈ 7ε at p = 5 by the normal equations.
 * R's lm.influence takes h > 1 − 10ε as 1. */
#define LR_ONE_ULPS 16.0

void lr_diag_result_free(lr_diag_result *r)
{
    lr_mem_free(r->vcov, r->p * r->p * sizeof(double));
    lr_mem_free(r->cl_zero, r->p ? r->p : 1);
    lr_mem_free(r->pf, r->np_cap * sizeof(double));
    lr_mem_free(r->pr, r->np_cap * sizeof(double));
    lr_mem_free(r->pe, r->np_cap * sizeof(double));
    lr_mem_free(r->few, r->nfew * sizeof(double));
    lr_mem_free(r->few_row, r->nfew * sizeof(uint64_t));
    lr_mem_free(r->psorted, r->np_cap * sizeof(double));
    memset(r, 0, sizeof *r);
}

void lr_diag_one_note(const lr_diag_result *r, const char *type, int no_df, char *buf, size_t cap)
{
    size_t k = r->n_one < LR_ONE_LINES ? (size_t)r->n_one : LR_ONE_LINES;
    int n = snprintf(buf, cap, "warning: %s standard errors, tests and intervals are NA: ", type);
    for (size_t i = 0; i < k && n >= 0 && (size_t)n < cap; i++) {
        uint64_t l = r->one_line[i];
        const char *lead = i == 0 ? (r->n_one == 1 ? "line " : "lines ") : ", ";
        if (l && r->one_file[i])
            n += snprintf(buf + n, cap - (size_t)n, "%s%s:%llu", lead, r->one_file[i],
                          (unsigned long long)l);
        else
            n += l ? snprintf(buf + n, cap - (size_t)n, "%s%llu", lead, (unsigned long long)l)
                   : snprintf(buf + n, cap - (size_t)n, "%s?", lead);
    }
    if (n >= 0 && (size_t)n < cap && r->n_one > k)
        n += snprintf(buf + n, cap - (size_t)n, " and %llu more",
                      (unsigned long long)(r->n_one - k));
    if (n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n,
                 " %s a leverage of 1 to working precision, and %s divides by 1 - h; %s",
                 r->n_one == 1 ? "has" : "have", type,
                 no_df ? "HC0 is defined" : "HC0 and HC1 are defined");
}

void lr_diag_no_df_note(const char *type, const char *factor, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "warning: %s standard errors, tests and intervals are NA: there are no residual "
             "degrees of freedom, so every residual is 0, and %s multiplies the zero sandwich "
             "by %s (R: NaN)",
             type, type, factor);
}

void lr_diag_negative_note(const lr_diag_result *r, char *buf, size_t cap)
{
    int one = r->n_negative == 1;
    snprintf(buf, cap,
             "warning: the two-way clustered covariance V1 + V2 - V12 is not positive "
             "semi-definite: %zu variance%s negative, so %s standard error%s, t, p and "
             "interval%s are NA, and so is a Wald F that needs it (R's vcovCL returns the "
             "negative variance%s, whose square root is NaN)",
             r->n_negative, one ? " is" : "s are", one ? "its" : "their", one ? "" : "s",
             one ? "" : "s", one ? "" : "s");
}

/* The second pass named for progress by the first thing that needs it. */
static const char *pass_name(const lr_diag_request *req)
{
    return req->residual_row                ? "second pass: residuals"
           : req->vcov == LR_VCOV_CL        ? "second pass: clustered covariance"
           : req->vcov == LR_VCOV_HAC       ? "second pass: HAC covariance"
           : req->vcov != LR_VCOV_CLASSICAL ? "second pass: HC covariance"
           : req->quantiles                 ? "second pass: residual quantiles"
                                            : "second pass: plot points";
}

/* meat += Σ of mblock's rows' outer products. */
static void meat_flush(lr_diag_pass *dp)
{
    if (dp->hac) /* HAC: the block's scores into the lag products */
        lr_hac_add_block(dp->hac, dp->mblock, LR_DIAG_BLOCK, dp->mn);
    else if (dp->mn > 0 && dp->pk > 0)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)dp->pk, (int)dp->mn, 1.0,
                    dp->mblock, LR_DIAG_BLOCK, 1.0, dp->meat, (int)dp->pk);
    dp->mn = 0;
}

/* In file order: callbacks, the plot subsample, the quantiles' data, and the
 * meat, in blocks of observations counted from the first (so the same for
 * any thread count and either pass). */
int lr_diag_fold(void *ctx, void *result, uint64_t lines_before, lr_error *err)
{
    lr_diag_pass *dp = ctx;
    lr_diag_chunk *c = result;
    lr_diag_result *out = dp->out;
    if (c->n > dp->nobs - dp->seen)
        return lr_error_set(err, LR_EIO,
                            "%s: changed while being read: more observations when read again "
                            "than the first time",
                            dp->name);
    for (size_t i = 0; i < c->n; i++) {
        uint64_t k = dp->seen + i;
        if (dp->rows) {
            lr_residual r = c->r[i];
            r.line += lines_before;
            lr_source_locate(dp->input, r.line, &r.file, &r.line); /* several files: its own */
            if (dp->req->residual_row)
                dp->req->residual_row(dp->req->residual_ud, &r);
            if (out->pf && k % dp->stride == 0 && out->np < out->np_cap) {
                out->pf[out->np] = r.fitted;
                out->pr[out->np] = r.std_residual;
                out->pe[out->np] = r.residual;
                out->np++;
            }
        }
        if (out->few) {
            uint64_t line = dp->rows ? c->r[i].line : 0;
            out->few[k] = c->rw[i];
            out->few_row[k] = line ? line + lines_before - 1 : k + 1;
        }
    }
    /* the quantiles' values (none in an MPI rank's record: they stay there) */
    if (dp->qv.on && c->rw && lr_qvalues_add(&dp->qv, c->rw, c->n))
        return lr_error_nomem(err);
    /* the meat in blocks of LR_DIAG_BLOCK observations counted from the
     * first, whatever the chunks: the same sums in the same order for any
     * thread count and either second pass */
    int rc;
    if (dp->ncl && (rc = lr_clustering_add_keys(dp->cl, &c->keys, c->u, dp->pk, err)))
        return rc;
    for (size_t i = 0; dp->meat && !dp->ncl && i < c->n; i++) {
        for (size_t a = 0; a < dp->pk; a++)
            dp->mblock[a * LR_DIAG_BLOCK + dp->mn] = c->u[i * dp->pk + a];
        if (++dp->mn == LR_DIAG_BLOCK)
            meat_flush(dp);
    }
    for (size_t i = 0; i < c->n_one && i < LR_ONE_LINES; i++)
        if (out->n_one + i < LR_ONE_LINES) {
            out->one_line[out->n_one + i] = c->one_line[i] + lines_before;
            if (lr_source_concat(dp->input) && c->one_line[i]) /* several files: name it */
                lr_source_locate(dp->input, c->one_line[i] + lines_before,
                                 &out->one_file[out->n_one + i], &out->one_line[out->n_one + i]);
        }
    out->n_one += c->n_one;
    dp->seen += c->n;
    lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows", dp->seen, dp->nobs,
                     0);
    return LR_OK;
}

static const lr_chunk_ops diag_ops = {lr_diag_eval, lr_diag_fold, lr_diag_chunk_drop, NULL};

/* out->vcov = scale · V M V on the kept coefficients, NaN for the aliased;
 * all NaN for HC2/HC3 when a leverage is one: they divide a residual of
 * rounding noise by a 1 − h of rounding noise, so no digit of V M V is known
 * (sandwich gives NaN). scale: n/(n − p) for HC1, CL's (cl_meat), else 1. */
static int hc_vcov(const lr_diag_pass *dp, double scale, lr_error *err)
{
    lr_diag_result *out = dp->out;
    size_t p = dp->p, pk = dp->pk, pkk = pk ? pk * pk : 1;
    double *t = lr_mem_calloc(pkk, sizeof(double));
    double *vhc = lr_mem_calloc(pkk, sizeof(double));
    out->vcov = lr_mem_calloc(p * p, sizeof(double));
    if (!t || !vhc || !out->vcov) {
        lr_mem_free(t, pkk * sizeof(double));
        lr_mem_free(vhc, pkk * sizeof(double));
        return lr_error_nomem(err);
    }
    if (pk > 0) {
        int n = (int)pk;
        /* T = M V (M symmetric, upper), then V T */
        cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, n, n, 1.0, dp->meat, n, dp->vk, n, 0.0, t,
                    n);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, dp->vk, n, t, n, 0.0,
                    vhc, n);
    }
    lr_vcov type = dp->req->vcov;
    int unknown = out->n_one > 0 && (type == LR_VCOV_HC2 || type == LR_VCOV_HC3);
    for (size_t j = 0; j < p * p; j++)
        out->vcov[j] = (double)NAN;
    for (size_t a = 0; a < pk && !unknown; a++)
        for (size_t b = 0; b < pk; b++)
            LR_AT(out->vcov, p, dp->kept[a], dp->kept[b]) =
                scale * 0.5 * (LR_AT(vhc, pk, a, b) + LR_AT(vhc, pk, b, a));
    lr_mem_free(t, pkk * sizeof(double));
    lr_mem_free(vhc, pkk * sizeof(double));
    return LR_OK;
}

/* HC0–HC3 and HAC: how many digits of each robust variance survive double
 * precision.
 * V M V is computed in the data's units, and its terms can be many times the
 * variance: columns far from zero for their spread (a model without an
 * intercept whose x ≈ 2,028,658.83 varies in its third decimal: terms of
 * 4e18 for a variance of 1.3e3, and 421.8 printed for a standard error whose
 * exact value is 36.52), or a variance exactly zero because only rows the fit
 * passes through inform β_j (in y ~ x * g a level of g seen in two rows fixes
 * the intercept and the slope of x; 3.8e-6 was printed for 0). The rounding
 * of V_jj is at most about (k + 1) ε scale (|V| M_abs |V|)_jj, M_abs =
 * Σ ω w |x||x|ᵀ, which b_j = (Σ_x |V_jx| √M_xx)² bounds without another sum
 * (Cauchy–Schwarz: M_abs is a Gram matrix whose diagonal is M's). A variance
 * within that bound, or negative, has no correct digit: flagged, NaN, with a
 * note (fit_solve.c); the others' fewest digits go to out->hc_digits for a
 * warning. Not with no residual degrees of freedom, whose meat is exactly
 * zero (pass_vcov), nor where HC2/HC3 are NaN for a leverage of one. */
static int hc_digits(lr_diag_pass *dp, double scale, lr_error *err)
{
    lr_diag_result *out = dp->out;
    size_t p = dp->p, pk = dp->pk;
    if (!(out->cl_zero = lr_mem_calloc(p ? p : 1, 1)))
        return lr_error_nomem(err);
    out->n_zero = 0;
    out->hc_digits = 16;
    /* HAC: |Γ_l,xy| ≤ √(Γ_0,xx Γ_0,yy) (Cauchy–Schwarz over the shifted
     * sums), and 1 + 2 Σ_l (1 − l/(L+1)) = L + 1, so Γ_0's diagonal times
     * L + 1 stands for M's */
    const double *diag = dp->hac ? dp->hac->gamma : dp->meat;
    double dscale = dp->hac ? (double)(dp->hac->lag + 1) : 1.0;
    for (size_t a = 0; a < pk; a++) {
        double s = 0;
        for (size_t x = 0; x < pk; x++)
            s += fabs(LR_AT(dp->vk, pk, a, x)) * sqrt(dscale * fabs(LR_AT(diag, pk, x, x)));
        size_t jj = dp->kept[a];
        double v = LR_AT(out->vcov, p, jj, jj);
        double bound = (double)(pk + 1) * DBL_EPSILON * scale * s * s;
        if (isnan(v))
            continue;
        if (!(v > bound)) {
            out->cl_zero[jj] = 1;
            out->n_zero++;
        } else if (bound > 0 && log10(v / bound) < out->hc_digits) {
            out->hc_digits = log10(v / bound);
        }
    }
    for (size_t jj = 0; jj < p; jj++)
        for (size_t x = 0; out->cl_zero[jj] && x < p; x++)
            LR_AT(out->vcov, p, jj, x) = LR_AT(out->vcov, p, x, jj) = (double)NAN;
    return LR_OK;
}

/* CL: the cluster columns' fields and a clustering for each (and for their
 * intersection). The keys are in the row spool's records when the frame kept
 * them (dp->cl_spooled = 1), else the pass reads the text again. */
static int cl_setup(lr_diag_pass *dp, lr_source *input, lr_error *err)
{
    const char *name[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX], n;
    const size_t *kcol;
    int rc, fd = lr_frame_rows_fd(dp->frame);
    if (!dp->req->cluster)
        return lr_error_set(err, LR_EUSAGE, "the clustered covariance needs cluster columns");
    if ((rc = lr_cluster_split(dp->req->cluster, name, len, &n, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(len[i] < 255 ? len[i] : 255), name[i]);
        if (!lr_frame_column(dp->frame, nm, &dp->ccol[i]))
            return lr_error_set(err, LR_EUSAGE, "%s: no cluster column '%s'", dp->name, nm);
    }
    /* (and the spool's values are the text pass's to the bit: CL read the
     * text before, and its results stay the same) */
    dp->cl_spooled =
        fd >= 0 && lr_frame_key_cols(dp->frame, &kcol) == n && lr_frame_rows_as_eval(dp->frame);
    for (size_t i = 0; dp->cl_spooled && i < n; i++)
        dp->cl_spooled = kcol[i] == dp->ccol[i];
    const char *why = dp->cl_spooled ? NULL : input ? lr_source_again_why(input) : "is not a file";
    if (why)
        return lr_error_set(err, LR_EIO,
                            "%s: the clustered covariance reads the cluster columns in a second "
                            "pass, and %s %s; give a file instead of a pipe, or a writable TMPDIR",
                            dp->name, dp->name, why);
    if (!(dp->cl = lr_mem_calloc(1, sizeof *dp->cl)))
        return lr_error_nomem(err);
    if ((rc = lr_clustering_init(dp->cl, n, dp->pk, err))) {
        lr_mem_free(dp->cl, sizeof *dp->cl);
        dp->cl = NULL;
        return rc;
    }
    dp->ncl = n;
    return LR_OK;
}

/* CL: the meat Σ_c ± G_c/(G_c − 1) Σ_g u_g u_gᵀ (minus for the intersection)
 * and *scale = (n₊/n)² (n − 1)/(n − k), n counting rows of weight zero and n₊
 * not (vcov_cluster.c has the derivation from sandwich::meatCL). */
static int cl_meat(lr_diag_pass *dp, double *scale, lr_error *err)
{
    double n = (double)(dp->nobs + dp->cl->nzero), k = (double)dp->pk;
    int rc = lr_clustering_meat(dp->cl, dp->meat, dp->out->n_clusters, dp->name, err);
    if (rc)
        return rc;
    if (!(n > k))
        return lr_error_set(err, LR_EDATA,
                            "%s: the clustered covariance needs more observations than "
                            "coefficients",
                            dp->name);
    double r = (double)dp->nobs / n;
    *scale = r * r * (n - 1) / (n - k);
    return LR_OK;
}

/* The kept (not aliased) coefficients: their indices, β and (XᵀX)⁻¹ on them,
 * into dp (owned: pass_free). */
static int pass_kept(lr_diag_pass *dp, const lr_solution *sol, lr_error *err)
{
    size_t p = dp->p, pk = 0;
    if (!(dp->kept = lr_mem_calloc(p, sizeof(size_t))))
        return lr_error_nomem(err);
    for (size_t j = 0; j < p; j++)
        if (!sol->aliased[j])
            dp->kept[pk++] = j;
    dp->pk = pk;
    size_t pkk = pk ? pk * pk : 1; /* doubles of a kept × kept matrix (at least one) */
    dp->vk = lr_mem_calloc(pkk, sizeof(double));
    dp->bk = lr_mem_calloc(pk ? pk : 1, sizeof(double));
    if (!dp->vk || !dp->bk)
        return lr_error_nomem(err);
    for (size_t a = 0; a < pk; a++) {
        dp->bk[a] = sol->beta[dp->kept[a]];
        for (size_t b = 0; b < pk; b++)
            LR_AT(dp->vk, pk, a, b) = LR_AT(sol->xtx_inv, p, dp->kept[a], dp->kept[b]);
    }
    return LR_OK;
}

/* What the request needs held across the pass: the meat and its block, the
 * clusterings or the HAC lag products, the residuals for the quantiles (or
 * their histogram), the residuals summary.lm prints one by one, and the plot
 * subsample. df: the residual degrees of freedom. */
static int pass_alloc(lr_diag_pass *dp, lr_source *input, double df, lr_error *err)
{
    const lr_diag_request *req = dp->req;
    lr_diag_result *out = dp->out;
    uint64_t nobs = dp->nobs;
    size_t pk = dp->pk, pkk = pk ? pk * pk : 1;
    int rc;
    if (req->vcov != LR_VCOV_CLASSICAL &&
        (!(dp->meat = lr_mem_calloc(pkk, sizeof(double))) ||
         !(dp->mblock = lr_mem_alloc(LR_DIAG_BLOCK * (pk ? pk : 1) * sizeof(double)))))
        return lr_error_nomem(err);
    if (req->vcov == LR_VCOV_CL && (rc = cl_setup(dp, input, err)))
        return rc;
    if (req->vcov == LR_VCOV_HAC) {
        if (!(dp->hac = lr_mem_calloc(1, sizeof *dp->hac)))
            return lr_error_nomem(err);
        if ((rc = lr_hac_init(dp->hac, pk, req->hac_lag, err)))
            return rc;
    }
    if (req->quantiles) {
        if (lr_qvalues_init(&dp->qv, nobs, nobs))
            return lr_error_nomem(err);
    }
    if (req->quantiles && df > 0 && df <= 5) {
        /* summary.lm prints the residuals themselves, named by their rows */
        out->nfew = (size_t)nobs;
        out->few = lr_mem_alloc(out->nfew * sizeof(double));
        out->few_row = lr_mem_alloc(out->nfew * sizeof(uint64_t));
        if (!out->few || !out->few_row)
            return lr_error_nomem(err);
        dp->rows = 1; /* the lines */
    }
    if (req->plot_points > 0) {
        dp->stride = (nobs + req->plot_points - 1) / req->plot_points;
        if (dp->stride < 1)
            dp->stride = 1;
        out->np_cap = (size_t)(nobs / dp->stride + 1);
        out->pf = lr_mem_alloc(out->np_cap * sizeof(double));
        out->pr = lr_mem_alloc(out->np_cap * sizeof(double));
        out->pe = lr_mem_alloc(out->np_cap * sizeof(double));
        out->psorted = lr_mem_alloc(out->np_cap * sizeof(double));
        if (!out->pf || !out->pr || !out->pe || !out->psorted)
            return lr_error_nomem(err);
    }
    return LR_OK;
}

static void pass_free(lr_diag_pass *dp)
{
    size_t pk = dp->pk, pkk = pk ? pk * pk : 1;
    lr_mem_free(dp->kept, dp->p * sizeof(size_t));
    lr_mem_free(dp->vk, pkk * sizeof(double));
    lr_mem_free(dp->bk, (pk ? pk : 1) * sizeof(double));
    lr_mem_free(dp->meat, pkk * sizeof(double));
    lr_mem_free(dp->mblock, LR_DIAG_BLOCK * (pk ? pk : 1) * sizeof(double));
    if (dp->hac)
        lr_hac_free(dp->hac);
    lr_mem_free(dp->hac, sizeof *dp->hac);
    if (dp->cl)
        lr_clustering_free(dp->cl);
    lr_mem_free(dp->cl, sizeof *dp->cl);
    lr_qvalues_free(&dp->qv);
}

/* The pass split among MPI ranks (diagnostics_share.c): the job, then the
 * request's share's run (rank 0's). */
static int shared_pass(lr_diag_pass *dp, lr_source *input, lr_frame *frame, lr_error *err)
{
    lr_pbuf job = {0};
    int rc = lr_diag_job_put(dp, &job)
                 ? lr_error_nomem(err)
                 : dp->req->share->run(dp->req->share->ud, frame, input, job.b, job.n,
                                       dp->req->threads, &diag_ops, dp, err);
    lr_pbuf_free(&job);
    return rc;
}

/* The pass: over the rows the first pass kept, or the text again on
 * every core the fit used (for CL, the text when the spool lacks the
 * cluster cells: it was given up, or the frame kept none). */
static int pass_run(lr_diag_pass *dp, lr_source *input, lr_frame *frame, const lr_model_spec *spec,
                    lr_error *err)
{
    const lr_diag_request *req = dp->req;
    int rc, fd = lr_frame_rows_fd(frame);
    /* blocks of 256 rows: one BLAS thread (more would only spin, and a
     * threaded dsyrk need not sum in one order) */
    int blas_threads = lr_blas_threads(1);
    dp->pass = pass_name(req);
    lr_progress_send(req->progress, req->progress_ud, dp->pass, "rows", 0, dp->nobs, 0);
    /* the residuals named by their rows want lines, which the spool may not
     * keep: the text again when it can be read */
    if (fd >= 0 && (!dp->ncl || dp->cl_spooled) &&
        !(dp->out->few && input && !lr_source_again_why(input)))
        rc = lr_diag_spool_pass(dp, fd, spec, lr_accum_ncols(lr_frame_accum(frame)), req->threads,
                                err);
    else if (req->share && input)
        rc = shared_pass(dp, input, frame, err);
    else
        rc = lr_ingest_pass(input, req->threads, &diag_ops, dp, err);
    if (rc == LR_OK && dp->meat)
        meat_flush(dp);
    lr_blas_threads(blas_threads);
    if (rc)
        return rc;
    if (dp->seen != dp->nobs)
        return lr_error_set(err, LR_EIO,
                            "%s: changed while being read: %llu observations when read again, "
                            "%llu the first time",
                            dp->name, (unsigned long long)dp->seen, (unsigned long long)dp->nobs);
    return LR_OK;
}

/* The covariance the request names, from the meat: HAC's Bartlett-weighted
 * lag products, CL's clusterings, or HC's Σ ω w x xᵀ, as V M V on the kept
 * coefficients, NaN for the aliased. df: the residual degrees of freedom. */
static int pass_vcov(lr_diag_pass *dp, double df, lr_error *err)
{
    lr_diag_result *out = dp->out;
    size_t p = dp->p, pk = dp->pk;
    int rc;
    /* HAC: the meat is the Bartlett-weighted sum of the lag products. */
    if (dp->hac && pk > 0)
        lr_hac_meat(dp->hac, dp->meat);
    /* HC covariance: V M V on the kept coefficients, NaN for the aliased. */
    double scale = dp->req->vcov == LR_VCOV_HC1 ? (double)dp->nobs / df : 1.0;
    if (dp->ncl && (rc = cl_meat(dp, &scale, err)))
        return rc;
    /* No residual degrees of freedom: the fit passes through every row of
     * nonzero weight, so every score wᵢeᵢxᵢ is zero and so is the meat —
     * what was summed is the rounding noise of those residuals (1e-15 and
     * t values of 1e14 printed as numbers). It is zero, as in R, whose
     * residuals are exactly 0 there: HC0, HAC and CL with rows of weight
     * zero give standard errors of 0, and HC1's n/(n − p), HC2/HC3's
     * 1/(1 − h) and CL's (n − 1)/(n − k) turn 0 into NaN (R's NaN, NA). */
    if (df == 0 && dp->meat && pk > 0)
        memset(dp->meat, 0, pk * pk * sizeof(double));
    if (dp->meat && (rc = hc_vcov(dp, scale, err)))
        return rc;
    if (dp->meat && out->vcov && !dp->ncl && df > 0 && (rc = hc_digits(dp, scale, err)))
        return rc;
    if (dp->ncl && out->vcov && df > 0) {
        /* variances that are only rounding noise (the clusters nested in a term;
         * with no residual degrees of freedom the meat is exactly zero) */
        out->cl_zero = lr_mem_calloc(p ? p : 1, 1);
        rc = out->cl_zero ? lr_cluster_zero(dp->cl, p, pk, dp->kept, dp->vk, scale, out->vcov,
                                            out->cl_zero, &out->n_zero, err)
                          : lr_error_nomem(err);
        if (rc)
            return rc;
    }
    for (size_t a = 0; dp->ncl == 2 && out->vcov && a < pk; a++)
        out->n_negative += LR_AT(out->vcov, p, dp->kept[a], dp->kept[a]) < 0;
    return LR_OK;
}

/* Quantiles of the residuals (exact, or from the histogram within its
 * bound), and the plot's standardized residuals sorted. */
static void pass_quantiles(const lr_diag_pass *dp)
{
    lr_diag_result *out = dp->out;
    uint64_t nobs = dp->nobs;
    if (dp->req->quantiles && nobs > 0) {
        if (dp->q_done) {
            /* the MPI ranks' selection made them */
        } else if (dp->qv.exact) {
            lr_quantiles7(dp->qv.v, nobs, lr_quantile_probs, out->q);
        } else {
            /* Min and Max exact; 1Q, median and 3Q within the histogram's bound */
            double bound = 0;
            for (int i = 1; i < 4; i++) {
                double hpos = (double)(nobs - 1) * lr_quantile_probs[i];
                uint64_t lo = (uint64_t)floor(hpos);
                double a = lr_hist_order(dp->qv.hist, lo, &bound);
                double b = lo + 1 < nobs ? lr_hist_order(dp->qv.hist, lo + 1, &bound) : a;
                out->q[i] = a + (hpos - (double)lo) * (b - a);
            }
            out->q[0] = dp->qv.hmin;
            out->q[4] = dp->qv.hmax;
            out->q_err = bound;
        }
        out->has_q = 1;
    }
    if (out->pr) {
        /* the defined ones sorted, then the NaNs (a leverage of one, no
         * residual degrees of freedom), which have no order */
        size_t nf = 0;
        for (size_t i = 0; i < out->np; i++)
            if (!isnan(out->pr[i]))
                out->psorted[nf++] = out->pr[i];
        qsort(out->psorted, nf, sizeof(double), lr_cmp_double);
        for (size_t i = nf; i < out->np; i++)
            out->psorted[i] = (double)NAN;
    }
}

int lr_diagnostics(lr_source *input, char delimiter, lr_frame *frame, const lr_model_spec *spec,
                   const lr_solution *sol, uint64_t nobs, const lr_diag_request *req,
                   lr_diag_result *out, lr_error *err)
{
    size_t q = spec->q, icpt = spec->intercept ? 1 : 0, p = q + icpt;
    double df = (double)nobs - (double)sol->rank;
    lr_diag_pass dp;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&dp, 0, sizeof dp);
    out->p = p;
    dp.frame = frame;
    dp.delimiter = delimiter;
    dp.name = lr_frame_source(frame);
    dp.input = input;
    dp.sol = sol;
    dp.req = req;
    dp.q = q;
    dp.icpt = icpt;
    dp.p = p;
    dp.sigma2 = df > 0 ? sol->rss / df : (double)NAN;
    dp.sigma = sqrt(dp.sigma2);
    dp.rows = req->residual_row != NULL || req->plot_points > 0;
    dp.nobs = nobs;
    dp.stride = 1;
    dp.out = out;
    if (!(rc = pass_kept(&dp, sol, err))) {
        dp.h_one = 1 - LR_ONE_ULPS * (double)(dp.pk ? dp.pk : 1) * DBL_EPSILON;
        if (!(rc = pass_alloc(&dp, input, df, err)) &&
            !(rc = pass_run(&dp, input, frame, spec, err)) && !(rc = pass_vcov(&dp, df, err)))
            pass_quantiles(&dp);
    }
    pass_free(&dp);
    if (rc)
        lr_diag_result_free(out);
    return rc;
}
