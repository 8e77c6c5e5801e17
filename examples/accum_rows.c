/*
 * accum_rows.c — fit rows a program holds in memory: blocks of rows go into
 * accumulators (here two, as two threads or processes would fill them), the
 * accumulators merge, and lr_fit_accum solves and gives R's statistics.
 *
 *   cc accum_rows.c $(pkg-config --cflags --libs linreg) -o accum_rows
 *   ./accum_rows
 *
 * The data are y = 1 + 2 x1 - 3 x2 + e for a fixed, known e, so the program
 * can check its own answer.
 */
#include <math.h>
#include <stdio.h>

#include <linreg.h>

#define N 200 /* rows in all, split into two blocks of N/2 */
#define K 3   /* columns: y, x1, x2 */

int main(void)
{
    /* column-major blocks: block[j*ld + i] is row i of column j (ld = N/2) */
    static double block[2][K * (N / 2)];
    for (size_t i = 0; i < N; i++) {
        double x1 = (double)i / 10, x2 = sin((double)i), e = ((i * 37) % 11 - 5.0) / 100;
        double *b = block[i / (N / 2)];
        size_t r = i % (N / 2);
        b[r] = 1 + 2 * x1 - 3 * x2 + e;
        b[(N / 2) + r] = x1;
        b[2 * (N / 2) + r] = x2;
    }

    lr_error err;
    lr_accum *a = NULL, *b = NULL;
    lr_fit *fit = NULL;
    int rc = lr_accum_create(K, LR_KERNEL_QR, &a, &err);
    if (rc == LR_OK)
        rc = lr_accum_create(K, LR_KERNEL_QR, &b, &err);
    if (rc == LR_OK)
        rc = lr_accum_add(a, N / 2, block[0], N / 2, NULL, &err);
    if (rc == LR_OK)
        rc = lr_accum_add(b, N / 2, block[1], N / 2, NULL, &err);
    if (rc == LR_OK)
        rc = lr_accum_merge(a, b, &err); /* a := rows of a, then rows of b */
    if (rc == LR_OK) {
        lr_fit_options opt;
        lr_fit_options_init(&opt);
        const char *names[K] = {"y", "x1", "x2"};
        rc = lr_fit_accum(a, names, &opt, 0, &fit, &err);
    }
    if (rc != LR_OK) {
        fprintf(stderr, "accum_rows: %s\n", err.message);
        lr_accum_free(a);
        lr_accum_free(b);
        return 1;
    }
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++) {
        const lr_coef *c = lr_fit_coef(fit, j);
        printf("%-12s %20.12g %20.12g\n", c->name, c->estimate, c->std_error);
    }
    printf("n %llu, R-squared %.10g\n", (unsigned long long)lr_fit_summary(fit)->n,
           lr_fit_summary(fit)->r_squared);
    lr_fit_free(fit);
    lr_accum_free(a);
    lr_accum_free(b);
    return 0;
}
