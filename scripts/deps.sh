#!/bin/sh
# Install the Debian packages linreg needs to build (and, with --test, to run
# every test stage), if any is missing.
# Runs apt-get as root, or through sudo when not root. Idempotent.
set -eu

PACKAGES="build-essential cmake pkg-config libopenblas-dev liblapacke-dev check libgsl-dev libmpfr-dev zlib1g-dev libjansson-dev libxxhash-dev time"
# With --test: also what the test runner uses beyond the build — valgrind for the
# memcheck run, clang and its libFuzzer runtime for the fuzz targets, OpenMPI
# for the MPI stage (-DLINREG_MPI=ON: mpirun -n N linreg fit).
if [ "${1:-}" = "--test" ]; then
    PACKAGES="$PACKAGES valgrind clang libclang-rt-14-dev llvm-14 libopenmpi-dev openmpi-bin"
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "linreg: these Debian packages are missing:$missing" >&2
    echo "linreg: install them as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "Installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
