#!/bin/sh
# Quick start: install what is missing, build linreg, and fit a shipped data set.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLINREG_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "\$ build/linreg fit -y dist -x speed datasets/cars.csv"
build/linreg fit -y dist -x speed datasets/cars.csv
