/*
 * accumulator_qr.c — the QR kernel of the accumulator: a streaming Householder
 * QR of the weighted rows that centres them inside the factorisation.
 *
 * With a fixed shift c (the accumulator's first block's provisional mean),
 * a row x of weight w is stacked as the augmented row
 *   z = [√w, √w (x − c)ᵀ]                              (k + 1 entries).
 * The Gram matrix of the stacked rows is, with W = Σ w, d = μ − c and
 * M = Σ w (x − μ)(x − μ)ᵀ the centred co-moments,
 *   G = Σ z zᵀ = [ W      W dᵀ      ]
 *                [ W d    M + W d dᵀ ],
 * so the triangular factor of a QR of the stacked rows (G's Cholesky factor,
 * up to the signs of its rows) is
 *   R⁺ = [ √W   √W dᵀ ]
 *        [ 0    R     ]    with RᵀR = M:
 * the mean offset is d = R⁺₀ⱼ / R⁺₀₀ and the factor of the centred co-moments
 * is R⁺'s trailing block. The centring happens inside a backward-stable QR;
 * no cross product is formed, so κ is not squared and values of size 1e±150
 * neither overflow nor underflow; and each row is factored once. (The kernel
 * before this one factored each block, centred by its own mean, by dgeqrf and
 * then stacked the block's triangle under R — every row factored twice, about
 * 3× the flops of the Gram path's dsyrk on 100,000 × 200.)
 *
 * Pending rows. Folding m rows into R⁺ (dtpqrt) costs 2 m (k + 1)² flops and
 * runs at level-3 speed only when m is large, so rows are appended to P and
 * folded when P holds B rows (pend_limit()), when R⁺ is read, and, for
 * narrow models, after a merge into an accumulator that has R⁺ (merged()).
 * R⁺ᵀR⁺ + PᵀP = G however the rows are grouped, so grouping changes rounding
 * only; and when P is folded depends on row counts alone (blocks, chunks and
 * the fold's fixed tree or chain are defined by the data), so the bits are
 * the same for any thread count.
 *
 * The preconditioned update. dtpqrt spends its time in level-2 panels and
 * rank-nb updates (about 20 GFLOP/s here against dgemm's 37). Where R⁺ is
 * already the factor of earlier rows, the same new factor comes from
 * level-3 calls alone, R⁺ serving as a preconditioner for the block P:
 *   C = P R⁺⁻¹ (dtrsm),  I + CᵀC = UᵀU (dsyrk, dpotrf),  R⁺ := U R⁺ (dtrmm),
 * since (U R⁺)ᵀ(U R⁺) = R⁺ᵀR⁺ + PᵀP and U R⁺ is upper triangular (the factor
 * dtpqrt gives, up to the signs of its rows). Same flops, 2 m (k + 1)². It
 * is taken only where ‖C‖₂ < 2, which is certified each time (fold_update),
 * and then it is as accurate as the Householder fold: the rounding of C
 * moves each row pᵢ by at most about (k + 1) ε ‖cᵢ‖ times the column norms
 * of the rows already folded (dtrsm is backward stable and ‖cᵢ‖ < 2), and
 * I + CᵀC has condition number below 5, so its Cholesky factor and the
 * product U R⁺ lose no more than that; no cross product of the data is
 * formed, and a column's scale does not matter, since C is invariant to
 * it (offsets are the shift's). A block with large C (new rows far outside the span
 * of the old, such as a level first seen or a trend) goes to dtpqrt, as
 * does any R⁺ with a zero on its diagonal, a block into an empty R⁺, a
 * triangle, and the rows left at the end when they are few. One thread,
 * folding 2,048 rows into k + 1 = 202 from memory: 3.4–3.7 µs a row against
 * 5.4–5.9 for dtpqrt (docs/performance.md, issue 20's eighth step).
 *
 * Merging accumulators with shifts c_a and c_b: b's stacked rows are moved to
 * a's shift by z₁₊ⱼ += z₀ (c_b − c_a)ⱼ — exact algebra, [1, x − c_a] =
 * [1, x − c_b] T with T unit upper triangular — which leaves a triangle
 * triangular (only its row 0 has z₀ ≠ 0). Nearby shifts differ exactly
 * (Sterbenz), so a column like 1e9 + noise keeps its digits. A triangle
 * stacked under a triangle is folded in dtpqrt's pentagonal form, (2/3)(k + 1)³
 * flops instead of 2(k + 1)³; a triangle merged into an accumulator without
 * one becomes its R⁺ as it is.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "accumulator_impl.h"

/* A pending block larger than this many doubles is released once folded. */
#define LR_PEND_KEEP ((size_t)1 << 17)

/* B: the rows P gathers before it is folded. dtpqrt's updates are products
 * of inner dimension B, so B a few times k + 1 keeps them at level-3 speed
 * while P stays O(k²): 2k measured as fast as 4k (docs/performance.md).
 * The update's costs per block, two Cholesky factorisations and a product
 * of triangles, about (5/3)(k + 1)³ flops, want B ≫ k + 1: from
 * LR_QR_CHAIN to LR_QR_UPDATE B is 2,048 rows (at most 4.2 MB). The widths,
 * as they were before the update:
 * - k + 1 < LR_QR_CHAIN: B = 256, the fold's tree, nb = (k + 1)/32 (at
 *   least 4), as before (1,000,000 × 20's bits);
 * - LR_QR_CHAIN ≤ k + 1 < LR_QR_WIDE: the chain (model_frame_fold.c) with
 *   B = 2,048 rows (2 MB at most), more than a 1 MiB chunk of 20-byte
 *   cells holds from k + 1 ≈ 26, so chunks bring rows rather than
 *   triangles, and the wide nb. The accumulator's thread CPU time on
 *   gen_csv's 100 MB files (2026-12-07, medians of 9 runs, load 7,
 *   docs/performance.md): p = 40 / 50 / 100: 61 / 74 / 134 ms on the tree,
 *   51 / 59 / 102 chained; the fold alone at p = 100 with B = 512, 1,024,
 *   2,048 and 4,096: 84, 81, 72, 79 ms. nb = 4 was much of it: dtpqrt of
 *   256 rows into k + 1 = 103 took 0.59 ms at nb = 4, 0.31–0.35 at 8–16;
 * - k + 1 ≥ LR_QR_WIDE: the chain with B = 2(k + 1). */
#define LR_QR_CHAIN 32
#define LR_QR_WIDE 128
#define LR_QR_MID_B 2048
#define LR_QR_GEQRT 80 /* k + 1 from which a first full block is factored by dgeqrt */
/* k + 1 below which chained blocks take the update, with B = 2,048: one
 * thread, µs a row folded from memory (bench/fold_precond.c,
 * docs/performance.md), dtpqrt against the update: k + 1 = 41: 0.38–0.45 /
 * 0.24–0.30; 103: 2.0 / 1.2; 202: 5.4–5.9 / 3.4–3.7; 401: 14–17 / 12–14;
 * at 1,001 a block of 2,002 random rows into as many fails the guard, and
 * the update's (5/3)(k + 1)³ a block would eat most of its gain. Whole runs
 * said less than the fold alone from k + 1 ≈ 300: on gen_csv's 96 MB files
 * (7 paired runs, 2 threads, 2026-12-08) the update up to 512 took 0.28–0.33 s
 * wall at k + 1 = 401 and 0.37–0.47 at 501 against 0.23–0.29 and 0.30–0.40
 * with dtpqrt and B = 2(k + 1) there (the same at 301): at 501 one block of
 * four failed the guard after its C was made, Gershgorin's bound failed on
 * every block (a second Cholesky factorisation each), and the fold is the
 * calling thread's, serial. So the update stops at 256. */
#define LR_QR_UPDATE 256
static size_t pend_limit(size_t k1)
{
    return k1 < LR_QR_CHAIN ? 256 : k1 < LR_QR_UPDATE ? LR_QR_MID_B : 2 * k1;
}

/* B as it was before the update, for the files' tree's rule in merged():
 * that rule is about memory held in the tree, which the update did not
 * change. */
static size_t tree_limit(size_t k1)
{
    return k1 < LR_QR_WIDE ? pend_limit(k1) : 2 * k1;
}

int lr_accum_chains(lr_kernel kernel, size_t k)
{
    return kernel == LR_KERNEL_QR && k + 1 >= LR_QR_CHAIN;
}

/* dtpqrt's block size nb. Its panels are factored at level-2 speed — about
 * (3/2) nb / (k + 1) of its flops — and its updates are products of inner
 * dimension nb. Measured on one thread (bench/qr_fold_nb.c,
 * docs/performance.md, 2026-12-07): 406 rows into k + 1 = 203 take 1.47 ms
 * at nb = 16 against 2.09 at nb = 6 and 1.48 at 32; 2,002 rows into
 * k + 1 = 1,001 take 132 ms at 32 against 150 at 16; 256 rows into
 * k + 1 = 103 0.31–0.35 ms at nb = 8–16 against 0.59 at 4, into 51 0.10
 * against 0.12. So about (k + 1)/12 within [8, 32] from k + 1 = 32;
 * narrower models keep (k + 1)/32, at least 4, and their bits. */
static lapack_int tpqrt_nb(size_t k1)
{
    size_t nb = k1 < LR_QR_CHAIN ? k1 / 32 : k1 / 12;
    if (nb < (k1 < LR_QR_CHAIN ? 4 : 8))
        nb = k1 < LR_QR_CHAIN ? 4 : 8;
    if (nb > LR_TPQRT_NB)
        nb = LR_TPQRT_NB;
    if (nb > k1)
        nb = k1;
    return (lapack_int)nb;
}

void lr_qr_pend_release(lr_accum *a)
{
    lr_mem_free(a->pend, a->pcap * (a->k + 1) * sizeof(double));
    a->pend = NULL;
    a->pcap = a->npend = a->uprows = 0;
}

/* R⁺'s array, zero, made when rows are first folded. */
static int r_alloc(lr_accum *a, lr_error *err)
{
    size_t k1 = a->k + 1;
    if (a->rinit)
        return LR_OK;
    if (!(a->m2 = lr_mem_calloc(k1 * k1, sizeof(double))))
        return lr_error_nomem(err);
    a->rinit = 1;
    a->rrows = 0;
    return LR_OK;
}

/* The lazy workspaces of the update; 0 on success. */
static int upd_alloc(lr_accum *a, lr_error *err)
{
    size_t k1 = a->k + 1;
    if (!a->ugram && !(a->ugram = lr_mem_alloc(k1 * k1 * sizeof(double))))
        return lr_error_nomem(err);
    if (!a->utest && !(a->utest = lr_mem_alloc(k1 * k1 * sizeof(double))))
        return lr_error_nomem(err);
    if (!a->upanel && !(a->upanel = lr_mem_alloc(LR_QR_PANEL * k1 * sizeof(double))))
        return lr_error_nomem(err);
    return LR_OK;
}

/* Whether R⁺ can precondition: a chained model below LR_QR_UPDATE columns
 * whose R⁺ has every row and no zero on its diagonal (a column zero in every
 * row so far, such as a level not yet seen, leaves C undefined). */
static int upd_ready(const lr_accum *a)
{
    size_t k1 = a->k + 1;
    if (k1 < LR_QR_CHAIN || k1 >= LR_QR_UPDATE || !a->rinit || a->rrows != k1)
        return 0;
    for (size_t j = 0; j < k1; j++) {
        double d = LR_AT(a->m2, k1, j, j);
        if (d == 0 || !isfinite(d))
            return 0;
    }
    return 1;
}

/* CᵀC += CᵢᵀCᵢ for the panels of P after its first a->uprows rows, Cᵢ = Pᵢ R⁺⁻¹
 * (dtrsm, in a buffer that stays in the cache; P is left as it is): the
 * whole panels of LR_QR_PANEL rows, and with all the last one too. The
 * panels are rows [i·LR_QR_PANEL, (i + 1)·LR_QR_PANEL) of P whenever they
 * are made, so the sum is the same whether the rows' panels were made as
 * they arrived or at the fold. The caller checked upd_ready(). */
static int upd_panels(lr_accum *a, int all, lr_error *err)
{
    size_t k1 = a->k + 1, ldp = a->pcap;
    int n = (int)k1, rc;
    if ((rc = upd_alloc(a, err)))
        return rc;
    while (a->uprows < a->npend && (all || a->npend - a->uprows >= LR_QR_PANEL)) {
        size_t i0 = a->uprows, h = a->npend - i0 < LR_QR_PANEL ? a->npend - i0 : LR_QR_PANEL;
        double *c = a->upanel;
        for (size_t j = 0; j < k1; j++)
            memcpy(c + j * h, a->pend + i0 + j * ldp, h * sizeof(double));
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)h, n,
                    1.0, a->m2, n, c, (int)h);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, (int)h, 1.0, c, (int)h,
                    i0 ? 1.0 : 0.0, a->ugram, n);
        a->uprows = i0 + h;
    }
    return LR_OK;
}

/* After rows were appended to P: their whole panels through C now, while
 * they are in the cache (a block of B rows is not, by its fold). */
static int upd_early(lr_accum *a, lr_error *err)
{
    if (a->npend - a->uprows < LR_QR_PANEL || !upd_ready(a))
        return LR_OK;
    return upd_panels(a, 0, err);
}

/* P into R⁺ by the preconditioned update (the file's comment):
 *   C = P R⁺⁻¹ (dtrsm), G = I + CᵀC (dsyrk), G = UᵀU (dpotrf), R⁺ := U R⁺
 * (dtrmm), taken only where ‖C‖₂² < 4, which a Cholesky factorisation of
 * 4I − CᵀC certifies. Only CᵀC is kept, so P and R⁺ are untouched until U
 * is known: *done = 0 leaves them as they were, for dtpqrt. Whether it is
 * taken depends on the data alone (P's rows, R⁺), so the bits are the same
 * however the rows were read. */
static int fold_update(lr_accum *a, int *done, lr_error *err)
{
    size_t k1 = a->k + 1;
    int n = (int)k1, rc;
    *done = 0;
    if (!upd_ready(a))
        return LR_OK;
    if ((rc = upd_panels(a, 1, err)))
        return rc;
    double *g = a->ugram, *t = a->utest;
    /* The guard, ‖C‖₂² = λmax(CᵀC) < 4: first by Gershgorin's bound (every
     * row sum of |CᵀC| below 4; O(k²), and it holds for most blocks once
     * R⁺ has a few blocks' rows), else by a Cholesky factorisation of
     * 4I − CᵀC, which exists exactly when λmax < 4. NaN or Inf in C fails
     * both: a NaN compares false, and dpotrf stops at a diagonal that is
     * not positive. */
    double *rs = t; /* the row sums, in the first column of t */
    int gersh = 1;
    memset(rs, 0, k1 * sizeof(double));
    for (size_t j = 0; j < k1; j++)
        for (size_t i = 0; i <= j; i++) {
            double v = fabs(LR_AT(g, k1, i, j));
            rs[i] += v;
            if (i != j)
                rs[j] += v;
        }
    for (size_t j = 0; j < k1; j++)
        gersh &= rs[j] < 4.0;
    if (!gersh) {
        for (size_t j = 0; j < k1; j++)
            for (size_t i = 0; i <= j; i++)
                LR_AT(t, k1, i, j) = (i == j ? 4.0 : 0.0) - LR_AT(g, k1, i, j);
        if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, t, n) != 0) {
            a->urefused++;
            return LR_OK;
        }
    }
    for (size_t j = 0; j < k1; j++)
        LR_AT(g, k1, j, j) += 1.0;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, g, n) != 0) {
        a->urefused++; /* I + CᵀC ≥ I: only a NaN the guard missed would stop here */
        return LR_OK;
    }
    /* dtrmm reads U's upper triangle only; the product of two upper
     * triangles is upper, with exact zeros below */
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, n, n, 1.0, g, n,
                a->m2, n);
    a->utaken++;
    *done = 1;
    return LR_OK;
}

void lr_accum_update_counts(const lr_accum *a, uint64_t *taken, uint64_t *refused)
{
    *taken = a->utaken;
    *refused = a->urefused;
}

/* R⁺ := qr([R⁺; P]), P emptied: a full block into a full-rank R⁺ of a
 * chained model by the preconditioned update where its guard holds, else
 * by dtpqrt. The last l rows of P are upper trapezoidal (a triangle; l = 0:
 * P is rectangular). full: P holds B rows and more may follow (the fold
 * that makes room), not R⁺ being read. */
static int fold(lr_accum *a, size_t l, int full, lr_error *err)
{
    size_t k1 = a->k + 1;
    int rc = r_alloc(a, err), done = 0;
    if (rc || a->npend == 0)
        return rc;
    lapack_int nb = tpqrt_nb(k1), info = 0;
    if (l == 0 && (full || a->npend >= 4 * k1) && (rc = fold_update(a, &done, err)))
        return rc;
    if (done) {
        /* R⁺ holds the block */
    } else if (a->rrows == 0 && l == 0 && full && k1 >= LR_QR_GEQRT) {
        /* The first B rows of a wide stream: dgeqrt, whose panels are
         * factored recursively at level-3 speed (dgeqrt3), where dgeqrf's
         * 32-column panels run at level-2 speed: 0.84 against 1.11 ms for
         * 404 × 202 on one thread (docs/performance.md), (2/3)(k + 1)³ flops
         * fewer than dtpqrt into a zero R⁺. Only R is kept: T is workspace.
         * Narrower models keep dgeqrf (and below LR_QR_CHAIN their bits):
         * on 2,048 rows (one thread, medians of 21) it took 0.43 / 0.68 /
         * 0.99 / 1.61 / 2.57 / 3.70 ms at k + 1 = 33 / 41 / 51 / 64 / 80 /
         * 96 against dgeqrt's (nb 8) 0.62 / 0.86 / 1.19 / 1.78 / 2.58 /
         * 3.47. */
        size_t m = a->npend;
        info = LAPACKE_dgeqrt_work(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k1, nb, a->pend,
                                   (lapack_int)a->pcap, a->tmat, nb, a->twork);
        if (info != 0)
            return lr_error_set(err, LR_ELAPACK, "dgeqrt: argument %d is invalid", (int)-info);
        for (size_t j = 0; j < k1; j++)
            for (size_t i = 0; i <= j && i < m; i++)
                LR_AT(a->m2, k1, i, j) = LR_AT(a->pend, a->pcap, i, j);
    } else if (a->rrows == 0 && l == 0) {
        /* The first rows into an empty R⁺ are factored on their own (dgeqrf in
         * place; its T and work arrays serve as τ and workspace): data of one
         * block gets the factor of a plain Householder QR of its rows. */
        size_t m = a->npend;
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k1, a->pend,
                                   (lapack_int)a->pcap, a->twork, a->tmat,
                                   (lapack_int)(LR_TPQRT_NB * k1));
        if (info != 0)
            return lr_error_set(err, LR_ELAPACK, "dgeqrf: argument %d is invalid", (int)-info);
        for (size_t j = 0; j < k1; j++)
            for (size_t i = 0; i <= j && i < m; i++)
                LR_AT(a->m2, k1, i, j) = LR_AT(a->pend, a->pcap, i, j);
    } else
        info = LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, (lapack_int)a->npend, (lapack_int)k1,
                                   (lapack_int)l, nb, a->m2, (lapack_int)k1, a->pend,
                                   (lapack_int)a->pcap, a->tmat, nb, a->twork);
    if (info != 0)
        return lr_error_set(err, LR_ELAPACK, "dtpqrt: argument %d is invalid", (int)-info);
    a->rrows = a->rrows + a->npend < k1 ? a->rrows + a->npend : k1;
    a->npend = a->uprows = 0;
    if (!full && a->pcap * k1 > LR_PEND_KEEP)
        lr_qr_pend_release(a);
    return LR_OK;
}

int lr_qr_settle(const lr_accum *ca)
{
    /* Readers take a const accumulator: folding changes how the same sums are
     * held, not what they are. */
    lr_accum *a = (lr_accum *)(uintptr_t)ca;
    lr_error ignored;
    if (a->npend || !a->rinit)
        return fold(a, 0, 0, &ignored);
    return LR_OK;
}

/* Room in P for `rows` rows (rows ≤ B). */
int lr_qr_pend_reserve(lr_accum *a, size_t rows, lr_error *err)
{
    size_t k1 = a->k + 1, cap = a->pcap * 2, lim = pend_limit(k1);
    if (rows <= a->pcap)
        return LR_OK;
    if (cap < rows)
        cap = rows;
    /* Between LR_QR_CHAIN and LR_QR_WIDE, where B = 2,048 rows (at most
     * 2 MB), all of B once P grows a second time or is asked for half of it
     * (a chunk's rows arrive 1,024 at a time): growing 1,024 → 2,048 copied
     * half of it, which ate the fold's gain at p = 40, and B at once for a
     * chunk of 500 rows cost more at p = 100 (docs/performance.md). */
    if (k1 >= LR_QR_CHAIN && k1 < LR_QR_WIDE && (a->pcap || 2 * rows >= lim))
        cap = lim;
    if (cap > lim)
        cap = lim;
    size_t n;
    if (lr_mul_overflows(cap, k1, &n) || n > SIZE_MAX / sizeof(double) || cap > (size_t)INT32_MAX)
        return lr_error_set(err, LR_ERANGE, "accumulator: %zu pending rows are too many", cap);
    double *p = lr_mem_alloc(n * sizeof(double));
    if (!p)
        return lr_error_nomem(err);
    for (size_t j = 0; j < k1 && a->npend; j++)
        memcpy(p + j * cap, a->pend + j * a->pcap, a->npend * sizeof(double));
    lr_mem_free(a->pend, a->pcap * k1 * sizeof(double));
    a->pend = p;
    a->pcap = cap;
    return LR_OK;
}

/* How many of the next r rows fit in P now (≥ 1), folding P first when it
 * holds B rows; 0 on failure, with *rc set. */
static size_t pend_room(lr_accum *a, size_t r, int *rc, lr_error *err)
{
    size_t lim = pend_limit(a->k + 1);
    if (a->npend == lim && (*rc = fold(a, 0, 1, err)))
        return 0;
    size_t m = r < lim - a->npend ? r : lim - a->npend;
    if ((*rc = lr_qr_pend_reserve(a, a->npend + m, err)))
        return 0;
    return m;
}

int lr_qr_add(lr_accum *a, size_t n, const double *x, size_t ld, double wb, lr_error *err)
{
    size_t k = a->k;
    int rc = LR_OK;
    if (a->w == 0) /* the shift: this block's provisional mean Xᵀw / W_b */
        cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)k, 1.0 / wb, x, (int)ld, a->wv, 1, 0.0,
                    a->shift, 1);
    for (size_t i0 = 0; i0 < n;) {
        size_t m = pend_room(a, n - i0, &rc, err);
        if (!m)
            return rc;
        size_t ldp = a->pcap;
        double *p = a->pend + a->npend;
        const double *sw = a->sw + i0;
        memcpy(p, sw, m * sizeof(double));
        for (size_t j = 0; j < k; j++) {
            const double *xj = x + j * ld + i0;
            double *pj = p + (j + 1) * ldp, cj = a->shift[j];
            for (size_t i = 0; i < m; i++)
                pj[i] = (xj[i] - cj) * sw[i];
        }
        a->npend += m;
        i0 += m;
        if ((rc = upd_early(a, err)))
            return rc;
    }
    a->w += wb;
    return LR_OK;
}

/* r rows of src (r × (k + 1), ld lds) into P after its rows (room made by the
 * caller), moved to a's shift: column j + 1 gains column 0 times dc[j]. */
static void put_rows(lr_accum *a, const double *src, size_t lds, size_t r, const double *dc)
{
    size_t k1 = a->k + 1, ldp = a->pcap;
    double *p = a->pend + a->npend;
    memcpy(p, src, r * sizeof(double));
    for (size_t j = 1; j < k1; j++) {
        const double *sj = src + j * lds;
        double *pj = p + j * ldp, cj = dc[j - 1];
        for (size_t i = 0; i < r; i++)
            pj[i] = sj[i] + src[i] * cj;
    }
    a->npend += r;
}

/* After a merge into a. Models narrower than LR_QR_CHAIN fold P into R⁺
 * after every merge into an accumulator that has R⁺ (their bits as before).
 * Wider ones keep their pending rows, except where b brought a triangle and
 * B rows are more than LR_PEND_KEEP doubles (k + 1 > 256): the files' tree
 * then holds R⁺ only at its upper levels, (k + 1)² doubles each, not
 * (k + 1)² + B (k + 1). A chained model's chunks are merged into one
 * accumulator in a chain (model_frame_fold.c) and bring rows, not
 * triangles: they gather in P and are folded B at a time (pend_room). Where
 * 128 ≤ k + 1 ≤ 256 a merged triangle's leftover rows stay for the next
 * merge's pentagonal dtpqrt: one call instead of two. All of it depends on
 * k and the row counts alone. */
static int merged(lr_accum *a, int tri, lr_error *err)
{
    size_t k1 = a->k + 1;
    if (a->rinit && a->npend && (k1 < LR_QR_CHAIN || (tri && tree_limit(k1) * k1 > LR_PEND_KEEP)))
        return fold(a, 0, 0, err);
    return LR_OK;
}

int lr_qr_merge(lr_accum *a, const lr_accum *b, lr_error *err)
{
    size_t k = a->k, k1 = k + 1;
    int rc = LR_OK;
    if (b->w == 0)
        return merged(a, 0, err);
    if (a->w == 0)
        memcpy(a->shift, b->shift, k * sizeof(double));
    double *dc = a->bsum; /* workspace: c_b − c_a */
    for (size_t j = 0; j < k; j++)
        dc[j] = b->shift[j] - a->shift[j];
    size_t rb = b->rinit ? b->rrows : 0;
    if (rb && !(a->rinit && a->rrows)) {
        /* b's triangle becomes a's R⁺ as it is (a's own rows stay pending);
         * only its row 0 moves to a's shift */
        if ((rc = r_alloc(a, err)))
            return rc;
        memcpy(a->m2, b->m2, k1 * k1 * sizeof(double));
        for (size_t j = 0; j < k; j++)
            a->m2[(j + 1) * k1] += a->m2[0] * dc[j];
        a->rrows = rb;
    } else if (rb) {
        /* a triangle under a's: one pentagonal dtpqrt, a's pending rows on top */
        if (a->npend + rb > pend_limit(k1) && (rc = fold(a, 0, 0, err)))
            return rc;
        if ((rc = lr_qr_pend_reserve(a, a->npend + rb, err)))
            return rc;
        put_rows(a, b->m2, k1, rb, dc);
        if ((rc = fold(a, rb, 0, err)))
            return rc;
    }
    for (size_t i0 = 0; i0 < b->npend;) {
        size_t m = pend_room(a, b->npend - i0, &rc, err);
        if (!m)
            return rc;
        put_rows(a, b->pend + i0, b->pcap, m, dc);
        i0 += m;
        if ((rc = upd_early(a, err)))
            return rc;
    }
    a->w += b->w;
    return merged(a, rb != 0, err);
}

int lr_qr_remap(const lr_accum *src, const size_t *map, int identity, lr_accum *a, lr_error *err)
{
    size_t ks = src->k, k1 = a->k + 1, rr = src->rinit ? src->rrows : 0;
    int rc;
    /* P: rows stay rows; column j + 1 moves to map[j] + 1, column 0 stays */
    if (src->npend) {
        if ((rc = lr_qr_pend_reserve(a, src->npend, err)))
            return rc;
        for (size_t j = 0; j < k1; j++)
            memset(a->pend + j * a->pcap, 0, src->npend * sizeof(double));
        memcpy(a->pend, src->pend, src->npend * sizeof(double));
        for (size_t j = 0; j < ks; j++)
            memcpy(a->pend + (map[j] + 1) * a->pcap, src->pend + (j + 1) * src->pcap,
                   src->npend * sizeof(double));
        a->npend = src->npend;
    }
    if (rr == 0)
        return LR_OK;
    if ((rc = r_alloc(a, err)))
        return rc;
    a->rrows = rr;
    if (identity) {
        memcpy(a->m2, src->m2, k1 * k1 * sizeof(double));
        return LR_OK;
    }
    /* R⁺ with its columns moved is no longer triangular: re-triangularise,
     * (R⁺Π)ᵀ(R⁺Π) = Πᵀ G Π, the same sums in the new column order. Rows of R⁺
     * beyond rr are zero and stay so. */
    size_t ks1 = ks + 1, cells;
    if (lr_mul_overflows(rr, k1, &cells))
        return lr_error_set(err, LR_ERANGE, "accumulator: remap too large");
    double *b = lr_mem_calloc(cells, sizeof(double));
    double *tau = lr_mem_calloc(rr, sizeof(double));
    double wq = 0, *work = NULL;
    size_t lw = 0;
    rc = LR_OK;
    if (!b || !tau) {
        rc = lr_error_nomem(err);
        goto done;
    }
    for (size_t j = 0; j < ks1; j++) {
        size_t c = j ? map[j - 1] + 1 : 0;
        for (size_t i = 0; i <= j && i < rr; i++)
            LR_AT(b, rr, i, c) = LR_AT(src->m2, ks1, i, j);
    }
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rr, (lapack_int)k1, b,
                                          (lapack_int)rr, tau, &wq, -1);
    lw = info == 0 && wq >= (double)k1 ? (size_t)wq : k1;
    if (!(work = lr_mem_alloc(lw * sizeof(double)))) {
        rc = lr_error_nomem(err);
        goto done;
    }
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rr, (lapack_int)k1, b, (lapack_int)rr,
                               tau, work, (lapack_int)lw);
    if (info != 0) {
        rc = lr_error_set(err, LR_ELAPACK, "dgeqrf: argument %d is invalid", (int)-info);
        goto done;
    }
    for (size_t j = 0; j < k1; j++)
        for (size_t i = 0; i <= j && i < rr; i++)
            LR_AT(a->m2, k1, i, j) = LR_AT(b, rr, i, j);
done:
    lr_mem_free(work, lw * sizeof(double));
    lr_mem_free(b, cells * sizeof(double));
    lr_mem_free(tau, rr * sizeof(double));
    return rc;
}
