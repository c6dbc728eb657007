//! The OpenID Connect tests' shared part: the demo's systems registered as clients (a
//! confidential HR and budget, a public single-page app), PKCE, authorization requests and
//! the redirects back, a login by password + OTP, the token and userinfo endpoints, ID
//! tokens verified against the JWKS as a relying party checks them, and forged tokens.

use super::browser::{browser, code_now, url_encode, Browser};
use super::TestDb;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use thaiid_server::demo;
use thaiid_server::oidc::clients::{self, Registration};
use tower::ServiceExt;

pub const HR: &str = "01010101";
pub const HR_CALLBACK: &str = "https://hr.example.go.th/oidc/callback";
pub const HR_BYE: &str = "https://hr.example.go.th/bye";
/// A system the demo person has no permission for.
pub const BUDGET: &str = "03010101";
pub const BUDGET_CALLBACK: &str = "https://budget.example.go.th/cb";
/// A public client (PKCE alone).
pub const SPA: &str = "02010101";
pub const SPA_CALLBACK: &str = "https://spa.example.go.th/cb";

/// The seeded demo with three of its systems as clients; answers the secrets.
pub async fn with_clients(db: &TestDb) -> (Browser, HashMap<&'static str, String>) {
    let b = browser(db).await;
    let now = thaiid_server::now();
    let mut secrets = HashMap::new();
    for (code, callback, public) in [
        (HR, HR_CALLBACK, false),
        (BUDGET, BUDGET_CALLBACK, false),
        (SPA, SPA_CALLBACK, true),
    ] {
        let registration = Registration {
            redirect_uris: vec![callback.into()],
            post_logout_redirect_uris: vec![HR_BYE.into()],
            public,
            id_token_alg: None,
        };
        let secret = clients::register(&db.pool, code, &registration, now)
            .await
            .unwrap();
        assert_eq!(secret.is_none(), public);
        if let Some(secret) = secret {
            secrets.insert(code, secret);
        }
    }
    (b, secrets)
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn new_pkce() -> Pkce {
    let verifier = B64.encode(thaiid_server::random_bytes::<32>());
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    Pkce {
        challenge: B64.encode(digest.as_ref()),
        verifier,
    }
}

pub fn authorize_path(params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    format!("/oidc/authorize?{}", query.join("&"))
}

/// A well-formed request of `client` to `callback`.
pub fn request(client: &str, callback: &str, pkce: &Pkce) -> String {
    authorize_path(&[
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", callback),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ])
}

/// The query parameters of a redirect to `base`.
pub fn redirected(location: &str, base: &str) -> HashMap<String, String> {
    let query = location
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('?'))
        .unwrap_or_else(|| panic!("{location:?} does not go to {base}"));
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub async fn log_in_by_password(b: &mut Browser) -> String {
    b.password(demo::PASSWORD).await;
    let code = code_now(b);
    b.otp(&code).await.next()
}

/// The code the provider sends `b` back with (signed in already).
pub async fn code_for(b: &mut Browser, client: &str, callback: &str, pkce: &Pkce) -> String {
    let page = b.get(&request(client, callback, pkce)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let back = redirected(&page.location, callback);
    assert_eq!(back.get("state").map(String::as_str), Some("st-1"));
    back.get("code")
        .unwrap_or_else(|| panic!("no code: {back:?}"))
        .clone()
}

/// `POST /oidc/token` with `form`, and HTTP Basic when `basic` is given.
pub async fn token(
    b: &Browser,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    let mut request = Request::post("/oidc/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        request = request.header(
            header::AUTHORIZATION,
            format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", url_encode(id), url_encode(secret)))
            ),
        );
    }
    call(b, request.body(Body::from(body.join("&"))).unwrap()).await
}

pub async fn call(b: &Browser, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = answer(b, request).await;
    (status, body)
}

/// The status, headers and JSON body (`null` if none) of `request`.
pub async fn answer(b: &Browser, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = b.router.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn exchange<'a>(code: &'a str, callback: &'a str, pkce: &'a Pkce) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", callback),
        ("code_verifier", &pkce.verifier),
    ]
}

pub async fn userinfo(b: &Browser, access_token: &str) -> (StatusCode, Value) {
    let request = Request::get("/oidc/userinfo")
        .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
        .body(Body::empty())
        .unwrap();
    call(b, request).await
}

/// The claims of `id_token` once its ES256 signature verifies under the JWKS.
pub async fn verified(b: &Browser, id_token: &str) -> Value {
    verified_as(b, id_token, "ES256").await
}

/// The claims of `id_token` once its header says `alg` and its signature verifies under
/// the JWKS key its `kid` names, as a relying party checks it: ES256 with the key's x and
/// y, RS256 with its n and e.
pub async fn verified_as(b: &Browser, id_token: &str, alg: &str) -> Value {
    let (_, jwks) = call(b, Request::get("/oidc/jwks").body(Body::empty()).unwrap()).await;
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    let (header, payload) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&B64.decode(header).unwrap()).unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some(alg), Some("JWT"))
    );
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header["kid"])
        .expect("the token's kid is in the JWKS");
    assert_eq!(
        (key["alg"].as_str(), key["use"].as_str()),
        (Some(alg), Some("sig"))
    );
    let number = |name: &str| B64.decode(key[name].as_str().unwrap()).unwrap();
    let signature = B64.decode(signature).unwrap();
    let checked = match alg {
        "ES256" => {
            assert_eq!(key["kty"], "EC");
            let mut point = vec![4u8];
            point.extend(number("x"));
            point.extend(number("y"));
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &point,
            )
            .verify(signed.as_bytes(), &signature)
        }
        "RS256" => {
            assert_eq!(key["kty"], "RSA");
            let (n, e) = (number("n"), number("e"));
            assert_ne!(n[0], 0, "n has no leading zero byte");
            ring::signature::RsaPublicKeyComponents { n: &n, e: &e }.verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &signature,
            )
        }
        other => panic!("no {other} here"),
    };
    checked.expect("the ID token verifies under the JWKS");
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

/// The header of a compact JWS.
pub fn header_of(token: &str) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

/// A token of the provider's shape under a header of the attacker's choosing.
pub fn forged(alg: &str, claims: &Value) -> Vec<String> {
    let header = B64.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let payload = B64.encode(claims.to_string());
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"the JWKS x coordinate, say"),
        format!("{header}.{payload}").as_bytes(),
    );
    vec![
        format!("{header}.{payload}."),
        format!("{header}.{payload}.{}", B64.encode(mac.as_ref())),
    ]
}
