/*
 * fuzz.h — what the fuzz targets share: libFuzzer's entry point and a check
 * that stops the run on a broken invariant.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput. Linked with -fsanitize=fuzzer
 * it is driven by libFuzzer; linked with replay_main.c it runs the files
 * given on the command line once each (the corpus replay in CTest, and the
 * coverage build of scripts/fuzz.sh).
 */
#ifndef LR_FUZZ_H
#define LR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash for libFuzzer: say which one, then trap, so
 * the input is saved and the report points here. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

#endif
