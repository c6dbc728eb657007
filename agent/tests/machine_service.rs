//! The agent as the machine service (SPEC §10, §5), with real local accounts: the state
//! dir belongs to the service's own user, IT's enrollment as root is taken without a
//! restart, and only the user at the machine's active session gets an answer. Another
//! user of the machine can neither read the key nor have the service sign a login.
//!
//! Makes real users with useradd: run as root (CI and the developers' machines are).
#![cfg(target_os = "linux")]

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::local::{
    agent, installed_agent, mode, wait_for_login, wait_until_listening, Killed, LocalUser,
};
use support::logind::Seat;
use support::{add_person, demo_card, free_port, ORIGIN};
use thaiid_server::test_support::TestServer;
use thaiid_tests::{CardFixture, Faults, ReaderLock};

#[test]
fn the_service_serves_only_the_user_at_the_machine_and_keeps_its_key_from_everyone_else() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test makes real users: run it as root"
    );
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let service = LocalUser::create("svc");
    let desk = LocalUser::create("desk");
    let other = LocalUser::create("other");
    let server = TestServer::start();
    add_person(&server, &CardFixture::named("demo").unwrap());

    // The state dir as the installer makes it: the service user's, 0700.
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let state: PathBuf = root.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&state, Some(service.uid), Some(service.gid())).unwrap();
    let state_arg = state.to_str().unwrap();
    let binary = installed_agent(root.path());

    // The installer: setup as the service user; enrollment as root (IT), the token in
    // the environment, never on a command line.
    let setup = agent(
        &binary,
        Some(&service),
        &["setup", "--state-dir", state_arg],
    )
    .output()
    .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let enroll = agent(
        &binary,
        None,
        &["enroll", "--state-dir", state_arg, "--server", &server.url],
    )
    .env("THAIID_ENROLL_TOKEN", server.enrollment_token())
    .output()
    .unwrap();
    assert!(
        enroll.status.success(),
        "{}",
        String::from_utf8_lossy(&enroll.stderr)
    );

    assert_eq!(mode(&state), 0o700);
    for file in [
        "agent.key",
        "enrollment.json",
        "counter",
        "localhost.key",
        "ca.pem",
    ] {
        let path = state.join(file);
        let metadata = std::fs::metadata(&path).unwrap();
        assert_eq!(metadata.uid(), service.uid, "{file} belongs to the service");
        assert_eq!(mode(&path), 0o600, "{file}");
    }
    for user in [&desk, &other] {
        let read = user
            .command("cat")
            .arg(state.join("agent.key"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(!read.success(), "{} read the workstation key", user.name);
    }

    // The service, as its own user, with `desk` at the console.
    let seat = Seat::start();
    seat.activate(&desk, "c1");
    let port = free_port();
    let _service = Killed(
        agent(
            &binary,
            Some(&service),
            &[
                "serve",
                "--state-dir",
                state_arg,
                "--port",
                &port.to_string(),
                "--allowed-origin",
                ORIGIN,
            ],
        )
        .env("THAIID_LOGIND_DIR", seat.logind_dir())
        .env("DBUS_SYSTEM_BUS_ADDRESS", &seat.bus)
        .stdout(Stdio::null())
        .spawn()
        .unwrap(),
    );
    wait_until_listening(port, "service");

    let (status, body) = desk.call(port, "/v1/status", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enrolled"], true);
    let (status, body) = other.call(port, "/v1/status", None);
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &"NOT_LOCAL_SESSION".into())
    );
    let (status, body) = other.login(port, "n-1");
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &"NOT_LOCAL_SESSION".into())
    );
    assert!(
        server.accepted().is_empty(),
        "nothing was signed for the other user"
    );

    // The person at the console logs in with the card in the reader.
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let waited = Instant::now();
    loop {
        let (_, body) = desk.call(port, "/v1/status", None);
        if body["readers"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["card_present"] == true))
        {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "no card: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, body) = desk.login(port, &server.nonce(ORIGIN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.accepted().len(), 1);

    // Another user takes the console: the service follows the seat at once.
    seat.activate(&other, "c2");
    assert_eq!(other.call(port, "/v1/status", None).0, 200);
    let (status, body) = desk.call(port, "/v1/status", None);
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &"NOT_LOCAL_SESSION".into())
    );

    // IT enrolls the machine again as root: the running service signs with the new key.
    // A link the service's user left in the dir (a compromised service) is not written
    // through with root's rights.
    let victim = root.path().join("victim");
    std::fs::write(&victim, "root's own").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = state.join("agent.tmp");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(service.uid), Some(service.gid())).unwrap();
    // Root's own home, with a configuration of its own that the service's user cannot
    // read: the service's enrollment does not need it.
    let root_home = tempfile::tempdir().unwrap();
    let root_config = root_home.path().join(".config/thaiid-agent");
    std::fs::create_dir_all(&root_config).unwrap();
    std::fs::write(root_config.join("config.toml"), "port = 47999\n").unwrap();
    std::fs::set_permissions(root_home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let again = agent(
        &binary,
        None,
        &["enroll", "--state-dir", state_arg, "--server", &server.url],
    )
    .env("THAIID_ENROLL_TOKEN", server.enrollment_token())
    .env("HOME", root_home.path())
    .env_remove("THAIID_CONFIG")
    .env_remove("XDG_CONFIG_HOME")
    .output()
    .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        std::fs::metadata(state.join("agent.key")).unwrap().uid(),
        service.uid
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's own");
    assert_eq!(std::fs::metadata(&victim).unwrap().uid(), 0);
    // The person now at the console puts the card in again for a login of their own.
    card.remove().unwrap();
    card.insert().unwrap();
    let (status, body) = wait_for_login(&other, port, &server.nonce(ORIGIN));
    assert_eq!(status, 200, "{body}");
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 2);
    assert_ne!(
        accepted[1].iss, accepted[0].iss,
        "signed as the new enrollment"
    );
    drop(card);
}

/// `doctor` run by a desktop user: the service, seen through its API, is told by the
/// owner of its state dir; a copy of the agent that a user runs on the service's port
/// answers alike, but is named as that user's program.
#[test]
fn a_desktop_users_doctor_tells_the_service_from_a_users_own_agent_on_its_port() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test makes real users: run it as root"
    );
    // Its service watches every reader: no other test's card may go in meanwhile.
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let service = LocalUser::create("dsvc");
    let desk = LocalUser::create("ddesk");
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = installed_agent(root.path());
    // No seat0 here: no session manager; the configuration serves every local user.
    let logind = tempfile::tempdir().unwrap();
    // Each state dir as the installer makes it: its owner's, 0700.
    let state_of = |user: &LocalUser, name: &str| {
        let dir = root.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid())).unwrap();
        dir
    };
    let serve = |user: &LocalUser, state: &Path, port: u16| {
        let port_arg = port.to_string();
        let state_arg = state.to_str().unwrap();
        let args = ["serve", "--state-dir", state_arg, "--port", &port_arg];
        let child = Killed(
            agent(&binary, Some(user), &args)
                .env("THAIID_LOGIND_DIR", logind.path())
                .env("THAIID_ANY_LOCAL_USER", "true")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_until_listening(port, &format!("serve as {}", user.name));
        child
    };
    let state = state_of(&service, "service");
    let (port, copy_port) = (free_port(), free_port());
    let _service = serve(&service, &state, port);
    let _copy = serve(&desk, &state_of(&desk, "copy"), copy_port);
    let doctor = |port: u16| {
        let output = agent(
            &binary,
            Some(&desk),
            &["doctor", "--state-dir", state.to_str().unwrap()],
        )
        .env("THAIID_PORT", port.to_string())
        .output()
        .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let seen = doctor(port);
    assert!(seen.contains("(cannot read"), "{seen}");
    for address in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let ok = format!(
            "ok    service on {address}: thaiid-agent 0.1.0 (the service, held by uid {} ({}))",
            service.uid, service.name
        );
        assert!(seen.contains(&ok), "{ok}\n{seen}");
    }
    assert!(
        !seen.contains("enrollment: agent"),
        "the key is not the user's to check: {seen}"
    );

    let squatted = doctor(copy_port);
    let named = format!(
        "fail  service on 127.0.0.1:{copy_port}: taken by another program, held by uid {} ({}): it answers as the agent, but is not the service",
        desk.uid, desk.name
    );
    assert!(squatted.contains(&named), "{named}\n{squatted}");
}
