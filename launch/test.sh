#!/usr/bin/env bash
# Build multirank (launch/build.sh), then run the CTest suite; exits non-zero if any test fails.
# Extra arguments go to ctest, e.g. `launch/test.sh -L unit` or `launch/test.sh -R executor`.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

launch/build.sh
if ((EUID == 0)); then
  # Open MPI refuses to start as root without these.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
status=0
ctest --test-dir build --output-on-failure "$@" || status=$?
# CTest shows a skipped test's output nowhere but its log: say here why each one was skipped.
awk '/^[0-9]+\/[0-9]+ Testing: / { test = $3 } /^SKIPPED: / { print "skipped " test ": " substr($0, 10) }' \
  build/Testing/Temporary/LastTest.log 2>/dev/null || true
exit "$status"
