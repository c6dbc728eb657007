//! The admin command line (SPEC §7): `serve`, and the commands IT uses.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "thaiid-server",
    version,
    about = "Reference central card-login server and SSO pages"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and the pages (DATABASE_URL, THAIID_SERVER_LISTEN, THAIID_SERVER_PUBLIC_URL,
    /// THAIID_SERVER_AGENT_URL: where the pages call the agent, https://127.0.0.1:47113;
    /// THAIID_SERVER_OTP_KEY_FILE: the key sealing OTP secrets, default otp.key in the data dir;
    /// THAIID_SERVER_CARD_KEY_FILE: the key registered cards are hashed with, default card.key;
    /// THAIID_SERVER_OIDC_KEY_FILE: the OpenID Connect signing keys, default oidc-keys.json;
    /// THAIID_SERVER_TRUSTED_PROXIES: comma-separated IPs/CIDRs whose X-Forwarded-For is
    /// believed, default none; THAIID_SERVER_METRICS_LISTEN: where Prometheus scrapes
    /// GET /metrics, default off; THAIID_SERVER_LOG_FORMAT: text or json, default text;
    /// THAIID_SERVER_AUDIT_DAYS: how long audit rows are kept, 400;
    /// THAIID_SERVER_CARD_LOGIN_QUEUE: card logins in progress at most, beyond them 503
    /// SERVER_BUSY, 4096; THAIID_SERVER_SESSIONS_PER_ADDRESS: sessions not logged in per
    /// address, 1000).
    Serve(ServeArgs),
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
    /// API keys for other front ends' challenges.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// The OpenID Connect provider's signing keys (THAIID_SERVER_OIDC_KEY_FILE, default
    /// oidc-keys.json in the data dir).
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
    /// Enrolled agents.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// The demo: its systems and synthetic account (card: the virtual demo card).
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The admin console's roles: admin, helpdesk, owner (of one system), auditor.
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// The audit log of login attempts, card registrations and sign-ins to systems (citizen
    /// IDs and card serials masked); --alerts: what needs a look.
    Audit(AuditArgs),
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// Give USER the role ROLE (admin, helpdesk, owner --system CODE, auditor).
    Grant {
        user: String,
        role: String,
        /// The system an owner owns.
        #[arg(long, value_name = "CODE")]
        system: Option<String>,
    },
    /// Take ROLE from USER.
    Revoke {
        user: String,
        role: String,
        #[arg(long, value_name = "CODE")]
        system: Option<String>,
    },
    /// Every role held: user, role, system.
    List,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints the token alone.
    Create {
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// Lifetime: 7d, 12h, 30m, 45s.
        #[arg(long, default_value = "7d", value_parser = crate::tokens::parse_ttl)]
        ttl: i64,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an account; its password is the first line of stdin (empty: card login only).
    Add {
        name: String,
        /// Links the account to the ID card with this citizen ID.
        #[arg(long)]
        citizen_id: Option<String>,
        #[command(flatten)]
        details: Details,
    },
    /// Set the password from the first line of stdin.
    Passwd {
        name: String,
    },
    /// Enrol (or replace) the OTP; prints the otpauth:// URI for the mobile app. With
    /// --reset, clear it instead: the person sets up a new one on /me/otp after a card
    /// login, and nobody else sees its secret.
    Otp {
        name: String,
        #[arg(long)]
        reset: bool,
    },
    /// Clear a lockout: forget the account's failed passwords and OTPs.
    Unlock {
        name: String,
    },
    /// A one-time helpdesk reset code for forgot password (15 minutes; it stands in for the
    /// card on /forgot, the OTP is still asked if the account has one); prints the code
    /// alone. The account's unused codes stop working.
    ResetCode {
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
    /// A card is registered with its laser ID; one without the laser applet only with
    /// --no-laser-applet, and then the OTP follows its every card login.
    Card {
        name: String,
        /// The 14 digits under the photo (card_serial).
        #[arg(long, required_unless_present = "block", conflicts_with = "block")]
        serial: Option<String>,
        /// The number on the card's back (laser_id), e.g. JT0-1234567-89.
        #[arg(long, conflicts_with_all = ["block", "no_laser_applet"])]
        laser_id: Option<String>,
        /// The card has no laser applet (an old card: `laser_id` null in
        /// `thaiid-agent read --json`): it logs in as a first factor, the OTP after it.
        #[arg(long, conflicts_with = "block")]
        no_laser_applet: bool,
        /// Block the registered card: no card logs in until one is registered.
        #[arg(long)]
        block: bool,
    },
    /// Change the name, department or e-mail the pages show.
    Set {
        name: String,
        #[command(flatten)]
        details: Details,
    },
    List,
    /// Import people from the HR export, a CSV file (UTF-8) with the header
    /// username,name_th,name_en,citizen_id[,systems] (systems: codes separated by spaces);
    /// `-` reads stdin. Runs again without harm: creates, updates names, links a citizen ID
    /// to an account without one, grants systems; never deletes. Prints each row's outcome;
    /// exits 1 if any row was refused (the other rows are imported).
    Import {
        file: PathBuf,
    },
}

/// What the pages show of an account.
#[derive(clap::Args)]
pub struct Details {
    /// The name the pages show (`user add`: NAME unless given).
    #[arg(long)]
    pub display_name: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
}

#[derive(Subcommand)]
pub enum SystemCommand {
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
        /// What the client's ID tokens are signed with: ES256 (a new client's default) or
        /// RS256 (for relying parties that verify RS256 only). Again on an existing
        /// client: changed; left out: kept.
        #[arg(long, value_parser = crate::oidc::alg::SigningAlg::parse, requires = "redirect_uris")]
        id_token_alg: Option<crate::oidc::alg::SigningAlg>,
        /// What a sign-in to the system needs: one-factor (the card, or password + OTP;
        /// a new system's default) or two-factor (the card and the OTP, or password +
        /// OTP). Again on an existing system: changed; left out: kept.
        #[arg(long, value_parser = crate::amr::Level::parse)]
        require: Option<crate::amr::Level>,
    },
    /// From now on a sign-in to system CODE needs LEVEL: one-factor or two-factor.
    Require {
        code: String,
        #[arg(value_parser = crate::amr::Level::parse)]
        level: crate::amr::Level,
    },
    /// Sign client CODE's ID tokens with ALG (ES256 or RS256) from now on.
    IdTokenAlg {
        code: String,
        #[arg(value_parser = crate::oidc::alg::SigningAlg::parse)]
        alg: crate::oidc::alg::SigningAlg,
    },
    /// A new client secret for system CODE (printed once); the old one stops working.
    Secret { code: String },
    /// The systems: code, name, URL, for an OpenID Connect client its ID token
    /// algorithm (`-`: not a client), and the level a sign-in to it needs.
    List,
}

#[derive(Subcommand)]
pub enum OidcCommand {
    /// Make a new current signing key of each algorithm (ES256, RS256); the old ones stay
    /// in the JWKS until their tokens have expired.
    RotateKey,
}

#[derive(Subcommand)]
pub enum PermissionCommand {
    /// Let USER use system CODE.
    Grant {
        user: String,
        code: String,
        /// USER's own account name in that system (e.g. m01010101): shown on the systems
        /// page and sent to it as `preferred_username`.
        #[arg(long = "as", value_name = "NAME")]
        account_name: Option<String>,
    },
    Revoke {
        user: String,
        code: String,
    },
    /// The pending requests.
    Requests,
    /// Approve request ID: the change it asks for is made.
    Approve {
        /// Ids are base64url: one may begin with '-'.
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Why, for the requester (shown on their /permissions page).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject request ID, with the reason the requester reads (needed).
    Reject {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Add the demo systems and account (again: no change); prints how to log in.
    Seed,
    /// The demo account's OTP code now, as its mobile app would show it.
    Otp,
}

#[derive(Subcommand)]
pub enum ApikeyCommand {
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
pub enum AgentCommand {
    List,
    Revoke { id: String },
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// PEM certificate chain: serve HTTPS (otherwise plain HTTP, for a TLS proxy in front).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// How many of the newest rows.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// List alerts instead: a card used from more than --workstations agents within an
    /// hour, a blocked card tried, an agent with more than --refusals refused card
    /// logins within an hour; and each account whose card is still registered by its
    /// serial alone (to be registered again with its laser ID).
    #[arg(long)]
    pub alerts: bool,
    /// How far back the alerts look: 24h, 1h, 7d.
    #[arg(long, default_value = "24h", value_parser = crate::tokens::parse_ttl, requires = "alerts")]
    pub since: i64,
    #[arg(long, default_value_t = 3, requires = "alerts")]
    pub workstations: usize,
    #[arg(long, default_value_t = 10, requires = "alerts")]
    pub refusals: usize,
}
