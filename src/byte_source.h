/*
 * byte_source.h — where the input's bytes come from (internal).
 */
#ifndef LR_BYTE_SOURCE_H
#define LR_BYTE_SOURCE_H

#include "internal.h"

typedef struct lr_source lr_source;

/* Open `path` ("-": standard input); gzip input is detected by its magic
 * bytes and decompressed transparently. Errors: "NAME: cannot open: ...",
 * "NAME: is a directory". */
int lr_source_open(const char *path, const char *display_name, lr_source **out, lr_error *err);
/* Over a descriptor; owns_fd: close it in lr_source_free. */
int lr_source_open_fd(int fd, int owns_fd, const char *name, lr_source **out, lr_error *err);

/* Up to n bytes into buf; *got = 0 at the end. */
int lr_source_read(lr_source *s, char *buf, size_t n, size_t *got, lr_error *err);

/* 1 for an uncompressed regular file. */
int lr_source_regular(const lr_source *s);
/* The file's size for a regular file (compressed size if gzip), else 0. */
uint64_t lr_source_size(const lr_source *s);
/* Raw (compressed) bytes read so far: progress against lr_source_size. */
uint64_t lr_source_consumed(const lr_source *s);
int lr_source_is_gzip(const lr_source *s);
/* 1 for a regular file (compressed or not): it can be read again by name. */
int lr_source_is_file(const lr_source *s);
const char *lr_source_name(const lr_source *s);

void lr_source_free(lr_source *s);

#endif
