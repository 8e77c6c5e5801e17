#!/bin/sh
# Check that every relative link of the Markdown files below DIR resolves:
# [text](path), ![alt](path) and [text](path#anchor) name a file that exists
# (relative to the linking file), and an anchor (#x, or path.md#x) names a
# heading of that file (GitHub's anchors: lower case, punctuation dropped,
# spaces to hyphens) or an id= in it. Links with a scheme (https:, mailto:) are not checked.
# The install stage (scripts/install_check.sh) runs it on the installed
# documentation, so that the README's links to docs/ work where it is read.
#
# usage: scripts/check_links.sh DIR
set -eu
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: check_links.sh DIR" >&2; exit 2; }
export LC_ALL=C

# The anchors of a Markdown file, one a line: its headings' (fenced code
# skipped) and its HTML id= and name= attributes (<a id="progress"></a>).
anchors() {
    awk '/^```/ { code = !code; next } !code && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
        tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
    grep -o '\(id\|name\)="[^"]*"' "$1" | sed 's/^[a-z]*="//; s/"$//'
}

bad=0
n=0
for f in $(find "$1" -name '*.md' | sort); do
    dir=$(dirname "$f")
    # every (target) after ] outside fenced code, one a line
    for link in $(awk '/^```/ { code = !code; next } !code' "$f" |
                  grep -o '\]([^) ]*' | sed 's/^](//'); do
        case $link in
        *:*) continue ;; # https:, mailto:
        esac
        n=$((n + 1))
        path=${link%%#*}
        anchor=
        case $link in *'#'*) anchor=${link#*#} ;; esac
        target=$f
        if [ -n "$path" ]; then
            target=$dir/$path
            if [ ! -e "$target" ]; then
                echo "$f: link to $link: no file $path" >&2
                bad=1
                continue
            fi
        fi
        if [ -n "$anchor" ]; then
            case $target in *.md) ;; *) continue ;; esac
            anchors "$target" | grep -qxF -- "$anchor" || {
                echo "$f: link to $link: no heading with the anchor #$anchor" >&2
                bad=1
            }
        fi
    done
done
[ "$bad" -eq 0 ] || exit 1
echo "$n links in $1 resolve"
