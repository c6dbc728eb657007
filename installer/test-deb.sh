#!/usr/bin/env bash
# The .deb end to end, as root on a Debian machine (CI: no systemd as PID 1): builds it,
# runs lintian (no error allowed), starts a real thaiid-server on loopback, installs the
# package silently with a preseeded enrollment token and an env file, and checks the
# machine service: its system user, its 0700 state dir, the enrollment the server lists,
# the token in no file and on no command line, the unit (systemd-analyze verify) and its
# ExecStart run by hand as the service user, /v1/status enrolled over HTTPS trusted by the
# CA copy, a second local user who cannot read the key, Chromium trusting the agent through
# the managed policy alone; a reinstall that keeps the enrollment and the admin's edits and
# stops the old per-user agent; a CA planted in the state dir refused and not trusted; remove, purge (user, state, CA, policies, debconf answers
# gone; Chromium refuses the same certificate); bad install parameters fail the install.
# Leaves the machine as it found it (package purged, test user and files removed).
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=thaiid-agent
SVC_USER=thaiid-agent
STATE=/var/lib/thaiid-agent
UNIT=/lib/systemd/system/thaiid-agent.service
CA_COPY=/etc/thaiid-agent/ca.pem
OTHER_USER=thaiid-deb-test1
ORIGIN=https://sso.example.go.th
ENV_FILE=/run/thaiid-deb-test.env
AGENT_PORT=47113
SERVER_BIN=${THAIID_SERVER_BIN:-${CARGO_TARGET_DIR:-target}/debug/thaiid-server}
exec 3>&2
source installer/lib.sh
source installer/planted-ca.sh

APT=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600)

[ -x "$SERVER_BIN" ] || { echo "no $SERVER_BIN: cargo build -p thaiid-server --bin thaiid-server" >&2; exit 1; }
SERVER_BIN=$(realpath "$SERVER_BIN")

purge_package() {
  if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv "not-installed"; then
    "${APT[@]}" purge "$PKG" >/tmp/thaiid-deb-purge.log 2>&1 || { cat /tmp/thaiid-deb-purge.log >&2; return 1; }
  fi
  echo PURGE | debconf-communicate "$PKG" >/dev/null 2>&1 || true
}

# Background processes of this test, stopped by their PIDs.
pids=()
work=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  purge_package || true
  if id "$OTHER_USER" >/dev/null 2>&1; then
    pkill -u "$OTHER_USER" 2>/dev/null || true
    userdel -r "$OTHER_USER" >/dev/null 2>&1 || true
  fi
  rm -f "$ENV_FILE"
  [ -z "$work" ] || rm -rf "$work"
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
work=$(mktemp -d /tmp/thaiid-deb-test.XXXXXX)
chmod 0700 "$work"

not() { ! "$@"; }
# A PID that is running, not a zombie waiting for this script.
running() { [ -e "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $2" "$1"; }
listening() { ss -ltnH "sport = :$1" | grep -q .; }
wait_listening() { # port, pid: 0 once it listens, 1 if the process ended or 10 s passed
  for _ in $(seq 100); do
    listening "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
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
for dep in libpcsclite1 pcscd ucf adduser debconf; do
  check "Depends names $dep" grep -q "\b$dep\b" <<<"$depends"
done
check "the package ships the system unit ${UNIT#/}" bash -c "dpkg-deb -c '$deb' | grep -q ' \\.$UNIT\$'"

# --- a clean start and a login server ------------------------------------------------------
cleanup
work=$(mktemp -d /tmp/thaiid-deb-test.XXXXXX)
chmod 0700 "$work"
if listening $AGENT_PORT; then
  echo "port $AGENT_PORT is taken on this machine: the service under test needs it" >&2
  exit 1
fi
# /etc/opt as an admin's (empty, no package's) directory: purge must keep it.
made_etc_opt=""
if [ ! -d /etc/opt ]; then mkdir /etc/opt; made_etc_opt=1; fi
made_chromium_policies=""
[ -d /etc/chromium/policies ] || made_chromium_policies=1

server_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_url=http://127.0.0.1:$server_port
export DATABASE_URL="sqlite://$work/server.db?mode=rwc" THAIID_SERVER_LISTEN=127.0.0.1:$server_port \
  THAIID_SERVER_PUBLIC_URL=$server_url
(cd "$work" && exec "$SERVER_BIN" serve >"$work/server.log" 2>&1) &
pids+=($!)
wait_listening "$server_port" "${pids[-1]}" || { cat "$work/server.log" >&2; echo "thaiid-server did not start" >&2; exit 1; }
# The token goes from here to debconf and nowhere else: never printed, never an argument
# of a command that outlives this line (debconf-set-selections reads it on stdin).
token=$(cd "$work" && "$SERVER_BIN" token create --uses 5 --ttl 1h)
printf '%s\n' "$token" >"$work/token"
agents_listed() { (cd "$work" && "$SERVER_BIN" agent list) 2>/dev/null; }
check "thaiid-server answers and lists no agent yet" test -z "$(agents_listed | grep -v '^ID\b' || true)"


# --- silent install: preseed + env file (the env file wins) -------------------------------
debconf-set-selections <<EOF2
$PKG $PKG/server_url string $server_url/
$PKG $PKG/allowed_origins string https://preseeded.example.go.th
$PKG $PKG/enroll_token password $token
EOF2
umask_old=$(umask)
umask 077
cat >"$ENV_FILE" <<EOF2
# test parameters
ALLOWED_ORIGINS="$ORIGIN, https://SSO2.example.go.th:8443/"
EOF2
umask "$umask_old"
start=$(date +%s)
# Under strace, which writes down every command line (argv; not the environment) of the
# install: `ps` shows those to every user, so the token must be on none of them.
if THAIID_INSTALL_ENV=$ENV_FILE strace -f -qq -e trace=execve -e signal=none -s 65536 -o "$work/exec.log" \
  "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-install.log 2>&1; then
  ok "apt-get install ./$(basename "$deb") with preseeded answers and a token ($(($(date +%s) - start)) s)"
else
  cat /tmp/thaiid-deb-install.log >&2
  fail "install"
  exit 1
fi
grep 'thaiid-agent:' /tmp/thaiid-deb-install.log | sed 's/^/      install: /' || true
check "the install ran thaiid-agent setup and enroll --state-dir (strace)" \
  bash -c "grep -q 'execve(\"/usr/bin/thaiid-agent\", \[\"/usr/bin/thaiid-agent\", \"setup\", \"--state-dir\"' $work/exec.log &&
    grep -q 'execve(\"/usr/bin/thaiid-agent\", \[\"/usr/bin/thaiid-agent\", \"enroll\", \"--state-dir\"' $work/exec.log"
check "the token was on no command line of the install ($(grep -c execve "$work/exec.log") commands)" \
  not grep -qFf "$work/token" "$work/exec.log"
rm -f "$work/exec.log"

check "thaiid-agent --version runs" /usr/bin/thaiid-agent --version

# --- the service user and its state -------------------------------------------------------------
IFS=: read -r _ _ svc_uid _ _ svc_home svc_shell <<<"$(getent passwd $SVC_USER || echo ::::::)"
check "service user $SVC_USER exists, a system account (uid $svc_uid)" test -n "$svc_uid" -a "${svc_uid:-1000}" -lt 1000
check "service user has no login shell ($svc_shell)" grep -qE '/(nologin|false)$' <<<"$svc_shell"
check "service user's home is $STATE" test "$svc_home" = "$STATE"
check "$STATE is 0700 and owned by $SVC_USER" test "$(stat -c '%a %U' $STATE)" = "700 $SVC_USER"
for file in agent.key enrollment.json localhost.key; do
  check "$STATE/$file is 0600 and owned by $SVC_USER" test "$(stat -c '%a %U' "$STATE/$file" 2>/dev/null)" = "600 $SVC_USER"
done
check "root's notes (/var/lib/thaiid-agent-install) are 0700 root, out of the service's reach" \
  test "$(stat -c '%a %U' /var/lib/thaiid-agent-install 2>/dev/null)" = "700 root"
check "$STATE holds no file of root's (the service could swap it for a symlink)" \
  test -z "$(find $STATE -user root -print -quit)"
agent_id=$(json "$STATE/enrollment.json" 'print(d["agent_id"])' 2>/dev/null || true)
check "enrolled at install: enrollment.json names an agent id" test -n "$agent_id"
check "the server lists the agent ($agent_id)" test -n "$agent_id" -a "$(agents_listed | grep -cF -- "${agent_id:-none}")" = 1

check "CA copy $CA_COPY is 0644, owned by root" test "$(stat -c '%a %U' $CA_COPY 2>/dev/null)" = "644 root"
check "CA copy is the state dir's CA certificate" \
  bash -c "diff <(openssl x509 -in $CA_COPY -outform DER | base64 -w0) <(openssl x509 -in $STATE/ca.pem -outform DER | base64 -w0)"
check "the CA is name-constrained, and no CA key is in the state dir" \
  bash -c "openssl x509 -in $CA_COPY -noout -ext nameConstraints | grep -q Permitted && ! grep -q 'PRIVATE KEY' $STATE/ca.pem && ! ls $STATE | grep -q '^ca.*key'"

# --- the token: used once, then nowhere ----------------------------------------------------------
stored_token() { # the enroll_token answer debconf keeps (passwords.dat), if any
  awk '/^Name: thaiid-agent\/enroll_token$/ { f = 1 } f && /^Value:/ { sub(/^Value: ?/, ""); print; exit }' \
    /var/cache/debconf/passwords.dat
}
check "debconf keeps no enrollment token (passwords.dat)" test -z "$(stored_token)"
if grep -rIlsF -f "$work/token" /etc /var /usr /run /home /tmp --exclude-dir="$(basename "$work")" >"$work/token-files"; then
  fail "the token is in these files: $(tr '\n' ' ' <"$work/token-files")"
else
  ok "the token is in no file under /etc /var /usr /run /home /tmp (debconf cache, dpkg, logs, state included)"
fi

conf=/etc/thaiid-agent/config.toml
check "config: server_url from preseed, normalised" grep -qx "server_url = \"$server_url\"" $conf
check "config: allowed_origins from the env file, normalised" \
  grep -qx 'allowed_origins = \["https://sso.example.go.th", "https://sso2.example.go.th:8443"\]' $conf
check "config: no enroll_token" bash -c "! grep -q enroll_token $conf"
check "config readable by every user (the tray reads it)" test "$(stat -c %a $conf)" = 644
check "config managed by ucf (admin edits kept), not a dpkg conffile" \
  bash -c "ucfq -w $conf | grep -q ':$PKG:' && ! dpkg-query -W -f='\${Conffiles}' $PKG | grep -q config.toml"

# --- the unit -----------------------------------------------------------------------------------
check "the unit passes systemd-analyze verify" systemd-analyze verify --man=no "$UNIT"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "the unit runs '/usr/bin/thaiid-agent serve --state-dir $STATE'" \
  test "$exec_start" = "/usr/bin/thaiid-agent serve --state-dir $STATE"
check "the unit runs as $SVC_USER, state dir 0700, restarts on failure" \
  bash -c "grep -qx 'User=$SVC_USER' $UNIT && grep -qx 'StateDirectoryMode=0700' $UNIT && grep -qx 'Restart=on-failure' $UNIT"
for setting in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
  check "the unit hardens: $setting" grep -qx "$setting" "$UNIT"
done
rules=/usr/share/polkit-1/rules.d/thaiid-agent.rules
check "a polkit rule lets $SVC_USER use pcscd where pcscd asks polkit" grep -q "subject.user == \"$SVC_USER\"" $rules
if command -v node >/dev/null; then
  check "the polkit rule is JavaScript that parses" \
    node -e "new Function(require('fs').readFileSync(process.argv[1], 'utf8'))" $rules
fi
check "the unit is enabled (multi-user.target.wants)" test -L /etc/systemd/system/multi-user.target.wants/thaiid-agent.service

desktop=/etc/xdg/autostart/thaiid-agent.desktop
check "autostart entry is valid (desktop-file-validate)" desktop-file-validate $desktop
check "autostart starts the tray client, 'thaiid-agent tray', not an agent per user" \
  bash -c "grep -qx 'Exec=thaiid-agent tray' $desktop && grep -qx 'TryExec=thaiid-agent' $desktop"
check "autostart entry is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' $PKG | grep -q $desktop"

# --- the browser policies ------------------------------------------------------------------------
ca_der=$(openssl x509 -in $CA_COPY -outform DER 2>/dev/null | base64 -w0 || true)
for dir in /etc/chromium/policies/managed /etc/opt/chrome/policies/managed /etc/opt/edge/policies/managed; do
  policy=$dir/thaiid-agent.json
  check "$policy: LocalNetworkAccessAllowedForUrls is the SSO origins only" \
    json "$policy" 'assert d["LocalNetworkAccessAllowedForUrls"] == ["https://sso.example.go.th", "https://sso2.example.go.th:8443"]'
  check "$policy: LoopbackNetworkAllowedForUrls is the SSO origins only" \
    json "$policy" 'assert d["LoopbackNetworkAllowedForUrls"] == ["https://sso.example.go.th", "https://sso2.example.go.th:8443"]'
  check "$dir/thaiid-agent-ca.json: CACertificates is the agent's CA (base64 DER)" \
    json "$dir/thaiid-agent-ca.json" "assert d == {'CACertificates': ['$ca_der']} and len('$ca_der') > 100"
done
ff=/etc/firefox/policies/policies.json
if [ -e "$ff" ] && ! grep -q SkipDomains "$ff"; then
  echo "skip  $ff belongs to this machine's admin: not checked"
else
  check "$ff: Certificates.Install is the CA copy" json "$ff" "assert d['policies']['Certificates'] == {'Install': ['$CA_COPY']}"
  check "$ff: LocalNetworkAccess.SkipDomains is the SSO hosts" \
    json "$ff" 'assert d["policies"]["LocalNetworkAccess"]["SkipDomains"] == ["sso.example.go.th", "sso2.example.go.th"]'
fi

# --- the service, run as systemd would (no systemd here): ExecStart as the service user -------
start_service() {
  # shellcheck disable=SC2086 # ExecStart is words
  setsid setpriv --reuid=$SVC_USER --regid=$SVC_USER --init-groups --no-new-privs -- \
    env -i HOME=$STATE PATH=/usr/bin:/bin LANG=C.UTF-8 $exec_start >>"$work/service.log" 2>&1 </dev/null &
  service_pid=$!
  pids+=("$service_pid")
  wait_listening $AGENT_PORT "$service_pid"
}
if start_service; then
  ok "the unit's ExecStart serves on $AGENT_PORT as $SVC_USER"
else
  cat "$work/service.log" >&2
  fail "the unit's ExecStart does not serve on $AGENT_PORT"
fi
check "the serving process runs as $SVC_USER" test "$(ps -o user= -p "$service_pid" 2>/dev/null)" = "$SVC_USER"
service_enrolled() { # /v1/status, the certificate checked against the CA copy only
  local attempt
  for attempt in 1 2 3; do
    if curl -sS --max-time 10 --cacert "$CA_COPY" -H "Origin: $ORIGIN" \
      "https://127.0.0.1:$AGENT_PORT/v1/status" >"$work/status.json" 2>"$work/curl.log" &&
      json "$work/status.json" 'assert d["enrolled"] is True'; then
      return 0
    fi
    # On the test's own stderr (check() silences the command's).
    { echo "status, attempt $attempt: $(cat "$work/status.json" "$work/curl.log")"; tail -5 "$work/service.log"; } |
      sed 's/^/      /' >&3
    sleep 1
  done
  return 1
}
check "/v1/status over HTTPS trusted by $CA_COPY answers enrolled:true" service_enrolled

# --- another local user ----------------------------------------------------------------------
useradd -m -s /bin/bash "$OTHER_USER"
as_other() { runuser -u "$OTHER_USER" -- env -i HOME="/home/$OTHER_USER" PATH=/usr/bin:/bin "$@"; }
check "$OTHER_USER cannot read $STATE/agent.key" not as_other cat "$STATE/agent.key"
check "$OTHER_USER cannot read $STATE/enrollment.json" not as_other cat "$STATE/enrollment.json"
check "$OTHER_USER cannot list $STATE" not as_other ls "$STATE"
check "$OTHER_USER can read the CA copy (public)" as_other cat "$CA_COPY"

# Chromium as that user (a new account: no ~/.pki/nssdb until Chromium makes an empty one)
# with a fresh profile: the managed policy is the only trust it has. The DOM goes to $2.
chromium_dump() { # url, output
  local profile
  profile=$(as_other mktemp -d)
  as_other timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --user-data-dir="$profile" --dump-dom "$1" >"$2" 2>"$2.log" || true
  rm -rf "$profile"
}
nssdb_has_agent_ca() {
  as_other certutil -L -d "sql:/home/$OTHER_USER/.pki/nssdb" 2>/dev/null | grep -qi thaiid
}
chromium_dump "https://127.0.0.1:$AGENT_PORT/openapi.json" "$work/chromium-agent.html"
check "Chromium (new account, fresh profile) loads https://127.0.0.1:$AGENT_PORT/openapi.json through the policy's CA" \
  grep -q '"openapi"' "$work/chromium-agent.html"
check "$OTHER_USER's NSS db holds no agent CA (trust came from the policy alone)" not nssdb_has_agent_ca

# --- reinstall: the old per-user agent is stopped, the enrollment and edits kept --------------
stop_pid "$service_pid"
# The old package's autostart ran exactly `thaiid-agent serve` in each session.
as_other_bg() { # setpriv execs: $! is the command's own PID
  setsid setpriv --reuid="$OTHER_USER" --regid="$OTHER_USER" --init-groups -- \
    env -i HOME="/home/$OTHER_USER" PATH=/usr/bin:/bin "$@" >/dev/null 2>&1 </dev/null &
}
as_other_bg thaiid-agent serve
old_agent=$!
pids+=("$old_agent")
# Another use of the binary by a user, not the old autostart's: left alone.
as_other_bg thaiid-agent serve --port 47914
other_agent=$!
pids+=("$other_agent")
sleep 0.5
check "an old-style per-user 'thaiid-agent serve' runs as $OTHER_USER" running "$old_agent"

echo 'reader = "Admin Reader 00"' >>$conf
# What the per-user agent's package wrote, kept by ucf in an edited file: must go.
echo 'enroll_token = "tok_OLD-per-user-token"' >>$conf
echo "$PKG $PKG/server_url string https://127.0.0.1:9" | debconf-set-selections
# The env file now carries the same token (0600): no second enrollment for it.
{ cat "$ENV_FILE"; printf 'ENROLL_TOKEN=%s\n' "$token"; } >"$ENV_FILE.new"
chmod 600 "$ENV_FILE.new"
mv "$ENV_FILE.new" "$ENV_FILE"
if THAIID_INSTALL_ENV=$ENV_FILE "${APT[@]}" install --reinstall "./$deb" >/tmp/thaiid-deb-reinstall.log 2>&1; then
  ok "reinstall"
  grep 'thaiid-agent:' /tmp/thaiid-deb-reinstall.log | sed 's/^/      reinstall: /' || true
  check "reinstall stopped the old per-user 'thaiid-agent serve'" not running "$old_agent"
  check "reinstall left another 'thaiid-agent serve --port 47914' alone" running "$other_agent"
  check "admin's edit kept across reinstall" grep -qx 'reader = "Admin Reader 00"' $conf
  check "admin's file not replaced by new answers (noninteractive keeps it)" grep -qx "server_url = \"$server_url\"" $conf
  check "an old enroll_token line is taken out of the kept file" not grep -q enroll_token $conf
  check "reinstall with the same token keeps the enrollment (same agent id)" \
    test "$(json "$STATE/enrollment.json" 'print(d["agent_id"])' 2>/dev/null)" = "$agent_id"
  check "the server lists one agent still" test "$(agents_listed | grep -cF -- "$agent_id")" = 1
  check "reinstall: state dir still 0700 $SVC_USER" test "$(stat -c '%a %U' $STATE)" = "700 $SVC_USER"
else
  cat /tmp/thaiid-deb-reinstall.log >&2
  fail "reinstall"
fi
stop_pid "$other_agent"
if grep -rIlsF -f "$work/token" /etc /var /run --exclude="$(basename "$ENV_FILE")" >"$work/token-files"; then
  fail "after the reinstall the token is in: $(tr '\n' ' ' <"$work/token-files")"
else
  ok "after the reinstall the token is still in no file but the test's env file"
fi
rm -f "$ENV_FILE"

# --- a CA planted in the state dir is refused, never trusted ---------------------------------
# What anyone with the service user's rights could leave there: a whole working set (CA,
# leaf, key) under a CA named like the agent's, path length 0, but without name constraints,
# so that it would vouch for any site. Before the check, setup kept it and the policies
# trusted it.
planted=$work/planted
mkdir "$planted" "$work/good"
cp -p "$STATE/ca.pem" "$STATE/localhost.pem" "$STATE/localhost.key" "$work/good/"
plant_ca "$planted" || { cat "$planted/openssl.log" >&2; fail "making the planted CA with openssl"; }
for file in ca.pem localhost.pem localhost.key; do
  install -o "$SVC_USER" -g "$SVC_USER" -m 600 "$planted/$file" "$STATE/$file"
done
if "${APT[@]}" install --reinstall "./$deb" >/tmp/thaiid-deb-planted.log 2>&1; then
  fail "a reinstall over a planted CA without name constraints succeeded"
else
  grep 'thaiid-agent:' /tmp/thaiid-deb-planted.log | sed 's/^/      planted: /' || true
  check "a planted CA is refused: the install fails and says why" \
    grep -q "REFUSED: nothing trusts $STATE/ca.pem" /tmp/thaiid-deb-planted.log
  check "  it names what is wrong with it (no name constraints)" \
    grep -q "ca.pem is refused, nothing trusts it: it is not name-constrained to exactly localhost, 127.0.0.1 and ::1" /tmp/thaiid-deb-planted.log
fi
check "  the CA copy is still the agent's own CA" cmp -s "$CA_COPY" "$work/good/ca.pem"
check "  Chromium's CA policy still names the agent's own CA only" \
  json /etc/chromium/policies/managed/thaiid-agent-ca.json "assert d == {'CACertificates': ['$ca_der']}"
check "  the planted files are left for IT to look at" cmp -s "$STATE/ca.pem" "$planted/ca.pem"
for file in ca.pem localhost.pem localhost.key; do
  install -o "$SVC_USER" -g "$SVC_USER" -m 600 "$work/good/$file" "$STATE/$file"
done
check "  with the agent's own files back, dpkg --configure -a finishes the install" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a
check "root's check accepts the agent's own CA (setup --check-ca)" thaiid-agent setup --check-ca "$CA_COPY"

if start_service; then
  check "after the reinstall /v1/status answers enrolled:true" service_enrolled
else
  cat "$work/service.log" >&2
  fail "the service does not start after the reinstall"
fi

# The agent's certificate, served by openssl, for Chromium's verdict after the purge.
cp "$STATE/localhost.pem" "$STATE/localhost.key" "$work/"
serve_leaf() {
  not listening $AGENT_PORT || return 1
  openssl s_server -quiet -accept "127.0.0.1:$AGENT_PORT" -cert "$work/localhost.pem" -key "$work/localhost.key" \
    -www >/dev/null 2>&1 </dev/null &
  leaf_server=$!
  pids+=("$leaf_server")
  wait_listening $AGENT_PORT "$leaf_server"
}

# --- remove (not purge) ---------------------------------------------------------------------
apt_step() {
  local start
  start=$(date +%s)
  if "${APT[@]}" "$1" "$PKG" >"/tmp/thaiid-deb-$1.log" 2>&1; then
    ok "apt-get $1 $PKG ($(($(date +%s) - start)) s)"
  else
    cat "/tmp/thaiid-deb-$1.log" >&2
    fail "$1"
  fi
  grep 'thaiid-agent:' "/tmp/thaiid-deb-$1.log" | sed "s/^/      $1: /" || true
}
apt_step remove
check "remove stopped the service" not running "$service_pid"
check "remove keeps the configuration and the state (enrollment)" test -f $conf -a -f "$STATE/enrollment.json"
for path in $CA_COPY /etc/chromium/policies/managed/thaiid-agent-ca.json /etc/chromium/policies/managed/thaiid-agent.json; do
  check "remove took away $path" test ! -e "$path"
done

apt_step purge
check "package gone" bash -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q installed"
check "service user gone" bash -c "! getent passwd $SVC_USER"
check "service group gone" bash -c "! getent group $SVC_USER"
for path in /usr/bin/thaiid-agent /etc/thaiid-agent $UNIT /etc/systemd/system/multi-user.target.wants/thaiid-agent.service \
  /etc/xdg/autostart/thaiid-agent.desktop /usr/share/polkit-1/rules.d/thaiid-agent.rules /usr/share/thaiid-agent /usr/share/doc/thaiid-agent $STATE /var/lib/thaiid-agent-install \
  /etc/chromium/policies/managed/thaiid-agent.json /etc/chromium/policies/managed/thaiid-agent-ca.json \
  /etc/opt/chrome/policies/managed/thaiid-agent-ca.json /etc/opt/edge/policies/managed/thaiid-agent-ca.json; do
  check "$path removed" test ! -e "$path"
done
if [ -e "$ff" ]; then check "$ff is not ours any more" bash -c "! grep -q sso.example.go.th $ff"; fi
check "/etc/opt kept (the package did not make it)" test -d /etc/opt
if [ -n "$made_chromium_policies" ]; then check "/etc/chromium/policies removed (the package made it)" test ! -e /etc/chromium/policies; fi
check "debconf answers gone" bash -c "! debconf-get-selections | grep -q '^${PKG}[[:space:]]'"
check "ucf forgot the config" bash -c "! ucfq -w /etc/thaiid-agent/config.toml | grep -q ':$PKG:'"
installed_agent_pids() { # processes of the package's binary (other tests' agents run from target/)
  local proc
  for proc in /proc/[0-9]*; do
    case "$(readlink "$proc/exe" 2>/dev/null)" in
      /usr/bin/thaiid-agent | "/usr/bin/thaiid-agent (deleted)") echo "${proc#/proc/}" ;;
    esac
  done
}
check "no process of the package's agent left" test -z "$(installed_agent_pids)"

if serve_leaf; then
  chromium_dump "https://127.0.0.1:$AGENT_PORT/" "$work/chromium-purged.html"
  check "after purge Chromium refuses the agent's certificate (no policy, no trust)" \
    bash -c "! grep -q 's_server' $work/chromium-purged.html"
  # Only a refusal for trust counts: with the CA back in a policy the same server loads.
  mkdir -p /etc/chromium/policies/managed
  printf '{"CACertificates": ["%s"]}\n' "$ca_der" >/etc/chromium/policies/managed/thaiid-deb-test.json
  chromium_dump "https://127.0.0.1:$AGENT_PORT/" "$work/chromium-control.html"
  rm -f /etc/chromium/policies/managed/thaiid-deb-test.json
  if [ -n "$made_chromium_policies" ]; then rm -rf /etc/chromium/policies; fi
  check "control: Chromium loads that server once the CA is in a policy again" grep -q 's_server' "$work/chromium-control.html"
  stop_pid "$leaf_server"
else
  fail "openssl s_server with the agent's certificate did not start"
fi

# --- bad values fail the install with a clear message ------------------------------------
echo "$PKG $PKG/allowed_origins string http://sso.example.go.th" | debconf-set-selections
if "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-bad.log 2>&1; then
  fail "install with a plain-http origin succeeded"
else
  check "bad origin: the message names it and says what to write" \
    grep -q 'ALLOWED_ORIGINS: "http://sso.example.go.th" is not a web origin: plain http is allowed only for localhost' /tmp/thaiid-deb-bad.log
fi
purge_package
printf 'ENROLL_TOKEN=%s\n' "$token" >"$ENV_FILE"
chmod 644 "$ENV_FILE"
if THAIID_INSTALL_ENV=$ENV_FILE "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-bad.log 2>&1; then
  fail "install with a token in an env file every user can read succeeded"
else
  check "an env file with a token that others can read fails the install, saying chmod 600" \
    grep -q "holds ENROLL_TOKEN and other users can read it: chmod 600" /tmp/thaiid-deb-bad.log
fi
rm -f "$ENV_FILE"
purge_package

# --- a server that cannot be reached: installed anyway, enrolled later by IT as root ---------
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debconf-set-selections <<EOF2
$PKG $PKG/server_url string http://127.0.0.1:$closed_port
$PKG $PKG/allowed_origins string $ORIGIN
$PKG $PKG/enroll_token password $token
EOF2
if "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-unreachable.log 2>&1; then
  ok "install with the server unreachable succeeds"
  check "it says the enrollment failed and how to enroll" \
    bash -c "grep -q 'ENROLLMENT FAILED' /tmp/thaiid-deb-unreachable.log && grep -q 'dpkg-reconfigure thaiid-agent' /tmp/thaiid-deb-unreachable.log"
  check "not enrolled, and the token is not kept in debconf" test ! -e "$STATE/enrollment.json" -a -z "$(stored_token)"
  # IT enrolls by hand as root, the token in the environment (not on the command line).
  if THAIID_ENROLL_TOKEN=$token thaiid-agent enroll --state-dir "$STATE" --server "$server_url" >/tmp/thaiid-deb-root-enroll.log 2>&1; then
    ok "IT enrolls as root: thaiid-agent enroll --state-dir $STATE"
  else
    cat /tmp/thaiid-deb-root-enroll.log >&2
    fail "thaiid-agent enroll --state-dir $STATE as root"
  fi
  for file in agent.key enrollment.json; do
    check "after root's enroll $STATE/$file is 0600 $SVC_USER" test "$(stat -c '%a %U' "$STATE/$file" 2>/dev/null)" = "600 $SVC_USER"
  done
  check "$STATE holds no file of root's after root's enroll" test -z "$(find $STATE -user root -print -quit)"
else
  cat /tmp/thaiid-deb-unreachable.log >&2
  fail "install with the server unreachable failed"
fi
purge_package

# --- upgrade from the per-user agent's package ---------------------------------------------
# THAIID_DEB_OLD names its .deb; else it is built here from the last commit that had it: its
# maintainer scripts, templates and autostart (what an upgrade meets) around today's binary,
# whose `serve` without --state-dir is still the per-user agent.
PER_USER_COMMIT=9964fe0
if [ -z "${THAIID_DEB_OLD:-}" ] && git cat-file -e "$PER_USER_COMMIT^{commit}" 2>/dev/null; then
  old_bin=$(realpath "${THAIID_DEB_BINARY:-${CARGO_TARGET_DIR:-target}/release/thaiid-agent}")
  mkdir "$work/old"
  git archive "$PER_USER_COMMIT" | tar -x -C "$work/old"
  sed -i 's/^version = "[^"]*"/version = "0.0.1"/' "$work/old/Cargo.toml"
  sed -i '1s/([^)]*)/(0.0.1)/' "$work/old/installer/deb/changelog"
  if (cd "$work/old" && CARGO_TARGET_DIR=$work/old/target THAIID_DEB_TRAY=0 \
    THAIID_DEB_BINARY=$old_bin bash installer/build-deb.sh) >"$work/old-build.log" 2>&1; then
    THAIID_DEB_OLD=$(ls "$work"/old/target/installer/thaiid-agent_0.0.1_amd64.deb)
  else
    cat "$work/old-build.log" >&2
    fail "building the per-user agent's package from $PER_USER_COMMIT"
  fi
fi
if [ -n "${THAIID_DEB_OLD:-}" ]; then
  old_token=$(cd "$work" && "$SERVER_BIN" token create --uses 2 --ttl 1h)
  debconf-set-selections <<EOF2
$PKG $PKG/server_url string $server_url
$PKG $PKG/allowed_origins string $ORIGIN
$PKG $PKG/enroll_token password $old_token
EOF2
  if "${APT[@]}" install "$(realpath "$THAIID_DEB_OLD")" >/tmp/thaiid-deb-old.log 2>&1; then
    ok "the per-user agent's package $(dpkg-query -W -f='${Version}' $PKG) installed"
  else
    cat /tmp/thaiid-deb-old.log >&2
    fail "installing $THAIID_DEB_OLD"
  fi
  # Its autostart's `thaiid-agent serve` in a session of $OTHER_USER: enrolls itself.
  as_other_bg thaiid-agent serve
  old_agent=$!
  pids+=("$old_agent")
  wait_listening $AGENT_PORT "$old_agent" || true
  for _ in $(seq 50); do [ -f "/home/$OTHER_USER/.local/share/thaiid-agent/enrollment.json" ] && break; sleep 0.2; done
  check "the old per-user agent serves and enrolled itself as $OTHER_USER" \
    test -f "/home/$OTHER_USER/.local/share/thaiid-agent/enrollment.json"
  # Paths and owners of everything, and the old agent's state byte for byte (its logs grow
  # by themselves until it stops).
  home_files() {
    find "/home/$OTHER_USER" -printf '%p %u %m\n' | sort
    find "/home/$OTHER_USER/.local/share/thaiid-agent" -type f -exec sha256sum {} + | sort
  }
  user_files_before=$(home_files)
  echo "$PKG $PKG/enroll_token password $token" | debconf-set-selections
  if "${APT[@]}" install "./$deb" >/tmp/thaiid-deb-upgrade.log 2>&1; then
    ok "upgrade to $(dpkg-query -W -f='${Version}' $PKG), the machine service"
    grep 'thaiid-agent:' /tmp/thaiid-deb-upgrade.log | sed 's/^/      upgrade: /' || true
  else
    cat /tmp/thaiid-deb-upgrade.log >&2
    fail "upgrade from $THAIID_DEB_OLD"
  fi
  check "upgrade stopped the per-user 'thaiid-agent serve'" not running "$old_agent"
  check "upgrade: config.toml holds no enroll_token any more" not grep -q enroll_token $conf
  check "upgrade: the service enrolled with the new token" test -f "$STATE/enrollment.json"
  check "upgrade: $STATE is 0700 $SVC_USER" test "$(stat -c '%a %U' $STATE)" = "700 $SVC_USER"
  check "upgrade: nothing in $OTHER_USER's home changed (the tray client cleans it, not root)" \
    test "$(home_files)" = "$user_files_before"
  if start_service; then
    check "upgrade: the service serves, enrolled" service_enrolled
    stop_pid "$service_pid"
  else
    cat "$work/service.log" >&2
    fail "upgrade: the service does not start"
  fi
  printf '%s\n%s\n' "$token" "$old_token" >"$work/token"
  if grep -rIlsF -f "$work/token" /etc /var /run --exclude-dir="$(basename "$work")" >"$work/token-files"; then
    fail "upgrade: a token is in: $(tr '\n' ' ' <"$work/token-files")"
  else
    ok "upgrade: neither token is in a file under /etc /var /run"
  fi
  purge_package
else
  fail "no per-user agent's package to upgrade from: commit $PER_USER_COMMIT is not in this clone (fetch the history, or set THAIID_DEB_OLD to that .deb)"
fi

echo "deb: $passes checks passed, $failures failed"
[ "$failures" -eq 0 ]
