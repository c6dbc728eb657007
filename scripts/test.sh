#!/usr/bin/env bash
# Runs every test: installs what they need (pcscd, vsmartcard-vpcd, certutil, chromium,
# openssl, node, postgresql), starts pcscd with its two virtual readers and PostgreSQL on
# loopback, runs the suite, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages iproute2 procps "${TEST_PACKAGES[@]}"
command -v node >/dev/null || install_packages nodejs
start_pcscd
start_postgres
trap 'stop_pcscd; stop_postgres' EXIT

node --test agent/assets/
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
# The .msi: its tables checked with msiinfo; its exe cross-built unoptimised (MSI_PROFILE).
MSI_PROFILE=${MSI_PROFILE:-dev} installer/test-msi.sh
# The .deb: build (release), lintian, silent install, checks, purge (installer/test-deb.sh).
bash installer/test-deb.sh
