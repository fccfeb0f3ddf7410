//! The ingest benchmark behind `hadir-dev bench`: signed records per second, batches of
//! 100, signature verification and chain checks included, for SQLite and PostgreSQL.
//!
//! Records are made and signed beforehand (not timed), as JSON upload bodies exactly as devices
//! send them. Two runs per backend, each on a fresh database:
//!
//! 1. **throughput**: one task per device uploads its batches in order, all devices at once,
//!    through [`hadir_server::ingest::ingest`] (decode → device lookup → verify → store, one
//!    transaction per batch) on the multi-threaded runtime; prints
//!    `ingest <backend> records_per_s=N`.
//! 2. **where the time goes**: the same work one batch at a time with a stopwatch per phase.
//!
//! SQLite runs with the dashboard's tables and indexes on the same file, as in production (its
//! covering index on `records` costs inserts).
//!
//! [`employees_import`] times an employee import (`employees_import_10k_ms`): a CSV of n
//! employees as a personnel system exports it, read, checked against the store and written in
//! one transaction into an empty database, per backend.
//!
//! [`plausibility_month`] times the ingest's place and plausibility checks over a month of the
//! department's field records (pure computation, no store).
//!
//! The HTTP layer is left out on purpose: it is the same for both backends and measured by the
//! integration tests' wall time, not here. PostgreSQL runs in a temporary cluster with fsync on,
//! to compare fairly with SQLite's `synchronous=FULL`.

use hadir_protocol::keytable::KeyTables;
use hadir_server::ingest::{IngestPolicy, ingest, prepare};
use hadir_pg_cluster::TempCluster;
use hadir_server::storage::{NewToken, Store};
use hadir_protocol::{
    ClockEvidence, Decision, DeviceKey, Digest, Direction, Mode, Outcome, RecordBody, Score,
    UploadBatch, decode_batch,
};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Records per backend (rounded up to whole batches).
    pub records: usize,
    /// Records per batch.
    pub batch: usize,
    /// Devices uploading at once.
    pub devices: usize,
    /// Run SQLite.
    pub sqlite: bool,
    /// Run PostgreSQL (in a temporary cluster).
    pub postgres: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions { records: 20_000, batch: 100, devices: 8, sqlite: true, postgres: true }
    }
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] hadir_server::storage::StorageError),
    /// The PostgreSQL cluster could not start.
    #[error(transparent)]
    Cluster(#[from] hadir_pg_cluster::ClusterError),
    /// Something did not ingest as expected (a bug, not a slow machine).
    #[error("benchmark check failed: {0}")]
    Check(String),
    /// Temporary files.
    #[error("temporary directory: {0}")]
    Io(#[from] std::io::Error),
}

/// One backend's figures.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Records ingested.
    pub records: usize,
    /// Wall time of the throughput run.
    pub elapsed: Duration,
    /// Time per phase in the sequential run: (name, total).
    pub phases: Vec<(&'static str, Duration)>,
}

impl BenchResult {
    /// Records per second of the throughput run.
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64()
    }

    /// The report: a table of phases and the machine-readable line.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let total: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        let _ = writeln!(
            out,
            "{}: {} records in batches, {:.2} s with concurrent devices",
            self.backend,
            self.records,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "  where the time goes (one batch at a time, {:.2} s):", total.as_secs_f64());
        let _ = writeln!(out, "  {:<34} {:>10} {:>7}", "phase", "µs/record", "share");
        for (name, d) in &self.phases {
            let _ = writeln!(
                out,
                "  {:<34} {:>10.2} {:>6.1}%",
                name,
                d.as_secs_f64() * 1e6 / self.records as f64,
                100.0 * d.as_secs_f64() / total.as_secs_f64().max(1e-9)
            );
        }
        let _ = writeln!(out, "ingest {} records_per_s={:.0}", self.backend, self.records_per_s());
        out
    }
}

/// A fixed instant for generated records and the ingest clock (2026-07-06T00:30:00Z).
const T0: i64 = 1_783_297_800_000;

struct Workload {
    keys: Vec<(String, DeviceKey)>,
    /// Per device, its upload bodies in order.
    bodies: Vec<Vec<Vec<u8>>>,
    records: usize,
}

fn workload(o: &BenchOptions) -> Workload {
    let per_device = o.records.div_ceil(o.devices).div_ceil(o.batch) * o.batch;
    let mut keys = Vec::new();
    let mut bodies = Vec::new();
    for d in 0..o.devices {
        let id = format!("BENCH-{d:02}");
        let mut seed = [0u8; 32];
        seed[0] = d as u8;
        seed[1] = 0xbe;
        let key = DeviceKey::from_seed(&seed);
        let mut prev = Digest::ZERO;
        let mut device_bodies = Vec::new();
        let mut batch = Vec::with_capacity(o.batch);
        for seq in 1..=per_device as u64 {
            let body = RecordBody {
                format: hadir_protocol::CANONICAL_VERSION,
                device_id: id.clone(),
                seq,
                employee_id: format!("1985033020100110{:02}", seq % 97),
                direction: if seq % 2 == 0 { Direction::Out } else { Direction::In },
                recorded_at_ms: T0 - 86_400_000 + seq as i64 * 1000,
                // The sites' zone (WITA), as a provisioned kiosk records.
                utc_offset_min: 480,
                mode: Mode::Office,
                match_score: Score(9000 + (seq % 900) as u16),
                liveness_score: Score(9500),
                decision: Decision::Valid,
                gps: None,
                photo_sha256: Digest::of(&seq.to_be_bytes()),
                app_version: "hadir-kiosk 0.1.0".into(),
                model_version: "faceplugin-face-recognition-js 0.0.1".into(),
                prev_hash: prev,
                clock: ClockEvidence { since_sync_monotonic_ms: Some(seq * 1000), last_sync_offset_ms: Some(-120), gps_time_ms: None, clock_jumped: false },
            };
            let record = body.sign(&key);
            prev = record.hash();
            batch.push(record);
            if batch.len() == o.batch {
                let text = serde_json::to_vec(&UploadBatch::of(std::mem::take(&mut batch))).unwrap_or_default();
                device_bodies.push(text);
            }
        }
        keys.push((id, key));
        bodies.push(device_bodies);
    }
    Workload { keys, bodies, records: per_device * o.devices }
}

async fn enrol_all(store: &Store, w: &Workload) -> Result<(), BenchError> {
    store.migrate(&hadir_server::migrations()).await?;
    // The employees are on the site's roster, so the server doubts nothing about the records.
    for i in 0..97 {
        let e = hadir_server::storage::EmployeeInput {
            employee_id: format!("1985033020100110{i:02}"),
            name: format!("Pegawai {i}"),
            site_id: "BENCH".into(),
            section_id: None,
            pin_hash: None,
        };
        store.upsert_employee(&e).await?;
    }
    for (id, key) in &w.keys {
        let token = format!("bench-token-{id}");
        let new = NewToken { device_id: id.clone(), site_id: "BENCH".into(), mode: Mode::Office, expires_at_ms: T0 + 3_600_000 };
        store.create_enrol_token(&token, &new, T0).await?;
        store
            .enrol(&token, key.public(), "bench", T0)
            .await?
            .map_err(|e| BenchError::Check(format!("enrol {id}: {e}")))?;
    }
    Ok(())
}

async fn throughput(store: &Store, w: &Workload) -> Result<Duration, BenchError> {
    let policy = IngestPolicy::default();
    let keys = std::sync::Arc::new(KeyTables::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for bodies in w.bodies.clone() {
        let store = store.clone();
        let policy = policy.clone();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            let mut stored = 0usize;
            for body in bodies {
                let answer = ingest(&store, &body, T0, &policy, &keys).await.map_err(|e| e.to_string())?;
                stored += answer.results.iter().filter(|r| r.outcome == Outcome::Stored).count();
            }
            Ok::<usize, String>(stored)
        }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += t.await.map_err(|e| BenchError::Check(e.to_string()))?.map_err(BenchError::Check)?;
    }
    let elapsed = started.elapsed();
    if stored != w.records {
        return Err(BenchError::Check(format!("stored {stored} of {} records", w.records)));
    }
    Ok(elapsed)
}

async fn phases(store: &Store, w: &Workload) -> Result<Vec<(&'static str, Duration)>, BenchError> {
    let policy = IngestPolicy::default();
    let keys = KeyTables::default();
    let names = [
        "JSON decode + validate",
        "device, roster and month lookup",
        "canonical bytes + SHA-256 + verify",
        "store (chain check, insert)",
        "commit (fsync)",
    ];
    let mut t = [Duration::ZERO; 5];
    hadir_server::storage::take_commit_time();
    let ids: Vec<String> = w.keys.iter().map(|(id, _)| id.clone()).collect();
    let rounds = w.bodies.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for device in &w.bodies {
            let Some(body) = device.get(round) else { continue };
            let s = Instant::now();
            let decoded = decode_batch(body).map_err(|e| BenchError::Check(e.to_string()))?;
            t[0] += s.elapsed();
            let s = Instant::now();
            let devices = store.devices(&ids).await?;
            let known = hadir_server::ingest::known(store, &decoded, &policy).await?;
            t[1] += s.elapsed();
            let s = Instant::now();
            let verified = prepare(decoded, &devices, &known, T0, &policy, &keys).verified;
            if verified.iter().any(|v| !v.flags.is_empty()) {
                return Err(BenchError::Check("the server doubted a bench record".into()));
            }
            t[2] += s.elapsed();
            let s = Instant::now();
            let outcomes = store.store_verified(verified, T0).await?;
            let commit = hadir_server::storage::take_commit_time();
            t[3] += s.elapsed().saturating_sub(commit);
            t[4] += commit;
            if outcomes.iter().any(|o| *o != Outcome::Stored) {
                return Err(BenchError::Check("a record was not stored in the phase run".into()));
            }
        }
    }
    Ok(names.into_iter().zip(t).collect())
}

async fn run_backend<F, Fut>(backend: &'static str, w: &Workload, open: F) -> Result<BenchResult, BenchError>
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Store, BenchError>>,
{
    let store = open(1).await?;
    enrol_all(&store, w).await?;
    let elapsed = throughput(&store, w).await?;
    let store = open(2).await?;
    enrol_all(&store, w).await?;
    let phases = phases(&store, w).await?;
    Ok(BenchResult { backend, records: w.records, elapsed, phases })
}

/// Runs the benchmark; prints nothing (the caller prints [`BenchResult::report`]).
pub async fn run(o: &BenchOptions) -> Result<Vec<BenchResult>, BenchError> {
    let w = workload(o);
    let mut results = Vec::new();
    if o.sqlite {
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_owned();
        let r = run_backend("sqlite", &w, |n| {
            let p = path.join(format!("bench-{n}.db"));
            async move {
                let store = Store::open_sqlite(&p)?;
                store.migrate(&hadir_server::migrations()).await?;
                // The migrations include the dashboard's tables and its covering index on
                // records (which costs inserts), as in production.
                Ok(store)
            }
        })
        .await?;
        results.push(r);
    }
    if o.postgres {
        let cluster = TempCluster::start(true)?;
        let cluster = &cluster;
        let r = run_backend("postgres", &w, |n| async move {
            let url = cluster.create_database(&format!("bench{n}")).await?;
            Ok(Store::connect_postgres(&url).await?)
        })
        .await?;
        results.push(r);
    }
    Ok(results)
}

/// The ZKTeco terminals' ingest (issue 20): ATTLOG lines per second through
/// [`hadir_server::terminals::handle`] (request typing, line decoding, one transaction per upload,
/// the `OK: n` answer), without the HTTP layer, one approved terminal, uploads of
/// `lines_per_upload` lines. Prints `zk <backend> zk_lines_per_s=N`.
#[derive(Debug, Clone)]
pub struct ZkBenchResult {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Lines stored.
    pub lines: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl ZkBenchResult {
    /// Lines per second.
    pub fn lines_per_s(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The machine-readable line.
    pub fn report(&self) -> String {
        format!(
            "zk {}: {} ATTLOG lines in {:.2} s\nzk {} zk_lines_per_s={:.0}\n",
            self.backend,
            self.lines,
            self.elapsed.as_secs_f64(),
            self.backend,
            self.lines_per_s()
        )
    }
}

/// ATTLOG bodies of `lines` distinct punches (500 employees, a punch a minute each).
fn zk_bodies(lines: usize, per_upload: usize) -> Vec<Vec<u8>> {
    let start = time::macros::datetime!(2026-07-06 07:00);
    let all: Vec<String> = (0..lines)
        .map(|i| {
            let t = start + time::Duration::minutes((i / 500) as i64);
            format!(
                "{}\t{:04}-{:02}-{:02} {:02}:{:02}:{:02}\t{}\t15\t0\t0\t0\r\n",
                1000 + i % 500,
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                i % 2
            )
        })
        .collect();
    all.chunks(per_upload.max(1)).map(|c| c.concat().into_bytes()).collect()
}

async fn zk_backend(backend: &'static str, store: Store, lines: usize, per_upload: usize) -> Result<ZkBenchResult, BenchError> {
    let clock: hadir_server::Clock = std::sync::Arc::new(|| T0);
    let zone = hadir_rules::SiteZone::parse("Asia/Makassar").map_err(|e| BenchError::Check(e.to_string()))?;
    let st = hadir_server::terminals::TerminalsState::new(store.clone(), zone, clock, hadir_zkteco::Limits::default())
        .map_err(|e| BenchError::Check(e.to_string()))?;
    store.terminal_contact("BENCH0000001", T0, None, None).await?;
    store.approve_terminal("BENCH0000001", "BENCH", &[], Vec::new(), T0).await?;
    let bodies = zk_bodies(lines, per_upload);
    let started = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        let query = format!("SN=BENCH0000001&table=ATTLOG&Stamp={i}");
        let a = hadir_server::terminals::handle(&st, "POST", "/iclock/cdata", &query, body).await.map_err(|e| BenchError::Check(e.to_string()))?;
        if a.status != 200 || !a.body.starts_with("OK: ") {
            return Err(BenchError::Check(format!("upload {i} answered {} {}", a.status, a.body)));
        }
    }
    let elapsed = started.elapsed();
    let stored = store.terminal("BENCH0000001").await?.map_or(0, |t| t.records);
    if stored != lines as i64 {
        return Err(BenchError::Check(format!("{stored} of {lines} lines stored")));
    }
    Ok(ZkBenchResult { backend, lines, elapsed })
}

/// Runs the terminals' benchmark on the backends `o` asks for, `lines` ATTLOG lines each.
pub async fn run_zk(o: &BenchOptions, lines: usize) -> Result<Vec<ZkBenchResult>, BenchError> {
    const PER_UPLOAD: usize = 500;
    let mut results = Vec::new();
    if o.sqlite {
        let dir = tempfile::tempdir()?;
        let store = Store::open_sqlite(&dir.path().join("zk-bench.db"))?;
        store.migrate(&hadir_server::migrations()).await?;
        results.push(zk_backend("sqlite", store, lines, PER_UPLOAD).await?);
    }
    if o.postgres {
        let cluster = TempCluster::start(true)?;
        let url = cluster.create_database("zkbench").await?;
        let store = Store::connect_postgres(&url).await?;
        store.migrate(&hadir_server::migrations()).await?;
        results.push(zk_backend("postgres", store, lines, PER_UPLOAD).await?);
    }
    Ok(results)
}

/// Times importing `n` employees (CSV, three sections, one site) into a fresh database of each
/// chosen backend: parse, plan and the one-transaction commit. Returns (backend, time).
pub async fn employees_import(n: usize, sqlite: bool, postgres: bool) -> Result<Vec<(&'static str, Duration)>, BenchError> {
    use hadir_server::people::import::{EmploymentType, Person};
    let sections = ["UM", "BM", "SDA"];
    let people: Vec<Person> = (0..n)
        .map(|i| Person {
            employee_id: format!("{:018}", 198_001_012_005_000_000u64 + i as u64),
            nip: Some(format!("{:018}", 198_001_012_005_000_000u64 + i as u64)),
            name: format!("Pegawai Uji {i:05}"),
            position: Some("Staf".into()),
            grade: Some("III/a".into()),
            section: Some(sections[i % sections.len()].into()),
            site: Some("PU".into()),
            employment_type: Some(EmploymentType::Pns),
            supervisor: None,
        })
        .collect();
    let file = hadir_server::people::export::to_csv(&people);
    async fn one(store: &Store, file: &[u8], n: usize) -> Result<Duration, BenchError> {
        use hadir_server::storage::portable::{Stmt, params};
        store.migrate(&hadir_server::migrations()).await?;
        let mut setup = vec![Stmt::new("INSERT INTO sites (site_id, name) VALUES ('PU', 'Kantor PU')", params![])];
        for (id, name) in [("UM", "Umum"), ("BM", "Bina Marga"), ("SDA", "Sumber Daya Air")] {
            setup.push(Stmt::new("INSERT INTO dash_sections (id, name) VALUES ($1, $2)", params![id, name]));
        }
        store.write_all("bench: office", setup).await?;
        let now = time::OffsetDateTime::now_utc();
        let started = Instant::now();
        let plan = store.import_employees(file, true, "bench", now).await.map_err(|e| BenchError::Check(format!("import: {e}")))?;
        let elapsed = started.elapsed();
        if plan.tally().added != n || store.employees().await?.len() != n {
            return Err(BenchError::Check(format!("import added {:?}, expected {n}", plan.tally())));
        }
        Ok(elapsed)
    }
    let mut out = Vec::new();
    if sqlite {
        let dir = tempfile::tempdir()?;
        let store = Store::open_sqlite(&dir.path().join("import.db"))?;
        out.push(("sqlite", one(&store, &file, n).await?));
    }
    if postgres {
        let cluster = TempCluster::start(true)?;
        let url = cluster.create_database("import").await?;
        let store = Store::connect_postgres(&url).await?;
        out.push(("postgres", one(&store, &file, n).await?));
    }
    Ok(out)
}

/// What [`plausibility_month`] measured.
#[derive(Debug, Clone)]
pub struct PlausibilityResult {
    /// Records judged.
    pub records: usize,
    /// Of which flagged.
    pub flagged: usize,
    /// Wall time of the judging (generation excluded).
    pub elapsed: Duration,
}

/// A month of the department's field records (359 employees on 38 devices, 22 working days,
/// an IN and an OUT each with a fix wandering around the site), judged as the ingest judges
/// them: the place against the site's area and each employee's track (travel, jumps, repeated
/// positions), in time order. A few spoofs are mixed in, so the flagged path is timed too.
pub fn plausibility_month() -> PlausibilityResult {
    use hadir_rules::place::{Area, FixLimits, check_place};
    use hadir_rules::plausibility::{FixPoint, PlausibilityRules, Track};
    const EMPLOYEES: usize = 359;
    const DAYS: i64 = 22;
    let area = Area::Circle { lat: -8.5819, lon: 115.1771, radius_m: 2_000.0 };
    let (limits, rules) = (FixLimits::default(), PlausibilityRules::default());
    let mut points: Vec<(usize, FixPoint, hadir_protocol::GpsFix)> = Vec::with_capacity(EMPLOYEES * DAYS as usize * 2);
    for day in 0..DAYS {
        for e in 0..EMPLOYEES {
            for (k, minute) in [(0u64, 450i64), (1, 960)] {
                // Within about a kilometre of the base, a different spot each time; every 50th
                // employee's IN replays the first day's position (a frozen, spoofed fix).
                let frozen = e % 50 == 0 && k == 0;
                let n = (if frozen { 0 } else { day as u64 * 7919 } + e as u64 * 104_729 + k * 15_485_863) % 10_007;
                let (dlat, dlon) = ((n % 180) as i32 * 500 - 45_000, (n / 180) as i32 * 1_600 - 45_000);
                let at_ms = T0 + day * 86_400_000 + (minute + (n % 30) as i64) * 60_000;
                let gps = hadir_protocol::GpsFix {
                    lat_e7: -85_819_000 + dlat,
                    lon_e7: 1_151_771_000 + dlon,
                    accuracy_dm: 45,
                    hdop_centi: Some(90),
                    satellites: 9,
                    fix_at_ms: at_ms - 2_000,
                    fix_mode: Some(hadir_protocol::FixMode::ThreeD),
                    receiver_doubts: hadir_protocol::ReceiverDoubts::default(),
                };
                let p = FixPoint { at_ms, lat_e7: gps.lat_e7, lon_e7: gps.lon_e7, hdop_centi: gps.hdop_centi, day };
                points.push((e, p, gps));
            }
        }
    }
    points.sort_by_key(|(_, p, _)| p.at_ms);
    let started = Instant::now();
    let mut tracks: std::collections::HashMap<usize, Track> = std::collections::HashMap::new();
    let mut flagged = 0;
    for (e, p, gps) in &points {
        let place = check_place(Some(gps), p.at_ms, &area, &limits);
        let found = tracks.entry(*e).or_default().next(*p, &rules);
        flagged += usize::from(!place.doubts.is_empty() || !found.is_empty());
    }
    PlausibilityResult { records: points.len(), flagged, elapsed: started.elapsed() }
}

/// Strict verification with the key as read against the same key prepared ([`KeyTables`]),
/// one signature at a time and an upload's at once, on the same signed records, interleaved in
/// rounds so that all three see the same machine. The uploads come from eight devices in turn,
/// as at a server, so a key's table is seldom in the processor's cache.
#[derive(Debug)]
pub struct VerifySpeed {
    /// Signatures checked by each way.
    pub signatures: usize,
    /// Median µs a signature, `PublicKey::verify` (ed25519-dalek's `verify_strict`).
    pub strict_us: f64,
    /// Median µs a signature, `PreparedKey::verify`.
    pub prepared_us: f64,
    /// Median µs a signature, `keytable::verify_many` over an upload's 100 (as the ingest).
    pub many_us: f64,
    /// Building one prepared key, µs (the base point's table already built).
    pub prepare_us: f64,
}

/// Times the three verifications over `rounds` rounds of eight uploads of 100 signatures.
pub fn verify_speed(rounds: usize) -> VerifySpeed {
    use hadir_protocol::keytable::{PreparedKey, verify_many};
    const DEVICES: u8 = 8;
    const UPLOAD: usize = 100;
    let per_round = usize::from(DEVICES) * UPLOAD;
    // The base point's table is built once per process, with the first key.
    PreparedKey::new(&DeviceKey::from_seed(&[0x5f; 32]).public());
    let mut prepare_us = Vec::new();
    let uploads: Vec<(hadir_protocol::PublicKey, PreparedKey, Vec<(Vec<u8>, hadir_protocol::Signature)>)> = (0..DEVICES)
        .map(|d| {
            let mut seed = [0x5e; 32];
            seed[0] = d;
            let key = DeviceKey::from_seed(&seed);
            let signed = (0..UPLOAD)
                .map(|i| {
                    let message = format!("a canonical record of about the usual length, number {i:06}, {}", "x".repeat(120)).into_bytes();
                    let sig = key.sign(&message);
                    (message, sig)
                })
                .collect();
            let started = Instant::now();
            let prepared = PreparedKey::new(&key.public());
            prepare_us.push(started.elapsed().as_secs_f64() * 1e6);
            (key.public(), prepared, signed)
        })
        .collect();
    let (mut strict, mut fast, mut many) = (Vec::new(), Vec::new(), Vec::new());
    let per_signature = |s: Instant| s.elapsed().as_secs_f64() * 1e6 / per_round as f64;
    for _ in 0..rounds.max(1) {
        let s = Instant::now();
        let ok: usize = uploads.iter().map(|(public, _, signed)| signed.iter().filter(|(m, sig)| public.verify(m, sig).is_ok()).count()).sum();
        strict.push(per_signature(s));
        let s = Instant::now();
        let ok_fast: usize = uploads.iter().map(|(_, prepared, signed)| signed.iter().filter(|(m, sig)| prepared.verify(m, sig).is_ok()).count()).sum();
        fast.push(per_signature(s));
        let s = Instant::now();
        let ok_many: usize = uploads
            .iter()
            .map(|(_, prepared, signed)| {
                let items: Vec<_> = signed.iter().map(|(m, sig)| (prepared, m.as_slice(), sig)).collect();
                verify_many(&items).iter().filter(|r| r.is_ok()).count()
            })
            .sum();
        many.push(per_signature(s));
        assert_eq!((ok, ok_fast, ok_many), (per_round, per_round, per_round), "every benchmark signature verifies each way");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    VerifySpeed {
        signatures: per_round * rounds.max(1),
        strict_us: median(&mut strict),
        prepared_us: median(&mut fast),
        many_us: median(&mut many),
        prepare_us: median(&mut prepare_us),
    }
}
