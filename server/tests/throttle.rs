//! Guesses are counted before they are checked: guesses sent in parallel get no more tries
//! than guesses sent one by one, on one server or several on one database.

use thaiid_server::throttle::{self, Key, PER_ACCOUNT, PER_ADDRESS};

use thaiid_server::on_both_databases;
mod support;
use support::TestDb;

on_both_databases!(
    parallel_guesses_get_the_limit_and_no_more,
    a_success_gives_its_try_back
);

async fn parallel_guesses_get_the_limit_and_no_more(db: TestDb) {
    let now = thaiid_server::now();
    let guesses = (0..4 * PER_ACCOUNT).map(|n| {
        let pool = db.pool.clone();
        let address = format!("192.0.2.{n}");
        tokio::spawn(async move {
            let keys = [Key::Account("somchai"), Key::Address(&address)];
            throttle::attempt(&pool, &keys, now).await.unwrap()
        })
    });
    let mut allowed = 0;
    for guess in guesses.collect::<Vec<_>>() {
        allowed += i64::from(guess.await.unwrap());
    }
    assert_eq!(allowed, PER_ACCOUNT);
    // Another account is not locked out by them.
    assert!(throttle::attempt(&db.pool, &[Key::Account("malee")], now)
        .await
        .unwrap());
}

async fn a_success_gives_its_try_back(db: TestDb) {
    let now = thaiid_server::now();
    let office = Key::Address("198.51.100.7");
    // Many people behind one address log in, each right the first time.
    for n in 0..2 * PER_ADDRESS {
        let name = format!("clerk{n}");
        let keys = [Key::Account(&name), office.clone()];
        assert!(
            throttle::attempt(&db.pool, &keys, now).await.unwrap(),
            "{n}"
        );
        throttle::refund(&db.pool, &keys).await.unwrap();
    }
    // An account's failures stay counted across a right password: knowing the password
    // gives no more guesses at the OTP.
    let keys = [Key::Account("somchai")];
    for _ in 0..PER_ACCOUNT - 1 {
        assert!(throttle::attempt(&db.pool, &keys, now).await.unwrap());
    }
    assert!(throttle::attempt(&db.pool, &keys, now).await.unwrap());
    throttle::refund(&db.pool, &keys).await.unwrap();
    assert!(throttle::attempt(&db.pool, &keys, now).await.unwrap());
    assert!(!throttle::attempt(&db.pool, &keys, now).await.unwrap());
}
