//! `GET /oidc/logout`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With
//! an `id_token_hint` this provider signed for the person signed in here, the session ends
//! at once; without one (or for somebody else) the person is asked, so that no other site
//! can log people out with a link. `post_logout_redirect_uri` must be registered exactly
//! for the hint's client (or `client_id`); `state` goes back with it.

use super::OidcError;
use crate::audit::{self, Method};
use crate::http::cookie;
use crate::http::extract::{session_of, ClientAddr};
use crate::http::AppState;
use crate::page::html::{self, csrf_field};
use crate::page::Reply;
use crate::sessions::{self, Session};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    match run(&state, &headers, client, &query.unwrap_or_default()).await {
        Ok(response) => response,
        Err(error) => super::refusal_page(
            &error,
            "ออกจากระบบไม่สำเร็จ",
            "ระบบงานที่ส่งมาขอออกจากระบบไม่ได้ลงทะเบียนไว้ตามนี้",
            "The system that sent you here is not registered this way.",
        ),
    }
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientAddr,
    query: &str,
) -> Result<Response, OidcError> {
    let parameters = super::parameters(query)?;
    let get = |name: &str| parameters.get(name).filter(|value| !value.is_empty());
    let now = crate::now();
    let hint = get("id_token_hint")
        .and_then(|token| super::id_token::hint(&state.oidc_keys, &state.public_url, token, now));
    let client_id = match (hint.as_ref().map(|(_, aud)| aud), get("client_id")) {
        (Some(aud), Some(named)) if aud != named => return Err(OidcError::HintForAnotherClient),
        (Some(aud), _) => Some(aud.clone()),
        (None, named) => named.cloned(),
    };
    let back = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match &client_id {
                Some(id) => super::clients::find(&state.pool, id).await?,
                None => None,
            };
            if !client.is_some_and(|client| client.redirects_after_logout_to(uri)) {
                return Err(OidcError::RedirectUriNotRegistered);
            }
            let mut params = Vec::new();
            if let Some(state) = get("state") {
                params.push(("state", state.as_str()));
            }
            Some(super::authorize::with_query(uri, &params))
        }
    };
    let session = session_of(&state.pool, headers, now).await?;
    if let Some(session) = session.filter(|s| s.username.is_some()) {
        let username = session.username.clone().unwrap_or_default();
        let hinted = match &hint {
            Some((sub, _)) => *sub == super::subjects::of(&state.pool, &username).await?,
            None => false,
        };
        if !hinted {
            return Ok(confirm(&session));
        }
        sessions::end(&state.pool, &session).await?;
        let mut entry = audit::Entry::new(Method::Logout);
        entry.set_outcome(Ok(()));
        entry.username = Some(username);
        entry.remote = client.text();
        audit::record(&state.pool, &entry, now).await?;
    }
    let to = back.unwrap_or_else(|| "/login?bye=1".to_owned());
    let mut response = Redirect::to(&to).into_response();
    if let Ok(cookie) = cookie::clear().parse() {
        response
            .headers_mut()
            .insert(axum::http::header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Asks the person signed in whether to log out (the request did not prove it came from
/// a system they signed in to).
fn confirm(session: &Session) -> Response {
    let body = format!(
        r#"<p>ต้องการออกจากระบบหรือไม่</p><p lang="en">Do you want to log out?</p>
<form method="post" action="/logout">{}<button type="submit" id="confirm-logout">ออกจากระบบ</button></form>
<p><a href="/systems">ไม่ออกจากระบบ กลับไปหน้าระบบงาน</a></p>"#,
        csrf_field(session)
    );
    Reply::page(
        StatusCode::OK,
        html::page("ออกจากระบบ", Some(session), &body),
    )
    .into_response()
}
