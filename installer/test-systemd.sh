#!/usr/bin/env bash
# The .deb under a real systemd, as root on a machine without systemd as PID 1 (CI): boots
# Debian 12 with systemd as PID 1 in systemd-nspawn, installs the package there with a
# preseeded enrollment token, and checks what only a booted system shows: the unit started
# under its hardening, enrolled at a real thaiid-server, HTTPS on 127.0.0.1:47113,
# socket-activated pcscd seeing the virtual card, a login for the user of the active logind
# session on seat0, and refusals for that user once the session is locked (SESSION_LOCKED)
# and for another user (NOT_LOCAL_SESSION).
#
# The tree (debootstrap, ~600 MB) is cached in $CARGO_TARGET_DIR/systemd-bookworm, made
# once (~2 min) and again when its package list changes; each run boots it with
# --volatile=overlay (writes go to a tmpfs), so the cache stays clean.
# The container has its own network namespace (--private-network): its pcscd's vpcd
# listens on the usual 35963 without meeting the host's pcscd, and its agent on 47113
# without meeting an agent of the host. The thaiid-server and the virtual card are host
# binaries run inside that namespace (nsenter --net), so both reach it on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source installer/lib.sh

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bin=$CARGO_TARGET_DIR/debug
cache=$CARGO_TARGET_DIR/systemd-bookworm
rootfs=$cache/rootfs
mirror=${THAIID_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PKG=thaiid-agent
UNIT=thaiid-agent.service
ORIGIN=https://sso.example.go.th
AGENT=https://127.0.0.1:47113
SERVER_PORT=18093
SERVER=http://127.0.0.1:$SERVER_PORT
INSIDE=/thaiid-work # $work, read-only in the container
started=$(date +%s)

loud() {
  echo "!!!!! test-systemd: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || loud "needs root (debootstrap, systemd-nspawn, nsenter)"
for tool in debootstrap systemd-nspawn nsenter curl; do
  command -v "$tool" >/dev/null || loud "$tool not found: apt-get install debootstrap systemd-container"
done
# What it runs on the host: the debug builds (a no-op after the test suite built them).
[ -n "${THAIID_SERVER_BIN:-}" ] || cargo build --locked -q -p thaiid-server
cargo build --locked -q -p thaiid-tests --bin thaiid-vcard
server_bin=$(realpath "${THAIID_SERVER_BIN:-$bin/thaiid-server}")

# --- the package, and a tree with everything it Depends on -------------------------------
deb=$(bash installer/build-deb.sh | tail -1)
echo "== systemd: built $deb in $(($(date +%s) - started)) s"
# systemd as PID 1 with logind (libpam-systemd makes PAM logins logind sessions), the
# system bus, pcscd (socket-activated) with vpcd's virtual readers, curl for the checks,
# and the package's Depends (first alternatives, no versions): dpkg -i needs no network.
base=(systemd systemd-sysv dbus libpam-systemd udev pcscd libpcsclite1 libnss3-tools vsmartcard-vpcd
  curl ca-certificates)
mapfile -t depends < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g')
wanted=$(printf '%s\n' "${base[@]}" "${depends[@]}" | sort -u)

make_tree() {
  local start
  start=$(date +%s)
  echo "== systemd: making the Debian 12 tree in $rootfs (once; ~2 min)"
  rm -rf "$rootfs.tmp"
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    loud "debootstrap of Debian 12 from $mirror failed (see $cache/debootstrap.log)"
  # shellcheck disable=SC2086 # one package a word
  { chroot "$rootfs.tmp" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive chroot "$rootfs.tmp" apt-get install -y -q --no-install-recommends $wanted &&
    chroot "$rootfs.tmp" apt-get clean; } >>"$cache/debootstrap.log" 2>&1 ||
    loud "cannot install the packages in the Debian 12 tree (see $cache/debootstrap.log)"
  rm -rf "$rootfs"
  mv "$rootfs.tmp" "$rootfs"
  printf '%s\n' "$wanted" >"$cache/packages"
  echo "      made in $(($(date +%s) - start)) s"
}
if [ -x "$rootfs/usr/lib/systemd/systemd" ] && [ "$(cat "$cache/packages" 2>/dev/null)" = "$wanted" ]; then
  echo "== systemd: Debian 12 tree cached in $rootfs"
else
  make_tree
fi

# --- boot it ----------------------------------------------------------------------------
work=$(mktemp -d /tmp/thaiid-systemd-test.XXXXXX)
cp "$deb" "$work/"
nspawn_pid=
leader=
server_pid=
card_pid=
# Inside the container: its namespaces, a clean environment.
in_ct() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }
as_user() { # user, command...: a process of that user in the container, no PAM, no session
  local user=$1
  shift
  in_ct setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}
# A host binary in the container's network namespace only.
in_net() { nsenter -t "$leader" --net -- "$@"; }
journal() { # the container's journal (or one unit's), on a failure
  echo "----- container journal ${1:+(unit $1)}" >&2
  in_ct journalctl -b --no-pager -n 150 ${1:+-u "$1"} >&2 || cat "$work/console.log" >&2
}
teardown() {
  set +e
  stop_pid "$card_pid"
  stop_pid "$server_pid"
  if [ -n "$nspawn_pid" ]; then
    # SIGTERM: nspawn asks the container's systemd to power off; then it is killed.
    kill -TERM "$nspawn_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null
    wait "$nspawn_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap teardown EXIT
# Killed or interrupted: exit, so that teardown stops the container.
trap 'exit 1' INT TERM HUP
# A step that fails outside a check ends the run: say which.
trap 'echo "!!!!! test-systemd: line $LINENO failed: $BASH_COMMAND" >&2' ERR

echo "== systemd: booting the container"
boot_start=$(date +%s)
# --register=no --keep-unit: no machined and no systemd on the host to ask for a scope.
systemd-nspawn --boot --register=no --keep-unit --private-network --volatile=overlay \
  --console=read-only --bind-ro="$work:$INSIDE" -D "$rootfs" -M "thaiid-systemd-$$" \
  >"$work/console.log" 2>&1 </dev/null &
nspawn_pid=$!
# The container's PID 1 is nspawn's child that runs systemd.
for _ in $(seq 100); do
  for child in $(pgrep -P "$nspawn_pid"); do
    [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && leader=$child
  done
  [ -n "$leader" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$leader" ] || { cat "$work/console.log" >&2; loud "systemd-nspawn did not start systemd (its output above)"; }
state=
for _ in $(seq 120); do
  state=$(in_ct systemctl is-system-running 2>/dev/null) || true
  [[ $state == running || $state == degraded ]] && break
  sleep 0.5
done
if [[ $state == running || $state == degraded ]]; then
  ok "systemd booted in the container (PID 1, is-system-running: $state, in $(($(date +%s) - boot_start)) s)"
  [ "$state" = running ] || in_ct systemctl --failed --no-legend | sed 's/^/      failed: /'
else
  journal
  loud "the container's systemd is not up after 60 s (is-system-running: ${state:-no answer})"
fi

# --- a login server, and the package installed with a preseeded token ---------------------
export DATABASE_URL="sqlite://$work/server.db?mode=rwc" THAIID_SERVER_LISTEN=127.0.0.1:$SERVER_PORT \
  THAIID_SERVER_PUBLIC_URL=$SERVER
(cd "$work" && "$server_bin" demo seed) >"$work/seed.log" 2>&1 || { cat "$work/seed.log" >&2; loud "demo seed failed"; }
api_key=$(cd "$work" && "$server_bin" apikey create sso --origin "$ORIGIN")
(cd "$work" && exec nsenter -t "$leader" --net -- "$server_bin" serve) >"$work/server.log" 2>&1 &
server_pid=$!
wait_until 10 in_net curl -sf -o /dev/null "$SERVER/login" || { cat "$work/server.log" >&2; loud "thaiid-server did not start"; }
token=$(cd "$work" && "$server_bin" token create --uses 1 --ttl 1h)
# The token reaches debconf on stdin only, as an admin's preseed file would.
in_ct debconf-set-selections <<EOF
$PKG $PKG/server_url string $SERVER/
$PKG $PKG/allowed_origins string $ORIGIN
$PKG $PKG/enroll_token password $token
EOF
if in_ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$INSIDE/$(basename "$deb")" >"$work/install.log" 2>&1; then
  ok "apt-get install of $(basename "$deb") with a preseeded token"
else
  cat "$work/install.log" >&2
  journal $UNIT
  loud "the package did not install"
fi

# --- the unit, under its hardening --------------------------------------------------------
wait_until 10 in_ct systemctl is-active --quiet $UNIT || true
check "$UNIT is active (started by the install)" in_ct systemctl is-active --quiet $UNIT
show() { in_ct systemctl show -p "$1" --value $UNIT; }
check "the unit's hardening is loaded: ProtectProc=invisible, PrivateDevices, ProtectSystem=strict" \
  test "$(show ProtectProc) $(show PrivateDevices) $(show ProtectSystem)" = "invisible yes strict"
# An allow list (no leading ~) with @system-service's openat, without what ~@privileged
# takes out of it (chown, setuid).
syscalls=" $(show SystemCallFilter) "
check "the unit's SystemCallFilter is @system-service less @privileged (openat in; chown, setuid out)" \
  eval '[[ $syscalls != " ~"* && $syscalls == *" openat "* && $syscalls != *" chown "* && $syscalls != *" setuid "* ]]'
main_pid=$(show MainPID)
proc_status=$(in_ct cat "/proc/$main_pid/status" 2>/dev/null || true)
check "the service process runs as thaiid-agent with no_new_privs and a seccomp filter (/proc/PID/status)" \
  eval '[ "$(in_ct ps -o user= -p "$main_pid")" = thaiid-agent ] &&
    grep -qx "NoNewPrivs:[[:space:]]*1" <<<"$proc_status" && grep -qx "Seccomp:[[:space:]]*2" <<<"$proc_status"'
check "enrolled at install: the server lists one agent" \
  test "$(cd "$work" && "$server_bin" agent list | grep -c active)" = 1
status() { # GET /v1/status as root in the container, trusting only the agent's CA
  in_ct curl -sS --max-time 10 --cacert /etc/thaiid-agent/ca.pem -H "Origin: $ORIGIN" "$AGENT/v1/status"
}
wait_until 10 status >/dev/null || true
check "HTTPS on 127.0.0.1:47113 in the container: /v1/status enrolled:true (curl --cacert the agent's CA)" \
  json_of "$(status 2>/dev/null)" 'assert d["enrolled"] is True'

# --- alice's logind session on seat0, then the card ---------------------------------------
# A PAM login (pam_systemd) of a tty type on seat0: what a console login registers. The
# container has no VTs, so logind activates a new session on seat0 at once.
in_ct useradd -m alice
in_ct useradd -m bob
in_ct systemd-run --quiet --unit thaiid-test-alice -p PAMName=login -p User=alice \
  -E XDG_SEAT=seat0 -E XDG_SESSION_TYPE=tty -E XDG_SESSION_CLASS=user sleep infinity
alice_uid=$(in_ct id -u alice)
seat_active_uid() { in_ct sed -n 's/^ACTIVE_UID=//p' /run/systemd/seats/seat0; }
alice_active() { [ "$(seat_active_uid)" = "$alice_uid" ]; }
wait_until 10 alice_active || true
session=$(in_ct loginctl show-seat seat0 -p ActiveSession --value)
session_opened() { [ "$(in_ct loginctl show-session "$session" -p State --value)" = active ]; }
wait_until 10 session_opened || true
check "alice's session $session is seat0's active session (/run/systemd/seats/seat0 ACTIVE_UID=$alice_uid)" \
  test "$(seat_active_uid)" = "$alice_uid" -a -n "$session"
echo "      $(in_ct loginctl show-session "$session" -p Class -p Type -p Active -p State | tr '\n' ' ')"

# The agent opened pcscd's socket: systemd started pcscd, and vpcd listens for the card.
check "pcscd was started by its socket (pcscd.service active)" wait_until 10 in_ct systemctl is-active --quiet pcscd.service
vpcd_listening() { in_net ss -ltnH 'sport = :35963' | grep -q .; }
wait_until 10 vpcd_listening || fail "vpcd (the container's pcscd) does not listen on 35963"
card_present() { json_of "$(status 2>/dev/null)" 'assert any(r["card_present"] for r in d["readers"])'; }
card_out() { ! card_present; }
insert_card() { # into the container's first vpcd reader; 0 once the agent sees it
  nsenter -t "$leader" --net -- "$bin/thaiid-vcard" --slot 0 --fixture demo --no-lock >"$work/vcard.log" 2>&1 &
  card_pid=$!
  wait_until 15 card_present
}
reinsert_card() { # one insertion authorizes one login: out, and in again
  stop_pid "$card_pid"
  wait_until 10 card_out && insert_card
}
if insert_card; then
  ok "the agent sees the virtual card in the container's pcscd ($(status | tr -d '\n'))"
else
  fail "the agent sees no card: $(status 2>&1) $(cat "$work/vcard.log")"
fi

# --- logins: alice, bob, alice locked -------------------------------------------------------
nonce() { # a challenge for the SSO's origin, as its server asks for one
  in_net curl -sS --max-time 10 -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
    -d "{\"origin\":\"$ORIGIN\"}" "$SERVER/api/v1/challenges" | sed -n 's/.*"nonce":"\([^"]*\)".*/\1/p'
}
login_as() { # user: POST /v1/login from a process of that user; prints "STATUS BODY"
  as_user "$1" curl -sS --max-time 40 --cacert /etc/thaiid-agent/ca.pem -H "Origin: $ORIGIN" \
    -H 'Content-Type: application/json' -H 'X-ThaiID-Agent: 1' -d "{\"nonce\":\"$(nonce)\"}" \
    -w ' %{http_code}' "$AGENT/v1/login" | sed 's/^\(.*\) \([0-9]*\)$/\2 \1/'
}
answer=$(login_as alice)
check "alice (active session) logs in: 200 and a ticket" grep -q '^200 .*"ticket"' <<<"$answer"
ticket=$(sed -n 's/.*"ticket":"\([^"]*\)".*/\1/p' <<<"$answer")
redeemed=$(in_net curl -sS --max-time 10 -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  -d "{\"ticket\":\"$ticket\"}" "$SERVER/api/v1/tickets/redeem" 2>&1 || true)
check "the SSO redeems alice's ticket at the server" grep -q '"username"' <<<"$redeemed"
check "the server logged the card login" grep -q 'card login: ticket issued' "$work/server.log"

answer=$(login_as bob)
check "bob (no active session) is refused: 403 NOT_LOCAL_SESSION" grep -q '^403 .*NOT_LOCAL_SESSION' <<<"$answer"
echo "      $answer"

# A new insertion while alice's session is active and unlocked: only the lock can refuse her.
reinsert_card || fail "the card, taken out and put back, is not seen again"
# The screen locker's part: `loginctl lock-session` only asks the session to lock (a Lock
# signal); the locker then sets LockedHint, which logind lets the session's user set.
session_path=$(in_ct busctl call org.freedesktop.login1 /org/freedesktop/login1 \
  org.freedesktop.login1.Manager GetSession s "$session" | sed -n 's/^o "\(.*\)"$/\1/p')
in_ct loginctl lock-session "$session"
echo "      after loginctl lock-session: $(in_ct loginctl show-session "$session" -p LockedHint)"
locked_hint() { # true|false, as alice's screen locker says it
  as_user alice busctl call org.freedesktop.login1 "$session_path" org.freedesktop.login1.Session \
    SetLockedHint b "$1" || fail "alice cannot SetLockedHint $1 on $session_path"
}
locked_hint true
check "alice's screen locker set LockedHint (loginctl show-session)" \
  test "$(in_ct loginctl show-session "$session" -p LockedHint --value)" = yes
echo "      /run/systemd/sessions/$session: $(in_ct grep -v '^#' "/run/systemd/sessions/$session" | tr '\n' ' ')"
answer=$(login_as alice)
check "alice's locked session is refused: 403 SESSION_LOCKED" grep -q '^403 .*SESSION_LOCKED' <<<"$answer"
echo "      $answer"
# Control: unlocked again, with a new insertion, alice logs in.
locked_hint false
reinsert_card || fail "the card, taken out and put back, is not seen again"
answer=$(login_as alice)
check "alice, unlocked again, logs in after a new insertion: 200" grep -q '^200 .*"ticket"' <<<"$answer"

echo "systemd: $passes checks passed, $failures failed, in $(($(date +%s) - started)) s"
if [ "$failures" -gt 0 ]; then
  journal $UNIT
  exit 1
fi
