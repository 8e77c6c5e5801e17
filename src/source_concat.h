/*
 * source_concat.h — several files read as one input (internal; see
 * source_concat.c and docs/design.md, "Several files").
 */
#ifndef LR_SOURCE_CONCAT_H
#define LR_SOURCE_CONCAT_H

#include "byte_source.h"

typedef struct lr_concat lr_concat;

/* ---- what byte_source.c calls for a source made by lr_source_open_files ---- */

int lr_concat_read(lr_concat *c, char *buf, size_t n, size_t *got, lr_error *err);
void lr_concat_spool(lr_concat *c, uint64_t limit);
/* Reads stop (0 bytes) at the end of each file, after the line end owed. */
void lr_concat_split(lr_concat *c);
/* The first file hands out its header row only, as if it had no data rows
 * (an MPI rank reading files after it: mpi_fit.c); before any read. */
void lr_concat_header_only(lr_concat *c);
/* File k's name for messages (NULL beyond the last). */
const char *lr_concat_name(const lr_concat *c, size_t k);
/* After such a stop: 1 and *start = the offset in the next file of its
 * first byte to be read (its header row's length), 0 after the last file,
 * or minus an error code. */
int lr_concat_next(lr_concat *c, uint64_t *start, lr_error *err);
const char *lr_concat_again_why(lr_concat *c);
/* A concatenation over the members' second readings (lr_source_again of
 * each, their headers skipped again); c must outlive it. */
int lr_concat_again(lr_concat *c, lr_concat **out, lr_error *err);
int lr_concat_check(const lr_concat *c, lr_error *err);
uint64_t lr_concat_size(const lr_concat *c);
uint64_t lr_concat_consumed(const lr_concat *c);
/* Line `line` of the concatenation: its file's name and its line there. */
void lr_concat_locate(const lr_concat *c, uint64_t line, const char **name, uint64_t *local);
void lr_concat_free(lr_concat *c);

/* byte_source.c: a source that reads c (taken over: freed with it, also on failure). */
int lr_source_wrap_concat(lr_concat *c, const char *name, lr_source **out, lr_error *err);
/* byte_source.c: the concatenation behind s, or NULL for one file. */
lr_concat *lr_source_concat(const lr_source *s);

#endif
