/*
 * probe.c — two costs of this machine that shaped the ingestion code
 * (docs/performance.md, "Memory and speed"):
 *
 *   1. a page fault: 256 MiB of fresh anonymous memory touched one page at a
 *      time (why chunks are 1 MiB and the CLI keeps freed buffers in the heap);
 *   2. the number parser of the fused path (lr_parse_number_prefix) on the
 *      cells of a CSV file, cache-hot — each 1 MiB copied into a buffer first,
 *      as read(2) leaves a chunk — and cold, straight from a 100 MiB buffer.
 * The rest is timed by bench/ingest.sh.
 *
 * usage: probe FILE.csv  (a numeric CSV with a header, e.g. the one
 * bench/ingest.sh generates)
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Parse every cell of b[0..n) (delimiter-separated numbers): cells parsed. */
static long parse_all(const char *b, size_t n, double *sum)
{
    const char *p = b, *end = b + n;
    long cells = 0;
    while (p < end) {
        double v;
        const char *stop;
        if (lr_parse_number_prefix(p, end, &v, &stop) != LR_CELL_NUMBER)
            break;
        *sum += v;
        cells++;
        p = stop + 1;
    }
    return cells;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: probe FILE.csv\n");
        return 2;
    }
    /* 1. page faults */
    size_t fn = (size_t)256 << 20;
    volatile char *m = mmap(NULL, fn, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 1;
    double t = now();
    for (size_t i = 0; i < fn; i += 4096)
        m[i] = 1;
    t = now() - t;
    printf("page faults: 256 MiB of fresh memory touched in %.3f s, %.1f us per 4 KiB page\n", t,
           t * 1e6 / (double)(fn / 4096));
    munmap((void *)m, fn);

    /* 2. the parser, cold and hot */
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    size_t cap = (size_t)100 << 20;
    char *buf = malloc(cap + 64), *chunk = malloc(((size_t)1 << 20) + 4096);
    if (!buf || !chunk)
        return 1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    const char *nl = memchr(buf, '\n', n);
    if (!nl)
        return 1;
    const char *body = nl + 1;
    size_t len = n - (size_t)(body - buf);
    while (len > 0 && body[len - 1] != '\n')
        len--; /* whole lines */
    double sum = 0;
    t = now();
    long cold = parse_all(body, len, &sum);
    double tc = now() - t;
    long hot = 0;
    double th = 0;
    for (const char *p = body; p < body + len;) {
        size_t k = (size_t)(body + len - p) < ((size_t)1 << 20) ? (size_t)(body + len - p)
                                                                : ((size_t)1 << 20);
        while (p + k < body + len && p[k - 1] != '\n')
            k++;
        memcpy(chunk, p, k);
        t = now();
        hot += parse_all(chunk, k, &sum);
        th += now() - t;
        p += k;
    }
    printf("parser, cold (100 MiB buffer): %ld cells, %.1f ns a cell\n", cold,
           tc * 1e9 / (double)cold);
    printf("parser, hot (each 1 MiB copied first): %ld cells, %.1f ns a cell (checksum %g)\n", hot,
           th * 1e9 / (double)hot, sum);
    free(buf);
    free(chunk);
    return 0;
}
