#!/bin/sh
# Scaling figures (issue 16, item 6) for docs/scaling.md's model of N nodes:
#
#   1. one process on the 1,000,000-row × 20-predictor file of bench/gen_csv.c
#      (428 MB), the per-node rate: `linreg fit --format json` (one pass) on
#      1 thread and on every core, and what rank 0 adds after the first pass:
#      the text summary (its residual quantiles: a second pass), --vcov HC1
#      (a second pass), --residuals FILE (a second pass and n rows written);
#      and the 100,000 × 200 file of section 3 on 1 thread.
#      Runs interleaved, RUNS rounds (default 3), medians of wall and CPU
#      (user + system) time, the largest peak RSS.
#   2. the merge cost per partial as the number of parts p grows: the same file
#      split into p = 20, 200, 2,000 files of equal rows (each with the
#      header), `linreg fit --save-partial` on each (xargs -P cores, -t 1),
#      then `linreg merge -t 1 --format json` of the p parts (no --data: the
#      merge alone), RUNS interleaved rounds; the bytes of a part (what a rank
#      or a task sends); and the merged JSON against `linreg fit` of the p files
#      (with --data, byte for byte).
#   2b. what the merging process pays for a second pass over rows another
#      process read (linreg merge --data parses them again): the 20 parts'
#      merge with the text summary and with --vcov HC1, against none.
#   3. the same for a wide file: 100,000 rows × 200 predictors (411 MB), since
#      a part holds a (k + 1)² triangle for k accumulator columns.
#   4. with an MPI build (build-mpi/linreg, or $LINREG_MPI_BIN): 1 and 2 ranks
#      (`mpirun --oversubscribe -n N`) on the 1M file and on its 20 parts of
#      section 2 (the chunks of the files split among the ranks), text and
#      JSON, time and output against one process; skipped with a message
#      without one. (What rank 1 sends, its chunk records, is not counted here:
#      docs/scaling.md gives a measured figure.)
#
# The split files and parts (about 3 GB) stay in WORK_DIR/scaling for the
# next run; delete it to start again. Run from anywhere; builds linreg in
# BUILD_DIR if needed.
#
# usage: [LINREG_MPI_BIN=path] [RUNS=3] bench/scaling.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
. bench/common.sh
bench_init scaling "$@"
linreg="$build/linreg"
cores=$(nproc)
sdir="$work/scaling"
mkdir -p "$sdir"

# "wall cpu rss_kib" of one run (cpu = user + system, of the command and
# its waited-for children)
run() {
    /usr/bin/time -f "%e %U %S %M" -o "$sdir/t.txt" "$@" > /dev/null 2> "$sdir/err.txt" ||
        { cat "$sdir/err.txt" >&2; echo "FAIL: $*" >&2; exit 1; }
    awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$sdir/t.txt"
}

# record LABEL COMMAND...: run COMMAND and append "LABEL wall cpu rss" to
# $sdir/runs.txt (run is not in a command substitution, so a failure stops
# the script)
record() {
    label="$1"
    shift
    run "$@" > "$sdir/one.txt"
    echo "$label $(cat "$sdir/one.txt")" >> "$sdir/runs.txt"
}

# summarise LABEL: the rows of $sdir/runs.txt labelled LABEL ("label wall
# cpu rss") as "median wall, median cpu, largest rss (MiB)"
summarise() {
    w=$(awk -v l="$1" '$1 == l { print $2 }' "$sdir/runs.txt" | median)
    c=$(awk -v l="$1" '$1 == l { print $3 }' "$sdir/runs.txt" | median)
    m=$(awk -v l="$1" '$1 == l { print $4 }' "$sdir/runs.txt" | largest)
    echo "$w $c $(awk -v m="$m" 'BEGIN { printf "%.1f", m / 1024 }')"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

f=$(bench_data 1000000 20)
# sizes in MB of 10^6 bytes
size_mb() { wc -c < "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }
mb=$(size_mb "$f")
fw=$(bench_data 100000 200)
echo "machine: $cores cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(date -u '+%Y-%m-%d %H:%M UTC')"

echo "== 1. one process, 1,000,000 rows x 20 predictors ($mb MB), $runs rounds, load average $(load)"
: > "$sdir/runs.txt"
i=0
while [ "$i" -lt "$runs" ]; do
    record json-t1 "$linreg" fit -q -t 1 -y y --format json "$f"
    record json "$linreg" fit -q -y y --format json "$f"
    record text "$linreg" fit -q -y y "$f"
    record hc1 "$linreg" fit -q -y y --format json --vcov HC1 "$f"
    record wide-t1 "$linreg" fit -q -t 1 -y y --format json "$fw"
    record residuals "$linreg" fit -q -y y --format json --residuals "$sdir/res.csv" "$f"
    i=$((i + 1))
done
res_mb=$(size_mb "$sdir/res.csv")
rm -f "$sdir/res.csv"
printf '%-44s %8s %8s %10s %10s\n' "" "wall s" "CPU s" "RSS MiB" "MB/CPU-s"
for l in json-t1 json text hc1 residuals wide-t1; do
    m="$mb"
    case $l in
    json-t1) d="fit --format json -t 1 (one pass)" ;;
    json) d="fit --format json -t $cores (one pass)" ;;
    text) d="fit, text summary (quantiles: 2nd pass)" ;;
    hc1) d="fit --format json --vcov HC1 (2nd pass)" ;;
    residuals) d="fit --format json --residuals ($res_mb MB)" ;;
    wide-t1) d="100,000 x 200 ($(size_mb "$fw") MB), json -t 1"; m=$(size_mb "$fw") ;;
    esac
    set -- $(summarise "$l")
    printf '%-44s %8s %8s %10s %10.0f\n' "$d" "$1" "$2" "$3" "$(awk -v m="$m" -v c="$2" 'BEGIN { print m / c }')"
done
echo "load average after: $(load)"

# split_parts FILE P DIR: FILE's rows in P files DIR/fNNNN.csv of equal rows
# (the last may be shorter), each with FILE's header, and their partial fits
# DIR/fNNNN.lrp (their CPU time in DIR/save_time.txt); made once (DIR/done).
split_parts() {
    if [ ! -e "$3/done" ]; then
        rm -rf "$3"
        mkdir -p "$3"
        rows=$(($(wc -l < "$1") - 1))
        hdr=$(head -n 1 "$1")
        export hdr
        tail -n +2 "$1" | split -l $(((rows + $2 - 1) / $2)) -d -a 4 --additional-suffix=.csv \
            --filter='{ printf "%s\n" "$hdr"; cat; } > "$FILE"' - "$3/f"
        # the partial fits, one process per file, one thread each
        ls "$3"/f*.csv | /usr/bin/time -f "%e %U %S" -o "$3/save_time.txt" xargs -P "$cores" -n 1 \
            sh -c '"$0" fit -q -t 1 -y y --save-partial "${1%.csv}.lrp" "$1"' "$linreg"
        [ "$(ls "$3"/f*.lrp | wc -l)" -eq "$2" ] || { echo "FAIL: $3: not $2 parts" >&2; exit 1; }
        touch "$3/done"
    fi
}

# merge_costs FILE NAME P...: section 2 or 3 for FILE
merge_costs() {
    mf="$1"
    name="$2"
    shift 2
    ps="$*"
    for p in $ps; do split_parts "$mf" "$p" "$sdir/${name}_$p"; done
    : > "$sdir/runs.txt"
    i=0
    while [ "$i" -lt "$runs" ]; do
        for p in $ps; do
            # a merge of few parts takes milliseconds, below time's 10 ms:
            # 2000/p merges a measurement, the figures per merge
            reps=$(((2000 + p - 1) / p))
            run sh -c 'i=0; while [ "$i" -lt "$0" ]; do "$@" > /dev/null || exit 1; i=$((i + 1)); done' \
                "$reps" "$linreg" merge -q -t 1 --format json "$sdir/${name}_$p"/f*.lrp > "$sdir/one.txt"
            set -- $(cat "$sdir/one.txt")
            echo "$p $(awk -v w="$1" -v c="$2" -v r="$reps" 'BEGIN { printf "%.1f %.1f", w / r * 1000, c / r * 1000 }') $3" \
                >> "$sdir/runs.txt"
        done
        i=$((i + 1))
    done
    printf '%6s %11s %11s %11s %8s %8s %9s %13s %13s\n' p "part bytes" "all parts" "save CPU s" \
        "merge ms" "CPU ms" "RSS MiB" "CPU/part ms" "marginal ms"
    prev_p=""
    prev_c=""
    for p in $ps; do
        d="$sdir/${name}_$p"
        bytes=$(ls -l "$d"/f*.lrp | awk '{ s += $5; if (min == "" || $5 < min) min = $5; if ($5 > max) max = $5 }
                                          END { printf "%d %d %d", min, max, s }')
        set -- $bytes
        pb="$1"
        [ "$1" = "$2" ] || pb="$1-$2"
        total=$(awk -v s="$3" 'BEGIN { printf "%.1f MB", s / 1e6 }')
        save=$(awk '{ printf "%.1f", $2 + $3 }' "$d/save_time.txt")
        set -- $(summarise "$p")
        per=$(awk -v c="$2" -v p="$p" 'BEGIN { printf "%.3f", c / p }')
        marg="-"
        [ -z "$prev_p" ] || marg=$(awk -v c="$2" -v pc="$prev_c" -v p="$p" -v pp="$prev_p" \
            'BEGIN { printf "%.3f", (c - pc) / (p - pp) }')
        printf '%6s %11s %11s %11s %8s %8s %9s %13s %13s\n' "$p" "$pb" "$total" "$save" "$1" "$2" "$3" "$per" "$marg"
        prev_p="$p"
        prev_c="$2"
    done
    echo "(merge: median of $runs, -t 1, each the mean of 2000/p merges in a row; RSS the largest;"
    echo " CPU/part: merge CPU / p; marginal: the extra merge CPU per extra part from the row above;"
    echo " save CPU: all p save-partial processes, $cores at a time; load average $(load))"
    for p in $ps; do
        d="$sdir/${name}_$p"
        a=$("$linreg" merge -q --format json "$d"/f*.lrp --data "$d"/f*.csv | sha256sum | cut -c1-16)
        b=$("$linreg" fit -q -y y --format json "$d"/f*.csv | sha256sum | cut -c1-16)
        [ "$a" = "$b" ] || { echo "FAIL: p = $p: merge --data $a, fit $b" >&2; exit 1; }
        echo "p = $p: linreg merge --data and linreg fit of the $p files print the same JSON ($a)"
    done
}

echo "== 2. the merge of p parts of the same $mb MB (1,000,000 x 20: k = 22 accumulator columns)"
merge_costs "$f" narrow 20 200 2000

# what the merging process (rank 0) pays for the second pass when another
# process read the rows: linreg merge --data parses the files again
d="$sdir/narrow_20"
echo "== 2b. the second pass where the rows were read elsewhere: linreg merge of the 20 parts, $runs rounds"
: > "$sdir/runs.txt"
i=0
while [ "$i" -lt "$runs" ]; do
    record m-json "$linreg" merge -q --format json "$d"/f*.lrp
    record m-text "$linreg" merge -q "$d"/f*.lrp --data "$d"/f*.csv
    record m-hc1 "$linreg" merge -q --format json --vcov HC1 "$d"/f*.lrp --data "$d"/f*.csv
    record f-text "$linreg" fit -q -y y "$d"/f*.csv
    i=$((i + 1))
done
printf '%-52s %8s %8s %10s %10s\n' "" "wall s" "CPU s" "RSS MiB" "MB/CPU-s"
for l in m-json m-text m-hc1 f-text; do
    case $l in
    m-json) t="merge --format json (no rows read)" ;;
    m-text) t="merge --data FILES (text summary: quantiles)" ;;
    m-hc1) t="merge --format json --vcov HC1 --data FILES" ;;
    f-text) t="fit of the 20 files, text summary (for comparison)" ;;
    esac
    set -- $(summarise "$l")
    printf '%-52s %8s %8s %10s %10s\n' "$t" "$1" "$2" "$3" "$(awk -v m="$mb" -v c="$2" 'BEGIN { if (c > 0) printf "%.0f", m / c; else print "-" }')"
done
echo "(-t $cores; MB/CPU-s: the $mb MB over the CPU time; load average $(load))"

echo "== 3. the same, wide: 100,000 rows x 200 predictors ($(size_mb "$fw") MB, k = 202)"
merge_costs "$fw" wide 20 200 2000

echo "== 4. MPI: 1 and 2 ranks on the 1,000,000-row file, and on its 20 parts of section 2"
mpi_bin="${LINREG_MPI_BIN:-build-mpi/linreg}"
if [ ! -x "$mpi_bin" ]; then
    echo "no MPI build ($mpi_bin): build one with cmake -DLINREG_MPI=ON, or set LINREG_MPI_BIN; skipped"
    exit 0
fi
command -v mpirun > /dev/null || { echo "no mpirun (apt-get install openmpi-bin); skipped"; exit 0; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
d="$sdir/narrow_20"
for fmt in json text; do
    for n in 1 2; do
        for set in one twenty; do
            if [ "$set" = one ]; then files="$f"; else files=$(ls "$d"/f*.csv); fi
            a=$(mpirun --oversubscribe -n "$n" "$mpi_bin" fit -q -y y --format "$fmt" $files | sha256sum | cut -c1-16)
            b=$("$linreg" fit -q -y y --format "$fmt" $files | sha256sum | cut -c1-16)
            [ "$a" = "$b" ] || { echo "FAIL: $fmt, $set, $n ranks: $a, one process: $b" >&2; exit 1; }
        done
    done
done
echo "1 and 2 ranks print what one process prints (text and JSON, the file and its 20 parts)"
: > "$sdir/runs.txt"
i=0
while [ "$i" -lt "$runs" ]; do
    for set in one twenty; do
        if [ "$set" = one ]; then files="$f"; else files=$(ls "$d"/f*.csv); fi
        record "$set-plain" "$mpi_bin" fit -q -y y --format json $files
        for fmt in json text; do
            record "$set-n1-$fmt" mpirun --oversubscribe -n 1 "$mpi_bin" fit -q -y y --format "$fmt" $files
            # 2 ranks, each also under time: what rank 0 and rank 1 spend
            # (a rank that waits polls, Open MPI's default, and that counts)
            record "$set-n2-$fmt" mpirun --oversubscribe -n 2 sh -c \
                '/usr/bin/time -f "%e %U %S %M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$sdir/rank" \
                "$mpi_bin" fit -q -y y --format "$fmt" $files
            for r in 0 1; do
                echo "$set-r$r-$fmt $(awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$sdir/rank.$r")" >> "$sdir/runs.txt"
            done
        done
    done
    i=$((i + 1))
done
printf '%-52s %8s %8s %10s\n' "" "wall s" "CPU s" "RSS MiB"
for set in one twenty; do
    for l in plain n1-json n2-json r0-json r1-json n1-text n2-text r0-text r1-text; do
        case $set in one) t="1 file" ;; *) t="20 files" ;; esac
        case $l in
        plain) t="$t, no mpirun, json" ;;
        n1-*) t="$t, mpirun -n 1, ${l#*-}" ;;
        n2-*) t="$t, mpirun -n 2, ${l#*-}" ;;
        r0-*) t="   of which rank 0" ;;
        r1-*) t="   of which rank 1" ;;
        esac
        set -- $(summarise "$set-$l")
        printf '%-52s %8s %8s %10s\n' "$t" "$1" "$2" "$3"
    done
done
echo "(-t $cores on every rank; CPU: mpirun and its ranks; RSS: the largest process; load average $(load))"
