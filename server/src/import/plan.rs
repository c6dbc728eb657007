//! What the import does with each row, decided from the rows and what the database holds
//! before any change: no database here, so each rule is tested on its own.

use super::rows::{Person, Row};
use super::{Change, Outcome, Refusal, Report, RowReport};
use std::collections::{HashMap, HashSet};

/// An account as stored, as far as the import compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub name_th: String,
    pub name_en: String,
    pub citizen_id: Option<String>,
}

/// What the database holds of the file's people.
#[derive(Debug, Default)]
pub struct Existing {
    /// The accounts of the file's user names.
    pub accounts: HashMap<String, Stored>,
    /// The file's citizen IDs that are linked already: citizen ID → user name.
    pub owners: HashMap<String, String>,
    /// (user name, system code) of the file's accounts.
    pub permitted: HashSet<(String, String)>,
    /// Every system's code.
    pub systems: HashSet<String>,
}

/// A change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create(Person),
    Update {
        username: String,
        /// The new Thai and English names.
        names: Option<(String, String)>,
        /// The citizen ID to link to an account without one.
        link: Option<String>,
        grants: Vec<String>,
    },
}

/// Every row's outcome, and the changes that make it so.
pub fn plan(rows: Vec<Row>, existing: &Existing) -> (Report, Vec<Action>) {
    let mut usernames: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut citizen_ids: HashMap<&str, Vec<u64>> = HashMap::new();
    for row in &rows {
        if let Ok(person) = &row.person {
            usernames.entry(&person.username).or_default().push(row.row);
            citizen_ids
                .entry(&person.citizen_id)
                .or_default()
                .push(row.row);
        }
    }
    let others = |on: &HashMap<&str, Vec<u64>>, key: &str, row: u64| -> Vec<u64> {
        on.get(key)
            .map(|rows| rows.iter().copied().filter(|&r| r != row).collect())
            .unwrap_or_default()
    };
    let mut report = Report::default();
    let mut actions = Vec::new();
    for row in &rows {
        let decided = row.person.clone().and_then(|person| {
            let same_name = others(&usernames, &person.username, row.row);
            if !same_name.is_empty() {
                return Err(Refusal::DuplicateUsername(same_name));
            }
            let same_id = others(&citizen_ids, &person.citizen_id, row.row);
            if !same_id.is_empty() {
                return Err(Refusal::DuplicateCitizenId(same_id));
            }
            decide(person, existing)
        });
        let outcome = match decided {
            Ok((outcome, action)) => {
                actions.extend(action);
                outcome
            }
            Err(refusal) => Outcome::Refused(refusal),
        };
        report.rows.push(RowReport {
            row: row.row,
            username: row.username.clone(),
            citizen_id: row.citizen_id_masked.clone(),
            outcome,
        });
    }
    (report, actions)
}

/// One person's outcome against the database, and the change it needs if any.
fn decide(person: Person, existing: &Existing) -> Result<(Outcome, Option<Action>), Refusal> {
    if let Some(code) = person
        .systems
        .iter()
        .find(|code| !existing.systems.contains(*code))
    {
        return Err(Refusal::NoSystem(code.clone()));
    }
    let owner = existing.owners.get(&person.citizen_id);
    let Some(stored) = existing.accounts.get(&person.username) else {
        if let Some(owner) = owner {
            return Err(Refusal::CitizenIdOfAnother(owner.clone()));
        }
        return Ok((Outcome::Created, Some(Action::Create(person))));
    };
    let link = match &stored.citizen_id {
        Some(linked) if *linked == person.citizen_id => None,
        Some(_) => return Err(Refusal::OtherCitizenId),
        None => match owner {
            Some(owner) => return Err(Refusal::CitizenIdOfAnother(owner.clone())),
            None => Some(person.citizen_id.clone()),
        },
    };
    let names = (stored.name_th != person.name_th || stored.name_en != person.name_en)
        .then(|| (person.name_th.clone(), person.name_en.clone()));
    let grants: Vec<String> = person
        .systems
        .iter()
        .filter(|code| {
            !existing
                .permitted
                .contains(&(person.username.clone(), (*code).clone()))
        })
        .cloned()
        .collect();
    let mut changes = Vec::new();
    if names.is_some() {
        changes.push(Change::Names);
    }
    if link.is_some() {
        changes.push(Change::CitizenIdLinked);
    }
    if !grants.is_empty() {
        changes.push(Change::Systems(grants.clone()));
    }
    if changes.is_empty() {
        return Ok((Outcome::Unchanged, None));
    }
    let action = Action::Update {
        username: person.username,
        names,
        link,
        grants,
    };
    Ok((Outcome::Updated(changes), Some(action)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOMCHAI: &str = "1101700203450";
    const SOMYING: &str = "3100600000013";

    fn row(n: u64, username: &str, name_th: &str, id: &str, systems: &[&str]) -> Row {
        Row {
            row: n,
            username: username.into(),
            citizen_id_masked: None,
            person: Ok(Person {
                username: username.into(),
                name_th: name_th.into(),
                name_en: "E".into(),
                citizen_id: id.into(),
                systems: systems.iter().map(|s| (*s).to_owned()).collect(),
            }),
        }
    }

    fn outcomes(rows: Vec<Row>, existing: &Existing) -> Vec<Outcome> {
        let (report, _) = plan(rows, existing);
        report.rows.into_iter().map(|row| row.outcome).collect()
    }

    fn somchai_stored(citizen_id: Option<&str>) -> Existing {
        let mut existing = Existing::default();
        existing.systems.insert("01010101".into());
        existing.accounts.insert(
            "somchai.t".into(),
            Stored {
                name_th: "สมชาย".into(),
                name_en: "E".into(),
                citizen_id: citizen_id.map(Into::into),
            },
        );
        if let Some(id) = citizen_id {
            existing.owners.insert(id.into(), "somchai.t".into());
        }
        existing
            .permitted
            .insert(("somchai.t".into(), "01010101".into()));
        existing
    }

    #[test]
    fn the_same_person_is_unchanged_and_a_new_one_created() {
        let existing = somchai_stored(Some(SOMCHAI));
        let (report, actions) = plan(
            vec![
                row(2, "somchai.t", "สมชาย", SOMCHAI, &["01010101"]),
                row(3, "somying.r", "สมหญิง", SOMYING, &[]),
            ],
            &existing,
        );
        let outcomes: Vec<&Outcome> = report.rows.iter().map(|row| &row.outcome).collect();
        assert_eq!(outcomes, [&Outcome::Unchanged, &Outcome::Created]);
        assert!(matches!(&actions[..], [Action::Create(p)] if p.username == "somying.r"));
    }

    #[test]
    fn names_links_and_grants_are_updates() {
        let mut existing = somchai_stored(None);
        existing.systems.insert("02020202".into());
        let row = row(
            2,
            "somchai.t",
            "สมชาย ท.",
            SOMCHAI,
            &["01010101", "02020202"],
        );
        let (report, actions) = plan(vec![row], &existing);
        assert_eq!(
            report.rows[0].outcome.to_string(),
            "updated: name, citizen ID linked, systems 02020202"
        );
        assert_eq!(
            actions,
            [Action::Update {
                username: "somchai.t".into(),
                names: Some(("สมชาย ท.".into(), "E".into())),
                link: Some(SOMCHAI.into()),
                grants: vec!["02020202".into()],
            }]
        );
    }

    #[test]
    fn every_row_of_a_duplicate_is_refused() {
        let existing = somchai_stored(Some(SOMCHAI));
        let got = outcomes(
            vec![
                row(2, "somying.r", "สมหญิง", SOMYING, &[]),
                row(3, "somying.r", "สมหญิง", "1000000000009", &[]),
                row(4, "other.x", "อื่น", SOMYING, &[]),
                row(5, "third.y", "สาม", "1101700203468", &[]),
                row(6, "somying.r", "สมหญิง", "1000000000009", &[]),
            ],
            &existing,
        );
        assert_eq!(
            got,
            [
                Outcome::Refused(Refusal::DuplicateUsername(vec![3, 6])),
                Outcome::Refused(Refusal::DuplicateUsername(vec![2, 6])),
                Outcome::Refused(Refusal::DuplicateCitizenId(vec![2])),
                Outcome::Created,
                Outcome::Refused(Refusal::DuplicateUsername(vec![2, 3])),
            ]
        );
        assert_eq!(
            got[0].to_string(),
            "refused: the user name is also on rows 3, 6"
        );
        assert_eq!(
            got[2].to_string(),
            "refused: the citizen ID is also on row 2"
        );
    }

    #[test]
    fn anothers_citizen_id_and_unknown_systems_are_refused() {
        let existing = somchai_stored(Some(SOMCHAI));
        let got = outcomes(
            vec![
                row(2, "new.one", "ใหม่", SOMCHAI, &[]),
                row(3, "somchai.t", "สมชาย", "1000000000009", &[]),
                row(4, "third.y", "สาม", "1101700203468", &["99999999"]),
            ],
            &existing,
        );
        assert_eq!(
            got,
            [
                Outcome::Refused(Refusal::CitizenIdOfAnother("somchai.t".into())),
                Outcome::Refused(Refusal::OtherCitizenId),
                Outcome::Refused(Refusal::NoSystem("99999999".into())),
            ]
        );
    }

    #[test]
    fn an_unlinked_account_is_not_given_anothers_citizen_id() {
        let mut existing = somchai_stored(None);
        existing
            .owners
            .insert(SOMCHAI.into(), "someone.else".into());
        let got = outcomes(vec![row(2, "somchai.t", "สมชาย", SOMCHAI, &[])], &existing);
        assert_eq!(
            got,
            [Outcome::Refused(Refusal::CitizenIdOfAnother(
                "someone.else".into()
            ))]
        );
    }
}
