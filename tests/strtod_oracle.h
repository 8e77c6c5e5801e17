/*
 * strtod_oracle.h — glibc's strtod as the oracle of linreg's number parser,
 * shared by tests/test_number_parse.c and fuzz/fuzz_number_parse.c (which is
 * built without the Check suites, hence header-only).
 */
#ifndef LR_STRTOD_ORACLE_H
#define LR_STRTOD_ORACLE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* strtod on s[0..len) (a NUL-terminated copy): its value into *value, *range
 * set when it reported ERANGE; returns 1 if it read all len bytes, 0 if not,
 * -1 if out of memory. */
static inline int lr_strtod_oracle(const char *s, size_t len, double *value, int *range)
{
    char stack[4096];
    char *copy = len < sizeof stack ? stack : malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    char *end;
    errno = 0;
    *value = strtod(copy, &end);
    *range = errno == ERANGE;
    int whole = end == copy + len;
    if (copy != stack)
        free(copy);
    return whole;
}

#endif
