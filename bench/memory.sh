#!/bin/sh
# Peak memory of `linreg fit` does not grow with the number of rows.
#
# Generates CSV files of 100,000 and 1,000,000 rows × 20 predictors (17
# significant digits, header y,x1..x20) and measures wall time and peak RSS of
# `linreg fit` on each with /usr/bin/time -v (Debian's `time` package).
#
# usage: bench/memory.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init memory "$@"

printf '%-10s %10s %10s %12s %12s\n' rows "file MB" "wall s" "peak RSS MB" "limit MB"
for rows in 100000 1000000; do
    f=$(bench_data "$rows" 20)
    /usr/bin/time -v "$build/linreg" fit -y y "$f" > "$work/out.txt" 2> "$work/time.txt"
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
    size=$(stat -c %s "$f")
    awk -v r="$rows" -v s="$size" -v w="$wall" -v k="$rss_kb" \
        'BEGIN { printf "%-10s %10.1f %10s %12.1f %12s\n", r, s / 1048576, w, k / 1024, 64 }'
    if [ "$rss_kb" -gt 65536 ]; then
        echo "FAIL: peak RSS ${rss_kb} kB exceeds 64 MB" >&2
        exit 1
    fi
done
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
