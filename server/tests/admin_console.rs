//! The admin console's gate and roles (SPEC §7b): without a role `/admin` is 403; a role
//! opens only its own pages; the console wants a two-factor sign-in from the last 15
//! minutes, so the card alone or an older sign-in is asked for the OTP and comes back;
//! roles are granted from the console by an admin and from the command line, each change
//! audited with who made it.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use std::process::Command;
use support::browser::{browser, Browser};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo, otp};

on_both_databases!(
    without_a_role_the_console_is_forbidden,
    the_card_alone_or_an_old_sign_in_is_asked_for_the_otp,
    an_admin_grants_roles_and_each_role_opens_its_pages,
    the_command_line_grants_and_revokes_roles,
);

/// A code the next OTP check accepts that leaves the current step for the one after it:
/// the previous step's (a code counts once), away from a step's last seconds.
fn earlier_code(b: &Browser) -> String {
    let now = thaiid_server::now() as u64;
    if now % otp::STEP_SECS > otp::STEP_SECS - 5 {
        std::thread::sleep(std::time::Duration::from_secs(6));
    }
    let now = thaiid_server::now() as u64;
    otp::code_at(&b.seeded.otp_secret, now - otp::STEP_SECS).unwrap()
}

fn code_now(b: &Browser) -> String {
    demo::otp_now(&b.seeded, thaiid_server::now()).unwrap()
}

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

async fn without_a_role_the_console_is_forbidden(db: TestDb) {
    let mut b = browser(&db).await;
    // Nobody signed in: the login page, which comes back here.
    let page = b.get("/admin").await;
    assert_eq!(
        (page.status, page.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    b.password(demo::PASSWORD).await;
    let back = b.otp(&code_now(&b)).await;
    assert!(back.body.contains(r#"href="/admin""#), "{}", back.body);
    for path in ["/admin", "/admin/roles", "/admin/people", "/admin/audit"] {
        let page = b.get(path).await;
        if page.status == StatusCode::NOT_FOUND {
            continue; // a page of a later change
        }
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("ไม่มีสิทธิ์"), "{path}: {}", page.body);
    }
}

async fn the_card_alone_or_an_old_sign_in_is_asked_for_the_otp(db: TestDb) {
    let mut b = browser(&db).await;
    grant(&db, Role::Helpdesk).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = b.card_login(&agent, &TestCard::demo()).await.unwrap();
    assert_eq!(card.location, "/systems");
    // The card alone: the OTP, then back to the page asked for.
    let page = b.get("/admin?from=card").await;
    assert_eq!(page.location, "/login/otp");
    let otp_page = b.get("/login/otp").await;
    assert!(otp_page.body.contains(r#"name="code""#));
    let back = b.otp(&earlier_code(&b)).await;
    assert!(
        back.body.contains(r#"href="/admin?from=card""#),
        "{} {} {}",
        back.status,
        back.location,
        back.body
    );
    let page = b.get("/admin?from=card").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<li>helpdesk</li>"), "{}", page.body);
    assert!(page.body.contains(r#"href="/admin/people""#));
    assert!(
        !page.body.contains(r#"href="/admin/roles""#),
        "not an admin's"
    );

    // Sixteen minutes later the sign-in is too old for the console: the OTP again.
    sqlx::query("UPDATE sessions SET created_at = created_at - 960 WHERE id_hash = $1")
        .bind(b.session_hash())
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(b.get("/admin").await.location, "/login/otp");
    b.otp(&code_now(&b)).await;
    assert_eq!(b.get("/admin").await.status, StatusCode::OK);
}

async fn an_admin_grants_roles_and_each_role_opens_its_pages(db: TestDb) {
    let mut b = browser(&db).await;
    grant(&db, Role::Helpdesk).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    // A helpdesk user cannot change roles, with or without the form's token.
    let page = b.get("/admin").await;
    let refused = b
        .post(
            "/admin/roles",
            &[
                ("username", demo::USERNAME),
                ("role", "admin"),
                ("change", "grant"),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/admin/roles").await.status, StatusCode::FORBIDDEN);
    assert!(!roles::of_user(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .contains(&Role::Admin));

    grant(&db, Role::Admin).await;
    let page = b.get("/admin/roles").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // No CSRF token: refused, nothing changed.
    let stale = b
        .post(
            "/admin/roles",
            &[
                ("username", "somchai.t"),
                ("role", "auditor"),
                ("change", "grant"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    // An owner needs a system that exists.
    let bad = b
        .post(
            "/admin/roles",
            &[
                ("username", demo::USERNAME),
                ("role", "owner"),
                ("system", "99999999"),
                ("change", "grant"),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("no system"), "{}", bad.body);
    let done = b
        .post(
            "/admin/roles",
            &[
                ("username", demo::USERNAME),
                ("role", "owner"),
                ("system", "01010101"),
                ("change", "grant"),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(done.location, "/admin/roles?done=1");
    let page = b.get("/admin/roles?done=1").await;
    assert!(
        page.body.contains("<td>owner</td><td>01010101</td>"),
        "{}",
        page.body
    );
    // The audit log names who did it: the admin at the console, the command line.
    let rows = audit::recent(&db.pool, 10).await.unwrap();
    let changes: Vec<(Option<&str>, Option<&str>, Option<&str>)> = rows
        .iter()
        .filter(|row| row.entry.method == audit::Method::Role)
        .map(|row| {
            (
                row.entry.actor.as_deref(),
                row.entry.detail.as_deref(),
                row.entry.system.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                Some(demo::USERNAME),
                Some("owner granted"),
                Some("01010101")
            ),
            (Some("cli"), Some("admin granted"), None),
            (Some("cli"), Some("helpdesk granted"), None),
        ]
    );
}

async fn the_command_line_grants_and_revokes_roles(db: TestDb) {
    let _ = browser(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
            .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
            .output()
            .unwrap()
    };
    let said = |output: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let out = |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();
    let user = demo::USERNAME;
    let granted = run(&["role", "grant", user, "owner", "--system", "01010101"]);
    assert!(granted.status.success(), "{}", said(&granted));
    assert_eq!(out(&granted).trim(), format!("{user} is owner of 01010101"));
    let again = run(&["role", "grant", user, "owner", "--system", "01010101"]);
    assert!(out(&again).contains("(held already)"));
    assert!(run(&["role", "grant", user, "auditor"]).status.success());
    let list = run(&["role", "list"]);
    assert_eq!(
        out(&list),
        format!("{user}\tauditor\t\n{user}\towner\t01010101\n")
    );
    for (args, says) in [
        (&["role", "grant", user, "owner"][..], "--system CODE"),
        (
            &["role", "grant", user, "auditor", "--system", "01010101"][..],
            "leave --system out",
        ),
        (&["role", "grant", user, "root"][..], "is no role"),
        (&["role", "grant", "nobody.here", "auditor"][..], "no user"),
        (&["role", "revoke", user, "admin"][..], "does not hold"),
    ] {
        let refused = run(args);
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            said(&refused).contains(says),
            "{args:?}: {}",
            said(&refused)
        );
    }
    let revoked = run(&["role", "revoke", user, "owner", "--system", "01010101"]);
    assert!(revoked.status.success(), "{}", said(&revoked));
    assert_eq!(
        roles::of_user(&db.pool, user).await.unwrap(),
        [Role::Auditor]
    );
}
