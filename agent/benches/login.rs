//! Login latency through the real agent: a page's `POST /v1/login` over HTTPS to the
//! ticket, with the card already read at its insertion and a login server on loopback
//! that verifies each assertion; insertion to ticket for a login waiting for the card;
//! the agent's idle memory and its binary size. Each login has an insertion of its own
//! (SPEC §5), done before the clock starts.
//!
//! Run with pcscd up: `cargo bench -p thaiid-agent --bench login` (or scripts/bench.sh).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};
use support::{demo_card, RunningAgent, Station, ORIGIN};
use thaiid_tests::Faults;

const LOGINS: usize = 300;

fn main() {
    let station = Station::enrolled();
    let (server, home) = (&station.server, &station.home);
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(home, &[]);
    agent.wait_for_card();
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_kib(agent.pid());

    card.clear_log();
    let mut times = Vec::with_capacity(LOGINS);
    let mut from_insertion = Vec::with_capacity(LOGINS);
    for i in 0..LOGINS {
        let nonce = server.nonce(ORIGIN);
        if i % 2 == 0 {
            // The card read at its insertion already: the login alone.
            agent.reinsert(&card);
            let started = Instant::now();
            let response = agent.login(&nonce);
            assert_eq!(response.status(), 200);
            let _ = response.bytes();
            times.push(started.elapsed());
        } else {
            // The page waits; the person inserts the card: insertion to ticket.
            card.remove().unwrap();
            agent.wait_for_no_card();
            std::thread::scope(|scope| {
                let waiting = scope.spawn(|| agent.login(&nonce));
                std::thread::sleep(Duration::from_millis(20));
                let inserted = Instant::now();
                card.insert().unwrap();
                let response = waiting.join().unwrap();
                assert_eq!(response.status(), 200);
                from_insertion.push(inserted.elapsed());
            });
        }
    }
    let insertions = card.apdu_count();
    times.sort();
    from_insertion.sort();
    let at = |p: usize| times[(times.len() - 1) * p / 100];
    let inserted_at = |p: usize| from_insertion[(from_insertion.len() - 1) * p / 100];
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_thaiid-agent"))
        .unwrap()
        .len();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| login latency p50 ({} logins, card read at its insertion) | {} |",
        times.len(),
        ms(at(50))
    );
    println!("| login latency p99 | {} |", ms(at(99)));
    println!(
        "| insertion to ticket p50 ({} logins waiting for the card) | {} |",
        from_insertion.len(),
        ms(inserted_at(50))
    );
    println!("| insertion to ticket p99 | {} |", ms(inserted_at(99)));
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
        "| APDUs per insertion (login fields and laser ID) | {:.1} |",
        insertions as f64 / LOGINS as f64
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
