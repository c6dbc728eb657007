//! `thaiid-server apikey create NAME --origin ORIGIN… | list | revoke NAME`.

use super::Outcome;
use crate::api_keys;
use crate::cli::ApikeyCommand;
use crate::db::Pool;
use crate::text::printable;

pub async fn run(pool: &Pool, command: ApikeyCommand, now: i64) -> Outcome {
    match command {
        ApikeyCommand::Create { name, origins } => {
            println!(
                "{}",
                api_keys::create(pool, &name, &origins, crate::audit::CLI, now).await?
            );
        }
        ApikeyCommand::List => {
            for key in api_keys::list(pool).await? {
                println!(
                    "{}\t{}\t{}",
                    printable(&key.name),
                    printable(&key.origins.join(",")),
                    thaiid_protocol::date::rfc3339_utc(key.created_at)
                );
            }
        }
        ApikeyCommand::Revoke { name } => {
            if !api_keys::revoke(pool, &name).await? {
                return Err(format!("no API key named {:?}", printable(&name)).into());
            }
            println!("revoked {}", printable(&name));
        }
    }
    Ok(())
}
