#!/bin/sh
# Factors with many levels: linreg against R's summary(lm(...)) on y ~ x + g,
# g a factor of L levels in N rows (issue 14 item 2). Each case is generated
# (awk, fixed seed): the first L rows visit every level once in a scrambled
# order, the rest pick levels uniformly; y = 1 + 2 x + (level mod 17) / 10 +
# uniform noise. Times are /usr/bin/time's: wall and CPU (user + sys), the
# median of RUNS runs (default 3); the file is in the page cache. R is run
# where L N is at most R_MAX (default 2e7: one R fit of 4,000 levels in
# 10,000 rows takes minutes). 5,000 levels pass linreg's 4,096-column cap:
# the time is that of the refusal (exit 1). CASES (default "1000x2000
# 2000x10000 4000x10000 5000x10000") picks the cases.
#
# usage: [R_MAX=N] [CASES="LxN ..."] bench/wide_factor.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
build="${1:-build}"
work="${2:-${TMPDIR:-/tmp}/linreg-bench}"
runs="${3:-3}"
rmax="${R_MAX:-20000000}"
cases="${CASES:-1000x2000 2000x10000 4000x10000 5000x10000}"
mkdir -p "$work"
[ -x "$build/linreg" ] || { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build "$build" -j2 >/dev/null; }

gen() { # L N > file
    awk -v L="$1" -v N="$2" 'BEGIN { srand(1); print "y,x,g";
        for (i = 0; i < N; i++) {
            lv = i < L ? (i * 7919) % L : int(rand() * L);
            x = rand() * 2 - 1;
            printf "%.6f,%.6f,L%05d\n", 1 + 2 * x + (lv % 17) * 0.1 + (rand() - 0.5), x, lv } }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# time_runs RUNS CMD...: "wall cpu" medians; the command's exit status in $work/rc
time_runs() {
    n="$1"; shift
    : > "$work/times"
    i=0
    while [ "$i" -lt "$n" ]; do
        rc=0
        /usr/bin/time -f "%e %U %S" -o "$work/time1" "$@" > /dev/null 2> "$work/err" || rc=$?
        echo "$rc" > "$work/rc"
        tail -1 "$work/time1" >> "$work/times"
        i=$((i + 1))
    done
    w=$(awk '{ print $1 }' "$work/times" | median)
    c=$(awk '{ print $2 + $3 }' "$work/times" | median)
    echo "$w $c"
}

printf '%-8s %-7s | %-21s | %-21s | %s\n' levels rows "linreg wall / CPU s" "R wall / CPU s" "R/linreg CPU"
for case in $cases; do
    L="${case%x*}"; N="${case#*x}"
    f="$work/wide_${L}x${N}.csv"
    [ -s "$f" ] || gen "$L" "$N" > "$f"
    cat "$f" > /dev/null
    lin=$(time_runs "$runs" "$build/linreg" fit -q --format json -f 'y ~ x + g' "$f")
    lrc=$(cat "$work/rc")
    if [ "$lrc" != 0 ]; then
        printf '%-8s %-7s | %-21s | %-21s | %s\n' "$L" "$N" \
            "$(echo "$lin" | awk '{ printf "%.2f / %.2f", $1, $2 }') (exit $lrc)" "not run" "-"
        sed 's/^/    /' "$work/err" | cut -c1-150
        continue
    fi
    if [ $((L * N)) -gt "$rmax" ]; then
        printf '%-8s %-7s | %-21s | %-21s | %s\n' "$L" "$N" \
            "$(echo "$lin" | awk '{ printf "%.2f / %.2f", $1, $2 }')" "not run (L N > $rmax)" "-"
        continue
    fi
    r=$(time_runs "$runs" Rscript -e "d <- read.csv('$f'); s <- summary(lm(y ~ x + g, data = d))")
    printf '%-8s %-7s | %-21s | %-21s | %s\n' "$L" "$N" \
        "$(echo "$lin" | awk '{ printf "%.2f / %.2f", $1, $2 }')" \
        "$(echo "$r" | awk '{ printf "%.2f / %.2f", $1, $2 }')" \
        "$(echo "$lin $r" | awk '{ printf "%.1fx", $4 / $2 }')"
done
echo "linreg: $("$build/linreg" --version 2>/dev/null | head -1), $(git rev-parse --short HEAD); R: $(Rscript --version 2>&1 | head -1)"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
