//! `thaiid-agent doctor` against the real thing: pcscd and the virtual card, the
//! agent's certificate in its state dir, the agent on its port, and login servers that
//! answer, refuse, lie about the time or present a certificate no one trusts. With the
//! state dir (as root or the service's user) and without it (a desktop user, who sees
//! the service through its API, and whoever else holds its port).

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::process::Output;
use support::{demo_card, free_port, Home, RunningAgent, Station, ORIGIN};
use thaiid_tests::{reader_name, Faults, ReaderLock};

/// `doctor --state-dir` (the service's, here the home's data dir) in `home` with the
/// login server `server` and extra variables.
fn doctor(home: &Home, server: &str, env: &[(&str, &str)]) -> Output {
    let mut command = home.command();
    command
        .arg("doctor")
        .arg("--state-dir")
        .arg(home.data_dir())
        .env("THAIID_SERVER_URL", server);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// `doctor` as a desktop user of `home`: no state dir.
fn user_doctor(home: &Home, server: &str, env: &[(&str, &str)]) -> Output {
    let mut command = home.command();
    command.arg("doctor").env("THAIID_SERVER_URL", server);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// The output's lines for `check`, asserting it is there once.
fn line(output: &Output, check: &str) -> String {
    let text = String::from_utf8_lossy(&output.stdout);
    let found: Vec<&str> = text
        .lines()
        .filter(|line| line[6.min(line.len())..].starts_with(check))
        .collect();
    assert_eq!(found.len(), 1, "{check} once in:\n{text}");
    found[0].to_owned()
}

fn assert_fails(output: &Output, check: &str, says: &str) {
    let found = line(output, check);
    assert!(
        found.starts_with("fail  ") && found.contains(says),
        "{check}: {says}: {found}"
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("วิธีแก้: ") && text.contains("fix: "), "{text}");
    assert_eq!(output.status.code(), Some(6), "{text}");
}

/// A server whose clock says 1 January 2024.
fn server_with_a_stopped_clock() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    url
}

#[test]
fn a_healthy_workstation_is_all_ok_and_each_fault_is_named_with_its_fix() {
    let station = Station::enrolled();
    let server = station.server.url.clone();
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start(&station.home, &[]);
    agent.wait_for_card();
    let port = agent.port.to_string();
    let on_agent_port = [("THAIID_PORT", port.as_str())];

    let healthy = doctor(&station.home, &server, &on_agent_port);
    let text = String::from_utf8_lossy(&healthy.stdout);
    // Browsers trust the service by the installer's machine policies (SPEC §5), which a
    // test machine may not have: those lines alone may fail.
    let failed: Vec<&str> = (text.lines())
        .filter(|line| line.starts_with("fail  "))
        .filter(|line| {
            !line[6..].starts_with("browser trust") && !line[6..].starts_with("trusted by")
        })
        .collect();
    assert!(failed.is_empty(), "{text}");
    for check in [
        "smart card service (pcscd)",
        "card readers",
        "ID card",
        "laser ID",
        "localhost certificate",
        &format!("port {port}"),
        "login server",
        "clock",
        "enrollment",
    ] {
        assert!(line(&healthy, check).starts_with("ok    "), "{text}");
    }
    assert!(line(&healthy, "ID card").contains("a Thai national ID card answers"));
    assert!(line(&healthy, "laser ID").contains("the card gives its laser ID"));
    assert!(line(&healthy, &format!("port {port}")).contains("thaiid-agent 0.1.0 serves here"));
    assert!(
        !text.contains("1103700123458") && !text.contains("Somchai") && !text.contains("1234567"),
        "{text}"
    );
    assert!(line(&healthy, "enrollment").contains("which takes its assertions"));
    assert!(
        station.server.accepted().is_empty(),
        "the doctor's question logs nobody in"
    );

    // The server's side of the enrollment: revoked, then forgotten (its row gone), then
    // as it was.
    let agent_id = station.server.agents()[0].id.clone();
    station.server.revoke_agent(&agent_id);
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "enrollment",
        &format!("revoked this workstation (agent {agent_id})"),
    );
    let set_id = |from: &str, to: &str| {
        let query = sqlx::query("UPDATE agents SET id = $1, revoked_at = NULL WHERE id = $2")
            .bind(to.to_owned())
            .bind(from.to_owned());
        station
            .server
            .block_on(query.execute(&station.server.pool))
            .unwrap();
    };
    set_id(&agent_id, "forgotten");
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "enrollment",
        "does not know this workstation's key",
    );
    set_id("forgotten", &agent_id);
    assert_eq!(
        station.server.card_outcomes(),
        ["UNKNOWN_NONCE", "REVOKED_AGENT", "UNKNOWN_AGENT"],
        "the doctor's probes, as the server's audit log has them"
    );

    // The card side.
    let no_service = doctor(
        &station.home,
        &server,
        &[("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")],
    );
    assert_fails(&no_service, "smart card service (pcscd)", "not reachable");
    // The service's reader is the machine's setting (it reads no user's file).
    let machine_config = station.home.machine_config();
    let before = std::fs::read_to_string(&machine_config).unwrap();
    std::fs::write(
        &machine_config,
        format!("{before}reader = \"ACS ACR39U 00 00\"\n"),
    )
    .unwrap();
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "card readers",
        "\"ACS ACR39U 00 00\" is not there",
    );
    std::fs::write(&machine_config, before).unwrap();
    card.remove().unwrap();
    agent.wait_for_no_card();
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "ID card",
        "no card in the reader",
    );
    drop(card);
    // The agent stopped, so that the doctor's SELECT is the card's first APDU.
    drop(agent);
    let other_card = demo_card(Faults {
        status_at: Some((0, 0x6A82)),
        ..Faults::default()
    });
    other_card.insert().unwrap();
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "ID card",
        "not a Thai national ID card",
    );
    drop(other_card);
    // A card whose laser applet answers an error (the login read's 7 APDUs, then its
    // SELECT): the line says why, never a laser ID.
    let odd_laser = demo_card(Faults {
        status_at: Some((7, 0x6F00)),
        ..Faults::default()
    });
    odd_laser.insert().unwrap();
    assert_fails(
        &doctor(&station.home, &server, &on_agent_port),
        "laser ID",
        "the card gave no laser ID",
    );
    drop(odd_laser);

    let _agent = RunningAgent::start_on(
        &station.home,
        port.parse().unwrap(),
        &["--allowed-origin", ORIGIN],
    );

    // The port, held by another program.
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port().to_string();
    assert_fails(
        &doctor(&station.home, &server, &[("THAIID_PORT", &taken)]),
        &format!("port {taken}"),
        "taken by another program",
    );

    // The server: gone, with a certificate this machine does not trust, with a wrong clock.
    assert_fails(
        &doctor(&station.home, "http://127.0.0.1:9", &on_agent_port),
        "login server",
        "cannot connect",
    );
    let untrusted = format!("https://127.0.0.1:{port}");
    assert_fails(
        &doctor(&station.home, &untrusted, &on_agent_port),
        "login server",
        "certificate is not valid",
    );
    let stopped_clock = server_with_a_stopped_clock();
    let skewed = doctor(&station.home, &stopped_clock, &on_agent_port);
    assert_fails(
        &skewed,
        "clock",
        "s ahead of the server's: logins will be refused",
    );
    assert!(
        line(&skewed, "enrollment").contains(&format!(
            "enrolled at {server}, but the configured server is {stopped_clock}"
        )),
        "{}",
        line(&skewed, "enrollment")
    );
}

#[test]
fn a_new_user_is_told_to_set_up_trust_and_enroll() {
    // The doctor reads any card it finds: no other test's card may be in a reader.
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let home = Home::new();
    let fresh = doctor(&home, "http://127.0.0.1:9", &[]);
    assert_fails(&fresh, "localhost certificate", "not made yet");
    assert_fails(&fresh, "enrollment", "not enrolled");

    // The certificate made in the state dir (its trust is the installer's policies).
    let _ = (home.command().arg("setup").arg("--state-dir"))
        .arg(home.data_dir())
        .output()
        .unwrap();
    let made = doctor(&home, "http://127.0.0.1:9", &[]);
    assert!(line(&made, "localhost certificate").starts_with("ok    "));
    assert_fails(&made, "enrollment", "not enrolled");

    let configured = Home::new();
    std::fs::write(
        configured.machine_config(),
        "server_url = \"http://127.0.0.1:9\"\nenroll_token = \"t\"\n",
    )
    .unwrap();
    let waiting = doctor_in(&configured);
    assert_fails(
        &waiting,
        "enrollment",
        "enrolls itself with the configured token",
    );
    std::fs::write(configured.machine_config(), "server_url = \"http://x\"\n").unwrap();
    let broken = doctor_in(&configured);
    assert_fails(&broken, "configuration", "must use https");
}

/// `doctor --state-dir` with the configuration of `home` alone.
fn doctor_in(home: &Home) -> Output {
    (home.command().arg("doctor").arg("--state-dir"))
        .arg(home.data_dir())
        .output()
        .unwrap()
}

/// A program on `address` that answers plain HTTP, as a user's web server might.
fn squat(address: SocketAddr) -> TcpListener {
    let listener = TcpListener::bind(address).unwrap();
    let serving = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        for mut stream in serving.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
            );
        }
    });
    listener
}

#[test]
fn a_desktop_user_is_told_about_the_service_and_whoever_else_holds_its_port() {
    let station = Station::enrolled();
    let server = station.server.url.clone();
    let port = free_port();
    let (v4, v6) = (
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
        SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
    );
    let state = station.home.data_dir();
    let service = RunningAgent::start_on(
        &station.home,
        port,
        &[
            "--state-dir",
            state.to_str().unwrap(),
            "--allowed-origin",
            ORIGIN,
        ],
    );
    let user = Home::new();
    let port_text = port.to_string();
    let env = [("THAIID_PORT", port_text.as_str())];

    let report = user_doctor(&user, &server, &env);
    let text = String::from_utf8_lossy(&report.stdout);
    let service_line = line(&report, &format!("service on {v4}"));
    assert!(
        service_line.starts_with("ok    ")
            && service_line.contains("thaiid-agent 0.1.0 (the service"),
        "{text}"
    );
    assert!(
        line(&report, &format!("service on {v6}")).starts_with("ok    "),
        "{text}"
    );
    assert!(
        line(&report, "service enrollment").starts_with("ok    "),
        "{text}"
    );
    let readers = line(&report, "service readers");
    assert!(
        readers.starts_with("ok    ") && readers.contains(&reader_name(0)),
        "{text}"
    );
    for check in [
        "smart card service (pcscd)",
        "card readers",
        "login server",
        "clock",
    ] {
        assert!(line(&report, check).starts_with("ok    "), "{text}");
    }
    // Nothing of a per-user copy: the user has no key, certificate or enrollment to check.
    for per_user in [
        "localhost certificate",
        "trusted by",
        "ok    enrollment",
        "fail  enrollment",
    ] {
        assert!(!text.contains(per_user), "{per_user}: {text}");
    }
    drop(service);

    // A service that is not enrolled, on both addresses.
    let unenrolled = Home::new();
    let other_port = free_port();
    let state = unenrolled.data_dir();
    let _service = RunningAgent::start_on(
        &unenrolled,
        other_port,
        &[
            "--state-dir",
            state.to_str().unwrap(),
            "--allowed-origin",
            ORIGIN,
        ],
    );
    let other_port_text = other_port.to_string();
    let env = [("THAIID_PORT", other_port_text.as_str())];
    let report = user_doctor(&user, &server, &env);
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        line(&report, &format!("service on 127.0.0.1:{other_port}")).starts_with("ok    "),
        "{text}"
    );
    assert!(
        line(&report, &format!("service on [::1]:{other_port}")).starts_with("ok    "),
        "{text}"
    );
    assert_fails(&report, "service enrollment", "the service is not enrolled");

    // No service; then another program on 127.0.0.1.
    let env = [("THAIID_PORT", port_text.as_str())];
    let report = user_doctor(&user, &server, &env);
    assert_fails(
        &report,
        &format!("service on {v4}"),
        "the service is not running",
    );
    assert!(!String::from_utf8_lossy(&report.stdout).contains("service enrollment"));
    let _squatter = squat(v4);
    let report = user_doctor(&user, &server, &env);
    assert_fails(
        &report,
        &format!("service on {v4}"),
        "taken by another program",
    );
}
