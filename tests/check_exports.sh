#!/bin/sh
# Every symbol the shared library exports is declared in a public header,
# linreg.h (with linreg_csv.h, which it includes) or linreg_bench.h (the
# library is compiled with hidden visibility; the headers make their own
# declarations default).
# usage: check_exports.sh LIBLINREG.so INCLUDE_DIR
set -eu
lib=$1
inc=$2
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
[ -n "$syms" ] || { echo "$lib exports nothing" >&2; exit 1; }
n=0
for s in $syms; do
    n=$((n + 1))
    grep -Eq "\\b$s *\\(" "$inc"/linreg*.h ||
        { echo "exported, not in linreg.h, linreg_csv.h or linreg_bench.h: $s" >&2; exit 1; }
done
# The entry points named here must be exported (a missing declaration or a
# rename shows here rather than in a user's link).
for s in lr_fit_csv lr_fit_csv_files lr_predict_csv lr_predict_csv_files lr_bench_run \
         lr_csv_open lr_csv_next lr_parse_cell; do
    printf '%s\n' "$syms" | grep -qx "$s" || { echo "not exported: $s" >&2; exit 1; }
done
echo "$n exported symbols, all declared in $inc/linreg.h, linreg_csv.h or linreg_bench.h"
