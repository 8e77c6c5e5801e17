#!/bin/sh
# Print which project header each source file under src/ includes (system
# headers left out), one line a file, and fail if the headers include each
# other in a cycle (tsort finds it). docs/design.md shows this graph.
set -eu
cd "$(dirname "$0")/../src"
pairs=$(mktemp)
trap 'rm -f "$pairs"' EXIT
for f in *.c *.h; do
    deps=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | tr '\n' ' ')
    echo "$f: $deps"
    for d in $deps; do echo "$f $d" >>"$pairs"; done
    echo "$f $f" >>"$pairs"
done
if ! tsort "$pairs" >/dev/null 2>&1; then
    echo "include cycle:" >&2
    tsort "$pairs" 2>&1 >/dev/null | sed 's/^/  /' >&2
    exit 1
fi
