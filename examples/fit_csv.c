/*
 * fit_csv.c — fit a model to a CSV file with liblinreg and print the
 * coefficient table and R².
 *
 *   cc fit_csv.c $(pkg-config --cflags --libs linreg) -o fit_csv
 *   ./fit_csv cars.csv 'dist ~ speed'
 */
#include <stdio.h>

#include <linreg.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE.csv 'y ~ x1 + x2'\n", argv[0]);
        return 2;
    }
    lr_fit_options opt;
    lr_fit_options_init(&opt);
    opt.formula = argv[2];

    lr_fit *fit;
    lr_error err;
    if (lr_fit_csv(argv[1], &opt, &fit, &err) != LR_OK) {
        fprintf(stderr, "fit_csv: %s\n", err.message);
        return 1;
    }
    printf("%-16s %20s %20s\n", "term", "estimate", "std_error");
    for (size_t j = 0; j < lr_fit_ncoef(fit); j++) {
        const lr_coef *c = lr_fit_coef(fit, j);
        printf("%-16s %20.12g %20.12g\n", c->name, c->estimate, c->std_error);
    }
    const lr_summary *s = lr_fit_summary(fit);
    printf("n %llu, R-squared %.10g, sigma %.10g\n", (unsigned long long)s->n, s->r_squared,
           s->sigma);
    lr_fit_free(fit);
    return 0;
}
