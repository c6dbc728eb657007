//! The whole product in a real browser: the real server (in this process, on SQLite or
//! on the PostgreSQL scripts/test.sh starts), the agent on https://127.0.0.1:47113, pcscd
//! with the virtual demo card, and Debian's Chromium driven through chromedriver.
//! Log in with the ID-card button and land on the systems page; replaying the agent's
//! assertion and reusing its ticket are refused; search, personal data, logout; login by
//! password + OTP, and registering a new card on /me; the old card (blocked), an expired
//! card and a card linked to no account are refused with their Thai messages; and a page
//! at an origin the agent does not allow cannot use it.

mod support;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use support::browser::Browser;
use support::{demo_card, Home, RunningAgent};
use thaiid_server::card_key::CardKey;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{agents, api, db, demo, tokens};
use thaiid_tests::{CardFixture, Faults, ReaderLock, VirtualCard};

const AGENT_PORT: u16 = 47113;

#[test]
fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("server.db").display());
    logins_in_chromium(&url);
}

#[test]
fn postgres() {
    let admin = std::env::var("THAIID_TEST_POSTGRES")
        .expect("THAIID_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL");
    let name = format!("thaiid_e2e_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime
        .block_on(db::create_postgres_database(&admin, &name))
        .unwrap();
    logins_in_chromium(&url);
}

/// The real server's router on loopback, recording the assertions agents post.
struct Server {
    url: String,
    pool: db::Pool,
    seeded: demo::Seeded,
    assertions: Arc<Mutex<Vec<String>>>,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let assertions = Arc::new(Mutex::new(Vec::new()));
        let recorded = assertions.clone();
        let (url, pool, seeded) = runtime.block_on(async {
            let pool = db::open(database_url).await.unwrap();
            let otp_key = OtpKey::generate();
            let card_key = CardKey::generate();
            let seeded = demo::seed(&pool, &otp_key, &card_key, thaiid_server::now())
                .await
                .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = api::AppState::new(pool.clone(), &url, otp_key, card_key).unwrap();
            let app = api::router(state).layer(axum::middleware::from_fn(
                move |request: Request, next: Next| {
                    let recorded = recorded.clone();
                    async move {
                        if request.uri().path() != "/api/v1/card-logins" {
                            return next.run(request).await;
                        }
                        let (parts, body) = request.into_parts();
                        let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap();
                        recorded
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&bytes).into_owned());
                        next.run(Request::from_parts(parts, Body::from(bytes)))
                            .await
                    }
                },
            ));
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                .unwrap()
            });
            (url, pool, seeded)
        });
        Server {
            url,
            pool,
            seeded,
            assertions,
            runtime,
        }
    }

    fn token(&self) -> String {
        self.runtime
            .block_on(tokens::create(&self.pool, 1, 3600, thaiid_server::now()))
            .unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.runtime
            .block_on(sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool))
            .unwrap()
    }

    fn used_ticket(&self) -> String {
        self.runtime
            .block_on(
                sqlx::query_scalar::<_, String>(
                    "SELECT ticket FROM tickets WHERE used_at IS NOT NULL",
                )
                .fetch_one(&self.pool),
            )
            .unwrap()
    }
}

/// Takes `out` out of the reader and puts a card of `fixture` in, once the agent saw both.
fn swap(agent: &RunningAgent, out: VirtualCard, fixture: CardFixture) -> VirtualCard {
    out.remove().unwrap();
    agent.wait_for_no_card();
    let card = VirtualCard::new(out.slot(), fixture, Faults::default());
    card.insert().unwrap();
    agent.wait_for_card();
    card
}

fn logins_in_chromium(database_url: &str) {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let server = Server::start(database_url);
    let home = Home::new();
    let enrolled = home
        .command()
        .args([
            "enroll",
            "--server",
            &server.url,
            "--token",
            &server.token(),
        ])
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    let agent = RunningAgent::start_on(&home, AGENT_PORT, &["--allowed-origin", &server.url]);
    agent.wait_for_card();
    let browser = Browser::start(home.path());
    let at = |path: &str| format!("{}{path}", server.url);
    let on = |path: &'static str| move |b: &Browser| b.url().ends_with(path);

    // The ID-card button: nonce, agent, ticket, completion, systems page.
    browser.goto(&at("/login"));
    browser.click("#card-login");
    browser.wait_until("the systems page", on("/systems"));
    let systems = browser.text("#systems");
    for (code, name, granted) in demo::SYSTEMS {
        assert_eq!(systems.contains(code), *granted, "{code} in {systems}");
        assert_eq!(systems.contains(name), *granted, "{name} in {systems}");
    }
    assert_eq!(browser.text("#display-name"), demo::DISPLAY_NAME);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM audit_log WHERE method = 'card' AND outcome = 'OK'"),
        1
    );

    // The agent's assertion, posted again, and the ticket, used again.
    let assertion = server.assertions.lock().unwrap()[0].clone();
    let replay = reqwest::blocking::Client::new()
        .post(at("/api/v1/card-logins"))
        .header("content-type", "application/jose")
        .body(assertion)
        .send()
        .unwrap();
    assert_eq!(replay.status(), 409);
    let error: serde_json::Value = replay.json().unwrap();
    assert_eq!(error["error"]["code"], "REPLAYED_JTI");
    browser.goto(&at(&format!(
        "/login/card/complete?ticket={}",
        server.used_ticket()
    )));
    assert_eq!(browser.text(".code"), "USED_TICKET");

    // Search, personal data (citizen ID masked), logout.
    browser.goto(&at("/systems?q=สารบรรณ"));
    let found = browser.text("#systems");
    assert!(
        found.contains("01010102") && !found.contains("01010101"),
        "{found}"
    );
    browser.goto(&at("/me"));
    assert_eq!(browser.text("#citizen-id"), "1-1037-xxxxx-xx-8");
    assert!(!browser.text("body").contains(demo::CITIZEN_ID));
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));
    browser.goto(&at("/systems"));
    browser.wait_until("the login page again", on("/login"));

    // User name + password, then the OTP of the mobile app.
    browser.type_into("#username", demo::USERNAME);
    browser.type_into("#password", demo::PASSWORD);
    browser.click("#password-login button");
    browser.wait_until("the OTP page", on("/login/otp"));
    let code = demo::otp_now(&server.seeded, thaiid_server::now()).unwrap();
    browser.type_into("#code", &code);
    browser.click("#otp-login button");
    browser.wait_until("the systems page", on("/systems"));
    assert!(browser.text("#systems").contains("01010101"));

    // The person lost the card and got a new one (another serial and laser ID): a password
    // + OTP session registers it on /me, and the old card is blocked.
    let demo_toml = std::fs::read_to_string(thaiid_tests::cards_dir().join("demo.toml")).unwrap();
    let new_card = CardFixture::from_toml(
        &thaiid_tests::cards_dir().join("demo-new.toml"),
        &demo_toml
            .replace(
                "card_serial = \"13020112345678\"",
                "card_serial = \"13020199991111\"",
            )
            .replace(
                "laser_id = \"JT0-1234567-89\"",
                "laser_id = \"JT9-1111111-11\"",
            ),
    )
    .unwrap();
    browser.goto(&at("/me"));
    assert!(browser.text("#registered-card").contains("xxxxxxxxxx5678"));
    let card = swap(&agent, card, new_card);
    browser.click("#card-register");
    browser.wait_until("the registration's result", |b| {
        b.url().contains("/me/card/complete")
    });
    assert_eq!(browser.text("#registered-serial"), "xxxxxxxxxx1111");
    browser.goto(&at("/me"));
    assert!(browser.text("#registered-card").contains("xxxxxxxxxx1111"));
    assert!(!browser.text("body").contains("JT9"), "never the laser ID");

    // Cards the server refuses, each with its message for the person at the reader.
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));
    let expired = CardFixture::from_toml(
        &thaiid_tests::cards_dir().join("expired.toml"),
        &demo_toml.replace("expiry_date = \"25730814\"", "expiry_date = \"25600101\""),
    )
    .unwrap();
    let stranger = CardFixture::named("lifelong-unknown-month").unwrap();
    let mut inserted = card;
    for (fixture, code, says) in [
        (
            CardFixture::named("demo").unwrap(),
            "CARD_BLOCKED",
            "ถูกระงับ",
        ),
        (expired, "CARD_EXPIRED", "หมดอายุ"),
        (stranger, "NOT_LINKED", "ยังไม่ได้ผูกกับบัญชี"),
    ] {
        inserted = swap(&agent, inserted, fixture);
        browser.click("#card-login");
        browser.wait_until(code, |b| b.attribute("#card-status", "data-code") == code);
        assert!(browser.text("#card-status").contains(says));
    }

    // The same pages at an origin the agent does not allow: the agent refuses the page.
    let cards_before = server.count("SELECT COUNT(*) FROM audit_log WHERE method = 'card'");
    let foreign = server.url.replace("127.0.0.1", "localhost");
    browser.goto(&format!("{foreign}/login"));
    browser.click("#card-login");
    browser.wait_until("the card button's error", |b| {
        !b.attribute("#card-status", "data-code").is_empty()
    });
    assert_eq!(
        browser.attribute("#card-status", "data-code"),
        "AGENT_NOT_RUNNING",
        "{}",
        browser.text("#card-status")
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM audit_log WHERE method = 'card'"),
        cards_before
    );
    drop(agent);

    // `doctor` asks this server whether it takes the agent's assertions: yes, and once
    // IT revoked the workstation, no. Its question leaves an audit row without a card.
    let enrollment_line = || {
        // With the state dir: the service's own checks, the enrollment among them.
        let output = (home.command().arg("doctor").arg("--state-dir"))
            .arg(home.data_dir())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.lines()
            .find(|line| line.contains("enrollment: "))
            .unwrap_or_else(|| panic!("no enrollment line in:\n{text}"))
            .to_owned()
    };
    let line = enrollment_line();
    assert!(line.contains("which takes its assertions"), "{line}");
    let probes = "SELECT COUNT(*) FROM audit_log WHERE method = 'card' \
                  AND outcome = 'UNKNOWN_NONCE' AND citizen_id IS NULL";
    assert_eq!(server.count(probes), 1);
    let agent_id = server.runtime.block_on(agents::list(&server.pool)).unwrap()[0]
        .id
        .clone();
    let revoked = agents::revoke(&server.pool, &agent_id, thaiid_server::now());
    assert!(server.runtime.block_on(revoked).unwrap());
    let line = enrollment_line();
    assert!(
        line.starts_with("fail  ") && line.contains("revoked this workstation"),
        "{line}"
    );
}
