/*
 * temp_file.h — unnamed temporary files for spools (internal).
 */
#ifndef LR_TEMP_FILE_H
#define LR_TEMP_FILE_H

#include <stddef.h>

/*
 * A temporary file in $TMPDIR (or /tmp), open for reading and writing, that
 * has no name: it disappears with its last descriptor however the process
 * ends (SIGKILL included). Returns the descriptor (the caller closes it), or
 * -1 with why[] saying which directory failed and how (why may be NULL).
 */
int lr_temp_fd(char *why, size_t why_size);
/* All n bytes of buf written to fd (a spool), EINTR retried: 0, or -1 with
 * errno set (0 when the file system took no bytes). */
int lr_temp_write(int fd, const void *buf, size_t n);

#endif
