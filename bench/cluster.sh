#!/bin/sh
# What --vcov CL costs on the 1,000,000-row × 20-predictor file of
# bench/gen_csv.c (issue 18: at most one extra pass). Two cluster columns
# are appended to it: g, numeric keys (1,000 clusters: row number mod 1000)
# and firm, text keys ("f" then the row number mod 10,000, read as text, so
# the first pass leaves its fused number path for those rows). Wall time
# (median of RUNS, default 3), the CPU time (user + system) of that run (on a
# shared, loaded machine the CPU time is the steadier measure) and the peak
# RSS (/usr/bin/time) of
#   linreg fit --format json                       one pass (the baseline)
#   ... --vcov HC1                                 one more pass
#   ... --vcov CL --cluster g                      one more pass, reading g
#   ... --vcov CL --cluster firm                   text keys
#   ... --vcov CL --cluster g,firm                 two-way (three clusterings)
#
# usage: bench/cluster.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init cluster "$@"
base=$(bench_data 1000000 20)
f="$work/bench_1000000x20_clusters.csv"
[ -s "$f" ] || awk 'NR == 1 {print $0 ",g,firm"; next}
                    {print $0 "," (NR - 2) % 1000 ",f" (NR - 2) % 10000}' "$base" > "$f"
cat "$f" > /dev/null # into the page cache

measure() { # label, then the options
    label="$1"
    shift
    : > "$work/runs.txt"
    rss=0
    i=0
    while [ "$i" -lt "$runs" ]; do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" \
            "$build/linreg" fit -q --format json -y y -x "$xs" "$@" "$f" > /dev/null
        read -r t u s m < "$work/time.txt"
        echo "$t $u $s" >> "$work/runs.txt"
        [ "$m" -gt "$rss" ] && rss="$m"
        i=$((i + 1))
    done
    sort -n "$work/runs.txt" | awk -v label="$label" -v rss="$rss" \
        '{t[NR] = $1; c[NR] = $2 + $3; all = all " " $1}
         END {m = int((NR + 1) / 2)
              printf "%-40s %6.2f s wall %6.2f s CPU %8d KiB   (runs:%s)\n", label, t[m], c[m], rss, all}'
}

xs=$(seq -s, -f 'x%g' 1 20)
echo "linreg fit on $f ($(nproc) cores), median of $runs runs, peak RSS"
measure "json (one pass)"
measure "--vcov HC1 (second pass)"             --vcov HC1
measure "--vcov CL --cluster g (1,000)"        --vcov CL --cluster g
measure "--vcov CL --cluster firm (10,000)"    --vcov CL --cluster firm
measure "--vcov CL --cluster g,firm (two-way)" --vcov CL --cluster g,firm
