//! `GET /oidc/authorize`: the authorization code flow's front door. The client and its
//! redirect URI are checked first; until both are known good, a refusal is a page here
//! (never a redirect to an unchecked URI). After that, refusals go back to the redirect URI
//! with `error` and `state`. A person signed in goes straight back with a code (no consent
//! screen: the systems are the administration's own); a person not signed in, or whose
//! login is older than the request accepts (`prompt=login`, `max_age`: [`super::reauth`]),
//! logs in on the login page first, then comes back here. A person signed in with less
//! than the system or the request's `acr_values` needs is asked for the OTP
//! ([`super::step_up`]). PKCE S256 and a `nonce` are required. Each code issued, and each
//! refusal for lack of permission or of a level, is audited.

use super::clients::Client;
use super::codes::{self, Grant};
use super::reauth::LoginWanted;
use super::step_up::{self, StepUp, UnmetAcrValues};
use super::OidcError;
use crate::amr::Amr;
use crate::audit::{self, Method};
use crate::http::cookie;
use crate::http::extract::{session_of, ClientAddr};
use crate::http::AppState;
use crate::page::Reply;
use crate::sessions::{self, Session};
use crate::signin;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use thaiid_protocol::api::ServerErrorCode;

/// How a refusal reaches the person or the client.
enum Refusal {
    /// The client or the redirect URI is not right: say so here.
    Page(OidcError),
    /// Back to the client's redirect URI.
    Redirect {
        error: OidcError,
        redirect_uri: String,
        state: Option<String>,
        /// A page that tells the person what to do (the permission request).
        error_uri: Option<String>,
    },
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Refusal {
        Refusal::Page(OidcError::Database(error))
    }
}

/// `uri` with `params` added to its query.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return uri.to_owned();
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    address: ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    match run(&state, &headers, address, &query).await {
        Ok(reply) => reply,
        Err(Refusal::Page(error)) => error_page(&error),
        Err(Refusal::Redirect {
            error,
            redirect_uri,
            state,
            error_uri,
        }) => {
            tracing::info!(reason = %error, "oidc authorization refused");
            // Relying parties show the description, few show error_uri: it names both.
            let description = match &error_uri {
                Some(uri) => format!("{error}; ask for it at {uri}"),
                None => error.to_string(),
            };
            let mut params = vec![
                ("error", error.code()),
                ("error_description", description.as_str()),
            ];
            if let Some(uri) = &error_uri {
                params.push(("error_uri", uri));
            }
            if let Some(state) = &state {
                params.push(("state", state));
            }
            Redirect::to(&with_query(&redirect_uri, &params)).into_response()
        }
    }
}

fn error_page(error: &OidcError) -> Response {
    super::refusal_page(
        error,
        "เข้าสู่ระบบงานไม่ได้",
        "ระบบงานที่ส่งมาขอเข้าสู่ระบบไม่ได้ลงทะเบียนไว้ตามนี้ กรุณาแจ้งผู้ดูแลระบบงานนั้น",
        "The system that sent you here is not registered this way: tell its administrators.",
    )
}

/// A checked authorization request.
struct Request {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    nonce: String,
    scope: String,
    login: LoginWanted,
    /// As sent; read once the person (if any) is known, so that a refusal is audited.
    acr_values: Option<String>,
}

fn check(parameters: &HashMap<String, String>, client: Client) -> Result<Request, Refusal> {
    let get = |name: &str| parameters.get(name).filter(|value| !value.is_empty());
    let redirect_uri = get("redirect_uri")
        .filter(|uri| client.redirects_to(uri))
        .cloned()
        .ok_or(Refusal::Page(OidcError::RedirectUriNotRegistered))?;
    let state = get("state").cloned();
    let refuse = |error| Refusal::Redirect {
        error,
        redirect_uri: redirect_uri.clone(),
        state: state.clone().filter(|s| s.len() <= super::MAX_PARAM_CHARS),
        error_uri: None,
    };
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(refuse(OidcError::RequestObjectNotSupported));
    }
    if get("response_type").map(String::as_str) != Some("code") {
        return Err(refuse(OidcError::UnsupportedResponseType));
    }
    if get("response_mode").is_some_and(|mode| mode != "query") {
        return Err(refuse(OidcError::UnsupportedResponseMode));
    }
    let scopes: Vec<&str> = get("scope")
        .map(|scope| scope.split(' ').collect())
        .unwrap_or_default();
    if !scopes.contains(&"openid") {
        return Err(refuse(OidcError::NoOpenidScope));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => return Err(refuse(OidcError::PkceRequired)),
        (Some(challenge), Some(method)) if method == "S256" => challenge.clone(),
        _ => return Err(refuse(OidcError::PkceMethodRefused)),
    };
    if !codes::challenge_well_formed(&code_challenge) {
        return Err(refuse(OidcError::BadCodeChallenge));
    }
    let nonce = get("nonce")
        .cloned()
        .ok_or_else(|| refuse(OidcError::NonceRequired))?;
    if nonce.len() > super::MAX_PARAM_CHARS
        || state
            .as_ref()
            .is_some_and(|s| s.len() > super::MAX_PARAM_CHARS)
    {
        return Err(refuse(OidcError::ParameterTooLong));
    }
    let scope = ["openid", "profile"]
        .into_iter()
        .filter(|known| scopes.contains(known))
        .collect::<Vec<_>>()
        .join(" ");
    let login = LoginWanted::parse(
        get("prompt").map(String::as_str),
        get("max_age").map(String::as_str),
    )
    .map_err(refuse)?;
    Ok(Request {
        client,
        redirect_uri,
        state,
        code_challenge,
        nonce,
        scope,
        login,
        acr_values: get("acr_values").cloned(),
    })
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    address: ClientAddr,
    query: &str,
) -> Result<Response, Refusal> {
    let parameters = super::parameters(query).map_err(Refusal::Page)?;
    let client_id = parameters.get("client_id").cloned().unwrap_or_default();
    let client = super::clients::find(&state.pool, &client_id)
        .await?
        .ok_or(Refusal::Page(OidcError::UnknownClient))?;
    let request = check(&parameters, client)?;
    let refuse = |error, error_uri| Refusal::Redirect {
        error,
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        error_uri,
    };
    let now = crate::now();
    let session = session_of(&state.pool, headers, now).await?;
    let signed_in = session
        .as_ref()
        .and_then(|session| Some((session.clone(), session.username.clone()?, session.amr?)));
    let system_level = crate::systems::required_level(&state.pool, &request.client.id)
        .await?
        .unwrap_or_default();
    let needed = match step_up::needed(system_level, request.acr_values.as_deref()) {
        Ok(level) => level,
        Err(UnmetAcrValues) => {
            let attempt = SignIn {
                system: &request.client.id,
                username: signed_in.as_ref().map(|(_, name, _)| name.as_str()),
                amr: signed_in.as_ref().map(|(_, _, amr)| *amr),
                address,
            };
            let refusal = ServerErrorCode::InsufficientLevel.as_str();
            attempt.audit(state, refusal, now).await?;
            return Err(refuse(OidcError::AcrValuesUnmet, None));
        }
    };
    let Some((session, username, amr)) = signed_in else {
        if request.login.none {
            return Err(refuse(OidcError::LoginRequired, None));
        }
        return Ok(to_login(state, session, address, query, now).await?);
    };
    let auth_time = logged_in_at(state, &session).await?.unwrap_or(now);
    // Spent whenever it is there, so that the request counts its login once.
    let fresh =
        signin::fresh_login(&state.pool, &session, &signin::request_path(query), now).await?;
    if !fresh && request.login.new_login(auth_time, now) {
        if request.login.none {
            return Err(refuse(OidcError::LoginTooOld, None));
        }
        return Ok(to_login(state, Some(session), address, query, now).await?);
    }
    let sign_in = SignIn {
        system: &request.client.id,
        username: Some(&username),
        amr: Some(amr),
        address,
    };
    if !super::clients::permitted(&state.pool, &username, &request.client.id).await? {
        sign_in.audit(state, audit::ACCESS_DENIED, now).await?;
        let ask = format!(
            "{}/permissions?system={}",
            state.public_url, request.client.id
        );
        return Err(refuse(OidcError::NoPermission, Some(ask)));
    }
    if amr.level() < needed {
        let has_otp = crate::users::find(&state.pool, &username)
            .await?
            .is_some_and(|account| account.totp_secret.is_some());
        return match StepUp::of(amr, has_otp) {
            StepUp::NoOtp => {
                let refusal = ServerErrorCode::NoOtp.as_str();
                sign_in.audit(state, refusal, now).await?;
                if request.login.none {
                    return Err(refuse(OidcError::NoOtpForLevel, None));
                }
                Ok(step_up::no_otp_page(&session).into_response())
            }
            StepUp::Otp(_) if request.login.none => Err(refuse(OidcError::StepUpRequired, None)),
            StepUp::Otp(factor) => {
                let path = signin::request_path(query);
                let reply =
                    step_up::ask_otp(&state.pool, &session, &username, factor, &path, now).await?;
                Ok(reply.into_response())
            }
        };
    }
    let grant = Grant {
        client_id: request.client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge,
        nonce: request.nonce,
        scope: request.scope,
        username: username.clone(),
        amr,
        auth_time,
    };
    let code = codes::issue(&state.pool, &grant, now).await?;
    state.metrics.oidc_code_issued();
    sign_in.audit(state, audit::OK, now).await?;
    tracing::info!(client = %grant.client_id, "oidc code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    Ok(Redirect::to(&with_query(&request.redirect_uri, &params)).into_response())
}

/// A sign-in to a system, as the audit log keeps it.
struct SignIn<'a> {
    system: &'a str,
    /// Who, when signed in.
    username: Option<&'a str>,
    amr: Option<Amr>,
    address: ClientAddr,
}

impl SignIn<'_> {
    async fn audit(&self, state: &AppState, outcome: &str, now: i64) -> Result<(), sqlx::Error> {
        let mut entry = audit::Entry::new(Method::System);
        entry.outcome = outcome.to_owned();
        entry.username = self.username.map(str::to_owned);
        entry.system = Some(self.system.to_owned());
        entry.amr = self.amr;
        entry.remote = self.address.text();
        audit::record(&state.pool, &entry, now).await
    }
}

/// To the login page, which comes back here once the session has logged in (a session
/// signed in logs in again: the request wants a newer login).
async fn to_login(
    state: &AppState,
    session: Option<Session>,
    address: ClientAddr,
    query: &str,
    now: i64,
) -> Result<Response, sqlx::Error> {
    let (session, cookie) = match session {
        Some(session) => (session, None),
        None => {
            let per_address = state.sessions_per_address;
            let (session, id) =
                sessions::create_anonymous(&state.pool, address.0, per_address, now).await?;
            (session, Some(cookie::set(&id)))
        }
    };
    signin::remember(&state.pool, &session, &signin::request_path(query), now).await?;
    Ok(Reply::see_other("/login")
        .with_cookie(cookie)
        .into_response())
}

/// When the session logged in: a session is made new at each login.
async fn logged_in_at(state: &AppState, session: &Session) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .fetch_optional(&state.pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn parameters_are_added_to_the_uri_s_own_query() {
        assert_eq!(with_query("https://a/cb", &[]), "https://a/cb");
        assert_eq!(
            with_query("https://a/cb", &[("state", "a b&c")]),
            "https://a/cb?state=a+b%26c"
        );
        assert_eq!(
            with_query("https://a/cb?x=1", &[("code", "c")]),
            "https://a/cb?x=1&code=c"
        );
    }
}
