/*
 * test_pipes.c — the command on pipes, FIFOs and standard input (issues 22,
 * 23 and 13): a second pass never reopens a stream (a FIFO's second open
 * waited forever), what cannot be computed without one is an error or a
 * warning by the rule of docs/guide.md's exit codes, a file needs no TMPDIR, and
 * a killed run leaves nothing in TMPDIR. Each run has a timeout: a hang is a
 * failure, not a stuck suite.
 */
#define _GNU_SOURCE /* O_CLOEXEC */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* valgrind (--trace-children) needs a TMPDIR of its own to start the
 * child: the tests that take it away from linreg run without valgrind. */
static int skip_under_valgrind(void)
{
    if (!lr_test_under_valgrind())
        return 0;
    printf("skipped under valgrind: the test runs linreg without a usable TMPDIR\n");
    return 1;
}

/* ---- the command, with a timeout ---- */

typedef struct bg {
    pid_t pid; /* the linreg process */
    char *out; /* where its stdout goes (a file in the test's directory) */
    char *err; /* and its stderr */
} bg;

/* Start linreg with argv (argv[0] replaced), stdin from in_fd (-1: /dev/null),
 * TMPDIR set to tmpdir (NULL: unchanged), output into files of dir. */
static bg start_linreg(const char *const *argv, int in_fd, const char *tmpdir, const char *dir)
{
    bg r;
    r.out = lr_test_join(dir, "stdout");
    r.err = lr_test_join(dir, "stderr");
    r.pid = fork();
    ck_assert(r.pid >= 0);
    if (r.pid == 0) {
        int o = open(r.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(r.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int i = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || i < 0)
            _exit(126);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (tmpdir)
            setenv("TMPDIR", tmpdir, 1);
        lr_test_exec_linreg(argv);
    }
    return r;
}

/* Wait up to `seconds` for it; its exit code, or -1 (killed) if it hung. */
static int wait_linreg(bg *r, double seconds)
{
    int status = 0;
    for (double t = 0; t < seconds; t += 0.01) {
        pid_t w = waitpid(r->pid, &status, WNOHANG);
        if (w == r->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &status, 0);
    return -1;
}

static void bg_free(bg *r, char **out, char **err)
{
    *out = lr_test_read_file(r->out, NULL);
    *err = lr_test_read_file(r->err, NULL);
    unlink(r->out);
    unlink(r->err);
    free(r->out);
    free(r->err);
}

/* A child that writes data into the FIFO (blocking until linreg opens it). */
static pid_t fifo_writer(const char *fifo, const char *data, size_t len)
{
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        int fd = open(fifo, O_WRONLY);
        size_t off = 0;
        while (fd >= 0 && off < len) {
            ssize_t k = write(fd, data + off, len - off);
            if (k <= 0)
                break;
            off += (size_t)k;
        }
        _exit(off == len ? 0 : 1);
    }
    return pid;
}

/* Run linreg on a FIFO fed with data; its exit code (-1: hung), output. */
static int run_on_fifo(const char *const *argv_with_fifo, const char *fifo, const char *data,
                       size_t len, const char *tmpdir, const char *dir, char **out, char **err)
{
    pid_t w = fifo_writer(fifo, data, len);
    bg r = start_linreg(argv_with_fifo, -1, tmpdir, dir);
    int code = wait_linreg(&r, 60);
    kill(w, SIGKILL); /* if linreg never opened the FIFO */
    waitpid(w, NULL, 0);
    bg_free(&r, out, err);
    return code;
}

/* Issue 22: a FIFO whose second pass cannot come from a spool (TMPDIR
 * unusable; the same path as a stream over the 64 MiB cap) is not opened a
 * second time — that open waited forever for a writer. Extended precision is
 * declined with a note saying why; with a usable TMPDIR the spool gives it. */
START_TEST(test_fifo_second_pass)
{
    char *dir = lr_test_temp_dir(), *fifo = lr_test_join(dir, "in.fifo"), *out, *err;
    ck_assert(mkfifo(fifo, 0600) == 0);
    size_t len;
    char *data = lr_test_poly_csv(200, 0, &len);
    const char *argv[] = {"linreg", "fit", "-f", LR_TEST_POLY_FORMULA, fifo, NULL};
    int code;
    if (!skip_under_valgrind()) {
        code = run_on_fifo(argv, fifo, data, len, "/nonexistent-linreg-tmp", dir, &out, &err);
        ck_assert_msg(code != -1, "linreg hung on the FIFO (killed after 60 s)");
        ck_assert_msg(code == 0, "exit %d: %s", code, err);
        char want[4300];
        snprintf(want, sizeof want,
                 "extended precision was declined: %s can be read only once (a "
                 "pipe or another stream) and no copy of it could be kept for a second reading "
                 "(TMPDIR /nonexistent-linreg-tmp: No such file or directory)",
                 fifo);
        ck_assert_msg(strstr(out, want) != NULL, "%s", out);
        free(out);
        free(err);
    }

    code = run_on_fifo(argv, fifo, data, len, dir, dir, &out, &err);
    ck_assert_msg(code == 0, "exit %d: %s", code, err);
    ck_assert_msg(strstr(out, "recomputed in 256-bit arithmetic") != NULL, "%s", out);
    ck_assert(strstr(out, "declined") == NULL);
    free(out);
    free(err);
    lr_test_remove_file(fifo);
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* Issue 23: with standard input and no usable TMPDIR, what the user asked
 * for by name and cannot get is an error (exit 1, nothing on stdout, the
 * reason and what would make it possible); the text summary's quantiles a
 * warning on stderr. Before, each was exit 0 with stderr empty. */
static const struct {
    const char *opt[3]; /* the options */
    int code;           /* exit code */
    const char *err;    /* a part of stderr */
} asked_cases[] = {
    {{"--vcov", "HC3", NULL},
     1,
     "linreg: <stdin>: cannot compute the HC3 covariance: a second reading of the data is "
     "needed, and <stdin> can be read only once (a pipe or another stream) and no copy of it "
     "could be kept for a second reading (TMPDIR /nonexistent-linreg-tmp: No such file or "
     "directory); give a file instead of a pipe, or a writable TMPDIR\n"},
    {{"--residuals", "%D/res.csv", NULL}, 1, "cannot compute the per-row residuals: "},
    {{"--plot", "%D/plot.svg", NULL}, 1, "cannot compute the plot points: "},
    {{"--format", "text", NULL}, 0, "linreg: warning: the residual quantiles were not computed: "},
    {{"--format", "json", NULL}, 0, ""},
};

START_TEST(test_asked_without_second_pass)
{
    if (skip_under_valgrind())
        return;
    char *dir = lr_test_temp_dir(), *out, *err;
    size_t len;
    char *data = lr_test_read_file(lr_test_path("datasets/nist/Norris.csv"), &len);
    int pfd[2];
    ck_assert(pipe(pfd) == 0);
    /* the whole data fits in the pipe: written, then closed */
    ck_assert(write(pfd[1], data, len) == (ssize_t)len);
    close(pfd[1]);
    char arg[4200] = "";
    const char *argv[8] = {"linreg", "fit", "-y", "y", "-x", "x", NULL, NULL};
    size_t n = 6;
    for (int k = 0; k < 2 && asked_cases[_i].opt[k]; k++) {
        const char *o = asked_cases[_i].opt[k];
        if (!strncmp(o, "%D", 2)) {
            snprintf(arg, sizeof arg, "%s%s", dir, o + 2);
            o = arg;
        }
        argv[n++] = o;
    }
    const char *full[10];
    memcpy(full, argv, n * sizeof *argv);
    full[n] = "-";
    full[n + 1] = NULL;
    bg r = start_linreg(full, pfd[0], "/nonexistent-linreg-tmp", dir);
    close(pfd[0]);
    int code = wait_linreg(&r, 60);
    bg_free(&r, &out, &err);
    ck_assert_msg(code == asked_cases[_i].code, "exit %d: %s", code, err);
    ck_assert_msg(strstr(err, asked_cases[_i].err) != NULL, "stderr: %s", err);
    if (code)
        ck_assert_msg(out[0] == '\0', "stdout: %s", out);
    else if (!asked_cases[_i].err[0])
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
    free(out);
    free(err);
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* Issue 23: `/dev/stdin` from a pipe. Opening it again read the drained
 * pipe ("0 observations when read again ... (the file changed between
 * passes?)"); now it is read once, like `-`. */
START_TEST(test_dev_stdin_pipe)
{
    if (skip_under_valgrind())
        return;
    char *dir = lr_test_temp_dir(), *out, *err;
    size_t len;
    char *data = lr_test_poly_csv(200, 0, &len);
    static const char *const extra[][3] = {{NULL}, {"--vcov", "HC3", NULL}};
    for (int c = 0; c < 2; c++) {
        int pfd[2];
        ck_assert(pipe(pfd) == 0);
        ck_assert(write(pfd[1], data, len) == (ssize_t)len);
        close(pfd[1]);
        const char *argv[8] = {"linreg", "fit", "-f", LR_TEST_POLY_FORMULA};
        size_t n = 4;
        for (int k = 0; extra[c][k]; k++)
            argv[n++] = extra[c][k];
        argv[n++] = "/dev/stdin";
        argv[n] = NULL;
        bg r = start_linreg(argv, pfd[0], "/nonexistent-linreg-tmp", dir);
        close(pfd[0]);
        int code = wait_linreg(&r, 60);
        bg_free(&r, &out, &err);
        ck_assert_msg(strstr(err, "changed") == NULL, "stderr: %s", err);
        if (c == 0) {
            ck_assert_msg(code == 0, "exit %d: %s", code, err);
            ck_assert_msg(strstr(out, "extended precision was declined: /dev/stdin can be read "
                                      "only once") != NULL,
                          "%s", out);
        } else {
            ck_assert_msg(code == 1, "exit %d: %s", code, err);
            ck_assert_msg(strstr(err, "linreg: /dev/stdin: cannot compute the HC3 covariance") !=
                              NULL,
                          "stderr: %s", err);
            ck_assert(out[0] == '\0');
        }
        free(out);
        free(err);
    }
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* A file (by name, or as standard input) gets every pass through its
 * descriptor when TMPDIR is unusable: no note, nothing on stderr. */
START_TEST(test_file_without_tmpdir)
{
    if (skip_under_valgrind())
        return;
    char *dir = lr_test_temp_dir(), *path = lr_test_join(dir, "data.csv"), *out, *err;
    size_t len;
    char *data = lr_test_poly_csv(200, 0, &len);
    lr_test_write_file(path, data, len);
    for (int c = 0; c < 2; c++) {
        const char *argv[] = {"linreg", "fit",         "-f", LR_TEST_POLY_FORMULA, "--vcov",
                              "HC3",    "--residuals", NULL, c ? "-" : path,       NULL};
        char *res = lr_test_join(dir, "res.csv");
        argv[7] = res;
        int in = c ? open(path, O_RDONLY) : -1;
        bg r = start_linreg(argv, in, "/nonexistent-linreg-tmp", dir);
        if (in >= 0)
            close(in);
        int code = wait_linreg(&r, 60);
        bg_free(&r, &out, &err);
        ck_assert_msg(code == 0, "exit %d: %s", code, err);
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
        ck_assert_msg(strstr(out, "recomputed in 256-bit arithmetic") != NULL, "%s", out);
        ck_assert(strstr(out, "standard errors HC3") != NULL || strstr(out, "HC3") != NULL);
        ck_assert(strstr(out, "declined") == NULL && strstr(out, "not computed") == NULL);
        ck_assert(strstr(out, "Residuals:") != NULL);
        size_t rlen = 0;
        char *rows = lr_test_read_file(res, &rlen);
        ck_assert(rows != NULL);
        size_t lines = 0;
        for (size_t k = 0; k < rlen; k++)
            lines += rows[k] == '\n';
        ck_assert_uint_eq(lines, 201); /* a header and every row */
        free(rows);
        lr_test_remove_file(res);
        free(out);
        free(err);
    }
    free(data);
    free(path);
    lr_test_remove_dir(dir);
}
END_TEST

/* Lines "y,x" of a simple regression, n rows (malloc'd, *len bytes). */
static char *line_csv(int n, size_t *len)
{
    size_t cap = (size_t)n * 32 + 8, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "y,x\n");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(b + o, cap - o, "%d.%03d,%d\n", 3 * i + 1, (i * 7919) % 1000, i);
    *len = o;
    return b;
}

/* A full TMPDIR (a 64 KiB tmpfs; root only): a FIFO's copy and the row
 * spool fail with ENOSPC, so --vcov HC3 is an error saying so; a file still
 * gets its second pass through its descriptor, with no note. */
START_TEST(test_full_tmpdir)
{
    if (geteuid() != 0) {
        printf("skipped: mounting a full tmpfs as TMPDIR needs root\n");
        return;
    }
    if (skip_under_valgrind())
        return;
    char *dir = lr_test_temp_dir(), *mnt = lr_test_join(dir, "tmp");
    char *fifo = lr_test_join(dir, "in.fifo"), *path = lr_test_join(dir, "d.csv"), *out, *err;
    ck_assert(mkdir(mnt, 0700) == 0);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=64k tmpfs '%s'", mnt);
    if (system(cmd) != 0) {
        printf("skipped: cannot mount a tmpfs (%s)\n", cmd);
        rmdir(mnt);
        free(mnt);
        free(fifo);
        free(path);
        lr_test_remove_dir(dir);
        return;
    }
    size_t len;
    char *data = line_csv(10000, &len); /* ~150 KB: more than the tmpfs holds */
    ck_assert(mkfifo(fifo, 0600) == 0);
    const char *argv[] = {"linreg", "fit", "-y", "y", "-x", "x", "--vcov", "HC3", fifo, NULL};
    char *out2, *err2;
    int code = run_on_fifo(argv, fifo, data, len, mnt, dir, &out, &err);
    lr_test_write_file(path, data, len);
    argv[8] = path;
    bg r = start_linreg(argv, -1, mnt, dir);
    int code2 = wait_linreg(&r, 60);
    bg_free(&r, &out2, &err2);
    int left = lr_test_dir_entries(mnt);
    /* unmounted before any assertion can end the test */
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    ck_assert(system(cmd) == 0);

    ck_assert_msg(code == 1, "exit %d: %s", code, err);
    ck_assert(out[0] == '\0');
    char want[4300];
    snprintf(want, sizeof want,
             "linreg: %s: cannot compute the HC3 covariance: a second reading of the data is "
             "needed, and %s can be read only once (a pipe or another stream) and its copy for "
             "a second reading could not be written (TMPDIR: No space left on device); give a "
             "file instead of a pipe, or a writable TMPDIR\n",
             fifo, fifo);
    ck_assert_str_eq(err, want);
    /* the file: HC3, the quantiles and extended precision, all through its descriptor */
    ck_assert_msg(code2 == 0, "exit %d: %s", code2, err2);
    ck_assert_msg(err2[0] == '\0', "stderr: %s", err2);
    ck_assert(strstr(out2, "HC3") != NULL && strstr(out2, "Residuals:") != NULL);
    ck_assert(strstr(out2, "recomputed in 256-bit arithmetic") != NULL);
    ck_assert(strstr(out2, "declined") == NULL && strstr(out2, "not computed") == NULL);
    ck_assert_int_eq(left, 0);
    free(out);
    free(err);
    free(out2);
    free(err2);
    rmdir(mnt);
    unlink(fifo);
    free(mnt);
    free(fifo);
    free(path);
    free(data);
    lr_test_remove_dir(dir);
}
END_TEST

/* Issue 13: a fit reading standard input killed with SIGKILL mid-run leaves
 * nothing in TMPDIR: its spools never have a name. The fit is caught while
 * it holds a spool open (a descriptor into TMPDIR), reading a pipe that is
 * still open. */
START_TEST(test_sigkill_leaves_no_spool)
{
    char *dir = lr_test_temp_dir(), *tmp = lr_test_join(dir, "tmp"), *out, *err;
    ck_assert(mkdir(tmp, 0700) == 0);
    int pfd[2];
    ck_assert(pipe(pfd) == 0);
    const char *argv[] = {"linreg", "fit", "-y", "y", "-x", "x", "--vcov", "HC3", "-", NULL};
    bg r = start_linreg(argv, pfd[0], tmp, dir);
    close(pfd[0]);
    const char *rows = "y,x\n1,2\n3,5\n4,4\n";
    ck_assert(write(pfd[1], rows, strlen(rows)) == (ssize_t)strlen(rows));
    /* until the process holds a file of TMPDIR open */
    int holds = 0;
    char fddir[64];
    snprintf(fddir, sizeof fddir, "/proc/%d/fd", (int)r.pid);
    for (int t = 0; t < 3000 && !holds; t++) {
        DIR *d = opendir(fddir);
        struct dirent *e;
        while (d && (e = readdir(d)) && !holds) {
            char link[4200], target[4200];
            snprintf(link, sizeof link, "%s/%s", fddir, e->d_name);
            ssize_t k = readlink(link, target, sizeof target - 1);
            if (k > 0) {
                target[k] = '\0';
                holds = !strncmp(target, tmp, strlen(tmp)) && target[strlen(tmp)] == '/';
            }
        }
        if (d)
            closedir(d);
        if (!holds)
            usleep(10000);
    }
    kill(r.pid, SIGKILL);
    int code = wait_linreg(&r, 60);
    close(pfd[1]);
    bg_free(&r, &out, &err);
    ck_assert_msg(holds, "linreg never opened a spool in its TMPDIR");
    ck_assert_int_eq(code, 128 + SIGKILL);
    ck_assert_msg(lr_test_dir_entries(tmp) == 0, "files left in TMPDIR after SIGKILL");
    rmdir(tmp);
    free(tmp);
    free(out);
    free(err);
    lr_test_remove_dir(dir);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_fifo_second_pass),
        LR_TEST_LOOP(test_asked_without_second_pass, (int)LR_TEST_COUNT(asked_cases)),
        LR_TEST(test_dev_stdin_pipe),
        LR_TEST(test_file_without_tmpdir),
        LR_TEST(test_full_tmpdir),
        LR_TEST(test_sigkill_leaves_no_spool),
    };
    return lr_test_run_cases("pipes", 300, tests, LR_TEST_COUNT(tests));
}
