//! `thaiid-server`: serve, and the admin commands IT uses (SPEC §7).

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use thaiid_server::{agents, api, api_keys, db, tokens, users};

#[derive(Parser)]
#[command(
    name = "thaiid-server",
    version,
    about = "Reference central card-login server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (DATABASE_URL, THAIID_SERVER_LISTEN).
    Serve,
    /// Enrollment tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API keys for other front ends' challenges.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Enrolled agents.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; prints the token alone.
    Create {
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// Lifetime: 7d, 12h, 30m, 45s.
        #[arg(long, default_value = "7d", value_parser = tokens::parse_ttl)]
        ttl: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account, linked to a card by its citizen ID.
    Add {
        name: String,
        #[arg(long)]
        citizen_id: Option<String>,
        /// The name the pages show (default: NAME).
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create a key; prints the key alone.
    Create { name: String },
}

#[derive(Subcommand)]
enum AgentCommand {
    List,
    Revoke { id: String },
}

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        let dir = directories::ProjectDirs::from("", "", "thaiid-server")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .unwrap_or_else(|| ".".into());
        let _ = std::fs::create_dir_all(&dir);
        format!("sqlite:{}", dir.join("thaiid-server.db").display())
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("thaiid-server: {error}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let pool = db::open(&database_url()).await?;
    let now = thaiid_server::now();
    match cli.command {
        Command::Serve => {
            let listen =
                std::env::var("THAIID_SERVER_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
            tracing::info!("listening on http://{listen}");
            let public_url = std::env::var("THAIID_SERVER_PUBLIC_URL")
                .unwrap_or_else(|_| format!("http://{listen}"))
                .trim_end_matches('/')
                .to_owned();
            axum::serve(listener, api::router(api::AppState { pool, public_url })).await?;
        }
        Command::Token {
            command: TokenCommand::Create { uses, ttl },
        } => {
            if uses < 1 {
                return Err("--uses must be at least 1".into());
            }
            println!("{}", tokens::create(&pool, uses, ttl, now).await?);
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    citizen_id,
                    display_name,
                },
        } => {
            let display = display_name.as_deref().unwrap_or(&name);
            users::add(&pool, &name, display, citizen_id.as_deref(), now).await?;
            println!("added {name}");
        }
        Command::Apikey {
            command: ApikeyCommand::Create { name },
        } => {
            println!("{}", api_keys::create(&pool, &name, now).await?);
        }
        Command::Agent {
            command: AgentCommand::List,
        } => {
            for agent in agents::list(&pool).await? {
                let state = if agent.revoked { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{state}",
                    agent.id, agent.hostname, agent.agent_version
                );
            }
        }
        Command::Agent {
            command: AgentCommand::Revoke { id },
        } => {
            if !agents::revoke(&pool, &id, now).await? {
                return Err(format!("no active agent {id}").into());
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
