#!/bin/sh
# Time against the number of predictors p at a fixed file size (issue #20,
# item 2): for p = 20 ... 2,000, a CSV of about MB megabytes (default 100;
# rows = MB·10⁶ / (20.4 (p + 1)), bench/gen_csv.c writes ~20.4 bytes a cell),
# fitted in RUNS paired rounds (default 3) by
#   linreg fit --format json                    (default: streaming QR)
#   linreg fit --format json --method inverse   (Gram matrix)
#   pandas.read_csv + numpy.linalg.lstsq
# Writes WORK_DIR/wide_curve.csv (p, rows, MB, and per tool the median wall
# and CPU seconds, user + sys, of /usr/bin/time) and prints it; then
# bench/plot_wide_curve.py draws docs/wide_curve.svg from it.
#
# usage: [RUNS=3] [MB=100] [PS="20 50 100 200 500 1000 2000"] bench/wide_curve.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init wide_curve "$@"
mb="${MB:-100}"
ps="${PS:-20 50 100 200 500 1000 2000}"
py=/usr/bin/python3
$py -c 'import numpy, pandas' 2>/dev/null || { echo "$0 needs $py with numpy and pandas" >&2; exit 1; }
cat > "$work/curve_numpy.py" <<'PY'
import sys, numpy as np, pandas as pd
d = pd.read_csv(sys.argv[1])
y = d.pop("y").to_numpy()
X = np.column_stack([np.ones(len(y)), d.to_numpy()])
np.linalg.lstsq(X, y, rcond=None)
PY

out="$work/wide_curve.csv"
echo "# $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average at start $(cut -d' ' -f1-3 /proc/loadavg); $runs paired rounds, medians" > "$out"
echo "p,rows,MB,default_wall,default_cpu,inverse_wall,inverse_cpu,numpy_wall,numpy_cpu" >> "$out"
for p in $ps; do
    rows=$(awk -v mb="$mb" -v p="$p" 'BEGIN { printf "%d", mb * 1e6 / (20.4 * (p + 1)) }')
    f=$(bench_data "$rows" "$p")
    : > "$work/curve.txt"
    i=0
    while [ "$i" -lt "$runs" ]; do
        for tool in default inverse numpy; do
            case $tool in
            default) set -- "$build/linreg" fit -q -y y --format json "$f" ;;
            inverse) set -- "$build/linreg" fit -q -y y --format json --method inverse "$f" ;;
            numpy) set -- $py "$work/curve_numpy.py" "$f" ;;
            esac
            /usr/bin/time -f "%e %U %S" -o "$work/t.txt" "$@" > /dev/null
            echo "$tool $(cat "$work/t.txt")" >> "$work/curve.txt"
        done
        i=$((i + 1))
    done
    line="$p,$rows,$(du -mL "$f" | cut -f1)"
    for tool in default inverse numpy; do
        w=$(awk -v t=$tool '$1 == t { print $2 }' "$work/curve.txt" | median)
        c=$(awk -v t=$tool '$1 == t { print $3 + $4 }' "$work/curve.txt" | median)
        line="$line,$w,$c"
    done
    echo "$line" >> "$out"
    rm -f "$f"
done
echo "# load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
cat "$out"
