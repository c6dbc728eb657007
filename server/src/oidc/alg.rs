//! The ID-token signing algorithms offered: ES256 first (SPEC §7), RS256 for relying
//! parties that verify nothing else. A client's choice is its
//! `id_token_signed_response_alg` (OpenID Connect Dynamic Client Registration's name).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256: the default.
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    #[serde(rename = "RS256")]
    Rs256,
}

/// An algorithm name that is not offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ID token algorithm offered here: ES256 (the default) or RS256")]
pub struct UnknownAlg(pub String);

impl SigningAlg {
    /// Every algorithm offered, in the order discovery lists them.
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Es256, SigningAlg::Rs256];

    /// The JOSE name (RFC 7518), as in a JWS header and in discovery.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
        }
    }

    /// A JOSE name, exactly (names are case-sensitive: `rs256` is none).
    pub fn parse(name: &str) -> Result<SigningAlg, UnknownAlg> {
        SigningAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or_else(|| UnknownAlg(name.to_owned()))
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_exact_and_round_trip() {
        for alg in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(alg.as_str()), Ok(alg));
            assert_eq!(
                serde_json::to_value(alg).unwrap(),
                serde_json::json!(alg.as_str())
            );
        }
        for bad in ["rs256", "RS384", "HS256", "none", ""] {
            let error = SigningAlg::parse(bad).unwrap_err().to_string();
            assert!(error.contains("ES256 (the default) or RS256"), "{error}");
        }
    }
}
