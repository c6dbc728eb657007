//! The agent's configuration: `config.toml`, then environment variables, then flags
//! (SPEC §3). Every bad value is refused with where it came from and what to write.

use serde::Deserialize;
use std::path::Path;
pub use thaiid_protocol::origin::{server_url, web_origin};

pub const DEFAULT_PORT: u16 = 47113;

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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    server_url: Option<String>,
    allowed_origins: Option<Vec<String>>,
    port: Option<u16>,
    reader: Option<String>,
}

/// Where each raw value came from, for error messages.
struct Raw {
    server_url: Option<(String, String)>,
    allowed_origins: Option<(String, Vec<String>)>,
    port: u16,
    reader: Option<String>,
}

impl Config {
    /// Loads `path` if it exists (it must, when `THAIID_CONFIG` names it), then the
    /// `THAIID_*` variables of `env`, then `flags`.
    pub fn load(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let file = read_file(path, env("THAIID_CONFIG").is_some())?;
        let file_origin = path.display().to_string();
        let mut raw = Raw {
            server_url: file.server_url.map(|url| (file_origin.clone(), url)),
            allowed_origins: file.allowed_origins.map(|list| (file_origin.clone(), list)),
            port: file.port.unwrap_or(DEFAULT_PORT),
            reader: file.reader,
        };
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
        raw.validate()
    }

    /// The configuration from the usual places.
    pub fn from_environment(flags: &Overrides) -> Result<Config, ConfigError> {
        Config::load(
            &crate::paths::config_file(),
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
    fn validate(self) -> Result<Config, ConfigError> {
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
                .map_err(|problem| ConfigError {
                    origin: source,
                    problem,
                })?,
            None => Vec::new(),
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
        })
    }
}

#[cfg(test)]
mod tests;
