//! System owners on the admin console (SPEC §7b): `/admin/requests` lists the pending
//! permission requests of the systems a person owns (an admin: all), each approved
//! (the change made) or rejected with a reason the requester reads on `/permissions`;
//! `/admin/systems/CODE/access` shows who has access, revokes it and sets or clears the
//! person's account name in the system. Each decision and change is an audit row naming
//! who made it. Refused: a helpdesk user deciding, an owner of one system deciding or
//! revoking for another, a form without its CSRF token. The command line decides through
//! the same function, with `--reason`.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use std::process::Command;
use support::browser::{browser, code_now, Browser};
use support::TestDb;
use thaiid_server::roles::{self, Role};
use thaiid_server::systems::{self, Change};
use thaiid_server::{audit, demo, otp, users};

on_both_databases!(
    an_owner_decides_with_a_reason_the_requester_reads,
    others_are_refused_and_nothing_changes,
    an_owner_revokes_access_and_names_people_in_the_system,
    the_command_line_decides_with_a_reason,
);

/// The system the demo person owns in these tests, and one they do not.
const OWNED: &str = "01010101";
const OTHER: &str = "03010101";
/// The person who asks for access.
const MALEE: &str = "malee.s";
const MALEE_PASSWORD: &str = "malee-password-2569";

async fn grant(db: &TestDb, role: Role) {
    roles::grant(
        &db.pool,
        demo::USERNAME,
        &role,
        audit::CLI,
        thaiid_server::now(),
    )
    .await
    .unwrap();
}

/// The demo person at the console, holding `role`.
async fn console(db: &TestDb, role: Role) -> Browser {
    let mut b = browser(db).await;
    grant(db, role).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    b
}

/// Malee, with a password and an OTP and no permission yet; answers her OTP secret.
async fn add_malee(b: &Browser) -> String {
    let now = thaiid_server::now();
    users::add(&b.pool, MALEE, "มาลี สุขใจ", None, now)
        .await
        .unwrap();
    users::set_password(&b.pool, MALEE, MALEE_PASSWORD)
        .await
        .unwrap();
    users::enrol_otp(&b.pool, &b.otp_key, MALEE).await.unwrap()
}

/// Malee signed in, in a browser of her own on the same server.
async fn malee_signs_in(b: &Browser, secret: &str) -> Browser {
    let mut malee = Browser {
        router: b.router.clone(),
        verifier: b.verifier.clone(),
        pool: b.pool.clone(),
        cookie: None,
        peer: None,
        forwarded_for: None,
        seeded: demo::Seeded {
            otp_secret: secret.to_owned(),
        },
        otp_key: b.otp_key.clone(),
        card_key: b.card_key.clone(),
    };
    malee.password_as(MALEE, MALEE_PASSWORD).await;
    let code = otp::code_at(secret, thaiid_server::now() as u64).unwrap();
    malee.otp(&code).await;
    malee
}

async fn ask(db: &TestDb, code: &str, change: Change, reason: &str) -> String {
    systems::request(&db.pool, MALEE, code, change, reason, thaiid_server::now())
        .await
        .unwrap()
}

async fn status_of(db: &TestDb, id: &str) -> String {
    systems::find_request(&db.pool, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn may_use(db: &TestDb, code: &str) -> bool {
    systems::of_user(&db.pool, MALEE)
        .await
        .unwrap()
        .iter()
        .any(|permitted| permitted.system.code == code)
}

/// The console's audit rows of `method`, oldest first: (actor, detail, user, system).
async fn console_rows(db: &TestDb, method: audit::Method) -> Vec<[String; 4]> {
    let mut rows = audit::recent(&db.pool, 100).await.unwrap();
    rows.reverse();
    rows.into_iter()
        .filter(|row| row.entry.method == method)
        .map(|row| {
            let text = |field: Option<String>| field.unwrap_or_default();
            [
                text(row.entry.actor),
                text(row.entry.detail),
                text(row.entry.username),
                text(row.entry.system),
            ]
        })
        .collect()
}

fn row(actor: &str, detail: &str, user: &str, system: &str) -> [String; 4] {
    [actor, detail, user, system].map(str::to_owned)
}

async fn decide(b: &mut Browser, id: &str, verdict: &str, reason: &str) -> support::browser::Page {
    let csrf = b.get("/admin/requests").await.csrf();
    let path = format!("/admin/requests/{id}");
    b.post(
        &path,
        &[("verdict", verdict), ("reason", reason), ("csrf", &csrf)],
    )
    .await
}

async fn an_owner_decides_with_a_reason_the_requester_reads(db: TestDb) {
    let mut owner = console(&db, Role::Owner(OWNED.into())).await;
    let secret = add_malee(&owner).await;
    let wanted = ask(&db, OWNED, Change::Grant, "ย้ายมาฝ่ายคอมพิวเตอร์").await;

    let page = owner.get("/admin/requests").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("ย้ายมาฝ่ายคอมพิวเตอร์"), "{}", page.body);
    assert!(page
        .body
        .contains(&format!(r#"action="/admin/requests/{wanted}""#)));
    assert!(page
        .body
        .contains(r#"href="/admin/systems/01010101/access""#));
    let approved = decide(&mut owner, &wanted, "approve", "ตามคำสั่งที่ 12/2569").await;
    assert_eq!(approved.location, "/admin/requests?done=approved");
    assert!(may_use(&db, OWNED).await, "an approval grants");
    let page = owner.get("/admin/requests?done=approved").await;
    assert!(page.body.contains(r#"id="no-requests""#), "{}", page.body);

    // A rejection needs a reason; without one nothing changes.
    let dropped = ask(&db, OWNED, Change::Revoke, "ไม่ใช้แล้ว").await;
    let bare = decide(&mut owner, &dropped, "reject", "  ").await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert!(
        bare.body.contains("A rejection needs a reason"),
        "{}",
        bare.body
    );
    assert_eq!(status_of(&db, &dropped).await, "pending");
    let rejected = decide(&mut owner, &dropped, "reject", "ยังต้องปิดงบ <ปี 2569>").await;
    assert_eq!(rejected.location, "/admin/requests?done=rejected");
    assert!(may_use(&db, OWNED).await, "a rejection changes nothing");
    // Decided already: refused, as it was.
    let again = decide(&mut owner, &dropped, "approve", "").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&db, &dropped).await, "rejected");

    // Approving a revoke request takes the access away.
    let revoke = ask(&db, OWNED, Change::Revoke, "ย้ายออกแล้ว").await;
    assert_eq!(
        decide(&mut owner, &revoke, "approve", "").await.location,
        "/admin/requests?done=approved"
    );
    assert!(!may_use(&db, OWNED).await, "an approved revoke revokes");

    // Malee reads each decision and its reason on /permissions.
    let mut malee = malee_signs_in(&owner, &secret).await;
    let mine = malee.get("/permissions").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(
        mine.body
            .contains("<td>อนุมัติแล้ว</td><td>ตามคำสั่งที่ 12/2569</td>"),
        "{}",
        mine.body
    );
    assert!(
        mine.body
            .contains("<td>ไม่อนุมัติ</td><td>ยังต้องปิดงบ &lt;ปี 2569&gt;</td>"),
        "escaped: {}",
        mine.body
    );
    assert!(mine.body.contains("<td>อนุมัติแล้ว</td><td></td>"));
    // and on the systems page, the newest decisions with their reasons.
    let systems_page = malee.get("/systems").await;
    assert!(
        systems_page.body.contains(&format!(
            "<li>{OWNED} ขอเพิ่มสิทธิ์: <strong>อนุมัติแล้ว</strong> ตามคำสั่งที่ 12/2569</li>"
        )),
        "{}",
        systems_page.body
    );
    assert!(
        systems_page.body.contains("ยังต้องปิดงบ &lt;ปี 2569&gt;"),
        "escaped: {}",
        systems_page.body
    );

    let who = demo::USERNAME;
    assert_eq!(
        console_rows(&db, audit::Method::Request).await,
        [
            row(who, "grant request approved", MALEE, OWNED),
            row(who, "revoke request rejected", MALEE, OWNED),
            row(who, "revoke request approved", MALEE, OWNED),
        ]
    );
}

async fn others_are_refused_and_nothing_changes(db: TestDb) {
    // A helpdesk user may not decide.
    let mut helpdesk = console(&db, Role::Helpdesk).await;
    add_malee(&helpdesk).await;
    let ours = ask(&db, OWNED, Change::Grant, "ขอใช้ระบบ").await;
    let theirs = ask(&db, OTHER, Change::Grant, "ขอใช้ระบบงบประมาณ").await;
    assert_eq!(
        helpdesk.get("/admin/requests").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = decide(&mut helpdesk, &ours, "approve", "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = helpdesk.get("/admin").await;
    assert!(!page.body.contains(r#"href="/admin/requests""#));

    // The owner of one system sees only its requests, and may not decide another's.
    grant(&db, Role::Owner(OWNED.into())).await;
    let mut owner = helpdesk;
    let page = owner.get("/admin/requests").await;
    assert!(page.body.contains(&format!(r#"id="request-{ours}""#)));
    assert!(!page.body.contains(&theirs), "{}", page.body);
    for verdict in ["approve", "reject"] {
        let refused = decide(&mut owner, &theirs, verdict, "ไม่ใช่ระบบของท่าน").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{verdict}");
    }
    assert_eq!(status_of(&db, &theirs).await, "pending");
    assert!(!may_use(&db, OTHER).await);
    // Nor see or change who has access to it.
    let path = format!("/admin/systems/{OTHER}/access");
    assert_eq!(owner.get(&path).await.status, StatusCode::FORBIDDEN);
    let csrf = owner.get("/admin/requests").await.csrf();
    let revoke = format!("{path}/revoke");
    let form = [("username", demo::USERNAME), ("csrf", &csrf)];
    assert_eq!(
        owner.post(&revoke, &form).await.status,
        StatusCode::FORBIDDEN
    );
    let demo_systems = systems::of_user(&db.pool, demo::USERNAME).await.unwrap();
    assert!(demo_systems.iter().any(|p| p.system.code == OWNED));

    // Without the form's CSRF token: refused, nothing changed.
    let path = format!("/admin/requests/{ours}");
    let stale = owner.post(&path, &[("verdict", "approve")]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let stale = owner
        .post(
            &format!("/admin/systems/{OWNED}/access/revoke"),
            &[("username", demo::USERNAME)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&db, &ours).await, "pending");
    assert!(console_rows(&db, audit::Method::Request).await.is_empty());
    assert!(console_rows(&db, audit::Method::Access).await.is_empty());

    // An admin sees and decides every system's.
    grant(&db, Role::Admin).await;
    let page = owner.get("/admin/requests").await;
    assert!(page.body.contains(&format!(r#"id="request-{theirs}""#)));
    let approved = decide(&mut owner, &theirs, "approve", "").await;
    assert_eq!(approved.location, "/admin/requests?done=approved");
    assert!(may_use(&db, OTHER).await);
}

async fn an_owner_revokes_access_and_names_people_in_the_system(db: TestDb) {
    let mut owner = console(&db, Role::Owner(OWNED.into())).await;
    add_malee(&owner).await;
    systems::grant(&db.pool, MALEE, OWNED).await.unwrap();
    let path = format!("/admin/systems/{OWNED}/access");
    let page = owner.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"<tr id="holder-malee.s">"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("มาลี สุขใจ"));
    assert!(page
        .body
        .contains(&format!(r#"id="holder-{}""#, demo::USERNAME)));
    let csrf = page.csrf();

    let name = |account_name: &'static str| {
        [
            ("username", MALEE),
            ("account_name", account_name),
            ("csrf", csrf.as_str()),
        ]
    };
    let named = owner
        .post(&format!("{path}/name"), &name(" m01010101 "))
        .await;
    assert_eq!(named.location, format!("{path}?done=named"));
    let name_in = || systems::name_in(&db.pool, MALEE, OWNED);
    assert_eq!(name_in().await.unwrap(), "m01010101");
    let page = owner.get(&format!("{path}?done=named")).await;
    assert!(page
        .body
        .contains(r#"<td class="account-name">m01010101</td>"#));
    let bad = owner.post(&format!("{path}/name"), &name("m01\u{7}")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(name_in().await.unwrap(), "m01010101");
    let cleared = owner.post(&format!("{path}/name"), &name("")).await;
    assert_eq!(cleared.location, format!("{path}?done=named"));
    assert_eq!(name_in().await.unwrap(), MALEE);

    let revoke = [("username", MALEE), ("csrf", csrf.as_str())];
    let revoked = owner.post(&format!("{path}/revoke"), &revoke).await;
    assert_eq!(revoked.location, format!("{path}?done=revoked"));
    assert!(!may_use(&db, OWNED).await);
    let page = owner.get(&path).await;
    assert!(!page.body.contains("holder-malee.s"), "{}", page.body);
    let again = owner.post(&format!("{path}/revoke"), &revoke).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("has no permission"), "{}", again.body);

    let who = demo::USERNAME;
    assert_eq!(
        console_rows(&db, audit::Method::Access).await,
        [
            row(who, "account name set", MALEE, OWNED),
            row(who, "account name cleared", MALEE, OWNED),
            row(who, "access revoked", MALEE, OWNED),
        ]
    );

    // A long list comes a page at a time, by user name: the demo person is 51st.
    for n in 0..50 {
        let user = format!("a.staff.{n:02}");
        users::add(&db.pool, &user, "พนักงาน", None, 0)
            .await
            .unwrap();
        systems::grant(&db.pool, &user, OWNED).await.unwrap();
    }
    let first = owner.get(&path).await;
    assert!(first.body.contains(&format!(r#"href="{path}?page=2""#)));
    assert!(!first
        .body
        .contains(&format!(r#"id="holder-{}""#, demo::USERNAME)));
    let second = owner.get(&format!("{path}?page=2")).await;
    assert!(second
        .body
        .contains(&format!(r#"id="holder-{}""#, demo::USERNAME)));
}

async fn the_command_line_decides_with_a_reason(db: TestDb) {
    let b = browser(&db).await;
    add_malee(&b).await;
    let wanted = ask(&db, OWNED, Change::Grant, "ขอใช้ระบบ").await;
    let dropped = ask(&db, OTHER, Change::Grant, "ขอใช้ระบบงบประมาณ").await;
    // Ids are base64url: one in 64 begins with '-', which the command line takes as an id.
    let dropped = format!("-{dropped}");
    sqlx::query("UPDATE permission_requests SET id = $1 WHERE id = $2")
        .bind(&dropped)
        .bind(&dropped[1..])
        .execute(&db.pool)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
            .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), said)
    };
    let (ok, said) = run(&["permission", "reject", &dropped]);
    assert!(!ok && said.contains("reason"), "{said}");
    assert_eq!(status_of(&db, &dropped).await, "pending");
    let (ok, said) = run(&["permission", "reject", &dropped, "--reason", "ไม่ใช่งาน"]);
    assert!(ok, "{said}");
    let printed = format!("{dropped}: rejected");
    assert_eq!(said.lines().next(), Some(printed.as_str()), "{said}");
    let (ok, said) = run(&["permission", "approve", &wanted, "--reason", "ตามคำสั่ง"]);
    assert!(ok, "{said}");
    let decided = systems::find_request(&db.pool, &wanted)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            decided.decision_reason.as_deref(),
            decided.decided_by.as_deref()
        ),
        (Some("ตามคำสั่ง"), Some(audit::CLI))
    );
    assert!(may_use(&db, OWNED).await);
    assert_eq!(
        console_rows(&db, audit::Method::Request).await,
        [
            row("cli", "grant request rejected", MALEE, OTHER),
            row("cli", "grant request approved", MALEE, OWNED),
        ]
    );
    // Access taken away from the command line is audited as the console's is.
    let (ok, said) = run(&["permission", "revoke", MALEE, OWNED]);
    assert!(ok, "{said}");
    assert_eq!(
        console_rows(&db, audit::Method::Access).await,
        [row("cli", "access revoked", MALEE, OWNED)]
    );
}
