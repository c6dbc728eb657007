//! An enrolled agent whose key the test holds: it signs whatever claims the test makes up
//! (a stolen or rogue agent as well as an honest one), and the claims builder itself.

use crate::db;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::sync::atomic::{AtomicU64, Ordering};
use thaiid_protocol::assertion::{self, CardClaim, Claims, PublicJwk};
use thaiid_protocol::decode::Name;
use thaiid_protocol::layout::Field;
use thaiid_protocol::{BuddhistDate, CitizenId, LaserId};

/// A card as a test agent claims it.
#[derive(Clone, Debug)]
pub struct TestCard {
    pub citizen_id: String,
    pub serial: String,
    pub laser: Option<&'static str>,
}

impl TestCard {
    /// The demo person's card, as the demo registers it (serial and laser ID).
    pub fn demo() -> TestCard {
        TestCard {
            citizen_id: crate::demo::CITIZEN_ID.into(),
            serial: crate::demo::CARD_SERIAL.into(),
            laser: crate::demo::LASER_ID,
        }
    }
}

/// Claims of `iss` for `card` with `nonce`, for a server at `site` (its `aud` and its
/// pages' origin), issued at `now`, valid 60 s, counter `ctr`. A lifelong card of a
/// synthetic person.
pub fn card_claims(
    iss: &str,
    site: &str,
    nonce: &str,
    ctr: u64,
    now: i64,
    card: &TestCard,
) -> Claims {
    let name = |prefix: &str, first: &str, last: &str| Name {
        prefix: prefix.into(),
        first: first.into(),
        middle: String::new(),
        last: last.into(),
    };
    Claims {
        iss: iss.into(),
        aud: site.into(),
        iat: now as u64,
        exp: now as u64 + 60,
        jti: assertion::new_jti(&SystemRandom::new()).expect("the system's random source"),
        nonce: nonce.into(),
        origin: site.into(),
        ctr,
        card: CardClaim {
            citizen_id: CitizenId::parse(&card.citizen_id)
                .expect("a test card's citizen ID is 13 digits"),
            name_th: name("นาย", "สมชาย", "ทดสอบ"),
            name_en: name("Mr.", "Somchai", "Thotsop"),
            expiry_date: BuddhistDate::parse(Field::ExpiryDate, "99999999")
                .expect("lifelong is a date"),
            card_serial: card.serial.clone(),
            laser_id: card
                .laser
                .map(|laser| LaserId::parse(laser).expect("a test card's laser ID parses")),
            atr: "3B68".into(),
            data_sha256: "00".repeat(32),
        },
    }
}

pub struct TestAgent {
    pub id: String,
    key: EcdsaKeyPair,
    ctr: AtomicU64,
}

impl TestAgent {
    /// A new key, enrolled straight into the database (no token).
    pub async fn enroll(pool: &db::Pool, hostname: &str) -> TestAgent {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("the key just made");
        let request = thaiid_protocol::api::EnrollRequest {
            token: String::new(),
            public_key_jwk: PublicJwk::from_key_pair(&key),
            hostname: hostname.into(),
            agent_version: "0.1.0".into(),
        };
        let id = crate::agents::insert(pool, &request, crate::now())
            .await
            .expect("the agent is stored");
        TestAgent {
            id,
            key,
            ctr: AtomicU64::new(0),
        }
    }

    /// [`card_claims`] of this agent, issued now, its counter one up.
    pub fn claims(&self, site: &str, nonce: &str, card: &TestCard) -> Claims {
        let ctr = self.ctr.fetch_add(1, Ordering::SeqCst) + 1;
        card_claims(&self.id, site, nonce, ctr, crate::now(), card)
    }

    /// The signed assertion of [`TestAgent::claims`].
    pub fn assert(&self, site: &str, nonce: &str, card: &TestCard) -> String {
        self.sign(&self.claims(site, nonce, card))
    }

    pub fn sign(&self, claims: &Claims) -> String {
        assertion::sign(claims, &self.key, &SystemRandom::new()).expect("signing works")
    }

    /// Signs `claims` under a header of the test's choosing (alg and typ attacks).
    pub fn sign_with_header(&self, header: serde_json::Value, claims: &Claims) -> String {
        assertion::compact_jws(&header, claims, |input| {
            let signature = self.key.sign(&SystemRandom::new(), input)?;
            Ok::<_, ring::error::Unspecified>(signature.as_ref().to_vec())
        })
        .expect("signing works")
    }
}
