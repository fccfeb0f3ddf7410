//! Trusted time and place end to end (issue 19): three field units of one site, whose area an
//! administrator set on the dashboard. One records cleanly inside the area; one has its clock
//! set back 40 minutes (its owner's doing, before it synced); one records 30 km away. The two
//! doubtful records land in the supervisor's confirmation queue with their reasons and figures,
//! in Bahasa Indonesia; the clean ones count at once.
//!
//! Faces are not the subject here: kiosks replay a fixed valid face result (no models).

use hadir_e2e::dash::DashClient;
use hadir_e2e::face::{E2eFace, FaceMode};
use hadir_e2e::kiosk::{KioskSpec, SimKiosk};
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::{Outcome, PlaceVerdict};
use hadir_kiosk::policy::Mode;
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::EmployeeInput;
use hadir_server::storage::accounts::Role;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const MODEL: &str = "replayed";
const PASSWORD: &str = "kata-sandi-e2e-19";
const DAY: OffsetDateTime = datetime!(2026-03-04 00:00 +7);
/// The site's field base (a point in Badung) and the area's radius.
const BASE: (f64, f64) = (-8.5819, 115.1771);

fn pin(i: usize) -> String {
    format!("{:06}", 190_000 + i)
}

async fn doubtful_time_and_place_wait_for_the_supervisor(db: Db) {
    let tmp = tempfile::tempdir().unwrap();
    let clock = FrozenClock::at(ms(DAY + Duration::hours(6)));
    let server = Server::start(db, clock.clone()).await;
    let pw = hash_password(PASSWORD).unwrap();
    server.dash.store.add_user("admin", &pw, Role::Admin, &[]).await.unwrap();
    for i in 0..6 {
        let nip = format!("19900101201519{i:04}");
        let e = EmployeeInput {
            employee_id: nip.clone(),
            name: format!("Petugas {i}"),
            site_id: "LAPANGAN".into(),
            section_id: Some("BM".into()),
            pin_hash: Some(hadir_e2e::department::test_pin_hash(&pin(i), i)),
        };
        server.store.upsert_employee(&e).await.unwrap();
        server.store.add_template(&nip, MODEL, &[0.1; 8], clock.now_ms()).await.unwrap();
    }
    // The administrator sets the site's area on the dashboard.
    let mut admin = DashClient::new(&server.url);
    admin.login("admin", PASSWORD).await;
    let settings = admin.get("/settings").await;
    let csrf = hadir_e2e::dash::hidden(&settings.text, "csrf").expect("csrf");
    let (lat, lon) = (BASE.0.to_string(), BASE.1.to_string());
    let r = admin.post("/settings/site-area", &[("csrf", &csrf), ("site", "LAPANGAN"), ("lat", &lat), ("lon", &lon), ("radius_m", "500")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(admin.get("/settings").await.text.contains("data-area=\"LAPANGAN\""));

    let mut units = Vec::new();
    for id in ["F-01", "F-02", "F-03"] {
        let spec = KioskSpec { device_id: id.into(), site: "LAPANGAN".into(), mode: Mode::Field, allow_without_fix: false };
        let face = E2eFace::replay_only(MODEL, ScriptedFace::face(92.0, 96.0));
        units.push(SimKiosk::enrol(&server, &spec, tmp.path().join(id), face, &clock).await);
    }
    // F-02's owner set its clock back 40 minutes; at its next exchange with the server it
    // measures the difference (and keeps recording with its own clock).
    units[1].skew_ms = -40 * 60_000;
    clock.set(ms(DAY + Duration::hours(7)));
    units[1].sync_roster(clock.now_ms()).await.unwrap();

    let valid = || FaceMode::Replay(ScriptedFace::face(92.0, 96.0));
    let frame = image::RgbImage::new(64, 64);
    // (unit, employee, metres north of the base, true time)
    let plan: [(usize, usize, f64, OffsetDateTime); 6] = [
        (0, 0, 120.0, DAY + Duration::minutes(7 * 60 + 25)),
        (0, 1, -300.0, DAY + Duration::minutes(7 * 60 + 28)),
        (1, 2, 50.0, DAY + Duration::minutes(8 * 60 + 10)),
        (1, 3, 80.0, DAY + Duration::minutes(8 * 60 + 12)),
        // One unit for both, so it travels as a car would (the server flags a unit faster):
        // 30 km north half an hour after the base.
        (2, 5, 200.0, DAY + Duration::minutes(6 * 60 + 50)),
        (2, 4, 30_000.0, DAY + Duration::minutes(7 * 60 + 20)),
    ];
    for (unit, employee, north_m, at) in plan {
        clock.set(ms(at));
        let u = &mut units[unit];
        let fix = u.fix_at(BASE.0 + north_m / 111_195.0, BASE.1, at);
        let o = u.attempt(true, &pin(employee), &frame, valid(), Some(fix), at);
        assert!(matches!(o, Outcome::Recorded { .. }), "{}: {o:?}", u.device_id);
        // The kiosk warned before the face step exactly where the server will doubt the place:
        // 30 km from the site's area, by the same distance.
        match (&u.place_notice, north_m > 500.0) {
            (None, false) => {}
            (Some(PlaceVerdict::Outside { distance_m, label: None }), true) => {
                assert!((29_000..30_000).contains(distance_m), "{distance_m} m from the area's edge");
            }
            (seen, _) => panic!("{}: employee {employee}, {north_m} m north: place notice {seen:?}", u.device_id),
        }
    }
    clock.set(ms(DAY + Duration::hours(9)));
    for u in &mut units {
        u.drain().await.unwrap();
        assert_eq!(u.kiosk.store.queue_len().unwrap(), 0, "{}: everything reached the server", u.device_id);
    }

    let pending = server.dash.store.pending_records().await.unwrap();
    let mut got: Vec<(String, i64, Vec<(String, Option<i64>)>)> = pending
        .iter()
        .map(|r| (r.punch.device_id.to_string(), r.seq, r.flags.iter().map(|f| (f.code.clone(), f.value)).collect()))
        .collect();
    got.sort();
    println!("pending with reasons: {got:?}");
    let codes = |device: &str| -> Vec<Vec<String>> {
        got.iter().filter(|(d, ..)| d == device).map(|(.., f)| f.iter().map(|(c, _)| c.clone()).collect()).collect()
    };
    assert!(codes("F-01").is_empty(), "the clean unit's records count at once: {got:?}");
    // Both records of the set-back unit: its offset at the sync, and its GPS receiver's time,
    // each say 40 minutes.
    let f02 = codes("F-02");
    assert_eq!(f02.len(), 2, "{got:?}");
    for c in &f02 {
        assert!(c.contains(&"time_drifted".to_owned()) && c.contains(&"time_disagrees_with_gps".to_owned()), "{c:?}");
        assert!(!c.iter().any(|c| c.starts_with("place_")), "its place is fine: {c:?}");
    }
    assert_eq!(codes("F-03"), [vec!["place_outside_area".to_owned()]], "only the record 30 km away");
    let figures = |code: &str| -> Vec<Option<i64>> {
        got.iter().filter(|(d, ..)| d == "F-02").flat_map(|(.., f)| f.iter().filter(|(c, _)| c == code).map(|(_, v)| *v)).collect()
    };
    assert_eq!(figures("time_drifted"), [Some(40), Some(40)], "the offset: 40 minutes");
    assert_eq!(figures("time_disagrees_with_gps"), [Some(-40), Some(-40)], "40 minutes before GPS time");
    let away = got.iter().find(|(d, ..)| d == "F-03").map(|(.., f)| f[0].1.unwrap()).unwrap();
    assert!((29_000..30_000).contains(&away), "{away} m from the area's edge");

    // The supervisor reads the reasons in Bahasa Indonesia.
    let queue = admin.get("/confirmations").await;
    assert_eq!(queue.status, 200);
    assert!(queue.text.contains("jam perangkat meleset 40 menit saat sinkron"), "{}", queue.text);
    assert!(queue.text.contains("di luar area lokasi, 29,"), "{}", queue.text);
    // Each field record's place is drawn: its position, accuracy, the site's area, a scale.
    assert_eq!(queue.text.matches(r#"<svg class="map""#).count(), 3, "one drawing per waiting record");
    assert!(queue.text.contains(r#"class="area""#) && queue.text.contains(r#"class="fix""#) && queue.text.contains("Area lokasi"));
    // The devices page counts the doubted records per device.
    let devices = admin.get("/devices").await.text;
    let row = |id: &str| devices.split(&format!(r#"<tr data-device="{id}">"#)).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or("").to_owned();
    assert!(row("F-01").contains(r#"<td class="flagged">0</td>"#), "{}", row("F-01"));
    assert!(row("F-02").contains(r#"<td class="flagged"><span class="pending">2</span>"#), "{}", row("F-02"));
    assert!(row("F-03").contains(r#"<td class="flagged"><span class="pending">1</span>"#), "{}", row("F-03"));

    // The next day two of them work on assignments the administrator dated on the dashboard:
    // employee 4 on a river 30 km north (inside his assignment: clean, though far from the
    // site), employee 5 on a road 10 km east (she records at the base: outside hers, named).
    let next = DAY + Duration::days(1);
    let day = "2026-03-05";
    let north = (BASE.0 + 30_000.0 / 111_195.0).to_string();
    let east = (BASE.1 + 10_000.0 / 110_000.0).to_string();
    let csrf = hadir_e2e::dash::hidden(&admin.get("/settings").await.text, "csrf").expect("csrf");
    for (employee, label, lat, lon) in [(4, "Normalisasi Tukad Badung", north.as_str(), lon.as_str()), (5, "Preservasi jalan Mengwi", lat.as_str(), east.as_str())] {
        let nip = format!("19900101201519{employee:04}");
        let fields = [("csrf", csrf.as_str()), ("employee", nip.as_str()), ("from", day), ("to", day), ("label", label), ("lat", lat), ("lon", lon), ("radius", "500")];
        let r = admin.post("/assignments", &fields).await;
        assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=")), "{:?} {}", r.location, r.text);
    }
    let page = admin.get("/reports/employee?id=199001012015190005&year=2026&month=3").await.text;
    assert!(page.contains("Preservasi jalan Mengwi") && page.contains(r#"id="assignments""#), "the assignment on her month page");
    // The unit learns the assignments with the roster.
    clock.set(ms(next + Duration::hours(6)));
    units[2].sync_roster(clock.now_ms()).await.unwrap();
    // (A few metres from yesterday: a real receiver never gives the same fix twice.)
    for (employee, north_m, minute) in [(5usize, 230.0, 6 * 60 + 50), (4, 30_040.0, 7 * 60 + 20)] {
        let at = next + Duration::minutes(minute);
        clock.set(ms(at));
        let u = &mut units[2];
        let fix = u.fix_at(BASE.0 + north_m / 111_195.0, BASE.1, at);
        let o = u.attempt(true, &pin(employee), &frame, valid(), Some(fix), at);
        assert!(matches!(o, Outcome::Recorded { .. }), "{o:?}");
        // Inside his assignment: no notice; outside hers: the notice names it, as the queue will.
        match (employee, &u.place_notice) {
            (4, None) => {}
            (5, Some(PlaceVerdict::Outside { label: Some(l), .. })) if l == "Preservasi jalan Mengwi" => {}
            (_, seen) => panic!("employee {employee}: place notice {seen:?}"),
        }
    }
    clock.set(ms(next + Duration::hours(9)));
    units[2].drain().await.unwrap();
    let flags_of = |nip: String, pending: &[hadir_server::storage::records_view::RecordView]| -> Vec<(String, String)> {
        pending.iter().filter(|r| r.employee_id == nip && r.punch.at.date() == next.date()).flat_map(|r| r.flags.iter().map(|f| (f.code.clone(), f.note.clone()))).collect()
    };
    let pending = server.dash.store.pending_records().await.unwrap();
    let his = flags_of(format!("19900101201519{:04}", 4), &pending);
    assert!(his.is_empty(), "inside his assignment, 30 km from the site: clean, not {his:?}");
    assert_eq!(flags_of(format!("19900101201519{:04}", 5), &pending), [("place_outside_area".to_owned(), "Preservasi jalan Mengwi".to_owned())]);
    // A day later the morning's session has ended: the administrator signs in again.
    admin.login("admin", PASSWORD).await;
    let queue = admin.get("/confirmations").await.text;
    assert!(queue.contains("di luar area penugasan \u{201c}Preservasi jalan Mengwi\u{201d}, 9,"), "{queue}");
    assert!(queue.contains("Area penugasan"), "the map draws the assignment's area");
}

hadir_e2e::on_both_backends!(doubtful_time_and_place_wait_for_the_supervisor);
