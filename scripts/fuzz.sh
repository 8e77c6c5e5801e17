#!/bin/sh
# Build the libFuzzer targets of fuzz/ (clang, ASan + UBSan) in build-fuzz and
# run them one after another (never in parallel: one core stays free).
#
#   scripts/fuzz.sh brief [TARGET...]       each target for FUZZ_SECONDS (30) seconds on a
#                                           copy of its seed corpus; exit 1 on any crash (CI)
#   scripts/fuzz.sh long RUNS [TARGET...]   each target for RUNS executions, growing the corpus
#                                           kept in $LINREG_FUZZ_WORK (${TMPDIR:-/tmp}/linreg-fuzz)
#   scripts/fuzz.sh coverage [TARGET...]    build-coverage: clang source-based coverage of the
#                                           seed and grown corpora, per source file
#
# TARGET is one of csv_reader number_parse formula model_file (default: all).
# A crash, leak, timeout (10 s) or sanitizer report stops that target; its
# input is saved under the work directory and the log's summary printed.
set -eu
cd "$(dirname "$0")/.."

all_targets="csv_reader number_parse formula model_file"
work="${LINREG_FUZZ_WORK:-${TMPDIR:-/tmp}/linreg-fuzz}"
jobs=2 # build jobs; the fuzzers themselves run one at a time

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

check_targets() {
    for t in "$@"; do
        case " $all_targets " in
        *" $t "*) ;;
        *) echo "fuzz.sh: unknown target '$t'" >&2; usage ;;
        esac
    done
}

build() {
    # $1: build directory, then CMake options. Not -Werror: the warning set is
    # kept clean for gcc, and clang words a few of its checks differently.
    dir="$1"
    shift
    CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINREG_TESTS=OFF \
        "$@" >/dev/null
    tlist=""
    for t in $targets; do tlist="$tlist --target fuzz_$t"; done
    # shellcheck disable=SC2086
    cmake --build "$dir" -j"$jobs" $tlist >/dev/null
}

# The value of a libFuzzer final statistic ("stat::NAME: VALUE") in a log.
final_stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# run_target NAME CORPUS_DIR ARTIFACT_DIR LOG libFuzzer-options...
# Prints one summary line; returns 1 if the target crashed.
run_target() {
    name="$1" corpus="$2" artifacts="$3" log="$4"
    shift 4
    mkdir -p "$corpus" "$artifacts"
    start=$(date +%s)
    status=0
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "build-fuzz/fuzz/fuzz_$name" -timeout=10 -print_final_stats=1 \
        -dict="fuzz/$name.dict" -artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1 ||
        status=$?
    secs=$(($(date +%s) - start))
    execs=$(final_stat number_of_executed_units "$log")
    rate=$(final_stat average_exec_per_sec "$log")
    rss=$(final_stat peak_rss_mb "$log")
    files=$(find "$corpus" -type f | wc -l)
    crashed=$(find "$artifacts" -type f -newer "$log.start" | head -n 1)
    if [ "$status" -eq 0 ] && [ -z "$crashed" ]; then
        verdict="no crash"
    else
        verdict="CRASHED (exit $status)"
    fi
    printf '%-14s %12s execs %8s exec/s %6s s  corpus %6s files  peak %5s MB  %s\n' \
        "$name" "${execs:-?}" "${rate:-?}" "$secs" "$files" "${rss:-?}" "$verdict"
    if [ "$verdict" != "no crash" ]; then
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error|artifact_prefix|Test unit written)' \
            "$log" | head -n 12 | sed 's/^/    /'
        [ -n "$crashed" ] && echo "    input: $crashed"
        echo "    log: $log"
        return 1
    fi
    return 0
}

mode="${1:-}"
[ -n "$mode" ] || usage
shift
case "$mode" in
brief)
    check_targets "$@"
    targets="${*:-$all_targets}"
    build build-fuzz -DLINREG_FUZZ=ON
    seconds="${FUZZ_SECONDS:-30}"
    # seed copies in a temporary directory; logs and crashing inputs kept in
    # the work directory, which is removed again when nothing crashed
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/linreg-fuzz-brief.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    keep="$work/brief-$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$keep"
    failed=0
    for t in $targets; do
        mkdir -p "$tmp/corpus"
        cp -R "fuzz/corpus/$t" "$tmp/corpus/$t"
        : >"$keep/$t.log.start"
        run_target "$t" "$tmp/corpus/$t" "$keep/artifacts/$t" "$keep/$t.log" \
            -max_total_time="$seconds" || failed=1
    done
    [ "$failed" -eq 0 ] && rm -rf "$keep"
    exit "$failed"
    ;;
long)
    runs="${1:-}"
    case "$runs" in
    '' | *[!0-9]*) echo "fuzz.sh: long needs a number of runs" >&2; usage ;;
    esac
    shift
    check_targets "$@"
    targets="${*:-$all_targets}"
    build build-fuzz -DLINREG_FUZZ=ON
    mkdir -p "$work/logs"
    echo "work directory: $work"
    failed=0
    for t in $targets; do
        # the grown corpus, with the committed seeds (new regression inputs too) added
        mkdir -p "$work/corpus/$t"
        cp "fuzz/corpus/$t"/* "$work/corpus/$t/"
        log="$work/logs/$t.log"
        : >"$log.start"
        run_target "$t" "$work/corpus/$t" "$work/artifacts/$t" "$log" -runs="$runs" ||
            failed=1
    done
    exit "$failed"
    ;;
coverage)
    check_targets "$@"
    targets="${*:-$all_targets}"
    build build-coverage -DLINREG_COVERAGE=ON
    prof="$work/coverage"
    rm -rf "$prof"
    mkdir -p "$prof"
    objects=""
    for t in $targets; do
        dirs="fuzz/corpus/$t"
        [ -d "$work/corpus/$t" ] && dirs="$dirs $work/corpus/$t"
        # shellcheck disable=SC2086
        LLVM_PROFILE_FILE="$prof/$t-%p.profraw" "build-coverage/fuzz/fuzz_$t" $dirs |
            sed "s/^/fuzz_$t: /"
        if [ -z "$objects" ]; then
            objects="build-coverage/fuzz/fuzz_$t"
        else
            objects="$objects -object build-coverage/fuzz/fuzz_$t"
        fi
    done
    llvm-profdata-14 merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
    echo
    echo "Coverage of every corpus run (all targets' executables):"
    # shellcheck disable=SC2086
    llvm-cov-14 report $objects -instr-profile="$prof/all.profdata" \
        src/csv_reader.c src/number_parse.c src/formula*.c src/model_file.c
    echo
    echo "Line coverage of each target's own module by its corpus alone:"
    for t in $targets; do
        llvm-profdata-14 merge -sparse "$prof/$t"-*.profraw -o "$prof/$t.profdata"
        llvm-cov-14 report "build-coverage/fuzz/fuzz_$t" -instr-profile="$prof/$t.profdata" \
            src/"$t"*.c | awk -v t="$t" '$1 ~ /\.c$/ { print "  fuzz_" t ": " $1 " lines " $(NF-3) }'
    done
    echo "(HTML: llvm-cov-14 show $objects -instr-profile=$prof/all.profdata -format=html -output-dir=DIR)"
    ;;
*)
    usage
    ;;
esac
