//! The only certificate the installers trust machine-wide (SPEC §10): a CA of this agent as
//! [`super::ca`] makes it, and nothing else. `setup` checks the state dir's CA before any
//! trust store gets it (the .msi's Root store), and the .deb's postinst runs
//! `setup --check-ca FILE` as root before its browser policies name the CA: the state dir
//! belongs to the service's user, and a CA planted there must never vouch for other sites.

use super::ca;
use rustls::pki_types::pem::{PemObject, SectionKind};
use std::net::{Ipv4Addr, Ipv6Addr};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, GeneralSubtree};
use x509_parser::prelude::FromDer;

/// Why a certificate is not trusted as the agent's CA.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusedCa {
    #[error("it is not PEM ({0})")]
    NotPem(String),
    #[error("it holds {0} PEM sections instead of one certificate (a chain, or a key with it)")]
    NotOneCertificate(usize),
    #[error("its certificate does not parse ({0})")]
    Unparsable(String),
    #[error("it is not a CA certificate (no critical basicConstraints CA:TRUE)")]
    NotCa,
    #[error("its path length is not 0, so it could make other CAs")]
    PathLength,
    #[error("it is not name-constrained to exactly localhost, 127.0.0.1 and ::1")]
    NotNameConstrained,
    #[error("it is not self-issued (another CA's certificate)")]
    NotSelfIssued,
    #[error(
        "it is not named \"{}XXXXXXXX\" as this agent's CAs are",
        ca::NAME_PREFIX
    )]
    NotNamedOurs,
}

/// The CA's name when `pem` is one certificate of a CA of this agent: self-issued, CA with
/// path length 0, name-constrained to `localhost`, `127.0.0.1/32` and `::1/128` only.
pub fn check(pem: &[u8]) -> Result<String, RefusedCa> {
    let sections = <(SectionKind, Vec<u8>)>::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RefusedCa::NotPem(e.to_string()))?;
    let der = match sections.as_slice() {
        [(SectionKind::Certificate, der)] => der,
        [] => return Err(RefusedCa::NotPem("no certificate in it".into())),
        more => return Err(RefusedCa::NotOneCertificate(more.len())),
    };
    let certificate = match X509Certificate::from_der(der) {
        Ok(([], certificate)) => certificate,
        Ok(_) => return Err(RefusedCa::Unparsable("bytes after the certificate".into())),
        Err(e) => return Err(RefusedCa::Unparsable(e.to_string())),
    };
    let invalid = |e: x509_parser::error::X509Error| RefusedCa::Unparsable(e.to_string());

    let basic = certificate.basic_constraints().map_err(invalid)?;
    let basic = basic
        .filter(|basic| basic.critical && basic.value.ca)
        .ok_or(RefusedCa::NotCa)?;
    if basic.value.path_len_constraint != Some(0) {
        return Err(RefusedCa::PathLength);
    }
    let constraints = certificate
        .name_constraints()
        .map_err(invalid)?
        .ok_or(RefusedCa::NotNameConstrained)?;
    let excluded = constraints
        .value
        .excluded_subtrees
        .as_deref()
        .unwrap_or(&[]);
    let permitted = constraints
        .value
        .permitted_subtrees
        .as_deref()
        .unwrap_or(&[]);
    if !constraints.critical || !excluded.is_empty() || !only_localhost(permitted) {
        return Err(RefusedCa::NotNameConstrained);
    }
    if certificate.subject().as_raw() != certificate.issuer().as_raw() {
        return Err(RefusedCa::NotSelfIssued);
    }
    let mut names = certificate.subject().iter_common_name();
    match (names.next().map(|name| name.as_str()), names.next()) {
        (Some(Ok(name)), None) if ca::is_ours(name) => Ok(name.to_owned()),
        _ => Err(RefusedCa::NotNamedOurs),
    }
}

/// Exactly the three names the agent answers on, each once, as single addresses.
fn only_localhost(permitted: &[GeneralSubtree<'_>]) -> bool {
    let v4: Vec<u8> = [Ipv4Addr::LOCALHOST.octets(), [255; 4]].concat();
    let v6: Vec<u8> = [Ipv6Addr::LOCALHOST.octets(), [255; 16]].concat();
    let mut seen = [false; 3];
    for subtree in permitted {
        let slot = match &subtree.base {
            GeneralName::DNSName("localhost") => 0,
            GeneralName::IPAddress(range) if *range == v4.as_slice() => 1,
            GeneralName::IPAddress(range) if *range == v6.as_slice() => 2,
            _ => return false,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return false;
        }
    }
    seen == [true; 3]
}

#[cfg(test)]
mod tests;
