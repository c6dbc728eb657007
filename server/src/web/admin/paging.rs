//! Large lists of the console, a page at a time (`?page=N`, from 1), with links to the
//! pages before and after.

use crate::web::html::escape;

/// Rows on one page.
pub const PAGE_SIZE: i64 = 50;

/// The page asked for: `?page=N`; anything else is the first.
#[derive(serde::Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub struct Paging {
    page: Option<u32>,
}

impl Paging {
    pub fn number(self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1))
    }

    /// The SQL `LIMIT` and `OFFSET` of the page.
    pub fn limit_offset(self) -> (i64, i64) {
        (PAGE_SIZE, (self.number() - 1) * PAGE_SIZE)
    }

    /// "Page N of M" with links to the pages around it on `path`; empty when all fits
    /// on one page.
    pub fn nav(self, path: &str, total: i64) -> String {
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if pages <= 1 {
            return String::new();
        }
        let number = self.number();
        let link = |to: i64, th: &str, en: &str, rel: &str| {
            format!(
                r#"<a href="{}?page={to}" rel="{rel}">{th} <span lang="en">({en})</span></a>"#,
                escape(path)
            )
        };
        let before = if number > 1 {
            link(number - 1, "ก่อนหน้า", "previous", "prev")
        } else {
            String::new()
        };
        let after = if number < pages {
            link(number + 1, "ถัดไป", "next", "next")
        } else {
            String::new()
        };
        format!(
            r#"<nav class="paging" aria-label="pages">{before} หน้า {number} จาก {pages} <span lang="en">(page {number} of {pages}, {total} in all)</span> {after}</nav>"#
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(page: Option<u32>) -> Paging {
        Paging { page }
    }

    #[test]
    fn pages_count_from_one_and_link_their_neighbours() {
        assert_eq!(at(None).limit_offset(), (50, 0));
        assert_eq!(at(Some(0)).limit_offset(), (50, 0));
        assert_eq!(at(Some(3)).limit_offset(), (50, 100));
        assert_eq!(at(None).nav("/admin/requests", 50), "");
        let first = at(None).nav("/admin/requests", 51);
        assert!(
            first.contains(r#"href="/admin/requests?page=2""#),
            "{first}"
        );
        assert!(!first.contains("rel=\"prev\""), "{first}");
        let last = at(Some(2)).nav("/admin/requests", 51);
        assert!(last.contains(r#"href="/admin/requests?page=1""#), "{last}");
        assert!(!last.contains("rel=\"next\""), "{last}");
    }
}
