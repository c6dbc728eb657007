//! The ksni backend on a session bus of its own, no display: `thaiid-agent tray`, a
//! desktop user's client of the service (`serve`), registers a StatusNotifierItem whose
//! tooltip and menu are ours; a login that waits for a card at the service shows in the
//! tooltip and sends the desktop notification (no notification daemon on this bus: the
//! tray must not mind); "quit" clicked over D-Bus (as a panel would) ends it with exit
//! code 0. Needs pcscd with the vpcd readers, dbus-daemon, dbus-send and dbus-monitor.
#![cfg(all(feature = "tray-ksni", target_os = "linux"))]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, Home, RunningAgent, ORIGIN};
use thaiid_agent::tray::state::{PRODUCT, QUIT};
use thaiid_server::test_support::TestServer;
use thaiid_tests::{reader_name, ReaderLock};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dbus-send --print-reply` on `bus`; its output.
fn dbus_send(bus: &str, args: &[&str]) -> String {
    let output = Command::new("dbus-send")
        .args(["--session", "--print-reply"])
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .expect("dbus-send (dbus-bin)");
    assert!(output.status.success(), "dbus-send {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn wait_for<T>(what: &str, why: impl Fn() -> String, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not within 60 s\n{}",
            why()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_item_registers_shows_a_waiting_login_notifies_and_quit_exits_0() {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon");
    let mut bus = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut bus)
        .unwrap();
    let _daemon = Killed(daemon);
    let bus = bus.trim().to_owned();

    let _lock = ReaderLock::acquire(1).unwrap();
    let server = TestServer::start();
    let home = Home::new();
    let enrolled = home.enroll(&server);
    assert!(enrolled.status.success(), "{enrolled:?}");
    let port = free_port();
    // The login waits for a card in this (locked, so empty) virtual reader.
    let reader = reader_name(1);
    let state = home.data_dir();
    let state = state.to_str().unwrap();
    let service = RunningAgent::start_on(
        &home,
        port,
        &[
            "--state-dir",
            state,
            "--allowed-origin",
            ORIGIN,
            "--reader",
            &reader,
        ],
    );
    let user = Home::new();
    let log = user.path().join("tray.log");
    let tray_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut tray = Killed(
        user.command()
            .arg("tray")
            .env("THAIID_PORT", port.to_string())
            // No display: GTK cannot start, so the `tray` backend (if built too) stands aside.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );

    let name = format!("org.kde.StatusNotifierItem-{}-1", tray.0.id());
    wait_for("the item on the bus", tray_log, || {
        let names = dbus_send(
            &bus,
            &[
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.ListNames",
            ],
        );
        names.contains(&format!("\"{name}\"")).then_some(())
    });
    let dest = format!("--dest={name}");
    let tooltip = || {
        dbus_send(
            &bus,
            &[
                &dest,
                "/StatusNotifierItem",
                "org.freedesktop.DBus.Properties.Get",
                "string:org.kde.StatusNotifierItem",
                "string:ToolTip",
            ],
        )
    };
    let shown = tooltip();
    assert!(shown.contains(PRODUCT), "{shown}");

    let monitor_log = home.path().join("notifications.log");
    let _monitor = Killed(
        Command::new("dbus-monitor")
            .args([
                "--address",
                &bus,
                "interface='org.freedesktop.Notifications'",
            ])
            .stdout(std::fs::File::create(&monitor_log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (dbus-bin)"),
    );
    let notifications = || std::fs::read_to_string(&monitor_log).unwrap_or_default();
    // dbus-monitor is listening once it has printed its own name's arrival.
    wait_for("dbus-monitor", notifications, || {
        (!notifications().is_empty()).then_some(())
    });
    wait_for("the tray to follow the service", tray_log, || {
        tray_log().contains("following thaiid-agent").then_some(())
    });
    let login = {
        let client = service.client.clone();
        let url = service.url("/v1/login");
        let nonce = server.nonce(ORIGIN);
        // Waits for a card that never comes; the test ends before it answers.
        std::thread::spawn(move || {
            let _ = client
                .post(url)
                .header("origin", ORIGIN)
                .header("x-thaiid-agent", "1")
                .json(&serde_json::json!({ "nonce": nonce }))
                .send();
        })
    };
    wait_for("the login in the tooltip", tray_log, || {
        let tooltip = tooltip();
        tooltip
            .contains(&format!("Logging in to {ORIGIN}"))
            .then_some(())
    });
    wait_for("the notification", notifications, || {
        let seen = notifications();
        (seen.contains("member=Notify") && seen.contains("Insert your ID card")).then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        tray.0.try_wait().unwrap().is_none(),
        "the tray left without a notification daemon\n{}",
        tray_log()
    );

    // The menu as a panel reads it; "quit" is the item whose label is ours.
    let layout = dbus_send(
        &bus,
        &[
            &dest,
            "/MenuBar",
            "com.canonical.dbusmenu.GetLayout",
            "int32:0",
            "int32:-1",
            "array:string:",
        ],
    );
    let quit_at = layout
        .find(&format!("string \"{QUIT}\""))
        .unwrap_or_else(|| panic!("no quit item: {layout}"));
    let id: i32 = layout[..quit_at]
        .rsplit("int32 ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id before the quit item: {layout}"));
    dbus_send(
        &bus,
        &[
            &dest,
            "/MenuBar",
            "com.canonical.dbusmenu.Event",
            &format!("int32:{id}"),
            "string:clicked",
            "variant:int32:0",
            "uint32:0",
        ],
    );
    let status = wait_for("the tray's exit", tray_log, || tray.0.try_wait().unwrap());
    assert_eq!(status.code(), Some(0), "{status}\n{}", tray_log());
    assert!(
        tray_log().contains("quit from the tray menu"),
        "{}",
        tray_log()
    );
    drop(service);
    login.join().unwrap();
}
