//! Faults end to end: the network to a kiosk drops mid-batch again and again (a proxy that cuts
//! after N bytes, both ways), the server restarts mid-day, a kiosk restarts (its store closed
//! and reopened from disk), and a kiosk's clock jumps. Nothing is lost, nothing duplicated, and
//! each fault shows where an administrator looks (chain events, quarantine, clock flags, the
//! kiosk's audit log, the devices page). An enclosure opened while the server is down reaches
//! the devices page once it is back.
//!
//! Faces are not the subject here: kiosks replay a fixed valid face result (no models). Each
//! scenario runs on SQLite and on a real PostgreSQL.

use hadir_client::ClientError;
use hadir_e2e::dash::DashClient;
use hadir_e2e::face::{E2eFace, FaceMode};
use hadir_e2e::kiosk::{KioskSpec, SimKiosk};
use hadir_e2e::proxy::{Cut, Proxy};
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::clock::SyncPoint;
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::Outcome;
use hadir_kiosk::policy::Mode;
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::accounts::Role;
use hadir_server::storage::EmployeeInput;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const MODEL: &str = "replayed";
const PASSWORD: &str = "kata-sandi-e2e-3";
const DAY: OffsetDateTime = datetime!(2026-03-04 00:00 +7);
const STAFF: usize = 60;

fn pin(i: usize) -> String {
    format!("{:06}", 300_000 + i)
}

fn valid() -> FaceMode {
    FaceMode::Replay(ScriptedFace::face(92.0, 96.0))
}

async fn q(server: &Server, sql: &str, device: &str) -> i64 {
    server.count(sql, vec![device.into()]).await
}

/// The server holds records 1..=n of `device`, each once, in an unbroken chain.
async fn assert_complete(server: &Server, device: &str, n: i64) {
    assert_eq!(q(server, "SELECT COUNT(*) FROM records WHERE device_id = $1", device).await, n, "{device}: records stored");
    assert_eq!(q(server, "SELECT COUNT(DISTINCT seq) FROM records WHERE device_id = $1", device).await, n, "{device}: no duplicate");
    assert_eq!(q(server, "SELECT COALESCE(MAX(seq), 0) FROM records WHERE device_id = $1", device).await, n, "{device}: no gap");
}

struct Day {
    server: Server,
    clock: FrozenClock,
    _tmp: tempfile::TempDir,
    kiosks: Vec<SimKiosk>,
}

async fn day(db: Db) -> Day {
    let tmp = tempfile::tempdir().unwrap();
    let clock = FrozenClock::at(ms(DAY + Duration::hours(6)));
    let server = Server::start(db, clock.clone()).await;
    let pw = hash_password(PASSWORD).unwrap();
    server.dash.store.add_user("admin", &pw, Role::Admin, &[]).await.unwrap();
    for i in 0..STAFF {
        let nip = format!("19900101201501{i:04}");
        let e = EmployeeInput {
            employee_id: nip.clone(),
            name: format!("Pegawai {i}"),
            site_id: "KANTOR".into(),
            section_id: Some("BM".into()),
            pin_hash: Some(hadir_e2e::department::test_pin_hash(&pin(i), i)),
        };
        server.store.upsert_employee(&e).await.unwrap();
        server.store.add_template(&nip, MODEL, &[0.1; 8], clock.now_ms()).await.unwrap();
    }
    let mut kiosks = Vec::new();
    for id in ["K-01", "K-02", "K-03", "K-04"] {
        let spec = KioskSpec { device_id: id.into(), site: "KANTOR".into(), mode: Mode::Office, allow_without_fix: false };
        let face = E2eFace::replay_only(MODEL, ScriptedFace::face(92.0, 96.0));
        kiosks.push(SimKiosk::enrol(&server, &spec, tmp.path().join(id), face, &clock).await);
    }
    Day { server, clock, _tmp: tmp, kiosks }
}

/// `n` arrivals at kiosk `k` from `from`, one a minute; returns the time after.
fn arrivals(d: &mut Day, k: usize, from: OffsetDateTime, first: usize, n: usize) -> OffsetDateTime {
    let frame = image::RgbImage::new(64, 64);
    let mut t = from;
    for i in first..first + n {
        d.clock.set(ms(t));
        let o = d.kiosks[k].attempt(true, &pin(i % STAFF), &frame, valid(), None, t);
        assert!(matches!(o, Outcome::Recorded { .. }), "{o:?}");
        t += Duration::minutes(1);
    }
    t
}

/// Drains until the outbox is empty, counting failed attempts (the uploader's retry loop,
/// without its real-time backoff).
async fn drain_with_retries(k: &mut SimKiosk, max: usize) -> usize {
    let mut failures = 0;
    loop {
        match k.drain().await {
            Ok(_) if k.kiosk.store.queue_len().unwrap() == 0 => return failures,
            Ok(_) => {}
            Err(ClientError::Transport { .. } | ClientError::Protocol { .. }) => failures += 1,
            Err(e) => panic!("{}: {e}", k.device_id),
        }
        assert!(failures <= max, "{}: still failing after {max} attempts", k.device_id);
    }
}

async fn network_cuts_mid_batch_lose_and_duplicate_nothing(db: Db) {
    let mut d = day(db).await;
    let target = d.server.url.trim_start_matches("http://").to_owned();
    // Requests cut after 700 bytes: the server gets half a batch (headers and part of the JSON).
    let proxy = Proxy::start(target.clone(), Cut::Request, 700, 3).await;
    d.kiosks[2].use_url(&proxy.url, &d.clock);
    arrivals(&mut d, 2, DAY + Duration::minutes(7 * 60), 0, 120);
    let failures = drain_with_retries(&mut d.kiosks[2], 10).await;
    assert!(failures >= 3 && proxy.cut.load(std::sync::atomic::Ordering::SeqCst) >= 3, "{failures} failures");
    assert_complete(&d.server, "K-03", 120).await;

    // Answers cut after 40 bytes: the server stored the batch, the kiosk never heard; the retry
    // is answered "already stored".
    let proxy = Proxy::start(target, Cut::Response, 40, 3).await;
    d.kiosks[2].use_url(&proxy.url, &d.clock);
    arrivals(&mut d, 2, DAY + Duration::minutes(10 * 60), 120, 75);
    let failures = drain_with_retries(&mut d.kiosks[2], 10).await;
    assert!(failures >= 3, "{failures}");
    assert_complete(&d.server, "K-03", 195).await;
    assert_eq!(q(&d.server, "SELECT COUNT(*) FROM chain_events WHERE device_id = $1", "K-03").await, 0);

    // The admin sees the device and its last contact on the devices page.
    let mut admin = DashClient::new(&d.server.url);
    admin.login("admin", PASSWORD).await;
    let page = admin.get("/devices").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("K-03"));
}

async fn server_restart_kiosk_restart_and_clock_jump(db: Db) {
    let mut d = day(db).await;
    let t = arrivals(&mut d, 0, DAY + Duration::minutes(7 * 60), 0, 10);
    d.kiosks[0].drain().await.unwrap();

    // The server goes down mid-day: records queue on the kiosk, uploads fail, nothing is lost.
    d.server.stop().await;
    let t = arrivals(&mut d, 0, t, 10, 10);
    assert!(matches!(d.kiosks[0].drain().await, Err(ClientError::Transport { .. })));
    assert_eq!(d.kiosks[0].kiosk.store.queue_len().unwrap(), 10);
    d.server.restart().await;
    // A pooled connection to the old process may fail once; the uploader's loop retries.
    drain_with_retries(&mut d.kiosks[0], 3).await;
    assert_complete(&d.server, "K-01", 20).await;

    // The kiosk restarts (store closed and reopened): the chain continues without a gap.
    let t = arrivals(&mut d, 0, t, 20, 5);
    let k = d.kiosks.remove(0);
    let url = d.server.url.clone();
    let k = k.reopen(&url, &d.clock);
    d.kiosks.insert(0, k);
    assert_eq!(d.kiosks[0].kiosk.store.queue_len().unwrap(), 5, "queued records survive the restart");
    let t = arrivals(&mut d, 0, t, 25, 5);
    d.kiosks[0].drain().await.unwrap();
    assert_complete(&d.server, "K-01", 30).await;
    assert_eq!(q(&d.server, "SELECT COUNT(*) FROM chain_events WHERE device_id = $1", "K-01").await, 0);

    // K-02's clock jumps three hours ahead after a server time sync.
    let k = &mut d.kiosks[1];
    let synced = t;
    d.clock.set(ms(synced));
    k.uploader.server_time().await.unwrap();
    k.kiosk.last_sync = Some(SyncPoint { mono_ms: k.mono_at(synced), wall_ms: ms(synced), offset_ms: k.uploader.clock_offset_ms() });
    let frame = image::RgbImage::new(64, 64);
    // A normal record first, then one with the jumped wall clock (real time: 2 minutes later).
    let o = k.attempt(true, &pin(40), &frame, valid(), None, synced + Duration::minutes(1));
    assert!(matches!(o, Outcome::Recorded { .. }));
    k.skew_ms = 3 * 3600 * 1000;
    d.clock.set(ms(synced + Duration::minutes(2)));
    let o = k.attempt(true, &pin(41), &frame, valid(), None, synced + Duration::minutes(2));
    k.skew_ms = 0;
    assert!(matches!(o, Outcome::Recorded { .. }));
    // The kiosk flagged it in its audit log …
    assert!(k.kiosk.store.audit_log().unwrap().iter().any(|a| a.kind == "clock_flagged"));
    d.clock.set(ms(synced + Duration::minutes(3)));
    let r = k.drain().await.unwrap();
    assert_eq!(r.acknowledged + r.parked, 2);
    // … and the server keeps it out of attendance, in quarantine with the reason, still
    // holding its place in the chain; the record says the clock jumped.
    let db = &d.server;
    assert_eq!(q(db, "SELECT COUNT(*) FROM quarantine WHERE device_id = $1", "K-02").await, 1);
    assert_eq!(q(db, "SELECT COUNT(*) FROM quarantine WHERE device_id = $1 AND clock_jumped = 1", "K-02").await, 1);
    assert_eq!(q(db, "SELECT COUNT(*) FROM records WHERE device_id = $1", "K-02").await, 1);
    // The next record, with the clock back in order, continues the chain.
    let back = synced + Duration::minutes(4);
    d.clock.set(ms(back));
    let o = k.attempt(true, &pin(42), &frame, valid(), None, back);
    assert!(matches!(o, Outcome::Recorded { .. }));
    k.drain().await.unwrap();
    assert_eq!(q(db, "SELECT COUNT(*) FROM records WHERE device_id = $1", "K-02").await, 2);
    assert_eq!(q(db, "SELECT COUNT(*) FROM chain_events WHERE device_id = $1", "K-02").await, 0);
}

async fn an_enclosure_opened_during_an_outage_reaches_the_devices_page(db: Db) {
    use hadir_hal::tamper::TamperEvent;
    let mut d = day(db).await;
    let t = DAY + Duration::hours(8);
    d.clock.set(ms(t));
    d.server.stop().await;
    let k = &mut d.kiosks[2];
    let now = hadir_kiosk::runtime::Now { mono: hadir_kiosk::flow::Mono(k.mono_at(t)), wall: t };
    let opened = k.kiosk.tamper(TamperEvent::Opened, now).expect("an enrolled kiosk signs the event");
    let vitals = hadir_kiosk::health::Vitals { camera_fps_centi: Some(1500), tamper_open: Some(true) };
    let report = |k: &SimKiosk| hadir_kiosk::health::report(&k.kiosk.store, vitals, &k.dir, ms(t)).unwrap();
    assert!(matches!(k.uploader.report_health(&report(k)).await, Err(ClientError::Transport { .. })));
    assert_eq!(k.kiosk.store.unacked_events(10).unwrap(), [opened.clone()], "kept while the server is away");

    d.server.restart().await;
    let k = &mut d.kiosks[2];
    let mut answer = k.uploader.report_health(&report(k)).await;
    if matches!(answer, Err(ClientError::Transport { .. })) {
        // A pooled connection to the old process may fail once.
        answer = k.uploader.report_health(&report(k)).await;
    }
    let answer = answer.unwrap();
    assert_eq!((answer.events_through, answer.refused), (1, None));
    k.kiosk.store.ack_events(answer.events_through).unwrap();
    assert!(k.kiosk.store.unacked_events(10).unwrap().is_empty());

    let mut admin = DashClient::new(&d.server.url);
    admin.login("admin", PASSWORD).await;
    let page = admin.get("/devices").await.text;
    assert!(page.contains(r#"id="tamper-alerts""#) && page.contains(r#"data-event="K-03/1""#), "{page}");
    let row = page.split(r#"<tr data-device="K-03">"#).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default();
    assert!(row.contains("casing terbuka"), "{row}");
}

hadir_e2e::on_both_backends!(
    network_cuts_mid_batch_lose_and_duplicate_nothing,
    server_restart_kiosk_restart_and_clock_jump,
    an_enclosure_opened_during_an_outage_reaches_the_devices_page,
);
