#!/usr/bin/env bash
# consume.sh MODE BUILD_DIR SOURCE_DIR: another project uses multirank the way MODE says, with no
# C++ standard or flag of its own, builds tests/install/consumer.cpp and runs it (it prints 49).
#   find_package     cmake --install BUILD_DIR into a scratch prefix; find_package(multirank)
#   pkg-config       the same install; compiled with `pkg-config --cflags --libs multirank` alone
#   add_subdirectory the source tree added with add_subdirectory
#   fetchcontent     the source tree fetched with FetchContent from its local path
# A project that adds the source tree must get the library alone: none of multirank's tests or
# apps, its own build type and output directories untouched. The consumers use the compiler
# multirank was built with (CXX) and any compiler launcher (CMAKE_CXX_COMPILER_LAUNCHER) in the
# environment. Scratch files stay in BUILD_DIR/install-consumers/MODE for a look after a failure.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: consume.sh find_package|pkg-config|add_subdirectory|fetchcontent BUILD_DIR SOURCE_DIR" >&2; exit 2; }
mode=$1 build=$(readlink -f "$2") source=$(readlink -f "$3")
consumers=$source/tests/install
scratch=$build/install-consumers/$mode
rm -rf "$scratch"
mkdir -p "$scratch"
fail() { echo "FAIL ($mode): $*" >&2; exit 1; }
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

# cmake_consumer PROJECT_DIR CMAKE_ARGS...: configure and build it into $scratch/build.
cmake_consumer() {
  local project=$1
  shift
  cmake -S "$project" -B "$scratch/build" "$@" > "$scratch/configure.log" 2>&1 ||
    { cat "$scratch/configure.log"; fail "configuring $project failed"; }
  cmake --build "$scratch/build" --parallel "$jobs" > "$scratch/build.log" 2>&1 ||
    { tail -40 "$scratch/build.log"; fail "building $project failed"; }
}

# The parent project's settings are its own, and multirank's tests and apps are not built.
check_library_alone() {
  local cache=$scratch/build/CMakeCache.txt
  grep -qx 'CMAKE_BUILD_TYPE:STRING=' "$cache" || fail "the consumer's build type was set: $(grep '^CMAKE_BUILD_TYPE:' "$cache")"
  [[ -x $scratch/build/consumer ]] || fail "the consumer's executable was not left in its own build directory"
  local targets
  targets=$(cmake --build "$scratch/build" --target help)
  for target in multirank test_executor test_settings grayscale multirank-report; do
    local listed=no
    grep -qE "^\.\.\. $target( |$)" <<<"$targets" && listed=yes
    if [[ $target == multirank ]]; then
      [[ $listed == yes ]] || fail "the library target multirank is missing"
    else
      [[ $listed == no ]] || fail "multirank's $target is built in the consumer's project"
    fi
  done
}

case $mode in
  find_package)
    cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
    cmake_consumer "$consumers/find_package" -DCMAKE_PREFIX_PATH="$scratch/prefix"
    ;;
  pkg-config)
    cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
    pc_dir=$(dirname "$(find "$scratch/prefix" -name multirank.pc)")
    flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs multirank) || fail "pkg-config failed"
    mkdir -p "$scratch/build"
    # shellcheck disable=SC2086 # the flags are words
    "${CXX:-c++}" "$consumers/consumer.cpp" -o "$scratch/build/consumer" $flags ||
      fail "compiling with \`pkg-config --cflags --libs multirank\` ($flags) failed"
    ;;
  add_subdirectory | fetchcontent)
    cmake_consumer "$consumers/$mode" -DMULTIRANK_SOURCE_DIR="$source"
    check_library_alone
    ;;
  *) fail "unknown mode" ;;
esac

output=$("$scratch/build/consumer")
[[ $output == 49 ]] || fail "the consumer printed '$output', not 49"
echo "PASS ($mode): the consumer printed 49"
