#!/bin/sh
# Absorbed fixed effects at scale (issue 19), measured in one run:
#
#   1. a panel of 1,000,000 rows, 5 regressors, a firm factor of 100,000
#      levels and a year factor of 20 (bench/gen_panel.awk, fixed seed: every
#      firm in 10 random years), fitted by `linreg fit -f 'y ~ x1 + ... + x5 |
#      firm + year' --format json` (no residual quantiles): wall time and peak
#      RSS by /usr/bin/time, the sweeps from the notes;
#   2. the same with -t 1 and -t 2: the coefficients must be the same bits;
#   3. the same fit saved with -o (the effects of 100,000 + 20 levels in the
#      model file), then `linreg predict` on the 1,000,000 rows and on their
#      first 1,000 (the cost of loading the model): wall time, peak RSS;
#   4. for scale, R's lm with the dummies (lm(y ~ x1 + ... + x5 +
#      factor(firm) + factor(year))) on a panel of 10,000 rows and 1,000 firms
#      (read by read.csv), and linreg on the same file: wall time, peak RSS,
#      and the largest relative difference of the five slopes.
#
# usage: bench/fixed_effects.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
build="${1:-build}"
work="${2:-${TMPDIR:-/tmp}/linreg-bench}"
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench/fixed_effects.sh needs /usr/bin/time" >&2; exit 1; }
[ -x "$build/linreg" ] || { echo "build linreg first (cmake --build $build)" >&2; exit 1; }

big="$work/panel_1000000.csv"
small="$work/panel_10000.csv"
[ -s "$big" ] || awk -v firms=100000 -v years=20 -v per=10 -v seed=19 -f bench/gen_panel.awk > "$big"
[ -s "$small" ] || awk -v firms=1000 -v years=20 -v per=10 -v seed=19 -f bench/gen_panel.awk > "$small"
cat "$big" > /dev/null # into the page cache
model='y ~ x1 + x2 + x3 + x4 + x5 | firm + year'

measure() { # label, then the command; prints wall seconds and peak RSS in MB
    label="$1"
    shift
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" > "$work/out.txt"
    set -- $(cat "$work/time.txt")
    printf '%-44s %8.2f s %8.1f MB\n' "$label" "$1" "$(echo "$2 / 1024" | bc -l)"
}

echo "== 1,000,000 rows, 5 regressors, firm (100,000 levels) + year (20) =="
for t in 2 1; do
    measure "linreg fit -t $t (json)" "$build/linreg" fit -q -t "$t" --format json -f "$model" "$big"
    cp "$work/out.txt" "$work/fe_t$t.json"
done
grep -o '"demeaned by[^"]*"' "$work/fe_t2.json" || true
python3 - "$work/fe_t1.json" "$work/fe_t2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
same = all(x["estimate"].hex() == y["estimate"].hex() and x["std_error"].hex() == y["std_error"].hex()
           for x, y in zip(a["coefficients"], b["coefficients"]))
print("-t 1 and -t 2 coefficients bit-identical:", same)
print("df_residual", a["df_residual"], " slopes", [round(c["estimate"], 6) for c in a["coefficients"]])
PY

echo "== the same model saved (--save) and predicted on the 1,000,000 rows =="
measure "linreg fit -o MODEL.json (json)" "$build/linreg" fit -q --format json -f "$model" \
    -o "$work/fe_model.json" "$big"
echo "model file: $(wc -c < "$work/fe_model.json") bytes"
measure "linreg predict (1,000,000 rows)" "$build/linreg" predict -m "$work/fe_model.json" "$big"
head -1001 "$big" > "$work/panel_head1000.csv"
measure "linreg predict (its first 1,000 rows)" "$build/linreg" predict -m "$work/fe_model.json" \
    "$work/panel_head1000.csv"

echo "== 10,000 rows, firm (1,000 levels) + year (20): linreg and R's lm with dummies =="
measure "linreg fit (json)" "$build/linreg" fit -q --format json -f "$model" "$small"
cp "$work/out.txt" "$work/fe_small.json"
if command -v Rscript > /dev/null; then
    cat > "$work/lm.R" <<'R'
d <- read.csv(commandArgs(TRUE)[1])
m <- lm(y ~ x1 + x2 + x3 + x4 + x5 + factor(firm) + factor(year), d)
cat(sprintf("%.17g", coef(m)[2:6]), "\n")
R
    measure "R lm with dummies (read.csv + lm)" Rscript "$work/lm.R" "$small"
    python3 - "$work/fe_small.json" "$work/out.txt" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
r = [float(v) for v in open(sys.argv[2]).read().split()]
d = max(abs(c["estimate"] - v) / abs(v) for c, v in zip(a["coefficients"], r))
print("largest relative difference of the slopes, linreg against lm: %.2g" % d)
PY
else
    echo "Rscript not found: the lm comparison is skipped"
fi
