//! Why the provider refuses a request: one variant per reason, each with the OAuth 2.0 /
//! OpenID Connect `error` code it is sent as (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1;
//! OIDC Core §3.1.2.6) and a description for the relying party's developers. Reasons
//! name no secret, code or token, so they may be logged.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    // Before the client and its redirect URI are known good: an error page, no redirect.
    #[error("client_id names no registered client")]
    UnknownClient,
    #[error("redirect_uri is missing or not registered for this client (it must match exactly)")]
    RedirectUriNotRegistered,
    // The authorization request, sent back to the redirect URI.
    #[error("a parameter is given more than once")]
    RepeatedParameter,
    #[error("response_type must be code")]
    UnsupportedResponseType,
    #[error("response_mode must be query (or left out)")]
    UnsupportedResponseMode,
    #[error("scope must include openid")]
    NoOpenidScope,
    #[error("PKCE is required: send code_challenge with code_challenge_method=S256")]
    PkceRequired,
    #[error("code_challenge_method must be S256 (plain is refused)")]
    PkceMethodRefused,
    #[error("code_challenge must be 43 base64url characters (the SHA-256 of the verifier)")]
    BadCodeChallenge,
    #[error("nonce is required")]
    NonceRequired,
    #[error("state or nonce is over 512 characters")]
    ParameterTooLong,
    #[error("request and request_uri are not supported")]
    RequestObjectNotSupported,
    #[error("id_token_hint was issued to another client than client_id")]
    HintForAnotherClient,
    #[error("the person is not signed in (prompt=none)")]
    LoginRequired,
    #[error("the person's login is older than max_age (prompt=none)")]
    LoginTooOld,
    #[error("prompt=none cannot be given with another prompt value")]
    PromptNoneWithOthers,
    #[error("max_age must be a whole number of seconds, 0 or more")]
    BadMaxAge,
    #[error("the person has no permission for this system")]
    NoPermission,
    // Essential acr_values that cannot be met: a failed authentication (OIDC Core
    // §5.5.1.1), not a malformed request, hence access_denied.
    #[error("acr_values names no level offered here (see acr_values_supported in discovery)")]
    AcrValuesUnmet,
    #[error("the system needs the OTP too and the person has none yet (set it up on /me/otp)")]
    NoOtpForLevel,
    #[error("the system needs the OTP too: the person must enter it (prompt=none)")]
    StepUpRequired,
    // The token endpoint.
    #[error("client authentication failed")]
    BadClientAuthentication,
    #[error("use one client authentication method, not several")]
    SeveralClientAuthentications,
    #[error("the request comes from a web origin that is none of the client's redirect URIs'")]
    ForeignOrigin,
    #[error("grant_type must be authorization_code")]
    UnsupportedGrantType,
    #[error("the code is unknown")]
    UnknownCode,
    #[error("the code was used already (the tokens issued for it are revoked)")]
    CodeReused,
    #[error("the code has expired")]
    CodeExpired,
    #[error("the code was issued to another client")]
    CodeForAnotherClient,
    #[error("redirect_uri is not the one of the authorization request")]
    RedirectUriMismatch,
    #[error("code_verifier does not match the code_challenge")]
    WrongCodeVerifier,
    #[error("a required parameter is missing: {0}")]
    Missing(&'static str),
    // Userinfo.
    #[error("the access token is unknown or expired")]
    InvalidToken,
    #[error("the server failed; try again")]
    Database(#[from] sqlx::Error),
}

impl OidcError {
    /// The `error` code on the wire.
    pub fn code(&self) -> &'static str {
        use OidcError::*;
        match self {
            UnknownClient | BadClientAuthentication => "invalid_client",
            RedirectUriNotRegistered
            | RepeatedParameter
            | PkceRequired
            | PkceMethodRefused
            | BadCodeChallenge
            | NonceRequired
            | ParameterTooLong
            | SeveralClientAuthentications
            | HintForAnotherClient
            | UnsupportedResponseMode
            | PromptNoneWithOthers
            | BadMaxAge
            | Missing(_) => "invalid_request",
            UnsupportedResponseType => "unsupported_response_type",
            NoOpenidScope => "invalid_scope",
            RequestObjectNotSupported => "request_not_supported",
            LoginRequired | LoginTooOld => "login_required",
            NoPermission | AcrValuesUnmet | NoOtpForLevel => "access_denied",
            StepUpRequired => "interaction_required",
            UnsupportedGrantType => "unsupported_grant_type",
            ForeignOrigin => "unauthorized_client",
            UnknownCode | CodeReused | CodeExpired | CodeForAnotherClient | RedirectUriMismatch
            | WrongCodeVerifier => "invalid_grant",
            InvalidToken => "invalid_token",
            Database(_) => "server_error",
        }
    }

    /// The `{"error", "error_description"}` body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": self.code(), "error_description": self.to_string()})
    }
}
