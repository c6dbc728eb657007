//! The agent's configuration: the machine's (written by the installer), then the user's
//! `config.toml`, then environment variables, then flags (SPEC §3); later wins per key.
//! Every bad value is refused with where it came from and what to write.

use crate::paths::StateDir;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
pub use thaiid_protocol::origin::{server_url, web_origin};

pub const DEFAULT_PORT: u16 = 47113;
/// How long an insertion authorizes its one login (SPEC §5), by default.
pub const DEFAULT_INSERTION_WINDOW: Duration = Duration::from_secs(120);
/// The longest window IT may set: a card left in a reader must not stay a standing consent.
const MAX_INSERTION_WINDOW_MINUTES: f64 = 30.0;

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The central server's base URL, without a trailing slash: the assertions' `aud`.
    pub server_url: Option<String>,
    /// Web origins allowed to call the agent, as browsers write them (`https://sso.example`).
    pub allowed_origins: Vec<String>,
    pub port: u16,
    /// Read only this reader.
    pub reader: Option<String>,
    /// The token the agent enrolls itself with at first start, when not yet enrolled.
    pub enroll_token: Option<EnrollToken>,
    /// How long after its insertion a card may still be used for its one login.
    pub insertion_window: Duration,
    /// On a machine without a session manager, serve every local user, not only root
    /// (CI, single-user kiosks; SPEC §5 "Caller").
    pub any_local_user: bool,
}

/// An enrollment token: a secret, so `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollToken(pub String);

impl std::fmt::Debug for EnrollToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrollToken(…)")
    }
}

/// Values given on the command line; they win over the file and the environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub server_url: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub port: Option<u16>,
    pub reader: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {origin}: {problem}")]
pub struct ConfigError {
    /// The file, variable or flag the bad value came from.
    pub origin: String,
    pub problem: String,
}

/// The values of one file (or, on Windows, of the machine's registry key).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub server_url: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub port: Option<u16>,
    pub reader: Option<String>,
    pub enroll_token: Option<String>,
    /// Minutes; fractions allowed.
    pub insertion_window_minutes: Option<f64>,
    pub any_local_user: Option<bool>,
}

/// Where the configuration comes from, below the environment and the flags.
pub struct Sources<'a> {
    /// The machine's file, written by the installer; absent is fine.
    pub machine: &'a Path,
    /// Windows: the machine's registry key, which GPO can also set; over the file.
    pub registry: Option<FileConfig>,
    /// The user's file; it must exist when `THAIID_CONFIG` names it. `None` for the
    /// machine service, which has no user's file (and, run by root, may not read root's).
    pub user: Option<&'a Path>,
    /// For the machine service: its allowed origins must be https and not this machine.
    pub machine_service: bool,
}

/// Where each raw value came from, for error messages.
struct Raw {
    server_url: Option<(String, String)>,
    allowed_origins: Option<(String, Vec<String>)>,
    port: u16,
    reader: Option<String>,
    enroll_token: Option<String>,
    insertion_window_minutes: Option<(String, f64)>,
    any_local_user: Option<bool>,
}

impl Config {
    /// Loads the machine's values, then the user's file, then the `THAIID_*` variables
    /// of `env`, then `flags`.
    pub fn load(
        sources: &Sources,
        env: impl Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut raw = Raw {
            server_url: None,
            allowed_origins: None,
            port: DEFAULT_PORT,
            reader: None,
            enroll_token: None,
            insertion_window_minutes: None,
            any_local_user: None,
        };
        let machine = read_file(sources.machine, env("THAIID_MACHINE_CONFIG").is_some())?;
        raw.set_from(&sources.machine.display().to_string(), machine);
        if let Some(registry) = sources.registry.clone() {
            raw.set_from(REGISTRY_KEY, registry);
        }
        if let Some(path) = sources.user {
            let user = read_file(path, env("THAIID_CONFIG").is_some())?;
            raw.set_from(&path.display().to_string(), user);
        }
        if let Some(url) = env("THAIID_SERVER_URL") {
            raw.server_url = Some(("THAIID_SERVER_URL".into(), url));
        }
        if let Some(list) = env("THAIID_ALLOWED_ORIGINS") {
            let list = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            raw.allowed_origins = Some(("THAIID_ALLOWED_ORIGINS".into(), list));
        }
        // The installer's way to hand a token over without a file or a command line.
        if let Some(token) = env("THAIID_ENROLL_TOKEN") {
            raw.enroll_token = Some(token);
        }
        if let Some(text) = env("THAIID_ANY_LOCAL_USER") {
            let yes = match text.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(ConfigError {
                        origin: "THAIID_ANY_LOCAL_USER".into(),
                        problem: format!("{text:?}: write true or false"),
                    })
                }
            };
            raw.any_local_user = Some(yes);
        }
        if let Some(port) = env("THAIID_PORT") {
            raw.port = port.trim().parse().map_err(|_| ConfigError {
                origin: "THAIID_PORT".into(),
                problem: format!("{port:?} is not a port number (1-65535)"),
            })?;
        }
        if let Some(url) = &flags.server_url {
            raw.server_url = Some(("--server".into(), url.clone()));
        }
        if let Some(list) = &flags.allowed_origins {
            raw.allowed_origins = Some(("--allowed-origin".into(), list.clone()));
        }
        raw.port = flags.port.unwrap_or(raw.port);
        raw.reader = flags.reader.clone().or(raw.reader);
        raw.validate(sources.machine_service)
    }

    /// The configuration from the usual places, for a user's agent.
    pub fn from_environment(flags: &Overrides) -> Result<Config, ConfigError> {
        Config::from_places(Some(&crate::paths::config_file()), false, flags)
    }

    /// The configuration of an agent working on `state`: the machine service's has no
    /// user's file (unless `THAIID_CONFIG` names one) and allows no origin of this
    /// machine; a user's agent's has its file.
    pub fn for_state(state: &StateDir, flags: &Overrides) -> Result<Config, ConfigError> {
        let user_file = crate::paths::config_file();
        let user = (!state.machine || std::env::var_os("THAIID_CONFIG").is_some())
            .then_some(user_file.as_path());
        Config::from_places(user, state.machine, flags)
    }

    fn from_places(
        user: Option<&Path>,
        machine_service: bool,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        Config::load(
            &Sources {
                machine: &crate::paths::machine_config_file(),
                registry: machine_registry()?,
                user,
                machine_service,
            },
            |key| std::env::var(key).ok(),
            flags,
        )
    }
}

fn read_file(path: &Path, must_exist: bool) -> Result<FileConfig, ConfigError> {
    let problem = |problem: String| ConfigError {
        origin: path.display().to_string(),
        problem,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|error| problem(error.message().to_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            Ok(FileConfig::default())
        }
        Err(error) => Err(problem(format!("cannot read it: {error}"))),
    }
}

impl Raw {
    /// Takes the values `file` has, saying they came from `origin`.
    fn set_from(&mut self, origin: &str, file: FileConfig) {
        if let Some(url) = file.server_url {
            self.server_url = Some((origin.to_owned(), url));
        }
        if let Some(list) = file.allowed_origins {
            self.allowed_origins = Some((origin.to_owned(), list));
        }
        self.port = file.port.unwrap_or(self.port);
        self.reader = file.reader.or(self.reader.take());
        self.enroll_token = file.enroll_token.or(self.enroll_token.take());
        if let Some(minutes) = file.insertion_window_minutes {
            self.insertion_window_minutes = Some((origin.to_owned(), minutes));
        }
        self.any_local_user = file.any_local_user.or(self.any_local_user);
    }

    fn validate(self, machine_service: bool) -> Result<Config, ConfigError> {
        let server_url = match self.server_url {
            Some((origin, url)) => {
                Some(server_url(&url).map_err(|problem| ConfigError { origin, problem })?)
            }
            None => None,
        };
        let allowed_origins = match self.allowed_origins {
            Some((source, list)) => list
                .iter()
                .map(|origin| web_origin(origin))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|origins| match machine_service {
                    true => machine::service_origins(origins),
                    false => Ok(origins),
                })
                .map_err(|problem| ConfigError {
                    origin: source,
                    problem,
                })?,
            None => Vec::new(),
        };
        let insertion_window = match self.insertion_window_minutes {
            None => DEFAULT_INSERTION_WINDOW,
            Some((origin, minutes)) => {
                if !(minutes > 0.0 && minutes <= MAX_INSERTION_WINDOW_MINUTES) {
                    return Err(ConfigError {
                        origin,
                        problem: format!(
                            "insertion_window_minutes = {minutes}: write a number of minutes \
                             above 0 and at most {MAX_INSERTION_WINDOW_MINUTES}"
                        ),
                    });
                }
                Duration::from_secs_f64(minutes * 60.0)
            }
        };
        if self.port == 0 {
            return Err(ConfigError {
                origin: "port".into(),
                problem: "0 is not a port number (1-65535)".into(),
            });
        }
        Ok(Config {
            server_url,
            allowed_origins,
            port: self.port,
            reader: self.reader,
            enroll_token: (self.enroll_token.map(|token| token.trim().to_owned()))
                .filter(|token| !token.is_empty())
                .map(EnrollToken),
            insertion_window,
            any_local_user: self.any_local_user.unwrap_or(false),
        })
    }
}

/// The machine's registry key on Windows, named in error messages.
const REGISTRY_KEY: &str = r"HKLM\SOFTWARE\ThaiID Login Agent";

/// The machine's registry values (Windows only; `None` elsewhere or when the file named
/// by `THAIID_MACHINE_CONFIG` replaces them).
fn machine_registry() -> Result<Option<FileConfig>, ConfigError> {
    #[cfg(windows)]
    if std::env::var_os("THAIID_MACHINE_CONFIG").is_none() {
        return registry::machine_values().map_err(|problem| ConfigError {
            origin: REGISTRY_KEY.into(),
            problem,
        });
    }
    Ok(None)
}

mod machine;
// Tests on every platform: the values' parsing is platform-free.
#[cfg(any(windows, test))]
mod registry;
#[cfg(test)]
mod tests;
