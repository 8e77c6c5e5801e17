/*
 * blas_memory.c — room in the address space for the threads that call
 * OpenBLAS, so that a memory limit (ulimit -v: RLIMIT_AS; ulimit -d:
 * RLIMIT_DATA) makes a fit use fewer threads or fail with "out of memory",
 * never hang.
 *
 * Why: each thread that calls a level-2 or level-3 routine of OpenBLAS 0.3.21
 * (the caller, and each of its server threads when it runs threaded) takes a
 * work buffer from a pool in driver/others/memory.c, blas_memory_alloc. A
 * buffer is BUFFER_SIZE bytes, 128 MiB on x86-64 (strace shows
 * mmap(134225920) per thread on this machine), and when the mmap and malloc
 * behind it both fail, blas_memory_alloc tries again, forever: under
 * `ulimit -v 300000` a fit of 150 coefficients (its solve raised to two BLAS
 * threads) spun until killed, and at exit blas_thread_shutdown_ waits for
 * that thread. Buffers are never given back to the system: once the pool
 * holds one per caller, later calls reuse them.
 *
 * So before more threads call OpenBLAS at once than it has buffers for, the
 * room for them is probed: an mmap of PROT_READ|PROT_WRITE, MAP_NORESERVE
 * (counted against RLIMIT_AS and RLIMIT_DATA alike, but neither touched nor
 * committed) of LR_BLAS_CALLER_BYTES per new caller, unmapped at once. A
 * probe that fails means fewer callers.
 */
#define _GNU_SOURCE /* MAP_NORESERVE */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "internal.h"

/* Address space one more OpenBLAS caller may need: its buffer (128 MiB +
 * 8 KiB), a new thread's stack (8 MiB: RLIMIT_STACK's usual default; a
 * server thread OpenBLAS cannot create is fatal to it too) and 8 MiB to
 * spare for what the thread allocates. (A new thread's malloc arena, 64 MiB
 * reserved, is not counted: glibc falls back to the main arena without it.) */
#define LR_BLAS_CALLER_BYTES ((size_t)144 << 20)

static pthread_mutex_t room_mu = PTHREAD_MUTEX_INITIALIZER;
static int callers_held; /* callers already probed for (their buffers then exist, and stay) */

int lr_memory_limited(void)
{
    struct rlimit as, data;
    return (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) ||
           (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY);
}

int lr_blas_room(int n)
{
    if (n <= 0 || !lr_memory_limited())
        return n > 0 ? n : 0;
    pthread_mutex_lock(&room_mu);
    int k = n;
    for (; k > callers_held; k--) {
        size_t bytes = (size_t)(k - callers_held) * LR_BLAS_CALLER_BYTES;
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            munmap(p, bytes);
            break;
        }
    }
    if (k > callers_held)
        callers_held = k;
    pthread_mutex_unlock(&room_mu);
    return k;
}
