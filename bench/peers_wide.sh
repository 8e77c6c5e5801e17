#!/bin/sh
# Wide rows against the peers (issue #20, items 2 and "done means"), paired
# rounds:
#
#   on 20,000 rows x 1,000 predictors, 100,000 x 200 and 1,000,000 x 20
#   (bench/gen_csv.c, about 410 MB each), each round runs, one after the other:
#     default      linreg fit --format json (default method, streaming QR)
#     inverse      linreg fit --format json --method inverse (Gram matrix)
#     base         $BASE fit --format json (an older linreg: before and after)
#     text         linreg fit (the text summary: a second pass for the
#                  residual quantiles)
#     R            data.table::fread + lm + summary (Debian's r-cran-data.table)
#     numpy        pandas.read_csv + numpy.linalg.lstsq (coefficients only)
#     statsmodels  pandas.read_csv + statsmodels OLS fit (coefficients,
#                  standard errors, R²)
#   (TOOLS picks some: default "default inverse text R numpy statsmodels",
#   with base after default when BASE is set; default is always run, first);
#   and prints, per tool, the median wall time, the median CPU time (user +
#   sys) and the largest peak RSS (/usr/bin/time), and the median of the
#   per-round ratios tool / linreg default (CPU time: on a shared machine a
#   busy neighbour stretches wall time, not CPU time). Then the targets.
#
# Targets (issue #20), in CPU time: on 20k x 1,000 the default at most 1.3x
# the inverse path, at least 2x faster than pandas + numpy and 4x faster than
# R, in at most 128 MiB; on 100k x 200 at most 1.2x the inverse path; on
# 1M x 20 with BASE, not slower than BASE (at most 1.05x, the noise here).
# A target missed is printed as MISS and the script exits 1 at the end.
# Needs R with data.table and /usr/bin/python3 with numpy, pandas and
# statsmodels for those tools (scripts/deps.sh does not install them: only
# this benchmark uses them).
#
# usage: [RUNS=3] [SHAPES="20000x1000 100000x200 1000000x20"] [TOOLS="..."]
#        [BASE=old/linreg] bench/peers_wide.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init peers_wide "$@"
shapes="${SHAPES:-20000x1000 100000x200 1000000x20}"
base="${BASE:-}"
tools="default"
[ -z "$base" ] || tools="$tools base"
for t in ${TOOLS:-inverse text R numpy statsmodels}; do
    case $t in default | base) ;; *) tools="$tools $t" ;; esac
done
py=/usr/bin/python3
case " $tools " in *" R "*)
    Rscript -e 'library(data.table)' > /dev/null 2>&1 || { echo "$0 needs R with data.table (apt-get install r-cran-data.table)" >&2; exit 1; } ;;
esac
case " $tools " in *" numpy "* | *" statsmodels "*)
    $py -c 'import numpy, pandas, statsmodels' 2>/dev/null || { echo "$0 needs $py with numpy, pandas, statsmodels" >&2; exit 1; } ;;
esac

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

status=0
miss() { echo "  MISS: $*"; status=1; }
# the median per-round ratio of column COL (3: wall, 4: CPU) of tool A to tool B
ratio() {
    awk -v a="$1" -v b="$2" -v c="$3" '$2 == b { d[$1] = c == 3 ? $3 : $4 + $5 } $2 == a { t[$1] = c == 3 ? $3 : $4 + $5 }
        END { for (r in t) if (r in d && d[r] > 0) printf "%.2f\n", t[r] / d[r] }' "$work/peers.txt" | median
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $shapes; do
    rows=${shape%x*}; p=${shape#*x}
    f=$(bench_data "$rows" "$p")
    : > "$work/peers.txt"
    i=0
    while [ "$i" -lt "$runs" ]; do
        for tool in $tools; do
            case $tool in
            default) set -- "$build/linreg" fit -q -y y --format json "$f" ;;
            base) set -- "$base" fit -q -y y --format json "$f" ;;
            inverse) set -- "$build/linreg" fit -q -y y --format json --method inverse "$f" ;;
            text) set -- "$build/linreg" fit -q -y y "$f" ;;
            R) set -- Rscript "$work/peer_r.R" "$f" ;;
            numpy) set -- $py "$work/peer_numpy.py" "$f" ;;
            statsmodels) set -- $py "$work/peer_statsmodels.py" "$f" ;;
            *) echo "$0: unknown tool $tool" >&2; exit 2 ;;
            esac
            /usr/bin/time -f "%e %U %S %M" -o "$work/t.txt" "$@" > /dev/null 2> "$work/err.txt" ||
                { echo "$tool failed:"; cat "$work/err.txt"; exit 1; }
            echo "$i $tool $(cat "$work/t.txt") $(cut -d' ' -f1 /proc/loadavg)" >> "$work/peers.txt"
        done
        i=$((i + 1))
    done
    echo
    echo "${rows} x ${p} ($(du -mL "$f" | cut -f1) MB), $runs paired rounds, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-12s %9s %9s %12s %16s %16s\n' tool "wall s" "CPU s" "peak MiB" "CPU / default" "wall / default"
    for tool in $tools; do
        w=$(awk -v t=$tool '$2 == t { print $3 }' "$work/peers.txt" | median)
        c=$(awk -v t=$tool '$2 == t { print $4 + $5 }' "$work/peers.txt" | median)
        m=$(awk -v t=$tool '$2 == t { print $6 / 1024 }' "$work/peers.txt" | largest)
        printf '%-12s %9s %9s %12.0f %16s %16s\n' $tool "$w" "$c" "$m" "$(ratio $tool default 4)" "$(ratio $tool default 3)"
    done
    echo "  per round (round tool wall user sys KiB load):"
    sed 's/^/    /' "$work/peers.txt"
    has() { case " $tools " in *" $1 "*) return 0 ;; esac; return 1; }
    # the targets, from the per-round CPU ratios
    above() { awk -v r="$1" -v m="$2" 'BEGIN { exit !(r > m) }'; }
    case $shape in
    20000x1000)
        if has inverse; then r=$(ratio default inverse 4); above "$r" 1.3 && miss "20k x 1,000: default ${r}x inverse (target <= 1.3x)"; fi
        if has numpy; then r=$(ratio numpy default 4); above 2 "$r" && miss "20k x 1,000: numpy only ${r}x the default (target >= 2x)"; fi
        if has R; then r=$(ratio R default 4); above 4 "$r" && miss "20k x 1,000: R only ${r}x the default (target >= 4x)"; fi
        m=$(awk '$2 == "default" { print $6 / 1024 }' "$work/peers.txt" | largest)
        above "$m" 128 && miss "20k x 1,000: peak RSS $m MiB (target <= 128 MiB)" ;;
    100000x200)
        if has inverse; then r=$(ratio default inverse 4); above "$r" 1.2 && miss "100k x 200: default ${r}x inverse (target <= 1.2x)"; fi ;;
    1000000x20)
        if has base; then r=$(ratio default base 4); above "$r" 1.05 && miss "1M x 20: default ${r}x BASE (target: no regression)"; fi ;;
    esac
    true
done
exit $status
