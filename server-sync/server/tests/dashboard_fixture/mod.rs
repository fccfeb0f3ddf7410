//! A small department for the dashboard's tests: three sections, six employees, two devices,
//! a day of records (some late, two awaiting confirmation), and users of every role.
//!
//! The day is Monday 2 March 2026 in WIB (UTC+7); "now" is 10:00 that morning.
//!
//! The department is built through the one store on either backend ([`Db`]): a temporary SQLite
//! file, or a database of its own on a temporary PostgreSQL cluster. [`on_both_backends!`]
//! turns scenarios (`async fn(&Db)`) into one test each on SQLite and one test that runs them
//! all on one PostgreSQL cluster (starting a cluster costs seconds).
#![allow(dead_code)]

pub mod client;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hadir_rules::{WeeklySchedule, WorkHours};
use hadir_server::dashboard::auth::hash_password;
use hadir_server::dashboard::{AppState, Dashboard, DashboardConfig};
use hadir_server::storage::Store;
use hadir_server::storage::accounts::Role;
use hadir_pg_cluster::TempCluster;
use hadir_server::storage::portable::{Stmt, params};
use time::OffsetDateTime;
use time::macros::{datetime, time};

/// Password of every test user.
pub const PASSWORD: &str = "kata-sandi-uji-1";

/// "Now" in the tests.
pub const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 +7);
/// The fixture office's offset (WIB).
pub const WIB: time::UtcOffset = time::macros::offset!(+7);

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

/// The SHA-256 (hex) of [`evidence_jpeg`], as the fixture's records name it.
pub fn evidence_sha() -> String {
    hadir_protocol::Digest::of(&evidence_jpeg()).to_hex()
}

/// The ms timestamp of a WIB wall time on the test day.
pub fn wib_ms(h: u8, m: u8) -> i64 {
    let t = datetime!(2026-03-02 00:00 +7).replace_time(time::Time::from_hms(h, m, 0).unwrap());
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Where a test's department lives.
pub enum Db<'a> {
    /// A temporary SQLite file.
    Sqlite,
    /// A new database on this cluster, named after the scenario.
    Postgres(&'a TempCluster, &'static str),
}

impl Db<'_> {
    /// Starts the PostgreSQL cluster of a test binary.
    pub fn cluster() -> TempCluster {
        TempCluster::start(false).unwrap_or_else(|e| panic!("cannot start PostgreSQL for the test: {e}"))
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres(..) => "postgres",
        }
    }

    /// A new, migrated, empty store (and the temporary directory of an SQLite file).
    pub async fn open(&self) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = match self {
            Db::Sqlite => Store::open_sqlite(&dir.path().join("hadir.sqlite")).unwrap(),
            Db::Postgres(cluster, name) => {
                static N: AtomicUsize = AtomicUsize::new(0);
                let db = format!("{name}_{}", N.fetch_add(1, Ordering::Relaxed));
                let url = cluster.create_database(&db).await.unwrap();
                let key = hadir_server::storage::TemplateKey::from_bytes([7; 32]);
                Store::connect_postgres(&url).await.unwrap().with_template_key(key)
            }
        };
        store.migrate(&hadir_server::migrations()).await.unwrap();
        (store, dir)
    }
}

/// Each scenario (`async fn name(db: &Db)`) as a test on SQLite (`on_sqlite::name`), and all of
/// them, in order, on one PostgreSQL cluster (`on_postgres`), a database each.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&$crate::dashboard_fixture::Db::Sqlite).await;
                }
            )*
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn on_postgres() {
            let cluster = $crate::dashboard_fixture::Db::cluster();
            $(
                let started = std::time::Instant::now();
                $name(&$crate::dashboard_fixture::Db::Postgres(&cluster, stringify!($name))).await;
                eprintln!("postgres: {} passed in {:.1} s", stringify!($name), started.elapsed().as_secs_f64());
            )*
        }
    };
}

/// Inserts a record row as the device API's ingest stores it (signature fields are filler: the
/// dashboard never reads them); returns its id.
pub async fn insert_record(store: &Store, device: &str, seq: i64, employee: &str, direction: &str, at_ms: i64, score_bp: i64, photo: &str) -> i64 {
    let decision = if score_bp >= 8000 { "valid" } else { "needs_confirmation" };
    store
        .write(
            "test: insert record",
            "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                 match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                 clock_jumped, record_hash, signature, canonical, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, 420, 'office', $6, 9500, $7, $8, '0.1.0', 'm1', $9, 0, $10, 'sig', $11, $5)",
            params![device, seq, employee, direction, at_ms, score_bp, decision, photo, "00".repeat(32), format!("{device}-{seq}"), vec![0u8]],
        )
        .await
        .unwrap();
    store
        .query_opt("test: record id", "SELECT id FROM records WHERE device_id = $1 AND seq = $2", params![device, seq], |r| r.i64(0))
        .await
        .unwrap()
        .unwrap()
}

/// Ids of interesting records.
pub struct Fixture {
    /// The state.
    pub state: AppState,
    /// The one store (the dashboard's and the device API's).
    pub storage: Store,
    /// Temporary directory (holding the SQLite database).
    pub dir: tempfile::TempDir,
    /// Pending record of Sri (BM).
    pub pending_bm: i64,
    /// Pending record of Dewi (SDA).
    pub pending_sda: i64,
}

/// Every page an administrator opens on the fixture's department (what the phone layout and
/// the translation checks go through).
pub const ADMIN_PAGES: [&str; 17] = [
    "/today",
    "/employees",
    "/employees/new",
    "/employees/import",
    "/employees/198001012005011001",
    "/employees/198001012005011001/edit",
    "/records?date=2026-03-02",
    "/confirmations",
    "/corrections",
    "/leave",
    "/devices",
    "/reports?year=2026&month=3",
    "/reports/date?date=2026-03-02",
    "/reports/employee?id=198001012005011001&year=2026&month=3",
    "/settings",
    "/audit",
    "/account",
];

/// Builds the department on SQLite.
pub async fn fixture(secure_cookies: bool) -> Fixture {
    fixture_on(&Db::Sqlite, secure_cookies).await
}

/// Builds the department on `db`.
pub async fn fixture_on(db: &Db<'_>, secure_cookies: bool) -> Fixture {
    let (store, dir) = db.open().await;
    let h = WorkHours::new(time!(07:30), time!(16:00)).unwrap();
    store.put_section("BM", "Bina Marga", &WeeklySchedule::weekdays(h)).await.unwrap();
    store.put_section("SDA", "Sumber Daya Air", &WeeklySchedule::weekdays(h)).await.unwrap();
    store.put_section("CK", "Cipta Karya", &WeeklySchedule::weekdays(h)).await.unwrap();
    let pw = hash_password(PASSWORD).unwrap();
    store.add_user("admin", &pw, Role::Admin, &[]).await.unwrap();
    store.add_user("kabid_bm", &pw, Role::Supervisor, &["BM"]).await.unwrap();
    store.add_user("operator", &pw, Role::Operator, &[]).await.unwrap();
    // The photo sealed as the device API stores it (put_photo wants a record naming it first).
    let photo = evidence_jpeg();
    let sha = evidence_sha();
    let key = store.template_key().expect("the fixture's store has a template key");
    let sealed = key.seal_photo(hadir_protocol::Digest::of(&photo), &photo);
    let mut rows = vec![Stmt::new(
        "INSERT INTO photos (sha256, jpeg, received_at_ms, key_id) VALUES ($1, $2, 0, $3)",
        params![sha.clone(), sealed, key.id()],
    )];
    for (id, name, sec) in [
        ("198001012005011001", "Budi Santoso", "BM"),
        ("198502022010012002", "Sri Wahyuni", "BM"),
        ("199003032015013003", "Agus Pratama", "BM"),
        ("198704042011014004", "Dewi Lestari", "SDA"),
        ("199205052016015005", "Rudi Hartono", "SDA"),
        ("198806062012016006", "Nyoman Arta", "CK"),
    ] {
        rows.push(Stmt::new(
            "INSERT INTO employees (employee_id, name, site_id, section_id, revision) VALUES ($1, $2, 'KANTOR', $3, 1)",
            params![id, name, sec],
        ));
    }
    // Devices synced up to this morning: yesterday and before are known.
    for d in ["K-01", "K-02"] {
        rows.push(Stmt::new(
            "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                 synced_until_ms, last_seq, last_hash) VALUES ($1, 'KANTOR', 'office', 'pk', '0.1.0', 0, $2, $2, 0, '')",
            params![d, wib_ms(9, 55)],
        ));
    }
    store.write_all("test: department", rows).await.unwrap();
    // Budi on time; Agus 70 min late (TL3); Rudi 95 min late (TL4); Nyoman on time.
    insert_record(&store, "K-01", 1, "198001012005011001", "in", wib_ms(7, 20), 9300, &sha).await;
    insert_record(&store, "K-01", 2, "199003032015013003", "in", wib_ms(8, 40), 9100, &sha).await;
    insert_record(&store, "K-02", 1, "199205052016015005", "in", wib_ms(9, 5), 8800, &sha).await;
    insert_record(&store, "K-02", 2, "198806062012016006", "in", wib_ms(7, 25), 9000, &sha).await;
    // Awaiting confirmation: Sri (BM) and Dewi (SDA), both late if confirmed.
    let pending_bm = insert_record(&store, "K-01", 3, "198502022010012002", "in", wib_ms(8, 45), 6500, &sha).await;
    let pending_sda = insert_record(&store, "K-02", 3, "198704042011014004", "in", wib_ms(8, 50), 7000, &sha).await;
    // The fixture's office is on WIB (its records and schedules are written at +7).
    let config = DashboardConfig { secure_cookies, board_poll_ms: 200, zone: hadir_rules::SiteZone::parse("Asia/Jakarta").expect("WIB"), ..DashboardConfig::default() };
    let state = Dashboard::with_clock(store.clone(), config, Arc::new(|| NOW));
    Fixture { state, storage: store, dir, pending_bm, pending_sda }
}
