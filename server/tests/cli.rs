//! The admin command line prints what people and agents stored (hostnames, names,
//! reasons) one value to a column and one row to a line: a newline, tab or terminal
//! escape in them is printed escaped, so it cannot forge a row or move the cursor.

mod support;

use std::process::Command;
use thaiid_server::systems::{self, Change};
use thaiid_server::users;

fn run(db: &support::TestDb, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
        .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn stored_text_prints_as_one_line_per_row() {
    let db = support::sqlite().await;
    let forged = "evil\n2026-12-02T09:00:00Z\tOK\tadmin";
    support::TestAgent::enroll(&db.pool, forged).await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี\u{1b}[2J\nroot", None, now)
        .await
        .unwrap();
    systems::put(&db.pool, "01010101", "ระบบ\rงาน", "")
        .await
        .unwrap();
    systems::request(
        &db.pool,
        "malee.s",
        "01010101",
        Change::Grant,
        "a\nb\tc",
        now,
    )
    .await
    .unwrap();

    let agents = run(&db, &["agent", "list"]);
    assert_eq!(agents.lines().count(), 1, "{agents}");
    assert!(
        agents.contains("\tevil\\n2026-12-02T09:00:00Z\\tOK\\tadmin\t0.1.0\tactive"),
        "{agents}"
    );
    for (args, escaped) in [
        (&["user", "list"][..], "มาลี\\u{1b}[2J\\nroot"),
        (&["system", "list"][..], "ระบบ\\rงาน"),
        (&["permission", "requests"][..], "a\\nb\\tc"),
    ] {
        let printed = run(&db, args);
        assert_eq!(printed.lines().count(), 1, "{args:?}: {printed}");
        assert!(printed.contains(escaped), "{args:?}: {printed}");
        assert!(
            !printed.contains('\u{1b}') && !printed.contains('\r'),
            "{printed:?}"
        );
    }
}
