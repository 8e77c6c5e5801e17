/*
 * cli_output.c — the command's outputs: refusing an output that names an
 * input, opening and committing lr_output files with the errors printed, the
 * SIGINT/SIGTERM handler that removes named temporaries, and the check that
 * standard output was really written.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- input/output aliasing ---- */

/* The file behind a path as the command uses it: "-" is standard input. */
static int stat_path(const char *path, struct stat *st)
{
    if (!strcmp(path, "-"))
        return fstat(STDIN_FILENO, st);
    return stat(path, st);
}

/*
 * Do two named files share their bytes, so that writing one destroys the
 * other? The same path, or the same inode (a hard link, a symlink,
 * /dev/stdin or /proc/self/fd/0 when the input is "-"). A terminal or other
 * character device shared by both (stdin and stdout on one tty) is no alias:
 * writing it destroys nothing.
 */
static int same_file(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    struct stat sa, sb;
    if (stat_path(a, &sa) != 0 || stat_path(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && !S_ISCHR(sa.st_mode);
}

int lr_cli_refuse_aliases(const lr_cli_path *in, size_t nin, const lr_cli_path *out, size_t nout)
{
    for (size_t i = 0; i < nout; i++) {
        if (!out[i].path)
            continue;
        for (size_t j = 0; j < nin; j++)
            if (in[j].path && same_file(out[i].path, in[j].path)) {
                const char *ip = in[j].path;
                lr_cli_error("%s %s names the input %s%s%s: refusing to overwrite it",
                             out[i].option, out[i].path, in[j].option, *in[j].option ? " " : "",
                             strcmp(ip, "-") ? ip : "- (standard input)");
                return LR_EXIT_USAGE;
            }
        for (size_t j = 0; j < i; j++)
            if (out[j].path && same_file(out[i].path, out[j].path)) {
                lr_cli_error("%s %s and %s %s name the same file: refusing to write it twice",
                             out[j].option, out[j].path, out[i].option, out[i].path);
                return LR_EXIT_USAGE;
            }
    }
    return LR_EXIT_OK;
}

int lr_cli_refuse_file_aliases(const lr_cli_path *named, size_t nnamed, char *const *files,
                               size_t nfiles, const lr_cli_path *out, size_t nout)
{
    size_t nin = nnamed + nfiles;
    lr_cli_path *in = calloc(nin ? nin : 1, sizeof *in);
    if (!in) {
        lr_cli_error("out of memory");
        return LR_EXIT_DATA;
    }
    for (size_t i = 0; i < nnamed; i++)
        in[i] = named[i];
    for (size_t i = 0; i < nfiles; i++)
        in[nnamed + i] = (lr_cli_path){"", files[i]};
    int rc = lr_cli_refuse_aliases(in, nin, out, nout);
    free(in);
    return rc;
}

/* ---- named temporaries and signals ---- */

/*
 * Named temporaries (lr_output's fallback where O_TMPFILE is refused) that a
 * SIGINT or SIGTERM must remove. A slot's name is written before its flag is
 * raised and the flag lowered before the name changes, so the handler, which
 * may run on any thread at any moment, reads only whole names.
 */
#define PENDING_MAX 8
static char pending_name[PENDING_MAX][PATH_MAX];
static volatile sig_atomic_t pending_used[PENDING_MAX];

static void on_signal(int sig)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (pending_used[i])
            unlink(pending_name[i]); /* async-signal-safe */
    _exit(128 + sig);
}

void lr_cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Block SIGINT and SIGTERM on this thread (the old mask kept in *old) while
 * the registry changes or a commit links and renames as one step. */
static void hold_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* Restore the mask hold_signals saved; a signal that came meanwhile is
 * delivered now. */
static void release_signals(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

static void forget_temp(const lr_output *o)
{
    const char *t = lr_output_temp_name(o);
    for (int i = 0; t && i < PENDING_MAX; i++)
        if (pending_used[i] && !strcmp(pending_name[i], t))
            pending_used[i] = 0;
}

/* The exit code for an lr_output status, the message printed. A file that
 * cannot be written is a data error (exit 1), whatever the library's code. */
static int output_status(int st, const lr_error *err)
{
    if (st == LR_OK)
        return LR_EXIT_OK;
    lr_cli_error("%s", err->message);
    return LR_EXIT_DATA;
}

int lr_cli_output_open(const char *path, lr_output **out)
{
    sigset_t old;
    lr_error err;
    hold_signals(&old);
    int st = lr_output_open(path, out, &err);
    const char *t = st == LR_OK ? lr_output_temp_name(*out) : NULL;
    int slot = -1;
    for (int i = 0; t && slot < 0 && i < PENDING_MAX; i++)
        if (!pending_used[i] && strlen(t) < PATH_MAX)
            slot = i;
    if (t && slot < 0) {
        lr_output_discard(*out); /* a temporary nothing could clean up */
        *out = NULL;
        release_signals(&old);
        lr_cli_error("%s: cannot write: too many outputs", path);
        return LR_EXIT_DATA;
    }
    if (t) {
        memcpy(pending_name[slot], t, strlen(t) + 1);
        pending_used[slot] = 1;
    }
    release_signals(&old);
    return output_status(st, &err);
}

int lr_cli_output_commit(lr_output *o)
{
    sigset_t old;
    lr_error err;
    hold_signals(&old);
    forget_temp(o);
    int st = lr_output_commit(o, &err);
    release_signals(&old);
    return output_status(st, &err);
}

void lr_cli_output_discard(lr_output *o)
{
    if (!o)
        return;
    sigset_t old;
    hold_signals(&old);
    forget_temp(o);
    lr_output_discard(o);
    release_signals(&old);
}

/* ---- standard output ---- */

int lr_cli_write_stdout(const void *buf, size_t len)
{
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        lr_cli_error("cannot write standard output: %s", strerror(errno ? errno : EIO));
        return LR_EXIT_DATA;
    }
    return LR_EXIT_OK;
}

int lr_cli_stdout_done(int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == LR_EXIT_OK) {
            lr_cli_error("cannot write standard output: %s", strerror(errno ? errno : EIO));
            rc = LR_EXIT_DATA;
        }
    }
    return rc;
}
