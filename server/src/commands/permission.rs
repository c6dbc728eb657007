//! `thaiid-server permission grant USER CODE [--as NAME] | revoke USER CODE | requests |
//! approve|reject ID`.

use super::Outcome;
use crate::cli::PermissionCommand;
use crate::db::Pool;
use crate::systems;
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
                systems::set_account_name(pool, &user, &code, Some(name)).await?;
            }
            match account_name {
                Some(name) => println!("{user} may use {code} as {}", printable(&name)),
                None => println!("{user} may use {code}"),
            }
        }
        PermissionCommand::Revoke { user, code } => {
            if !systems::revoke(pool, &user, &code).await? {
                return Err(format!("{user} had no permission for {code}").into());
            }
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
        PermissionCommand::Approve { ref id } | PermissionCommand::Reject { ref id } => {
            let approve = matches!(command, PermissionCommand::Approve { .. });
            let request = systems::decide(pool, id, approve, now).await?;
            println!("{id}: {}", printable(&request.status));
        }
    }
    Ok(())
}
