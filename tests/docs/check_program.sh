#!/usr/bin/env bash
# check_program.sh BUILD_DIR TARGET BINARY EXPECTED MPIRUN: builds a documented program, runs it
# alone and on 1 and 3 ranks, and compares what it prints with EXPECTED (a file; empty: only that
# it runs and exits 0). Trailing blanks are ignored.
set -u
build=$1 target=$2 binary=$3 expected=$4 mpirun=$5
if ! output=$(cmake --build "$build" --target "$target" 2>&1); then
  printf '%s\n' "$output" | grep -E 'error|Error' | head -n 30
  echo "FAIL: the documented program does not compile (source: $(head -n1 "$build/tests/docs/programs/${target#doc_}.cpp"))"
  exit 1
fi
status=0
for run in "" "$mpirun --oversubscribe --bind-to none -np 1" "$mpirun --oversubscribe --bind-to none -np 3"; do
  # shellcheck disable=SC2086 # the launcher is several words
  if ! printed=$(timeout 120 $run "$binary" 2>/dev/null); then
    echo "FAIL: '${run:-no mpirun}' exited non-zero"; status=1; continue
  fi
  if [[ -n $expected ]] && ! diff <(sed 's/[[:space:]]*$//' <<<"$printed") <(sed 's/[[:space:]]*$//' "$expected"); then
    echo "FAIL: '${run:-no mpirun}' printed something else than the documentation says (above: < printed, > documented)"
    status=1
  fi
done
((status == 0)) && echo "PASS: it compiles${expected:+ and prints what the documentation says} alone, on 1 and on 3 ranks"
exit "$status"
