use super::super::{ca, check_ca_file, files, install_in, SetupError, Stale};
use super::*;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, GeneralSubtree as Subtree, IsCa, Issuer,
    KeyPair, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

const NAME: &str = "ThaiID Login Agent local CA 0123ABCD";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// What `ca` makes, to be spoilt one way at a time.
fn params() -> CertificateParams {
    ca::authority_params(NAME, now() - Duration::hours(1), now() + Duration::days(1))
}

fn key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

fn refused(params: CertificateParams) -> RefusedCa {
    check(params.self_signed(&key()).unwrap().pem().as_bytes()).unwrap_err()
}

fn with(edit: impl FnOnce(&mut CertificateParams)) -> CertificateParams {
    let mut params = params();
    edit(&mut params);
    params
}

fn permitting(subtrees: Vec<Subtree>) -> CertificateParams {
    with(|params| {
        if let Some(constraints) = params.name_constraints.as_mut() {
            constraints.permitted_subtrees = subtrees;
        }
    })
}

fn localhost() -> Subtree {
    Subtree::DnsName("localhost".into())
}

fn v4(address: [u8; 4], mask: [u8; 4]) -> Subtree {
    Subtree::IpAddress(CidrSubnet::V4(address, mask))
}

fn v6_loopback() -> Subtree {
    Subtree::IpAddress(CidrSubnet::V6(Ipv6Addr::LOCALHOST.octets(), [255; 16]))
}

#[test]
fn the_agents_own_ca_is_accepted() {
    let (name, pem, _) = ca::authority(now(), now() + Duration::days(1)).unwrap();
    assert_eq!(check(pem.as_bytes()), Ok(name));
    let pem = params().self_signed(&key()).unwrap().pem();
    assert_eq!(check(pem.as_bytes()).as_deref(), Ok(NAME));
    // The three names in another order are the same constraint.
    let reordered = permitting(vec![
        v6_loopback(),
        v4([127, 0, 0, 1], [255; 4]),
        localhost(),
    ]);
    let pem = reordered.self_signed(&key()).unwrap().pem();
    assert_eq!(check(pem.as_bytes()).as_deref(), Ok(NAME));
}

#[test]
fn a_certificate_that_is_no_ca_is_refused() {
    assert_eq!(
        refused(with(|p| p.is_ca = IsCa::ExplicitNoCa)),
        RefusedCa::NotCa
    );
    assert_eq!(refused(with(|p| p.is_ca = IsCa::NoCa)), RefusedCa::NotCa);
}

#[test]
fn a_ca_that_could_make_other_cas_is_refused() {
    let unconstrained = with(|p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained));
    assert_eq!(refused(unconstrained), RefusedCa::PathLength);
    let one = with(|p| p.is_ca = IsCa::Ca(BasicConstraints::Constrained(1)));
    assert_eq!(refused(one), RefusedCa::PathLength);
}

#[test]
fn a_ca_not_constrained_to_exactly_the_loopback_names_is_refused() {
    let v4_loopback = || v4([127, 0, 0, 1], [255; 4]);
    let wrong = [
        ("no name constraints", with(|p| p.name_constraints = None)),
        ("nothing permitted", permitting(Vec::new())),
        ("no ::1", permitting(vec![localhost(), v4_loopback()])),
        (
            "localhost twice instead of ::1",
            permitting(vec![localhost(), v4_loopback(), localhost()]),
        ),
        (
            "127.0.0.0/8",
            permitting(vec![
                localhost(),
                v4([127, 0, 0, 0], [255, 0, 0, 0]),
                v6_loopback(),
            ]),
        ),
        (
            "also example.com",
            permitting(vec![
                localhost(),
                v4_loopback(),
                v6_loopback(),
                Subtree::DnsName("example.com".into()),
            ]),
        ),
        (
            "an excluded subtree beside",
            with(|p| {
                if let Some(constraints) = p.name_constraints.as_mut() {
                    constraints.excluded_subtrees = vec![Subtree::DnsName("example.com".into())];
                }
            }),
        ),
    ];
    for (what, params) in wrong {
        assert_eq!(refused(params), RefusedCa::NotNameConstrained, "{what}");
    }
}

#[test]
fn a_ca_of_another_name_or_issued_by_another_ca_is_refused() {
    for name in ["Some Other CA", "ThaiID Login Agent local CA 0123abcd"] {
        let other = with(|p| {
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name.push(rcgen::DnType::CommonName, name);
        });
        assert_eq!(refused(other), RefusedCa::NotNamedOurs, "{name}");
    }

    let (_, _, issuer) = ca::authority(now(), now() + Duration::days(1)).unwrap();
    let issued = params().signed_by(&key(), &issuer).unwrap().pem();
    assert_eq!(check(issued.as_bytes()), Err(RefusedCa::NotSelfIssued));
}

#[test]
fn anything_beside_the_one_certificate_is_refused() {
    let key = key();
    let pem = params().self_signed(&key).unwrap().pem();
    let chain = format!("{pem}{pem}");
    assert_eq!(
        check(chain.as_bytes()),
        Err(RefusedCa::NotOneCertificate(2))
    );
    let with_key = format!("{pem}{}", key.serialize_pem());
    assert_eq!(
        check(with_key.as_bytes()),
        Err(RefusedCa::NotOneCertificate(2))
    );
    for garbage in [&b""[..], b"not a certificate", &[0xff, 0xfe, 0x00]] {
        assert!(
            matches!(check(garbage), Err(RefusedCa::NotPem(_))),
            "{garbage:?}"
        );
    }
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        check(broken.as_bytes()),
        Err(RefusedCa::Unparsable(_))
    ));
}

#[test]
fn check_ca_reads_a_file_and_refuses_a_large_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    let (name, pem, _) = ca::authority(now(), now() + Duration::days(1)).unwrap();
    std::fs::write(&file, &pem).unwrap();
    assert_eq!(check_ca_file(&file).unwrap(), name);
    // The CA, then a second certificate past the first 64 KiB.
    let padded = format!("{pem}{}{pem}", " ".repeat(64 * 1024));
    std::fs::write(&file, padded).unwrap();
    let error = check_ca_file(&file).unwrap_err().to_string();
    assert!(error.contains("larger than 64 KiB"), "{error}");
    let missing = check_ca_file(&dir.path().join("none.pem")).unwrap_err();
    assert!(matches!(missing, SetupError::CheckCa { .. }), "{missing}");
}

/// A whole working set (CA, leaf, key) as an intruder with the service's rights could
/// leave in the state dir, under a CA without name constraints.
#[test]
fn a_planted_working_set_is_refused_not_trusted_and_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_key, leaf_key) = (key(), key());
    let planted = with(|p| p.name_constraints = None);
    let ca_pem = planted.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(planted, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".into()]).unwrap();
    leaf.subject_alt_names = ca::localhost_names();
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
    std::fs::write(dir.path().join(files::CA_FILE), &ca_pem).unwrap();
    std::fs::write(
        dir.path().join(files::CHAIN_FILE),
        format!("{leaf_pem}{ca_pem}"),
    )
    .unwrap();
    std::fs::write(dir.path().join(files::KEY_FILE), leaf_key.serialize_pem()).unwrap();

    assert!(matches!(
        files::load(dir.path(), now()),
        Err(Stale::Refused(RefusedCa::NotNameConstrained))
    ));
    let error = install_in(dir.path(), Vec::new(), now()).unwrap_err();
    assert!(
        matches!(
            &error,
            SetupError::RefusedCa {
                reason: RefusedCa::NotNameConstrained,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("nothing trusts it"), "{error}");
    let kept = std::fs::read_to_string(dir.path().join(files::CA_FILE)).unwrap();
    assert_eq!(kept, ca_pem, "the evidence stays where it was found");
}
