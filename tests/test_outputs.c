/*
 * test_outputs.c — files linreg writes never lose data: outputs that name an
 * input are refused (exit 2), regular files are replaced whole or not at all
 * (a full disk, a failed fit, concurrent writers, SIGINT/SIGTERM), devices
 * and pipes are written in place and never removed, and stdout write errors
 * are exit 1. The library's lr_output API directly, and the linreg binary.
 *
 * The full disk is a small tmpfs and the devices are private mknod copies:
 * both need root (CI runs as root); elsewhere those tests print why they
 * skip.
 */
#define _GNU_SOURCE /* mknod, makedev, mount, scandir */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* ---- helpers ---- */

/* A fresh directory under /tmp (malloc'd). */
static char *make_dir(void)
{
    char tmpl[] = "/tmp/linreg-outputs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return strdup(tmpl);
}

/* dir "/" name in a static buffer (one of four, for several at once). */
static const char *in_dir(const char *dir, const char *name)
{
    static char bufs[4][4096];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static void put_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(data, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* path holds exactly data. */
static void ck_file_is(const char *path, const char *data)
{
    size_t len = 0;
    char *got = lr_test_read_file(path, &len);
    ck_assert_msg(got != NULL, "%s is gone", path);
    ck_assert_msg(len == strlen(data) && !memcmp(got, data, len), "%s changed: \"%.200s\"", path,
                  got);
    free(got);
}

/* The names in dir, sorted, comma-separated (malloc'd). */
static char *listing(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    ck_assert_int_ge(n, 0);
    char *out = calloc(1, 8192);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            if (*out)
                strcat(out, ",");
            strncat(out, names[i]->d_name, 8000 - strlen(out));
        }
        free(names[i]);
    }
    free(names);
    return out;
}

static void ck_listing(const char *dir, const char *expected)
{
    char *got = listing(dir);
    ck_assert_msg(!strcmp(got, expected), "%s holds %s, expected %s", dir, got, expected);
    free(got);
}

static void remove_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A test's two directories removed and freed. */
static void drop_dirs(char *dir, char *cap)
{
    remove_dir(dir);
    remove_dir(cap);
    free(dir);
    free(cap);
}

/* How a child is run: stdin and stdout from/to paths (NULL: /dev/null and a
 * file captured), an extra environment variable (NULL: none). */
typedef struct run_spec {
    const char *stdin_path;  /* NULL: /dev/null */
    const char *stdout_path; /* NULL: captured into out */
    const char *env;         /* "NAME=value" or NULL */
} run_spec;

/* The captured streams of the last run_linreg (malloc'd, NUL-terminated). */
static char *out_text, *err_text;

/* Start linreg with args (NULL-terminated, without the program), its stderr
 * (and stdout unless redirected) into files in dir; returns the pid. */
static pid_t spawn_linreg(const char *const *args, const run_spec *rs, const char *cap_dir)
{
    char outp[4096], errp[4096];
    snprintf(outp, sizeof outp, "%s/.stdout", cap_dir);
    snprintf(errp, sizeof errp, "%s/.stderr", cap_dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *argv[32] = {LR_LINREG_EXE};
        size_t a = 1;
        for (size_t i = 0; args[i] && a < 31; i++)
            argv[a++] = args[i];
        argv[a] = NULL;
        int in = open(rs && rs->stdin_path ? rs->stdin_path : "/dev/null", O_RDONLY);
        int out = rs && rs->stdout_path ? open(rs->stdout_path, O_WRONLY)
                                        : open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (rs && rs->env)
            putenv(strdup(rs->env)); /* the child's own copy */
        execv(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    return pid;
}

/* Wait for pid: its exit code, or 128 + the signal. */
static int wait_code(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Collect what the last child in cap_dir wrote, and remove the captures. */
static void collect(const char *cap_dir)
{
    free(out_text);
    free(err_text);
    out_text = lr_test_read_file(in_dir(cap_dir, ".stdout"), NULL);
    err_text = lr_test_read_file(in_dir(cap_dir, ".stderr"), NULL);
    if (!out_text)
        out_text = strdup("");
    ck_assert_ptr_nonnull(err_text);
    unlink(in_dir(cap_dir, ".stdout"));
    unlink(in_dir(cap_dir, ".stderr"));
}

/* Run linreg to completion; the exit code, out_text and err_text set. The
 * captures go to cap_dir (a directory the test owns, not the one checked). */
static int run_linreg(const char *const *args, const run_spec *rs, const char *cap_dir)
{
    int code = wait_code(spawn_linreg(args, rs, cap_dir));
    collect(cap_dir);
    return code;
}

#define CK_ERR_HAS(s)                                                                              \
    ck_assert_msg(strstr(err_text, (s)) != NULL, "stderr \"%s\" lacks \"%s\"", err_text, (s))

static const char *cars(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", lr_test_path("datasets/cars.csv"));
    return path;
}

/* A CSV y,x of n rows in path (large enough to need many writes). */
static void write_rows(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("y,x\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d.25,%d\n", (i * 7919) % 1000, i % 97);
    ck_assert_int_eq(fclose(f), 0);
}

/* A failing fit: a factor with a single level. */
static const char bad_csv[] = "y,x\n1,a\n2,a\n";

/* ---- aliasing ---- */

START_TEST(test_output_names_input)
{
    char *dir = make_dir(), *cap = make_dir();
    char data[4096], model[4096];
    snprintf(data, sizeof data, "%s", in_dir(dir, "data.csv"));
    snprintf(model, sizeof model, "%s", in_dir(dir, "model.json"));
    char *csv = lr_test_read_file(cars(), NULL);
    put_file(data, csv);
    ck_assert_int_eq(symlink("data.csv", in_dir(dir, "link.csv")), 0);
    ck_assert_int_eq(link(data, in_dir(dir, "hard.csv")), 0);
    const char *fit_model[] = {"fit", "-q", "-o", model, data, NULL};
    ck_assert_int_eq(run_linreg(fit_model, NULL, cap), 0);
    char *model_text = lr_test_read_file(model, NULL);
    char dotted[4096], linkp[4096], hardp[4096];
    snprintf(dotted, sizeof dotted, "%s/./data.csv", dir);
    snprintf(linkp, sizeof linkp, "%s", in_dir(dir, "link.csv"));
    snprintf(hardp, sizeof hardp, "%s", in_dir(dir, "hard.csv"));
    const run_spec from_data = {data, NULL, NULL};
    struct {
        const char *args[12]; /* the command */
        const run_spec *rs;   /* its stdin */
        const char *message;  /* part of the expected message */
    } cases[] = {
        {{"fit", "-y", "dist", "--residuals", data, data, NULL}, NULL, "names the input"},
        {{"fit", "-o", data, data, NULL}, NULL, "names the input"},
        {{"fit", "--save", data, data, NULL}, NULL, "names the input"},
        {{"fit", "--plot", data, data, NULL}, NULL, "names the input"},
        {{"fit", "--residuals", dotted, data, NULL}, NULL, "names the input"},
        {{"fit", "--residuals", linkp, data, NULL}, NULL, "names the input"},
        {{"fit", "-o", hardp, data, NULL}, NULL, "names the input"},
        {{"fit", "--residuals", "/dev/stdin", "-", NULL}, &from_data, "standard input"},
        {{"fit", "-o", "/proc/self/fd/0", "-", NULL}, &from_data, "standard input"},
        {{"fit", "-o", model, "--residuals", model, data, NULL}, NULL, "name the same file"},
        {{"predict", "-m", model, "-o", model, data, NULL}, NULL, "names the input -m"},
        {{"predict", "-m", model, "-o", linkp, data, NULL}, NULL, "names the input"},
        {{"bench", "-q", "--fit", data, "--sizes", "4", "--plot", data, NULL},
         NULL,
         "names the input --fit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int code = run_linreg(cases[i].args, cases[i].rs, cap);
        ck_assert_msg(code == 2, "case %zu: exit %d: %s", i, code, err_text);
        CK_ERR_HAS(cases[i].message);
        CK_ERR_HAS("refusing");
        ck_assert_str_eq(out_text, "");
        ck_file_is(data, csv);
        ck_file_is(model, model_text);
        ck_listing(dir, "data.csv,hard.csv,link.csv,model.json");
    }
    free(csv);
    free(model_text);
    drop_dirs(dir, cap);
}
END_TEST

/* ---- a failed fit leaves every output as it was ---- */

START_TEST(test_failed_fit_keeps_outputs)
{
    char *dir = make_dir(), *cap = make_dir();
    put_file(in_dir(dir, "bad.csv"), bad_csv);
    put_file(in_dir(dir, "r.csv"), "old residuals\n");
    put_file(in_dir(dir, "m.json"), "{\"old\": 1}\n");
    put_file(in_dir(dir, "p.svg"), "<svg/>\n");
    char r[4096], m[4096], p[4096], bad[4096];
    snprintf(r, sizeof r, "%s", in_dir(dir, "r.csv"));
    snprintf(m, sizeof m, "%s", in_dir(dir, "m.json"));
    snprintf(p, sizeof p, "%s", in_dir(dir, "p.svg"));
    snprintf(bad, sizeof bad, "%s", in_dir(dir, "bad.csv"));
    for (int named = 0; named < 2; named++) {
        const run_spec rs = {NULL, NULL, named ? "LINREG_OUTPUT_NO_TMPFILE=1" : NULL};
        const char *args[] = {"fit", "--residuals", r, "-o", m, "--plot", p, bad, NULL};
        ck_assert_int_eq(run_linreg(args, &rs, cap), 1);
        CK_ERR_HAS("single level");
        ck_file_is(r, "old residuals\n");
        ck_file_is(m, "{\"old\": 1}\n");
        ck_file_is(p, "<svg/>\n");
        ck_listing(dir, "bad.csv,m.json,p.svg,r.csv");
    }
    drop_dirs(dir, cap);
}
END_TEST

/* ---- atomic replacement: symlinks, modes, the new content ---- */

START_TEST(test_replace_through_symlink_and_mode)
{
    char *dir = make_dir(), *cap = make_dir();
    char target[4096], link_path[4096], fresh[4096];
    snprintf(target, sizeof target, "%s", in_dir(dir, "real.json"));
    snprintf(link_path, sizeof link_path, "%s", in_dir(dir, "link.json"));
    snprintf(fresh, sizeof fresh, "%s", in_dir(dir, "new.json"));
    put_file(target, "old\n");
    ck_assert_int_eq(chmod(target, 0640), 0);
    ck_assert_int_eq(symlink("real.json", link_path), 0);
    for (int named = 0; named < 2; named++) {
        const run_spec rs = {NULL, NULL, named ? "LINREG_OUTPUT_NO_TMPFILE=1" : NULL};
        const char *args[] = {"fit", "-q", "-o", link_path, cars(), NULL};
        ck_assert_int_eq(run_linreg(args, &rs, cap), 0);
        struct stat st;
        ck_assert_int_eq(lstat(link_path, &st), 0);
        ck_assert_msg(S_ISLNK(st.st_mode), "the symlink was replaced");
        ck_assert_int_eq(stat(target, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0640);
        lr_model *mdl = NULL;
        lr_error err;
        ck_assert_msg(lr_model_load(target, &mdl, &err) == LR_OK, "%s", err.message);
        lr_model_free(mdl);
        /* a new file: 0666 less the umask (022 here) */
        mode_t old_mask = umask(022);
        const char *args2[] = {"fit", "-q", "-o", fresh, cars(), NULL};
        ck_assert_int_eq(run_linreg(args2, &rs, cap), 0);
        umask(old_mask);
        ck_assert_int_eq(stat(fresh, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0644);
        ck_listing(dir, "link.json,new.json,real.json");
        unlink(fresh);
    }
    /* a dangling symlink is created through */
    ck_assert_int_eq(symlink("later.csv", in_dir(dir, "dangling")), 0);
    const char *args3[] = {"fit",  "-q", "-y", "dist", "--residuals", in_dir(dir, "dangling"),
                           cars(), NULL};
    ck_assert_int_eq(run_linreg(args3, NULL, cap), 0);
    char *res = lr_test_read_file(in_dir(dir, "later.csv"), NULL);
    ck_assert_ptr_nonnull(res);
    ck_assert_msg(!strncmp(res, "line,fitted,", 12), "%.40s", res);
    free(res);
    drop_dirs(dir, cap);
}
END_TEST

/* ---- outputs that are not regular files ---- */

START_TEST(test_stdout_symlink_and_dev_stdout)
{
    char *dir = make_dir(), *cap = make_dir();
    char *so = lr_test_join(dir, "so"), *bad = lr_test_join(dir, "bad.csv");
    put_file(bad, bad_csv);
    ck_assert_int_eq(symlink("/proc/self/fd/1", so), 0);
    const char *paths[] = {so, "/dev/stdout"};
    for (int i = 0; i < 2; i++) {
        /* a failing fit: nothing on stdout (not even the header), nothing removed */
        const char *fail[] = {"fit", "--residuals", paths[i], bad, NULL};
        ck_assert_int_eq(run_linreg(fail, NULL, cap), 1);
        ck_assert_str_eq(out_text, "");
        const char *fail_save[] = {"fit", "-o", paths[i], bad, NULL};
        ck_assert_int_eq(run_linreg(fail_save, NULL, cap), 1);
        ck_assert_str_eq(out_text, "");
        const char *ok[] = {"fit", "-q", "-y", "dist", "--residuals", paths[i], cars(), NULL};
        ck_assert_int_eq(run_linreg(ok, NULL, cap), 0);
        ck_assert_msg(!strncmp(out_text, "line,fitted,residual,", 21), "%.60s", out_text);
        ck_assert_ptr_nonnull(strstr(out_text, "Residual standard error"));
    }
    struct stat st;
    ck_assert_int_eq(lstat(so, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(stat("/dev/stdout", &st), 0);
    free(so);
    free(bad);
    drop_dirs(dir, cap);
}
END_TEST

START_TEST(test_device_outputs)
{
    if (geteuid() != 0) {
        printf("test_outputs: device outputs skipped: mknod needs root\n");
        return;
    }
    char *dir = make_dir(), *cap = make_dir();
    char null[4096], full[4096], bad[4096];
    snprintf(null, sizeof null, "%s", in_dir(dir, "null"));
    snprintf(full, sizeof full, "%s", in_dir(dir, "full"));
    snprintf(bad, sizeof bad, "%s", in_dir(dir, "bad.csv"));
    put_file(bad, bad_csv);
    if (mknod(null, S_IFCHR | 0666, makedev(1, 3)) != 0 ||
        mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0) {
        printf("test_outputs: device outputs skipped: mknod: %s\n", strerror(errno));
        drop_dirs(dir, cap);
        return;
    }
    const char *opts[] = {"--residuals", "-o", "--plot"};
    for (int i = 0; i < 3; i++) {
        const char *fail_null[] = {"fit", opts[i], null, bad, NULL};
        ck_assert_int_eq(run_linreg(fail_null, NULL, cap), 1);
        const char *fail_full[] = {"fit", opts[i], full, bad, NULL};
        ck_assert_int_eq(run_linreg(fail_full, NULL, cap), 1);
        CK_ERR_HAS("single level");
        const char *ok_null[] = {"fit", "-q", opts[i], null, cars(), NULL};
        ck_assert_int_eq(run_linreg(ok_null, NULL, cap), 0);
        const char *ok_full[] = {"fit", "-q", opts[i], full, cars(), NULL};
        ck_assert_int_eq(run_linreg(ok_full, NULL, cap), 1);
        CK_ERR_HAS("full: cannot write: No space left on device");
        ck_assert_str_eq(out_text, "");
    }
    /* two character devices are no alias: stdin and the output on one */
    const char *dev_in[] = {"fit", "--residuals", null, "-", NULL};
    const run_spec null_in = {null, NULL, NULL};
    ck_assert_int_eq(run_linreg(dev_in, &null_in, cap), 1);
    CK_ERR_HAS("empty file");
    const char *pred[] = {"predict", "-m", null, "-o", full, cars(), NULL};
    ck_assert_int_eq(run_linreg(pred, NULL, cap), 1);
    struct stat st;
    ck_assert_int_eq(stat(null, &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    ck_assert_int_eq(stat(full, &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    ck_listing(dir, "bad.csv,full,null");
    drop_dirs(dir, cap);
}
END_TEST

/* ---- standard output errors ---- */

START_TEST(test_stdout_full)
{
    const char *cases[][8] = {
        {"--help", NULL},          {"--version", NULL},
        {"fit", "--help", NULL},   {"predict", "--help", NULL},
        {"bench", "--help", NULL}, {"fit", "-q", cars(), NULL},
    };
    char *cap = make_dir();
    const run_spec rs = {NULL, "/dev/full", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int code = run_linreg(cases[i], &rs, cap);
        ck_assert_msg(code == 1, "case %zu: exit %d", i, code);
        CK_ERR_HAS("cannot write standard output: No space left on device");
    }
    remove_dir(cap);
    free(cap);
}
END_TEST

/* ---- a full disk ---- */

/* A tmpfs of `kb` KiB mounted on a new directory (malloc'd), or NULL with the
 * reason printed (not root, or no mount allowed). */
/* The tmpfs a test mounted: the fixture's teardown unmounts it even when an
 * assertion ended the test. */
static char *mounted;

static void unmount_tmpfs(void)
{
    if (!mounted)
        return;
    umount(mounted);
    remove_dir(mounted);
    free(mounted);
    mounted = NULL;
}

static char *mount_small_tmpfs(int kb)
{
    if (geteuid() != 0) {
        printf("test_outputs: full-disk test skipped: mounting a tmpfs needs root\n");
        return NULL;
    }
    char *dir = make_dir();
    char opts[64];
    snprintf(opts, sizeof opts, "size=%dk", kb);
    if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0) {
        printf("test_outputs: full-disk test skipped: mount: %s\n", strerror(errno));
        rmdir(dir);
        free(dir);
        return NULL;
    }
    mounted = dir;
    return dir;
}

/* Fill the filesystem of dir: a file "fill" takes every free block. */
static void fill_up(const char *dir)
{
    int fd = open(in_dir(dir, "fill"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    static char block[4096];
    while (write(fd, block, sizeof block) > 0)
        ;
    close(fd);
}

START_TEST(test_full_disk)
{
    char *fs = mount_small_tmpfs(128);
    if (!fs)
        return;
    char *cap = make_dir();
    char big[4096];
    snprintf(big, sizeof big, "%s", in_dir(cap, "big.csv"));
    write_rows(big, 20000); /* residuals about 2 MB: more than the disk */
    put_file(in_dir(fs, "m.json"), "{\"old\": \"model\"}\n");
    put_file(in_dir(fs, "r.csv"), "old,residuals\n");
    put_file(in_dir(fs, "p.svg"), "<svg>old</svg>\n");
    put_file(in_dir(fs, "pred.csv"), "fit\n1\n");
    char m[4096], r[4096], p[4096], pred[4096], model[4096];
    snprintf(m, sizeof m, "%s", in_dir(fs, "m.json"));
    snprintf(r, sizeof r, "%s", in_dir(fs, "r.csv"));
    snprintf(p, sizeof p, "%s", in_dir(fs, "p.svg"));
    snprintf(pred, sizeof pred, "%s", in_dir(fs, "pred.csv"));
    snprintf(model, sizeof model, "%s", in_dir(cap, "model.json"));
    const char *mk[] = {"fit", "-q", "-o", model, big, NULL};
    ck_assert_int_eq(run_linreg(mk, NULL, cap), 0);
    fill_up(fs);
    for (int named = 0; named < 2; named++) {
        const run_spec rs = {NULL, NULL, named ? "LINREG_OUTPUT_NO_TMPFILE=1" : NULL};
        const char *cases[][8] = {
            {"fit", "-q", "-o", m, big, NULL},
            {"fit", "-q", "--residuals", r, big, NULL},
            {"fit", "-q", "--plot", p, big, NULL},
            {"predict", "-m", model, "-o", pred, big, NULL},
        };
        const char *shown[] = {m, r, p, pred};
        for (int i = 0; i < 4; i++) {
            int code = run_linreg(cases[i], &rs, cap);
            ck_assert_msg(code == 1, "case %d/%d: exit %d", named, i, code);
            CK_ERR_HAS(shown[i]);
            CK_ERR_HAS("No space left on device");
            ck_assert_str_eq(out_text, "");
            ck_file_is(m, "{\"old\": \"model\"}\n");
            ck_file_is(r, "old,residuals\n");
            ck_file_is(p, "<svg>old</svg>\n");
            ck_file_is(pred, "fit\n1\n");
            ck_listing(fs, "fill,m.json,p.svg,pred.csv,r.csv");
        }
    }
    remove_dir(cap);
    free(cap);
    unmount_tmpfs();
}
END_TEST

/* predict collects its output in TMPDIR; a full TMPDIR keeps it in memory. */
START_TEST(test_predict_full_tmpdir)
{
    if (lr_test_under_valgrind()) {
        /* valgrind --trace-children needs TMPDIR itself to start linreg */
        printf("test_outputs: full TMPDIR skipped under valgrind\n");
        return;
    }
    char *fs = mount_small_tmpfs(64);
    if (!fs)
        return;
    char *cap = make_dir();
    char big[4096], model[4096], env[4200];
    snprintf(big, sizeof big, "%s", in_dir(cap, "big.csv"));
    snprintf(model, sizeof model, "%s", in_dir(cap, "model.json"));
    write_rows(big, 100000); /* predictions about 2 MB: spilled, and more than TMPDIR */
    const char *mk[] = {"fit", "-q", "-o", model, big, NULL};
    ck_assert_int_eq(run_linreg(mk, NULL, cap), 0);
    const char *pr[] = {"predict", "-m", model, big, NULL};
    ck_assert_int_eq(run_linreg(pr, NULL, cap), 0);
    char *expected = strdup(out_text);
    ck_assert_uint_gt(strlen(expected), 1500000);
    fill_up(fs);
    snprintf(env, sizeof env, "TMPDIR=%s", fs);
    const run_spec rs = {NULL, NULL, env};
    ck_assert_int_eq(run_linreg(pr, &rs, cap), 0);
    ck_assert_str_eq(err_text, "");
    ck_assert_msg(!strcmp(out_text, expected), "predictions differ with a full TMPDIR");
    /* half-full: the first megabyte spilled, the rest in memory */
    unlink(in_dir(fs, "fill"));
    int fd = open(in_dir(fs, "fill"), O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    close(fd);
    ck_assert_int_eq(run_linreg(pr, &rs, cap), 0);
    ck_assert_msg(!strcmp(out_text, expected), "predictions differ with a small TMPDIR");
    ck_listing(fs, "fill");
    free(expected);
    remove_dir(cap);
    free(cap);
    unmount_tmpfs();
}
END_TEST

/* ---- concurrent writers ---- */

START_TEST(test_concurrent_saves)
{
    char *dir = make_dir(), *cap = make_dir();
    char *model = lr_test_join(dir, "model.json"), *wide = lr_test_join(cap, "wide.csv");
    /* 40 predictors: a model file of about 60 KB, written in many pieces
     * (writers truncating each other's files then leave holes) */
    FILE *f = fopen(wide, "w");
    ck_assert_ptr_nonnull(f);
    fputs("y", f);
    for (int j = 0; j < 40; j++)
        fprintf(f, ",x%d", j);
    for (int i = 0; i < 200; i++) {
        fprintf(f, "\n%d", (i * 7919) % 1009);
        for (int j = 0; j < 40; j++)
            fprintf(f, ",%d", (i * (j + 3) * 104729) % 997);
    }
    fputc('\n', f);
    ck_assert_int_eq(fclose(f), 0);
    /* rounds for the races' timing; valgrind runs each writer fifty times
     * slower, one thread at a time: one round there (its memory checks) */
    int rounds = lr_test_under_valgrind() ? 1 : 5;
    for (int round = 0; round < rounds; round++) {
        pid_t pids[8];
        char caps[8][4096];
        for (int i = 0; i < 8; i++) {
            snprintf(caps[i], sizeof caps[i], "%s/c%d", cap, i);
            mkdir(caps[i], 0700);
            const run_spec rs = {NULL, NULL, i % 2 ? "LINREG_OUTPUT_NO_TMPFILE=1" : NULL};
            /* each writer its own model (4 to 39 predictors): files of
             * different lengths, so interleaved writes cannot agree */
            char cols[400] = "";
            for (int j = 0; j < 4 + 5 * i; j++)
                snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%sx%d", j ? "," : "", j);
            const char *args[] = {"fit", "-q", "-y", "y", "-x", cols, "-o", model, wide, NULL};
            pids[i] = spawn_linreg(args, &rs, caps[i]);
        }
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(wait_code(pids[i]), 0);
            collect(caps[i]);
        }
        lr_model *m = NULL;
        lr_error err;
        ck_assert_msg(lr_model_load(model, &m, &err) == LR_OK, "round %d: %s", round, err.message);
        lr_model_free(m);
        const char *pr[] = {"predict", "-m", model, wide, NULL};
        ck_assert_int_eq(run_linreg(pr, NULL, cap), 0);
        ck_assert(!strncmp(out_text, "fit\n", 4));
        ck_listing(dir, "model.json");
    }
    free(model);
    free(wide);
    drop_dirs(dir, cap);
}
END_TEST

/* ---- signals ---- */

/* linreg blocked reading a FIFO the test feeds, killed with sig: exit
 * 128 + sig, the old outputs intact, no temporary left. */
static void signal_case(int sig, int named)
{
    char *dir = make_dir(), *cap = make_dir();
    char fifo[4096], r[4096], m[4096];
    snprintf(fifo, sizeof fifo, "%s", in_dir(cap, "in.fifo"));
    snprintf(r, sizeof r, "%s", in_dir(dir, "r.csv"));
    snprintf(m, sizeof m, "%s", in_dir(dir, "m.json"));
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    put_file(r, "old residuals\n");
    put_file(m, "{\"old\": 1}\n");
    const run_spec rs = {NULL, NULL, named ? "LINREG_OUTPUT_NO_TMPFILE=1" : NULL};
    const char *args[] = {"fit", "-q", "--residuals", r, "-o", m, fifo, NULL};
    pid_t pid = spawn_linreg(args, &rs, cap);
    /* linreg opens its outputs, then the FIFO: this open returns once it has */
    int fd = open(fifo, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    const char rows[] = "y,x\n1,2\n2,4.5\n";
    ck_assert_int_eq(write(fd, rows, sizeof rows - 1), (ssize_t)(sizeof rows - 1));
    if (named) {
        /* the named temporaries exist while the fit runs */
        char *l = listing(dir);
        ck_assert_msg(strstr(l, ".tmp") != NULL, "no named temporaries: %s", l);
        free(l);
    }
    ck_assert_int_eq(kill(pid, sig), 0);
    int code = wait_code(pid);
    close(fd);
    collect(cap);
    ck_assert_msg(code == 128 + sig, "exit %d after signal %d", code, sig);
    ck_file_is(r, "old residuals\n");
    ck_file_is(m, "{\"old\": 1}\n");
    ck_listing(dir, "m.json,r.csv");
    drop_dirs(dir, cap);
}

START_TEST(test_signals)
{
    signal_case(SIGTERM, 0);
    signal_case(SIGINT, 0);
    signal_case(SIGTERM, 1);
    signal_case(SIGINT, 1);
}
END_TEST

/* ---- the library's API ---- */

START_TEST(test_output_api)
{
    char *dir = make_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s", in_dir(dir, "out.txt"));
    put_file(path, "old\n");
    lr_output *o = NULL;
    lr_error err;
    /* discard: the old file untouched, no temporary left */
    ck_assert_int_eq(lr_output_open(path, &o, &err), LR_OK);
    ck_assert_int_eq(lr_output_in_place(o), 0);
    fputs("new\n", lr_output_stream(o));
    lr_output_discard(o);
    ck_file_is(path, "old\n");
    ck_listing(dir, "out.txt");
    /* commit: the new content */
    ck_assert_int_eq(lr_output_open(path, &o, &err), LR_OK);
    fputs("new\n", lr_output_stream(o));
    ck_file_is(path, "old\n"); /* not before the commit */
    ck_assert_int_eq(lr_output_commit(o, &err), LR_OK);
    ck_file_is(path, "new\n");
    ck_listing(dir, "out.txt");
    /* two writers interleaved: each commit leaves one writer's whole file */
    lr_output *o2 = NULL;
    ck_assert_int_eq(lr_output_open(path, &o, &err), LR_OK);
    ck_assert_int_eq(lr_output_open(path, &o2, &err), LR_OK);
    for (int i = 0; i < 20000; i++) {
        fputs("aaaaaaaaa\n", lr_output_stream(o));
        if (i < 10000)
            fputs("b\n", lr_output_stream(o2));
    }
    ck_assert_int_eq(lr_output_commit(o2, &err), LR_OK);
    size_t len = 0;
    char *got = lr_test_read_file(path, &len);
    ck_assert_uint_eq(len, 20000);
    ck_assert(got[0] == 'b' && got[len - 2] == 'b');
    free(got);
    ck_assert_int_eq(lr_output_commit(o, &err), LR_OK);
    got = lr_test_read_file(path, &len);
    ck_assert_uint_eq(len, 200000);
    ck_assert(got[0] == 'a' && got[len - 2] == 'a' && !strchr(got, 'b'));
    free(got);
    ck_listing(dir, "out.txt");
    /* in place: /dev/full fails at commit with the errno text */
    ck_assert_int_eq(lr_output_open("/dev/full", &o, &err), LR_OK);
    ck_assert_int_eq(lr_output_in_place(o), 1);
    ck_assert_ptr_null(lr_output_temp_name(o));
    fputs("x\n", lr_output_stream(o));
    ck_assert_int_eq(lr_output_commit(o, &err), LR_EIO);
    ck_assert_str_eq(err.message, "/dev/full: cannot write: No space left on device");
    /* a directory, and a missing one */
    ck_assert_int_eq(lr_output_open(dir, &o, &err), LR_EIO);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(err.message, "Is a directory"));
    ck_assert_int_eq(lr_output_open("/nonexistent/x", &o, &err), LR_EIO);
    ck_assert_int_eq(lr_output_commit(NULL, &err), LR_EUSAGE);
    lr_output_discard(NULL);
    remove_dir(dir);
    free(dir);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        {test_output_api, 0, "outputs"},
        LR_TEST(test_output_names_input),
        LR_TEST(test_failed_fit_keeps_outputs),
        LR_TEST(test_replace_through_symlink_and_mode),
        LR_TEST(test_stdout_symlink_and_dev_stdout),
        LR_TEST(test_device_outputs),
        LR_TEST(test_stdout_full),
        LR_TEST(test_full_disk),
        LR_TEST(test_predict_full_tmpdir),
        LR_TEST(test_concurrent_saves),
        LR_TEST(test_signals),
    };
    lr_test_teardown = unmount_tmpfs;
    int rc = lr_test_run_cases("outputs", 600, tests, LR_TEST_COUNT(tests));
    free(out_text);
    free(err_text);
    return rc;
}
