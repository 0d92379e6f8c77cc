#!/usr/bin/env bash
# Build multirank under sanitizers and run the tests where each one matters; exits non-zero if a
# test fails or any process printed a sanitizer report. `launch/sanitize.sh [asan|tsan|all]`
# (default all); extra arguments go to ctest, e.g. `launch/sanitize.sh tsan -R pool`.
#   asan: AddressSanitizer + UndefinedBehaviorSanitizer (presets asan, build-asan/, everything
#         built): the unit tests and every MPI and app test on 2 ranks or more (2 and 4 for the
#         Catch2 suites; the grayscale app's own tests, hostile input included).
#   tsan: ThreadSanitizer (presets tsan, build-tsan/): the executor, pool, process, channel and sync
#         tests as a singleton and on 1 and 2 ranks: on 1 the driver's engine, its local worker
#         thread, the background thread and the process threads share one address space; 2 adds
#         a worker rank's threads.
# The huge-payload tests (label large), the launch recipes (Slurm, several nodes, the mpirun
# wrapper: shell scripts around the same programs) and the install tests are left out, and the
# [scale] Catch2 cases (MULTIRANK_MPI_TEST_ARGS). CMakePresets.json holds each job's flags, the
# targets it builds and the tests it runs (its configure, build and test presets of that name);
# this script adds the sanitizers' run-time options and scans the output.
# .ci/run runs both jobs after the test suite.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root=$PWD
job=${1:-all}
[[ $# -gt 0 ]] && shift
case $job in
  asan | tsan | all) ;;
  *) echo "usage: launch/sanitize.sh [asan|tsan|all] [ctest arguments...]" >&2; exit 2 ;;
esac

launch/install-deps.sh
if ((EUID == 0)); then
  # Open MPI refuses to start as root without these.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Local ranks inherit mpirun's environment, so these reach every rank (remote nodes would need -x).
# A report ends the process with a non-zero status, which fails the test; the log scan below also
# catches reports in tests that expect a failing job (their exit status alone proves nothing).
supp=$root/launch/sanitizers
# verify_asan_link_order: no_dlclose.so is preloaded (see below).
# intercept_tls_get_addr=0: GCC 12's runtime takes a dynamic TLS block (modules loaded by dlopen:
# Open MPI's components, the OpenCV codec plugin) whose address ends in 0x010 for glibc 2.19's
# block header and reads a size from before it; LeakSanitizer then scans a bogus range and its
# tracer dies ("Tracer caught signal 11", google/sanitizers#1322; seen here: "DTLS 17 at
# 0x000000000efb-0x001000001ffd", about 1 grayscale run in 40). Those modules' TLS is not scanned.
export ASAN_OPTIONS="detect_leaks=1:exitcode=23:detect_stack_use_after_return=1:check_initialization_order=1:verify_asan_link_order=0:intercept_tls_get_addr=0"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"
export TSAN_OPTIONS="suppressions=$supp/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4"
# ccache speeds up rebuilds where it is installed; it is not a dependency.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
report_pattern='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer: reported'

# run_job PRESET CTEST_ARGS...: configure, build and test with the presets of that name (with
# $preload preloaded into every test process), then scan every test's output.
run_job() {
  local preset=$1
  shift
  local dir=build-$preset start=$SECONDS
  echo "=== sanitize: $preset: configure and build"
  # The presets build with Ninja; a build directory made by an older preset with Makefiles
  # cannot switch generators, so it is made again.
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
    echo "=== sanitize: $preset: $dir was made with another generator: starting it afresh"
    rm -rf "$dir"
  fi
  cmake --preset "$preset" "${launcher[@]}" >/dev/null
  cmake --build --preset "$preset" -j"$(nproc)"
  local built=$SECONDS
  echo "=== sanitize: $preset: test"
  local status=0
  env ${preload:+LD_PRELOAD="$preload"} ctest --preset "$preset" "$@" || status=$?
  local log=$dir/Testing/Temporary/LastTest.log
  if grep -Eq "$report_pattern" "$log"; then
    echo "=== sanitize: $preset: sanitizer reports in $log:"
    # Each report with the test it came from and its first stack frames, so that a report seen
    # only in CI can be read from CI's output alone.
    awk -v pattern="$report_pattern" '
      / Testing: / { test = $0; sub(/.* Testing: /, "", test) }
      $0 ~ pattern && shown < 8 { print "--- in test " test ", line " NR ":"; left = 40; ++shown }
      left > 0 { print; --left }' "$log"
    status=1
  fi
  echo "=== sanitize: $preset: build $((built - start)) s, tests $((SECONDS - built)) s, status $status"
  return "$status"
}

failed=0
if [[ $job == asan || $job == all ]]; then
  # Everything is built (a hand-kept list of targets fell behind the tests once); the tests on one
  # rank are the same code paths as on two, with fewer threads and messages. The soak (label soak)
  # is left out too: its check is that peak RSS stays flat, which ASan's quarantine of freed memory
  # (256 MB) defeats by design; leaks are LeakSanitizer's job in every other test.
  mkdir -p build-asan
  preload=$root/build-asan/no_dlclose.so
  cc -shared -fPIC -O2 -o "$preload" "$supp/no_dlclose.c"
  run_job asan "$@" || failed=1
fi
if [[ $job == tsan || $job == all ]]; then
  preload=''
  run_job tsan "$@" || failed=1
fi
exit "$failed"
