#!/usr/bin/env bash
# Installs what the agent needs, starts pcscd with the virtual readers and the virtual
# card of the demo person (synthetic) in "Virtual PCD 00 00", and reads it as a user would.
# A real reader with a real card works the same: the agent reads the first card it finds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages
cargo build --release --locked -p thaiid-agent -p thaiid-tests
start_pcscd
./target/release/thaiid-vcard --slot 0 --fixture "${DEMO_FIXTURE:-demo}" &
vcard=$!
trap 'kill $vcard 2>/dev/null; stop_pcscd' EXIT

agent=./target/release/thaiid-agent
echo; echo "== thaiid-agent readers"; $agent readers
echo; echo "== thaiid-agent read"; $agent read --wait 10
echo; echo "== thaiid-agent read --json --photo target/demo-photo.jpg"
$agent read --json --photo target/demo-photo.jpg
echo; echo "The photo is in target/demo-photo.jpg. Try: $agent read --help"
