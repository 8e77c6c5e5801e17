/*
 * ingest_enter.c — one file's blocks without the bytes before them: what an
 * MPI rank needs to read its share of a file (docs/design.md, "Chunks at
 * absolute offsets").
 *
 * Chunk i of a file holds the rows that start in [i·C, (i+1)·C), a row
 * starting at offset 0 or just past a line end outside quotes. Where the
 * rows start from b0·C on depends on the bytes from b0·C − 1 on and on one
 * bit of what precedes them: the quote parity at b0·C. That bit is the XOR
 * of the parities of any ranges that tile [0, b0·C), so ranks that each
 * count the quotes of their own range (memchr: numeric files have none) and
 * exchange the bits know where their rows start without reading each
 * other's bytes.
 */
#include <string.h>

#include "ingest_impl.h"

int lr_ingest_quote_parity(const char *path, uint64_t from, uint64_t to, int *odd, lr_error *err)
{
    lr_source *src = NULL;
    *odd = 0;
    int rc = lr_source_open_at(path, from, &src, err);
    char *buf = rc ? NULL : lr_mem_alloc(LR_CHUNK);
    if (!rc && !buf)
        rc = lr_error_nomem(err);
    for (uint64_t at = from; !rc && at < to;) {
        size_t want = to - at < LR_CHUNK ? (size_t)(to - at) : LR_CHUNK, got;
        if ((rc = lr_source_read(src, buf, want, &got, err)) || got == 0)
            break;
        *odd ^= lr_ingest_parity(buf, got);
        at += got;
    }
    lr_mem_free(buf, LR_CHUNK);
    lr_source_free(src);
    return rc;
}

int lr_ingest_cut(const char *const *paths, size_t n, size_t file, uint64_t b0, uint64_t b1,
                  int odd, size_t max_line, lr_ingest_cut_fn each, void *ud, lr_error *err)
{
    splitter sp = {0};
    chunk_job j = {0};
    sp.max_line = max_line ? max_line : LR_MAX_LINE_DEFAULT;
    int rc;
    if (file == LR_INGEST_ALL_FILES) {
        if (!(rc = lr_source_open_files(paths, n, sp.max_line, 0, &sp.src, err)))
            lr_source_split_files(sp.src);
    } else {
        rc = lr_ingest_enter(&sp, paths, n, file, b0, b1, odd, err);
    }
    while (!rc && !sp.overlong) {
        if ((rc = lr_ingest_next_chunk(&sp, &j, err)) || j.len == 0)
            break;
        rc = each(ud, file == LR_INGEST_ALL_FILES ? j.file : file, j.block, j.offset, j.buf, j.len);
    }
    lr_mem_free(j.buf, j.cap);
    lr_mem_free(sp.carry, sp.carry_cap);
    lr_source_free(sp.src);
    return rc;
}
