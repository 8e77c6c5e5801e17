/*
 * ingest_pool.c — the worker threads of a pass: each chunk is evaluated by
 * whichever worker is free (the lowest-numbered queued first), and folded on
 * the calling thread in chunk order, so results do not depend on the thread
 * count (ingest.c).
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
} pool;

static void run_job(pool *p, chunk_job *j)
{
    j->result = NULL;
    j->lines = 0;
    j->rc = p->ops->eval(p->ctx, j->buf, j->len, j->seq, &j->result, &j->lines, &j->err);
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        chunk_job *j = NULL;
        /* the queued job with the lowest number first */
        for (size_t i = 0; i < p->njobs; i++)
            if (p->jobs[i].state == 1 && (!j || p->jobs[i].seq < j->seq))
                j = &p->jobs[i];
        if (!j) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->work, &p->mu);
            continue;
        }
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
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/*
 * Evaluate the chunks the splitter yields, numbered from `seq`, with up to
 * nthreads workers (up to nthreads + 1 chunks in flight), and fold each in
 * chunk order on this thread. An error of a chunk is relocated by the lines
 * of the chunks before it (lines_before counts those already consumed) and
 * is the first in file order.
 */
int lr_ingest_run_pool(splitter *sp, const lr_chunk_ops *ops, void *ctx, int nthreads, uint64_t seq,
                       uint64_t lines_before, const char *name, lr_error *err)
{
    pool p;
    pthread_t tid[LR_INGEST_MAX_THREADS];
    int started = 0, rc = LR_OK;
    memset(&p, 0, sizeof p);
    p.ops = ops;
    p.ctx = ctx;
    p.njobs = (size_t)nthreads + 1;
    p.jobs = lr_mem_calloc(p.njobs, sizeof(chunk_job));
    if (!p.jobs)
        return lr_error_nomem(err);
    if (pthread_mutex_init(&p.mu, NULL) || pthread_cond_init(&p.work, NULL) ||
        pthread_cond_init(&p.done, NULL)) {
        lr_mem_free(p.jobs, p.njobs * sizeof(chunk_job));
        return lr_error_set(err, LR_ENOMEM, "cannot create the thread pool");
    }
    if (nthreads > 1)
        for (; started < nthreads; started++)
            if (pthread_create(&tid[started], NULL, worker, &p) != 0)
                break; /* fewer workers: still correct, only slower */
    uint64_t next_read = seq, next_fold = seq;
    for (;;) {
        /* queue chunks while slots are free */
        while (!sp->done && !sp->overlong) {
            chunk_job *slot = NULL;
            pthread_mutex_lock(&p.mu);
            for (size_t i = 0; i < p.njobs && !slot; i++)
                if (p.jobs[i].state == 0)
                    slot = &p.jobs[i];
            pthread_mutex_unlock(&p.mu);
            if (!slot)
                break;
            if ((rc = lr_ingest_next_chunk(sp, slot, err)))
                break;
            if (slot->len == 0)
                break; /* the end */
            slot->seq = next_read++;
            if (started == 0) {
                run_job(&p, slot); /* one thread: here */
                slot->state = 3;
            } else {
                pthread_mutex_lock(&p.mu);
                slot->state = 1;
                pthread_cond_signal(&p.work);
                pthread_mutex_unlock(&p.mu);
            }
        }
        if (rc || next_fold == next_read)
            break;
        /* fold the next chunk in order once it is done */
        chunk_job *j = NULL;
        pthread_mutex_lock(&p.mu);
        for (;;) {
            for (size_t i = 0; i < p.njobs && !j; i++)
                if (p.jobs[i].state == 3 && p.jobs[i].seq == next_fold)
                    j = &p.jobs[i];
            if (j)
                break;
            pthread_cond_wait(&p.done, &p.mu);
        }
        pthread_mutex_unlock(&p.mu);
        if (j->rc) {
            lr_error_relocate(&j->err, name, lines_before);
            if (err)
                *err = j->err;
            rc = j->rc;
        } else {
            sp->folded = j->raw_end;
            rc = ops->fold_at ? ops->fold_at(ctx, j->result, lines_before, j->file, j->block, err)
                              : ops->fold(ctx, j->result, lines_before, err);
        }
        lines_before += j->lines;
        ops->drop(ctx, j->result);
        j->result = NULL;
        pthread_mutex_lock(&p.mu);
        j->state = 0;
        if (rc)
            p.cancel = 1;
        pthread_mutex_unlock(&p.mu);
        next_fold++;
        if (rc)
            break;
    }
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
