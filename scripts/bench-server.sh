#!/usr/bin/env bash
# Card-login verifications per second through the release `thaiid-server serve`, with wrk
# as the load generator in its own process (docs/server-benchmark.md). For each case:
#   1. the wrk_assertions bench sets up a fresh database through the library and signs
#      THAIID_BENCH_ASSERTIONS assertions (default 24000), each a distinct agent, nonce, jti;
#   2. one or more `thaiid-server serve` start on that database;
#   3. wrk (one process per instance; THAIID_WRK_THREADS threads and THAIID_WRK_CONNECTIONS
#      connections in all, defaults 2 and 200) posts each assertion once;
#   4. every accepted login must have its OK audit row and its ticket (else it fails);
#   5. `openssl speed -multi <cores> ecdsap256` right after, for the ratio.
# Cases: SQLite with one instance; with THAIID_TEST_POSTGRES (an admin URL that may create
# databases; scripts/lib.sh start_postgres sets it) also PostgreSQL with one and with two
# instances. THAIID_BENCH_CASES="sqlite:1 postgres:1 postgres:2" chooses.
# THAIID_SERVER_BIN runs another build of the server (e.g. an older commit's) on the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

count=${THAIID_BENCH_ASSERTIONS:-24000}
threads=${THAIID_WRK_THREADS:-2}
connections=${THAIID_WRK_CONNECTIONS:-200}
cores=$(nproc)
target=${CARGO_TARGET_DIR:-target}
default_cases="sqlite:1"
[ -n "${THAIID_TEST_POSTGRES:-}" ] && default_cases="sqlite:1 postgres:1 postgres:2"
cases=${THAIID_BENCH_CASES:-$default_cases}

cargo build --release --locked -p thaiid-server --bin thaiid-server
server_bin=${THAIID_SERVER_BIN:-$target/release/thaiid-server}
# Built once, before the assertions' 90 s start.
prepare_bin=$(cargo bench --locked -p thaiid-server --bench wrk_assertions --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))$/\1/p')
scratch=
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "$scratch" ] || rm -rf "$scratch"
}
trap cleanup EXIT

field() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
cpu_ticks() { for pid in "$@"; do awk '{print $14+$15}' "/proc/$pid/stat"; done | paste -sd+ | bc; }
# "PID TICKS" of each PostgreSQL backend serving the database of URL (read only).
backend_ticks() {
  case $1 in postgres*) ;; *) return 0 ;; esac
  for pid in $(pgrep -f "^postgres: (.*: )?[^ ]+ ${1##*/} " || true); do
    echo "$pid $(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
  done
}
# The CPU ticks between two backend_ticks: a backend new since the first counts whole.
ticks_between() {
  awk 'NR == FNR {seen[$1] = $2; next} {d += $2 - ($1 in seen ? seen[$1] : 0)} END {print d + 0}' \
    <(echo "$1") <(echo "$2")
}

# measure DATABASE INSTANCES
measure() {
  local database=$1 instances=$2 url
  scratch=$(mktemp -d)
  case $database in
    sqlite) url=sqlite:$scratch/bench.db ;;
    postgres) url=$("$prepare_bin" createdb "$THAIID_TEST_POSTGRES") ;;
  esac
  DATABASE_URL=$url "$prepare_bin" prepare "$scratch" "$count"

  local ports=() port i
  for i in $(seq "$instances"); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ports+=("$port")
    DATABASE_URL=$url THAIID_SERVER_LISTEN=127.0.0.1:$port \
      THAIID_SERVER_PUBLIC_URL=https://sso.example.go.th \
      THAIID_SERVER_OTP_KEY_FILE=$scratch/otp.key THAIID_SERVER_CARD_KEY_FILE=$scratch/card.key \
      "$server_bin" serve 2>"$scratch/server-$i.log" &
    pids+=($!)
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/wrk-idle" && break
      sleep 0.1
    done
  done

  local per_wrk=$(( threads / instances > 0 ? threads / instances : 1 ))
  local cpu_before wrk_pids=()
  cpu_before=$(cpu_ticks "${pids[@]}")
  local db_before db_after
  db_before=$(backend_ticks "$url")
  mkdir "$scratch/done"
  for i in $(seq 0 $((instances - 1))); do
    THAIID_ASSERTIONS=$scratch/assertions.txt THAIID_SHARD=$i/$instances \
      THAIID_WRK_THREADS=$per_wrk THAIID_WRK_DONE=$scratch/done \
      wrk -t"$per_wrk" -c$((connections / instances)) -d300s --timeout 30s \
      -s server/benches/wrk/card-logins.lua "http://127.0.0.1:${ports[$i]}" >"$scratch/wrk-$i.out" &
    wrk_pids+=($!)
  done
  # Each wrk thread leaves a file once it has all its answers; wrk waits out -d otherwise.
  for _ in $(seq 3000); do
    [ "$(ls "$scratch/done" | wc -l)" -ge $((per_wrk * instances)) ] && break
    sleep 0.1
  done
  local cpu_after
  cpu_after=$(cpu_ticks "${pids[@]}")
  db_after=$(backend_ticks "$url")
  for i in "${wrk_pids[@]}"; do kill -INT "$i"; wait "$i" || true; done

  local accepted=0 p50= p99= started= finished= out refused
  for i in $(seq 0 $((instances - 1))); do
    out=$scratch/wrk-$i.out
    grep '^first_refusal' "$out" >&2 || true
    accepted=$((accepted + $(field accepted "$out")))
    p50="$p50 $(field p50_ms "$out")"
    p99="$p99 $(field p99_ms "$out")"
    started="$started $(field started "$out")"
    finished="$finished $(field finished "$out")"
    refused=$(field refused "$out")
    [ "$refused" = 0 ] || echo "instance $i: $refused refused" >&2
  done
  # From the first request sent to the last answer read, over all instances.
  local seconds rate
  seconds=$(echo "$started $finished" | awk -v n="$instances" '{s=$1; f=$(n+1);
    for (i=1;i<=n;i++) if ($i<s) s=$i; for (i=n+1;i<=2*n;i++) if ($i>f) f=$i; printf "%.3f", f-s}')
  rate=$(echo "$accepted $seconds" | awk '{printf "%.0f", $1/$2}')
  for i in "${pids[@]}"; do kill "$i"; wait "$i" 2>/dev/null || true; done
  pids=()

  DATABASE_URL=$url "$prepare_bin" check "$scratch" "$accepted"
  local openssl_verify ticks
  openssl_verify=$(openssl speed -seconds 5 -multi "$cores" ecdsap256 2>/dev/null |
    awk '/nistp256/ {v=$NF} END {print v}')
  ticks=$(getconf CLK_TCK)
  echo
  echo "== $database, $instances instance(s), $cores cores, $count assertions, wrk: $threads threads x $connections connections in all"
  echo "verifications/s: $rate (accepted: $accepted in $seconds s)"
  echo "p50 ms:$p50   p99 ms:$p99   (per instance)"
  echo "server CPU: $(echo "($cpu_after - $cpu_before) * 1000000 / $ticks / $accepted" | bc) µs/verification"
  [ "$database" = postgres ] &&
    echo "PostgreSQL backends' CPU: $(echo "$(ticks_between "$db_before" "$db_after") * 1000000 / $ticks / $accepted" | bc) µs/verification"
  echo "openssl speed -multi $cores ecdsap256: $openssl_verify verify/s; ratio: $(echo "scale=3; $rate / $openssl_verify" | bc)"
  echo "at: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  rm -rf "$scratch"
  scratch=
  # The database made for this case, dropped once measured (they pile up otherwise).
  if [ "$database" = postgres ]; then
    psql -q "$THAIID_TEST_POSTGRES" -c "DROP DATABASE \"${url##*/}\""
  fi
}

for case in $cases; do
  measure "${case%%:*}" "${case##*:}"
done
