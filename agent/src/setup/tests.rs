use super::*;
use rcgen::SanType;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use time::Duration;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Runs a tool the tests need; a missing one fails the test with the package to install.
fn run(program: &str, package: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed ({e}): apt install {package}"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// openssl is the independent judge of what the certificates say.
fn openssl(args: &[&str]) -> (bool, String) {
    run("openssl", "openssl", args)
}

fn text_of(pem: &Path) -> String {
    openssl(&["x509", "-noout", "-text", "-in", &pem.display().to_string()]).1
}

fn fresh(dir: &Path) -> Installed {
    install_in(dir, Vec::new(), now()).unwrap()
}

#[test]
fn the_leaf_chains_to_a_name_constrained_ca_and_only_its_key_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("thaiid-agent");
    let installed = fresh(&data);
    assert!(matches!(installed.renewed, Some(Stale::NotMade)));
    let tls = &installed.tls;
    assert!(ca::is_ours(tls.ca_name()), "{}", tls.ca_name());

    let ca = text_of(&data.join("ca.pem"));
    for expected in [
        tls.ca_name(),
        "X509v3 Basic Constraints: critical",
        "CA:TRUE, pathlen:0",
        "Certificate Sign, CRL Sign",
        "X509v3 Name Constraints: critical",
        "DNS:localhost",
        "IP:127.0.0.1/255.255.255.255",
        "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
        "ASN1 OID: prime256v1",
        "ecdsa-with-SHA256",
    ] {
        assert!(ca.contains(expected), "{expected:?} not in the CA:\n{ca}");
    }
    let leaf = text_of(&data.join("localhost.pem"));
    for expected in [
        &format!("Issuer: CN = {}", tls.ca_name()),
        "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        "TLS Web Server Authentication",
        "CA:FALSE",
        "ASN1 OID: prime256v1",
    ] {
        assert!(
            leaf.contains(expected),
            "{expected:?} not in the leaf:\n{leaf}"
        );
    }
    assert_eq!(tls.cert_chain_pem.matches("BEGIN CERTIFICATE").count(), 2);
    assert!(tls.cert_chain_pem.ends_with(&tls.ca_pem));

    let (ca_file, chain_file) = (data.join("ca.pem"), data.join("localhost.pem"));
    let (ca_file, chain_file) = (ca_file.to_str().unwrap(), chain_file.to_str().unwrap());
    for name in [
        ["-verify_hostname", "localhost"],
        ["-verify_ip", "127.0.0.1"],
        ["-verify_ip", "::1"],
    ] {
        let (ok, out) = openssl(&[
            "verify",
            "-purpose",
            "sslserver",
            name[0],
            name[1],
            "-CAfile",
            ca_file,
            chain_file,
        ]);
        assert!(ok, "{name:?}: {out}");
    }
    // CA and leaf end together, about five years out.
    let end = |file| openssl(&["x509", "-noout", "-enddate", "-in", file]).1;
    assert_eq!(end(ca_file), end(chain_file));
    let (ok, _) = openssl(&[
        "x509",
        "-noout",
        "-checkend",
        &(4 * 365 * 86_400).to_string(),
        "-in",
        chain_file,
    ]);
    assert!(ok, "the leaf lasts more than four years");

    // Exactly one private key on disk, and it is the leaf's.
    let keys: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .contains("PRIVATE KEY")
        })
        .collect();
    assert_eq!(keys, [data.join("localhost.key")]);
    let key_file = keys[0].to_str().unwrap();
    let from_key = openssl(&["pkey", "-pubout", "-in", key_file]).1;
    let from_leaf = openssl(&["x509", "-noout", "-pubkey", "-in", chain_file]).1;
    assert_eq!(from_key, from_leaf);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys[0]), 0o600);
        assert_eq!(mode(&data), 0o700);
    }
}

#[test]
fn the_ca_cannot_vouch_for_any_other_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_, ca_pem, issuer) =
        ca::authority(now() - Duration::hours(1), now() + Duration::days(1)).unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let outsiders = [
        SanType::DnsName("example.com".try_into().unwrap()),
        SanType::DnsName("localhost.example.com".try_into().unwrap()),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 2))),
    ];
    for outsider in outsiders {
        let (leaf_pem, _) = ca::leaf(
            &issuer,
            vec![outsider.clone()],
            now() - Duration::hours(1),
            now() + Duration::days(1),
        )
        .unwrap();
        let leaf_file = dir.path().join("leaf.pem");
        std::fs::write(&leaf_file, &leaf_pem).unwrap();
        let (ok, out) = openssl(&[
            "verify",
            "-CAfile",
            ca_file.to_str().unwrap(),
            leaf_file.to_str().unwrap(),
        ]);
        assert!(
            !ok && out.contains("permitted subtree violation"),
            "{outsider:?}: {out}"
        );
    }
    // The same CA does vouch for the three loopback names.
    let (leaf_pem, _) = ca::leaf(
        &issuer,
        ca::localhost_names(),
        now(),
        now() + Duration::days(1),
    )
    .unwrap();
    let leaf_file = dir.path().join("leaf.pem");
    std::fs::write(&leaf_file, &leaf_pem).unwrap();
    let (ok, out) = openssl(&[
        "verify",
        "-CAfile",
        ca_file.to_str().unwrap(),
        leaf_file.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
}

#[test]
fn a_second_start_keeps_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let first = fresh(dir.path()).tls;
    let second = fresh(dir.path());
    assert!(second.renewed.is_none(), "{:?}", second.renewed);
    assert_eq!(second.tls.ca_pem, first.ca_pem);
    assert_eq!(second.tls.key_pem, first.key_pem);
    assert_eq!(second.tls.cert_chain_pem, first.cert_chain_pem);
    assert_eq!(second.tls.ca_name(), first.ca_name());
}

#[test]
fn a_leaf_with_less_than_30_days_left_is_replaced_with_a_new_ca() {
    let dir = tempfile::tempdir().unwrap();
    let made_at = |days_left: i64| now() - ca::VALIDITY + Duration::days(days_left);

    install_in(dir.path(), Vec::new(), made_at(31)).unwrap();
    let kept = fresh(dir.path());
    assert!(kept.renewed.is_none(), "31 days left: {:?}", kept.renewed);

    std::fs::remove_dir_all(dir.path()).unwrap();
    let old = install_in(dir.path(), Vec::new(), made_at(29)).unwrap().tls;
    let renewed = fresh(dir.path());
    assert!(
        matches!(renewed.renewed, Some(Stale::Expiring)),
        "{:?}",
        renewed.renewed
    );
    assert_ne!(renewed.tls.ca_name(), old.ca_name());
    assert_ne!(renewed.tls.key_pem, old.key_pem);
    // What was written is what the next start takes.
    assert!(fresh(dir.path()).renewed.is_none());
}

#[test]
fn damaged_or_mismatched_files_are_replaced() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fresh(b.path());
    /// Spoils the files in the first dir, maybe with the second install's.
    type Damage = fn(&Path, &Path);
    let damages: [(&str, Damage); 6] = [
        ("no key", |a, _| {
            std::fs::remove_file(a.join("localhost.key")).unwrap()
        }),
        ("no chain", |a, _| {
            std::fs::remove_file(a.join("localhost.pem")).unwrap()
        }),
        ("garbage CA", |a, _| {
            std::fs::write(a.join("ca.pem"), "not a certificate").unwrap()
        }),
        ("cut key", |a, _| {
            let key = std::fs::read_to_string(a.join("localhost.key")).unwrap();
            std::fs::write(a.join("localhost.key"), &key[..key.len() / 2]).unwrap()
        }),
        ("another install's key", |a, b| {
            std::fs::copy(b.join("localhost.key"), a.join("localhost.key")).unwrap();
        }),
        ("another install's CA", |a, b| {
            std::fs::copy(b.join("ca.pem"), a.join("ca.pem")).unwrap();
        }),
    ];
    for (damage, apply) in damages {
        let before = fresh(a.path()).tls;
        apply(a.path(), b.path());
        let after = fresh(a.path());
        assert!(after.renewed.is_some(), "{damage}: not renewed");
        assert_ne!(after.tls.ca_name(), before.ca_name(), "{damage}");
        assert!(
            fresh(a.path()).renewed.is_none(),
            "{damage}: the new files are whole"
        );
    }
}

#[test]
fn starts_at_the_same_moment_make_one_ca() {
    let dir = tempfile::tempdir().unwrap();
    let installs: Vec<Installed> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..4).map(|_| scope.spawn(|| fresh(dir.path()))).collect();
        started
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect()
    });
    assert_eq!(installs.iter().filter(|i| i.renewed.is_some()).count(), 1);
    assert!(installs
        .iter()
        .all(|i| i.tls.ca_pem == installs[0].tls.ca_pem));
}

#[test]
fn only_names_this_agent_gives_are_ours() {
    assert!(ca::is_ours("ThaiID Login Agent local CA 0123ABCD"));
    for other in [
        "ThaiID Login Agent local CA",
        "ThaiID Login Agent local CA 0123abcd",
        "ThaiID Login Agent local CA 0123ABCDE",
        "ThaiID Login Agent local CA 0123ABC",
        "ThaiID Login Agent local CA 0123ABCD (copy)",
        "Some Corp Root CA",
    ] {
        assert!(!ca::is_ours(other), "{other}");
    }
}

/// The NSS dbs of Linux, through the real certutil.
#[cfg(not(windows))]
mod nss_dbs {
    use super::*;

    fn certutil(db: &Path, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut child = Command::new("certutil")
            .arg("-d")
            .arg(format!("sql:{}", db.display()))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("certutil is needed ({e}): apt install libnss3-tools"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.unwrap_or("").as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "certutil {args:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    fn listing(db: &Path) -> Vec<(String, String)> {
        let mut found = nss::parse_listing(&certutil(db, &["-L"], None));
        found.retain(|(name, _)| name.contains("CA"));
        found.sort();
        found
    }

    /// Someone else's root, named to look like ours as closely as a different CA can.
    fn foreign_ca(name: &str) -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn trust_is_added_renewed_and_removed_in_every_nss_db_and_only_ours() {
        let home = tempfile::tempdir().unwrap();
        let (home, data) = (home.path(), home.path().join("data/thaiid-agent"));
        let stores = || stores::of_user(home, &home.join(".config"));
        let profile = home.join(".mozilla/firefox/abcd1234.default-release");
        std::fs::create_dir_all(&profile).unwrap();
        certutil(&profile, &["-N", "--empty-password"], None);
        let shared = home.join(".pki/nssdb");
        let foreigners = [
            "Some Corp Root CA",
            "ThaiID Login Agent local CA 1234567",
            "ThaiID Login Agent local CA 1234567G",
        ];
        let mut foreign_listing = Vec::new();
        for db in [&profile] {
            for name in foreigners {
                certutil(
                    db,
                    &["-A", "-n", name, "-t", "C,,"],
                    Some(&foreign_ca(name)),
                );
                foreign_listing.push((name.to_owned(), "C,,".to_owned()));
            }
        }
        foreign_listing.sort();

        let first = install_in(&data, stores(), now()).unwrap();
        let name = first.tls.ca_name().to_owned();
        let done: Vec<_> = first.trust.iter().map(|o| o.result.clone()).collect();
        assert_eq!(
            done,
            vec![
                Ok(Done::Trusted {
                    added: true,
                    removed: 0
                });
                2
            ],
            "{first:?}"
        );
        assert!(
            listing(&shared).contains(&(name.clone(), "C,,".into())),
            "the shared db was made"
        );
        assert!(status_in(&data, &stores(), now())
            .iter()
            .all(|(_, trusted)| *trusted));

        let again = install_in(&data, stores(), now()).unwrap();
        let done: Vec<_> = again.trust.iter().map(|o| o.result.clone()).collect();
        assert_eq!(
            done,
            vec![
                Ok(Done::Trusted {
                    added: false,
                    removed: 0
                });
                2
            ]
        );

        // Distrusted by hand: trusted again at the next start.
        certutil(&shared, &["-M", "-n", &name, "-t", ",,"], None);
        assert!(!status_in(&data, &stores(), now())[0].1);
        let retrusted = install_in(&data, stores(), now()).unwrap();
        assert_eq!(
            retrusted.trust[0].result,
            Ok(Done::Trusted {
                added: true,
                removed: 0
            })
        );

        // A new CA replaces the old one in every store.
        std::fs::remove_file(data.join("localhost.key")).unwrap();
        let renewed = install_in(&data, stores(), now()).unwrap();
        let new_name = renewed.tls.ca_name().to_owned();
        assert_ne!(new_name, name);
        let done: Vec<_> = renewed.trust.iter().map(|o| o.result.clone()).collect();
        assert_eq!(
            done,
            vec![
                Ok(Done::Trusted {
                    added: true,
                    removed: 1
                });
                2
            ]
        );
        assert_eq!(listing(&shared), [(new_name.clone(), "C,,".into())]);
        let mut expected = foreign_listing.clone();
        expected.push((new_name, "C,,".into()));
        expected.sort();
        assert_eq!(listing(&profile), expected);

        let removed = uninstall_in(&data, stores()).unwrap();
        let done: Vec<_> = removed.iter().map(|o| o.result.clone()).collect();
        assert_eq!(done, vec![Ok(Done::Removed(1)); 2]);
        assert_eq!(listing(&shared), []);
        assert_eq!(listing(&profile), foreign_listing, "other CAs stay");
        assert_eq!(
            std::fs::read_dir(&data).unwrap().count(),
            0,
            "the files are gone"
        );
        assert!(status_in(&data, &stores(), now())
            .iter()
            .all(|(_, trusted)| !*trusted));
        let nothing = uninstall_in(&data, stores()).unwrap();
        assert!(nothing.iter().all(|o| o.result == Ok(Done::Removed(0))));
    }

    #[test]
    fn firefox_profiles_are_found_wherever_firefox_keeps_them() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let home = home.path();
        let with_db = |dir: &Path, db: &str| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(db), "").unwrap();
            dir.canonicalize().unwrap()
        };
        let deb = with_db(&home.join(".mozilla/firefox/a.default"), "cert9.db");
        let legacy = with_db(&home.join(".mozilla/firefox/b.old"), "cert8.db");
        std::fs::create_dir_all(home.join(".mozilla/firefox/c.never-started")).unwrap();
        let snap = with_db(
            &home.join("snap/firefox/common/.mozilla/firefox/d.default"),
            "cert9.db",
        );
        let xdg = with_db(&home.join("config/mozilla/firefox/e.default"), "cert9.db");
        let outside = with_db(&elsewhere.path().join("f.profile"), "cert9.db");
        std::fs::write(
            home.join(".mozilla/firefox/profiles.ini"),
            format!(
                "[Profile1]\nName=f\nIsRelative=0\nPath={}\n\n[Profile0]\nName=a\nIsRelative=1\nPath=a.default\n",
                outside.display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all(home.join("snap/chromium/current")).unwrap();

        let described: Vec<String> = stores::of_user(home, &home.join("config"))
            .into_iter()
            .map(|store| store.description)
            .collect();
        let mut expected = vec![
            format!(
                "NSS db {} (Chrome, Chromium, Edge)",
                home.join(".pki/nssdb").display()
            ),
            format!(
                "NSS db {} (Chromium snap)",
                home.join("snap/chromium/current/.pki/nssdb").display()
            ),
        ];
        let mut profiles = [deb, legacy, snap, xdg, outside];
        profiles.sort();
        expected.extend(
            profiles
                .iter()
                .map(|p| format!("Firefox profile {}", p.display())),
        );
        assert_eq!(described, expected);
    }

    #[test]
    fn certutil_listings_keep_nicknames_with_spaces() {
        let listing = "\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\nThaiID Login Agent local CA E353B735                         C,,  \nSome Corp Root CA                                            CT,C,C\n";
        let parsed = nss::parse_listing(listing);
        assert!(parsed.contains(&("ThaiID Login Agent local CA E353B735".into(), "C,,".into())));
        assert!(parsed.contains(&("Some Corp Root CA".into(), "CT,C,C".into())));
        assert_eq!(
            parsed.iter().filter(|(name, _)| ca::is_ours(name)).count(),
            1
        );
    }
}
