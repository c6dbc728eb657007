//! What the benchmarks set up through the library before the clock starts: one account
//! with its registered card, enrolled agents, nonces, and assertions signed as agents do.

// Each bench includes this module and uses a part of it.
#![allow(dead_code)]

pub mod server;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use thaiid_protocol::api::EnrollRequest;
use thaiid_protocol::assertion::{self, Claims, PublicJwk};
use thaiid_server::card_key::CardKey;
use thaiid_server::test_support::{card_claims, TestCard};
use thaiid_server::{agents, cards, challenges, db, users};

/// The assertions' `aud`, given to the server as its public URL, and its pages' origin.
pub const AUD: &str = "https://sso.example.go.th";
pub const ORIGIN: &str = AUD;
/// Synthetic, with a right check digit (as in tests/card_login.rs).
pub const CITIZEN_ID: &str = "1103700123458";
pub const SERIAL: &str = "13020112345678";

/// The account the assertions log in to, its card registered under the key file
/// `scratch/card.key` (the one the server is started with).
pub async fn account(pool: &db::Pool, scratch: &std::path::Path) {
    let now = thaiid_server::now();
    users::add(pool, "somchai.t", "สมชาย ทดสอบ", Some(CITIZEN_ID), now)
        .await
        .expect("the user is added");
    let card_key = CardKey::load_or_create(&scratch.join("card.key")).expect("the card key");
    cards::register_by_it(
        pool,
        &card_key,
        "somchai.t",
        SERIAL,
        cards::LaserEntry::NoApplet,
        now,
    )
    .await
    .expect("the card is registered");
}

/// `count` agents enrolled, each with its key, from a few tasks at once.
pub async fn enroll(pool: &db::Pool, count: usize) -> Vec<(String, EcdsaKeyPair)> {
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let rng = SystemRandom::new();
                let mut keys = Vec::new();
                for client in (task..count).step_by(8) {
                    let pkcs8 =
                        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                            .expect("a key");
                    let key = EcdsaKeyPair::from_pkcs8(
                        &ECDSA_P256_SHA256_FIXED_SIGNING,
                        pkcs8.as_ref(),
                        &rng,
                    )
                    .expect("a key");
                    let request = EnrollRequest {
                        token: String::new(),
                        public_key_jwk: PublicJwk::from_key_pair(&key),
                        hostname: format!("ws-{client}"),
                        agent_version: "bench".into(),
                    };
                    let agent = agents::insert(&pool, &request, thaiid_server::now())
                        .await
                        .expect("the agent is enrolled");
                    keys.push((agent, key));
                }
                keys
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await.expect("an enrolling task"));
    }
    all
}

/// `per_client` login nonces for each of `clients` browser sessions, issued from a few
/// tasks at once, as pages would; they live 120 s.
pub async fn issue_nonces(pool: &db::Pool, clients: usize, per_client: usize) -> Vec<Vec<String>> {
    let now = thaiid_server::now();
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for client in (task..clients).step_by(8) {
                    let session = format!("bench-session-{client}");
                    let mut nonces = Vec::with_capacity(per_client);
                    for _ in 0..per_client {
                        nonces.push(
                            challenges::issue(&pool, ORIGIN, &session, now)
                                .await
                                .expect("a nonce is issued"),
                        );
                    }
                    mine.push((client, nonces));
                }
                mine
            })
        })
        .collect();
    let mut all = vec![Vec::new(); clients];
    for task in tasks {
        for (client, nonces) in task.await.expect("a nonce task") {
            all[client] = nonces;
        }
    }
    all
}

/// The registered card's claims by `agent`, issued `now`, with a fresh `jti`.
pub fn claims(agent: &str, nonce: &str, ctr: u64, now: i64) -> Claims {
    let card = TestCard {
        citizen_id: CITIZEN_ID.into(),
        serial: SERIAL.into(),
        laser: None,
    };
    card_claims(agent, AUD, nonce, ctr, now, &card)
}

/// Each agent's nonces signed in order, its counter rising from 1.
pub fn sign_all(keys: &[(String, EcdsaKeyPair)], nonces: &[Vec<String>]) -> Vec<Vec<String>> {
    let rng = SystemRandom::new();
    let now = thaiid_server::now();
    keys.iter()
        .zip(nonces)
        .map(|((agent, key), nonces)| {
            nonces
                .iter()
                .enumerate()
                .map(|(i, nonce)| {
                    let claims = claims(agent, nonce, i as u64 + 1, now);
                    assertion::sign(&claims, key, &rng).expect("signing works")
                })
                .collect()
        })
        .collect()
}
