/*
 * ingest_pool.c — the threads of a pass: each chunk is evaluated by whichever
 * thread is free (the lowest-numbered queued first), and folded on the
 * calling thread in chunk order, so results do not depend on the thread
 * count (ingest.c).
 *
 * With t threads the pass runs t − 1 workers and the calling thread, which
 * reads the chunks, folds the next one in order when it is done and
 * otherwise evaluates a queued chunk itself. Why: a model that folds its
 * chunks in a chain (the QR accumulator from k + 1 = 32) spends a third of
 * the pass's CPU in the fold, and t workers beside a folding caller made
 * three busy threads on two cores: the chain got two thirds of a core and
 * was the critical path (100,000 × 200, 2 cores: 0.93 s wall for 1.4 s of
 * CPU; docs/performance.md). The folds stay on the calling thread (its
 * progress callbacks, an MPI build's calls) and in the same order on the
 * same data: the bits are the same.
 */
#include <pthread.h>
#include <string.h>

#include "ingest_impl.h"

typedef struct pool {
    const lr_chunk_ops *ops; /* what is done with each chunk */
    void *ctx;               /* their context */
    chunk_job *jobs;         /* slots */
    size_t njobs;            /* their number */
    pthread_mutex_t mu;      /* guards the states below */
    pthread_cond_t work;     /* a job was queued, or stop */
    pthread_cond_t done;     /* a job finished */
    int stop;                /* workers exit */
    int cancel;              /* an error was found: skip the remaining jobs */
    /* the fold, on the calling thread in chunk order (next_fold guarded by mu) */
    uint64_t next_fold;    /* the chunk to fold next */
    uint64_t lines_before; /* physical lines of the chunks folded */
    int rc;                /* the first failure, in chunk order */
    lr_error err;          /* its error */
    splitter *sp;          /* its folded offset, for progress */
    const char *name;      /* the input, for errors */
} pool;

static void run_job(pool *p, chunk_job *j)
{
    j->result = NULL;
    j->lines = 0;
    j->rc = p->ops->eval(p->ctx, j->buf, j->len, j->seq, &j->result, &j->lines, &j->err);
}

/* The job numbered next_fold if it is done, else NULL (mu held). */
static chunk_job *next_done(pool *p)
{
    for (size_t i = 0; i < p->njobs; i++)
        if (p->jobs[i].state == 3 && p->jobs[i].seq == p->next_fold)
            return &p->jobs[i];
    return NULL;
}

/* Fold every done job that is next in order, until one is not done or a
 * fold fails; mu held on entry and on return, released while folding. A
 * job's error is relocated by the lines before it: the first in file order,
 * since no later chunk is folded after it. */
static void fold_ready(pool *p)
{
    chunk_job *j;
    while (p->rc == LR_OK && (j = next_done(p)) != NULL) {
        pthread_mutex_unlock(&p->mu);
        int rc;
        if (j->rc) {
            lr_error_relocate(&j->err, p->name, p->lines_before);
            p->err = j->err;
            rc = j->rc;
        } else {
            p->sp->folded = j->raw_end;
            rc = p->ops->fold_at ? p->ops->fold_at(p->ctx, j->result, p->lines_before, j->file,
                                                   j->block, &p->err)
                                 : p->ops->fold(p->ctx, j->result, p->lines_before, &p->err);
        }
        p->lines_before += j->lines;
        p->ops->drop(p->ctx, j->result);
        j->result = NULL;
        pthread_mutex_lock(&p->mu);
        j->state = 0;
        p->next_fold++;
        if (rc) {
            p->rc = rc;
            p->cancel = 1;
        }
    }
}

/* The queued job with the lowest number, or NULL; *n, if n is set: how many
 * are queued (mu held). */
static chunk_job *next_queued(pool *p, size_t *n)
{
    chunk_job *j = NULL;
    size_t queued = 0;
    for (size_t i = 0; i < p->njobs; i++)
        if (p->jobs[i].state == 1) {
            queued++;
            if (!j || p->jobs[i].seq < j->seq)
                j = &p->jobs[i];
        }
    if (n)
        *n = queued;
    return j;
}

/* Evaluate job j, taken from the queue (mu held on entry and on return). */
static void take_job(pool *p, chunk_job *j)
{
    j->state = 2;
    int skip = p->cancel;
    pthread_mutex_unlock(&p->mu);
    if (skip) {
        j->rc = LR_OK;
        j->result = NULL;
        j->lines = 0;
    } else {
        run_job(p, j);
    }
    pthread_mutex_lock(&p->mu);
    j->state = 3;
    pthread_cond_broadcast(&p->done);
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        chunk_job *j = next_queued(p, NULL);
        if (j)
            take_job(p, j);
        else if (p->stop)
            break;
        else
            pthread_cond_wait(&p->work, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* A free slot, or NULL (mu held). */
static chunk_job *free_slot(pool *p)
{
    for (size_t i = 0; i < p->njobs; i++)
        if (p->jobs[i].state == 0)
            return &p->jobs[i];
    return NULL;
}

/*
 * Evaluate the chunks the splitter yields, numbered from `seq`, on nthreads
 * threads (nthreads − 1 workers and this one; up to 2 nthreads + 2 chunks in
 * flight, 2 on one thread), and fold each in chunk order on this thread. An error of a chunk
 * is relocated by the lines of the chunks before it (lines_before counts
 * those already consumed) and is the first in file order: after a read
 * error the chunks read before it are still folded, and the read error is
 * reported only when none of them failed.
 */
int lr_ingest_run_pool(splitter *sp, const lr_chunk_ops *ops, void *ctx, int nthreads, uint64_t seq,
                       uint64_t lines_before, const char *name, lr_error *err)
{
    pool p;
    pthread_t tid[LR_INGEST_MAX_THREADS];
    int started = 0, rc = LR_OK, ended = 0, stop = 0;
    lr_error rerr; /* a read error */
    memset(&p, 0, sizeof p);
    p.ops = ops;
    p.ctx = ctx;
    p.next_fold = seq;
    p.lines_before = lines_before;
    p.sp = sp;
    p.name = name;
    p.njobs = nthreads > 1 ? 2 * (size_t)nthreads + 2 : 2;
    p.jobs = lr_mem_calloc(p.njobs, sizeof(chunk_job));
    if (!p.jobs)
        return lr_error_nomem(err);
    if (pthread_mutex_init(&p.mu, NULL) || pthread_cond_init(&p.work, NULL) ||
        pthread_cond_init(&p.done, NULL)) {
        lr_mem_free(p.jobs, p.njobs * sizeof(chunk_job));
        return lr_error_set(err, LR_ENOMEM, "cannot create the thread pool");
    }
    for (; started < nthreads - 1; started++)
        if (pthread_create(&tid[started], NULL, worker, &p) != 0)
            break; /* fewer workers: still correct, only slower */
    uint64_t next_read = seq;
    while (!stop) {
        /* queue chunks while slots are free and nothing failed */
        while (!ended && !sp->done && !sp->overlong) {
            pthread_mutex_lock(&p.mu);
            chunk_job *slot = p.rc ? NULL : free_slot(&p);
            pthread_mutex_unlock(&p.mu);
            if (!slot)
                break;
            if ((rc = lr_ingest_next_chunk(sp, slot, &rerr)))
                break;
            if (slot->len == 0) {
                ended = 1; /* the end */
                break;
            }
            pthread_mutex_lock(&p.mu);
            slot->seq = next_read++;
            slot->state = 1;
            pthread_cond_signal(&p.work);
            pthread_mutex_unlock(&p.mu);
        }
        int over = rc || ended || sp->done || sp->overlong;
        /* fold the next chunk if it is done, else read on if a slot is
         * free, else evaluate a queued chunk here, else wait */
        pthread_mutex_lock(&p.mu);
        for (;;) {
            chunk_job *j;
            if (p.rc || (over && p.next_fold == next_read)) {
                stop = 1;
                break;
            }
            if (next_done(&p)) {
                fold_ready(&p);
                break;
            }
            if (!over && free_slot(&p))
                break;
            size_t nq;
            if ((j = next_queued(&p, &nq)) != NULL && nq > (size_t)started)
                take_job(&p, j);
            else
                pthread_cond_wait(&p.done, &p.mu);
        }
        pthread_mutex_unlock(&p.mu);
    }
    /* the first failure in file order: a chunk's before a later read's */
    if (p.rc) {
        rc = p.rc;
        if (err)
            *err = p.err;
    } else if (rc && err) {
        *err = rerr;
    }
    lines_before = p.lines_before;
    sp->lines = lines_before;
    /* every chunk before the row too long went through: it is the error */
    if (!rc && sp->overlong)
        rc = lr_csv_row_too_long(err, name, lines_before + 1, sp->max_line);
    if (started > 0) {
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        p.cancel = 1;
        pthread_cond_broadcast(&p.work);
        pthread_mutex_unlock(&p.mu);
        for (int i = 0; i < started; i++)
            pthread_join(tid[i], NULL);
    }
    for (size_t i = 0; i < p.njobs; i++) {
        ops->drop(ctx, p.jobs[i].result);
        lr_mem_free(p.jobs[i].buf, p.jobs[i].cap);
    }
    lr_mem_free(p.jobs, p.njobs * sizeof(chunk_job));
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    return rc;
}
