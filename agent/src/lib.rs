//! The workstation agent: PC/SC card access and the `thaiid-agent` commands.

pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod enrollment;
pub mod error;
pub mod fs;
pub mod http;
pub mod logging;
#[cfg(unix)]
pub mod os_user;
pub mod paths;
#[cfg(target_os = "linux")]
pub mod procnet;
pub mod serve;
pub mod service_client;
pub mod setup;
pub mod smartcard;
pub mod summary;
#[cfg(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux")))]
pub mod tray;
pub mod upgrade;
pub mod watcher;
pub mod win;
