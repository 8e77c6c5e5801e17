/*
 * name_suggest.c — "did you mean" for every name a user types: -y, -x, -w,
 * the names inside formulas, and the CLI's options.
 *
 * The distance is the optimal string alignment distance (Damerau's
 * edits: insert, delete, substitute, and swap two adjacent characters, each
 * costing 1, no substring edited twice), with letter case ignored: "dsit"
 * is one swap from "dist", where Levenshtein counts two substitutions and
 * would not suggest it at the threshold below.
 */
#include <string.h>

#include "internal.h"

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* OSA distance over three rows of the dynamic-programming table:
 * d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a_i != b_j),
 *               d[i-2][j-2] + 1 if a_i = b_{j-1} and a_{i-1} = b_j). */
static size_t osa_distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t r2[65], r1[65], r0[65];
    for (size_t j = 0; j <= nb; j++)
        r1[j] = j;
    for (size_t i = 1; i <= na; i++) {
        r0[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            char ca = fold(a[i - 1]), cb = fold(b[j - 1]);
            size_t sub = r1[j - 1] + (ca != cb), del = r1[j] + 1, ins = r0[j - 1] + 1;
            size_t d = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && ca == fold(b[j - 2]) && fold(a[i - 2]) == cb && r2[j - 2] + 1 < d)
                d = r2[j - 2] + 1;
            r0[j] = d;
        }
        memcpy(r2, r1, (nb + 1) * sizeof(size_t));
        memcpy(r1, r0, (nb + 1) * sizeof(size_t));
    }
    return r1[nb];
}

size_t lr_suggest_name(const char *name, size_t len, const char *const *names, size_t n)
{
    size_t best = SIZE_MAX, bj = n;
    for (size_t j = 0; j < n && len <= 64; j++) {
        size_t nb = strlen(names[j]);
        if (nb > 64)
            continue;
        size_t d = osa_distance(name, len, names[j], nb);
        if (d < best) {
            best = d;
            bj = j;
        }
    }
    /* close enough to be a slip: a third of the name, at least one edit,
     * but never the whole of it ("x" is not a slip for "y") */
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    return best <= limit && best < len ? bj : n;
}

int lr_no_column_error(const char *source, const char *what, const char *name,
                       const char *const *names, size_t n, lr_error *err)
{
    size_t j = lr_suggest_name(name, strlen(name), names, n);
    if (j < n)
        return lr_error_set(err, LR_EUSAGE, "%s: no %s named '%s' (did you mean '%s'?)", source,
                            what, name, names[j]);
    return lr_error_set(err, LR_EUSAGE, "%s: no %s named '%s'", source, what, name);
}
