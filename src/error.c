/*
 * error.c — status names and the lr_error messages that say where.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *lr_strerror(int code)
{
    switch (code) {
    case LR_OK: return "success";
    case LR_EIO: return "input/output error";
    case LR_EPARSE: return "malformed CSV";
    case LR_EVALUE: return "invalid number";
    case LR_EMISSING: return "missing value";
    case LR_EDATA: return "data unusable for the model";
    case LR_ESINGULAR: return "singular matrix";
    case LR_EUSAGE: return "invalid argument";
    case LR_ENOMEM: return "out of memory";
    case LR_ELAPACK: return "LAPACK argument error";
    case LR_ERANGE: return "size out of range";
    default: return "unknown error";
    }
}

void lr_error_clear(lr_error *err)
{
    if (!err)
        return;
    err->code = LR_OK;
    err->line = 0;
    err->col = 0;
    err->message[0] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static void
set_v(lr_error *err, int code, const char *prefix, const char *fmt, va_list ap)
{
    size_t used = 0;
    err->code = code;
    err->message[0] = '\0';
    if (prefix) {
        int k = snprintf(err->message, sizeof err->message, "%s", prefix);
        used = k < 0 ? 0 : (size_t)k;
        if (used >= sizeof err->message)
            return;
    }
    (void)vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
}

int lr_error_set(lr_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    err->line = 0;
    err->col = 0;
    set_v(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int lr_error_at(lr_error *err, int code, const char *name, uint64_t line, uint64_t col,
                const char *fmt, ...)
{
    if (!err)
        return code;
    char prefix[512];
    if (col)
        snprintf(prefix, sizeof prefix, "%s:%llu:%llu: ", name, (unsigned long long)line,
                 (unsigned long long)col);
    else if (line)
        snprintf(prefix, sizeof prefix, "%s:%llu: ", name, (unsigned long long)line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    err->line = line;
    err->col = col;
    set_v(err, code, prefix, fmt, ap);
    va_end(ap);
    return code;
}

int lr_error_after_place(const lr_error *err, const char *name, char *rest, size_t size)
{
    if (!err || err->line == 0)
        return 0;
    char old[512];
    if (err->col)
        snprintf(old, sizeof old, "%s:%llu:%llu: ", name, (unsigned long long)err->line,
                 (unsigned long long)err->col);
    else
        snprintf(old, sizeof old, "%s:%llu: ", name, (unsigned long long)err->line);
    size_t n = strlen(old);
    if (strncmp(err->message, old, n) != 0)
        return 0;
    snprintf(rest, size, "%s", err->message + n);
    return 1;
}

void lr_error_relocate(lr_error *err, const char *name, uint64_t line_offset)
{
    char rest[LR_ERROR_MAX];
    if (line_offset == 0 || !lr_error_after_place(err, name, rest, sizeof rest))
        return;
    lr_error_at(err, err->code, name, err->line + line_offset, err->col, "%s", rest);
}

int lr_error_nomem(lr_error *err)
{
    return lr_error_set(err, LR_ENOMEM, "out of memory");
}

void lr_error_quote(char *out, size_t size, const char *data, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (size == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        char tmp[5];
        size_t k;
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            tmp[0] = (char)c;
            k = 1;
        } else if (c == '\\' || c == '"') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            k = 2;
        } else {
            tmp[0] = '\\';
            tmp[1] = 'x';
            tmp[2] = hex[c >> 4];
            tmp[3] = hex[c & 15];
            k = 4;
        }
        if (o + k + 4 >= size || o + k > max) {
            const char *dots = "...";
            for (size_t d = 0; d < 3 && o + 1 < size; d++)
                out[o++] = dots[d];
            break;
        }
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
}
