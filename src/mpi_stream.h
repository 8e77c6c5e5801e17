/*
 * mpi_stream.h — a rank's chunk records on their way to rank 0, in bounded
 * memory at both ends (built with -DLINREG_MPI=ON; mpi_stream.c says how).
 */
#ifndef LR_MPI_STREAM_H
#define LR_MPI_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "linreg.h"

/* The sending side: records are appended as the rank's pass makes them and
 * sent, all of them, when it ends. */
typedef struct lr_mpi_out lr_mpi_out;

/* A new stream (NULL: out of memory). */
lr_mpi_out *lr_mpi_out_create(void);
/* Append one record of len bytes (an lr_ingest_records callback: ud is the
 * stream). LR_EIO if its spill file cannot be written, LR_ENOMEM. */
int lr_mpi_out_put(void *ud, const unsigned char *rec, size_t len, lr_error *err);
/* Send every record to rank `to` (or, when `empty`, none: a rank whose pass
 * failed), then free the stream. Always sends the stream's length and as
 * many bytes, so the receiver never waits for ever; a spill file that cannot
 * be read back is sent as zero bytes, which the receiver refuses. */
void lr_mpi_out_send(lr_mpi_out *s, int empty, int to);

/* The receiving side: one rank's stream, read record by record. */
typedef struct lr_mpi_in {
    int from;         /* the rank */
    uint64_t left;    /* bytes not yet received */
    unsigned char *b; /* received, not yet consumed: b[off..have) */
    size_t cap, have, off;
} lr_mpi_in;

/* Start receiving rank from's stream. */
void lr_mpi_in_open(lr_mpi_in *s, int from);
/* The next record into (*rec, *len), borrowed until the next call: 1, or 0
 * at the stream's end, or -1 if it ends inside a record. */
int lr_mpi_in_next(lr_mpi_in *s, const unsigned char **rec, size_t *len);
/* Receive and drop what is left, and free the buffer. */
void lr_mpi_in_close(lr_mpi_in *s);

#endif
