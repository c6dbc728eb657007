//! `thaiid-agent setup` as a browser sees it: Debian's headless Chromium, with the
//! test's home (so its ~/.pki/nssdb), loads a page from a TLS server that presents the
//! files setup wrote. Refused while the CA is not trusted yet (setup could not run
//! certutil), loaded on 127.0.0.1, [::1] and localhost once setup trusted it, refused
//! again after `setup --uninstall`. Needs chromium and libnss3-tools (scripts/test.sh
//! installs them); without them the test fails, it never passes silently.
#![cfg(unix)]

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::Home;

/// What the test server answers; Chromium's DOM holds it only if the page loaded.
const MARKER: &str = "served-to-a-browser-that-trusts-the-local-ca";
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn chromium_trusts_the_agent_certificate_only_while_setup_has_it_trusted() {
    let home = Home::new();
    let data = home.data_dir();

    // Without certutil setup writes the certificate but cannot trust it: a home
    // where the CA is not trusted yet, with the very certificate trusted later.
    let untrusted = setup(&home, &[], Some("/nonexistent"));
    assert_eq!(untrusted.status.code(), Some(6), "{}", describe(&untrusted));
    let said = String::from_utf8_lossy(&untrusted.stdout);
    assert!(
        said.contains("fail  NSS db") && said.contains("sudo apt install libnss3-tools"),
        "{said}"
    );
    let ca_before = std::fs::read_to_string(data.join("ca.pem")).unwrap();

    let read = |file: &str| std::fs::read_to_string(data.join(file)).unwrap();
    let (chain, key) = (read("localhost.pem"), read("localhost.key"));
    let v4 = TlsServer::start(Ipv4Addr::LOCALHOST.into(), &chain, &key);
    let v6 = TlsServer::start(Ipv6Addr::LOCALHOST.into(), &chain, &key);

    let before = chromium(home.path(), &format!("https://127.0.0.1:{}/", v4.port()));
    before.assert_refused("before setup trusted the CA");
    assert_eq!(v4.requests(), 0, "no request reached the server");

    let trusted = setup(&home, &[], None);
    assert!(trusted.status.success(), "{}", describe(&trusted));
    let said = String::from_utf8_lossy(&trusted.stdout);
    assert!(
        said.contains("(kept)") && said.contains("ok    NSS db"),
        "{said}"
    );
    assert_eq!(
        read("ca.pem"),
        ca_before,
        "setup kept the certificate it made"
    );

    for url in [
        format!("https://127.0.0.1:{}/", v4.port()),
        format!("https://[::1]:{}/", v6.port()),
        format!("https://localhost:{}/", v4.port()),
    ] {
        chromium(home.path(), &url).assert_loaded(&url);
    }
    assert!(v4.requests() >= 2 && v6.requests() >= 1);

    let uninstalled = setup(&home, &["--uninstall"], None);
    assert!(uninstalled.status.success(), "{}", describe(&uninstalled));
    assert!(!data.join("ca.pem").exists() && !data.join("localhost.key").exists());
    let after = chromium(home.path(), &format!("https://127.0.0.1:{}/", v4.port()));
    after.assert_refused("after setup --uninstall");
}

/// `thaiid-agent setup` in `home`; `path` replaces PATH (to hide certutil).
fn setup(home: &Home, args: &[&str], path: Option<&str>) -> Output {
    let mut command = home.command();
    command.arg("setup").args(args);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command.output().unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "{:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What headless Chromium made of one URL.
struct Visit {
    url: String,
    dom: String,
    log: String,
}

impl Visit {
    fn assert_loaded(&self, url: &str) {
        assert!(
            self.dom.contains(MARKER) && !self.log.contains("ERR_CERT"),
            "{url} did not load:\n{self}"
        );
    }

    /// Refused for the certificate: no page, and Chromium names the reason.
    fn assert_refused(&self, when: &str) {
        assert!(
            !self.dom.contains(MARKER) && self.log.contains("net::ERR_CERT_AUTHORITY_INVALID"),
            "{when}, expected a certificate error:\n{self}"
        );
    }
}

impl std::fmt::Display for Visit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let log: Vec<&str> = self
            .log
            .lines()
            .filter(|line| !line.contains("dbus"))
            .collect();
        write!(
            f,
            "{}\nDOM: {}\nlog:\n{}",
            self.url,
            self.dom,
            log.join("\n")
        )
    }
}

/// Loads `url` in a fresh Chromium profile with `home` as HOME (Chromium reads
/// $HOME/.pki/nssdb), within [`CHROMIUM_DEADLINE`].
fn chromium(home: &Path, url: &str) -> Visit {
    let scratch = tempfile::tempdir().unwrap();
    let (out, err) = (scratch.path().join("dom"), scratch.path().join("log"));
    let file = |path: &Path| std::fs::File::create(path).unwrap();
    let mut command = Command::new("chromium");
    command
        .env("HOME", home)
        .args(support::browser::CHROMIUM_FLAGS)
        .args(["--dump-dom"])
        .arg(format!(
            "--user-data-dir={}",
            scratch.path().join("profile").display()
        ))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(file(&out))
        .stderr(file(&err));
    // Its own process group, so that a hung run is killed with all its helpers.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command
        .spawn()
        .expect("Debian's chromium is needed: apt install chromium (scripts/test.sh does)");
    let mut child = Group {
        child,
        exited: false,
    };
    let started = Instant::now();
    while !child.exited() {
        assert!(
            started.elapsed() < CHROMIUM_DEADLINE,
            "chromium did not finish {url} within {CHROMIUM_DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let visit = Visit {
        url: url.to_owned(),
        dom: std::fs::read_to_string(out).unwrap_or_default(),
        log: std::fs::read_to_string(err).unwrap_or_default(),
    };
    // Shown with --nocapture: the evidence each step rests on.
    eprintln!("--- {visit}\n(in {:.1?})", started.elapsed());
    visit
}

/// A child process whose whole group is killed if it is dropped before it exited.
struct Group {
    child: Child,
    exited: bool,
}

impl Group {
    fn exited(&mut self) -> bool {
        self.exited = self.child.try_wait().unwrap().is_some();
        self.exited
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.exited {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signals only the process group this test started, not yet reaped.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// A TLS server on `ip`, a free port, presenting `chain` with `key`: what the agent
/// presents, without the agent. One thread per connection, so that a browser's
/// speculative idle connection never holds up the real one. Stopped on drop.
struct TlsServer {
    address: SocketAddr,
    requests: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
}

impl TlsServer {
    fn start(ip: IpAddr, chain: &str, key: &str) -> TlsServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_slice_iter(chain.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind((ip, 0))
            .unwrap_or_else(|e| panic!("cannot listen on {ip} ({e}): is loopback up?"));
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (config, counter) = (config.clone(), counter.clone());
                std::thread::spawn(move || {
                    if answer(config, stream).is_ok() {
                        *counter.lock().unwrap() += 1;
                    }
                });
            }
        });
        TlsServer {
            address,
            requests,
            stop,
        }
    }

    fn port(&self) -> u16 {
        self.address.port()
    }

    fn requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
    }
}

/// One HTTPS exchange: the request's headers in, the marker page out.
fn answer(config: Arc<rustls::ServerConfig>, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let connection = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut request = Vec::new();
    let mut buffer = [0; 4096];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match tls.read(&mut buffer)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => request.extend_from_slice(&buffer[..n]),
        }
    }
    let body = format!("<!DOCTYPE html><html><body><p id=\"marker\">{MARKER}</p></body></html>");
    write!(
        tls,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    tls.conn.send_close_notify();
    tls.flush()
}
