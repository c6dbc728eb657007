//! A card registered at the helpdesk by inserting it (SPEC §7b, issue 19), on SQLite and
//! PostgreSQL: the helpdesk's console page asks for a nonce bound to its session and
//! naming the person, the agent posts the card read with it, and the card is registered to
//! that person only if its citizen ID is theirs; the person then logs in by card and their
//! old card is blocked. Another person's card, a card without its laser ID, a nonce of
//! another session or for another person, and people without the helpdesk role are
//! refused, and nothing is stored. The audit row names the helpdesk user.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, Browser, SITE};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::cards::{self, LaserEntry};
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo, otp, users};

const MALEE: &str = "malee.s";
const MALEE_CID: &str = "1101700203450";
const MALEE_SERIAL: &str = "13020187654321";
const MALEE_LASER: &str = "ME1-2345678-90";
const MALEE_OLD_SERIAL: &str = "13020111112222";
const PAGE: &str = "/admin/people/malee.s/card";

on_both_databases!(
    the_helpdesk_registers_a_card_by_insertion_and_its_owner_logs_in_with_it,
    another_persons_card_or_one_without_its_laser_id_is_not_registered,
    a_nonce_of_another_session_or_for_another_person_registers_nothing,
    without_the_helpdesk_role_the_card_page_is_forbidden,
);

fn malee_card(laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: MALEE_CID.into(),
        serial: MALEE_SERIAL.into(),
        laser,
    }
}

/// Malee, linked to her citizen ID, her old card registered by IT.
async fn add_malee(b: &Browser) {
    let now = thaiid_server::now();
    users::add(&b.pool, MALEE, "มาลี สุขใจ", Some(MALEE_CID), now)
        .await
        .unwrap();
    cards::register_by_it(
        &b.pool,
        &b.card_key,
        MALEE,
        MALEE_OLD_SERIAL,
        LaserEntry::LaserId("ME1-1111111-11"),
        now,
    )
    .await
    .unwrap();
}

/// The demo person signed in to the console (password + OTP) holding `role`.
async fn console_with(db: &TestDb, role: Option<Role>) -> Browser {
    let mut b = browser(db).await;
    if let Some(role) = role {
        let now = thaiid_server::now();
        roles::grant(&db.pool, demo::USERNAME, &role, audit::CLI, now)
            .await
            .unwrap();
    }
    b.password(demo::PASSWORD).await;
    b.otp(&earlier_code(&b)).await;
    b
}

/// A code the next OTP check accepts that leaves the current step for another sign-in:
/// the previous step's, away from a step's last seconds.
fn earlier_code(b: &Browser) -> String {
    let now = thaiid_server::now() as u64;
    if now % otp::STEP_SECS > otp::STEP_SECS - 5 {
        std::thread::sleep(std::time::Duration::from_secs(6));
    }
    let now = thaiid_server::now() as u64;
    otp::code_at(&b.seeded.otp_secret, now - otp::STEP_SECS).unwrap()
}

/// Another browser on the same server, with no session yet.
fn another_browser(b: &Browser) -> Browser {
    Browser {
        router: b.router.clone(),
        verifier: b.verifier.clone(),
        pool: b.pool.clone(),
        cookie: None,
        seeded: demo::Seeded {
            otp_secret: b.seeded.otp_secret.clone(),
        },
        otp_key: b.otp_key.clone(),
        card_key: b.card_key.clone(),
        peer: None,
        forwarded_for: None,
    }
}

/// The card page's nonce for `page` (its CSRF token read off the page).
async fn desk_nonce(b: &mut Browser, page: &str) -> String {
    let csrf = b.get(page).await.csrf();
    b.nonce(&format!("{page}/nonce"), &csrf).await
}

/// The agent at the helpdesk posts `card` with `nonce`: the ticket, or the refusal's code.
async fn insert(
    b: &Browser,
    agent: &TestAgent,
    nonce: &str,
    card: &TestCard,
) -> Result<String, String> {
    let (status, body) = b.agent_posts(agent.assert(SITE, nonce, card)).await;
    match status {
        StatusCode::OK => Ok(body["ticket"].as_str().unwrap().to_owned()),
        _ => Err(body["error"]["code"].as_str().unwrap().to_owned()),
    }
}

/// The last audit row of `method`.
async fn last_row(b: &Browser, method: audit::Method) -> audit::Entry {
    let mut rows = audit::recent(&b.pool, 100).await.unwrap();
    rows.retain(|row| row.entry.method == method);
    rows.into_iter().next().expect("an audit row").entry
}

async fn the_helpdesk_registers_a_card_by_insertion_and_its_owner_logs_in_with_it(db: TestDb) {
    let mut b = console_with(&db, Some(Role::Helpdesk)).await;
    add_malee(&b).await;
    let agent = TestAgent::enroll(&db.pool, "helpdesk-1").await;
    let page = b.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"id="desk-card-register""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("/assets/desk-card.js"));
    assert!(
        page.body.contains("1-1017-xxxxx-xx-0"),
        "masked: {}",
        page.body
    );
    assert!(!page.body.contains(MALEE_CID), "never the whole citizen ID");
    assert!(
        page.body.contains("xxxxxxxxxx2222"),
        "the old card: {}",
        page.body
    );

    let nonce = desk_nonce(&mut b, PAGE).await;
    let ticket = insert(&b, &agent, &nonce, &malee_card(Some(MALEE_LASER)))
        .await
        .unwrap();
    let done = b.get(&format!("{PAGE}/complete?ticket={ticket}")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("ลงทะเบียนบัตรเรียบร้อยแล้ว"), "{}", done.body);
    assert!(done.body.contains(r#"data-state="registered""#));
    assert!(done.body.contains("xxxxxxxxxx4321"), "{}", done.body);
    assert!(!done.body.contains(MALEE_SERIAL), "the serial masked");
    let registered = cards::registered(&b.pool, MALEE).await.unwrap().unwrap();
    assert_eq!(registered.serial_masked, "xxxxxxxxxx4321");
    assert!(registered.laser, "with its laser ID");
    // The helpdesk's own card is untouched.
    let own = cards::registered(&b.pool, demo::USERNAME).await.unwrap();
    assert_eq!(own.unwrap().serial_masked, "xxxxxxxxxx5678");

    let row = last_row(&b, audit::Method::Register).await;
    assert_eq!(row.outcome, "OK");
    assert_eq!(row.actor.as_deref(), Some(demo::USERNAME));
    assert_eq!(row.username.as_deref(), Some(MALEE));
    assert_eq!(row.card.as_deref(), Some("xxxxxxxxxx4321"));
    assert_eq!(row.detail.as_deref(), Some("inserted at the helpdesk"));

    // Malee logs in with the card at any workstation; her old card is blocked.
    let mut malee = another_browser(&b);
    let workstation = TestAgent::enroll(&db.pool, "ws-2").await;
    let old = TestCard {
        serial: MALEE_OLD_SERIAL.into(),
        ..malee_card(Some("ME1-1111111-11"))
    };
    let refused = malee.card_login(&workstation, &old).await.err();
    assert_eq!(refused.as_deref(), Some("CARD_BLOCKED"));
    let login = malee
        .card_login(&workstation, &malee_card(Some(MALEE_LASER)))
        .await
        .unwrap();
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let user: Option<String> =
        sqlx::query_scalar("SELECT username FROM sessions WHERE id_hash = $1")
            .bind(malee.session_hash())
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(user.as_deref(), Some(MALEE));
}

async fn another_persons_card_or_one_without_its_laser_id_is_not_registered(db: TestDb) {
    let mut b = console_with(&db, Some(Role::Helpdesk)).await;
    add_malee(&b).await;
    let agent = TestAgent::enroll(&db.pool, "helpdesk-1").await;
    let before = cards::registered(&b.pool, MALEE).await.unwrap();

    // The helpdesk user's own card, on Malee's page.
    let nonce = desk_nonce(&mut b, PAGE).await;
    let refused = insert(&b, &agent, &nonce, &TestCard::demo()).await;
    assert_eq!(refused.unwrap_err(), "CARD_NOT_ACCOUNTS");
    assert_eq!(cards::registered(&b.pool, MALEE).await.unwrap(), before);
    let row = last_row(&b, audit::Method::Register).await;
    assert_eq!(row.outcome, "CARD_NOT_ACCOUNTS");
    assert_eq!(row.actor.as_deref(), Some(demo::USERNAME));
    assert_eq!(row.username.as_deref(), Some(MALEE));

    // Her card, giving no laser ID: nothing stored, and the page says why and what IT does.
    let nonce = desk_nonce(&mut b, PAGE).await;
    let ticket = insert(&b, &agent, &nonce, &malee_card(None)).await.unwrap();
    let done = b.get(&format!("{PAGE}/complete?ticket={ticket}")).await;
    assert_eq!(
        done.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        done.body
    );
    assert!(done.body.contains("LASER_ID_MISSING"));
    assert!(done.body.contains("--no-laser-applet"), "{}", done.body);
    assert_eq!(cards::registered(&b.pool, MALEE).await.unwrap(), before);
    let row = last_row(&b, audit::Method::Register).await;
    assert_eq!(row.outcome, "LASER_ID_MISSING");
    assert_eq!(row.actor.as_deref(), Some(demo::USERNAME));

    // A person linked to no citizen ID: no button, no nonce.
    users::add(&b.pool, "nok.p", "นก ปลา", None, thaiid_server::now())
        .await
        .unwrap();
    let page = b.get("/admin/people/nok.p/card").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("desk-card-register"), "{}", page.body);
    let (status, body) = b.call("/admin/people/nok.p/card/nonce", &page.csrf()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("NOT_LINKED"))
    );
    assert_eq!(
        b.get("/admin/people/nobody/card").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_nonce_of_another_session_or_for_another_person_registers_nothing(db: TestDb) {
    let mut b = console_with(&db, Some(Role::Helpdesk)).await;
    add_malee(&b).await;
    let agent = TestAgent::enroll(&db.pool, "helpdesk-1").await;
    let card = malee_card(Some(MALEE_LASER));

    // Another console session of the helpdesk: it cannot redeem this session's ticket.
    let nonce = desk_nonce(&mut b, PAGE).await;
    let ticket = insert(&b, &agent, &nonce, &card).await.unwrap();
    let mut other = another_browser(&b);
    other.password(demo::PASSWORD).await;
    let code = demo::otp_now(&other.seeded, thaiid_server::now()).unwrap();
    other.otp(&code).await;
    let stolen = other.get(&format!("{PAGE}/complete?ticket={ticket}")).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST, "{}", stolen.body);
    assert!(
        stolen.body.contains("TICKET_SESSION_MISMATCH"),
        "{}",
        stolen.body
    );
    // Nor is a helpdesk ticket a login (as Malee) for the session that asked for it.
    let login = b
        .get(&format!("/login/card/complete?ticket={ticket}"))
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.body);
    let user: Option<String> =
        sqlx::query_scalar("SELECT username FROM sessions WHERE id_hash = $1")
            .bind(b.session_hash())
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(user.as_deref(), Some(demo::USERNAME));
    // Shown on another person's page: refused.
    let elsewhere = b
        .get(&format!(
            "/admin/people/somchai.t/card/complete?ticket={ticket}"
        ))
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::BAD_REQUEST,
        "{}",
        elsewhere.body
    );

    let registered = cards::registered(&b.pool, MALEE).await.unwrap();
    assert_eq!(registered.as_ref().unwrap().serial_masked, "xxxxxxxxxx4321");

    // A nonce whose console session signed out since: refused, nothing stored.
    let newer = TestCard {
        serial: "13020100000001".into(),
        ..malee_card(Some("ME1-0000000-01"))
    };
    let nonce = desk_nonce(&mut b, PAGE).await;
    let csrf = b.get(PAGE).await.csrf();
    b.post("/logout", &[("csrf", &csrf)]).await;
    let refused = insert(&b, &agent, &nonce, &newer).await;
    assert_eq!(refused.unwrap_err(), "NO_SESSION");
    assert_eq!(cards::registered(&b.pool, MALEE).await.unwrap(), registered);
    // A nonce of the login page (no person named) registers nothing either.
    let mut login_page = another_browser(&b);
    let csrf = login_page.get("/login").await.csrf();
    let nonce = login_page.nonce("/login/card/nonce", &csrf).await;
    let refused = insert(&login_page, &agent, &nonce, &newer).await;
    assert_eq!(refused.unwrap_err(), "CARD_NOT_REGISTERED");
    assert_eq!(cards::registered(&b.pool, MALEE).await.unwrap(), registered);
}

async fn without_the_helpdesk_role_the_card_page_is_forbidden(db: TestDb) {
    let mut b = console_with(&db, None).await;
    add_malee(&b).await;
    let owner = Role::Owner(demo::SYSTEMS[0].0.into());
    for role in [None, Some(owner)] {
        if let Some(role) = &role {
            let now = thaiid_server::now();
            roles::grant(&db.pool, demo::USERNAME, role, audit::CLI, now)
                .await
                .unwrap();
        }
        let page = b.get(PAGE).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{role:?}: {}",
            page.body
        );
        let csrf = b.get("/me").await.csrf();
        let (status, _) = b.call(&format!("{PAGE}/nonce"), &csrf).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        let done = b.get(&format!("{PAGE}/complete?ticket=x")).await;
        assert_eq!(done.status, StatusCode::FORBIDDEN, "{role:?}");
        let issued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM nonces WHERE purpose = 'desk-register'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(issued, 0, "{role:?}: no helpdesk nonce issued");
    }
}
