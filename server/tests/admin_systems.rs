//! `/admin/systems` and `/admin/systems/{code}` (SPEC §7b, admins): adding a system with
//! its redirect URIs and level, changing it, a new client secret; each secret shown once
//! (a reload does not show it, the database holds its hash, the audit log never has it);
//! each change an audit row naming the admin; bad input refused with a clear error and
//! nothing changed.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::Browser;
use support::console::{admin_rows, audit_text, console_as, shown};
use support::TestDb;
use thaiid_server::amr::Level;
use thaiid_server::audit::{self, Method};
use thaiid_server::oidc::clients;
use thaiid_server::oidc::system_admin::{self, Settings};
use thaiid_server::roles::Role;
use thaiid_server::{demo, systems};

on_both_databases!(
    an_admin_adds_a_system_and_sees_its_secret_once,
    an_admin_changes_a_system_and_makes_a_new_secret,
    bad_input_is_refused_and_changes_nothing,
);

const LEAVE: &str = "05050505";
const CALLBACK: &str = "https://leave.example.go.th/oidc/callback";

/// The add form as an admin fills it in, with `changes` over it.
async fn add(b: &mut Browser, changes: &[(&str, &str)]) -> support::browser::Page {
    let csrf = b.get("/admin/systems").await.csrf();
    let mut form = vec![
        ("code", LEAVE),
        ("name", "ระบบลาออนไลน์"),
        ("url", "https://leave.example.go.th/"),
        ("redirect_uris", CALLBACK),
        ("post_logout_redirect_uris", "https://leave.example.go.th/"),
        ("level", "two-factor"),
        ("csrf", &csrf),
    ];
    for (name, value) in changes {
        form.retain(|(field, _)| field != name);
        form.push((name, value));
    }
    b.post("/admin/systems", &form).await
}

async fn an_admin_adds_a_system_and_sees_its_secret_once(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let list = b.get("/admin/systems").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains(r#"href="/admin/systems/01010101""#));
    let added = add(&mut b, &[]).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(shown(&added.body, "client-id"), LEAVE);
    let secret = shown(&added.body, "client-secret");
    assert!(secret.len() >= 40, "{secret}");
    let client = clients::find(&db.pool, LEAVE).await.unwrap().unwrap();
    assert!(client.secret_matches(&secret));
    assert_eq!(client.redirect_uris, [CALLBACK]);
    assert_eq!(
        client.post_logout_redirect_uris,
        ["https://leave.example.go.th/"]
    );
    assert_eq!(
        systems::required_level(&db.pool, LEAVE).await.unwrap(),
        Some(Level::TwoFactor)
    );

    // Shown once: no page shows it again, the database has its hash alone.
    let page = b.get(&format!("/admin/systems/{LEAVE}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(CALLBACK), "{}", page.body);
    assert!(page
        .body
        .contains(&format!(r#"href="/admin/systems/{LEAVE}/access""#)));
    for body in [page.body, b.get("/admin/systems").await.body] {
        assert!(!body.contains(&secret));
    }
    let stored: Option<String> =
        sqlx::query_scalar("SELECT secret_hash FROM oidc_clients WHERE system_code = $1")
            .bind(LEAVE)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, Some(thaiid_server::sha256_hex(&secret)));
    assert!(!audit_text(&db).await.contains(&secret));
    assert_eq!(
        admin_rows(&db, Method::SystemAdmin).await,
        [(
            demo::USERNAME.to_owned(),
            Some(LEAVE.to_owned()),
            None,
            "added, client registered, level two-factor, secret made".to_owned()
        )]
    );

    // A system that is no OpenID Connect client has no secret: its page, at once.
    let plain = add(
        &mut b,
        &[
            ("code", "05050506"),
            ("redirect_uris", ""),
            ("post_logout_redirect_uris", ""),
            ("level", "one-factor"),
        ],
    )
    .await;
    assert_eq!(plain.location, "/admin/systems/05050506?done=added");
    assert!(clients::find(&db.pool, "05050506").await.unwrap().is_none());
    let page = b.get(&plain.location).await;
    assert!(page.body.contains("เพิ่มระบบงานแล้ว"), "{}", page.body);
}

async fn an_admin_changes_a_system_and_makes_a_new_secret(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let first = shown(&add(&mut b, &[]).await.body, "client-secret");
    let path = format!("/admin/systems/{LEAVE}");
    let page = b.get(&path).await;
    assert!(
        page.body.contains(r#"value="ระบบลาออนไลน์""#),
        "{}",
        page.body
    );
    let saved = b
        .post(
            &path,
            &[
                ("name", "ระบบการลา"),
                ("url", "https://leave2.example.go.th/"),
                (
                    "redirect_uris",
                    "https://leave2.example.go.th/cb\r\nhttps://leave2.example.go.th/cb2\r\n",
                ),
                ("post_logout_redirect_uris", ""),
                ("level", "one-factor"),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(
        saved.location,
        format!("{path}?done=saved"),
        "{}",
        saved.body
    );
    let system = system_admin::one(&db.pool, LEAVE).await.unwrap().unwrap();
    assert_eq!(
        (system.system.name.as_str(), system.system.url.as_str()),
        ("ระบบการลา", "https://leave2.example.go.th/")
    );
    assert_eq!(system.level, Level::OneFactor);
    let client = clients::find(&db.pool, LEAVE).await.unwrap().unwrap();
    assert_eq!(
        client.redirect_uris,
        [
            "https://leave2.example.go.th/cb",
            "https://leave2.example.go.th/cb2"
        ]
    );
    assert!(client.post_logout_redirect_uris.is_empty());
    assert!(client.secret_matches(&first), "the secret is kept");

    // A new secret: shown once, the old one stops working.
    let page = b.get(&path).await;
    let rotated = b
        .post(&format!("{path}/secret"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let second = shown(&rotated.body, "client-secret");
    assert_ne!(first, second);
    let client = clients::find(&db.pool, LEAVE).await.unwrap().unwrap();
    assert!(client.secret_matches(&second) && !client.secret_matches(&first));
    assert!(!b.get(&path).await.body.contains(&second));
    assert!(!audit_text(&db).await.contains(&second));
    let details: Vec<String> = admin_rows(&db, Method::SystemAdmin)
        .await
        .into_iter()
        .map(|(actor, system, _, detail)| {
            assert_eq!(
                (actor.as_str(), system.as_deref()),
                (demo::USERNAME, Some(LEAVE))
            );
            detail
        })
        .collect();
    assert_eq!(
        details,
        [
            "secret replaced",
            "name, url, redirect URIs, level one-factor",
            "added, client registered, level two-factor, secret made"
        ]
    );

    // A public client has no secret to replace.
    let public = add(
        &mut b,
        &[
            ("code", "05050507"),
            ("public", "on"),
            ("level", "one-factor"),
        ],
    )
    .await;
    assert_eq!(public.location, "/admin/systems/05050507?done=added");
    let page = b.get("/admin/systems/05050507").await;
    assert!(!page.body.contains("system-secret"), "no rotation offered");
    let refused = b
        .post("/admin/systems/05050507/secret", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("public client"), "{}", refused.body);
}

async fn bad_input_is_refused_and_changes_nothing(db: TestDb) {
    let mut b = console_as(&db, Role::Admin).await;
    let settings = Settings {
        code: "06060606".into(),
        name: "ระบบพัสดุ".into(),
        url: String::new(),
        client: Some(clients::Registration {
            redirect_uris: vec![CALLBACK.into()],
            ..Default::default()
        }),
        require: None,
    };
    system_admin::add(&db.pool, &settings, audit::CLI, thaiid_server::now())
        .await
        .unwrap();
    let systems_before = system_admin::page(&db.pool, 0, 100).await.unwrap();
    let client_before = clients::find(&db.pool, "06060606").await.unwrap();
    let rows_before = admin_rows(&db, Method::SystemAdmin).await;

    for (field, value, says) in [
        ("code", "05 05!", "letters and digits"),
        ("code", "<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("code", "06060606", "already"),
        ("name", " ", "needs a name"),
        ("url", "ftp://leave.example.go.th/", "a system&#39;s URL"),
        ("url", "leave.example.go.th", "a system&#39;s URL"),
        ("redirect_uris", "/oidc/callback", "not an absolute URL"),
        (
            "redirect_uris",
            "https://leave.example.go.th/cb#x",
            "fragment",
        ),
        (
            "post_logout_redirect_uris",
            "javascript:alert(1)",
            "use https",
        ),
        ("level", "three-factor", "no assurance level"),
    ] {
        let refused = add(&mut b, &[(field, value)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            refused.body.contains(says),
            "{field}={value}: {}",
            refused.body
        );
        assert!(refused.body.contains(r#"class="notice error""#));
        assert!(!refused.body.contains("<b>x</b>"), "escaped");
    }
    let path = "/admin/systems/06060606";
    for (field, value, says) in [
        ("redirect_uris", "", "at least one"),
        ("url", "not a url", "a system&#39;s URL"),
        ("name", "", "needs a name"),
    ] {
        let csrf = b.get(path).await.csrf();
        let mut form = vec![
            ("name", "ระบบพัสดุ"),
            ("url", ""),
            ("redirect_uris", CALLBACK),
            ("level", "one-factor"),
            ("csrf", &csrf),
        ];
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        let refused = b.post(path, &form).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(refused.body.contains(says), "{field}: {}", refused.body);
    }
    // No such system.
    assert_eq!(
        b.get("/admin/systems/99999999").await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = b.get(path).await.csrf();
    let missing = b
        .post("/admin/systems/99999999/secret", &[("csrf", &csrf)])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    assert_eq!(
        system_admin::page(&db.pool, 0, 100).await.unwrap(),
        systems_before
    );
    assert_eq!(
        clients::find(&db.pool, "06060606").await.unwrap(),
        client_before
    );
    assert_eq!(admin_rows(&db, Method::SystemAdmin).await, rows_before);
}
