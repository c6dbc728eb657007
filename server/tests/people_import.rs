//! The bulk import of people from the HR export (SPEC §7b, issue 19): a file with good
//! rows, a bad check digit, duplicates, another's citizen ID and Thai text, imported
//! twice: the second run changes nothing. The domain function, and the command line on it
//! (which fails when a row is refused). Synthetic people only.

use thaiid_server::on_both_databases;
mod support;

use support::hr_export::{import_runs, seeded, FULL_IDS, HR_EXPORT};
use support::TestDb;
use thaiid_server::import::{self, Report};
use thaiid_server::{audit, users};

on_both_databases!(
    a_second_run_changes_nothing,
    the_command_line_reports_each_row_and_fails_on_a_refused_one,
);

const REFUSALS: [(u64, &str, &str, &str); 6] = [
    (
        4,
        "bad.digit",
        "1-1000-xxxxx-xx-7",
        "refused: the citizen ID is not 13 digits with a right check digit",
    ),
    (
        5,
        "twice.u",
        "1-1000-xxxxx-xx-2",
        "refused: the user name is also on row 6",
    ),
    (
        6,
        "twice.u",
        "1-1000-xxxxx-xx-7",
        "refused: the user name is also on row 5",
    ),
    (
        7,
        "dup.a",
        "1-1000-xxxxx-xx-5",
        "refused: the citizen ID is also on row 8",
    ),
    (
        8,
        "dup.b",
        "1-1000-xxxxx-xx-5",
        "refused: the citizen ID is also on row 7",
    ),
    (
        9,
        "taken.id",
        "1-1000-xxxxx-xx-9",
        "refused: the citizen ID is linked to another account (linked.p)",
    ),
];
fn outcomes(report: &Report) -> Vec<(u64, String, String, String)> {
    report
        .rows
        .iter()
        .map(|row| {
            (
                row.row,
                row.username.clone(),
                row.citizen_id.clone().unwrap_or_default(),
                row.outcome.to_string(),
            )
        })
        .collect()
}

fn expected(good: [(u64, &str, &str, &str); 4]) -> Vec<(u64, String, String, String)> {
    let mut rows: Vec<(u64, &str, &str, &str)> = good.into();
    rows.extend(REFUSALS);
    rows.sort();
    rows.into_iter()
        .map(|(n, user, id, outcome)| (n, user.into(), id.into(), outcome.into()))
        .collect()
}

/// The people and permissions, as text, to compare runs by.
async fn people(db: &TestDb) -> Vec<String> {
    let mut rows = Vec::new();
    let users = "SELECT username, display_name, name_en, citizen_id, created_at FROM users \
                 ORDER BY username";
    for row in sqlx::query(users).fetch_all(&db.pool).await.unwrap() {
        use sqlx::Row;
        let citizen_id: Option<String> = row.get(3);
        rows.push(format!(
            "{}|{}|{}|{}|{}",
            row.get::<String, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2),
            citizen_id.unwrap_or_default(),
            row.get::<i64, _>(4)
        ));
    }
    let permissions =
        "SELECT username, system_code FROM permissions ORDER BY username, system_code";
    for row in sqlx::query(permissions).fetch_all(&db.pool).await.unwrap() {
        use sqlx::Row;
        rows.push(format!(
            "{} may use {}",
            row.get::<String, _>(0),
            row.get::<String, _>(1)
        ));
    }
    rows
}
async fn a_second_run_changes_nothing(db: TestDb) {
    let _ = seeded(&db).await;
    let before = people(&db).await;
    let first = import::import(&db.pool, HR_EXPORT.as_bytes(), audit::CLI, 1_000)
        .await
        .unwrap();
    assert_eq!(
        outcomes(&first),
        expected([
            (2, "malee.s", "1-1000-xxxxx-xx-6", "created"),
            (3, "preecha.w", "1-1000-xxxxx-xx-4", "created"),
            (
                10,
                "old.account",
                "1-1000-xxxxx-xx-1",
                "updated: name, citizen ID linked, systems 01010101 02010101"
            ),
            (11, "somchai.t", "1-1037-xxxxx-xx-8", "unchanged"),
        ])
    );
    let reported = format!("{first:?}");
    for id in FULL_IDS {
        assert!(!reported.contains(id), "a full citizen ID in the report");
    }
    let after_first = people(&db).await;
    assert_ne!(after_first, before);
    for row in [
        "malee.s|นางสาวมาลี สุขใจ|Miss Malee Sukjai|1100000000016|1000",
        "preecha.w|นายปรีชา วงศ์ดี|Wongdee, Preecha|1100000000024|1000",
        "malee.s may use 01010101",
        "old.account may use 01010101",
        "old.account may use 02010101",
    ] {
        assert!(
            after_first.iter().any(|r| r == row),
            "{row}: {after_first:#?}"
        );
    }
    let old = users::find(&db.pool, "old.account").await.unwrap().unwrap();
    assert_eq!(old.display_name, "นายเก่า ชื่อใหม่");
    assert_eq!(old.citizen_id.as_deref(), Some("1100000000041"));
    for refused in ["bad.digit", "twice.u", "dup.a", "dup.b", "taken.id"] {
        assert!(users::find(&db.pool, refused).await.unwrap().is_none());
    }

    let second = import::import(&db.pool, HR_EXPORT.as_bytes(), audit::CLI, 2_000)
        .await
        .unwrap();
    assert_eq!(
        outcomes(&second),
        expected([
            (2, "malee.s", "1-1000-xxxxx-xx-6", "unchanged"),
            (3, "preecha.w", "1-1000-xxxxx-xx-4", "unchanged"),
            (10, "old.account", "1-1000-xxxxx-xx-1", "unchanged"),
            (11, "somchai.t", "1-1037-xxxxx-xx-8", "unchanged"),
        ])
    );
    assert_eq!(
        people(&db).await,
        after_first,
        "the second run changed nothing"
    );
    assert_eq!(
        import_runs(&db).await,
        [
            (
                "cli".into(),
                "10 rows: created 0, updated 0, unchanged 4, refused 6".into()
            ),
            (
                "cli".into(),
                "10 rows: created 2, updated 1, unchanged 1, refused 6".into()
            ),
        ]
    );
}

async fn the_command_line_reports_each_row_and_fails_on_a_refused_one(db: TestDb) {
    let _ = seeded(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hr.csv");
    std::fs::write(&file, HR_EXPORT).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1), "a refused row fails the command: {out}{err}");
    assert!(
        out.contains("row 2\tmalee.s\t1-1000-xxxxx-xx-6\tcreated\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "row 4\tbad.digit\t1-1000-xxxxx-xx-7\trefused: the citizen ID is not 13 digits \
             with a right check digit\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("10 rows: created 2, updated 1, unchanged 1, refused 6\n"));
    assert!(
        err.contains("6 row(s) refused, the others imported"),
        "{err}"
    );
    for id in FULL_IDS {
        assert!(
            !out.contains(id) && !err.contains(id),
            "a full citizen ID printed"
        );
    }
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_some());

    // Only good rows: success, and a second time too.
    let good: String = HR_EXPORT
        .lines()
        .filter(|line| {
            !["bad.digit", "twice.u", "dup.", "taken.id"]
                .iter()
                .any(|s| line.contains(s))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&file, &good).unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.ends_with("4 rows: created 0, updated 0, unchanged 4, refused 0\n"),
        "{out}"
    );

    // A file in TIS-620, or without its header: nothing imported, the reason said.
    std::fs::write(
        &file,
        b"username,name_th,name_en,citizen_id\nx.y,\xca\xc1,A,1100000000059\n",
    )
    .unwrap();
    let (code, _, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1));
    assert!(err.contains("row 2 is not UTF-8 text"), "{err}");
    std::fs::write(&file, "x.y,สมใจ,A,1100000000059\n").unwrap();
    let (code, _, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the first row names the columns"), "{err}");
    assert!(users::find(&db.pool, "x.y").await.unwrap().is_none());
    let runs = import_runs(&db).await;
    assert_eq!(runs.len(), 2, "a file not read is no run: {runs:?}");
    assert!(runs.iter().all(|(actor, _)| actor == "cli"));
}
