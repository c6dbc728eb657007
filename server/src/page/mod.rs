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
        }
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
            } => ((status, axum::response::Html(html)).into_response(), cookie),
            Reply::SeeOther { to, cookie } => (Redirect::to(&to).into_response(), cookie),
        };
        if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }
}

pub type WebResult = Result<Reply, PageError>;
