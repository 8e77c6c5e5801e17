/*
 * diagnostics_spool.c — the second pass over the row spool: the first
 * pass's evaluated rows read back, record by record, through the same blocks
 * as the text (diagnostics_rows.c); in file order when the order matters,
 * else on every thread.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "diagnostics_impl.h"
#include "ingest.h"
#include "row_spool.h"

/* What a pass over the spool keeps per thread: a block, a chunk's worth of
 * results, and where a record holds each accumulator column. */
typedef struct spool_eval {
    lr_diag_block *b; /* rows on their way to the BLAS calls */
    lr_diag_chunk *c; /* a record's results */
    size_t *pos;      /* per accumulator column: its place in the record, or SIZE_MAX */
} spool_eval;

static void spool_eval_free(lr_diag_pass *dp, size_t kacc, spool_eval *se)
{
    size_t bcols = dp->pk ? dp->pk : 1;
    if (se->b) {
        lr_mem_free(se->b->x, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(se->b->t, LR_DIAG_BLOCK * bcols * sizeof(double));
        lr_mem_free(se->b, sizeof *se->b);
    }
    lr_diag_chunk_drop(dp, se->c);
    lr_mem_free(se->pos, (kacc ? kacc : 1) * sizeof(size_t));
    memset(se, 0, sizeof *se);
}

static int spool_eval_init(lr_diag_pass *dp, size_t kacc, spool_eval *se, lr_error *err)
{
    size_t pk = dp->pk, bcols = pk ? pk : 1;
    memset(se, 0, sizeof *se);
    se->pos = lr_mem_alloc((kacc ? kacc : 1) * sizeof(size_t));
    se->b = lr_mem_calloc(1, sizeof *se->b);
    se->c = lr_mem_calloc(1, sizeof *se->c);
    if (!se->pos || !se->b || !se->c ||
        !(se->b->x = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double))) ||
        !(se->b->t = lr_mem_alloc(LR_DIAG_BLOCK * bcols * sizeof(double)))) {
        spool_eval_free(dp, kacc, se);
        return lr_error_nomem(err);
    }
    return LR_OK;
}

/* CL over the spool: row r's cluster cells, which its record carries (as
 * cl_keep's from the text: the same bytes, the rows in the same order). */
static int cl_keep_spooled(const lr_diag_pass *dp, lr_diag_chunk *c, const lr_row_reader *rec,
                           size_t r, size_t obs, lr_error *err)
{
    const char *key[LR_CLUSTER_MAX];
    size_t len[LR_CLUSTER_MAX];
    if (rec->nkey != dp->ncl)
        return lr_error_set(err, LR_EIO, "the spool of model rows cannot be read back");
    for (size_t i = 0; i < dp->ncl; i++)
        key[i] = lr_row_reader_key(rec, r, i, &len[i]);
    return lr_cluster_keys_add(&c->keys, dp->ncl, key, len, obs, err);
}

/* One record's rows through the blocks into se->c (its previous results
 * dropped). acol: the accumulator column of each kept coefficient (SIZE_MAX:
 * the intercept or a column of zeros). */
static int spool_record(const lr_diag_pass *dp, const lr_row_reader *rec, const size_t *acol,
                        size_t kacc, spool_eval *se, lr_error *err)
{
    lr_diag_block *b = se->b;
    lr_diag_chunk *c = se->c;
    size_t *pos = se->pos, pk = dp->pk;
    size_t ocol = lr_frame_offset_col(dp->frame);
    if (ocol != SIZE_MAX && ocol >= kacc)
        ocol = SIZE_MAX;
    int rc;
    for (size_t i = 0; i < kacc; i++)
        pos[i] = SIZE_MAX;
    for (size_t i = 0; i < rec->k; i++)
        if (rec->col[i] < kacc)
            pos[rec->col[i]] = i;
    size_t n = (size_t)rec->n;
    c->n = 0;
    c->n_one = 0;
    c->keys.n = 0; /* CL: the record's keys, added in diag_fold */
    c->keys.nbytes = 0;
    while (c->cap < n)
        if ((rc = lr_diag_chunk_grow(dp, c, err)))
            return rc;
    for (size_t i = 0; i < n;) {
        /* a run of rows into the block: column by column (memcpy) when
         * none has weight zero, else row by row skipping those */
        size_t m = n - i < LR_DIAG_BLOCK - b->n ? n - i : LR_DIAG_BLOCK - b->n;
        int zero = 0;
        for (size_t r = i; rec->w && r < i + m && !zero; r++)
            zero = rec->w[r] == 0;
        for (size_t a = 0; a < pk; a++) {
            double *dst = b->x + a * LR_DIAG_BLOCK + b->n;
            size_t ac = acol[a], at = ac == SIZE_MAX ? SIZE_MAX : pos[ac];
            const double *src = at == SIZE_MAX ? NULL : rec->x + at * n + i;
            double fill = dp->icpt && dp->kept[a] == 0 ? 1.0 : 0.0;
            if (!zero && src)
                memcpy(dst, src, m * sizeof(double));
            else
                for (size_t r = 0, o = 0; r < m; r++)
                    if (!zero || rec->w[i + r] != 0)
                        dst[o++] = src ? src[r] : fill;
        }
        for (size_t r = i; r < i + m; r++) {
            if (dp->ncl &&
                (rc = cl_keep_spooled(dp, c, rec, r,
                                      zero && rec->w[r] == 0 ? SIZE_MAX : c->n + b->n, err)))
                return rc;
            if (zero && rec->w[r] == 0)
                continue;
            b->y[b->n] = pos[0] == SIZE_MAX ? 0.0 : rec->x[pos[0] * n + r];
            b->off[b->n] =
                ocol == SIZE_MAX || pos[ocol] == SIZE_MAX ? 0.0 : rec->x[pos[ocol] * n + r];
            b->w[b->n] = rec->w ? rec->w[r] : 1.0;
            b->line[b->n] = rec->line ? rec->line[r] : 0; /* kept when rows are reported */
            b->n++;
        }
        if (b->n == LR_DIAG_BLOCK)
            lr_diag_block_run(dp, b, c);
        i += m;
    }
    lr_diag_block_run(dp, b, c);
    return LR_OK;
}

/* The pass in file order, for what depends on it (per-row output, the HC
 * meat's sums). (Reading the next record on a thread of its own, one
 * thread per record, was slower: 0.71 s against 0.63 s for --vcov HC3 on
 * the 1M-row benchmark file.) */
static int spool_pass_ordered(lr_diag_pass *dp, int fd, const size_t *acol, size_t kacc,
                              lr_error *err)
{
    lr_row_reader rd;
    lr_row_reader_init(&rd, fd);
    spool_eval se;
    int has = 0, rc = spool_eval_init(dp, kacc, &se, err);
    if (rc == LR_OK)
        rc = lr_row_reader_next(&rd, &has, err);
    while (rc == LR_OK && has) {
        if ((rc = spool_record(dp, &rd, acol, kacc, &se, err)) ||
            (rc = lr_diag_fold(dp, se.c, 0, err)))
            break;
        rc = lr_row_reader_next(&rd, &has, err);
    }
    lr_row_reader_free(&rd);
    spool_eval_free(dp, kacc, &se);
    return rc;
}

/* The quantiles alone do not depend on the order of the residuals: records
 * are taken by whichever thread is free, each residual computed exactly as
 * in file order (the same blocks, the same BLAS calls), and stored at the
 * next free place, or counted in the thread's own histogram (summed after:
 * counts are exact whatever the order). */
typedef struct spool_shared {
    lr_diag_pass *dp;
    int fd;
    const size_t *acol;
    size_t kacc;
    uint64_t *offs;     /* records' offsets */
    size_t nrec;        /* their number */
    pthread_mutex_t mu; /* guards what follows */
    size_t next;        /* the next record to take */
    uint64_t filled;    /* residuals stored */
    int rc;             /* the first failure */
    lr_error err;
    pthread_t caller; /* the thread that tells progress (the caller's callback) */
} spool_shared;

static void *spool_worker(void *arg)
{
    spool_shared *sh = arg;
    lr_diag_pass *dp = sh->dp;
    lr_row_reader rd;
    spool_eval se;
    lr_error err;
    lr_qvalues th; /* a histogram: this thread's, summed after */
    memset(&th, 0, sizeof th);
    lr_row_reader_init(&rd, sh->fd);
    int rc = spool_eval_init(dp, sh->kacc, &se, &err);
    int hist = dp->qv.on && !dp->qv.exact;
    if (rc == LR_OK && hist && lr_qvalues_init(&th, dp->nobs, 0))
        rc = lr_error_nomem(&err);
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        size_t i = sh->next++;
        int stop = rc != LR_OK || sh->rc != LR_OK || i >= sh->nrec;
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            break;
        int has = 0;
        rd.off = sh->offs[i];
        if ((rc = lr_row_reader_next(&rd, &has, &err)))
            break;
        if (!has) {
            rc = lr_error_set(&err, LR_EIO, "the spool of model rows cannot be read back");
            break;
        }
        if ((rc = spool_record(dp, &rd, sh->acol, sh->kacc, &se, &err)))
            break;
        const lr_diag_chunk *c = se.c;
        if (hist) {
            lr_qvalues_add(&th, c->rw, c->n); /* a histogram allocates nothing */
            pthread_mutex_lock(&sh->mu);
            uint64_t now = sh->filled += c->n;
            pthread_mutex_unlock(&sh->mu);
            if (pthread_equal(pthread_self(), sh->caller))
                lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows", now,
                                 dp->nobs, 0);
        } else {
            pthread_mutex_lock(&sh->mu);
            uint64_t at = sh->filled;
            sh->filled += c->n;
            pthread_mutex_unlock(&sh->mu);
            if (pthread_equal(pthread_self(), sh->caller))
                lr_progress_send(dp->req->progress, dp->req->progress_ud, dp->pass, "rows",
                                 at + c->n, dp->nobs, 0);
            if (at + c->n > dp->nobs) {
                rc = lr_error_set(&err, LR_EDATA,
                                  "%s: more observations when read again than the first "
                                  "time (the file changed between passes?)",
                                  dp->name);
                break;
            }
            if (dp->qv.on)
                memcpy(dp->qv.v + at, c->rw, c->n * sizeof(double));
        }
    }
    pthread_mutex_lock(&sh->mu);
    if (rc != LR_OK && sh->rc == LR_OK) {
        sh->rc = rc;
        sh->err = err;
    }
    if (hist && rc == LR_OK)
        lr_qvalues_merge(&dp->qv, &th);
    pthread_mutex_unlock(&sh->mu);
    lr_qvalues_free(&th);
    lr_row_reader_free(&rd);
    spool_eval_free(dp, sh->kacc, &se);
    return NULL;
}

static int spool_pass_any_order(lr_diag_pass *dp, int fd, const size_t *acol, size_t kacc,
                                int threads, lr_error *err)
{
    spool_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dp = dp;
    sh.fd = fd;
    sh.acol = acol;
    sh.kacc = kacc;
    sh.caller = pthread_self();
    int rc = lr_row_spool_index(fd, &sh.offs, &sh.nrec, err);
    if (rc)
        return rc;
    if (pthread_mutex_init(&sh.mu, NULL)) {
        lr_mem_free(sh.offs, sh.nrec * sizeof(uint64_t));
        return lr_error_set(err, LR_ENOMEM, "cannot create a lock");
    }
    pthread_t tid[LR_INGEST_MAX_THREADS];
    int started = 0;
    for (; started < threads - 1 && started < LR_INGEST_MAX_THREADS; started++)
        if (pthread_create(&tid[started], NULL, spool_worker, &sh) != 0)
            break; /* fewer threads: still correct */
    spool_worker(&sh);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&sh.mu);
    lr_mem_free(sh.offs, sh.nrec * sizeof(uint64_t));
    if (sh.rc) {
        *err = sh.err;
        return sh.rc;
    }
    dp->seen = sh.filled;
    if (dp->qv.exact)
        dp->qv.n = sh.filled;
    return LR_OK;
}

/* The pass over the row spool: the first pass's evaluated rows, read back. */
int lr_diag_spool_pass(lr_diag_pass *dp, int fd, const lr_model_spec *spec, size_t kacc,
                       int threads, lr_error *err)
{
    size_t pk = dp->pk, bcols = pk ? pk : 1;
    size_t *acol = lr_mem_alloc(bcols * sizeof(size_t));
    if (!acol)
        return lr_error_nomem(err);
    for (size_t a = 0; a < pk; a++) {
        size_t j = dp->kept[a];
        acol[a] = dp->icpt && j == 0 ? SIZE_MAX : spec->cols[j - dp->icpt];
    }
    threads = lr_ingest_threads(threads); /* 0: every core */
    int rc = !dp->rows && !dp->meat && threads > 1
                 ? spool_pass_any_order(dp, fd, acol, kacc, threads, err)
                 : spool_pass_ordered(dp, fd, acol, kacc, err);
    lr_mem_free(acol, bcols * sizeof(size_t));
    return rc;
}
