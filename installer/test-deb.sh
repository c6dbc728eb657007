#!/usr/bin/env bash
# The .deb end to end, as root on a Debian machine: builds it, runs lintian (no error
# allowed), installs it silently with preseeded answers and an env file, checks the
# files, the autostart entry, the configuration and the browser policies, keeps an
# admin's edit across a reinstall, makes two users trust agent CAs (one through the
# agent's own `setup`, one planted with certutil, only the purge's sweep can remove it),
# runs an agent, purges, and checks that nothing is left: no file, no CA in any user's
# NSS db, no running agent, no debconf answer. A bad origin must fail the install.
# Leaves the machine as it found it (package purged, test users and files removed).
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=thaiid-agent
USER_SETUP=thaiid-deb-test1
USER_PLANTED=thaiid-deb-test2
PLANTED_CA="ThaiID Login Agent local CA 0123ABCD"
ENV_FILE=/run/thaiid-deb-test.env
AGENT_PORT=47913
passes=0
failures=0

APT=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600)

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok    $*"; passes=$((passes + 1)); }
check() { # description, command...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

purge_package() {
  if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv "not-installed"; then
    "${APT[@]}" purge "$PKG" >/tmp/thaiid-deb-purge.log 2>&1 || { cat /tmp/thaiid-deb-purge.log >&2; return 1; }
  fi
  echo PURGE | debconf-communicate "$PKG" >/dev/null 2>&1 || true
}

cleanup() {
  purge_package || true
  for user in "$USER_SETUP" "$USER_PLANTED"; do
    pkill -u "$user" 2>/dev/null || true
    if id "$user" >/dev/null 2>&1; then userdel -r "$user" >/dev/null 2>&1 || true; fi
  done
  rm -f "$ENV_FILE"
  if [ -n "${made_etc_opt:-}" ]; then rmdir /etc/opt 2>/dev/null || true; fi
}
# A package this test did not install is somebody's agent: never purge it. The marker
# says a run of this test (maybe killed) installed it.
MARKER=/var/tmp/thaiid-deb-test.installed
status=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true)
if [ -n "$status" ] && [[ $status != *not-installed* ]] && [ ! -e "$MARKER" ]; then
  echo "thaiid-agent is installed on this machine and this test would purge it: purge it first" >&2
  exit 1
fi
touch "$MARKER"
trap 'cleanup; rm -f "$MARKER"' EXIT

as() { local user=$1; shift; runuser -u "$user" -- env -i HOME="/home/$user" PATH=/usr/bin:/bin "$@"; }
trusts() { # user, db dir, nickname
  as "$1" certutil -L -d "sql:$2" 2>/dev/null | grep -q "^$3 "
}
agent_cas() { # user, db dir: how many CAs of the agent the db holds
  as "$1" certutil -L -d "sql:$2" 2>/dev/null | grep -c "^ThaiID Login Agent local CA [0-9A-F]\{8\} " || true
}

# --- build and lint ---------------------------------------------------------------------
start=$(date +%s)
deb=$(bash installer/build-deb.sh | tail -1)
echo "built $deb in $(($(date +%s) - start)) s"
check "package file name is thaiid-agent_<version>_amd64.deb" test -f "$deb"
if lintian --fail-on error --display-level ">=warning" "$deb" >/tmp/thaiid-lintian.log 2>&1; then
  ok "lintian: no error ($(grep -c '^W:' /tmp/thaiid-lintian.log || true) warnings)"
else
  cat /tmp/thaiid-lintian.log >&2
  fail "lintian reports errors"
fi
sed 's/^/      lintian: /' /tmp/thaiid-lintian.log

depends=$(dpkg-deb -f "$deb" Depends)
for dep in libpcsclite1 pcscd libnss3-tools ucf debconf; do
  check "Depends names $dep" grep -q "\b$dep\b" <<<"$depends"
done
check "no systemd unit in the package (one autostart only)" bash -c "! dpkg-deb -c '$deb' | grep -q systemd"

# --- a clean start ----------------------------------------------------------------------
cleanup
# /etc/opt as an admin's (empty, no package's) directory: purge must keep it.
made_etc_opt=""
if [ ! -d /etc/opt ]; then mkdir /etc/opt; made_etc_opt=1; fi
made_chromium_policies=""
[ -d /etc/chromium/policies ] || made_chromium_policies=1

# --- silent install: preseed + env file (the env file wins) -------------------------------
debconf-set-selections <<EOF2
$PKG $PKG/server_url string https://LocalHost:9/ThaiID/
$PKG $PKG/allowed_origins string https://preseeded.example.go.th
$PKG $PKG/enroll_token password tok_ABCdef-123_xyz
EOF2
umask_old=$(umask)
umask 077
cat >"$ENV_FILE" <<'EOF2'
# test parameters
ALLOWED_ORIGINS="https://sso.example.go.th, https://SSO2.example.go.th:8443/"
EOF2
umask "$umask_old"
start=$(date +%s)
if THAIID_INSTALL_ENV=$ENV_FILE "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-install.log 2>&1; then
  ok "apt-get install ./$(basename "$deb") with preseeded answers ($(($(date +%s) - start)) s)"
else
  cat /tmp/thaiid-deb-install.log >&2
  fail "install"
  exit 1
fi

check "thaiid-agent --version runs" /usr/bin/thaiid-agent --version
conf=/etc/thaiid-agent/config.toml
check "config: server_url from preseed, normalised" grep -qx 'server_url = "https://localhost:9/ThaiID"' $conf
check "config: allowed_origins from the env file, normalised" \
  grep -qx 'allowed_origins = \["https://sso.example.go.th", "https://sso2.example.go.th:8443"\]' $conf
check "config: enroll_token from preseed" grep -qx 'enroll_token = "tok_ABCdef-123_xyz"' $conf
check "config readable by every user (each user's agent reads it)" test "$(stat -c %a $conf)" = 644
check "config managed by ucf (admin edits kept), not a dpkg conffile" \
  bash -c "ucfq -w $conf | grep -q ':$PKG:' && ! dpkg-query -W -f='\${Conffiles}' $PKG | grep -q config.toml"

desktop=/etc/xdg/autostart/thaiid-agent.desktop
check "autostart entry is valid (desktop-file-validate)" desktop-file-validate $desktop
check "autostart runs 'thaiid-agent serve'" grep -qx 'Exec=thaiid-agent serve' $desktop
# What starts it in a session: systemd's XDG autostart generator (GNOME, KDE on systemd).
GENERATOR=/usr/lib/systemd/user-generators/systemd-xdg-autostart-generator
autostart_unit() { # prints the generated unit for our entry, if any
  local out
  out=$(mktemp -d)
  "$GENERATOR" "$out" "$out" "$out" 2>/dev/null
  cat "$out/app-thaiid\x2dagent@autostart.service" 2>/dev/null || true
  rm -rf "$out"
}
if [ -x "$GENERATOR" ]; then
  check "a session's XDG autostart starts 'thaiid-agent serve'" \
    grep -qx 'ExecStart=:/usr/bin/thaiid-agent serve' <<<"$(autostart_unit)"
fi
check "autostart entry is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' $PKG | grep -q $desktop"

json_ok() { python3 -m json.tool "$1" >/dev/null 2>&1 || node -e "JSON.parse(require('fs').readFileSync('$1'))"; }
for dir in /etc/chromium/policies/managed /etc/opt/chrome/policies/managed /etc/opt/edge/policies/managed; do
  policy=$dir/thaiid-agent.json
  check "$policy is valid JSON" json_ok "$policy"
  check "$policy: LocalNetworkAccessAllowedForUrls is the SSO origins only" \
    grep -q '"LocalNetworkAccessAllowedForUrls": \["https://sso.example.go.th", "https://sso2.example.go.th:8443"\]' "$policy"
  check "$policy: LoopbackNetworkAllowedForUrls is the SSO origins only" \
    grep -q '"LoopbackNetworkAllowedForUrls": \["https://sso.example.go.th", "https://sso2.example.go.th:8443"\]' "$policy"
done
ff=/etc/firefox/policies/policies.json
if [ -e "$ff" ] && ! grep -q SkipDomains "$ff"; then
  echo "skip  $ff belongs to this machine's admin: not checked"
else
  check "$ff is valid JSON" json_ok "$ff"
  check "$ff: LocalNetworkAccess.SkipDomains is the SSO hosts" \
    grep -q '"SkipDomains": \["sso.example.go.th", "sso2.example.go.th"\]' "$ff"
fi

# --- an admin's edit survives a reinstall, also with new answers -------------------------
echo 'reader = "Admin Reader 00"' >>$conf
echo "$PKG $PKG/server_url string https://127.0.0.1:9" | debconf-set-selections
if "${APT[@]}" install --reinstall "./$deb" >/tmp/thaiid-deb-reinstall.log 2>&1; then
  check "admin's edit kept across reinstall" grep -qx 'reader = "Admin Reader 00"' $conf
  check "admin's file not replaced by new answers (noninteractive keeps it)" \
    grep -qx 'server_url = "https://localhost:9/ThaiID"' $conf
else
  cat /tmp/thaiid-deb-reinstall.log >&2
  fail "reinstall"
fi

# --- users: one through the agent's setup, one with a CA planted by certutil --------------
useradd -m -s /bin/bash "$USER_SETUP"
useradd -m -s /bin/bash "$USER_PLANTED"
home1=/home/$USER_SETUP
profile=$home1/.mozilla/firefox/test.default-esr
as "$USER_SETUP" mkdir -p "$profile"
as "$USER_SETUP" certutil -N -d "sql:$profile" --empty-password
printf '[Profile0]\nName=default-esr\nIsRelative=1\nPath=test.default-esr\n' | as "$USER_SETUP" tee "$home1/.mozilla/firefox/profiles.ini" >/dev/null
if as "$USER_SETUP" thaiid-agent setup >/tmp/thaiid-deb-setup.log 2>&1; then
  ok "thaiid-agent setup as $USER_SETUP"
else
  cat /tmp/thaiid-deb-setup.log >&2
  fail "thaiid-agent setup as $USER_SETUP"
fi
check "$USER_SETUP's ~/.pki/nssdb trusts the agent's CA" test "$(agent_cas "$USER_SETUP" "$home1/.pki/nssdb")" = 1
check "$USER_SETUP's Firefox profile trusts the agent's CA" test "$(agent_cas "$USER_SETUP" "$profile")" = 1

home2=/home/$USER_PLANTED
as "$USER_PLANTED" mkdir -p "$home2/.pki/nssdb"
as "$USER_PLANTED" certutil -N -d "sql:$home2/.pki/nssdb" --empty-password
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -days 1 \
  -subj "/CN=$PLANTED_CA" -out "/tmp/thaiid-deb-planted.pem" 2>/dev/null
as "$USER_PLANTED" certutil -A -d "sql:$home2/.pki/nssdb" -n "$PLANTED_CA" -t C,, </tmp/thaiid-deb-planted.pem
rm -f /tmp/thaiid-deb-planted.pem
check "$USER_PLANTED's db holds a planted agent CA" trusts "$USER_PLANTED" "$home2/.pki/nssdb" "$PLANTED_CA"

# A running agent on the machine's configuration (its self-enrollment meets a closed
# loopback port: this test sends nothing off the machine), which removing must stop.
runuser -u "$USER_SETUP" -- env -i HOME="$home1" PATH=/usr/bin:/bin \
  setsid thaiid-agent serve --port $AGENT_PORT >/tmp/thaiid-deb-serve.log 2>&1 </dev/null &
for _ in $(seq 50); do ss -ltn | grep -q ":$AGENT_PORT " && break; sleep 0.1; done
check "an agent serves as $USER_SETUP with the machine's configuration" \
  bash -c "pgrep -u $USER_SETUP -x thaiid-agent && ss -ltn | grep -q ':$AGENT_PORT '"

# `apt-get remove` or `purge`, timed, its output in /tmp/thaiid-deb-<step>.log.
apt_step() {
  local start
  start=$(date +%s)
  if "${APT[@]}" "$1" "$PKG" >"/tmp/thaiid-deb-$1.log" 2>&1; then
    ok "apt-get $1 $PKG ($(($(date +%s) - start)) s)"
  else
    cat "/tmp/thaiid-deb-$1.log" >&2
    fail "$1"
  fi
}

# --- remove (not purge) ---------------------------------------------------------------------
apt_step remove
grep 'thaiid-agent:' /tmp/thaiid-deb-remove.log | sed 's/^/      remove: /' || true
check "remove stopped the running agent" bash -c "! pgrep -x thaiid-agent -u $USER_SETUP"
check "remove took the CA out of $USER_SETUP's ~/.pki/nssdb (setup --uninstall)" \
  test "$(agent_cas "$USER_SETUP" "$home1/.pki/nssdb")" = 0
check "remove took the CA out of $USER_SETUP's Firefox profile" test "$(agent_cas "$USER_SETUP" "$profile")" = 0
check "remove deleted $USER_SETUP's CA files" test ! -e "$home1/.local/share/thaiid-agent/ca.pem"
check "remove keeps the configuration" test -f $conf
if [ -x "$GENERATOR" ]; then
  check "the autostart entry left by remove starts nothing (TryExec)" test -z "$(autostart_unit)"
fi

# --- purge --------------------------------------------------------------------------------
apt_step purge
sed 's/^/      purge: /' /tmp/thaiid-deb-purge.log | grep 'thaiid-agent:' || true
check "package gone" bash -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q installed"
for path in /usr/bin/thaiid-agent /etc/thaiid-agent /etc/xdg/autostart/thaiid-agent.desktop \
  /usr/share/thaiid-agent /usr/share/doc/thaiid-agent /var/lib/thaiid-agent \
  /etc/chromium/policies/managed/thaiid-agent.json /etc/opt/chrome/policies/managed/thaiid-agent.json \
  /etc/opt/edge/policies/managed/thaiid-agent.json "$home1/.local/share/thaiid-agent" \
  "$home1/.local/state/thaiid-agent"; do
  check "$path removed" test ! -e "$path"
done
if [ -e "$ff" ]; then check "$ff is not ours any more" bash -c "! grep -q sso.example.go.th $ff"; fi
check "no agent CA in $USER_SETUP's ~/.pki/nssdb" test "$(agent_cas "$USER_SETUP" "$home1/.pki/nssdb")" = 0
check "no agent CA in $USER_SETUP's Firefox profile" test "$(agent_cas "$USER_SETUP" "$profile")" = 0
check "planted CA swept from $USER_PLANTED's db" test "$(agent_cas "$USER_PLANTED" "$home2/.pki/nssdb")" = 0
check "/etc/opt kept (the package did not make it)" test -d /etc/opt
if [ -n "$made_chromium_policies" ]; then check "/etc/chromium/policies removed (the package made it)" test ! -e /etc/chromium/policies; fi
check "debconf answers gone" bash -c "! debconf-get-selections | grep -q '^${PKG}[[:space:]]'"
check "ucf forgot the config" bash -c "! ucfq -w /etc/thaiid-agent/config.toml | grep -q ':$PKG:'"

# --- a bad value fails the install with a clear message ------------------------------------
echo "$PKG $PKG/allowed_origins string http://sso.example.go.th" | debconf-set-selections
if "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-bad.log 2>&1; then
  fail "install with a plain-http origin succeeded"
else
  check "bad origin: the message names it and says what to write" \
    grep -q 'ALLOWED_ORIGINS: "http://sso.example.go.th" is not a web origin: plain http is allowed only for localhost' /tmp/thaiid-deb-bad.log
fi
purge_package

echo "deb: $passes checks passed, $failures failed"
[ "$failures" -eq 0 ]
