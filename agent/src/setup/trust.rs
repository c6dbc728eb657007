//! Putting the CA into the trust stores browsers use, and taking it out again.
//! Linux: the user's NSS db (~/.pki/nssdb: Chromium, Chrome, Edge) and every Firefox
//! profile, through `certutil` (libnss3-tools). Windows: the user's Root store.

use super::LocalTls;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every CA this agent ever made is named with this prefix, and only those are removed.
const NICKNAME_PREFIX: &str = "ThaiID Login Agent local CA";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustStore {
    pub description: String,
    location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Location {
    Nss(PathBuf),
    #[allow(dead_code)] // only built on Windows
    WindowsUserRoot,
}

#[derive(Debug)]
pub struct TrustOutcome {
    pub store: TrustStore,
    /// `Err`: what failed and how to fix it.
    pub result: Result<(), String>,
}

/// The stores of the user running the agent.
pub fn stores() -> Vec<TrustStore> {
    if cfg!(windows) {
        return vec![TrustStore {
            description: "Windows user Root store".into(),
            location: Location::WindowsUserRoot,
        }];
    }
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return Vec::new();
    };
    let mut stores = vec![TrustStore {
        description: format!(
            "NSS db {} (Chromium, Chrome, Edge)",
            home.join(".pki/nssdb").display()
        ),
        location: Location::Nss(home.join(".pki/nssdb")),
    }];
    for root in [".mozilla/firefox", "snap/firefox/common/.mozilla/firefox"] {
        let Ok(entries) = std::fs::read_dir(home.join(root)) else {
            continue;
        };
        for profile in entries.flatten().map(|entry| entry.path()) {
            if profile.join("cert9.db").exists() {
                stores.push(TrustStore {
                    description: format!("Firefox profile {}", profile.display()),
                    location: Location::Nss(profile),
                });
            }
        }
    }
    stores
}

/// Adds the CA where it is missing.
pub fn add(tls: &LocalTls) -> Vec<TrustOutcome> {
    stores()
        .into_iter()
        .map(|store| {
            let result = match &store.location {
                Location::Nss(db) => nss_add(db, tls),
                Location::WindowsUserRoot => windows_add(tls),
            };
            TrustOutcome { store, result }
        })
        .collect()
}

/// Removes every CA of ours from every store.
pub fn remove_all() -> Vec<TrustOutcome> {
    stores()
        .into_iter()
        .map(|store| {
            let result = match &store.location {
                Location::Nss(db) => nss_remove_ours(db),
                Location::WindowsUserRoot => windows_remove(),
            };
            TrustOutcome { store, result }
        })
        .collect()
}

fn nss_add(db: &Path, tls: &LocalTls) -> Result<(), String> {
    if !db.join("cert9.db").exists() {
        std::fs::create_dir_all(db).map_err(|e| format!("cannot create {}: {e}", db.display()))?;
        certutil(db, &["-N", "--empty-password"])?;
    }
    if certutil(db, &["-L", "-n", &tls.nickname]).is_ok() {
        return Ok(());
    }
    let ca = tempfile_with(&tls.ca_pem)?;
    let added = certutil(
        db,
        &[
            "-A",
            "-t",
            "C,,",
            "-n",
            &tls.nickname,
            "-i",
            &ca.display().to_string(),
        ],
    );
    let _ = std::fs::remove_file(&ca);
    added.map(drop)
}

fn nss_remove_ours(db: &Path) -> Result<(), String> {
    if !db.join("cert9.db").exists() {
        return Ok(());
    }
    let listing = certutil(db, &["-L"])?;
    for line in listing
        .lines()
        .filter(|line| line.starts_with(NICKNAME_PREFIX))
    {
        // Lines are "<nickname>   <trust flags>"; the flags are the last word.
        let line = line.trim_end();
        let nickname = line
            .rsplit_once(char::is_whitespace)
            .map_or(line, |(n, _)| n)
            .trim();
        certutil(db, &["-D", "-n", nickname])?;
    }
    Ok(())
}

fn certutil(db: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("certutil")
        .arg("-d")
        .arg(format!("sql:{}", db.display()))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run certutil ({e}): install libnss3-tools"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "certutil {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn tempfile_with(text: &str) -> Result<PathBuf, String> {
    let path = std::env::temp_dir().join(format!("thaiid-agent-ca-{}.pem", std::process::id()));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Windows' own certutil adds to and deletes from the user's Root store.
fn windows_add(tls: &LocalTls) -> Result<(), String> {
    let ca = tempfile_with(&tls.ca_pem)?;
    let result = windows_certutil(&["-user", "-addstore", "Root", &ca.display().to_string()]);
    let _ = std::fs::remove_file(&ca);
    result
}

fn windows_remove() -> Result<(), String> {
    windows_certutil(&["-user", "-delstore", "Root", NICKNAME_PREFIX])
}

fn windows_certutil(args: &[&str]) -> Result<(), String> {
    let status = Command::new("certutil.exe")
        .args(args)
        .status()
        .map_err(|e| format!("cannot run certutil.exe: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("certutil.exe {} failed", args.join(" ")))
}
