//! `thaiid-vcard`: puts a synthetic Thai ID card into a vpcd reader and serves it until killed.
//!
//! The demo runs it when no real card is present; testers use it to try the agent by hand.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use thaiid_tests::{CardFixture, Faults, ReaderLock, SessionEnd, VirtualCard};

/// Insert a virtual Thai national ID card into a vpcd reader (pcscd + vsmartcard-vpcd).
///
/// Serves the card until killed (Ctrl-C, SIGTERM), which pulls it out of the reader.
/// All cards are synthetic people from fixtures/cards.
#[derive(Parser, Debug)]
#[command(name = "thaiid-vcard", version)]
struct Args {
    /// Reader slot: 0 is "Virtual PCD 00 00", 1 is "Virtual PCD 00 01".
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    slot: u8,
    /// A fixture name from fixtures/cards (e.g. demo) or a path to a fixture .toml.
    #[arg(long, default_value = "demo")]
    fixture: String,
    /// List the fixtures and exit.
    #[arg(long)]
    list: bool,
    /// Answer `6C <N>` to a READ whose Le exceeds N.
    #[arg(long, value_name = "N")]
    max_le: Option<u8>,
    /// At APDU N (0-based, from power-on) answer status word SW alone, e.g. 3:6A82.
    #[arg(long, value_name = "N:SW", value_parser = parse_status_at)]
    status_at: Option<(u64, u16)>,
    /// At APDU N answer half the data + 90 00.
    #[arg(long, value_name = "N")]
    short_at: Option<u64>,
    /// At APDU N answer the single byte 90.
    #[arg(long, value_name = "N")]
    malformed_at: Option<u64>,
    /// Answer N APDUs, then pull the card out when the next one arrives.
    #[arg(long, value_name = "N")]
    remove_after: Option<u64>,
    /// Wait this many milliseconds before each answer.
    #[arg(long, value_name = "MS")]
    slow_ms: Option<u64>,
    /// Do not take the reader's lock (when a test that holds it runs this program).
    #[arg(long)]
    no_lock: bool,
}

fn parse_status_at(text: &str) -> Result<(u64, u16), String> {
    let (index, sw) = text
        .split_once(':')
        .ok_or_else(|| format!("expected N:SW such as 3:6A82, got {text:?}"))?;
    let index = index
        .trim()
        .parse()
        .map_err(|_| format!("APDU index {index:?} is not a number"))?;
    let sw = sw.trim();
    let sw = sw.strip_prefix("0x").unwrap_or(sw);
    if sw.len() != 4 {
        return Err(format!(
            "status word {sw:?} must be 4 hex digits, such as 6A82"
        ));
    }
    let sw = u16::from_str_radix(sw, 16)
        .map_err(|_| format!("status word {sw:?} must be 4 hex digits, such as 6A82"))?;
    Ok((index, sw))
}

fn load(fixture: &str) -> Result<CardFixture, thaiid_tests::FixtureError> {
    if fixture.ends_with(".toml") || fixture.contains(['/', '\\']) {
        CardFixture::load(PathBuf::from(fixture))
    } else {
        CardFixture::named(fixture)
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    if args.list {
        for fixture in CardFixture::all().map_err(|err| err.to_string())? {
            println!("{:<28} {}", fixture.name, fixture.description);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let fixture = load(&args.fixture).map_err(|err| format!("{err} (try --list)"))?;
    let faults = Faults {
        max_le: args.max_le,
        status_at: args.status_at,
        short_at: args.short_at,
        malformed_at: args.malformed_at,
        remove_after: args.remove_after,
        slow: args.slow_ms.map(Duration::from_millis),
    };

    let _lock = if args.no_lock {
        None
    } else {
        let lock = ReaderLock::try_acquire(args.slot)
            .map_err(|err| {
                format!(
                    "cannot open {}: {err}",
                    ReaderLock::path(args.slot).display()
                )
            })?
            .ok_or_else(|| {
                format!(
                    "slot {} is in use by a test or another thaiid-vcard (lock {}); \
                     pick the other --slot or stop that one",
                    args.slot,
                    ReaderLock::path(args.slot).display()
                )
            })?;
        Some(lock)
    };

    let card = VirtualCard::new(args.slot, fixture, faults);
    card.insert().map_err(|err| err.to_string())?;
    println!(
        "thaiid-vcard: card {:?} present in {:?} (synthetic person; Ctrl-C removes it)",
        card.fixture().name,
        card.reader_name()
    );
    match card.wait_until_ejected() {
        Some(SessionEnd::RemovedByFault) => {
            println!(
                "thaiid-vcard: card pulled out after {} APDUs (--remove-after)",
                card.apdu_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(SessionEnd::Failed(err)) => Err(format!("connection to vpcd failed: {err}")),
        Some(SessionEnd::Closed) | None => {
            Err("vpcd closed the connection: was pcscd stopped?".to_owned())
        }
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("thaiid-vcard: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_at_parses_index_and_status_word() {
        assert_eq!(parse_status_at("3:6A82"), Ok((3, 0x6A82)));
        assert_eq!(parse_status_at("0:0x6f00"), Ok((0, 0x6F00)));
        assert!(parse_status_at("3").is_err());
        assert!(parse_status_at("x:6A82").is_err());
        assert!(parse_status_at("3:6A8").is_err());
        assert!(parse_status_at("3:6A8Z").is_err());
    }

    #[test]
    fn arguments_are_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
