//! Card-login verification on a real SQLite file: a good assertion gets a one-time
//! ticket for the nonce's session; every refusal of SPEC §7 has its own reason code.

use thaiid_protocol::assertion::Claims;
use thaiid_protocol::layout::Field;
use thaiid_protocol::{BuddhistDate, CitizenId};
use thaiid_server::card_key::CardKey;
use thaiid_server::{agents, card_login, cards, challenges, db, sweep, users};

const AUD: &str = "https://sso.example.go.th";
const ORIGIN: &str = "https://sso.example.go.th";
const DEMO_CID: &str = "1103700123458";
const SERIAL: &str = "13020112345678";

use support::{TestAgent, TestCard, TestDb};
use thaiid_server::on_both_databases;
mod support;

on_both_databases!(
    a_good_assertion_gets_a_ticket_once,
    a_swept_assertion_is_still_refused_when_replayed,
    every_refusal_has_its_own_reason
);

struct World {
    _db: TestDb,
    pool: db::Pool,
    agent: TestAgent,
    card_key: CardKey,
    verifier: card_login::Verifier,
    now: i64,
}

async fn world(db: TestDb) -> World {
    let pool = db.pool.clone();
    let now = thaiid_server::now();
    let agent = TestAgent::enroll(&pool, "ws-1").await;
    users::add(&pool, "somchai.t", "สมชาย ทดสอบ", Some(DEMO_CID), now)
        .await
        .unwrap();
    let card_key = CardKey::generate();
    cards::register_by_it(
        &pool,
        &card_key,
        "somchai.t",
        SERIAL,
        cards::LaserEntry::NoApplet,
        now,
    )
    .await
    .unwrap();
    World {
        _db: db,
        verifier: card_login::Verifier::new(pool.clone(), card_key.clone()),
        pool,
        agent,
        card_key,
        now,
    }
}

impl World {
    async fn nonce(&self, origin: &str) -> String {
        challenges::issue(&self.pool, origin, "session-1", self.now)
            .await
            .unwrap()
    }

    /// The registered demo card's claims, issued now, with counter `ctr`.
    fn claims(&self, nonce: &str, ctr: u64) -> Claims {
        let card = TestCard {
            citizen_id: DEMO_CID.into(),
            serial: SERIAL.into(),
            laser: None,
        };
        let mut claims = self.agent.claims(AUD, nonce, &card);
        claims.iat = self.now as u64;
        claims.exp = self.now as u64 + 60;
        claims.ctr = ctr;
        claims
    }

    fn sign(&self, claims: &Claims) -> String {
        self.agent.sign(claims)
    }

    fn sign_with_header(&self, header: serde_json::Value, claims: &Claims) -> String {
        self.agent.sign_with_header(header, claims)
    }

    async fn audit_outcomes(&self) -> Vec<(String, Option<String>)> {
        let mut rows = thaiid_server::audit::recent(&self.pool, 1000)
            .await
            .unwrap();
        rows.reverse();
        rows.into_iter()
            .filter(|row| row.entry.method == thaiid_server::audit::Method::Card)
            .map(|row| (row.entry.outcome, row.entry.citizen_id))
            .collect()
    }

    async fn login(&self, token: &str) -> Result<String, &'static str> {
        self.login_at(token, self.now).await
    }

    async fn login_at(&self, token: &str, now: i64) -> Result<String, &'static str> {
        card_login::verify(&self.verifier, token, AUD, now, None)
            .await
            .map(|ticket| ticket.ticket)
            .map_err(|error| error.code().as_str())
    }
}

async fn a_good_assertion_gets_a_ticket_once(db: TestDb) {
    let w = world(db).await;
    let token = w.sign(&w.claims(&w.nonce(ORIGIN).await, 1));
    assert!(w.login(&token).await.is_ok());
    assert_eq!(w.login(&token).await, Err("REPLAYED_JTI"));
}

async fn a_swept_assertion_is_still_refused_when_replayed(db: TestDb) {
    let w = world(db).await;
    let token = w.sign(&w.claims(&w.nonce(ORIGIN).await, 1));
    assert!(w.login(&token).await.is_ok());
    let later = w.now + 2 * sweep::KEEP_EXPIRED_SECS;
    let swept = sweep::expired(&w.pool, later).await.unwrap();
    assert_eq!(
        (swept.assertion_ids, swept.nonces, swept.tickets),
        (1, 1, 1)
    );
    assert_eq!(w.login_at(&token, later).await, Err("ASSERTION_EXPIRED"));
}

async fn every_refusal_has_its_own_reason(db: TestDb) {
    let w = world(db).await;
    let mut ctr = 0;
    let mut next = || {
        ctr += 1;
        ctr
    };

    // Nonces.
    let claims = w.claims("never-issued", next());
    assert_eq!(w.login(&w.sign(&claims)).await, Err("UNKNOWN_NONCE"));
    let used = w.nonce(ORIGIN).await;
    assert!(w.login(&w.sign(&w.claims(&used, next()))).await.is_ok());
    assert_eq!(
        w.login(&w.sign(&w.claims(&used, next()))).await,
        Err("USED_NONCE")
    );
    let expired = challenges::issue(&w.pool, ORIGIN, "s", w.now - 1000)
        .await
        .unwrap();
    assert_eq!(
        w.login(&w.sign(&w.claims(&expired, next()))).await,
        Err("EXPIRED_NONCE")
    );
    let elsewhere = w.nonce("https://other.example").await;
    assert_eq!(
        w.login(&w.sign(&w.claims(&elsewhere, next()))).await,
        Err("ORIGIN_MISMATCH")
    );

    // The counter only goes up.
    let nonce = w.nonce(ORIGIN).await;
    assert_eq!(
        w.login(&w.sign(&w.claims(&nonce, 1))).await,
        Err("COUNTER_NOT_INCREASING")
    );

    // The card.
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.card.citizen_id = CitizenId::parse("1103700123459").unwrap();
    assert_eq!(w.login(&w.sign(&claims)).await, Err("INVALID_CITIZEN_ID"));
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.card.expiry_date = BuddhistDate::parse(Field::ExpiryDate, "25600101").unwrap();
    assert_eq!(w.login(&w.sign(&claims)).await, Err("CARD_EXPIRED"));
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.card.citizen_id = CitizenId::parse("1101700203450").unwrap();
    assert_eq!(w.login(&w.sign(&claims)).await, Err("NOT_LINKED"));

    // The assertion itself.
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.aud = "https://evil.example".into();
    assert_eq!(w.login(&w.sign(&claims)).await, Err("WRONG_AUDIENCE"));
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.iat -= 600;
    claims.exp -= 600;
    assert_eq!(w.login(&w.sign(&claims)).await, Err("ASSERTION_EXPIRED"));
    let good = w.sign(&w.claims(&w.nonce(ORIGIN).await, next()));
    let (head, _) = good.rsplit_once('.').unwrap();
    assert_eq!(w.login(&format!("{head}.AAAA")).await, Err("BAD_SIGNATURE"));
    assert_eq!(w.login("not.a.jws").await, Err("MALFORMED_ASSERTION"));
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.iss = "agent-nobody".into();
    assert_eq!(w.login(&w.sign(&claims)).await, Err("UNKNOWN_AGENT"));
    let mut claims = w.claims(&w.nonce(ORIGIN).await, next());
    claims.iat += 600;
    claims.exp += 600;
    assert_eq!(w.login(&w.sign(&claims)).await, Err("ISSUED_IN_FUTURE"));
    let claims = w.claims(&w.nonce(ORIGIN).await, next());
    let header =
        |alg: &str, typ: &str| serde_json::json!({"alg": alg, "typ": typ, "kid": w.agent.id});
    let hs256 = w.sign_with_header(header("HS256", "thaiid-card+jwt"), &claims);
    assert_eq!(w.login(&hs256).await, Err("ALG_NOT_ALLOWED"));
    let none = w.sign_with_header(header("none", "thaiid-card+jwt"), &claims);
    assert_eq!(w.login(&none).await, Err("ALG_NOT_ALLOWED"));
    let jwt = w.sign_with_header(header("ES256", "JWT"), &claims);
    assert_eq!(w.login(&jwt).await, Err("WRONG_TYP"));

    // A revoked agent.
    assert!(
        agents::revoke(&w.pool, &w.agent.id, thaiid_server::audit::CLI, w.now)
            .await
            .unwrap()
    );
    let claims = w.claims(&w.nonce(ORIGIN).await, next());
    assert_eq!(w.login(&w.sign(&claims)).await, Err("REVOKED_AGENT"));

    // Every attempt has its audit row, the citizen ID masked once verified; those refused
    // before any enrolled agent was known share the minute's row of their address, with
    // their count. (All in one second, so their order is not known.)
    assert_eq!(w.verifier.audit_strangers(w.now).await.unwrap(), 1);
    let strangers = thaiid_server::audit::recent(&w.pool, 1).await.unwrap();
    let detail = strangers[0].entry.detail.as_deref().unwrap();
    assert_eq!(
        detail,
        "5 refused within 60 s from agents not enrolled: ALG_NOT_ALLOWED 2, \
         MALFORMED_ASSERTION 1, UNKNOWN_AGENT 1, WRONG_TYP 1"
    );
    let audit = w.audit_outcomes().await;
    let mut outcomes: Vec<&str> = audit.iter().map(|(outcome, _)| outcome.as_str()).collect();
    outcomes.sort();
    let mut expected = [
        "UNKNOWN_NONCE",
        "OK",
        "USED_NONCE",
        "EXPIRED_NONCE",
        "ORIGIN_MISMATCH",
        "COUNTER_NOT_INCREASING",
        "INVALID_CITIZEN_ID",
        "CARD_EXPIRED",
        "NOT_LINKED",
        "WRONG_AUDIENCE",
        "ASSERTION_EXPIRED",
        "BAD_SIGNATURE",
        "ISSUED_IN_FUTURE",
        "ALG_NOT_ALLOWED",
        // Its key was read while it was usable: the revocation is caught in the login's
        // transaction, which writes its row as for any enrolled agent.
        "REVOKED_AGENT",
    ];
    expected.sort();
    assert_eq!(outcomes, expected);
    let ok = audit.iter().find(|(outcome, _)| outcome == "OK").unwrap();
    assert_eq!(ok.1.as_deref(), Some("1-1037-xxxxx-xx-8"));
    assert!(audit
        .iter()
        .all(|(_, cid)| cid.as_deref() != Some(DEMO_CID)));
}

/// Several server instances on one PostgreSQL: one nonce and one assertion are accepted once.
#[tokio::test]
async fn two_servers_on_one_postgres_accept_a_nonce_once() {
    let w = world(support::postgres().await).await;
    let second = db::open(&w._db.url).await.unwrap();
    let second = card_login::Verifier::new(second, w.card_key.clone());
    for round in 0..20u64 {
        let nonce = w.nonce(ORIGIN).await;
        let ctr = 10 * round + 1;
        let (a, b) = (
            w.sign(&w.claims(&nonce, ctr)),
            w.sign(&w.claims(&nonce, ctr + 1)),
        );
        let (first, other) = tokio::join!(
            card_login::verify(&w.verifier, &a, AUD, w.now, None),
            card_login::verify(&second, &b, AUD, w.now, None),
        );
        assert_eq!(
            first.is_ok() as u8 + other.is_ok() as u8,
            1,
            "exactly one server spends the nonce"
        );
        let token = w.sign(&w.claims(&w.nonce(ORIGIN).await, ctr + 2));
        let (first, other) = tokio::join!(
            card_login::verify(&w.verifier, &token, AUD, w.now, None),
            card_login::verify(&second, &token, AUD, w.now, None),
        );
        assert_eq!(
            first.is_ok() as u8 + other.is_ok() as u8,
            1,
            "exactly one server accepts the jti"
        );
    }
}
