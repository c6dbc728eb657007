//! The key file: both algorithms sign and verify, files from before RS256, rotation.

use super::*;

fn header_of(token: &str) -> serde_json::Value {
    let head = token.split('.').next().unwrap();
    serde_json::from_slice(&B64.decode(head).unwrap()).unwrap()
}

fn kids(jwks: &serde_json::Value, alg: &str) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|key| key["alg"] == alg)
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_signed_token_verifies_and_a_forged_one_does_not() {
    let keys = SigningKeys::ephemeral();
    let now = crate::now();
    for alg in SigningAlg::ALL {
        let token = keys.sign(alg, &serde_json::json!({"sub": "x"}));
        assert_eq!(header_of(&token)["alg"], alg.as_str());
        assert_eq!(header_of(&token)["typ"], "JWT");
        assert_eq!(keys.verify(&token, now).unwrap()["sub"], "x");
        let other = SigningKeys::ephemeral().sign(alg, &serde_json::json!({"sub": "x"}));
        assert_eq!(keys.verify(&other, now), Err(TokenRefusal::UnknownKey));
        let tampered = format!(
            "{}.{}.{}",
            token.split('.').next().unwrap(),
            B64.encode(br#"{"sub":"y"}"#),
            token.rsplit_once('.').unwrap().1
        );
        assert_eq!(keys.verify(&tampered, now), Err(TokenRefusal::BadSignature));
    }
    let token = keys.sign(SigningAlg::Es256, &serde_json::json!({"sub": "x"}));
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let kid = header_of(head)["kid"].clone();
    for alg in ["none", "HS256", "RS384", "es256"] {
        let header = B64.encode(serde_json::json!({"alg": alg, "kid": kid}).to_string());
        for signature in ["", "AAAA"] {
            let forged = format!("{header}.{payload}.{signature}");
            assert_eq!(
                keys.verify(&forged, now),
                Err(TokenRefusal::AlgNotAllowed),
                "{alg}"
            );
        }
    }
    // An RS256 header on the ES256 key's kid (and the other way round): refused before
    // any signature is checked, whatever the signature.
    let rs_token = keys.sign(SigningAlg::Rs256, &serde_json::json!({"sub": "x"}));
    let rs_kid = header_of(&rs_token)["kid"].clone();
    for (alg, kid) in [("RS256", &kid), ("ES256", &rs_kid)] {
        let header = B64.encode(serde_json::json!({"alg": alg, "kid": kid}).to_string());
        let forged = format!("{header}.{payload}.AAAA");
        assert_eq!(
            keys.verify(&forged, now),
            Err(TokenRefusal::NotTheKeysAlg),
            "{alg}"
        );
    }
}

#[test]
fn rsa_keys_load_from_the_file_sign_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oidc-keys.json");
    let now = 1_800_000_000;
    SigningKeys::load_or_create(&path, now).unwrap();
    // Read back from the file, as the next start does.
    let keys = SigningKeys::load_or_create(&path, now).unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let algs: Vec<&str> = stored["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["ES256", "RS256"]);
    let token = keys.sign(SigningAlg::Rs256, &serde_json::json!({"sub": "x"}));
    let header = header_of(&token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        kids(&keys.jwks(now), "RS256"),
        [header["kid"].as_str().unwrap()]
    );
    let jwk = &keys.jwks(now)["keys"][1];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["use"].as_str(), jwk["e"].as_str()),
        (Some("RSA"), Some("sig"), Some("AQAB"))
    );
    assert!(jwk.get("crv").is_none() && jwk.get("d").is_none(), "{jwk}");
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let n = B64.decode(jwk["n"].as_str().unwrap()).unwrap();
    ring::signature::RsaPublicKeyComponents {
        n: &n[..],
        e: &[1u8, 0, 1][..],
    }
    .verify(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        signed.as_bytes(),
        &B64.decode(signature).unwrap(),
    )
    .expect("the JWKS key verifies the RS256 token");
    assert_eq!(keys.verify(&token, now).unwrap()["sub"], "x");
    // An RSA key stored as an ES256 one (or anything else) is named for what it is not.
    let mut damaged = stored.clone();
    damaged["keys"][1]["alg"] = "ES256".into();
    std::fs::write(&path, damaged.to_string()).unwrap();
    let error = SigningKeys::load_or_create(&path, now)
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not a P-256 PKCS#8 key"), "{error}");
    let mut damaged = stored.clone();
    damaged["keys"][0]["alg"] = "RS256".into();
    std::fs::write(&path, damaged.to_string()).unwrap();
    let error = SigningKeys::load_or_create(&path, now)
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not an RSA PKCS#8 key"), "{error}");
}

#[test]
fn a_key_file_from_before_rs256_keeps_its_key_and_gains_an_rsa_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oidc-keys.json");
    let now = 1_800_000_000;
    // The format as ES256-only servers wrote it: no `alg`.
    let pkcs8 = B64.encode(signing_key::generate_pkcs8(SigningAlg::Es256));
    let old = serde_json::json!({"keys": [
        {"kid": "old-es", "pkcs8": pkcs8, "created_at": now - 10, "retired_at": null}
    ]});
    std::fs::write(&path, old.to_string()).unwrap();
    let keys = SigningKeys::load_or_create(&path, now).unwrap();
    let token = keys.sign(SigningAlg::Es256, &serde_json::json!({"sub": "x"}));
    assert_eq!(
        header_of(&token)["kid"],
        "old-es",
        "the old key still signs ES256"
    );
    assert!(keys.verify(&token, now).is_ok());
    let jwks = keys.jwks(now);
    assert_eq!(kids(&jwks, "ES256"), ["old-es"]);
    let rsa = kids(&jwks, "RS256");
    assert_eq!(rsa.len(), 1);
    // The added key is in the file, so the next start (and the other servers, once it
    // is copied) sign RS256 with the same key.
    let again = SigningKeys::load_or_create(&path, now).unwrap();
    assert_eq!(kids(&again.jwks(now), "RS256"), rsa);
    // A file with no current key at all is not made up for: it is damaged.
    let retired = serde_json::json!({"keys": [
        {"kid": "old-es", "pkcs8": pkcs8, "created_at": now - 10, "retired_at": now - 5}
    ]});
    std::fs::write(&path, retired.to_string()).unwrap();
    let error = SigningKeys::load_or_create(&path, now)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no current key"), "{error}");
    // An old file whose key is damaged gets nothing added: it stays as it was.
    let damaged = serde_json::json!({"keys": [
        {"kid": "old-es", "pkcs8": "AAAA", "created_at": now - 10, "retired_at": null}
    ]})
    .to_string();
    std::fs::write(&path, &damaged).unwrap();
    let error = SigningKeys::load_or_create(&path, now)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("key old-es is not a P-256 PKCS#8 key"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
}

#[test]
fn rotation_keeps_the_old_keys_published_until_their_tokens_expired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oidc/signing-keys.json");
    let now = 1_800_000_000;
    let keys = SigningKeys::load_or_create(&path, now).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let old: Vec<String> = SigningAlg::ALL
        .into_iter()
        .map(|alg| keys.sign(alg, &serde_json::json!({"n": 1})))
        .collect();
    // A new modification time, as a later rotation has.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let rotated = SigningKeys::rotate(&path, now).unwrap();
    assert_eq!(
        rotated.iter().map(|(alg, _)| *alg).collect::<Vec<_>>(),
        SigningAlg::ALL
    );
    let mut new = Vec::new();
    for (alg, kid) in &rotated {
        let token = keys.sign(*alg, &serde_json::json!({"n": 2}));
        assert!(token.starts_with(&B64.encode(
            serde_json::json!({"alg": alg.as_str(), "typ": "JWT", "kid": kid}).to_string()
        )));
        new.push(token);
    }
    assert_eq!(keys.jwks(now)["keys"].as_array().unwrap().len(), 4);
    for token in &old {
        assert!(keys.verify(token, now).is_ok());
    }
    let later = now + RETIRED_KEPT_SECS;
    assert_eq!(keys.jwks(later)["keys"].as_array().unwrap().len(), 2);
    for token in &old {
        assert_eq!(keys.verify(token, later), Err(TokenRefusal::UnknownKey));
    }
    for token in &new {
        assert!(keys.verify(token, later).is_ok());
    }
    std::fs::write(&path, b"{}").unwrap();
    let error = SigningKeys::load_or_create(&path, now).unwrap_err();
    assert!(
        error.to_string().contains("not a valid OIDC key file"),
        "{error}"
    );
}
