/*
 * csv_writer.c — one CSV field written so that the reader (csv_reader.c)
 * reads it back unchanged; shared by the library's CSV files (--fe-out) and
 * the command's CSV reports.
 */
#include <stdio.h>
#include <string.h>

#include "linreg.h"

static int is_pad(char c)
{
    return c == ' ' || c == '\t';
}

void lr_csv_write_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    /* the reader trims blanks around an unquoted field: edge blanks need
     * quotes to survive, as do the delimiter, a quote and a line end */
    if (!(n && (is_pad(s[0]) || is_pad(s[n - 1]))) && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
