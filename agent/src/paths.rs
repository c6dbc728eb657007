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

/// Where the log files rotate.
pub fn log_dir() -> PathBuf {
    project()
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .join("logs")
        })
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-logs"))
}

/// The state directory: agent key, agent id, counter, `ca.pem`, leaf certificate and key.
pub fn data_dir() -> PathBuf {
    project()
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-data"))
}
