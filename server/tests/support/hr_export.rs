//! The HR export the import tests read (synthetic people), the database they start from,
//! and the audit rows of the import runs.

use super::browser::{browser, Browser};
use super::TestDb;
use thaiid_server::{audit, users};

/// Rows 2–11: two new people (Thai names, a quoted comma), a bad check digit, a user name
/// on two rows, a citizen ID on two rows, another account's citizen ID, an account that
/// gets its name, citizen ID and systems, and the demo person as stored.
pub const HR_EXPORT: &str = "\u{feff}username,name_th,name_en,citizen_id,systems\r\n\
    malee.s,\"นางสาวมาลี สุขใจ\",Miss Malee Sukjai,1100000000016,01010101\r\n\
    preecha.w,นายปรีชา วงศ์ดี,\"Wongdee, Preecha\",1100000000024,\r\n\
    bad.digit,นายผิด เลขตรวจ,Mr Wrong,1100000000017,\r\n\
    twice.u,นายสอง ครั้ง,Mr Twice,1100000000032,\r\n\
    twice.u,นายสอง ครั้ง,Mr Twice,1100000000067,\r\n\
    dup.a,นายซ้ำ หนึ่ง,Mr Dup A,1100000000075,\r\n\
    dup.b,นายซ้ำ สอง,Mr Dup B,1100000000075,\r\n\
    taken.id,นายเอา ของคนอื่น,Mr Taken,1100000000059,\r\n\
    old.account,นายเก่า ชื่อใหม่,Mr Old Newname,1100000000041,01010101 02010101\r\n\
    somchai.t,นายสมชาย ทดสอบ,,1103700123458,01010101\r\n";

pub const FULL_IDS: [&str; 9] = [
    "1100000000016",
    "1100000000024",
    "1100000000017",
    "1100000000032",
    "1100000000067",
    "1100000000075",
    "1100000000059",
    "1100000000041",
    "1103700123458",
];
/// The demo person and systems, and two accounts from before the import.
pub async fn seeded(db: &TestDb) -> Browser {
    let b = browser(db).await;
    let now = thaiid_server::now();
    users::add(&db.pool, "old.account", "นายเก่า ชื่อเก่า", None, now)
        .await
        .unwrap();
    let linked = Some("1100000000059");
    users::add(&db.pool, "linked.p", "นายผูก แล้ว", linked, now)
        .await
        .unwrap();
    b
}
/// The import runs' audit rows: (actor, detail), newest first.
pub async fn import_runs(db: &TestDb) -> Vec<(String, String)> {
    audit::recent(&db.pool, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.entry.method == audit::Method::Import)
        .map(|row| {
            assert_eq!(row.entry.outcome, audit::OK);
            assert_eq!(row.entry.username, None);
            (
                row.entry.actor.unwrap_or_default(),
                row.entry.detail.unwrap_or_default(),
            )
        })
        .collect()
}
