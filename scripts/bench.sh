#!/usr/bin/env bash
# Benchmarks through real pcscd + vpcd: card reads (APDUs, latency, peak memory) and
# logins through the HTTPS API (latency, idle memory, binary size); the server's card-login
# verifications per second on SQLite and PostgreSQL, in process and with wrk
# (docs/server-benchmark.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
install_packages postgresql wrk
start_pcscd
start_postgres
trap 'stop_pcscd; stop_postgres' EXIT
cargo bench -p thaiid-agent --bench read --locked
cargo bench -p thaiid-agent --bench login --locked
cargo bench -p thaiid-server --bench verify --locked
bash scripts/bench-server.sh
