//! A small department for the dashboard's tests: three sections, six employees, two devices,
//! a day of records (some late, two awaiting confirmation), and users of every role.
//!
//! The day is Monday 2 March 2026 in WIB (UTC+7); "now" is 10:00 that morning.

#![allow(dead_code)]

pub mod client;

use std::path::PathBuf;
use std::sync::Arc;

use hadir_server::dashboard::auth::hash_password;
use hadir_server::dashboard::store::{Role, Store};
use hadir_server::dashboard::{AppState, Dashboard, DashboardConfig};
use hadir_rules::{WeeklySchedule, WorkHours};
use rusqlite::params;
use time::macros::{datetime, time};
use time::OffsetDateTime;

/// Password of every test user.
pub const PASSWORD: &str = "kata-sandi-uji-1";

/// "Now" in the tests.
pub const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 +7);

/// A file of the shared face photos (`HADIR_SHARED_DIR`, default `../shared` beside the
/// workspace), e.g. `people/obama/obama.jpg`.
pub fn face_file(rel: &str) -> Vec<u8> {
    let dir = std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let p = dir.join("faces").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "test photo {} missing ({e}): the shared test data (faces/) must be at ../shared beside the workspace, or set HADIR_SHARED_DIR to its folder",
            p.display()
        )
    })
}

/// The path of a shared face photo (for a browser's file input).
pub fn face_path(rel: &str) -> PathBuf {
    let dir = std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let p = dir.join("faces").join(rel);
    // Browsers take only canonical paths for a file input.
    p.canonicalize().unwrap_or_else(|e| panic!("test photo {} missing ({e}): set HADIR_SHARED_DIR to the shared test data folder", p.display()))
}

/// The evidence photo: a real face from the shared test data.
pub fn evidence_jpeg() -> Vec<u8> {
    face_file("hard/obama_small.jpg")
}

/// The ms timestamp of a WIB wall time on the test day.
pub fn wib_ms(h: u8, m: u8) -> i64 {
    let t = datetime!(2026-03-02 00:00 +7).replace_time(time::Time::from_hms(h, m, 0).unwrap());
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Inserts a record row as the device API's ingest stores it (signature fields are filler: the
/// dashboard never reads them); returns its id.
pub fn insert_record(store: &Store, device: &str, seq: i64, employee: &str, direction: &str, at_ms: i64, score_bp: i64, photo: &str) -> i64 {
    let decision = if score_bp >= 8000 { "valid" } else { "needs_confirmation" };
    let c = store.conn();
    c.execute(
        "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
             match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
             clock_jumped, record_hash, signature, canonical, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 420, 'office', ?6, 9500, ?7, ?8, '0.1.0', 'm1', ?9, 0, ?10, 'sig', x'00', ?5)",
        params![device, seq, employee, direction, at_ms, score_bp, decision, photo, "00".repeat(32), format!("{device}-{seq}")],
    )
    .unwrap();
    c.last_insert_rowid()
}

/// Creates the device store's schema with its own migrations, as `hadir-server migrate` does.
pub fn migrate(path: &std::path::Path) {
    // On its own thread: the tests themselves run inside a runtime.
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let st = hadir_server::storage::Store::open_sqlite(path).unwrap();
                st.migrate(&hadir_server::migrations()).await.unwrap();
            })
        });
    });
}

/// Ids of interesting records.
pub struct Fixture {
    /// The state.
    pub state: AppState,
    /// The device store over the same file (attached to the dashboard).
    pub storage: hadir_server::storage::Store,
    /// Temporary directory holding the database.
    pub dir: tempfile::TempDir,
    /// Pending record of Sri (BM).
    pub pending_bm: i64,
    /// Pending record of Dewi (SDA).
    pub pending_sda: i64,
}

/// Builds the department.
pub fn fixture(secure_cookies: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hadir.sqlite");
    migrate(&path);
    let store = Arc::new(Store::open(&path).unwrap());
    let h = WorkHours::new(time!(07:30), time!(16:00)).unwrap();
    store.put_section("BM", "Bina Marga", &WeeklySchedule::weekdays(h)).unwrap();
    store.put_section("SDA", "Sumber Daya Air", &WeeklySchedule::weekdays(h)).unwrap();
    store.put_section("CK", "Cipta Karya", &WeeklySchedule::weekdays(h)).unwrap();
    let pw = hash_password(PASSWORD).unwrap();
    store.add_user("admin", &pw, Role::Admin, &[]).unwrap();
    store.add_user("kabid_bm", &pw, Role::Supervisor, &["BM"]).unwrap();
    store.add_user("operator", &pw, Role::Operator, &[]).unwrap();
    let photo = evidence_jpeg();
    let sha = "aa".repeat(32);
    {
        let c = store.conn();
        c.execute("INSERT INTO photos (sha256, jpeg, received_at_ms) VALUES (?1, ?2, 0)", params![sha, photo]).unwrap();
        for (id, name, sec) in [
            ("198001012005011001", "Budi Santoso", "BM"),
            ("198502022010012002", "Sri Wahyuni", "BM"),
            ("199003032015013003", "Agus Pratama", "BM"),
            ("198704042011014004", "Dewi Lestari", "SDA"),
            ("199205052016015005", "Rudi Hartono", "SDA"),
            ("198806062012016006", "Nyoman Arta", "CK"),
        ] {
            c.execute(
                "INSERT INTO employees (employee_id, name, site_id, section_id, revision) VALUES (?1, ?2, 'KANTOR', ?3, 1)",
                params![id, name, sec],
            )
            .unwrap();
        }
        // Devices synced up to this morning: yesterday and before are known.
        for d in ["K-01", "K-02"] {
            c.execute(
                "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                     synced_until_ms, last_seq, last_hash) VALUES (?1, 'KANTOR', 'office', 'pk', '0.1.0', 0, ?2, ?2, 0, '')",
                params![d, wib_ms(9, 55)],
            )
            .unwrap();
        }
    }
    // Budi on time; Agus 70 min late (TL3); Rudi 95 min late (TL4); Nyoman on time.
    insert_record(&store, "K-01", 1, "198001012005011001", "in", wib_ms(7, 20), 9300, &sha);
    insert_record(&store, "K-01", 2, "199003032015013003", "in", wib_ms(8, 40), 9100, &sha);
    insert_record(&store, "K-02", 1, "199205052016015005", "in", wib_ms(9, 5), 8800, &sha);
    insert_record(&store, "K-02", 2, "198806062012016006", "in", wib_ms(7, 25), 9000, &sha);
    // Awaiting confirmation: Sri (BM) and Dewi (SDA), both late if confirmed.
    let pending_bm = insert_record(&store, "K-01", 3, "198502022010012002", "in", wib_ms(8, 45), 6500, &sha);
    let pending_sda = insert_record(&store, "K-02", 3, "198704042011014004", "in", wib_ms(8, 50), 7000, &sha);
    let config = DashboardConfig { secure_cookies, board_poll_ms: 200, ..DashboardConfig::default() };
    let state = Dashboard::with_clock(store, config, Arc::new(|| NOW));
    let storage = hadir_server::storage::Store::open_sqlite(&path).unwrap();
    state.attach_storage(storage.clone());
    Fixture { state, storage, dir, pending_bm, pending_sda }
}
