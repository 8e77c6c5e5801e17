#!/bin/sh
# The install stage of scripts/test.sh: linreg installed as a C library is
# used as one.
#   1. cmake --install into a staging prefix; the installed files listed;
#      docs/ installed beside the README and every link of the installed
#      Markdown resolving there (scripts/check_links.sh);
#   2. every symbol the shared library exports is declared in an installed
#      header; the soname, `linreg --version` and `pkg-config --modversion`
#      agree;
#   3. the examples build against the staged tree by pkg-config and by
#      find_package(linreg), run, and give the coefficients `linreg fit` gives;
#   4. as root: the Debian packages (cpack -G DEB) install with apt-get, the
#      installed /usr/bin/linreg fits a shipped data set, an example builds
#      against /usr by pkg-config alone, and the packages are removed again.
#
# usage: scripts/install_check.sh [BUILD_DIR]   (default build-install)
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
build=${1:-build-install}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "install check: $*" >&2; exit 1; }

echo "-- building and installing into a staging prefix"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLINREG_TESTS=OFF -DLINREG_WERROR=ON \
      -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
stage=$work/stage
cmake --install "$build" --prefix "$stage" >"$work/install.log"
echo "installed:"
(cd "$stage" && find . \( -type f -o -type l \) | sort | sed 's|^\./|  |')

libdir=$(dirname "$(find "$stage" -name 'liblinreg.so' | head -n 1)")
[ -n "$libdir" ] && [ -d "$libdir" ] || fail "no liblinreg.so installed"
pcdir=$libdir/pkgconfig
for f in "$stage/bin/linreg" "$libdir/liblinreg.a" "$stage/include/linreg.h" \
         "$stage/include/linreg_csv.h" "$stage/include/linreg_export.h" \
         "$stage/include/linreg_bench.h" "$stage/include/linreg_version.h" "$pcdir/linreg.pc" \
         "$libdir/cmake/linreg/linregConfig.cmake" \
         "$libdir/cmake/linreg/linregConfigVersion.cmake" \
         "$stage/share/man/man1/linreg.1" "$stage/share/man/man1/linreg-fit.1" \
         "$stage/share/man/man1/linreg-predict.1" "$stage/share/man/man1/linreg-bench.1" \
         "$stage/share/man/man3/linreg.3" \
         "$stage/share/bash-completion/completions/linreg" \
         "$stage/share/zsh/vendor-completions/_linreg" \
         "$stage/share/doc/linreg/README.md" "$stage/share/doc/linreg/LICENSE"; do
    [ -e "$f" ] || fail "not installed: ${f#"$stage"/}"
done
# every page of docs/ beside the README, and the README's links to them work there
for f in docs/*.md docs/*.svg; do
    [ -e "$stage/share/doc/linreg/$f" ] || fail "not installed: share/doc/linreg/$f"
done
scripts/check_links.sh "$stage/share/doc/linreg" || fail "a link of the installed documentation"

echo "-- exported symbols"
nm -D --defined-only "$libdir/liblinreg.so" | awk '{print $3}' | sort >"$work/exports"
count=$(wc -l <"$work/exports")
[ "$count" -gt 0 ] || fail "the shared library exports nothing"
while read -r sym; do
    grep -Eq "\\b$sym *\\(" "$stage"/include/linreg*.h ||
        fail "exported but not declared in an installed header: $sym"
done <"$work/exports"
echo "$count exported symbols, each declared in include/linreg.h, linreg_csv.h or linreg_bench.h"

echo "-- versions"
version=$("$stage/bin/linreg" --version | head -n 1 | cut -d' ' -f2)
pcversion=$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion linreg)
soname=$(readelf -d "$libdir/liblinreg.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
echo "linreg --version $version; pkg-config $pcversion; soname $soname"
[ "$version" = "$pcversion" ] || fail "linreg --version $version, pkg-config $pcversion"
[ "$soname" = "liblinreg.so.${version%%.*}" ] || fail "soname $soname for version $version"
[ -e "$libdir/liblinreg.so.$version" ] || fail "no liblinreg.so.$version"
grep -q "## $version" CHANGELOG.md || fail "CHANGELOG.md has no entry for $version"

# The coefficients of `dist ~ speed` on cars.csv as the installed command
# prints them (JSON, 17 digits), and those of the in-memory example's data.
"$stage/bin/linreg" fit -f 'dist ~ speed' --format json datasets/cars.csv |
    grep -o '"estimate": [^,]*' | cut -d' ' -f2 >"$work/cars.expected"
awk 'BEGIN { print "y,x1,x2";
             for (i = 0; i < 200; i++) {
                 x1 = i / 10; x2 = sin(i); e = ((i * 37) % 11 - 5) / 100;
                 printf "%.17g,%.17g,%.17g\n", 1 + 2 * x1 - 3 * x2 + e, x1, x2 } }' \
    >"$work/accum.csv"
"$stage/bin/linreg" fit --format json "$work/accum.csv" |
    grep -o '"estimate": [^,]*' | cut -d' ' -f2 >"$work/accum.expected"

# check_output NAME PROGRAM-OUTPUT EXPECTED: the estimates (column 2) agree to
# a relative 1e-9 (the example and the command may differ in the last bits:
# a CSV rounds the in-memory doubles through 17 digits).
check_output() {
    awk 'NR > 0 && $1 != "term" && $1 != "n" { print $2 }' "$2" >"$2.est"
    paste "$2.est" "$3" | awk -v name="$1" '
        { d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2;
          if (NF != 2 || d > 1e-9 * (s > 1 ? s : 1)) { bad = 1; print name ": " $0 } ; n++ }
        END { if (bad || n == 0) exit 1 }' || fail "$1 gave other coefficients"
}

echo "-- the examples against the staged tree, by pkg-config"
export PKG_CONFIG_PATH="$pcdir"
for ex in fit_csv accum_rows; do
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Werror "examples/$ex.c" $(pkg-config --cflags --libs linreg) -lm \
       -o "$work/$ex.pc"
done
LD_LIBRARY_PATH=$libdir "$work/fit_csv.pc" datasets/cars.csv 'dist ~ speed' >"$work/o1"
check_output "fit_csv (pkg-config)" "$work/o1" "$work/cars.expected"
LD_LIBRARY_PATH=$libdir "$work/accum_rows.pc" >"$work/o2"
check_output "accum_rows (pkg-config)" "$work/o2" "$work/accum.expected"
# the static library through pkg-config --static
# shellcheck disable=SC2046
cc -std=c11 examples/fit_csv.c $(pkg-config --cflags linreg) "$libdir/liblinreg.a" \
   $(pkg-config --static --libs-only-other --libs-only-L --libs-only-l linreg | sed 's/-llinreg//') \
   -o "$work/fit_csv.static"
"$work/fit_csv.static" datasets/cars.csv 'dist ~ speed' >"$work/o3"
check_output "fit_csv (static, pkg-config --static)" "$work/o3" "$work/cars.expected"
unset PKG_CONFIG_PATH

echo "-- the examples against the staged tree, by find_package(linreg)"
cmake -S examples -B "$work/ex" -DCMAKE_PREFIX_PATH="$stage" >/dev/null
cmake --build "$work/ex" >/dev/null
"$work/ex/fit_csv" datasets/cars.csv 'dist ~ speed' >"$work/o4"
check_output "fit_csv (find_package)" "$work/o4" "$work/cars.expected"
"$work/ex/accum_rows" >"$work/o5"
check_output "accum_rows (find_package)" "$work/o5" "$work/accum.expected"

echo "-- Debian packages"
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
ls "$build"/*.deb
for deb in "$build"/*.deb; do
    echo "$(basename "$deb"):"
    dpkg-deb -f "$deb" Package Version Depends | sed 's/^/  /'
done
if [ "$(id -u)" -ne 0 ]; then
    echo "-- not root: the packages are built but not installed (run as root to test them)"
    exit 0
fi
if dpkg-query -W -f='${Status}' linreg 2>/dev/null | grep -q "install ok installed"; then
    fail "a linreg package is already installed on this machine: not touching it"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(pwd)/$build"/*.deb >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$(pwd)/$build"/*.deb
remove_packages() {
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq linreg liblinreg-dev \
        "liblinreg${version%%.*}" >/dev/null 2>&1 || true
}
trap 'remove_packages; rm -rf "$work"' EXIT
[ -x /usr/bin/linreg ] || fail "/usr/bin/linreg not installed by the package"
/usr/bin/linreg fit -y dist -x speed datasets/cars.csv | head -n 3
/usr/bin/linreg fit -f 'dist ~ speed' --format json datasets/cars.csv |
    grep -o '"estimate": [^,]*' | cut -d' ' -f2 | cmp -s - "$work/cars.expected" ||
    fail "/usr/bin/linreg gave other coefficients"
ls /usr/share/man/man1/linreg.1* /usr/share/man/man3/linreg.3* >/dev/null ||
    fail "the man pages are not installed"
# shellcheck disable=SC2046
cc -std=c11 examples/fit_csv.c $(pkg-config --cflags --libs linreg) -o "$work/fit_csv.sys"
"$work/fit_csv.sys" datasets/cars.csv 'dist ~ speed' >"$work/o6"
check_output "fit_csv (installed .deb, pkg-config)" "$work/o6" "$work/cars.expected"
echo "-- install check passed (packages removed again)"
