/*
 * gen_csv.c — write a synthetic regression data set as CSV for the benchmarks:
 * header y,x1..xP, then ROWS rows of values printed with 17 significant digits.
 * y = 1 + Σ j·x_j/P + noise, x_j uniform in (−1, 1) plus a shared component (so
 * predictors are correlated, as real data are). Deterministic for a seed.
 *
 * usage: gen_csv ROWS PREDICTORS [SEED] > file.csv
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../tests/test_rng.h" /* the tests' generator: lr_splitmix_unit */

static uint64_t state;

static double urand(void)
{
    return lr_splitmix_unit(&state);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_csv ROWS PREDICTORS [SEED]\n");
        return 2;
    }
    long rows = strtol(argv[1], NULL, 10);
    int p = (int)strtol(argv[2], NULL, 10);
    state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    if (rows < 0 || p < 1 || p > 100000)
        return 2;
    double *x = malloc((size_t)p * sizeof *x);
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    fputs("y", stdout);
    for (int j = 1; j <= p; j++)
        printf(",x%d", j);
    fputc('\n', stdout);
    for (long i = 0; i < rows; i++) {
        double shared = urand() - 0.5, y = 1.0;
        for (int j = 0; j < p; j++) {
            x[j] = 2.0 * urand() - 1.0 + 0.5 * shared;
            y += (double)(j + 1) / p * x[j];
        }
        y += 0.1 * (urand() - 0.5);
        printf("%.17g", y);
        for (int j = 0; j < p; j++)
            printf(",%.17g", x[j]);
        fputc('\n', stdout);
    }
    free(x);
    return fflush(stdout) == 0 ? 0 : 1;
}
