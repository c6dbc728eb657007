//! A card is signed for only while it is still in its reader (SPEC §5 "One login per
//! insertion"): the service asks the smart card service just before signing, so a card
//! pulled out a moment before the watcher saw it go is not signed with its read.
//!
//! The watcher is kept from seeing the removal by a second card, slow to answer, that it
//! is busy reading: the snapshot still shows the first card, pcscd knows it is gone.

mod support;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};
use support::{assert_refused, demo_card, RunningAgent, Station, ORIGIN};
use thaiid_tests::{CardFixture, Faults, VirtualCard};

#[test]
fn a_card_pulled_out_before_the_watcher_saw_it_go_is_not_signed_for() {
    let station = Station::enrolled();
    let agent = RunningAgent::start(&station.home, &[]);
    let events = agent
        .client
        .get(agent.url("/v1/events"))
        .header("origin", ORIGIN)
        .send()
        .unwrap();
    let mut lines = BufReader::new(events).lines().map_while(Result::ok);
    let mut wait_for = |wanted: &str| {
        assert!(
            lines.by_ref().any(|line| line.starts_with(wanted)),
            "the event stream ended before {wanted:?}"
        );
    };
    wait_for(": subscribed");

    let card = demo_card(Faults::default());
    card.insert().unwrap();
    // Read, and ready for its login.
    wait_for("event: card-inserted");
    let slow = Faults {
        slow: Some(Duration::from_millis(400)),
        ..Faults::default()
    };
    let busy = VirtualCard::new(1, CardFixture::named("demo").unwrap(), slow);
    busy.insert().unwrap();
    let started = Instant::now();
    while busy.apdu_count() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the second card is not being read"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The watcher reads the second card: it does not see the first one go.
    card.remove().unwrap();
    let response = agent.login(&station.server.nonce(ORIGIN));
    assert_refused(response, 409, "CARD_REMOVED");
    assert!(station.server.accepted().is_empty(), "nothing was signed");
    drop(busy);
}
