//! The laser ID at insertion, end to end: real pcscd, the virtual card answering the laser
//! read in each form of SPEC §2, the agent's watcher and a login the real server checks
//! against the registered laser ID. `read_cli.rs` does the same for `read --json`.

mod support;

use support::{swap, RunningAgent, Station, ORIGIN};
use thaiid_tests::{CardFixture, Faults, LaserAnswer, VirtualCard};

/// The demo person's card, its laser applet answering in `form`.
fn demo_answering(form: LaserAnswer) -> CardFixture {
    let mut fixture = CardFixture::named("demo").unwrap();
    fixture.laser_answer = form;
    fixture
}

/// Logs in with the card in the reader: the laser ID the server accepted.
fn login(station: &Station, agent: &RunningAgent) -> Option<String> {
    let response = agent.login(&station.server.nonce(ORIGIN));
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    let accepted = station.server.accepted();
    let claims = accepted.last().expect("an accepted login");
    claims
        .card
        .laser_id
        .as_ref()
        .map(|id| id.as_str().to_owned())
}

#[test]
fn each_laser_form_logs_in_with_its_laser_id_in_ten_apdus_at_insertion() {
    let station = Station::enrolled();
    let mut card = VirtualCard::new(0, demo_answering(LaserAnswer::Record), Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    for form in [
        LaserAnswer::HeaderThenField,
        LaserAnswer::Field,
        LaserAnswer::Record,
    ] {
        card = swap(&agent, card, demo_answering(form));
        // The login read (7) and the laser ID (SELECT, its read, one GET RESPONSE).
        assert_eq!(card.apdu_count(), 10, "{form:?}: APDUs at insertion");
        assert_eq!(
            login(&station, &agent).as_deref(),
            Some("JT0-1234567-89"),
            "{form:?}: the registered laser ID, read from the card"
        );
        assert_eq!(card.apdu_count(), 10, "{form:?}: a login needs no card I/O");
    }
}
