//! Registered cards (SPEC §7) on SQLite and PostgreSQL: a card login must present the
//! account's registered serial and laser ID; IT registers, replaces (the old card is then
//! blocked) and blocks cards; a rogue agent that knows everything on the front of someone's
//! card is refused and audited; `audit --alerts` finds each kind of alert.

use thaiid_server::on_both_databases;
mod support;

use support::{TestAgent, TestCard, TestDb};
use thaiid_server::alerts::{self, Alert, Thresholds};
use thaiid_server::audit::{self, Method};
use thaiid_server::card_key::CardKey;
use thaiid_server::cards::{self, CardError};
use thaiid_server::{card_login, challenges, db, tickets, users};

const SITE: &str = "https://sso.example.go.th";
const SOMCHAI_CID: &str = "1103700123458";
const MALEE_CID: &str = "1101700203450";
const SERIAL_1: &str = "13020112345678";
const SERIAL_2: &str = "13020187654321";
const LASER_1: &str = "JT0-1234567-89";

on_both_databases!(
    a_login_must_present_the_registered_card,
    replacing_and_blocking_a_card,
    it_gets_clear_errors_and_audit_rows_are_masked,
    a_rogue_agent_knowing_the_front_of_a_card_is_refused,
    alerts_list_each_kind,
    the_command_line_registers_and_blocks,
);

struct World {
    _db: TestDb,
    pool: db::Pool,
    key: CardKey,
    verifier: card_login::Verifier,
    agent: TestAgent,
}

async fn world(db: TestDb) -> World {
    let pool = db.pool.clone();
    let now = thaiid_server::now();
    users::add(&pool, "somchai.t", "สมชาย ทดสอบ", Some(SOMCHAI_CID), now)
        .await
        .unwrap();
    users::add(&pool, "malee.s", "มาลี สุขใจ", Some(MALEE_CID), now)
        .await
        .unwrap();
    let agent = TestAgent::enroll(&pool, "ws-1").await;
    let key = CardKey::generate();
    World {
        _db: db,
        verifier: card_login::Verifier::new(pool.clone(), key.clone()),
        pool,
        key,
        agent,
    }
}

fn card(citizen_id: &str, serial: &str, laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: citizen_id.into(),
        serial: serial.into(),
        laser,
    }
}

impl World {
    /// A card login by `agent` with `card`: the ticket's account, or the reason code.
    async fn login_by(&self, agent: &TestAgent, card: &TestCard) -> Result<String, &'static str> {
        let now = thaiid_server::now();
        let nonce = challenges::issue(&self.pool, SITE, "session-1", now)
            .await
            .unwrap();
        let token = agent.assert(SITE, &nonce, card);
        let ticket = card_login::verify(&self.verifier, &token, SITE, now, None)
            .await
            .map_err(|error| error.code().as_str())?;
        tickets::redeem(
            &self.pool,
            &ticket.ticket,
            "session-1",
            challenges::Purpose::Login,
            now,
        )
        .await
        .unwrap()
        .map(|redeemed| redeemed.username)
        .map_err(|refusal| refusal.code().as_str())
    }

    async fn login(&self, card: &TestCard) -> Result<String, &'static str> {
        self.login_by(&self.agent, card).await
    }

    async fn register(
        &self,
        user: &str,
        serial: &str,
        laser: Option<&str>,
    ) -> Result<Option<String>, CardError> {
        cards::register_by_it(
            &self.pool,
            &self.key,
            user,
            serial,
            cards::LaserEntry::as_read(laser),
            thaiid_server::now(),
        )
        .await
    }

    async fn rows(&self) -> Vec<audit::Logged> {
        audit::since(&self.pool, 0).await.unwrap()
    }
}

async fn a_login_must_present_the_registered_card(db: TestDb) {
    let w = world(db).await;
    let right = card(SOMCHAI_CID, SERIAL_1, Some(LASER_1));
    assert_eq!(
        w.login(&right).await,
        Err("CARD_NOT_REGISTERED"),
        "no card registered"
    );
    // NOT_LINKED still comes first for a citizen ID of no account.
    let stranger = card("3101700203464", SERIAL_1, None);
    assert_eq!(w.login(&stranger).await, Err("NOT_LINKED"));

    assert_eq!(
        w.register("somchai.t", SERIAL_1, Some(LASER_1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(w.login(&right).await.as_deref(), Ok("somchai.t"));
    // As the chip may answer it: no dashes, lower case typed at the helpdesk is the same.
    let lower = card(SOMCHAI_CID, SERIAL_1, Some("jt0-1234567-89"));
    assert_eq!(w.login(&lower).await.as_deref(), Ok("somchai.t"));
    let undashed = card(SOMCHAI_CID, SERIAL_1, Some("JT0123456789"));
    assert_eq!(w.login(&undashed).await.as_deref(), Ok("somchai.t"));
    // The laser ID is registered: a card that does not give it, or gives another, is not
    // the registered card.
    let no_laser = card(SOMCHAI_CID, SERIAL_1, None);
    assert_eq!(w.login(&no_laser).await, Err("CARD_NOT_REGISTERED"));
    let other_laser = card(SOMCHAI_CID, SERIAL_1, Some("JT0-1234567-88"));
    assert_eq!(w.login(&other_laser).await, Err("CARD_NOT_REGISTERED"));
    let other_serial = card(SOMCHAI_CID, SERIAL_2, Some(LASER_1));
    assert_eq!(w.login(&other_serial).await, Err("CARD_NOT_REGISTERED"));

    // Registered without a laser ID: the serial alone decides, whatever the chip says.
    w.register("malee.s", SERIAL_2, None).await.unwrap();
    for laser in [None, Some("ME1-0000000-00")] {
        let malee = card(MALEE_CID, SERIAL_2, laser);
        assert_eq!(w.login(&malee).await.as_deref(), Ok("malee.s"));
    }
    // Another account's registered card is not this account's.
    let swapped = card(SOMCHAI_CID, SERIAL_2, None);
    assert_eq!(w.login(&swapped).await, Err("CARD_NOT_REGISTERED"));
}

async fn replacing_and_blocking_a_card(db: TestDb) {
    let w = world(db).await;
    w.register("somchai.t", SERIAL_1, Some(LASER_1))
        .await
        .unwrap();
    let old = card(SOMCHAI_CID, SERIAL_1, Some(LASER_1));
    let new = card(SOMCHAI_CID, SERIAL_2, None);
    assert!(w.login(&old).await.is_ok());

    // The new card replaces the old one, which is blocked from now on.
    let replaced = w.register("somchai.t", SERIAL_2, None).await.unwrap();
    assert_eq!(replaced.as_deref(), Some("xxxxxxxxxx5678"));
    assert_eq!(w.login(&old).await, Err("CARD_BLOCKED"));
    assert_eq!(w.login(&new).await.as_deref(), Ok("somchai.t"));
    let registered = cards::registered(&w.pool, "somchai.t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (registered.serial_masked.as_str(), registered.laser),
        ("xxxxxxxxxx4321", false)
    );
    // Registering the same card again blocks nothing.
    assert_eq!(w.register("somchai.t", SERIAL_2, None).await.unwrap(), None);
    assert_eq!(w.login(&new).await.as_deref(), Ok("somchai.t"));

    // --block: no card logs in, the blocked one is named as blocked.
    let now = thaiid_server::now();
    assert_eq!(
        cards::block(&w.pool, "somchai.t", audit::CLI, now)
            .await
            .unwrap(),
        "xxxxxxxxxx4321"
    );
    assert_eq!(w.login(&new).await, Err("CARD_BLOCKED"));
    assert_eq!(w.login(&old).await, Err("CARD_BLOCKED"));
    assert!(cards::registered(&w.pool, "somchai.t")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        cards::block(&w.pool, "somchai.t", audit::CLI, now).await,
        Err(CardError::NoCard(_))
    ));
    // The old card found again and registered by IT works again; the other stays blocked.
    w.register("somchai.t", SERIAL_1, Some(LASER_1))
        .await
        .unwrap();
    assert_eq!(w.login(&old).await.as_deref(), Ok("somchai.t"));
    assert_eq!(w.login(&new).await, Err("CARD_BLOCKED"));
    // Blocked for this account only.
    w.register("malee.s", SERIAL_2, None).await.unwrap();
    let malee = card(MALEE_CID, SERIAL_2, None);
    assert_eq!(w.login(&malee).await.as_deref(), Ok("malee.s"));
}

async fn it_gets_clear_errors_and_audit_rows_are_masked(db: TestDb) {
    let w = world(db).await;
    for serial in ["1302011234567", "1302011234567x", ""] {
        let error = w.register("somchai.t", serial, None).await.unwrap_err();
        assert!(matches!(error, CardError::Serial(_)), "{error}");
        assert!(error.to_string().contains("14 digits"), "{error}");
    }
    let error = w
        .register("somchai.t", SERIAL_1, Some("JT0 1234567"))
        .await
        .unwrap_err();
    assert!(matches!(error, CardError::Laser(_)), "{error}");
    assert!(error.to_string().contains("laser ID"), "{error}");
    let error = w.register("nobody", SERIAL_1, None).await.unwrap_err();
    assert_eq!(error.to_string(), "no user \"nobody\"");
    assert!(cards::registered(&w.pool, "somchai.t")
        .await
        .unwrap()
        .is_none());

    w.register("somchai.t", SERIAL_1, Some(LASER_1))
        .await
        .unwrap();
    w.register("somchai.t", SERIAL_2, None).await.unwrap();
    cards::block(&w.pool, "somchai.t", audit::CLI, thaiid_server::now())
        .await
        .unwrap();
    let _ = w.login(&card(SOMCHAI_CID, SERIAL_1, Some(LASER_1))).await;
    let rows = w.rows().await;
    let seen: Vec<(Method, &str, Option<&str>)> = rows
        .iter()
        .map(|row| {
            (
                row.entry.method,
                row.entry.outcome.as_str(),
                row.entry.card.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Method::Register, "OK", Some("xxxxxxxxxx5678")),
            (Method::Block, "REPLACED", Some("xxxxxxxxxx5678")),
            (Method::Register, "OK", Some("xxxxxxxxxx4321")),
            (Method::Block, "OK", Some("xxxxxxxxxx4321")),
            (Method::Card, "CARD_BLOCKED", Some("xxxxxxxxxx5678")),
        ]
    );
    assert_no_secrets(&w.pool).await;
}

/// Nothing in the database holds a full serial, a laser ID (with or without its dashes) or
/// a full citizen ID, except the citizen ID the account is linked by.
async fn assert_no_secrets(pool: &db::Pool) {
    for (table, columns) in [
        (
            "audit_log",
            "COALESCE(outcome, '') || ' ' || COALESCE(username, '') || ' ' || \
             COALESCE(citizen_id, '') || ' ' || COALESCE(agent_id, '') || ' ' || \
             COALESCE(card, '') || ' ' || COALESCE(card_ref, '')",
        ),
        (
            "users",
            "COALESCE(card_serial_hash, '') || ' ' || COALESCE(card_laser_hash, '') || ' ' || \
             COALESCE(card_serial_masked, '')",
        ),
        ("blocked_cards", "serial_hash || ' ' || serial_masked"),
    ] {
        let texts: Vec<String> = sqlx::query_scalar(&format!("SELECT {columns} FROM {table}"))
            .fetch_all(pool)
            .await
            .unwrap();
        for text in texts {
            for secret in [
                SERIAL_1,
                SERIAL_2,
                LASER_1,
                "JT0123456789",
                SOMCHAI_CID,
                MALEE_CID,
            ] {
                assert!(!text.contains(secret), "{table}: {text}");
            }
        }
    }
}

async fn a_rogue_agent_knowing_the_front_of_a_card_is_refused(db: TestDb) {
    let w = world(db).await;
    w.register("malee.s", SERIAL_2, Some("ME1-7654321-00"))
        .await
        .unwrap();
    // A workstation whose key is valid (enrolled with a stolen token, or one someone has
    // admin on) makes up claims: malee's citizen ID and serial, both printed on the front
    // of her card and on every photocopy, and a guessed laser ID.
    let rogue = TestAgent::enroll(&w.pool, "ws-rogue").await;
    for laser in [Some("ME1-0000000-00"), Some("JT0-1234567-89"), None] {
        let forged = card(MALEE_CID, SERIAL_2, laser);
        assert_eq!(
            w.login_by(&rogue, &forged).await,
            Err("CARD_NOT_REGISTERED")
        );
    }
    // Her own card, read by an honest agent, logs in.
    let real = card(MALEE_CID, SERIAL_2, Some("ME1-7654321-00"));
    assert_eq!(w.login(&real).await.as_deref(), Ok("malee.s"));

    let refused: Vec<audit::Logged> = w
        .rows()
        .await
        .into_iter()
        .filter(|row| row.entry.method == Method::Card && row.entry.outcome != "OK")
        .collect();
    assert_eq!(refused.len(), 3);
    for row in &refused {
        let e = &row.entry;
        assert_eq!(e.outcome, "CARD_NOT_REGISTERED");
        assert_eq!(e.username.as_deref(), Some("malee.s"));
        assert_eq!(e.agent_id.as_deref(), Some(rogue.id.as_str()));
        assert_eq!(e.citizen_id.as_deref(), Some("1-1017-xxxxx-xx-0"));
        assert_eq!(e.card.as_deref(), Some("xxxxxxxxxx4321"));
    }
    assert_no_secrets(&w.pool).await;
}

async fn alerts_list_each_kind(db: TestDb) {
    let w = world(db).await;
    w.register("somchai.t", SERIAL_1, None).await.unwrap();
    let somchai = card(SOMCHAI_CID, SERIAL_1, None);
    // One card on four workstations within the hour.
    let mut agents = Vec::new();
    for n in 0..4 {
        let agent = TestAgent::enroll(&w.pool, &format!("ws-{n}")).await;
        assert!(w.login_by(&agent, &somchai).await.is_ok());
        agents.push(agent);
    }
    // A replaced card tried.
    w.register("somchai.t", SERIAL_2, None).await.unwrap();
    assert_eq!(w.login_by(&agents[0], &somchai).await, Err("CARD_BLOCKED"));
    // A workstation trying card after card.
    let guesser = TestAgent::enroll(&w.pool, "ws-guess").await;
    for n in 0..11 {
        let guess = card(MALEE_CID, &format!("130201000000{n:02}"), None);
        assert_eq!(
            w.login_by(&guesser, &guess).await,
            Err("CARD_NOT_REGISTERED")
        );
    }
    let rows = w.rows().await;
    let found = alerts::find(&rows, Thresholds::default());
    let many = found
        .iter()
        .find_map(|alert| match alert {
            Alert::ManyWorkstations {
                card,
                workstations,
                citizen_id,
                ..
            } => Some((card.as_str(), *workstations, citizen_id.as_deref())),
            _ => None,
        })
        .expect("the card on four workstations");
    assert_eq!(many, ("xxxxxxxxxx5678", 4, Some("1-1037-xxxxx-xx-8")));
    let blocked: Vec<_> = found
        .iter()
        .filter(|alert| matches!(alert, Alert::BlockedCardTried { .. }))
        .collect();
    assert_eq!(blocked.len(), 1, "{found:?}");
    assert!(blocked[0]
        .line()
        .contains("BLOCKED_CARD_TRIED\tcard xxxxxxxxxx5678\tsomchai.t"));
    let refusals: Vec<_> = found
        .iter()
        .filter_map(|alert| match alert {
            Alert::ManyRefusals {
                agent_id, refusals, ..
            } => Some((agent_id.as_str(), *refusals)),
            _ => None,
        })
        .collect();
    assert_eq!(refusals, [(guesser.id.as_str(), 11)]);
    assert_eq!(found.len(), 3, "{found:?}");
    // Higher thresholds: only the blocked card.
    let lenient = Thresholds {
        workstations: 4,
        refusals: 11,
    };
    assert_eq!(alerts::find(&rows, lenient).len(), 1);
}

/// `thaiid-server user card` and `audit --alerts` as IT runs them.
async fn the_command_line_registers_and_blocks(db: TestDb) {
    let w = world(db).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("card.key");
    let url = w._db.url.clone();
    let run = |args: &[&str]| support::admin(&url, dir.path(), args);
    let (code, out, _) = run(&[
        "user",
        "card",
        "somchai.t",
        "--serial",
        SERIAL_1,
        "--laser-id",
        LASER_1,
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "somchai.t: card xxxxxxxxxx5678 registered with its laser ID\n"
    );
    let (code, out, _) = run(&[
        "user",
        "card",
        "somchai.t",
        "--serial",
        SERIAL_2,
        "--no-laser-applet",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.ends_with("somchai.t: the old card xxxxxxxxxx5678 is blocked\n"),
        "{out}"
    );
    let (code, out, _) = run(&["user", "card", "somchai.t", "--block"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("card xxxxxxxxxx4321 blocked"), "{out}");
    let (code, _, err) = run(&["user", "card", "somchai.t", "--block"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("has no registered card to block"), "{err}");
    let (code, _, err) = run(&[
        "user",
        "card",
        "somchai.t",
        "--serial",
        "12345",
        "--no-laser-applet",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("14 digits"), "{err}");
    let (code, _, err) = run(&[
        "user",
        "card",
        "somchai.t",
        "--serial",
        SERIAL_1,
        "--laser-id",
        "JT0/1",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("laser ID"), "{err}");
    let (code, _, _) = run(&["user", "card", "somchai.t"]);
    assert_eq!(code, Some(2), "--serial or --block");
    let (code, _, _) = run(&["user", "card", "somchai.t", "--serial", SERIAL_1, "--block"]);
    assert_eq!(code, Some(2), "not both");

    // The key file made by the command is the one the server hashes with.
    let key = CardKey::load_or_create(&key_file).unwrap();
    let w = World {
        verifier: card_login::Verifier::new(w.pool.clone(), key.clone()),
        key,
        ..w
    };
    run(&[
        "user",
        "card",
        "somchai.t",
        "--serial",
        SERIAL_1,
        "--no-laser-applet",
    ]);
    assert!(w.login(&card(SOMCHAI_CID, SERIAL_1, None)).await.is_ok());
    assert_eq!(
        w.login(&card(SOMCHAI_CID, SERIAL_2, None)).await,
        Err("CARD_BLOCKED")
    );

    // An agent id with a terminal escape in the audit log is printed escaped.
    let mut entry = audit::Entry::new(Method::Card);
    entry.outcome = "CARD_BLOCKED".into();
    entry.agent_id = Some("evil\u{1b}]0;pwned\u{7}".into());
    entry.card = Some("xxxxxxxxxx4321".into());
    audit::record(&w.pool, &entry, thaiid_server::now())
        .await
        .unwrap();
    let (code, out, _) = run(&["audit", "--alerts", "--since", "1h"]);
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|line| line.contains("BLOCKED_CARD_TRIED")));
    assert!(out.contains("agent evil\\u{1b}]0;pwned\\u{7}"), "{out}");
    assert!(!out.contains('\u{1b}'));
    let (_, listed, _) = run(&["audit", "--limit", "3"]);
    assert!(listed.contains("evil\\u{1b}"), "{listed}");
    assert!(!listed.contains('\u{1b}'));
    let (code, _, _) = run(&["audit", "--since", "1h"]);
    assert_eq!(code, Some(2), "--since belongs to --alerts");
}

/// The demo account is seeded with the demo card the virtual card emulates.
#[test]
fn the_demo_account_registers_the_demo_fixture() {
    let fixture = include_str!("../../fixtures/cards/demo.toml");
    let value = |key: &str| {
        fixture
            .lines()
            .find_map(|line| {
                line.strip_prefix(key)?
                    .trim()
                    .strip_prefix('=')?
                    .trim()
                    .strip_prefix('"')?
                    .strip_suffix('"')
            })
            .map(str::to_owned)
    };
    assert_eq!(
        value("card_serial").as_deref(),
        Some(thaiid_server::demo::CARD_SERIAL)
    );
    assert_eq!(value("laser_id").as_deref(), thaiid_server::demo::LASER_ID);
    assert_eq!(
        value("citizen_id").as_deref(),
        Some(thaiid_server::demo::CITIZEN_ID)
    );
}
