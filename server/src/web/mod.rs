//! The SSO's pages, in Thai first: login by password + OTP or by ID card, forgot
//! password, the systems a person may use, permission-change requests, personal data,
//! logout. Every page gets strict security headers; every POST must come from the server's own origin and
//! carry the session's CSRF token.

mod account;
pub(crate) mod admin;
mod attempts;
mod card;
mod first_login;
mod forgot;
mod forgot_card;
mod forgot_page;
mod guessing;
mod login;
mod otp_setup;
mod qr;
mod register;
pub(crate) mod second_factor;

// The reply and the page shell live below both web/ and oidc/ (in page/); the pages
// still reach them here, as `super::html` and `crate::web::Reply`.
pub(crate) use crate::page::html;
pub use crate::page::{Reply, WebResult};

use crate::http::extract::CurrentSession;
use crate::http::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
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
        .layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// The pages that take a file (the console's import), under the same guard; their bodies
/// are read by their handlers, with their own limit, not by the site's body reader.
pub fn upload_routes(state: &AppState) -> Router<AppState> {
    guarded(state, admin::upload_routes())
}

/// `routes` under the pages' guard: pages of another module that a browser visits (the
/// OpenID Connect provider's authorization and end-session), put beside ours by the app.
pub fn guarded(state: &AppState, routes: Router<AppState>) -> Router<AppState> {
    routes.layer(middleware::from_fn_with_state(state.clone(), guard))
}

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
