//! NSS certificate dbs (Chrome, Chromium and Firefox on Linux), through `certutil`
//! from libnss3-tools: the one tool that edits them safely while a browser has them open.

use super::ca;
use super::done::Done;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Trusted to issue TLS server certificates (the SSL column), nothing else.
const TRUST_FLAGS: &str = "C,,";

#[derive(Debug)]
pub struct NssDb {
    dir: PathBuf,
    /// Made (empty password) when missing, as Chrome would make it.
    create: bool,
}

impl NssDb {
    pub fn new(dir: PathBuf, create: bool) -> NssDb {
        NssDb { dir, create }
    }

    /// Whether `dir` holds a certificate db (current sqlite or legacy dbm format).
    pub fn exists_in(dir: &Path) -> bool {
        dir.join("cert9.db").is_file() || dir.join("cert8.db").is_file()
    }

    pub fn sync(&self, ca_pem: &str, name: &str) -> Result<Done, String> {
        if !NssDb::exists_in(&self.dir) {
            if !self.create {
                return Err(format!("no certificate db in {}", self.dir.display()));
            }
            crate::fs::private_dir(&self.dir)
                .map_err(|e| format!("cannot create {} ({e})", self.dir.display()))?;
            self.certutil(&["-N", "--empty-password"], None)?;
        }
        let ours = self.ours()?;
        let mut removed = 0;
        for (nickname, _) in ours.iter().filter(|(nickname, _)| nickname != name) {
            self.certutil(&["-D", "-n", nickname], None)?;
            removed += 1;
        }
        let added = match ours.iter().find(|(nickname, _)| nickname == name) {
            Some((_, flags)) if trusted(flags) => false,
            // Present but distrusted (by hand, or a half-done add): trust it again.
            Some(_) => {
                self.certutil(&["-M", "-n", name, "-t", TRUST_FLAGS], None)?;
                true
            }
            None => {
                self.certutil(&["-A", "-n", name, "-t", TRUST_FLAGS], Some(ca_pem))?;
                true
            }
        };
        Ok(Done::Trusted { added, removed })
    }

    /// Deletes every CA of ours; gives how many.
    pub fn remove_ours(&self) -> Result<usize, String> {
        if !NssDb::exists_in(&self.dir) {
            return Ok(0);
        }
        let ours = self.ours()?;
        for (nickname, _) in &ours {
            self.certutil(&["-D", "-n", nickname], None)?;
        }
        Ok(ours.len())
    }

    pub fn trusts(&self, name: &str) -> Result<bool, String> {
        if !NssDb::exists_in(&self.dir) {
            return Ok(false);
        }
        Ok(self
            .ours()?
            .iter()
            .any(|(nickname, flags)| nickname == name && trusted(flags)))
    }

    /// (nickname, trust flags) of every certificate in the db that is one of our CAs.
    fn ours(&self) -> Result<Vec<(String, String)>, String> {
        Ok(parse_listing(&self.certutil(&["-L"], None)?)
            .into_iter()
            .filter(|(nickname, _)| ca::is_ours(nickname))
            .collect())
    }

    fn certutil(&self, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
        // The sqlite format unless the profile still has only the legacy one.
        let format =
            match self.dir.join("cert8.db").is_file() && !self.dir.join("cert9.db").is_file() {
                true => "dbm",
                false => "sql",
            };
        let mut child = Command::new("certutil")
            .arg("-d")
            .arg(format!("{format}:{}", self.dir.display()))
            .args(args)
            // A db with a password fails instead of waiting for someone to type it.
            .args(["-f", NO_PASSWORD])
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "certutil is missing: install it (sudo apt install libnss3-tools) and run \
                     `thaiid-agent setup` again"
                        .to_owned()
                }
                _ => format!("cannot run certutil ({e})"),
            })?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            // certutil reads the certificate to add from stdin when no -i is given.
            input
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot give certutil the certificate ({e})"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("certutil did not finish ({e})"))?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let message = String::from_utf8_lossy(&output.stderr);
        let message = message.trim();
        let fix = match message.contains("SEC_ERROR_BAD_PASSWORD") {
            true => {
                "the db is protected by a password: import ca.pem by hand in the browser's \
                     certificate settings, as a CA trusted for websites"
            }
            false => "fix that and run `thaiid-agent setup` again",
        };
        Err(format!(
            "certutil {} failed ({message}): {fix}",
            args.first().unwrap_or(&"")
        ))
    }
}

/// An empty password file: dbs made with `--empty-password` need nothing more.
const NO_PASSWORD: &str = "/dev/null";

/// Whether trust flags `SSL,S/MIME,JAR` let the certificate issue TLS server certificates.
fn trusted(flags: &str) -> bool {
    flags.split(',').next().is_some_and(|ssl| ssl.contains('C'))
}

/// `certutil -L` lines are the nickname padded with spaces, then the trust flags (which
/// never contain spaces). Header lines come out with nicknames no CA of ours has.
pub(super) fn parse_listing(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|line| {
            let (nickname, flags) = line.trim_end().rsplit_once(char::is_whitespace)?;
            Some((nickname.trim_end().to_owned(), flags.to_owned()))
        })
        .collect()
}
