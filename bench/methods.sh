#!/bin/sh
# Wall time of each --method on a 1,000,000-row × 20-predictor fit (17 significant
# digits, header y,x1..x20), median of 5 runs, file in the page cache. The target
# of issue #4: the default (auto) no more than 1.5× the time of --method inverse
# where no refinement is needed (here n (p + 2)^2 = 4.8e8 exceeds the size of the
# extended-precision pass, so auto stays in double precision).
# One pass (--format json): the text summary's second pass, for the residual
# quantiles, costs the same for every method.
#
# usage: bench/methods.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init methods "$@"
f=$(bench_data 1000000 20)

now() { date +%s.%N; }

printf '%-10s %10s %10s\n' method "median s" "vs inverse"
inv=""
for m in inverse auto qr cholesky svd naive; do
    t=$(for i in 1 2 3 4 5; do
            s=$(now); "$build/linreg" fit -q -y y --format json --method "$m" "$f" > /dev/null; e=$(now)
            awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
        done | median)
    [ -n "$inv" ] || inv="$t"
    awk -v m="$m" -v t="$t" -v i="$inv" 'BEGIN { printf "%-10s %10.3f %9.2fx\n", m, t, t / i }'
done
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
