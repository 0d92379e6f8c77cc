#!/usr/bin/env bash
# Install the dependencies (if missing), then configure and build multirank into build/.
# Works from any directory; BUILD_TYPE selects the CMake build type (default Release).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

launch/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}"
cmake --build build -j"$(nproc)"
