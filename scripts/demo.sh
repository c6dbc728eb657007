#!/usr/bin/env bash
# The whole product on this machine, on its embedded defaults: pcscd with the virtual
# readers and the virtual card of the demo person (synthetic) in "Virtual PCD 00 00",
# the server on http://127.0.0.1:8080 with a SQLite file in target/demo (demo systems,
# and the demo account linked to the card, which is its registered card), and the agent
# on https://127.0.0.1:47113, enrolled with that server and allowing its login page; and
# a demo system, 01010101, behind Apache with mod_auth_openidc on http://127.0.0.1:8081,
# an OpenID Connect client of the server: on the systems page, its link opens it, logged
# in as the person who logged in to the SSO. Prints the URL to open, then
# runs until Ctrl-C and stops what it started.
# A real reader with a real card works the same, once its citizen ID is linked to an
# account and the card registered to it (serial and laser ID from thaiid-agent read --json):
# thaiid-server user link NAME --citizen-id ...; thaiid-server user card NAME --serial ... --laser-id ...
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_packages curl iproute2 fonts-thai-tlwg apache2 libapache2-mod-auth-openidc
# DEMO_PROFILE=dev runs unoptimised binaries (a quicker build); CARGO_TARGET_DIR is honoured.
profile=${DEMO_PROFILE:-release}
cargo build --profile "$profile" --locked -p thaiid-agent -p thaiid-server -p thaiid-tests
start_pcscd

demo=$PWD/target/demo
mkdir -p "$demo/agent"
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=$target/$([ "$profile" = dev ] && echo debug || echo "$profile")
site=http://127.0.0.1:8080
export DATABASE_URL="sqlite:$demo/server.db" THAIID_SERVER_LISTEN=127.0.0.1:8080 \
  THAIID_SERVER_OTP_KEY_FILE="$demo/otp.key" THAIID_SERVER_CARD_KEY_FILE="$demo/card.key" \
  THAIID_SERVER_OIDC_KEY_FILE="$demo/oidc-keys.json"
# The agent keeps its key and config in target/demo; HOME stays the user's, so the
# browsers of this user trust the agent's local certificate.
agent() { XDG_DATA_HOME="$demo/agent" XDG_CONFIG_HOME="$demo/agent" "$bin/thaiid-agent" "$@"; }

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; stop_pcscd' EXIT
"$bin/thaiid-vcard" --slot 0 --fixture "${DEMO_FIXTURE:-demo}" &
pids+=($!)

"$bin/thaiid-server" demo seed
# The demo system as an OpenID Connect client; a new secret at each start, for its Apache.
system=http://127.0.0.1:8081
"$bin/thaiid-server" system add 01010101 "ระบบข้อมูลและช่วยงานระบบคอมพิวเตอร์" --url "$system/" \
  --redirect-uri "$system/redirect_uri" --post-logout-redirect-uri "$system/bye.html" >/dev/null
secret=$("$bin/thaiid-server" system secret 01010101 | sed -n 's/^client_secret: //p')
"$bin/thaiid-server" serve 2>"$demo/server.log" &
pids+=($!)
for _ in $(seq 50); do curl -fso /dev/null "$site/login" && break; sleep 0.1; done
scripts/demo-system/start.sh "$demo/system" 8081 "$site" 01010101 "$secret" 2>"$demo/system.log" &
pids+=($!)

if ! agent enroll --server "$site" --token "$("$bin/thaiid-server" token create --ttl 1h)" \
    >"$demo/enroll.log" 2>&1; then
  cat "$demo/enroll.log"; exit 1
fi
agent serve --allowed-origin "$site" 2>"$demo/agent.log" &
pids+=($!)
for _ in $(seq 50); do ss -ltn | grep -q ':47113 ' && break; sleep 0.1; done

cat <<TEXT

== ThaiID login demo is running
Open  $site/login  and press "เข้าสู่ระบบด้วยการเสียบบัตรประชาชน" (the virtual card is inserted).
On the systems page, 01010101 opens the demo system ($system/, Apache with
mod_auth_openidc) logged in as you; or open $system/ first, log in, and come back to it.
Or log in as somchai.t with the password printed above, then the OTP of
"$bin/thaiid-server demo otp" (run with DATABASE_URL=$DATABASE_URL
THAIID_SERVER_OTP_KEY_FILE=$THAIID_SERVER_OTP_KEY_FILE).
Card reading alone: $bin/thaiid-agent read
Logs: $demo/*.log   Audit: DATABASE_URL=$DATABASE_URL $bin/thaiid-server audit
Ctrl-C stops the demo.
TEXT
wait "${pids[1]}"
