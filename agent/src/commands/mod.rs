pub mod read;
pub mod readers;
