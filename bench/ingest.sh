#!/bin/sh
# Ingestion speed and memory (issue #5), everything measured in the same run:
#
#   1. a 1,000,000-row × 20-predictor CSV (17 significant digits, header
#      y,x1..x20, bench/gen_csv.c) fitted by `linreg fit` (text summary: two
#      passes; JSON: one), by R's
#      data.table::fread + lm + summary, and by a plain C loop of fgets + strtod
#      + cblas_dsyr (the floor to beat): wall time (median of runs), peak RSS;
#   2. 10,000,000 rows through standard input (the 1M file's data rows sent ten
#      times by cat, the header once), one pass: peak RSS, wall time per row,
#      and linreg's own CPU time per row (cat's pipe copies share the cores);
#   3. the coefficients for --threads 1, 2 and 4, which must be bit-identical;
#   4. every cell of the 1M file converted by linreg's parser against strtod;
#   5. what a page fault costs here, and the parser cache-hot and cold
#      (bench/probe.c: why the chunks are 1 MiB and read, not mapped).
#
# R and data.table are installed with apt-get when run as root (or with sudo);
# otherwise that column is skipped with a message.
#
# usage: bench/ingest.sh [BUILD_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init ingest "$@"
cc -O2 -o "$work/floor_strtod" bench/floor_strtod.c $(pkg-config --cflags --libs openblas)
cc -O2 -Iinclude -I"$build/include" -Isrc -o "$work/check_parse" bench/check_parse.c "$build/liblinreg.a" \
    $(pkg-config --libs openblas lapacke mpfr zlib jansson) -lgsl -lm -lpthread
cc -O2 -Iinclude -I"$build/include" -Isrc -o "$work/probe" bench/probe.c "$build/liblinreg.a" \
    $(pkg-config --libs openblas lapacke mpfr zlib jansson) -lgsl -lm -lpthread

f=$(bench_data 1000000 20)

have_r=0
if ! Rscript -e 'suppressMessages(library(data.table))' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        echo "installing R and data.table (r-base-core r-cran-data.table) ..." >&2
        $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq r-base-core r-cran-data.table >/dev/null
    fi
fi
Rscript -e 'suppressMessages(library(data.table))' >/dev/null 2>&1 && have_r=1
[ "$have_r" = 1 ] || echo "R with data.table is not available: install r-base-core r-cran-data.table to compare" >&2

# wall seconds, peak RSS (MB) and CPU seconds (user + system) of a command, via /usr/bin/time
measure() { /usr/bin/time -f "%e %M %U %S" -o "$work/t.txt" "$@" > "$work/out.txt" 2>/dev/null; awk '{ printf "%s %.1f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$work/t.txt"; }

echo "== 1,000,000 rows x 20 predictors, $(du -m "$f" | cut -f1) MB"
# the text summary (the default) reads the file twice, the second time for the
# residuals' quantiles, as summary.lm prints them; JSON reads it once
lt=""; lm=""; jt=""; jm=""; jc=""
for i in 1 2 3 4 5; do
    set -- $(measure "$build/linreg" fit -q -y y "$f")
    lt="$lt $1"; lm="$lm $2"
    set -- $(measure "$build/linreg" fit -q -y y --format json "$f")
    jt="$jt $1"; jm="$jm $2"; jc="$jc $3"
done
c_json=$(echo $jc | tr ' ' '\n' | median)
t_linreg=$(echo $lt | tr ' ' '\n' | median); rss_linreg=$(echo $lm | tr ' ' '\n' | sort -n | tail -1)
t_json=$(echo $jt | tr ' ' '\n' | median); rss_json=$(echo $jm | tr ' ' '\n' | sort -n | tail -1)

ft=""
for i in 1 2 3; do ft="$ft $("$work/floor_strtod" "$f" | cut -d' ' -f1)"; done
t_floor=$(echo $ft | tr ' ' '\n' | median)

t_r=NA; rss_r=NA
if [ "$have_r" = 1 ]; then
    cat > "$work/fread_lm.R" <<EOF
suppressMessages(library(data.table))
setDTthreads(0)
t0 <- Sys.time()
d <- fread("$f")
s <- summary(lm(y ~ ., data = d))
cat(sprintf("%.3f\n", as.numeric(Sys.time() - t0, units = "secs")))
EOF
    rt=""; rm=""
    for i in 1 2 3; do
        set -- $(measure Rscript "$work/fread_lm.R")
        rt="$rt $(cat "$work/out.txt")"; rm="$rm $2"
    done
    t_r=$(echo $rt | tr ' ' '\n' | median); rss_r=$(echo $rm | tr ' ' '\n' | sort -n | tail -1)
fi

printf '%-36s %10s %12s\n' "" "wall s" "peak RSS MB"
printf '%-36s %10s %12s\n' "linreg fit, text summary (2 passes)" "$t_linreg" "$rss_linreg"
printf '%-36s %10s %12s\n' "linreg fit --format json (1 pass)" "$t_json" "$rss_json"
printf '%-36s %10s %12s\n' "data.table::fread + lm + summary" "$t_r" "$rss_r"
printf '%-36s %10s %12s\n' "fgets + strtod + cblas_dsyr (floor)" "$t_floor" "-"
if [ "$t_r" != NA ]; then
    awk -v r="$t_r" -v l="$t_linreg" -v j="$t_json" 'BEGIN {
        printf "linreg is %.1fx faster than fread + lm + summary with the same summary (target: 8x), %.1fx with one pass\n", r / l, r / j }'
fi
awk -v r="$rss_linreg" -v j="$rss_json" 'BEGIN { if (r > 64 || j > 64) { print "FAIL: peak RSS above 64 MB"; exit 1 } }'

echo "== 10,000,000 rows through standard input (one pass: --format json)"
body="$work/body_1000000x20.csv"
[ -s "$body" ] || tail -n +2 "$f" > "$body"
st=""; sc=""
for i in 1 2 3; do
    s=$(date +%s.%N)
    { head -n 1 "$f"; cat "$body" "$body" "$body" "$body" "$body" "$body" "$body" "$body" "$body" "$body"; } |
        /usr/bin/time -f "%M %U %S" -o "$work/t10.txt" "$build/linreg" fit -q -y y --format json - > /dev/null
    e=$(date +%s.%N)
    st="$st $(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')"
    sc="$sc $(awk '{ printf "%.2f", $2 + $3 }' "$work/t10.txt")"
done
t10=$(echo $st | tr ' ' '\n' | median)
c10=$(echo $sc | tr ' ' '\n' | median)
rss10=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/t10.txt")
awk -v t10="$t10" -v t1="$t_json" -v r="$rss10" 'BEGIN {
    printf "wall %.3f s, peak RSS %.1f MB; %.1f ns per row against %.1f ns per row for the 1M file (ratio %.2f, target <= 1.2)\n",
           t10, r, t10 / 1e7 * 1e9, t1 / 1e6 * 1e9, (t10 / 1e7) / (t1 / 1e6) }'
# cat's copies into the pipe run on the same cores: linreg's own CPU time per
# row says whether the streaming itself costs more per row
awk -v c10="$c10" -v c1="$c_json" 'BEGIN {
    printf "linreg CPU time (user + system): %.1f ns per row against %.1f ns per row for the 1M file (ratio %.2f)\n",
           c10 / 1e7 * 1e9, c1 / 1e6 * 1e9, (c10 / 1e7) / (c1 / 1e6) }'
awk -v r="$rss10" 'BEGIN { if (r > 64) { print "FAIL: peak RSS above 64 MB"; exit 1 } }'

echo "== coefficients for --threads 1, 2, 4"
for t in 1 2 4; do "$build/linreg" fit -q -t "$t" -y y --format json "$f" | sha256sum | cut -c1-16; done | uniq -c |
    awk '{ print } END { if (NR != 1) { print "FAIL: results differ between thread counts"; exit 1 } else print "bit-identical" }'

echo "== every parsed value against strtod"
"$work/check_parse" "$f"
echo "== this machine: a page fault, and the parser cache-hot and cold (bench/probe.c)"
"$work/probe" "$f"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
