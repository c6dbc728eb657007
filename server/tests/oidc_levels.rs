//! Assurance levels (SPEC §7), on SQLite and PostgreSQL: `acr` in the ID token for each
//! login; a two-factor system, or `acr_values` asking for two factors, steps a card
//! session up to the OTP page alone and then goes on with `acr` two-factor and `amr`
//! card + otp; password + OTP goes straight through; `acr_values` with no level of ours
//! is `access_denied`, audited; an account without an OTP gets a page that says where to
//! set it up (`access_denied` with `prompt=none`); discovery's `acr_values_supported`;
//! `system require` and `system add --require`.

use thaiid_server::on_both_databases;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use support::browser::{code_now, url_encode, Browser};
use support::oidc::{
    call, code_for, exchange, log_in_by_password, new_pkce, redirected, request, token, verified,
    with_clients, Pkce, HR, HR_CALLBACK,
};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::amr::Level;
use thaiid_server::audit::{self, Method};
use thaiid_server::{demo, systems};

on_both_databases!(
    discovery_lists_the_acr_values,
    acr_says_the_level_of_each_login,
    a_two_factor_system_steps_a_card_session_up_to_the_otp,
    password_and_otp_go_straight_through_a_two_factor_system,
    acr_values_asking_two_factors_step_up_a_one_factor_system,
    acr_values_with_no_level_of_ours_are_refused_and_audited,
    without_an_otp_the_step_up_says_where_to_set_it_up,
    the_command_line_sets_a_system_s_level,
);

const ONE: &str = "urn:thaiid:acr:one-factor";
const TWO: &str = "urn:thaiid:acr:two-factor";

fn demo_card() -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    }
}

/// HR's request with `acr_values`.
fn asking(pkce: &Pkce, acr_values: &str) -> String {
    format!(
        "{}&acr_values={}",
        request(HR, HR_CALLBACK, pkce),
        url_encode(acr_values)
    )
}

/// The code `b` is sent back to HR with when it asks for `path`.
async fn code_at(b: &mut Browser, path: &str) -> String {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let back = redirected(&page.location, HR_CALLBACK);
    back.get("code")
        .unwrap_or_else(|| panic!("no code: {back:?}"))
        .clone()
}

/// HR's verified ID token claims for `code`.
async fn claims(b: &Browser, secrets: &HashMap<&str, String>, code: &str, pkce: &Pkce) -> Value {
    let form = exchange(code, HR_CALLBACK, pkce);
    let (status, tokens) = token(b, &form, Some((HR, &secrets[HR]))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    verified(b, tokens["id_token"].as_str().unwrap()).await
}

/// `SELECT amr FROM sessions` of the browser's session.
async fn session_amr(b: &Browser) -> Option<String> {
    sqlx::query_scalar("SELECT amr FROM sessions WHERE id_hash = $1")
        .bind(b.session_hash())
        .fetch_one(&b.pool)
        .await
        .unwrap()
}

/// The outcomes of the sign-ins to systems, oldest first.
async fn system_outcomes(b: &Browser) -> Vec<(String, Option<String>)> {
    let mut rows = audit::recent(&b.pool, 100).await.unwrap();
    rows.retain(|row| row.entry.method == Method::System);
    rows.reverse();
    rows.into_iter()
        .map(|row| (row.entry.outcome, row.entry.username))
        .collect()
}

async fn discovery_lists_the_acr_values(db: TestDb) {
    let (b, _) = with_clients(&db).await;
    let request = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    let (status, metadata) = call(&b, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metadata["acr_values_supported"], json!([ONE, TWO]));
    let claims = metadata["claims_supported"].as_array().unwrap();
    assert!(claims.contains(&json!("acr")), "{metadata}");
}

async fn acr_says_the_level_of_each_login(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    b.card_login(&agent, &demo_card()).await.unwrap();
    let pkce = new_pkce();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let card = claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(
        (&card["acr"], &card["amr"]),
        (&json!(ONE), &json!(["card"]))
    );
    // acr_values naming one factor, or both levels: the card alone meets it.
    for acr_values in [ONE, &format!("{TWO} {ONE}")] {
        let code = code_at(&mut b, &asking(&pkce, acr_values)).await;
        assert_eq!(claims(&b, &secrets, &code, &pkce).await["acr"], ONE);
    }

    let mut b =
        support::browser::browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    log_in_by_password(&mut b).await;
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let pwd = claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(
        (&pwd["acr"], &pwd["amr"]),
        (&json!(TWO), &json!(["pwd", "otp"]))
    );
}

async fn a_two_factor_system_steps_a_card_session_up_to_the_otp(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    systems::require(&db.pool, HR, Level::TwoFactor)
        .await
        .unwrap();
    // Nobody signed in: the login page, as for any system.
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    assert_eq!(b.get(&ask).await.location, "/login");
    let done = b.card_login(&agent, &demo_card()).await.unwrap();
    assert_eq!(done.next(), ask, "back to the request after the card");
    let by_card = b.cookie.clone();
    // The card alone is short of the system's level: the OTP page, no code.
    let page = b.get(&ask).await;
    assert_eq!(
        (page.status, page.location.as_str()),
        (StatusCode::SEE_OTHER, "/login/otp")
    );
    assert_eq!(
        b.get(&ask).await.location,
        "/login/otp",
        "asked again: same"
    );
    let page = b.get("/login/otp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("This system needs the OTP too"),
        "{}",
        page.body
    );
    assert!(page.body.contains("ต้องยืนยันตัวตนสองขั้น"), "{}", page.body);
    let form = page
        .body
        .split_once("<form method=\"post\" action=\"/login/otp\"")
        .unwrap()
        .1;
    let form = form.split_once("</form>").unwrap().0;
    assert_eq!(form.matches("<input").count(), 2, "code and the CSRF token");
    assert!(form.contains(r#"<input name="code""#));
    // Still signed in by the card meanwhile: other pages work.
    assert_eq!(b.get("/systems").await.status, StatusCode::OK);

    let wrong = b.otp("000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("This system needs the OTP too"));
    let done = b.otp(&code_now(&b)).await;
    assert_eq!(done.next(), ask, "on to the system");
    assert_ne!(b.cookie, by_card, "a new session id at the step-up");
    assert_eq!(session_amr(&b).await.as_deref(), Some("card otp"));
    let code = code_at(&mut b, &ask).await;
    let claims = claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(claims["acr"], TWO);
    assert_eq!(claims["amr"], json!(["card", "otp"]));
    assert_eq!(claims["preferred_username"], demo::USERNAME);
    // Signed in with two factors now: straight through, no second OTP.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    assert!(!code.is_empty());
    let mut otp = b.outcomes(Method::Otp).await;
    otp.sort();
    assert_eq!(otp, ["BAD_OTP", "OK"]);
    // The old session, by card alone, is gone.
    b.cookie = by_card;
    assert_eq!(b.get("/systems").await.location, "/login");
}

async fn password_and_otp_go_straight_through_a_two_factor_system(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    systems::require(&db.pool, HR, Level::TwoFactor)
        .await
        .unwrap();
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    let code = code_at(&mut b, &asking(&pkce, TWO)).await;
    let claims = claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(
        (&claims["acr"], &claims["amr"]),
        (&json!(TWO), &json!(["pwd", "otp"]))
    );
}

async fn acr_values_asking_two_factors_step_up_a_one_factor_system(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let done = b.card_login(&agent, &demo_card()).await.unwrap();
    assert_eq!(done.location, "/systems");
    let pkce = new_pkce();
    // The system needs one factor; the request asks for two (and names a value not ours).
    let ask = asking(&pkce, &format!("urn:other:gold {TWO}"));
    // prompt=none cannot show the OTP page.
    let silent = b.get(&format!("{ask}&prompt=none")).await;
    let back = redirected(&silent.location, HR_CALLBACK);
    assert_eq!(back["error"], "interaction_required", "{back:?}");
    assert_eq!(back["state"], "st-1");
    assert_eq!(b.get(&ask).await.location, "/login/otp");
    let done = b.otp(&code_now(&b)).await;
    assert_eq!(done.next(), ask);
    let code = code_at(&mut b, &ask).await;
    let claims = claims(&b, &secrets, &code, &pkce).await;
    assert_eq!(
        (&claims["acr"], &claims["amr"]),
        (&json!(TWO), &json!(["card", "otp"]))
    );
}

async fn acr_values_with_no_level_of_ours_are_refused_and_audited(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    let pkce = new_pkce();
    // Nobody signed in: refused at once, not after a login.
    for acr_values in [
        "urn:other:gold",
        "0",
        "two-factor",
        "URN:THAIID:ACR:TWO-FACTOR",
    ] {
        let page = b.get(&asking(&pkce, acr_values)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let back = redirected(&page.location, HR_CALLBACK);
        assert_eq!(back["error"], "access_denied", "{acr_values}: {back:?}");
        assert!(back["error_description"].contains("acr_values"), "{back:?}");
        assert_eq!(back["state"], "st-1");
    }
    // Signed in: refused too, no code, and the audit names the person and the system.
    log_in_by_password(&mut b).await;
    let page = b.get(&asking(&pkce, "urn:other:gold")).await;
    let back = redirected(&page.location, HR_CALLBACK);
    assert_eq!(back["error"], "access_denied");
    assert!(!back.contains_key("code"));
    let outcomes = system_outcomes(&b).await;
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    assert!(outcomes[..4]
        .iter()
        .all(|row| *row == ("INSUFFICIENT_LEVEL".to_owned(), None)));
    assert_eq!(
        outcomes[4],
        (
            "INSUFFICIENT_LEVEL".to_owned(),
            Some(demo::USERNAME.to_owned())
        )
    );
    let rows = audit::recent(&b.pool, 1).await.unwrap();
    assert_eq!(rows[0].entry.system.as_deref(), Some(HR));
}

async fn without_an_otp_the_step_up_says_where_to_set_it_up(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    sqlx::query("UPDATE users SET totp_secret = NULL WHERE username = $1")
        .bind(demo::USERNAME)
        .execute(&db.pool)
        .await
        .unwrap();
    systems::require(&db.pool, HR, Level::TwoFactor)
        .await
        .unwrap();
    b.card_login(&agent, &demo_card()).await.unwrap();
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    let page = b.get(&ask).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("NO_OTP"), "{}", page.body);
    assert!(page.body.contains(r#"href="/me/otp""#), "{}", page.body);
    assert!(page.body.contains("set it up on /me/otp"), "{}", page.body);
    assert_eq!(b.get("/login/otp").await.location, "/login", "no OTP asked");
    let silent = b.get(&format!("{ask}&prompt=none")).await;
    let back = redirected(&silent.location, HR_CALLBACK);
    assert_eq!(back["error"], "access_denied", "{back:?}");
    assert!(back["error_description"].contains("/me/otp"), "{back:?}");
    let outcomes = system_outcomes(&b).await;
    let no_otp = ("NO_OTP".to_owned(), Some(demo::USERNAME.to_owned()));
    assert_eq!(outcomes, [no_otp.clone(), no_otp]);
}

/// `system add --require` and `system require`, as IT runs them.
async fn the_command_line_sets_a_system_s_level(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| support::admin(&db.url, dir.path(), args);
    let level = |code: &'static str| {
        let pool = db.pool.clone();
        async move { systems::required_level(&pool, code).await.unwrap() }
    };
    let (code, _, err) = run(&["system", "add", "07070707", "ระบบเงินเดือน"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        level("07070707").await,
        Some(Level::OneFactor),
        "the default"
    );
    let (code, out, _) = run(&[
        "system",
        "add",
        "07070708",
        "ระบบทะเบียนราษฎร",
        "--require",
        "two-factor",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("07070708: a sign-in needs two-factor"),
        "{out}"
    );
    assert_eq!(level("07070708").await, Some(Level::TwoFactor));
    // Added again without the flag: kept.
    run(&["system", "add", "07070708", "ระบบทะเบียนราษฎร"]);
    assert_eq!(level("07070708").await, Some(Level::TwoFactor));
    let (code, out, _) = run(&["system", "require", "07070707", "two-factor"]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), "system 07070707: a sign-in needs two-factor")
    );
    assert_eq!(level("07070707").await, Some(Level::TwoFactor));
    run(&["system", "require", "07070708", "one-factor"]);
    assert_eq!(level("07070708").await, Some(Level::OneFactor));
    let (_, out, _) = run(&["system", "list"]);
    assert!(
        out.contains("07070707\tระบบเงินเดือน\t\t-\ttwo-factor\n"),
        "{out}"
    );
    // Refused: a level not ours (names are exact), a system that does not exist.
    for bad in ["two", "Two-Factor", "2fa", TWO] {
        let (code, _, err) = run(&["system", "require", "07070707", bad]);
        assert_eq!(code, Some(2), "{bad}");
        assert!(err.contains("one-factor or two-factor"), "{err}");
        let (code, _, _) = run(&["system", "add", "07070709", "x", "--require", bad]);
        assert_eq!(code, Some(2), "{bad}");
    }
    assert_eq!(level("07070707").await, Some(Level::TwoFactor));
    assert_eq!(level("07070709").await, None);
    let (code, _, err) = run(&["system", "require", "09999999", "two-factor"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no system \"09999999\""), "{err}");
}
