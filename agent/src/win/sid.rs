//! The SID of a service's virtual account, computed as Windows does: S-1-5-80 followed
//! by the SHA-1 of the upper-cased service name in UTF-16LE, as five little-endian u32.
//! Computed rather than looked up, because the state dir gets its ACL before the service
//! exists (and Wine's LookupAccountName does not know `NT SERVICE\…`).

/// `S-1-5-80-…` of `NT SERVICE\<service>`.
pub fn service_sid(service: &str) -> String {
    let utf16: Vec<u8> = service
        .to_uppercase()
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &utf16);
    let mut sid = String::from("S-1-5-80");
    for chunk in digest.as_ref().chunks_exact(4) {
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        sid.push_str(&format!("-{word}"));
    }
    sid
}

#[cfg(test)]
mod tests {
    use super::service_sid;

    #[test]
    fn the_sid_of_a_known_service_account() {
        // `sc showsid TrustedInstaller` on any Windows.
        assert_eq!(
            service_sid("TrustedInstaller"),
            "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
        );
        assert_eq!(
            service_sid("trustedinstaller"),
            service_sid("TrustedInstaller")
        );
    }
}
