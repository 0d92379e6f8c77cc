#!/usr/bin/env bash
# Build multirank, then run its main job on all local cores through launch/mpirun.sh.
# The job itself lives in main_job() below so it can be swapped in one place.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

# ---- main job --------------------------------------------------------------------------------
# grayscale over a generated, deterministic set of 36 images (mixed sizes, formats and folders),
# with the per-rank profile written to build/grayscale-demo/profile. Extra arguments go to
# grayscale (e.g. --io ship, --quality 75).
main_job() {
  local demo=build/grayscale-demo
  if [[ ! -e $demo/input/.complete ]]; then
    rm -rf "$demo/input"
    /usr/bin/python3 apps/grayscale/make_sample_images.py "$demo/input"
    touch "$demo/input/.complete"
  fi
  rm -rf "$demo/output"
  launch/mpirun.sh build/bin/grayscale "$demo/input" "$demo/output" --profile "$demo/profile" "$@"
  echo "demo: outputs in $demo/output, profile in $demo/profile"
}
# -----------------------------------------------------------------------------------------------

launch/build.sh
main_job "$@"
