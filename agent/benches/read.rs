//! Card read benchmark through real pcscd + vpcd + the virtual card:
//! APDUs and wall time per text read and per full read (in process), the whole
//! `thaiid-agent read` command's wall time and its peak memory.
//!
//! Run with pcscd up: `cargo bench -p thaiid-agent --bench read` (scripts/bench.sh does it all).

use std::process::Command;
use std::time::{Duration, Instant};
use thaiid_agent::smartcard::{read_card, wait_for_card};
use thaiid_protocol::layout::Field;
use thaiid_protocol::ReadPlan;
use thaiid_tests::{Answer, CardFixture, Faults, ReaderLock, VirtualCard};

const ROUNDS: usize = 200;
const COMMAND_ROUNDS: usize = 30;

fn main() {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    println!("| card answers | read | APDUs | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for answer in [Answer::GetResponse, Answer::Direct] {
        let mut fixture = CardFixture::named("demo").expect("demo fixture");
        fixture.answer = answer;
        let card = VirtualCard::new(0, fixture, Faults::default());
        card.insert().expect("insert");
        for (what, fields) in [
            ("text", &Field::TEXT[..]),
            ("full, with photo", &Field::ALL[..]),
        ] {
            let (apdus, times) = in_process(&card, &ReadPlan::new(fields));
            println!(
                "| {answer:?} | {what} | {apdus} | {} | {} |",
                ms(percentile(&times, 50)),
                ms(percentile(&times, 99))
            );
        }
        card.remove().expect("remove");
    }

    let card = VirtualCard::new(0, CardFixture::named("demo").unwrap(), Faults::default());
    card.insert().expect("insert");
    println!();
    println!("| `thaiid-agent read` process | p50 wall | p99 wall | peak RSS |");
    println!("|---|---|---|---|");
    for args in [
        &["read", "--json"][..],
        &["read", "--json", "--photo", "/dev/null"][..],
    ] {
        let times: Vec<Duration> = (0..COMMAND_ROUNDS).map(|_| run_agent(args)).collect();
        println!(
            "| `{}` | {} | {} | {} KiB |",
            args.join(" "),
            ms(percentile(&times, 50)),
            ms(percentile(&times, 99)),
            peak_child_rss_kib()
        );
    }
}

/// APDUs per read (the card's own count) and the wall time of each read.
fn in_process(card: &VirtualCard, plan: &ReadPlan) -> (u64, Vec<Duration>) {
    let context = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd");
    let mut times = Vec::with_capacity(ROUNDS);
    let mut apdus = None;
    for _ in 0..ROUNDS {
        let before = card.apdu_count();
        let started = Instant::now();
        let reader = wait_for_card(&context, None, Duration::ZERO).expect("card");
        let card_read = read_card(&context, &reader, plan).expect("read");
        card_read.decode().expect("decode");
        times.push(started.elapsed());
        let count = card.apdu_count() - before;
        assert!(apdus.is_none_or(|a| a == count), "APDU count varies");
        apdus = Some(count);
    }
    (apdus.unwrap_or_default(), times)
}

fn run_agent(args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(args)
        .output()
        .expect("run the agent");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

/// The largest resident set of any child so far (Linux reports KiB).
fn peak_child_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[(sorted.len() - 1) * p / 100]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
