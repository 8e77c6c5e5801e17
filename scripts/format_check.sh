#!/bin/sh
# Fail when a C source or header differs from the tree's .clang-format.
# The format is clang-format 14's (Debian 12's clang-format package): another
# major version may wrap a few lines differently, so the check says which
# version it ran. To fix a file: clang-format -i FILE.
#
# usage: scripts/format_check.sh [FILE...]   (default: every tracked *.c and *.h)
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || {
    echo "format_check: clang-format is not installed (apt-get install clang-format)" >&2
    exit 1
}
if [ $# -eq 0 ]; then
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        set -- $(git ls-files '*.c' '*.h')
    else
        set -- $(find src include tests fuzz examples tools -name '*.[ch]' 2>/dev/null | sort)
    fi
fi
bad=0
for f in "$@"; do
    if ! clang-format --style=file "$f" | cmp -s "$f" -; then
        echo "format_check: $f differs from .clang-format (clang-format -i $f)" >&2
        bad=$((bad + 1))
    fi
done
if [ "$bad" -ne 0 ]; then
    echo "format_check: $bad of $# files differ ($(clang-format --version))" >&2
    exit 1
fi
