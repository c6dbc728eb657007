//! The helpdesk's actions on a person's page (`/admin/people/{username}`, SPEC §7b):
//! block the card, reset the OTP, give a password reset code (shown once), clear a
//! lockout. Each works, shows on the page, and is one audit row naming the helpdesk user;
//! the command line's `user otp --reset`, `user unlock` and `user reset-code` do the same,
//! named `cli`.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, code_now, Browser};
use support::TestDb;
use thaiid_server::cards::{self, LaserEntry};
use thaiid_server::people::{self, NewPerson};
use thaiid_server::roles::{self, Role};
use thaiid_server::throttle::{self, Attempt, Guess};
use thaiid_server::{audit, demo, reset_codes, users};

on_both_databases!(
    each_action_works_and_is_audited_with_the_helpdesk_user,
    the_command_line_does_the_same,
    the_helpdesk_cannot_act_on_an_account_that_holds_a_role,
);

const SERIAL: &str = "13020198765432";

/// นางสาวมาลี with a card, an OTP, a password, and locked out by guesses.
async fn malee(b: &Browser) {
    let (pool, now) = (&b.pool, thaiid_server::now());
    let person = NewPerson {
        username: "malee.s",
        display_name: "นางสาวมาลี สุขสันต์",
        citizen_id: Some("3100500123458"),
        ..NewPerson::default()
    };
    people::create(pool, &person, audit::CLI, now)
        .await
        .unwrap();
    users::set_password(pool, "malee.s", "ม้าลายกินหญ้า-2569")
        .await
        .unwrap();
    users::enrol_otp(pool, &b.otp_key, "malee.s").await.unwrap();
    let laser = LaserEntry::LaserId("JT0-7654321-01");
    cards::register_by_it(pool, &b.card_key, "malee.s", SERIAL, laser, now)
        .await
        .unwrap();
    let guess = Guess::new("malee.s", Some([192, 0, 2, 9].into()));
    for _ in 0..=throttle::PER_PAIR {
        throttle::attempt(pool, &guess, now).await.unwrap();
    }
}

/// The audit rows of the helpdesk's actions: (method, actor, detail), newest first.
async fn actions(b: &Browser) -> Vec<(audit::Method, String, String)> {
    let rows = audit::recent(&b.pool, 50).await.unwrap();
    rows.into_iter()
        .filter(|row| row.entry.username.as_deref() == Some("malee.s"))
        .filter_map(|row| Some((row.entry.method, row.entry.actor?, row.entry.detail?)))
        .collect()
}

async fn each_action_works_and_is_audited_with_the_helpdesk_user(db: TestDb) {
    let mut b = browser(&db).await;
    malee(&b).await;
    let now = thaiid_server::now();
    roles::grant(&db.pool, demo::USERNAME, &Role::Helpdesk, audit::CLI, now)
        .await
        .unwrap();
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    let page = b.get("/admin/people/malee.s").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "ลงทะเบียนแล้ว",
        "xxxxxxxxxx5432",
        "ตั้งค่าแล้ว รหัสเปลี่ยนทุก 3 นาที",
        "ผิด 5 ครั้ง จาก 1 ที่อยู่",
        r#"href="/admin/people/malee.s/card""#,
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(!page.body.contains(SERIAL));
    let csrf = page.csrf();
    let act = |action: &str| format!("/admin/people/malee.s/{action}");

    // The reset code: on the answer alone, and it works once on /forgot.
    let given = b.post(&act("reset-code"), &[("csrf", &csrf)]).await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    let (_, rest) = given.body.split_once(r#"id="reset-code">"#).unwrap();
    let code = rest.split_once('<').unwrap().0;
    assert_eq!(code.len(), 14, "{code}");
    let spent = reset_codes::spend(&db.pool, "malee.s", code, now)
        .await
        .unwrap();
    assert_eq!(spent, Ok(()));
    assert!(!b.get("/admin/people/malee.s").await.body.contains(code));

    let cleared = b.post(&act("unlock"), &[("csrf", &csrf)]).await;
    assert_eq!(cleared.location, "/admin/people/malee.s?done=unlocked");
    let seen = throttle::guessing(&db.pool, "malee.s", now).await.unwrap();
    assert_eq!(seen, None);
    let guess = Guess::new("malee.s", Some([192, 0, 2, 9].into()));
    let attempt = throttle::attempt(&db.pool, &guess, now).await.unwrap();
    assert!(matches!(attempt, Attempt::Check { .. }), "{attempt:?}");
    throttle::refund(&db.pool, &guess).await.unwrap();

    let reset = b.post(&act("otp-reset"), &[("csrf", &csrf)]).await;
    assert_eq!(reset.location, "/admin/people/malee.s?done=otp-reset");
    let account = users::find(&db.pool, "malee.s").await.unwrap().unwrap();
    assert!(account.totp_secret.is_none());

    let blocked = b.post(&act("block"), &[("csrf", &csrf)]).await;
    assert_eq!(blocked.location, "/admin/people/malee.s?done=blocked");
    assert!(cards::registered(&db.pool, "malee.s")
        .await
        .unwrap()
        .is_none());
    // Nothing left to block: said so.
    let again = b.post(&act("block"), &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("ไม่มีบัตร"), "{}", again.body);

    let page = b.get("/admin/people/malee.s?done=blocked").await.body;
    for shown in [
        "ระงับบัตรแล้ว",
        "ระงับแล้ว <span lang=\"en\">(blocked)</span>: xxxxxxxxxx5432",
        "ยังไม่ได้ตั้งค่า",
        r#"id="lockout-state">ไม่มี"#,
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    let helpdesk = demo::USERNAME.to_owned();
    assert_eq!(
        actions(&b).await,
        [
            (
                audit::Method::Block,
                helpdesk.clone(),
                "card blocked".into()
            ),
            (audit::Method::Person, helpdesk.clone(), "otp reset".into()),
            (
                audit::Method::Person,
                helpdesk.clone(),
                "lockout cleared".into()
            ),
            (
                audit::Method::ResetCode,
                helpdesk,
                "reset code given".into()
            ),
            (audit::Method::Person, audit::CLI.into(), "created".into()),
        ]
    );
}

async fn the_command_line_does_the_same(db: TestDb) {
    let b = browser(&db).await;
    malee(&b).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| support::admin(&db.url, dir.path(), args);
    let (status, out, err) = run(&["user", "otp", "malee.s", "--reset"]);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("/me/otp"), "{out}");
    let (status, out, err) = run(&["user", "unlock", "malee.s"]);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("lockout cleared"), "{out}");
    let (status, _, err) = run(&["user", "card", "malee.s", "--block"]);
    assert_eq!(status, Some(0), "{err}");
    let (status, _, err) = run(&["user", "unlock", "nobody.here"]);
    assert_ne!(status, Some(0));
    assert!(err.contains("no user"), "{err}");
    let now = thaiid_server::now();
    let account = users::find(&db.pool, "malee.s").await.unwrap().unwrap();
    assert!(account.totp_secret.is_none());
    let seen = throttle::guessing(&db.pool, "malee.s", now).await.unwrap();
    assert_eq!(seen, None);
    let cli = audit::CLI.to_owned();
    assert_eq!(
        actions(&b).await,
        [
            (audit::Method::Block, cli.clone(), "card blocked".into()),
            (audit::Method::Person, cli.clone(), "lockout cleared".into()),
            (audit::Method::Person, cli.clone(), "otp reset".into()),
            (audit::Method::Person, cli, "created".into()),
        ]
    );
}

/// A helpdesk user who could reset an admin's OTP and register a card of their own making
/// to the admin's account would hold the admin's console: accounts holding a role are an
/// admin's to change.
async fn the_helpdesk_cannot_act_on_an_account_that_holds_a_role(db: TestDb) {
    let mut b = browser(&db).await;
    malee(&b).await;
    let now = thaiid_server::now();
    roles::grant(&db.pool, demo::USERNAME, &Role::Helpdesk, audit::CLI, now)
        .await
        .unwrap();
    roles::grant(&db.pool, "malee.s", &Role::Admin, audit::CLI, now)
        .await
        .unwrap();
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    let csrf = b.get("/admin/people").await.csrf();
    for action in ["otp-reset", "reset-code", "block", "unlock"] {
        let refused = b
            .post(
                &format!("/admin/people/malee.s/{action}"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    let (status, _) = b.call("/admin/people/malee.s/card/nonce", &csrf).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no nonce to register a card");
    let account = users::find(&db.pool, "malee.s").await.unwrap().unwrap();
    assert!(account.totp_secret.is_some(), "the OTP stays");
    let by_helpdesk: Vec<_> = actions(&b)
        .await
        .into_iter()
        .filter(|(_, actor, _)| actor == demo::USERNAME)
        .collect();
    assert!(by_helpdesk.is_empty(), "nothing done: {by_helpdesk:?}");

    // An admin may.
    roles::grant(&db.pool, demo::USERNAME, &Role::Admin, audit::CLI, now)
        .await
        .unwrap();
    let reset = b
        .post("/admin/people/malee.s/otp-reset", &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.location, "/admin/people/malee.s?done=otp-reset");
}
