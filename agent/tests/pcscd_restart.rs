//! The agent outlives a pcscd restart: readers vanish (logins answer NO_READER), come
//! back, the card is read again, and logins work without restarting the agent.
//! Restarts the machine's pcscd, so it needs root and holds every virtual reader.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::{demo_card, error_code, RunningAgent, Station, ORIGIN};
use thaiid_tests::Faults;

fn restart_pcscd() {
    let _ = Command::new("pkill").args(["-x", "pcscd"]).status();
    let started = Instant::now();
    while Command::new("pgrep")
        .args(["-x", "pcscd"])
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pcscd did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A stale socket after a killed pcscd blocks the restart.
    let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
    std::thread::sleep(Duration::from_millis(500));
    // Without --foreground pcscd detaches: it outlives this test, as the system's would.
    let status = Command::new("pcscd")
        .status()
        .expect("pcscd (run the tests as root)");
    assert!(status.success(), "pcscd did not start");
}

#[test]
fn logins_work_again_after_pcscd_restarts() {
    let station = Station::enrolled();
    let (server, home) = (&station.server, &station.home);
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(home, &[]);
    agent.wait_for_card();
    assert_eq!(agent.login(&server.nonce(ORIGIN)).status(), 200);

    let _ = Command::new("pkill").args(["-x", "pcscd"]).status();
    let started = Instant::now();
    loop {
        let (status, error) = error_code(agent.login(&server.nonce(ORIGIN)));
        if (status, error["code"].as_str()) == (503, Some("NO_READER")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still {status} {error}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A login in the moment before the watcher noticed may still have used the card.
    let accepted_before = server.accepted().len();
    drop(card);
    restart_pcscd();

    let card = demo_card(Faults::default());
    card.insert().unwrap();
    agent.wait_for_card();
    assert_eq!(agent.login(&server.nonce(ORIGIN)).status(), 200);
    assert_eq!(server.accepted().len(), accepted_before + 1);
}
