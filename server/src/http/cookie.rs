//! The session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax.

use axum::http::{header, HeaderMap};

pub const COOKIE: &str = "__Host-thaiid-session";

/// The session id the request's cookie carries.
pub fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The `Set-Cookie` value that gives the browser the session `id`.
pub fn set(id: &str) -> String {
    let ttl = crate::sessions::TTL_SECS;
    format!("{COOKIE}={id}; Path=/; Max-Age={ttl}; HttpOnly; Secure; SameSite=Lax")
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub fn clear() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_is_locked_down() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("a=1; {COOKIE}=abc; b=2").parse().unwrap(),
        );
        assert_eq!(session_id(&headers), Some("abc"));
        let cookie = set("abc");
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Domain"), "__Host- cookies have no Domain");
    }
}
