/*
 * mpi_fit.c — `mpirun -n N linreg fit FILE...` (built with -DLINREG_MPI=ON;
 * docs/design.md, "MPI (issue 16, item 4)").
 *
 * Rank 0 deals the chunks of the files: each rank a contiguous run of
 * (file, block range) segments of about T/N bytes, plain files cut at
 * 1 MiB block boundaries, gzip files whole (only one reader can inflate
 * them). A rank that enters a file at block b0 needs the quote parity of
 * the file's bytes [0, b0·C): each rank counts the quotes of its last file's
 * segment, the bits are all-gathered (integers), and the ranks before it in
 * that file tile [0, b0·C). Each rank cuts its segments into the single
 * process's own chunks (ingest_split.c), evaluates them on its threads and
 * serializes each as a chunk record — its own tables and exact accumulator
 * state (partial_io.c) — and rank 0, after its own chunks, folds every record
 * with lr_frame_fold_at in file and block order: the single process's fold
 * of the same chunks, so every bit is the same. Leaves, not subtrees, travel:
 * a chunk folds into its file's running tables, whose column order depends
 * on the chunks before it. Rank 0 then solves as `linreg merge --data` does.
 * The second pass (quantiles, HC, HAC, CL, --residuals, plots) is split the same
 * way (diagnostics_share.c): rank 0 broadcasts its frame, as a partial fit of
 * the data set, and the job as bytes; each rank evaluates its share's chunks
 * and streams their per-row values, which rank 0 folds in file order after
 * its own; the quantiles' values stay on the ranks, which select them
 * together (select_steps). The ranks after 0 serve rank 0's jobs until it says it is done.
 *
 * No floating-point number goes through an MPI reduction (an implementation
 * may re-associate them: open-mpi/ompi#7765): the reductions carry integers
 * (the quantiles' bucket counts), and doubles travel only as copies
 * (broadcasts, gathers, the streams). Every rank reaches the same calls whatever fails where: a
 * rank's failure is a record at its place in its stream (the first in file order wins, relocated by
 * rank 0 to its file and line), each rank after the first sends its stream to rank 0 once whatever
 * happens, and rank 0's status is broadcast to all.
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpi_fit.h"
#include "diagnostics.h"
#include "ingest.h"
#include "mpi_stream.h"
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

/* C, the chunk size (ingest_impl.h's LR_CHUNK). */
#define BLOCK ((uint64_t)1 << 20)

/* Whether path starts with gzip's magic bytes (such a file is dealt whole). */
static int is_gzip(const char *path)
{
    unsigned char m[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(m, 1, 2, f) : 0;
    if (f)
        fclose(f);
    return got == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* The deal: rank r's share starts at block start[2r + 1] of file start[2r]
 * and ends where rank r + 1's starts ((n, 0) after the last). A plain file
 * of s bytes is max(1, ceil(s / C)) units of up to C bytes, a gzip file one;
 * rank r starts at the first unit that begins at or after r·T/N of the T
 * bytes, rank 0 at the first. */
static void deal(const char *const *paths, size_t n, int size, uint64_t *start)
{
    uint64_t total = 0;
    uint64_t *sz = calloc(n ? n : 1, sizeof *sz);
    unsigned char *gz = calloc(n ? n : 1, 1);
    for (size_t j = 0; j < n; j++) {
        struct stat st;
        uint64_t b = stat(paths[j], &st) == 0 ? (uint64_t)st.st_size : 0;
        if (sz && gz) {
            sz[j] = b;
            gz[j] = (unsigned char)is_gzip(paths[j]);
        }
        total += b + 1;
    }
    int r = 1;
    uint64_t before = 0;
    start[0] = start[1] = 0;
    for (size_t j = 0; j < n && sz && gz; j++) {
        uint64_t units = gz[j] || sz[j] == 0 ? 1 : (sz[j] + BLOCK - 1) / BLOCK;
        for (uint64_t u = 0; u < units; u++) {
            uint64_t at = before + (gz[j] ? 0 : u * BLOCK);
            while (r < size && (j > 0 || u > 0) && (double)at >= (double)total * r / size) {
                start[2 * r] = j;
                start[2 * r + 1] = u;
                r++;
            }
        }
        before += sz[j] + 1;
    }
    for (; r <= size; r++) {
        start[2 * r] = n;
        start[2 * r + 1] = 0;
    }
    free(sz);
    free(gz);
}

/* Whether rank r's share holds a unit. */
static int has_share(const uint64_t *start, int r)
{
    return start[2 * r] < start[2 * r + 2] ||
           (start[2 * r] == start[2 * r + 2] && start[2 * r + 1] < start[2 * r + 3]);
}

/* Rank r's segments (at most n + 1) from the deal; their number. */
static size_t segments(const uint64_t *start, int r, lr_ingest_segment *seg)
{
    size_t sf = start[2 * r], ef = start[2 * r + 2], k = 0;
    uint64_t sb = start[2 * r + 1], eb = start[2 * r + 3];
    if (sf == ef) {
        if (eb > sb)
            seg[k++] = (lr_ingest_segment){sf, sb, eb, 0};
        return k;
    }
    seg[k++] = (lr_ingest_segment){sf, sb, 0, 0};
    for (size_t j = sf + 1; j < ef; j++)
        seg[k++] = (lr_ingest_segment){j, 0, 0, 0};
    if (eb > 0)
        seg[k++] = (lr_ingest_segment){ef, 0, eb, 0};
    return k;
}

/* The quote parity of rank r's segment of its last file when another rank
 * enters that file after it (its share ends inside the file); else 0. */
static int last_parity(const char *const *paths, const uint64_t *start, int r)
{
    size_t sf = start[2 * r], ef = start[2 * r + 2];
    uint64_t sb = start[2 * r + 1], eb = start[2 * r + 3];
    int odd = 0;
    lr_error err;
    if (eb == 0 || (sf == ef && eb <= sb))
        return 0;
    if (lr_ingest_quote_parity(paths[ef], sf == ef ? sb * BLOCK : 0, eb * BLOCK, &odd, &err))
        return 0; /* unreadable: the rank that enters it fails on it too */
    return odd;
}

/* Rank 0's fold of the other ranks' records. */
typedef struct root_fold {
    const char *const *paths; /* the data set */
    size_t n;                 /* its files */
    size_t last;              /* rank 0's last file */
    const uint64_t *start;    /* the deal */
    int *received;            /* per rank: its stream was received */
    uint64_t *first_line;     /* per file after rank 0's: the data set's lines before it */
    uint64_t *line_off;       /* per file: its lines before its first data row */
    int remote;               /* the error is a record's, placed already: */
    lr_error rerr;            /* that error */
} root_fold;

/* A record's error at its file and line: moved by the lines before it in
 * its file (for rank 0's last file, from rank 0's own line table). */
static void place_error(root_fold *rf, const lr_source *src, lr_chunk_record *rec,
                        uint64_t lines_before, lr_error *err)
{
    if (rec->block != UINT64_MAX) {
        size_t j = (size_t)rec->file;
        uint64_t off;
        if (j == rf->last) {
            const char *nm;
            uint64_t local = 0;
            lr_source_locate(src, lines_before + 1, &nm, &local);
            off = local ? local - 1 : 0;
        } else {
            off = lines_before - rf->first_line[j] + rf->line_off[j];
        }
        /* "FIRST:LINE[:COL]: ..." (the remote frame's name) to the file's */
        char rest[LR_ERROR_MAX];
        if (lr_error_after_place(&rec->err, rf->paths[0], rest, sizeof rest))
            lr_error_at(&rec->err, rec->err.code, rf->paths[j], rec->err.line + off, rec->err.col,
                        "%s", rest);
    }
    *err = rf->rerr = rec->err;
    rf->remote = 1;
}

/* Rank r's stream, folded in order after what came before. */
static int fold_stream(root_fold *rf, lr_frame *f, const lr_source *src, int r,
                       uint64_t *lines_before, lr_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "MPI rank %d's chunks", r);
    rf->received[r] = 1;
    lr_mpi_in in;
    lr_mpi_in_open(&in, r);
    int rc = LR_OK;
    while (!rc) {
        /* the records as their pieces arrive (mpi_stream.c) */
        const unsigned char *b;
        size_t len, at = 0;
        int got = lr_mpi_in_next(&in, &b, &len);
        if (got == 0)
            break;
        if (got < 0) {
            rc = lr_error_set(err, LR_EDATA, "%s: a record is cut short", name);
            break;
        }
        lr_chunk_record rec;
        if ((rc = lr_partial_get_chunk(b, len, &at, name, f, &rec, err)))
            break;
        if (rec.file >= rf->n) {
            lr_chunk_free(rec.chunk);
            rc = lr_error_set(err, LR_EDATA, "%s: a record of no file", name);
        } else if (rec.start) {
            rf->first_line[rec.file] = *lines_before;
            rf->line_off[rec.file] = rec.lines;
        } else if (rec.rc) {
            place_error(rf, src, &rec, *lines_before, err);
            rc = rec.rc;
        } else {
            rc = lr_frame_fold_at(f, rec.chunk, (size_t)rec.file, rec.block, *lines_before, err);
            *lines_before += rec.lines;
            lr_chunk_free(rec.chunk);
        }
    }
    lr_mpi_in_close(&in); /* what a failure left, dropped */
    return rc;
}

static int fold_remote(void *ud, lr_frame *f, const lr_source *src, uint64_t lines_before,
                       lr_error *err)
{
    root_fold *rf = ud;
    int rc = LR_OK;
    for (int r = 1; r < mpi_size && !rc; r++)
        if (has_share(rf->start, r))
            rc = fold_stream(rf, f, src, r, &lines_before, err);
    return rc;
}

/* ---- the second pass split (diagnostics_share.c) ---- */

/* n bytes broadcast from rank 0 (a broadcast of bytes is exact), in
 * messages of at most 1 GiB (an int count). */
static void bcast_bytes(unsigned char *b, uint64_t n)
{
    for (uint64_t off = 0; off < n;) {
        int k = n - off > ((uint64_t)1 << 30) ? 1 << 30 : (int)(n - off);
        MPI_Bcast(b + off, k, MPI_BYTE, 0, MPI_COMM_WORLD);
        off += (uint64_t)k;
    }
}

/* The quantiles' selection among the ranks (diagnostics.h): every rank's
 * integer counts summed by MPI_Reduce (integers: the same sum in any
 * order), its extremes gathered, and the values of the buckets rank 0 names
 * gathered in rank order. pass: rank 0's pass, NULL on the others; qv: the
 * rank's values. rank 0's status. */
static int select_steps(void *pass, const lr_qvalues *qv, int exact, lr_error *err)
{
    int root = mpi_rank == 0, rc = LR_OK, nw = 0;
    size_t nb = lr_qvalues_buckets(exact);
    uint64_t *h = calloc(nb, sizeof *h), *hsum = root ? calloc(nb, sizeof *hsum) : NULL;
    double ext[2], *exts = root ? calloc(2 * (size_t)mpi_size, sizeof *exts) : NULL;
    uint64_t plan[1 + LR_Q7_WANT] = {0};
    uint32_t want[LR_Q7_WANT];
    if (!h || (root && (!hsum || !exts)))
        MPI_Abort(MPI_COMM_WORLD, 1); /* cannot take part: end the job rather than hang it */
    lr_qvalues_count(qv, h, ext);
    MPI_Reduce(h, hsum, (int)nb, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Gather(ext, 2, MPI_DOUBLE, exts, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (root) {
        rc = lr_diag_qsel_plan(pass, hsum, exts, mpi_size, want, &nw, err);
        plan[0] = rc ? 0 : (uint64_t)nw;
        for (int j = 0; j < nw; j++)
            plan[1 + j] = want[j];
    }
    free(h);
    free(hsum);
    free(exts);
    MPI_Bcast(plan, 1 + LR_Q7_WANT, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    nw = (int)plan[0];
    if (nw == 0)
        return rc;
    for (int j = 0; j < nw; j++)
        want[j] = (uint32_t)plan[1 + j];
    /* exact: at most LR_RESID_BUDGET values in all, so int counts hold */
    uint64_t cnt[LR_Q7_WANT],
        mine = 0, *all_cnt = root ? calloc((size_t)mpi_size * (size_t)nw, sizeof *all_cnt) : NULL;
    /* room for every value of the rank (exact: at most LR_RESID_BUDGET) */
    double *v = malloc((size_t)(qv->exact && qv->n ? qv->n : 1) * sizeof *v), *all = NULL;
    int *counts = root ? calloc((size_t)mpi_size, sizeof *counts) : NULL;
    int *displs = root ? calloc((size_t)mpi_size, sizeof *displs) : NULL;
    if (!v || (root && (!all_cnt || !counts || !displs)))
        MPI_Abort(MPI_COMM_WORLD, 1);
    lr_qvalues_pick(qv, want, nw, cnt, v);
    for (int j = 0; j < nw; j++)
        mine += cnt[j];
    MPI_Gather(cnt, nw, MPI_UINT64_T, all_cnt, nw, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    uint64_t total = 0;
    for (int r = 0; root && r < mpi_size; r++) {
        uint64_t k = 0;
        for (int j = 0; j < nw; j++)
            k += all_cnt[(size_t)r * (size_t)nw + (size_t)j];
        if (k > LR_RESID_BUDGET || total + k > LR_RESID_BUDGET)
            MPI_Abort(MPI_COMM_WORLD, 1); /* not the counts the plan summed: a broken rank */
        counts[r] = (int)k;
        displs[r] = (int)total;
        total += k;
    }
    if (root && !(all = malloc((size_t)(total ? total : 1) * sizeof *all)))
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Gatherv(v, (int)mine, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (root)
        rc = lr_diag_qsel_finish(pass, all_cnt, all, mpi_size, err);
    free(v);
    free(all);
    free(all_cnt);
    free(counts);
    free(displs);
    return rc;
}

/* Rank 0: whether the ranks select (the pass went well and the values
 * stayed on them), told to all, and the selection. */
static int select_root(void *pass, int rc, lr_error *err)
{
    lr_qvalues *qv = rc ? NULL : lr_diag_qvalues(pass);
    uint64_t go[2] = {qv != NULL, qv ? (uint64_t)qv->exact : 0};
    MPI_Bcast(go, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    return qv ? select_steps(pass, qv, qv->exact, err) : rc;
}

/* A rank after the first: its part in the selection, if rank 0 says so. */
static void select_remote(const lr_qvalues *qv)
{
    uint64_t go[2];
    MPI_Bcast(go, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (go[0])
        select_steps(NULL, qv, (int)go[1], NULL);
}

/* Rank 0's side: the run of its fit's lr_diag_share. */
typedef struct share_ctx {
    const char *const *paths;  /* the data set */
    size_t n;                  /* its files */
    const uint64_t *start;     /* the deal */
    size_t last;               /* rank 0's last file */
    lr_partial_sink *sink;     /* rank 0's first pass's file records */
    const lr_fit_options *opt; /* the model's options */
    char delimiter;            /* the data's */
    lr_source *input;          /* the data set, read through (lines of every file) */
    void *pass;                /* the pass (lr_diag_fold_record's ctx) */
    int *received;             /* per rank: its stream was received */
} share_ctx;

/* The other ranks' records, in rank (so file and block) order after rank
 * 0's chunks. */
static int share_fold(void *ud, const lr_source *src, uint64_t lines_before, lr_error *err)
{
    share_ctx *sc = ud;
    const char *name = lr_source_name(src);
    int rc = LR_OK;
    for (int r = 1; r < mpi_size && !rc; r++) {
        if (!has_share(sc->start, r))
            continue;
        lr_mpi_in in;
        sc->received[r] = 1;
        lr_mpi_in_open(&in, r);
        while (!rc) {
            const unsigned char *b;
            size_t len;
            int got = lr_mpi_in_next(&in, &b, &len);
            if (got == 0)
                break;
            rc = got < 0
                     ? lr_error_set(err, LR_EDATA,
                                    "MPI rank %d's second-pass records: a record is cut short", r)
                     : lr_diag_fold_record(sc->pass, b, len, name, &lines_before, err);
        }
        lr_mpi_in_close(&in);
    }
    /* a record's error at its file and line: the data set's line table is
     * the input's (rank 0's own source read only its share) */
    if (rc)
        lr_source_relocate_error(sc->input, err);
    return rc;
}

static int share_run(void *ud, const lr_frame *frame, lr_source *input, const unsigned char *job,
                     size_t jlen, int threads, const lr_chunk_ops *ops, void *ctx, lr_error *err)
{
    share_ctx *sc = ud;
    lr_pbuf part = {0};
    if (!sc->sink->nfiles) /* no file records kept: rank 0 alone */
        return lr_ingest_pass(input, threads, ops, ctx, err);
    /* the frame as a partial fit of the whole data set: every rank rebuilds
     * it as `linreg merge --data` does */
    int rc =
        lr_partial_serialize(sc->sink, frame, sc->opt, sc->delimiter, sc->paths, sc->n, &part, err);
    int *status = calloc((size_t)mpi_size, sizeof *status);
    if (!rc && !status)
        rc = lr_error_nomem(err);
    if (rc) { /* no job: the others wait for the end */
        lr_pbuf_free(&part);
        free(status);
        return rc;
    }
    uint64_t head[3] = {1, part.n, jlen};
    MPI_Bcast(head, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    bcast_bytes(part.b, part.n);
    bcast_bytes((unsigned char *)(uintptr_t)job, jlen);
    lr_pbuf_free(&part);
    sc->input = input;
    sc->pass = ctx;
    memset(sc->received, 0, (size_t)mpi_size * sizeof(int));
    lr_ingest_then then = {share_fold, sc};
    rc = lr_ingest_pass_share(input, sc->last, sc->start[3], threads, ops, ctx, &then, err);
    for (int r = 1; r < mpi_size; r++) { /* the streams not taken (rank 0 failed first) */
        lr_mpi_in in;
        if (!sc->received[r] && has_share(sc->start, r)) {
            lr_mpi_in_open(&in, r);
            lr_mpi_in_close(&in);
        }
    }
    /* a rank that could not make its records sent none: not a fit */
    int mine = LR_OK;
    MPI_Gather(&mine, 1, MPI_INT, status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (int r = 1; r < mpi_size && !rc; r++)
        if (status[r])
            rc = lr_error_set(err, status[r], "MPI rank %d: %s", r, lr_strerror(status[r]));
    free(status);
    return select_root(ctx, rc, err);
}

/* A rank after the first: the job's frame rebuilt, and its share's records
 * sent (an empty stream if they could not be made; the status says why). */
static int share_remote(const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t k,
                        const lr_fit_options *opt, const unsigned char *part, size_t plen,
                        const unsigned char *job, size_t jlen, lr_qvalues *qv)
{
    lr_error err;
    lr_partial *p = NULL;
    lr_frame *frame = NULL;
    lr_fit_options o = *opt;
    lr_model_columns mc;
    char delimiter = 0, *name = NULL;
    uint64_t nfiles = 0;
    lr_mpi_out *recs = lr_mpi_out_create();
    int rc = recs ? lr_partial_parse(part, plen, "MPI rank 0's frame", &p, &err) : LR_ENOMEM;
    lr_part_list one = {1, &p, NULL, NULL};
    if (!rc)
        rc = lr_partial_frame(&one, &o, &frame, &delimiter, &name, &nfiles, &err);
    if (!rc)
        rc = lr_frame_model(frame, &mc, &err);
    if (!rc)
        rc = lr_diag_remote(frame, delimiter, job, jlen, paths, n, seg, k, opt->max_line_bytes,
                            opt->threads, lr_mpi_out_put, recs, qv, &err);
    lr_mpi_out_send(recs, rc != LR_OK, 0);
    lr_frame_free(frame);
    lr_mem_strfree(name);
    lr_partial_free(p);
    return rc;
}

/* A rank after the first: rank 0's second passes until it says it is done. */
static void share_serve(const char *const *paths, size_t n, const lr_ingest_segment *seg, size_t k,
                        const lr_fit_options *opt)
{
    for (;;) {
        uint64_t head[3];
        MPI_Bcast(head, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (head[0] == 0)
            return;
        unsigned char *part = malloc(head[1] ? head[1] : 1), *job = malloc(head[2] ? head[2] : 1);
        if (!part || !job)
            MPI_Abort(MPI_COMM_WORLD, 1); /* cannot take part: end the job rather than hang it */
        bcast_bytes(part, head[1]);
        bcast_bytes(job, head[2]);
        lr_qvalues qv;
        memset(&qv, 0, sizeof qv);
        int rc =
            k > 0 ? share_remote(paths, n, seg, k, opt, part, head[1], job, head[2], &qv) : LR_OK;
        MPI_Gather(&rc, 1, MPI_INT, NULL, 1, MPI_INT, 0, MPI_COMM_WORLD);
        select_remote(&qv); /* the quantiles' values that stayed here */
        lr_qvalues_free(&qv);
        free(part);
        free(job);
    }
}

int lr_mpi_fit(const char *const *paths, size_t n, const lr_fit_options *opt, lr_fit **out,
               lr_error *err)
{
    *out = NULL;
    const char *who = "linreg fit on several MPI ranks";
    uint64_t *start = calloc(2 * ((size_t)mpi_size + 1), sizeof *start);
    int *odd = calloc((size_t)mpi_size, sizeof *odd);
    lr_ingest_segment *seg = calloc(n + 1, sizeof *seg);
    int *status = calloc((size_t)mpi_size, sizeof *status);
    lr_frame *frame = NULL;
    char rf_delim = 0;
    int rc = LR_OK;
    size_t k = 0;
    lr_partial_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.rank0 = 1;
    if (!start || !odd || !seg || !status)
        MPI_Abort(MPI_COMM_WORLD, 1); /* cannot take part: end the job rather than hang it */
    for (size_t j = 0; !rc && j < n; j++)
        if (!strcmp(paths[j], "-"))
            rc = lr_error_set(err, LR_EUSAGE,
                              "standard input ('-') cannot be read by several MPI ranks: give "
                              "files, or run one process");
    if (!rc)
        rc = lr_fit_split_check(opt, who, err);
    /* every rank has the same options and files: the same refusal */
    if (rc)
        goto done;
    /* rank 0 deals and tells the others (integers): ranks on other nodes
     * could see other sizes (a file still being copied), and a deal that
     * differed between ranks would fold some chunks twice or not at all */
    if (mpi_rank == 0)
        deal(paths, n, mpi_size, start);
    MPI_Bcast(start, 2 * (mpi_size + 1), MPI_UINT64_T, 0, MPI_COMM_WORLD);
    int mine = last_parity(paths, start, mpi_rank);
    MPI_Allgather(&mine, 1, MPI_INT, odd, 1, MPI_INT, MPI_COMM_WORLD);
    if (mpi_rank > 0) {
        k = segments(start, mpi_rank, seg);
        if (k > 0) {
            lr_mpi_out *recs = lr_mpi_out_create();
            /* the parity where it enters its first file: the ranks before it
             * whose share ends inside that file tile the bytes before */
            for (int q = 0; q < mpi_rank && seg[0].b0 > 0; q++)
                if (start[2 * q + 2] == seg[0].file && start[2 * q + 3] > 0)
                    seg[0].odd ^= odd[q];
            rc = recs ? lr_ingest_records(paths, n, seg, k, opt, lr_mpi_out_put, recs, err)
                      : lr_error_nomem(err);
            /* records that could not be made or kept: an empty stream, and
             * rank 0 reports it from the statuses */
            lr_mpi_out_send(recs, rc != LR_OK, 0);
        }
    } else {
        root_fold rf;
        memset(&rf, 0, sizeof rf);
        rf.paths = paths;
        rf.n = n;
        rf.start = start;
        rf.received = calloc((size_t)mpi_size, sizeof(int));
        rf.first_line = calloc(n, sizeof(uint64_t));
        rf.line_off = calloc(n, sizeof(uint64_t));
        lr_ingest_more more = {fold_remote, &rf};
        char delimiter = 0;
        rf.last = start[3] > 0 ? start[2] : start[2] - 1;
        if (!rf.received || !rf.first_line || !rf.line_off)
            MPI_Abort(MPI_COMM_WORLD, 1);
        /* the file records for the second pass's ranks, only if one may run (a
         * file's state is kept until the end: 5.3 KB at k = 22, 336 KB at 202) */
        int second = opt->vcov != LR_VCOV_CLASSICAL || opt->residual_summary || opt->residual_row ||
                     opt->plot_points > 0;
        rc = lr_ingest_rank0(paths, n, rf.last, start[3], opt, &more, second ? &sink : NULL, &frame,
                             &delimiter, err);
        /* a record's error is placed already (rank 0 relocates its own) */
        if (rc && rf.remote)
            *err = rf.rerr;
        /* the streams not taken (rank 0 failed first): received, so that no
         * rank waits for ever */
        for (int r = 1; r < mpi_size; r++) {
            lr_mpi_in in;
            if (!rf.received[r] && has_share(start, r)) {
                lr_mpi_in_open(&in, r);
                lr_mpi_in_close(&in);
            }
        }
        free(rf.received);
        free(rf.first_line);
        free(rf.line_off);
        rf_delim = delimiter;
    }
    /* A rank that could not make its records (out of memory) sent none: its
     * status says so, and rank 0 must not fit without its chunks. */
    MPI_Allgather(&rc, 1, MPI_INT, status, 1, MPI_INT, MPI_COMM_WORLD);
    if (mpi_rank == 0) {
        for (int r = 1; r < mpi_size && !rc; r++)
            if (status[r])
                rc = lr_error_set(err, status[r], "MPI rank %d: %s", r, lr_strerror(status[r]));
        /* the second pass split too: each rank evaluates its share's chunks */
        share_ctx sc = {paths,    n,    start, start[3] > 0 ? start[2] : start[2] - 1, &sink, opt,
                        rf_delim, NULL, NULL,  calloc((size_t)mpi_size, sizeof(int))};
        lr_diag_share share = {share_run, &sc};
        if (!sc.received)
            MPI_Abort(MPI_COMM_WORLD, 1);
        if (!rc)
            rc = lr_fit_split_finish(frame, rf_delim, paths, n, opt, &share, out, err);
        else
            lr_frame_free(frame);
        free(sc.received);
        uint64_t head[3] = {0, 0, 0}; /* done */
        MPI_Bcast(head, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    } else {
        share_serve(paths, n, seg, k, opt);
    }
    lr_pbuf_free(&sink.header);
    lr_pbuf_free(&sink.files);
done:
    /* rank 0's outcome is everyone's exit status */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(start);
    free(odd);
    free(seg);
    free(status);
    return rc;
}
