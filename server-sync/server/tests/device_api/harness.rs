//! A real server on 127.0.0.1:0 with a frozen clock, and helpers to make devices and records.

use hadir_client::{ServerTrust, Uploader, UploaderConfig};
use hadir_protocol::{
    ClockEvidence, Decision, DeviceKey, Digest, Direction, Mode, Record, RecordBody, Score,
};
use hadir_server::storage::Store;
use hadir_server::{AppState, enrolment};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The frozen "now" of every test: 2026-07-06T00:30:00Z (07:30 WIB).
pub const T0: i64 = 1_783_297_800_000;

pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub now: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(store: Store) -> Server {
    start_with(store, |_| {}).await
}

/// [`start`] with the state changed by `edit` first (e.g. a trusted proxy).
pub async fn start_with(store: Store, edit: impl FnOnce(&mut AppState)) -> Server {
    store.migrate(&hadir_server::migrations()).await.expect("migrate");
    // Migrating twice is a no-op.
    assert_eq!(store.migrate(&hadir_server::migrations()).await.expect("migrate again"), 0);
    let now = Arc::new(AtomicI64::new(T0));
    let clock_now = Arc::clone(&now);
    let mut state = AppState::new(store);
    state.clock = Arc::new(move || clock_now.load(Ordering::SeqCst));
    edit(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = hadir_server::app(state.clone());
    let task = tokio::spawn(async move {
        hadir_server::serve(listener, app, std::future::pending()).await.expect("serve");
    });
    Server { addr, state, now, task }
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Client settings pointing at `url`, with the test clock and quick retries.
    pub fn client_config(&self, url: &str) -> UploaderConfig {
        let now = Arc::clone(&self.now);
        let mut cfg = UploaderConfig::new(url, ServerTrust::InsecureLan);
        cfg.clock = Arc::new(move || now.load(Ordering::SeqCst));
        cfg.backoff_initial = Duration::from_millis(1);
        cfg.backoff_max = Duration::from_millis(4);
        cfg.request_timeout = Duration::from_secs(20);
        cfg
    }

    /// Issues a token and enrols a new device through HTTP.
    pub async fn enrol(&self, device_id: &str, site: &str, mode: Mode) -> Device {
        self.enrol_with_key(device_id, site, mode, DeviceKey::generate()).await
    }

    /// Issues a token and enrols a device with a given key through HTTP.
    pub async fn enrol_with_key(&self, device_id: &str, site: &str, mode: Mode, key: DeviceKey) -> Device {
        let token = enrolment::issue_token(self.store(), device_id, site, mode, 1, T0).await.expect("token");
        let answer = hadir_client::enrol(&self.url(), &ServerTrust::InsecureLan, &token, &key, "test 0.1").await.expect("enrol");
        assert_eq!(answer.device_id, device_id);
        assert_eq!(answer.site_id, site);
        assert_eq!(answer.mode, mode);
        assert_eq!(answer.server_time_ms, self.now.load(Ordering::SeqCst));
        let uploader = Uploader::new(self.client_config(&self.url()), device_id, key.clone()).expect("uploader");
        Device { chain: Chain::new(device_id, key), uploader }
    }
}

pub struct Device {
    pub chain: Chain,
    pub uploader: Uploader,
}

/// A device's record chain as the kiosk would build it.
#[derive(Clone)]
pub struct Chain {
    pub device_id: String,
    pub key: DeviceKey,
    pub prev: Digest,
    pub seq: u64,
}

impl Chain {
    pub fn new(device_id: &str, key: DeviceKey) -> Chain {
        Chain { device_id: device_id.into(), key, prev: Digest::ZERO, seq: 0 }
    }

    /// The body the next record would have.
    pub fn next_body(&self) -> RecordBody {
        let seq = self.seq + 1;
        RecordBody {
            format: hadir_protocol::CANONICAL_VERSION,
            device_id: self.device_id.clone(),
            seq,
            employee_id: format!("19850330201001{:04}", seq % 50),
            direction: if seq % 2 == 1 { Direction::In } else { Direction::Out },
            recorded_at_ms: T0 - 3_600_000 + seq as i64 * 1000,
            utc_offset_min: 420,
            mode: Mode::Office,
            match_score: Score(8800),
            liveness_score: Score(9700),
            decision: Decision::Valid,
            gps: None,
            photo_sha256: Digest::of(photo(&self.device_id, seq).as_slice()),
            app_version: "hadir-kiosk 0.1.0".into(),
            model_version: "faceplugin 0.0.1".into(),
            prev_hash: self.prev,
            clock: ClockEvidence { since_sync_monotonic_ms: Some(seq * 10), last_sync_offset_ms: Some(5), gps_time_ms: None, clock_jumped: false },
        }
    }

    /// Signs `body` and makes it the chain's newest record.
    pub fn push(&mut self, body: RecordBody) -> Record {
        let r = body.sign(&self.key);
        self.seq = r.body.seq;
        self.prev = r.hash();
        r
    }

    /// The next ordinary record.
    pub fn next(&mut self) -> Record {
        let b = self.next_body();
        self.push(b)
    }
}

/// The evidence "JPEG" of a record (content does not matter to the server, only its hash).
pub fn photo(device: &str, seq: u64) -> Vec<u8> {
    format!("\u{ff}\u{d8}JPEG {device} {seq}").into_bytes()
}

/// A batch body from JSON values.
pub fn batch_json(entries: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "records": entries })).expect("json")
}

pub fn json(r: &Record) -> serde_json::Value {
    serde_json::to_value(r).expect("json")
}
