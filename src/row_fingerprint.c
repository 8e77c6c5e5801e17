/*
 * row_fingerprint.c — a 64-bit fingerprint of the rows a fit used, stored in
 * the model file so that `linreg compare` can tell whether two fits saw the
 * same rows (R's anova(m1, m2) only checks that the row counts agree).
 *
 * Row i (physical line ℓ_i, fields f_1..f_m) hashes to
 *   h_i = XXH3(f_m, seed = … XXH3(f_2, seed = XXH3(f_1, seed = m)) …),
 * the fields chained so that "a,b" and "ab," differ, and whether the CSV
 * reader or the fused text path (model_frame.c) read the row does not
 * matter: both see the same field bytes. The fingerprint is a hash of
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

uint64_t lr_row_hash_fields(const lr_csv_row *row)
{
    uint64_t h = row->nfields;
    for (size_t j = 0; j < row->nfields; j++)
        h = XXH3_64bits_withSeed(row->fields[j].data, row->fields[j].len, h);
    return h;
}

uint64_t lr_row_hash_text(const char *buf, size_t len, char delim)
{
    size_t m = 1;
    for (size_t i = 0; i < len; i++)
        m += buf[i] == delim;
    uint64_t h = m;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || buf[i] == delim) {
            h = XXH3_64bits_withSeed(buf + start, i - start, h);
            start = i + 1;
        }
    return h;
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
