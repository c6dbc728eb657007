//! The browsers' managed policies that trust the machine service's CA (SPEC §5):
//! Chromium, Chrome and Edge `CACertificates` (base64 DER), Firefox
//! `Certificates.Install` (a PEM file's path). The installer writes them as root; the
//! agent only reads them, for `setup` and `doctor` to say whether the CA is trusted.

use super::Done;
use std::path::{Path, PathBuf};

const CHROMIUM_DIRS: [(&str, &str); 3] = [
    ("/etc/chromium/policies/managed", "Chromium"),
    ("/etc/opt/chrome/policies/managed", "Chrome"),
    ("/etc/opt/edge/policies/managed", "Edge"),
];
const FIREFOX_POLICIES: &str = "/etc/firefox/policies/policies.json";

#[derive(Debug)]
pub enum Policy {
    /// A managed policy directory; any of its JSON files may carry `CACertificates`.
    Chromium { dir: PathBuf, browser: &'static str },
    /// Firefox's one `policies.json`.
    Firefox { file: PathBuf },
}

/// The policy places that exist on this machine.
pub fn installed() -> Vec<Policy> {
    let mut policies: Vec<Policy> = CHROMIUM_DIRS
        .iter()
        .filter(|(dir, _)| Path::new(dir).is_dir())
        .map(|(dir, browser)| Policy::Chromium {
            dir: PathBuf::from(dir),
            browser,
        })
        .collect();
    if Path::new(FIREFOX_POLICIES).is_file() {
        policies.push(Policy::Firefox {
            file: PathBuf::from(FIREFOX_POLICIES),
        });
    }
    policies
}

impl Policy {
    pub fn description(&self) -> String {
        match self {
            Policy::Chromium { dir, browser } => {
                format!("{browser} managed policy {}", dir.display())
            }
            Policy::Firefox { file } => format!("Firefox policy {}", file.display()),
        }
    }

    /// Whether the policy trusts the CA of `ca_pem`.
    pub fn holds(&self, ca_pem: &str) -> bool {
        let der = pem_body(ca_pem);
        match self {
            Policy::Chromium { dir, .. } => json_files(dir).iter().any(|policy| {
                policy["CACertificates"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|entry| entry.as_str() == Some(&der)))
            }),
            Policy::Firefox { file } => read_json(file).is_some_and(|policy| {
                policy["policies"]["Certificates"]["Install"]
                    .as_array()
                    .is_some_and(|paths| {
                        paths.iter().filter_map(|path| path.as_str()).any(|path| {
                            std::fs::read_to_string(path).is_ok_and(|pem| pem_body(&pem) == der)
                        })
                    })
            }),
        }
    }

    /// The setup's view: trusted, or what to do (the installer writes policies).
    pub fn check(&self, ca_pem: &str) -> Result<Done, String> {
        match self.holds(ca_pem) {
            true => Ok(Done::Trusted {
                added: false,
                removed: 0,
            }),
            false => Err(
                "the policy does not hold the agent's current CA: reinstall the package \
                 (or dpkg-reconfigure thaiid-agent), which writes it"
                    .into(),
            ),
        }
    }
}

/// The base64 of the DER inside a PEM, as `CACertificates` lists it.
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

fn json_files(dir: &Path) -> Vec<serde_json::Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| read_json(&path))
        .collect()
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBAA\nQUJD\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_chromium_policy_holds_the_ca_only_with_its_der() {
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::Chromium {
            dir: dir.path().to_path_buf(),
            browser: "Chromium",
        };
        assert!(!policy.holds(CA), "empty dir");
        std::fs::write(
            dir.path().join("other.json"),
            r#"{"CACertificates": ["MIIBAB"]}"#,
        )
        .unwrap();
        assert!(!policy.holds(CA), "another CA");
        assert!(policy.check(CA).is_err());
        std::fs::write(
            dir.path().join("thaiid-agent-ca.json"),
            r#"{"CACertificates": ["MIIBAAQUJD"]}"#,
        )
        .unwrap();
        assert!(policy.holds(CA));
        assert!(policy.check(CA).is_ok());
    }

    #[test]
    fn a_firefox_policy_holds_the_ca_by_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let file = dir.path().join("policies.json");
        let policy = Policy::Firefox { file: file.clone() };
        let names = |path: &Path| {
            format!(
                r#"{{"policies": {{"Certificates": {{"Install": [{:?}]}}}}}}"#,
                path.display().to_string()
            )
        };
        std::fs::write(&file, names(&ca)).unwrap();
        assert!(!policy.holds(CA), "the named file is missing");
        std::fs::write(&ca, CA).unwrap();
        assert!(policy.holds(CA));
        std::fs::write(&ca, CA.replace("QUJD", "QUJE")).unwrap();
        assert!(!policy.holds(CA), "another CA in the named file");
    }
}
