//! Card logins under concurrent load, through the router as the server runs it: every
//! accepted login has exactly one OK audit row and one ticket, every one-time value is
//! spent once, also by two server instances on one PostgreSQL; a revoked agent is refused
//! at once though its key is cached; an unknown `kid` never reaches the audit log.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{agents, cards, challenges, db, users};
use tower::ServiceExt;

use thaiid_server::on_both_databases;
mod support;
use support::{TestAgent, TestCard, TestDb};

const SITE: &str = "https://sso.example.go.th";
const CID: &str = "1103700123458";
const SERIAL: &str = "13020112345678";

on_both_databases!(
    concurrent_logins_each_have_one_audit_row_and_one_ticket,
    a_revoked_agent_is_refused_at_once_though_its_key_is_cached,
    an_unknown_kid_is_not_written_to_the_audit_log
);

struct World {
    db: TestDb,
    card_key: CardKey,
    otp_key: OtpKey,
}

async fn world(db: TestDb) -> World {
    let now = thaiid_server::now();
    users::add(&db.pool, "somchai.t", "สมชาย ทดสอบ", Some(CID), now)
        .await
        .unwrap();
    let card_key = CardKey::generate();
    cards::register_by_it(
        &db.pool,
        &card_key,
        "somchai.t",
        SERIAL,
        cards::LaserEntry::NoApplet,
        now,
    )
    .await
    .unwrap();
    World {
        db,
        card_key,
        otp_key: OtpKey::generate(),
    }
}

impl World {
    /// A server instance: its own pool on the database, its own router.
    async fn instance(&self) -> axum::Router {
        thaiid_server::app::router(self.state().await)
    }

    /// An instance's state: its own pool on the test's database.
    async fn state(&self) -> AppState {
        let pool = db::open(&self.db.url).await.unwrap();
        let state = AppState::new(pool, SITE, self.otp_key.clone(), self.card_key.clone());
        state.unwrap()
    }

    async fn assertion(&self, agent: &TestAgent) -> String {
        let nonce = challenges::issue(&self.db.pool, SITE, "session-1", thaiid_server::now())
            .await
            .unwrap();
        let card = TestCard {
            citizen_id: CID.into(),
            serial: SERIAL.into(),
            laser: None,
        };
        agent.assert(SITE, &nonce, &card)
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The card audit rows' (outcome, agent_id).
    async fn audit(&self) -> Vec<(String, Option<String>)> {
        thaiid_server::audit::recent(&self.db.pool, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.entry.method == thaiid_server::audit::Method::Card)
            .map(|row| (row.entry.outcome, row.entry.agent_id))
            .collect()
    }
}

/// Posts `token`; answers the status and the reason code (or the ticket).
async fn post(router: &axum::Router, token: String) -> (StatusCode, String) {
    let request = Request::post("/api/v1/card-logins")
        .header("content-type", "application/jose")
        .body(Body::from(token))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let said = body["ticket"]
        .as_str()
        .or(body["error"]["code"].as_str())
        .unwrap()
        .to_owned();
    (status, said)
}

async fn concurrent_logins_each_have_one_audit_row_and_one_ticket(db: TestDb) {
    let w = world(db).await;
    let router = w.instance().await;
    // 64 agents, one login each, each assertion sent twice at once: 64 accepted, 64 replays.
    let mut tokens = Vec::new();
    for i in 0..64 {
        let agent = TestAgent::enroll(&w.db.pool, &format!("ws-{i}")).await;
        let token = w.assertion(&agent).await;
        tokens.push(token.clone());
        tokens.push(token);
    }
    let answers = join_all(
        tokens
            .into_iter()
            .map(|token| {
                let router = router.clone();
                tokio::spawn(async move { post(&router, token).await })
            })
            .collect(),
    )
    .await;
    let tickets: std::collections::HashSet<&String> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, ticket)| ticket)
        .collect();
    assert_eq!(
        tickets.len(),
        64,
        "each assertion accepted once, each ticket new"
    );
    for (status, code) in &answers {
        assert!(
            *status == StatusCode::OK || code == "REPLAYED_JTI",
            "{status} {code}"
        );
    }
    let audit = w.audit().await;
    assert_eq!(audit.iter().filter(|(o, _)| o == "OK").count(), 64);
    assert_eq!(audit.len(), 128, "one audit row per attempt");
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets").await, 64);
    assert_eq!(w.count("SELECT COUNT(*) FROM assertion_ids").await, 64);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM nonces WHERE used_at IS NOT NULL")
            .await,
        64
    );
}

async fn join_all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        all.push(task.await.unwrap());
    }
    all
}

async fn a_revoked_agent_is_refused_at_once_though_its_key_is_cached(db: TestDb) {
    let w = world(db).await;
    let router = w.instance().await;
    let agent = TestAgent::enroll(&w.db.pool, "ws-1").await;
    let (status, _) = post(&router, w.assertion(&agent).await).await;
    assert_eq!(status, StatusCode::OK, "the key is cached now");
    // `agent revoke` runs in another process: here, through another pool.
    let admin = db::open(&w.db.url).await.unwrap();
    assert!(agents::revoke(
        &admin,
        &agent.id,
        thaiid_server::audit::CLI,
        thaiid_server::now()
    )
    .await
    .unwrap());
    let token = w.assertion(&agent).await;
    let (status, code) = post(&router, token.clone()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "REVOKED_AGENT")
    );
    // Nothing of the refused assertion was spent: its jti is not recorded.
    assert_eq!(w.count("SELECT COUNT(*) FROM assertion_ids").await, 1);
    let audit = w.audit().await;
    assert!(audit
        .iter()
        .any(|(outcome, agent_id)| outcome == "REVOKED_AGENT"
            && agent_id.as_deref() == Some(agent.id.as_str())));
}

async fn an_unknown_kid_is_not_written_to_the_audit_log(db: TestDb) {
    let w = world(db).await;
    let state = w.state().await;
    let router = thaiid_server::app::router(state.clone());
    let agent = TestAgent::enroll(&w.db.pool, "ws-1").await;
    let nonce = challenges::issue(&w.db.pool, SITE, "session-1", thaiid_server::now())
        .await
        .unwrap();
    let card = TestCard {
        citizen_id: CID.into(),
        serial: SERIAL.into(),
        laser: None,
    };
    let attacker = "\u{1b}[2J<script>agent-forged\nOK";
    let mut claims = agent.claims(SITE, &nonce, &card);
    claims.iss = attacker.into();
    let header = serde_json::json!({"alg": "ES256", "typ": "thaiid-card+jwt", "kid": attacker});
    let (status, code) = post(&router, agent.sign_with_header(header, &claims)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "UNKNOWN_AGENT")
    );
    // A known agent's bad signature does name the agent.
    let good = w.assertion(&agent).await;
    let (head, _) = good.rsplit_once('.').unwrap();
    let (_, code) = post(&router, format!("{head}.AAAA")).await;
    assert_eq!(code, "BAD_SIGNATURE");
    // The unknown agent's refusal is counted, written with the minute's row.
    state
        .verifier
        .audit_strangers(thaiid_server::now())
        .await
        .unwrap();
    let audit = w.audit().await;
    assert_eq!(audit.len(), 2);
    for (outcome, agent_id) in &audit {
        match outcome.as_str() {
            "UNKNOWN_AGENT" => assert_eq!(agent_id, &None),
            _ => assert_eq!(agent_id.as_deref(), Some(agent.id.as_str())),
        }
    }
}

/// Two server instances (two pools, two routers) on one PostgreSQL, the same assertions
/// posted to both at once: exactly one instance accepts each.
#[tokio::test]
async fn two_instances_on_one_postgres_accept_each_assertion_once() {
    let w = world(support::postgres().await).await;
    let (one, two) = (w.instance().await, w.instance().await);
    let mut pairs = Vec::new();
    for i in 0..40 {
        let agent = TestAgent::enroll(&w.db.pool, &format!("ws-{i}")).await;
        let token = w.assertion(&agent).await;
        let pair: Vec<_> = [&one, &two]
            .into_iter()
            .map(|router| {
                let (router, token) = (router.clone(), token.clone());
                tokio::spawn(async move { post(&router, token).await })
            })
            .collect();
        pairs.push(pair);
    }
    for pair in pairs {
        let answers = join_all(pair).await;
        let accepted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(accepted, 1, "exactly one instance accepts: {answers:?}");
        assert!(answers.iter().any(|(_, code)| code == "REPLAYED_JTI"));
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets").await, 40);
    let audit = w.audit().await;
    assert_eq!(audit.iter().filter(|(o, _)| o == "OK").count(), 40);
    assert_eq!(audit.len(), 80);
}

/// On PostgreSQL a login's reads and writes are one statement, one round trip (the
/// agent's key cached): accepted, replayed, or refused after spending its nonce.
#[tokio::test]
async fn a_card_login_on_postgres_is_one_statement() {
    let w = world(support::postgres().await).await;
    let router = w.instance().await;
    let agent = TestAgent::enroll(&w.db.pool, "ws-1").await;
    let (status, _) = post(&router, w.assertion(&agent).await).await;
    assert_eq!(status, StatusCode::OK, "the key is cached now");

    let token = w.assertion(&agent).await;
    let (said, statements) = statements_of(post(&router, token.clone())).await;
    assert_eq!((said.0, statements), (StatusCode::OK, 1));
    let (said, statements) = statements_of(post(&router, token)).await;
    assert_eq!((said.1.as_str(), statements), ("REPLAYED_JTI", 1));
    // An older counter: the jti and the nonce are spent, the counter refuses.
    let nonce = challenges::issue(&w.db.pool, SITE, "session-1", thaiid_server::now())
        .await
        .unwrap();
    let card = TestCard {
        citizen_id: CID.into(),
        serial: SERIAL.into(),
        laser: None,
    };
    let mut claims = agent.claims(SITE, &nonce, &card);
    claims.ctr = 1;
    let (said, statements) = statements_of(post(&router, agent.sign(&claims))).await;
    assert_eq!((said.1.as_str(), statements), ("COUNTER_NOT_INCREASING", 1));
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets").await, 2);
    assert_eq!(w.audit().await.len(), 4, "each attempt has its audit row");
}

/// What `work` answers, and how many statements sqlx ran meanwhile on this thread.
async fn statements_of<T>(work: impl std::future::Future<Output = T>) -> (T, usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tracing_subscriber::layer::SubscriberExt;

    struct Count(Arc<AtomicUsize>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if event.metadata().target() == "sqlx::query" {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Count(count.clone()));
    // The test's runtime has one thread: the router's statements run on it.
    let answer = {
        let _guard = tracing::subscriber::set_default(subscriber);
        work.await
    };
    (answer, count.load(Ordering::Relaxed))
}
