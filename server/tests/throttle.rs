//! Guessing never locks a person out from elsewhere (SPEC §7c), through the pages on
//! SQLite and PostgreSQL: failures count per account and address, an account guessed at
//! from many addresses delays new addresses and raises an alert while its owner still
//! logs in, an IPv6 /64 is one address, and the card login is never throttled. Guesses
//! are counted before they are checked: parallel guesses get no more tries than guesses
//! sent one by one.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use std::net::{IpAddr, SocketAddr};
use support::browser::{browser, code_now, Browser};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::throttle::{self, Attempt, Guess, PER_ADDRESS, PER_PAIR, PER_PAIR_GUESSED};
use thaiid_server::{audit, demo};

on_both_databases!(
    parallel_guesses_get_the_limit_and_no_more,
    a_success_gives_its_try_back,
    a_guesser_does_not_lock_the_owner_out,
    many_addresses_are_delayed_and_alerted_while_the_owner_gets_in,
    a_delay_is_never_a_lockout,
    an_ipv6_64_is_one_address,
);

/// Another browser on `b`'s server, connecting from `address`.
fn at(b: &Browser, address: &str) -> Browser {
    let ip: IpAddr = address.parse().unwrap();
    Browser {
        router: b.router.clone(),
        verifier: b.verifier.clone(),
        pool: b.pool.clone(),
        cookie: None,
        seeded: demo::Seeded {
            otp_secret: b.seeded.otp_secret.clone(),
        },
        otp_key: b.otp_key.clone(),
        card_key: b.card_key.clone(),
        peer: Some(SocketAddr::new(ip, 50000)),
        forwarded_for: None,
    }
}

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

fn demo_card() -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    }
}

/// The owner's right password and OTP from `b`'s address: logged in.
async fn owner_logs_in(b: &mut Browser) {
    let step = b.password(demo::PASSWORD).await;
    assert_eq!(step.location, "/login/otp", "{}", step.body);
    let done = b.otp(&code_now(b)).await;
    assert_eq!(done.location, "/systems", "{}", done.body);
}

async fn parallel_guesses_get_the_limit_and_no_more(db: TestDb) {
    let now = thaiid_server::now();
    let guesses = (0..4 * PER_PAIR).map(|_| {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            let guess = Guess::new("somchai", ip("192.0.2.1"));
            throttle::attempt(&pool, &guess, now).await.unwrap()
        })
    });
    let mut allowed = 0;
    for guess in guesses.collect::<Vec<_>>() {
        allowed += i64::from(matches!(guess.await.unwrap(), Attempt::Check { .. }));
    }
    assert_eq!(allowed, PER_PAIR);
    // Neither another account from that address, nor that account from another.
    for guess in [
        Guess::new("malee", ip("192.0.2.1")),
        Guess::new("somchai", ip("192.0.2.2")),
    ] {
        let attempt = throttle::attempt(&db.pool, &guess, now).await.unwrap();
        assert!(matches!(attempt, Attempt::Check { .. }), "{guess:?}");
    }
}

async fn a_success_gives_its_try_back(db: TestDb) {
    let now = thaiid_server::now();
    // Many people behind one address log in, each right the first time.
    for n in 0..2 * PER_ADDRESS {
        let name = format!("clerk{n}");
        let guess = Guess::new(&name, ip("198.51.100.7"));
        let attempt = throttle::attempt(&db.pool, &guess, now).await.unwrap();
        assert!(matches!(attempt, Attempt::Check { .. }), "{n}");
        throttle::refund(&db.pool, &guess).await.unwrap();
    }
    // A pair's failures stay counted across a right password: knowing the password gives
    // no more guesses at the OTP.
    let guess = Guess::new("somchai", ip("198.51.100.7"));
    for _ in 0..PER_PAIR {
        let attempt = throttle::attempt(&db.pool, &guess, now).await.unwrap();
        assert!(matches!(attempt, Attempt::Check { .. }));
    }
    throttle::refund(&db.pool, &guess).await.unwrap();
    let last = throttle::attempt(&db.pool, &guess, now).await.unwrap();
    assert!(matches!(last, Attempt::Check { .. }));
    let refused = throttle::attempt(&db.pool, &guess, now).await.unwrap();
    assert!(matches!(refused, Attempt::Refused { .. }));
}

async fn a_guesser_does_not_lock_the_owner_out(db: TestDb) {
    let owner_browser = browser(&db).await;
    let mut guesser = at(&owner_browser, "192.0.2.66");
    let mut owner = at(&owner_browser, "198.51.100.20");
    for n in 0..20 {
        let page = guesser.password("not-the-password").await;
        let expected = if n < PER_PAIR {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(page.status, expected, "guess {n}");
    }
    // The guesser is refused even the right password, for the rest of the window.
    let right = guesser.password(demo::PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.body.contains("15 นาที"), "{}", right.body);
    assert!(right.headers.contains_key("retry-after"));
    owner_logs_in(&mut owner).await;
    // The owner's login does not clear the guesser's count.
    let again = guesser.password(demo::PASSWORD).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let outcomes = owner.outcomes(audit::Method::Password).await;
    let count = |what: &str| outcomes.iter().filter(|o| *o == what).count();
    assert_eq!((count("BAD_PASSWORD"), count("OK")), (PER_PAIR as usize, 1));
    // Seventeen refusals, one audit row: a flood of refused guesses does not grow the log.
    assert_eq!(count("THROTTLED"), 1, "{outcomes:?}");
    // Not guessed at from many addresses: the helpdesk sees one address, and no alert.
    let now = thaiid_server::now();
    let seen = throttle::guessing(&db.pool, demo::USERNAME, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((seen.failures, seen.addresses, seen.delayed), (5, 1, false));
}

async fn many_addresses_are_delayed_and_alerted_while_the_owner_gets_in(db: TestDb) {
    let first = browser(&db).await;
    let guessers: Vec<String> = (1..=30).map(|n| format!("203.0.113.{n}")).collect();
    for address in &guessers {
        let page = at(&first, address).password("not-the-password").await;
        // Every new address gets its first try, however guessed at the account is.
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{address}");
    }
    // An address that failed must now wait before its next try: told how long.
    let mut again = at(&first, &guessers[0]);
    let delayed = again.password("not-the-password").await;
    assert_eq!(delayed.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(delayed.body.contains("กรุณารอ"), "{}", delayed.body);
    assert!(!delayed.body.contains("15 นาที"), "a delay, not the window");
    let retry_after: i64 = delayed.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after > 0 && retry_after < throttle::WINDOW_SECS,
        "{retry_after}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["audit", "--alerts"]);
    assert_eq!(code, Some(0), "{err}");
    let wanted = format!(
        "ACCOUNT_GUESSED\tuser {}\tguessed at from {} addresses",
        demo::USERNAME,
        throttle::GUESSED_AFTER
    );
    assert!(out.contains(&wanted), "{out}");
    assert_eq!(out.matches("ACCOUNT_GUESSED").count(), 1, "once: {out}");
    assert!(!out.contains(demo::CITIZEN_ID), "{out}");

    // The owner, from an address of their own, logs in with password and OTP.
    let mut owner = at(&first, "198.51.100.20");
    owner_logs_in(&mut owner).await;
    // The card logs in, from a guessing address too.
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    for address in ["203.0.113.1", "198.51.100.21"] {
        let mut card_user = at(&first, address);
        let page = card_user.card_login(&agent, &demo_card()).await.unwrap();
        assert_eq!(page.location, "/systems", "{address}");
    }
    let now = thaiid_server::now();
    let seen = throttle::guessing(&db.pool, demo::USERNAME, now)
        .await
        .unwrap()
        .unwrap();
    assert!(seen.delayed && seen.addresses >= 30, "{seen:?}");
}

async fn a_delay_is_never_a_lockout(db: TestDb) {
    let now = thaiid_server::now();
    for n in 0..throttle::GUESSED_AFTER {
        let guess = Guess::new("somchai", ip(&format!("192.0.2.{n}")));
        let attempt = throttle::attempt(&db.pool, &guess, now).await.unwrap();
        let began = matches!(
            attempt,
            Attempt::Check {
                guessed_from: Some(_)
            }
        );
        assert_eq!(began, n + 1 == throttle::GUESSED_AFTER, "{n}: {attempt:?}");
    }
    // A new address: its first try at once; each next one after a wait, never the window.
    let owner = Guess::new("somchai", ip("198.51.100.20"));
    let mut at_time = now;
    for n in 0..PER_PAIR_GUESSED {
        let attempt = throttle::attempt(&db.pool, &owner, at_time).await.unwrap();
        assert_eq!(attempt, Attempt::Check { guessed_from: None }, "{n}");
        let refused = throttle::attempt(&db.pool, &owner, at_time).await.unwrap();
        let Attempt::Refused { retry_after, .. } = refused else {
            panic!("{n}: {refused:?}");
        };
        assert!(
            retry_after <= throttle::MAX_DELAY_STEP_SECS * (n + 1),
            "{n}"
        );
        at_time += retry_after;
    }
    // The helpdesk clears it: the address tries again at once.
    assert!(throttle::clear_account(&db.pool, "somchai").await.unwrap());
    let attempt = throttle::attempt(&db.pool, &owner, at_time).await.unwrap();
    assert!(matches!(attempt, Attempt::Check { .. }), "{attempt:?}");
}

async fn an_ipv6_64_is_one_address(db: TestDb) {
    let first = browser(&db).await;
    for n in 0..PER_PAIR {
        let address = format!("2001:db8:1:2::{:x}", n + 1);
        let page = at(&first, &address).password("not-the-password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{address}");
    }
    let rotated = at(&first, "2001:db8:1:2:ffff::9")
        .password("not-the-password")
        .await;
    assert_eq!(rotated.status, StatusCode::TOO_MANY_REQUESTS);
    // The next /64 is another address.
    let mut neighbour = at(&first, "2001:db8:1:3::1");
    owner_logs_in(&mut neighbour).await;
}
