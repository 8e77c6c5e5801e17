#!/bin/sh
# The second pass's cost (issue #20 item 3): the default text summary needs
# the residuals' quantiles, so it reads the first pass's row spool back
# (src/row_spool.c, src/diagnostics.c); --format json makes one pass. The
# target: text ≤ 1.3 × JSON in CPU time (user + system) and wall time on the
# 1,000,000-row × 20-predictor file of bench/gen_csv.c.
#
# Runs are paired and interleaved (text, JSON, and the same with a second
# binary when one is given), ROUNDS rounds, medians reported: on a shared
# machine only paired figures compare. Also checks that the text summary is
# byte-identical for --threads 1, 2 and 4 (and to the second binary's).
#
# usage: bench/second_pass.sh [BUILD_DIR] [OTHER_LINREG] [ROUNDS] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
build="${1:-build}"
other="${2:-}"
rounds="${3:-7}"
work="${4:-${TMPDIR:-/tmp}/linreg-bench}"
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench/second_pass.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -x "$build/linreg" ] || { echo "no $build/linreg: build first" >&2; exit 1; }
cc -O2 -o "$work/gen_csv" bench/gen_csv.c
f="$work/bench_1000000x20.csv"
[ -s "$f" ] || "$work/gen_csv" 1000000 20 > "$f"
cat "$f" > /dev/null # into the page cache

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
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
