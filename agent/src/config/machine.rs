//! The machine service's rule on origins (SPEC §5 "Origins the service accepts"): https
//! only, and never this machine. A page on plain http can be rewritten by anyone on the
//! network path; a page on localhost or a loopback address can be served by any local
//! user; either could then drive the service for the person at the screen. A user's own
//! agent, run by hand (a developer, the demo), may allow both.

use std::net::IpAddr;

/// `origins` (each already a normalised web origin), or why one cannot be the service's.
pub fn service_origins(origins: Vec<String>) -> Result<Vec<String>, String> {
    for origin in &origins {
        let Some(host) = origin.strip_prefix("https://").map(host_of) else {
            return Err(format!(
                "{origin:?}: the machine service allows https origins only"
            ));
        };
        if is_this_machine(host) {
            return Err(format!(
                "{origin:?}: the machine service never allows an origin of this machine \
                 (localhost or a loopback address: any local user could serve a page there); \
                 allow the SSO's https origin"
            ));
        }
    }
    Ok(origins)
}

/// The host of `host[:port]`, an IPv6 address without its brackets.
fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

fn is_this_machine(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::service_origins;

    #[test]
    fn the_service_allows_only_https_origins_of_other_hosts() {
        let good = vec![
            "https://sso.example.go.th".to_owned(),
            "https://sso2.example.go.th:8443".to_owned(),
            "https://10.0.0.5".to_owned(),
        ];
        assert_eq!(service_origins(good.clone()), Ok(good));
        for bad in [
            "http://localhost:8080",
            "https://localhost",
            "https://localhost:8443",
            "https://app.localhost",
            "https://127.0.0.1:8443",
            "https://127.8.9.10",
            "https://[::1]:8443",
            "https://[::ffff:7f00:1]",
            "https://0.0.0.0",
            "http://sso.example.go.th",
        ] {
            let error =
                service_origins(vec!["https://sso.example.go.th".to_owned(), bad.to_owned()])
                    .unwrap_err();
            assert!(error.contains(bad), "{bad}: {error}");
        }
    }
}
