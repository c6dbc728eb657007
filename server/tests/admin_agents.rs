//! `/admin/agents`, `/admin/agents/tokens` and `/admin/api-keys` (SPEC §7b, admins): the
//! enrolled agents with when they were last seen, revoking one; enrollment tokens and API
//! keys made and shown once (the database holds hashes, the audit log neither); every
//! action an audit row naming the admin, and the command line's naming `cli`.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, browser_with_key};
use support::console::{admin_rows, audit_text, console_as, shown};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::audit::Method;
use thaiid_server::roles::Role;
use thaiid_server::{agents, api_keys, demo, systems, tokens};

on_both_databases!(
    an_admin_sees_agents_last_seen_and_revokes_one,
    enrollment_tokens_are_shown_once,
    api_keys_are_shown_once_with_their_origins,
    the_command_line_is_audited_as_cli,
    long_lists_come_fifty_a_page,
);

async fn an_admin_sees_agents_last_seen_and_revokes_one(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let agent = TestAgent::enroll(&db.pool, "ws-<0042>").await;
    sqlx::query("UPDATE agents SET last_seen_at = NULL WHERE id = $1")
        .bind(&agent.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let page = b.get("/admin/agents").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<td>ws-&lt;0042&gt;</td><td>0.1.0</td>"));
    assert!(page.body.contains("<td>—</td><td>ใช้งานได้ (active)</td>"));

    // A card login through the agent: it is seen.
    let before = thaiid_server::now();
    let mut card_user = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    card_user
        .card_login(&agent, &TestCard::demo())
        .await
        .unwrap();
    let seen = agents::list(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .find(|listed| listed.id == agent.id)
        .unwrap()
        .last_seen;
    assert!(seen.is_some_and(|at| at >= before), "{seen:?}");
    let page = b.get("/admin/agents").await;
    assert!(!page.body.contains("<td>—</td><td>ใช้งานได้ (active)</td>"));

    let revoked = b
        .post(
            "/admin/agents/revoke",
            &[("id", &agent.id), ("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(revoked.location, "/admin/agents?done=revoked");
    let page = b.get(&revoked.location).await;
    assert!(page.body.contains("ถูกเพิกถอน (revoked)"), "{}", page.body);
    assert!(agents::list(&db.pool).await.unwrap()[0].revoked);
    assert_eq!(
        card_user.card_login(&agent, &TestCard::demo()).await.err(),
        Some("REVOKED_AGENT".to_owned())
    );
    // Again, or an agent that does not exist: refused, and said why.
    for id in [agent.id.as_str(), "agent-made-up"] {
        let again = b
            .post(
                "/admin/agents/revoke",
                &[("id", id), ("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert!(again.body.contains("No active agent"), "{}", again.body);
    }
    assert_eq!(
        admin_rows(&db, Method::AgentAdmin).await,
        [(
            demo::USERNAME.to_owned(),
            None,
            Some(agent.id.clone()),
            "revoked".to_owned()
        )]
    );
}

async fn enrollment_tokens_are_shown_once(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let page = b.get("/admin/agents/tokens").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let made = b
        .post(
            "/admin/agents/tokens",
            &[("uses", "3"), ("ttl", "2h"), ("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let token = shown(&made.body, "enroll-token");
    let live = tokens::live(&db.pool, thaiid_server::now()).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].uses_left, 3);
    assert!(thaiid_server::sha256_hex(&token).starts_with(&live[0].reference));
    let stored: String = sqlx::query_scalar("SELECT hash FROM enrollment_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, thaiid_server::sha256_hex(&token));
    // The list names it by its reference, never its value.
    let page = b.get("/admin/agents/tokens").await;
    assert!(page.body.contains(&live[0].reference));
    assert!(!page.body.contains(&token));
    assert!(!audit_text(&db).await.contains(&token));
    assert_eq!(
        admin_rows(&db, Method::EnrollToken).await,
        [(
            demo::USERNAME.to_owned(),
            None,
            None,
            format!("created {}: 3 uses, 7200 s", live[0].reference)
        )]
    );
    assert!(tokens::consume(&db.pool, &token, thaiid_server::now())
        .await
        .unwrap());

    for (uses, ttl, says) in [
        ("0", "7d", "at least 1 use"),
        ("many", "7d", "not a number"),
        ("1", "7w", "not a lifetime"),
        ("1", "400d", "at most 365 days"),
    ] {
        let refused = b
            .post(
                "/admin/agents/tokens",
                &[("uses", uses), ("ttl", ttl), ("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{uses} {ttl}");
        assert!(
            refused.body.contains(says),
            "{uses} {ttl}: {}",
            refused.body
        );
    }
    assert_eq!(admin_rows(&db, Method::EnrollToken).await.len(), 1);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enrollment_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing made by the refusals");
}

async fn api_keys_are_shown_once_with_their_origins(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let page = b.get("/admin/api-keys").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let origins = "https://hr.example.go.th\r\nhttps://hr2.example.go.th:8443\r\n";
    let made = b
        .post(
            "/admin/api-keys",
            &[
                ("name", "hr-portal"),
                ("origins", origins),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let key = shown(&made.body, "api-key");
    let owner = api_keys::owner(&db.pool, &key).await.unwrap().unwrap();
    assert_eq!(owner.name, "hr-portal");
    assert_eq!(
        owner.origins,
        ["https://hr.example.go.th", "https://hr2.example.go.th:8443"]
    );
    let page = b.get("/admin/api-keys").await;
    assert!(page
        .body
        .contains("<li>https://hr2.example.go.th:8443</li>"));
    assert!(!page.body.contains(&key));
    assert!(!audit_text(&db).await.contains(&key));
    let stored: String = sqlx::query_scalar("SELECT hash FROM api_keys")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, thaiid_server::sha256_hex(&key));
    assert_eq!(
        admin_rows(&db, Method::ApiKey).await,
        [(
            demo::USERNAME.to_owned(),
            None,
            None,
            "created hr-portal for https://hr.example.go.th https://hr2.example.go.th:8443"
                .to_owned()
        )]
    );

    for (name, origins, says) in [
        ("hr-portal", "https://hr.example.go.th", "already"),
        ("finance portal", "https://fin.example.go.th", "no spaces"),
        ("finance", "", "at least one"),
        ("finance", "https://fin.example.go.th/login", "has no path"),
        ("finance", "http://fin.example.go.th", "must use https"),
    ] {
        let refused = b
            .post(
                "/admin/api-keys",
                &[("name", name), ("origins", origins), ("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name} {origins}");
        assert!(refused.body.contains(says), "{name}: {}", refused.body);
    }
    assert_eq!(api_keys::list(&db.pool).await.unwrap().len(), 1);
    assert_eq!(admin_rows(&db, Method::ApiKey).await.len(), 1);
}

async fn the_command_line_is_audited_as_cli(db: TestDb) {
    let _ = browser(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let (code, out, err) = support::admin(&db.url, dir.path(), args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    let added = run(&[
        "system",
        "add",
        "07070707",
        "ระบบเงินเดือน",
        "--redirect-uri",
        "https://pay.example.go.th/cb",
    ]);
    let secret = added
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    run(&["system", "require", "07070707", "two-factor"]);
    let replaced = run(&["system", "secret", "07070707"]);
    let token = run(&["token", "create", "--uses", "2"]);
    let key = run(&[
        "apikey",
        "create",
        "pay-portal",
        "--origin",
        "https://pay.example.go.th",
    ]);
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    run(&["agent", "revoke", &agent.id]);
    let systems: Vec<String> = admin_rows(&db, Method::SystemAdmin)
        .await
        .into_iter()
        .map(|(actor, _, _, detail)| format!("{actor}: {detail}"))
        .collect();
    assert_eq!(
        systems,
        [
            "cli: secret replaced",
            "cli: level two-factor",
            "cli: added, client registered, secret made"
        ]
    );
    for method in [Method::EnrollToken, Method::ApiKey, Method::AgentAdmin] {
        let rows = admin_rows(&db, method).await;
        assert_eq!(rows.len(), 1, "{method:?}");
        assert_eq!(rows[0].0, "cli");
    }
    let text = audit_text(&db).await;
    for secret in [secret, replaced, token, key] {
        let secret = secret.trim().trim_start_matches("client_secret: ");
        assert!(!secret.is_empty() && !text.contains(secret));
    }
}

async fn long_lists_come_fifty_a_page(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    // Five demo systems and 55 more; 51 agents.
    for n in 0..55 {
        systems::put(&db.pool, &format!("0909{n:04}"), "ระบบทดสอบ", "")
            .await
            .unwrap();
    }
    for n in 0..51 {
        TestAgent::enroll(&db.pool, &format!("ws-{n:02}")).await;
    }
    let rows = |body: &str| body.matches("<tr><td").count();
    let first = b.get("/admin/systems").await;
    assert_eq!(rows(&first.body), 50);
    assert!(first
        .body
        .contains(r#"href="/admin/systems?page=2" rel="next""#));
    let second = b.get("/admin/systems?page=2").await;
    assert_eq!(rows(&second.body), 10);
    assert!(second
        .body
        .contains(r#"href="/admin/systems?page=1" rel="prev""#));
    assert!(!second.body.contains("rel=\"next\""));
    let first = b.get("/admin/agents").await;
    assert_eq!(rows(&first.body), 50);
    let second = b.get("/admin/agents?page=2").await;
    assert_eq!(rows(&second.body), 1);
    assert_eq!(b.get("/admin/agents?page=x").await.body, first.body);
}
