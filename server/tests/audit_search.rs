//! The auditors' `/admin/audit` (SPEC §7b) on SQLite and PostgreSQL: each filter narrows
//! the rows; time ranges are Thailand's days and minutes, bounds included to the last
//! second; the CSV and JSON Lines exports carry the page's rows, with formula cells made
//! inert; pages follow one another by keyset; every search and export is audited; and the
//! page is refused to anyone but an auditor, admins included.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, Browser};
use support::TestDb;
use thaiid_server::audit::{self, Entry, Method};
use thaiid_server::roles::{self, Role};
use thaiid_server::{demo, thai_clock};

on_both_databases!(
    each_filter_narrows_the_rows,
    the_exports_carry_the_pages_rows,
    pages_follow_by_keyset,
    bad_searches_are_refused_with_the_reason,
    only_auditors_search,
);

/// Thailand's midnight starting 2026-01-15: far from the rows the test's own logins write.
fn day() -> i64 {
    thai_clock::parse("2026-01-15").unwrap().start
}

/// The whole of the seeded rows' days.
const RANGE: &str = "from=2026-01-14&to=2026-01-16";

async fn row(db: &TestDb, at: i64, method: Method, outcome: &str, setup: impl Fn(&mut Entry)) {
    let mut entry = Entry::new(method);
    entry.outcome = outcome.into();
    setup(&mut entry);
    audit::record(&db.pool, &entry, at).await.unwrap();
}

/// Five rows, named by their `detail`, around the day's bounds.
async fn seed(db: &TestDb) {
    let t = day();
    row(db, t - 1, Method::Card, "OK", |e| {
        e.username = Some("malee.s".into());
        e.citizen_id = Some("1-1017-xxxxx-xx-0".into());
        e.detail = Some("A".into());
    })
    .await;
    row(db, t, Method::Password, "WRONG_PASSWORD", |e| {
        e.username = Some("malee.s".into());
        e.detail = Some("B".into());
    })
    .await;
    row(db, t + 3600, Method::System, "OK", |e| {
        e.username = Some("somchai.t".into());
        e.system = Some("hr".into());
        e.detail = Some("C".into());
    })
    .await;
    row(db, t + 86_399, Method::System, "ACCESS_DENIED", |e| {
        e.username = Some("somchai.t".into());
        e.system = Some("hr".into());
        e.detail = Some("D".into());
    })
    .await;
    row(db, t + 86_400, Method::Role, "OK", |e| {
        e.username = Some("malee.s".into());
        e.actor = Some("kanya.a".into());
        e.detail = Some("=E()+1".into());
    })
    .await;
}

fn code_now(b: &Browser) -> String {
    demo::otp_now(&b.seeded, thaiid_server::now()).unwrap()
}

async fn console(db: &TestDb, roles_held: &[Role]) -> Browser {
    let mut b = browser(db).await;
    for role in roles_held {
        roles::grant(
            &db.pool,
            demo::USERNAME,
            role,
            audit::CLI,
            thaiid_server::now(),
        )
        .await
        .unwrap();
    }
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    b
}

/// The `detail`s of a JSON Lines export, in its order.
async fn exported(b: &mut Browser, query: &str) -> Vec<String> {
    let file = b.get(&format!("/admin/audit.jsonl?{query}")).await;
    assert_eq!(file.status, StatusCode::OK, "{query}: {}", file.body);
    file.body
        .lines()
        .map(|line| {
            let object: serde_json::Value = serde_json::from_str(line).unwrap();
            object["detail"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

/// The `detail` column of a page's table, in its order.
fn page_details(body: &str) -> Vec<String> {
    let Some((_, table)) = body.split_once(r#"<table id="audit-rows">"#) else {
        return Vec::new();
    };
    let tbody = table.split_once("<tbody>").unwrap().1;
    let tbody = tbody.split_once("</tbody>").unwrap().0;
    tbody
        .lines()
        .filter(|line| line.starts_with("<tr>"))
        .map(|line| {
            let cells: Vec<&str> = line.split("<td").collect();
            let cell = cells[7].split_once('>').unwrap().1;
            cell.split_once("</td>").unwrap().0.replace("&#39;", "'")
        })
        .collect()
}

async fn each_filter_narrows_the_rows(db: TestDb) {
    seed(&db).await;
    let mut b = console(&db, &[Role::Auditor]).await;
    let cases: Vec<(String, &[&str])> = vec![
        (RANGE.into(), &["=E()+1", "D", "C", "B", "A"]),
        (format!("{RANGE}&person=malee.s"), &["=E()+1", "B", "A"]),
        (format!("{RANGE}&person=kanya.a"), &["=E()+1"]),
        (format!("{RANGE}&system=hr"), &["D", "C"]),
        (format!("{RANGE}&outcome=OK"), &["=E()+1", "C", "A"]),
        (format!("{RANGE}&outcome=refused"), &["D", "B"]),
        (format!("{RANGE}&outcome=access_denied"), &["D"]),
        (format!("{RANGE}&method=system"), &["D", "C"]),
        (format!("{RANGE}&person=somchai.t&outcome=refused"), &["D"]),
        // Thailand's 15 January: from 00:00:00 to 23:59:59 in Thailand, both included.
        ("from=2026-01-15&to=2026-01-15".into(), &["D", "C", "B"]),
        ("from=2026-01-15T01:00&to=2026-01-15T01:00".into(), &["C"]),
        (
            "from=2026-01-15T01:01&to=2026-01-16".into(),
            &["=E()+1", "D"],
        ),
        ("from=2026-01-01&to=2026-01-14".into(), &["A"]),
    ];
    for (query, expected) in &cases {
        let details = exported(&mut b, query).await;
        assert_eq!(&details, expected, "{query}");
        let page = b.get(&format!("/admin/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(&page_details(&page.body), expected, "the page of {query}");
    }
    // Times show in Thailand's time: row B was written at Thai midnight.
    let page = b
        .get(&format!("/admin/audit?{RANGE}&outcome=WRONG_PASSWORD"))
        .await;
    assert!(
        page.body.contains("<td>2026-01-15 00:00:00</td>"),
        "{}",
        page.body
    );
    // Each search and export is an audit row of the auditor's.
    let searches = thaiid_server::audit_search::fetch(
        &db.pool,
        &thaiid_server::audit_search::Search {
            method: Some(Method::Export),
            ..thaiid_server::audit_search::Search::all()
        },
        None,
        100,
    )
    .await
    .unwrap();
    assert_eq!(searches.len(), 2 * cases.len() + 1);
    let newest = &searches[0].row.entry;
    assert_eq!(newest.actor.as_deref(), Some(demo::USERNAME));
    assert_eq!(
        newest.detail.as_deref(),
        Some("search: outcome=WRONG_PASSWORD from=2026-01-14 to=2026-01-16")
    );
    assert!(searches.iter().any(|f| f.row.entry.detail.as_deref()
        == Some("jsonl: person=kanya.a from=2026-01-14 to=2026-01-16")));
}

async fn the_exports_carry_the_pages_rows(db: TestDb) {
    seed(&db).await;
    let mut b = console(&db, &[Role::Auditor]).await;
    let page = b.get(&format!("/admin/audit?{RANGE}")).await;
    let on_page = page_details(&page.body);
    assert_eq!(on_page.len(), 5);
    assert!(page.body.contains(&format!(
        r#"href="/admin/audit.csv?{}""#,
        RANGE.replace('&', "&amp;")
    )));
    let csv = b.get(&format!("/admin/audit.csv?{RANGE}")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"audit-"));
    let lines: Vec<&str> = csv.body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "time,method,outcome,username,actor,system,detail,citizen_id,card,agent_id,remote,amr,id"
    );
    assert_eq!(lines.len(), 6, "{}", csv.body);
    let csv_details: Vec<String> = lines[1..]
        .iter()
        .map(|line| line.split(',').nth(6).unwrap().to_owned())
        .collect();
    assert_eq!(csv_details[0], "'=E()+1", "the formula is inert");
    assert_eq!(csv_details[1..], on_page[1..]);
    assert!(lines[1].starts_with("2026-01-16T00:00:00+07:00,role,OK,malee.s,kanya.a,"));
    assert!(lines[5].contains(",1-1017-xxxxx-xx-0,"), "masked as stored");
    let jsonl = b.get(&format!("/admin/audit.jsonl?{RANGE}")).await;
    assert!(jsonl.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/jsonl"));
    let ids_csv: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.rsplit(',').next().unwrap())
        .collect();
    let ids_jsonl: Vec<String> = jsonl
        .body
        .lines()
        .map(|line| {
            let object: serde_json::Value = serde_json::from_str(line).unwrap();
            object["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids_csv, ids_jsonl);
    assert_eq!(exported(&mut b, RANGE).await, on_page);
}

/// The `href` of the page's link `id`, if it has one.
fn link(body: &str, id: &str) -> Option<String> {
    let (_, rest) = body.split_once(&format!(r#"<a id="{id}" href=""#))?;
    Some(rest.split_once('"')?.0.replace("&amp;", "&"))
}

async fn pages_follow_by_keyset(db: TestDb) {
    // 120 rows, three to a second: pages must not lose or repeat rows of the same second.
    for i in 0..120 {
        row(&db, day() + i / 3, Method::Import, "OK", |e| {
            e.detail = Some(format!("row {i:03}"));
        })
        .await;
    }
    let mut b = console(&db, &[Role::Auditor]).await;
    let mut path = "/admin/audit?method=import".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let details = page_details(&page.body);
        assert!(details.len() <= 50);
        seen.extend(details);
        pages += 1;
        match link(&page.body, "older") {
            Some(next) => {
                assert!(next.contains("method=import&before="), "{next}");
                path = next;
            }
            None => break,
        }
        assert!(page.body.contains(r#"id="export-csv""#));
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..120).map(|i| format!("row {i:03}")).collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "each row once");
    // Newest first: later seconds before earlier ones.
    assert!(
        seen[..3].iter().all(|d| d.as_str() >= "row 117"),
        "{seen:?}"
    );
    assert!(
        seen[117..].iter().all(|d| d.as_str() <= "row 002"),
        "{seen:?}"
    );
    assert!(link(&b.get(&path).await.body, "newest").is_some());
}

async fn bad_searches_are_refused_with_the_reason(db: TestDb) {
    let mut b = console(&db, &[Role::Auditor]).await;
    for (query, reason) in [
        ("from=2026-13-01", "is not a time"),
        ("to=06/12/2026", "is not a time"),
        ("from=2026-02-01&to=2026-01-01", "ends before it starts"),
        ("method=teleport", "is not a method"),
        ("outcome=not%20ok", "is not OK, refused or a reason code"),
        ("before=yesterday", "is not a place in the audit log"),
    ] {
        let page = b.get(&format!("/admin/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.body.contains(reason), "{query}: {}", page.body);
        assert!(page.body.contains("เงื่อนไขการค้นหาไม่ถูกต้อง"));
        if !query.starts_with("before") {
            let file = b.get(&format!("/admin/audit.csv?{query}")).await;
            assert_eq!(file.status, StatusCode::BAD_REQUEST, "{query}");
        }
    }
}

async fn set_roles(db: &TestDb, held: &[Role]) {
    for role in roles::of_user(&db.pool, demo::USERNAME).await.unwrap() {
        roles::revoke(&db.pool, demo::USERNAME, &role, audit::CLI, 0)
            .await
            .unwrap();
    }
    for role in held {
        roles::grant(&db.pool, demo::USERNAME, role, audit::CLI, 0)
            .await
            .unwrap();
    }
}

async fn only_auditors_search(db: TestDb) {
    seed(&db).await;
    // Signed in by password + OTP once; the roles are read at each request.
    let mut b = console(&db, &[]).await;
    for held in [vec![], vec![Role::Admin], vec![Role::Helpdesk]] {
        set_roles(&db, &held).await;
        for path in ["/admin/audit", "/admin/audit.csv", "/admin/audit.jsonl"] {
            let page = b.get(&format!("{path}?{RANGE}")).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{held:?} {path}");
            assert!(!page.body.contains("malee.s"), "{held:?} {path}");
        }
        if !held.is_empty() {
            let menu = b.get("/admin").await;
            assert_eq!(menu.status, StatusCode::OK);
            assert!(!menu.body.contains(r#"href="/admin/audit""#), "{held:?}");
        }
    }
    let exports = b.outcomes(Method::Export).await;
    assert!(
        exports.is_empty(),
        "a refusal searches nothing: {exports:?}"
    );
    // The same session as an auditor reads the rows.
    set_roles(&db, &[Role::Auditor]).await;
    let menu = b.get("/admin").await;
    assert!(menu.body.contains(r#"href="/admin/audit""#));
    let page = b.get(&format!("/admin/audit?{RANGE}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page_details(&page.body).len(), 5);
}
