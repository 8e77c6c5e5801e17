#!/bin/sh
# Wide rows at BLAS speed (issue #20, items 1 and 2), every figure from the same run:
#
#   for 20,000 rows x 1,000 predictors, 100,000 x 200 and 1,000,000 x 20 (about
#   380-410 MB each, bench/gen_csv.c), `linreg fit --format json` with the
#   default method (streaming QR) and with `--method inverse` (Gram matrix),
#   run in pairs (default, then inverse, then the next pair) so that a busy
#   machine slows both alike: wall time (median of the runs), peak RSS (the
#   largest), and the ratio default / inverse of each pair (median);
#   with BASE=path/to/an/older/linreg the older default joins each round, for
#   before and after on the same machine at the same moment;
#   then the coefficients for --threads 1, 2 and 4, which must be bit-identical.
#
# Targets (issue #20): on 20k x 1,000 the default at most 1.3x the inverse path
# and at most 128 MiB; on 100k x 200 at most 1.2x the inverse path. A target
# missed is printed as MISS and the script exits 1 after every measurement.
#
# usage: [BASE=old/linreg] [RUNS=3] bench/wide_rows.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init wide_rows "${1:-build}" "${2:-${TMPDIR:-/tmp}/linreg-bench}" # RUNS from the environment
base="${BASE:-}"

# wall seconds and peak RSS (MiB) of a command, via /usr/bin/time
measure() { /usr/bin/time -f "%e %M" -o "$work/t.txt" "$@" > /dev/null 2>&1; awk '{ printf "%s %.1f\n", $1, $2 / 1024 }' "$work/t.txt"; }

status=0
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %-22s %10s %12s %14s\n' "data" "run" "wall s" "peak RSS MiB" "ratio/inverse"
for shape in "20000 1000 1.3 128" "100000 200 1.2 -" "1000000 20 - -"; do
    set -- $shape
    rows=$1; p=$2; tmax=$3; mmax=$4
    f=$(bench_data "$rows" "$p")
    dt=""; dm=""; it=""; im=""; ratio=""; bt=""; bm=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        set -- $(measure "$build/linreg" fit -q -y y --format json "$f"); dt="$dt $1"; dm="$dm $2"; d=$1
        set -- $(measure "$build/linreg" fit -q -y y --format json --method inverse "$f"); it="$it $1"; im="$im $2"
        ratio="$ratio $(awk -v a="$d" -v b="$1" 'BEGIN { printf "%.2f", a / b }')"
        if [ -n "$base" ]; then
            set -- $(measure "$base" fit -q -y y --format json "$f"); bt="$bt $1"; bm="$bm $2"
        fi
        i=$((i + 1))
    done
    name="${rows}x${p}"
    r=$(echo $ratio | tr ' ' '\n' | median)
    rss=$(echo $dm | tr ' ' '\n' | largest)
    printf '%-14s %-22s %10s %12s %14s\n' "$name" "default (QR)" "$(echo $dt | tr ' ' '\n' | median)" "$rss" "$r"
    printf '%-14s %-22s %10s %12s %14s\n' "$name" "--method inverse" "$(echo $it | tr ' ' '\n' | median)" "$(echo $im | tr ' ' '\n' | largest)" "1"
    [ -z "$base" ] || printf '%-14s %-22s %10s %12s %14s\n' "$name" "default, BASE" "$(echo $bt | tr ' ' '\n' | median)" "$(echo $bm | tr ' ' '\n' | largest)" "-"
    echo "  pairs default/inverse:$ratio"
    if [ "$tmax" != - ] && awk -v r="$r" -v m="$tmax" 'BEGIN { exit !(r > m) }'; then
        echo "  MISS: default is ${r}x the inverse path (target <= ${tmax}x)"; status=1
    fi
    if [ "$mmax" != - ] && awk -v r="$rss" -v m="$mmax" 'BEGIN { exit !(r > m) }'; then
        echo "  MISS: peak RSS ${rss} MiB (target <= ${mmax} MiB)"; status=1
    fi
    hashes=$(for t in 1 2 4; do "$build/linreg" fit -q -t "$t" -y y --format json "$f" | sha256sum | cut -c1-16; done | sort -u | wc -l)
    if [ "$hashes" = 1 ]; then echo "  --threads 1, 2, 4: bit-identical"; else echo "  FAIL: results differ between thread counts"; status=1; fi
done
exit $status
