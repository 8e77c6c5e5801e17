/*
 * json_string.c — a C string as a JSON string literal.
 *
 * JSON text is UTF-8. Column names and factor levels come from the data,
 * which may be in another encoding (a Latin-1 export from a spreadsheet): a
 * byte that does not start a well-formed UTF-8 sequence is written as
 * \u00XX, i.e. read as Latin-1, so the output is always valid JSON and the
 * common case (Latin-1 data) reads as intended. Control characters are
 * escaped as JSON requires.
 */
#include <stdio.h>

#include "cli.h"

/* The length of the well-formed UTF-8 sequence at s (1–4), or 0 if the bytes
 * there are not one (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). */
static int utf8_length(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int n = c >= 0xc2 && c <= 0xdf   ? 2
            : c >= 0xe0 && c <= 0xef ? 3
            : c >= 0xf0 && c <= 0xf4 ? 4
                                     : 0;
    if (n == 0)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

void lr_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        int n = utf8_length(c);
        if (n == 0) {
            fprintf(f, "\\u%04x", *c++);
            continue;
        }
        if (n > 1) {
            fwrite(c, 1, (size_t)n, f);
            c += n;
            continue;
        }
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                fprintf(f, "\\u%04x", *c);
            else
                fputc(*c, f);
        }
        c++;
    }
    fputc('"', f);
}
