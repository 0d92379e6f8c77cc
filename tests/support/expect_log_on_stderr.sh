#!/usr/bin/env bash
# expect_log_on_stderr.sh piped|terminal REGEX... -- COMMAND...: checks where a job's library log
# lands (COMMAND must make the library log; MULTIRANK_LOG_LEVEL=debug does). A log line is one in
# spdlog's format ("[date time] [level] message"); each REGEX must match the message of one.
#   piped:    stdout and stderr captured apart, as `mpirun ... | cat` would: stdout holds no log
#             line, stderr holds them, with no escape byte (no colour) anywhere.
#   terminal: COMMAND's stdout and stderr on a pseudo-terminal (script(1), as a user at a
#             terminal runs it): the lines show their level in colour.
set -u
mode=$1
shift
expected=()
while (($# > 0)) && [[ $1 != -- ]]; do expected+=("$1"); shift; done
shift
esc=$'\x1b'
log_line='^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\] \['
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

case $mode in
  piped)
    timeout --kill-after=5 60 "$@" >"$work/stdout" 2>"$work/stderr"
    status=$?
    echo "--- stdout"; cat -v "$work/stdout"
    echo "--- stderr"; cat -v "$work/stderr"
    echo "--- exit status $status"
    ((status == 0)) || fail "the command failed"
    ! grep -Eq "$log_line" "$work/stdout" || fail "log lines on stdout"
    ! grep -q "$esc" "$work/stderr" || fail "escape codes (colour) on stderr, which is no terminal"
    for regex in "${expected[@]}"; do
      grep -Eq "$log_line[a-z]+\] .*$regex" "$work/stderr" || fail "no log line /$regex/ on stderr"
    done
    ;;
  terminal)
    timeout --kill-after=5 60 script -qfec "$(printf '%q ' "$@")" /dev/null </dev/null >"$work/terminal"
    status=$?
    echo "--- terminal"; cat -v "$work/terminal"
    echo "--- exit status $status"
    ((status == 0)) || fail "the command failed"
    for regex in "${expected[@]}"; do
      grep -Eq "${log_line}${esc}\[[0-9;]+m[a-z]+${esc}\[m\] .*$regex" "$work/terminal" ||
        fail "no log line /$regex/ with its level in colour on the terminal"
    done
    ;;
  *) fail "unknown mode $mode (piped or terminal)" ;;
esac
echo "PASS"
