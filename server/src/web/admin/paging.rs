//! Large lists of the console, a page at a time (`?page=N`, from 1, [`PAGE_SIZE`] rows),
//! with links to the pages before and after: from a count of all rows ([`Paging::nav`]),
//! or, where counting is dear, by reading one row more than a page shows
//! ([`Paging::links`]).

use crate::web::html::escape;

/// Rows on one page.
pub const PAGE_SIZE: i64 = 50;

/// The page asked for: `?page=N`; anything but a number from 1 is the first.
#[derive(serde::Deserialize, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[serde(default)]
pub struct Paging {
    page: Option<u32>,
}

impl Paging {
    /// The page of a query's `page` value as text.
    pub fn of(page: Option<&str>) -> Paging {
        Paging {
            page: page.and_then(|text| text.trim().parse().ok()),
        }
    }

    pub fn number(self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1))
    }

    /// The first row of the page.
    pub fn offset(self) -> i64 {
        (self.number() - 1) * PAGE_SIZE
    }

    /// The SQL `LIMIT` and `OFFSET` of the page.
    pub fn limit_offset(self) -> (i64, i64) {
        (PAGE_SIZE, self.offset())
    }

    /// How many rows to read for [`Paging::links`]: one more than a page shows.
    pub fn limit(self) -> i64 {
        PAGE_SIZE + 1
    }

    /// "Page N of M" with links to the pages around it on `path`; empty when all fits
    /// on one page.
    pub fn nav(self, path: &str, total: i64) -> String {
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if pages <= 1 {
            return String::new();
        }
        let number = self.number();
        let before = (number > 1).then(|| link(path, number - 1, Side::Before));
        let after = (number < pages).then(|| link(path, number + 1, Side::After));
        format!(
            r#"<nav class="paging" aria-label="pages">{} หน้า {number} จาก {pages} <span lang="en">(page {number} of {pages}, {total} in all)</span> {}</nav>"#,
            before.unwrap_or_default(),
            after.unwrap_or_default(),
        )
    }

    /// Cuts the one row more off `rows` (read with [`Paging::limit`]) and answers the
    /// links to the pages beside this one, at `path`.
    pub fn links<T>(self, rows: &mut Vec<T>, path: &str) -> String {
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let number = self.number();
        let before = (number > 1).then(|| link(path, number - 1, Side::Before));
        let after = more.then(|| link(path, number + 1, Side::After));
        format!(
            r#"<nav class="paging" aria-label="pages">{} หน้า {number} {}</nav>"#,
            before.unwrap_or_default(),
            after.unwrap_or_default(),
        )
    }
}

enum Side {
    Before,
    After,
}

fn link(path: &str, to: i64, side: Side) -> String {
    let (th, en, rel) = match side {
        Side::Before => ("ก่อนหน้า", "previous", "prev"),
        Side::After => ("ถัดไป", "next", "next"),
    };
    format!(
        r#"<a href="{}?page={to}" rel="{rel}">{th} <span lang="en">({en})</span></a>"#,
        escape(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_from_one_and_nonsense_is_the_first() {
        for (asked, number) in [
            (None, 1),
            (Some("3"), 3),
            (Some("0"), 1),
            (Some("-2"), 1),
            (Some("x"), 1),
            (Some("99999999999999999999"), 1),
        ] {
            assert_eq!(Paging::of(asked).number(), number, "{asked:?}");
        }
        assert_eq!(Paging::of(Some("3")).limit_offset(), (50, 100));
        assert_eq!(Paging::of(Some("2")).offset(), PAGE_SIZE);
    }

    #[test]
    fn a_count_links_the_neighbours() {
        assert_eq!(Paging::of(None).nav("/admin/requests", 50), "");
        let first = Paging::of(None).nav("/admin/requests", 51);
        assert!(
            first.contains(r#"href="/admin/requests?page=2""#),
            "{first}"
        );
        assert!(!first.contains("rel=\"prev\""), "{first}");
        let last = Paging::of(Some("2")).nav("/admin/requests", 51);
        assert!(last.contains(r#"href="/admin/requests?page=1""#), "{last}");
        assert!(!last.contains("rel=\"next\""), "{last}");
    }

    #[test]
    fn one_row_more_means_a_next_page() {
        let mut rows: Vec<i64> = (0..=PAGE_SIZE).collect();
        let links = Paging::of(Some("2")).links(&mut rows, "/admin/agents");
        assert_eq!(rows.len() as i64, PAGE_SIZE);
        assert!(links.contains(r#"href="/admin/agents?page=1""#));
        assert!(links.contains(r#"href="/admin/agents?page=3""#));
        let mut rows = vec![1];
        let links = Paging::of(None).links(&mut rows, "/admin/agents");
        assert!(!links.contains("href"), "{links}");
    }
}
