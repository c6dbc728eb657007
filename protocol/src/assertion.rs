//! The signed card assertion (SPEC §6): an ES256 JWS the agent builds with its
//! enrolled workstation key and the server verifies. Clocks and randomness come in
//! as arguments; replay, nonce and counter checks need the server's storage and are
//! left to it.

use crate::card::field_text;
use crate::citizen_id::CitizenId;
use crate::date::BuddhistDate;
use crate::decode::{self, DecodeError, Name};
use crate::image::CardImage;
use crate::laser::LaserId;
use crate::layout::Field;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::SecureRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};

/// The only signing algorithm accepted.
pub const ALG: &str = "ES256";
/// The JWS `typ` of a card assertion.
pub const TYP: &str = "thaiid-card+jwt";
/// The longest an assertion may live: `exp` ≤ `iat` + 60.
pub const MAX_LIFETIME_SECS: u64 = 60;

/// The JWS header of an assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`ALG`].
    pub alg: String,
    /// Always [`TYP`].
    pub typ: String,
    /// The agent id: whose key verifies the signature.
    pub kid: String,
}

/// The card fields a login needs: no photo, no address, no birth date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardClaim {
    /// The 13-digit citizen ID as the card gives it (its check digit judged by the server).
    pub citizen_id: CitizenId,
    /// The holder's name in Thai.
    pub name_th: Name,
    /// The holder's name in English.
    pub name_en: Name,
    /// When the card expires.
    pub expiry_date: BuddhistDate,
    /// The 14-digit number printed under the photo.
    pub card_serial: String,
    /// The number printed on the card's back, read from its laser applet (SPEC §2);
    /// `None` for a card without that applet. Never logged: `Debug` masks it.
    #[serde(default)]
    pub laser_id: Option<LaserId>,
    /// Uppercase hex.
    pub atr: String,
    /// Lowercase hex SHA-256 of the raw bytes read, in the order read.
    pub data_sha256: String,
}

impl CardClaim {
    /// The login fields of a card read with `ReadPlan::new(&Field::LOGIN)`.
    pub fn decode(atr: &[u8], image: &CardImage) -> Result<CardClaim, DecodeError> {
        let text = |field| field_text(image, field);
        let citizen_id = CitizenId::parse(&text(Field::CitizenId)?)?;
        let mut read = ring::digest::Context::new(&ring::digest::SHA256);
        for bytes in image.bytes_read() {
            read.update(bytes);
        }
        Ok(CardClaim {
            citizen_id,
            name_th: decode::name(Field::NameTh, &text(Field::NameTh)?)?,
            name_en: decode::name(Field::NameEn, &text(Field::NameEn)?)?,
            expiry_date: BuddhistDate::parse(Field::ExpiryDate, &text(Field::ExpiryDate)?)?,
            card_serial: text(Field::CardSerial)?,
            laser_id: None,
            atr: crate::hex::upper(atr),
            data_sha256: crate::hex::lower(read.finish().as_ref()),
        })
    }
}

/// What an agent asserts about one card read, for one nonce (SPEC §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The agent id.
    pub iss: String,
    /// The server's base URL.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds: at most [`MAX_LIFETIME_SECS`] after `iat`.
    pub exp: u64,
    /// 128 random bits, base64url.
    pub jti: String,
    /// The nonce the page got from its server, as given.
    pub nonce: String,
    /// The Origin header of the localhost call that asked for the login.
    pub origin: String,
    /// Strictly increasing per agent.
    pub ctr: u64,
    /// What the card says.
    pub card: CardClaim,
}

/// Why an assertion was refused. Each has its own reason code (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// The token is not three base64url parts of JSON.
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    /// `alg` is not ES256.
    #[error("algorithm {0:?} is not ES256")]
    AlgNotAllowed(String),
    /// `typ` is not [`TYP`].
    #[error("type {0:?} is not {TYP}")]
    WrongType(String),
    /// The signature does not verify under the agent's key.
    #[error("the signature does not verify")]
    BadSignature,
    /// `iss` is not the agent whose key signed.
    #[error("issuer {iss:?} is not the signing agent {kid:?}")]
    WrongIssuer {
        /// The claims' issuer.
        iss: String,
        /// The header's key id.
        kid: String,
    },
    /// `aud` is not this server.
    #[error("audience {0:?} is not this server")]
    WrongAudience(String),
    /// `exp` - `iat` is not between 1 and [`MAX_LIFETIME_SECS`].
    #[error("lifetime of {0} s is not between 1 and {MAX_LIFETIME_SECS} s")]
    BadLifetime(i128),
    /// `exp` passed this many seconds ago (beyond the clock skew).
    #[error("expired {0} s ago")]
    Expired(u64),
    /// `iat` is this many seconds ahead (beyond the clock skew).
    #[error("issued {0} s in the future")]
    IssuedInFuture(u64),
    /// The agent's key is not a P-256 JWK.
    #[error("the public key is not a P-256 JWK")]
    BadKey,
}

/// An EC P-256 public key as a JWK (`{"kty":"EC","crv":"P-256","x","y"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// Always `EC`.
    pub kty: String,
    /// Always `P-256`.
    pub crv: String,
    /// The point's x, base64url.
    pub x: String,
    /// The point's y, base64url.
    pub y: String,
}

impl PublicJwk {
    /// The public half of `key`.
    pub fn from_key_pair(key: &EcdsaKeyPair) -> PublicJwk {
        // ring gives the uncompressed point: 04 || x || y.
        let point = key.public_key().as_ref();
        PublicJwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: B64.encode(&point[1..33]),
            y: B64.encode(&point[33..65]),
        }
    }

    /// The JWK of the point (`x`, `y`), as a key store outside ring hands it out (Windows
    /// CNG's public blob).
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> PublicJwk {
        PublicJwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: B64.encode(x),
            y: B64.encode(y),
        }
    }

    /// The uncompressed point ring verifies with.
    pub fn point(&self) -> Result<Vec<u8>, AssertionError> {
        if self.kty != "EC" || self.crv != "P-256" {
            return Err(AssertionError::BadKey);
        }
        let coordinate = |text: &str| {
            B64.decode(text)
                .ok()
                .filter(|bytes| bytes.len() == 32)
                .ok_or(AssertionError::BadKey)
        };
        let mut point = vec![0x04];
        point.extend(coordinate(&self.x)?);
        point.extend(coordinate(&self.y)?);
        Ok(point)
    }
}

/// A fresh `jti`: 128 random bits, base64url.
pub fn new_jti(rng: &dyn SecureRandom) -> Result<String, ring::error::Unspecified> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes)?;
    Ok(B64.encode(bytes))
}

/// Signs `claims` as the agent `claims.iss`.
pub fn sign(
    claims: &Claims,
    key: &EcdsaKeyPair,
    rng: &dyn SecureRandom,
) -> Result<String, ring::error::Unspecified> {
    sign_with(claims, |input| {
        key.sign(rng, input)
            .map(|signature| signature.as_ref().to_vec())
    })
}

/// Signs `claims` as the agent `claims.iss` with a key held elsewhere (a TPM): `sign`
/// gets the JWS signing input and answers the ES256 signature, r || s (64 bytes).
pub fn sign_with<E>(
    claims: &Claims,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<String, E> {
    let header = Header {
        alg: ALG.into(),
        typ: TYP.into(),
        kid: claims.iss.clone(),
    };
    compact_jws(&header, claims, sign)
}

/// A compact JWS of `payload` under `header` (any JSON: the assertion's, an ID token's,
/// or a test's forged one), signed by `sign` over the signing input.
pub fn compact_jws<E>(
    header: &impl Serialize,
    payload: &impl Serialize,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<String, E> {
    let header = serde_json::to_vec(header).expect("JSON values serialize");
    let payload = serde_json::to_vec(payload).expect("JSON values serialize");
    let signing_input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let signature = sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", B64.encode(signature)))
}

/// An assertion parsed but not yet verified: read its `kid` to find the agent's key.
#[derive(Debug)]
pub struct Unverified {
    header: Header,
    claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

impl Unverified {
    /// Splits and decodes `token`; checks `alg` and `typ` already, the signature not yet.
    pub fn parse(token: &str) -> Result<Unverified, AssertionError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AssertionError::Malformed("not three dot-separated parts"));
        };
        let decode = |part: &str, what| {
            B64.decode(part)
                .map_err(|_| AssertionError::Malformed(what))
        };
        let header_json = decode(header_b64, "header is not base64url")?;
        // The algorithm is judged before anything else in the header is trusted.
        let alg = serde_json::from_slice::<serde_json::Value>(&header_json)
            .map_err(|_| AssertionError::Malformed("header is not JSON"))?
            .get("alg")
            .and_then(|alg| alg.as_str().map(str::to_owned))
            .ok_or(AssertionError::Malformed("header has no alg"))?;
        if alg != ALG {
            return Err(AssertionError::AlgNotAllowed(alg));
        }
        let header: Header = serde_json::from_slice(&header_json)
            .map_err(|_| AssertionError::Malformed("header fields"))?;
        if header.typ != TYP {
            return Err(AssertionError::WrongType(header.typ));
        }
        let claims_json = decode(claims_b64, "claims are not base64url")?;
        let claims: Claims = serde_json::from_slice(&claims_json)
            .map_err(|_| AssertionError::Malformed("claims fields"))?;
        Ok(Unverified {
            signing_input: format!("{header_b64}.{claims_b64}"),
            header,
            claims,
            signature: decode(signature_b64, "signature is not base64url")?,
        })
    }

    /// The agent that says it signed this.
    pub fn kid(&self) -> &str {
        &self.header.kid
    }

    /// Checks signature, issuer, audience and times; `now` in Unix seconds, `skew` the
    /// clock difference tolerated between agent and server.
    pub fn verify(
        self,
        key: &PublicJwk,
        audience: &str,
        now: u64,
        skew: u64,
    ) -> Result<Claims, AssertionError> {
        let point = key.point()?;
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| AssertionError::BadSignature)?;
        let claims = self.claims;
        if claims.iss != self.header.kid {
            return Err(AssertionError::WrongIssuer {
                iss: claims.iss,
                kid: self.header.kid,
            });
        }
        if claims.aud != audience {
            return Err(AssertionError::WrongAudience(claims.aud));
        }
        let lifetime = i128::from(claims.exp) - i128::from(claims.iat);
        if !(1..=i128::from(MAX_LIFETIME_SECS)).contains(&lifetime) {
            return Err(AssertionError::BadLifetime(lifetime));
        }
        if claims.iat > now.saturating_add(skew) {
            return Err(AssertionError::IssuedInFuture(claims.iat - now));
        }
        if now > claims.exp.saturating_add(skew) {
            return Err(AssertionError::Expired(now - claims.exp));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests;
