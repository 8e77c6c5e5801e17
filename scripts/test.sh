#!/bin/sh
# Check the include graph (scripts/include_graph.sh), then build and run the
# whole test suite four ways: a release build with -Werror (and the call
# graph of its objects checked);
# the same tests under AddressSanitizer + UndefinedBehaviorSanitizer; once
# under valgrind memcheck (leaks, invalid reads and writes, uninitialised
# values, in the test programs and in every linreg they start); and each
# libFuzzer target briefly on its seed corpus (scripts/fuzz.sh brief); and
# the install stage (scripts/install_check.sh): the library installed into a
# staging prefix and used by the examples through pkg-config and CMake, and,
# as root, the Debian packages installed, used and removed; and the MPI stage:
# a build with -DLINREG_MPI=ON whose `mpirun -n 1..4 linreg fit` must print
# and write what one process does, byte for byte (tests/mpi_identity.sh).
#
# usage: scripts/test.sh [--no-valgrind] [--no-fuzz] [--no-install] [--no-mpi]
set -eu
cd "$(dirname "$0")/.."
valgrind=1
fuzz=1
install=1
mpi=1
for a in "$@"; do
    case "$a" in
    --no-valgrind) valgrind=0 ;;
    --no-fuzz) fuzz=0 ;;
    --no-install) install=0 ;;
    --no-mpi) mpi=0 ;;
    *) echo "usage: scripts/test.sh [--no-valgrind] [--no-fuzz] [--no-install] [--no-mpi]" >&2
       exit 2 ;;
    esac
done
./scripts/deps.sh --test
jobs="$(nproc)"

echo "== cheap checks: no include cycle between modules, private headers kept private"
./scripts/include_graph.sh >/dev/null

echo "== release build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLINREG_WERROR=ON -DLINREG_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
# the compiled modules: no call cycle between them (nm on the objects)
./scripts/include_graph.sh --objects build >/dev/null
(cd build && ctest --output-on-failure -j"$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINREG_WERROR=ON -DLINREG_TESTS=ON \
      -DLINREG_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")

if [ "$valgrind" = 1 ]; then
    echo "== valgrind memcheck (every test; children traced)"
    cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINREG_WERROR=ON \
          -DLINREG_TESTS=ON \
          "-DLINREG_TEST_WRAPPER=valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite;--trace-children=yes;--quiet" \
          >/dev/null
    cmake --build build-valgrind -j"$jobs"
    (cd build-valgrind && ctest --output-on-failure -j"$jobs")
fi

if [ "$fuzz" = 1 ]; then
    echo "== libFuzzer targets, briefly"
    ./scripts/fuzz.sh brief
fi
if [ "$install" = 1 ]; then
    echo "== install: staging prefix, pkg-config, find_package, Debian packages"
    ./scripts/install_check.sh
fi
if [ "$mpi" = 1 ]; then
    # only the command is built: the other tests ran above; as root OpenMPI
    # needs its two "allow" variables (tests/mpi_identity.sh sets them)
    echo "== MPI: mpirun -n 1..4 linreg fit against one process, byte for byte"
    cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DLINREG_WERROR=ON -DLINREG_TESTS=ON \
          -DLINREG_MPI=ON >/dev/null
    cmake --build build-mpi -j"$jobs" --target linreg
    (cd build-mpi && ctest --output-on-failure -R '^mpi_identity$')
fi
echo "== all tests passed"
