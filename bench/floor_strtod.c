/*
 * floor_strtod.c — the floor the issue asks linreg to beat: a plain C loop of
 * fgets + strtod, accumulating XᵀX and Xᵀy of [1, x1..xp, y] row by row with
 * cblas_dsyr. Reads a CSV with a header; prints the wall time.
 *
 * usage: floor_strtod FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    FILE *f = fopen(argv[1], "r");
    if (!f)
        return 1;
    static char line[1 << 16];
    if (!fgets(line, sizeof line, f))
        return 1;
    int k = 1;
    for (char *c = line; *c; c++)
        k += *c == ',';
    int n = k + 1; /* 1, the columns */
    double *g = calloc((size_t)(n * n), sizeof(double)), *row = malloc((size_t)n * sizeof(double));
    long rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        row[0] = 1;
        for (int j = 1; j < n; j++) {
            row[j] = strtod(p, &p);
            if (*p == ',')
                p++;
        }
        cblas_dsyr(CblasColMajor, CblasUpper, n, 1.0, row, 1, g, n);
        rows++;
    }
    fclose(f);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.3f %ld %.17g\n",
           (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec), rows,
           g[n * n - 1]);
    free(g);
    free(row);
    return 0;
}
