//! `thaiid-server role grant|revoke USER ROLE [--system CODE] | list`.

use super::Outcome;
use crate::audit::CLI;
use crate::cli::RoleCommand;
use crate::db::Pool;
use crate::roles::{self, Role};
use crate::text::printable;

pub async fn run(pool: &Pool, command: RoleCommand, now: i64) -> Outcome {
    match command {
        RoleCommand::Grant { user, role, system } => {
            let role = Role::parse(&role, system.as_deref())?;
            let new = roles::grant(pool, &user, &role, CLI, now).await?;
            let had = if new { "" } else { " (held already)" };
            println!(
                "{} is {}{had}",
                printable(&user),
                printable(&role.to_string())
            );
        }
        RoleCommand::Revoke { user, role, system } => {
            let role = Role::parse(&role, system.as_deref())?;
            roles::revoke(pool, &user, &role, CLI, now).await?;
            println!(
                "{} is no longer {}",
                printable(&user),
                printable(&role.to_string())
            );
        }
        RoleCommand::List => {
            for (user, role) in roles::list(pool).await? {
                println!(
                    "{}\t{}\t{}",
                    printable(&user),
                    role.name(),
                    printable(role.system().unwrap_or_default())
                );
            }
        }
    }
    Ok(())
}
