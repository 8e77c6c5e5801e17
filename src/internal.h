/*
 * internal.h — helpers shared by liblinreg's modules; not part of the API.
 */
#ifndef LR_INTERNAL_H
#define LR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "linreg.h"

/* Element (i, j) of a column-major matrix with leading dimension ld. */
#define LR_AT(a, ld, i, j) ((a)[(size_t)(j) * (size_t)(ld) + (size_t)(i)])

#if defined(__GNUC__)
#define LR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LR_PRINTF(f, a)
#endif

/* ---- progress: lr_fit_options.progress told which pass runs and how far ---- */

/* Calls fn (when set) with an lr_progress made of the rest (linreg.h says
 * what each pass reports). Callers call it once per block of work: a chunk,
 * a spool record, a sweep, 4,096 rows. */
static inline void lr_progress_send(void (*fn)(void *, const lr_progress *), void *ud,
                                    const char *pass, const char *unit, uint64_t done,
                                    uint64_t total, uint64_t rows)
{
    if (fn) {
        lr_progress p = {pass, unit, done, total, rows};
        fn(ud, &p);
    }
}

/* ---- allocation (alloc.c): every allocation goes through the installed allocator ---- */

/* Allocate n bytes (n may be 0: returns a unique non-NULL pointer of size 1). */
void *lr_mem_alloc(size_t n);
/* Allocate an array of count × size bytes, zeroed; NULL on overflow or failure. */
void *lr_mem_calloc(size_t count, size_t size);
/* Resize p from old to n bytes; on failure p is untouched and NULL returned. */
void *lr_mem_realloc(void *p, size_t old, size_t n);
/* Free p of size `size` (the size it was allocated with). lr_mem_free(NULL, 0) is harmless. */
void lr_mem_free(void *p, size_t size);
/* Copy a NUL-terminated string; NULL on failure. Free with lr_mem_free(s, strlen(s) + 1). */
char *lr_mem_strdup(const char *s);
/* Free a string allocated by lr_mem_strdup. */
void lr_mem_strfree(char *s);
/* 1 if a * b overflows size_t, else 0 and *out = a * b. */
int lr_mul_overflows(size_t a, size_t b, size_t *out);

/* One of the arrays lr_mem_replace replaces together. */
typedef struct lr_mem_array {
    void *p;     /* in: the array (NULL: none); out: its replacement */
    size_t old;  /* bytes of the array */
    size_t size; /* bytes of the replacement */
    size_t keep; /* bytes copied from the array's start into it (at most old and size) */
    int zero;    /* its bytes past keep zeroed */
} lr_mem_array;
/* The most arrays one lr_mem_replace call takes. */
#define LR_MEM_ARRAYS_MAX 8
/* Replace n (at most LR_MEM_ARRAYS_MAX) arrays all at once or not at all:
 * every replacement is allocated before any array is freed, so that the
 * parallel arrays of a table that grows stay as they were when memory runs
 * out. 0, or -1 when memory runs out (every a[i].p then unchanged). */
int lr_mem_replace(lr_mem_array *a, size_t n);

/* ---- arena (alloc.c): many small allocations freed together ---- */

/* A chain of blocks from the installed allocator; objects are never freed one by one. */
typedef struct lr_arena {
    struct lr_arena_block *head; /* most recent block, NULL when empty */
} lr_arena;

/* n bytes aligned for any type, zeroed; NULL when out of memory. */
void *lr_arena_alloc(lr_arena *a, size_t n);
/* A copy of data[0..len) with a terminating NUL; NULL when out of memory. */
char *lr_arena_strndup(lr_arena *a, const char *data, size_t len);
/* Free every block. The arena is empty and reusable afterwards. */
void lr_arena_free(lr_arena *a);

/* ---- errors (error.c) ---- */

/* Clear err (code LR_OK, empty message). err may be NULL. */
void lr_error_clear(lr_error *err);
/* Set err to code with a printf-style message; returns code. err may be NULL. */
int lr_error_set(lr_error *err, int code, const char *fmt, ...) LR_PRINTF(3, 4);
/* As lr_error_set, the message prefixed by "name:line:col: " and the position recorded. */
int lr_error_at(lr_error *err, int code, const char *name, uint64_t line, uint64_t col,
                const char *fmt, ...) LR_PRINTF(6, 7);
/* An error made with lr_error_at(name, line, ...) where line counted from a
 * chunk's first line: add line_offset to its line, message included. */
void lr_error_relocate(lr_error *err, const char *name, uint64_t line_offset);
/* 1 if err's message starts with "name:LINE[:COL]: " for its line and
 * column, with what follows copied to rest[0..size); else 0. */
int lr_error_after_place(const lr_error *err, const char *name, char *rest, size_t size);
/* Out of memory: sets LR_ENOMEM with a fixed message; returns LR_ENOMEM. */
int lr_error_nomem(lr_error *err);
/* Write a byte string for a message: printable ASCII kept, others as \xHH, truncated
 * to about max bytes with "...". Always NUL-terminates out (size > 0). */
void lr_error_quote(char *out, size_t size, const char *data, size_t len, size_t max);

/* ---- numbers and CSV rows for the fused fast path (number_parse.c, csv_reader.c) ---- */

/* The number that starts at s (no blank before it; s < end is the most that
 * may be read): LR_CELL_NUMBER with the double lr_parse_cell would give for
 * exactly those bytes, and *stop just past them; LR_CELL_OVERFLOW beyond a
 * double's range; LR_CELL_TEXT if no number starts there. What follows the
 * number is the caller's to check. */
lr_cell_kind lr_parse_number_prefix(const char *s, const char *end, double *value,
                                    const char **stop);

/* Bytes of the input consumed: the rows handed out and their line ends. */
uint64_t lr_csv_consumed(const lr_csv *r);
/* A reader (just opened) over bytes that continue a file — a chunk after the
 * first, or the rest of one: lines numbered from `line`, and leading bytes
 * that look like a UTF-8 byte order mark are data, as anywhere but at the
 * start of a file. */
void lr_csv_continue(lr_csv *r, uint64_t line);
/* The error for a row longer than `max` bytes starting at `line` (LR_EDATA). */
int lr_csv_row_too_long(lr_error *err, const char *name, uint64_t line, size_t max);

/* ---- OpenBLAS threads (blas_info.c) ---- */

/* Set OpenBLAS's thread count to n (unless it already is n; fewer than n,
 * down to the present count, if a memory limit leaves no room for more:
 * lr_blas_room); the previous count, to restore with another call. */
int lr_blas_threads(int n);

/* ---- room for OpenBLAS's buffers under a memory limit (blas_memory.c) ---- */

/* 1 if RLIMIT_AS or RLIMIT_DATA limits this process. */
int lr_memory_limited(void);
/* How many of n threads may call OpenBLAS at once (each needs a work buffer
 * of 128 MiB, which OpenBLAS retries forever to map): n without a memory
 * limit; under one, as many as the address space still holds, counting those
 * already probed for; 0: not even one (the caller reports out of memory). */
int lr_blas_room(int n);

/* LR_EUSAGE: "SOURCE: no WHAT named 'NAME'", with the name among names[0..n)
 * it most likely misspells (name_suggest.c). */
int lr_no_column_error(const char *source, const char *what, const char *name,
                       const char *const *names, size_t n, lr_error *err);

/* ---- an accumulator's state, exactly (accumulator.c; for partial_io.c) ---- */

/* What lr_accum_from_state needs to rebuild an accumulator bit for bit
 * (workspaces excluded). The arrays are borrowed from the accumulator (get)
 * or the caller (from). */
typedef struct lr_accum_state {
    size_t k;            /* columns */
    lr_kernel kernel;    /* Gram or QR */
    uint64_t nobs;       /* rows with nonzero weight */
    double w;            /* Σ w */
    double sum_log_w;    /* Σ log w */
    const double *shift; /* c, k entries */
    const double *dmean; /* d, k entries */
    size_t mdim;         /* k (Gram) or k + 1 (QR: the augmented factor R⁺) */
    const double *m2;    /* Gram: M; QR: R⁺ (NULL: none yet); mdim × mdim, ld mdim */
    size_t rrows;        /* QR: rows of R⁺ that may be nonzero */
    const double *pend;  /* QR: pending rows, npend × mdim, ld ldp (NULL: none) */
    size_t npend;        /* their number */
    size_t ldp;          /* their leading dimension */
} lr_accum_state;
void lr_accum_get_state(const lr_accum *a, lr_accum_state *s);
int lr_accum_from_state(const lr_accum_state *s, lr_accum **out, lr_error *err);

#endif /* LR_INTERNAL_H */
