/*
 * mpi_fit.c — `mpirun -n N linreg fit FILE...` (built with -DLINREG_MPI=ON;
 * docs/design.md, "MPI (issue 16, item 4)").
 *
 * The files are dealt to the ranks in order, in contiguous runs balanced by
 * bytes (a file whole to one rank; the first file to rank 0). Each rank runs
 * the first pass over its files on its own threads and serializes their
 * states as a part (partial_io.c: host-independent bytes, checksummed): rank
 * r > 0 reads the first file's header row and the column types its first
 * chunk decides, so each of its file records is bit for bit what the
 * single-process fit computes for that file (every file folds along its own
 * chunk tree into tables of its own: frame_files.c). The parts go to rank 0
 * by point-to-point messages, and rank 0 folds the records in file order
 * along the files' tree with lr_frame_fold_file — the function the single
 * process runs — then solves, runs the second passes over the files itself
 * and writes every output: the output is that of `linreg merge PART...
 * --data FILE...`, which is the fit's byte for byte.
 *
 * No floating-point number goes through an MPI reduction (an implementation
 * may re-associate them: open-mpi/ompi#7765); the only collectives carry
 * integers — statuses and an exit code. Every rank reaches the same
 * collective calls whatever fails where, so none waits for ever: the
 * statuses are gathered everywhere and the first failing rank in rank order
 * (so in file order) gives the error; rank 0 prints it.
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpi_fit.h"
#include "partial_io.h"

static int mpi_on; /* MPI_Init was called */
static int mpi_rank, mpi_size = 1;

/* The job's size from the launcher's environment (Open MPI, PMIx, Slurm's
 * PMI): a linreg started by hand stays a plain process, without MPI_Init. */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int lr_mpi_init(int *argc, char ***argv)
{
    if (!launched())
        return 1;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return 0;
    mpi_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    /* only rank 0 prints: the others' messages and reports go nowhere */
    if (mpi_rank > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
        return 0;
    return 1;
}

void lr_mpi_finalize(void)
{
    /* Every rank waits here for rank 0 to have written its report or
     * message: a rank that exits with an error status first would make
     * mpirun stop the job before rank 0 has printed. */
    if (mpi_on) {
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Finalize();
    }
    mpi_on = 0;
}

int lr_mpi_rank(void)
{
    return mpi_rank;
}

int lr_mpi_size(void)
{
    return mpi_size;
}

int lr_mpi_agree(int code)
{
    if (mpi_size > 1)
        MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return code;
}

/* The ranks' first files: rank r reads paths[first[r]..first[r + 1]).
 * File j goes to the rank whose share of the bytes holds its middle byte,
 * never before the previous file's rank; the first file to rank 0. Rank 0
 * computes it from the sizes it sees and sends it to the others. */
static void deal(const char *const *paths, size_t n, int size, size_t *first)
{
    uint64_t total = 0, *sz = calloc(n, sizeof *sz);
    for (size_t j = 0; j < n; j++) {
        struct stat st;
        uint64_t b = sz && stat(paths[j], &st) == 0 ? (uint64_t)st.st_size : 0;
        if (sz)
            sz[j] = b + 1; /* an empty file still counts */
        total += b + 1;
    }
    size_t r = 0;
    uint64_t before = 0;
    first[0] = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t mid = before + (sz ? sz[j] : 1) / 2;
        size_t want = j == 0 ? 0 : (size_t)((double)mid / (double)total * size);
        if (want >= (size_t)size)
            want = (size_t)size - 1;
        while (r < want)
            first[++r] = j;
        before += sz ? sz[j] : 1;
    }
    while (r < (size_t)size)
        first[++r] = n;
    free(sz);
}

/* A message of any length: its length, then pieces of at most INT_MAX. */
static void send_bytes(const void *b, uint64_t n, int to)
{
    MPI_Send(&n, 1, MPI_UINT64_T, to, 1, MPI_COMM_WORLD);
    for (uint64_t off = 0; off < n;) {
        int k = n - off > INT_MAX ? INT_MAX : (int)(n - off);
        MPI_Send((const char *)b + off, k, MPI_BYTE, to, 2, MPI_COMM_WORLD);
        off += (uint64_t)k;
    }
}

/* A message from send_bytes, into *out (caller frees with free). */
static int recv_bytes(int from, unsigned char **out, uint64_t *n)
{
    MPI_Recv(n, 1, MPI_UINT64_T, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *out = malloc(*n ? *n : 1);
    for (uint64_t off = 0; off < *n;) {
        int k = *n - off > INT_MAX ? INT_MAX : (int)(*n - off);
        /* received into a scratch byte if there is no room: the sender
         * must not wait for ever */
        static unsigned char sink[1];
        MPI_Recv(*out ? *out + off : sink, *out ? k : 0, MPI_BYTE, from, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (!*out)
            return 0; /* (a shorter receive than sent is an MPI error: aborts) */
        off += (uint64_t)k;
    }
    return *out != NULL;
}

/* Rank 0: the parts of the ranks that have files, folded in order; the
 * second passes over all the files. */
static int merge_at_root(const char *const *paths, size_t n, const size_t *first,
                         const lr_pbuf *mine, const lr_fit_options *opt, lr_fit **out,
                         lr_error *err)
{
    lr_partial **p = calloc((size_t)mpi_size, sizeof *p);
    size_t np = 0;
    int rc = p ? LR_OK : lr_error_nomem(err);
    for (int r = 0; r < mpi_size; r++) {
        if (first[r] == first[r + 1])
            continue; /* no file */
        char name[64];
        snprintf(name, sizeof name, "MPI rank %d's part", r);
        unsigned char *b = NULL;
        uint64_t len = mine->n;
        if (r > 0 && !recv_bytes(r, &b, &len) && !rc)
            rc = lr_error_nomem(err);
        if (!rc)
            rc = lr_partial_parse(r ? b : mine->b, (size_t)len, name, &p[np], err);
        free(b);
        if (!rc)
            p[np++]->skip = r > 0; /* its header-only first file */
    }
    if (!rc)
        rc = lr_fit_merge_parts(p, np, paths, n, opt, out, err);
    for (size_t i = 0; i < np; i++)
        lr_partial_free(p[i]);
    free(p);
    return rc;
}

int lr_mpi_fit(const char *const *paths, size_t n, const lr_fit_options *opt, lr_fit **out,
               lr_error *err)
{
    *out = NULL;
    size_t *first = calloc((size_t)mpi_size + 1, sizeof *first);
    int *status = calloc((size_t)mpi_size, sizeof *status);
    int rc = LR_OK;
    lr_pbuf mine = {0};
    if (!first || !status)
        MPI_Abort(MPI_COMM_WORLD, 1); /* cannot take part: end the job rather than hang it */
    for (size_t j = 0; !rc && j < n; j++)
        if (!strcmp(paths[j], "-"))
            rc = lr_error_set(err, LR_EUSAGE,
                              "standard input ('-') cannot be read by several MPI ranks: give "
                              "files, or run one process");
    /* rank 0 deals and tells the others (integers): ranks on other nodes
     * could see other sizes (a file still being copied), and a deal that
     * differed between ranks would fold some files twice or not at all */
    if (mpi_rank == 0 && !rc)
        deal(paths, n, mpi_size, first);
    MPI_Bcast(first, (int)(sizeof *first * ((size_t)mpi_size + 1)), MPI_BYTE, 0, MPI_COMM_WORLD);
    if (!rc) {
        size_t lo = first[mpi_rank], hi = first[mpi_rank + 1];
        if (lo < hi)
            rc = lr_fit_part(paths, n, lo, hi, opt, "linreg fit on several MPI ranks", &mine, err);
    }
    /* Every rank learns every status (integers); the first failure in rank
     * order is the first in file order. */
    int fail = -1;
    MPI_Allgather(&rc, 1, MPI_INT, status, 1, MPI_INT, MPI_COMM_WORLD);
    for (int r = 0; r < mpi_size && fail < 0; r++)
        if (status[r] != LR_OK)
            fail = r;
    if (fail > 0 && mpi_rank == fail)
        MPI_Send(err, (int)sizeof *err, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
    else if (fail > 0 && mpi_rank == 0)
        MPI_Recv(err, (int)sizeof *err, MPI_BYTE, fail, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (fail >= 0) {
        rc = status[fail];
    } else if (mpi_rank > 0) {
        if (first[mpi_rank] < first[mpi_rank + 1])
            send_bytes(mine.b, mine.n, 0);
    } else {
        rc = merge_at_root(paths, n, first, &mine, opt, out, err);
    }
    /* rank 0's outcome is everyone's exit status */
    if (fail < 0)
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    lr_pbuf_free(&mine);
    free(first);
    free(status);
    return rc;
}
