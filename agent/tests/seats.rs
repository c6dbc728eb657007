//! Whom the machine service serves, by the console's seat (SPEC §5 "Caller", §10), with
//! real local accounts, the real service, a virtual card through pcscd, and logind as a
//! seat0 file and a D-Bus service of the test's own: a locked screen is not served; an
//! insertion belongs to the user whose unlocked session was active as the card went in,
//! so a login left running behind a locked screen, or by someone who switched user, never
//! gets the next person's card; without a session manager only root is served unless
//! `any_local_user = true`; the service refuses origins of this machine and a state dir
//! that is not its own.
//!
//! Makes real users with useradd: run as root (CI and the developers' machines are).
#![cfg(target_os = "linux")]

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Lines};
use std::os::unix::fs::PermissionsExt;
use std::process::{ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::local::{agent, answer, mode, wait_for_login, Killed, LocalUser, ServiceState};
use support::logind::Seat;
use support::{add_person, demo_card, free_port, ORIGIN};
use thaiid_server::test_support::TestServer;
use thaiid_tests::{CardFixture, Faults, ReaderLock};

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(euid, 0, "this test makes real users: run it as root");
}

fn assert_code((status, body): (u16, Value), want: (u16, &str)) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (want.0, Some(want.1)),
        "{body}"
    );
}

/// A login `user` starts and leaves running: back once the service says it began
/// waiting for a card (`login-started` on its event stream, opened first).
fn login_left_running(user: &LocalUser, port: u16, nonce: &str) -> JoinHandle<(u16, Value)> {
    let mut events = Events::open(user, port);
    let body = serde_json::json!({ "nonce": nonce }).to_string();
    let mut login = user.curl(port, "/v1/login", Some(&body));
    let pending = std::thread::spawn(move || answer(login.output().expect("curl")));
    events.wait_for("event: login-started");
    pending
}

/// `GET /v1/events` as a user, read line by line.
struct Events {
    _curl: Killed,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Events {
    fn open(user: &LocalUser, port: u16) -> Events {
        let mut curl = user
            .command("curl")
            .args(["-sNk", &format!("https://127.0.0.1:{port}/v1/events")])
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl");
        let stdout = curl.stdout.take().unwrap();
        let mut events = Events {
            _curl: Killed(curl),
            lines: BufReader::new(stdout).lines(),
        };
        // The service sends a comment once it has subscribed this stream.
        events.wait_for(": subscribed");
        events
    }

    fn wait_for(&mut self, line: &str) {
        for read in self.lines.by_ref() {
            if read.expect("the event stream").starts_with(line) {
                return;
            }
        }
        panic!("the event stream ended before {line:?}");
    }
}

/// Waits until the service sees no card in any reader.
fn wait_for_no_card(user: &LocalUser, port: u16) {
    let started = Instant::now();
    loop {
        let (_, body) = user.call(port, "/v1/status", None);
        let readers = body["readers"].as_array().cloned().unwrap_or_default();
        if !readers.is_empty() && readers.iter().all(|r| r["card_present"] == false) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_login_left_running_behind_a_locked_screen_never_gets_the_next_persons_card() {
    assert_root();
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let service = LocalUser::create("ksvc");
    let alice = LocalUser::create("kalice");
    let bob = LocalUser::create("kbob");
    let server = TestServer::start();
    add_person(&server, &CardFixture::named("demo").unwrap());
    let state = ServiceState::enrolled(&service, &server);
    let seat = Seat::start();
    seat.activate(&alice, "c1");
    let port = free_port();
    let logind_dir = seat.logind_dir().to_str().unwrap().to_owned();
    let env = [
        ("THAIID_LOGIND_DIR", logind_dir.as_str()),
        ("DBUS_SYSTEM_BUS_ADDRESS", seat.bus.as_str()),
    ];
    let _service = state.serve(&service, port, &env);
    assert_eq!(alice.call(port, "/v1/status", None).0, 200);

    // A locked session is refused from the start of a request.
    seat.lock("c1", true);
    assert_code(
        alice.call(port, "/v1/status", None),
        (403, "SESSION_LOCKED"),
    );
    assert_code(
        alice.login(port, &server.nonce(ORIGIN)),
        (403, "SESSION_LOCKED"),
    );
    seat.lock("c1", false);
    wait_for_no_card(&alice, port);

    // Alice leaves a login running and locks her screen; the next person puts a card in
    // at the lock screen. Her login is refused as it takes the card.
    let card = demo_card(Faults::default());
    let pending = login_left_running(&alice, port, &server.nonce(ORIGIN));
    seat.lock("c1", true);
    card.insert().unwrap();
    assert_code(pending.join().unwrap(), (403, "SESSION_LOCKED"));
    assert!(server.accepted().is_empty(), "nothing signed for Alice");
    // A card put in at the lock screen is nobody's: not Alice's once she unlocks either.
    seat.lock("c1", false);
    assert_code(
        alice.login(port, &server.nonce(ORIGIN)),
        (403, "SESSION_LOCKED"),
    );
    assert!(server.accepted().is_empty());

    // A login left running ends as the screen locks, with no card at all: it does not
    // hold the service (BUSY to everyone) until its 30 s wait ends with NO_CARD.
    card.remove().unwrap();
    wait_for_no_card(&alice, port);
    let pending = login_left_running(&alice, port, &server.nonce(ORIGIN));
    seat.lock("c1", true);
    assert_code(pending.join().unwrap(), (403, "SESSION_LOCKED"));
    seat.lock("c1", false);

    // Alice leaves a login running, and Bob switches user and puts his card in.
    let pending = login_left_running(&alice, port, &server.nonce(ORIGIN));
    seat.activate(&bob, "c2");
    card.insert().unwrap();
    assert_code(pending.join().unwrap(), (403, "NOT_LOCAL_SESSION"));
    assert!(server.accepted().is_empty(), "nothing signed for Alice");
    // The insertion was not spent on Alice's request: Bob logs in with it.
    let (status, body) = wait_for_login(&bob, port, &server.nonce(ORIGIN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.accepted().len(), 1);
    drop(card);
}

/// `doctor` run by root on the service's state dir, with `env`: its "callers" line.
fn doctor_says(state: &ServiceState, env: &[(&str, &str)]) -> String {
    let state_arg = state.state.to_str().unwrap();
    let output = agent(&state.binary, None, &["doctor", "--state-dir", state_arg])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let line = stdout.lines().find(|line| line.contains("callers served"));
    line.unwrap_or(&stdout).to_owned()
}

#[test]
fn without_a_session_manager_only_root_is_served_unless_any_local_user() {
    assert_root();
    // Its service watches every reader: no other test's card may go in meanwhile.
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let service = LocalUser::create("nsvc");
    let alice = LocalUser::create("nalice");
    let server = TestServer::start();
    let state = ServiceState::enrolled(&service, &server);
    // No seat0: a container, CI.
    let logind = tempfile::tempdir().unwrap();
    let logind_dir = logind.path().to_str().unwrap();
    let root_status = |port: u16| {
        let output = Command::new("curl")
            .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
            .arg(format!("Origin: {ORIGIN}"))
            .arg(format!("https://127.0.0.1:{port}/v1/status"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let env = [("THAIID_LOGIND_DIR", logind_dir)];
    let port = free_port();
    let served = state.serve(&service, port, &env);
    assert_code(
        alice.call(port, "/v1/status", None),
        (403, "NOT_LOCAL_SESSION"),
    );
    assert_code(alice.login(port, "n-1"), (403, "NOT_LOCAL_SESSION"));
    assert_eq!(root_status(port), "200");
    let said = doctor_says(&state, &env);
    assert!(said.contains("no session manager: root only"), "{said}");
    drop(served);

    let env = [
        ("THAIID_LOGIND_DIR", logind_dir),
        ("THAIID_ANY_LOCAL_USER", "true"),
    ];
    let port = free_port();
    let _served = state.serve(&service, port, &env);
    assert_eq!(alice.call(port, "/v1/status", None).0, 200);
    let said = doctor_says(&state, &env);
    assert!(
        said.contains("every local user (any_local_user = true)"),
        "{said}"
    );
}

/// The output of `command`, which must exit by itself: a service that starts instead is
/// stopped after 20 s and fails the test.
fn exited(mut command: Command) -> std::process::Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(Duration::from_secs(20)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // SAFETY: kill has no memory preconditions; the pid is our own child's.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("the service started instead of refusing")
        }
    }
}

#[test]
fn the_service_refuses_origins_of_this_machine_and_a_state_dir_not_its_own() {
    assert_root();
    // Its service watches every reader: no other test's card may go in meanwhile.
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let service = LocalUser::create("osvc");
    let alice = LocalUser::create("oalice");
    let server = TestServer::start();
    let state = ServiceState::enrolled(&service, &server);
    let serve = |dir: &std::path::Path, origin: &str| {
        let port = free_port().to_string();
        let args = [
            "serve",
            "--state-dir",
            dir.to_str().unwrap(),
            "--port",
            &port,
        ];
        let mut command = agent(&state.binary, Some(&service), &args);
        command.args(["--allowed-origin", origin]);
        exited(command)
    };
    let refused = |output: std::process::Output, says: &str| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
    };

    for origin in [
        "https://localhost:8443",
        "https://127.0.0.1:8443",
        "http://localhost:8080",
    ] {
        refused(
            serve(&state.state, origin),
            &format!("{origin:?}: the machine service"),
        );
    }

    // A state dir of another user, or a link to the service's own, is not used.
    let others = state.root.path().join("others");
    std::fs::create_dir(&others).unwrap();
    std::os::unix::fs::chown(&others, Some(alice.uid), Some(alice.gid())).unwrap();
    let says = format!("belongs to uid {}, not to the service's user", alice.uid);
    refused(serve(&others, ORIGIN), &says);
    let link = state.root.path().join("link");
    std::os::unix::fs::symlink(&state.state, &link).unwrap();
    refused(serve(&link, ORIGIN), "is a symbolic link");

    // The service's own dir left open to others is tightened to 0700.
    std::fs::set_permissions(&state.state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _served = state.serve(&service, free_port(), &[]);
    assert_eq!(mode(&state.state), 0o700);
}
