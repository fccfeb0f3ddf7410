//! The central server the booted image talks to: a real `hadir-server` (the host build) on
//! `127.0.0.1`, which the guest reaches as `10.0.2.2` through QEMU's user networking.
//!
//! [`HostServer::start`] prepares it the way an administrator would: a fresh SQLite database
//! seeded with one employee (`hadir-dev seed-demo --employees 1 --days 0`: site `DEMO`,
//! a PIN), that employee's face templates computed on the host with the real models
//! (`hadir-face enroll` on photos from `../shared/faces`), added to the roster, and a one-time
//! enrolment token for the test device (`hadir-server enrol-token`). The device then enrols
//! itself with that token and receives roster and templates like any kiosk.
//!
//! [`HostServer::records`] reads what the server stored for the device with
//! `hadir-dev seed-demo --show-today`: a record is only stored after the server verified its
//! signature, its place in the device's hash chain and its sequence number, so a stored
//! record is a verified one.
//!
//! It must not hold server logic; it runs the server's binary and reads its answers.

use crate::shell;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The device id the enrolment token is made for.
pub const DEVICE_ID: &str = "QEMU-KIOSK-01";
/// The site the demo seed creates (the token's site, so the device gets its roster).
const SITE: &str = "DEMO";
/// Whose photos play the employee: enrolment photos, and one other photo for the camera.
const PERSON: &str = "obama";
const ENROL_PHOTOS: &[&str] = &["obama.jpg", "obama2.jpg", "obama3.jpg"];
/// What the simulated camera shows (640×480, passes the kiosk's quality gate).
const CAMERA_PHOTO: &str = "hard/obama-480p.jpg";

/// A record the server stored, as `seed-demo --show-today` prints it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Sequence number on the device.
    pub seq: i64,
    /// `in` or `out`.
    pub direction: String,
    /// `valid` or `needs_confirmation`.
    pub decision: String,
    /// Match score, percent.
    pub score_percent: f64,
}

/// The running server and what the test device needs to use it.
pub struct HostServer {
    child: Child,
    /// The development tools (`hadir-dev seed-demo`).
    dev: PathBuf,
    db: PathBuf,
    config: PathBuf,
    secrets: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The one-time enrolment token for [`DEVICE_ID`].
    pub token: String,
    /// The enrolled employee's id and PIN.
    pub employee: String,
    /// The employee's PIN (typed by the scripted keypad).
    pub pin: String,
    /// The photo the guest's simulated camera shows.
    pub camera_photo: PathBuf,
    /// The server's log file.
    pub log: PathBuf,
}

/// The host programs: `HADIR_HOST_BIN_DIR`, else the workspace's debug build (which
/// `cargo xtask test` has built before the boot test).
pub fn host_bin_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("HADIR_HOST_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() { target } else { root.join(target) };
    target.join("debug")
}

impl HostServer {
    /// Seeds a fresh database in `dir`, enrols the face, makes the token and starts serving.
    pub fn start(root: &Path, dir: &Path) -> Result<Self> {
        let bins = host_bin_dir(root);
        let bin = bins.join("hadir-server");
        let dev = bins.join("hadir-dev");
        let face = bins.join("hadir-face");
        for b in [&bin, &dev, &face] {
            if !b.is_file() {
                bail!(
                    "{} is missing: build the host programs with `cargo build -p hadir-server -p hadir-devtools -p hadir-models --bins` \
                     (or set HADIR_HOST_BIN_DIR to a folder holding hadir-server, hadir-dev and hadir-face)",
                    b.display()
                );
            }
        }
        let shared = shell::shared_dir(root);
        let person = shared.join("faces/people").join(PERSON);
        let photos: Vec<PathBuf> = ENROL_PHOTOS.iter().map(|p| person.join(p)).collect();
        let camera_photo = shared.join("faces").join(CAMERA_PHOTO);
        for p in photos.iter().chain([&camera_photo]) {
            if !p.is_file() {
                bail!("{} is missing: set HADIR_SHARED_DIR to the shared test data (faces/)", p.display());
            }
        }
        crate::image::recreate_dir(dir)?;
        let port = free_port()?;
        let config = dir.join("server.toml");
        let db = dir.join("hadir.db");
        fs::write(
            &config,
            format!(
                "# Written by `cargo xtask qemu-test`: the server the booted image reports to.\n\
                 listen = \"127.0.0.1:{port}\"\n\n[storage]\nbackend = \"sqlite\"\nsqlite_path = {}\n\n\
                 [log]\nfilter = \"info\"\n\n[dashboard]\nsecure_cookies = false\n",
                Value::String(db.display().to_string())
            ),
        )?;
        let secrets = dir.join("secrets.json");
        let server = |args: &[&str]| {
            let mut c = Command::new(&bin);
            c.arg("--config").arg(&config).args(args);
            c
        };
        let seed = |args: &[&str]| {
            let mut c = Command::new(&dev);
            c.arg("--config").arg(&config).arg("seed-demo").args(args);
            c
        };
        let secrets_arg = secrets.display().to_string();
        shell::run(&mut seed(&[ "--secrets", &secrets_arg, "--employees", "1", "--days", "0"]))?;
        let seeded: Value = serde_json::from_str(&fs::read_to_string(&secrets)?).context("parsing the seed's secrets")?;
        let employee = seeded["face_employee"].as_str().context("seed-demo named no face employee")?.to_string();
        let pin = seeded["pins"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["employee_id"] == employee.as_str()))
            .and_then(|p| p["pin"].as_str())
            .context("seed-demo gave no PIN for the face employee")?
            .to_string();
        // The templates: the real models on the host, the same pipeline the kiosk runs.
        let templates = dir.join("face-templates.json");
        let mut enrol = Command::new(&face);
        enrol.arg("--models").arg(crate::setup::models_dir(root)).args(["enroll", "--name", &employee, "--out"]).arg(&templates).args(&photos);
        shell::run(&mut enrol)?;
        shell::run(&mut seed(&[
            "--secrets",
            &secrets_arg,
            "--face-templates",
            &templates.display().to_string(),
            "--face-employee",
            &employee,
        ]))?;
        let token = shell::output(&mut server(&["enrol-token", "--device-id", DEVICE_ID, "--site", SITE, "--mode", "office"]))?
            .trim()
            .to_string();
        if token.is_empty() || token.contains(char::is_whitespace) {
            bail!("hadir-server enrol-token printed no usable token: {token:?}");
        }
        let log = dir.join("server.log");
        let out = fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = server(&["serve"])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting hadir-server")?;
        let mut me = Self { child, dev, db, config, secrets, port, token, employee, pin, camera_photo, log };
        me.wait_ready()?;
        println!("  hadir-server on 127.0.0.1:{port} (guest: 10.0.2.2:{port}); employee {} enrolled with {} photos; token for {DEVICE_ID}", me.employee, photos.len());
        Ok(me)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if http_status(self.port, "/api/v1/time").is_ok_and(|s| s == 200) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("hadir-server exited at start ({status}); see {}", self.log.display());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("hadir-server did not answer on 127.0.0.1:{} within 60 s; see {}", self.port, self.log.display())
    }

    /// The records the server stored today for [`DEVICE_ID`], in sequence order.
    pub fn records(&self) -> Result<Vec<Stored>> {
        let out = shell::output(
            Command::new(&self.dev).arg("--config").arg(&self.config).arg("seed-demo").arg("--secrets").arg(&self.secrets).arg("--show-today"),
        )?;
        let all: Value = serde_json::from_str(&out).context("parsing seed-demo --show-today")?;
        let mut records: Vec<Stored> = all
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["device_id"] == DEVICE_ID)
            .map(|r| Stored {
                seq: r["seq"].as_i64().unwrap_or(-1),
                direction: r["direction"].as_str().unwrap_or("?").to_string(),
                decision: r["decision"].as_str().unwrap_or("?").to_string(),
                score_percent: r["score_percent"].as_f64().unwrap_or(f64::NAN),
            })
            .collect();
        records.sort_by_key(|r| r.seq);
        Ok(records)
    }

    /// Waits until the server holds at least `count` records of the device; returns them.
    /// Between two looks it calls `wait_a_moment`, which waits (reading the guest's console)
    /// and says whether the guest still runs.
    pub fn wait_records(&self, count: usize, limit: Duration, wait_a_moment: &mut dyn FnMut() -> bool) -> Result<Vec<Stored>> {
        let until = Instant::now() + limit;
        loop {
            let records = self.records()?;
            if records.len() >= count {
                return Ok(records);
            }
            if Instant::now() > until {
                bail!(
                    "the server holds {} record(s) of {DEVICE_ID}, expected {count} within {} s; server log {}",
                    records.len(),
                    limit.as_secs(),
                    self.log.display()
                );
            }
            if !wait_a_moment() {
                bail!("the guest stopped before the server had {count} record(s) of {DEVICE_ID}");
            }
        }
    }
}

/// What the server's own tables say about the device (read with sqlite3 while it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceState {
    /// `devices.last_seq`: the head of the device's chain as the server accepted it.
    pub last_seq: i64,
    /// Gap and fork events (`chain_events`) of the device.
    pub chain_events: i64,
    /// Records set aside as implausible (`quarantine`).
    pub quarantined: i64,
    /// Stored records whose evidence photo did not arrive.
    pub missing_photos: i64,
}

impl HostServer {
    /// The kinds of the signed device events (tamper) the server stored for [`DEVICE_ID`], in
    /// the device's order.
    pub fn device_events(&self) -> Result<Vec<String>> {
        let out = shell::output(Command::new("sqlite3").arg(&self.db).arg(format!(
            "SELECT kind FROM device_events WHERE device_id = '{DEVICE_ID}' ORDER BY seq;"
        )))?;
        Ok(out.lines().map(str::to_string).collect())
    }

    /// The server's view of [`DEVICE_ID`]: chain head, chain events, quarantine, photos.
    pub fn device_state(&self) -> Result<DeviceState> {
        if !shell::have("sqlite3") {
            bail!("sqlite3 is missing (package sqlite3): needed to read hadir-server's tables");
        }
        let out = shell::output(Command::new("sqlite3").arg(&self.db).arg(format!(
            "SELECT (SELECT coalesce(max(last_seq), -1) FROM devices WHERE device_id = '{d}') || ' ' || \
                    (SELECT count(*) FROM chain_events WHERE device_id = '{d}') || ' ' || \
                    (SELECT count(*) FROM quarantine WHERE device_id = '{d}') || ' ' || \
                    (SELECT count(*) FROM records r WHERE r.device_id = '{d}' AND NOT EXISTS \
                        (SELECT 1 FROM photos p WHERE p.sha256 = r.photo_sha256));",
            d = DEVICE_ID
        )))?;
        let n: Vec<i64> = out.split_whitespace().map(|x| x.parse().unwrap_or(-1)).collect();
        match n.as_slice() {
            [last_seq, chain_events, quarantined, missing_photos] => Ok(DeviceState {
                last_seq: *last_seq,
                chain_events: *chain_events,
                quarantined: *quarantined,
                missing_photos: *missing_photos,
            }),
            _ => bail!("unexpected answer from the server's database: {out:?}"),
        }
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago (the server binds it by configuration).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port on 127.0.0.1")?;
    Ok(l.local_addr()?.port())
}

/// The status of one plain HTTP/1.0 GET on 127.0.0.1.
fn http_status(port: u16, path: &str) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head)?;
    let text = String::from_utf8_lossy(&head[..n]);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status")
}
