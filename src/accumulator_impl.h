/*
 * accumulator_impl.h — the accumulator's state, shared by accumulator.c (the
 * object, the Gram kernels, growth and remapping) and accumulator_qr.c (the
 * QR kernel: pending rows and the augmented factor). Private to those two.
 */
#ifndef LR_ACCUMULATOR_IMPL_H
#define LR_ACCUMULATOR_IMPL_H

#include "accumulator.h"

/* Largest block size of dtpqrt's compact WY representation (its T and work). */
#define LR_TPQRT_NB 32

/* The preconditioned update's panel: rows of P taken through C = P R⁺⁻¹ at a
 * time, in a buffer that stays in the cache (accumulator_qr.c). */
#define LR_QR_PANEL 256

struct lr_accum {
    size_t k;         /* number of columns (response first) */
    lr_kernel kernel; /* Gram (BLAS or loops) or QR */
    uint64_t nobs;    /* rows with nonzero weight */
    double w;         /* Σ w */
    double sum_log_w; /* Σ log w over rows with w > 0 (0 for unit weights) */
    double *shift;    /* c, k entries: μ = c + d */
    double *dmean;    /* Gram: d, k entries (QR: d is read from the factor's first row) */
    double *mean;     /* c + d rounded, k entries (what lr_accum_mean returns) */
    double *m2;       /* Gram: M (upper triangle), k × k, ld k; QR: the augmented factor
                         R⁺ (upper, zeros below), (k + 1) × (k + 1), ld k + 1 */
    int rinit;        /* QR: m2 exists and holds R⁺ (allocated when rows are first folded) */
    size_t rrows;     /* QR: rows of R⁺ that may be nonzero, ≤ k + 1 */
    double *pend;     /* QR: pending rows P, npend × (k + 1), ld pcap: G = R⁺ᵀR⁺ + PᵀP */
    size_t npend;     /* QR: rows in P */
    size_t pcap;      /* QR: rows P has room for */
    double *mcache;   /* QR: RᵀR for lr_accum_comoments, k × k (allocated when asked) */
    double *bmean;    /* block: provisional mean m, k entries (workspace) */
    double *bsum;  /* block: s = Zᵀ√w (Gram), the shift change c_b − c (QR); k (workspace) */
    double *bsum2; /* Gram block: mean offset s / W_b, k entries (workspace) */
    double *bm2;   /* Gram: the block's co-moments, k × k (workspace) */
    double *z;     /* Gram block: shifted, weighted rows, zrows × k (workspace) */
    double *sw;    /* √w, zrows entries (workspace) */
    double *wv;    /* w, zrows entries (workspace) */
    size_t zrows;  /* rows the row workspaces hold */
    double *tmat;  /* QR: dtpqrt's T, LR_TPQRT_NB × (k + 1) (workspace) */
    double *twork; /* QR: dtpqrt's work, LR_TPQRT_NB × (k + 1) (workspace) */
    double *ugram; /* QR update: CᵀC so far, then I + CᵀC and U, (k + 1)² (lazy workspace) */
    double *utest; /* QR update: the guard's row sums or 4I − CᵀC, (k + 1)² (lazy workspace) */
    double *upanel; /* QR update: a panel of C, LR_QR_PANEL × (k + 1) (lazy workspace) */
    size_t uprows;  /* QR update: the first rows of P whose CᵀC is in ugram (0: none) */
    uint64_t utaken, urefused; /* QR update: blocks folded by it, and refused by its guard */
};

/* QR kernel (accumulator_qr.c). Rows are n × k blocks with ld, √w in a->sw. */

/* Add a block of rows with weights summing to wb > 0 (√w in a->sw). */
int lr_qr_add(lr_accum *a, size_t n, const double *x, size_t ld, double wb, lr_error *err);
/* a := a then b (same k). */
int lr_qr_merge(lr_accum *a, const lr_accum *b, lr_error *err);
/* The same for a reader (a const accumulator); nonzero if memory ran out. */
int lr_qr_settle(const lr_accum *a);
/* The QR state of src with column j moved to map[j], into a fresh accumulator a
 * of a->k columns (identity: map is j ↦ j and the counts are equal). */
int lr_qr_remap(const lr_accum *src, const size_t *map, int identity, lr_accum *a, lr_error *err);
/* Room for `rows` pending rows in P (its rows kept). */
int lr_qr_pend_reserve(lr_accum *a, size_t rows, lr_error *err);
/* Release P. */
void lr_qr_pend_release(lr_accum *a);

#endif
