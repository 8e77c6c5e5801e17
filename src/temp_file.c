/*
 * temp_file.c — unnamed temporary files, the spools of second passes.
 *
 * A spool is a copy the process needs only while it runs (standard input
 * kept for a second reading, the evaluated model rows). A named file
 * (mkstemp) outlives a process killed before it unlinks it: tens of MB left
 * in TMPDIR by every interrupted run. O_TMPFILE (Linux 3.11; ext4, xfs,
 * btrfs, tmpfs) makes a file that never has a name. A file system without it
 * (EOPNOTSUPP, EISDIR on older kernels) gets mkstemp and an unlink at once:
 * a name then exists for the microseconds between the two calls.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "temp_file.h"

int lr_temp_fd(char *why, size_t why_size)
{
    const char *env = getenv("TMPDIR");
    const char *dir = env && *env ? env : "/tmp";
    int fd = -1, e = 0;
#ifdef O_TMPFILE
    do
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    while (fd < 0 && errno == EINTR);
    e = errno;
    if (fd >= 0 || (e != EOPNOTSUPP && e != EISDIR && e != EINVAL))
        goto out;
#endif
    char path[4096];
    if (snprintf(path, sizeof path, "%s/linreg-spool-XXXXXX", dir) >= (int)sizeof path) {
        e = ENAMETOOLONG;
        goto out;
    }
    fd = mkostemp(path, O_CLOEXEC);
    e = errno;
    if (fd >= 0)
        unlink(path);
out:
    if (fd < 0 && why && why_size > 0) {
        char msg[128];
        const char *m = strerror_r(e, msg, sizeof msg);
        snprintf(why, why_size, "TMPDIR %s: %s", dir, m ? m : "error");
    }
    return fd;
}

int lr_temp_write(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = 0;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
