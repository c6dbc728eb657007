//! A running `thaiid-agent serve` in a home of its own, and an HTTPS client that trusts
//! its local CA, for the login API tests; the real server in-process (`thaiid-server`'s
//! test support) as the login server they talk to.

// Each test binary includes this module and uses a part of it.
#![allow(dead_code)]

pub mod browser;
#[cfg(target_os = "linux")]
pub mod local;
#[cfg(target_os = "linux")]
pub mod logind;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use thaiid_protocol::layout::Field;
pub use thaiid_server::test_support::free_port;
use thaiid_server::test_support::{Database, TestServer};
use thaiid_tests::{CardFixture, Faults, ReaderLock, VirtualCard};

pub const ORIGIN: &str = "https://sso.example.go.th";

/// Both virtual readers locked, the login server with the demo card's person as an
/// account (that card registered), and an agent home enrolled with it.
pub struct Station {
    pub server: TestServer,
    pub home: Home,
    _locks: [ReaderLock; 2],
}

impl Station {
    pub fn enrolled() -> Station {
        Station::enrolled_with(axum::Router::new())
    }

    /// With `pages` of the test's served at the server's origin.
    pub fn enrolled_with(pages: axum::Router) -> Station {
        let locks = [
            ReaderLock::acquire(0).unwrap(),
            ReaderLock::acquire(1).unwrap(),
        ];
        let server = TestServer::start_with(Database::Sqlite, pages);
        add_person(&server, &CardFixture::named("demo").unwrap());
        let home = Home::new();
        let enrolled = home.enroll(&server);
        assert!(
            enrolled.status.success(),
            "{}",
            String::from_utf8_lossy(&enrolled.stderr)
        );
        Station {
            server,
            home,
            _locks: locks,
        }
    }
}

/// The text of one of `fixture`'s fields, padding trimmed.
pub fn field_text(fixture: &CardFixture, field: Field) -> String {
    String::from_utf8_lossy(fixture.field_bytes(field))
        .trim()
        .to_owned()
}

/// `fixture`'s person as an account named after the fixture, linked by citizen ID, with
/// no card registered (a login is refused as CARD_NOT_REGISTERED). Answers the name.
pub fn add_person_without_card(server: &TestServer, fixture: &CardFixture) -> String {
    server.add_user(&fixture.name, &field_text(fixture, Field::CitizenId));
    fixture.name.clone()
}

/// `fixture`'s person as an account, the fixture's card (serial and laser ID) registered
/// as theirs, as IT does at the helpdesk: that card logs in. Answers the name.
pub fn add_person(server: &TestServer, fixture: &CardFixture) -> String {
    let username = add_person_without_card(server, fixture);
    server.register_card(
        &username,
        &field_text(fixture, Field::CardSerial),
        fixture.laser_id.as_deref(),
    );
    username
}

/// Takes `out` out of the reader and puts a card of `fixture` in, once the agent saw both.
pub fn swap(agent: &RunningAgent, out: VirtualCard, fixture: CardFixture) -> VirtualCard {
    out.remove().unwrap();
    agent.wait_for_no_card();
    let card = VirtualCard::new(out.slot(), fixture, Faults::default());
    card.insert().unwrap();
    agent.wait_for_card();
    card
}

/// The agent of `home` enrolled at the real server `server` with `token`, serving that
/// server's login page on `port`, with the demo card in the first reader: both ready.
pub fn demo_station(
    home: &Home,
    server: &str,
    token: &str,
    port: u16,
) -> (VirtualCard, RunningAgent) {
    let enrolled = home
        .command()
        .args(["enroll", "--server", server, "--token", token])
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start_on(home, port, &["--allowed-origin", server]);
    agent.wait_for_card();
    (card, agent)
}

/// The demo person's card for the first reader (not inserted yet).
pub fn demo_card(faults: Faults) -> VirtualCard {
    VirtualCard::new(0, CardFixture::named("demo").unwrap(), faults)
}

/// Asserts an API error answer's status and code; gives back the error object.
pub fn assert_refused(
    response: reqwest::blocking::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let (got, error) = error_code(response);
    assert_eq!(
        (got, error["code"].as_str()),
        (status, Some(code)),
        "{error}"
    );
    error
}

/// A home directory with the agent's config and data dirs inside.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        // Not the machine's /etc/thaiid-agent/config.toml: the tests' own, empty.
        std::fs::write(home.machine_config(), "").unwrap();
        home
    }

    /// What the installer would write to /etc/thaiid-agent/config.toml.
    pub fn machine_config(&self) -> PathBuf {
        self.path().join("machine-config.toml")
    }

    /// Where the agent's rotating logs go.
    pub fn log_dir(&self) -> PathBuf {
        self.path().join("state/thaiid-agent/logs")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data/thaiid-agent")
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"));
        command
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("THAIID_MACHINE_CONFIG", self.machine_config())
            .env_remove("THAIID_CONFIG")
            .env_remove("THAIID_SERVER_URL")
            .env_remove("THAIID_ALLOWED_ORIGINS")
            .env_remove("THAIID_PORT");
        command
    }

    /// `thaiid-agent enroll` with `server` and a token it just made.
    pub fn enroll(&self, server: &TestServer) -> Output {
        self.command()
            .args(["enroll", "--server", &server.url])
            .args(["--token", &server.enrollment_token()])
            .output()
            .unwrap()
    }
}

/// `thaiid-agent serve` on a free port; killed on drop.
pub struct RunningAgent {
    child: Child,
    pub port: u16,
    /// The first allowed origin: the one these helpers call with.
    pub origin: String,
    pub client: reqwest::blocking::Client,
}

impl RunningAgent {
    pub fn start(home: &Home, extra: &[&str]) -> RunningAgent {
        let mut args = vec!["--allowed-origin", ORIGIN];
        args.extend_from_slice(extra);
        RunningAgent::start_on(home, free_port(), &args)
    }

    pub fn start_on(home: &Home, port: u16, args: &[&str]) -> RunningAgent {
        let child = home
            .command()
            .args(["serve", "--port", &port.to_string()])
            .args(args)
            .env("THAIID_LOG", "info")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let ca = home.data_dir().join("ca.pem");
        while !(ca.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "agent did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        thaiid_agent::http::install_crypto_provider();
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
        let client = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let origin = args
            .windows(2)
            .find(|pair| pair[0] == "--allowed-origin")
            .map_or(ORIGIN, |pair| pair[1])
            .to_owned();
        RunningAgent {
            child,
            port,
            origin,
            client,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// A login as the page at `ORIGIN` would send it.
    pub fn login(&self, nonce: &str) -> reqwest::blocking::Response {
        self.client
            .post(self.url("/v1/login"))
            .header("origin", &self.origin)
            .header("x-thaiid-agent", "1")
            .json(&serde_json::json!({ "nonce": nonce }))
            .send()
            .unwrap()
    }

    /// Takes `card` out and puts it back, as a person does for another login (each
    /// insertion gives one), and waits until the agent has read it again.
    pub fn reinsert(&self, card: &VirtualCard) {
        card.remove().unwrap();
        self.wait_for_no_card();
        card.insert().unwrap();
        self.wait_for_card();
    }

    /// Waits until the watcher has read a card (status shows it present).
    pub fn wait_for_card(&self) {
        self.wait_for_card_present(true);
    }

    /// Waits until the watcher has seen every card go.
    pub fn wait_for_no_card(&self) {
        self.wait_for_card_present(false);
    }

    fn wait_for_card_present(&self, wanted: bool) {
        let started = Instant::now();
        loop {
            let status: serde_json::Value = self
                .client
                .get(self.url("/v1/status"))
                .header("origin", &self.origin)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let present = status["readers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["card_present"] == true);
            if present == wanted {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "card present is not {wanted}: {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The error code of an API error answer.
pub fn error_code(response: reqwest::blocking::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().unwrap_or_default();
    (status, body["error"].clone())
}
