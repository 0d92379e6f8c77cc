#!/usr/bin/env bash
# Build multirank, then run its main job on all local cores through launch/mpirun.sh.
# The job itself lives in main_job() below so it can be swapped in one place.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

# ---- main job --------------------------------------------------------------------------------
# For now the Pool example, which prints [1, 4, 9, 16, 25].
# TODO: swap for the grayscale app once it lands in apps/ (e.g. launch/mpirun.sh grayscale ...).
main_job() {
  launch/mpirun.sh build/bin/example_pool "$@"
}
# -----------------------------------------------------------------------------------------------

launch/build.sh
main_job "$@"
