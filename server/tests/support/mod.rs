//! A fresh database per test, on SQLite (a temporary file) or on the PostgreSQL that
//! scripts/test.sh starts (`THAIID_TEST_POSTGRES`, a role that may create databases).

// Each test binary includes this module and uses a part of it.
#![allow(dead_code)]

pub mod browser;

use thaiid_server::db;

pub struct TestDb {
    pub pool: db::Pool,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("server.db").display());
    TestDb {
        pool: db::open(&url).await.unwrap(),
        url,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    let admin = std::env::var("THAIID_TEST_POSTGRES")
        .expect("THAIID_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL");
    let mut name = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut name).unwrap();
    let name = format!("thaiid_test_{}", thaiid_protocol::hex::lower(&name));
    let url = db::create_postgres_database(&admin, &name)
        .await
        .expect("PostgreSQL answers");
    TestDb {
        pool: db::open(&url).await.unwrap(),
        url,
        _dir: None,
    }
}

/// `thaiid-server ARGS` as IT runs it, on the database `url` with its key files in `dir`:
/// the exit code, stdout and stderr.
pub fn admin(url: &str, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("THAIID_SERVER_CARD_KEY_FILE", dir.join("card.key"))
        .env("THAIID_SERVER_OTP_KEY_FILE", dir.join("otp.key"))
        .env("THAIID_SERVER_OIDC_KEY_FILE", dir.join("oidc-keys.json"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs an `async fn(TestDb)` test on both databases.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(super::support::sqlite().await).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name(super::support::postgres().await).await
                }
            }
        )*
    };
}

/// An enrolled agent whose key the test holds: it signs whatever claims the test makes up
/// (a stolen or rogue agent as well as an honest one).
pub struct TestAgent {
    pub id: String,
    key: ring::signature::EcdsaKeyPair,
    ctr: std::sync::atomic::AtomicU64,
}

/// A card as a test agent claims it.
#[derive(Clone)]
pub struct TestCard {
    pub citizen_id: String,
    pub serial: String,
    pub laser: Option<&'static str>,
}

impl TestAgent {
    pub async fn enroll(pool: &db::Pool, hostname: &str) -> TestAgent {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let request = thaiid_protocol::api::EnrollRequest {
            token: String::new(),
            public_key_jwk: thaiid_protocol::assertion::PublicJwk::from_key_pair(&key),
            hostname: hostname.into(),
            agent_version: "0.1.0".into(),
        };
        let id = thaiid_server::agents::insert(pool, &request, thaiid_server::now())
            .await
            .unwrap();
        TestAgent {
            id,
            key,
            ctr: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Claims for `card` with `nonce`, for a server at `site` (its `aud` and its pages'
    /// origin), the agent's counter one up.
    pub fn claims(
        &self,
        site: &str,
        nonce: &str,
        card: &TestCard,
    ) -> thaiid_protocol::assertion::Claims {
        use thaiid_protocol::decode::Name;
        let name = |prefix: &str, first: &str, last: &str| Name {
            prefix: prefix.into(),
            first: first.into(),
            middle: String::new(),
            last: last.into(),
        };
        let now = thaiid_server::now() as u64;
        let ctr = self.ctr.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        thaiid_protocol::assertion::Claims {
            iss: self.id.clone(),
            aud: site.into(),
            iat: now,
            exp: now + 60,
            jti: thaiid_protocol::assertion::new_jti(&ring::rand::SystemRandom::new()).unwrap(),
            nonce: nonce.into(),
            origin: site.into(),
            ctr,
            card: thaiid_protocol::assertion::CardClaim {
                citizen_id: card.citizen_id.clone(),
                name_th: name("นาย", "สมชาย", "ทดสอบ"),
                name_en: name("Mr.", "Somchai", "Thotsop"),
                expiry_date: thaiid_protocol::BuddhistDate::parse(
                    thaiid_protocol::layout::Field::ExpiryDate,
                    "99999999",
                )
                .unwrap(),
                card_serial: card.serial.clone(),
                laser_id: card
                    .laser
                    .map(|laser| thaiid_protocol::LaserId::parse(laser).unwrap()),
                atr: "3B68".into(),
                data_sha256: "00".repeat(32),
            },
        }
    }

    /// The signed assertion of [`TestAgent::claims`].
    pub fn assert(&self, site: &str, nonce: &str, card: &TestCard) -> String {
        self.sign(&self.claims(site, nonce, card))
    }

    pub fn sign(&self, claims: &thaiid_protocol::assertion::Claims) -> String {
        thaiid_protocol::assertion::sign(claims, &self.key, &ring::rand::SystemRandom::new())
            .unwrap()
    }

    /// Signs `claims` under a header of the test's choosing (alg and typ attacks).
    pub fn sign_with_header(
        &self,
        header: serde_json::Value,
        claims: &thaiid_protocol::assertion::Claims,
    ) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
        use base64::Engine;
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(serde_json::to_vec(claims).unwrap())
        );
        let signature = self
            .key
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", B64.encode(signature.as_ref()))
    }
}
