//! `thaiid-server system add CODE NAME [--url URL] [--redirect-uri URI…] | secret CODE |
//! list`.

use super::Outcome;
use crate::cli::SystemCommand;
use crate::db::Pool;
use crate::oidc::clients::{self, Registration};
use crate::systems;
use crate::text::printable;

pub async fn run(pool: &Pool, command: SystemCommand, now: i64) -> Outcome {
    match command {
        SystemCommand::Add {
            code,
            name,
            url,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            id_token_alg: _,
        } => {
            let registration = Registration {
                redirect_uris,
                post_logout_redirect_uris,
                public,
            };
            let client = !registration.redirect_uris.is_empty();
            if client {
                registration.check()?;
            }
            systems::put(pool, &code, &name, &url).await?;
            println!("system {code}: {}", printable(&name));
            if client {
                let secret = clients::register(pool, &code, &registration, now).await?;
                println!("client_id: {code}");
                if let Some(secret) = secret {
                    println!("client_secret: {secret}");
                }
            }
        }
        SystemCommand::Secret { code } => {
            println!(
                "client_secret: {}",
                clients::replace_secret(pool, &code).await?
            );
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
