//! The admin console in tests: a browser signed in by password + OTP as the demo person
//! holding a role, and what the audit log says an admin did.

use super::browser::{browser, Browser};
use super::TestDb;
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo};

/// A browser signed in to the console as the demo person, who holds `role`.
pub async fn console_as(db: &TestDb, role: Role) -> Browser {
    let mut b = browser(db).await;
    roles::grant(
        &db.pool,
        demo::USERNAME,
        &role,
        audit::CLI,
        thaiid_server::now(),
    )
    .await
    .unwrap();
    b.password(demo::PASSWORD).await;
    let code = demo::otp_now(&b.seeded, thaiid_server::now()).unwrap();
    b.otp(&code).await;
    assert_eq!(b.get("/admin").await.status, axum::http::StatusCode::OK);
    b
}

/// The audit rows of `method`, newest first: (actor, system, agent, detail).
pub async fn admin_rows(
    db: &TestDb,
    method: audit::Method,
) -> Vec<(String, Option<String>, Option<String>, String)> {
    audit::recent(&db.pool, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.entry.method == method)
        .map(|row| {
            (
                row.entry.actor.unwrap_or_default(),
                row.entry.system,
                row.entry.agent_id,
                row.entry.detail.unwrap_or_default(),
            )
        })
        .collect()
}

/// What a page shows between `<code id="ID">` and `</code>`: a value shown once.
pub fn shown(body: &str, id: &str) -> String {
    let start = format!(r#"<code id="{id}">"#);
    let (_, rest) = body
        .split_once(&start)
        .unwrap_or_else(|| panic!("no {id} on the page: {body}"));
    rest.split_once("</code>").unwrap().0.to_owned()
}

/// Every text column of the audit log, for a secret that must not be there.
pub async fn audit_text(db: &TestDb) -> String {
    audit::recent(&db.pool, 1000)
        .await
        .unwrap()
        .iter()
        .map(|row| format!("{:?}", row.entry))
        .collect()
}
