/*
 * row_fingerprint.c — a 64-bit fingerprint of the rows a fit used, stored in
 * the model file so that `linreg compare` can tell whether two fits saw the
 * same rows (R's anova(m1, m2) only checks that the row counts agree).
 *
 * Row i (physical line ℓ_i, fields f_1..f_m) hashes to
 *   h_i = XXH3(f_1 d f_2 d … d f_m),  d the delimiter,
 * the fields as the CSV reader gives them (quotes removed): for a row
 * without quotes that is its text, which the fused path (model_frame_fused.c)
 * hashes in one call (one XXH3 of the row costs about what parsing one of
 * its numbers does; a call per field cost 60% more CPU time on the 1M-row
 * benchmark), so that which path read a row does not matter. (A quoted
 * field holding the delimiter makes "a,b" + "c" hash as "a" + "b,c": the
 * fingerprint is for accidents, below.) The fingerprint is a hash of
 *   n = Σ 1,   S0 = Σ h_i,   S1 = Σ h_i · ℓ_i   (mod 2^64)
 * over the used rows. Sums commute, so any thread may add any row; and a
 * chunk counting its lines from its own first line folds in exactly by
 *   S1 += S1_chunk + L · S0_chunk  (L lines before the chunk),
 * since Σ h_i (ℓ_i + L) = Σ h_i ℓ_i + L Σ h_i. The line weights make the
 * fingerprint depend on where each row is in the file, not only on which
 * rows there are. It detects accidents (another file, another filter,
 * another missing-value pattern), not adversaries.
 */
#define XXH_INLINE_ALL /* header-only: nothing to link */
#include <xxhash.h>

#include "row_fingerprint.h"

uint64_t lr_row_hash_fields(const lr_csv_row *row, char delim)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    for (size_t j = 0; j < row->nfields; j++) {
        if (j)
            XXH3_64bits_update(&st, &delim, 1);
        XXH3_64bits_update(&st, row->fields[j].data, row->fields[j].len);
    }
    return XXH3_64bits_digest(&st);
}

uint64_t lr_row_hash_text(const char *buf, size_t len)
{
    return XXH3_64bits(buf, len);
}

void lr_row_fp_add(lr_row_fp *fp, uint64_t line, uint64_t hash)
{
    fp->n++;
    fp->s0 += hash;
    fp->s1 += hash * line;
}

void lr_row_fp_fold(lr_row_fp *dst, const lr_row_fp *chunk, uint64_t lines_before)
{
    dst->n += chunk->n;
    dst->s0 += chunk->s0;
    dst->s1 += chunk->s1 + lines_before * chunk->s0;
}

uint64_t lr_row_fp_value(const lr_row_fp *fp)
{
    uint64_t w[3] = {fp->n, fp->s0, fp->s1};
    return XXH3_64bits(w, sizeof w);
}
