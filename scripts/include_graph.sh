#!/bin/sh
# The library's include graph, and three checks on it (docs/design.md shows
# the graph and says what a module is).
#
# Prints which project header each source file under src/ includes (system
# headers and src/cli/ left out), one line a file, and fails (exit 1) if
#   - the modules include each other in a cycle (tsort finds it);
#   - a file outside its module includes a module's private header
#     (X_impl.h: only the module's own files);
#   - with --objects DIR (a build tree): the modules' compiled code calls
#     each other in a cycle (which function of module A the code of module B
#     calls, from `nm` on DIR's object files), which includes alone miss
#     (every public lr_ function is declared in linreg.h).
#
# A module is one concern spread over files named for it: model_frame*.c and
# model_frame*.h are the model frame, accumulator*.c and accumulator*.h the
# accumulator, solver*.c the solver, diagnostics*.c the second pass, fit*.c
# the fit, ingest*.c the passes over the input, model.c, model_io.c and
# predict.c the saved model, fe_*.c and fixed_effects*.c the fixed effects,
# byte_source, source_concat and csv_reader the input, error.c and alloc.c
# the core; any other file is its own module, a header belonging to the .c
# of its name.
#
# usage: scripts/include_graph.sh [--objects BUILD_DIR]
set -eu
objects=
case "${1:-}" in
--objects) objects=$(cd "$2" && pwd) ;;
"") ;;
*) echo "usage: scripts/include_graph.sh [--objects BUILD_DIR]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../src"

# The module a source or header file belongs to.
module() {
    b=${1%.[ch]}
    b=${b%.c}
    case $b in
    model_frame* | frame_files | partial_io | partial_merge) echo model_frame ;;
    accumulator*) echo accumulator ;;
    solver*) echo solver ;;
    diagnostics*) echo diagnostics ;;
    fe_* | fixed_effects*) echo fixed_effects ;;
    fit*) echo fit ;;
    ingest*) echo ingest ;;
    formula*) echo formula ;;
    model | model_io | predict) echo model ;;
    byte_source | source_concat | csv_reader) echo input ;;
    error | alloc | internal) echo core ;;
    *) echo "${b%_impl}" ;;
    esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
for f in *.c *.h; do
    deps=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | tr '\n' ' ')
    echo "$f: $deps"
    m=$(module "$f")
    echo "$m $m" >>"$tmp/modules"
    for d in $deps; do
        dm=$(module "$d")
        case $d in
        *_impl.h)
            if [ "$dm" != "$m" ]; then
                echo "$f includes $d, private to the module $dm" >&2
                bad=1
            fi ;;
        esac
        [ "$dm" != "$m" ] && echo "$m $dm" >>"$tmp/modules"
    done
done

# tsort reports a cycle on stderr ("input contains a loop") and lists it.
cycle() {
    if tsort "$1" 2>&1 >/dev/null | grep -q .; then
        echo "$2 cycle between modules:" >&2
        tsort "$1" 2>&1 >/dev/null | sed -n 's/^tsort: \([^ ]*\)$/  \1/p' >&2
        return 1
    fi
}
cycle "$tmp/modules" include || bad=1

if [ -n "$objects" ]; then
    # each module's defined (T, D, B, R) and undefined (U) lr_ symbols
    found=0
    for o in "$objects"/CMakeFiles/linreg_objects.dir/src/*.c.o; do
        # an object whose source is gone (a file removed since the build) is stale
        [ -f "$o" ] && [ -f "$(basename "$o" .o)" ] || continue
        found=1
        m=$(module "$(basename "$o" .o)")
        nm "$o" | awk -v m="$m" '$2 ~ /^[TDBR]$/ && $3 ~ /^lr_/ { print "D", $3, m }
                                 $1 == "U" && $2 ~ /^lr_/ { print "U", $2, m }'
    done >"$tmp/symbols"
    if [ "$found" = 0 ]; then
        echo "no object files under $objects/CMakeFiles/linreg_objects.dir/src" >&2
        exit 1
    fi
    awk '$1 == "D" { def[$2] = $3 }
         $1 == "U" { use[NR] = $3 " " $2 }
         END { for (i in use) { split(use[i], a, " ");
                   if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] }
               for (s in def) print def[s], def[s] }' "$tmp/symbols" | sort -u >"$tmp/calls"
    if ! cycle "$tmp/calls" call; then
        bad=1
        # which calls close the cycle: every call between two modules of it
        tsort "$tmp/calls" 2>&1 >/dev/null | sed -n 's/^tsort: \([^ ]*\)$/\1/p' >"$tmp/loop"
        awk 'NR == FNR { in_loop[$1] = 1; next }
             $1 == "U" && ($3 in in_loop) { print $3, $2 }' "$tmp/loop" "$tmp/symbols" |
            sort -k2,2 -u >"$tmp/uses"
        awk 'NR == FNR { in_loop[$1] = 1; next }
             $1 == "D" && ($3 in in_loop) { print $2, $3 }' "$tmp/loop" "$tmp/symbols" |
            sort -k1,1 -u >"$tmp/defs"
        join -1 2 -2 1 -o 1.1,2.2,0 "$tmp/uses" "$tmp/defs" 2>/dev/null |
            awk '$1 != $2 { print "  " $1 " calls " $2 ": " $3 }' >&2 || true
    fi
fi
exit $bad
