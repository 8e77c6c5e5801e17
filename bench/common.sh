# bench/common.sh — the setup the bench/*.sh scripts share; sourced (". bench/common.sh")
# from the repository's root, after `set -eu` and `cd "$(dirname "$0")/.."`.
#
#   bench_init NAME [BUILD_DIR] [WORK_DIR] [RUNS]
#       (the script's own arguments after its name) sets $build (default
#       build), $work (default $TMPDIR/linreg-bench, created) and $runs
#       (default $RUNS, else 3); fails unless /usr/bin/time is there; builds linreg in
#       $build (Release) if it is not built; compiles bench/gen_csv.c to
#       $work/gen_csv.
#   bench_data ROWS P
#       prints the path of gen_csv's ROWS × P file (y,x1..xP) in $work,
#       written the first time, and reads it into the page cache.
#   median, largest
#       the median (of an even count: the mean of the middle two) / the
#       largest of the numbers on standard input, one a line.

bench_init() {
    build="${2:-build}"
    work="${3:-${TMPDIR:-/tmp}/linreg-bench}"
    runs="${4:-${RUNS:-3}}"
    mkdir -p "$work"
    [ -x /usr/bin/time ] || { echo "bench/$1.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
    if [ ! -x "$build/linreg" ]; then
        cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$build" -j"$(nproc)" >/dev/null
    fi
    cc -O2 -o "$work/gen_csv" bench/gen_csv.c
}

bench_data() {
    bench_file="$work/bench_${1}x${2}.csv"
    [ -s "$bench_file" ] || "$work/gen_csv" "$1" "$2" > "$bench_file"
    cat "$bench_file" > /dev/null # into the page cache
    echo "$bench_file"
}

median() { sort -n | awk '{ a[NR] = $1 } END { m = int((NR + 1) / 2); print NR % 2 ? a[m] : (a[m] + a[m + 1]) / 2 }'; }
largest() { sort -n | tail -1; }
