//! The trust stores the browsers of the user running the agent read, and what was done
//! to each. Linux: the NSS db `~/.pki/nssdb` (Chrome, Chromium, Edge), the snap
//! Chromium's own db, and every Firefox profile. Windows: the user's Root store, which
//! Edge, Chrome and Firefox all read. The machine service's CA is in the machine's
//! stores instead, which the installer writes.

use super::done::Done;
#[cfg(not(windows))]
use super::nss::NssDb;
use super::LocalTls;
#[cfg(not(windows))]
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct TrustStore {
    /// Says which store, for a person: e.g. "Firefox profile /home/somchai/.mozilla/…".
    pub description: String,
    location: Location,
}

#[derive(Debug)]
enum Location {
    #[cfg(not(windows))]
    Nss(NssDb),
    /// Read only: the installer writes it.
    #[cfg(not(windows))]
    Policy(super::policy::Policy),
    #[cfg(windows)]
    WindowsUserRoot,
    /// The machine's Root store: `setup --state-dir` (the installer, as LocalSystem)
    /// writes it; the service, which may not, finds its CA there.
    #[cfg(windows)]
    WindowsMachineRoot,
}

/// What happened to one store.
#[derive(Debug)]
pub struct TrustOutcome {
    pub store: TrustStore,
    /// `Err`: what failed and how to fix it, in one line.
    pub result: Result<Done, String>,
}

impl TrustStore {
    /// Leaves exactly `tls`'s CA of ours in the store, trusted for TLS servers.
    pub(super) fn sync(self, tls: &LocalTls) -> TrustOutcome {
        let result = match &self.location {
            #[cfg(not(windows))]
            Location::Nss(db) => db.sync(&tls.ca_pem, &tls.ca_name),
            // Written by the installer, never by the agent.
            #[cfg(not(windows))]
            Location::Policy(policy) => policy.check(&tls.ca_pem),
            #[cfg(windows)]
            Location::WindowsUserRoot => super::windows::sync(&tls.ca_pem),
            #[cfg(windows)]
            Location::WindowsMachineRoot => {
                super::windows::sync_in(super::windows::Scope::LocalMachine, &tls.ca_pem)
            }
        };
        TrustOutcome {
            store: self,
            result,
        }
    }

    /// Takes every CA of ours out of the store.
    pub(super) fn remove_ours(self) -> TrustOutcome {
        let result = match &self.location {
            #[cfg(not(windows))]
            Location::Nss(db) => db.remove_ours(),
            #[cfg(not(windows))]
            Location::Policy(_) => Ok(0),
            #[cfg(windows)]
            Location::WindowsUserRoot => super::windows::remove_ours(),
            #[cfg(windows)]
            Location::WindowsMachineRoot => {
                super::windows::remove_ours_in(super::windows::Scope::LocalMachine)
            }
        }
        .map(Done::Removed);
        TrustOutcome {
            store: self,
            result,
        }
    }

    /// Whether `tls`'s CA is in the store and trusted for TLS servers.
    pub(super) fn trusts(&self, tls: &LocalTls) -> Result<bool, String> {
        match &self.location {
            #[cfg(not(windows))]
            Location::Nss(db) => db.trusts(&tls.ca_name),
            #[cfg(not(windows))]
            Location::Policy(policy) => Ok(policy.holds(&tls.ca_pem)),
            #[cfg(windows)]
            Location::WindowsUserRoot => super::windows::trusts(&tls.ca_pem),
            #[cfg(windows)]
            Location::WindowsMachineRoot => {
                super::windows::trusts_in(super::windows::Scope::LocalMachine, &tls.ca_pem)
            }
        }
    }
}

/// The stores `setup` puts `state`'s CA into: the user's own for an agent run by hand;
/// for the machine service, the machine's Root store on Windows, and none on Linux,
/// where the installer writes the browsers' policies after `setup` made the CA.
pub fn of(state: &crate::paths::StateDir) -> Result<Vec<TrustStore>, super::SetupError> {
    match state.machine {
        true => Ok(set_by_setup()),
        false => of_current_user().ok_or(super::SetupError::NoHome),
    }
}

/// The stores whose trust `doctor` reports: for the machine service on Linux, the
/// managed policies the installer wrote (SPEC §5), read only.
pub fn trusting(state: &crate::paths::StateDir) -> Vec<TrustStore> {
    match (state.machine, cfg!(windows)) {
        (true, false) => policies(),
        (true, true) => set_by_setup(),
        (false, _) => of_current_user().unwrap_or_default(),
    }
}

#[cfg(not(windows))]
fn set_by_setup() -> Vec<TrustStore> {
    Vec::new()
}

#[cfg(not(windows))]
fn policies() -> Vec<TrustStore> {
    super::policy::installed()
        .into_iter()
        .map(|policy| TrustStore {
            description: policy.description(),
            location: Location::Policy(policy),
        })
        .collect()
}

#[cfg(windows)]
fn policies() -> Vec<TrustStore> {
    Vec::new()
}

/// Windows: the machine's Root store, which Edge, Chrome and Firefox read.
#[cfg(windows)]
fn set_by_setup() -> Vec<TrustStore> {
    vec![TrustStore {
        description: "Windows machine Root store (Edge, Chrome, Firefox)".into(),
        location: Location::WindowsMachineRoot,
    }]
}

/// The stores of the user running the agent.
#[cfg(windows)]
pub fn of_current_user() -> Option<Vec<TrustStore>> {
    Some(vec![TrustStore {
        description: "Windows user Root store (Edge, Chrome, Firefox)".into(),
        location: Location::WindowsUserRoot,
    }])
}

/// The stores of the user running the agent; `None` without a home directory.
#[cfg(not(windows))]
pub fn of_current_user() -> Option<Vec<TrustStore>> {
    let dirs = directories::BaseDirs::new()?;
    Some(of_user(dirs.home_dir(), dirs.config_dir()))
}

/// The stores under `home` (and `config`, the XDG config dir).
#[cfg(not(windows))]
pub fn of_user(home: &Path, config: &Path) -> Vec<TrustStore> {
    let nss = |description: String, dir: PathBuf, create: bool| TrustStore {
        description,
        location: Location::Nss(NssDb::new(dir, create)),
    };
    // Chrome, Chromium and Edge read this one; made if missing, as Chrome would.
    let shared = home.join(".pki/nssdb");
    let mut stores = vec![nss(
        format!("NSS db {} (Chrome, Chromium, Edge)", shared.display()),
        shared,
        true,
    )];
    // The snap Chromium (Ubuntu) has a home of its own.
    let snap = home.join("snap/chromium/current");
    if snap.is_dir() {
        let db = snap.join(".pki/nssdb");
        stores.push(nss(
            format!("NSS db {} (Chromium snap)", db.display()),
            db,
            true,
        ));
    }
    // Deb, snap, flatpak and the XDG layout of newer Firefox; only profiles that exist.
    let roots = [
        home.join(".mozilla/firefox"),
        home.join("snap/firefox/common/.mozilla/firefox"),
        home.join(".var/app/org.mozilla.firefox/.mozilla/firefox"),
        config.join("mozilla/firefox"),
    ];
    let mut profiles: Vec<PathBuf> = roots
        .iter()
        .flat_map(|root| firefox_profiles(root))
        .collect();
    profiles.sort();
    profiles.dedup();
    stores.extend(profiles.into_iter().map(|profile| {
        nss(
            format!("Firefox profile {}", profile.display()),
            profile,
            false,
        )
    }));
    stores
}

/// Profile dirs with a certificate db: those in `root`, and those `profiles.ini` names
/// elsewhere.
#[cfg(not(windows))]
fn firefox_profiles(root: &Path) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    if let Ok(ini) = std::fs::read_to_string(root.join("profiles.ini")) {
        // `Path=` is relative to `root` unless its section says `IsRelative=0`; a
        // joined absolute path replaces `root`, so both cases come out right.
        candidates.extend(
            ini.lines()
                .filter_map(|line| line.trim().strip_prefix("Path="))
                .map(|path| root.join(path)),
        );
    }
    candidates
        .into_iter()
        .filter(|dir| NssDb::exists_in(dir))
        .filter_map(|dir| dir.canonicalize().ok())
        .collect()
}
