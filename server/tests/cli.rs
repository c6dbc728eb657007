//! The admin command line prints what people and agents stored (hostnames, names,
//! reasons) one value to a column and one row to a line: a newline, tab or terminal
//! escape in them is printed escaped, so it cannot forge a row or move the cursor. A
//! helpdesk reset code is printed alone; IT sets no weak password.

mod support;

use std::process::Command;
use thaiid_server::systems::{self, Change};
use thaiid_server::{audit, reset_codes, users};

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

/// `thaiid-server ARGS` with `stdin`: whether it succeeded, stdout and stderr.
fn run_with(db: &support::TestDb, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
        .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn a_reset_code_is_printed_alone_for_one_use() {
    let db = support::sqlite().await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", None, now)
        .await
        .unwrap();
    let printed = run(&db, &["user", "reset-code", "malee.s"]);
    let code = printed.trim_end();
    assert_eq!(printed, format!("{code}\n"), "the code alone");
    let digits: Vec<&str> = code.split('-').collect();
    assert!(
        digits.len() == 3
            && digits
                .iter()
                .all(|group| group.len() == 4 && group.chars().all(|c| c.is_ascii_digit())),
        "{code}"
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM reset_codes")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|hash| !hash.contains(&code.replace('-', ""))));
    assert_eq!(
        reset_codes::spend(&db.pool, "malee.s", code, now)
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        reset_codes::spend(&db.pool, "malee.s", code, now)
            .await
            .unwrap(),
        Err(reset_codes::CodeRefusal::Used)
    );
    let rows = audit::recent(&db.pool, 10).await.unwrap();
    assert!(rows
        .iter()
        .any(|row| row.entry.method == audit::Method::ResetCode
            && row.entry.username.as_deref() == Some("malee.s")));

    let (ok, _, stderr) = run_with(&db, &["user", "reset-code", "nobody"], "");
    assert!(!ok && stderr.contains("no user \"nobody\""), "{stderr}");
}

#[tokio::test]
async fn it_sets_no_weak_password() {
    let db = support::sqlite().await;
    let (ok, _, stderr) = run_with(
        &db,
        &["user", "add", "malee.s", "--citizen-id", "1101700203450"],
        "1101700203450\n",
    );
    assert!(
        !ok && stderr.contains("may not be the citizen ID"),
        "{stderr}"
    );
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_none());
    let (ok, stdout, _) = run_with(&db, &["user", "add", "malee.s"], "\n");
    assert!(ok, "{stdout}");
    let (ok, _, stderr) = run_with(&db, &["user", "passwd", "malee.s"], "password123\n");
    assert!(!ok && stderr.contains("most common"), "{stderr}");
    let (ok, stdout, stderr) =
        run_with(&db, &["user", "passwd", "malee.s"], "ช้างเผือก-ลำปาง-2569\n");
    assert!(ok && stdout.contains("password of malee.s set"), "{stderr}");
}
