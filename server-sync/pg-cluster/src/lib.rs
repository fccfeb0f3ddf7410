//! A throw-away PostgreSQL cluster in a temporary directory, for the server's tests and the
//! benchmarks (`hadir-dev bench`, `recap_month`). A development crate: the production server
//! does not depend on it.
//!
//! It runs Debian's server binaries (`/usr/lib/postgresql/<version>/bin/{initdb,pg_ctl}`),
//! listens only on a Unix socket inside its own directory (no TCP port, so parallel tests never
//! collide) and is stopped and deleted on drop.
//!
//! PostgreSQL refuses to run as root; when this process is root (CI), the directory is handed
//! to the `postgres` user and the binaries run through `runuser -u postgres --`.
//!
//! # Troubleshooting
//!
//! - "PostgreSQL server binaries not found": run `cargo xtask setup` (installs Debian's
//!   `postgresql` package).
//! - "user postgres not found" while root: the same package creates that user.
//! - The cluster's log is in the error message when start-up fails.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a temporary cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No server binaries.
    #[error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run `cargo xtask setup`")]
    NotInstalled,
    /// Running as root but there is no `postgres` user to run the server as.
    #[error("running as root and user `postgres` not found in /etc/passwd: run `cargo xtask setup`")]
    NoPostgresUser,
    /// A step failed.
    #[error("{step} failed: {detail}")]
    Step {
        /// What was run.
        step: String,
        /// Its output or error.
        detail: String,
    },
}

/// A running temporary cluster.
#[derive(Debug)]
pub struct TempCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
        .collect();
    // Prefer the newest major version installed.
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn postgres_ids() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&"postgres") && f.len() > 3).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

impl TempCluster {
    /// Creates and starts a cluster. `durable: false` turns off fsync (tests); benchmarks
    /// pass `true` so the figures compare with SQLite's `synchronous=FULL`.
    pub fn start(durable: bool) -> Result<TempCluster, ClusterError> {
        let bin = find_bin().ok_or(ClusterError::NotInstalled)?;
        let is_root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        let dir = tempfile::Builder::new()
            .prefix("hadir-pg-")
            .tempdir()
            .map_err(|e| ClusterError::Step { step: "create temp dir".into(), detail: e.to_string() })?;
        if is_root {
            let (uid, gid) = postgres_ids().ok_or(ClusterError::NoPostgresUser)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| ClusterError::Step { step: "chown temp dir to postgres".into(), detail: e.to_string() })?;
        }
        let cluster = TempCluster { dir, bin, as_postgres: is_root };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &["-D", path_str(&data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
        )?;
        let mut opts = format!("-k {} -c listen_addresses= -c max_connections=64", path_str(cluster.dir.path()));
        if !durable {
            opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = cluster.dir.path().join("server.log");
        let started = cluster.run("pg_ctl start", &["-D", path_str(&data), "-l", path_str(&log), "-w", "-t", "60", "-o", &opts, "start"]);
        if let Err(e) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(ClusterError::Step { step: "pg_ctl start".into(), detail: format!("{e}; server log:\n{log}") });
        }
        Ok(cluster)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, step: &str, args: &[&str]) -> Result<(), ClusterError> {
        let program = self.bin.join(step.split(' ').next().unwrap_or(step));
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        // The server inherits the working directory; make it one postgres may enter.
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd
            .output()
            .map_err(|e| ClusterError::Step { step: step.into(), detail: format!("{}: {e}", program.display()) })?;
        if !out.status.success() {
            return Err(ClusterError::Step {
                step: step.into(),
                detail: format!(
                    "{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
        Ok(())
    }

    /// The connection string for database `dbname` (the cluster has `postgres` at start).
    pub fn url(&self, dbname: &str) -> String {
        format!("host={} user=postgres dbname={dbname}", path_str(self.dir.path()))
    }

    /// Creates a new, empty database and returns its connection string.
    pub async fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        let step = |detail: String| ClusterError::Step { step: format!("create database {name}"), detail };
        let (client, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .map_err(|e| step(e.to_string()))?;
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| step(e.to_string()))?;
        drop(client);
        let _ = task.await;
        Ok(self.url(name))
    }
}

fn path_str(p: &Path) -> &str {
    // Temp paths are ASCII on every system we run on; a non-UTF-8 path fails loudly in initdb.
    p.to_str().unwrap_or("/nonexistent-non-utf8-path")
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        if let Err(e) = self.run("pg_ctl stop", &["-D", path_str(&data), "-m", "immediate", "-w", "stop"]) {
            tracing::warn!(error = %e, "could not stop the temporary PostgreSQL cluster");
        }
    }
}
