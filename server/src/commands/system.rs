//! `thaiid-server system add CODE NAME [--url URL] [--redirect-uri URI…] [--id-token-alg ALG]
//! [--require LEVEL] | require CODE LEVEL | secret CODE | id-token-alg CODE ALG | list`.

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
            require,
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
            if let Some(level) = require {
                systems::require(pool, &code, level).await?;
                println!("system {code}: a sign-in needs {level}");
            }
            if client {
                let secret = clients::register(pool, &code, &registration, now).await?;
                println!("client_id: {code}");
                if let Some(secret) = secret {
                    println!("client_secret: {secret}");
                }
            }
        }
        SystemCommand::Require { code, level } => {
            systems::require(pool, &code, level).await?;
            println!("system {code}: a sign-in needs {level}");
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
            let levels = systems::required_levels(pool).await?;
            for system in systems::all(pool).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    printable(&system.code),
                    printable(&system.name),
                    printable(&system.url),
                    algs.get(&system.code).map_or("-", |alg| alg.as_str()),
                    levels.get(&system.code).copied().unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
