//! One ID-token signing key pair of either algorithm: what it signs with, the public JWK
//! the JWKS lists, and how its signatures are checked. ring does all the signing: for
//! RS256 its RSA is constant-time, which the RustCrypto `rsa` crate's is not
//! (RUSTSEC-2023-0071); that crate only makes the RSA key, which ring cannot.

use super::alg::SigningAlg;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use thaiid_protocol::assertion::PublicJwk;

/// The size of the RSA keys made: 2048 bits, what RS256 relying parties expect.
pub const RSA_BITS: usize = 2048;

/// A key pair that signs ID tokens.
pub enum SigningKey {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.alg())
    }
}

/// A new key pair for `alg`, as PKCS#8 DER, from the system's secure random source.
pub fn generate_pkcs8(alg: SigningAlg) -> Vec<u8> {
    match alg {
        SigningAlg::Es256 => {
            let rng = SystemRandom::new();
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .expect("the system's random source works")
                .as_ref()
                .to_vec()
        }
        SigningAlg::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
                .expect("the system's random source works");
            key.to_pkcs8_der()
                .expect("an RSA key encodes as PKCS#8")
                .as_bytes()
                .to_vec()
        }
    }
}

impl SigningKey {
    /// The key pair in `pkcs8`, which must be of `alg`'s kind.
    pub fn from_pkcs8(
        alg: SigningAlg,
        pkcs8: &[u8],
    ) -> Result<SigningKey, ring::error::KeyRejected> {
        Ok(match alg {
            SigningAlg::Es256 => SigningKey::Es256(EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                pkcs8,
                &SystemRandom::new(),
            )?),
            SigningAlg::Rs256 => SigningKey::Rs256(RsaKeyPair::from_pkcs8(pkcs8)?),
        })
    }

    pub fn alg(&self) -> SigningAlg {
        match self {
            SigningKey::Es256(_) => SigningAlg::Es256,
            SigningKey::Rs256(_) => SigningAlg::Rs256,
        }
    }

    /// The JWS signature of `input`.
    pub fn sign(&self, input: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Es256(pair) => Ok(pair.sign(&rng, input)?.as_ref().to_vec()),
            SigningKey::Rs256(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input, &mut signature)?;
                Ok(signature)
            }
        }
    }

    /// Whether `signature` is this key's over `input`.
    pub fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        let (algorithm, public): (&dyn ring::signature::VerificationAlgorithm, &[u8]) = match self {
            SigningKey::Es256(pair) => (&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()),
            // The DER RSAPublicKey, which ring's RSA verification takes.
            SigningKey::Rs256(pair) => (&RSA_PKCS1_2048_8192_SHA256, pair.public().as_ref()),
        };
        ring::signature::UnparsedPublicKey::new(algorithm, public)
            .verify(input, signature)
            .is_ok()
    }

    /// The public key as a JWK (RFC 7518 §6): `kty` and the key's numbers; the JWKS adds
    /// `kid`, `use` and `alg`.
    pub fn public_jwk(&self) -> serde_json::Value {
        match self {
            SigningKey::Es256(pair) => {
                let jwk = PublicJwk::from_key_pair(pair);
                serde_json::json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y})
            }
            SigningKey::Rs256(pair) => {
                let components = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
                serde_json::json!({
                    "kty": "RSA",
                    "n": unsigned_base64url(&components.n),
                    "e": unsigned_base64url(&components.e),
                })
            }
        }
    }
}

/// A big-endian unsigned integer as RFC 7518 §6.3.1 wants it: base64url of its shortest
/// big-endian form, with no leading zero bytes (zero itself is one zero byte).
fn unsigned_base64url(bytes: &[u8]) -> String {
    let first = bytes.iter().position(|&byte| byte != 0);
    let shortest = first.map_or(&[0u8][..], |first| &bytes[first..]);
    B64.encode(shortest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_integers_lose_their_leading_zeros() {
        assert_eq!(unsigned_base64url(&[0, 0, 1, 0, 1]), "AQAB");
        assert_eq!(unsigned_base64url(&[1, 0, 1]), "AQAB");
        assert_eq!(unsigned_base64url(&[0x80, 0]), B64.encode([0x80, 0]));
        assert_eq!(unsigned_base64url(&[0, 0]), "AA");
    }

    #[test]
    fn an_rsa_key_signs_with_ring_and_its_jwk_verifies() {
        let pkcs8 = generate_pkcs8(SigningAlg::Rs256);
        let key = SigningKey::from_pkcs8(SigningAlg::Rs256, &pkcs8).unwrap();
        assert_eq!(key.alg(), SigningAlg::Rs256);
        let signature = key.sign(b"header.payload").unwrap();
        assert_eq!(signature.len(), RSA_BITS / 8);
        assert!(key.verifies(b"header.payload", &signature));
        assert!(!key.verifies(b"header.payloaD", &signature));
        // What a relying party does with the JWKS: n and e, nothing else.
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["e"], "AQAB");
        let n = B64.decode(jwk["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), RSA_BITS / 8, "2048 bits, no leading zero byte");
        assert_ne!(n[0], 0);
        let e = B64.decode(jwk["e"].as_str().unwrap()).unwrap();
        ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, b"header.payload", &signature)
            .expect("the JWK's n and e verify the signature");
        // PKCS#1 v1.5 is deterministic: the same input, the same signature.
        assert_eq!(key.sign(b"header.payload").unwrap(), signature);
    }

    #[test]
    fn a_key_of_one_kind_is_not_taken_for_the_other() {
        let ec = generate_pkcs8(SigningAlg::Es256);
        let rsa = generate_pkcs8(SigningAlg::Rs256);
        assert!(SigningKey::from_pkcs8(SigningAlg::Rs256, &ec).is_err());
        assert!(SigningKey::from_pkcs8(SigningAlg::Es256, &rsa).is_err());
        let key = SigningKey::from_pkcs8(SigningAlg::Es256, &ec).unwrap();
        let jwk = key.public_jwk();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str()),
            (Some("EC"), Some("P-256"))
        );
        let signature = key.sign(b"x").unwrap();
        assert!(key.verifies(b"x", &signature));
    }
}
