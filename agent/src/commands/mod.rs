pub mod read;
pub mod readers;
pub mod setup;
