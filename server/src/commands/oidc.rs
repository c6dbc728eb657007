//! `thaiid-server oidc rotate-key`.

use super::Outcome;
use crate::oidc::keys::SigningKeys;

/// A new current signing key of each algorithm; the old ones stay published until their
/// tokens expire.
pub fn rotate_key(now: i64) -> Outcome {
    for (alg, kid) in SigningKeys::rotate(&super::oidc_key_file(), now)? {
        println!("new {alg} signing key {kid}");
    }
    println!("the old keys stay published until their tokens expire");
    Ok(())
}
