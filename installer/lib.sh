# Shared by the installer tests (test-deb.sh, test-systemd.sh): counting checks, bounded
# waits, stopping what a test started. Source it; it defines functions and two counters.

passes=0
failures=0
ok() { echo "PASS  $*"; passes=$((passes + 1)); }
fail() { echo "FAIL  $*" >&2; failures=$((failures + 1)); }
check() { # description, command...: PASS or FAIL by the command's exit status (output hidden)
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

# seconds, command...: 0 as soon as the command succeeds, 1 once that many seconds passed
# (each try may take as long as the command's own timeout).
wait_until() {
  local end=$((SECONDS + $1))
  shift
  while ((SECONDS < end)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# A background process of the test, by its PID (nothing when empty).
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# text, python: runs the python with the JSON text parsed as d (e.g. 'assert d["x"]').
json_of() { python3 -c "import json, sys; d = json.loads(sys.argv[1]); $2" "$1"; }
