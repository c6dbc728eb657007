//! The SSO's pages, in Thai first: login by password + OTP or by ID card, forgot
//! password, the systems a person may use, permission-change requests, personal data,
//! logout. Every page gets strict security headers; every POST must come from the server's own origin and
//! carry the session's CSRF token.

mod account;
pub(crate) mod admin;
mod card;
mod first_login;
mod forgot;
mod forgot_card;
mod forgot_page;
mod guessing;
pub(crate) mod html;
mod login;
mod otp_setup;
mod qr;
mod register;
pub(crate) mod second_factor;

use crate::http::extract::CurrentSession;
use crate::http::{AppState, PageError};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::form).post(login::password))
        .route(
            second_factor::PATH,
            get(second_factor::form).post(second_factor::submit),
        )
        .route("/login/card/nonce", post(card::nonce))
        .route("/login/card/complete", get(card::complete))
        .route("/logout", post(login::logout))
        .route(forgot_page::PATH, get(forgot::form).post(forgot::name))
        .route("/forgot/code", post(forgot::code))
        .route("/forgot/otp", post(forgot::otp))
        .route("/forgot/password", post(forgot::password))
        .route("/forgot/card/nonce", post(forgot_card::nonce))
        .route("/forgot/card/complete", get(forgot_card::complete))
        .route("/systems", get(account::systems))
        .route(
            "/permissions",
            get(account::permissions).post(account::request_change),
        )
        .route("/me", get(account::me))
        .route("/me/password", post(first_login::set_password))
        .route(
            otp_setup::PATH,
            get(otp_setup::form).post(otp_setup::confirm),
        )
        .route("/me/card/nonce", post(register::nonce))
        .route("/me/card/complete", get(register::complete))
        .route("/assets/{file}", get(asset))
        .merge(admin::routes())
        .merge(crate::oidc::browser_routes())
        .layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// The pages that take a file (the console's import), under the same guard; their bodies
/// are read by their handlers, with their own limit, not by the site's body reader.
pub fn upload_routes(state: &AppState) -> Router<AppState> {
    admin::upload_routes().layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// What a page handler answers.
pub enum Reply {
    Page {
        status: StatusCode,
        cookie: Option<String>,
        html: String,
        /// `Retry-After`, in seconds: a guess refused until then.
        retry_after: Option<i64>,
    },
    SeeOther {
        to: String,
        cookie: Option<String>,
    },
}

impl Reply {
    pub fn page(status: StatusCode, html: String) -> Reply {
        Reply::Page {
            status,
            cookie: None,
            html,
            retry_after: None,
        }
    }

    /// The page of a refusal that may be tried again after `secs` seconds.
    pub fn with_retry_after(mut self, secs: i64) -> Reply {
        if let Reply::Page { retry_after, .. } = &mut self {
            *retry_after = Some(secs);
        }
        self
    }

    pub fn see_other(to: &str) -> Reply {
        Reply::SeeOther {
            to: to.into(),
            cookie: None,
        }
    }

    pub fn with_cookie(mut self, set: Option<String>) -> Reply {
        match &mut self {
            Reply::Page { cookie, .. } | Reply::SeeOther { cookie, .. } => *cookie = set,
        }
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let (mut response, cookie) = match self {
            Reply::Page {
                status,
                cookie,
                html,
                retry_after,
            } => {
                let mut response = (status, axum::response::Html(html)).into_response();
                if let Some(secs) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                (response, cookie)
            }
            Reply::SeeOther { to, cookie } => (Redirect::to(&to).into_response(), cookie),
        };
        if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }
}

pub type WebResult = Result<Reply, PageError>;

/// A page refused because the form came without its session or CSRF token.
pub(crate) fn stale_form() -> Reply {
    Reply::page(
        StatusCode::FORBIDDEN,
        html::page(
            "แบบฟอร์มหมดอายุ",
            None,
            &format!(
                "{}<p><a href=\"/login\">กลับไปหน้าเข้าสู่ระบบ</a></p>",
                html::notice(
                    "error",
                    "แบบฟอร์มนี้หมดอายุหรือไม่ได้มาจากระบบนี้ กรุณาเปิดหน้าใหม่แล้วลองอีกครั้ง",
                    "This form expired or did not come from this site: reload the page and try again.",
                )
            ),
        ),
    )
}

async fn home(CurrentSession(session): CurrentSession) -> Reply {
    let logged_in = session.is_some_and(|s| s.username.is_some());
    Reply::see_other(if logged_in { "/systems" } else { "/login" })
}

async fn asset(Path(file): Path<String>) -> Response {
    let (kind, body) = match file.as_str() {
        "thaiid-agent.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../../agent/assets/thaiid-agent.js"),
        ),
        "login.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/login.js"),
        ),
        "card-nonce.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/card-nonce.js"),
        ),
        "card-register.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/card-register.js"),
        ),
        "desk-card.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/desk-card.js"),
        ),
        "forgot-card.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/forgot-card.js"),
        ),
        "style.css" => (
            "text/css; charset=utf-8",
            include_str!("../../assets/style.css"),
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// Refuses cross-origin POSTs and puts the security headers on every page.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let origin = request.headers().get(header::ORIGIN);
        if origin.is_some_and(|origin| origin.as_bytes() != state.origin.as_bytes()) {
            return stale_form().into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self' {}; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'",
        state.agent_url
    );
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on
    // form posts, which the check above would refuse. No other site sees a ticket URL.
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, csp.as_str()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_str(value).expect("ASCII"));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
