//! Making the local CA and the leaf it signs. The CA's key exists only inside [`issue`]:
//! it signs the leaf and is dropped there, so nothing else can ever be signed with it.

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType, PKCS_ECDSA_P256_SHA256,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use time::{Duration, OffsetDateTime};

/// Every CA this agent makes is called this plus eight hex digits of its key; trust
/// stores are cleaned by this name, so it must never match anybody else's CA.
pub const NAME_PREFIX: &str = "ThaiID Login Agent local CA ";
/// CA and leaf share one long validity: once the CA key is gone the leaf cannot be
/// renewed, only replaced with a new CA. Chrome caps no validity for locally added roots.
pub const VALIDITY: Duration = Duration::days(5 * 365);
/// Some slack for a clock that is a little behind.
const BACKDATE: Duration = Duration::hours(1);

pub struct Issued {
    /// The CA's common name: unique per CA, so it is also its nickname in NSS dbs.
    pub ca_name: String,
    pub ca_pem: String,
    pub leaf_pem: String,
    pub leaf_key_pem: String,
}

/// A new CA and the localhost leaf it signs, both valid from `now` for [`VALIDITY`].
pub fn issue(now: OffsetDateTime) -> Result<Issued, rcgen::Error> {
    let (not_before, not_after) = (now - BACKDATE, now + VALIDITY);
    let (ca_name, ca_pem, issuer) = authority(not_before, not_after)?;
    let (leaf_pem, leaf_key) = leaf(&issuer, localhost_names(), not_before, not_after)?;
    drop(issuer);
    Ok(Issued {
        ca_name,
        ca_pem,
        leaf_pem,
        leaf_key_pem: leaf_key.serialize_pem(),
    })
}

/// Whether `name` is the name of a CA this agent made (any install, any age).
pub fn is_ours(name: &str) -> bool {
    name.strip_prefix(NAME_PREFIX).is_some_and(|tag| {
        tag.len() == 8
            && tag
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    })
}

/// The three names the agent answers on: the only ones the CA may vouch for.
pub(super) fn localhost_names() -> Vec<SanType> {
    vec![
        SanType::DnsName("localhost".try_into().expect("valid DNS name")),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]
}

pub(super) fn authority(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<(String, String, Issuer<'static, KeyPair>), rcgen::Error> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let name = format!("{NAME_PREFIX}{}", tag(&key));
    let params = authority_params(&name, not_before, not_after);
    let pem = params.self_signed(&key)?.pem();
    Ok((name, pem, Issuer::new(params, key)))
}

/// What every CA of this agent is, and the only CA [`super::anchor`] lets be trusted.
pub(super) fn authority_params(
    name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "ThaiID Login Agent");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Even a stolen leaf key, or a bug here, cannot make this CA vouch for a real site.
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::V4(Ipv4Addr::LOCALHOST.octets(), [255; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6(Ipv6Addr::LOCALHOST.octets(), [255; 16])),
        ],
        excluded_subtrees: Vec::new(),
    });
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

pub(super) fn leaf(
    issuer: &Issuer<'_, KeyPair>,
    names: Vec<SanType>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<(String, KeyPair), rcgen::Error> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.subject_alt_names = names;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    let pem = params.signed_by(&key, issuer)?.pem();
    Ok((pem, key))
}

/// Eight hex digits of the CA's public key: tells this install's CAs apart in a store.
fn tag(key: &KeyPair) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key_raw());
    thaiid_protocol::hex::upper(&digest.as_ref()[..4])
}
