//! The admins' pages (systems, agents, enrollment tokens, API keys; SPEC §7b) refuse
//! everyone else: helpdesk, a system's owner and an auditor get `403` on every page and
//! every form, with a valid CSRF token; and an admin's form without its CSRF token is
//! refused. Nothing changes, and no admin action is audited.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::console::{admin_rows, console_as};
use support::{TestAgent, TestDb};
use thaiid_server::audit::{self, Method};
use thaiid_server::roles::{self, Role};
use thaiid_server::{agents, api_keys, demo, systems, tokens};

on_both_databases!(others_are_refused_and_nothing_changes);

const PAGES: &[&str] = &[
    "/admin/systems",
    "/admin/systems/01010101",
    "/admin/agents",
    "/admin/agents/tokens",
    "/admin/api-keys",
];

/// Each form, filled in as an admin would, so that only the refusal stops it.
fn forms(agent: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let text = |pairs: &[(&'static str, &str)]| {
        pairs
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect::<Vec<_>>()
    };
    vec![
        (
            "/admin/systems",
            text(&[
                ("code", "05050505"),
                ("name", "ระบบลาออนไลน์"),
                ("redirect_uris", "https://leave.example.go.th/cb"),
                ("level", "one-factor"),
            ]),
        ),
        (
            "/admin/systems/01010101",
            text(&[("name", "ระบบใหม่"), ("level", "two-factor")]),
        ),
        ("/admin/systems/01010101/secret", Vec::new()),
        ("/admin/agents/revoke", text(&[("id", agent)])),
        (
            "/admin/agents/tokens",
            text(&[("uses", "1"), ("ttl", "1h")]),
        ),
        (
            "/admin/api-keys",
            text(&[
                ("name", "hr-portal"),
                ("origins", "https://hr.example.go.th"),
            ]),
        ),
    ]
}

/// The demo person holds `role` alone from now on.
async fn hold_only(db: &TestDb, role: &Role) {
    for held in roles::of_user(&db.pool, demo::USERNAME).await.unwrap() {
        roles::revoke(&db.pool, demo::USERNAME, &held, audit::CLI, 0)
            .await
            .unwrap();
    }
    roles::grant(&db.pool, demo::USERNAME, role, audit::CLI, 0)
        .await
        .unwrap();
}

async fn others_are_refused_and_nothing_changes(db: TestDb) {
    let mut b = console_as(&db, Role::Helpdesk).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let name_before = systems::all(&db.pool).await.unwrap();
    for role in [
        Role::Helpdesk,
        Role::Owner("01010101".into()),
        Role::Auditor,
    ] {
        hold_only(&db, &role).await;
        let csrf = b.get("/admin").await.csrf();
        for path in PAGES {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role}: {path}");
            assert!(page.body.contains("ไม่มีสิทธิ์"));
        }
        for (path, form) in forms(&agent.id) {
            let mut form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            form.push(("csrf", &csrf));
            let refused = b.post(path, &form).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role}: {path}");
        }
    }
    // An admin, but the forms come without their CSRF token.
    hold_only(&db, &Role::Admin).await;
    assert_eq!(b.get("/admin/systems").await.status, StatusCode::OK);
    for (path, form) in forms(&agent.id) {
        let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let refused = b.post(path, &form).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF: {path}");
        assert!(refused.body.contains("แบบฟอร์มนี้หมดอายุ"), "{path}");
    }

    assert_eq!(systems::all(&db.pool).await.unwrap(), name_before);
    assert!(!agents::list(&db.pool).await.unwrap()[0].revoked);
    assert!(tokens::live(&db.pool, thaiid_server::now())
        .await
        .unwrap()
        .is_empty());
    assert!(api_keys::list(&db.pool).await.unwrap().is_empty());
    for method in [
        Method::SystemAdmin,
        Method::AgentAdmin,
        Method::EnrollToken,
        Method::ApiKey,
    ] {
        assert!(admin_rows(&db, method).await.is_empty(), "{method:?}");
    }
}
