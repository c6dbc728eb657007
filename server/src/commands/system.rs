//! `thaiid-server system add CODE NAME [--url URL] [--redirect-uri URI…] [--id-token-alg ALG]
//! [--require LEVEL] | require CODE LEVEL | secret CODE | id-token-alg CODE ALG | list`.

use super::Outcome;
use crate::audit::CLI;
use crate::cli::SystemCommand;
use crate::db::Pool;
use crate::oidc::clients::{self, Registration};
use crate::oidc::system_admin::{self, Settings};
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
            // Without --redirect-uri the system's client (if any) is left as it is.
            let client = (!redirect_uris.is_empty()).then_some(Registration {
                redirect_uris,
                post_logout_redirect_uris,
                public,
                id_token_alg,
            });
            let settings = Settings {
                code,
                name,
                url,
                client,
                require,
            };
            let secret = system_admin::put(pool, &settings, CLI, now).await?;
            let code = &settings.code;
            println!("system {code}: {}", printable(&settings.name));
            if let Some(level) = require {
                println!("system {code}: a sign-in needs {level}");
            }
            if settings.client.is_some() {
                println!("client_id: {code}");
                if let Some(secret) = secret {
                    println!("client_secret: {secret}");
                }
            }
        }
        SystemCommand::Require { code, level } => {
            system_admin::require(pool, &code, level, CLI, now).await?;
            println!("system {code}: a sign-in needs {level}");
        }
        SystemCommand::Secret { code } => {
            println!(
                "client_secret: {}",
                system_admin::replace_secret(pool, &code, CLI, now).await?
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
