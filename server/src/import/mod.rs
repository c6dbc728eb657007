//! The bulk import of people from the HR export (SPEC §7b), for the command line
//! (`thaiid-server user import FILE.csv`) and the console's upload alike: a CSV file with
//! the columns `username,name_th,name_en,citizen_id[,systems]` becomes accounts, linked
//! citizen IDs and permissions.
//!
//! It can run again without harm: a person already there as the file has them is
//! unchanged; a changed name is updated; an account without a citizen ID gets the file's;
//! systems not yet permitted are granted; nothing is ever deleted or revoked, and an
//! account's linked citizen ID is never replaced (the helpdesk does that, one person at a
//! time). Each row gets its outcome, named by its row in the file (the header is row 1);
//! a refused row changes nothing and the others go on. A user name or citizen ID on more
//! than one row refuses all those rows: which one is right is for HR to say. Rows are
//! judged by the file first, then against the database, so that a second run reports the
//! same refusals. The changes of a run are one
//! transaction with its one audit row.

mod plan;
mod rows;
mod store;

pub use rows::FileError;

use crate::audit;
use crate::db::Pool;
use std::fmt;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(
        "people changed while the file was being imported (a user name or citizen ID was \
         taken meanwhile): nothing was imported; run the import again"
    )]
    ChangedMeanwhile,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why a row was not imported. Nothing here repeats a citizen ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("{0} columns; a row has 4 or 5 (username,name_th,name_en,citizen_id[,systems])")]
    Columns(usize),
    #[error("the user name is not ASCII letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("name_th is empty")]
    NoThaiName,
    #[error("a name has a control character or is over {MAX_NAME_CHARS} characters")]
    BadName,
    #[error("the citizen ID is not 13 digits with a right check digit")]
    BadCitizenId,
    /// The file disagrees with itself: every row of the user name is refused.
    #[error("the user name is also on {}", Rows(.0))]
    DuplicateUsername(Vec<u64>),
    /// Every row of the citizen ID is refused.
    #[error("the citizen ID is also on {}", Rows(.0))]
    DuplicateCitizenId(Vec<u64>),
    #[error("the citizen ID is linked to another account ({0})")]
    CitizenIdOfAnother(String),
    #[error(
        "the account is linked to another citizen ID; the helpdesk changes it \
         (thaiid-server user link)"
    )]
    OtherCitizenId,
    #[error("no system {0:?}")]
    NoSystem(String),
}

/// The longest name the import takes (the HR system's names are far shorter).
pub const MAX_NAME_CHARS: usize = 200;

impl Refusal {
    /// The refusal in Thai, for the console's report.
    pub fn thai(&self) -> String {
        match self {
            Refusal::Columns(n) => format!("มี {n} คอลัมน์ แต่ต้องมี 4 หรือ 5 คอลัมน์"),
            Refusal::BadUsername => "ชื่อผู้ใช้ต้องเป็นตัวอักษรอังกฤษ ตัวเลข . _ หรือ -".into(),
            Refusal::NoThaiName => "ไม่มีชื่อภาษาไทย".into(),
            Refusal::BadName => "ชื่อมีอักขระควบคุมหรือยาวเกินไป".into(),
            Refusal::BadCitizenId => "เลขประจำตัวประชาชนไม่ครบ 13 หลักหรือเลขตรวจสอบไม่ถูกต้อง".into(),
            Refusal::DuplicateUsername(rows) => format!("ชื่อผู้ใช้ซ้ำกับแถวที่ {}", numbers(rows)),
            Refusal::DuplicateCitizenId(rows) => {
                format!("เลขประจำตัวประชาชนซ้ำกับแถวที่ {}", numbers(rows))
            }
            Refusal::CitizenIdOfAnother(_) => "เลขประจำตัวประชาชนนี้ผูกกับบัญชีอื่นแล้ว".into(),
            Refusal::OtherCitizenId => "บัญชีนี้ผูกกับเลขประจำตัวประชาชนอื่นอยู่แล้ว".into(),
            Refusal::NoSystem(_) => "ไม่มีระบบงานรหัสนี้".into(),
        }
    }
}

/// `5, 9`.
fn numbers(rows: &[u64]) -> String {
    let rows: Vec<String> = rows.iter().map(u64::to_string).collect();
    rows.join(", ")
}

/// `row 5`, `rows 5, 9`.
struct Rows<'a>(&'a [u64]);

impl fmt::Display for Rows<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.0.len() == 1 { "" } else { "s" };
        write!(f, "row{s} {}", numbers(self.0))
    }
}

/// What the import did with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated(Vec<Change>),
    Unchanged,
    Refused(Refusal),
}

/// What an update changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Names,
    CitizenIdLinked,
    /// The systems granted.
    Systems(Vec<String>),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Names => write!(f, "name"),
            Change::CitizenIdLinked => write!(f, "citizen ID linked"),
            Change::Systems(codes) => write!(f, "systems {}", codes.join(" ")),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Created => write!(f, "created"),
            Outcome::Updated(changes) => {
                let changes: Vec<String> = changes.iter().map(Change::to_string).collect();
                write!(f, "updated: {}", changes.join(", "))
            }
            Outcome::Unchanged => write!(f, "unchanged"),
            Outcome::Refused(refusal) => write!(f, "refused: {refusal}"),
        }
    }
}

/// One row's outcome, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// The row in the file (its line; the header is row 1).
    pub row: u64,
    /// As the file has it (refused rows may carry anything: print it escaped).
    pub username: String,
    /// Masked (`1-1037-xxxxx-xx-8`); `None` if the file's value is not 13 digits.
    pub citizen_id: Option<String>,
    pub outcome: Outcome,
}

/// Every row's outcome, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<RowReport>,
}

/// How many rows had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Report {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for row in &self.rows {
            *match row.outcome {
                Outcome::Created => &mut counts.created,
                Outcome::Updated(_) => &mut counts.updated,
                Outcome::Unchanged => &mut counts.unchanged,
                Outcome::Refused(_) => &mut counts.refused,
            } += 1;
        }
        counts
    }

    /// The rows refused, for the report's first table.
    pub fn refused(&self) -> impl Iterator<Item = &RowReport> {
        self.rows
            .iter()
            .filter(|row| matches!(row.outcome, Outcome::Refused(_)))
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.created + self.updated + self.unchanged + self.refused;
        write!(
            f,
            "{rows} rows: created {}, updated {}, unchanged {}, refused {}",
            self.created, self.updated, self.unchanged, self.refused
        )
    }
}

/// Imports the HR export `csv` as `actor` (a console user, or [`audit::CLI`]): every row's
/// outcome, the changes made in one transaction with one audit row (method `import`, the
/// counts as its detail). A file that cannot be read as a whole changes nothing.
pub async fn import(pool: &Pool, csv: &[u8], actor: &str, now: i64) -> Result<Report, ImportError> {
    let rows = rows::read(csv)?;
    let existing = store::load(pool, &rows).await?;
    let (report, actions) = plan::plan(rows, &existing);
    let mut entry = audit::Entry::new(audit::Method::Import);
    entry.set_outcome(Ok(()));
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(report.counts().to_string());
    store::apply(pool, &actions, &entry, now).await?;
    Ok(report)
}
