/*
 * linreg_export.h — the frame of liblinreg's public headers: what stands
 * between LR_API_BEGIN and LR_API_END has C linkage in C++ and default
 * visibility, so it is exported from the shared library, which is compiled
 * with hidden visibility (nothing else is).
 *
 * Included by linreg.h and linreg_bench.h, not by programs; installed with
 * them.
 */
#ifndef LINREG_EXPORT_H
#define LINREG_EXPORT_H

#if defined(__GNUC__)
#define LR_VISIBILITY_PUSH _Pragma("GCC visibility push(default)")
#define LR_VISIBILITY_POP _Pragma("GCC visibility pop")
#else
#define LR_VISIBILITY_PUSH
#define LR_VISIBILITY_POP
#endif

#ifdef __cplusplus
#define LR_API_BEGIN                                                                               \
    extern "C" {                                                                                   \
    LR_VISIBILITY_PUSH
#define LR_API_END                                                                                 \
    LR_VISIBILITY_POP                                                                              \
    }
#else
#define LR_API_BEGIN LR_VISIBILITY_PUSH
#define LR_API_END LR_VISIBILITY_POP
#endif

#endif /* LINREG_EXPORT_H */
