use super::*;
use std::collections::HashMap;

fn load(file: Option<&str>, env: &[(&str, &str)], flags: Overrides) -> Result<Config, ConfigError> {
    load_on_machine(None, file, env, flags)
}

/// As the machine service loads it: the machine's file, no user's file.
fn load_for_service(
    machine: &str,
    env: &[(&str, &str)],
    flags: Overrides,
) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let machine_path = dir.path().join("machine.toml");
    std::fs::write(&machine_path, machine).unwrap();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sources = Sources {
        machine: &machine_path,
        registry: None,
        user: None,
        machine_service: true,
    };
    Config::load(&sources, |key| env.get(key).cloned(), &flags)
}

/// With the machine's file `machine` (written by the installer) under the user's `file`.
fn load_on_machine(
    machine: Option<&str>,
    file: Option<&str>,
    env: &[(&str, &str)],
    flags: Overrides,
) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let machine_path = dir.path().join("machine.toml");
    let path = dir.path().join("config.toml");
    for (path, text) in [(&machine_path, machine), (&path, file)] {
        if let Some(text) = text {
            std::fs::write(path, text).unwrap();
        }
    }
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sources = Sources {
        machine: &machine_path,
        registry: None,
        user: Some(&path),
        machine_service: false,
    };
    Config::load(&sources, |key| env.get(key).cloned(), &flags)
}

#[test]
fn defaults_without_a_file() {
    let config = load(None, &[], Overrides::default()).unwrap();
    assert_eq!(
        config,
        Config {
            server_url: None,
            allowed_origins: vec![],
            port: 47113,
            reader: None,
            enroll_token: None,
            insertion_window: std::time::Duration::from_secs(120),
            any_local_user: false,
        }
    );
}

#[test]
fn any_local_user_is_a_machine_key_and_a_variable() {
    let on = load_on_machine(
        Some("any_local_user = true"),
        None,
        &[],
        Overrides::default(),
    );
    assert!(on.unwrap().any_local_user);
    let env = [("THAIID_ANY_LOCAL_USER", "false")];
    let off = load_on_machine(
        Some("any_local_user = true"),
        None,
        &env,
        Overrides::default(),
    );
    assert!(!off.unwrap().any_local_user);
    let error = load(
        None,
        &[("THAIID_ANY_LOCAL_USER", "yes")],
        Overrides::default(),
    );
    let error = error.unwrap_err();
    assert_eq!(error.origin, "THAIID_ANY_LOCAL_USER");
    assert!(error.problem.contains("true or false"), "{error}");
}

#[test]
fn the_machine_service_refuses_origins_of_this_machine_and_names_them() {
    let file = r#"allowed_origins = ["https://sso.example.go.th", "http://localhost:8080"]"#;
    // A developer's own agent may allow it...
    let user = load(Some(file), &[], Overrides::default()).unwrap();
    assert_eq!(user.allowed_origins[1], "http://localhost:8080");
    // ...the machine service may not, from its file, the environment or a flag.
    let error = load_for_service(file, &[], Overrides::default()).unwrap_err();
    assert!(error.origin.ends_with("machine.toml"), "{error}");
    assert!(
        error.problem.contains("\"http://localhost:8080\""),
        "{error}"
    );
    let env = [("THAIID_ALLOWED_ORIGINS", "https://127.0.0.1:8443")];
    let error = load_for_service("", &env, Overrides::default()).unwrap_err();
    assert_eq!(error.origin, "THAIID_ALLOWED_ORIGINS");
    assert!(error.problem.contains("loopback"), "{error}");
    let flags = Overrides {
        allowed_origins: Some(vec!["https://[::1]:9443".into()]),
        ..Overrides::default()
    };
    let error = load_for_service("", &[], flags).unwrap_err();
    assert_eq!(error.origin, "--allowed-origin");
    let good = load_for_service(
        r#"allowed_origins = ["https://sso.example.go.th"]"#,
        &[],
        Overrides::default(),
    );
    assert_eq!(good.unwrap().allowed_origins, ["https://sso.example.go.th"]);
}

#[test]
fn the_insertion_window_is_minutes_within_bounds() {
    let config = load(
        Some("insertion_window_minutes = 0.5"),
        &[],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(config.insertion_window, std::time::Duration::from_secs(30));
    for bad in ["0", "-1", "31", "nan"] {
        let error = load(
            Some(&format!("insertion_window_minutes = {bad}")),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(error.problem.contains("minutes"), "{bad}: {error}");
    }
}

#[test]
fn the_machine_file_is_under_the_users() {
    let machine = r#"
        server_url = "https://sso.example.go.th"
        allowed_origins = ["https://sso.example.go.th"]
        enroll_token = " deployment-token "
    "#;
    let config = load_on_machine(Some(machine), None, &[], Overrides::default()).unwrap();
    assert_eq!(
        config.server_url.as_deref(),
        Some("https://sso.example.go.th")
    );
    assert_eq!(config.allowed_origins, ["https://sso.example.go.th"]);
    assert_eq!(
        config.enroll_token,
        Some(EnrollToken("deployment-token".into()))
    );
    assert_eq!(format!("{:?}", config.enroll_token), "Some(EnrollToken(…))");

    let user = r#"allowed_origins = ["https://test.sso.example.go.th"]"#;
    let config = load_on_machine(Some(machine), Some(user), &[], Overrides::default()).unwrap();
    assert_eq!(
        config.server_url.as_deref(),
        Some("https://sso.example.go.th")
    );
    assert_eq!(config.allowed_origins, ["https://test.sso.example.go.th"]);

    let empty_token = "enroll_token = \"\"";
    let config = load_on_machine(Some(empty_token), None, &[], Overrides::default()).unwrap();
    assert_eq!(config.enroll_token, None);
}

#[test]
fn a_bad_machine_value_names_the_machine_file() {
    let err = load_on_machine(
        Some("server_url = \"http://sso.example\""),
        Some("port = 47200"),
        &[],
        Overrides::default(),
    )
    .unwrap_err();
    assert!(err.origin.ends_with("machine.toml"), "{err}");
    assert!(err.problem.contains("must use https"), "{err}");
    let err = load_on_machine(
        None,
        None,
        &[("THAIID_MACHINE_CONFIG", "x")],
        Overrides::default(),
    )
    .unwrap_err();
    assert!(err.origin.ends_with("machine.toml"), "{err}");
    assert!(err.problem.contains("cannot read it"), "{err}");
}

#[test]
fn file_then_environment_then_flags() {
    let file = r#"
        server_url = "https://sso.example.go.th/"
        allowed_origins = ["https://sso.example.go.th", "https://SSO2.example.go.th:8443"]
        port = 47200
        reader = "ACS ACR39U"
    "#;
    let config = load(Some(file), &[], Overrides::default()).unwrap();
    assert_eq!(
        config.server_url.as_deref(),
        Some("https://sso.example.go.th")
    );
    assert_eq!(
        config.allowed_origins,
        [
            "https://sso.example.go.th",
            "https://sso2.example.go.th:8443"
        ]
    );
    assert_eq!(config.port, 47200);
    assert_eq!(config.reader.as_deref(), Some("ACS ACR39U"));

    let env = [
        ("THAIID_SERVER_URL", "https://other.example"),
        (
            "THAIID_ALLOWED_ORIGINS",
            "https://a.example, https://b.example",
        ),
        ("THAIID_PORT", "47300"),
    ];
    let config = load(Some(file), &env, Overrides::default()).unwrap();
    assert_eq!(config.server_url.as_deref(), Some("https://other.example"));
    assert_eq!(
        config.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(config.port, 47300);

    let flags = Overrides {
        port: Some(47400),
        server_url: Some("http://127.0.0.1:8080".into()),
        ..Overrides::default()
    };
    let config = load(Some(file), &env, flags).unwrap();
    assert_eq!(config.port, 47400);
    assert_eq!(config.server_url.as_deref(), Some("http://127.0.0.1:8080"));
}

#[test]
fn every_bad_value_says_where_and_what() {
    for (file, env, origin, says) in [
        (Some("port = \"x\""), vec![], "config.toml", "invalid type"),
        (Some("colour = 1"), vec![], "config.toml", "unknown field"),
        (
            Some("server_url = \"http://sso.example\""),
            vec![],
            "config.toml",
            "must use https",
        ),
        (
            Some("server_url = \"ftp://sso.example\""),
            vec![],
            "config.toml",
            "must be an https URL",
        ),
        (
            Some("server_url = \"https://sso.example/?a=1\""),
            vec![],
            "config.toml",
            "without query",
        ),
        (
            None,
            vec![("THAIID_SERVER_URL", "not a url")],
            "THAIID_SERVER_URL",
            "is not a URL",
        ),
        (
            None,
            vec![("THAIID_ALLOWED_ORIGINS", "https://sso.example/login")],
            "THAIID_ALLOWED_ORIGINS",
            "an origin has no path; write https://sso.example",
        ),
        (
            None,
            vec![("THAIID_ALLOWED_ORIGINS", "*")],
            "THAIID_ALLOWED_ORIGINS",
            "is not an origin",
        ),
        (
            None,
            vec![("THAIID_ALLOWED_ORIGINS", "null")],
            "THAIID_ALLOWED_ORIGINS",
            "is not an origin",
        ),
        (
            None,
            vec![("THAIID_ALLOWED_ORIGINS", "http://sso.example")],
            "THAIID_ALLOWED_ORIGINS",
            "must use https",
        ),
        (
            None,
            vec![("THAIID_PORT", "70000")],
            "THAIID_PORT",
            "is not a port number",
        ),
        (Some("port = 0"), vec![], "port", "0 is not a port number"),
    ] {
        let err = load(file, &env, Overrides::default()).unwrap_err();
        assert!(err.origin.ends_with(origin), "{err}");
        assert!(err.problem.contains(says), "{err}");
    }
}

#[test]
fn a_named_config_file_must_exist() {
    let err = load(None, &[("THAIID_CONFIG", "set")], Overrides::default()).unwrap_err();
    assert!(err.problem.contains("cannot read it"), "{err}");
}

#[test]
fn loopback_http_is_allowed_for_tests() {
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        assert!(server_url(url).is_ok(), "{url}");
        assert!(web_origin(url).is_ok(), "{url}");
    }
}
