/*
 * cli_numbers.c — the numeric option values of fit and predict (--level,
 * --ridge, --max-line-bytes): each refusal says the true reason.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* strtod over the whole of s: 0 for a number (*out; a subnormal too, with
 * *subnormal set), -1 for no number or trailing text, 1 beyond a double's
 * range (|x| > DBL_MAX), 2 for a nonzero number that rounds to 0. */
static int whole_double(const char *s, double *out, int *subnormal)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    *subnormal = 0;
    if (end == s || *end)
        return -1;
    if (errno == ERANGE) {
        if (isinf(*out))
            return 1;
        if (*out == 0)
            return 2;
        *subnormal = 1; /* glibc flags results below DBL_MIN, though exact enough */
    }
    return isnan(*out) ? -1 : 0;
}

/* why: the value s of --option underflows to 0; then what to do. */
static void too_small(char *why, size_t size, const char *option, const char *s, const char *then)
{
    snprintf(why, size, "--%s '%s' is too small for a double (it rounds to 0); %s", option, s,
             then);
}

int lr_cli_parse_level(const char *s, double *out, char *why, size_t size)
{
    int sub;
    int k = whole_double(s, out, &sub);
    if (k == -1 || (k == 0 && !(*out > 0 && *out < 1)))
        snprintf(why, size, "--level must be a number between 0 and 1, not '%s'", s);
    else if (k == 2)
        too_small(why, size, "level", s, "the level must be between 0 and 1");
    else
        return 0;
    /* A subnormal level is accepted: the interval is then the estimate itself
     * ((1 + level)/2 rounds to 1/2, whose t quantile is 0), as in R. */
    return -1;
}

int lr_cli_parse_ridge(const char *s, double *out, char *why, size_t size)
{
    int sub;
    int k = whole_double(s, out, &sub);
    if (k == -1 || !(*out >= 0))
        snprintf(why, size, "--ridge must be a number >= 0, not '%s'", s);
    else if (k == 1 || *out > LR_CLI_RIDGE_MAX)
        snprintf(why, size, "--ridge '%s' is above the largest penalty accepted, %g", s,
                 LR_CLI_RIDGE_MAX);
    else if (k == 2)
        too_small(why, size, "ridge", s, "give 0 for no penalty");
    else
        return 0;
    return -1;
}

int lr_cli_parse_bytes(const char *s, size_t *out, char *why, size_t size)
{
    char *end;
    errno = 0;
    unsigned long long v = 0;
    int ok = s[0] >= '0' && s[0] <= '9';
    if (ok)
        v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (ok && !errno) {
        /* K, M, G (or KiB, MiB, GiB): powers of 1024 */
        const char *suf[] = {"", "K", "M", "G"};
        ok = 0;
        for (unsigned i = 0; i < 4 && !ok; i++) {
            size_t n = strlen(suf[i]);
            if (!strcmp(end, suf[i]) || (n && !strncmp(end, suf[i], n) && !strcmp(end + n, "iB"))) {
                ok = 1;
                shift = 10 * i;
            }
        }
    } else {
        ok = 0;
    }
    if (!ok || v == 0) {
        snprintf(why, size,
                 "--max-line-bytes must be a whole number of bytes >= 1, with K, M or G for "
                 "KiB, MiB, GiB (e.g. 64M), not '%s'",
                 s);
        return -1;
    }
    if (errno || v > (unsigned long long)(SIZE_MAX / 4) >> shift) {
        snprintf(why, size, "--max-line-bytes '%s' is above the largest this machine allows, %zu",
                 s, (size_t)(SIZE_MAX / 4));
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}
