/*
 * note_list.c — a growing list of notes (note_list.h).
 */
#include <stdio.h>

#include "note_list.h"

int lr_note_vappend(char ***notes, size_t *n, lr_error *err, const char *fmt, va_list ap)
{
    char buf[LR_ERROR_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    char *copy = lr_mem_strdup(buf);
    if (!copy)
        return lr_error_nomem(err);
    char **grown = lr_mem_realloc(*notes, *n * sizeof(char *), (*n + 1) * sizeof(char *));
    if (!grown) {
        lr_mem_strfree(copy);
        return lr_error_nomem(err);
    }
    *notes = grown;
    grown[(*n)++] = copy;
    return LR_OK;
}
