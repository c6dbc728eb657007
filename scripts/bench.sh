#!/usr/bin/env bash
# Benchmarks through real pcscd + vpcd: card reads (APDUs, latency, peak memory) and
# logins through the HTTPS API (latency, idle memory, binary size).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
install_packages
start_pcscd
trap stop_pcscd EXIT
cargo bench -p thaiid-agent --bench read --locked
cargo bench -p thaiid-agent --bench login --locked
