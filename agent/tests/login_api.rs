//! The localhost login API end to end: real pcscd, the virtual card, real HTTPS with
//! the agent's own CA, and the real login server (in this process) that verifies the
//! assertions.

mod support;

use std::time::Duration;
use support::{
    add_person, add_person_without_card, assert_refused, demo_card, error_code, swap, Home,
    RunningAgent, Station, ORIGIN,
};
use thaiid_server::test_support::{Failure, TestServer};
use thaiid_tests::{CardFixture, Faults, ReaderLock};

#[test]
fn a_page_at_an_allowed_origin_gets_a_ticket_for_the_inserted_card() {
    let station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    assert_eq!(
        card.apdu_count(),
        10,
        "the login read and the laser ID at insertion"
    );

    let nonce = station.server.nonce(ORIGIN);
    let response = agent.login(&nonce);
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    let ticket: serde_json::Value = response.json().unwrap();
    assert_eq!(
        station.server.redeem(ticket["ticket"].as_str().unwrap()),
        Ok("demo".to_owned()),
        "the ticket logs the card's account in"
    );
    assert_eq!(card.apdu_count(), 10, "a login needs no card I/O");

    let claims = &station.server.accepted()[0];
    assert_eq!(claims.origin, ORIGIN);
    assert_eq!(claims.nonce, nonce);
    assert_eq!(claims.ctr, 1);
    assert_eq!(claims.card.citizen_id.as_str(), "1103700123458");
    assert_eq!(claims.card.name_en.first, "Somchai");
    assert_eq!(
        claims.card.laser_id.as_ref().map(|id| id.as_str()),
        Some("JT0-1234567-89"),
        "the laser ID read from the card's laser applet"
    );

    // The counter survives a restart of the agent.
    drop(agent);
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);
    assert_eq!(station.server.accepted()[1].ctr, 2);
}

#[test]
fn an_agent_deployed_with_a_token_enrolls_itself_at_first_start() {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let server = TestServer::start();
    add_person(&server, &CardFixture::named("demo").unwrap());
    let home = Home::new();
    // What the installer writes: the machine's server, origins and token.
    let machine = format!(
        "server_url = \"{}\"\nallowed_origins = [\"{ORIGIN}\"]\nenroll_token = \"{}\"\n",
        server.url,
        server.enrollment_token()
    );
    std::fs::write(home.machine_config(), machine).unwrap();
    let card = demo_card(Faults::default());
    card.insert().unwrap();

    let agent = RunningAgent::start_on(&home, support::free_port(), &[]);
    let enrollment = home.data_dir().join("enrollment.json");
    let started = std::time::Instant::now();
    while !enrollment.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "not enrolled");
        std::thread::sleep(Duration::from_millis(50));
    }
    agent.wait_for_card();
    assert_eq!(agent.login(&server.nonce(ORIGIN)).status(), 200);
    let agents = server.agents();
    assert_eq!(server.accepted()[0].iss, agents[0].id);
    // The log file tells what happened, and nothing of the person.
    let logs = std::fs::read_dir(home.log_dir()).unwrap();
    let log: String = logs
        .map(|file| std::fs::read_to_string(file.unwrap().path()).unwrap())
        .collect();
    assert!(log.contains("enrolled at"), "{log}");
    assert!(log.contains("listening on https://127.0.0.1:"), "{log}");
    for personal in ["1103700123458", "Somchai", "สมชาย"] {
        assert!(!log.contains(personal), "{personal} in {log}");
    }

    // A refused token leaves the agent serving, not enrolled, and says so.
    let stranger = Home::new();
    std::fs::write(
        stranger.machine_config(),
        format!(
            "server_url = \"{}\"\nallowed_origins = [\"{ORIGIN}\"]\nenroll_token = \"spent\"\n",
            server.url
        ),
    )
    .unwrap();
    let agent = RunningAgent::start_on(&stranger, support::free_port(), &[]);
    assert_refused(agent.login(&server.nonce(ORIGIN)), 503, "NOT_ENROLLED");
    assert_eq!(server.agents().len(), 1);
}

#[test]
fn every_hostile_request_is_refused_and_reads_no_card() {
    let station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    let read_at_insertion = card.apdu_count();
    let nonce = station.server.nonce(ORIGIN);
    let post = |origin: Option<&str>| {
        let mut request = agent.client.post(agent.url("/v1/login"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
    };
    let body = serde_json::json!({ "nonce": nonce }).to_string();

    let cases: Vec<(&str, reqwest::blocking::Response, u16, Option<&str>)> = vec![
        (
            "foreign origin",
            post(Some("https://evil.example"))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap(),
            403,
            Some("ORIGIN_NOT_ALLOWED"),
        ),
        (
            "origin differing in case",
            post(Some("https://SSO.example.go.th"))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap(),
            403,
            Some("ORIGIN_NOT_ALLOWED"),
        ),
        (
            "no origin",
            post(None)
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap(),
            403,
            Some("ORIGIN_NOT_ALLOWED"),
        ),
        (
            "rebinding host",
            post(Some(ORIGIN))
                .header("host", format!("evil.example:{}", agent.port))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap(),
            421,
            Some("BAD_REQUEST"),
        ),
        (
            "no custom header",
            post(Some(ORIGIN))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap(),
            403,
            Some("ORIGIN_NOT_ALLOWED"),
        ),
        (
            "form post",
            post(Some(ORIGIN))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("nonce=x")
                .send()
                .unwrap(),
            415,
            Some("BAD_REQUEST"),
        ),
        (
            "oversized body",
            post(Some(ORIGIN))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(format!("{{\"nonce\": \"{}\"}}", "a".repeat(17 * 1024)))
                .send()
                .unwrap(),
            413,
            Some("BAD_REQUEST"),
        ),
        (
            "not JSON",
            post(Some(ORIGIN))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body("{nonce")
                .send()
                .unwrap(),
            400,
            Some("BAD_REQUEST"),
        ),
        (
            "unknown field",
            post(Some(ORIGIN))
                .header("x-thaiid-agent", "1")
                .header("content-type", "application/json")
                .body(r#"{"nonce":"n","origin":"https://evil.example"}"#)
                .send()
                .unwrap(),
            400,
            Some("BAD_REQUEST"),
        ),
        (
            "GET has no side effect",
            agent
                .client
                .get(agent.url("/v1/login"))
                .header("origin", ORIGIN)
                .send()
                .unwrap(),
            405,
            Some("BAD_REQUEST"),
        ),
        (
            "preflight from a foreign origin",
            agent
                .client
                .request(reqwest::Method::OPTIONS, agent.url("/v1/login"))
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "POST")
                .send()
                .unwrap(),
            403,
            Some("ORIGIN_NOT_ALLOWED"),
        ),
    ];
    for (what, response, status, code) in cases {
        // Refused callers learn nothing; an allowed page may read its own errors.
        if matches!(code, Some("ORIGIN_NOT_ALLOWED")) || status == 421 {
            assert!(
                response
                    .headers()
                    .get("access-control-allow-origin")
                    .is_none(),
                "{what}: CORS header on a refusal"
            );
        }
        let (got, error) = error_code(response);
        assert_eq!(got, status, "{what}");
        assert_eq!(error["code"].as_str(), code, "{what}");
    }
    assert_eq!(
        card.apdu_count(),
        read_at_insertion,
        "a refused request read the card"
    );
    assert!(station.server.accepted().is_empty());

    let preflight = agent
        .client
        .request(reqwest::Method::OPTIONS, agent.url("/v1/login"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-private-network", "true")
        .send()
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(headers["vary"], "Origin");
    assert_eq!(headers["access-control-allow-private-network"], "true");
    assert_eq!(
        headers["access-control-allow-headers"],
        "content-type, x-thaiid-agent"
    );

    // After all that, the real page still logs in.
    assert_eq!(agent.login(&nonce).status(), 200);
}

#[test]
fn a_second_login_while_one_waits_for_the_card_is_busy() {
    let station = Station::enrolled();
    let agent = RunningAgent::start(&station.home, &[]);
    let nonce = station.server.nonce(ORIGIN);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| agent.login(&nonce));
        std::thread::sleep(Duration::from_millis(500));
        assert_refused(agent.login(&station.server.nonce(ORIGIN)), 409, "BUSY");
        let card = demo_card(Faults::default());
        card.insert().unwrap();
        let first = first.join().unwrap();
        assert_eq!(
            first.status(),
            200,
            "the waiting login completes once the card is in"
        );
    });
}

#[test]
fn a_card_pulled_out_during_its_read_fails_the_login_with_card_removed() {
    let station = Station::enrolled();
    let agent = RunningAgent::start(&station.home, &[]);
    let nonce = station.server.nonce(ORIGIN);
    std::thread::scope(|scope| {
        let login = scope.spawn(|| agent.login(&nonce));
        std::thread::sleep(Duration::from_millis(300));
        let card = demo_card(Faults {
            remove_after: Some(3),
            ..Faults::default()
        });
        let _ = card.insert();
        assert_refused(login.join().unwrap(), 409, "CARD_REMOVED");
    });
    assert!(station.server.accepted().is_empty());
}

#[test]
fn no_reader_not_enrolled_and_server_failures_have_their_codes() {
    let mut station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();

    let agent = RunningAgent::start(&station.home, &["--reader", "No Such Reader"]);
    assert_refused(agent.login(&station.server.nonce(ORIGIN)), 503, "NO_READER");
    drop(agent);

    let stranger = Home::new();
    let agent = RunningAgent::start(&stranger, &[]);
    let error = assert_refused(
        agent.login(&station.server.nonce(ORIGIN)),
        503,
        "NOT_ENROLLED",
    );
    assert!(error["message_th"].as_str().unwrap().contains("ลงทะเบียน"));
    drop(agent);

    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    let nonce = station.server.nonce(ORIGIN);
    station.server.fail(Some(Failure::Unavailable));
    assert_refused(agent.login(&nonce), 502, "SERVER_UNREACHABLE");
    station.server.fail(None);

    // Each insertion gives one login, whatever the server said of it.
    agent.reinsert(&card);
    assert_eq!(agent.login(&nonce).status(), 200);
    agent.reinsert(&card);
    let error = assert_refused(agent.login(&nonce), 403, "SERVER_REJECTED");
    assert_eq!(error["reason"], "USED_NONCE");
    let other_origin = station.server.nonce("https://other.example");
    agent.reinsert(&card);
    let error = assert_refused(agent.login(&other_origin), 403, "SERVER_REJECTED");
    assert_eq!(error["reason"], "ORIGIN_MISMATCH");
    // A nonce the server never issued: its 409, relayed with the reason.
    agent.reinsert(&card);
    let error = assert_refused(agent.login("no-such-nonce"), 403, "SERVER_REJECTED");
    assert_eq!(error["reason"], "UNKNOWN_NONCE");
    assert_eq!(
        station.server.card_outcomes(),
        ["OK", "USED_NONCE", "ORIGIN_MISMATCH", "UNKNOWN_NONCE"],
        "the server's audit log: the 503 never reached its handler"
    );

    // The server gone altogether: its port closed, its connections cut.
    let nonce = station.server.nonce(ORIGIN);
    station.server.stop();
    agent.reinsert(&card);
    assert_refused(agent.login(&nonce), 502, "SERVER_UNREACHABLE");
}

#[test]
fn cards_the_server_refuses_are_rejected_with_its_reason() {
    let station = Station::enrolled();
    let server = &station.server;
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();

    // A person with no account: the server's NOT_LINKED.
    let stranger = CardFixture::named("lifelong-unknown-month").unwrap();
    let card = swap(&agent, card, stranger.clone());
    let error = assert_refused(agent.login(&server.nonce(ORIGIN)), 403, "SERVER_REJECTED");
    assert_eq!(error["reason"], "NOT_LINKED");

    // Given an account but not that card: CARD_NOT_REGISTERED.
    add_person_without_card(server, &stranger);
    agent.reinsert(&card);
    let error = assert_refused(agent.login(&server.nonce(ORIGIN)), 403, "SERVER_REJECTED");
    assert_eq!(error["reason"], "CARD_NOT_REGISTERED");
    assert_eq!(
        server.card_outcomes(),
        ["NOT_LINKED", "CARD_NOT_REGISTERED"]
    );

    // An expired card: the agent refuses it itself, with its own CARD_EXPIRED, and signs
    // nothing, so the server's CARD_EXPIRED (tested on the server with hand-made claims)
    // cannot come back through an agent whose clock agrees with the server's.
    let demo_toml = std::fs::read_to_string(thaiid_tests::cards_dir().join("demo.toml")).unwrap();
    let expired = CardFixture::from_toml(
        &thaiid_tests::cards_dir().join("expired.toml"),
        &demo_toml.replace("expiry_date = \"25730814\"", "expiry_date = \"25600101\""),
    )
    .unwrap();
    let _card = swap(&agent, card, expired);
    assert_refused(agent.login(&server.nonce(ORIGIN)), 403, "CARD_EXPIRED");
    assert_eq!(
        server.posted().len(),
        2,
        "nothing posted for the expired card"
    );
}

#[test]
fn status_and_openapi_carry_no_personal_data() {
    let station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    let status = agent
        .client
        .get(agent.url("/v1/status"))
        .header("origin", ORIGIN)
        .send()
        .unwrap();
    let text = status.text().unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["enrolled"], true);
    assert!(
        !text.contains("1103700123458") && !text.contains("Somchai"),
        "{text}"
    );
    let openapi = agent.client.get(agent.url("/openapi.json")).send().unwrap();
    assert_eq!(openapi.status(), 200);
    let doc: serde_json::Value = openapi.json().unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
}

#[test]
fn events_tell_of_cards_and_logins_without_personal_data() {
    use std::io::BufRead;
    let station = Station::enrolled();
    let agent = RunningAgent::start(&station.home, &[]);
    let response = agent
        .client
        .get(agent.url("/v1/events"))
        .header("origin", ORIGIN)
        .send()
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(response)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    agent.wait_for_card();
    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);

    let mut seen = Vec::new();
    let wanted = [
        "event: card-inserted",
        "event: login-started",
        "event: login-finished",
    ];
    while !wanted
        .iter()
        .all(|w| seen.iter().any(|line: &String| line == w))
    {
        let line = received
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("events so far: {seen:?}"));
        assert!(
            !line.contains("1103700123458") && !line.contains("Somchai") && !line.contains("สมชาย"),
            "{line}"
        );
        seen.push(line);
    }
    let finished = received.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        finished,
        format!(r#"data: {{"code":null,"ok":true,"origin":"{ORIGIN}"}}"#)
    );
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let station = Station::enrolled();
    let agent = RunningAgent::start(&station.home, &[]);
    let mut client = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect"])
        .arg(format!("127.0.0.1:{}", agent.port))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl");
    let mut stdin = client.stdin.take().unwrap();
    write!(
        stdin,
        "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n",
        agent.port
    )
    .unwrap();
    // The agent gives headers 10 s; openssl exits when the agent closes the connection.
    let started = std::time::Instant::now();
    while client.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = client.kill();
            panic!("a half-sent request held the connection open for 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(stdin);
}

#[test]
fn a_program_squatting_on_the_ipv6_loopback_stops_the_start() {
    // Pages that call `localhost` may reach [::1] first: a squatter there would answer them.
    let port = support::free_port();
    let Ok(_squatter) = std::net::TcpListener::bind(("::1", port)) else {
        panic!("this machine has no IPv6 loopback: the test needs one");
    };
    let home = Home::new();
    let output = home
        .command()
        .args(["serve", "--port", &port.to_string()])
        .args(["--allowed-origin", ORIGIN])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on [::1]:{port}")),
        "{stderr}"
    );
}

#[test]
fn each_insertion_gives_exactly_one_login() {
    let station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();

    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);
    // A script on the page, or the page again: the card left in gives no second login.
    let error = assert_refused(
        agent.login(&station.server.nonce(ORIGIN)),
        409,
        "REINSERT_CARD",
    );
    assert!(error["message_th"].as_str().unwrap().contains("เสียบใหม่"));
    assert_eq!(
        station.server.accepted().len(),
        1,
        "nothing signed for the second"
    );

    // Out and in again: one more login.
    agent.reinsert(&card);
    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);
    assert_refused(
        agent.login(&station.server.nonce(ORIGIN)),
        409,
        "REINSERT_CARD",
    );
    assert_eq!(station.server.accepted().len(), 2);
}

#[test]
fn a_waiting_login_is_completed_by_the_next_insertion() {
    let station = Station::enrolled();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);

    // The card is taken out; the page asks again and waits; the card goes back in.
    card.remove().unwrap();
    agent.wait_for_no_card();
    let nonce = station.server.nonce(ORIGIN);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| agent.login(&nonce));
        std::thread::sleep(Duration::from_millis(300));
        assert!(!waiting.is_finished(), "the login waits for the card");
        card.insert().unwrap();
        assert_eq!(waiting.join().unwrap().status(), 200);
    });
    assert_eq!(station.server.accepted().len(), 2);
}

#[test]
fn an_insertion_left_past_its_window_needs_the_card_put_back() {
    let station = Station::enrolled();
    // A window of 0.6 s, set by IT in the machine's configuration.
    std::fs::write(
        station.home.machine_config(),
        "insertion_window_minutes = 0.01\n",
    )
    .unwrap();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    std::thread::sleep(Duration::from_millis(800));
    assert_refused(
        agent.login(&station.server.nonce(ORIGIN)),
        409,
        "REINSERT_CARD",
    );
    agent.reinsert(&card);
    assert_eq!(agent.login(&station.server.nonce(ORIGIN)).status(), 200);
    assert_eq!(station.server.accepted().len(), 1);
}
