//! Per-system user names (SPEC §7): a permission may carry the person's own account name
//! in that system (`permission grant USER CODE --as NAME`). The systems page shows it, and
//! that system alone gets it as `preferred_username`, in the ID token and from userinfo;
//! `sub` stays the SSO's.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use std::process::Command;
use support::oidc::{
    code_for, exchange, log_in_by_password, new_pkce, token, userinfo, verified, with_clients,
    BUDGET, BUDGET_CALLBACK, HR, HR_CALLBACK,
};
use support::TestDb;
use thaiid_server::demo;
use thaiid_server::systems::{self, SystemError};

on_both_databases!(
    each_system_gets_the_name_it_knows_the_person_by,
    a_name_needs_a_permission_and_printable_text,
);

const NAME_IN_HR: &str = "m01010101";

async fn each_system_gets_the_name_it_knows_the_person_by(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    systems::set_account_name(&db.pool, demo::USERNAME, HR, Some(NAME_IN_HR))
        .await
        .unwrap();
    systems::grant(&db.pool, demo::USERNAME, BUDGET)
        .await
        .unwrap();
    log_in_by_password(&mut b).await;

    let mut subs = Vec::new();
    for (client, callback, expected) in [
        (HR, HR_CALLBACK, NAME_IN_HR),
        (BUDGET, BUDGET_CALLBACK, demo::USERNAME),
    ] {
        let pkce = new_pkce();
        let code = code_for(&mut b, client, callback, &pkce).await;
        let form = exchange(&code, callback, &pkce);
        let (status, tokens) = token(&b, &form, Some((client, &secrets[client]))).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let claims = verified(&b, tokens["id_token"].as_str().unwrap()).await;
        assert_eq!(claims["preferred_username"], expected, "{client}");
        let (status, info) = userinfo(&b, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(info["preferred_username"], expected, "{client} userinfo");
        subs.push(claims["sub"].as_str().unwrap().to_owned());
    }
    assert_eq!(subs[0], subs[1], "sub stays the SSO's");
    assert_ne!(subs[0], NAME_IN_HR);

    // The systems page shows the name in each system's row.
    let page = b.get("/systems").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("รหัสผู้ใช้งาน"), "{}", page.body);
    let row = |code: &str| {
        let start = page
            .body
            .find(&format!("<tr data-code=\"{code}\">"))
            .unwrap();
        let end = start + page.body[start..].find("</tr>").unwrap();
        page.body[start..end].to_owned()
    };
    assert!(
        row(HR).contains(&format!("<td class=\"account-name\">{NAME_IN_HR}</td>")),
        "{}",
        row(HR)
    );
    assert!(row(BUDGET).contains(&format!(
        "<td class=\"account-name\">{}</td>",
        demo::USERNAME
    )));
    // and a search finds a system by that name.
    let found = b.get(&format!("/systems?q={NAME_IN_HR}")).await;
    assert!(
        found.body.contains("<p class=\"count\">1 ระบบ</p>"),
        "{}",
        found.body
    );

    // Cleared, HR gets the SSO's user name again.
    systems::set_account_name(&db.pool, demo::USERNAME, HR, None)
        .await
        .unwrap();
    assert_eq!(
        systems::name_in(&db.pool, demo::USERNAME, HR)
            .await
            .unwrap(),
        demo::USERNAME
    );
}

async fn a_name_needs_a_permission_and_printable_text(db: TestDb) {
    let _ = support::browser::browser(&db).await;
    // 04010101 is a system the demo person may not use.
    let refused = systems::set_account_name(&db.pool, demo::USERNAME, "04010101", Some("m1"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SystemError::NoPermission(..)),
        "{refused}"
    );
    for bad in ["", "  ", "m01\n01", "m\u{1b}[2J", &"m".repeat(65)] {
        let refused = systems::set_account_name(&db.pool, demo::USERNAME, HR, Some(bad))
            .await
            .unwrap_err();
        assert!(matches!(refused, SystemError::BadAccountName), "{bad:?}");
    }
    assert_eq!(
        systems::name_in(&db.pool, demo::USERNAME, HR)
            .await
            .unwrap(),
        demo::USERNAME,
        "nothing stored by a refusal"
    );

    // The command line: `permission grant USER CODE --as NAME`.
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
            .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
            .output()
            .unwrap()
    };
    let granted = run(&[
        "permission",
        "grant",
        demo::USERNAME,
        BUDGET,
        "--as",
        "b-042",
    ]);
    assert!(granted.status.success(), "{granted:?}");
    assert_eq!(
        String::from_utf8_lossy(&granted.stdout).trim(),
        format!("{} may use {BUDGET} as b-042", demo::USERNAME)
    );
    assert_eq!(
        systems::name_in(&db.pool, demo::USERNAME, BUDGET)
            .await
            .unwrap(),
        "b-042"
    );
    let bad = run(&["permission", "grant", demo::USERNAME, HR, "--as", "a\tb"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("printable"),
        "{bad:?}"
    );
}
