//! Large lists come a page at a time (`?page=N`, from 1, [`PER_PAGE`] rows): the page
//! asks for one row more than it shows, to know whether a next page exists.

/// Rows on one page of a console list.
pub const PER_PAGE: i64 = 50;

/// Which page of a list was asked for. Anything but a number from 1 is the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub number: i64,
}

impl Paging {
    pub fn of(page: Option<&str>) -> Paging {
        let number = page
            .and_then(|text| text.trim().parse::<i64>().ok())
            .filter(|n| (1..=i64::MAX / PER_PAGE).contains(n))
            .unwrap_or(1);
        Paging { number }
    }

    /// The first row of the page.
    pub fn offset(self) -> i64 {
        (self.number - 1) * PER_PAGE
    }

    /// How many rows to read: one more than a page shows.
    pub fn limit(self) -> i64 {
        PER_PAGE + 1
    }

    /// Cuts the one row more off `rows` and answers the links to the pages beside this
    /// one, at `path`.
    pub fn links<T>(self, rows: &mut Vec<T>, path: &str) -> String {
        let more = rows.len() as i64 > PER_PAGE;
        rows.truncate(PER_PAGE as usize);
        let mut links = Vec::new();
        if self.number > 1 {
            links.push(format!(
                r#"<a href="{path}?page={}" rel="prev">ก่อนหน้า <span lang="en">(previous)</span></a>"#,
                self.number - 1
            ));
        }
        links.push(format!("หน้า {}", self.number));
        if more {
            links.push(format!(
                r#"<a href="{path}?page={}" rel="next">ถัดไป <span lang="en">(next)</span></a>"#,
                self.number + 1
            ));
        }
        format!(r#"<p class="pages">{}</p>"#, links.join(" · "))
    }
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
            assert_eq!(Paging::of(asked).number, number, "{asked:?}");
        }
        assert_eq!(Paging::of(Some("2")).offset(), PER_PAGE);
    }

    #[test]
    fn a_next_link_only_when_there_is_more() {
        let mut rows: Vec<i64> = (0..=PER_PAGE).collect();
        let links = Paging::of(Some("2")).links(&mut rows, "/admin/agents");
        assert_eq!(rows.len() as i64, PER_PAGE);
        assert!(links.contains(r#"href="/admin/agents?page=1""#));
        assert!(links.contains(r#"href="/admin/agents?page=3""#));
        let mut rows = vec![1];
        let links = Paging::of(None).links(&mut rows, "/admin/agents");
        assert!(!links.contains("href"), "{links}");
    }
}
