//! Where the agent keeps its configuration and its state, per platform:
//! Linux `$XDG_CONFIG_HOME/thaiid-agent/` and `$XDG_DATA_HOME/thaiid-agent/`,
//! Windows `%APPDATA%\thaiid-agent\config\` and `…\data\`.

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

/// The state directory: agent key, agent id, counter, `ca.pem`, leaf certificate and key.
pub fn data_dir() -> PathBuf {
    project()
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("thaiid-agent-data"))
}
