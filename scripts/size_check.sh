#!/bin/sh
# Report the C source files over 800 lines and the functions over 150 lines
# (CONTRIBUTING.md: either means a seam is missing). A report: exit 0 whatever
# it finds, unless --strict (then 1 if anything is over). Not run by
# scripts/test.sh.
#
# Functions are found by Universal Ctags (Debian: universal-ctags), which
# parses C, not by counting braces here: a function's length is from the line
# of its name to its closing brace (ctags' "end" field). Check's
# START_TEST(name) bodies count as functions.
#
# usage: scripts/size_check.sh [--strict] [--max-file N] [--max-function N] [FILE...]
#   FILE...: the files to check (default: every *.c and *.h git tracks, or
#   below src include tests fuzz bench examples outside a git checkout).
set -eu

max_file=800
max_function=150
strict=0
while [ $# -gt 0 ]; do
    case $1 in
    --strict) strict=1; shift ;;
    --max-file) max_file=$2; shift 2 ;;
    --max-function) max_function=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "size_check.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done

if ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
    echo "size_check.sh: needs Universal Ctags (apt-get install universal-ctags)" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ $# -gt 0 ]; then
    printf '%s\n' "$@" >"$list"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- '*.c' '*.h' >"$list"
else
    find src include tests fuzz bench examples -name '*.[ch]' 2>/dev/null | sort >"$list"
fi

over=0
files=$(xargs wc -l <"$list" |
    awk -v m="$max_file" '$2 != "total" && $1 > m { printf "  %6d  %s\n", $1, $2 }' | sort -rn)
functions=$(xargs ctags -x --language-force=C --kinds-C=f \
        -D 'START_TEST(name)=void name(void)' --_xformat='%{input} %{line} %{end} %{name}' \
        -o - <"$list" |
    awk -v m="$max_function" '$3 != "" && $3 - $2 + 1 > m {
        printf "  %6d  %s:%d  %s\n", $3 - $2 + 1, $1, $2, $4 }' | sort -rn)

echo "Source files over $max_file lines:"
if [ -n "$files" ]; then echo "$files"; over=1; else echo "  none"; fi
echo "Functions over $max_function lines (from the line of the name to the closing brace):"
if [ -n "$functions" ]; then echo "$functions"; over=1; else echo "  none"; fi

[ "$strict" -eq 1 ] && [ "$over" -eq 1 ] && exit 1
exit 0
