//! The uploader against a scripted server on 127.0.0.1:0: retries with backoff, resumes after a
//! restart without re-sending acknowledged records, parks refusals, halves batches on 413;
//! and in [`trust`], the same server behind TLS: pinned and CA-checked certificates, a man in
//! the middle, redirects and oversized answers. (The real server is exercised in hadir-server's
//! `device_api` tests.)

mod trust;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use hadir_client::{MemoryOutbox, ServerTrust, Uploader, UploaderConfig};
use hadir_protocol::{
    ClockEvidence, Decision, DeviceKey, Digest, Direction, Mode, Outcome, Record, RecordBody, RecordResult,
    RefusalReason, Score, UploadResponse, decode_batch,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Script {
    /// Answer 503 to this many requests first.
    fail_first: usize,
    /// Answer 413 to batches larger than this (0: no limit).
    max_batch: usize,
    /// Refuse these sequence numbers as bad signatures.
    refuse: Vec<u64>,
    /// Sequence numbers received per request.
    seen: Vec<Vec<u64>>,
    requests: usize,
}

type Shared = Arc<Mutex<Script>>;

async fn records(State(s): State<Shared>, body: Bytes) -> (StatusCode, Vec<u8>) {
    let mut s = s.lock().unwrap();
    s.requests += 1;
    if s.requests <= s.fail_first {
        return (StatusCode::SERVICE_UNAVAILABLE, b"{\"code\":\"busy\",\"message\":\"try later\"}".to_vec());
    }
    let batch = decode_batch(&body).unwrap();
    if s.max_batch != 0 && batch.entries.len() > s.max_batch {
        return (StatusCode::PAYLOAD_TOO_LARGE, Vec::new());
    }
    let seqs: Vec<u64> = batch.entries.iter().map(|e| e.as_ref().unwrap().body.seq).collect();
    let results = seqs
        .iter()
        .enumerate()
        .map(|(i, seq)| RecordResult {
            index: i as u32,
            device_id: Some("K1".into()),
            seq: Some(*seq),
            outcome: if s.refuse.contains(seq) {
                Outcome::Refused { reason: RefusalReason::BadSignature, detail: "test".into() }
            } else {
                Outcome::Stored
            },
        })
        .collect();
    s.seen.push(seqs);
    (StatusCode::OK, serde_json::to_vec(&UploadResponse { results, server_time_ms: 1 }).unwrap())
}

async fn fake_server(script: Script) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(script));
    let app = Router::new().route("/api/v1/records", post(records)).with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn records_for(n: u64) -> MemoryOutbox {
    let key = DeviceKey::from_seed(&[8; 32]);
    let mut prev = Digest::ZERO;
    let mut outbox = MemoryOutbox::default();
    for seq in 1..=n {
        let r: Record = RecordBody {
            format: hadir_protocol::CANONICAL_VERSION,
            device_id: "K1".into(),
            seq,
            employee_id: "E".into(),
            direction: Direction::In,
            recorded_at_ms: 1_780_000_000_000,
            utc_offset_min: 420,
            mode: Mode::Field,
            match_score: Score(9000),
            liveness_score: Score(9000),
            decision: Decision::Valid,
            gps: None,
            photo_sha256: Digest::of(&seq.to_be_bytes()),
            app_version: "a".into(),
            model_version: "m".into(),
            prev_hash: prev,
            clock: ClockEvidence::default(),
        }
        .sign(&key);
        prev = r.hash();
        outbox.push(r, None);
    }
    outbox
}

fn uploader(url: &str, batch: usize) -> Uploader {
    uploader_trusting(url, batch, ServerTrust::InsecureLan).unwrap()
}

fn uploader_trusting(url: &str, batch: usize, trust: ServerTrust) -> Result<Uploader, hadir_client::ClientError> {
    let mut cfg = UploaderConfig::new(url, trust);
    cfg.batch_size = batch;
    cfg.backoff_initial = Duration::from_millis(1);
    cfg.backoff_max = Duration::from_millis(8);
    cfg.poll_interval = Duration::from_millis(5);
    Uploader::new(cfg, "K1", DeviceKey::from_seed(&[8; 32]))
}

#[tokio::test]
async fn run_retries_with_backoff_until_everything_is_acknowledged() {
    let (url, script) = fake_server(Script { fail_first: 3, ..Default::default() }).await;
    let up = uploader(&url, 10);
    let mut outbox = records_for(25);
    let wake = tokio::sync::Notify::new();
    let done = {
        let script = Arc::clone(&script);
        async move {
            // Stop once the server has seen all 25 records.
            while script.lock().unwrap().seen.iter().map(Vec::len).sum::<usize>() < 25 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), up.run(&mut outbox, &wake, done)).await.expect("run finishes");
    let s = script.lock().unwrap();
    assert_eq!(s.requests, 3 + 3, "three refused attempts, then three batches");
    assert_eq!(s.seen, vec![(1..=10).collect::<Vec<u64>>(), (11..=20).collect(), (21..=25).collect()]);
    assert!(outbox.pending.is_empty());
    assert_eq!(outbox.acknowledged.len(), 25);
}

#[tokio::test]
async fn a_restarted_uploader_resumes_without_resending_acknowledged_records() {
    let (url, script) = fake_server(Script::default()).await;
    let mut outbox = records_for(30);
    {
        let first = uploader(&url, 10);
        first.upload_batch(&mut outbox).await.unwrap().unwrap();
    } // the device restarts here
    let second = uploader(&url, 10);
    let report = second.drain(&mut outbox).await.unwrap();
    assert_eq!(report.acknowledged, 20);
    let s = script.lock().unwrap();
    let all: Vec<u64> = s.seen.iter().flatten().copied().collect();
    assert_eq!(all, (1..=30).collect::<Vec<u64>>(), "each record sent once, in order");
}

#[tokio::test]
async fn refusals_are_parked_and_batches_shrink_on_413() {
    let (url, script) = fake_server(Script { max_batch: 4, refuse: vec![6], ..Default::default() }).await;
    let up = uploader(&url, 16);
    let mut outbox = records_for(12);
    let report = up.drain(&mut outbox).await.unwrap();
    assert_eq!((report.acknowledged, report.parked), (11, 1));
    assert_eq!(outbox.parked[0].record.body.seq, 6);
    assert_eq!(outbox.parked[0].reason, RefusalReason::BadSignature);
    assert!(outbox.pending.is_empty());
    let s = script.lock().unwrap();
    assert!(s.seen.iter().all(|b| b.len() <= 4), "{:?}", s.seen);
}
