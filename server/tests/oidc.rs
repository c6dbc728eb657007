//! The OpenID Connect provider through the router, on SQLite and PostgreSQL: discovery and
//! JWKS, the code flow by password + OTP and by ID card (back to the system after the
//! login page), ID tokens verified against the JWKS, userinfo, RP-initiated logout; and
//! the refusals: unregistered client or redirect URI (a page, no redirect), request errors
//! (back to the redirect URI with `state`), no permission (`access_denied`), code reuse,
//! wrong verifier, wrong secret, expired code, a code for another client, forged tokens
//! (`none`, HS256) as access token and as `id_token_hint`; each client's ID tokens signed
//! with its algorithm (ES256, or RS256 for a client registered so); the command line that
//! registers clients and rotates the signing keys.
//! Re-authentication is in `oidc_reauth.rs`, CORS in `oidc_cors.rs`; the helpers they
//! share in `support/oidc.rs`.

use thaiid_server::on_both_databases;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use support::browser::{url_encode, Browser, SITE};
use support::oidc::{
    authorize_path, call, code_for, exchange, forged, header_of, log_in_by_password, new_pkce,
    redirected, request, token, userinfo, verified, verified_as, with_clients, BUDGET,
    BUDGET_CALLBACK, HR, HR_BYE, HR_CALLBACK, SPA, SPA_CALLBACK,
};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::oidc::alg::SigningAlg;
use thaiid_server::oidc::clients::{self, Registration};
use thaiid_server::{demo, users};

on_both_databases!(
    discovery_names_the_endpoints_and_both_algs,
    each_client_gets_tokens_signed_with_its_alg,
    password_otp_login_resumes_the_request_and_tokens_verify,
    card_login_says_card_in_amr,
    a_public_client_uses_pkce_alone,
    unregistered_client_or_redirect_uri_gets_a_page_not_a_redirect,
    request_errors_go_back_with_state,
    no_permission_is_access_denied,
    codes_are_single_use_bound_and_short_lived,
    forged_tokens_are_refused,
    logout_with_a_hint_ends_the_session_and_goes_back,
    the_command_line_registers_clients_and_rotates_keys,
);

async fn discovery_names_the_endpoints_and_both_algs(db: TestDb) {
    let (b, _) = with_clients(&db).await;
    let request = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    let (status, metadata) = call(&b, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metadata["issuer"], SITE);
    for (field, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(metadata[field], format!("{SITE}{path}"), "{field}");
    }
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    // The JWKS publishes a current key of each.
    let (_, jwks) = call(&b, Request::get("/oidc/jwks").body(Body::empty()).unwrap()).await;
    let published: Vec<(&str, &str)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (key["kty"].as_str().unwrap(), key["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(published, [("EC", "ES256"), ("RSA", "RS256")]);
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["prompt_values_supported"],
        json!(["none", "login"])
    );
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
}

/// The ID token `client` gets for a code flow of the person signed in in `b`.
async fn id_token_of(
    b: &mut Browser,
    client: &str,
    callback: &str,
    secret: Option<&str>,
) -> String {
    let pkce = new_pkce();
    let code = code_for(b, client, callback, &pkce).await;
    let mut form = exchange(&code, callback, &pkce);
    if secret.is_none() {
        form.push(("client_id", client));
    }
    let (status, tokens) = token(b, &form, secret.map(|secret| (client, secret))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens["id_token"].as_str().unwrap().to_owned()
}

async fn each_client_gets_tokens_signed_with_its_alg(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    // HR re-registered for RS256 (the URIs as before, the secret kept); SPA stays ES256.
    let registration = Registration {
        redirect_uris: vec![HR_CALLBACK.into()],
        post_logout_redirect_uris: vec![HR_BYE.into()],
        public: false,
        id_token_alg: Some(SigningAlg::Rs256),
    };
    let secret = clients::register(&db.pool, HR, &registration, thaiid_server::now())
        .await
        .unwrap();
    assert_eq!(secret, None, "the secret is kept");
    let hr = id_token_of(&mut b, HR, HR_CALLBACK, Some(&secrets[HR])).await;
    let claims = verified_as(&b, &hr, "RS256").await;
    assert_eq!(
        (claims["aud"].as_str(), claims["nonce"].as_str()),
        (Some(HR), Some("n-1"))
    );
    let spa = id_token_of(&mut b, SPA, SPA_CALLBACK, None).await;
    let claims = verified_as(&b, &spa, "ES256").await;
    assert_eq!(claims["aud"], SPA);
    // Not one key under two names: the RS256 token's kid is no ES256 key, and its
    // signature is no ES256 signature under the ES256 client's key.
    assert_ne!(header_of(&hr)["kid"], header_of(&spa)["kid"]);
    let (_, jwks) = call(&b, Request::get("/oidc/jwks").body(Body::empty()).unwrap()).await;
    let es_key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header_of(&spa)["kid"])
        .unwrap();
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(B64.decode(es_key[coordinate].as_str().unwrap()).unwrap());
    }
    let (signed, signature) = hr.rsplit_once('.').unwrap();
    assert!(ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        &point
    )
    .verify(signed.as_bytes(), &B64.decode(signature).unwrap())
    .is_err());
    // Back to ES256: the next token is.
    clients::set_id_token_alg(&db.pool, HR, SigningAlg::Es256)
        .await
        .unwrap();
    let es = id_token_of(&mut b, HR, HR_CALLBACK, Some(&secrets[HR])).await;
    verified_as(&b, &es, "ES256").await;
    assert!(matches!(
        clients::set_id_token_alg(&db.pool, "09090909", SigningAlg::Rs256).await,
        Err(clients::ClientError::NotAClient(_))
    ));
    // The RS256 token is a logout hint like any other of the provider's: it names HR.
    let page = b
        .get(&format!(
            "/oidc/logout?id_token_hint={hr}&post_logout_redirect_uri={}&state=s3",
            url_encode(HR_BYE)
        ))
        .await;
    assert_eq!(page.location, format!("{HR_BYE}?state=s3"));
}

async fn password_otp_login_resumes_the_request_and_tokens_verify(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    let first = b.get(&ask).await;
    assert_eq!(
        (first.status, first.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    // After the OTP, back to the request rather than the systems page.
    assert_eq!(log_in_by_password(&mut b).await, ask);
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (status, tokens) = token(
        &b,
        &exchange(&code, HR_CALLBACK, &pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens.get("refresh_token").is_none());
    let claims = verified(&b, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], SITE);
    assert_eq!(claims["aud"], HR);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["preferred_username"], demo::USERNAME);
    assert_eq!(claims["name"], demo::DISPLAY_NAME);
    let now = thaiid_server::now();
    assert!(claims["exp"].as_i64().unwrap() > now && claims["iat"].as_i64().unwrap() <= now);
    assert!(claims["auth_time"].as_i64().unwrap() <= now);
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert!(!sub.contains(demo::CITIZEN_ID) && sub != demo::USERNAME);
    let (status, info) = userinfo(&b, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (info["sub"].as_str(), info["preferred_username"].as_str()),
        (Some(sub.as_str()), Some(demo::USERNAME))
    );

    // Signed in already: straight back, and client_secret_post works too; the sub is stable.
    let pkce = new_pkce();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let mut form = exchange(&code, HR_CALLBACK, &pkce);
    form.extend([("client_id", HR), ("client_secret", secrets[HR].as_str())]);
    let (status, tokens) = token(&b, &form, None).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(
        verified(&b, tokens["id_token"].as_str().unwrap()).await["sub"],
        sub
    );
    // A new secret: the old one stops working.
    let renewed = clients::replace_secret(&db.pool, HR).await.unwrap();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (status, _) = token(
        &b,
        &exchange(&code, HR_CALLBACK, &pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (status, _) = token(
        &b,
        &exchange(&code, HR_CALLBACK, &pkce),
        Some((HR, &renewed)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

async fn card_login_says_card_in_amr(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    };
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    assert_eq!(b.get(&ask).await.location, "/login");
    let done = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(done.next(), ask, "back to the request after the card login");
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (_, tokens) = token(
        &b,
        &exchange(&code, HR_CALLBACK, &pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    let claims = verified(&b, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], json!(["card"]));
    assert_eq!(claims["preferred_username"], demo::USERNAME);
}

async fn a_public_client_uses_pkce_alone(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    let code = code_for(&mut b, SPA, SPA_CALLBACK, &pkce).await;
    let mut form = exchange(&code, SPA_CALLBACK, &pkce);
    form.push(("client_id", SPA));
    let (status, tokens) = token(&b, &form, None).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // A confidential client may not do the same.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let mut form = exchange(&code, HR_CALLBACK, &pkce);
    form.push(("client_id", HR));
    let (status, error) = token(&b, &form, None).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    // Both ways at once are refused.
    let mut form = exchange(&code, HR_CALLBACK, &pkce);
    form.push(("client_secret", secrets[HR].as_str()));
    let (status, error) = token(&b, &form, Some((HR, &secrets[HR]))).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

async fn unregistered_client_or_redirect_uri_gets_a_page_not_a_redirect(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    for ask in [
        request("99999999", HR_CALLBACK, &pkce),
        request(HR, "https://evil.example/cb", &pkce),
        request(HR, &format!("{HR_CALLBACK}/"), &pkce),
        request(HR, &format!("{HR_CALLBACK}?x=1"), &pkce),
        request(HR, BUDGET_CALLBACK, &pkce),
        format!("{}&client_id={HR}", request(HR, HR_CALLBACK, &pkce)),
    ] {
        let page = b.get(&ask).await;
        assert_eq!(
            (page.status, page.location.as_str()),
            (StatusCode::BAD_REQUEST, ""),
            "{ask}"
        );
        assert!(page.body.contains("invalid_"), "{}", page.body);
    }
}

async fn request_errors_go_back_with_state(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    let pkce = new_pkce();
    let base = request(HR, HR_CALLBACK, &pkce);
    let without = |name: &str| {
        let kept: Vec<&str> = base
            .split(['?', '&'])
            .skip(1)
            .filter(|pair| !pair.starts_with(&format!("{name}=")))
            .collect();
        format!("/oidc/authorize?{}", kept.join("&"))
    };
    let plain = authorize_path(&[
        ("response_type", "code"),
        ("client_id", HR),
        ("redirect_uri", HR_CALLBACK),
        ("scope", "openid"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", &pkce.verifier),
        ("code_challenge_method", "plain"),
    ]);
    let cases = [
        (without("nonce"), "invalid_request", "nonce"),
        (without("code_challenge"), "invalid_request", "S256"),
        (
            without("code_challenge_method"),
            "invalid_request",
            "plain is refused",
        ),
        (plain, "invalid_request", "plain is refused"),
        (
            base.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
            "code",
        ),
        (
            base.replace("scope=openid%20profile", "scope=profile"),
            "invalid_scope",
            "openid",
        ),
        (format!("{base}&prompt=none"), "login_required", "signed in"),
        (
            format!("{base}&prompt=login%20none"),
            "invalid_request",
            "prompt=none",
        ),
        (format!("{base}&max_age=-1"), "invalid_request", "max_age"),
        (format!("{base}&max_age=5m"), "invalid_request", "max_age"),
        (
            format!("{base}&response_mode=form_post"),
            "invalid_request",
            "query",
        ),
        (
            format!("{base}&request=eyJ"),
            "request_not_supported",
            "request",
        ),
    ];
    for (ask, error, said) in cases {
        let page = b.get(&ask).await;
        let back = redirected(&page.location, HR_CALLBACK);
        assert_eq!(back.get("error").map(String::as_str), Some(error), "{ask}");
        assert!(back["error_description"].contains(said), "{back:?}");
        assert_eq!(back.get("state").map(String::as_str), Some("st-1"));
        assert!(!back.contains_key("code"));
    }
}

async fn no_permission_is_access_denied(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let page = b.get(&request(BUDGET, BUDGET_CALLBACK, &new_pkce())).await;
    let back = redirected(&page.location, BUDGET_CALLBACK);
    assert_eq!(back.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(back.get("state").map(String::as_str), Some("st-1"));
    assert_eq!(
        back["error_uri"],
        format!("{SITE}/permissions?system={BUDGET}")
    );
    assert!(back["error_description"].ends_with(&back["error_uri"]));
    // That page has the system chosen for the request.
    let ask = b.get(&format!("/permissions?system={BUDGET}")).await;
    assert!(
        ask.body
            .contains(&format!("<option value=\"{BUDGET}\" selected>")),
        "{}",
        ask.body
    );
    // Granted, the same request gets a code.
    thaiid_server::systems::grant(&db.pool, demo::USERNAME, BUDGET)
        .await
        .unwrap();
    code_for(&mut b, BUDGET, BUDGET_CALLBACK, &new_pkce()).await;
}

async fn codes_are_single_use_bound_and_short_lived(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let hr = Some((HR, secrets[HR].as_str()));
    let refused = |answer: (StatusCode, Value), status: StatusCode, error: &str, why: &str| {
        assert_eq!(
            (answer.0, answer.1["error"].as_str()),
            (status, Some(error)),
            "{why}: {}",
            answer.1
        );
    };

    // Used twice: refused, and the access token of the first use revoked.
    let pkce = new_pkce();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (_, tokens) = token(&b, &exchange(&code, HR_CALLBACK, &pkce), hr).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&b, &access).await.0, StatusCode::OK);
    refused(
        token(&b, &exchange(&code, HR_CALLBACK, &pkce), hr).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "reuse",
    );
    assert_eq!(userinfo(&b, &access).await.0, StatusCode::UNAUTHORIZED);

    // Wrong verifier, then the right one: the code is spent by the first try.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let other = new_pkce();
    refused(
        token(&b, &exchange(&code, HR_CALLBACK, &other), hr).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "verifier",
    );
    refused(
        token(&b, &exchange(&code, HR_CALLBACK, &pkce), hr).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "spent",
    );

    // Wrong secret.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    refused(
        token(
            &b,
            &exchange(&code, HR_CALLBACK, &pkce),
            Some((HR, "not-the-secret")),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "secret",
    );

    // Another client's code, and another redirect URI.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let budget = Some((BUDGET, secrets[BUDGET].as_str()));
    refused(
        token(&b, &exchange(&code, HR_CALLBACK, &pkce), budget).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "client",
    );
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    refused(
        token(
            &b,
            &exchange(&code, "https://hr.example.go.th/other", &pkce),
            hr,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "redirect_uri",
    );

    // Expired: a minute passed.
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    sqlx::query("UPDATE oidc_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(thaiid_server::now() - 1)
        .execute(&db.pool)
        .await
        .unwrap();
    refused(
        token(&b, &exchange(&code, HR_CALLBACK, &pkce), hr).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "expired",
    );

    // Unknown code, another grant type.
    refused(
        token(&b, &exchange("made-up", HR_CALLBACK, &pkce), hr).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "unknown",
    );
    let mut form = exchange("made-up", HR_CALLBACK, &pkce);
    form[0] = ("grant_type", "refresh_token");
    refused(
        token(&b, &form, hr).await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        "grant",
    );
}

async fn forged_tokens_are_refused(db: TestDb) {
    let (mut b, _) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let sub = thaiid_server::oidc::subjects::of(&db.pool, demo::USERNAME)
        .await
        .unwrap();
    let now = thaiid_server::now();
    let claims =
        json!({"iss": SITE, "sub": sub, "aud": HR, "iat": now, "exp": now + 300, "nonce": "n-1"});
    for alg in ["none", "HS256", "RS256"] {
        for token in forged(alg, &claims) {
            assert_eq!(
                userinfo(&b, &token).await.0,
                StatusCode::UNAUTHORIZED,
                "{alg}"
            );
            // As a logout hint it proves nothing: the person is asked, not logged out.
            let path = format!("/oidc/logout?id_token_hint={token}");
            let page = b.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{alg}");
            assert!(page.body.contains("confirm-logout"), "{}", page.body);
            // And it names no client, so no post-logout redirect is trusted.
            let page = b
                .get(&format!(
                    "{path}&post_logout_redirect_uri={}",
                    url_encode(HR_BYE)
                ))
                .await;
            assert_eq!(
                (page.status, page.location.as_str()),
                (StatusCode::BAD_REQUEST, "")
            );
        }
    }
    assert_eq!(
        b.get("/systems").await.status,
        StatusCode::OK,
        "still signed in"
    );
}

async fn logout_with_a_hint_ends_the_session_and_goes_back(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    log_in_by_password(&mut b).await;
    let pkce = new_pkce();
    let code = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (_, tokens) = token(
        &b,
        &exchange(&code, HR_CALLBACK, &pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    let hint = tokens["id_token"].as_str().unwrap();
    // A hint of one client presented for another: a page, still signed in.
    let page = b
        .get(&format!(
            "/oidc/logout?id_token_hint={hint}&client_id={SPA}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/systems").await.status, StatusCode::OK);
    // An unregistered post-logout URI: a page, still signed in.
    let page = b
        .get(&format!(
            "/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
            url_encode("https://evil.example/")
        ))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/systems").await.status, StatusCode::OK);
    let page = b
        .get(&format!(
            "/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=s2",
            url_encode(HR_BYE)
        ))
        .await;
    assert_eq!(page.location, format!("{HR_BYE}?state=s2"));
    assert_eq!(b.get("/systems").await.location, "/login", "signed out");
    assert!(users::find(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .is_some());
}

/// `system add … --redirect-uri`, `system secret`, `oidc rotate-key` as IT runs them.
async fn the_command_line_registers_clients_and_rotates_keys(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| support::admin(&db.url, dir.path(), args);
    let (code, out, _) = run(&[
        "system",
        "add",
        HR,
        "ระบบบริหารงานบุคคล",
        "--redirect-uri",
        HR_CALLBACK,
    ]);
    assert_eq!(code, Some(0));
    let secret = out
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    assert!(out.contains(&format!("client_id: {HR}")), "{out}");
    let client = clients::find(&db.pool, HR).await.unwrap().unwrap();
    assert!(client.secret_matches(&secret));
    // Again: the URIs change, the secret stays and is not printed.
    let (_, out, _) = run(&["system", "add", HR, "x", "--redirect-uri", SPA_CALLBACK]);
    assert!(!out.contains("client_secret"), "{out}");
    let client = clients::find(&db.pool, HR).await.unwrap().unwrap();
    assert!(client.secret_matches(&secret) && client.redirects_to(SPA_CALLBACK));
    assert!(!client.redirects_to(HR_CALLBACK));
    // A new secret replaces the old one.
    let (_, out, _) = run(&["system", "secret", HR]);
    let renewed = out.trim().strip_prefix("client_secret: ").unwrap();
    let client = clients::find(&db.pool, HR).await.unwrap().unwrap();
    assert!(client.secret_matches(renewed) && !client.secret_matches(&secret));
    // The ID token algorithm: ES256 unless said; given again, changed; or by itself.
    let pool = &db.pool;
    let alg = |code| async move {
        clients::find(pool, code)
            .await
            .unwrap()
            .unwrap()
            .id_token_alg
    };
    assert_eq!(alg(HR).await, SigningAlg::Es256);
    let add_rs256 = [
        "system",
        "add",
        HR,
        "x",
        "--redirect-uri",
        SPA_CALLBACK,
        "--id-token-alg",
        "RS256",
    ];
    assert_eq!(run(&add_rs256).0, Some(0));
    assert_eq!(alg(HR).await, SigningAlg::Rs256);
    // Running `system add` again without the flag keeps it.
    run(&["system", "add", HR, "x", "--redirect-uri", SPA_CALLBACK]);
    assert_eq!(alg(HR).await, SigningAlg::Rs256);
    let (_, out, _) = run(&["system", "list"]);
    assert!(
        out.contains(&format!("{HR}\tx\t\tRS256\tone-factor\n")),
        "{out}"
    );
    let (code, out, _) = run(&["system", "id-token-alg", HR, "ES256"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("client {HR}: ID tokens signed ES256"));
    assert_eq!(alg(HR).await, SigningAlg::Es256);
    // Refused, and nothing stored: an alg not offered (names are exact), a system that is
    // no client, a fragment, a secret for a public client.
    for bad in ["rs256", "RS384", "HS256", "none"] {
        let (code, _, err) = run(&["system", "id-token-alg", HR, bad]);
        assert_eq!(code, Some(2), "{bad}");
        assert!(err.contains("ES256 (the default) or RS256"), "{err}");
    }
    let (code, _, err) = run(&[
        "system",
        "add",
        SPA,
        "y",
        "--redirect-uri",
        SPA_CALLBACK,
        "--id-token-alg",
        "PS256",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("\"PS256\" is not an ID token algorithm offered"),
        "{err}"
    );
    assert_eq!(alg(HR).await, SigningAlg::Es256);
    assert!(clients::find(&db.pool, SPA).await.unwrap().is_none());
    run(&["system", "add", "09090909", "z"]);
    let (code, _, err) = run(&["system", "id-token-alg", "09090909", "RS256"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is no OpenID Connect client"), "{err}");
    let (_, out, _) = run(&["system", "list"]);
    assert!(out.contains("09090909\tz\t\t-\tone-factor\n"), "{out}");
    let (code, _, err) = run(&[
        "system",
        "add",
        "09090908",
        "z",
        "--redirect-uri",
        "https://z/cb#f",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no #fragment"), "{err}");
    assert!(thaiid_server::systems::all(&db.pool)
        .await
        .unwrap()
        .iter()
        .all(|s| s.code != "09090908"));
    run(&[
        "system",
        "add",
        SPA,
        "y",
        "--redirect-uri",
        SPA_CALLBACK,
        "--public",
    ]);
    let (code, _, err) = run(&["system", "secret", SPA]);
    assert_eq!(code, Some(1));
    assert!(err.contains("public client"), "{err}");
    // Rotation: a new key of each algorithm signs, the old ones stay published.
    let path = dir.path().join("oidc-keys.json");
    let keys = thaiid_server::oidc::keys::SigningKeys::load_or_create(&path, thaiid_server::now())
        .unwrap();
    let kids_of = |alg: &str| -> Vec<String> {
        keys.jwks(thaiid_server::now())["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|key| key["alg"] == alg)
            .map(|key| key["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let (old_es, old_rs) = (kids_of("ES256"), kids_of("RS256"));
    assert_eq!((old_es.len(), old_rs.len()), (1, 1));
    // A new modification time for the file, so that `keys` reads it again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (code, out, _) = run(&["oidc", "rotate-key"]);
    assert_eq!(code, Some(0), "{out}");
    let new_kid = |alg: &str| {
        out.lines()
            .find_map(|line| line.strip_prefix(&format!("new {alg} signing key ")))
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned()
    };
    assert_eq!(kids_of("ES256"), [old_es[0].clone(), new_kid("ES256")]);
    assert_eq!(kids_of("RS256"), [old_rs[0].clone(), new_kid("RS256")]);
    let token = keys.sign(SigningAlg::Rs256, &json!({"sub": "x"}));
    assert_eq!(header_of(&token)["kid"], new_kid("RS256"));
}
