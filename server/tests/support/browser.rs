//! A browser on the server's router, in process: it keeps its session cookie, reads the
//! CSRF token off pages, posts forms and the pages' script calls, follows a login back to
//! a system, and plays the agent's part in a card login. The pages and OIDC tests drive
//! the server through it.

use super::{TestAgent, TestCard, TestDb};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{audit, db, demo};
use tower::ServiceExt;

pub const SITE: &str = "https://sso.example.go.th";

pub struct Browser {
    pub router: axum::Router,
    pub pool: db::Pool,
    /// The card logins' verifier of the router's state: its counted refusals are written
    /// to the audit log before [`Browser::outcomes`] reads it.
    pub verifier: thaiid_server::card_login::Verifier,
    pub cookie: Option<String>,
    pub seeded: demo::Seeded,
    pub otp_key: OtpKey,
    pub card_key: CardKey,
    /// The address the router sees the browser connect from (`None`: no connect info).
    pub peer: Option<std::net::SocketAddr>,
    /// `X-Forwarded-For`, as a proxy in front would add it.
    pub forwarded_for: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    /// Where the page sends the browser: its redirect, or the page that moves on by itself
    /// (`<meta http-equiv="refresh">`, after a login that goes back to a system).
    pub fn next(&self) -> String {
        if !self.location.is_empty() {
            return self.location.clone();
        }
        let (_, rest) = self
            .body
            .split_once(r#"<meta http-equiv="refresh" content="0;url="#)
            .unwrap_or_else(|| panic!("neither a redirect nor a refresh: {}", self.body));
        rest.split_once('"').unwrap().0.replace("&amp;", "&")
    }

    /// The CSRF token the page carries in its meta tag.
    pub fn csrf(&self) -> String {
        let (_, rest) = self
            .body
            .split_once(r#"<meta name="csrf-token" content=""#)
            .unwrap();
        rest.split_once('"').unwrap().0.to_owned()
    }
}

pub async fn browser(db: &TestDb) -> Browser {
    browser_with_key(db, OtpKey::generate(), CardKey::generate()).await
}

/// A browser on the server that sealed another's OTP secrets with `otp_key` and hashed
/// its cards with `card_key`.
pub async fn browser_with_key(db: &TestDb, otp_key: OtpKey, card_key: CardKey) -> Browser {
    let seeded = demo::seed(&db.pool, &otp_key, &card_key, thaiid_server::now())
        .await
        .unwrap();
    let state = AppState::new(db.pool.clone(), SITE, otp_key.clone(), card_key.clone()).unwrap();
    Browser {
        verifier: state.verifier.clone(),
        router: thaiid_server::app::router(state),
        pool: db.pool.clone(),
        cookie: None,
        peer: None,
        forwarded_for: None,
        seeded,
        otp_key,
        card_key,
    }
}

impl Browser {
    pub async fn send(&mut self, request: axum::http::request::Builder, body: String) -> Page {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("__Host-thaiid-session={cookie}"));
        }
        if let Some(peer) = self.peer {
            request = request.extension(axum::extract::ConnectInfo(peer));
        }
        if let Some(forwarded) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded.clone());
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let value = set.to_str().unwrap();
            let id = value
                .strip_prefix("__Host-thaiid-session=")
                .unwrap()
                .split(';')
                .next()
                .unwrap();
            self.cookie = (!id.is_empty()).then(|| id.to_owned());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), String::new()).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, SITE);
        self.send(request, body).await
    }

    pub async fn password(&mut self, password: &str) -> Page {
        self.password_as(demo::USERNAME, password).await
    }

    pub async fn password_as(&mut self, username: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    pub async fn otp(&mut self, code: &str) -> Page {
        let csrf = self.get("/login/otp").await.csrf();
        self.post("/login/otp", &[("code", code), ("csrf", &csrf)])
            .await
    }

    /// The outcomes of the newest audit rows of `method`, after the refusals counted so far
    /// are written (one row per address: [`thaiid_server::card_login::strangers`]).
    pub async fn outcomes(&self, method: audit::Method) -> Vec<String> {
        self.verifier
            .audit_strangers(thaiid_server::now())
            .await
            .unwrap();
        let mut rows = audit::recent(&self.pool, 100).await.unwrap();
        rows.retain(|row| row.entry.method == method);
        rows.into_iter().map(|row| row.entry.outcome).collect()
    }

    /// A script's JSON call, as the pages' scripts make it: the session's CSRF token in
    /// `X-CSRF-Token`. Answers the status and the body.
    pub async fn call(&mut self, path: &str, csrf: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, SITE)
            .header("x-csrf-token", csrf.to_owned());
        let page = self.send(request, "{}".into()).await;
        (page.status, serde_json::from_str(&page.body).unwrap())
    }

    /// The nonce `path` hands this session's page.
    pub async fn nonce(&mut self, path: &str, csrf: &str) -> String {
        let (status, body) = self.call(path, csrf).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["nonce"].as_str().unwrap().to_owned()
    }

    /// What the agent does with the page's nonce: posts the card's assertion (no cookie:
    /// the agent is not the browser). Answers the status and the body.
    pub async fn agent_posts(&self, assertion: String) -> (StatusCode, serde_json::Value) {
        let request = Request::post("/api/v1/card-logins")
            .header(header::CONTENT_TYPE, "application/jose")
            .body(Body::from(assertion))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// The login page's ID-card button with `card` read by `agent`: the page's result.
    pub async fn card_login(&mut self, agent: &TestAgent, card: &TestCard) -> Result<Page, String> {
        let mut page = self.get("/login").await;
        if page.status == StatusCode::SEE_OTHER {
            // Logged in already: the systems page.
            page = self.get(&page.location).await;
        }
        let nonce = self.nonce("/login/card/nonce", &page.csrf()).await;
        let (status, body) = self.agent_posts(agent.assert(SITE, &nonce, card)).await;
        if status != StatusCode::OK {
            return Err(body["error"]["code"].as_str().unwrap().to_owned());
        }
        let ticket = body["ticket"].as_str().unwrap();
        Ok(self
            .get(&format!("/login/card/complete?ticket={ticket}"))
            .await)
    }

    pub fn session_hash(&self) -> String {
        thaiid_server::sha256_hex(self.cookie.as_deref().unwrap())
    }
}

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn code_now(b: &Browser) -> String {
    demo::otp_now(&b.seeded, thaiid_server::now()).unwrap()
}
