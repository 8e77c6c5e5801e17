/*
 * test_blas_info.c — the BLAS that runs is OpenBLAS, not the CBLAS GSL brings
 * along (libgslcblas defines cblas_dsyrk too; link order decides).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <string.h>

#include <cblas.h>

#include "test_util.h"

START_TEST(test_openblas_runs)
{
    char info[1024];
    lr_blas_info(info, sizeof info);
    ck_assert_msg(strstr(info, "cblas_dsyrk from libopenblas") != NULL, "%s", info);
    ck_assert_msg(strstr(info, "gslcblas") == NULL, "%s", info);
    ck_assert_msg(strstr(info, "LAPACK 3.") != NULL, "%s", info);

    /* The same question asked of this process directly. */
    Dl_info dl;
    void (*f)(void) = (void (*)(void))cblas_dsyrk;
    void *addr;
    memcpy(&addr, &f, sizeof addr);
    ck_assert(dladdr(addr, &dl) != 0);
    ck_assert_msg(strstr(dl.dli_fname, "openblas") != NULL, "cblas_dsyrk is from %s", dl.dli_fname);
}
END_TEST

int main(void)
{
    const lr_test_case tests[] = {
        LR_TEST(test_openblas_runs),
    };
    return lr_test_run_cases("blas_info", 0, tests, LR_TEST_COUNT(tests));
}
