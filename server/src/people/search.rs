//! Finding people at the helpdesk: by a part of their name (Thai or English, any case) or
//! user name, or by their exact citizen ID (13 digits, typed with or without dashes; a
//! part of one finds nobody, so that the search is no way to guess IDs). Paged.

use crate::db::Pool;
use crate::users::{self, Account, COLUMNS};

/// People on one page of results.
pub const PAGE_SIZE: i64 = 50;

/// One page of results, and whether another follows.
#[derive(Debug)]
pub struct Found {
    pub people: Vec<Account>,
    pub more: bool,
}

/// The citizen ID `query` is, if it is 13 digits once its dashes and spaces are gone.
pub fn citizen_id(query: &str) -> Option<String> {
    let digits: String = query.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    (digits.len() == 13 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// `%part%` for `LIKE … ESCAPE '\'`, lower case, the wildcards typed taken literally.
fn pattern(query: &str) -> String {
    let mut out = String::from("%");
    for c in query.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Page `page` (from 1) of the people `query` finds, by user name; everyone for an empty
/// query.
pub async fn search(pool: &Pool, query: &str, page: u32) -> Result<Found, sqlx::Error> {
    let query = query.trim();
    let offset = i64::from(page.max(1) - 1) * PAGE_SIZE;
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE citizen_id = $1 \
         OR LOWER(username) LIKE $2 ESCAPE '\\' OR LOWER(display_name) LIKE $2 ESCAPE '\\' \
         ORDER BY username LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(citizen_id(query))
        .bind(pattern(query))
        .bind(PAGE_SIZE + 1)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let mut people = rows
        .iter()
        .map(users::account)
        .collect::<Result<Vec<_>, _>>()?;
    let more = people.len() as i64 > PAGE_SIZE;
    people.truncate(PAGE_SIZE as usize);
    Ok(Found { people, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_citizen_id_is_13_digits_with_or_without_dashes() {
        assert_eq!(
            citizen_id("1-1037-00123-45-8").as_deref(),
            Some("1103700123458")
        );
        assert_eq!(citizen_id("110370012345"), None);
        assert_eq!(citizen_id("somchai"), None);
    }

    #[test]
    fn wildcards_typed_are_taken_literally() {
        assert_eq!(pattern("Som_50%"), "%som\\_50\\%%");
        assert_eq!(pattern("สมชาย"), "%สมชาย%");
    }
}
