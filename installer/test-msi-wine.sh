#!/usr/bin/env bash
# Runs the .msi under Wine (not Windows): install with properties, enrollment against a real
# thaiid-server, upgrade to a newer version without properties, removal; checks the files,
# the registry and the server's agent list at each step. Manual (Wine is large), not in CI.
#
# Needs: Debian packages wine64 wixl msitools gcc-mingw-w64-x86-64, a built thaiid-server
# (THAIID_SERVER_BIN, default target/release/thaiid-server) and the agent's exe
# (MSI_EXE, default: built by installer/build-msi.sh with MSI_PROFILE, default dev).
# Wine 8 lacks bcryptprimitives.dll (Rust's std calls its ProcessPrng): a stand-in built
# with mingw goes into the throwaway Wine prefix, never into the .msi.
#
# What Wine cannot show: Windows' confirmation dialog for a new root certificate, UAC,
# LocalSystem installs (Intune/SCCM), and UPGRADINGPRODUCTCODE (Wine's
# RemoveExistingProducts does not set it, so `setup --uninstall` also runs during this upgrade;
# Windows sets it and skips that).
# Variables used only inside the expect strings (eval) look unused to shellcheck.
# shellcheck disable=SC2034
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
wine=${WINE:-/usr/lib/wine/wine64}
server_bin=${THAIID_SERVER_BIN:-$root/target/release/thaiid-server}
work=$(mktemp -d /tmp/thaiid-msi-wine.XXXXXX)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
server_pid=
keep=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  "${WINESERVER:-/usr/lib/wine/wineserver}" -k 2>/dev/null || true
  [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

failures=0
ok() { echo "ok    $1"; }
fail() { echo "FAIL  $1" >&2; failures=$((failures + 1)); }
expect() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
reg_value() { "$wine" reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | awk -v n="$2" '$1 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'; }

[ -x "$wine" ] || { echo "no $wine: apt-get install wine64" >&2; exit 1; }
[ -x "$server_bin" ] || { echo "no $server_bin: cargo build --release -p thaiid-server" >&2; exit 1; }

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
if [ -z "${MSI_EXE:-}" ]; then
  profile=${MSI_PROFILE:-dev}
  profile_dir=$profile
  [ "$profile" = dev ] && profile_dir=debug
  MSI_PROFILE=$profile installer/build-msi.sh >/dev/null
  MSI_EXE=$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/$profile_dir/thaiid-agent.exe
fi
export MSI_EXE
old=$(installer/build-msi.sh | tail -1)
new=$(MSI_VERSION=99.0.0 installer/build-msi.sh | tail -1)
cp "$old" "$work/old.msi"
cp "$new" "$work/new.msi"

"$wine" wineboot -i >/dev/null 2>&1
cat >"$work/bcp.c" <<'EOF'
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return RtlGenRandom(data, (ULONG)len);
}
EOF
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" "$work/bcp.c" -ladvapi32

port=18089
export DATABASE_URL="sqlite://$work/server.db?mode=rwc" THAIID_SERVER_LISTEN=127.0.0.1:$port \
  THAIID_SERVER_PUBLIC_URL=http://127.0.0.1:$port
"$server_bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.2; done
token=$("$server_bin" token create --uses 5 --ttl 1d)
origin=http://127.0.0.1:$port
key='HKLM\SOFTWARE\ThaiID Login Agent'
exe="$WINEPREFIX/drive_c/Program Files/ThaiID Login Agent/thaiid-agent.exe"
data="$WINEPREFIX/drive_c/users/$(id -un)/AppData/Roaming/thaiid-agent/data"

echo "== install with SERVER_URL, ALLOWED_ORIGINS, ENROLL_TOKEN"
(cd "$work" && "$wine" msiexec /i old.msi SERVER_URL="$origin" ALLOWED_ORIGINS="$origin" ENROLL_TOKEN="$token" /qn /l*v install.log)
sleep 5 # RunSetup is not waited for
expect "exe in Program Files" '[ -f "$exe" ]'
expect "ServerUrl" '[ "$(reg_value "$key" ServerUrl)" = "$origin" ]'
expect "AllowedOrigins" '[ "$(reg_value "$key" AllowedOrigins)" = "$origin" ]'
expect "EnrollToken" '[ "$(reg_value "$key" EnrollToken)" = "$token" ]'
expect "no Port when PORT is not given" '[ -z "$(reg_value "$key" Port)" ]'
expect "Run key starts the agent" '"$wine" reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run" | grep -qF "ThaiID Login Agent    REG_SZ    \"C:\\Program Files\\ThaiID Login Agent\\thaiid-agent.exe\" serve"' 
for policy in 'Google\Chrome\LocalNetworkAccessAllowedForUrls' 'Google\Chrome\LoopbackNetworkAllowedForUrls' \
  'Microsoft\Edge\LocalNetworkAccessAllowedForUrls' 'Microsoft\Edge\LoopbackNetworkAllowedForUrls'; do
  expect "policy $policy = the origin" '[ "$(reg_value "HKLM\SOFTWARE\Policies\\$policy" 1)" = "$origin" ]'
done
expect "Firefox ImportEnterpriseRoots" '[ "$(reg_value "HKLM\SOFTWARE\Policies\Mozilla\Firefox\Certificates" ImportEnterpriseRoots)" = 0x1 ]'
expect "enroll ran as the installing user: one agent on the server" '[ "$("$server_bin" agent list | grep -c active)" = 1 ]'
expect "setup ran: the user's local CA" '[ -f "$data/ca.pem" ]'

echo "== upgrade to 99.0.0, no properties"
(cd "$work" && "$wine" msiexec /i new.msi /qn /l*v upgrade.log)
sleep 5
expect "one product left (the old one removed)" '[ "$(grep -c "RemoveExistingProducts. Return value 1" "$work/upgrade.log")" = 1 ]'
expect "ServerUrl remembered" '[ "$(reg_value "$key" ServerUrl)" = "$origin" ]'
expect "EnrollToken remembered" '[ "$(reg_value "$key" EnrollToken)" = "$token" ]'
expect "policy origin remembered" '[ "$(reg_value "HKLM\SOFTWARE\Policies\Google\Chrome\LocalNetworkAccessAllowedForUrls" 1)" = "$origin" ]'
expect "no second enrollment on upgrade" '[ "$("$server_bin" agent list | grep -c active)" = 1 ]'

echo "== uninstall"
(cd "$work" && "$wine" msiexec /x new.msi /qn /l*v uninstall.log)
expect "exe removed" '[ ! -f "$exe" ]'
expect "machine config removed" '! "$wine" reg query "$key" >/dev/null 2>&1'
expect "Chrome policy removed" '! "$wine" reg query "HKLM\SOFTWARE\Policies\Google\Chrome\LocalNetworkAccessAllowedForUrls" >/dev/null 2>&1'
expect "setup --uninstall ran: the user's CA files gone" '[ ! -f "$data/ca.pem" ]'

if [ "$failures" -gt 0 ]; then
  keep=1
  echo "test-msi-wine: $failures check(s) failed (logs in $work kept)" >&2
  exit 1
fi
echo "test-msi-wine: all checks passed"
