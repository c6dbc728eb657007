//! Where the agent keeps its configuration, its state and its logs, per platform:
//! Linux `/etc/thaiid-agent/` (the machine's), `$XDG_CONFIG_HOME/thaiid-agent/`,
//! `$XDG_DATA_HOME/thaiid-agent/` and `$XDG_STATE_HOME/thaiid-agent/logs/`;
//! Windows `%ProgramData%\thaiid-agent\`, `%APPDATA%\thaiid-agent\config\`,
//! `…\data\` and `%LOCALAPPDATA%\thaiid-agent\data\logs\`.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "thaiid-agent")
}

/// The default `config.toml` (overridden by `THAIID_CONFIG`).
pub fn config_file() -> PathBuf {
    if let Some(path) = std::env::var_os("THAIID_CONFIG") {
        return PathBuf::from(path);
    }
    project()
        .map(|dirs| dirs.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-config.toml"))
}

/// The machine's `config.toml`, written by the installer (overridden by
/// `THAIID_MACHINE_CONFIG`).
pub fn machine_config_file() -> PathBuf {
    if let Some(path) = std::env::var_os("THAIID_MACHINE_CONFIG") {
        return PathBuf::from(path);
    }
    #[cfg(windows)]
    let dir = std::env::var_os("ProgramData")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("thaiid-agent");
    #[cfg(not(windows))]
    let dir = PathBuf::from("/etc/thaiid-agent");
    dir.join("config.toml")
}

/// Where the log files of an agent serving from `state` rotate: the machine service's
/// in its state dir, a user's agent's in the user's log dir.
pub fn log_dir_of(state: &StateDir) -> PathBuf {
    match state.machine {
        true => state.path.join("logs"),
        false => log_dir(),
    }
}

/// Where the log files of a user's agent rotate.
pub fn log_dir() -> PathBuf {
    project()
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .join("logs")
        })
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-logs"))
}

/// Where the agent's state is: the machine service's directory (`--state-dir` or
/// `THAIID_STATE_DIR`, SPEC §10), or, for a developer's agent run by hand, the user's data dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateDir {
    pub path: PathBuf,
    /// Named by the flag or the variable: the machine service's, trusted machine-wide by
    /// the installer; otherwise the user's own, trusted in the user's stores.
    pub machine: bool,
}

impl StateDir {
    /// `flag`, else `THAIID_STATE_DIR`, else the user's data dir.
    pub fn resolve(flag: Option<&std::path::Path>) -> StateDir {
        let named = flag
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("THAIID_STATE_DIR").map(PathBuf::from))
            .filter(|path| !path.as_os_str().is_empty());
        match named {
            Some(path) => StateDir {
                path,
                machine: true,
            },
            None => StateDir {
                path: data_dir(),
                machine: false,
            },
        }
    }
}

/// The user's data dir: agent key, agent id, counter, `ca.pem`, leaf certificate and key
/// of an agent run by hand, without a state dir.
pub fn data_dir() -> PathBuf {
    project()
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-data"))
}
