//! Making the CA and the leaf. The CA's key lives only inside [`issue`].

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SanType,
    PKCS_ECDSA_P256_SHA256,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use time::OffsetDateTime;

/// CA and leaf share one validity: the leaf cannot be renewed once the CA key is gone.
const VALIDITY_SECS: u64 = 5 * 365 * 86_400;

pub struct Issued {
    pub ca_pem: String,
    pub leaf_pem: String,
    pub leaf_key_pem: String,
    pub nickname: String,
    pub not_after: u64,
}

pub fn issue(now: u64) -> Result<Issued, rcgen::Error> {
    let not_before = at(now.saturating_sub(3600));
    let not_after_secs = now + VALIDITY_SECS;
    let not_after = at(not_after_secs);

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    let tag = short_tag(&ca_key);
    ca.distinguished_name.push(
        DnType::CommonName,
        format!("ThaiID Login Agent local CA {tag}"),
    );
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::V4([127, 0, 0, 1], [255; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6(Ipv6Addr::LOCALHOST.octets(), [255; 16])),
        ],
        excluded_subtrees: Vec::new(),
    });
    ca.not_before = not_before;
    ca.not_after = not_after;
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = not_before;
    leaf.not_after = not_after;
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer)?.pem();
    // `issuer` (and with it the CA key) is dropped here, never written anywhere.
    drop(issuer);
    Ok(Issued {
        ca_pem,
        leaf_pem,
        leaf_key_pem: leaf_key.serialize_pem(),
        nickname: format!("ThaiID Login Agent local CA {tag}"),
        not_after: not_after_secs,
    })
}

fn at(unix: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Eight hex digits of the CA's public key: tells this install's CAs apart.
fn short_tag(key: &KeyPair) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key_raw());
    thaiid_protocol::hex::upper(&digest.as_ref()[..4])
}
