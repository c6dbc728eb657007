//! Debian's headless Chromium driven through chromedriver (W3C WebDriver over HTTP):
//! open a page, click, type, read the DOM, wait for a condition. The browser runs with
//! the test's home, so it trusts what the agent's setup put in that home's NSS db.
//!
//! A `Deployment` runs it as the SSO is deployed: pages at given loopback addresses count
//! as public Internet addresses (`--ip-address-space-overrides`), so Chromium's Local
//! Network Access applies to their calls to the agent; and it sees a managed policy of the
//! test's own, not the machine's: chromedriver and its Chromium run in a mount namespace of
//! their own where a directory of the test is mounted over /etc/chromium, the directory
//! Debian's Chromium reads `policies/managed/*.json` from. Other browsers on the machine,
//! other tests' included, never see it, and nothing is left behind.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Headless Chromium as the tests run it: no sandbox (root in CI), nothing fetched from
/// the network on its own.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Where the browser's pages live, as seen by Local Network Access, and the managed policy
/// it runs under.
pub struct Deployment {
    /// `ip:port` endpoints taken for public Internet addresses.
    pub public: Vec<String>,
    /// The managed policy file's JSON; `None` runs with no managed policy at all.
    pub policy: Option<Value>,
}

pub struct Browser {
    driver: Child,
    base: String,
    client: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
    _etc: Option<tempfile::TempDir>,
}

impl Browser {
    /// Chromium with `home` as HOME and a fresh profile.
    pub fn start(home: &Path) -> Browser {
        Browser::launch(home, None)
    }

    /// Chromium as `deployment` says (see the module's doc).
    pub fn deployed(home: &Path, deployment: &Deployment) -> Browser {
        Browser::launch(home, Some(deployment))
    }

    fn launch(home: &Path, deployment: Option<&Deployment>) -> Browser {
        let port = thaiid_server::test_support::free_port();
        let etc = deployment.map(|deployment| {
            let etc = tempfile::tempdir().unwrap();
            let managed = etc.path().join("policies/managed");
            std::fs::create_dir_all(&managed).unwrap();
            // Debian's own file in /etc/chromium, kept for the browser's first run.
            let _ = std::fs::copy(
                "/etc/chromium/master_preferences",
                etc.path().join("master_preferences"),
            );
            if let Some(policy) = &deployment.policy {
                std::fs::write(managed.join("thaiid-agent.json"), policy.to_string()).unwrap();
            }
            etc
        });
        let mut command = match &etc {
            None => Command::new("chromedriver"),
            Some(etc) => {
                let mut command = Command::new("unshare");
                command
                    .args(["--mount", "--propagation", "private", "sh", "-c"])
                    .arg("mount --bind \"$0\" /etc/chromium && exec chromedriver \"$@\"")
                    .arg(etc.path());
                command
            }
        };
        let driver = command
            .arg(format!("--port={port}"))
            .env("HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (scripts/test.sh installs chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            _profile: profile,
            _etc: etc,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(exit)) = browser.driver.try_wait() {
                panic!(
                    "chromedriver ended ({exit}): a deployed browser needs root (mount namespace)"
                );
            }
            assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<String> = CHROMIUM_FLAGS.map(str::to_owned).to_vec();
        if let Some(deployment) = deployment.filter(|d| !d.public.is_empty()) {
            let overrides: Vec<String> = deployment
                .public
                .iter()
                .map(|endpoint| format!("{endpoint}=public"))
                .collect();
            args.push(format!(
                "--ip-address-space-overrides={}",
                overrides.join(",")
            ));
        }
        args.push("--disable-dev-shm-usage".into());
        args.push(format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        ));
        let session = browser.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
            }}}),
        );
        let id = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.client.get(&url),
            "DELETE" => self.client.delete(&url),
            _ => self.client.post(&url).json(&body),
        };
        let answer: Value = request.send().unwrap().json().unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!(
                "webdriver {method} {path}: {error}: {}",
                answer["value"]["message"]
            );
        }
        answer["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        match found[ELEMENT].as_str() {
            Some(id) => id.to_owned(),
            None => panic!(
                "no {css} at {}: {found}; the page says: {}",
                self.url(),
                self.text("body")
            ),
        }
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    /// Runs `script` (a function body) in the page and answers what it returns.
    pub fn run(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// The text of the first element matching `css`, or "" when there is none.
    pub fn text(&self, css: &str) -> String {
        let css = serde_json::to_string(css).unwrap();
        self.run(&format!(
            "const e = document.querySelector({css}); return e ? e.textContent : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// An attribute of the first element matching `css`, or "".
    pub fn attribute(&self, css: &str, name: &str) -> String {
        let (css, name) = (
            serde_json::to_string(css).unwrap(),
            serde_json::to_string(name).unwrap(),
        );
        self.run(&format!(
            "const e = document.querySelector({css}); return e ? (e.getAttribute({name}) || '') : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The SSO login page's password + OTP steps, once the browser is sent there.
    pub fn log_in_by_password(&self, username: &str, password: &str, otp_code: &str) {
        self.wait_until("the SSO's login page", |b| b.url().contains("/login"));
        self.type_into("#username", username);
        self.type_into("#password", password);
        self.click("#password-login button");
        self.wait_until("the OTP page", |b| b.url().ends_with("/login/otp"));
        self.type_into("#code", otp_code);
        self.click("#otp-login button");
    }

    /// Waits until `done` holds, failing with `what` and the page's text after PATIENCE.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        self.wait_every(Duration::from_millis(100), what, done);
    }

    /// `wait_until`, asking every `interval`: how long it took, to within that interval
    /// plus one WebDriver call.
    pub fn wait_every(
        &self,
        interval: Duration,
        what: &str,
        done: impl Fn(&Browser) -> bool,
    ) -> Duration {
        let started = Instant::now();
        while !done(self) {
            assert!(
                started.elapsed() < PATIENCE,
                "waited for {what}; at {} the page says: {}",
                self.url(),
                self.text("body")
            );
            std::thread::sleep(interval);
        }
        started.elapsed()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.client.delete(&self.base).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
