#!/bin/sh
# mpi_identity.sh LINREG MPIEXEC [MAXN] — `mpirun -n N linreg fit` against one
# process, byte for byte (issue 16, item 5): for N = 1..MAXN (default 4),
# stdout, the --save model file, the --residuals file and the --plot SVG are
# the single-process run's, and an error gives the same message and exit
# code. The data are made here in a temporary directory: four files of
# about 1.4 MB (two chunks of 1 MiB each, one file per rank at N = 4; quoted
# CR LF line ends across the chunk boundary; a factor level that first
# appears in the last file; two also gzipped), one 5.6 MB file (split among
# the ranks by blocks, the quote parity exchanged) and a version with a
# 1.6 MB row. N = 3 sends each rank's records in 4 KiB pieces
# (LINREG_MPI_PIECE), so they straddle pieces and spill to a file; the
# piece_ cases do so at every N. The second pass (the text summary's
# residual quantiles, HC0..HC3, HAC, --residuals) runs on every rank's share
# too (diagnostics_share.c), so its cases check the streamed chunk records'
# fold: meat, residual rows and line numbers; and with --vcov CL its records
# carry each row's cluster keys (quoted notes with CR LF among them). The
# quantiles come from a
# selection among the ranks (each keeps its residuals; counts are summed and
# only a few buckets' values sent): exact, and from the ranks' histograms
# summed for a file of 1.1 million rows.
# Registered in CTest when built with
# -DLINREG_MPI=ON; the MPI stage of scripts/test.sh runs it.
set -u -f
L=$1
MPIEXEC=$2
MAXN=${3:-4}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d "${TMPDIR:-/tmp}/lr_mpi.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}

# Rows y,x1,x2,w,g,note from a Park-Miller generator (the same bytes with
# any awk); most bytes sit in quoted notes with CR LF inside. File f of nf;
# level "zlast" of g only in the last file's second half.
gen() {
    awk -v f="$1" -v nf=4 -v n="$2" -v s="$3" -v late="${4:-0.5}" -v bad="${5:--1}" -v bad2="${6:--1}" \
        -v long="${7:--1}" 'function r() { s = (s * 16807) % 2147483647; return s / 2147483647 }
    BEGIN {
        print "y,x1,x2,w,g,note"
        for (i = 0; i < n; i++) {
            x1 = r() * 10; x2 = r() - 0.5; w = 0.5 + r(); k = int(r() * 4)
            g = substr("abcd", k + 1, 1)
            if (f == nf - 1 && i > n * late && r() < 0.3) g = "zlast"
            y = 1 + 2 * x1 - 3 * x2 + (g == "b") * 0.5 + (g == "zlast") * 2 + r() - 0.5
            note = ""
            if (r() < 0.6) {
                note = "\"first line of a note"
                for (m = int(r() * 4); m >= 0; m--) note = note "\r\n\"\"quoted\"\", and more text"
                note = note "\""
            }
            if (i == long) { # a quoted note longer than a 1 MiB block
                xs = "x"
                while (length(xs) < 1600000) xs = xs xs
                note = "\"" xs "\r\nend\""
            }
            if (i == bad || i == bad2) printf "%.15g,abc%d,%.15g,%.6g,%s,%s\n", y, i, x2, w, g, note
            else printf "%.15g,%.15g,%.15g,%.6g,%s,%s\n", y, x1, x2, w, g, note
        }
    }'
}
for f in 0 1 2 3; do
    gen $f 12000 $((f * 1000 + 7)) >"$T/d$f.csv"
done
# errors: a bad cell in the last file's last chunk, and one in file 2
awk 'NR == 29000 { sub(/^[^,]*,[^,]*/, "1,abc") } 1' "$T/d3.csv" >"$T/e3.csv"
awk 'NR == 15000 { sub(/^[^,]*,[^,]*/, "1,oops") } 1' "$T/d1.csv" >"$T/e1.csv"
grep -q abc "$T/e3.csv" && grep -q oops "$T/e1.csv" || bad "the error files were not made"
gzip -c "$T/d0.csv" >"$T/d0.csv.gz" && gzip -c "$T/d2.csv" >"$T/d2.csv.gz" || bad "gzip failed"
# One file of 5.6 MB (six blocks: N = 2..4 split it), its level "zlast" only
# in the last 4% of the rows (the last block); with errors in the middle
# and in the last chunk, in the last chunk alone, and with a row of 2.1 MB
# (quoted, with a CR LF) across the 3 and 4 MiB boundaries (no row starts
# in block 3).
gen 3 48000 77 0.96 >"$T/big.csv"
gen 3 48000 77 0.96 24000 47990 >"$T/big_e2.csv"
gen 3 48000 77 0.96 47990 >"$T/big_e1.csv"
gen 3 48000 77 0.96 -1 -1 18000 >"$T/big_long.csv"
[ "$(wc -c <"$T/big_long.csv")" -gt 7000000 ] || bad "the long row was not made"
# 3,600 rows of 140 predictors (3.8 MB, four blocks): a model of k + 1 = 141
# columns, whose chunks fold in a chain (issue 20), and of more than 64
# variables, which rank 0's second pass evaluates from the text.
awk -v n=3600 -v p=140 'BEGIN {
    s = 4242; printf "y"; for (j = 1; j <= p; j++) printf ",x%d", j; printf "\n"
    for (i = 0; i < n; i++) {
        y = 0; line = ""
        for (j = 1; j <= p; j++) {
            s = (s * 16807) % 2147483647; v = (s % 200001 - 100000) / 1000
            y += v * ((j % 5) - 2); line = line sprintf(",%.3f", v)
        }
        s = (s * 16807) % 2147483647
        printf "%.3f%s\n", y + (s % 2001 - 1000) / 100, line
    }
}' >"$T/wide.csv"
[ "$(wc -c <"$T/wide.csv")" -gt 3200000 ] || bad "the wide file was not made"
# 1,100,000 short rows (15 MB): more observations than the exact quantiles
# keep (2^20), so the summary's 1Q, median and 3Q come from the ranks'
# histograms summed, Min and Max from their extremes.
awk 'BEGIN { s = 11; print "y,x"
    for (i = 0; i < 1100000; i++) {
        s = (s * 16807) % 2147483647; x = s / 2147483647; s = (s * 16807) % 2147483647
        printf "%.4f,%.4f\n", 1 + 2 * x + s / 2147483647, x
    }
}' >"$T/hist.csv"
[ "$(wc -l <"$T/hist.csv")" -eq 1100001 ] || bad "the histogram file was not made"
# the split means something only if a block boundary of big.csv falls in quotes
odd=0
for b in 1 2 3 4 5; do
    q=$(head -c $((b * 1048576)) "$T/big.csv" | tr -cd '"' | wc -c)
    [ $((q % 2)) -eq 1 ] && odd=$((odd + 1))
done
[ $odd -ge 1 ] || bad "no block boundary of big.csv falls inside quotes"
# the test means something only if a chunk boundary falls inside quotes
straddle=0
for f in 0 1 2 3; do
    q=$(head -c 1048576 "$T/d$f.csv" | tr -cd '"' | wc -c)
    [ $((q % 2)) -eq 1 ] && straddle=$((straddle + 1))
done
[ $straddle -ge 1 ] || bad "no 1 MiB boundary falls inside quotes"

# Eight rows in four files (one a rank at N = 4): 4 residual degrees of
# freedom, so the summary prints each residual named by its line, and the
# level z in one row of the last file: a leverage of one, which HC2's note
# names by its file and line (the second pass's lines on a rank after 0).
printf 'y,x1,g\n1,2,a\n2.5,3,b\n' >"$T/s0.csv"
printf 'y,x1,g\n3.1,4,a\n' >"$T/s1.csv"
printf 'y,x1,g\n4.2,5,b\n5.9,6,a\n' >"$T/s2.csv"
printf 'y,x1,g\n7.3,7,b\n\n8,8,z\n7.7,9,a\n' >"$T/s3.csv"

D="$T/d0.csv $T/d1.csv $T/d2.csv $T/d3.csv"
# name|options|files (outputs: -o, --residuals and --plot are added to some)
cases="text|-f y~x1+x2+g|$D
json|--format json -f y~x1+x2+g|$D
weights|-f y~x1+x2+g -w w|$D
hc0|--vcov HC0 -f y~x1+x2+g -w w|$D
hc1|--vcov HC1 -f y~x1+x2|$D
hc2|--vcov HC2 -f y~x1+x2+g|$D
hc3|--vcov HC3 -f y~x1+x2 -w w --format json|$D
outputs|-f y~x1*g+x2 -w w SAVE RESID|$D
two_files|-f y~x1+g SAVE RESID|$T/d2.csv $T/d3.csv
one_file|--format json -f y~x1+x2+g|$T/d3.csv
gzip|--format json -f y~x1+x2+g SAVE RESID|$T/d0.csv.gz $T/d1.csv $T/d2.csv.gz $T/d3.csv
error_last|-f y~x1+x2+g|$T/d0.csv $T/d1.csv $T/d2.csv $T/e3.csv
error_first|-f y~x1+x2+g|$T/d0.csv $T/e1.csv $T/d2.csv $T/e3.csv
big_text|-f y~x1+x2+g|$T/big.csv
big_json|--format json -f y~x1*g+x2 -w w|$T/big.csv
big_hc0|--vcov HC0 -f y~x1+x2+g -w w|$T/big.csv
big_hc1|--vcov HC1 -f y~x1+x2+g|$T/big.csv
big_hc2|--vcov HC2 -f y~x1+x2+g -w w|$T/big.csv
piece_big_hc3|--vcov HC3 -f y~x1+x2+g -w w RESID|$T/big.csv
hac|--vcov HAC --lag 3 -f y~x1+x2+g PLOT|$D
small|--vcov HC2 -f y~x1+g RESID|$T/s0.csv $T/s1.csv $T/s2.csv $T/s3.csv
big_outputs|-f y~x1*g+x2 -w w SAVE RESID|$T/big.csv
big_long|--vcov HC3 -f y~x1+x2+g -w w SAVE RESID|$T/big_long.csv
big_gzip|--format json -f y~x1+x2+g SAVE RESID|$T/d0.csv.gz $T/big.csv $T/d2.csv.gz $T/d1.csv
wide|--vcov HC3 -f y~. SAVE RESID|$T/wide.csv
wide_json|--format json -f y~.|$T/wide.csv $T/wide.csv
cl|--vcov CL --cluster g -f y~x1+x2 -w w SAVE RESID|$D
cl_two_way|--vcov CL --cluster g,note -f y~x1+x2+g|$T/big.csv
hist_text|-f y~x|$T/hist.csv
hist_hc1|--vcov HC1 -f y~x -w x|$T/hist.csv
error_big_middle|-f y~x1+x2+g|$T/big_e2.csv
error_big_last|-f y~x1+x2+g|$T/big_e1.csv
error_big_second|-f y~x1+x2+g|$T/d0.csv $T/big_e1.csv"

# run DIR CMD...: the options' SAVE and RESID become files in DIR
run() {
    dir=$1
    shift
    mkdir -p "$dir"
    set -- $(echo "$@" | sed "s#SAVE#-o $dir/model.json#; s#RESID#--residuals $dir/res.csv#; s#PLOT#--plot $dir/plot.svg#")
    "$@" -q </dev/null >"$dir/out" 2>"$dir/err"
    echo $? >"$dir/rc"
    grep '^linreg:' "$dir/err" >"$dir/msg"
}

echo "$cases" | while IFS='|' read -r name opts files; do
    ref="$T/$name/ref"
    run "$ref" "$L" fit $opts $files
    case $name in
    error*) [ "$(cat "$ref/rc")" = 1 ] && [ -s "$ref/msg" ] || bad "$name: no error in one process" ;;
    *) [ "$(cat "$ref/rc")" = 0 ] && [ -s "$ref/out" ] || bad "$name: one process failed" ;;
    esac
    case $name in # the error meant (the first in file order)
    error_big_middle) grep -q 'abc24000' "$ref/msg" || bad "$name: not the middle row's error" ;;
    error_big_*) grep -q 'abc47990' "$ref/msg" || bad "$name: not the last chunk's error" ;;
    hist_*) grep -q 'from a histogram of the 1[01][0-9]* residuals' "$ref/out" ||
        bad "$name: the quantiles are not the histogram's" ;;
    small) grep -q 's3.csv:4 has a leverage of 1' "$ref/out" && grep -q '^ *1  *2  *3' "$ref/out" ||
        bad "$name: no residuals by line or no leverage of one in the last file" ;;
    esac
    n=1
    while [ $n -le "$MAXN" ]; do
        dir="$T/$name/n$n"
        # N = 3 sends the records in 4 KiB pieces (mpi_stream.c): every
        # record straddles pieces and is spilled to the rank's temporary file
        # (and at every N for the piece_ cases: the second pass's records too)
        LINREG_MPI_PIECE=
        case $n,$name in 3,* | *,piece_*) LINREG_MPI_PIECE=4096 ;; esac
        export LINREG_MPI_PIECE
        run "$dir" "$MPIEXEC" --oversubscribe -x LINREG_MPI_PIECE -n $n "$L" fit $opts $files
        for f in out rc msg model.json res.csv plot.svg; do
            if [ -e "$ref/$f" ] || [ -e "$dir/$f" ]; then
                cmp -s "$ref/$f" "$dir/$f" || bad "$name: -n $n: $f differs"
            fi
        done
        n=$((n + 1))
    done
    echo "checked: $name, N = 1..$MAXN"
done >"$T/log"
cat "$T/log"
grep -q FAIL "$T/log" && fail=1
[ $fail -eq 0 ] && echo "PASS" || echo "FAILED"
exit $fail
