//! The server tests' support: the shared test support of the server's `test-support`
//! feature, and a browser for the pages.
#![allow(dead_code, unused_imports)]

pub use thaiid_server::test_support::*;

pub mod browser;
