/*
 * test_malformed.c — the malformed-input corpus (datasets/malformed/): every
 * line of its MANIFEST is run through the linreg executable and must end as
 * stated — a correct fit, or exit 1 or 2 with exactly the stated message and
 * nothing on stdout. Every file of the directory must have a line, so the
 * corpus and its manifest cannot drift apart.
 */
#include <jansson.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

typedef struct entry {
    char *file;     /* the file, or "@directory" */
    char *args[16]; /* arguments before it */
    int nargs;      /* their number */
    int exit_code;  /* the expected exit code */
    char *expected; /* the message, or the checks */
    int lineno;     /* the manifest's line, for failures */
} entry;

static entry entries[256];
static int nentries;

/* Split the args field on spaces; 'single quotes' group words. */
static void split_args(char *s, entry *e)
{
    e->nargs = 0;
    if (!strcmp(s, "-"))
        return;
    char *p = s;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *start = p, *out = p;
        int quoted = 0;
        while (*p && (quoted || *p != ' ')) {
            if (*p == '\'') {
                quoted = !quoted;
                p++;
                continue;
            }
            *out++ = *p++;
        }
        if (*p)
            p++;
        *out = '\0';
        if (e->nargs < 15)
            e->args[e->nargs++] = start;
    }
}

static void load_manifest(void)
{
    size_t len;
    /* before any test runs: no ck_assert here */
    char *text = lr_test_read_file(lr_test_path("datasets/malformed/MANIFEST"), &len);
    if (!text) {
        fprintf(stderr, "datasets/malformed/MANIFEST cannot be read\n");
        exit(1);
    }
    int lineno = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *f[4];
        int nf = 0;
        for (char *p = line; nf < 4; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != 4 || nentries == 256) {
            fprintf(stderr, "MANIFEST line %d: %d fields, expected 4\n", lineno, nf);
            exit(1);
        }
        entry *e = &entries[nentries++];
        e->file = f[0];
        split_args(f[1], e);
        e->exit_code = atoi(f[2]);
        e->expected = f[3];
        e->lineno = lineno;
    }
    /* text stays allocated: the entries point into it */
}

/* Check one KEY=VALUE, coef:NAME=VALUE or warn:WORD against the output. */
static void check_one(const entry *e, const char *check, json_t *o, const char *err)
{
    if (!strncmp(check, "warn:", 5)) {
        ck_assert_msg(strstr(err, check + 5) != NULL, "MANIFEST line %d: no '%s' in stderr: %s",
                      e->lineno, check + 5, err);
        return;
    }
    const char *eq = strrchr(check, '=');
    ck_assert_msg(eq != NULL, "MANIFEST line %d: bad check '%s'", e->lineno, check);
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - check), check);
    const char *want = eq + 1;
    json_t *v = NULL;
    if (!strncmp(key, "coef:", 5)) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(o, "coefficients"), i, c)
        {
            if (!strcmp(json_string_value(json_object_get(c, "name")), key + 5))
                v = json_object_get(c, "estimate");
        }
        ck_assert_msg(v != NULL, "MANIFEST line %d: no coefficient '%s'", e->lineno, key + 5);
    } else {
        v = json_object_get(o, key);
        ck_assert_msg(v != NULL, "MANIFEST line %d: no key '%s'", e->lineno, key);
    }
    if (!strcmp(want, "NA")) {
        ck_assert_msg(json_is_null(v), "MANIFEST line %d: %s is not NA", e->lineno, key);
        return;
    }
    double got = json_number_value(v), w = strtod(want, NULL);
    int ok = w == 0 ? fabs(got) < 1e-12 : lr_test_rel_close(got, w, 1e-9);
    ck_assert_msg(ok, "MANIFEST line %d: %s = %.17g, expected %s", e->lineno, key, got, want);
}

START_TEST(test_corpus)
{
    const entry *e = &entries[_i];
    char path[4096], dir[] = "/tmp/linreg-malformed-XXXXXX";
    if (!strcmp(e->file, "@directory")) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s", dir);
    } else {
        char rel[1024];
        snprintf(rel, sizeof rel, "datasets/malformed/%s", e->file);
        snprintf(path, sizeof path, "%s", lr_test_path(rel));
    }
    const char *argv[24] = {"linreg", "fit"};
    int a = 2;
    if (e->exit_code == 0) {
        argv[a++] = "--format";
        argv[a++] = "json";
    }
    for (int i = 0; i < e->nargs; i++)
        argv[a++] = e->args[i];
    argv[a++] = path;
    argv[a] = NULL;
    lr_test_run_result r;
    ck_assert_int_eq(lr_test_run(argv, NULL, 0, &r), 0);
    /* Under valgrind, values at the edge of a double's range are checked only
     * for a clean ending: valgrind runs x87 arithmetic in 64-bit doubles, and
     * OpenBLAS's dnrm2 counts on the x87 format's range to neither overflow nor
     * underflow, so column norms of 1e-200 come out 0 there and not on the
     * hardware. The release and sanitizer runs check these entries exactly. */
    if (lr_test_under_valgrind() && strstr(e->expected, "for double precision")) {
        int clean = r.exit_code == 0 || (r.exit_code == 1 && !strncmp(r.err, "linreg: ", 8));
        lr_test_run_free(&r);
        ck_assert_msg(clean, "MANIFEST line %d (%s): no clean ending", e->lineno, e->file);
        return;
    }
    ck_assert_msg(r.exit_code == e->exit_code,
                  "MANIFEST line %d (%s): exit %d, expected %d; "
                  "stderr: %s",
                  e->lineno, e->file, r.exit_code, e->exit_code, r.err);
    if (e->exit_code != 0) {
        char *want = lr_test_expand_path(e->expected, path);
        ck_assert_msg(!strcmp(r.err, want), "MANIFEST line %d (%s):\n  got:  %s  want: %s",
                      e->lineno, e->file, r.err, want);
        ck_assert_msg(r.out_len == 0, "MANIFEST line %d (%s): stdout not empty", e->lineno,
                      e->file);
        free(want);
    } else {
        json_error_t je;
        json_t *o = json_loads(r.out, 0, &je);
        ck_assert_msg(o != NULL, "MANIFEST line %d (%s): not JSON (%s): %.200s", e->lineno, e->file,
                      je.text, r.out);
        /* checks are separated by spaces, except inside `backquoted` names */
        char *checks = strdup(e->expected);
        for (char *c = checks; *c;) {
            char *end = c;
            int bq = 0;
            while (*end && (bq || *end != ' '))
                bq ^= *end++ == '`';
            char saved = *end;
            *end = '\0';
            if (*c)
                check_one(e, c, o, r.err);
            c = saved ? end + 1 : end;
        }
        free(checks);
        json_decref(o);
    }
    lr_test_run_free(&r);
    if (!strcmp(e->file, "@directory"))
        rmdir(dir);
}
END_TEST

/* Every file of the directory is in the manifest, and the corpus is large. */
START_TEST(test_every_file_listed)
{
    DIR *d = opendir(lr_test_path("datasets/malformed"));
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "MANIFEST"))
            continue;
        files++;
        int found = 0;
        for (int i = 0; i < nentries && !found; i++)
            found = !strcmp(entries[i].file, de->d_name);
        ck_assert_msg(found, "datasets/malformed/%s has no line in MANIFEST", de->d_name);
    }
    closedir(d);
    ck_assert_int_ge(files, 40);
}
END_TEST

int main(void)
{
    load_manifest();
    const lr_test_case tests[] = {
        LR_TEST_LOOP(test_corpus, nentries),
        LR_TEST(test_every_file_listed),
    };
    return lr_test_run_cases("malformed", 0, tests, LR_TEST_COUNT(tests));
}
