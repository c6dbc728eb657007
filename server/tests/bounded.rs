//! Bounded under abuse (SPEC §7c), on SQLite and PostgreSQL: beyond its queue's limit a
//! card login is turned away with `503 SERVER_BUSY` and `Retry-After`; refusals from
//! agents not enrolled, and of made-up tickets, become one audit row per address per
//! minute, however many; one
//! address keeps only so many sessions not logged in (and login resumptions) alive; the
//! audit log keeps its days and no more.

use thaiid_server::on_both_databases;
mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use support::browser::{browser, Browser, SITE};
use support::oidc::{new_pkce, request, with_clients, HR, HR_CALLBACK};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::card_login::strangers::{refusals_in, MAX_ADDRESSES};
use thaiid_server::http::AppState;
use thaiid_server::{audit, db, sweep};
use tower::ServiceExt;

on_both_databases!(
    a_full_queue_turns_card_logins_away_as_busy,
    a_flood_of_garbage_is_one_audit_row_per_address,
    a_flood_from_rotating_addresses_keeps_the_count_bounded,
    a_flood_of_made_up_tickets_is_one_audit_row_per_address,
    a_flood_of_login_pages_keeps_the_sessions_bounded,
    a_flood_of_authorization_requests_keeps_resumptions_bounded,
    the_audit_log_keeps_its_days,
);

/// The server of `b`'s database and keys, with `state`'s limits.
fn router(b: &Browser, limits: impl FnOnce(AppState) -> AppState) -> (AppState, axum::Router) {
    let state = AppState::new(b.pool.clone(), SITE, b.otp_key.clone(), b.card_key.clone())
        .map(limits)
        .unwrap();
    (state.clone(), thaiid_server::app::router(state))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// One request from `peer`, without a cookie.
async fn send(router: &axum::Router, peer: &str, request: axum::http::request::Builder) -> Answer {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let request = request
        .extension(axum::extract::ConnectInfo(peer))
        .body(Body::empty())
        .unwrap();
    answer(router, request).await
}

async fn answer(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn post_card(router: &axum::Router, peer: &str, token: &str) -> Answer {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let request = Request::post("/api/v1/card-logins")
        .header(header::CONTENT_TYPE, "application/jose")
        .extension(axum::extract::ConnectInfo(peer))
        .body(Body::from(token.to_owned()))
        .unwrap();
    answer(router, request).await
}

fn code_of(answer: &Answer) -> String {
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

/// An assertion of `agent` the server refuses after reading the agent's key, and audits
/// on its own row: it names another server.
fn for_another_server(agent: &TestAgent) -> String {
    agent.assert("https://elsewhere.example.go.th", "n", &TestCard::demo())
}

async fn card_rows(pool: &db::Pool) -> Vec<audit::Logged> {
    let mut rows = audit::recent(pool, 100_000).await.unwrap();
    rows.retain(|row| row.entry.method == audit::Method::Card);
    rows
}

async fn count(pool: &db::Pool, sql: &str, remote: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(remote)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn a_full_queue_turns_card_logins_away_as_busy(db: TestDb) {
    let b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let (state, router) = router(&b, |state| state.with_card_login_queue(2));
    let hold = state.verifier.hold_writes().await.unwrap();
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let (router, token) = (router.clone(), for_another_server(&agent));
            tokio::spawn(async move { post_card(&router, "192.0.2.5", &token).await })
        })
        .collect();
    // Both wait for their audit rows' write, holding the queue's two places.
    while state.verifier.queue().depth() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let busy = post_card(&router, "192.0.2.5", &for_another_server(&agent)).await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.body
    );
    assert_eq!(code_of(&busy), "SERVER_BUSY");
    assert_eq!(busy.headers[header::RETRY_AFTER], "1");
    drop(hold);
    for waited in waiting {
        let waited = waited.await.unwrap();
        assert_eq!(waited.status, StatusCode::UNAUTHORIZED, "{}", waited.body);
        assert_eq!(code_of(&waited), "WRONG_AUDIENCE");
    }
    assert_eq!(
        state.verifier.queue().depth(),
        0,
        "every place is given back"
    );
    let again = post_card(&router, "192.0.2.5", &for_another_server(&agent)).await;
    assert_eq!(
        code_of(&again),
        "WRONG_AUDIENCE",
        "taken again once places are free"
    );
    // The login turned away wrote nothing; the others have their rows.
    assert_eq!(card_rows(&db.pool).await.len(), 3);
}

async fn a_flood_of_garbage_is_one_audit_row_per_address(db: TestDb) {
    let b = browser(&db).await;
    let known = TestAgent::enroll(&db.pool, "ws-known").await;
    let revoked = TestAgent::enroll(&db.pool, "ws-revoked").await;
    thaiid_server::agents::revoke(&db.pool, &revoked.id, "cli", thaiid_server::now())
        .await
        .unwrap();
    let mut ghost = known.claims(SITE, "n", &TestCard::demo());
    ghost.iss = "no-such-agent".into();
    let ghost = known.sign(&ghost);
    let (state, router) = router(&b, |state| state);
    let before = card_rows(&db.pool).await.len();

    for n in 0..1000 {
        let answer = post_card(&router, "192.0.2.7", &format!("garbage.{n}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    }
    for _ in 0..50 {
        assert_eq!(
            code_of(&post_card(&router, "192.0.2.7", &ghost).await),
            "UNKNOWN_AGENT"
        );
    }
    let from_revoked = revoked.assert(SITE, "n", &TestCard::demo());
    for _ in 0..5 {
        assert_eq!(
            code_of(&post_card(&router, "192.0.2.7", &from_revoked).await),
            "REVOKED_AGENT"
        );
    }
    post_card(&router, "192.0.2.8", "garbage").await;
    // A known agent's refusal keeps its own row at once (the alerts count them).
    let refused = post_card(&router, "192.0.2.7", &for_another_server(&known)).await;
    assert_eq!(code_of(&refused), "WRONG_AUDIENCE");

    // Nothing per request: the flood is one count per address in memory.
    assert_eq!(state.verifier.strangers().addresses(), 2);
    let rows = card_rows(&db.pool).await;
    assert_eq!(rows.len(), before + 1, "only the known agent's refusal");
    assert_eq!(rows[0].entry.agent_id.as_deref(), Some(known.id.as_str()));

    // The minute's flush: one row per address, with the count.
    assert_eq!(
        state
            .verifier
            .audit_strangers(thaiid_server::now())
            .await
            .unwrap(),
        2
    );
    assert_eq!(state.verifier.strangers().addresses(), 0);
    let rows = card_rows(&db.pool).await;
    assert_eq!(rows.len(), before + 3);
    let of = |remote: &str| {
        rows.iter()
            .find(|row| row.entry.remote.as_deref() == Some(remote) && row.entry.detail.is_some())
            .unwrap_or_else(|| panic!("a row for {remote}"))
    };
    let flood = of("192.0.2.7");
    assert_eq!(refusals_in(&flood.entry), Some(1055));
    assert_eq!(flood.entry.outcome, "MALFORMED_ASSERTION");
    let detail = flood.entry.detail.as_deref().unwrap();
    assert!(detail.contains("UNKNOWN_AGENT 50"), "{detail}");
    assert!(detail.contains("REVOKED_AGENT 5"), "{detail}");
    assert!(detail.contains(&revoked.id), "{detail}");
    assert!(
        !detail.contains("no-such-agent"),
        "never a token's unverified text"
    );
    assert_eq!(refusals_in(&of("192.0.2.8").entry), Some(1));
    // Nothing more to write until the next refusal.
    assert_eq!(
        state
            .verifier
            .audit_strangers(thaiid_server::now())
            .await
            .unwrap(),
        0
    );
}

/// Made-up tickets, at the browsers' page and at the front ends' API: no row per request,
/// one row of the minute per address and method.
async fn a_flood_of_made_up_tickets_is_one_audit_row_per_address(db: TestDb) {
    let b = browser(&db).await;
    let (state, router) = router(&b, |state| state);
    let ticket_rows = || async {
        let mut rows = audit::recent(&db.pool, 100_000).await.unwrap();
        rows.retain(|row| row.entry.method == audit::Method::Ticket);
        rows
    };
    for n in 0..300 {
        let path = format!("/login/card/complete?ticket=made-up-{n}");
        let answer = send(&router, "192.0.2.9", Request::get(path)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        let redeem = Request::post("/api/v1/tickets/redeem")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, "Bearer not-a-key");
        let peer: SocketAddr = "192.0.2.9:40000".parse().unwrap();
        let request = redeem
            .extension(axum::extract::ConnectInfo(peer))
            .body(Body::from(format!(r#"{{"ticket": "made-up-{n}"}}"#)))
            .unwrap();
        assert_eq!(answer_of(&router, request).await, StatusCode::UNAUTHORIZED);
    }
    assert!(ticket_rows().await.is_empty(), "nothing per request");
    state
        .verifier
        .audit_strangers(thaiid_server::now())
        .await
        .unwrap();
    let rows = ticket_rows().await;
    assert_eq!(rows.len(), 1, "one row for the address");
    assert_eq!(rows[0].entry.remote.as_deref(), Some("192.0.2.9"));
    assert_eq!(refusals_in(&rows[0].entry), Some(600));
    let detail = rows[0].entry.detail.as_deref().unwrap();
    assert!(detail.contains("NO_SESSION 300"), "{detail}");
    assert!(detail.contains("BAD_API_KEY 300"), "{detail}");
}

async fn answer_of(router: &axum::Router, request: Request<Body>) -> StatusCode {
    answer(router, request).await.status
}

/// Garbage from more addresses than the count holds apart (one host rotating through its
/// IPv6 /64): the count stays at its limit, nothing is written per request, and the
/// minute's flush writes one row per address counted plus one for the rest.
async fn a_flood_from_rotating_addresses_keeps_the_count_bounded(db: TestDb) {
    let b = browser(&db).await;
    let (state, router) = router(&b, |state| state);
    let before = card_rows(&db.pool).await.len();
    let flood = MAX_ADDRESSES + 500;
    for n in 0..flood {
        let peer = format!("[2001:db8:7::{:x}:{:x}]", n >> 16, n & 0xffff);
        let answer = post_card(&router, &peer, "garbage").await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(state.verifier.strangers().addresses(), MAX_ADDRESSES);
    assert_eq!(state.verifier.queue().depth(), 0);
    assert_eq!(card_rows(&db.pool).await.len(), before);
    let now = thaiid_server::now();
    let written = state.verifier.audit_strangers(now).await.unwrap();
    assert_eq!(written, MAX_ADDRESSES + 1);
    let rows = card_rows(&db.pool).await;
    assert_eq!(rows.len(), before + MAX_ADDRESSES + 1);
    let total: u64 = rows.iter().filter_map(|row| refusals_in(&row.entry)).sum();
    assert_eq!(total, flood as u64, "every refusal is counted once");
    assert_eq!(
        state.verifier.strangers().addresses(),
        0,
        "the count starts again"
    );
}

const FROM: &str = "SELECT COUNT(*) FROM sessions WHERE remote = $1";

async fn a_flood_of_login_pages_keeps_the_sessions_bounded(db: TestDb) {
    let b = browser(&db).await;
    let (_, router) = router(&b, |state| state.with_sessions_per_address(20));
    let cookie = |answer: &Answer| {
        let set = answer.headers[header::SET_COOKIE].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    };
    let first = send(&router, "192.0.2.9", Request::get("/login")).await;
    assert_eq!(first.status, StatusCode::OK);
    let mut last = first.headers.clone();
    for _ in 0..300 {
        let page = send(&router, "192.0.2.9", Request::get("/login")).await;
        assert_eq!(page.status, StatusCode::OK);
        last = page.headers;
    }
    assert_eq!(count(&db.pool, FROM, "192.0.2.9").await, 20);
    // Another address is not crowded out.
    send(&router, "192.0.2.10", Request::get("/login")).await;
    assert_eq!(count(&db.pool, FROM, "192.0.2.10").await, 1);
    // One host's IPv6 addresses count as its /64.
    for n in 0..50 {
        let address = format!("[2001:db8:1:2::{n:x}]");
        send(&router, &address, Request::get("/forgot")).await;
    }
    assert_eq!(count(&db.pool, FROM, "2001:db8:1:2::/64").await, 20);

    // The oldest went first: the first page's session is gone, the newest lives.
    let first_cookie = cookie(&first);
    let last_cookie = last[header::SET_COOKIE].to_str().unwrap();
    let last_cookie = last_cookie.split(';').next().unwrap().to_owned();
    for (cookie, alive) in [(first_cookie, false), (last_cookie, true)] {
        let page = answer(
            &router,
            Request::get("/login")
                .header(header::COOKIE, &cookie)
                .extension(axum::extract::ConnectInfo(
                    "192.0.2.9:40000".parse::<SocketAddr>().unwrap(),
                ))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let new_session = page.headers.contains_key(header::SET_COOKIE);
        assert_eq!(new_session, !alive, "{cookie}");
    }
}

async fn a_flood_of_authorization_requests_keeps_resumptions_bounded(db: TestDb) {
    let (b, _) = with_clients(&db).await;
    let (_, router) = router(&b, |state| state.with_sessions_per_address(10));
    let asked = request(HR, HR_CALLBACK, &new_pkce());
    for _ in 0..100 {
        let answer = send(&router, "192.0.2.11", Request::get(asked.as_str())).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        assert_eq!(answer.headers[header::LOCATION], "/login");
    }
    assert_eq!(count(&db.pool, FROM, "192.0.2.11").await, 10);
    let resumptions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_resumes")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        resumptions, 10,
        "the dropped sessions' resumptions went with them"
    );
}

async fn the_audit_log_keeps_its_days(db: TestDb) {
    let pool = &db.pool;
    let now = thaiid_server::now();
    let day = 24 * 3600;
    let old = 2 * sweep::AUDIT_BATCH + 7;
    // Many rows past the retention (more than a batch), a few within it.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < CAST($1 AS BIGINT)) \
         INSERT INTO audit_log (id, at, method, outcome) \
         SELECT 'old-' || CAST(i AS TEXT), CAST($2 AS BIGINT) - i, 'card', 'OK' FROM n",
    )
    .bind(old)
    .bind(now - 400 * day)
    .execute(pool)
    .await
    .unwrap();
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.outcome = "OK".into();
    for at in [now - 399 * day, now - 400 * day + 60, now] {
        audit::record(pool, &entry, at).await.unwrap();
    }
    let deleted = sweep::old_audit(pool, now, 400).await.unwrap();
    assert_eq!(deleted, old as u64);
    let left: Vec<i64> = audit::recent(pool, 100)
        .await
        .unwrap()
        .iter()
        .map(|row| row.at)
        .collect();
    assert_eq!(left, [now, now - 399 * day, now - 400 * day + 60]);
    assert_eq!(sweep::old_audit(pool, now, 400).await.unwrap(), 0);
}
