/*
 * blas_info.c — which BLAS and LAPACK actually run, and on how many threads.
 *
 * Debian can route libblas.so.3 / liblapack.so.3 to several implementations,
 * and GSL drags in a second CBLAS (libgslcblas). What is reported here is read
 * from the running process: OpenBLAS's own configuration string, and the
 * shared object that the dynamic linker bound cblas_dsyrk and dpotrf_ to.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "internal.h"

static const char *object_of(const void *sym)
{
    Dl_info info;
    if (dladdr(sym, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        return slash ? slash + 1 : info.dli_fname;
    }
    return "?";
}

void lr_blas_info(char *buf, size_t size)
{
    lapack_int maj = 0, min = 0, pat = 0;
    LAPACKE_ilaver(&maj, &min, &pat);
    /* Casting function pointers to void * for dladdr is what POSIX requires of dlsym. */
    const void *dsyrk_addr, *dpotrf_addr;
    void (*fs)(void) = (void (*)(void))cblas_dsyrk;
    void (*fp)(void) = (void (*)(void))LAPACK_dpotrf_base; /* dpotrf_ */
    memcpy(&dsyrk_addr, &fs, sizeof dsyrk_addr);
    memcpy(&dpotrf_addr, &fp, sizeof dpotrf_addr);
    snprintf(buf, size,
             "OpenBLAS (%s; core %s; %d threads; %d processors); LAPACK %d.%d.%d through "
             "LAPACKE; cblas_dsyrk from %s, dpotrf from %s",
             openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(),
             openblas_get_num_procs(), (int)maj, (int)min, (int)pat, object_of(dsyrk_addr),
             object_of(dpotrf_addr));
}

/* Changing OpenBLAS's thread count when it is already the one wanted is not
 * free: with its threads shut down (as the CLI's fit does: they busy-wait
 * otherwise), openblas_set_num_threads starts them again. */
int lr_blas_threads(int n)
{
    int old = openblas_get_num_threads();
    if (n > old) { /* each new server thread maps a buffer: room for them first */
        int room = lr_blas_room(n);
        n = room > old ? room : old;
    }
    if (n != old)
        openblas_set_num_threads(n);
    return old;
}
