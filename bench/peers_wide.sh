#!/bin/sh
# Wide rows against the peers (issue #20, item 2), paired rounds:
#
#   on 20,000 rows x 1,000 predictors and 100,000 x 200 (bench/gen_csv.c,
#   about 410 MB each), each round runs, one after the other:
#     linreg fit --format json (default method, streaming QR),
#     linreg fit --format json --method inverse (Gram matrix),
#     R: data.table::fread + lm + summary (Debian's r-cran-data.table),
#     pandas.read_csv + numpy.linalg.lstsq (coefficients only),
#     pandas.read_csv + statsmodels OLS fit (coefficients, standard errors, R²);
#   and prints, per tool, the median wall time, the median CPU time (user +
#   sys) and the largest peak RSS (/usr/bin/time), and the median of the
#   per-round ratios tool / linreg default (CPU time: on a shared machine a
#   busy neighbour stretches wall time, not CPU time).
#
# Targets (issue #20) on 20k x 1,000: the default at least 2x faster than
# pandas + numpy and 4x faster than R; at most 1.3x the inverse path (1.2x on
# 100k x 200). Needs R with data.table and /usr/bin/python3 with numpy,
# pandas and statsmodels (scripts/deps.sh does not install them: only this
# benchmark uses them).
#
# usage: [RUNS=3] [SHAPES="20000x1000 100000x200"] bench/peers_wide.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init peers_wide "$@"
shapes="${SHAPES:-20000x1000 100000x200}"
py=/usr/bin/python3
Rscript -e 'library(data.table)' > /dev/null 2>&1 || { echo "$0 needs R with data.table (apt-get install r-cran-data.table)" >&2; exit 1; }
$py -c 'import numpy, pandas, statsmodels' 2>/dev/null || { echo "$0 needs $py with numpy, pandas, statsmodels" >&2; exit 1; }

cat > "$work/peer_numpy.py" <<'PY'
import sys, numpy as np, pandas as pd
d = pd.read_csv(sys.argv[1])
y = d.pop("y").to_numpy()
X = np.column_stack([np.ones(len(y)), d.to_numpy()])
b = np.linalg.lstsq(X, y, rcond=None)[0]
print(b[:3])
PY
cat > "$work/peer_statsmodels.py" <<'PY'
import sys, pandas as pd, statsmodels.api as sm
d = pd.read_csv(sys.argv[1])
y = d.pop("y")
f = sm.OLS(y, sm.add_constant(d)).fit()
print(f.params.iloc[:3].values, f.bse.iloc[:3].values, f.rsquared)
PY
cat > "$work/peer_r.R" <<'RS'
suppressMessages(library(data.table))
d <- fread(commandArgs(TRUE)[1])
s <- summary(lm(y ~ ., data = d))
print(head(coef(s), 3))
RS


echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $shapes; do
    rows=${shape%x*}; p=${shape#*x}
    f=$(bench_data "$rows" "$p")
    : > "$work/peers.txt"
    i=0
    while [ "$i" -lt "$runs" ]; do
        for tool in default inverse R numpy statsmodels; do
            case $tool in
            default) set -- "$build/linreg" fit -q -y y --format json "$f" ;;
            inverse) set -- "$build/linreg" fit -q -y y --format json --method inverse "$f" ;;
            R) set -- Rscript "$work/peer_r.R" "$f" ;;
            numpy) set -- $py "$work/peer_numpy.py" "$f" ;;
            statsmodels) set -- $py "$work/peer_statsmodels.py" "$f" ;;
            esac
            /usr/bin/time -f "%e %U %S %M" -o "$work/t.txt" "$@" > /dev/null 2> "$work/err.txt" ||
                { echo "$tool failed:"; cat "$work/err.txt"; exit 1; }
            echo "$i $tool $(cat "$work/t.txt")" >> "$work/peers.txt"
        done
        i=$((i + 1))
    done
    echo
    echo "${rows} x ${p} ($(du -mL "$f" | cut -f1) MB), $runs paired rounds, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-12s %9s %9s %12s %16s %16s\n' tool "wall s" "CPU s" "peak MiB" "CPU / default" "wall / default"
    for tool in default inverse R numpy statsmodels; do
        awk -v t=$tool '$2 == t { print $3 }' "$work/peers.txt" > "$work/w.txt"
        awk -v t=$tool '$2 == t { print $4 + $5 }' "$work/peers.txt" > "$work/c.txt"
        awk -v t=$tool '$2 == t { print $6 / 1024 }' "$work/peers.txt" > "$work/m.txt"
        # per-round ratios against the default of the same round
        cr=$(awk -v t=$tool '$2 == "default" { c[$1] = $4 + $5; w[$1] = $3 } $2 == t { tc[$1] = $4 + $5; tw[$1] = $3 }
             END { for (r in tc) printf "%.2f\n", tc[r] / c[r] }' "$work/peers.txt" | median)
        wr=$(awk -v t=$tool '$2 == "default" { w[$1] = $3 } $2 == t { tw[$1] = $3 }
             END { for (r in tw) printf "%.2f\n", tw[r] / w[r] }' "$work/peers.txt" | median)
        printf '%-12s %9s %9s %12.0f %16s %16s\n' $tool "$(median < "$work/w.txt")" "$(median < "$work/c.txt")" \
            "$(largest < "$work/m.txt")" "$cr" "$wr"
    done
done
