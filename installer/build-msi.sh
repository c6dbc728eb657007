#!/usr/bin/env bash
# Builds the Windows installer on Debian: cross-builds thaiid-agent.exe for
# x86_64-pc-windows-gnu, then wixl (msitools) makes
# target/installer/thaiid-agent-<version>-x64.msi from installer/msi/thaiid-agent.wxs.
#
# Needs: Debian packages wixl, msitools, gcc-mingw-w64-x86-64 (the exe, and the enrollment
# action installer/msi/enroll-action.c), gcc; the Rust target x86_64-pc-windows-gnu (added
# with rustup when missing). Run as root on a fresh Debian, it installs the packages;
# anyone else is told the one apt-get command to run first.
# Env: MSI_PROFILE (cargo profile, default release), MSI_FEATURES (cargo features of the
# agent; default: `tray` when the agent has that feature), CARGO_TARGET_DIR, MSI_EXE (an
# already built thaiid-agent.exe to package instead of building one), MSI_VERSION (another
# ProductVersion than Cargo.toml's, to try upgrades).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=x86_64-pc-windows-gnu
profile=${MSI_PROFILE:-release}

source scripts/lib.sh

die() {
  echo "build-msi: $*" >&2
  exit 1
}

packages=(wixl msitools gcc-mingw-w64-x86-64)
# The host's C compiler builds the build scripts of the exe's crates.
[ -n "${MSI_EXE:-}" ] || packages+=(gcc libc6-dev)
install_build_packages "${packages[@]}"

# The version of the workspace ([workspace.package] in Cargo.toml): the MSI's ProductVersion.
version=${MSI_VERSION:-$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "workspace version '$version' is not major.minor.patch, which Windows Installer needs"
target_dir=${CARGO_TARGET_DIR:-$root/target}

if [ -n "${MSI_EXE:-}" ]; then
  exe=$MSI_EXE
else
  require_cargo
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "adding the Rust target $target" >&2
    rustup target add "$target" ||
      die "cannot add the Rust target $target (rustup target add $target needs static.rust-lang.org); install it, then run again"
  fi

  # TRAY SWITCH: the .msi ships the agent with its tray icon once agent/Cargo.toml has the
  # `tray` feature (issue 5, item 1); MSI_FEATURES= (empty) builds it headless.
  if [ -z "${MSI_FEATURES+set}" ]; then
    MSI_FEATURES=
    if grep -q '^tray *=' agent/Cargo.toml; then MSI_FEATURES=tray; fi
  fi
  features=()
  [ -n "$MSI_FEATURES" ] && features=(--features "$MSI_FEATURES")

  echo "building thaiid-agent.exe $version ($target, profile $profile, features: ${MSI_FEATURES:-none})" >&2
  cargo build --locked --profile "$profile" --target "$target" -p thaiid-agent "${features[@]}"
  profile_dir=$profile
  [ "$profile" = dev ] && profile_dir=debug
  exe=$target_dir/$target/$profile_dir/thaiid-agent.exe
fi
[ -f "$exe" ] || die "$exe was not built"

out_dir=$target_dir/installer
msi=$out_dir/thaiid-agent-$version-x64.msi
stage=$out_dir/msi-stage
rm -rf "$stage"
mkdir -p "$stage"
cp "$exe" "$stage/thaiid-agent.exe"
# The enrollment action (a DLL in the Binary table): C, so that it needs only the mingw
# this script needs anyway, and no Rust runtime inside msiexec.
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -static-libgcc -s \
  -o "$stage/enroll-action.dll" installer/msi/enroll-action.c -lmsi ||
  die "cannot build installer/msi/enroll-action.c"
# wixl 0.101 finds sources relative to the working directory only.
(cd "$stage" && wixl --arch x64 -D Version="$version" -D AgentExe=thaiid-agent.exe \
  -o "$msi.tmp" "$root/installer/msi/thaiid-agent.wxs")

# What wixl 0.101 cannot say in the .wxs, set in the tables afterwards:
# - Component conditions (<Condition> under <Component> is newer than 0.101): a property
#   left empty writes no registry value; BROWSER_POLICIES=0 writes no browser policy.
# - SecureCustomProperties (no Secure="yes" on <Property>): the properties reach the
#   elevated part of the install even when given to the UI part by a non-admin.
sql() { msibuild "$msi.tmp" -q "$1" || die "msibuild failed on: $1"; }
condition() { sql "UPDATE \`Component\` SET \`Condition\` = '$2' WHERE \`Component\` = '$1'"; }
condition ConfigServerUrl 'SERVER_URL'
condition ConfigAllowedOrigins 'ALLOWED_ORIGINS'
condition ConfigPort 'PORT'
condition ConfigReader 'READER'
condition PolicyChromium 'BROWSER_POLICY_ORIGIN AND BROWSER_POLICIES <> "0"'
condition PolicyFirefox 'BROWSER_POLICIES <> "0"'
secure=(SERVER_URL ALLOWED_ORIGINS ENROLL_TOKEN PORT READER BROWSER_POLICY_ORIGIN BROWSER_POLICIES)
for p in SERVER_URL ALLOWED_ORIGINS PORT READER BROWSER_POLICY_ORIGIN; do
  secure+=("CMDLINE_$p")
done
secure+=(WIX_DOWNGRADE_DETECTED WIX_UPGRADE_DETECTED)
sql "UPDATE \`Property\` SET \`Value\` = '$(IFS=';'; echo "${secure[*]}")' WHERE \`Property\` = 'SecureCustomProperties'"

mv "$msi.tmp" "$msi"
rm -rf "$stage"
echo "$msi"
