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
pub mod paths;
pub mod serve;
pub mod setup;
pub mod smartcard;
pub mod summary;
#[cfg(any(feature = "tray", all(feature = "tray-ksni", target_os = "linux")))]
pub mod tray;
pub mod watcher;
pub mod win;
