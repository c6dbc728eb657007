//! The audit row and the metric of each attempt at a password or a code, for every page
//! that checks one (login, the OTP step, forgot password, OTP setup) and for the guessing
//! limits ([`super::guessing`]).

use crate::audit::{self, Method};
use crate::http::extract::ClientAddr;
use crate::http::AppState;
use thaiid_protocol::api::ServerErrorCode;

/// Audits an attempt under `account`: a name only once it is an account's, never as typed
/// (people type their password into the name field).
pub(super) async fn audit(
    state: &AppState,
    method: Method,
    outcome: Result<(), ServerErrorCode>,
    account: Option<&str>,
    client: ClientAddr,
) -> Result<(), sqlx::Error> {
    state.metrics.login(method, outcome.is_ok());
    let mut entry = audit::Entry::new(method);
    entry.set_outcome(outcome);
    entry.username = account.map(str::to_owned);
    entry.remote = client.text();
    audit::record(&state.pool, &entry, crate::now()).await
}
