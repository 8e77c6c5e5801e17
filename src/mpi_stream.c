/*
 * mpi_stream.c — a rank's chunk records on their way to rank 0.
 *
 * A rank after the first makes a record per 1 MiB chunk of its share (a
 * narrow model's about 30 KB, a wide one's rows unfactored: 421 KB at 200
 * predictors; docs/design.md, "MPI") and sends them when its pass ends, since
 * rank 0 folds the ranks' streams one after the other, in file order: a rank
 * that sent as it went would wait for rank 0 to reach it. Kept in memory,
 * a share of 10 GB at 200 predictors would be 4 GB of records, so the
 * records are spilled to an unnamed temporary file (temp_file.c) PIECE
 * bytes at a time: the rank's memory stays one PIECE whatever its share.
 * (If no temporary file can be made they stay in memory, as before.)
 *
 * On the wire a stream is its length (tag 1), then pieces of at most PIECE
 * bytes (tag 2), and rank 0 reads it record by record as pieces arrive,
 * keeping at most a record and a piece: its memory does not grow with the
 * other ranks' shares either. Each record is its length (8 bytes, little
 * endian) and its bytes (partial_io.c's chunk record).
 */
#include <errno.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_stream.h"
#include "partial_io.h"
#include "temp_file.h"

/* The size of a message, and of the records held before a spill: 4 MiB, or
 * LINREG_MPI_PIECE bytes (at least 4,096), a knob for the tests, which make
 * records straddle pieces and spill with a small one. The receiver sizes
 * each receive by the message (MPI_Probe), so only the sender's matters. */
static size_t piece_size(void)
{
    static size_t piece;
    if (!piece) {
        const char *e = getenv("LINREG_MPI_PIECE");
        unsigned long long v = e ? strtoull(e, NULL, 10) : 0;
        piece = v >= 4096 && v <= ((size_t)1 << 30) ? (size_t)v : (size_t)4 << 20;
    }
    return piece;
}
#define PIECE piece_size()

struct lr_mpi_out {
    lr_pbuf buf;      /* records not yet spilled */
    int fd;           /* the spill file: -1 not yet made, -2 none could be */
    uint64_t spilled; /* bytes in it */
};

lr_mpi_out *lr_mpi_out_create(void)
{
    lr_mpi_out *s = calloc(1, sizeof *s);
    if (s)
        s->fd = -1;
    return s;
}

/* The buffer's bytes appended to the spill file. */
static int spill(lr_mpi_out *s, lr_error *err)
{
    if (s->fd == -1 && (s->fd = lr_temp_fd(NULL, 0)) < 0)
        s->fd = -2;
    if (s->fd < 0)
        return LR_OK; /* no file: the records stay in memory */
    if (lr_temp_write(s->fd, s->buf.b, s->buf.n))
        return lr_error_set(err, LR_EIO,
                            "cannot write this MPI rank's chunk records to a temporary file "
                            "(TMPDIR): %s",
                            errno ? strerror(errno) : "no space");
    s->spilled += s->buf.n;
    s->buf.n = 0;
    return LR_OK;
}

int lr_mpi_out_put(void *ud, const unsigned char *rec, size_t len, lr_error *err)
{
    lr_mpi_out *s = ud;
    lr_pbuf_u64(&s->buf, len);
    lr_pbuf_bytes(&s->buf, rec, len);
    if (s->buf.failed)
        return lr_error_nomem(err);
    return s->buf.n >= PIECE ? spill(s, err) : LR_OK;
}

/* n bytes as pieces of at most PIECE. */
static void send_pieces(const unsigned char *b, uint64_t n, int to)
{
    for (uint64_t off = 0; off < n;) {
        size_t k = n - off > PIECE ? PIECE : (size_t)(n - off);
        MPI_Send(b + off, (int)k, MPI_BYTE, to, 2, MPI_COMM_WORLD);
        off += k;
    }
}

void lr_mpi_out_send(lr_mpi_out *s, int empty, int to)
{
    static const unsigned char zeros[1 << 16];
    uint64_t total = !s || empty ? 0 : s->spilled + s->buf.n;
    MPI_Send(&total, 1, MPI_UINT64_T, to, 1, MPI_COMM_WORLD);
    if (total > 0) {
        unsigned char *piece = s->spilled ? malloc(PIECE) : NULL;
        for (uint64_t off = 0; off < s->spilled;) {
            size_t k = s->spilled - off > PIECE ? PIECE : (size_t)(s->spilled - off);
            ssize_t r = piece ? pread(s->fd, piece, k, (off_t)off) : -1;
            if (r < 0 && errno == EINTR)
                continue;
            if (r > 0) {
                send_pieces(piece, (uint64_t)r, to);
                off += (uint64_t)r;
            } else { /* unreadable: zeros, which rank 0 refuses as records */
                size_t z = k > sizeof zeros ? sizeof zeros : k;
                send_pieces(zeros, z, to);
                off += z;
            }
        }
        free(piece);
        send_pieces(s->buf.b, s->buf.n, to);
    }
    if (s) {
        if (s->fd >= 0)
            close(s->fd);
        lr_pbuf_free(&s->buf);
        free(s);
    }
}

void lr_mpi_in_open(lr_mpi_in *s, int from)
{
    memset(s, 0, sizeof *s);
    s->from = from;
    MPI_Recv(&s->left, 1, MPI_UINT64_T, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* One more piece after b[off..have) (moved to the front first). */
static void receive_piece(lr_mpi_in *s)
{
    if (s->off > 0) {
        memmove(s->b, s->b + s->off, s->have - s->off);
        s->have -= s->off;
        s->off = 0;
    }
    MPI_Status st;
    int got = 0;
    MPI_Probe(s->from, 2, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &got);
    if (s->cap - s->have < (size_t)got) {
        size_t cap = s->cap ? 2 * s->cap : (size_t)got + 4096;
        while (cap - s->have < (size_t)got)
            cap *= 2;
        unsigned char *b = realloc(s->b, cap);
        if (!b) /* a piece cannot be taken, and the sender must not wait for ever */
            MPI_Abort(MPI_COMM_WORLD, 1);
        s->b = b;
        s->cap = cap;
    }
    MPI_Recv(s->b + s->have, got, MPI_BYTE, s->from, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    s->have += (size_t)got;
    s->left -= (uint64_t)got <= s->left ? (uint64_t)got : s->left;
}

/* At least m unconsumed bytes: 1, or 0 if the stream ends first. */
static int need(lr_mpi_in *s, size_t m)
{
    while (s->have - s->off < m) {
        if (s->left == 0)
            return 0;
        receive_piece(s);
    }
    return 1;
}

int lr_mpi_in_next(lr_mpi_in *s, const unsigned char **rec, size_t *len)
{
    if (s->have == s->off && s->left == 0)
        return 0;
    if (!need(s, 8))
        return -1;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)s->b[s->off + (size_t)i] << (8 * i);
    if (n > SIZE_MAX - 8 || n > s->left + (s->have - s->off) || !need(s, 8 + (size_t)n))
        return -1;
    *rec = s->b + s->off + 8;
    *len = (size_t)n;
    s->off += 8 + (size_t)n;
    return 1;
}

void lr_mpi_in_close(lr_mpi_in *s)
{
    while (s->left > 0) {
        s->off = s->have; /* dropped */
        receive_piece(s);
    }
    free(s->b);
    memset(s, 0, sizeof *s);
}
