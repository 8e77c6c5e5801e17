/*
 * json_text.h — strings of the data in JSON (internal; jansson values are
 * passed as void * so that only the files that read or write JSON see
 * jansson).
 *
 * Strings from the data (column names, factor levels, the formulas that name
 * them) need not be UTF-8, which JSON requires. One that is not is written
 * as {"latin1": "..."}: its bytes read as Latin-1 code points, U+0000–U+00FF,
 * which the reader turns back into the very same bytes.
 */
#ifndef LR_JSON_TEXT_H
#define LR_JSON_TEXT_H

#include "internal.h"

/* The bytes s[0..n) as a new JSON value: a string, or {"latin1": ...} when
 * not UTF-8. NULL out of memory. */
void *lr_json_text(const char *s, size_t n);

/* The reader's side: replace every {"latin1": "..."} below the JSON value v
 * by the string of its bytes. 0 on success, -1 on a malformed one (a code
 * point above U+00FF), -2 out of memory. */
int lr_json_restore_bytes(void *v);

/* 1 if s is UTF-8 that a JSON string may hold. */
int lr_json_is_utf8(const char *s);

#endif
