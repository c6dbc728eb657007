//! The ksni backend on a session bus of its own, no display: the agent registers a
//! StatusNotifierItem whose tooltip and menu are ours, and "quit" clicked over
//! D-Bus (as a panel would) ends it with exit code 0. Needs dbus-daemon and dbus-send.
#![cfg(all(feature = "tray-ksni", target_os = "linux"))]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::Home;
use thaiid_agent::tray::state::{PRODUCT, QUIT};

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
fn the_item_registers_on_the_session_bus_and_quit_from_its_menu_exits_0() {
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

    let home = Home::new();
    let log = home.path().join("agent.log");
    let agent_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut agent = Killed(
        home.command()
            .args(["serve", "--port", &port.to_string()])
            // No display: GTK cannot start, so the `tray` backend (if built too) stands aside.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );

    let name = format!("org.kde.StatusNotifierItem-{}-1", agent.0.id());
    wait_for("the item on the bus", agent_log, || {
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
    let tooltip = dbus_send(
        &bus,
        &[
            &dest,
            "/StatusNotifierItem",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierItem",
            "string:ToolTip",
        ],
    );
    assert!(tooltip.contains(PRODUCT), "{tooltip}");

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
    let status = wait_for("the agent's exit", agent_log, || {
        agent.0.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0), "{status}\n{}", agent_log());
    assert!(
        agent_log().contains("quit from the tray menu"),
        "{}",
        agent_log()
    );
}
