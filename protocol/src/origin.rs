//! Web origins and server URLs as the agent and the server accept them: https, or plain
//! http only to this machine (tests, demos); each refusal says what to write instead.

use std::net::IpAddr;
use url::Url;

/// `https://host[:port][/path]`; plain http only to this machine (tests, demos).
pub fn server_url(text: &str) -> Result<String, String> {
    let url = Url::parse(text).map_err(|error| format!("{text:?} is not a URL ({error})"))?;
    check_scheme(&url, text)?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{text:?}: give the server's base URL without query, fragment or user"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The origin of a URL [`server_url`] accepted: where its pages run.
pub fn origin_of(server_url: &str) -> Result<String, String> {
    let url = Url::parse(server_url).map_err(|error| format!("{server_url:?}: {error}"))?;
    Ok(url.origin().ascii_serialization())
}

/// A web origin as a browser sends it in `Origin`: scheme, host and port only.
pub fn web_origin(text: &str) -> Result<String, String> {
    let url = Url::parse(text)
        .map_err(|_| format!("{text:?} is not an origin like https://sso.example.go.th"))?;
    check_scheme(&url, text)?;
    let origin = url.origin().ascii_serialization();
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(format!("{text:?}: an origin has no path; write {origin}"));
    }
    Ok(origin)
}

/// Where the pages find the agent: `https://` to this machine (127.0.0.1, `[::1]` or
/// localhost) with a port, nothing else.
pub fn agent_url(text: &str) -> Result<String, String> {
    let origin = web_origin(text)?;
    let url = Url::parse(&origin).map_err(|error| format!("{text:?}: {error}"))?;
    if url.scheme() != "https" || !is_loopback(&url) {
        return Err(format!(
            "{text:?}: the agent listens on this machine, like https://127.0.0.1:47113"
        ));
    }
    Ok(origin)
}

fn check_scheme(url: &Url, text: &str) -> Result<(), String> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{text:?} must use https (plain http only on this machine)"
        )),
        _ => Err(format!("{text:?} must be an https URL")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_is_on_this_machine_over_https() {
        for (text, want) in [
            ("https://127.0.0.1:47113", "https://127.0.0.1:47113"),
            ("https://127.0.0.1:47999/", "https://127.0.0.1:47999"),
            ("https://[::1]:47113", "https://[::1]:47113"),
            ("https://localhost:47113", "https://localhost:47113"),
        ] {
            assert_eq!(agent_url(text).as_deref(), Ok(want));
        }
        for text in [
            "http://127.0.0.1:47113",
            "https://agent.example:47113",
            "https://10.0.0.5:47113",
            "https://127.0.0.1:47113/v1",
            "127.0.0.1:47113",
        ] {
            assert!(agent_url(text).is_err(), "{text}");
        }
    }
}
