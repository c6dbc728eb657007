//! The Windows machine service (SPEC §10): the SCM glue, the state directory's ACL, the
//! caller's session and privileges, the workstation key in CNG. Every `unsafe` call of these lives in
//! this module, each with its SAFETY note.

#[cfg(windows)]
pub mod acl;
#[cfg(windows)]
pub mod caller;
#[cfg(windows)]
pub mod cng;
#[cfg(windows)]
pub mod dpapi;
#[cfg(windows)]
pub mod service;
mod sid;
#[cfg(windows)]
mod token;
#[cfg(windows)]
mod wide;

pub use sid::service_sid;

/// The service's name in the SCM, and the name of its virtual account
/// (`NT SERVICE\thaiid-agent`).
pub const SERVICE_NAME: &str = "thaiid-agent";
