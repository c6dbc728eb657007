//! Refusals anyone may ask for, however often, are counted in memory per method and
//! client address and audited once a minute, one row per address with the count (SPEC
//! §7c), not one row per request: a flood of them must not grow the audit log at the
//! flood's rate. They are card logins refused before any enrolled agent is known (garbage,
//! an unknown agent, a revoked one) and refused ticket redemptions (unknown, used,
//! expired tickets, no session). Refusals of a usable agent's assertions keep a row each
//! (the alerts count them per agent).
//!
//! The map holds at most [`MAX_ADDRESSES`]; refusals from addresses beyond them are
//! counted together in one row per method without an address.

use crate::audit::{Entry, Method};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use thaiid_protocol::api::ServerErrorCode;

/// The most addresses counted apart within one minute.
pub const MAX_ADDRESSES: usize = 10_000;
/// How often the counts become audit rows.
pub const EVERY_SECS: u64 = 60;
/// The revoked agents a row names at most.
const MAX_AGENTS_NAMED: usize = 4;

/// One address's refusals since the last flush.
#[derive(Debug, Default)]
struct Count {
    by_code: BTreeMap<&'static str, u64>,
    /// Revoked agents seen (known agents' ids, never a token's unverified text).
    agents: Vec<String>,
}

impl Count {
    fn add(&mut self, code: ServerErrorCode, agent: Option<&str>) {
        *self.by_code.entry(code.as_str()).or_default() += 1;
        if let Some(agent) = agent {
            if self.agents.len() < MAX_AGENTS_NAMED && !self.agents.iter().any(|a| a == agent) {
                self.agents.push(agent.to_owned());
            }
        }
    }

    fn total(&self) -> u64 {
        self.by_code.values().sum()
    }

    /// The audit row: the most frequent reason as its outcome (of equals, the last by
    /// name), every reason's count in `detail`.
    fn entry(&self, method: Method, remote: Option<String>) -> Entry {
        let mut entry = Entry::new(method);
        entry.remote = remote;
        entry.outcome = self
            .by_code
            .iter()
            .max_by_key(|(_, count)| **count)
            .map_or("", |(code, _)| code)
            .to_owned();
        let reasons: Vec<String> = self
            .by_code
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        let from = match method {
            Method::Card => " from agents not enrolled",
            _ => "",
        };
        let mut detail = format!(
            "{} refused within {EVERY_SECS} s{from}: {}",
            self.total(),
            reasons.join(", ")
        );
        if !self.agents.is_empty() {
            detail.push_str(&format!("; revoked agents {}", self.agents.join(", ")));
        }
        // One revoked agent: the row is its, as its refusals' rows were.
        if let [agent] = self.agents.as_slice() {
            entry.agent_id = Some(agent.clone());
        }
        entry.detail = Some(detail);
        entry
    }
}

#[derive(Debug, Default)]
struct Counts {
    by_address: BTreeMap<(Method, String), Count>,
    /// Addresses beyond [`MAX_ADDRESSES`], and requests without one.
    others: BTreeMap<Method, Count>,
}

/// The counts since the last flush, shared by every clone of the verifier.
#[derive(Clone, Default)]
pub struct Strangers {
    counts: Arc<Mutex<Counts>>,
}

impl Strangers {
    /// Counts one refused card login under `code` from `remote`; `agent` is a revoked
    /// agent's id.
    pub fn count(&self, remote: Option<&str>, code: ServerErrorCode, agent: Option<&str>) {
        self.count_refusal(Method::Card, remote, code, agent);
    }

    /// Counts one refusal of `method` under `code` from `remote`.
    pub fn count_refusal(
        &self,
        method: Method,
        remote: Option<&str>,
        code: ServerErrorCode,
        agent: Option<&str>,
    ) {
        let mut counts = self.lock();
        let counts = &mut *counts;
        let key = remote.map(|remote| (method, remote.to_owned()));
        let count = match key {
            Some(key) if counts.by_address.contains_key(&key) => counts.by_address.get_mut(&key),
            Some(key) if counts.by_address.len() < MAX_ADDRESSES => {
                Some(counts.by_address.entry(key).or_default())
            }
            _ => None,
        };
        count
            .unwrap_or_else(|| counts.others.entry(method).or_default())
            .add(code, agent);
    }

    /// The addresses counted apart now.
    pub fn addresses(&self) -> usize {
        self.lock().by_address.len()
    }

    /// The audit rows of the counts so far (one per address, and one for the rest), which
    /// start again from nothing.
    pub fn take(&self) -> Vec<Entry> {
        let counts = std::mem::take(&mut *self.lock());
        let mut entries: Vec<Entry> = counts
            .by_address
            .into_iter()
            .map(|((method, remote), count)| count.entry(method, Some(remote)))
            .collect();
        entries.extend(
            counts
                .others
                .into_iter()
                .map(|(method, count)| count.entry(method, None)),
        );
        entries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic while counting leaves counts that are still counts.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The number of refusals a row written by [`Strangers::take`] stands for (its `detail`).
pub fn refusals_in(entry: &Entry) -> Option<u64> {
    let detail = entry.detail.as_deref()?;
    let (count, rest) = detail.split_once(' ')?;
    rest.starts_with("refused within")
        .then(|| count.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServerErrorCode as C;

    #[test]
    fn one_row_per_address_with_its_counts() {
        let strangers = Strangers::default();
        for _ in 0..500 {
            strangers.count(Some("192.0.2.7"), C::MalformedAssertion, None);
        }
        strangers.count(Some("192.0.2.7"), C::RevokedAgent, Some("agent-1"));
        strangers.count(Some("192.0.2.8"), C::UnknownAgent, None);
        let rows = strangers.take();
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(first.remote.as_deref(), Some("192.0.2.7"));
        assert_eq!(first.outcome, "MALFORMED_ASSERTION");
        assert_eq!(refusals_in(first), Some(501));
        let detail = first.detail.as_deref().unwrap();
        assert!(detail.contains("REVOKED_AGENT 1"), "{detail}");
        assert!(detail.contains("revoked agents agent-1"), "{detail}");
        assert_eq!(first.agent_id.as_deref(), Some("agent-1"));
        assert_eq!(refusals_in(&rows[1]), Some(1));
        assert!(strangers.take().is_empty(), "counted anew after a flush");
    }

    #[test]
    fn each_method_has_its_own_row() {
        let strangers = Strangers::default();
        strangers.count(Some("192.0.2.7"), C::UnknownAgent, None);
        for _ in 0..3 {
            strangers.count_refusal(Method::Ticket, Some("192.0.2.7"), C::UnknownTicket, None);
        }
        let rows = strangers.take();
        assert_eq!(rows.len(), 2);
        let ticket = rows
            .iter()
            .find(|row| row.method == Method::Ticket)
            .unwrap();
        assert_eq!(ticket.outcome, "UNKNOWN_TICKET");
        assert_eq!(refusals_in(ticket), Some(3));
        assert_eq!(
            ticket.detail.as_deref(),
            Some("3 refused within 60 s: UNKNOWN_TICKET 3")
        );
    }

    #[test]
    fn addresses_beyond_the_limit_share_one_row() {
        let strangers = Strangers::default();
        for n in 0..MAX_ADDRESSES + 300 {
            let address = format!("2001:db8::{n:x}");
            strangers.count(Some(&address), C::UnknownAgent, None);
        }
        strangers.count(None, C::UnknownAgent, None);
        assert_eq!(strangers.addresses(), MAX_ADDRESSES);
        let rows = strangers.take();
        assert_eq!(rows.len(), MAX_ADDRESSES + 1);
        let others = rows.last().unwrap();
        assert_eq!(others.remote, None);
        assert_eq!(refusals_in(others), Some(301));
    }
}
