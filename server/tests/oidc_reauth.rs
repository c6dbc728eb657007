//! The OpenID Connect provider's re-authentication, on SQLite and PostgreSQL: `prompt=login`
//! and `max_age` send a person signed in through the login page again (as the same person
//! or another), the ID token's `auth_time` is the new login; and the audit rows of codes
//! issued and of `access_denied`.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use support::browser::Browser;
use support::oidc::{
    code_for, exchange, log_in_by_password, new_pkce, redirected, request, token, verified,
    with_clients, Pkce, BUDGET, BUDGET_CALLBACK, HR, HR_CALLBACK,
};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::audit::{self, Method};
use thaiid_server::{demo, users};

on_both_databases!(
    prompt_login_logs_in_again_and_auth_time_is_the_new_login,
    prompt_login_as_another_person_signs_in_that_person,
    max_age_asks_for_a_login_only_when_it_is_older,
    sign_ins_to_systems_are_audited,
);

/// The code `b` is sent back to `callback` with when it asks for `path` (signed in already).
async fn code_at(b: &mut Browser, path: &str, callback: &str) -> String {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let back = redirected(&page.location, callback);
    back.get("code")
        .unwrap_or_else(|| panic!("no code: {back:?}"))
        .clone()
}

/// The verified ID token's claims for `code`, a code of `HR`.
async fn hr_claims(b: &Browser, secrets: &HashMap<&str, String>, code: &str, pkce: &Pkce) -> Value {
    let (status, tokens) = token(
        b,
        &exchange(code, HR_CALLBACK, pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    verified(b, tokens["id_token"].as_str().unwrap()).await
}

/// Moves the browser's login `secs` into the past; answers its time.
async fn age_login(b: &Browser, secs: i64) -> i64 {
    let at = thaiid_server::now() - secs;
    sqlx::query("UPDATE sessions SET created_at = $1 WHERE id_hash = $2")
        .bind(at)
        .bind(b.session_hash())
        .execute(&b.pool)
        .await
        .unwrap();
    at
}

fn demo_card() -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    }
}

async fn prompt_login_logs_in_again_and_auth_time_is_the_new_login(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    log_in_by_password(&mut b).await;
    let first_login = age_login(&b, 3600).await;
    let signed_in = b.cookie.clone();
    assert_eq!(
        b.get("/login").await.location,
        "/systems",
        "signed in, nothing asked"
    );
    // Without prompt: straight back, auth_time the first login.
    let pkce = new_pkce();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    assert_eq!(
        hr_claims(&b, &secrets, &code, &pkce).await["auth_time"],
        first_login
    );

    // prompt=login: the login page, no code, though signed in.
    let ask = format!("{}&prompt=login", request(HR, HR_CALLBACK, &pkce));
    let page = b.get(&ask).await;
    assert_eq!(
        (page.status, page.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let login = b.get("/login").await;
    assert_eq!(login.status, StatusCode::OK, "the login page, not /systems");
    assert!(login.body.contains("log in again"), "{}", login.body);
    assert!(login.body.contains(r#"id="password-login""#));
    // Asked again (the back button): still the login page; and still signed in meanwhile.
    assert_eq!(b.get(&ask).await.location, "/login");
    assert_eq!(b.get("/systems").await.status, StatusCode::OK);
    assert_eq!(b.cookie, signed_in);

    // The card this time: back to the request, in a new session, and a code.
    let relogin = thaiid_server::now();
    let done = b.card_login(&agent, &demo_card()).await.unwrap();
    assert_eq!(done.next(), ask, "back to the request after the new login");
    assert_ne!(b.cookie, signed_in, "a new session id at the new login");
    let code = code_at(&mut b, &ask, HR_CALLBACK).await;
    let claims = hr_claims(&b, &secrets, &code, &pkce).await;
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!(auth_time >= relogin && auth_time > first_login, "{claims}");
    assert_eq!(claims["amr"], json!(["card"]));
    assert_eq!(claims["preferred_username"], demo::USERNAME);
    assert_eq!(
        b.get("/login").await.location,
        "/systems",
        "nothing asked now"
    );
    // The new login counts once: the same request again wants another.
    assert_eq!(b.get(&ask).await.location, "/login");
    // The old session is gone: its id logs nobody in.
    b.cookie = signed_in;
    assert_eq!(b.get("/systems").await.location, "/login");

    // prompt=login from nobody signed in: one login is enough.
    b.cookie = None;
    let pkce = new_pkce();
    let ask = format!("{}&prompt=login", request(HR, HR_CALLBACK, &pkce));
    assert_eq!(b.get(&ask).await.location, "/login");
    let done = b.card_login(&agent, &demo_card()).await.unwrap();
    assert_eq!(done.next(), ask);
    let code = code_at(&mut b, &ask, HR_CALLBACK).await;
    assert_eq!(
        hr_claims(&b, &secrets, &code, &pkce).await["preferred_username"],
        demo::USERNAME
    );
}

async fn prompt_login_as_another_person_signs_in_that_person(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", Some("1101700203450"), now)
        .await
        .unwrap();
    users::set_password(&db.pool, "malee.s", "malee-password-2569")
        .await
        .unwrap();
    let secret = users::enrol_otp(&db.pool, &b.otp_key, "malee.s")
        .await
        .unwrap();
    thaiid_server::systems::grant(&db.pool, "malee.s", HR)
        .await
        .unwrap();
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    let ask = format!("{}&prompt=login", request(HR, HR_CALLBACK, &pkce));
    assert_eq!(b.get(&ask).await.location, "/login");
    // Another person logs in at this browser.
    b.password_as("malee.s", "malee-password-2569").await;
    let otp = thaiid_server::otp::code_at(&secret, thaiid_server::now() as u64).unwrap();
    assert_eq!(b.otp(&otp).await.next(), ask);
    let code = code_at(&mut b, &ask, HR_CALLBACK).await;
    let claims = hr_claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(claims["preferred_username"], "malee.s");
    assert_eq!(claims["name"], "มาลี สุขใจ");
    // And the browser is hers from now on.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    assert_eq!(
        hr_claims(&b, &secrets, &code, &pkce).await["preferred_username"],
        "malee.s"
    );
}

async fn max_age_asks_for_a_login_only_when_it_is_older(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    log_in_by_password(&mut b).await;
    let logged_in = age_login(&b, 600).await;
    let pkce = new_pkce();
    let with = |extra: &str| format!("{}&{extra}", request(HR, HR_CALLBACK, &pkce));

    // Not exceeded (with room: a second may pass between the ageing and the request):
    // straight back, auth_time in the ID token. consent and select_account need nothing.
    for extra in [
        "max_age=3600",
        "max_age=900&prompt=consent%20select_account",
    ] {
        let code = code_at(&mut b, &with(extra), HR_CALLBACK).await;
        let claims = hr_claims(&b, &secrets, &code, &pkce).await;
        assert_eq!(claims["auth_time"], logged_in, "{extra}");
    }
    // Exceeded, or 0: the login page; with prompt=none, login_required to the system.
    for extra in ["max_age=300", "max_age=0"] {
        let page = b.get(&with(extra)).await;
        assert_eq!(page.location, "/login", "{extra}");
    }
    let page = b.get(&with("max_age=300&prompt=none")).await;
    let back = redirected(&page.location, HR_CALLBACK);
    assert_eq!(
        back.get("error").map(String::as_str),
        Some("login_required")
    );
    assert!(back["error_description"].contains("max_age"), "{back:?}");
    assert_eq!(back.get("state").map(String::as_str), Some("st-1"));
    assert!(!back.contains_key("code"));

    // max_age=0 after its login: a code, not the login page again.
    let ask = with("max_age=0");
    assert_eq!(b.get(&ask).await.location, "/login");
    let done = b.card_login(&agent, &demo_card()).await.unwrap();
    assert_eq!(done.next(), ask);
    let code = code_at(&mut b, &ask, HR_CALLBACK).await;
    let claims = hr_claims(&b, &secrets, &code, &pkce).await;
    assert!(
        claims["auth_time"].as_i64().unwrap() > logged_in,
        "{claims}"
    );
}

async fn sign_ins_to_systems_are_audited(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    code_for(&mut b, HR, HR_CALLBACK, &new_pkce()).await;
    let page = b.get(&request(BUDGET, BUDGET_CALLBACK, &new_pkce())).await;
    assert_eq!(
        redirected(&page.location, BUDGET_CALLBACK)
            .get("error")
            .map(String::as_str),
        Some("access_denied")
    );
    let mut rows = audit::recent(&db.pool, 100).await.unwrap();
    rows.retain(|row| row.entry.method == Method::System);
    let seen: Vec<String> = rows
        .iter()
        .map(|row| {
            let e = &row.entry;
            let amr = e.amr.map(|amr| amr.as_str());
            format!("{} {:?} {:?} {amr:?}", e.outcome, e.system, e.username)
        })
        .collect();
    let user = demo::USERNAME;
    assert_eq!(
        seen,
        [
            format!(r#"ACCESS_DENIED Some("{BUDGET}") Some("{user}") Some("pwd otp")"#),
            format!(r#"OK Some("{HR}") Some("{user}") Some("pwd otp")"#),
        ]
    );
    assert!(rows.iter().all(|row| row.entry.citizen_id.is_none()));
    // The person's own list of logins on /me is of logins, not of systems.
    let me = b.get("/me").await;
    assert!(!me.body.contains("<td>system</td>"), "{}", me.body);
    // `thaiid-server audit` shows them.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["audit", "--limit", "100"]);
    assert_eq!(code, Some(0), "{err}");
    let line = |outcome: &str, system: &str| {
        out.lines()
            .find(|line| line.contains(&format!("\tsystem\t{outcome}\t")))
            .unwrap_or_else(|| panic!("no {outcome} row: {out}"))
            .ends_with(&format!("\t{system}\tpwd otp"))
    };
    assert!(line("OK", HR) && line("ACCESS_DENIED", BUDGET), "{out}");
    assert!(!out.contains(demo::CITIZEN_ID));
}
