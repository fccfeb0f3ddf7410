//! Security end to end: a record forged by a device that is not enrolled, one signed by the
//! wrong key, one altered in transit, one replayed from yesterday, and a supervisor reaching for
//! another section's records through the dashboard. All refused (or, for the exact replay,
//! answered as already stored and not duplicated), and each refusal is in the server's log.
//! A stranger holding the dashboard with never-ending requests leaves the kiosks their slots.
//!
//! Faces are not the subject here: the kiosk replays a fixed valid face result (no models). It
//! runs on SQLite and on a real PostgreSQL.

use hadir_e2e::dash::DashClient;
use hadir_e2e::face::E2eFace;
use hadir_e2e::kiosk::{KioskSpec, SimKiosk};
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::Outcome;
use hadir_kiosk::policy::Mode;
use hadir_protocol::{DeviceKey, Digest, Outcome as Answer, Record, RefusalReason, UploadResponse};
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::accounts::Role;
use hadir_rules::{WeeklySchedule, WorkHours};
use hadir_server::storage::EmployeeInput;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "kata-sandi-e2e-2";
const MODEL: &str = "replayed";
/// Monday; "today" is Tuesday.
const YESTERDAY: OffsetDateTime = datetime!(2026-03-02 00:00 +7);
const TODAY: OffsetDateTime = datetime!(2026-03-03 00:00 +7);

fn pin(i: usize) -> String {
    format!("{:06}", 200_000 + i)
}

async fn post_raw(url: &str, records: &[Record]) -> UploadResponse {
    let body = serde_json::to_vec(&serde_json::json!({ "records": records })).unwrap();
    let resp = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap()
        .post(format!("{url}/api/v1/records"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.expect("upload answer")
}

fn refused(a: &UploadResponse) -> Option<RefusalReason> {
    match &a.results[0].outcome {
        Answer::Refused { reason, .. } => Some(*reason),
        _ => None,
    }
}

async fn forged_altered_replayed_and_out_of_section_are_refused_and_logged(db: Db) {
    let log = hadir_e2e::logs::capture();
    let tmp = tempfile::tempdir().unwrap();
    let clock = FrozenClock::at(ms(YESTERDAY + Duration::hours(6)));
    let server = Server::start(db, clock.clone()).await;
    let h = WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).unwrap();
    let pw = hash_password(PASSWORD).unwrap();
    server.dash.store.add_user("admin", &pw, Role::Admin, &[]).await.unwrap();
    server.dash.store.add_user("kabid_bm", &pw, Role::Supervisor, &["BM"]).await.unwrap();
    for (i, sec) in ["BM", "BM", "SDA", "SDA"].into_iter().enumerate() {
        server.dash.store.put_section(sec, sec, &WeeklySchedule::weekdays(h)).await.unwrap();
        let nip = format!("19850505201001{i:04}");
        let e = EmployeeInput {
            employee_id: nip.clone(),
            name: format!("Pegawai {i}"),
            site_id: "KANTOR".into(),
            section_id: Some(sec.into()),
            pin_hash: Some(hadir_e2e::department::test_pin_hash(&pin(i), i)),
        };
        server.store.upsert_employee(&e).await.unwrap();
        server.store.add_template(&nip, MODEL, &[0.1; 8], clock.now_ms()).await.unwrap();
    }
    let face = E2eFace::replay_only(MODEL, ScriptedFace::face(93.0, 96.0));
    let spec = KioskSpec { device_id: "K-01".into(), site: "KANTOR".into(), mode: Mode::Office, allow_without_fix: false };
    let mut k = SimKiosk::enrol(&server, &spec, tmp.path().join("K-01"), face, &clock).await;
    let frame = image::RgbImage::new(64, 64);
    let replay = |_: &SimKiosk| hadir_e2e::face::FaceMode::Replay(ScriptedFace::face(93.0, 96.0));

    // Yesterday: an SDA employee (2) arrives; the record is uploaded.
    let t = YESTERDAY + Duration::minutes(7 * 60 + 20);
    clock.set(ms(t));
    let o = k.attempt(true, &pin(2), &frame, replay(&k), None, t);
    assert!(matches!(o, Outcome::Recorded { .. }), "{o:?}");
    let yesterdays = k.kiosk.store.pending(10).unwrap()[0].record.clone();
    k.drain().await.unwrap();

    // Today: employee 0 (BM) arrives 40 minutes late; the record waits in the outbox.
    let t = TODAY + Duration::minutes(8 * 60 + 10);
    clock.set(ms(t));
    let o = k.attempt(true, &pin(0), &frame, replay(&k), None, t);
    assert!(matches!(o, Outcome::Recorded { .. }), "{o:?}");
    let todays = k.kiosk.store.pending(10).unwrap()[0].record.clone();

    // 1. Forged by a device that was never enrolled.
    let attacker = DeviceKey::from_seed(&[7; 32]);
    let mut body = todays.body.clone();
    body.device_id = "K-99".into();
    body.seq = 1;
    body.prev_hash = Digest::ZERO;
    let a = post_raw(&server.url, &[body.sign(&attacker)]).await;
    assert_eq!(refused(&a), Some(RefusalReason::UnknownDevice), "{a:?}");
    // … and one claiming to be K-01, signed with the attacker's key.
    let a = post_raw(&server.url, &[todays.body.clone().sign(&attacker)]).await;
    assert_eq!(refused(&a), Some(RefusalReason::UnknownDevice), "{a:?}");

    // 2. Altered in transit: 40 minutes late becomes on time.
    let mut altered = todays.clone();
    altered.body.recorded_at_ms -= 45 * 60 * 1000;
    let a = post_raw(&server.url, &[altered]).await;
    assert_eq!(refused(&a), Some(RefusalReason::UnknownDevice), "{a:?}");

    // 3. Replayed from yesterday: the same record again is not stored twice …
    let before = server.count("SELECT COUNT(*) FROM records", vec![]).await;
    let a = post_raw(&server.url, &[yesterdays.clone()]).await;
    assert_eq!(a.results[0].outcome, Answer::AlreadyStored);
    assert_eq!(server.count("SELECT COUNT(*) FROM records", vec![]).await, before, "a replay adds nothing");
    // … and re-stamped for today (as the next record of the chain) it does not verify.
    let mut restamped = yesterdays.clone();
    restamped.body.recorded_at_ms = ms(TODAY + Duration::minutes(7 * 60 + 15));
    restamped.body.seq = todays.body.seq;
    restamped.body.prev_hash = todays.body.prev_hash;
    let a = post_raw(&server.url, &[restamped]).await;
    assert_eq!(refused(&a), Some(RefusalReason::UnknownDevice), "{a:?}");

    // The genuine record still goes through, untouched.
    k.drain().await.unwrap();
    let stored_at = server.count("SELECT recorded_at_ms FROM records WHERE device_id = 'K-01' AND seq = $1", vec![(todays.body.seq as i64).into()]).await;
    assert_eq!(stored_at, todays.body.recorded_at_ms);
    assert_eq!(server.count("SELECT COUNT(*) FROM records", vec![]).await, 2);
    assert_eq!(server.count("SELECT COUNT(*) FROM records WHERE device_id = 'K-99'", vec![]).await, 0);

    // Every refusal is in the server's log with its reason.
    let text = log.text();
    for reason in ["unknown_device", "bad_signature"] {
        assert!(text.contains("record refused") && text.contains(reason), "{reason} not logged:\n{text}");
    }
    assert!(text.matches("bad_signature").count() >= 3, "each bad signature logged");

    // 4. A supervisor of BM reaches for SDA.
    let mut kabid = DashClient::new(&server.url);
    kabid.login("kabid_bm", PASSWORD).await;
    let r = kabid.get("/reports/date.csv?date=2026-03-02&section=SDA").await;
    assert_eq!(r.status, 403, "another section's recap: {}", r.text);
    let sda_record = server.count("SELECT id FROM records WHERE employee_id = '198505052010010002'", vec![]).await;
    let r = kabid.get(&format!("/records/{sda_record}/photo")).await;
    assert!(r.status == 403 || r.status == 404, "another section's evidence photo: {}", r.status);
    let r = kabid.get("/records?date=2026-03-02&section=SDA").await;
    assert!(r.status == 403 || !r.text.contains("198505052010010002"), "another section's records listed");
    // Their own section's recap does not list SDA's employees.
    let rows = kabid.csv("/reports/date.csv?date=2026-03-02").await;
    assert!(rows[1..].iter().all(|r| r[3] == "BM"), "{rows:?}");
    // The admin sees both.
    let mut admin = DashClient::new(&server.url);
    admin.login("admin", PASSWORD).await;
    let rows = admin.csv("/reports/date.csv?date=2026-03-02").await;
    assert_eq!(rows.len() - 1, 4);
}

hadir_e2e::on_both_backends!(forged_altered_replayed_and_out_of_section_are_refused_and_logged);

/// A stranger holds the dashboard with requests whose bodies never finish (slowloris), and
/// floods it: the kiosks' own slots stay free, the flood is answered 503 at once, and each slow
/// request is cut with 408 at the time limit — through the real listener and its limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_flood_leaves_the_kiosks_their_slots_and_slow_requests_are_cut() {
    use hadir_server::limits::HttpLimits;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tmp = tempfile::tempdir().unwrap();
    let limits = HttpLimits { request_timeout: std::time::Duration::from_secs(2), max_in_flight: 2 };
    let zone = hadir_rules::SiteZone::parse("Asia/Makassar").unwrap();
    let server = Server::start_limited(Db::Sqlite(tmp.path().join("hadir.sqlite")), FrozenClock::at(ms(TODAY)), "127.0.0.1:0", zone, limits).await;
    server.dash.store.add_user("admin", &hash_password(PASSWORD).unwrap(), Role::Admin, &[]).await.unwrap();
    let addr = server.url.trim_start_matches("http://").to_owned();
    let http = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap();
    let status = |path: &'static str| {
        let (http, url) = (http.clone(), server.url.clone());
        async move { http.get(format!("{url}{path}")).send().await.expect("request").status().as_u16() }
    };

    assert_eq!(status("/login").await, 200, "the sign-in page before the flood");
    // Two sign-ins that promise a body and send a few bytes of it.
    let started = std::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"POST /login HTTP/1.1\r\nHost: hadir\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=adm").await.unwrap();
        slow.push(c);
    }
    // Once they hold both of the dashboard's slots, more dashboard requests are refused at once…
    let mut flooded = 0;
    for _ in 0..200 {
        flooded = status("/login").await;
        if flooded == 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(flooded, 503, "a full dashboard answers 503");
    // …while the device API, with slots of its own, answers.
    assert_eq!(status("/api/v1/time").await, 200, "the kiosks' calls are not behind the dashboard's flood");

    // Each slow request is answered 408 at the time limit, and its slot is free again.
    for mut c in slow {
        let mut answer = String::new();
        tokio::time::timeout(std::time::Duration::from_secs(10), c.read_to_string(&mut answer)).await.expect("an answer").unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "cut at the limit, not before");
    assert_eq!(status("/login").await, 200, "the dashboard serves again");
}
