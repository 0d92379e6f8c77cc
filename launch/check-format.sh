#!/usr/bin/env bash
# Check that every tracked C and C++ file is formatted as .clang-format says (Debian's
# clang-format); exits non-zero and names each file that is not. `--fix` rewrites them instead.
# Works from any directory. .ci/run runs the check.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

usage() {
  cat <<'USAGE'
usage: launch/check-format.sh [--fix]
  Checks every C and C++ file tracked by git against .clang-format with clang-format.
  --fix    rewrite the files in place instead of checking them
  --help   show this help
Exit status: 0 when every file is formatted (or was rewritten), 1 when some file is not, 2 on a
usage error or a missing clang-format.
USAGE
}

fix=0
case ${1-} in
  "") ;;
  --fix) fix=1 ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }
command -v clang-format >/dev/null ||
  { echo "check-format: clang-format is missing (launch/install-deps.sh installs it)" >&2; exit 2; }

mapfile -d '' files < <(git ls-files -z -- '*.c' '*.cpp' '*.h' '*.hpp')
if ((fix)); then
  clang-format -i --style=file -- "${files[@]}"
  echo "check-format: formatted ${#files[@]} files"
  exit 0
fi
unformatted=()
for file in "${files[@]}"; do
  clang-format --dry-run -Werror --style=file -- "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if ((${#unformatted[@]} > 0)); then
  printf 'check-format: not formatted: %s\n' "${unformatted[@]}" >&2
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files differ from .clang-format;" \
    "see one with \`clang-format --dry-run FILE\`, fix all with launch/check-format.sh --fix" >&2
  exit 1
fi
echo "check-format: all ${#files[@]} files formatted"
