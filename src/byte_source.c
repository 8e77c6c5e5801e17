/*
 * byte_source.c — the bytes of the input: a file, standard input, either one
 * gzip-compressed (detected by its magic bytes 1f 8b, not by the name;
 * concatenated gzip members are read one after the other, as gzip -d does).
 *
 * The input is opened once and read by its descriptor only. A regular file
 * is read with pread from where it started, so a second pass reads the same
 * open file again (lr_source_again): renaming or replacing the name cannot
 * change what is read, and a FIFO's name is never opened twice (the second
 * open would wait for a writer that will not come). The file's size and
 * modification time (to the nanosecond) are taken at open and checked after
 * every pass, with the bytes read against the size: a file that grew,
 * shrank or was written while linreg read it is an error, not a fit of half
 * of it. (Its device and inode are those of the open descriptor, which a
 * rename cannot change: a replaced file is simply not the one read.)
 * Anything else (a pipe, a FIFO, a socket, a terminal) can be read once;
 * its bytes may be copied to an unnamed spool as they are handed out, and
 * its second passes read that copy.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "byte_source.h"
#include "source_concat.h"
#include "temp_file.h"

/* Compressed bytes read per call. */
#define LR_GZ_IN 262144

void (*lr_source_test_hook)(int event, const char *name, uint64_t n);

struct lr_source {
    int fd;               /* the descriptor */
    int owns_fd;          /* close it at the end */
    int regular;          /* a regular file read by pread (its size is known) */
    uint64_t size;        /* regular files: bytes from base to the end at open */
    uint64_t base;        /* regular files: the offset reading started from (stdin may be past 0) */
    struct stat id;       /* regular files: identity at open (st_dev, st_ino, st_size, st_mtim) */
    int ours;             /* a spool linreg wrote: nothing to check */
    int no_detect;        /* bytes already decompressed: no gzip detection */
    uint64_t reads;       /* raw reads so far (for lr_source_test_hook) */
    int spool_fd;         /* unnamed copy of the bytes handed out (not regular), or -1 */
    uint64_t spooled;     /* bytes in it */
    uint64_t spool_limit; /* the copy is given up beyond this */
    char why[512];        /* why the input cannot be read again ("" when it can) */
    char *name;           /* for messages (owned) */
    int gzip;             /* decompressing */
    z_stream z;           /* zlib's state (gzip) */
    int z_live;           /* z initialised */
    int z_end;            /* the last member ended at the end of the input */
    unsigned char *in;    /* gzip: compressed input, LR_GZ_IN bytes */
    unsigned char peek[16]; /* the first bytes, read to look for gzip's magic */
    size_t peek_len;        /* peeked bytes not handed out yet */
    size_t peek_off;        /* offset of the next one */
    int eof;                /* the descriptor reached its end */
    uint64_t consumed;      /* raw bytes read from the descriptor so far */
    lr_concat *cat;         /* several files (source_concat.c): every call goes there */
};

/* strerror is not thread-safe; this file is compiled with _GNU_SOURCE, so
 * strerror_r is GNU's, which returns the message (maybe not in buf). */
static void errno_text(int e, char *buf, size_t size)
{
    const char *m = strerror_r(e, buf, size);
    if (m != buf)
        snprintf(buf, size, "%s", m ? m : "unknown error");
}

void lr_source_free(lr_source *s)
{
    if (!s)
        return;
    lr_concat_free(s->cat);
    if (s->z_live)
        inflateEnd(&s->z);
    if (s->owns_fd && s->fd >= 0)
        close(s->fd);
    if (s->spool_fd >= 0)
        close(s->spool_fd);
    lr_mem_free(s->in, LR_GZ_IN);
    lr_mem_strfree(s->name);
    lr_mem_free(s, sizeof *s);
}

/* read(2), retrying EINTR; 0 at the end. */
static int raw_read(lr_source *s, void *buf, size_t n, size_t *got, lr_error *err)
{
    *got = 0;
    if (s->eof)
        return LR_OK;
    for (;;) {
        ssize_t k =
            s->regular ? pread(s->fd, buf, n, (off_t)(s->base + s->consumed)) : read(s->fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            char msg[256];
            errno_text(errno, msg, sizeof msg);
            return lr_error_at(err, LR_EIO, s->name, 0, 0, "read error: %s", msg);
        }
        if (k == 0)
            s->eof = 1;
        *got = (size_t)k;
        s->consumed += (uint64_t)k;
        s->reads++;
        if (lr_source_test_hook && k > 0)
            lr_source_test_hook(LR_SOURCE_READ, s->name, s->reads);
        return LR_OK;
    }
}

/* zlib's allocator hooks: every allocation through linreg's. zlib passes no
 * size to free, so each block carries its size in front. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    size_t n;
    if (lr_mul_overflows(items, size, &n) || n > SIZE_MAX - sizeof(max_align_t))
        return Z_NULL;
    max_align_t *p = lr_mem_alloc(n + sizeof(max_align_t));
    if (!p)
        return Z_NULL;
    memcpy(p, &n, sizeof n);
    return p + 1;
}

static void z_free(voidpf opaque, voidpf address)
{
    (void)opaque;
    if (!address)
        return;
    max_align_t *p = (max_align_t *)address - 1;
    size_t n;
    memcpy(&n, p, sizeof n);
    lr_mem_free(p, n + sizeof(max_align_t));
}

/* A source over fd, nothing read yet. */
static int new_source(int fd, int owns_fd, const char *name, lr_source **out, lr_error *err)
{
    *out = NULL;
    lr_source *s = lr_mem_calloc(1, sizeof *s);
    if (!s) {
        if (owns_fd)
            close(fd);
        return lr_error_nomem(err);
    }
    s->fd = fd;
    s->owns_fd = owns_fd;
    s->spool_fd = -1;
    s->name = lr_mem_strdup(name);
    if (!s->name) {
        lr_source_free(s);
        return lr_error_nomem(err);
    }
    *out = s;
    return LR_OK;
}

/* Peek at the first bytes: gzip's magic 1f 8b decides. On error s is freed. */
static int start(lr_source *s, lr_error *err)
{
    size_t got = 0;
    int rc;
    while (s->peek_len < 2 && !s->eof) {
        if ((rc = raw_read(s, s->peek + s->peek_len, sizeof s->peek - s->peek_len, &got, err))) {
            lr_source_free(s);
            return rc;
        }
        s->peek_len += got;
    }
    if (!s->no_detect && s->peek_len >= 2 && s->peek[0] == 0x1f && s->peek[1] == 0x8b) {
        s->gzip = 1;
        s->in = lr_mem_alloc(LR_GZ_IN);
        if (!s->in) {
            lr_source_free(s);
            return lr_error_nomem(err);
        }
        memcpy(s->in, s->peek, s->peek_len);
        s->z.zalloc = z_alloc;
        s->z.zfree = z_free;
        s->z.next_in = s->in;
        s->z.avail_in = (uInt)s->peek_len;
        s->peek_len = 0;
        int zr = inflateInit2(&s->z, 16 + MAX_WBITS);
        if (zr != Z_OK) {
            rc = zr == Z_MEM_ERROR
                     ? lr_error_nomem(err)
                     : lr_error_at(err, LR_EIO, s->name, 0, 0, "cannot start gzip decompression");
            lr_source_free(s);
            return rc;
        }
        s->z_live = 1;
    }
    return LR_OK;
}

/* lr_source_open_fd; no_detect: the bytes are text (no gzip detection). */
static int open_fd(int fd, int owns_fd, const char *name, int no_detect, lr_source **out,
                   lr_error *err)
{
    lr_source *s;
    int rc = new_source(fd, owns_fd, name, &s, err);
    if (rc)
        return rc;
    s->no_detect = no_detect;
    struct stat st;
    off_t at;
    /* A regular file is read by position from where its descriptor stood
     * (`linreg - < data.csv` after a `read` of the header in a script reads
     * the rest). One that reports no size (procfs, sysfs) is read as a
     * stream: its size cannot check what was read. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (at = lseek(fd, 0, SEEK_CUR)) >= 0 && at <= st.st_size) {
        s->regular = 1;
        s->id = st;
        s->base = (uint64_t)at;
        s->size = (uint64_t)(st.st_size - at);
    } else {
        snprintf(s->why, sizeof s->why,
                 "can be read only once (a pipe or another stream) "
                 "and was not kept for a second reading");
    }
#ifdef F_SETPIPE_SZ
    /* A larger pipe (1 MiB instead of 64 KiB) means fewer, larger reads from a
     * producer such as cat or zcat; a failure only costs speed. */
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
        (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#endif
    if ((rc = start(s, err)))
        return rc;
    *out = s;
    return LR_OK;
}

/* path opened for reading into *fd (EINTR retried); an error names `name`. */
static int open_read(const char *path, const char *name, int *fd, lr_error *err)
{
    do
        *fd = open(path, O_RDONLY | O_CLOEXEC);
    while (*fd < 0 && errno == EINTR);
    if (*fd < 0) {
        char msg[256];
        errno_text(errno, msg, sizeof msg);
        return lr_error_at(err, LR_EIO, name, 0, 0, "cannot open: %s", msg);
    }
    return LR_OK;
}

int lr_source_open_fd(int fd, int owns_fd, const char *name, lr_source **out, lr_error *err)
{
    return open_fd(fd, owns_fd, name, 0, out, err);
}

int lr_source_open(const char *path, const char *display_name, lr_source **out, lr_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = display_name ? display_name : is_stdin ? "<stdin>" : path;
    *out = NULL;
    if (is_stdin)
        return lr_source_open_fd(0, 0, name, out, err);
    int fd, rc = open_read(path, name, &fd, err);
    if (rc)
        return rc;
    /* open(2) accepts a directory; reading it would fail with a less clear EISDIR. */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return lr_error_at(err, LR_EIO, name, 0, 0, "is a directory");
    }
    return lr_source_open_fd(fd, 1, name, out, err);
}

int lr_source_open_at(const char *path, uint64_t offset, lr_source **out, lr_error *err)
{
    *out = NULL;
    int fd, rc = open_read(path, path, &fd, err);
    if (rc)
        return rc;
    /* only a plain regular file has its bytes at known offsets: gzip's
     * decompressed offsets can only be reached by inflating from the start */
    struct stat st;
    unsigned char magic[2];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, magic, 2, 0) < 0 ||
        (st.st_size >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
        close(fd);
        return lr_error_at(err, LR_EUSAGE, path, 0, 0,
                           "cannot be read from an offset (not a plain regular file)");
    }
    uint64_t at = offset < (uint64_t)st.st_size ? offset : (uint64_t)st.st_size;
    if (lseek(fd, (off_t)at, SEEK_SET) < 0) {
        char msg[256];
        errno_text(errno, msg, sizeof msg);
        close(fd);
        return lr_error_at(err, LR_EIO, path, 0, 0, "cannot seek: %s", msg);
    }
    return open_fd(fd, 1, path, 1, out, err);
}

/* Up to n bytes of the input (decompressed) into buf. */
static int read_bytes(lr_source *s, char *buf, size_t n, size_t *got, lr_error *err)
{
    *got = 0;
    if (n == 0)
        return LR_OK;
    if (!s->gzip) {
        if (s->peek_len > 0) { /* the peeked bytes first */
            size_t k = s->peek_len < n ? s->peek_len : n;
            memcpy(buf, s->peek + s->peek_off, k);
            s->peek_off += k;
            s->peek_len -= k;
            *got = k;
            return LR_OK;
        }
        return raw_read(s, buf, n, got, err);
    }
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    s->z.next_out = (Bytef *)buf;
    s->z.avail_out = (uInt)n;
    while (s->z.avail_out == (uInt)n && !s->z_end) {
        if (s->z.avail_in == 0) {
            size_t k;
            int rc = raw_read(s, s->in, LR_GZ_IN, &k, err);
            if (rc)
                return rc;
            if (k == 0)
                return lr_error_at(err, LR_EIO, s->name, 0, 0,
                                   "truncated gzip data (the compressed stream ends early)");
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)k;
        }
        int zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            /* another member may follow (cat a.gz b.gz) */
            if (s->z.avail_in == 0) {
                size_t k;
                int rc = raw_read(s, s->in, LR_GZ_IN, &k, err);
                if (rc)
                    return rc;
                s->z.next_in = s->in;
                s->z.avail_in = (uInt)k;
            }
            if (s->z.avail_in == 0) {
                s->z_end = 1;
            } else if (inflateReset(&s->z) != Z_OK) {
                return lr_error_at(err, LR_EIO, s->name, 0, 0, "gzip: cannot read the next member");
            }
        } else if (zr == Z_MEM_ERROR) {
            return lr_error_nomem(err);
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return lr_error_at(err, LR_EIO, s->name, 0, 0, "corrupt gzip data: %s",
                               s->z.msg ? s->z.msg : "inflate failed");
        }
    }
    *got = n - s->z.avail_out;
    return LR_OK;
}

/* The spool is given up (why says why): the input cannot be read again. */
static void spool_give_up(lr_source *s, const char *why)
{
    if (s->spool_fd >= 0)
        close(s->spool_fd);
    s->spool_fd = -1;
    snprintf(s->why, sizeof s->why, "can be read only once (a pipe or another stream) and %s", why);
}

/* A copy of what is handed out, for the second passes. */
static void spool_append(lr_source *s, const char *buf, size_t n)
{
    if (s->spool_fd < 0 || n == 0)
        return;
    if (n > s->spool_limit - s->spooled) {
        /* the caps are whole GiB or MiB (fit.c); others in bytes */
        char why[96];
        uint64_t l = s->spool_limit;
        int shift = l % ((uint64_t)1 << 30) == 0 ? 30 : l % ((uint64_t)1 << 20) == 0 ? 20 : 0;
        snprintf(why, sizeof why, "is larger than the %llu %s kept for a second reading",
                 (unsigned long long)(l >> shift),
                 shift == 30 ? "GiB"
                 : shift     ? "MiB"
                             : "bytes");
        spool_give_up(s, why);
        return;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(s->spool_fd, buf + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            char msg[128], why[256];
            errno_text(k < 0 ? errno : ENOSPC, msg, sizeof msg);
            snprintf(why, sizeof why,
                     "its copy for a second reading could not be written "
                     "(TMPDIR: %s)",
                     msg);
            spool_give_up(s, why);
            return;
        }
        off += (size_t)k;
    }
    s->spooled += n;
}

int lr_source_read(lr_source *s, char *buf, size_t n, size_t *got, lr_error *err)
{
    if (s->cat)
        return lr_concat_read(s->cat, buf, n, got, err);
    int rc = read_bytes(s, buf, n, got, err);
    if (rc == LR_OK)
        spool_append(s, buf, *got);
    return rc;
}

const char *lr_source_file_name(const lr_source *s, size_t k)
{
    return s->cat ? lr_concat_name(s->cat, k) : k == 0 ? s->name : NULL;
}

void lr_source_split_files(lr_source *s)
{
    if (s->cat)
        lr_concat_split(s->cat);
}

void lr_source_header_only(lr_source *s)
{
    if (s->cat)
        lr_concat_header_only(s->cat);
}

int lr_source_next_file(lr_source *s, uint64_t *start, lr_error *err)
{
    *start = 0;
    return s->cat ? lr_concat_next(s->cat, start, err) : 0;
}

void lr_source_spool(lr_source *s, uint64_t limit)
{
    if (s->cat) {
        lr_concat_spool(s->cat, limit);
        return;
    }
    if (s->regular || limit == 0 || s->spool_fd >= 0)
        return;
    char tmp[256], why[384];
    if ((s->spool_fd = lr_temp_fd(tmp, sizeof tmp)) < 0) {
        snprintf(why, sizeof why, "no copy of it could be kept for a second reading (%s)", tmp);
        spool_give_up(s, why);
    }
    s->spool_limit = limit;
}

const char *lr_source_again_why(const lr_source *s)
{
    if (s->cat)
        return lr_concat_again_why(s->cat);
    if (s->regular || (s->spool_fd >= 0 && s->eof))
        return NULL;
    return s->why;
}

int lr_source_check(const lr_source *s, lr_error *err)
{
    if (s->cat)
        return lr_concat_check(s->cat, err);
    if (!s->regular || s->ours)
        return LR_OK;
    struct stat st;
    if (fstat(s->fd, &st) != 0) {
        char msg[128];
        errno_text(errno, msg, sizeof msg);
        return lr_error_at(err, LR_EIO, s->name, 0, 0, "cannot check the file: %s", msg);
    }
    if (st.st_size != s->id.st_size)
        return lr_error_at(err, LR_EIO, s->name, 0, 0,
                           "changed while being read: %lld bytes "
                           "when it was opened, %lld now",
                           (long long)s->id.st_size, (long long)st.st_size);
    if (st.st_mtim.tv_sec != s->id.st_mtim.tv_sec || st.st_mtim.tv_nsec != s->id.st_mtim.tv_nsec)
        return lr_error_at(err, LR_EIO, s->name, 0, 0,
                           "changed while being read: written to "
                           "after it was opened (its modification time changed)");
    if (s->eof && s->consumed != s->size)
        return lr_error_at(err, LR_EIO, s->name, 0, 0,
                           "changed while being read: %llu bytes "
                           "read of the %llu it had when it was opened",
                           (unsigned long long)s->consumed, (unsigned long long)s->size);
    return LR_OK;
}

int lr_source_again(lr_source *s, lr_source **out, lr_error *err)
{
    *out = NULL;
    if (s->cat) {
        lr_concat *c;
        int r = lr_concat_again(s->cat, &c, err);
        return r ? r : lr_source_wrap_concat(c, s->name, out, err);
    }
    const char *why = lr_source_again_why(s);
    if (why)
        return lr_error_at(err, LR_EIO, s->name, 0, 0, "%s", why);
    if (lr_source_test_hook)
        lr_source_test_hook(LR_SOURCE_AGAIN, s->name, 0);
    int rc;
    lr_source *a;
    if (s->regular && (rc = lr_source_check(s, err)))
        return rc;
    if ((rc = new_source(s->regular ? s->fd : s->spool_fd, 0, s->name, &a, err)))
        return rc;
    a->regular = 1;
    if (s->regular) {
        a->id = s->id;
        a->base = s->base;
        a->size = s->size;
    } else {
        /* the spool holds the bytes handed out: decompressed already */
        a->ours = 1;
        a->no_detect = 1;
        a->size = s->spooled;
    }
    if ((rc = start(a, err)))
        return rc;
    *out = a;
    return LR_OK;
}

int lr_source_regular(const lr_source *s)
{
    return s->regular && !s->gzip;
}

uint64_t lr_source_size(const lr_source *s)
{
    if (s->cat)
        return lr_concat_size(s->cat);
    return s->regular ? s->size : 0;
}

uint64_t lr_source_consumed(const lr_source *s)
{
    if (s->cat)
        return lr_concat_consumed(s->cat);
    return s->consumed;
}

int lr_source_is_gzip(const lr_source *s)
{
    return s->gzip;
}

const char *lr_source_name(const lr_source *s)
{
    return s->name;
}

int lr_source_wrap_concat(lr_concat *c, const char *name, lr_source **out, lr_error *err)
{
    int rc = new_source(-1, 0, name, out, err);
    if (rc) {
        lr_concat_free(c);
        return rc;
    }
    (*out)->cat = c;
    (*out)->eof = 1;
    return LR_OK;
}

lr_concat *lr_source_concat(const lr_source *s)
{
    return s->cat;
}
