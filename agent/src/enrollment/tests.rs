use super::*;

#[test]
fn counter_survives_reopening_and_only_grows() {
    let dir = tempfile::tempdir().unwrap();
    let mut counter = Counter::open(dir.path()).unwrap();
    assert_eq!(counter.advance().unwrap(), 1);
    assert_eq!(counter.advance().unwrap(), 2);
    let mut reopened = Counter::open(dir.path()).unwrap();
    assert_eq!(reopened.advance().unwrap(), 3);
    std::fs::write(dir.path().join("counter"), "garbage").unwrap();
    assert!(matches!(
        Counter::open(dir.path()),
        Err(EnrollError::Damaged { .. })
    ));
}

#[test]
fn stored_identity_loads_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state");
    assert!(load(&data).unwrap().is_none());
    let enrollment = Enrollment {
        agent_id: "agent-1".into(),
        server_url: "https://sso.example".into(),
    };
    crate::fs::private_dir(&data).unwrap();
    let key = WorkstationKey::generate(&data, true).unwrap();
    store(&data, &enrollment).unwrap();
    let identity = load(&data).unwrap().unwrap();
    assert_eq!(identity.enrollment, enrollment);
    assert_eq!(
        identity.key.public_jwk().unwrap(),
        key.public_jwk().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |name: &str| {
            std::fs::metadata(data.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("agent.key"), 0o600);
        assert_eq!(mode("enrollment.json"), 0o600);
        assert_eq!(
            std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

#[test]
fn a_damaged_key_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let enrollment = Enrollment {
        agent_id: "agent-1".into(),
        server_url: "https://sso.example".into(),
    };
    key_store::save(
        dir.path(),
        &key_store::Stored::UserFile(b"not a key".to_vec()),
    )
    .unwrap();
    store(dir.path(), &enrollment).unwrap();
    let err = load(dir.path()).err().unwrap();
    assert!(err.to_string().contains("enroll again"), "{err}");
}

#[tokio::test]
async fn enroll_refuses_plain_http_to_another_host_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let err = enroll(dir.path(), "http://sso.example", "t")
        .await
        .unwrap_err();
    assert!(matches!(err, EnrollError::BadServerUrl(_)), "{err}");
    let err = enroll(dir.path(), "http://127.0.0.1:9", "t")
        .await
        .unwrap_err();
    assert!(matches!(err, EnrollError::Unreachable { .. }), "{err}");
    assert!(load(dir.path()).unwrap().is_none());
}

#[test]
fn two_processes_never_take_the_same_counter_value() {
    // `serve` and `doctor` each open the counter; neither may reuse the other's value.
    let dir = tempfile::tempdir().unwrap();
    Counter::reset(dir.path()).unwrap();
    let takers: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut counter = Counter::open(&dir).unwrap();
                (0..50)
                    .map(|_| counter.advance().unwrap())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut values: Vec<u64> = takers
        .into_iter()
        .flat_map(|taker| taker.join().unwrap())
        .collect();
    values.sort_unstable();
    assert_eq!(values, (1..=200).collect::<Vec<u64>>());
}
