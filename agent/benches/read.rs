//! Card read benchmark through real pcscd + vpcd + the virtual card:
//! APDUs and wall time per text read and per full read (in process), the whole
//! `thaiid-agent read` command's wall time and its peak memory.
//!
//! Run with pcscd up: `cargo bench -p thaiid-agent --bench read` (scripts/bench.sh does it all).

use std::process::{Command, Stdio};
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
        let runs: Vec<(Duration, i64)> = (0..COMMAND_ROUNDS).map(|_| run_agent(args)).collect();
        let times: Vec<Duration> = runs.iter().map(|(time, _)| *time).collect();
        let peak_rss = runs.iter().map(|(_, rss)| *rss).max().unwrap_or_default();
        println!(
            "| `{}` | {} | {} | {peak_rss} KiB |",
            args.join(" "),
            ms(percentile(&times, 50)),
            ms(percentile(&times, 99)),
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

/// Runs the agent once: its wall time and its own peak resident set (KiB).
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // wait4 below reaps the child
fn run_agent(args: &[&str]) -> (Duration, i64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .expect("run the agent");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 reaps our own child and fills the status and rusage it is given.
    let usage = unsafe {
        let pid = libc::wait4(
            child.id() as libc::pid_t,
            &mut status,
            0,
            usage.as_mut_ptr(),
        );
        assert_eq!(pid, child.id() as libc::pid_t, "wait4");
        usage.assume_init()
    };
    let elapsed = started.elapsed();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "agent failed"
    );
    (elapsed, usage.ru_maxrss)
}

/// Runs the agent once: its wall time; no peak resident set (0) where there is no wait4.
#[cfg(not(unix))]
fn run_agent(args: &[&str]) -> (Duration, i64) {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("run the agent");
    let elapsed = started.elapsed();
    assert!(status.success(), "agent failed");
    (elapsed, 0)
}

fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[(sorted.len() - 1) * p / 100]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
