/*
 * output_file.c — every file linreg writes: atomically when it is a regular
 * file, in place when it is not (lr_output_* in linreg.h).
 *
 * A regular file is never written where it lies. The new content goes to a
 * temporary file in the target's own directory (rename(2) only replaces
 * atomically within one filesystem): an unnamed O_TMPFILE inode, which no
 * crash or signal can leave behind, or, where the filesystem refuses
 * O_TMPFILE, a named ".NAME.XXXXXX.tmp" created with O_EXCL. Only at commit,
 * after every byte was written and fsync'ed, is it given a name (linkat
 * through /proc/self/fd) and renamed over the target. So the target holds
 * either its old bytes or all the new ones, and concurrent writers, each with
 * its own temporary, leave one writer's whole file.
 *
 * Anything else (a terminal, /dev/null, a pipe, a socket) cannot be replaced
 * by renaming, and must not be: it is opened for writing in place and never
 * truncated, unlinked or renamed over. The process's own standard output is
 * written in place too, through a duplicate of descriptor 1, whatever it is:
 * with `linreg fit --residuals /dev/stdout data.csv > out.txt` the user wants
 * both in out.txt, one after the other.
 *
 * The stream handed to the caller is a fopencookie stream over the descriptor
 * so that the first write error's errno is kept for the message at commit
 * (stdio keeps only an error flag, and errno is long overwritten by then).
 */
#define _GNU_SOURCE /* O_TMPFILE, fopencookie, linkat's AT_SYMLINK_FOLLOW */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How the output is written. */
typedef enum out_kind {
    OUT_TMPFILE = 0, /* an unnamed O_TMPFILE inode, linked and renamed at commit */
    OUT_NAMED = 1,   /* a named temporary (O_EXCL), renamed at commit */
    OUT_IN_PLACE = 2 /* not a regular file: written where it is */
} out_kind;

struct lr_output {
    FILE *f;       /* the caller's stream (a cookie stream over fd) */
    int fd;        /* the descriptor written */
    out_kind kind; /* how it is committed */
    int werr;      /* errno of the first failed write (0: none) */
    char *shown;   /* the path as the caller gave it, for messages */
    char *target;  /* the file renamed over: symlinks resolved */
    char *temp;    /* the temporary's name (OUT_NAMED, and OUT_TMPFILE once linked) */
};

/* ---- the stream ---- */

/* After the first failed write the output is lost anyway (the commit fails
 * with its errno), so the rest is dropped and reported as written: stdio
 * never sees a short write, whose handling in glibc re-sends stale buffer
 * bytes (valgrind saw uninitialised ones go to write(2)), and a full disk
 * is not asked again for every block. */
static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
    lr_output *o = c;
    size_t done = 0;
    while (done < size && !o->werr) {
        ssize_t k = write(o->fd, buf + done, size - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            o->werr = k < 0 ? errno : EIO;
        else
            done += (size_t)k;
    }
    return (ssize_t)size;
}

/* Closing the stream leaves the descriptor to lr_output (fsync, linkat). */
static int cookie_close(void *c)
{
    (void)c;
    return 0;
}

/* ---- names ---- */

static char *dup_n(const char *s, size_t n)
{
    char *d = lr_mem_alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The directory part of path ("." when it has none), malloc'd through lr_mem. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dup_n(".", 1);
    return dup_n(path, slash == path ? 1 : (size_t)(slash - path));
}

/*
 * Where a write to `path` lands: symlinks followed to their final target even
 * when that does not exist yet (a dangling link is created through), so that
 * the rename replaces the file and the link stays a link. Returns a malloc'd
 * path, or NULL with errno set (ELOOP after 40 links, as the kernel).
 */
static char *resolve_target(const char *path)
{
    char *cur = lr_mem_strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur; /* not a link (or absent): the target itself */
        char link[PATH_MAX];
        ssize_t k = readlink(cur, link, sizeof link - 1);
        if (k < 0) {
            lr_mem_strfree(cur);
            return NULL;
        }
        link[k] = '\0';
        char *next;
        if (link[0] == '/') {
            next = lr_mem_strdup(link);
        } else {
            /* relative to the link's own directory */
            char *dir = dir_of(cur);
            size_t n = dir ? strlen(dir) + 1 + (size_t)k + 1 : 0;
            next = dir ? lr_mem_alloc(n) : NULL;
            if (next)
                snprintf(next, n, "%s/%s", dir, link);
            lr_mem_strfree(dir);
        }
        lr_mem_strfree(cur);
        cur = next;
    }
    if (cur) {
        lr_mem_strfree(cur);
        errno = ELOOP;
    } else {
        errno = ENOMEM;
    }
    return NULL;
}

/* A name for a temporary beside target: "DIR/.BASE.XXXXXX.tmp", the X's from
 * a generator seeded by the clock, the pid and a counter (as mkstemp; its
 * pattern cannot end in ".tmp"). */
static char *temp_name(const char *target)
{
    static unsigned long counter;
    const char *slash = strrchr(target, '/');
    size_t dlen = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dlen;
    size_t n = dlen + strlen(base) + 13; /* exact: lr_mem_strfree frees strlen + 1 */
    char *name = lr_mem_alloc(n);
    if (!name)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x =
        (unsigned long long)ts.tv_nsec * 6364136223846793005ull ^
        (unsigned long long)getpid() << 32 ^
        __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 1442695040888963407ull;
    char rnd[7];
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < 6; i++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 32;
        rnd[i] = alnum[x % 62];
    }
    rnd[6] = '\0';
    snprintf(name, n, "%.*s.%s.%s.tmp", (int)dlen, target, base, rnd);
    return name;
}

/* ---- opening ---- */

/* An O_TMPFILE inode in dir, or -1 when the filesystem (or the environment
 * variable the tests use to exercise the other path) refuses one. linkat
 * through /proc/self/fd needs /proc; without it the named path is used. */
static int open_unnamed(const char *dir)
{
#ifdef O_TMPFILE
    const char *no = getenv("LINREG_OUTPUT_NO_TMPFILE");
    if ((no && *no && strcmp(no, "0") != 0) || access("/proc/self/fd", X_OK) != 0)
        return -1;
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else
    (void)dir;
    return -1;
#endif
}

/* A new named temporary beside target (mode 0666 less the umask, as any new
 * file); fd or -1 with errno. */
static int open_named(lr_output *o)
{
    for (int tries = 0; tries < 100; tries++) {
        o->temp = temp_name(o->target);
        if (!o->temp) {
            errno = ENOMEM;
            return -1;
        }
        int fd = open(o->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
        lr_mem_strfree(o->temp);
        o->temp = NULL;
    }
    errno = EEXIST;
    return -1;
}

static void output_free(lr_output *o)
{
    lr_mem_strfree(o->shown);
    lr_mem_strfree(o->target);
    lr_mem_strfree(o->temp);
    lr_mem_free(o, sizeof *o);
}

/* The temporary for a regular (or new) file: o->fd set, or an error. */
static int open_temp(lr_output *o, const struct stat *old, lr_error *err)
{
    char *dir = dir_of(o->target);
    if (!dir)
        return lr_error_nomem(err);
    o->kind = OUT_TMPFILE;
    o->fd = open_unnamed(dir);
    if (o->fd < 0) {
        o->kind = OUT_NAMED;
        o->fd = open_named(o);
    }
    int e = errno;
    if (o->fd < 0) {
        int st = lr_error_set(err, LR_EIO, "%s: cannot write (a temporary file in %s): %s",
                              o->shown, dir, strerror(e));
        lr_mem_strfree(dir);
        return st;
    }
    lr_mem_strfree(dir);
    /* A replaced file keeps its permissions and, where we may, its owner. */
    if (old) {
        if (fchmod(o->fd, old->st_mode & 07777) != 0) {
            e = errno;
            return lr_error_set(err, LR_EIO, "%s: cannot give the new file the old one's mode: %s",
                                o->shown, strerror(e));
        }
        if (geteuid() == 0)
            (void)!fchown(o->fd, old->st_uid, old->st_gid); /* best effort, as cp -p */
    }
    return LR_OK;
}

/* Is st the file standard output is open on? */
static int is_stdout(const struct stat *st)
{
    struct stat so;
    return fstat(STDOUT_FILENO, &so) == 0 && so.st_dev == st->st_dev && so.st_ino == st->st_ino;
}

int lr_output_open(const char *path, lr_output **out, lr_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return lr_error_set(err, LR_EUSAGE, "empty output file name");
    lr_output *o = lr_mem_calloc(1, sizeof *o);
    if (!o)
        return lr_error_nomem(err);
    o->fd = -1;
    o->shown = lr_mem_strdup(path);
    if (!o->shown) {
        output_free(o);
        return lr_error_nomem(err);
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    int st_code = LR_OK;
    if (!exists && errno != ENOENT) {
        int e = errno;
        st_code = lr_error_set(err, LR_EIO, "%s: cannot write: %s", path, strerror(e));
    } else if (exists && S_ISDIR(st.st_mode)) {
        st_code = lr_error_set(err, LR_EIO, "%s: cannot write: %s", path, strerror(EISDIR));
    } else if (exists && is_stdout(&st)) {
        /* the process's own standard output (/dev/stdout, /proc/self/fd/1,
         * or its file by name): written through it, sharing its offset, so
         * that what goes to stdout besides lands after it, not over it */
        o->kind = OUT_IN_PLACE;
        o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
        if (o->fd < 0) {
            int e = errno;
            st_code = lr_error_set(err, LR_EIO, "%s: cannot write: %s", path, strerror(e));
        }
    } else if (exists && !S_ISREG(st.st_mode)) {
        /* a device, FIFO or socket (perhaps through /proc/self/fd/N, whose
         * link text is no path): written where it is, never truncated */
        o->kind = OUT_IN_PLACE;
        o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (o->fd < 0) {
            int e = errno;
            st_code = lr_error_set(err, LR_EIO, "%s: cannot write: %s", path, strerror(e));
        }
    } else {
        /* realpath for an existing file (it also sees through /proc/self/fd);
         * the link chain for a new one */
        o->target = exists ? realpath(path, NULL) : resolve_target(path);
        if (o->target && exists) {
            /* realpath's buffer comes from malloc: copy it into the allocator's */
            char *t = lr_mem_strdup(o->target);
            free(o->target);
            o->target = t;
        }
        if (!o->target) {
            int e = errno;
            st_code = lr_error_set(err, e == ENOMEM ? LR_ENOMEM : LR_EIO, "%s: cannot write: %s",
                                   path, strerror(e));
        } else {
            st_code = open_temp(o, exists ? &st : NULL, err);
        }
    }
    if (st_code == LR_OK) {
        cookie_io_functions_t io = {NULL, cookie_write, NULL, cookie_close};
        o->f = fopencookie(o, "w", io);
        if (!o->f)
            st_code = lr_error_nomem(err);
    }
    if (st_code != LR_OK) {
        if (o->fd >= 0)
            close(o->fd);
        if (o->kind == OUT_NAMED && o->temp)
            unlink(o->temp);
        output_free(o);
        return st_code;
    }
    *out = o;
    return LR_OK;
}

FILE *lr_output_stream(lr_output *o)
{
    return o->f;
}

const char *lr_output_temp_name(const lr_output *o)
{
    return o && o->kind == OUT_NAMED ? o->temp : NULL;
}

int lr_output_in_place(const lr_output *o)
{
    return o->kind == OUT_IN_PLACE;
}

/* ---- commit and discard ---- */

/* Give the O_TMPFILE inode a temporary name (linkat cannot replace a name;
 * rename then does, atomically). 0, or -1 with errno. */
static int link_unnamed(lr_output *o)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
    for (int tries = 0; tries < 100; tries++) {
        o->temp = temp_name(o->target);
        if (!o->temp) {
            errno = ENOMEM;
            return -1;
        }
        if (linkat(AT_FDCWD, proc, AT_FDCWD, o->temp, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        int e = errno;
        lr_mem_strfree(o->temp);
        o->temp = NULL;
        if (e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

/* fsync the directory so that the rename itself survives a crash; a
 * directory that cannot be opened or synced (some filesystems refuse) does
 * not make the written file any less whole, so that is not an error. */
static void sync_dir(const char *target)
{
    char *dir = dir_of(target);
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    lr_mem_strfree(dir);
}

int lr_output_commit(lr_output *o, lr_error *err)
{
    if (!o)
        return lr_error_set(err, LR_EUSAGE, "no output to commit");
    const char *what = "cannot write";
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || o->werr)
        e = o->werr ? o->werr : EIO;
    if (!e && o->kind != OUT_IN_PLACE && fsync(o->fd) != 0) {
        e = errno;
        what = "cannot write (fsync)";
    }
    if (!e && o->kind == OUT_TMPFILE && link_unnamed(o) != 0) {
        e = errno;
        what = "cannot write (linking the new file)";
    }
    fclose(o->f); /* the cookie's close does nothing; the descriptor is ours */
    o->f = NULL;
    if (close(o->fd) != 0 && !e) {
        e = errno;
        what = "cannot write (close)";
    }
    o->fd = -1;
    if (!e && o->kind != OUT_IN_PLACE) {
        if (rename(o->temp, o->target) != 0) {
            e = errno;
            what = "cannot write (rename)";
        } else {
            lr_mem_strfree(o->temp);
            o->temp = NULL;
            sync_dir(o->target);
        }
    }
    int st = LR_OK;
    if (e) {
        if (o->temp)
            unlink(o->temp);
        st = lr_error_set(err, LR_EIO, "%s: %s: %s", o->shown, what, strerror(e));
    }
    output_free(o);
    return st;
}

void lr_output_discard(lr_output *o)
{
    if (!o)
        return;
    if (o->f)
        fclose(o->f);
    if (o->fd >= 0)
        close(o->fd);
    if (o->temp)
        unlink(o->temp); /* an O_TMPFILE inode vanishes with its descriptor */
    output_free(o);
}
