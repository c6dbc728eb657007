//! The real server binary for a benchmark: started on a database with key files beside
//! its log, waited for, its memory read from `/proc`, stopped.

use super::AUD;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server(pub Child);

impl Server {
    pub fn start(url: &str, port: u16, log: &std::path::Path) -> Server {
        let otp_key = log.with_file_name("otp.key");
        let card_key = log.with_file_name("card.key");
        let log = std::fs::File::create(log).expect("the server's log file");
        let child = Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("THAIID_SERVER_LISTEN", format!("127.0.0.1:{port}"))
            .env("THAIID_SERVER_PUBLIC_URL", AUD)
            .env("THAIID_SERVER_OTP_KEY_FILE", otp_key)
            .env("THAIID_SERVER_CARD_KEY_FILE", card_key)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the server starts");
        Server(child)
    }

    pub async fn wait_ready(&mut self, port: u16) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            if let Ok(Some(status)) = self.0.try_wait() {
                panic!("the server exited at start: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not listen on port {port} within 10 s");
    }

    /// VmHWM: the resident set's high-water mark.
    pub fn peak_rss_kib(&self) -> u64 {
        status_kib(self.0.id(), "VmHWM:")
    }

    /// VmRSS: the resident set now.
    pub fn rss_kib(&self) -> u64 {
        status_kib(self.0.id(), "VmRSS:")
    }

    pub fn stop(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `kB` line of `/proc/PID/status`.
pub fn status_kib(pid: u32, line: &str) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status (Linux)");
    status
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("a {line} line"))
}
