//! The real server in this process, for tests of other crates (the agent's above all):
//! its router on a free loopback port over plain HTTP, its own database, and the handles
//! a test needs to set it up, look inside it, and make it fail.
//!
//! Blocking: it runs on a runtime of its own, so a plain `#[test]` drives it. Not for use
//! from inside a tokio runtime (its helpers block on their own).

use super::database::{Database, TestDb};
use crate::agents::{self, AgentRecord};
use crate::audit::{self, Logged};
use crate::card_key::CardKey;
use crate::challenges::{self, Purpose};
use crate::db::Pool;
use crate::http::AppState;
use crate::otp_key::OtpKey;
use crate::{cards, demo, tokens, users};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use thaiid_protocol::api::{ServerErrorBody, ServerErrorDetail};
use thaiid_protocol::assertion::Claims;

/// The browser session the test's nonces are bound to, and its tickets redeemed for.
pub const TEST_SESSION: &str = "test-session";

/// The one place that knows how the server is assembled: the state and the router.
fn app(pool: Pool, url: &str, otp_key: OtpKey, card_key: CardKey, agent_url: &str) -> AppState {
    crate::http::AppState::new(pool, url, otp_key, card_key)
        .and_then(|state| state.with_agent_url(agent_url))
        .expect("a loopback URL is a server URL, and an agent URL")
}

/// How the server fails when told to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `503 UNAVAILABLE` (the API's error shape) to every request, as a server behind a
    /// proxy whose upstream is down.
    Unavailable,
}

/// An assertion an agent posted to `/api/v1/card-logins`, and the status it got.
#[derive(Clone, Debug)]
pub struct Posted {
    pub assertion: String,
    pub status: u16,
}

impl Posted {
    /// Its claims, read without checking the signature (the server checked it).
    pub fn claims(&self) -> Claims {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
        use base64::Engine;
        let payload = self
            .assertion
            .split('.')
            .nth(1)
            .expect("a JWS has a payload");
        serde_json::from_slice(&B64.decode(payload).expect("base64url payload"))
            .expect("the payload is claims")
    }
}

#[derive(Default)]
struct Control {
    failure: Mutex<Option<Failure>>,
    posted: Mutex<Vec<Posted>>,
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT`: the assertions' `aud`, and the origin of its pages.
    pub url: String,
    pub pool: Pool,
    pub card_key: CardKey,
    pub otp_key: OtpKey,
    /// The card logins' verifier of its state.
    pub verifier: crate::card_login::Verifier,
    control: Arc<Control>,
    runtime: Option<tokio::runtime::Runtime>,
    _db: TestDb,
}

impl TestServer {
    /// On a new SQLite file.
    pub fn start() -> TestServer {
        TestServer::start_on(Database::Sqlite)
    }

    pub fn start_on(database: Database) -> TestServer {
        TestServer::start_with(database, Router::new())
    }

    /// With `pages` (static routes of the test's, e.g. a demo login page) served beside the
    /// server's own, at its origin. `POST /test/nonce` answers `{"nonce"}` for a login
    /// bound to the caller's `Origin` (else the server's), as a login page would get it.
    pub fn start_with(database: Database, pages: Router) -> TestServer {
        TestServer::start_for_agent(database, pages, crate::http::state::DEFAULT_AGENT_URL)
    }

    /// [`TestServer::start_with`], its pages calling the agent at `agent_url`.
    pub fn start_for_agent(database: Database, pages: Router, agent_url: &str) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let control = Arc::new(Control::default());
        let (otp_key, card_key) = (OtpKey::generate(), CardKey::generate());
        let (url, db, verifier) = runtime.block_on(async {
            let db = TestDb::new(database).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let url = format!("http://{}", listener.local_addr().expect("its address"));
            let test_routes = Router::new()
                .route("/test/nonce", post(page_nonce))
                .with_state((db.pool.clone(), url.clone()));
            let state = app(
                db.pool.clone(),
                &url,
                otp_key.clone(),
                card_key.clone(),
                agent_url,
            );
            let verifier = state.verifier.clone();
            let app = crate::app::router(state)
                .merge(test_routes)
                .merge(pages)
                .layer(axum::middleware::from_fn_with_state(
                    control.clone(),
                    controlled,
                ));
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
            });
            (url, db, verifier)
        });
        TestServer {
            url,
            pool: db.pool.clone(),
            card_key,
            otp_key,
            verifier,
            control,
            runtime: Some(runtime),
            _db: db,
        }
    }

    /// Runs `future` (a query of the test's own) on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the test server was stopped")
            .block_on(future)
    }

    /// An enrollment token good for one agent, for an hour.
    pub fn enrollment_token(&self) -> String {
        self.block_on(tokens::create(
            &self.pool,
            1,
            3600,
            crate::audit::CLI,
            crate::now(),
        ))
        .expect("a token is stored")
    }

    /// An account named `username` linked to `citizen_id`, with no card registered.
    pub fn add_user(&self, username: &str, citizen_id: &str) {
        self.block_on(users::add(
            &self.pool,
            username,
            username,
            Some(citizen_id),
            crate::now(),
        ))
        .expect("the account is added");
    }

    /// Registers the card `serial` (+ `laser`; `None`: a card without the laser applet) as
    /// `username`'s, as IT does.
    pub fn register_card(&self, username: &str, serial: &str, laser: Option<&str>) {
        self.block_on(cards::register_by_it(
            &self.pool,
            &self.card_key,
            username,
            serial,
            cards::LaserEntry::as_read(laser),
            crate::now(),
        ))
        .expect("the card is registered");
    }

    /// The demo person of `thaiid-server demo` (the virtual card's demo fixture, its card
    /// registered, a password and an OTP), and the systems.
    pub fn add_demo_person(&self) -> demo::Seeded {
        self.block_on(demo::seed(
            &self.pool,
            &self.otp_key,
            &self.card_key,
            crate::now(),
        ))
        .expect("the demo is seeded")
    }

    /// A login nonce bound to `origin` and to [`TEST_SESSION`], as the pages and the
    /// challenges API issue them.
    pub fn nonce(&self, origin: &str) -> String {
        self.block_on(challenges::issue(
            &self.pool,
            origin,
            TEST_SESSION,
            crate::now(),
        ))
        .expect("a nonce is stored")
    }

    /// Redeems a ticket for [`TEST_SESSION`] as the completion page does: the account it
    /// logs in, or the refusal's code.
    pub fn redeem(&self, ticket: &str) -> Result<String, &'static str> {
        self.block_on(crate::tickets::redeem(
            &self.pool,
            ticket,
            TEST_SESSION,
            Purpose::Login,
            crate::now(),
        ))
        .expect("the database answers")
        .map(|redeemed| redeemed.username)
        .map_err(|refusal| refusal.code().as_str())
    }

    /// Every assertion posted so far, in order.
    pub fn posted(&self) -> Vec<Posted> {
        self.control
            .posted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The claims of the assertions that got a ticket, in order.
    pub fn accepted(&self) -> Vec<Claims> {
        self.posted()
            .iter()
            .filter(|posted| posted.status == 200)
            .map(Posted::claims)
            .collect()
    }

    /// The audit log, oldest first, with the refusals from agents not enrolled counted so
    /// far written to it first (as every minute: one row per address).
    pub fn audit(&self) -> Vec<Logged> {
        self.block_on(self.verifier.audit_strangers(crate::now()))
            .expect("the counted refusals are audited");
        let mut rows = self
            .block_on(audit::recent(&self.pool, 10_000))
            .expect("the audit log reads");
        rows.reverse();
        rows
    }

    /// The outcomes (`OK` or the reason) of the card logins, oldest first.
    pub fn card_outcomes(&self) -> Vec<String> {
        self.audit()
            .into_iter()
            .filter(|row| row.entry.method == audit::Method::Card)
            .map(|row| row.entry.outcome)
            .collect()
    }

    pub fn agents(&self) -> Vec<AgentRecord> {
        self.block_on(agents::list(&self.pool))
            .expect("the agents read")
    }

    /// `thaiid-server agent revoke ID`.
    pub fn revoke_agent(&self, id: &str) {
        let revoked = self
            .block_on(agents::revoke(
                &self.pool,
                id,
                crate::audit::CLI,
                crate::now(),
            ))
            .expect("the database answers");
        assert!(revoked, "no agent {id} to revoke");
    }

    /// From now on every request fails as `failure` says; `None` mends it.
    pub fn fail(&self, failure: Option<Failure>) {
        *self
            .control
            .failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = failure;
    }

    /// Stops the server altogether: its port refuses connections, and open ones are cut.
    /// The helpers that read the database cannot be used after.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}

/// The failure switch, and the record of the assertions posted.
async fn controlled(State(control): State<Arc<Control>>, request: Request, next: Next) -> Response {
    let failure = *control
        .failure
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if failure == Some(Failure::Unavailable) {
        let body = ServerErrorBody {
            error: ServerErrorDetail {
                code: "UNAVAILABLE".into(),
                message: "the test server was told to fail".into(),
            },
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    if request.uri().path() != "/api/v1/card-logins" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let assertion = String::from_utf8_lossy(&bytes).trim().to_owned();
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await;
    control
        .posted
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Posted {
            assertion,
            status: response.status().as_u16(),
        });
    response
}

/// `POST /test/nonce`: a login nonce for the page's origin and [`TEST_SESSION`].
async fn page_nonce(
    State((pool, url)): State<(Pool, String)>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, StatusCode> {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .unwrap_or(&url)
        .to_owned();
    let nonce = challenges::issue(&pool, &origin, TEST_SESSION, crate::now())
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(serde_json::json!({ "nonce": nonce })))
}
