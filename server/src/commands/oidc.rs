//! `thaiid-server oidc rotate-key`.

use super::Outcome;
use crate::oidc::keys::SigningKeys;

/// A new current signing key; the old one stays published until its tokens expire.
pub fn rotate_key(now: i64) -> Outcome {
    let kid = SigningKeys::rotate(&super::oidc_key_file(), now)?;
    println!("new signing key {kid}; the old one stays published until its tokens expire");
    Ok(())
}
