//! The central server, in-process on a real socket.
//!
//! Cargo gives `CARGO_BIN_EXE_*` only to the package that owns a binary, so the tests serve
//! what `hadir-server serve` serves: [`hadir_server::app`] (device API and request log) with the
//! dashboard router merged, over an SQLite file or a real PostgreSQL database ([`Db`]), through
//! [`hadir_server::serve`] on `127.0.0.1:0`. The clock is frozen: the test sets "now" in
//! milliseconds. [`Server::restart`] stops serving (graceful) and starts again over the same
//! database and clock, as a process restart would. Tests look at what was stored through the
//! store's own statements ([`Server::count`]), so one assertion holds on both backends.

use hadir_pg_cluster::TempCluster;
use hadir_server::dashboard::{Dashboard, DashboardConfig};
use hadir_server::limits::HttpLimits;
use hadir_server::storage::portable::Val;
use hadir_server::storage::{Store, TemplateKey};
use hadir_server::{AppState, migrations};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The frozen clock both the device API and the dashboard read.
#[derive(Debug, Clone, Default)]
pub struct FrozenClock(Arc<AtomicI64>);

impl FrozenClock {
    /// A clock at `ms` (UTC milliseconds).
    pub fn at(ms: i64) -> FrozenClock {
        FrozenClock(Arc::new(AtomicI64::new(ms)))
    }
    /// Now.
    pub fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    /// Sets now.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
    /// As the device API's clock type.
    pub fn server_clock(&self) -> hadir_server::Clock {
        let c = self.clone();
        Arc::new(move || c.now_ms())
    }
    /// As the uploader's clock type.
    pub fn client_clock(&self) -> hadir_client::Clock {
        let c = self.clone();
        Arc::new(move || c.now_ms())
    }
}

/// Milliseconds of an instant.
pub fn ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Where a test server keeps its data.
#[derive(Debug, Clone)]
pub enum Db {
    /// An SQLite file (its template key is made beside it).
    Sqlite(PathBuf),
    /// A database of a throw-away PostgreSQL cluster, running while any clone is held.
    Postgres {
        /// Its connection string.
        url: String,
        /// The cluster.
        cluster: Arc<TempCluster>,
    },
}

impl Db {
    /// A fresh database in a PostgreSQL cluster of its own (fails with how to install
    /// PostgreSQL when its server binaries are missing).
    pub async fn postgres() -> Db {
        let cluster = TempCluster::start(false).unwrap_or_else(|e| panic!("cannot start PostgreSQL for the test: {e}"));
        let url = cluster.create_database("hadir").await.expect("create the test database");
        Db::Postgres { url, cluster: Arc::new(cluster) }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres { .. } => "postgres",
        }
    }

    async fn open(&self) -> Store {
        match self {
            Db::Sqlite(path) => Store::open_sqlite(path).expect("open the server's SQLite file"),
            Db::Postgres { url, .. } => Store::connect_postgres(url)
                .await
                .expect("connect to the test's PostgreSQL")
                .with_template_key(TemplateKey::from_bytes([0x5a; 32])),
        }
    }
}

impl From<&Path> for Db {
    fn from(p: &Path) -> Db {
        Db::Sqlite(p.to_owned())
    }
}

impl From<&PathBuf> for Db {
    fn from(p: &PathBuf) -> Db {
        Db::Sqlite(p.clone())
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its database.
    pub db: Db,
    /// Its clock.
    pub clock: FrozenClock,
    /// The device API's store (for seeding and for looking at what was stored).
    pub store: Store,
    /// The sites' zone.
    pub zone: hadir_rules::SiteZone,
    /// The dashboard's state (over the same store).
    pub dash: Arc<Dashboard>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Migrates `db` and serves it.
    pub async fn start(db: impl Into<Db>, clock: FrozenClock) -> Server {
        Server::start_on(db, clock, "127.0.0.1:0").await
    }

    /// Migrates `db` and serves it on `addr`, in the department's zone (its schedules are
    /// written in WIB).
    pub async fn start_on(db: impl Into<Db>, clock: FrozenClock, addr: &str) -> Server {
        let wib = hadir_rules::SiteZone::parse("Asia/Jakarta").expect("zone");
        Server::start_in(db, clock, addr, wib).await
    }

    /// Migrates `db` and serves it on `addr` with the sites in `zone` (device API and dashboard).
    pub async fn start_in(db: impl Into<Db>, clock: FrozenClock, addr: &str, zone: hadir_rules::SiteZone) -> Server {
        Server::start_limited(db, clock, addr, zone, HttpLimits::default()).await
    }

    /// [`Server::start_in`] with request limits of the test's choosing.
    pub async fn start_limited(db: impl Into<Db>, clock: FrozenClock, addr: &str, zone: hadir_rules::SiteZone, limits: HttpLimits) -> Server {
        let db = db.into();
        let store = db.open().await;
        store.migrate(&migrations()).await.expect("migrate");
        let state = AppState {
            store: store.clone(),
            policy: hadir_server::ingest::IngestPolicy { zone: zone.clone(), ..hadir_server::ingest::IngestPolicy::default() },
            clock: clock.server_clock(),
            max_body_bytes: hadir_server::config::IngestConfig::default().max_body_bytes,
            ..AppState::new(store.clone())
        };
        let c = clock.clone();
        let dash = Dashboard::with_clock(
            store.clone(),
            DashboardConfig { secure_cookies: false, zone: zone.clone(), ..DashboardConfig::default() },
            Arc::new(move || {
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(c.now_ms()) * 1_000_000)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            }),
        );
        let app = hadir_server::service(state, dash.clone(), limits);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the server socket");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(hadir_server::serve(listener, app, async move {
            let _ = rx.await;
        }));
        Server { url, db, clock, zone, store, dash, stop: Some(tx), task: Some(task) }
    }

    /// The one integer a query of the store's tables gives (`$1`… placeholders, written for
    /// both backends), e.g. a count of stored records.
    pub async fn count(&self, sql: &str, params: Vec<Val>) -> i64 {
        self.store
            .query_opt("test: count", sql.to_owned(), params, |r| r.i64(0))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// Stops serving (open requests finish).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// Stops and starts again over the same file, clock and port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let addr = self.url.trim_start_matches("http://").to_owned();
        let fresh = Server::start_in(self.db.clone(), self.clock.clone(), &addr, self.zone.clone()).await;
        *self = fresh;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
