//! What a page answers and the frame it is drawn in: below the site's pages ([`crate::web`]),
//! the OpenID Connect provider's ([`crate::oidc`]) and the sign-in they share
//! ([`crate::signin`]), so that none of them names another for its replies.

pub mod html;

use crate::http::PageError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

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
