//! The tray icon on a real X display: Xvfb, a session bus, trayer as the XEmbed tray
//! (libayatana-appindicator falls back to an XEmbed icon without a
//! StatusNotifierWatcher), the service (`serve`) and `thaiid-agent tray` as a desktop
//! user of it. The screenshot must show the icon in the tray, "open diagnostics" in its
//! menu must hand doctor's report (the service as the user sees it) to the viewer, and
//! "quit" must end the tray with exit code 0.
//!
//! Needs xvfb, trayer, xdotool, x11-apps (xwd) and dbus (scripts/lib.sh installs them).
#![cfg(all(feature = "tray", target_os = "linux"))]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, Home, RunningAgent, ORIGIN};
use thaiid_agent::tray::icons;

/// trayer's height: the icon is in the band `0..TRAY_HEIGHT` at the top of the screen.
const TRAY_HEIGHT: usize = 32;

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command`, which prints one line (a display number, a bus address) first.
fn start_and_read_line(command: &mut Command) -> (Killed, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (scripts/lib.sh installs it)"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.trim().is_empty(), "{command:?} printed nothing");
    (Killed(child), line.trim().to_owned())
}

/// The screen as RGB rows, from `xwd` (ZPixmap, 24 or 32 bits a pixel).
struct Screenshot {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

impl Screenshot {
    fn take(display: &str) -> Screenshot {
        let output = Command::new("xwd")
            .args(["-root", "-silent", "-display", display])
            .output()
            .expect("xwd (x11-apps)");
        assert!(output.status.success(), "xwd: {output:?}");
        Screenshot::from_xwd(&output.stdout)
    }

    fn from_xwd(data: &[u8]) -> Screenshot {
        let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
        let (header_size, format) = (field(0) as usize, field(2));
        let (width, height) = (field(4) as usize, field(5) as usize);
        let (byte_order, bits_per_pixel, bytes_per_line) =
            (field(7), field(11) as usize, field(12) as usize);
        let masks = [field(14), field(15), field(16)];
        let colors = field(19) as usize;
        assert_eq!(format, 2, "ZPixmap");
        assert!(
            bits_per_pixel == 32 || bits_per_pixel == 24,
            "{bits_per_pixel}"
        );
        let image = &data[header_size + colors * 12..];
        let bytes = bits_per_pixel / 8;
        let mut rgb = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let at = y * bytes_per_line + x * bytes;
                let mut raw = [0u8; 4];
                raw[..bytes].copy_from_slice(&image[at..at + bytes]);
                let value = if byte_order == 0 {
                    u32::from_le_bytes(raw)
                } else {
                    u32::from_be_bytes(raw) >> (32 - bits_per_pixel)
                };
                rgb.push(masks.map(|mask| ((value & mask) >> mask.trailing_zeros()) as u8));
            }
        }
        Screenshot { width, height, rgb }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.width + x]
    }

    /// The pixels of `rows` in one of `colors` (a little scaling blur allowed).
    fn icon_pixels(&self, rows: std::ops::Range<usize>, colors: &[[u8; 3]]) -> Vec<(usize, usize)> {
        let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(a, b)| a.abs_diff(b) <= 6);
        rows.flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| colors.iter().any(|&color| near(self.at(x, y), color)))
            .collect()
    }
}

fn center(points: &[(usize, usize)]) -> (usize, usize) {
    let n = points.len();
    (
        points.iter().map(|p| p.0).sum::<usize>() / n,
        points.iter().map(|p| p.1).sum::<usize>() / n,
    )
}

fn xdotool(display: &str, args: &[&str]) {
    let status = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool");
    assert!(status.success(), "xdotool {args:?}");
}

/// The menu that popped up: the box of what changed between two screenshots, below the
/// tray. Gives the middle of each line of text in it, top to bottom (the last is "quit").
fn menu_lines(before: &Screenshot, after: &Screenshot) -> Vec<(usize, usize)> {
    let changed: Vec<(usize, usize)> = (TRAY_HEIGHT..after.height)
        .flat_map(|y| (0..after.width).map(move |x| (x, y)))
        .filter(|&(x, y)| before.at(x, y) != after.at(x, y))
        .collect();
    let (Some(top), Some(bottom), Some(left), Some(right)) = (
        changed.iter().map(|p| p.1).min(),
        changed.iter().map(|p| p.1).max(),
        changed.iter().map(|p| p.0).min(),
        changed.iter().map(|p| p.0).max(),
    ) else {
        return Vec::new();
    };
    // Inside the menu's border.
    let (top, bottom, left, right) = (
        top + 3,
        bottom.saturating_sub(3),
        left + 3,
        right.saturating_sub(3),
    );
    // Text (greyed too): darker pixels on the menu's light background; lines: runs of rows
    // that have some.
    let dark = |x: usize, y: usize| after.at(x, y).iter().map(|&c| c as u32).sum::<u32>() < 600;
    let mut lines = Vec::new();
    let mut y = top;
    while y <= bottom {
        let first = y;
        while y <= bottom && (left..=right).any(|x| dark(x, y)) {
            y += 1;
        }
        if y > first {
            let text: Vec<(usize, usize)> = (first..y)
                .flat_map(|y| (left..=right).map(move |x| (x, y)))
                .filter(|&(x, y)| dark(x, y))
                .collect();
            lines.push(center(&text));
        }
        y += 1;
    }
    lines
}

fn wait_for<T>(what: &str, limit: Duration, probe: impl FnMut() -> Option<T>) -> T {
    wait_or(what, limit, String::new, probe)
}

/// Waits; on time-out, fails with `why()` (the agent's log).
fn wait_or<T>(
    what: &str,
    limit: Duration,
    why: impl Fn() -> String,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not within {limit:?}\n{}",
            why()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Xvfb, a session bus and trayer at the top of the screen; stopped on drop.
struct Desktop {
    display: String,
    bus: String,
    // Dropped in this order: the tray, then the bus, then the display.
    _trayer: Killed,
    _bus: Killed,
    _xvfb: Killed,
}

impl Desktop {
    fn start() -> Desktop {
        let (xvfb, number) = start_and_read_line(Command::new("Xvfb").args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "640x480x24",
            "-nolisten",
            "tcp",
        ]));
        let display = format!(":{number}");
        let (bus_daemon, bus) = start_and_read_line(Command::new("dbus-daemon").args([
            "--session",
            "--nofork",
            "--print-address=1",
        ]));
        let trayer_log = std::env::temp_dir().join(format!("thaiid-trayer{number}.log"));
        let start_trayer = || {
            Killed(
                Command::new("trayer")
                    .args(["--edge", "top", "--align", "left"])
                    .args(["--widthtype", "pixel", "--width", "160"])
                    .args([
                        "--height",
                        &TRAY_HEIGHT.to_string(),
                        "--SetDockType",
                        "false",
                    ])
                    .env("DISPLAY", &display)
                    .env("DBUS_SESSION_BUS_ADDRESS", &bus)
                    .stderr(std::fs::File::create(&trayer_log).unwrap())
                    .spawn()
                    .expect("trayer"),
            )
        };
        // trayer is up when its panel is drawn; nothing in it is an icon colour yet.
        let mut trayer = start_trayer();
        let why = || std::fs::read_to_string(&trayer_log).unwrap_or_default();
        let empty = wait_or("trayer's panel", Duration::from_secs(30), why, || {
            if let Ok(Some(status)) = trayer.0.try_wait() {
                eprintln!("trayer left ({status}): {}; starting it again", why());
                trayer = start_trayer();
            }
            let shot = Screenshot::take(&display);
            (shot.at(80, TRAY_HEIGHT / 2) != [0, 0, 0]).then_some(shot)
        });
        assert!(
            empty.icon_pixels(0..TRAY_HEIGHT, &icons::ALL).is_empty(),
            "icon colours before the agent started"
        );
        Desktop {
            display,
            bus,
            _trayer: trayer,
            _bus: bus_daemon,
            _xvfb: xvfb,
        }
    }

    fn screenshot(&self) -> Screenshot {
        Screenshot::take(&self.display)
    }

    /// `thaiid-agent tray` in this desktop's session, following the service on `port`;
    /// its log in the home.
    fn tray(&self, home: &Home, port: u16) -> Killed {
        let runtime_dir = home.path().join("runtime");
        std::fs::create_dir_all(&runtime_dir).unwrap();
        // The viewer "Open diagnostics" calls: notes which file it was given.
        let bin = home.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let viewer = bin.join("xdg-open");
        let opened = home.path().join("opened");
        std::fs::write(
            &viewer,
            format!("#!/bin/sh\necho \"$1\" > '{}'\n", opened.display()),
        )
        .unwrap();
        let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&viewer, executable).unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Killed(
            home.command()
                .arg("tray")
                .env("THAIID_PORT", port.to_string())
                .env("DISPLAY", &self.display)
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
                .env("XDG_RUNTIME_DIR", &runtime_dir)
                .env("PATH", path)
                .env("XDG_CACHE_HOME", home.path().join("cache"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log_path(home)).unwrap())
                .spawn()
                .unwrap(),
        )
    }

    /// Waits for at least 100 pixels of `colors` in the tray, none elsewhere; gives the
    /// screenshot and the icon's middle.
    fn wait_for_icon(&self, colors: &[[u8; 3]], home: &Home) -> (Screenshot, (usize, usize)) {
        let log = || agent_log(home);
        let (shot, icon) = wait_or("the icon in the tray", Duration::from_secs(60), log, || {
            let shot = self.screenshot();
            let icon = shot.icon_pixels(0..TRAY_HEIGHT, colors);
            (icon.len() >= 100).then_some((shot, icon))
        });
        assert!(
            shot.icon_pixels(TRAY_HEIGHT..shot.height, &icons::ALL)
                .is_empty(),
            "icon colours outside the tray"
        );
        (shot, center(&icon))
    }
}

fn log_path(home: &Home) -> std::path::PathBuf {
    home.path().join("agent.log")
}

fn agent_log(home: &Home) -> String {
    std::fs::read_to_string(log_path(home)).unwrap_or_default()
}

#[test]
fn the_icon_shows_in_the_tray_its_menu_opens_diagnostics_and_quit_exits_0() {
    let started = Instant::now();
    let desktop = Desktop::start();
    let port = free_port();
    let service_home = Home::new();
    let state = service_home.data_dir();
    let state = state.to_str().unwrap();
    let _service = RunningAgent::start_on(
        &service_home,
        port,
        &["--state-dir", state, "--allowed-origin", ORIGIN],
    );
    let home = Home::new();
    let mut tray = desktop.tray(&home, port);
    let log = || agent_log(&home);

    // Once it follows the service, whatever the state (with or without pcscd) but an
    // error, its icon is in trayer's band.
    wait_or(
        "the tray to follow the service",
        Duration::from_secs(30),
        log,
        || log().contains("following thaiid-agent").then_some(()),
    );
    let not_red: Vec<[u8; 3]> = (icons::ALL.into_iter())
        .filter(|&color| color != icons::RED)
        .collect();
    let (shot, icon) = desktop.wait_for_icon(&not_red, &home);
    let click = |(x, y): (usize, usize)| {
        xdotool(
            &desktop.display,
            &["mousemove", &x.to_string(), &y.to_string(), "click", "1"],
        )
    };
    // The menu's lines, once it has stopped changing (drawn whole): status, diagnostics, quit.
    // A click that a busy machine lost (nothing drawn 3 s later) is made again.
    let open_menu = || {
        let mut clicked = Instant::now() - Duration::from_secs(3);
        wait_or("the menu", Duration::from_secs(30), log, || {
            let first = desktop.screenshot();
            let shown = menu_lines(&shot, &first);
            if shown.is_empty() && clicked.elapsed() >= Duration::from_secs(3) {
                click(icon);
                clicked = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(300));
            let second = desktop.screenshot();
            let lines = menu_lines(&shot, &second);
            (first.rgb == second.rgb && lines.len() >= 3).then_some(lines)
        })
    };

    // "Open diagnostics": doctor's report, handed to the viewer (a stand-in xdg-open).
    let lines = open_menu();
    click(lines[lines.len() - 2]);
    let report = wait_or("the diagnostics", Duration::from_secs(60), log, || {
        let path = std::fs::read_to_string(home.path().join("opened")).ok()?;
        std::fs::read_to_string(path.trim()).ok()
    });
    assert!(
        report.contains("thaiid-agent doctor: exit status"),
        "{report}"
    );
    assert!(report.contains("pcscd"), "{report}");
    assert!(
        report.contains(&format!("ok    service on 127.0.0.1:{port}: thaiid-agent")),
        "{report}"
    );
    // The menu closed with the click.
    wait_for("the menu to close", Duration::from_secs(30), || {
        menu_lines(&shot, &desktop.screenshot())
            .is_empty()
            .then_some(())
    });

    let lines = open_menu();
    click(lines[lines.len() - 1]);
    let status = wait_or("the tray's exit", Duration::from_secs(30), log, || {
        tray.0.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0), "{status}\n{}", log());
    assert!(log().contains("quit from the tray menu"), "{}", log());
    eprintln!("tray test: {:?}", started.elapsed());
}

#[test]
fn a_service_not_reachable_shows_the_error_icon_until_it_starts_and_again_when_it_stops() {
    let desktop = Desktop::start();
    let home = Home::new();
    let port = free_port();
    let mut tray = desktop.tray(&home, port);
    let log = || agent_log(&home);
    desktop.wait_for_icon(&[icons::RED], &home);
    assert!(tray.0.try_wait().unwrap().is_none(), "the tray left");
    assert!(log().contains("nothing answers on 127.0.0.1"), "{}", log());

    // The service starts: the tray finds it (it tries again at most 10 s apart).
    let service_home = Home::new();
    let state = service_home.data_dir();
    let service = RunningAgent::start_on(
        &service_home,
        port,
        &[
            "--state-dir",
            state.to_str().unwrap(),
            "--allowed-origin",
            ORIGIN,
        ],
    );
    let not_red: Vec<[u8; 3]> = (icons::ALL.into_iter())
        .filter(|&color| color != icons::RED)
        .collect();
    desktop.wait_for_icon(&not_red, &home);
    assert!(log().contains("following thaiid-agent"), "{}", log());

    drop(service);
    desktop.wait_for_icon(&[icons::RED], &home);
    assert!(tray.0.try_wait().unwrap().is_none(), "the tray left");
}
