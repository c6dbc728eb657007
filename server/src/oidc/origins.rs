//! Which web origins may call the token and userinfo endpoints from a browser: those of
//! the clients' registered login redirect URIs (a single-page app runs where it is sent
//! back to). An `Origin` header counts only in the exact form browsers send it
//! (`scheme://host[:port]`, lower case, no default port), so nothing close to a registered
//! origin passes for it; `null` and every other opaque origin is no origin.

use super::clients::Client;
use crate::db::Pool;
use sqlx::Row;

/// An http(s) origin, serialized as browsers serialize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// The origin an `Origin` header names, if the header is one exactly as a browser
    /// writes it: `https://Hr.example` or `https://hr.example/` are not.
    pub fn from_header(value: &[u8]) -> Option<WebOrigin> {
        let text = std::str::from_utf8(value).ok()?;
        WebOrigin::of_url(text).filter(|origin| origin.0 == text)
    }

    /// The origin of an http(s) URL, such as a redirect URI.
    pub fn of_url(url: &str) -> Option<WebOrigin> {
        let url = url::Url::parse(url).ok()?;
        if !matches!(url.scheme(), "https" | "http") {
            return None;
        }
        let origin = url.origin();
        origin
            .is_tuple()
            .then(|| WebOrigin(origin.ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `origin` is that of one of `client`'s login redirect URIs.
pub fn is_clients(client: &Client, origin: &WebOrigin) -> bool {
    client
        .redirect_uris
        .iter()
        .any(|uri| WebOrigin::of_url(uri).as_ref() == Some(origin))
}

/// Whether `origin` is that of some client's login redirect URI. Every URI is read: there
/// are a few per system, and a prefix match in SQL would miss one registered with an
/// upper-case or non-ASCII host.
pub async fn is_registered(pool: &Pool, origin: &WebOrigin) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query("SELECT uri FROM oidc_redirect_uris WHERE kind = 'login'")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let uri: String = row.try_get("uri")?;
        if WebOrigin::of_url(&uri).as_ref() == Some(origin) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_header_counts_only_as_browsers_write_it() {
        for good in [
            "https://spa.example.go.th",
            "http://127.0.0.1:8081",
            "https://[::1]:8443",
            "https://xn--o3cw4h.example",
        ] {
            let origin = WebOrigin::from_header(good.as_bytes());
            assert_eq!(origin.as_ref().map(WebOrigin::as_str), Some(good));
        }
        for bad in [
            "null",
            "",
            "https://spa.example.go.th/",
            "https://SPA.example.go.th",
            "https://spa.example.go.th:443",
            "https://spa.example.go.th/cb",
            "https://user@spa.example.go.th",
            "file:///tmp/app.html",
            "data:text/html,x",
            "spa.example.go.th",
            " https://spa.example.go.th",
        ] {
            assert_eq!(WebOrigin::from_header(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(WebOrigin::from_header(b"https://\xff.example"), None);
    }

    #[test]
    fn a_redirect_uri_has_the_origin_a_browser_there_sends() {
        for (uri, origin) in [
            (
                "https://SPA.example.go.th:443/cb?x=1",
                "https://spa.example.go.th",
            ),
            ("http://127.0.0.1:8081/cb", "http://127.0.0.1:8081"),
            ("https://ไทย.example/cb", "https://xn--o3cw4h.example"),
        ] {
            assert_eq!(
                WebOrigin::of_url(uri).as_ref().map(WebOrigin::as_str),
                Some(origin)
            );
        }
        assert_eq!(WebOrigin::of_url("myapp://cb"), None);
    }
}
