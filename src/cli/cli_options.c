/*
 * cli_options.c — option values that fit and predict share: comma lists of
 * names (-x, --na-strings) and the hint for an unknown option.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

size_t lr_cli_list_count(const char *list)
{
    size_t count = 1;
    for (const char *s = list; *s; s++)
        count += *s == ',';
    return count;
}

int lr_cli_split_list(char *list, int allow_empty, const char **v, size_t *n)
{
    size_t i = 0;
    char *s = list;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = '\0';
        /* "wt, hp": the blanks a shell user types after a comma are not
         * part of the name (as around a header's unquoted names) */
        while (is_blank(*s))
            s++;
        size_t len = strlen(s);
        while (len && is_blank(s[len - 1]))
            s[--len] = '\0';
        if (*s == '\0' && !allow_empty)
            return -2;
        v[i++] = s;
        if (!comma)
            break;
        s = comma + 1;
    }
    *n = i;
    return 0;
}

void lr_cli_unknown_option(const char *arg, const struct option *opts, char *msg, size_t size)
{
    const char *names[64];
    size_t n = 0;
    for (; opts[n].name && n < 64; n++)
        names[n] = opts[n].name;
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        snprintf(msg, size, "unknown option '%s'", arg);
        return;
    }
    /* --name=value: the name only */
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    size_t j = lr_suggest_name(name, len, names, n);
    if (j < n)
        snprintf(msg, size, "unknown option '--%.*s' (did you mean '--%s'?)", (int)len, name,
                 names[j]);
    else
        snprintf(msg, size, "unknown option '--%.*s'", (int)len, name);
}
