//! The audit log: one row for every login attempt, accepted or refused, with the
//! reason code, every card registered or blocked, and every sign-in to a system (a code
//! issued to it, or a refusal for lack of permission). Citizen IDs and card serials are
//! stored masked (`1-1037-xxxxx-xx-8`, `xxxxxxxxxx5678`), names and laser IDs never.

use crate::amr::Amr;
use crate::db::store::Store;
use crate::db::Pool;
use sqlx::Row;
use thaiid_protocol::api::ServerErrorCode;

/// The `outcome` of an accepted attempt.
pub const OK: &str = "OK";
/// The `outcome` of a card registration on `/me` refused because the card gave no laser
/// ID (not read, or an old card without the laser applet: the helpdesk registers it).
pub const LASER_ID_MISSING: &str = "LASER_ID_MISSING";
/// The `outcome` of a sign-in to a system the person has no permission for.
pub const ACCESS_DENIED: &str = "ACCESS_DENIED";

/// How a person tried to log in (or out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Card,
    Password,
    Otp,
    /// A card login's ticket redeemed by the browser.
    Ticket,
    Logout,
    /// A card registered to an account (by IT, or on `/me` through the agent).
    Register,
    /// A registered card blocked (by IT, or replaced by a newer one).
    Block,
    /// A sign-in to a system: an OpenID Connect code issued to it, or refused.
    System,
    /// An OTP set up or replaced by its owner on `/me/otp`.
    OtpSetup,
    /// A step of forgot password: the card or reset code, the OTP, the new password.
    Forgot,
    /// A helpdesk reset code made for an account.
    ResetCode,
    /// The first password, set by its owner on `/me` after a card login.
    PasswordSet,
    /// A role granted or revoked (the admin console's).
    Role,
    /// A person created or changed by the helpdesk (citizen ID linked, OTP reset, lockout
    /// cleared, reset code given): `detail` says which.
    Person,
    /// A bulk import of people from the HR export (one row per run, `detail` the counts).
    Import,
    /// A permission request approved or rejected by its system's owner.
    Request,
    /// Someone's access to a system changed by its owner (revoked, account name set).
    Access,
    /// A system added or changed by an admin (name, URLs, redirect URIs, level, secret).
    SystemAdmin,
    /// An enrolled agent revoked by an admin.
    AgentAdmin,
    /// An enrollment token created by an admin.
    EnrollToken,
    /// An API key created by an admin.
    ApiKey,
    /// The audit log searched or exported by an auditor.
    Export,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::Password => "password",
            Method::Otp => "otp",
            Method::Ticket => "ticket",
            Method::Logout => "logout",
            Method::Register => "register",
            Method::Block => "block",
            Method::System => "system",
            Method::OtpSetup => "otp-setup",
            Method::Forgot => "forgot",
            Method::ResetCode => "reset-code",
            Method::PasswordSet => "password-set",
            Method::Role => "role",
            Method::Person => "person",
            Method::Import => "import",
            Method::Request => "request",
            Method::Access => "access",
            Method::SystemAdmin => "system-admin",
            Method::AgentAdmin => "agent-admin",
            Method::EnrollToken => "enroll-token",
            Method::ApiKey => "api-key",
            Method::Export => "export",
        }
    }

    /// Every method, in the order the audit page offers them.
    pub const ALL: [Method; 22] = [
        Method::Card,
        Method::Password,
        Method::Otp,
        Method::Ticket,
        Method::Logout,
        Method::Register,
        Method::Block,
        Method::System,
        Method::OtpSetup,
        Method::Forgot,
        Method::ResetCode,
        Method::PasswordSet,
        Method::Role,
        Method::Person,
        Method::Import,
        Method::Request,
        Method::Access,
        Method::SystemAdmin,
        Method::AgentAdmin,
        Method::EnrollToken,
        Method::ApiKey,
        Method::Export,
    ];

    /// The method named `text` ([`Method::as_str`]), if there is one.
    pub fn named(text: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str() == text)
    }

    fn parse(text: &str) -> Method {
        match text {
            "card" => Method::Card,
            "password" => Method::Password,
            "otp" => Method::Otp,
            "ticket" => Method::Ticket,
            "register" => Method::Register,
            "block" => Method::Block,
            "system" => Method::System,
            "otp-setup" => Method::OtpSetup,
            "forgot" => Method::Forgot,
            "reset-code" => Method::ResetCode,
            "password-set" => Method::PasswordSet,
            "role" => Method::Role,
            "person" => Method::Person,
            "import" => Method::Import,
            "request" => Method::Request,
            "access" => Method::Access,
            "system-admin" => Method::SystemAdmin,
            "agent-admin" => Method::AgentAdmin,
            "enroll-token" => Method::EnrollToken,
            "api-key" => Method::ApiKey,
            "export" => Method::Export,
            _ => Method::Logout,
        }
    }
}

/// One attempt, filled in as far as the attempt got.
#[derive(Debug, Clone)]
pub struct Entry {
    pub method: Method,
    /// `OK` or the reason code of the refusal.
    pub outcome: String,
    pub username: Option<String>,
    /// Already masked.
    pub citizen_id: Option<String>,
    pub agent_id: Option<String>,
    pub remote: Option<String>,
    /// The card's serial, masked: `xxxxxxxxxx5678`.
    pub card: Option<String>,
    /// What tells cards apart without their number ([`crate::card_key::CardKey::reference`]).
    pub card_ref: Option<String>,
    /// The system signed in to: its code, the OpenID Connect `client_id`.
    pub system: Option<String>,
    /// How the person signing in to a system had logged in.
    pub amr: Option<Amr>,
    /// Who did it, for an administrator's action: the console user, or [`CLI`].
    pub actor: Option<String>,
    /// What an administrator's action did beyond its method (the role granted, the
    /// request decided): no personal data.
    pub detail: Option<String>,
}

/// The actor of the command line's actions (whoever holds a root shell on the server).
pub const CLI: &str = "cli";

impl Entry {
    /// Sets the outcome: [`OK`], or the refusal's reason code.
    pub fn set_outcome(&mut self, outcome: Result<(), ServerErrorCode>) {
        self.outcome = match outcome {
            Ok(()) => OK.into(),
            Err(code) => code.as_str().into(),
        };
    }

    pub fn new(method: Method) -> Entry {
        Entry {
            method,
            outcome: String::new(),
            username: None,
            citizen_id: None,
            agent_id: None,
            remote: None,
            card: None,
            card_ref: None,
            system: None,
            amr: None,
            actor: None,
            detail: None,
        }
    }
}

const INSERT: &str = "INSERT INTO audit_log \
     (id, at, method, outcome, username, citizen_id, agent_id, remote, card, card_ref, \
     system_code, amr, actor, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Writes one row, through the pool or inside a transaction.
pub async fn record<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    entry: &Entry,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(ordered_id())
        .bind(now)
        .bind(entry.method.as_str())
        .bind(&entry.outcome)
        .bind(&entry.username)
        .bind(&entry.citizen_id)
        .bind(&entry.agent_id)
        .bind(&entry.remote)
        .bind(&entry.card)
        .bind(&entry.card_ref)
        .bind(&entry.system)
        .bind(entry.amr.map(Amr::as_str))
        .bind(&entry.actor)
        .bind(&entry.detail)
        .execute(db)
        .await?;
    Ok(())
}

/// [`record`] inside the caller's transaction on a [`Store`] (a card login's).
pub async fn write<S: Store>(db: &mut S, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let id = ordered_id();
    db.execute(
        INSERT,
        &[
            id.as_str().into(),
            now.into(),
            entry.method.as_str().into(),
            entry.outcome.as_str().into(),
            (&entry.username).into(),
            (&entry.citizen_id).into(),
            (&entry.agent_id).into(),
            (&entry.remote).into(),
            (&entry.card).into(),
            (&entry.card_ref).into(),
            (&entry.system).into(),
            entry.amr.map(Amr::as_str).into(),
            (&entry.actor).into(),
            (&entry.detail).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The microseconds of the wall clock, then random bits: ids sort in the order rows were
/// written, so rows of the same second list in order.
pub(crate) fn ordered_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_micros());
    format!("{micros:016x}{}", crate::random_id())
}

/// A row as `audit list` prints it.
#[derive(Debug)]
pub struct Logged {
    pub at: i64,
    pub entry: Entry,
}

pub(crate) const COLUMNS: &str =
    "at, method, outcome, username, citizen_id, agent_id, remote, card, card_ref, system_code, amr, \
     actor, detail";

/// The rows written since `since`, oldest first.
pub async fn since(pool: &Pool, since: i64) -> Result<Vec<Logged>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE at >= $1 ORDER BY at, id");
    let rows = sqlx::query(&sql).bind(since).fetch_all(pool).await?;
    logged(&rows)
}

/// The newest `limit` rows, newest first.
pub async fn recent(pool: &Pool, limit: i64) -> Result<Vec<Logged>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY at DESC, id DESC LIMIT $1");
    let rows = sqlx::query(&sql).bind(limit).fetch_all(pool).await?;
    logged(&rows)
}

/// One person's newest `limit` logins, newest first (not their sign-ins to systems).
pub async fn of_user(pool: &Pool, username: &str, limit: i64) -> Result<Vec<Logged>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE username = $1 \
         AND method NOT IN ('password', 'system') ORDER BY at DESC, id DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(username)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    logged(&rows)
}

fn logged(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Logged>, sqlx::Error> {
    rows.iter().map(logged_row).collect()
}

/// One row of a query selecting [`COLUMNS`].
pub(crate) fn logged_row(row: &sqlx::any::AnyRow) -> Result<Logged, sqlx::Error> {
    let method = Method::parse(&row.try_get::<String, _>("method")?);
    Ok(Logged {
        at: row.try_get("at")?,
        entry: Entry {
            method,
            outcome: row.try_get("outcome")?,
            username: row.try_get("username")?,
            citizen_id: row.try_get("citizen_id")?,
            agent_id: row.try_get("agent_id")?,
            remote: row.try_get("remote")?,
            card: row.try_get("card")?,
            card_ref: row.try_get("card_ref")?,
            system: row.try_get("system_code")?,
            amr: row
                .try_get::<Option<String>, _>("amr")?
                .as_deref()
                .and_then(Amr::parse),
            actor: row.try_get("actor")?,
            detail: row.try_get("detail")?,
        },
    })
}
