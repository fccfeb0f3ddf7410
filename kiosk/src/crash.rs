//! # Crash test: records survive SIGKILL at any point
//!
//! [`writer`] is the test-support mode of the `hadir-kiosk` binary (`hadir-kiosk crash-writer
//! --data DIR`): it makes signed records in a loop through the same code path as the kiosk
//! ([`crate::records::save`]) and prints `saved seq=N` after each commit returns.
//!
//! [`run`] starts that writer `runs` times on the same data directory, kills it with SIGKILL
//! after a random delay (during start-up, migration, key creation or a commit), and after each
//! kill checks that every record the writer reported as saved is in the store, that the hash
//! chain and the signatures are intact, and that `PRAGMA integrity_check` says `ok`. The
//! [`CrashReport`] prints as the line scripts read:
//! `crash_runs=N saved=N lost=N chain_ok=true|false integrity_ok=true|false`.
//!
//! Called by the crate's test `tests/crash.rs` and by `cargo xtask crash-test [--runs N]`.

use crate::flow::{Band, Direction};
use crate::identity::Identity;
use crate::policy::{GpsEvidence, Mode};
use crate::records::{Decided, DeviceInfo, save};
use crate::store::Store;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// File names inside the writer's data directory.
pub const DB_FILE: &str = "kiosk.db";
/// The device key file.
pub const KEY_FILE: &str = "device.key";
/// The default bound of the random delay before a kill: long enough that most runs die in the
/// middle of writing records, short enough for 200 runs in well under two minutes.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_millis(150);

/// Why the writer stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// The identity could not be made or read.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Standard output is closed.
    #[error("stdout: {0}")]
    Stdout(std::io::Error),
}

/// Makes records until killed (or `limit` records), printing `saved seq=N` after each commit.
pub fn writer(data: &Path, limit: Option<u64>, out: &mut impl Write) -> Result<(), WriterError> {
    let identity = Identity::load_or_create(&data.join(KEY_FILE))?;
    let mut store = Store::open(&data.join(DB_FILE), &identity)?;
    let device = DeviceInfo {
        device_id: "CRASH-TEST".into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        model_version: "crash-test".into(),
        mode: Mode::Office,
    };
    let photo = vec![0xA5u8; 6 * 1024];
    let mut made = 0u64;
    while limit.is_none_or(|l| made < l) {
        let n = store.head()?.seq + 1;
        let d = Decided {
            employee_id: format!("E{:04}", n % 359),
            direction: if n % 2 == 0 { Direction::Out } else { Direction::In },
            band: if n % 5 == 0 { Band::NeedsConfirmation } else { Band::Valid },
            score: 80.0 + (n % 20) as f32,
            liveness: 95.0,
            recorded_at_ms: 1_780_000_000_000 + i64::try_from(n).unwrap_or(0) * 1000,
            utc_offset_min: 420,
            gps: GpsEvidence::NoFix,
            clock: hadir_protocol::ClockEvidence::default(),
        };
        let mut jpeg = photo.clone();
        jpeg.extend(n.to_le_bytes());
        let record = save(&mut store, &identity, &device, &d, jpeg)?;
        store.audit(d.recorded_at_ms, "crash_test", Some(&d.employee_id), "{}")?;
        writeln!(out, "saved seq={}", record.body.seq).and_then(|()| out.flush()).map_err(WriterError::Stdout)?;
        made += 1;
    }
    Ok(())
}

/// The outcome of a crash test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CrashReport {
    /// Kills done.
    pub runs: u32,
    /// Records reported saved over all runs.
    pub saved: u64,
    /// Reported-saved records missing afterwards.
    pub lost: u64,
    /// Chain and signatures intact after every run.
    pub chain_ok: bool,
    /// `PRAGMA integrity_check` was `ok` after every run.
    pub integrity_ok: bool,
}

impl CrashReport {
    /// Whether nothing was lost and everything checked out.
    pub fn passed(&self) -> bool {
        self.lost == 0 && self.chain_ok && self.integrity_ok
    }
}

impl std::fmt::Display for CrashReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "crash_runs={} saved={} lost={} chain_ok={} integrity_ok={}",
            self.runs, self.saved, self.lost, self.chain_ok, self.integrity_ok
        )
    }
}

/// Why the crash test could not run (as opposed to finding lost records).
#[derive(Debug, thiserror::Error)]
pub enum CrashTestError {
    /// The writer could not be started.
    #[error("cannot start the writer {exe}: {source} (build it with `cargo build -p hadir-kiosk`)")]
    Spawn {
        /// The binary.
        exe: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store could not be opened for checking.
    #[error("checking the store after run {run}: {source}")]
    Check {
        /// The run.
        run: u32,
        /// Why.
        source: crate::store::StoreError,
    },
    /// Something else on the way (identity, pipes).
    #[error("run {run}: {detail}")]
    Other {
        /// The run.
        run: u32,
        /// What.
        detail: String,
    },
}

/// Kills the writer `exe crash-writer --data DIR` `runs` times at random points (seeded) and
/// checks the store after each kill. `max_delay` bounds the random time before the kill.
pub fn run(exe: &Path, data: &Path, runs: u32, seed: u64, max_delay: Duration) -> Result<CrashReport, CrashTestError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut report = CrashReport { chain_ok: true, integrity_ok: true, ..CrashReport::default() };
    let max_us = u64::try_from(max_delay.as_micros()).unwrap_or(u64::MAX).max(1);
    let mut checked = hadir_protocol::ChainHead::GENESIS;
    for run in 1..=runs {
        let mut child = Command::new(exe)
            .arg("crash-writer")
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| CrashTestError::Spawn { exe: exe.display().to_string(), source })?;
        let stdout = child.stdout.take().ok_or_else(|| CrashTestError::Other { run, detail: "no stdout pipe".into() })?;
        // Read the reports on a thread so the writer never blocks on a full pipe.
        let reader = std::thread::spawn(move || {
            let mut seqs = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("saved seq=").and_then(|n| n.trim().parse::<u64>().ok()) {
                    seqs.push(n);
                }
            }
            seqs
        });
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..max_us)));
        // Child::kill sends SIGKILL on Unix: no destructor, no flush, no checkpoint.
        let _ = child.kill();
        let _ = child.wait();
        let seqs = reader.join().map_err(|_| CrashTestError::Other { run, detail: "reader panicked".into() })?;
        report.runs = run;
        report.saved += seqs.len() as u64;

        if !data.join(KEY_FILE).exists() {
            // Killed before the key existed: nothing can have been saved.
            if !seqs.is_empty() {
                report.lost += seqs.len() as u64;
            }
            continue;
        }
        let identity = Identity::load_or_create(&data.join(KEY_FILE))
            .map_err(|e| CrashTestError::Other { run, detail: e.to_string() })?;
        let store = Store::open(&data.join(DB_FILE), &identity).map_err(|source| CrashTestError::Check { run, source })?;
        let head = store.head().map_err(|source| CrashTestError::Check { run, source })?;
        for seq in &seqs {
            let present = store.records_after(seq - 1, 1).map_err(|source| CrashTestError::Check { run, source })?;
            if present.first().map(|r| r.body.seq) != Some(*seq) || *seq > head.seq {
                report.lost += 1;
            }
        }
        // Each run checks the links it added onto the head checked before; the whole chain is
        // checked once more after the last run.
        match store.verify_chain_after(&identity.key.public(), checked) {
            Ok(head) => checked = head,
            Err(_) => report.chain_ok = false,
        }
        if run == runs && store.verify_chain(&identity.key.public()).is_err() {
            report.chain_ok = false;
        }
        if store.integrity_check().map_err(|source| CrashTestError::Check { run, source })? != "ok" {
            report.integrity_ok = false;
        }
    }
    Ok(report)
}
