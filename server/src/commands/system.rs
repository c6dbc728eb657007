//! `thaiid-server system add CODE NAME [--url URL] [--redirect-uri URI…] [--id-token-alg ALG]
//! | secret CODE | id-token-alg CODE ALG | list`.

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
            id_token_alg,
        } => {
            let registration = Registration {
                redirect_uris,
                post_logout_redirect_uris,
                public,
                id_token_alg,
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
        SystemCommand::IdTokenAlg { code, alg } => {
            clients::set_id_token_alg(pool, &code, alg).await?;
            println!("client {code}: ID tokens signed {alg}");
        }
        SystemCommand::List => {
            let algs = clients::id_token_algs(pool).await?;
            for system in systems::all(pool).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    printable(&system.code),
                    printable(&system.name),
                    printable(&system.url),
                    algs.get(&system.code).map_or("-", |alg| alg.as_str())
                );
            }
        }
    }
    Ok(())
}
