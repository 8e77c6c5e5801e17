/*
 * test_rng.h — the fixed-seed generator of the tests and the benchmark data
 * (splitmix64, Steele, Lea and Flood 2014), so that every run sees the same
 * numbers. Header-only because bench/gen_csv.c is built alone by the bench
 * scripts (cc bench/gen_csv.c), without the Check suites' test_util.c; the
 * tests use it through lr_test_seed and lr_test_urand (test_util.h).
 */
#ifndef LR_TEST_RNG_H
#define LR_TEST_RNG_H

#include <stdint.h>

/* The next number of the sequence that *state (any seed) starts: uniform in
 * [0, 1) with 53 random bits. */
static inline double lr_splitmix_unit(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* The next number of a 64-bit linear congruential sequence (Knuth's MMIX
 * constants) from *state, as a double in [0, 1) from its top 53 bits: the
 * data of test_edges' and test_fixed_effects' weighted-panel tests. */
static inline double lr_lcg_unit(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

#endif
