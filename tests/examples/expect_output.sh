#!/usr/bin/env bash
# expect_output.sh EXPECTED_FILE COMMAND...: passes when COMMAND exits 0 and its standard output
# is the lines of EXPECTED_FILE (stderr is shown but not compared). Lines between "#any-order"
# and "#end" in EXPECTED_FILE may come in any order (Python fixes no order for them either);
# every other line must be where it is.
set -u
expected=$1
shift
actual=$("$@")
status=$?
if [ "$status" -ne 0 ]; then echo "FAIL: exit status $status"; printf '%s\n' "$actual"; exit 1; fi

# Sorts each marked block of the expected lines, and the same span of the actual lines.
normalise() {  # normalise EXPECTED_FILE < LINES
  awk -v spec="$1" '
    BEGIN { n = 0; while ((getline line < spec) > 0) {
              if (line == "#any-order") { start[n] = 1; continue }
              if (line == "#end") { stop[n - 1] = 1; continue }
              n++ } }
    { lines[NR - 1] = $0 }
    END { i = 0
          while (i < NR) {
            if (start[i]) { j = i; block = ""
              while (j < NR) { block = block lines[j] "\n"; if (stop[j]) break; j++ }
              printf "%s", block | "sort"; close("sort"); i = j + 1 }
            else { print lines[i]; i++ } } }'
}
want=$(grep -v -e '^#any-order$' -e '^#end$' "$expected" | normalise "$expected")
got=$(printf '%s\n' "$actual" | normalise "$expected")
if ! diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got"); then
  echo "FAIL: output differs from $(basename "$expected")"
  echo "--- actual output:"; printf '%s\n' "$actual"
  exit 1
fi
echo "PASS: output matches $(basename "$expected")"
