//! logind as the service sees it, for the tests: its runtime dir (`seats/seat0`, where
//! `THAIID_LOGIND_DIR` points the service) and `org.freedesktop.login1` on a D-Bus bus
//! of the test's own (a dbus-daemon where `DBUS_SYSTEM_BUS_ADDRESS` points the service),
//! answering `Manager.GetSession` and each session's `LockedHint` as the test sets them.

use super::local::LocalUser;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use zbus::zvariant::OwnedObjectPath;

/// Each session's LockedHint, by session id.
type Locks = Arc<Mutex<HashMap<String, bool>>>;

/// seat0 and logind's bus; the bus daemon is stopped on drop.
pub struct Seat {
    dir: tempfile::TempDir,
    daemon: Child,
    /// The bus address, for the service's `DBUS_SYSTEM_BUS_ADDRESS`.
    pub bus: String,
    locks: Locks,
    runtime: tokio::runtime::Runtime,
    logind: zbus::Connection,
}

impl Seat {
    /// A machine with a seat0 on which nobody is logged in yet.
    pub fn start() -> Seat {
        let dir = tempfile::tempdir().unwrap();
        // The service's user walks in to the bus socket.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.path().join("seats")).unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&socket)).unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon)");
        let mut bus = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut bus)
            .unwrap();
        let bus = bus.trim().to_owned();
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
        let locks = Locks::default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let manager = Manager {
            locks: locks.clone(),
        };
        let logind = runtime
            .block_on(async {
                zbus::connection::Builder::address(bus.as_str())?
                    .name("org.freedesktop.login1")?
                    .serve_at("/org/freedesktop/login1", manager)?
                    .build()
                    .await
            })
            .expect("logind on the test's bus");
        let seat = Seat {
            dir,
            daemon,
            bus,
            locks,
            runtime,
            logind,
        };
        seat.vacate();
        seat
    }

    /// Where the service finds `seats/seat0` (`THAIID_LOGIND_DIR`).
    pub fn logind_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `user`'s session `session` is now the active one, as logind writes seat0.
    pub fn activate(&self, user: &LocalUser, session: &str) {
        let new = {
            let mut locks = self.locks.lock().unwrap();
            // Switching back to a session keeps its lock state.
            let new = !locks.contains_key(session);
            locks.entry(session.to_owned()).or_insert(false);
            new
        };
        if new {
            let object = Session {
                id: session.to_owned(),
                locks: self.locks.clone(),
            };
            self.runtime
                .block_on(
                    self.logind
                        .object_server()
                        .at(session_path(session), object),
                )
                .unwrap();
        }
        let seat0 = format!(
            "# This is private data. Do not parse.\nIS_SEAT0=1\nACTIVE={session}\nACTIVE_UID={}\nSESSIONS={session}\n",
            user.uid
        );
        std::fs::write(self.dir.path().join("seats/seat0"), seat0).unwrap();
    }

    /// Nobody's session is active (a greeter).
    pub fn vacate(&self) {
        std::fs::write(self.dir.path().join("seats/seat0"), "IS_SEAT0=1\n").unwrap();
    }

    /// As `loginctl lock-session` / `unlock-session` leave it.
    pub fn lock(&self, session: &str, locked: bool) {
        self.locks
            .lock()
            .unwrap()
            .insert(session.to_owned(), locked);
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A bus every local user may connect to and call on (the system bus lets them read
/// logind's sessions, as this does).
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

fn session_path(id: &str) -> String {
    format!("/org/freedesktop/login1/session/{id}")
}

struct Manager {
    locks: Locks,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    fn get_session(&self, id: &str) -> zbus::fdo::Result<OwnedObjectPath> {
        if !self.locks.lock().unwrap().contains_key(id) {
            return Err(zbus::fdo::Error::Failed(format!("No session '{id}' known")));
        }
        OwnedObjectPath::try_from(session_path(id))
            .map_err(|error| zbus::fdo::Error::Failed(error.to_string()))
    }
}

struct Session {
    id: String,
    locks: Locks,
}

#[zbus::interface(name = "org.freedesktop.login1.Session")]
impl Session {
    #[zbus(property)]
    fn locked_hint(&self) -> bool {
        self.locks.lock().unwrap().get(&self.id) == Some(&true)
    }
}
