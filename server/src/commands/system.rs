//! `thaiid-server system add CODE NAME [--url URL] | list`.

use super::Outcome;
use crate::cli::SystemCommand;
use crate::db::Pool;
use crate::systems;
use crate::text::printable;

pub async fn run(pool: &Pool, command: SystemCommand) -> Outcome {
    match command {
        SystemCommand::Add { code, name, url } => {
            systems::put(pool, &code, &name, &url).await?;
            println!("system {code}: {}", printable(&name));
        }
        SystemCommand::List => {
            for system in systems::all(pool).await? {
                println!(
                    "{}\t{}\t{}",
                    printable(&system.code),
                    printable(&system.name),
                    printable(&system.url)
                );
            }
        }
    }
    Ok(())
}
