//! `thaiid-server`: serve, and the admin commands IT uses (SPEC §7).

use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use thaiid_server::card_key::CardKey;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{
    agents, alerts, api, api_keys, audit, cards, db, demo, oidc, otp, sweep, systems, tokens, users,
};

#[derive(Parser)]
#[command(
    name = "thaiid-server",
    version,
    about = "Reference central card-login server and SSO pages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the pages (DATABASE_URL, THAIID_SERVER_LISTEN, THAIID_SERVER_PUBLIC_URL,
    /// THAIID_SERVER_AGENT_URL: where the pages call the agent, https://127.0.0.1:47113;
    /// THAIID_SERVER_OTP_KEY_FILE: the key sealing OTP secrets, default otp.key in the data dir;
    /// THAIID_SERVER_CARD_KEY_FILE: the key registered cards are hashed with, default card.key;
    /// THAIID_SERVER_OIDC_KEY_FILE: the OpenID Connect signing keys, default oidc-keys.json).
    Serve {
        /// PEM certificate chain: serve HTTPS (otherwise plain HTTP, for a TLS proxy in front).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
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
    /// The systems people may be allowed to use.
    System {
        #[command(subcommand)]
        command: SystemCommand,
    },
    /// Who may use which system, and people's requests to change it.
    Permission {
        #[command(subcommand)]
        command: PermissionCommand,
    },
    /// API keys of other front ends (challenges, ticket redemption).
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Enrolled agents.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// The OpenID Connect provider's signing keys (THAIID_SERVER_OIDC_KEY_FILE, default
    /// oidc-keys.json in the data dir).
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
    /// The demo: its systems and synthetic account (card: the virtual demo card).
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The audit log of login attempts and card registrations (citizen IDs and card serials
    /// masked); --alerts: what needs a look.
    Audit {
        /// How many of the newest rows.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// List alerts instead: a card used from more than --workstations agents within an
        /// hour, a blocked card tried, an agent with more than --refusals refused card
        /// logins within an hour.
        #[arg(long)]
        alerts: bool,
        /// How far back the alerts look: 24h, 1h, 7d.
        #[arg(long, default_value = "24h", value_parser = tokens::parse_ttl, requires = "alerts")]
        since: i64,
        #[arg(long, default_value_t = 3, requires = "alerts")]
        workstations: usize,
        #[arg(long, default_value_t = 10, requires = "alerts")]
        refusals: usize,
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
    /// Add an account; its password is the first line of stdin (empty: card login only).
    Add {
        name: String,
        /// Links the account to the ID card with this citizen ID.
        #[arg(long)]
        citizen_id: Option<String>,
        /// The name the pages show (default: NAME).
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Set the password from the first line of stdin.
    Passwd {
        name: String,
    },
    /// Enrol (or replace) the OTP; prints the otpauth:// URI for the mobile app.
    Otp {
        name: String,
    },
    /// Link the account to a card's citizen ID (--none unlinks).
    Link {
        name: String,
        #[arg(long, required_unless_present = "none")]
        citizen_id: Option<String>,
        #[arg(long)]
        none: bool,
    },
    /// Register the account's card (it replaces the old one, which is then blocked), or
    /// --block the registered card. Values from `thaiid-agent read --json` at the helpdesk.
    Card {
        name: String,
        /// The 14 digits under the photo (card_serial).
        #[arg(long, required_unless_present = "block", conflicts_with = "block")]
        serial: Option<String>,
        /// The number on the card's back (laser_id), e.g. JT0-1234567-89.
        #[arg(long, conflicts_with = "block")]
        laser_id: Option<String>,
        /// Block the registered card: no card logs in until one is registered.
        #[arg(long)]
        block: bool,
    },
    /// Change the name, department or e-mail the pages show.
    Set {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    List,
}

#[derive(Subcommand)]
enum SystemCommand {
    /// Add a system, or rename it: `system add 01010101 "ระบบ..."`. With --redirect-uri it
    /// is an OpenID Connect client: prints client_id (the code) and, for a new confidential
    /// client, client_secret (once).
    Add {
        code: String,
        name: String,
        #[arg(long, default_value = "")]
        url: String,
        /// Where the provider may send codes back (exact match); repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Where the provider may send the browser after logout (exact match).
        #[arg(long = "post-logout-redirect-uri", requires = "redirect_uris")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (single-page or native app): no secret, PKCE alone.
        #[arg(long, requires = "redirect_uris")]
        public: bool,
        /// The ID token algorithm the client needs: ES256 only (RS256 is refused).
        #[arg(long, value_parser = oidc::clients::parse_alg, requires = "redirect_uris")]
        id_token_alg: Option<String>,
    },
    /// A new client secret for system CODE (printed once); the old one stops working.
    Secret {
        code: String,
    },
    List,
}

#[derive(Subcommand)]
enum OidcCommand {
    /// Make a new current signing key; the old one stays in the JWKS until its tokens
    /// have expired.
    RotateKey,
}

#[derive(Subcommand)]
enum PermissionCommand {
    /// Let USER use system CODE.
    Grant {
        user: String,
        code: String,
    },
    Revoke {
        user: String,
        code: String,
    },
    /// The pending requests.
    Requests,
    Approve {
        id: String,
    },
    Reject {
        id: String,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Add the demo systems and account (again: no change); prints how to log in.
    Seed,
    /// The demo account's OTP code now, as its mobile app would show it.
    Otp,
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create a key for the front end NAME whose login pages run at --origin (one or
    /// more); prints the key alone.
    Create {
        name: String,
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
    },
    /// The keys: name, origins, creation time.
    List,
    /// Revoke the key of NAME at once.
    Revoke { name: String },
}

#[derive(Subcommand)]
enum AgentCommand {
    List,
    Revoke { id: String },
}

fn data_dir() -> PathBuf {
    let dir = directories::ProjectDirs::from("", "", "thaiid-server")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| ".".into());
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", data_dir().join("thaiid-server.db").display()))
}

/// The key OTP secrets are sealed with: `THAIID_SERVER_OTP_KEY_FILE`, by default `otp.key`
/// in the data dir, made at first use.
fn otp_key() -> Result<OtpKey, String> {
    let path = std::env::var_os("THAIID_SERVER_OTP_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("otp.key"));
    OtpKey::load_or_create(&path)
}

/// The key registered cards are hashed with: `THAIID_SERVER_CARD_KEY_FILE`, by default
/// `card.key` in the data dir, made at first use.
fn card_key() -> Result<CardKey, thaiid_server::key_file::KeyFileError> {
    let path = std::env::var_os("THAIID_SERVER_CARD_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("card.key"));
    CardKey::load_or_create(&path)
}

/// The OpenID Connect signing keys: `THAIID_SERVER_OIDC_KEY_FILE`, by default
/// `oidc-keys.json` in the data dir, made at first start.
fn oidc_key_file() -> PathBuf {
    std::env::var_os("THAIID_SERVER_OIDC_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("oidc-keys.json"))
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

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// The first line of stdin, without its line end.
fn password_from_stdin() -> Result<String, std::io::Error> {
    if std::io::stdin().is_terminal() {
        eprint!("password (shown as typed; empty for card login only): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn run(cli: Cli) -> Outcome {
    let pool = db::open(&database_url()).await?;
    let now = thaiid_server::now();
    match cli.command {
        Command::Serve { tls_cert, tls_key } => serve(pool, tls_cert.zip(tls_key)).await?,
        Command::Token {
            command: TokenCommand::Create { uses, ttl },
        } => {
            if uses < 1 {
                return Err("--uses must be at least 1".into());
            }
            println!("{}", tokens::create(&pool, uses, ttl, now).await?);
        }
        Command::User { command } => user(&pool, command, now).await?,
        Command::System { command } => match command {
            SystemCommand::Add {
                code,
                name,
                url,
                redirect_uris,
                post_logout_redirect_uris,
                public,
                id_token_alg: _,
            } => {
                let registration = oidc::clients::Registration {
                    redirect_uris,
                    post_logout_redirect_uris,
                    public,
                };
                let client = !registration.redirect_uris.is_empty();
                if client {
                    registration.check()?;
                }
                systems::put(&pool, &code, &name, &url).await?;
                println!("system {code}: {name}");
                if client {
                    let secret = oidc::clients::register(&pool, &code, &registration, now).await?;
                    println!("client_id: {code}");
                    if let Some(secret) = secret {
                        println!("client_secret: {secret}");
                    }
                }
            }
            SystemCommand::Secret { code } => {
                println!(
                    "client_secret: {}",
                    oidc::clients::replace_secret(&pool, &code).await?
                );
            }
            SystemCommand::List => {
                for system in systems::all(&pool).await? {
                    println!("{}\t{}\t{}", system.code, system.name, system.url);
                }
            }
        },
        Command::Permission { command } => permission(&pool, command, now).await?,
        Command::Apikey { command } => match command {
            ApikeyCommand::Create { name, origins } => {
                println!("{}", api_keys::create(&pool, &name, &origins, now).await?);
            }
            ApikeyCommand::List => {
                for key in api_keys::list(&pool).await? {
                    println!(
                        "{}\t{}\t{}",
                        key.name,
                        key.origins.join(","),
                        thaiid_protocol::date::rfc3339_utc(key.created_at)
                    );
                }
            }
            ApikeyCommand::Revoke { name } => {
                if !api_keys::revoke(&pool, &name).await? {
                    return Err(format!("no API key named {name:?}").into());
                }
                println!("revoked {name}");
            }
        },
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
        Command::Oidc {
            command: OidcCommand::RotateKey,
        } => {
            let kid = oidc::keys::SigningKeys::rotate(&oidc_key_file(), now)?;
            println!("new signing key {kid}; the old one stays published until its tokens expire");
        }
        Command::Demo { command } => {
            let seeded = demo::seed(&pool, &otp_key()?, &card_key()?, now).await?;
            match command {
                DemoCommand::Seed => println!(
                    "demo account: {} / {} (OTP: thaiid-server demo otp), card {} (serial {})",
                    demo::USERNAME,
                    demo::PASSWORD,
                    thaiid_protocol::CitizenId::parse(demo::CITIZEN_ID)?.masked(),
                    thaiid_server::card_key::masked_serial(demo::CARD_SERIAL)
                ),
                DemoCommand::Otp => println!("{}", demo::otp_now(&seeded, now)?),
            }
        }
        Command::Audit {
            limit,
            alerts: false,
            ..
        } => {
            for row in audit::recent(&pool, limit).await? {
                let e = &row.entry;
                let field =
                    |value: &Option<String>| audit::printable(value.as_deref().unwrap_or("-"));
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    thaiid_protocol::date::rfc3339_utc(row.at),
                    e.method.as_str(),
                    audit::printable(&e.outcome),
                    field(&e.username),
                    field(&e.citizen_id),
                    field(&e.card),
                    field(&e.agent_id),
                    field(&e.remote)
                );
            }
        }
        Command::Audit {
            alerts: true,
            since,
            workstations,
            refusals,
            ..
        } => {
            let rows = audit::since(&pool, now - since).await?;
            let thresholds = alerts::Thresholds {
                workstations,
                refusals,
            };
            for alert in alerts::find(&rows, thresholds) {
                println!("{}", alert.line());
            }
        }
    }
    Ok(())
}

async fn user(pool: &db::Pool, command: UserCommand, now: i64) -> Outcome {
    match command {
        UserCommand::Add {
            name,
            citizen_id,
            display_name,
            department,
            email,
        } => {
            let password = password_from_stdin()?;
            if !password.is_empty() {
                // Judged before the account exists, so a short one adds nothing.
                thaiid_server::passwords::hash(&password)?;
            }
            let display = display_name.as_deref().unwrap_or(&name);
            users::add(pool, &name, display, citizen_id.as_deref(), now).await?;
            users::set_details(pool, &name, None, department.as_deref(), email.as_deref()).await?;
            if password.is_empty() {
                println!("added {name} (no password: card login only)");
            } else {
                users::set_password(pool, &name, &password).await?;
                println!("added {name}");
            }
        }
        UserCommand::Passwd { name } => {
            users::set_password(pool, &name, &password_from_stdin()?).await?;
            println!("password of {name} set");
        }
        UserCommand::Otp { name } => {
            let secret = users::enrol_otp(pool, &otp_key()?, &name).await?;
            println!("{}", otp::provisioning_uri(&secret, &name)?);
        }
        UserCommand::Link {
            name, citizen_id, ..
        } => {
            users::link(pool, &name, citizen_id.as_deref()).await?;
            println!("{name}: card link updated");
        }
        UserCommand::Card {
            name, block: true, ..
        } => {
            let masked = cards::block(pool, &name, now).await?;
            println!("{name}: card {masked} blocked; no card logs in until one is registered");
        }
        UserCommand::Card {
            name,
            serial,
            laser_id,
            block: false,
        } => {
            let serial = serial.ok_or("--serial is required")?;
            let replaced =
                cards::register_by_it(pool, &card_key()?, &name, &serial, laser_id.as_deref(), now)
                    .await?;
            let laser = if laser_id.is_some() {
                " with its laser ID"
            } else {
                ""
            };
            println!(
                "{name}: card {} registered{laser}",
                thaiid_server::card_key::masked_serial(&serial)
            );
            if let Some(old) = replaced {
                println!("{name}: the old card {old} is blocked");
            }
        }
        UserCommand::Set {
            name,
            display_name,
            department,
            email,
        } => {
            users::set_details(
                pool,
                &name,
                display_name.as_deref(),
                department.as_deref(),
                email.as_deref(),
            )
            .await?;
            println!("{name} updated");
        }
        UserCommand::List => {
            for account in users::list(pool).await? {
                println!(
                    "{}\t{}\t{}\tpassword:{}\totp:{}",
                    account.username,
                    account.display_name,
                    account.citizen_id_masked().unwrap_or_else(|| "-".into()),
                    if account.password_hash.is_some() {
                        "yes"
                    } else {
                        "no"
                    },
                    if account.totp_secret.is_some() {
                        "yes"
                    } else {
                        "no"
                    },
                );
            }
        }
    }
    Ok(())
}

async fn permission(pool: &db::Pool, command: PermissionCommand, now: i64) -> Outcome {
    match command {
        PermissionCommand::Grant { user, code } => {
            systems::grant(pool, &user, &code).await?;
            println!("{user} may use {code}");
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
                    request.username,
                    request.change.as_str(),
                    request.system_code,
                    request.reason
                );
            }
        }
        PermissionCommand::Approve { ref id } | PermissionCommand::Reject { ref id } => {
            let approve = matches!(command, PermissionCommand::Approve { .. });
            let request = systems::decide(pool, id, approve, now).await?;
            println!("{id}: {}", request.status);
        }
    }
    Ok(())
}

async fn serve(pool: db::Pool, tls: Option<(PathBuf, PathBuf)>) -> Outcome {
    let listen = std::env::var("THAIID_SERVER_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let address: SocketAddr = listen.parse().map_err(|_| {
        format!("THAIID_SERVER_LISTEN={listen:?} is not an address like 127.0.0.1:8080")
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = std::env::var("THAIID_SERVER_PUBLIC_URL")
        .unwrap_or_else(|_| format!("{scheme}://{listen}"));
    tokio::spawn(sweep::every_few_minutes(pool.clone()));
    let otp_key = otp_key()?;
    let sealed = users::seal_otp_secrets(&pool, &otp_key).await?;
    if sealed > 0 {
        tracing::info!("sealed the OTP secrets of {sealed} account(s) stored before sealing");
    }
    let oidc_keys =
        oidc::keys::SigningKeys::load_or_create(&oidc_key_file(), thaiid_server::now())?;
    let mut state = api::AppState::new(pool, &public_url, otp_key, card_key()?)
        .map_err(|problem| format!("THAIID_SERVER_PUBLIC_URL: {problem}"))?
        .with_oidc_keys(oidc_keys);
    if let Ok(agent_url) = std::env::var("THAIID_SERVER_AGENT_URL") {
        state = state
            .with_agent_url(&agent_url)
            .map_err(|problem| format!("THAIID_SERVER_AGENT_URL: {problem}"))?;
    }
    let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    tracing::info!("listening on {scheme}://{listen}, public URL {public_url}");
    match tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|error| {
                    format!(
                        "cannot load {} / {}: {error}",
                        cert.display(),
                        key.display()
                    )
                })?;
            axum_server::bind_rustls(address, config)
                .handle(handle)
                .serve(app)
                .await
        }
        None => axum_server::bind(address).handle(handle).serve(app).await,
    }
    .map_err(|error| format!("cannot serve on {listen}: {error}"))?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
