/*
 * text_escape.c — names and notes as R prints them: control characters
 * escaped, so that a factor level holding a newline cannot break a table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* R's encodeString: the C escapes for \a \b \t \n \v \f \r, three octal
 * digits for the other control bytes and DEL; everything else (UTF-8
 * included) as it is. Returns the bytes written into out (or needed, when
 * out is NULL). */
static size_t escape_into(const char *s, char *out)
{
    static const char named[] = "abtnvfr"; /* \a = 7 ... \r = 13 */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[5];
        size_t k;
        if (*p >= 7 && *p <= 13) {
            e[0] = '\\';
            e[1] = named[*p - 7];
            k = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(e, sizeof e, "\\%03o", *p);
            k = 4;
        } else {
            e[0] = (char)*p;
            k = 1;
        }
        if (out)
            memcpy(out + n, e, k);
        n += k;
    }
    if (out)
        out[n] = '\0';
    return n;
}

char *lr_text_escape(const char *s)
{
    char *out = malloc(escape_into(s, NULL) + 1);
    if (out)
        escape_into(s, out);
    return out;
}

void lr_text_print(FILE *f, const char *s)
{
    char *e = lr_text_escape(s);
    fputs(e ? e : s, f);
    free(e);
}
