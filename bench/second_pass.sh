#!/bin/sh
# The second pass's cost (issue #20 item 3): the default text summary needs
# the residuals' quantiles, so it reads the first pass's row spool back
# (src/row_spool.c, src/diagnostics_spool.c); --format json makes one pass. The
# target: text ≤ 1.3 × JSON in CPU time (user + system) and wall time on the
# 1,000,000-row × 20-predictor file of bench/gen_csv.c.
#
# Runs are paired and interleaved (text, JSON, and the same with the binary
# $BASE, e.g. main's, when it is set), RUNS rounds (default 7), medians
# reported: on a shared machine only paired figures compare. Also checks that
# the text summary is byte-identical for --threads 1, 2 and 4 (and to BASE's).
#
# usage: [BASE=/path/to/other/linreg] [RUNS=7] bench/second_pass.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
RUNS="${RUNS:-7}" bench_init second_pass "$@"
other="${BASE:-}"
rounds="$runs"
f=$(bench_data 1000000 20)

# "wall cpu" seconds of one run (cpu = user + system)
run() { /usr/bin/time -f "%e %U %S" -o "$work/sp_t.txt" "$@" > /dev/null 2>&1; awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/sp_t.txt"; }

bins="$build/linreg"
[ -n "$other" ] && bins="$bins $other"
: > "$work/sp_runs.txt"
i=0
while [ "$i" -lt "$rounds" ]; do
    for b in $bins; do
        echo "$b text $(run "$b" fit -q -y y "$f")" >> "$work/sp_runs.txt"
        echo "$b json $(run "$b" fit -q -y y --format json "$f")" >> "$work/sp_runs.txt"
    done
    i=$((i + 1))
done

echo "== 1,000,000 rows x 20 predictors, $rounds paired rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %8s %8s %8s %8s %10s %10s\n' binary "text s" "json s" "text cpu" "json cpu" "wall ratio" "cpu ratio"
for b in $bins; do
    tw=$(awk -v b="$b" '$1 == b && $2 == "text" { print $3 }' "$work/sp_runs.txt" | median)
    jw=$(awk -v b="$b" '$1 == b && $2 == "json" { print $3 }' "$work/sp_runs.txt" | median)
    tc=$(awk -v b="$b" '$1 == b && $2 == "text" { print $4 }' "$work/sp_runs.txt" | median)
    jc=$(awk -v b="$b" '$1 == b && $2 == "json" { print $4 }' "$work/sp_runs.txt" | median)
    # the ratio of each round's pair, then their median
    rw=$(awk -v b="$b" '$1 == b && $2 == "text" { t = $3 } $1 == b && $2 == "json" { printf "%.3f\n", t / $3 }' "$work/sp_runs.txt" | median)
    rc=$(awk -v b="$b" '$1 == b && $2 == "text" { t = $4 } $1 == b && $2 == "json" { printf "%.3f\n", t / $4 }' "$work/sp_runs.txt" | median)
    printf '%-40s %8s %8s %8s %8s %10s %10s\n' "$b" "$tw" "$jw" "$tc" "$jc" "$rw" "$rc"
done

echo "== the text summary for --threads 1, 2, 4$([ -n "$other" ] && echo ' and the second binary')"
{
    for t in 1 2 4; do "$build/linreg" fit -q -t "$t" -y y "$f" | sha256sum | cut -c1-16; done
    [ -z "$other" ] || "$other" fit -q -y y "$f" | sha256sum | cut -c1-16
} | uniq -c | awk '{ print } END { if (NR != 1) { print "DIFFER"; exit 1 } }'
