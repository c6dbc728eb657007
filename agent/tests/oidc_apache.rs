//! The server as an OpenID Connect provider for a real relying party: a demo system behind
//! Apache with mod_auth_openidc (scripts/demo-system, an unprivileged test instance on a
//! free port, started and stopped here), and Debian's Chromium driven through chromedriver.
//! The demo person opens the system, lands on the SSO's login page, logs in by password +
//! OTP and arrives in the system as themselves (`preferred_username`, `sub`, `amr`); the
//! system's logout ends the SSO session too (RP-initiated logout with `id_token_hint`);
//! a person without permission for the system gets `access_denied` from it; and the demo
//! person logs in again with the ID card (the agent enrolled with the server, the virtual
//! demo card in the first reader), arriving with `amr` `card`. A system that needs two
//! factors (SPEC §7 assurance levels) steps a card login up: the SSO asks for the OTP
//! alone, and the system receives `acr` two-factor and `amr` card + otp. A person refused
//! asks for the system on `/permissions`, its owner approves on the admin console
//! (`/admin/requests`), and the person then reaches the system. The server runs
//! in this process on SQLite; the browser and the pages are all on loopback, so Local
//! Network Access does not come into it (sso_e2e.rs tests that).

mod support;

use axum::Router;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::browser::Browser;
use support::{demo_station, free_port, Home};
use thaiid_server::amr::Level;
use thaiid_server::oidc::clients::{self, Registration};
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{Database, TestServer};
use thaiid_server::{audit, demo, otp, systems, users};
use thaiid_tests::ReaderLock;

const SYSTEM: &str = "01010101";

/// Apache with mod_auth_openidc in front of the demo system's page, in the foreground.
struct DemoSystem {
    apache: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl DemoSystem {
    fn start(port: u16, issuer: &str, secret: &str) -> DemoSystem {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/demo-system/start.sh"
        );
        let apache = Command::new(script)
            .arg(dir.path().join("apache"))
            .args([&port.to_string(), issuer, SYSTEM, secret])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("scripts/test.sh installs apache2 and libapache2-mod-auth-openidc");
        let mut system = DemoSystem {
            apache,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(exit)) = system.apache.try_wait() {
                panic!("apache2 ended ({exit}): {}", system.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "apache2 did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        system
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("apache/error.log")).unwrap_or_default()
    }
}

impl Drop for DemoSystem {
    fn drop(&mut self) {
        let _ = self.apache.kill();
        let _ = self.apache.wait();
    }
}

/// The real server on loopback, the demo seeded, the demo system its client.
struct Server {
    test: TestServer,
    url: String,
    seeded: demo::Seeded,
}

impl Server {
    fn start(agent_url: &str) -> Server {
        let test = TestServer::start_for_agent(Database::Sqlite, Router::new(), agent_url);
        let seeded = test.add_demo_person();
        Server {
            url: test.url.clone(),
            test,
            seeded,
        }
    }

    /// Makes the demo system at `system` a client; answers its secret.
    fn register(&self, system: &str) -> String {
        let registration = Registration {
            redirect_uris: vec![format!("{system}/redirect_uri")],
            post_logout_redirect_uris: vec![format!("{system}/bye.html")],
            public: false,
            id_token_alg: None,
        };
        let now = thaiid_server::now();
        self.test
            .block_on(clients::register(
                &self.test.pool,
                SYSTEM,
                &registration,
                now,
            ))
            .unwrap()
            .expect("a new confidential client gets a secret")
    }

    /// Another person, with a password and an OTP but no permission for the system:
    /// answers their OTP secret.
    fn add_person_without_permission(&self, name: &str, password: &str) -> String {
        let pool = &self.test.pool;
        self.test.block_on(async {
            users::add(pool, name, "มาลี สุขใจ", None, thaiid_server::now())
                .await
                .unwrap();
            users::set_password(pool, name, password).await.unwrap();
            users::enrol_otp(pool, &self.test.otp_key, name)
                .await
                .unwrap()
        })
    }

    fn token(&self) -> String {
        self.test.enrollment_token()
    }

    fn sub(&self, username: &str) -> String {
        self.test
            .block_on(thaiid_server::oidc::subjects::of(&self.test.pool, username))
            .unwrap()
    }
}

/// The SSO, the demo system needing `level` behind Apache, a browser, and the readers
/// (this test's agent and its virtual card use them).
struct Scene {
    _locks: [ReaderLock; 2],
    home: Home,
    agent_port: u16,
    server: Server,
    system: DemoSystem,
    browser: Browser,
}

impl Scene {
    fn start(level: Level) -> Scene {
        let locks = [
            ReaderLock::acquire(0).unwrap(),
            ReaderLock::acquire(1).unwrap(),
        ];
        thaiid_agent::http::install_crypto_provider();
        let home = Home::new();
        let agent_port = free_port();
        let server = Server::start(&format!("https://127.0.0.1:{agent_port}"));
        let system_port = free_port();
        let secret = server.register(&format!("http://127.0.0.1:{system_port}"));
        // IT: `thaiid-server system require 01010101 LEVEL`.
        let required = systems::require(&server.test.pool, SYSTEM, level);
        server.test.block_on(required).unwrap();
        let system = DemoSystem::start(system_port, &server.url, &secret);
        let browser = Browser::start(home.path());
        Scene {
            _locks: locks,
            home,
            agent_port,
            server,
            system,
            browser,
        }
    }
}

#[test]
fn a_system_behind_mod_auth_openidc_logs_people_in_through_the_sso() {
    let Scene {
        home,
        agent_port,
        server,
        system,
        browser,
        ..
    } = &Scene::start(Level::OneFactor);
    let in_the_system = |b: &Browser| !b.text("#username").is_empty();

    // Password + OTP, then into the system as the demo person.
    browser.goto(&format!("{}/", system.url));
    let code = demo::otp_now(&server.seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the demo system's page", in_the_system);
    assert_eq!(browser.text("#username"), demo::USERNAME);
    assert_eq!(browser.text("#name"), demo::DISPLAY_NAME);
    assert_eq!(browser.text("#amr"), "pwd,otp");
    assert_eq!(browser.text("#acr"), "urn:thaiid:acr:two-factor");
    assert_eq!(browser.text("#sub"), server.sub(demo::USERNAME));

    // The system's logout ends the SSO session as well, and comes back to the system.
    browser.click("#logout");
    browser.wait_until("the system's logged-out page", |b| {
        !b.text("#bye").is_empty()
    });
    browser.goto(&format!("{}/systems", server.url));
    browser.wait_until("the SSO's login page", |b| b.url().ends_with("/login"));

    // A person without permission for the system: access_denied, from the system.
    let otp_secret = server.add_person_without_permission("malee.s", "malee-password-2569");
    browser.goto(&format!("{}/", system.url));
    let code = otp::code_at(&otp_secret, thaiid_server::now() as u64).unwrap();
    browser.log_in_by_password("malee.s", "malee-password-2569", &code);
    browser.wait_until("the system's error page", |b| {
        b.text("body").contains("access_denied")
    });
    assert!(!in_the_system(browser), "{}", system.log());
    // The system's error page says where to ask for the permission.
    let ask = format!("{}/permissions?system={SYSTEM}", server.url);
    assert!(
        browser.text("body").contains(&ask),
        "{}",
        browser.text("body")
    );

    // The demo person again, by inserting the ID card on the login page the system sent
    // them to: the agent (enrolled with the server) reads the virtual card.
    browser.goto(&format!("{}/systems", server.url));
    browser.click("#logout");
    browser.wait_until("the logged-out login page", |b| {
        b.url().ends_with("/login?bye=1")
    });
    let (_card, _agent) = demo_station(home, &server.url, &server.token(), *agent_port);
    browser.goto(&format!("{}/", system.url));
    browser.wait_until("the login page with the card in", |b| {
        b.attribute("#card-status", "data-code") == "CARD_IN"
    });
    browser.click("#card-login");
    browser.wait_until("the demo system's page", in_the_system);
    assert_eq!(browser.text("#username"), demo::USERNAME);
    assert_eq!(browser.text("#amr"), "card");
    assert_eq!(browser.text("#acr"), "urn:thaiid:acr:one-factor");
    assert_eq!(browser.text("#sub"), server.sub(demo::USERNAME));
}

#[test]
fn a_two_factor_system_steps_a_card_login_up_to_the_otp() {
    let Scene {
        home,
        agent_port,
        server,
        system,
        browser,
        ..
    } = &Scene::start(Level::TwoFactor);
    let (_card, _agent) = demo_station(home, &server.url, &server.token(), *agent_port);

    // The card logs in, and the system needs more: the OTP page, with the one field.
    browser.goto(&format!("{}/", system.url));
    browser.wait_until("the login page with the card in", |b| {
        b.attribute("#card-status", "data-code") == "CARD_IN"
    });
    browser.click("#card-login");
    browser.wait_until("the step-up's OTP page", |b| {
        b.url().ends_with("/login/otp")
    });
    let page = browser.text("body");
    assert!(page.contains("This system needs the OTP too"), "{page}");
    assert!(page.contains("ต้องยืนยันตัวตนสองขั้น"), "{page}");
    let code = demo::otp_now(&server.seeded, thaiid_server::now()).unwrap();
    browser.type_into("#code", &code);
    browser.click("#otp-login button");
    browser.wait_until("the demo system's page", |b| {
        !b.text("#username").is_empty()
    });
    assert_eq!(
        browser.text("#username"),
        demo::USERNAME,
        "{}",
        system.log()
    );
    assert_eq!(browser.text("#acr"), "urn:thaiid:acr:two-factor");
    assert_eq!(browser.text("#amr"), "card,otp");
    assert_eq!(browser.text("#sub"), server.sub(demo::USERNAME));
}

#[test]
fn an_owner_approves_a_request_and_the_person_then_reaches_the_system() {
    let Scene {
        server,
        system,
        browser,
        ..
    } = &Scene::start(Level::OneFactor);
    let pool = &server.test.pool;
    let now = thaiid_server::now();
    // IT: `thaiid-server role grant somchai.t owner --system 01010101`.
    let owner = Role::Owner(SYSTEM.into());
    let granted = roles::grant(pool, demo::USERNAME, &owner, audit::CLI, now);
    server.test.block_on(granted).unwrap();
    let (malee, password) = ("malee.s", "malee-password-2569");
    let otp_secret = server.add_person_without_permission(malee, password);

    // Malee is refused by the system, and asks for it on the SSO's /permissions. Her
    // first code is the previous step's, so that her sign-in later has a newer one.
    browser.goto(&format!("{}/", system.url));
    let now = thaiid_server::now() as u64;
    if now % otp::STEP_SECS > otp::STEP_SECS - 5 {
        std::thread::sleep(Duration::from_secs(6));
    }
    let now = thaiid_server::now() as u64;
    let code = otp::code_at(&otp_secret, now - otp::STEP_SECS).unwrap();
    browser.log_in_by_password(malee, password, &code);
    browser.wait_until("the system's error page", |b| {
        b.text("body").contains("access_denied")
    });
    browser.goto(&format!("{}/permissions?system={SYSTEM}", server.url));
    browser.type_into("#reason", "ย้ายมาฝ่ายคอมพิวเตอร์");
    browser.click("#permission-request button");
    browser.wait_until("the request sent", |b| b.url().ends_with("?sent=1"));
    browser.click("#logout");
    browser.wait_until("the logged-out page", |b| b.url().ends_with("/login?bye=1"));

    // The owner, at the console (password + OTP), approves it with a word for her.
    let pending = server.test.block_on(systems::requests(pool, None)).unwrap();
    let row = format!("tr[id=\"request-{}\"]", pending[0].id);
    browser.goto(&format!("{}/admin/requests", server.url));
    let code = demo::otp_now(&server.seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the pending requests", |b| !b.text(&row).is_empty());
    assert!(browser.text(&row).contains("ย้ายมาฝ่ายคอมพิวเตอร์"));
    browser.type_into(&format!("{row} textarea"), "ตามคำสั่งที่ 12/2569");
    browser.click(&format!("{row} button[value=\"approve\"]"));
    browser.wait_until("the approval", |b| b.url().ends_with("?done=approved"));
    browser.click("#logout");
    browser.wait_until("the logged-out page", |b| b.url().ends_with("/login?bye=1"));

    // Malee now reaches the system as herself, and reads the decision on /permissions.
    browser.goto(&format!("{}/", system.url));
    let code = otp::code_at(&otp_secret, thaiid_server::now() as u64).unwrap();
    browser.log_in_by_password(malee, password, &code);
    browser.wait_until("the demo system's page", |b| {
        !b.text("#username").is_empty()
    });
    assert_eq!(browser.text("#username"), malee, "{}", system.log());
    assert_eq!(browser.text("#sub"), server.sub(malee));
    browser.goto(&format!("{}/permissions", server.url));
    let requests = browser.text("#requests");
    assert!(requests.contains("อนุมัติแล้ว"), "{requests}");
    assert!(requests.contains("ตามคำสั่งที่ 12/2569"), "{requests}");
}

/// A clone in /root or in a 0700 home puts the demo system's instance in a private
/// directory (`scripts/demo.sh`), which Apache's worker (www-data when run as root, as
/// here in CI) cannot go through: start.sh serves the pages from where it can read them,
/// and the page loads instead of "403 Server unable to read htaccess file".
#[test]
fn the_demo_system_serves_its_pages_from_a_private_directory() {
    use std::os::unix::fs::PermissionsExt;
    thaiid_agent::http::install_crypto_provider();
    // The logged-out page needs no provider: nothing answers at this issuer.
    let system = DemoSystem::start(free_port(), "http://127.0.0.1:9", "unused-secret");
    let private = std::fs::Permissions::from_mode(0o700);
    std::fs::set_permissions(system.dir.path(), private).unwrap();
    let page = reqwest::blocking::get(format!("{}/bye.html", system.url)).unwrap();
    assert_eq!(page.status(), 200, "{}", system.log());
    assert!(page.text().unwrap().contains(r#"id="bye""#));
}
