/*
 * check_parse.c — every cell of a CSV file converted by linreg's parsers must
 * be the very double strtod gives (bit for bit): lr_parse_cell on the cell,
 * and lr_parse_number_prefix (the fused path's) on the cell followed by a
 * delimiter and more digits, as a chunk's bytes run on. Prints the number of
 * cells checked and the mismatches; exit status 1 if there is one.
 *
 * usage: check_parse FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "linreg.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    lr_csv *csv;
    lr_error err;
    if (lr_csv_open(argv[1], NULL, NULL, &csv, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    lr_csv_row row;
    int has;
    long cells = 0, bad = 0, header = 1;
    char buf[512];
    while (lr_csv_next(csv, &row, &has, &err) == LR_OK && has) {
        if (header) {
            header = 0;
            continue;
        }
        for (size_t j = 0; j < row.nfields; j++) {
            const lr_csv_field *f = &row.fields[j];
            double a = 0, b;
            if (f->len >= sizeof buf)
                continue;
            memcpy(buf, f->data, f->len);
            buf[f->len] = '\0';
            lr_cell_kind kind = lr_parse_cell(f->data, f->len, &a);
            b = strtod(buf, NULL);
            cells++;
            /* the fused path's parser, the bytes running on past the cell */
            static const char more[] = ",12345678901234567890";
            char run[512 + sizeof more];
            memcpy(run, f->data, f->len);
            memcpy(run + f->len, more, sizeof more);
            double c = 0;
            const char *stop = NULL;
            lr_cell_kind kp =
                lr_parse_number_prefix(run, run + f->len + sizeof more - 1, &c, &stop);
            if (kp != LR_CELL_NUMBER || stop != run + f->len || memcmp(&c, &b, sizeof c) != 0)
                kind = LR_CELL_TEXT; /* counted as a mismatch below */
            if (kind != LR_CELL_NUMBER || memcmp(&a, &b, sizeof a) != 0) {
                if (bad++ < 10)
                    fprintf(stderr, "line %llu: \"%s\": %.17g, strtod %.17g\n",
                            (unsigned long long)f->line, buf, a, b);
            }
        }
    }
    lr_csv_free(csv);
    printf("%ld cells, %ld differ from strtod\n", cells, bad);
    return bad != 0;
}
