use super::*;

#[test]
fn the_leaf_chains_to_a_name_constrained_ca_and_the_key_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let tls = create(dir.path()).unwrap();
    assert!(tls.cert_chain_pem.ends_with(&tls.ca_pem));
    assert_eq!(tls.cert_chain_pem.matches("BEGIN CERTIFICATE").count(), 2);
    // openssl is the independent judge of what the certificates say.
    let text = |pem: &str| {
        let path = dir.path().join("probe.pem");
        std::fs::write(&path, pem).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&path)
            .output()
            .expect("openssl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ca = text(&tls.ca_pem);
    assert!(ca.contains("CA:TRUE, pathlen:0"), "{ca}");
    assert!(ca.contains("Name Constraints: critical"), "{ca}");
    assert!(
        ca.contains("DNS:localhost") && ca.contains("IP:127.0.0.1/255.255.255.255"),
        "{ca}"
    );
    assert!(ca.contains("IP:0:0:0:0:0:0:0:1/"), "{ca}");
    let leaf = text(&tls.cert_chain_pem);
    assert!(
        leaf.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
        "{leaf}"
    );
    assert!(leaf.contains("TLS Web Server Authentication"), "{leaf}");
    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(dir.path().join(CA_FILE))
        .arg(dir.path().join(CHAIN_FILE))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Only the leaf's key is on disk: one private key, and it is the leaf's.
    let keys = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.unwrap().path()).ok())
        .filter(|text| text.contains("PRIVATE KEY"))
        .count();
    assert_eq!(keys, 1);
}

#[test]
fn load_keeps_a_fresh_certificate_and_renews_a_dying_one() {
    let dir = tempfile::tempdir().unwrap();
    let tls = create(dir.path()).unwrap();
    assert_eq!(load(dir.path()).unwrap().nickname, tls.nickname);
    let meta = Meta {
        not_after: now() + 86_400,
        nickname: tls.nickname,
    };
    std::fs::write(
        dir.path().join(META_FILE),
        serde_json::to_vec(&meta).unwrap(),
    )
    .unwrap();
    assert!(
        load(dir.path()).is_none(),
        "a leaf with one day left is renewed"
    );
    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    assert!(load(dir.path()).is_none());
}
