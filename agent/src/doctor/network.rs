//! The agent's port and the login server (reachable, valid TLS, its clock); then this
//! agent's enrollment there.

use super::Finding;
use crate::config::Config;
use std::path::Path;
use std::time::{Duration, SystemTime};
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

const SERVER: &str = "login server";
const CLOCK: &str = "clock";

/// More than this apart from the server's clock, assertions are refused (the server's
/// tolerance).
const MAX_SKEW: Duration = Duration::from_secs(30);

pub fn examine(config: &Config, data_dir: &Path) -> Vec<Finding> {
    let runtime = match crate::commands::runtime() {
        Ok(runtime) => runtime,
        Err(error) => return vec![no_runtime(&error)],
    };
    let mut findings = vec![runtime.block_on(port(config.port, data_dir))];
    findings.extend(runtime.block_on(server(config.server_url.as_deref())));
    findings.push(runtime.block_on(super::enrollment::examine(config, data_dir)));
    findings
}

/// No async runtime: the network checks cannot run.
pub fn no_runtime(error: &crate::error::AgentError) -> Finding {
    Finding::fail(
        SERVER,
        error.to_string(),
        "เริ่มเครื่องใหม่",
        "restart the computer",
    )
}

async fn port(port: u16, data_dir: &Path) -> Finding {
    let check = format!("port {port}");
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
        return Finding::ok(
            check,
            "free (the agent is not running now; it starts at login)",
        );
    }
    match agent_version(port, data_dir).await {
        Some(version) => Finding::ok(check, format!("thaiid-agent {version} serves here")),
        None => Finding::fail(
            check,
            "taken by another program (or another user's agent)",
            "ปิดโปรแกรมที่ใช้พอร์ตนี้ หรือให้ IT ตั้งค่า port อื่น",
            "close the program that holds the port, or have IT configure another port",
        ),
    }
}

/// The version of the agent answering on `port` with this user's certificate, if it is one.
async fn agent_version(port: u16, data_dir: &Path) -> Option<String> {
    crate::http::install_crypto_provider();
    let ca = std::fs::read(crate::setup::ca_path(data_dir)).ok()?;
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).ok()?)
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let document: serde_json::Value = client
        .get(format!("https://127.0.0.1:{port}/openapi.json"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(document["info"]["version"].as_str()?.to_owned())
}

/// Reachable with valid TLS, and its clock.
pub async fn server(url: Option<&str>) -> Vec<Finding> {
    let Some(url) = url else {
        return vec![Finding::fail(
            SERVER,
            "no server configured",
            "ให้ IT ติดตั้งใหม่พร้อม SERVER_URL หรือใส่ server_url ในไฟล์ตั้งค่า",
            "have IT reinstall with SERVER_URL, or set server_url in the configuration",
        )];
    };
    let response = match crate::http::client().get(format!("{url}/")).send().await {
        Ok(response) => response,
        Err(error) => return vec![unreachable(url, &error)],
    };
    let mut findings = vec![Finding::ok(
        SERVER,
        match url.starts_with("https://") {
            true => format!("{url} answers, its certificate is valid"),
            false => format!("{url} answers (plain HTTP on this machine)"),
        },
    )];
    let server_time = (response.headers().get("date"))
        .and_then(|date| date.to_str().ok())
        .and_then(|date| OffsetDateTime::parse(date, &Rfc2822).ok());
    findings.push(match server_time {
        None => Finding::fail(
            CLOCK,
            "the server did not say its time",
            "แจ้ง IT: เซิร์ฟเวอร์ไม่ส่งส่วนหัว Date",
            "tell IT: the server sends no Date header",
        ),
        Some(server_time) => skew(OffsetDateTime::from(SystemTime::now()) - server_time),
    });
    findings
}

fn skew(ahead: time::Duration) -> Finding {
    let seconds = ahead.whole_seconds();
    let detail = match seconds {
        0 => "same as the server's".to_owned(),
        s if s > 0 => format!("{s} s ahead of the server's"),
        s => format!("{} s behind the server's", -s),
    };
    match ahead.unsigned_abs() <= MAX_SKEW {
        true => Finding::ok(CLOCK, detail),
        false => Finding::fail(
            CLOCK,
            format!("{detail}: logins will be refused"),
            "ตั้งนาฬิกาเครื่องให้ตรง (เปิดการตั้งเวลาอัตโนมัติ)",
            "set the computer's clock right (turn on automatic time)",
        ),
    }
}

fn unreachable(url: &str, error: &reqwest::Error) -> Finding {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    match chain.to_lowercase().contains("certificate") {
        true => Finding::fail(
            SERVER,
            format!("{url}: its TLS certificate is not valid here ({chain})"),
            "แจ้ง IT: ใบรับรองของเซิร์ฟเวอร์ไม่ถูกต้อง หรือเครื่องนี้ไม่เชื่อถือผู้ออกใบรับรอง",
            "tell IT: the server's certificate is invalid, or this computer does not trust its issuer",
        ),
        false => Finding::fail(
            SERVER,
            format!("{url}: cannot connect ({chain})"),
            "ตรวจสายแลนหรือ Wi-Fi และพร็อกซี แล้วลองอีกครั้ง",
            "check the network (cable or Wi-Fi) and the proxy, then retry",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_may_be_off_by_the_servers_tolerance() {
        assert!(!skew(time::Duration::seconds(30)).failed());
        assert!(!skew(time::Duration::seconds(-30)).failed());
        let ahead = skew(time::Duration::seconds(95));
        assert!(ahead.failed());
        assert!(ahead.to_string().contains("95 s ahead"), "{ahead}");
        assert!(skew(time::Duration::seconds(-31))
            .to_string()
            .contains("31 s behind"));
    }

    #[test]
    fn http_dates_parse() {
        let date = OffsetDateTime::parse("Sat, 28 Nov 2026 15:27:16 GMT", &Rfc2822).unwrap();
        assert_eq!(date.unix_timestamp(), 1_795_879_636);
    }
}
