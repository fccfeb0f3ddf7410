//! # The demo department: what `cargo xtask demo` seeds into a fresh server
//!
//! `hadir-dev seed-demo` fills an empty database with a small public-works department so
//! that a new user sees a working system: a site, four sections with weekly schedules,
//! [`DemoOptions::employees`] employees with NIP-like ids and PINs, three dashboard logins
//! (admin, a supervisor of one section, an operator), a late-board token, and a month of past
//! attendance. The month is not written into tables by hand: it is made of records signed by a
//! demo device key and sent through the real ingest path ([`hadir_server::ingest::ingest`]), so chains,
//! signatures and sequence numbers are as valid as a kiosk's.
//!
//! The secrets a user needs (passwords, PINs, the board token) exist only in clear in the
//! [`DemoSecrets`] file the command writes; the database keeps Argon2 hashes and the token's
//! SHA-256, as it does for real users.
//!
//! ## What the month contains
//! [`plan_day`] decides, per employee and working day, from a hash of both (the same every
//! run): mostly on time, some late within the 60-minute tolerance, some late past it, some
//! overtime past 180 minutes, a few records awaiting a supervisor's confirmation, a few
//! absences. Today gets the arrivals whose time has passed.
//!
//! It must not run against a database with real data: [`seed`] refuses when the demo site or
//! any dashboard user exists. It runs on either backend (SQLite or PostgreSQL), through the one
//! store.

use hadir_server::dashboard::auth;
use hadir_server::ingest::{IngestError, IngestPolicy, ingest};
use hadir_rules::{WeeklySchedule, WorkHours};
use hadir_server::storage::accounts::Role;
use hadir_server::storage::portable::{Stmt, params};
use hadir_server::storage::{EmployeeInput, NewToken, StorageError, Store};
use hadir_protocol::{ClockEvidence, Decision, DeviceKey, Digest, Direction, Mode, Outcome, RecordBody, Score, UploadBatch};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset, Weekday};

/// The demo site's id.
pub const SITE: &str = "DEMO";
/// The demo device that made the past month's records.
pub const SEED_DEVICE: &str = "KIOSK-DEMO-ARSIP";

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Ingest refused a whole batch.
    #[error("ingest of demo records: {0}")]
    Ingest(String),
    /// A demo record was not stored (the seed's records must all be valid).
    #[error("demo record {seq} was not stored: {outcome}")]
    NotStored {
        /// Its sequence number.
        seq: u64,
        /// The server's answer.
        outcome: String,
    },
    /// The database holds data already; the demo only seeds an empty one.
    #[error("the database already holds {what}; the demo seeds only a fresh database (delete demo-data/ to start over)")]
    NotEmpty {
        /// What was found.
        what: String,
    },
    /// A PIN or password could not be hashed.
    #[error("hashing: {0}")]
    Hash(String),
    /// A face template file is unusable.
    #[error("face templates {path}: {message}")]
    Templates {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl From<IngestError> for DemoError {
    fn from(e: IngestError) -> Self {
        DemoError::Ingest(e.to_string())
    }
}

/// What to seed.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of employees.
    pub employees: usize,
    /// Past days of records (today excluded).
    pub days: u32,
    /// The sites' UTC offset (WIB).
    pub utc_offset: UtcOffset,
    /// Evidence photo (JPEG) stored for the records awaiting confirmation.
    pub evidence_jpeg: Option<Vec<u8>>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            employees: 40,
            days: 30,
            // The demo department is in Badung, on WITA.
            utc_offset: hadir_rules::SiteZone::default().offset(),
            evidence_jpeg: None,
        }
    }
}

/// A dashboard login of the demo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoLogin {
    /// User name.
    pub username: String,
    /// Password (clear: demo only).
    pub password: String,
    /// `admin`, `supervisor` or `operator`.
    pub role: String,
    /// Sections of a supervisor.
    pub sections: Vec<String>,
}

/// An employee's PIN, for the kiosk's hints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoPin {
    /// Employee id (NIP).
    pub employee_id: String,
    /// Name.
    pub name: String,
    /// Section.
    pub section: String,
    /// The PIN (clear: demo only).
    pub pin: String,
}

/// What the user needs to use the demo; written once as JSON beside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSecrets {
    /// The site id.
    pub site: String,
    /// Dashboard logins.
    pub logins: Vec<DemoLogin>,
    /// The late board's token (the board is at `/board/<token>`).
    pub board_token: String,
    /// The employee whose face the kiosk's simulated camera shows.
    pub face_employee: String,
    /// Every employee's PIN.
    pub pins: Vec<DemoPin>,
    /// Records stored by the seed.
    pub records: usize,
}

/// A demo section.
struct SectionPlan {
    id: &'static str,
    name: &'static str,
    six_days: bool,
}

const SECTIONS: [SectionPlan; 4] = [
    SectionPlan { id: "SEKRE", name: "Sekretariat — Subbagian Umum dan Kepegawaian", six_days: false },
    SectionPlan { id: "BM", name: "Bidang Bina Marga — Seksi Pemeliharaan Jalan", six_days: true },
    SectionPlan { id: "SDA", name: "Bidang Sumber Daya Air — Seksi Irigasi", six_days: true },
    SectionPlan { id: "CK", name: "Bidang Cipta Karya — Seksi Bangunan Gedung", six_days: false },
];

/// The weekly schedule of a demo section: a five-day week (Mon–Thu 07:30–16:00, Fri
/// 07:30–16:30) or a six-day week (Mon–Thu 07:30–14:00, Fri 07:30–11:30, Sat 07:30–13:00).
pub fn weekly(six_days: bool) -> WeeklySchedule {
    let h = |sh: u8, sm: u8, eh: u8, em: u8| {
        let (Ok(s), Ok(e)) = (Time::from_hms(sh, sm, 0), Time::from_hms(eh, em, 0)) else { return None };
        WorkHours::new(s, e).ok()
    };
    if six_days {
        let d = h(7, 30, 14, 0);
        WeeklySchedule::new([d, d, d, d, h(7, 30, 11, 30), h(7, 30, 13, 0), None])
    } else {
        let d = h(7, 30, 16, 0);
        WeeklySchedule::new([d, d, d, d, h(7, 30, 16, 30), None, None])
    }
}

const FIRST: [&str; 20] = [
    "Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gunawan", "Hendra", "Indah", "Joko", "Kartika", "Lestari",
    "Made", "Nur", "Putu", "Rina", "Slamet", "Tri", "Wahyu", "Yuliana",
];
const LAST: [&str; 16] = [
    "Santoso", "Wijaya", "Rahayu", "Saputra", "Hidayat", "Kurniawan", "Lestari", "Nugroho", "Pratama", "Siregar",
    "Wibowo", "Susanti", "Setiawan", "Harahap", "Purnomo", "Handayani",
];

/// A NIP-like id: birth date, appointment month, sex, serial (18 digits).
pub fn nip(i: usize) -> String {
    let h = mix(i as u64, 0x5eed);
    let year = 1968 + (h % 30);
    let month = 1 + (h >> 8) % 12;
    let day = 1 + (h >> 16) % 28;
    let appointed = year + 22 + (h >> 24) % 8;
    let sex = 1 + (h >> 32) % 2;
    format!("{year:04}{month:02}{day:02}{appointed:04}{:02}{sex}{:03}", 1 + (h >> 40) % 12, 1 + i % 999)
}

/// A deterministic 64-bit mix (splitmix64) of two numbers: the plan is the same every run.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one employee did on one working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Arrived before the start, left after the end.
    OnTime,
    /// Arrived late, within the office tolerance (1–59 min).
    LateWithinTolerance,
    /// Arrived more than 60 minutes late.
    VeryLate,
    /// Stayed more than 180 minutes after the end.
    Overtime,
    /// Arrival with a doubtful face score: awaits a supervisor.
    NeedsConfirmation,
    /// No record at all.
    Absent,
}

/// One planned record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedPunch {
    /// IN or OUT.
    pub direction: Direction,
    /// Minutes from the scheduled start (IN) or end (OUT); negative is earlier.
    pub offset_min: i64,
    /// Match score, basis points.
    pub score_bp: u16,
    /// Valid or needs confirmation.
    pub decision: Decision,
}

/// The plan of one employee's day, from a hash of (employee, day): the kind and its records.
pub fn plan_day(employee: usize, day: i64) -> (DayKind, Vec<PlannedPunch>) {
    let h = mix(employee as u64, day as u64);
    let roll = h % 100;
    let jitter = |shift: u32, span: u64| ((h >> shift) % span) as i64;
    let score = 8600 + jitter(40, 1300) as u16;
    let valid = |direction, offset_min| PlannedPunch { direction, offset_min, score_bp: score, decision: Decision::Valid };
    let kind = match roll {
        0..=67 => DayKind::OnTime,
        68..=79 => DayKind::LateWithinTolerance,
        80..=85 => DayKind::VeryLate,
        86..=91 => DayKind::Overtime,
        92..=96 => DayKind::NeedsConfirmation,
        _ => DayKind::Absent,
    };
    let out_normal = valid(Direction::Out, jitter(16, 45));
    let punches = match kind {
        DayKind::OnTime => vec![valid(Direction::In, -5 - jitter(8, 35)), out_normal],
        DayKind::LateWithinTolerance => vec![valid(Direction::In, 3 + jitter(8, 55)), out_normal],
        DayKind::VeryLate => vec![valid(Direction::In, 65 + jitter(8, 90)), out_normal],
        DayKind::Overtime => vec![valid(Direction::In, -10 - jitter(8, 20)), valid(Direction::Out, 185 + jitter(16, 90))],
        DayKind::NeedsConfirmation => vec![
            PlannedPunch {
                direction: Direction::In,
                offset_min: -jitter(8, 20),
                score_bp: 5500 + jitter(24, 2400) as u16,
                decision: Decision::NeedsConfirmation,
            },
            out_normal,
        ],
        DayKind::Absent => Vec::new(),
    };
    (kind, punches)
}

struct Person {
    id: String,
    name: String,
    section: usize,
}

fn people(n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| Person {
            id: nip(i),
            name: format!("{} {}", FIRST[i % FIRST.len()], LAST[(i * 7 + i / FIRST.len()) % LAST.len()]),
            // Section 1 (Bina Marga, six-day week) first, so the face employee works Saturdays.
            section: (i + 1) % SECTIONS.len(),
        })
        .collect()
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let word: String = (0..10).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    format!("demo-{word}")
}

/// Whether the demo was seeded into this database already.
pub async fn seeded(store: &Store) -> Result<bool, DemoError> {
    let n = store
        .query_opt("demo: look for the demo site", "SELECT count(*) FROM sites WHERE site_id = $1", params![SITE], |r| r.i64(0))
        .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// Seeds the demo department into a fresh database (core migrations applied) and returns the
/// secrets. `now` decides "today" and the month before it.
pub async fn seed(store: &Store, opts: &DemoOptions, now: OffsetDateTime) -> Result<DemoSecrets, DemoError> {
    if seeded(store).await? {
        return Err(DemoError::NotEmpty { what: format!("the demo site {SITE}") });
    }
    if !store.users().await?.is_empty() {
        return Err(DemoError::NotEmpty { what: "dashboard users".into() });
    }
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let people = people(opts.employees.max(1));

    // Site and sections: the core tables (roster) and the dashboard's schedules.
    let mut stmts =
        vec![Stmt::new("INSERT INTO sites (site_id, name) VALUES ($1, $2)", params![SITE, "Dinas PUPR Kabupaten Contoh (demo)"])];
    for s in &SECTIONS {
        stmts.push(Stmt::new(
            "INSERT INTO sections (section_id, name, site_id) VALUES ($1, $2, $3)
             ON CONFLICT (section_id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id",
            params![s.id, s.name, SITE],
        ));
    }
    store.write_all("demo: site and sections", stmts).await?;
    for s in &SECTIONS {
        store.put_section(s.id, s.name, &weekly(s.six_days)).await?;
    }

    // Employees with PINs (unique: the kiosk finds the employee by PIN).
    let mut pins = Vec::new();
    let mut used = std::collections::HashSet::new();
    for p in &people {
        let pin = loop {
            let pin = random_digits(6);
            if used.insert(pin.clone()) {
                break pin;
            }
        };
        let hash = hadir_server::roster::hash_pin(&pin).map_err(|e| DemoError::Hash(e.to_string()))?;
        store
            .upsert_employee(&EmployeeInput {
                employee_id: p.id.clone(),
                name: p.name.clone(),
                site_id: SITE.into(),
                section_id: Some(SECTIONS[p.section].id.into()),
                pin_hash: Some(hash),
            })
            .await?;
        pins.push(DemoPin { employee_id: p.id.clone(), name: p.name.clone(), section: SECTIONS[p.section].id.into(), pin });
    }

    // Dashboard logins.
    let mut logins = Vec::new();
    for (username, role, sections) in
        [("admin", Role::Admin, vec![]), ("kabid.bm", Role::Supervisor, vec!["BM"]), ("operator", Role::Operator, vec![])]
    {
        let password = random_password();
        let hash = auth::hash_password(&password).map_err(|e| DemoError::Hash(e.to_string()))?;
        store.add_user(username, &hash, role, &sections).await?;
        logins.push(DemoLogin {
            username: username.into(),
            password,
            role: role.as_str().into(),
            sections: sections.iter().map(|s| s.to_string()).collect(),
        });
    }
    let board_token = auth::random_token();
    store.add_board_token(&auth::token_hash(&board_token), &hadir_server::storage::accounts::BoardToken { label: "TV lobi (demo)".into(), initials_only: false, device_alerts: false, site: None }, now_ms, now_ms + hadir_server::dashboard::BOARD_LINK_DAYS * 86_400_000).await?;

    let records = seed_records(store, &people, opts, now, now_ms).await?;
    store.audit("demo", "demo_seeded", &format!("{} employees, {records} records", people.len()), now).await?;
    Ok(DemoSecrets {
        site: SITE.into(),
        logins,
        board_token,
        face_employee: people[0].id.clone(),
        pins,
        records,
    })
}

/// The past month (and today's arrivals so far) as signed records of [`SEED_DEVICE`], sent
/// through the ingest path in batches of 100.
async fn seed_records(store: &Store, people: &[Person], opts: &DemoOptions, now: OffsetDateTime, now_ms: i64) -> Result<usize, DemoError> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = DeviceKey::from_seed(&seed);
    let token = auth::random_token();
    let new = NewToken { device_id: SEED_DEVICE.into(), site_id: SITE.into(), mode: Mode::Office, expires_at_ms: now_ms + 3_600_000 };
    store.create_enrol_token(&token, &new, now_ms).await?;
    store
        .enrol(&token, key.public(), "hadir-server demo seed", now_ms)
        .await?
        .map_err(|e| DemoError::Ingest(format!("enrolling the demo device: {e}")))?;

    let local_now = now.to_offset(opts.utc_offset);
    let today = local_now.date();
    // (instant ms, employee, punch) for every planned record up to now, in time order.
    let mut planned: Vec<(i64, usize, PlannedPunch)> = Vec::new();
    for back in (0..=i64::from(opts.days)).rev() {
        let date = today - Duration::days(back);
        let day_no = date.to_julian_day() as i64;
        for (i, p) in people.iter().enumerate() {
            let Some(hours) = weekly(SECTIONS[p.section].six_days).hours(date.weekday()) else { continue };
            let (_, punches) = plan_day(i, day_no);
            for punch in punches {
                let base = if punch.direction == Direction::In { hours.start() } else { hours.end() };
                let at = date.with_time(base).assume_offset(opts.utc_offset) + Duration::minutes(punch.offset_min);
                let at_ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
                // Today: only what has happened; the face employee's day is the kiosk's.
                if at_ms >= now_ms || (back == 0 && i == 0) {
                    continue;
                }
                planned.push((at_ms, i, punch));
            }
        }
    }
    planned.sort_by_key(|(at, i, _)| (*at, *i));

    let evidence = opts.evidence_jpeg.as_ref().map(|j| (Digest::of(j), j));
    let offset_min = (opts.utc_offset.whole_seconds() / 60) as i16;
    let mut prev = Digest::ZERO;
    let mut batch = Vec::new();
    let mut stored = 0usize;
    let policy = IngestPolicy::default();
    let keys = std::sync::Arc::new(hadir_protocol::keytable::KeyTables::default());
    for (n, (at_ms, i, punch)) in planned.iter().enumerate() {
        let seq = n as u64 + 1;
        let photo = match (&evidence, punch.decision) {
            (Some((sha, _)), Decision::NeedsConfirmation) => *sha,
            // A stand-in digest: the demo keeps photos only where a supervisor needs them.
            _ => Digest::of(format!("demo-photo-{seq}").as_bytes()),
        };
        let body = RecordBody {
            format: hadir_protocol::CANONICAL_VERSION,
            device_id: SEED_DEVICE.into(),
            seq,
            employee_id: people[*i].id.clone(),
            direction: punch.direction,
            recorded_at_ms: *at_ms,
            utc_offset_min: offset_min,
            mode: Mode::Office,
            match_score: Score(punch.score_bp),
            liveness_score: Score(9300 + (mix(seq, 7) % 600) as u16),
            decision: punch.decision,
            gps: None,
            photo_sha256: photo,
            app_version: "hadir-kiosk demo".into(),
            model_version: "demo".into(),
            prev_hash: prev,
            clock: ClockEvidence { since_sync_monotonic_ms: Some(60_000), last_sync_offset_ms: Some(-150), gps_time_ms: None, clock_jumped: false },
        };
        let record = body.sign(&key);
        prev = record.hash();
        batch.push(record);
        if batch.len() == 100 || n + 1 == planned.len() {
            let text = serde_json::to_vec(&UploadBatch::of(std::mem::take(&mut batch)))
                .map_err(|e| DemoError::Ingest(e.to_string()))?;
            let answer = ingest(store, &text, now_ms, &policy, &keys).await?;
            for r in answer.results {
                if r.outcome != Outcome::Stored {
                    return Err(DemoError::NotStored { seq: r.seq.unwrap_or(0), outcome: format!("{:?}", r.outcome) });
                }
                stored += 1;
            }
        }
    }
    if let Some((sha, jpeg)) = evidence {
        if planned.iter().any(|(_, _, p)| p.decision == Decision::NeedsConfirmation) {
            store.put_photo(SEED_DEVICE, sha, jpeg.clone(), now_ms).await?;
        }
    }
    Ok(stored)
}

/// Adds the face templates of a `hadir-face enroll` file (`{"model_version", "templates":
/// [[f32; 512], ...]}`) to an employee, unless they have templates of that model already.
/// Returns how many were added.
pub async fn add_face_templates(store: &Store, employee_id: &str, path: &std::path::Path, now_ms: i64) -> Result<usize, DemoError> {
    #[derive(Deserialize)]
    struct Set {
        model_version: String,
        templates: Vec<Vec<f32>>,
    }
    let bad = |message: String| DemoError::Templates { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let set: Set = serde_json::from_str(&text).map_err(|e| bad(format!("not a hadir-face template set: {e}")))?;
    if set.templates.is_empty() {
        return Err(bad("holds no templates".into()));
    }
    let have = store
        .query_opt(
            "demo: count templates",
            "SELECT count(*) FROM face_templates WHERE employee_id = $1 AND model_version = $2",
            params![employee_id, &set.model_version],
            |r| r.i64(0),
        )
        .await?;
    if have.unwrap_or(0) > 0 {
        return Ok(0);
    }
    for t in &set.templates {
        store.add_template(employee_id, &set.model_version, t, now_ms).await?;
    }
    Ok(set.templates.len())
}

/// One of today's records, as `seed-demo --show-today` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodayRecord {
    /// Device.
    pub device_id: String,
    /// Sequence number on that device.
    pub seq: i64,
    /// Employee.
    pub employee_id: String,
    /// `in` or `out`.
    pub direction: String,
    /// Local time, `HH:MM:SS`.
    pub time: String,
    /// `valid` or `needs_confirmation`.
    pub decision: String,
    /// Match score, percent.
    pub score_percent: f64,
}

/// The records of today (local date at `offset`), oldest first.
pub async fn today_records(store: &Store, now: OffsetDateTime, offset: UtcOffset) -> Result<Vec<TodayRecord>, DemoError> {
    let local = now.to_offset(offset);
    let start = local.date().midnight().assume_offset(offset);
    let from = (start.unix_timestamp_nanos() / 1_000_000) as i64;
    let to = from + 86_400_000;
    let rows = store
        .query_rows(
            "demo: today's records",
            "SELECT device_id, seq, employee_id, direction, recorded_at_ms, decision, match_score_bp FROM records
             WHERE recorded_at_ms >= $1 AND recorded_at_ms < $2 ORDER BY recorded_at_ms, id",
            params![from, to],
            |r| Ok((r.text(0)?, r.i64(1)?, r.text(2)?, r.text(3)?, r.i64(4)?, r.text(5)?, r.i64(6)?)),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(device_id, seq, employee_id, direction, at_ms, decision, bp)| {
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
                .map(|t| t.to_offset(offset).time())
                .unwrap_or(Time::MIDNIGHT);
            TodayRecord {
                device_id,
                seq,
                employee_id,
                direction,
                time: format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
                decision,
                score_percent: bp as f64 / 100.0,
            }
        })
        .collect())
}

/// Whether a date is a working day of a demo section (for messages about weekends).
pub fn works_on(section: &str, weekday: Weekday) -> bool {
    SECTIONS.iter().find(|s| s.id == section).is_some_and(|s| weekly(s.six_days).hours(weekday).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nips_are_18_digits_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..400).map(nip).collect();
        assert_eq!(ids.len(), 400);
        assert!(ids.iter().all(|n| n.len() == 18 && n.bytes().all(|b| b.is_ascii_digit())), "{ids:?}");
    }

    #[test]
    fn the_month_mixes_every_kind() {
        let mut seen = std::collections::HashMap::new();
        for e in 0..40 {
            for d in 0..22 {
                let (kind, punches) = plan_day(e, 2_461_000 + d);
                *seen.entry(format!("{kind:?}")).or_insert(0) += 1;
                for p in &punches {
                    let ok = match (kind, p.direction) {
                        (DayKind::OnTime, Direction::In) => p.offset_min < 0,
                        (DayKind::LateWithinTolerance, Direction::In) => (1..60).contains(&p.offset_min),
                        (DayKind::VeryLate, Direction::In) => p.offset_min > 60,
                        (DayKind::Overtime, Direction::Out) => p.offset_min > 180,
                        (DayKind::NeedsConfirmation, Direction::In) => {
                            p.decision == Decision::NeedsConfirmation && (5000..8000).contains(&p.score_bp)
                        }
                        (_, Direction::Out) => (0..60).contains(&p.offset_min) || kind == DayKind::Overtime,
                        _ => true,
                    };
                    assert!(ok, "{kind:?} {p:?}");
                    if p.decision == Decision::Valid {
                        assert!(p.score_bp >= 8000, "{p:?}");
                    }
                }
                assert_eq!(punches.is_empty(), kind == DayKind::Absent);
            }
        }
        for kind in ["OnTime", "LateWithinTolerance", "VeryLate", "Overtime", "NeedsConfirmation", "Absent"] {
            assert!(seen.get(kind).copied().unwrap_or(0) > 5, "{kind} seldom: {seen:?}");
        }
    }

    #[test]
    fn schedules_have_the_office_hours() {
        let five = weekly(false);
        assert!(five.hours(Weekday::Saturday).is_none() && five.hours(Weekday::Sunday).is_none());
        let six = weekly(true);
        assert!(six.hours(Weekday::Saturday).is_some() && six.hours(Weekday::Sunday).is_none());
        assert!(works_on("BM", Weekday::Saturday) && !works_on("SEKRE", Weekday::Saturday));
    }

    #[tokio::test]
    async fn seeding_a_fresh_database_stores_signed_records_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let store = Store::open_sqlite(&path).unwrap();
        store.migrate(&hadir_server::migrations()).await.unwrap();
        let now = time::macros::datetime!(2026-11-27 03:00 UTC); // a Friday, 10:00 WIB
        let opts = DemoOptions { employees: 12, days: 10, ..DemoOptions::default() };
        let secrets = seed(&store, &opts, now).await.unwrap();
        assert_eq!(secrets.pins.len(), 12);
        assert_eq!(secrets.logins.len(), 3);
        assert!(secrets.records > 50, "{}", secrets.records);
        assert_eq!(store.counts().await.unwrap().records, secrets.records as u64);
        assert!(store.user_by_name("kabid.bm").await.unwrap().is_some_and(|u| u.sections == ["BM"]));
        assert!(store.board_token(&auth::token_hash(&secrets.board_token), hadir_server::storage::dt_to_ms(now)).await.unwrap().is_some());
        let today = today_records(&store, now, opts.utc_offset).await.unwrap();
        assert!(!today.is_empty() && today.iter().all(|r| r.employee_id != secrets.face_employee), "{today:?}");
        assert!(matches!(seed(&store, &opts, now).await, Err(DemoError::NotEmpty { .. })));
    }
}
