//! Whom the service serves on this machine (SPEC §5 "Caller", §10): the user of the
//! active, unlocked local session; or, with no session manager, root only unless the
//! configuration says `any_local_user = true`.

use super::Finding;
use crate::config::Config;

pub fn examine(config: &Config) -> Finding {
    describe(
        crate::serve::caller::has_session_manager(),
        config.any_local_user,
    )
}

fn describe(session_manager: bool, any_local_user: bool) -> Finding {
    let detail = match (session_manager, any_local_user) {
        (true, _) => "the user of the active, unlocked local session (a locked screen is refused)",
        (false, true) => "no session manager: every local user (any_local_user = true)",
        (false, false) => {
            "no session manager: root only (any_local_user = true in the machine's config.toml \
             serves every local user)"
        }
    };
    Finding::ok("callers served", detail)
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn doctor_says_whom_the_service_serves() {
        let said = |manager, any| describe(manager, any).to_string();
        assert!(said(true, true).contains("active, unlocked local session"));
        assert!(said(false, true).contains("every local user (any_local_user = true)"));
        assert!(said(false, false).contains("root only"));
    }
}
