//! A controllable login server for the agent's own tests: it enrolls agents, issues
//! nonces bound to an origin, verifies assertions with the protocol crate, answers
//! one-time tickets, keeps the claims it accepted and can be told to fail, which the
//! agent's error paths need. In-process, plain HTTP on loopback. The real server is
//! tested with the agent end to end in `sso_e2e.rs`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use thaiid_protocol::api::{
    EnrollRequest, EnrollResponse, ServerErrorBody, ServerErrorDetail, Ticket,
};
use thaiid_protocol::assertion::{Claims, PublicJwk, Unverified};
use thaiid_protocol::CitizenId;

pub const ENROLL_TOKEN: &str = "test-enrollment-token";

#[derive(Default)]
pub struct Ledger {
    pub agents: HashMap<String, PublicJwk>,
    pub revoked: HashSet<String>,
    /// nonce → (origin, used)
    pub nonces: HashMap<String, (String, bool)>,
    pub jtis: HashSet<String>,
    pub counters: HashMap<String, u64>,
    pub accepted: Vec<Claims>,
    /// Answer 503 to every card login.
    pub failing: bool,
}

pub struct TestSso {
    pub url: String,
    pub ledger: Arc<Mutex<Ledger>>,
    _runtime: tokio::runtime::Runtime,
}

impl TestSso {
    pub fn start() -> TestSso {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let app = Router::new()
            .route(
                "/login.html",
                get(|| async { Html(include_str!("../../assets/demo-login.html")) }),
            )
            .route(
                "/thaiid-agent.js",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/javascript")],
                        include_str!("../../assets/thaiid-agent.js"),
                    )
                }),
            )
            .route("/nonce", post(page_nonce))
            .route("/api/v1/agents/enroll", post(enroll))
            .route("/api/v1/card-logins", post(card_login))
            .with_state((ledger.clone(), url.clone()));
        runtime.spawn(async move { axum::serve(listener, app).await });
        TestSso {
            url,
            ledger,
            _runtime: runtime,
        }
    }

    pub fn nonce(&self, origin: &str) -> String {
        let nonce = format!("nonce-{}", self.ledger.lock().unwrap().nonces.len() + 1);
        self.ledger
            .lock()
            .unwrap()
            .nonces
            .insert(nonce.clone(), (origin.to_owned(), false));
        nonce
    }

    pub fn accepted(&self) -> Vec<Claims> {
        self.ledger.lock().unwrap().accepted.clone()
    }
}

type Shared = (Arc<Mutex<Ledger>>, String);

/// The demo page's nonce, bound to the page's own origin.
async fn page_nonce(
    State((ledger, url)): State<Shared>,
    headers: HeaderMap,
) -> Json<serde_json::Value> {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or(&url)
        .to_owned();
    let mut ledger = ledger.lock().unwrap();
    let nonce = format!("page-nonce-{}", ledger.nonces.len() + 1);
    ledger.nonces.insert(nonce.clone(), (origin, false));
    Json(serde_json::json!({ "nonce": nonce }))
}

fn refuse(status: StatusCode, code: &str) -> Response {
    let body = ServerErrorBody {
        error: ServerErrorDetail {
            code: code.into(),
            message: code.to_lowercase(),
        },
    };
    (status, Json(body)).into_response()
}

async fn enroll(State((ledger, _)): State<Shared>, Json(request): Json<EnrollRequest>) -> Response {
    if request.token != ENROLL_TOKEN {
        return refuse(StatusCode::UNAUTHORIZED, "BAD_ENROLLMENT_TOKEN");
    }
    let mut ledger = ledger.lock().unwrap();
    let agent_id = format!("agent-{}", ledger.agents.len() + 1);
    ledger
        .agents
        .insert(agent_id.clone(), request.public_key_jwk);
    Json(EnrollResponse { agent_id }).into_response()
}

async fn card_login(State((ledger, url)): State<Shared>, token: String) -> Response {
    let mut ledger = ledger.lock().unwrap();
    if ledger.failing {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "DOWN");
    }
    let unverified = match Unverified::parse(&token) {
        Ok(unverified) => unverified,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, error.code().as_str()),
    };
    let Some(key) = ledger.agents.get(unverified.kid()).cloned() else {
        return refuse(StatusCode::UNAUTHORIZED, "UNKNOWN_AGENT");
    };
    if ledger.revoked.contains(unverified.kid()) {
        return refuse(StatusCode::UNAUTHORIZED, "REVOKED_AGENT");
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = match unverified.verify(&key, &url, now, 30) {
        Ok(claims) => claims,
        Err(error) => return refuse(StatusCode::UNAUTHORIZED, error.code().as_str()),
    };
    if !ledger.jtis.insert(claims.jti.clone()) {
        return refuse(StatusCode::CONFLICT, "REPLAYED_JTI");
    }
    match ledger.nonces.get_mut(&claims.nonce) {
        None => return refuse(StatusCode::BAD_REQUEST, "UNKNOWN_NONCE"),
        Some((_, true)) => return refuse(StatusCode::CONFLICT, "USED_NONCE"),
        Some((origin, _)) if *origin != claims.origin => {
            return refuse(StatusCode::FORBIDDEN, "ORIGIN_MISMATCH")
        }
        Some((_, used)) => *used = true,
    }
    let last = ledger.counters.entry(claims.iss.clone()).or_default();
    if claims.ctr <= *last {
        return refuse(StatusCode::CONFLICT, "COUNTER_NOT_INCREASING");
    }
    *last = claims.ctr;
    let valid = CitizenId::parse(&claims.card.citizen_id).is_ok_and(|id| id.check_digit_valid());
    if !valid {
        return refuse(StatusCode::FORBIDDEN, "INVALID_CITIZEN_ID");
    }
    let ticket = format!("ticket-{}", ledger.accepted.len() + 1);
    ledger.accepted.push(claims);
    Json(Ticket {
        ticket,
        expires_at: "2030-01-01T00:00:00Z".into(),
    })
    .into_response()
}
