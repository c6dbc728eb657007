//! Enrollment at first start: an agent that IT deployed with an enrollment token in the
//! machine's configuration enrolls itself, per user, without anyone typing a command.

use super::{enroll, EnrollError};
use std::path::PathBuf;
use std::time::Duration;

const FIRST_RETRY: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// Enrolls with `token`; while the server cannot be reached (a laptop still offline)
/// it tries again at growing intervals. A refused token is not tried again: IT must
/// deploy a new one.
pub async fn enroll_with_token(data_dir: PathBuf, server: String, token: String) {
    let mut wait = FIRST_RETRY;
    loop {
        match enroll(&data_dir, &server, &token).await {
            Ok(enrolled) => {
                tracing::info!(
                    "enrolled at {} as {} with the deployed token",
                    enrolled.server_url,
                    enrolled.agent_id
                );
                return;
            }
            Err(
                error @ (EnrollError::Unreachable { .. }
                | EnrollError::BadAnswer(_)
                | EnrollError::Store { .. }),
            ) => tracing::warn!(
                "not enrolled yet: {error}; trying again in {} s",
                wait.as_secs()
            ),
            Err(error) => {
                tracing::error!(
                    "not enrolled with the deployed token: {error}; ask IT for a new token"
                );
                return;
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}
