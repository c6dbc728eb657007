//! Login latency through the real agent: a page's `POST /v1/login` over HTTPS to the
//! ticket, with the card already read (warm) and a login server on loopback that
//! verifies each assertion; the agent's idle memory and its binary size.
//!
//! Run with pcscd up: `cargo bench -p thaiid-agent --bench login` (or scripts/bench.sh).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};
use support::{demo_card, RunningAgent, Station, ORIGIN};
use thaiid_tests::Faults;

const LOGINS: usize = 1000;

fn main() {
    let station = Station::enrolled();
    let (sso, home) = (&station.sso, &station.home);
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(home, &[]);
    agent.wait_for_card();
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_kib(agent.pid());

    let mut times = Vec::with_capacity(LOGINS);
    for _ in 0..LOGINS {
        let nonce = sso.nonce(ORIGIN);
        let started = Instant::now();
        let response = agent.login(&nonce);
        assert_eq!(response.status(), 200);
        let _ = response.bytes();
        times.push(started.elapsed());
    }
    times.sort();
    let at = |p: usize| times[(times.len() - 1) * p / 100];
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_thaiid-agent"))
        .unwrap()
        .len();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| login latency p50 ({LOGINS} logins, warm card) | {} |",
        ms(at(50))
    );
    println!("| login latency p99 | {} |", ms(at(99)));
    println!(
        "| agent RSS, idle with a card read | {:.1} MiB |",
        idle_rss as f64 / 1024.0
    );
    println!(
        "| agent RSS after {LOGINS} logins | {:.1} MiB |",
        rss_kib(agent.pid()) as f64 / 1024.0
    );
    println!(
        "| binary size (release, stripped) | {:.1} MiB |",
        binary as f64 / 1_048_576.0
    );
    println!(
        "| APDUs sent by the agent for all of it | {} |",
        card.apdu_count()
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_default()
}
