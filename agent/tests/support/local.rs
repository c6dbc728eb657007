//! Real local accounts (useradd, run as root) and the agent run as one of them, as the
//! machine service tests need them.

use super::ORIGIN;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A local account made for the test, deleted on drop.
pub struct LocalUser {
    pub name: String,
    pub uid: u32,
}

impl LocalUser {
    pub fn create(role: &str) -> LocalUser {
        let name = format!("thaiid-{role}-{}", std::process::id());
        let made = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(&name)
            .status()
            .expect("useradd");
        assert!(made.success(), "useradd {name}");
        let uid = Command::new("id").args(["-u", &name]).output().unwrap();
        let uid = String::from_utf8(uid.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        LocalUser { name, uid }
    }

    /// `program` run as this user, in its own group only (useradd made one of the same
    /// name): none of root's groups stay with it.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid", &self.uid.to_string(), "--regid"])
            .arg(self.gid().to_string())
            .args(["--clear-groups", program]);
        command
    }

    pub fn gid(&self) -> u32 {
        let gid = Command::new("id")
            .args(["-g", &self.name])
            .output()
            .unwrap();
        String::from_utf8(gid.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// GETs `path` of the agent as this user, or POSTs `body` to it, with curl:
    /// (HTTP status, JSON body).
    pub fn call(&self, port: u16, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
        answer(self.curl(port, path, body).output().expect("curl"))
    }

    /// The curl command of [`LocalUser::call`], to run elsewhere (its answer: [`answer`]).
    pub fn curl(&self, port: u16, path: &str, body: Option<&str>) -> Command {
        let mut curl = self.command("curl");
        curl.args(["-sk", "-w", "\n%{http_code}", "-H"])
            .arg(format!("Origin: {ORIGIN}"));
        if let Some(body) = body {
            curl.args([
                "-H",
                "X-ThaiID-Agent: 1",
                "-H",
                "Content-Type: application/json",
            ])
            .args(["--data-binary", body]);
        }
        curl.arg(format!("https://127.0.0.1:{port}{path}"));
        curl
    }

    pub fn login(&self, port: u16, nonce: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({ "nonce": nonce }).to_string();
        self.call(port, "/v1/login", Some(&body))
    }
}

/// (HTTP status, JSON body) of a curl run by [`LocalUser::curl`].
pub fn answer(output: std::process::Output) -> (u16, serde_json::Value) {
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The agent binary where every user can run it, as the package installs it (the build's
/// own may be under a home other users cannot enter).
pub fn installed_agent(dir: &Path) -> PathBuf {
    let path = dir.join("thaiid-agent");
    std::fs::copy(env!("CARGO_BIN_EXE_thaiid-agent"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The agent at `binary`, run by root or by `user`.
pub fn agent(binary: &Path, user: Option<&LocalUser>, args: &[&str]) -> Command {
    let mut command = match user {
        Some(user) => user.command(binary.to_str().unwrap()),
        None => Command::new(binary),
    };
    command
        .args(args)
        // Nothing of the developer's own agent: no user config, no machine config.
        .env("THAIID_MACHINE_CONFIG", "/dev/null")
        .env("THAIID_CONFIG", "/dev/null")
        .env("HOME", "/nonexistent")
        .env_remove("THAIID_STATE_DIR")
        .env_remove("THAIID_ENROLL_TOKEN");
    command
}

/// A login as `user`, waiting for the card's read (a reinserted card is read again).
pub fn wait_for_login(user: &LocalUser, port: u16, nonce: &str) -> (u16, serde_json::Value) {
    let started = Instant::now();
    loop {
        let (status, body) = user.login(port, nonce);
        if body["error"]["code"] != "REINSERT_CARD" || started.elapsed() > Duration::from_secs(10) {
            return (status, body);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits until something listens on 127.0.0.1:`port`.
pub fn wait_until_listening(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The machine service's state dir as the installer leaves it (the service user's, 0700,
/// set up as that user, enrolled by root with the token in the environment), and the
/// agent binary where every user can run it.
pub struct ServiceState {
    pub root: tempfile::TempDir,
    pub state: PathBuf,
    pub binary: PathBuf,
}

impl ServiceState {
    pub fn enrolled(
        service: &LocalUser,
        server: &thaiid_server::test_support::TestServer,
    ) -> ServiceState {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let state = root.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&state, Some(service.uid), Some(service.gid())).unwrap();
        let binary = installed_agent(root.path());
        let state_arg = state.to_str().unwrap();
        let setup = agent(&binary, Some(service), &["setup", "--state-dir", state_arg])
            .output()
            .unwrap();
        assert!(
            setup.status.success(),
            "{}",
            String::from_utf8_lossy(&setup.stderr)
        );
        let enroll = agent(&binary, None, &["enroll", "--state-dir", state_arg])
            .args(["--server", &server.url])
            .env("THAIID_ENROLL_TOKEN", server.enrollment_token())
            .output()
            .unwrap();
        assert!(
            enroll.status.success(),
            "{}",
            String::from_utf8_lossy(&enroll.stderr)
        );
        ServiceState {
            root,
            state,
            binary,
        }
    }

    /// `serve --state-dir` as `service` on `port`, allowing [`ORIGIN`], with `env`; started.
    pub fn serve(&self, service: &LocalUser, port: u16, env: &[(&str, &str)]) -> Killed {
        let port_arg = port.to_string();
        let args = [
            "serve",
            "--state-dir",
            self.state.to_str().unwrap(),
            "--port",
            &port_arg,
        ];
        let mut command = agent(&self.binary, Some(service), &args);
        command
            .args(["--allowed-origin", ORIGIN])
            .stdout(std::process::Stdio::null());
        command.envs(env.iter().copied());
        let child = Killed(command.spawn().unwrap());
        wait_until_listening(port, "the service");
        child
    }
}
