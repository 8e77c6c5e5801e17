/*
 * progress_bar.c — which pass runs, how far it is and, when it can be known,
 * the time it still needs, on stderr.
 *
 * Drawn when stderr is a terminal (one line rewritten in place, erased when
 * the work ends so that messages start on a clean line), only after the first
 * second (short runs stay clean), at most ten times a second, and at once
 * when a pass begins. LINREG_PROGRESS=always draws on any stderr from the
 * start: a line when a pass begins, at most one a second after, and its last
 * state when it ends (logs and tests).
 *
 * Honesty: an estimate is the pass's own (its elapsed time scaled by what is
 * left of it, counting only what it did since it began or resumed: see
 * lr_progress_left), shown only after the pass has run a second and done 2% of
 * what it had left, rounded up ("<1 s" rather than "0 s" while work remains); a pass of
 * unknown length (a stream, demeaning sweeps that stop when they converge, a
 * factorization with no steps inside) shows its elapsed time and a spinner,
 * never a percentage. On a terminal a ticker thread redraws every quarter
 * second, so the elapsed time moves while the library is inside one long
 * call (a solve of thousands of coefficients) and the bar is never frozen.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void human_bytes(double x, char *out, size_t n)
{
    const char *unit[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (x >= 1000 && u < 4) {
        x /= 1000;
        u++;
    }
    snprintf(out, n, u ? "%.1f %s" : "%.0f %s", x, unit[u]);
}

double lr_progress_left(double elapsed, uint64_t done0, uint64_t done, uint64_t total)
{
    if (elapsed < 1.0 || done >= total || done <= done0)
        return -1;
    /* the rate since the pass (re)started: a pass resumed after another (the
     * reading after the first chunk's evaluation) did its earlier part at
     * another rate, in time that `elapsed` does not count */
    double did = (double)(done - done0), todo = (double)(total - done);
    if (did < 0.02 * (double)(total - done0))
        return -1;
    return elapsed * todo / did;
}

/* "~12 s left", "<1 s left", or "" while no honest estimate exists. */
static void estimate(const lr_progress_bar *b, double t, char *out, size_t n)
{
    const lr_progress *p = &b->cur;
    double left = lr_progress_left(t - b->pass_start, b->done0, p->done, p->total);
    out[0] = '\0';
    if (left < 0)
        return;
    if (left < 1)
        snprintf(out, n, "  <1 s left");
    else
        snprintf(out, n, "  ~%.0f s left", ceil(left));
}

/* Draw the current pass (called with b->mu held). */
static void draw(lr_progress_bar *b, double t)
{
    static const char spin[] = "|/-\\";
    const lr_progress *p = &b->cur;
    double el = t - b->pass_start;
    char d[32], tot[32], est[32];
    const char *pre = b->tty ? "\r" : "", *post = b->tty ? "\033[K" : "\n";
    int bytes = strcmp(p->unit, "bytes") == 0;
    if (p->total == 0 || strcmp(p->unit, "coefficients") == 0) {
        /* no fraction to show: what is known, the elapsed time, a spinner */
        char what[48] = "";
        if (p->total) /* a solve: its size */
            snprintf(what, sizeof what, "  %llu %s", (unsigned long long)p->total, p->unit);
        else if (bytes) {
            human_bytes((double)p->done, d, sizeof d);
            snprintf(what, sizeof what, "  %s, %.2f M rows", d, (double)p->rows / 1e6);
        } else if (p->done)
            snprintf(what, sizeof what, "  %llu %s", (unsigned long long)p->done, p->unit);
        fprintf(stderr, "%s%s%s  %c %.0f s%s", pre, p->pass, what, spin[b->spin++ % 4], el, post);
    } else {
        double frac = p->done >= p->total ? 1.0 : (double)p->done / (double)p->total;
        int w = 20, fill = (int)(frac * w);
        char barc[32];
        for (int i = 0; i < w; i++)
            barc[i] = i < fill ? '#' : '.';
        barc[w] = '\0';
        estimate(b, t, est, sizeof est);
        if (bytes) {
            human_bytes((double)p->done, d, sizeof d);
            human_bytes((double)p->total, tot, sizeof tot);
        } else {
            snprintf(d, sizeof d, "%llu", (unsigned long long)p->done);
            snprintf(tot, sizeof tot, "%llu %s", (unsigned long long)p->total, p->unit);
        }
        fprintf(stderr, "%s%s [%s] %3.0f%%  %s of %s  %.0f s%s%s", pre, p->pass, barc,
                floor(100 * frac), d, tot, el, est, post);
    }
    fflush(stderr);
    b->drawn = b->tty;
    b->pending = 0;
    b->last = t;
}

static void *ticker(void *arg)
{
    lr_progress_bar *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->wake, &b->mu, &ts);
        double t = now();
        if (!b->stop && b->cur.pass && t - b->start >= 1.0 && t - b->last >= 0.2)
            draw(b, t);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

void lr_progress_init(lr_progress_bar *b, int allowed)
{
    const char *env = getenv("LINREG_PROGRESS");
    memset(b, 0, sizeof *b);
    b->tty = isatty(2);
    b->eager = env && strcmp(env, "always") == 0;
    b->enabled = allowed && (b->tty || b->eager);
    b->start = now();
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->wake, NULL);
    if (b->enabled && b->tty && pthread_create(&b->tick, NULL, ticker, b) == 0)
        b->ticking = 1; /* without it (no thread) the bar moves only when told */
}

void lr_progress_update(void *bar, const lr_progress *p)
{
    lr_progress_bar *b = bar;
    if (!b->enabled)
        return;
    double t = now();
    pthread_mutex_lock(&b->mu);
    int fresh = b->cur.pass == NULL || strcmp(b->cur.pass, p->pass) != 0;
    if (fresh && b->pending && !b->tty)
        draw(b, t); /* a log gets each pass's last state: how far it went */
    if (fresh) {
        b->pass_start = t;
        b->done0 = p->done;
        snprintf(b->pass, sizeof b->pass, "%s", p->pass); /* borrowed for the call only */
    }
    b->cur = *p;
    b->cur.pass = b->pass;
    b->cur.unit = p->unit;
    double gap = b->tty ? 0.1 : 1.0;
    b->pending = 1;
    if (b->eager || t - b->start >= 1.0)
        if (fresh || t - b->last >= gap)
            draw(b, t);
    pthread_mutex_unlock(&b->mu);
}

void lr_progress_done(lr_progress_bar *b)
{
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->mu);
    if (b->ticking)
        pthread_join(b->tick, NULL);
    b->ticking = 0;
    if (b->enabled && b->pending && !b->tty && b->cur.pass)
        draw(b, now()); /* the last pass's end, in a log */
    if (b->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    b->drawn = 0;
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->mu);
}
