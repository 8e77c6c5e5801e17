/*
 * main.c — the linreg command: dispatch to a subcommand.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cblas.h>

#include "cli.h"
#ifdef LINREG_MPI
#include "mpi_fit.h"
#endif

/* Exported by OpenBLAS (its fork handler uses it), not declared in its
 * headers; weak, so that another BLAS simply lacks it. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

/*
 * OpenBLAS starts its server threads when it is loaded, and each of them
 * busy-waits (sched_yield in a loop) for about 0.1 s — 2^28 TSC cycles —
 * after starting and after every job before it sleeps. fit parses on every
 * core with threads of its own and keeps OpenBLAS at one thread meanwhile,
 * so that spinning only takes a core from the parsers: on the 1M-row
 * benchmark it spun through the first 0.1 s of a 0.4 s run. So fit and
 * predict set OpenBLAS to one thread and stop its server threads (the final
 * solve runs on one thread too, so that its bits do not depend on -t:
 * fit_solve.c).
 * bench keeps them.
 */
static void quiet_blas_threads(void)
{
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_)
        blas_thread_shutdown_();
}

/*
 * Under a memory limit (ulimit -v or -d), OpenBLAS's server threads, started
 * when it loads (before main), may already be stuck: each maps a 128 MiB
 * buffer as it starts, and OpenBLAS 0.3.21 retries a failed map forever
 * (blas_memory.c). Stopping them (quiet_blas_threads) would then wait
 * forever too. So fit and predict under a limit run again with
 * OPENBLAS_NUM_THREADS=1 — no server thread at load — and the library adds
 * threads only where it has probed room for them (lr_blas_threads). Without
 * a limit nothing changes. If the exec fails, the run goes on as it is.
 */
static void restart_under_memory_limit(char **argv)
{
    struct rlimit as, data;
    int limited = (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) ||
                  (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY);
    const char *v = getenv("OPENBLAS_NUM_THREADS");
    if (!limited || (v && !strcmp(v, "1")) || setenv("OPENBLAS_NUM_THREADS", "1", 1))
        return;
    execv("/proc/self/exe", argv);
}

static const char usage[] =
    "Usage: linreg COMMAND [OPTIONS] ...\n"
    "\n"
    "Linear regression from CSV files with the statistics of R's summary(lm(...)),\n"
    "in one streaming pass and bounded memory, on OpenBLAS and LAPACKE.\n"
    "\n"
    "Commands:\n"
    "  fit [OPTIONS] FILE|-    fit a linear model and print its summary\n"
    "  predict -m MODEL FILE|- predictions (and intervals) from a saved model\n"
    "  merge PART... [--data FILE...]\n"
    "                          the fit of partial fits (linreg fit --save-partial)\n"
    "  compare M1 M2 [...]     R's anova(m1, m2, ...): F tests of nested saved models\n"
    "  bench [OPTIONS]         time BLAS/LAPACK against naive loops (X'X, inverse, solve)\n"
    "\n"
    "Options:\n"
    "  -h, --help              show this help (linreg fit --help: the options of fit)\n"
    "  --version               show the version and the BLAS/LAPACK in use\n"
    "\n"
    "Exit codes: 0 success, 1 data or numerical error, 2 usage error.\n";

void lr_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("linreg: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int lr_cli_usage_error(const char *command, const char *msg, const char *arg)
{
    if (arg)
        lr_cli_error("%s '%s'", msg, arg);
    else
        lr_cli_error("%s", msg);
    fprintf(stderr, "Try 'linreg %s --help' for more information.\n", command);
    return LR_EXIT_USAGE;
}

int lr_cli_exit_code(int status)
{
    if (status == LR_OK)
        return LR_EXIT_OK;
    return status == LR_EUSAGE ? LR_EXIT_USAGE : LR_EXIT_DATA;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return LR_EXIT_USAGE;
    }
    /* The fit's buffers (chunks of text, blocks of rows, the row spool's
     * records: 0.2–12 MB) are made and freed for every chunk of input, on
     * several threads. glibc serves blocks above its mmap threshold (128 KB
     * until a large free raises it) from fresh mappings, whose every page
     * faults and is zeroed when first touched, and trims freed heap tops.
     * Measured on the 1M-row benchmark (text summary, when chunks were
     * 4 MiB): 21,200 page faults and 1.7-2.0 s of CPU without these two
     * settings, 8,900 and 1.2-1.3 s with them, peak RSS about 40 MB either
     * way. Kept in the heap, the buffers are reused. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    const char *cmd = argv[1];
    int rc;
#ifdef LINREG_MPI
    /* under mpirun: MPI starts after any restart (it may exec), and only fit
     * runs on several ranks */
    if (!strcmp(cmd, "fit") || !strcmp(cmd, "predict") || !strcmp(cmd, "merge"))
        restart_under_memory_limit(argv);
    if (!lr_mpi_init(&argc, &argv)) {
        lr_cli_error("cannot start MPI");
        return LR_EXIT_DATA;
    }
    if (lr_mpi_size() > 1 && strcmp(cmd, "fit") != 0) {
        lr_cli_error("only 'linreg fit' runs on several MPI ranks: run '%s' as one process", cmd);
        lr_mpi_finalize();
        return LR_EXIT_USAGE;
    }
#endif
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        rc = LR_EXIT_OK;
    } else if (!strcmp(cmd, "--version")) {
        char info[1024];
        lr_blas_info(info, sizeof info);
        printf("linreg %s\n%s\n", LR_VERSION_STRING, info);
        rc = LR_EXIT_OK;
    } else if (!strcmp(cmd, "compare")) {
        rc = lr_cli_compare(argc - 1, argv + 1); /* no data, no BLAS: reads JSON only */
    } else if (!strcmp(cmd, "fit") || !strcmp(cmd, "predict") || !strcmp(cmd, "bench") ||
               !strcmp(cmd, "merge")) {
        /* under a memory limit, fit and predict start again with one
         * OpenBLAS thread (this returns only when no restart is needed) */
        if (strcmp(cmd, "bench") != 0)
            restart_under_memory_limit(argv);
        /* a signal removes what the run has not committed (cli_output.c) */
        lr_cli_signals_install();
        if (strcmp(cmd, "bench") != 0)
            quiet_blas_threads();
        if (!strcmp(cmd, "fit"))
            rc = lr_cli_fit(argc - 1, argv + 1);
        else if (!strcmp(cmd, "merge"))
            rc = lr_cli_merge(argc - 1, argv + 1);
        else if (!strcmp(cmd, "predict"))
            rc = lr_cli_predict(argc - 1, argv + 1);
        else
            rc = lr_cli_bench(argc - 1, argv + 1);
    } else {
        lr_cli_error("unknown command '%s' (try 'linreg --help')", cmd);
        rc = LR_EXIT_USAGE;
    }
    /* --help, --version and every report: exit 0 only if stdout took it all */
    rc = lr_cli_stdout_done(rc);
#ifdef LINREG_MPI
    lr_mpi_finalize();
#endif
    return rc;
}
