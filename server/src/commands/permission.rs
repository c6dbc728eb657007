//! `thaiid-server permission grant USER CODE [--as NAME] | revoke USER CODE | requests |
//! approve|reject ID [--reason TEXT]`: what an owner does on the admin console, by the
//! same functions, as [`audit::CLI`].

use super::Outcome;
use crate::audit;
use crate::cli::PermissionCommand;
use crate::db::Pool;
use crate::systems::{self, access, Verdict};
use crate::text::printable;

pub async fn run(pool: &Pool, command: PermissionCommand, now: i64) -> Outcome {
    match command {
        PermissionCommand::Grant {
            user,
            code,
            account_name,
        } => {
            systems::grant(pool, &user, &code).await?;
            if let Some(name) = &account_name {
                access::name(pool, &user, &code, Some(name), audit::CLI, now).await?;
            }
            match account_name {
                Some(name) => println!("{user} may use {code} as {}", printable(&name)),
                None => println!("{user} may use {code}"),
            }
        }
        PermissionCommand::Revoke { user, code } => {
            access::revoke(pool, &user, &code, audit::CLI, now).await?;
            println!("{user} may no longer use {code}");
        }
        PermissionCommand::Requests => {
            for request in systems::requests(pool, None).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    request.id,
                    printable(&request.username),
                    request.change.as_str(),
                    printable(&request.system_code),
                    printable(&request.reason)
                );
            }
        }
        PermissionCommand::Approve { id, reason } => {
            decide(pool, &id, Verdict::Approve, reason, now).await?
        }
        PermissionCommand::Reject { id, reason } => {
            decide(pool, &id, Verdict::Reject, reason, now).await?
        }
    }
    Ok(())
}

/// Approves or rejects a request as the command line, with `reason` for the requester.
async fn decide(
    pool: &Pool,
    id: &str,
    verdict: Verdict,
    reason: Option<String>,
    now: i64,
) -> Outcome {
    let reason = reason.unwrap_or_default();
    let request = systems::decide(pool, id, verdict, &reason, audit::CLI, now).await?;
    println!("{id}: {}", printable(&request.status));
    Ok(())
}
