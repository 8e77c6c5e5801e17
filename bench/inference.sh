#!/bin/sh
# What the inference options cost on the 1,000,000-row × 20-predictor file of
# bench/gen_csv.c (issue 18): wall time (median of RUNS, default 3) of
#   linreg fit --format json                      one pass (the baseline)
#   ... --anova                                   no further pass: from the factor
#   ... --vif --test 'x1 = x2; x3 + x4 = 1'       no further pass: from (X'X)^-1
#   ... --vcov HC1                                one more pass (the meat)
#   ... --vcov HAC --lag 4                        one more pass, in file order
# and the peak RSS of each, by /usr/bin/time.
#
# usage: bench/inference.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init inference "$@"
f=$(bench_data 1000000 20)

measure() { # label, then the options
    label="$1"
    shift
    times=""
    rss=0
    i=0
    while [ "$i" -lt "$runs" ]; do
        /usr/bin/time -f "%e %M" -o "$work/time.txt" \
            "$build/linreg" fit -q --format json "$@" "$f" > /dev/null
        read -r t m < "$work/time.txt"
        times="$times $t"
        [ "$m" -gt "$rss" ] && rss="$m"
        i=$((i + 1))
    done
    med=$(printf '%s\n' $times | median)
    printf '%-40s %8s s %10s KiB   (runs:%s)\n' "$label" "$med" "$rss" "$times"
}

echo "linreg fit on $f ($(nproc) cores), median of $runs runs, peak RSS"
measure "json (one pass)"
measure "--anova"                                    --anova
measure "--vif --test"                               --vif --test 'x1 = x2; x3 + x4 = 1'
measure "--vcov HC1 (second pass)"                   --vcov HC1
measure "--vcov HAC --lag 4 (second pass, ordered)"  --vcov HAC --lag 4
