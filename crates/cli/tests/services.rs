//! Services of a test's own, for the tests that stop, restart or replicate
//! them: a PostgreSQL cluster (with a streaming standby of it) and a
//! RabbitMQ node, each on free ports in a temporary directory, so the tests
//! beside them keep the machine's services.

use crate::support::run_ok;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("almanac-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A PostgreSQL cluster of the test's own, run by the `postgres` user.
pub struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let pg = PrivatePostgres::empty("pg");
        run_ok(
            pg.as_postgres(&pg.bin.join("initdb"))
                .arg("-D")
                .arg(pg.dir.join("data"))
                .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]),
        );
        pg.up();
        pg
    }

    /// A hot standby of this cluster, streaming its WAL (`pg_basebackup -R`),
    /// started on a port of its own.
    pub fn standby(&self) -> PrivatePostgres {
        let standby = PrivatePostgres::empty("pg-standby");
        run_ok(
            standby
                .as_postgres(&standby.bin.join("pg_basebackup"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .arg("-D")
                .arg(standby.dir.join("data"))
                .args(["-R", "-X", "stream", "--no-sync"]),
        );
        standby.up();
        standby
    }

    /// A cluster yet to be made in a new directory, on a free port.
    fn empty(name: &str) -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server programs under /usr/lib/postgresql")
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .max()
            .unwrap();
        let dir = scratch(name);
        run_ok(Command::new("chown").arg("postgres").arg(&dir));
        PrivatePostgres {
            dir,
            bin,
            port: free_port(),
        }
    }

    /// `program` run as the `postgres` user.
    fn as_postgres(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn ctl(&self, args: &[&str]) -> Command {
        let mut c = self.as_postgres(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.dir.join("data")).args(args);
        c
    }

    pub fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        run_ok(
            self.ctl(&["-w", "-o", &options, "-l", log.to_str().unwrap(), "start"])
                .stdout(Stdio::null()),
        );
    }

    /// A fast shutdown (active transactions rolled back, every connection
    /// closed), as a restart does it.
    pub fn down(&self) {
        run_ok(
            self.ctl(&["-w", "-m", "fast", "stop"])
                .stdout(Stdio::null()),
        );
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.ctl(&["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A RabbitMQ node of the test's own.
pub struct PrivateRabbit {
    dir: PathBuf,
    node: String,
    port: u16,
    /// The running `rabbitmq-server`, waited on once it stops.
    server: Mutex<Option<std::process::Child>>,
}

impl PrivateRabbit {
    pub fn start() -> PrivateRabbit {
        let dir = scratch("rabbit");
        let port = free_port();
        std::fs::create_dir_all(dir.join("log")).unwrap();
        std::fs::create_dir_all(dir.join("mnesia")).unwrap();
        std::fs::write(dir.join("plugins"), "[].\n").unwrap();
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!("listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n"),
        )
        .unwrap();
        run_ok(
            Command::new("chown")
                .args(["-R", "rabbitmq:rabbitmq"])
                .arg(&dir),
        );
        let rabbit = PrivateRabbit {
            node: format!("almanac-faults-{}@localhost", std::process::id()),
            dir,
            port,
            server: Mutex::new(None),
        };
        rabbit.up();
        rabbit
    }

    pub fn up(&self) {
        let d = |p: &str| self.dir.join(p);
        let child = Command::new("rabbitmq-server")
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", free_port().to_string())
            .env("RABBITMQ_MNESIA_BASE", d("mnesia"))
            .env("RABBITMQ_LOG_BASE", d("log"))
            .env("RABBITMQ_PID_FILE", d("pid"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d("plugins"))
            .env("RABBITMQ_CONFIG_FILE", d("rabbitmq.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rabbitmq-server (Debian's rabbitmq-server package)");
        *self.server.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "RabbitMQ node {} did not start",
                self.node
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn down(&self) {
        run_ok(
            Command::new("rabbitmqctl")
                .args(["-n", &self.node, "stop"])
                .stdout(Stdio::null()),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "RabbitMQ node {} did not stop",
                self.node
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(mut child) = self.server.lock().unwrap().take() {
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2F", self.port)
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["-n", &self.node, "stop"])
            .output();
        if let Some(mut child) = self.server.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
