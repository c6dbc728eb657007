//! `thaiid-server audit --alerts`: what an administrator must look at, found in the audit
//! log. A card used from more than N workstations within an hour (a copied card, or
//! claims made up by a stolen agent key); a blocked card tried (a lost card in someone
//! else's hands); and an agent whose card logins are refused more than M times within an
//! hour (a workstation guessing); an account guessed at from many addresses (its
//! passwords or codes, [`crate::throttle`]: the row written when it began). Besides the log: each account whose card is still
//! registered by its serial alone from before laser binding (its holder is to register it
//! again on `/me`).

use crate::audit::{Logged, Method};
use crate::text::printable;
use std::collections::{BTreeMap, BTreeSet};
use thaiid_protocol::api::ServerErrorCode;

/// The window the counts are taken over.
pub const WINDOW_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// More workstations than this using one card within an hour.
    pub workstations: usize,
    /// More refused card logins than this from one agent within an hour.
    pub refusals: usize,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            workstations: 3,
            refusals: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    ManyWorkstations {
        /// Masked serial.
        card: String,
        citizen_id: Option<String>,
        workstations: usize,
        /// The hour's last use.
        at: i64,
    },
    BlockedCardTried {
        card: String,
        username: Option<String>,
        agent_id: Option<String>,
        at: i64,
    },
    ManyRefusals {
        agent_id: String,
        refusals: usize,
        at: i64,
    },
    /// An account whose password or codes were guessed at from this many addresses
    /// within the throttle's window: new addresses are delayed (no lockout).
    AccountGuessed {
        /// `None`: a name that is no account.
        username: Option<String>,
        addresses: i64,
        at: i64,
    },
    /// A card registered by its serial alone before laser binding: a first factor only
    /// until its holder registers it again with its laser ID.
    CardToRegisterAgain {
        username: String,
        /// When the card was registered.
        at: i64,
    },
}

impl Alert {
    pub fn at(&self) -> i64 {
        match self {
            Alert::ManyWorkstations { at, .. }
            | Alert::BlockedCardTried { at, .. }
            | Alert::ManyRefusals { at, .. }
            | Alert::AccountGuessed { at, .. }
            | Alert::CardToRegisterAgain { at, .. } => *at,
        }
    }

    /// One tab-separated line, every value with its control characters escaped.
    pub fn line(&self) -> String {
        let time = thaiid_protocol::date::rfc3339_utc(self.at());
        let field = |value: &Option<String>| printable(value.as_deref().unwrap_or("-"));
        match self {
            Alert::ManyWorkstations {
                card,
                citizen_id,
                workstations,
                ..
            } => format!(
                "{time}\tCARD_MANY_WORKSTATIONS\tcard {}\t{}\t{workstations} workstations within an hour",
                printable(card),
                field(citizen_id)
            ),
            Alert::BlockedCardTried {
                card,
                username,
                agent_id,
                ..
            } => format!(
                "{time}\tBLOCKED_CARD_TRIED\tcard {}\t{}\tagent {}",
                printable(card),
                field(username),
                field(agent_id)
            ),
            Alert::ManyRefusals {
                agent_id, refusals, ..
            } => format!(
                "{time}\tAGENT_MANY_REFUSALS\tagent {}\t{refusals} refused card logins within an hour",
                printable(agent_id)
            ),
            Alert::AccountGuessed {
                username,
                addresses,
                ..
            } => format!(
                "{time}\tACCOUNT_GUESSED\tuser {}\tguessed at from {addresses} addresses: \
                 new addresses are delayed, its owner is not locked out",
                field(username)
            ),
            Alert::CardToRegisterAgain { username, .. } => format!(
                "{time}\tCARD_WITHOUT_LASER_ID\tuser {}\tregistered by its serial alone: \
                 to be registered again with its laser ID (on /me, or by the helpdesk)",
                printable(username)
            ),
        }
    }
}

/// The audit row's `detail` when an account becomes one guessed at from `addresses`.
pub fn guessed_detail(addresses: i64) -> String {
    format!("{GUESSED_FROM}{addresses} addresses")
}

const GUESSED_FROM: &str = "guessed from ";

/// The addresses of a row written by [`guessed_detail`].
fn guessed_from(row: &Logged) -> Option<i64> {
    if row.entry.outcome != ServerErrorCode::Throttled.as_str() {
        return None;
    }
    let rest = row.entry.detail.as_deref()?.strip_prefix(GUESSED_FROM)?;
    rest.split(' ').next()?.parse().ok()
}

fn is_card_attempt(row: &Logged) -> bool {
    matches!(row.entry.method, Method::Card | Method::Register)
}

/// The largest count of distinct `key`s among the rows (sorted by time) within any
/// [`WINDOW_SECS`], and the time of the window's last row.
fn busiest_hour<'a>(rows: &[&'a Logged], key: impl Fn(&'a Logged) -> &'a str) -> (usize, i64) {
    let mut best = (0, 0);
    let mut start = 0;
    for end in 0..rows.len() {
        while rows[end].at - rows[start].at >= WINDOW_SECS {
            start += 1;
        }
        let distinct: BTreeSet<&str> = rows[start..=end].iter().map(|row| key(row)).collect();
        if distinct.len() > best.0 {
            best = (distinct.len(), rows[end].at);
        }
    }
    best
}

/// The alerts among `rows` (any order), oldest first.
pub fn find(rows: &[Logged], thresholds: Thresholds) -> Vec<Alert> {
    let mut sorted: Vec<&Logged> = rows.iter().collect();
    sorted.sort_by_key(|row| row.at);
    let mut alerts = Vec::new();

    let mut by_card: BTreeMap<&str, Vec<&Logged>> = BTreeMap::new();
    for row in sorted.iter().filter(|row| is_card_attempt(row)) {
        if let (Some(card_ref), Some(_)) = (&row.entry.card_ref, &row.entry.agent_id) {
            by_card.entry(card_ref).or_default().push(row);
        }
    }
    for uses in by_card.values() {
        let (workstations, at) = busiest_hour(uses, |row| {
            row.entry.agent_id.as_deref().unwrap_or_default()
        });
        if workstations > thresholds.workstations {
            let last = uses[uses.len() - 1];
            alerts.push(Alert::ManyWorkstations {
                card: last.entry.card.clone().unwrap_or_default(),
                citizen_id: last.entry.citizen_id.clone(),
                workstations,
                at,
            });
        }
    }

    for row in sorted.iter().filter(|row| {
        is_card_attempt(row) && row.entry.outcome == ServerErrorCode::CardBlocked.as_str()
    }) {
        alerts.push(Alert::BlockedCardTried {
            card: row.entry.card.clone().unwrap_or_default(),
            username: row.entry.username.clone(),
            agent_id: row.entry.agent_id.clone(),
            at: row.at,
        });
    }

    let mut by_agent: BTreeMap<&str, Vec<&Logged>> = BTreeMap::new();
    for row in sorted
        .iter()
        .filter(|row| is_card_attempt(row) && row.entry.outcome != "OK")
    {
        if let Some(agent) = &row.entry.agent_id {
            by_agent.entry(agent).or_default().push(row);
        }
    }
    for (agent, refused) in by_agent {
        // Every row counts: the key is the row's place, not a value.
        let mut best = (0, 0);
        let mut start = 0;
        for end in 0..refused.len() {
            while refused[end].at - refused[start].at >= WINDOW_SECS {
                start += 1;
            }
            if end + 1 - start > best.0 {
                best = (end + 1 - start, refused[end].at);
            }
        }
        if best.0 > thresholds.refusals {
            alerts.push(Alert::ManyRefusals {
                agent_id: agent.to_owned(),
                refusals: best.0,
                at: best.1,
            });
        }
    }
    for row in &sorted {
        if let Some(addresses) = guessed_from(row) {
            alerts.push(Alert::AccountGuessed {
                username: row.entry.username.clone(),
                addresses,
                at: row.at,
            });
        }
    }
    alerts.sort_by_key(Alert::at);
    alerts
}

/// The standing alerts of cards still registered by their serial alone (`accounts`: user
/// name and when the card was registered, from [`crate::cards::to_register_again`]).
pub fn cards_to_register_again(accounts: Vec<(String, i64)>) -> Vec<Alert> {
    accounts
        .into_iter()
        .map(|(username, at)| Alert::CardToRegisterAgain { username, at })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Entry;

    fn card_row(at: i64, agent: &str, outcome: &str, card_ref: &str) -> Logged {
        let mut entry = Entry::new(Method::Card);
        entry.outcome = outcome.into();
        entry.agent_id = Some(agent.into());
        entry.card = Some("xxxxxxxxxx5678".into());
        entry.card_ref = Some(card_ref.into());
        Logged { at, entry }
    }

    #[test]
    fn a_card_on_more_workstations_than_allowed_within_an_hour() {
        let t = Thresholds::default();
        let spread: Vec<Logged> = (0..4)
            .map(|i| card_row(i * 1500, &format!("a{i}"), "OK", "c1"))
            .collect();
        assert_eq!(
            find(&spread, t).len(),
            0,
            "4 agents, at most 3 within an hour"
        );
        let within: Vec<Logged> = (0..4)
            .map(|i| card_row(i * 100, &format!("a{i}"), "OK", "c1"))
            .collect();
        let alerts = find(&within, t);
        assert!(
            matches!(
                &alerts[..],
                [Alert::ManyWorkstations {
                    workstations: 4,
                    at: 300,
                    ..
                }]
            ),
            "{alerts:?}"
        );
        let same_agent: Vec<Logged> = (0..10).map(|i| card_row(i, "a1", "OK", "c1")).collect();
        assert!(find(&same_agent, t).is_empty());
    }

    #[test]
    fn refusals_per_agent_above_the_threshold() {
        let t = Thresholds {
            workstations: 3,
            refusals: 2,
        };
        let rows: Vec<Logged> = [0, 10, 20, 5000]
            .iter()
            .map(|&at| card_row(at, "a\u{1b}[2J", "CARD_NOT_REGISTERED", &format!("c{at}")))
            .collect();
        let alerts = find(&rows, t);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let line = alerts[0].line();
        assert!(
            line.contains("AGENT_MANY_REFUSALS\tagent a\\u{1b}[2J\t3 refused"),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'));
    }

    #[test]
    fn an_account_guessed_at_from_many_addresses() {
        let mut entry = Entry::new(Method::Password);
        entry.set_outcome(Err(ServerErrorCode::Throttled));
        entry.username = Some("somchai".into());
        entry.detail = Some(guessed_detail(16));
        let mut plain = entry.clone();
        plain.detail = None;
        let rows = [
            Logged { at: 5, entry },
            Logged {
                at: 6,
                entry: plain,
            },
        ];
        let alerts = find(&rows, Thresholds::default());
        assert_eq!(
            alerts,
            [Alert::AccountGuessed {
                username: Some("somchai".into()),
                addresses: 16,
                at: 5
            }]
        );
        assert!(alerts[0]
            .line()
            .contains("ACCOUNT_GUESSED\tuser somchai\tguessed at from 16 addresses"));
    }
}
