//! The machine service as a desktop user sees it through its API: who answers at its
//! port on 127.0.0.1 and on ::1 (a squatter on either is named), the service's version,
//! its enrollment and its readers.

use super::Finding;
use crate::config::Config;
use crate::service_client::{ClientError, ServiceClient};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use thaiid_protocol::api::AgentStatus;

/// The state dir the .deb's unit gives the service (SPEC §10): its owner is the
/// service's account.
#[cfg(target_os = "linux")]
const SERVICE_STATE_DIR: &str = "/var/lib/thaiid-agent";
const START_TH: &str =
    "ให้ IT เปิดบริการ: sudo systemctl enable --now thaiid-agent (Windows: เปิดบริการ ThaiID Login Agent)";
const START_EN: &str =
    "have IT start the service: sudo systemctl enable --now thaiid-agent (Windows: start the ThaiID Login Agent service)";

/// `state_dir`: the service's, when named (this process cannot read it, but may see
/// whose it is).
pub async fn examine(config: &Config, state_dir: Option<&Path>) -> Vec<Finding> {
    let service = ServiceAccount::of(state_dir);
    let mut findings = Vec::new();
    let mut answered = None;
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let address = SocketAddr::new(ip, config.port);
        let (finding, status) = at(address, service).await;
        findings.push(finding);
        if answered.is_none() {
            answered = status;
        }
    }
    if let Some(status) = answered {
        findings.push(enrollment(&status));
        findings.push(readers(&status));
    }
    findings
}

/// The finding for one address, and the service's status if it is the service.
async fn at(address: SocketAddr, service: ServiceAccount) -> (Finding, Option<AgentStatus>) {
    let check = format!("service on {address}");
    let answer = match ServiceClient::new(address) {
        Ok(client) => client.status().await,
        Err(error) => Err(error),
    };
    let holder = Holder::of(address);
    match answer {
        Ok(status) => match holder.filter(|holder| holder.suspect(service)) {
            Some(holder) => (
                squatter(
                    check,
                    &format!(", {holder}"),
                    "it answers as the agent, but is not the service",
                ),
                None,
            ),
            None => {
                let by = holder.map(|h| format!(", {h}")).unwrap_or_default();
                let found = Finding::ok(
                    check,
                    format!("thaiid-agent {} (the service{by})", status.version),
                );
                (found, Some(status))
            }
        },
        Err(ClientError::NotListening { .. }) if address.is_ipv6() && !ipv6_loopback() => (
            Finding::ok(
                check,
                "this machine has no IPv6 loopback: 127.0.0.1 alone serves",
            ),
            None,
        ),
        Err(ClientError::NotListening { source, .. }) => {
            let problem = match address.is_ipv4() {
                true => format!("nothing answers: the service is not running ({source})"),
                false => format!(
                    "the service does not listen here ({source}): another program may have held the port when it started"
                ),
            };
            (Finding::fail(check, problem, START_TH, START_EN), None)
        }
        Err(ClientError::NotTheService { detail, .. }) => {
            let holder = holder.map(|h| format!(", {h}")).unwrap_or_default();
            (squatter(check, &holder, &detail), None)
        }
        Err(error) => (
            Finding::fail(check, error.to_string(), START_TH, START_EN),
            None,
        ),
    }
}

fn squatter(check: String, holder: &dyn std::fmt::Display, detail: &str) -> Finding {
    Finding::fail(
        check,
        format!("taken by another program{holder}: {detail}"),
        "ปิดโปรแกรมที่ใช้พอร์ตนี้ (หรือให้ผู้ใช้ที่เปิดไว้ออกจากระบบ) แล้วให้ IT เริ่มบริการใหม่",
        "close the program that holds the port (or log out the user who runs it), then have IT restart the service",
    )
}

/// Who holds a listening socket (Linux: its uid in /proc/net/tcp{,6}).
#[derive(Clone, Copy, Debug)]
struct Holder {
    uid: u32,
}

impl Holder {
    #[cfg(target_os = "linux")]
    fn of(address: SocketAddr) -> Option<Holder> {
        crate::procnet::listener_uid(address.ip(), address.port()).map(|uid| Holder { uid })
    }

    #[cfg(not(target_os = "linux"))]
    fn of(_address: SocketAddr) -> Option<Holder> {
        None
    }

    /// Neither the service's account nor root (only an administrator runs a program as
    /// root): a user's program, whatever it answers.
    fn suspect(&self, service: ServiceAccount) -> bool {
        self.uid != 0 && Some(self.uid) != service.0
    }
}

/// The uid the service runs as: the owner of its state dir, if there is one to see.
#[derive(Clone, Copy, Debug)]
struct ServiceAccount(Option<u32>);

impl ServiceAccount {
    #[cfg(target_os = "linux")]
    fn of(state_dir: Option<&Path>) -> ServiceAccount {
        use std::os::unix::fs::MetadataExt;
        let dir = state_dir.unwrap_or(Path::new(SERVICE_STATE_DIR));
        ServiceAccount(std::fs::metadata(dir).ok().map(|meta| meta.uid()))
    }

    #[cfg(not(target_os = "linux"))]
    fn of(_state_dir: Option<&Path>) -> ServiceAccount {
        ServiceAccount(None)
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[cfg(unix)]
        if let Some(name) = crate::os_user::name_of(self.uid) {
            return write!(f, "held by uid {} ({name})", self.uid);
        }
        write!(f, "held by uid {}", self.uid)
    }
}

fn ipv6_loopback() -> bool {
    std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

fn enrollment(status: &AgentStatus) -> Finding {
    match status.enrolled {
        true => Finding::ok("service enrollment", "enrolled at the login server"),
        false => Finding::fail(
            "service enrollment",
            "the service is not enrolled: logins answer NOT_ENROLLED",
            "ให้ IT สั่ง sudo thaiid-agent enroll --state-dir /var/lib/thaiid-agent --token TOKEN (Windows: ในฐานะผู้ดูแลระบบ)",
            "have IT run `sudo thaiid-agent enroll --state-dir /var/lib/thaiid-agent --token TOKEN` (Windows: as administrator)",
        ),
    }
}

fn readers(status: &AgentStatus) -> Finding {
    if status.readers.is_empty() {
        return Finding::fail(
            "service readers",
            "the service sees no card reader",
            "เสียบเครื่องอ่านบัตร (USB) ถ้าเสียบอยู่แล้ว ให้ IT เริ่มบริการใหม่",
            "plug in a card reader (USB); if one is plugged in, have IT restart the service",
        );
    }
    let names: Vec<String> = (status.readers.iter())
        .map(|reader| match reader.card_present {
            true => format!("{} (card inserted)", reader.name),
            false => reader.name.clone(),
        })
        .collect();
    Finding::ok("service readers", names.join(", "))
}
