/*
 * note_list.h — a growing list of notes (printf-style strings), as a fit
 * and the absorbed fixed effects keep them (internal).
 */
#ifndef LR_NOTE_LIST_H
#define LR_NOTE_LIST_H

#include <stdarg.h>

#include "internal.h"

/*
 * Append the note fmt, ap formats (cut at LR_ERROR_MAX - 1 bytes) to the
 * array *notes of *n strings, which the caller owns: each string is freed
 * with lr_mem_strfree, the array with lr_mem_free(*notes, *n * sizeof(char *)).
 * LR_OK, or LR_ENOMEM (in err) with the list unchanged.
 */
int lr_note_vappend(char ***notes, size_t *n, lr_error *err, const char *fmt, va_list ap)
    LR_PRINTF(4, 0);

#endif
