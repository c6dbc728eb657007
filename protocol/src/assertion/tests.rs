use super::*;
use crate::layout::Field;
use ring::rand::SystemRandom;
use serde_json::{json, Value};

const AUD: &str = "https://sso.example.go.th";
const NOW: u64 = 1_800_000_000;
const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/assertions/vectors.json"
);

fn vectors() -> Value {
    serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors file")).unwrap()
}

/// The synthetic test agent's key (never used outside tests).
fn test_key() -> EcdsaKeyPair {
    let pkcs8 = crate::hex::parse(vectors()["agent_key_pkcs8_hex"].as_str().unwrap()).unwrap();
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8,
        &SystemRandom::new(),
    )
    .unwrap()
}

fn claims() -> Claims {
    Claims {
        iss: "agent-0001".into(),
        aud: AUD.into(),
        iat: NOW,
        exp: NOW + 60,
        jti: "AAECAwQFBgcICQoLDA0ODw".into(),
        nonce: "n-0123456789abcdef".into(),
        origin: "https://sso.example.go.th".into(),
        ctr: 7,
        card: CardClaim {
            citizen_id: CitizenId::parse("1103700123458").unwrap(),
            name_th: Name {
                prefix: "นาย".into(),
                first: "สมชาย".into(),
                middle: "".into(),
                last: "ทดสอบ".into(),
            },
            name_en: Name {
                prefix: "Mr.".into(),
                first: "Somchai".into(),
                middle: "".into(),
                last: "Thotsop".into(),
            },
            expiry_date: BuddhistDate::parse(Field::ExpiryDate, "25730814").unwrap(),
            card_serial: "13020112345678".into(),
            laser_id: Some(crate::laser::LaserId::parse("JT0-1234567-89").unwrap()),
            atr: "3B6800000073C84012009000".into(),
            data_sha256: "00".repeat(32),
        },
    }
}

fn jwk() -> PublicJwk {
    PublicJwk::from_key_pair(&test_key())
}

fn new_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .unwrap()
}

fn verify(token: &str) -> Result<Claims, AssertionError> {
    let unverified = Unverified::parse(token)?;
    assert_eq!(unverified.kid(), "agent-0001");
    unverified.verify(&jwk(), AUD, NOW, 5)
}

fn sign_claims(claims: &Claims, key: &EcdsaKeyPair) -> String {
    sign(claims, key, &SystemRandom::new()).unwrap()
}

/// Re-encodes one part of a token, leaving the signature as it was.
fn tamper(token: &str, part: usize, edit: impl FnOnce(&mut Value)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut value: Value = serde_json::from_slice(&B64.decode(&parts[part]).unwrap()).unwrap();
    edit(&mut value);
    parts[part] = B64.encode(serde_json::to_vec(&value).unwrap());
    parts.join(".")
}

#[test]
fn a_key_held_elsewhere_signs_the_same_token() {
    // A TPM's signer sees the signing input and answers r || s, as ring's fixed encoding.
    let key = test_key();
    let token = sign_with(&claims(), |input| {
        key.sign(&SystemRandom::new(), input)
            .map(|signature| signature.as_ref().to_vec())
    })
    .unwrap();
    assert_eq!(verify(&token).unwrap(), claims());
    let point = key.public_key().as_ref();
    let (x, y) = (
        point[1..33].try_into().unwrap(),
        point[33..65].try_into().unwrap(),
    );
    assert_eq!(PublicJwk::from_coordinates(x, y), jwk());
}

#[test]
fn sign_then_verify_round_trips() {
    let token = sign_claims(&claims(), &test_key());
    assert_eq!(verify(&token).unwrap(), claims());
    let header: Value =
        serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(
        header,
        json!({"alg": "ES256", "typ": "thaiid-card+jwt", "kid": "agent-0001"})
    );
}

#[test]
fn the_stored_vectors_verify_or_fail_with_their_code() {
    let vectors = vectors();
    assert_eq!(serde_json::to_value(jwk()).unwrap(), vectors["agent_jwk"]);
    let jwk: PublicJwk = serde_json::from_value(vectors["agent_jwk"].clone()).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let result = Unverified::parse(case["token"].as_str().unwrap()).and_then(|u| {
            u.verify(
                &jwk,
                case["aud"].as_str().unwrap(),
                case["now"].as_u64().unwrap(),
                5,
            )
        });
        match case["expect"].as_str().unwrap() {
            "OK" => assert_eq!(
                serde_json::to_value(result.unwrap()).unwrap(),
                case["claims"],
                "{name}"
            ),
            code => assert_eq!(result.unwrap_err().code().as_str(), code, "{name}"),
        }
    }
}

#[test]
fn every_tampering_is_refused_with_its_own_code() {
    let token = sign_claims(&claims(), &test_key());
    for (name, bad, code) in cases(&token, &test_key()) {
        let result = Unverified::parse(&bad).and_then(|u| u.verify(&jwk(), AUD, NOW, 5));
        assert_eq!(result.unwrap_err().code().as_str(), code, "{name}");
    }
}

#[test]
fn times_are_judged_with_skew() {
    let token = sign_claims(&claims(), &test_key());
    let at = |now| {
        Unverified::parse(&token)
            .unwrap()
            .verify(&jwk(), AUD, now, 5)
    };
    assert!(at(NOW - 5).is_ok());
    assert_eq!(at(NOW - 6).unwrap_err(), AssertionError::IssuedInFuture(6));
    assert!(at(NOW + 65).is_ok());
    assert_eq!(at(NOW + 66).unwrap_err(), AssertionError::Expired(6));
}

#[test]
fn keys_that_are_not_p256_jwks_are_refused() {
    let token = sign_claims(&claims(), &test_key());
    let mut wrong_curve = jwk();
    wrong_curve.crv = "P-384".into();
    let mut short = jwk();
    short.x = B64.encode([1u8; 31]);
    for key in [wrong_curve, short] {
        let result = Unverified::parse(&token).unwrap().verify(&key, AUD, NOW, 5);
        assert_eq!(result.unwrap_err(), AssertionError::BadKey);
    }
    let result = Unverified::parse(&token).unwrap().verify(
        &PublicJwk::from_key_pair(&new_key()),
        AUD,
        NOW,
        5,
    );
    assert_eq!(result.unwrap_err(), AssertionError::BadSignature);
}

#[test]
fn the_card_claim_comes_from_the_login_read() {
    let mut image = CardImage::new();
    let mut file = vec![b' '; usize::from(crate::layout::FILE_LEN)];
    for (field, text) in [
        (Field::CitizenId, "1103700123458"),
        (Field::NameTh, "นาย#สมชาย##ทดสอบ"),
        (Field::NameEn, "Mr.#Somchai##Thotsop"),
        (Field::ExpiryDate, "25730814"),
        (Field::CardSerial, "13020112345678"),
    ] {
        let (bytes, _, _) = encoding_rs::WINDOWS_874.encode(text);
        let at = usize::from(field.offset());
        file[at..at + bytes.len()].copy_from_slice(&bytes);
    }
    let mut all = Vec::new();
    for chunk in crate::ReadPlan::new(&Field::LOGIN).chunks() {
        let span = usize::from(chunk.offset)..usize::from(chunk.offset) + usize::from(chunk.len);
        image.put(chunk.offset, &file[span.clone()]);
        all.extend_from_slice(&file[span]);
    }
    let claim = CardClaim::decode(
        &[
            0x3B, 0x68, 0x00, 0x00, 0x00, 0x73, 0xC8, 0x40, 0x12, 0x00, 0x90, 0x00,
        ],
        &image,
    )
    .unwrap();
    let mut expected = claims().card;
    // The laser ID comes from another applet, read after the login fields.
    expected.laser_id = None;
    expected.data_sha256 =
        crate::hex::lower(ring::digest::digest(&ring::digest::SHA256, &all).as_ref());
    assert_eq!(claim, expected);
}

#[test]
fn jti_is_128_random_bits() {
    let rng = SystemRandom::new();
    let (a, b) = (new_jti(&rng).unwrap(), new_jti(&rng).unwrap());
    assert_ne!(a, b);
    assert_eq!(B64.decode(a).unwrap().len(), 16);
}

/// Each bad variant of a good token, with the code it must be refused with.
fn cases(token: &str, key: &EcdsaKeyPair) -> Vec<(&'static str, String, &'static str)> {
    let resign = |edit: &dyn Fn(&mut Claims)| {
        let mut c = claims();
        edit(&mut c);
        sign_claims(&c, key)
    };
    let kid_not_iss = {
        let header = Header {
            alg: ALG.into(),
            typ: TYP.into(),
            kid: "agent-0001".into(),
        };
        let mut c = claims();
        c.iss = "agent-0002".into();
        compact_jws(&header, &c, |input| {
            key.sign(&SystemRandom::new(), input)
                .map(|signature| signature.as_ref().to_vec())
        })
        .unwrap()
    };
    let (head, _) = token.rsplit_once('.').unwrap();
    vec![
        (
            "alg none",
            tamper(token, 0, |h| h["alg"] = json!("none")),
            "ALG_NOT_ALLOWED",
        ),
        (
            "alg HS256",
            tamper(token, 0, |h| h["alg"] = json!("HS256")),
            "ALG_NOT_ALLOWED",
        ),
        (
            "typ JWT",
            tamper(token, 0, |h| h["typ"] = json!("JWT")),
            "WRONG_TYP",
        ),
        (
            "claims changed",
            tamper(token, 1, |c| {
                c["card"]["citizen_id"] = json!("1101700203450")
            }),
            "BAD_SIGNATURE",
        ),
        (
            "signature cut",
            format!("{head}.{}", B64.encode([0u8; 64])),
            "BAD_SIGNATURE",
        ),
        ("two parts", head.to_owned(), "MALFORMED_ASSERTION"),
        ("four parts", format!("{token}.x"), "MALFORMED_ASSERTION"),
        ("not base64", format!("{head}.!!"), "MALFORMED_ASSERTION"),
        (
            "wrong audience",
            resign(&|c| c.aud = "https://evil.example".into()),
            "WRONG_AUDIENCE",
        ),
        ("issuer not kid", kid_not_iss, "WRONG_ISSUER"),
        (
            "lifetime too long",
            resign(&|c| c.exp = c.iat + 61),
            "BAD_LIFETIME",
        ),
        ("exp before iat", resign(&|c| c.exp = c.iat), "BAD_LIFETIME"),
        (
            "expired",
            resign(&|c| {
                c.iat = NOW - 120;
                c.exp = NOW - 60
            }),
            "ASSERTION_EXPIRED",
        ),
        (
            "future",
            resign(&|c| {
                c.iat = NOW + 60;
                c.exp = NOW + 100
            }),
            "ISSUED_IN_FUTURE",
        ),
        (
            "impossible expiry date",
            tamper(token, 1, |c| c["card"]["expiry_date"]["year"] = json!(1900)),
            "MALFORMED_ASSERTION",
        ),
    ]
}

/// Writes fixtures/assertions/vectors.json anew (a fresh test key and fresh signatures).
/// Run on purpose only: `cargo test -p thaiid-protocol write_vectors -- --ignored`.
#[test]
#[ignore = "rewrites the committed test vectors"]
fn write_vectors() {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .unwrap();
    let token = sign_claims(&claims(), &key);
    let mut cases = vec![
        json!({"name": "valid", "token": token, "aud": AUD, "now": NOW, "expect": "OK", "claims": claims()}),
    ];
    for (name, bad, code) in self::cases(&token, &key) {
        cases.push(json!({"name": name, "token": bad, "aud": AUD, "now": NOW, "expect": code}));
    }
    let vectors = json!({
        "about": "ES256 card assertions (SPEC §6) signed by a synthetic test agent key; the card is the synthetic demo person",
        "agent_key_pkcs8_hex": crate::hex::upper(pkcs8.as_ref()),
        "agent_jwk": PublicJwk::from_key_pair(&key),
        "cases": cases,
    });
    std::fs::write(
        VECTORS,
        serde_json::to_string_pretty(&vectors).unwrap() + "\n",
    )
    .unwrap();
}
