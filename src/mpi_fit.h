/*
 * mpi_fit.h — `mpirun -n N linreg fit` (mpi_fit.c; built only with
 * -DLINREG_MPI=ON, into the command, not the library).
 */
#ifndef LR_MPI_FIT_H
#define LR_MPI_FIT_H

#include "linreg.h"

/* MPI_Init when a launcher started this process (its environment says so);
 * ranks other than 0 then write nothing (stdout and stderr to /dev/null).
 * 0 if MPI could not start. */
int lr_mpi_init(int *argc, char ***argv);
void lr_mpi_finalize(void);
/* This process's rank (0 without MPI) and the job's size (1 without). */
int lr_mpi_rank(void);
int lr_mpi_size(void);
/* Rank 0's code, on every rank (a collective: every rank calls it). */
int lr_mpi_agree(int code);

/* The fit of the files paths[0..n) on every rank of the job (a collective):
 * each rank reads its share of the files; rank 0 gets *out (caller frees)
 * and err, byte for byte what lr_fit_csv_files gives; every rank returns the
 * same status. Not for what cannot be a partial fit (absorbed fixed
 * effects, poly/scale/ns/bs, C(x, sum)): refused on every rank. */
int lr_mpi_fit(const char *const *paths, size_t n, const lr_fit_options *opt, lr_fit **out,
               lr_error *err);

#endif
