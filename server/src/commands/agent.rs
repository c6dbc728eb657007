//! `thaiid-server agent list|revoke ID`.

use super::Outcome;
use crate::agents;
use crate::cli::AgentCommand;
use crate::db::Pool;
use crate::text::printable;

pub async fn run(pool: &Pool, command: AgentCommand, now: i64) -> Outcome {
    match command {
        AgentCommand::List => {
            for agent in agents::list(pool).await? {
                let state = if agent.revoked { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{state}",
                    printable(&agent.id),
                    printable(&agent.hostname),
                    printable(&agent.agent_version)
                );
            }
        }
        AgentCommand::Revoke { id } => {
            if !agents::revoke(pool, &id, crate::audit::CLI, now).await? {
                return Err(format!("no active agent {id}").into());
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
