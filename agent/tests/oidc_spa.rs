//! A single-page app as a public client, in Debian's Chromium: the app's page, served from
//! an origin of its own on loopback (a small HTTP server here), sends the browser to the
//! SSO, the demo person logs in by password + OTP, and back on the app's page its script
//! spends the code with PKCE alone and reads userinfo, all by `fetch()` across origins: the
//! provider's CORS headers are what let it (SPEC §7, public clients). The same page at an
//! origin no client registered may read discovery but not the token or userinfo answers.
//! The server runs in this process on SQLite; no agent, no card.

mod support;

use axum::Router;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use support::browser::Browser;
use support::{free_port, Home};
use thaiid_server::demo;
use thaiid_server::oidc::clients::{self, Registration};
use thaiid_server::test_support::{Database, TestServer};

/// One of the demo's systems the demo person may use.
const SPA: &str = "02010101";
const PAGE: &str = include_str!("support/spa.html");

/// Serves the app's page at every path of `listener`, for as long as the test runs.
fn serve_the_app(listener: TcpListener, issuer: &str) {
    let page = PAGE
        .replace("{{ISSUER}}", issuer)
        .replace("{{CLIENT}}", SPA);
    let page = std::sync::Arc::new(page);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let page = page.clone();
            // One thread each: Chromium opens connections ahead of its requests, and one
            // it never uses must not hold up the next.
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
            });
        }
    });
}

#[test]
fn a_single_page_app_logs_the_demo_person_in_with_fetch_across_origins() {
    // The WebDriver client's rustls wants ring as its provider.
    thaiid_agent::http::install_crypto_provider();
    // The pages call an agent nobody runs: the login page shows it missing.
    let test = TestServer::start_for_agent(
        Database::Sqlite,
        Router::new(),
        &format!("https://127.0.0.1:{}", free_port()),
    );
    let seeded = test.add_demo_person();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = format!("http://127.0.0.1:{port}");
    // The same page where no client's redirect URI is: another origin, the same server.
    let stranger = format!("http://localhost:{port}");
    let registration = Registration {
        redirect_uris: vec![format!("{app}/callback")],
        post_logout_redirect_uris: Vec::new(),
        public: true,
        id_token_alg: None,
    };
    let secret = test
        .block_on(clients::register(
            &test.pool,
            SPA,
            &registration,
            thaiid_server::now(),
        ))
        .unwrap();
    assert_eq!(secret, None, "a public client has no secret");
    serve_the_app(listener, &test.url);

    let home = Home::new();
    let browser = Browser::start(home.path());
    let done = |b: &Browser| b.text("#status") != "starting" && b.text("#status") != "to the SSO";
    browser.goto(&format!("{app}/"));
    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the app's page after the login", |b| {
        b.url().starts_with(&format!("{app}/callback")) && done(b)
    });
    assert_eq!(browser.text("#status"), "done");
    assert_eq!(browser.text("#username"), demo::USERNAME);
    assert_eq!(browser.text("#name"), demo::DISPLAY_NAME);
    assert_eq!(browser.text("#amr"), "pwd,otp");
    let sub = test
        .block_on(thaiid_server::oidc::subjects::of(
            &test.pool,
            demo::USERNAME,
        ))
        .unwrap();
    assert_eq!(browser.text("#sub"), sub);
    // The JWKS read across origins: one key per algorithm (ES256, RS256).
    assert_eq!(browser.text("#keys"), "2");

    // The app's origin reads the endpoints' refusals of a made-up code and token; another
    // origin reads discovery (public) but neither answer.
    for (origin, readable) in [
        (&app, "token 400, userinfo 401"),
        (&stranger, "token blocked, userinfo blocked"),
    ] {
        browser.goto(&format!("{origin}/probe"));
        browser.wait_until("the probe", done);
        assert_eq!(browser.text("#status"), "done", "{origin}");
        assert_eq!(browser.text("#probe"), readable, "{origin}");
    }
}
