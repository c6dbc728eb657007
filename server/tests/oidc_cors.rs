//! The OpenID Connect provider's CORS for single-page apps, on SQLite and PostgreSQL:
//! discovery and JWKS open to all, token and userinfo to registered redirect URIs' origins
//! only, a public client's codes spent only from its own origin.

use thaiid_server::on_both_databases;
mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use serde_json::Value;
use support::browser::{url_encode, Browser};
use support::oidc::{
    answer, code_for, exchange, log_in_by_password, new_pkce, token, with_clients, HR, HR_CALLBACK,
    SPA, SPA_CALLBACK,
};
use support::TestDb;
use thaiid_server::demo;

on_both_databases!(
    preflights_pass_for_registered_origins_only,
    discovery_and_jwks_are_open_to_every_origin,
    a_public_client_spends_its_codes_from_its_own_origin_only,
);

const SPA_ORIGIN: &str = "https://spa.example.go.th";
const HR_ORIGIN: &str = "https://hr.example.go.th";

/// A header's value as text, "" when absent.
fn said<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap())
        .unwrap_or_default()
}

/// A browser's preflight for `method` with `headers` to `path` from `origin`.
async fn preflight(
    b: &Browser,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> (StatusCode, HeaderMap) {
    let request = Request::options(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = answer(b, request).await;
    (status, headers)
}

async fn preflights_pass_for_registered_origins_only(db: TestDb) {
    let (b, _) = with_clients(&db).await;
    for (path, method) in [("/oidc/token", "POST"), ("/oidc/userinfo", "GET")] {
        let (status, headers) =
            preflight(&b, path, SPA_ORIGIN, method, "authorization,content-type").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(said(&headers, "access-control-allow-origin"), SPA_ORIGIN);
        assert!(said(&headers, "access-control-allow-methods").contains(method));
        let allowed = said(&headers, "access-control-allow-headers").to_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"));
        assert_eq!(said(&headers, "access-control-max-age"), "600");
        assert!(said(&headers, "vary").contains("Origin"), "{headers:?}");
        assert!(!headers.contains_key("access-control-allow-credentials"));
    }
    // A confidential client's redirect URI counts too: the origin is registered.
    let (status, headers) =
        preflight(&b, "/oidc/userinfo", HR_ORIGIN, "GET", "authorization").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(said(&headers, "access-control-allow-origin"), HR_ORIGIN);

    // Unregistered, opaque, or only close to a registered origin; or asking for more.
    for (origin, method, asked) in [
        ("https://evil.example", "POST", "content-type"),
        ("null", "POST", "content-type"),
        ("https://spa.example.go.th.evil.example", "POST", ""),
        ("https://spa.example.go.th/", "POST", ""),
        ("https://SPA.example.go.th", "POST", ""),
        ("http://spa.example.go.th", "POST", ""),
        ("https://spa.example.go.th:8443", "POST", ""),
        (SPA_ORIGIN, "DELETE", ""),
        (SPA_ORIGIN, "POST", "authorization, x-requested-by"),
        (SPA_ORIGIN, "POST", "cookie"),
    ] {
        for path in ["/oidc/token", "/oidc/userinfo"] {
            let (status, headers) = preflight(&b, path, origin, method, asked).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{path} {origin} {method} {asked}"
            );
            for name in [
                "access-control-allow-origin",
                "access-control-allow-methods",
                "access-control-allow-headers",
            ] {
                assert!(!headers.contains_key(name), "{path} {origin}: {name}");
            }
        }
    }
    // The pages and the card-login API answer no preflight.
    for path in ["/login", "/api/v1/card-logins", "/oidc/authorize"] {
        let (_, headers) = preflight(&b, path, SPA_ORIGIN, "POST", "content-type").await;
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{path}: {headers:?}"
        );
    }
}

async fn discovery_and_jwks_are_open_to_every_origin(db: TestDb) {
    let (b, _) = with_clients(&db).await;
    for path in ["/.well-known/openid-configuration", "/oidc/jwks"] {
        let request = Request::get(path)
            .header(header::ORIGIN, "https://anyone.example")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = answer(&b, request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(said(&headers, "access-control-allow-origin"), "*", "{path}");
        assert!(!headers.contains_key("access-control-allow-credentials"));
        assert!(body.is_object(), "{path}: {body}");
        let (status, headers) = preflight(&b, path, "null", "GET", "").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(said(&headers, "access-control-allow-origin"), "*", "{path}");
    }
}

/// `POST /oidc/token` with `form`, as a page at `origin` sends it.
async fn token_from(
    b: &Browser,
    origin: &str,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    let request = Request::post("/oidc/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, origin)
        .body(Body::from(body.join("&")))
        .unwrap();
    answer(b, request).await
}

async fn a_public_client_spends_its_codes_from_its_own_origin_only(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    let code = code_for(&mut b, SPA, SPA_CALLBACK, &pkce).await;
    let mut form = exchange(&code, SPA_CALLBACK, &pkce);
    form.push(("client_id", SPA));

    // From another client's page, an unregistered one, or an opaque origin: refused before
    // the code is spent.
    for origin in [HR_ORIGIN, "https://evil.example", "null"] {
        let (status, headers, error) = token_from(&b, origin, &form).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
            "{origin}: {error}"
        );
        let allowed = said(&headers, "access-control-allow-origin");
        // HR's page may read the refusal; no one else may read anything.
        assert_eq!(allowed, if origin == HR_ORIGIN { HR_ORIGIN } else { "" });
    }
    // From its own page: the tokens, readable there, and userinfo with them.
    let (status, headers, tokens) = token_from(&b, SPA_ORIGIN, &form).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(said(&headers, "access-control-allow-origin"), SPA_ORIGIN);
    assert!(said(&headers, "vary").contains("Origin"));
    assert!(!headers.contains_key("access-control-allow-credentials"));
    let access = tokens["access_token"].as_str().unwrap();
    for (origin, readable) in [(SPA_ORIGIN, SPA_ORIGIN), ("https://evil.example", "")] {
        let request = Request::get("/oidc/userinfo")
            .header(header::AUTHORIZATION, format!("Bearer {access}"))
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        let (status, headers, info) = answer(&b, request).await;
        assert_eq!(status, StatusCode::OK, "{info}");
        assert_eq!(info["preferred_username"], demo::USERNAME);
        assert_eq!(
            said(&headers, "access-control-allow-origin"),
            readable,
            "{origin}"
        );
    }

    // A confidential client's server sends no Origin; if it does, the same rule.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let mut form = exchange(&code, HR_CALLBACK, &pkce);
    form.extend([("client_id", HR), ("client_secret", secrets[HR].as_str())]);
    let (status, _, error) = token_from(&b, SPA_ORIGIN, &form).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
    let (status, _) = token(&b, &form, None).await;
    assert_eq!(status, StatusCode::OK);
}
