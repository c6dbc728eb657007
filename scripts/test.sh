#!/usr/bin/env bash
# Runs every test: installs what they need (pcscd, vsmartcard-vpcd, certutil, chromium,
# openssl, node, postgresql), starts pcscd with its two virtual readers and PostgreSQL on
# loopback, runs the suite, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages iproute2 procps "${TEST_PACKAGES[@]}"
command -v node >/dev/null || install_packages nodejs
command -v npm >/dev/null || install_packages npm
start_pcscd
start_postgres
trap 'stop_pcscd; stop_postgres' EXIT

node --test agent/assets/
cargo fmt --all -- --check
# The agent with both tray backends (agent/tests/tray.rs runs with `tray`), and once
# without them, so that neither build rots.
TRAY=(--features thaiid-agent/tray,thaiid-agent/tray-ksni)
cargo clippy --workspace --all-targets --locked "${TRAY[@]}" -- -D warnings
cargo clippy -p thaiid-agent --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast "${TRAY[@]}"
else
  cargo test --workspace --locked --no-fail-fast "${TRAY[@]}"
fi
# The OpenID Connect provider as openid-client (an OpenID-certified relying party) sees it,
# against the thaiid-server the tests just built.
npm ci --prefix server/tests/node --no-audit --no-fund --silent
node --test server/tests/node/
# The .msi: its tables checked with msiinfo; its exe cross-built unoptimised (MSI_PROFILE).
MSI_PROFILE=${MSI_PROFILE:-dev} installer/test-msi.sh
# The Windows-only code (registry, DPAPI, Root store, console) under clippy too, where the
# Windows target is there (test-msi adds it when rustup can reach static.rust-lang.org).
if rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  cargo clippy --workspace --lib --bins --locked --target x86_64-pc-windows-gnu \
    --features thaiid-agent/tray -- -D warnings
fi
# The Windows agent under Wine (installer/test-windows.sh): the .msi installed under Wine 8
# with a real thaiid-server (service, enrollment, machine Root store, HTTPS API, NO_READER),
# then Wine 10 in a Debian 13 chroot reading the virtual card and logging in through the
# service. ~2 min, plus ~3 min the first time (the chroot). It needs the exe: where rustup
# cannot add the Windows target it fails, loudly.
bash installer/test-windows.sh all
# The .deb: lintian, silent install enrolled at the debug thaiid-server, the machine
# service run as its user, Chromium's trust by policy, remove, purge (installer/test-deb.sh).
# It packages the agent the tests just built (with the tray) rather than building a release
# one: the package is what is tested here, and a release build would add minutes.
THAIID_DEB_BINARY=${CARGO_TARGET_DIR:-target}/debug/thaiid-agent THAIID_DEB_TRAY=1 \
  bash installer/test-deb.sh
# The same package under a real systemd (PID 1 in a Debian 12 container): the unit under
# its hardening, enrolled, socket-activated pcscd with the virtual card, a login for the
# active logind session's user, refused once locked or for another user
# (installer/test-systemd.sh). ~1 to 1.5 min (most of it packaging the debug agent again),
# plus 2 to 4 min the first time (debootstrap of the tree, cached in target/).
THAIID_DEB_BINARY=${CARGO_TARGET_DIR:-target}/debug/thaiid-agent THAIID_DEB_TRAY=1 \
  bash installer/test-systemd.sh
