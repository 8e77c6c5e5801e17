/*
 * progress_bar.c — bytes, rows per second and the time left, on stderr.
 *
 * Only when stderr is a terminal (a log file or a pipe gets nothing), only
 * after the first second (short runs stay clean), at most ten times a second,
 * and erased when the work ends so that messages start on a clean line.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lr_progress_init(lr_progress_bar *b, int allowed)
{
    b->enabled = allowed && isatty(2);
    b->drawn = 0;
    b->start = now();
    b->last = 0;
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

void lr_progress_update(void *bar, uint64_t done, uint64_t total, uint64_t rows)
{
    lr_progress_bar *b = bar;
    if (!b->enabled)
        return;
    double t = now(), el = t - b->start;
    if (el < 1.0 || t - b->last < 0.1)
        return;
    b->last = t;
    char d[32], tot[32];
    human_bytes((double)done, d, sizeof d);
    double rate = (double)rows / el;
    if (total > 0 && done <= total) {
        double frac = (double)done / (double)total;
        int w = 24, fill = (int)(frac * w);
        char barc[32];
        for (int i = 0; i < w; i++)
            barc[i] = i < fill ? '#' : '.';
        barc[w] = '\0';
        human_bytes((double)total, tot, sizeof tot);
        double left = frac > 0 ? el * (1 - frac) / frac : 0;
        fprintf(stderr, "\r[%s] %3.0f%%  %s of %s  %.2f M rows/s  %.0f s left\033[K", barc,
                100 * frac, d, tot, rate / 1e6, left);
    } else {
        fprintf(stderr, "\r%s read  %.2f M rows  %.2f M rows/s\033[K", d, (double)rows / 1e6,
                rate / 1e6);
    }
    fflush(stderr);
    b->drawn = 1;
}

void lr_progress_done(lr_progress_bar *b)
{
    if (b->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    b->drawn = 0;
}
