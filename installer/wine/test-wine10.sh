#!/usr/bin/env bash
# The Wine 10 part of installer/test-windows.sh (called by it with its work dir, which
# holds agent.msi, thaiid-agent.exe and winhttp-client.exe): Debian 13's Wine 10 in a
# debootstrap'd chroot, cached in $CARGO_TARGET_DIR/wine10/rootfs (made once, ~3 min and
# ~1.5 GB), with the host's libpcsclite bind-mounted over the chroot's and the host's
# /run/pcscd, so that Wine's winscard reaches the host's pcscd and its virtual readers.
# Checks: `thaiid-agent read --json` of the virtual card under Wine 10, and a full login
# through the service installed from the .msi: the SSO's nonce for its https origin, POST
# /v1/login from an elevated Windows client (one under the limited token is refused),
# the card put in, the ticket redeemed at the server with the SSO's API key.
# Anything missing is said loudly and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=${1:?usage: test-wine10.sh WORK_DIR (from installer/test-windows.sh)}
source scripts/lib.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
bin=$CARGO_TARGET_DIR/debug
server_bin=${THAIID_SERVER_BIN:-$bin/thaiid-server}
cache=$CARGO_TARGET_DIR/wine10
rootfs=$cache/rootfs
inside=/thaiid-work
started=$(date +%s)
loud() {
  echo "!!!!! test-wine10: $*" >&2
  exit 1
}
failures=0
ok() { echo "ok    $1"; }
fail() { echo "FAIL  $1" >&2; failures=$((failures + 1)); }
expect() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

[ "$(id -u)" = 0 ] || loud "needs root (debootstrap, chroot, mounts)"
for tool in debootstrap chroot mount curl; do
  command -v "$tool" >/dev/null || loud "$tool not found: apt-get install debootstrap"
done
[ -x "$bin/thaiid-vcard" ] || loud "no $bin/thaiid-vcard: cargo build -p thaiid-tests"
[ -x "$server_bin" ] || loud "no $server_bin: cargo build -p thaiid-server"

echo "== wine10: the Debian 13 chroot"
if [ ! -x "$rootfs/usr/lib/wine/wine64" ]; then
  rm -rf "$rootfs.tmp"
  mkdir -p "$cache"
  debootstrap --variant=minbase --include=ca-certificates trixie "$rootfs.tmp" \
    http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
    loud "debootstrap of Debian 13 failed (see $cache/debootstrap.log): the Wine 10 part cannot run here"
  chroot "$rootfs.tmp" apt-get update -q >>"$cache/debootstrap.log" 2>&1
  DEBIAN_FRONTEND=noninteractive chroot "$rootfs.tmp" apt-get install -y -q \
    --no-install-recommends wine64 libpcsclite1 >>"$cache/debootstrap.log" 2>&1 ||
    loud "cannot install wine64 in the Debian 13 chroot (see $cache/debootstrap.log)"
  mv "$rootfs.tmp" "$rootfs"
  echo "      made in $(($(date +%s) - started)) s (cached in $rootfs)"
else
  echo "      cached in $rootfs"
fi

# Mounts a killed run left behind.
for stale in $(awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
  umount -l "$stale" || true
done
# pcscd with its virtual readers on the host; the chroot talks to it.
start_pcscd
mounts=()
card_pid=
server_pid=
teardown() {
  set +e
  if [ -n "$card_pid" ]; then kill "$card_pid" 2>/dev/null; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; fi
  chroot "$rootfs" env WINEPREFIX=$inside/prefix10 /usr/lib/wine/wineserver -k 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  stop_pcscd
}
trap teardown EXIT
bind() { # bind SOURCE TARGET_IN_ROOTFS
  mkdir -p "$rootfs$2"
  mount --bind "$1" "$rootfs$2"
  mounts+=("$rootfs$2")
}
mount -t proc proc "$rootfs/proc"
mounts+=("$rootfs/proc")
bind /dev /dev
bind /run/pcscd /run/pcscd
bind "$work" "$inside"
# `localhost` (the agent's certificate name, which the Windows client connects to).
touch "$rootfs/etc/hosts"
mount --bind /etc/hosts "$rootfs/etc/hosts"
mounts+=("$rootfs/etc/hosts")
# The host's client library speaks the host pcscd's protocol.
host_pcsc=$(readlink -f /usr/lib/x86_64-linux-gnu/libpcsclite.so.1)
mount --bind "$host_pcsc" "$rootfs/usr/lib/x86_64-linux-gnu/libpcsclite.so.1"
mounts+=("$rootfs/usr/lib/x86_64-linux-gnu/libpcsclite.so.1")

# Not the default port: another agent on this machine (a developer's, a test's) may hold it.
agent_port=47313
w10() { chroot "$rootfs" env WINEPREFIX=$inside/prefix10 THAIID_PORT=$agent_port WINEDEBUG=${WINEDEBUG10:--all} HOME=/root /usr/lib/wine/wine64 "$@"; }
echo "      $(w10 --version)"
w10 wineboot -i >/dev/null 2>&1
chroot "$rootfs" env WINEPREFIX=$inside/prefix10 /usr/lib/wine/wineserver -w
# A server that stays up between commands: when the last program exits, Wine 10 shuts
# the services down (the agent's service included) after a few seconds.
chroot "$rootfs" env WINEPREFIX=$inside/prefix10 /usr/lib/wine/wineserver -p

# Virtual reader 1, locked for the whole run as the workspace's tests lock it (a flock on
# /tmp/thaiid-vpcd-1.lock; tests needing both readers take 0 first, so no deadlock):
# the card is taken out and put back in it while the lock is held.
slot=1
reader="Virtual PCD 00 01"
exec 9>>/tmp/thaiid-vpcd-$slot.lock
flock -w 900 9 || loud "virtual reader $slot stayed locked by other tests for 15 min"
card() {
  "$bin/thaiid-vcard" --slot "$slot" --fixture demo --no-lock >"$work/vcard.log" 2>&1 9>&- &
  card_pid=$!
  sleep 1
  kill -0 "$card_pid" 2>/dev/null || loud "the virtual card did not start: $(cat "$work/vcard.log")"
}

port=18092
# The server under test on loopback; the SSO page's origin an https one, as the machine
# service accepts no http: or loopback origin (SPEC §5). Its nonce comes from the server's
# API with the SSO's key, as its back end asks for one (installer/test-systemd.sh).
server=http://127.0.0.1:$port
origin=${SSO_ORIGIN:-https://sso.example.go.th}
export DATABASE_URL="sqlite://$work/server10.db?mode=rwc" THAIID_SERVER_LISTEN=127.0.0.1:$port \
  THAIID_SERVER_PUBLIC_URL=$server THAIID_SERVER_OTP_KEY_FILE=$work/otp10.key
"$server_bin" demo seed >"$work/seed.log" 2>&1 || loud "demo seed failed: $(cat "$work/seed.log")"
api_key=$("$server_bin" apikey create sso --origin "$origin")
"$server_bin" serve >"$work/server10.log" 2>&1 9>&- &
server_pid=$!
for _ in $(seq 100); do curl -s "$server/login" >/dev/null && break; sleep 0.1; done
token=$("$server_bin" token create --uses 1 --ttl 1h)

card
echo "== wine10: read the virtual card in $reader"
w10 "$inside/thaiid-agent.exe" read --json --reader "$reader" >"$work/read10.json" 2>"$work/read10.err" || true
expect "thaiid-agent read --json under Wine 10 reads the card" \
  'grep -q "\"citizen_id\"" "$work/read10.json"'
[ -s "$work/read10.err" ] && sed 's/^/      /' "$work/read10.err" | tail -3

echo "== wine10: install, then a full login through the service"
# The service reads only the locked reader. Given in the registry (as GPO would): Wine's
# msiexec cannot take a property value with spaces from a command line.
w10 reg add 'HKLM\SOFTWARE\ThaiID Login Agent' /v Reader /t REG_SZ /d "$reader" /f >/dev/null 2>&1
(cd "$work" && WINEDEBUG10=err+msi w10 msiexec /i "Z:\\thaiid-work\\agent.msi" SERVER_URL="$server" ALLOWED_ORIGINS="$origin" \
  ENROLL_TOKEN="$token" PORT=$agent_port /qn /l*v "Z:\\thaiid-work\\install10.log") >"$work/install10.out" 2>&1 ||
  fail "msiexec under Wine 10 (see $work/install10.out)"
expect "the service is RUNNING" 'w10 sc query thaiid-agent 2>/dev/null | grep -q RUNNING'
expect "enrolled at install" '[ "$("$server_bin" agent list | grep -c active)" = 1 ]'

# Wine 10's chain engine does not read the machine Root store's registry, where the agent
# (and Windows) keep added roots: the Windows client cannot verify the agent under Wine 10
# (it can under Wine 8, part wine8). Shown, then the client is told to accept the
# unknown root, and curl verifies the chain against the state dir's CA instead.
# Wine 10 starts programs with the limited token of its user, an administrator; the
# client runs under the elevated one (TOKEN=elevated, what "Run as administrator" gives).
client() { # client METHOD PATH ORIGIN [BODY] | TOKEN: the Windows client, told to accept
  # the unknown root, under the token TOKEN (elevated unless said)
  chroot "$rootfs" env WINEPREFIX=$inside/prefix10 THAIID_PORT=$agent_port THAIID_IGNORE_UNKNOWN_CA=1 \
    THAIID_TOKEN="${TOKEN:-elevated}" WINEDEBUG=-all /usr/lib/wine/wine64 "$inside/winhttp-client.exe" "$@"
}
elevation=$(w10 "$inside/winhttp-client.exe" TOKEN 2>/dev/null | tr -d '\r') || true
echo "      the access token Wine 10 starts a program with: ${elevation:-no answer} (its user is an administrator)"
for _ in $(seq 50); do
  answer=$(client GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
  [[ $answer == "HTTP 200"* ]] && break
  sleep 0.2
done
echo "      WinHTTP GET /v1/status: ${answer//$'\n'/ }"
expect "/v1/status from an elevated Windows client under Wine 10" \
  '[[ $answer == "HTTP 200"* && $answer == *"\"enrolled\":true"* ]]'
answer=$(TOKEN=limited client GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
echo "      WinHTTP GET /v1/status, limited token: ${answer//$'\n'/ }"
expect "  the same client under the administrator's limited token is refused: NOT_LOCAL_SESSION" \
  '[[ $answer == "HTTP 403"* && $answer == *NOT_LOCAL_SESSION* ]]'
echo "note  Wine cannot show a plain user served at an unlocked console: it does not answer"
echo "      WTSQuerySessionInformationW(WTSSessionInfoEx), so the service refuses every caller"
echo "      that is no administrator; the login below is an elevated administrator's"
answer=$(w10 "$inside/winhttp-client.exe" GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
echo "      WinHTTP GET /v1/status, Windows' own chain check: ${answer//$'\n'/ }"
[[ $answer == "HTTP 200"* ]] ||
  echo "note  Wine 10 does not trust the CA the agent put in the machine Root store (Wine 8 does)"
state_ca=$work/prefix10/drive_c/ProgramData/thaiid-agent/state/ca.pem
expect "curl verifies the agent's chain against the state dir's CA" \
  'curl -s --cacert "$state_ca" -o /dev/null "https://localhost:$agent_port/v1/status"'
# The SSO's nonce for its origin, as its back end asks the server for one.
nonce=$(curl -s -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  -d "{\"origin\":\"$origin\"}" "$server/api/v1/challenges" | sed -n 's/.*"nonce":"\([^"]*\)".*/\1/p')
expect "the SSO's nonce for $origin (POST /api/v1/challenges)" '[ -n "$nonce" ]'
# The login waits for the card: it is taken out and put back while the login waits.
# The login is asked once the agent has seen the card go, so it is the card put back
# that logs in.
kill "$card_pid" 2>/dev/null
wait "$card_pid" 2>/dev/null || true
card_pid=
for _ in $(seq 50); do
  answer=$(client GET /v1/status "$origin" 2>/dev/null | tr -d '\r') || true
  [[ $answer == *'"card_present":false'* ]] && break
  sleep 0.2
done
expect "the agent sees the card taken out" '[[ $answer == *"\"card_present\":false"* ]]'
(client POST /v1/login "$origin" "{\"nonce\":\"$nonce\"}" >"$work/login10.out" 2>&1) &
login_pid=$!
sleep 3
card
wait "$login_pid" || true
answer=$(tr -d '\r' <"$work/login10.out")
echo "      WinHTTP POST /v1/login: ${answer//$'\n'/ }"
expect "a login with the card: 200 and a ticket" '[[ $answer == "HTTP 200"* && $answer == *"\"ticket\""* ]]'
ticket=$(sed -n 's/.*"ticket":"\([^"]*\)".*/\1/p' <<<"$answer")
redeemed=$(curl -s -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  -d "{\"ticket\":\"$ticket\"}" "$server/api/v1/tickets/redeem" 2>&1) || true
echo "      redeemed: $(grep -o '"username":"[^"]*"' <<<"$redeemed" || cut -c1-200 <<<"$redeemed")"
expect "the SSO redeems the ticket at the server: the demo person (POST /api/v1/tickets/redeem)" \
  'grep -q "\"username\"" <<<"$redeemed"'

chroot "$rootfs" env WINEPREFIX=$inside/prefix10 /usr/lib/wine/wineserver -k 2>/dev/null || true
echo "== wine10 took $(($(date +%s) - started)) s"
if [ "$failures" -gt 0 ]; then
  echo "      the end of the service's log:"
  tail -n 20 "$work"/prefix10/drive_c/ProgramData/thaiid-agent/state/logs/* 2>/dev/null | cut -c1-300 | sed 's/^/      /'
  echo "test-wine10: $failures check(s) failed" >&2
  exit 1
fi
echo "test-wine10: all checks passed"
