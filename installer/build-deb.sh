#!/usr/bin/env bash
# Builds target/installer/thaiid-agent_<version>_amd64.deb with cargo-deb (metadata in
# agent/Cargo.toml [package.metadata.deb]; maintainer scripts and debconf templates in
# installer/deb/; browser policy templates in installer/policies/).
#
# The tray icon: the package is built with the agent's `tray` feature (and Depends on
# libayatana-appindicator3-1, the cargo-deb variant "tray") as soon as agent/Cargo.toml
# has that feature. THAIID_DEB_TRAY=1 or 0 forces it on or off.
#
# THAIID_DEB_BINARY=path packages that binary instead of building the release one (CI can
# give the debug binary its tests already built, and skip a release build of minutes);
# it must have been built with the same features.
#
# On a fresh Debian it installs what it needs when run as root (a C compiler, PC/SC's
# headers, dpkg-dev; GTK 3 and libayatana-appindicator3 for the tray); anyone else is
# told the one apt-get command to run first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
changelog_version=$(sed -n '1s/^thaiid-agent (\([^)]*\)).*/\1/p' installer/deb/changelog)
if [ "$version" != "$changelog_version" ]; then
  echo "installer/deb/changelog starts at $changelog_version but the workspace is $version:" \
    "add a changelog entry for $version" >&2
  exit 1
fi

# TRAY SWITCH: on once the tray helper's feature exists in agent/Cargo.toml.
tray=${THAIID_DEB_TRAY:-auto}
if [ "$tray" = auto ]; then
  if sed -n '/^\[features\]/,/^\[/p' agent/Cargo.toml | grep -q '^tray *='; then tray=1; else tray=0; fi
fi
# dpkg-dev: dpkg-shlibdeps, which cargo-deb runs for the Depends ($auto).
packages=("${BUILD_PACKAGES[@]}" dpkg-dev)
[ "$tray" = 1 ] && packages+=(libgtk-3-dev libayatana-appindicator3-dev)
install_build_packages "${packages[@]}"
require_cargo

if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb (cargo install cargo-deb --locked)" >&2
  cargo install cargo-deb --locked --quiet
fi

variant=()
if [ "$tray" = 1 ]; then
  variant=(--variant tray)
  echo "building with the tray icon (feature tray)"
else
  echo "building without the tray icon (no \`tray\` feature in agent/Cargo.toml, or THAIID_DEB_TRAY=0)"
fi

out=target/installer/thaiid-agent_${version}_amd64.deb
mkdir -p target/installer
# -n: no name or time stamp inside, so the same sources give the same package.
gzip -9nc installer/deb/changelog >target/installer/changelog.gz
if [ -n "${THAIID_DEB_BINARY:-}" ]; then
  # cargo-deb takes the binary from <target dir>/release: a throwaway one, so that no
  # foreign binary ever sits in the real target/release.
  prebuilt=$(mktemp -d)
  trap 'rm -rf "$prebuilt"' EXIT
  mkdir -p "$prebuilt/release"
  cp "$THAIID_DEB_BINARY" "$prebuilt/release/thaiid-agent"
  echo "packaging the prebuilt $THAIID_DEB_BINARY"
  CARGO_TARGET_DIR=$prebuilt cargo deb -p thaiid-agent --locked --no-build --strip "${variant[@]}" --output "$out"
else
  cargo deb -p thaiid-agent --locked "${variant[@]}" --output "$out"
fi
echo "$out"
