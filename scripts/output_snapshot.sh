#!/bin/sh
# Every output of linreg on the reference fits, into a directory, so that two
# builds can be compared byte for byte (diff -r) around a change that must
# not change outputs (a refactoring):
#
#   scripts/output_snapshot.sh OLD/linreg /tmp/before
#   scripts/output_snapshot.sh build/linreg /tmp/after
#   diff -r /tmp/before /tmp/after
#
# The cases are every (data file, formula, weights, new data) of the R
# reference files tests/data/r_*.json; for each, the fit's JSON (and its exit
# code) with THREADS threads (default 2), the --save model file, the JSON of
# --method inverse --anova and its model file, the predictions (CSV and JSON
# with intervals) on the new data and on the fit's own data; then compare,
# HC3, CL, --na-strings and --absorb fits. Needs python3 (its json module)
# to read the cases.
#
# usage: [THREADS=N] scripts/output_snapshot.sh LINREG OUTDIR
set -eu
[ $# -eq 2 ] || { echo "usage: [THREADS=N] scripts/output_snapshot.sh LINREG OUTDIR" >&2; exit 2; }
L=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
O=$2
t=${THREADS:-2}
cd "$(dirname "$0")/.."
rm -rf "$O"
mkdir -p "$O"
python3 - >"$O/cases" <<'PY'
import json, os
def find(p):
    for c in (p, os.path.join('datasets', p), os.path.join('tests/data', p)):
        if p and os.path.exists(c):
            return c
    return ''
seen = set()
def walk(o):
    if isinstance(o, dict):
        if 'file' in o and ('formula' in o or 'formulas' in o):
            for fm in o.get('formulas') or [o['formula']]:
                key = (find(o['file']), fm, o.get('weights') or '', find(o.get('newdata') or ''))
                if key[0] and key not in seen:
                    seen.add(key)
                    print('@'.join(key))
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
for n in sorted(os.listdir('tests/data')):
    if n.startswith('r_') and n.endswith('.json'):
        walk(json.load(open(os.path.join('tests/data', n))))
PY
i=0
while IFS=@ read -r f fm w nd; do
    i=$((i + 1))
    set -- -f "$fm"
    [ -n "$w" ] && set -- "$@" -w "$w"
    rc=0; "$L" fit "$@" --format json -q -t "$t" -o "$O/$i.model.json" "$f" >"$O/$i.fit.json" 2>&1 || rc=$?
    echo "fit $rc" >"$O/$i.rc"
    "$L" fit "$@" --method inverse --anova --format json -q -o "$O/$i.inv.model.json" "$f" \
        >"$O/$i.inv.json" 2>&1 || true
    [ -f "$O/$i.model.json" ] || continue
    for data in $nd $f; do
        n=$(basename "$data" .csv)
        rc=0; "$L" predict -m "$O/$i.model.json" --na-strings zz "$data" >"$O/$i.$n.csv" 2>&1 || rc=$?
        echo "predict $n $rc" >>"$O/$i.rc"
        "$L" predict -m "$O/$i.model.json" --interval prediction --format json "$data" \
            >"$O/$i.$n.json" 2>&1 || true
    done
done <"$O/cases"
"$L" fit -f 'mpg ~ wt' -q -o "$O/small.model.json" datasets/mtcars.csv >/dev/null 2>&1 || true
"$L" fit -f 'mpg ~ wt + hp' -q -o "$O/large.model.json" datasets/mtcars.csv >/dev/null 2>&1 || true
# relative names: the messages name the files
(cd "$O" && "$L" compare small.model.json large.model.json 1.model.json >compare.txt 2>&1 || true
 "$L" compare --format json small.model.json large.model.json >compare.json 2>&1 || true)
"$L" fit -f 'mpg ~ wt + hp' --vcov HC3 --format json datasets/mtcars.csv >"$O/hc3.json" 2>&1 || true
"$L" fit -f 'y ~ x1 + x2' --vcov CL --cluster firm --format json -o "$O/cl.model.json" \
    datasets/panels/firms.csv >"$O/cl.json" 2>&1 || true
"$L" fit -f 'breaks ~ wool*tension' --na-strings foo,bar --format json -o "$O/nas.model.json" \
    datasets/warpbreaks.csv >"$O/nas.json" 2>&1 || true
"$L" fit -y mpg --absorb cyl,gear --format json -o "$O/absorb.model.json" datasets/mtcars.csv \
    >"$O/absorb.json" 2>&1 || true
echo "$i cases, $(ls "$O" | wc -l) files in $O"
