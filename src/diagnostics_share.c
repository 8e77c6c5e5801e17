/*
 * diagnostics_share.c — the second pass split among MPI ranks (mpi_fit.c;
 * docs/design.md, "MPI (issue 16, item 4)").
 *
 * Rank 0 has solved. Every rank evaluates the chunks of its own share of
 * the text (the first pass's deal, the same chunks) with lr_diag_eval, in
 * the frame rank 0 had when it solved (rebuilt from its partial-fit bytes,
 * partial_io.c) and the solution's values that evaluation reads (the job
 * below, raw doubles: a broadcast of bytes is exact). A rank after the
 * first writes each chunk's lr_diag_chunk as a record — its rows' √w e, the
 * meat's rows u, the --residuals rows, the leverage-one lines and its
 * physical lines — and rank 0 folds them with lr_diag_fold after its own
 * chunks, in file and block order, each with the lines of the data set
 * before it: the single process's fold of the same values in the same
 * order, so the quantiles' selection, the meat's dsyrk blocks, the
 * --residuals rows and every line number are the same bits.
 *
 * With --vcov CL a record carries each row's cluster keys too (the rank
 * finds the cluster columns in its frame by their names), and rank 0 adds
 * them to its clusterings in file order with the rows' scores. Not shared:
 * the spool pass (an MPI frame keeps no rows).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diagnostics_impl.h"
#include "ingest.h"
#include "partial_io.h"

/* Record kinds of the second pass's stream (partial_io.c's are 1 to 8). */
#define REC_DIAG 9u        /* a chunk's lr_diag_chunk */
#define REC_DIAG_ERROR 10u /* a chunk that failed: its code and error */

/* Reading little-endian fields; bad once past the end. */
typedef struct rd {
    const unsigned char *b;
    size_t n, off;
    int bad;
} rd;

static uint64_t rd_u64(rd *r)
{
    uint64_t x = 0;
    if (r->n - r->off < 8 || r->off > r->n) {
        r->bad = 1;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)r->b[r->off + (size_t)i] << (8 * i);
    r->off += 8;
    return x;
}

static double rd_f64(rd *r)
{
    uint64_t u = rd_u64(r);
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* A string (lr_pbuf_str: length, bytes, NUL) in place: its bytes, *len of
 * them; "" and bad when cut short. */
static const char *rd_span(rd *r, size_t *len)
{
    uint64_t k = rd_u64(r);
    *len = 0;
    if (r->bad || k >= r->n - r->off) { /* its bytes and its NUL */
        r->bad = 1;
        return "";
    }
    const char *s = (const char *)r->b + r->off;
    r->off += (size_t)k + 1;
    *len = (size_t)k;
    return s;
}

/* A string into buf[0..cap), cut to fit. */
static void rd_str(rd *r, char *buf, size_t cap)
{
    size_t k;
    const char *s = rd_span(r, &k);
    snprintf(buf, cap, "%.*s", (int)(k < cap - 1 ? k : cap - 1), s);
}

/* A count of items of `each` bytes that the rest can hold, else bad. */
static size_t rd_count(rd *r, size_t each)
{
    uint64_t k = rd_u64(r);
    if (r->bad || k > (r->n - r->off) / each) {
        r->bad = 1;
        return 0;
    }
    return (size_t)k;
}

/* The quantiles' values stay on the ranks, which take part in a selection
 * after the pass (lr_diag_qsel_*), unless summary.lm prints the residuals
 * one by one (a few rows: their records carry them). */
static int values_stay(const lr_diag_pass *dp)
{
    return dp->qv.on && !dp->out->few;
}

int lr_diag_job_put(const lr_diag_pass *dp, lr_pbuf *p)
{
    uint64_t head[] = {dp->q,
                       dp->icpt,
                       dp->p,
                       dp->pk,
                       dp->sol->rank,
                       (uint64_t)dp->rows,
                       (uint64_t)dp->req->quantiles,
                       (uint64_t)dp->req->vcov,
                       dp->meat != NULL,
                       dp->nobs,
                       (uint64_t)values_stay(dp)};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        lr_pbuf_u64(p, head[i]);
    lr_pbuf_str(p, dp->name, strlen(dp->name));
    /* CL: the cluster columns' names (each rank finds them in its frame) */
    lr_pbuf_str(p, dp->ncl ? dp->req->cluster : "", dp->ncl ? strlen(dp->req->cluster) : 0);
    for (size_t a = 0; a < dp->pk; a++)
        lr_pbuf_u64(p, dp->kept[a]);
    lr_pbuf_f64(p, dp->sigma);
    lr_pbuf_f64(p, dp->sigma2);
    lr_pbuf_f64(p, dp->h_one);
    for (size_t a = 0; a < dp->pk * dp->pk; a++)
        lr_pbuf_f64(p, dp->vk[a]);
    for (size_t a = 0; a < dp->pk; a++)
        lr_pbuf_f64(p, dp->bk[a]);
    return p->failed ? LR_ENOMEM : LR_OK;
}

/* A rank after the first: the pass, its request and solution as the job
 * says (all owned here). */
typedef struct remote_pass {
    lr_diag_pass dp;
    lr_diag_request req;
    lr_solution sol;
    char name[512];
    char cluster[512]; /* CL: the cluster columns, as --cluster names them */
    double meat_flag;  /* dp.meat points here when rank 0 has a meat: a flag only */
    int stay;          /* the quantiles' values stay here, in qv (values_stay) */
    lr_qvalues qv;     /* them, in file order */
    lr_ingest_emit_fn emit;
    void *ud;
    int failed; /* an error record went: the rank stops */
} remote_pass;

/* CL: the cluster columns in the rebuilt frame (the same header as rank
 * 0's, so the same fields), whose keys each chunk record carries. */
static int cluster_columns(remote_pass *rp, lr_error *err)
{
    const char *name[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX], n = 0;
    lr_diag_pass *dp = &rp->dp;
    if (!rp->cluster[0])
        return LR_OK;
    if (rp->req.vcov != LR_VCOV_CL || !dp->meat ||
        lr_cluster_split(rp->cluster, name, len, &n, err))
        return lr_error_set(err, LR_EDATA, "MPI: rank 0's second-pass job is malformed");
    for (size_t i = 0; i < n; i++) {
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(len[i] < 255 ? len[i] : 255), name[i]);
        if (!lr_frame_column(dp->frame, nm, &dp->ccol[i]))
            return lr_error_set(err, LR_EDATA, "MPI: no cluster column '%s' in rank 0's frame", nm);
    }
    rp->req.cluster = rp->cluster;
    dp->ncl = n;
    return LR_OK;
}

static int job_get(remote_pass *rp, const unsigned char *job, size_t len, lr_error *err)
{
    rd r = {job, len, 0, 0};
    lr_diag_pass *dp = &rp->dp;
    dp->q = (size_t)rd_u64(&r);
    dp->icpt = (size_t)rd_u64(&r);
    dp->p = (size_t)rd_u64(&r);
    dp->pk = (size_t)rd_u64(&r);
    rp->sol.rank = (size_t)rd_u64(&r);
    dp->rows = (int)rd_u64(&r);
    rp->req.quantiles = (int)rd_u64(&r);
    rp->req.vcov = (lr_vcov)rd_u64(&r);
    int meat = (int)rd_u64(&r);
    dp->nobs = rd_u64(&r);
    rp->stay = (int)rd_u64(&r);
    rd_str(&r, rp->name, sizeof rp->name);
    rd_str(&r, rp->cluster, sizeof rp->cluster);
    if (r.bad || dp->pk > dp->p || dp->p != dp->q + dp->icpt ||
        dp->pk > (len - r.off) / 8 / (dp->pk ? dp->pk : 1))
        return lr_error_set(err, LR_EDATA, "MPI: rank 0's second-pass job is cut short");
    size_t pk = dp->pk, pkk = pk ? pk * pk : 1;
    dp->kept = lr_mem_calloc(dp->p ? dp->p : 1, sizeof(size_t));
    dp->vk = lr_mem_calloc(pkk, sizeof(double));
    dp->bk = lr_mem_calloc(pk ? pk : 1, sizeof(double));
    if (!dp->kept || !dp->vk || !dp->bk)
        return lr_error_nomem(err);
    for (size_t a = 0; a < pk; a++)
        dp->kept[a] = (size_t)rd_u64(&r);
    dp->sigma = rd_f64(&r);
    dp->sigma2 = rd_f64(&r);
    dp->h_one = rd_f64(&r);
    for (size_t a = 0; a < pk * pk; a++)
        dp->vk[a] = rd_f64(&r);
    for (size_t a = 0; a < pk; a++)
        dp->bk[a] = rd_f64(&r);
    for (size_t a = 0; a < pk && !r.bad; a++)
        r.bad = dp->kept[a] >= dp->p;
    if (r.bad || r.off != len)
        return lr_error_set(err, LR_EDATA, "MPI: rank 0's second-pass job is malformed");
    dp->name = rp->name;
    dp->sol = &rp->sol;
    dp->req = &rp->req;
    dp->meat = meat ? &rp->meat_flag : NULL;
    if (rp->stay && (!rp->req.quantiles || lr_qvalues_init(&rp->qv, dp->nobs, 4096)))
        return rp->req.quantiles ? lr_error_nomem(err)
                                 : lr_error_set(err, LR_EDATA, "MPI: rank 0's job is malformed");
    return cluster_columns(rp, err);
}

/* A chunk's results as a record (kind REC_DIAG): its √w e unless they stay. */
static void put_chunk(lr_pbuf *p, const lr_diag_pass *dp, const lr_diag_chunk *c, uint64_t lines,
                      int stay)
{
    lr_pbuf_u64(p, REC_DIAG);
    lr_pbuf_u64(p, lines);
    lr_pbuf_u64(p, c->n);
    for (size_t i = 0; dp->rows && i < c->n; i++) {
        const lr_residual *r = &c->r[i];
        lr_pbuf_u64(p, r->line);
        double v[] = {r->fitted, r->residual, r->leverage, r->std_residual, r->cooks};
        for (size_t j = 0; j < 5; j++)
            lr_pbuf_f64(p, v[j]);
    }
    for (size_t i = 0; c->rw && !stay && i < c->n; i++)
        lr_pbuf_f64(p, c->rw[i]);
    for (size_t i = 0; c->u && i < c->n * dp->pk; i++)
        lr_pbuf_f64(p, c->u[i]);
    lr_pbuf_u64(p, c->n_one);
    for (size_t i = 0; i < c->n_one && i < LR_ONE_LINES; i++)
        lr_pbuf_u64(p, c->one_line[i]);
    /* CL: every kept row's keys (rows of weight zero too: obs UINT64_MAX) */
    if (dp->ncl)
        lr_pbuf_u64(p, c->keys.n);
    for (size_t i = 0; dp->ncl && i < c->keys.n; i++) {
        const lr_cluster_row *kr = &c->keys.row[i];
        lr_pbuf_u64(p, kr->obs == SIZE_MAX ? UINT64_MAX : (uint64_t)kr->obs);
        for (size_t j = 0; j < dp->ncl; j++)
            lr_pbuf_str(p, c->keys.bytes + kr->off[j], kr->len[j]);
    }
}

/* A worker's chunk: its record, and its √w e when they stay (kept in file
 * order by the fold). */
typedef struct remote_chunk {
    lr_pbuf pb;
    lr_diag_chunk *c; /* when the values stay */
} remote_chunk;

static void remote_drop(void *ctx, void *result)
{
    remote_pass *rp = ctx;
    remote_chunk *rc = result;
    if (rc) {
        lr_diag_chunk_drop(&rp->dp, rc->c);
        lr_pbuf_free(&rc->pb);
        lr_mem_free(rc, sizeof *rc);
    }
}

/* A worker: the chunk evaluated and written as its record (or its error's,
 * lines counted from the chunk's first: rank 0 places it). */
static int remote_eval(void *ctx, const char *buf, size_t len, uint64_t seq, void **result,
                       uint64_t *lines, lr_error *err)
{
    remote_pass *rp = ctx;
    void *c = NULL;
    lr_error cerr;
    remote_chunk *ch = lr_mem_calloc(1, sizeof *ch);
    *result = NULL;
    if (!ch)
        return lr_error_nomem(err);
    lr_pbuf *pb = &ch->pb;
    int rc = lr_diag_eval(&rp->dp, buf, len, seq, &c, lines, &cerr);
    if (rc) {
        lr_pbuf_u64(pb, REC_DIAG_ERROR);
        lr_pbuf_u64(pb, (uint64_t)rc);
        lr_pbuf_u64(pb, cerr.line);
        lr_pbuf_u64(pb, cerr.col);
        lr_pbuf_str(pb, cerr.message, strlen(cerr.message));
    } else {
        put_chunk(pb, &rp->dp, c, *lines, rp->stay);
    }
    if (rp->stay && !rc)
        ch->c = c;
    else
        lr_diag_chunk_drop(&rp->dp, c);
    if (pb->failed) {
        remote_drop(rp, ch);
        return lr_error_nomem(err);
    }
    *result = ch;
    return LR_OK;
}

static int remote_fold(void *ctx, void *result, uint64_t lines_before, size_t file, uint64_t block,
                       lr_error *err)
{
    remote_pass *rp = ctx;
    remote_chunk *ch = result;
    (void)lines_before;
    (void)file;
    (void)block;
    int rc = rp->emit(rp->ud, ch->pb.b, ch->pb.n, err);
    if (!rc && ch->pb.b[0] == REC_DIAG_ERROR) { /* the first error in order: the last record */
        rp->failed = 1;
        rc = lr_error_set(err, LR_EDATA, "stopped at an error record");
    }
    if (!rc && ch->c && lr_qvalues_add(&rp->qv, ch->c->rw, ch->c->n))
        rc = lr_error_nomem(err);
    return rc;
}

static const lr_chunk_ops remote_ops = {remote_eval, NULL, remote_drop, remote_fold};

/* An error that is no chunk's (the text unreadable or changed, out of
 * memory) as the stream's last record, with its final place (line 0). */
static int emit_error(remote_pass *rp, int code, const lr_error *e, lr_error *err)
{
    lr_pbuf pb = {0};
    lr_pbuf_u64(&pb, REC_DIAG_ERROR);
    lr_pbuf_u64(&pb, (uint64_t)code);
    lr_pbuf_u64(&pb, UINT64_MAX); /* placed already */
    lr_pbuf_u64(&pb, e->col);
    lr_pbuf_str(&pb, e->message, strlen(e->message));
    int rc = pb.failed ? lr_error_nomem(err) : rp->emit(rp->ud, pb.b, pb.n, err);
    lr_pbuf_free(&pb);
    return rc;
}

int lr_diag_remote(const lr_frame *frame, char delimiter, const unsigned char *job, size_t jlen,
                   const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t nseg,
                   size_t max_line, int threads, lr_ingest_emit_fn emit, void *ud, lr_qvalues *qv,
                   lr_error *err)
{
    remote_pass *rp = lr_mem_calloc(1, sizeof *rp);
    if (!rp)
        return lr_error_nomem(err);
    rp->dp.frame = frame;
    rp->dp.delimiter = delimiter;
    rp->emit = emit;
    rp->ud = ud;
    lr_error e;
    int rc = job_get(rp, job, jlen, &e);
    if (!rc)
        rc = lr_ingest_segments_pass(paths, n, seg, nseg, max_line, threads, &remote_ops, rp, &e);
    /* an error record went (rc LR_EDATA from remote_fold) or another error
     * becomes one; only a failed emit is this rank's own failure */
    rc = rc && !rp->failed ? emit_error(rp, rc, &e, err) : LR_OK;
    if (rc || rp->failed)
        lr_qvalues_free(&rp->qv);
    *qv = rp->qv; /* the values that stay (none after a failure: rank 0 stops) */
    size_t pk = rp->dp.pk, pkk = pk ? pk * pk : 1;
    lr_mem_free(rp->dp.kept, (rp->dp.p ? rp->dp.p : 1) * sizeof(size_t));
    lr_mem_free(rp->dp.vk, pkk * sizeof(double));
    lr_mem_free(rp->dp.bk, (pk ? pk : 1) * sizeof(double));
    lr_mem_free(rp, sizeof *rp);
    return rc;
}

/* CL: a record's rows' keys (put_chunk) into keys; bad when cut short. */
static int get_keys(rd *r, size_t ncl, size_t cn, lr_cluster_keys *keys, lr_error *err)
{
    size_t nk = rd_count(r, 8 + 9 * ncl); /* a row: obs, then each key's length, bytes, NUL */
    for (size_t i = 0; i < nk && !r->bad; i++) {
        const char *key[LR_CLUSTER_MAX];
        size_t klen[LR_CLUSTER_MAX];
        uint64_t obs = rd_u64(r);
        for (size_t j = 0; j < ncl && !r->bad; j++)
            key[j] = rd_span(r, &klen[j]);
        if (!r->bad && obs != UINT64_MAX && obs >= cn)
            r->bad = 1;
        int rc = r->bad ? LR_OK
                        : lr_cluster_keys_add(keys, ncl, key, klen,
                                              obs == UINT64_MAX ? SIZE_MAX : (size_t)obs, err);
        if (rc)
            return rc;
    }
    return LR_OK;
}

int lr_diag_fold_record(void *ctx, const unsigned char *rec, size_t len, const char *name,
                        uint64_t *lines_before, lr_error *err)
{
    lr_diag_pass *dp = ctx;
    rd r = {rec, len, 0, 0};
    uint64_t kind = rd_u64(&r);
    if (kind == REC_DIAG_ERROR) {
        uint64_t code = rd_u64(&r), line = rd_u64(&r), col = rd_u64(&r);
        size_t nl = rd_count(&r, 1);
        if (r.bad || code == LR_OK || code > INT32_MAX)
            return lr_error_set(err, LR_EDATA, "MPI: an error record is malformed");
        err->code = (int)code;
        err->line = line == UINT64_MAX ? 0 : line;
        err->col = col;
        snprintf(err->message, sizeof err->message, "%.*s",
                 (int)(nl < LR_ERROR_MAX ? nl : LR_ERROR_MAX - 1), (const char *)rec + r.off);
        if (line != UINT64_MAX) /* a chunk's: at its place in the data set */
            lr_error_relocate(err, name, *lines_before);
        return (int)code;
    }
    uint64_t lines = rd_u64(&r);
    size_t pk = dp->pk;
    int stay = values_stay(dp);
    /* a row's bytes: none when the quantiles' values stay and nothing else
     * is wanted, so then the count is bounded by the fit's */
    size_t each = (dp->rows ? 48u : 0u) + (dp->req->quantiles && !stay ? 8u : 0u) +
                  (dp->meat ? 8 * (pk ? pk : 1) : 0u);
    size_t cn = each ? rd_count(&r, each) : (size_t)rd_u64(&r);
    if (!each && cn > dp->nobs)
        r.bad = 1;
    if (r.bad || kind != REC_DIAG)
        return lr_error_set(err, LR_EDATA, "MPI: a second-pass record is malformed");
    lr_diag_chunk *c = lr_mem_calloc(1, sizeof *c);
    int rc = c ? LR_OK : lr_error_nomem(err);
    size_t cap = cn ? cn : 1;
    if (!rc && dp->rows && !(c->r = lr_mem_calloc(c->cap_r = cap, sizeof(lr_residual))))
        rc = lr_error_nomem(err);
    if (!rc && dp->req->quantiles && !stay &&
        !(c->rw = lr_mem_calloc(c->cap_rw = cap, sizeof(double))))
        rc = lr_error_nomem(err);
    if (!rc && dp->meat &&
        !(c->u = lr_mem_calloc((c->cap_u = cap) * (pk ? pk : 1), sizeof(double))))
        rc = lr_error_nomem(err);
    if (!rc) {
        c->n = c->cap = cn;
        for (size_t i = 0; c->r && i < cn; i++) {
            lr_residual *x = &c->r[i];
            x->line = rd_u64(&r);
            x->fitted = rd_f64(&r);
            x->residual = rd_f64(&r);
            x->leverage = rd_f64(&r);
            x->std_residual = rd_f64(&r);
            x->cooks = rd_f64(&r);
        }
        for (size_t i = 0; c->rw && i < cn; i++)
            c->rw[i] = rd_f64(&r);
        for (size_t i = 0; c->u && i < cn * pk; i++)
            c->u[i] = rd_f64(&r);
        c->n_one = (size_t)rd_u64(&r);
        for (size_t i = 0; i < c->n_one && i < LR_ONE_LINES; i++)
            c->one_line[i] = rd_u64(&r);
        if (dp->ncl && !r.bad)
            rc = get_keys(&r, dp->ncl, cn, &c->keys, err);
        if (!rc && (r.bad || r.off != len))
            rc = lr_error_set(err, LR_EDATA, "MPI: a second-pass record is malformed");
    }
    if (!rc)
        rc = lr_diag_fold(dp, c, *lines_before, err);
    *lines_before += lines;
    lr_diag_chunk_drop(dp, c);
    return rc;
}

/* ---- the quantiles' selection among the ranks ---- */

lr_qvalues *lr_diag_qvalues(void *ctx)
{
    lr_diag_pass *dp = ctx;
    return values_stay(dp) ? &dp->qv : NULL;
}

int lr_diag_qsel_plan(void *ctx, const uint64_t *h, const double *ext, int nranks, uint32_t *want,
                      int *nw, lr_error *err)
{
    lr_diag_pass *dp = ctx;
    size_t nb = lr_qvalues_buckets(dp->qv.exact);
    uint64_t sum = 0;
    *nw = 0;
    for (size_t b = 0; b < nb; b++)
        sum += h[b];
    if (sum != dp->nobs)
        return lr_error_set(err, LR_EDATA,
                            "MPI: the ranks kept %llu residuals for the quantiles, the fit counted "
                            "%llu observations",
                            (unsigned long long)sum, (unsigned long long)dp->nobs);
    if (!dp->qv.exact) {
        /* the histogram is the ranks' summed; Min and Max the least and
         * greatest of theirs, compared in rank (so file) order as one
         * process compares its rows */
        memcpy(dp->qv.hist, h, nb * sizeof(uint64_t));
        dp->qv.hmin = INFINITY;
        dp->qv.hmax = -INFINITY;
        for (int r = 0; r < nranks; r++) {
            dp->qv.hmin = ext[2 * r] < dp->qv.hmin ? ext[2 * r] : dp->qv.hmin;
            dp->qv.hmax = ext[2 * r + 1] > dp->qv.hmax ? ext[2 * r + 1] : dp->qv.hmax;
        }
        return LR_OK;
    }
    if (dp->nobs == 0)
        return LR_OK;
    lr_q7_plan_make(h, dp->nobs, lr_quantile_probs, &dp->qplan);
    memcpy(want, dp->qplan.want, (size_t)dp->qplan.nw * sizeof(uint32_t));
    *nw = dp->qplan.nw;
    return LR_OK;
}

int lr_diag_qsel_finish(void *ctx, const uint64_t *cnt, const double *v, int nranks, lr_error *err)
{
    lr_diag_pass *dp = ctx;
    const lr_q7_plan *pl = &dp->qplan;
    int nw = pl->nw;
    /* rank r's values start after the ranks' before it */
    uint64_t base = 0, got[LR_Q7_WANT] = {0};
    for (int r = 0; r < nranks; r++)
        for (int j = 0; j < nw; j++)
            got[j] += cnt[(size_t)r * (size_t)nw + (size_t)j];
    for (int j = 0; j < nw; j++)
        if (got[j] != (j + 1 < nw ? pl->start[j + 1] : pl->total) - pl->start[j])
            return lr_error_set(err, LR_EDATA,
                                "MPI: the ranks sent other values for the quantiles than they "
                                "counted");
    double *g = lr_mem_alloc((size_t)(pl->total ? pl->total : 1) * sizeof(double));
    if (!g)
        return lr_error_nomem(err);
    /* bucket after bucket, each in rank order: the values of one process's
     * order within a bucket (not that the selection needs it) */
    uint64_t at[LR_Q7_WANT];
    memcpy(at, pl->start, sizeof at);
    for (int r = 0; r < nranks; r++)
        for (int j = 0; j < nw; j++) {
            uint64_t k = cnt[(size_t)r * (size_t)nw + (size_t)j];
            memcpy(g + at[j], v + base, (size_t)k * sizeof(double));
            at[j] += k;
            base += k;
        }
    lr_q7_plan_finish(pl, g, dp->out->q);
    lr_mem_free(g, (size_t)(pl->total ? pl->total : 1) * sizeof(double));
    dp->q_done = 1;
    return LR_OK;
}
