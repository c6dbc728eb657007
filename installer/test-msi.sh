#!/usr/bin/env bash
# Builds the .msi (installer/build-msi.sh) and checks its tables with msiinfo: the exe in
# Program Files, the machine service, the tray's autostart, the properties written to the
# machine's registry key (never the enrollment token), the setup/enroll/uninstall custom
# actions and their conditions, major upgrades, and the browser policies. Windows itself is not here: this checks what Windows Installer will
# be told to do, not that it does it.
# Usage: installer/test-msi.sh [MSI]   (with MSI, checks that file instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
# The agent's exe needs Rust's standard library for x86_64-pc-windows-gnu, which rustup
# fetches from static.rust-lang.org. Where that cannot be reached (a CI with only package
# registries), the tables are still checked around a stand-in exe built with mingw, and
# the result says so: the stand-in is not the agent.
stand_in=
target=x86_64-pc-windows-gnu
if [ $# -eq 0 ] && [ -z "${MSI_EXE:-}" ] &&
  ! rustup target list --installed 2>/dev/null | grep -qx "$target" &&
  ! timeout 300 rustup target add "$target"; then
  echo "test-msi: NOT BUILT: thaiid-agent.exe (rustup cannot add $target here);" \
    "checking the tables around a stand-in exe" >&2
  stand_in=$(mktemp -d)/thaiid-agent.exe
  echo 'int main(void) { return 0; }' | x86_64-w64-mingw32-gcc -x c - -o "$stand_in"
  export MSI_EXE=$stand_in
fi
if [ $# -gt 0 ]; then
  msi=$1
else
  msi=$(installer/build-msi.sh | tail -1)
fi
[ -f "$msi" ] || { echo "test-msi: no $msi" >&2; exit 1; }
[ "$(basename "$msi")" = "thaiid-agent-$version-x64.msi" ] || fail_name=1

failures=0
ok() { echo "ok    $1"; }
fail() { echo "FAIL  $1" >&2; failures=$((failures + 1)); }
check() { # check DESCRIPTION ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], want [$3]"; fi
}
[ -z "${fail_name:-}" ] && ok "file name $(basename "$msi")" || fail "file name $(basename "$msi")"

# Rows of a table, without msiinfo's three header lines.
rows() { msiinfo export "$msi" "$1" | tail -n +4 | tr -d '\r'; }
# Column N of the row whose first column is KEY.
cell() { rows "$1" | awk -F'\t' -v k="$2" -v n="$3" '$1 == k { print $n }'; }
# Registry: "root|value|component" of the value NAME under KEY.
registry() {
  rows Registry | awk -F'\t' -v key="$1" -v name="$2" \
    '$3 == key && $4 == name { print $2 "|" $5 "|" $6 }'
}
sequence() { cell InstallExecuteSequence "$1" 3; }
condition() { cell InstallExecuteSequence "$1" 2; }
before() { # before DESCRIPTION A B: action A is sequenced before action B
  local a b
  a=$(sequence "$2") b=$(sequence "$3")
  if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then ok "$1"; else fail "$1: $2=$a, $3=$b"; fi
}
has_bits() { # has_bits DESCRIPTION VALUE BITS [NOT_BITS]
  if ((($2 & $3) == $3 && ($2 & ${4:-0}) == 0)); then ok "$1"; else fail "$1: $2"; fi
}

echo "checking $msi"
summary=$(msiinfo suminfo "$msi")
grep -q '^Template: x64;' <<<"$summary" && ok "x64 package" || fail "x64 package: $summary"
check "ProductVersion is Cargo.toml's" "$(cell Property ProductVersion 2)" "$version"
check "ALLUSERS=1 (per machine)" "$(cell Property ALLUSERS 2)" 1

# The exe, in ProgramFiles64Folder\ThaiID Login Agent, 64-bit component.
check "File thaiid-agent.exe" "$(cell File AgentExe 3)" "thaiid-agent.exe"
check "its component's directory" "$(cell Component AgentExe 3)" INSTALLDIR
check "INSTALLDIR under ProgramFiles64Folder" \
  "$(cell Directory INSTALLDIR 2)|$(cell Directory INSTALLDIR 3)" "ProgramFiles64Folder|ThaiID Login Agent"
has_bits "AgentExe is a 64-bit component" "$(cell Component AgentExe 4)" 256
extract=$(mktemp -d)
trap 'rm -rf "$extract" ${stand_in:+"${stand_in%/*}"}' EXIT
(cd "$extract" && msiextract "$msi" >/dev/null)
exe=$(find "$extract" -name thaiid-agent.exe | head -1)
if [ -n "$exe" ] && [ "$(head -c 2 "$exe")" = MZ ] &&
  [ "$(od -An -tx1 -j $(($(od -An -tu4 -j 60 -N4 "$exe") + 4)) -N2 "$exe" | tr -d ' ')" = 6486 ]; then
  ok "the cabinet's thaiid-agent.exe is an x86-64 Windows executable"
else
  fail "the cabinet's thaiid-agent.exe is an x86-64 Windows executable"
fi

# The machine service (SPEC §10) is made by the agent itself (`service install`, a
# quoted ImagePath, NT SERVICE\thaiid-agent, automatic start): no ServiceInstall rows,
# which Wine's Windows Installer writes with an unquoted path.
state='"[CommonAppDataFolder]thaiid-agent\state"'
check "no ServiceInstall rows" "$(rows ServiceInstall | wc -l)" 0
check "no ServiceControl rows" "$(rows ServiceControl | wc -l)" 0

# The tray for every user at logon: a client of the service.
check "Run key starts the tray" \
  "$(registry 'Software\Microsoft\Windows\CurrentVersion\Run' 'ThaiID Login Agent')" \
  '2|"[INSTALLDIR]thaiid-agent.exe" tray|Autostart'

# The machine configuration from the public properties, nothing when a property is empty.
config='SOFTWARE\ThaiID Login Agent'
for pair in ServerUrl:SERVER_URL AllowedOrigins:ALLOWED_ORIGINS Port:PORT Reader:READER; do
  name=${pair%%:*} property=${pair#*:}
  check "$name = [$property] in HKLM\\$config" "$(registry "$config" "$name")" "2|[$property]|Config$name"
  check "  written only when $property is given" "$(cell Component "Config$name" 5)" "$property"
  has_bits "  in the 64-bit registry" "$(cell Component "Config$name" 4)" 256
  check "  remembered: AppSearch reads it back" "$(cell AppSearch "$property" 2)" "Find$name"
  check "  from the 64-bit registry" "$(cell RegLocator "Find$name" 2)|$(cell RegLocator "Find$name" 3)|$(cell RegLocator "Find$name" 5)" \
    "2|$config|18"
  before "  the command line's $property is kept before AppSearch" "Save$name" AppSearch
  before "  and put back after it" AppSearch "Restore$name"
  before "  before costing" "Restore$name" CostFinalize
  check "  a secure property" "$(cell Property SecureCustomProperties 2 | tr ';' '\n' | grep -cx "$property")" 1
done

# The enrollment token: used once, written nowhere a user can read, in no log.
check "no EnrollToken registry value" "$(rows Registry | awk -F'\t' '$4 == "EnrollToken"' | wc -l)" 0
check "ENROLL_TOKEN is not searched for in the registry" "$(cell AppSearch ENROLL_TOKEN 2)" ""
check "ENROLL_TOKEN is copied once only, into the enrollment action's data" \
  "$(rows CustomAction | awk -F'\t' '$4 ~ /ENROLL_TOKEN\]/ { print $1 "|" $2 "|" $3 }')" "SetRunEnroll|51|RunEnroll"
# SPEC §10: no command line holds the token (process-creation logs and EDR keep them).
# Exe actions (types 2, 18, 34, 50) get nothing but a command line; the token goes to a DLL
# action's CustomActionData, which hands it to `enroll` in its environment.
exe_actions_with_token=$(rows CustomAction | awk -F'\t' '
  { type = $2 % 64 }
  (type == 2 || type == 18 || type == 34 || type == 50) && $4 ~ /ENROLL_TOKEN/ { print $1 }')
check "no exe custom action's command line names ENROLL_TOKEN" "$exe_actions_with_token" ""
check "MsiHiddenProperties hides the token, its copy and the enrolling action's data" \
  "$(cell Property MsiHiddenProperties 2)" "ENROLL_TOKEN;SetRunEnroll;RunEnroll"
type=$(cell CustomAction RunEnroll 2)
check "RunEnroll: a DLL of the Binary table, its entry Enroll" \
  "$((type & 0x3f))|$(cell CustomAction RunEnroll 3)|$(cell CustomAction RunEnroll 4)" "1|EnrollAction|Enroll"
has_bits "  deferred, as LocalSystem" "$type" 0xc00 0x80
check "  its data: EXE|STATE|SERVER|TOKEN, the token last" "$(cell CustomAction SetRunEnroll 4)" \
  '[#AgentExe]|[CommonAppDataFolder]thaiid-agent\state|[SERVER_URL]|[ENROLL_TOKEN]'
msiinfo extract "$msi" Binary.EnrollAction >"$extract/enroll-action.dll" 2>/dev/null || true
exports=$(x86_64-w64-mingw32-objdump -p "$extract/enroll-action.dll" 2>/dev/null || true)
[[ $exports == *"file format pei-x86-64"* && $exports == *"] Enroll"* ]] &&
  ok "  the Binary is an x86-64 DLL that exports Enroll" || fail "  the Binary is an x86-64 DLL that exports Enroll"
check "  ENROLL_TOKEN a secure property" "$(cell Property SecureCustomProperties 2 | tr ';' '\n' | grep -cx ENROLL_TOKEN)" 1

# Custom actions: type 18 = exe from the File table; 0x40 ignore the exit code;
# 0x80 async; 0x400 deferred; 0x800 no impersonation (LocalSystem).
for action in RunSetup:"setup --state-dir $state" \
  RunSetupUninstall:"setup --state-dir $state --uninstall" \
  RunServiceInstall:"service --state-dir $state install" RunServiceUninstall:"service uninstall"; do
  name=${action%%:*} command=${action#*:}
  check "$name runs thaiid-agent.exe $command" "$(cell CustomAction "$name" 3)|$(cell CustomAction "$name" 4)" "AgentExe|$command"
  type=$(cell CustomAction "$name" 2)
  check "  an exe of the File table" "$((type & 0x3f))" 18
  has_bits "  deferred, as LocalSystem" "$type" 0xc00 0x80
done
has_bits "RunSetup: a failure fails the install (a squatted state dir)" "$(cell CustomAction RunSetup 2)" 0 0x40
has_bits "RunEnroll: a failure (server down) does not" "$(cell CustomAction RunEnroll 2)" 0x40
has_bits "RunSetupUninstall: never fails the removal" "$(cell CustomAction RunSetupUninstall 2)" 0x40
has_bits "RunServiceInstall: a service that does not start fails the install" "$(cell CustomAction RunServiceInstall 2)" 0 0x40
has_bits "RunServiceUninstall: never fails the removal" "$(cell CustomAction RunServiceUninstall 2)" 0x40
check "RunServiceInstall on install, repair and upgrade" "$(condition RunServiceInstall)" "NOT REMOVE"
before "  after enrollment (the service starts enrolled)" RunEnroll RunServiceInstall
before "  before the install is done" RunServiceInstall InstallFinalize
check "RunServiceUninstall on removal" "$(condition RunServiceUninstall)" 'REMOVE="ALL"'
before "  first thing in the script" InstallInitialize RunServiceUninstall
has_bits "StopAgents: deferred, as LocalSystem (every user's tray)" "$(cell CustomAction StopAgents 2)" 0xc40
check "StopAgents: taskkill" "$(cell CustomAction StopAgents 3)|$(cell CustomAction StopAgents 4)" "TASKKILL|/F /IM thaiid-agent.exe"
check "  taskkill from System64Folder" "$(cell CustomAction SetTaskkill 4)" "[System64Folder]taskkill.exe"

check "RunSetup on install, repair and upgrade" "$(condition RunSetup)" "NOT REMOVE"
before "  after the files are in place" InstallFiles RunSetup
before "  before the service is made" RunSetup RunServiceInstall
cond=$(condition RunEnroll)
[[ $cond == *"NOT Installed"* && $cond == *"NOT REMOVE"* && $cond == *"ENROLL_TOKEN AND SERVER_URL"* && $cond == *"NOT WIX_UPGRADE_DETECTED"* ]] &&
  ok "RunEnroll on a first install with a token and a server only" || fail "RunEnroll condition: [$cond]"
before "  after setup made the state dir" RunSetup RunEnroll
check "SetRunEnroll under the same condition" "$(condition SetRunEnroll)" "$cond"
before "  before RunEnroll" SetRunEnroll RunEnroll
cond=$(condition RunSetupUninstall)
[[ $cond == *'REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE'* ]] &&
  ok "RunSetupUninstall on removal, not on upgrade" || fail "RunSetupUninstall condition: [$cond]"
check "StopAgents on removal" "$(condition StopAgents)" 'REMOVE="ALL"'
before "StopAgents after the service is deleted" RunServiceUninstall StopAgents
before "RunSetupUninstall after the service is deleted" RunServiceUninstall RunSetupUninstall
before "RunSetupUninstall before the exe is removed" RunSetupUninstall RemoveFiles
before "taskkill's path is set before the script" SetTaskkill InstallInitialize
before "  and after directories are resolved" CostFinalize SetTaskkill

# Major upgrades: one UpgradeCode for ever, older versions removed first, newer refused.
code='{5FCC21A2-0739-4FAB-AFB8-8E0F79BE624E}'
check "UpgradeCode" "$(cell Property UpgradeCode 2 | tr a-f A-F)" "$code"
check "older versions are upgraded" \
  "$(rows Upgrade | awk -F'\t' '$7 == "WIX_UPGRADE_DETECTED" { print $1 "|" $2 "|" $3 "|" $5 }')" \
  "$code||$version|1"
check "newer versions are detected (downgrade refused)" \
  "$(rows Upgrade | awk -F'\t' '$7 == "WIX_DOWNGRADE_DETECTED" { print $1 "|" $2 "|" $3 "|" $5 }')" \
  "$code|$version||2"
check "downgrade refused with a message" "$(rows LaunchCondition | cut -f1)" "NOT WIX_DOWNGRADE_DETECTED"
before "FindRelatedProducts first" FindRelatedProducts AppSearch
before "RemoveExistingProducts after InstallValidate" InstallValidate RemoveExistingProducts
before "  and before InstallInitialize" RemoveExistingProducts InstallInitialize

# Browser policies for the SSO origin.
for key in 'Google\Chrome' 'Microsoft\Edge'; do
  for policy in LocalNetworkAccessAllowedForUrls LoopbackNetworkAllowedForUrls; do
    check "$key $policy\\1" "$(registry "SOFTWARE\\Policies\\$key\\$policy" 1)" "2|[BROWSER_POLICY_ORIGIN]|PolicyChromium"
  done
done
check "  only with an origin and unless BROWSER_POLICIES=0" "$(cell Component PolicyChromium 5)" \
  'BROWSER_POLICY_ORIGIN AND BROWSER_POLICIES <> "0"'
check "  origin defaults to ALLOWED_ORIGINS" "$(cell CustomAction DefaultBrowserPolicyOrigin 3)|$(cell CustomAction DefaultBrowserPolicyOrigin 4)" \
  "BROWSER_POLICY_ORIGIN|[ALLOWED_ORIGINS]"
cond=$(condition DefaultBrowserPolicyOrigin)
[[ $cond == *'NOT (ALLOWED_ORIGINS >< ",")'* ]] &&
  ok "  when it holds a single origin" || fail "DefaultBrowserPolicyOrigin condition: [$cond]"
before "  after the remembered values are back" RestoreBrowserPolicyOrigin DefaultBrowserPolicyOrigin
before "  before costing" DefaultBrowserPolicyOrigin CostFinalize
check "Firefox ImportEnterpriseRoots = 1" \
  "$(registry 'SOFTWARE\Policies\Mozilla\Firefox\Certificates' ImportEnterpriseRoots)" "2|#1|PolicyFirefox"
check "  unless BROWSER_POLICIES=0" "$(cell Component PolicyFirefox 5)" 'BROWSER_POLICIES <> "0"'

if [ "$failures" -gt 0 ]; then
  echo "test-msi: $failures check(s) failed" >&2
  exit 1
fi
if [ -n "$stand_in" ]; then
  echo "test-msi: all table checks passed, around a STAND-IN exe: the agent was not cross-built here"
else
  echo "test-msi: all checks passed"
fi
