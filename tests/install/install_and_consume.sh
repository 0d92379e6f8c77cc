#!/usr/bin/env bash
# install_and_consume.sh BUILD_DIR SOURCE_DIR: installs multirank from BUILD_DIR into a scratch
# prefix, builds tests/install/consumer against it with find_package, and runs it.
set -euo pipefail
build=$1 source=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
cmake -S "$source/tests/install/consumer" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" > /dev/null
cmake --build "$scratch/build" > /dev/null
output=$("$scratch/build/consumer")
[ "$output" = "49" ] || { echo "FAIL: consumer printed '$output'"; exit 1; }
echo "PASS: find_package(multirank) consumer printed 49"
