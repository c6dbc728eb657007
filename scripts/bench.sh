#!/usr/bin/env bash
# Card read benchmark through real pcscd + vpcd: APDUs, latency, peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
install_packages
start_pcscd
trap stop_pcscd EXIT
cargo bench -p thaiid-agent --bench read --locked
