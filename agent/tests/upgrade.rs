//! Machines that ran the per-user agent of earlier versions: `thaiid-agent tray`, which
//! each user's login starts, takes that agent's CA out of the user's NSS db and deletes
//! its key, enrollment and certificate files, once. Needs certutil (libnss3-tools).

mod support;

use std::path::Path;
use std::process::Command;
use support::Home;
use thaiid_server::test_support::TestServer;

const OLD_FILES: [&str; 5] = [
    "agent.key",
    "enrollment.json",
    "ca.pem",
    "localhost.pem",
    "localhost.key",
];

/// The nicknames in the NSS db of `home`.
fn nss_listing(home: &Path) -> String {
    let output = Command::new("certutil")
        .arg("-L")
        .arg("-d")
        .arg(format!("sql:{}", home.join(".pki/nssdb").display()))
        .output()
        .expect("certutil (libnss3-tools)");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `thaiid-agent tray` with no display and no session bus: it cleans up, then has
/// nowhere to show its icon.
fn tray(home: &Home) -> String {
    let output = home
        .command()
        .arg("tray")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_tray_removes_the_per_user_agent_of_an_earlier_version_once() {
    let server = TestServer::start();
    let home = Home::new();
    // What the per-user agent left: its CA trusted in the user's NSS db, its key and enrollment.
    let setup = home.command().arg("setup").output().unwrap();
    assert!(setup.status.success(), "{setup:?}");
    let enrolled = home.enroll(&server);
    assert!(enrolled.status.success(), "{enrolled:?}");
    let data = home.data_dir();
    std::fs::write(data.join("notes.txt"), "the user's own").unwrap();
    for file in OLD_FILES {
        assert!(data.join(file).exists(), "{file} before");
    }
    assert!(
        nss_listing(home.path()).contains("ThaiID Login Agent local CA"),
        "{}",
        nss_listing(home.path())
    );

    let said = tray(&home);
    assert!(
        said.contains("removed the earlier per-user agent")
            && said.contains("from 1 trust store(s)"),
        "{said}"
    );
    for file in OLD_FILES {
        assert!(!data.join(file).exists(), "{file} after");
    }
    assert!(data.join("notes.txt").exists(), "a file not the agent's");
    let listing = nss_listing(home.path());
    assert!(
        !listing.contains("ThaiID Login Agent local CA"),
        "{listing}"
    );

    let again = tray(&home);
    assert!(!again.contains("removed the earlier"), "{again}");
}
