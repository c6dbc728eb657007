#!/usr/bin/env bash
# The Windows agent proven under Wine (issue 10, item 7), two parts:
#   wine8   Debian 12's Wine 8 (wine64): the .msi installed with SERVER_URL, ALLOWED_ORIGINS
#           and ENROLL_TOKEN against a real thaiid-server on loopback; the thaiid-agent
#           service running under Wine's services.exe, enrolled at install (the server's
#           `agent list`), its state dir, the token in no registry value, no file and on no
#           command line the install made (Wine's process trace), the
#           CA in the machine's Root store; /v1/status over HTTPS from a Windows client
#           (WinHTTP, Windows' own chain checks against the machine's Root store) and from
#           curl verifying against the CA taken out of that store; a login refused with
#           NO_READER (Wine 8's winscard is a stub); a squatted state dir refused; removal.
#   wine10  Debian 13's Wine 10 in a debootstrap'd chroot (cached under target/), talking to
#           the host's pcscd: `thaiid-agent read --json` of the virtual card and a full
#           login through the service.
# The service serves elevated callers (as root on Linux), and Wine's user is an
# administrator: the Windows clients run under its elevated token (Wine 8 starts programs
# with it, Wine 10 with the limited one). Wine cannot say whether the console is unlocked
# (no WTSSessionInfoEx), so the client under the limited token is refused, and a plain
# user's login is not shown here.
# Usage: installer/test-windows.sh [wine8|wine10|all]   (default all)
# A part that cannot run here says so loudly and the script exits non-zero: no silent skip.
#
# Needs (root): wine64 wixl msitools gcc-mingw-w64-x86-64 curl openssl; for wine10 also
# debootstrap, pcscd, vsmartcard-vpcd. Env: CARGO_TARGET_DIR, MSI_EXE (a built agent exe),
# THAIID_SERVER_BIN, KEEP=1 (keep the work dir).
# shellcheck disable=SC2034 # variables used inside the expect strings (eval)
set -euo pipefail
cd "$(dirname "$0")/.."
source installer/planted-ca.sh
root=$PWD
parts=${1:-all}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
wine=${WINE:-/usr/lib/wine/wine64}
server_bin=${THAIID_SERVER_BIN:-$CARGO_TARGET_DIR/debug/thaiid-server}
work=$(mktemp -d /tmp/thaiid-windows.XXXXXX)
server_pid=
# The SSO page's origin in ALLOWED_ORIGINS: https (the machine service refuses http: and
# loopback origins, SPEC §5); nothing is served there, the clients only send it as Origin.
export SSO_ORIGIN=https://sso.example.go.th
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  WINEPREFIX=$work/prefix "${WINESERVER:-/usr/lib/wine/wineserver}" -k 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

failures=0
ok() { echo "ok    $1"; }
fail() { echo "FAIL  $1" >&2; failures=$((failures + 1)); }
expect() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
loud() {
  echo "!!!!! test-windows: $*" >&2
  exit 1
}
seconds() { echo $(($(date +%s) - $1)); }

# ---- what both parts need: the agent's exe, the .msi, thaiid-server, the Windows client
build() {
  for tool in wixl msibuild x86_64-w64-mingw32-gcc curl openssl; do
    command -v "$tool" >/dev/null || loud "$tool not found: apt-get install wixl msitools gcc-mingw-w64-x86-64 curl openssl"
  done
  if [ -z "${MSI_EXE:-}" ]; then
    MSI_PROFILE=dev MSI_FEATURES= installer/build-msi.sh >/dev/null
    MSI_EXE=$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/debug/thaiid-agent.exe
  fi
  # Without its debug info the unoptimised exe loads in a fraction of the time (Wine's
  # service manager gives a starting service only a few seconds) and packs faster.
  x86_64-w64-mingw32-strip -o "$work/thaiid-agent.exe" "$MSI_EXE"
  export MSI_EXE=$work/thaiid-agent.exe
  msi=$(installer/build-msi.sh | tail -1)
  cp "$msi" "$work/agent.msi"
  # The server, and the virtual card for wine10 (no-ops after the workspace's build).
  [ -n "${THAIID_SERVER_BIN:-}" ] || cargo build --locked -p thaiid-server
  cargo build --locked -p thaiid-tests --bin thaiid-vcard
  x86_64-w64-mingw32-gcc -municode -O1 -o "$work/winhttp-client.exe" \
    installer/wine/winhttp-client.c -lwinhttp
  # Wine 8 lacks bcryptprimitives.dll (Rust's std calls its ProcessPrng): a stand-in
  # for the throwaway prefix, never in the .msi.
  cat >"$work/bcp.c" <<'EOF'
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return RtlGenRandom(data, (ULONG)len);
}
EOF
  x86_64-w64-mingw32-gcc -shared -O2 -o "$work/bcryptprimitives.dll" "$work/bcp.c" -ladvapi32
}

start_server() { # start_server PORT
  export DATABASE_URL="sqlite://$work/server.db?mode=rwc" THAIID_SERVER_LISTEN=127.0.0.1:$1 \
    THAIID_SERVER_PUBLIC_URL=http://127.0.0.1:$1 THAIID_SERVER_OTP_KEY_FILE=$work/otp.key
  "$server_bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do curl -s "http://127.0.0.1:$1/" >/dev/null && return; sleep 0.1; done
  loud "thaiid-server did not start (see $work/server.log)"
}

# The agent's CA as the machine's Root store holds it (Wine keeps the store in the
# registry: ...\SystemCertificates\ROOT\Certificates\<SHA-1>\Blob, a property list whose
# property 32 is the certificate), as PEM.
machine_root_ca() {
  "$wine" reg export 'HKLM\Software\Microsoft\SystemCertificates\ROOT\Certificates' \
    "$work/root.reg" /y >/dev/null 2>&1 || return 1
  python3 - "$work/root.reg" <<'EOF'
import base64, re, subprocess, sys
text = open(sys.argv[1], encoding="utf-16").read().replace("\\\r\n", "").replace("\\\n", "")
for blob in re.findall(r'"Blob"=hex:([0-9a-f,\s]+)', text):
    data = bytes(int(b, 16) for b in blob.replace(" ", "").split(",") if b)
    i = 0
    while i + 12 <= len(data):
        prop, _, size = (int.from_bytes(data[i + k:i + k + 4], "little") for k in (0, 4, 8))
        value = data[i + 12:i + 12 + size]
        i += 12 + size
        if prop != 32:
            continue
        pem = subprocess.run(["openssl", "x509", "-inform", "DER"], input=value,
                             capture_output=True).stdout.decode()
        subject = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem.encode(),
                                 capture_output=True).stdout.decode()
        if "ThaiID Login Agent local CA" in subject:
            print(pem, end="")
EOF
}

wine8() {
  local started
  started=$(date +%s)
  [ -x "$wine" ] || loud "wine8: no $wine: apt-get install wine64"
  echo "== wine8: $("$wine" --version)"
  export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
  "$wine" wineboot -i >/dev/null 2>&1
  # A new prefix's first boot keeps services.exe busy for a while (its autostarts time
  # out), and a service started meanwhile never gets its turn: let it settle and exit.
  "${WINESERVER:-/usr/lib/wine/wineserver}" -w
  # Stays up between commands, so that the service is not shut down with the last program.
  "${WINESERVER:-/usr/lib/wine/wineserver}" -p
  cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
  local port=18091
  start_server $port
  # The server under test on loopback; the SSO page's origin an https one, as the machine
  # service accepts no http: or loopback origin (SPEC §5).
  local server=http://127.0.0.1:$port origin=$SSO_ORIGIN
  local token
  token=$("$server_bin" token create --uses 1 --ttl 1h)
  local state="$WINEPREFIX/drive_c/ProgramData/thaiid-agent/state"
  local exe="$WINEPREFIX/drive_c/Program Files/ThaiID Login Agent/thaiid-agent.exe"
  # Not the default port: another agent on this machine (a developer's, a test's) may hold it.
  local agent_port=47213
  # The Windows client under the administrator's elevated token, and under its limited one.
  local client=(env WINEDEBUG=-all THAIID_PORT=$agent_port THAIID_TOKEN=elevated "$wine" "$work/winhttp-client.exe")
  local limited_client=(env WINEDEBUG=-all THAIID_PORT=$agent_port THAIID_TOKEN=limited "$wine" "$work/winhttp-client.exe")

  echo "== install: SERVER_URL, ALLOWED_ORIGINS, ENROLL_TOKEN"
  # Wine's process channel traces the command line of every process the install creates
  # (the custom action server, setup, enroll, service install, sc) as Windows' process-creation
  # logs and EDR would keep them.
  (cd "$work" && WINEDEBUG=-all,trace+process "$wine" msiexec /i agent.msi SERVER_URL="$server" \
    ALLOWED_ORIGINS="$origin" ENROLL_TOKEN="$token" PORT=$agent_port /qn /l*v install.log 2>"$work/process.log")
  grep -a 'CreateProcessInternalW' "$work/process.log" | grep -av 'msiexec.*/i agent.msi' >"$work/created.log" || true
  echo "      the install created $(wc -l <"$work/created.log") processes"
  expect "the install ran thaiid-agent.exe enroll --state-dir ... --server ... (Wine's process trace)" \
    'grep -a "thaiid-agent.exe" "$work/created.log" | grep -a "enroll --state-dir" | grep -qa -- "--server"'
  expect "  the token was on no command line of the install" '! grep -qaF -e "$token" "$work/created.log"'
  expect "exe in Program Files" '[ -f "$exe" ]'
  for _ in $(seq 100); do "$wine" sc query thaiid-agent 2>/dev/null | grep -q RUNNING && break; sleep 0.2; done
  expect "the service's ImagePath is quoted" \
    '"$wine" reg query "HKLM\System\CurrentControlSet\Services\thaiid-agent" /v ImagePath | grep -qF "\"C:\Program Files\ThaiID Login Agent\thaiid-agent.exe\" serve --service"'
  expect "  under its virtual account" \
    '"$wine" reg query "HKLM\System\CurrentControlSet\Services\thaiid-agent" /v ObjectName | grep -qF "NT SERVICE\thaiid-agent"'
  expect "the thaiid-agent service is RUNNING under services.exe" \
    '"$wine" sc query thaiid-agent 2>/dev/null | grep -q RUNNING'
  expect "enrolled at install: one agent on the server" '[ "$("$server_bin" agent list | grep -c active)" = 1 ]'
  expect "state dir in ProgramData: key, enrollment, counter, CA" \
    '[ -f "$state/agent.key" ] && [ -f "$state/enrollment.json" ] && [ -f "$state/ca.pem" ]'
  expect "no per-user state (the service's, not the installing user's)" \
    '! ls "$WINEPREFIX/drive_c/users/"*/AppData/Roaming/thaiid-agent/data/agent.key >/dev/null 2>&1'
  local commands
  commands=$(for proc in /proc/[0-9]*; do tr '\0' ' ' <"$proc/cmdline" 2>/dev/null && echo; done | grep -a 'thaiid-agent.exe' || true)
  expect "the running service's command line holds no token" '[ -n "$commands" ] && ! grep -qaF -e "$token" <<<"$commands"'
  expect "the token in no registry value" '! "$wine" reg query "HKLM\SOFTWARE\ThaiID Login Agent" /s 2>/dev/null | grep -qF -e "$token"'
  expect "the token in no file of the machine" '! grep -rqaF -e "$token" "$WINEPREFIX"'
  # MsiHiddenProperties keeps it out of Windows' log; Wine's msi ignores that property.
  if grep -qaF -e "$token" "$work/install.log"; then
    echo "note  the token is in the install log: Wine's msi ignores MsiHiddenProperties (Windows honours it)"
  else
    ok "the token is not in the install log"
  fi
  expect "Run key starts the tray" \
    '"$wine" reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run" | grep -qF "thaiid-agent.exe\" tray"'

  echo "== the machine's Root store and the HTTPS API"
  machine_root_ca >"$work/machine-root.pem" || true
  expect "the CA is in the machine's Root store" '[ -s "$work/machine-root.pem" ]'
  expect "  the same CA as the state dir's ca.pem" \
    'cmp -s <(openssl x509 -in "$work/machine-root.pem" -outform DER) <(openssl x509 -in "$state/ca.pem" -outform DER)'
  local answer elevation
  elevation=$(env WINEDEBUG=-all "$wine" "$work/winhttp-client.exe" TOKEN 2>/dev/null | tr -d '\r') || true
  echo "      the access token Wine 8 starts a program with: ${elevation:-no answer} (its user is an administrator)"
  for _ in $(seq 50); do
    answer=$("${client[@]}" GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
    [[ $answer == "HTTP 200"* ]] && break
    sleep 0.2
  done
  echo "      WinHTTP GET /v1/status: ${answer//$'\n'/ }"
  expect "/v1/status from an elevated Windows client, TLS checked by Windows against the Root store" \
    '[[ $answer == "HTTP 200"* && $answer == *"\"enrolled\":true"* ]]'
  answer=$("${limited_client[@]}" GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
  echo "      WinHTTP GET /v1/status, limited token: ${answer//$'\n'/ }"
  expect "  the same client under the administrator's limited token is refused: NOT_LOCAL_SESSION" \
    '[[ $answer == "HTTP 403"* && $answer == *NOT_LOCAL_SESSION* ]]'
  echo "note  Wine cannot show a plain user served at an unlocked console: it does not answer"
  echo "      WTSQuerySessionInformationW(WTSSessionInfoEx), so the service cannot tell the console"
  echo "      is unlocked and refuses every caller that is no administrator (as on Windows when"
  echo "      the lock state cannot be read); only elevated callers are served under Wine"
  answer=$(curl -s --cacert "$work/machine-root.pem" -H "Origin: $origin" -w ' HTTP %{http_code}' \
    "https://localhost:$agent_port/v1/status") || answer="curl failed: $?"
  echo "      curl GET /v1/status: $answer"
  expect "curl verifies the agent against the CA from the machine's Root store" \
    '[[ $answer == *"HTTP 200" || $answer == *"NOT_LOCAL_SESSION"* ]]'
  answer=$("${client[@]}" POST /v1/login "$origin" '{"nonce":"wine8-nonce-0123456789abcdef"}' | tr -d '\r') || true
  echo "      WinHTTP POST /v1/login: ${answer//$'\n'/ }"
  expect "an elevated client's login is refused with NO_READER (Wine 8's winscard is a stub)" '[[ $answer == *NO_READER* ]]'

  "$wine" "$exe" doctor --state-dir 'C:\ProgramData\thaiid-agent\state' >"$work/doctor.log" 2>&1 || true
  echo "      doctor: $(grep -a "key:" "$work/doctor.log" | tr -d '\r' | head -1)"
  expect "doctor says where the key is: DPAPI machine scope under Wine (no CNG ECDSA key there)" \
    'grep -aq "key: software key (DPAPI, machine scope)" "$work/doctor.log"'
  echo "== a CA planted in the state dir is refused, the Root store keeps the agent's own"
  # A working set (CA, leaf, key) under a CA named like the agent's, path length 0, without
  # name constraints: what the service's account could leave there for the next setup.
  mkdir "$work/planted" "$work/good"
  cp "$state/ca.pem" "$state/localhost.pem" "$state/localhost.key" "$work/good/"
  plant_ca "$work/planted"
  cp "$work/planted/ca.pem" "$work/planted/localhost.pem" "$work/planted/localhost.key" "$state/"
  expect "setup --state-dir refuses it (the install's RunSetup would fail)" \
    '! "$wine" "$exe" setup --state-dir "C:\\ProgramData\\thaiid-agent\\state" >"$work/planted-setup.log" 2>&1 && grep -aq "is refused, nothing trusts it: it is not name-constrained" "$work/planted-setup.log"'
  machine_root_ca >"$work/machine-root-planted.pem" || true
  expect "  the machine's Root store still holds the agent's own CA only" \
    'cmp -s "$work/machine-root-planted.pem" "$work/machine-root.pem"'
  cp "$work/good/ca.pem" "$work/good/localhost.pem" "$work/good/localhost.key" "$state/"

  echo "== a state dir a user made first is refused"
  mkdir -p "$WINEPREFIX/drive_c/ProgramData/squatted/state"
  expect "setup --state-dir on a folder not made by it fails" \
    '! "$wine" "$exe" setup --state-dir "C:\\ProgramData\\squatted\\state" >"$work/squat.log" 2>&1 && grep -q "not made by this agent" "$work/squat.log"'

  echo "== uninstall"
  (cd "$work" && "$wine" msiexec /x agent.msi /qn /l*v uninstall.log)
  expect "exe removed" '[ ! -f "$exe" ]'
  expect "service deleted" '! "$wine" sc query thaiid-agent >/dev/null 2>&1'
  machine_root_ca >"$work/machine-root-after.pem" || true
  expect "the CA left the machine's Root store" '[ ! -s "$work/machine-root-after.pem" ]'
  expect "the CA files left the state dir" '[ ! -f "$state/ca.pem" ]'

  "${WINESERVER:-/usr/lib/wine/wineserver}" -k 2>/dev/null || true
  kill "$server_pid" 2>/dev/null
  server_pid=
  echo "== wine8 took $(seconds "$started") s"
}

build
case $parts in
  wine8) wine8 ;;
  wine10) installer/wine/test-wine10.sh "$work" ;;
  all)
    wine8
    installer/wine/test-wine10.sh "$work" || failures=$((failures + 1))
    ;;
  *) loud "unknown part $parts (wine8, wine10 or all)" ;;
esac

if [ "$failures" -gt 0 ]; then
  KEEP=1
  echo "test-windows: $failures check(s) failed (work dir $work kept)" >&2
  exit 1
fi
echo "test-windows: all checks passed ($parts)"
