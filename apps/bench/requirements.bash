# Sourced by the apps/bench scripts (not run): each names what it needs, then check_requirements
# lists everything missing at once, with what provides it, and exits 2, so that a fresh clone
# learns in one go what to build or install. Paths are relative to the repository root, where the
# scripts cd first.
missing_requirements=()

# need_built PATH...: programs of this repository's build.
need_built() {
  local path
  for path; do
    [[ -x $path ]] && continue
    [[ $path == /* ]] || path=$PWD/$path
    missing_requirements+=("$path: not built (run launch/build.sh)")
  done
}

# need_package PACKAGE PATH...: files or commands (names looked up in PATH) that a Debian package
# installs.
need_package() {
  local package=$1 path
  shift
  for path; do
    if [[ $path == */* ]]; then
      [[ -e $path ]] && continue
    else
      command -v "$path" >/dev/null && continue
    fi
    missing_requirements+=("$path: from Debian's $package (run launch/install-bench-deps.sh)")
  done
}

# need_python_modules PACKAGE MODULE...: modules that /usr/bin/python3, the Python the peers run
# on, must import (Debian's packages install them for it alone).
need_python_modules() {
  local package=$1 module
  shift
  [[ -x /usr/bin/python3 ]] || {
    missing_requirements+=("/usr/bin/python3: from Debian's python3 (run launch/install-bench-deps.sh)")
    return
  }
  for module; do
    /usr/bin/python3 -c "import $module" 2>/dev/null ||
      missing_requirements+=("Python module $module for /usr/bin/python3: from Debian's $package (run launch/install-bench-deps.sh)")
  done
}

check_requirements() {
  ((${#missing_requirements[@]} == 0)) && return 0
  echo "${0##*/}: cannot run, missing:" >&2
  printf '  %s\n' "${missing_requirements[@]}" >&2
  exit 2
}
