/*
 * cli_options.c — what the commands' option parsing shares: the getopt loop
 * with its help, missing-value and unknown-option handling, --format's
 * values, comma lists of names (-x, --na-strings) and the hint for an
 * unknown option.
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

static size_t list_count(const char *list)
{
    size_t count = 1;
    for (const char *s = list; *s; s++)
        count += *s == ',';
    return count;
}

/* Split list in place into v (list_count entries). */
static int split(char *list, int allow_empty, const char **v, size_t *n)
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

int lr_cli_split_names(char *list, const char ***out, size_t *n)
{
    const char **v = calloc(list_count(list), sizeof *v);
    if (!v)
        return -1;
    if (split(list, 0, v, n)) {
        free(v);
        return -2;
    }
    free(*out);
    *out = v;
    return 0;
}

int lr_cli_list_status(const char *command, int e, const char *msg, const char *arg)
{
    if (e == -1) {
        lr_cli_error("out of memory");
        return LR_EXIT_DATA;
    }
    return e == -2 ? lr_cli_usage_error(command, msg, arg) : LR_EXIT_OK;
}

int lr_cli_split_fixed(char *list, const char **v, size_t cap, size_t *n)
{
    if (list_count(list) > cap)
        return -1;
    return split(list, 1, v, n);
}

const char *lr_cli_unknown_option(const char *arg, const struct option *opts)
{
    static char msg[256];
    size_t size = sizeof msg;
    const char *names[64];
    size_t n = 0;
    for (; opts[n].name && n < 64; n++)
        names[n] = opts[n].name;
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        snprintf(msg, size, "unknown option '%s'", arg);
        return msg;
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
    return msg;
}

int lr_cli_getopt(const lr_cli_command *cmd, int argc, char **argv, lr_cli_option_fn each, void *ud)
{
    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, cmd->shortopts, cmd->longopts, NULL);
        if (c == -1)
            return -1;
        if (c == 'h')
            /* over one stdio buffer: written and checked at once, so that a
             * full disk is reported with its errno */
            return lr_cli_write_stdout(cmd->usage, strlen(cmd->usage));
        if (c == ':')
            return lr_cli_usage_error(cmd->name, "missing value for option", argv[optind - 1]);
        int rc = c == '?' ? LR_CLI_NOT_MINE : each(c, optarg, ud);
        if (rc == LR_CLI_NOT_MINE)
            return lr_cli_usage_error(cmd->name,
                                      lr_cli_unknown_option(argv[optind - 1], cmd->longopts), NULL);
        if (rc != LR_EXIT_OK)
            return rc;
    }
}

int lr_cli_parse_format(const char *arg, unsigned formats, lr_format *out)
{
    static const struct {
        const char *name; /* the spelling */
        lr_format format; /* what it selects */
    } names[] = {{"text", LR_FORMAT_TEXT},
                 {"json", LR_FORMAT_JSON},
                 {"csv", LR_FORMAT_CSV},
                 {"markdown", LR_FORMAT_MARKDOWN},
                 {"md", LR_FORMAT_MARKDOWN}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(arg, names[i].name) && (formats & LR_CLI_FORMAT(names[i].format))) {
            *out = names[i].format;
            return 0;
        }
    return -1;
}
