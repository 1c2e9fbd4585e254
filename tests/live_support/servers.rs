//! Real PostgreSQL and Redis servers for the live tests: each in its own temporary directory,
//! on a free loopback port, stopped when dropped (even when the test fails).
//!
//! PostgreSQL's `initdb` refuses to run as root; as root (CI) the cluster is created and run as
//! the `postgres` user the Debian package creates (else `nobody`), through `runuser`.
//!
//! The binaries come from Debian's `postgresql` and `redis-server` packages (`.ci/run` installs
//! them). Missing binaries fail the test; `ENVPARITY_SKIP_LIVE_TESTS=1` skips instead, outside
//! CI only.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the live tests run here: the server binaries are installed, or (outside CI only)
/// skipping was asked for.
pub fn available() -> bool {
    let found = postgres_bin().is_some() && which("redis-server").is_some();
    if found {
        return true;
    }
    let skip = std::env::var_os("ENVPARITY_SKIP_LIVE_TESTS").is_some_and(|v| v == "1");
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if skip && !ci {
        eprintln!(
            "live tests skipped: ENVPARITY_SKIP_LIVE_TESTS=1 and no PostgreSQL/Redis binaries"
        );
        return false;
    }
    panic!(
        "the live tests need PostgreSQL and Redis: apt-get install -y postgresql redis-server \
         (outside CI, ENVPARITY_SKIP_LIVE_TESTS=1 skips them)"
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .chain([
                PathBuf::from("/usr/bin").join(name),
                PathBuf::from("/usr/sbin").join(name),
            ])
            .find(|p| p.is_file())
    })
}

/// The newest `/usr/lib/postgresql/N/bin` holding `initdb`.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The unprivileged user to run PostgreSQL as, when running as root.
fn server_user() -> Option<String> {
    if !is_root() {
        return None;
    }
    for user in ["postgres", "nobody"] {
        let ok = Command::new("id")
            .arg("-u")
            .arg(user)
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(user.to_string());
        }
    }
    panic!("running as root and neither `postgres` nor `nobody` exists to run PostgreSQL");
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The superuser's password of every test cluster (TCP connections need a password).
pub const SUPERUSER_PASSWORD: &str = "Sup3r-s3cret-pw";

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<String>,
    pub port: u16,
}

impl Postgres {
    /// A new cluster with `settings` (`-c name=value`) and a database `app`.
    pub fn start(settings: &[(&str, &str)]) -> Postgres {
        let bin = postgres_bin().expect("PostgreSQL binaries");
        let user = server_user();
        // The server's user must reach its directory: under /tmp (world-traversable) rather
        // than a TMPDIR that may be private to root.
        let dir = match user {
            Some(_) => tempfile::Builder::new()
                .prefix("envparity-pg-")
                .tempdir_in("/tmp")
                .unwrap(),
            None => tempfile::tempdir().unwrap(),
        };
        if let Some(u) = &user {
            let status = Command::new("chown")
                .arg("-R")
                .arg(u)
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).unwrap();
        if let Some(u) = &user {
            Command::new("chown").arg(u).arg(&pwfile).status().unwrap();
        }
        let data = dir.path().join("data");
        let pg = Postgres {
            port: free_port(),
            dir,
            bin,
            user,
        };
        pg.run_tool(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--no-sync",
                "--no-instructions",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c full_page_writes=off -c timezone=UTC",
            pg.port,
            pg.dir.path().display()
        );
        for (k, v) in settings {
            options.push_str(&format!(" -c {k}={v}"));
        }
        let log = pg.dir.path().join("log");
        pg.run_tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-s",
                "start",
            ],
        );
        wait_for_port(pg.port, "PostgreSQL");
        pg.sql("postgres", &["CREATE DATABASE app"]);
        pg
    }

    fn run_tool(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(u).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Run statements as the superuser over the Unix socket, each in its own transaction.
    pub fn sql(&self, database: &str, statements: &[&str]) -> String {
        let mut cmd = Command::new(self.bin.join("psql"));
        cmd.arg("-h")
            .arg(self.dir.path())
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-U")
            .arg("postgres")
            .arg("-d")
            .arg(database)
            .arg("-X")
            .arg("-q")
            .arg("-tA")
            .arg("-v")
            .arg("ON_ERROR_STOP=1");
        for s in statements {
            cmd.arg("-c").arg(s);
        }
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `postgres://user:password@127.0.0.1:port/database?sslmode=disable`.
    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    pub fn superuser_url(&self, database: &str) -> String {
        self.url("postgres", SUPERUSER_PASSWORD, database)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let mut cmd = match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(u).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let _ = cmd
            .args([
                "-D",
                data.to_str().unwrap_or(""),
                "-m",
                "immediate",
                "-s",
                "-w",
                "stop",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

pub struct Redis {
    child: Child,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Redis {
    /// A new server with `settings` (`--name value`), no persistence.
    pub fn start(settings: &[(&str, &str)]) -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new(which("redis-server").expect("redis-server"));
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(dir.path());
        for (k, v) in settings {
            cmd.arg(format!("--{k}")).arg(v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let redis = Redis {
            child,
            _dir: dir,
            port,
        };
        wait_for_port(port, "Redis");
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Run a command with `redis-cli`.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(which("redis-cli").expect("redis-cli"))
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP server that accepts connections and never answers, until dropped.
pub struct Silent {
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    pub fn start() -> Silent {
        Silent::answering(b"")
    }

    /// A server that answers every connection with `reply` (an HTTP error, say) and then
    /// says nothing more.
    pub fn answering(reply: &'static [u8]) -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok((mut socket, _)) = listener.accept() {
                    use std::io::Write;
                    let _ = socket.write_all(reply);
                    held.push(socket);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Silent {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
