# Shared by the project's scripts: installing what they need and running pcscd.
# Source it; it defines functions only.

# Debian packages the agent and its tests need.
PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev pkg-config libnss3-tools)
# What only the tests need: a real browser and its WebDriver, openssl as an independent
# certificate judge, PostgreSQL.
TEST_PACKAGES=(chromium chromium-driver openssl postgresql)
# Real OpenID Connect relying parties: Apache with mod_auth_openidc in front of a demo
# system (the tests and the demo); openid-client comes from npm (server/tests/node).
TEST_PACKAGES+=(apache2 libapache2-mod-auth-openidc)
# The .msi: wixl and msitools (msiinfo) build and check it, mingw links the Windows exe.
TEST_PACKAGES+=(wixl msitools gcc-mingw-w64-x86-64)
# The Windows agent under Wine (installer/test-windows.sh): Wine 8 here, Wine 10 in a
# Debian 13 chroot that debootstrap makes once (cached in target/wine10).
TEST_PACKAGES+=(wine64 debootstrap)
# The .deb's test (installer/test-deb.sh): dpkg-shlibdeps for its Depends, lintian, the
# debconf and desktop-entry tools, ucf, which its maintainer scripts use; strace, to see
# every command line of the install (the enrollment token must be on none); systemd for
# `systemd-analyze verify` of the unit (CI runs no systemd).
TEST_PACKAGES+=(dpkg-dev lintian debconf-utils desktop-file-utils ucf strace systemd)
# The .deb under a real systemd (installer/test-systemd.sh): systemd-nspawn boots a
# Debian 12 tree (debootstrap, above) with systemd as PID 1.
TEST_PACKAGES+=(systemd-container)
# The tray icon (feature `tray`): GTK 3 and libayatana-appindicator to build it; Xvfb, a
# session bus, trayer (an XEmbed tray), xdotool and xwd (x11-apps) to see and click it;
# dbus-send and dbus-monitor (dbus-bin) for the ksni test.
TEST_PACKAGES+=(libgtk-3-dev libayatana-appindicator3-dev xvfb dbus-daemon dbus-bin trayer
  xdotool x11-apps)

# What building the agent for Linux needs: a C compiler (ring) and PC/SC's headers.
BUILD_PACKAGES=(gcc libc6-dev pkg-config libpcsclite-dev)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The packages of "$@" that are not installed, one a line.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "$@")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  require_cargo
}

# The build scripts' packages: installed as root; anyone else gets the one apt-get command
# to run and the script stops here, not halfway through cargo ("gobject-2.0 not found").
install_build_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "missing Debian packages: ${missing[*]}. Install them as root, then run this again:" >&2
      echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

require_cargo() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first (https://rustup.rs)" >&2; exit 1; }
}

# Starts pcscd (with the vpcd virtual readers) unless one already answers; sets
# STARTED_PCSCD so that stop_pcscd stops only what this script started.
STARTED_PCSCD=
start_pcscd() {
  if pgrep -x pcscd >/dev/null && [ -S /run/pcscd/pcscd.comm ]; then
    return
  fi
  as_root pkill -x pcscd 2>/dev/null || true
  # A stale socket after a killed pcscd blocks a restart.
  as_root rm -f /run/pcscd/pcscd.comm
  as_root mkdir -p /run/pcscd
  as_root sh -c 'pcscd --foreground >/tmp/thaiid-pcscd.log 2>&1 &'
  STARTED_PCSCD=1
  for _ in $(seq 50); do
    [ -S /run/pcscd/pcscd.comm ] && ss -ltn 2>/dev/null | grep -q ':35963 ' && return
    sleep 0.1
  done
  echo "pcscd did not start: see /tmp/thaiid-pcscd.log" >&2
  exit 1
}

stop_pcscd() {
  if [ -n "$STARTED_PCSCD" ]; then
    as_root pkill -x pcscd 2>/dev/null || true
    for _ in $(seq 50); do pgrep -x pcscd >/dev/null || return 0; sleep 0.1; done
  fi
}

# A PostgreSQL cluster on loopback for the server's tests; sets THAIID_TEST_POSTGRES to a
# URL whose role may create databases (each test makes its own).
STARTED_POSTGRES=
start_postgres() {
  local version
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
    as_root pg_ctlcluster "$version" main start
    STARTED_POSTGRES=$version
  fi
  as_root su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'thaiid') THEN CREATE ROLE thaiid LOGIN CREATEDB PASSWORD 'thaiid'; END IF; END \\\$\\\$;\"" >/dev/null
  export THAIID_TEST_POSTGRES="postgres://thaiid:thaiid@127.0.0.1:5432/postgres"
}

stop_postgres() {
  if [ -n "$STARTED_POSTGRES" ]; then
    as_root pg_ctlcluster "$STARTED_POSTGRES" main stop || true
  fi
}
