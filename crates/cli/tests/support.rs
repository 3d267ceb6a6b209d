//! Starting the real binary and talking to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn almanac() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_almanac"));
    cmd.env_remove("ALMANAC_DATABASE_URL")
        .env_remove("ALMANAC_BIND")
        .env_remove("ALMANAC_CONFIG")
        .env("ALMANAC_LOG", "warn");
    cmd
}

/// `almanac serve` on a free loopback port, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(database_url: &str, extra: &[&str]) -> Server {
        let mut child = almanac()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start almanac serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("almanac listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("almanac serve did not say where it listens within 30 s");
        let server = Server { child, url };
        server.wait_ready();
        server
    }

    /// Waits on readiness (`/healthz` answering 200), not on a sleep.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get(&self.url, "/healthz").0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} never became healthy", self.url);
    }
}

impl Server {
    /// SIGKILL: the process dies where it stands.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        unsafe_free_sigterm(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unsafe_free_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// A plain GET over HTTP/1.0: status and body.
pub fn get(base: &str, path: &str) -> (u16, String) {
    request(base, "GET", path, None, None)
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv's python with the real client libraries (made once).
pub fn venv_python() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/py-venv"))
        .output()
        .expect("run scripts/py-venv");
    assert!(
        out.status.success(),
        "scripts/py-venv failed (it needs python3-venv and PyPI):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// One request over HTTP/1.0 with an optional token and JSON body: status
/// and body.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let auth = token.map_or(String::new(), |t| format!("Authorization: Token {t}\r\n"));
    let body = body.unwrap_or("");
    let _ = write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `almanac demo --no-serve` into `database_url`: the demo's write token.
pub fn demo(database_url: &str, builds: usize) -> String {
    let out = almanac()
        .args(["demo", "--no-serve", "--builds", &builds.to_string()])
        .args(["--database-url", database_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "almanac demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    said.lines()
        .find_map(|l| l.strip_prefix("write token (user demo, superuser): "))
        .unwrap_or_else(|| panic!("the demo prints its write token: {said}"))
        .trim()
        .to_string()
}

/// POST `body` as JSON, without a token.
pub fn post_json(base: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    request(base, "POST", path, None, Some(&body.to_string()))
}

/// Runs `cmd` and fails the test, with its output, unless it succeeds.
pub fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
