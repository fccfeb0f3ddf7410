//! One rulebook, end to end: for a table of cases, the lateness a kiosk shows on its result
//! screen equals the figure of the dashboard's recap for the same record.
//!
//! The server (device API and dashboard, real HTTP) runs in WITA (`Asia/Makassar`, UTC+8). Its
//! calendar — a section with shorter Friday hours, a night-shift section, a holiday, a day of
//! leave — reaches two kiosks (office and field) only through the roster. Each case is a real
//! attempt at a kiosk (keys, PIN, a replayed valid face, a signed record, the uploader); then the
//! dashboard's recap per date, exported as CSV, is read back for that employee and day.
//!
//! Faces are not the subject here: the kiosks replay a fixed valid face result (no models).

use hadir_e2e::dash::DashClient;
use hadir_e2e::face::{E2eFace, FaceMode};
use hadir_e2e::kiosk::{KioskSpec, SimKiosk};
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::Outcome;
use hadir_kiosk::policy::Mode;
use hadir_rules::{Excused, SiteZone, WeeklySchedule, WorkHours};
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::EmployeeInput;
use hadir_server::storage::accounts::Role;
use time::macros::{date, datetime, time};
use time::{Date, OffsetDateTime};

const PASSWORD: &str = "kata-sandi-e2e-3";
const MODEL: &str = "replayed";

/// One attempt: who (section), at which kiosk, when (WITA wall clock).
struct Case {
    name: &'static str,
    section: &'static str,
    field: bool,
    at: OffsetDateTime,
    /// The day whose recap row holds the record (a night shift's day is the day it starts).
    day: Date,
}

fn cases() -> Vec<Case> {
    let c = |name, section, field, at, day| Case { name, section, field, at, day };
    vec![
        c("office, 12 min, within tolerance", "BM", false, datetime!(2026-03-02 07:42 +8), date!(2026 - 03 - 02)),
        c("field, 12 min, no tolerance", "BM", true, datetime!(2026-03-02 07:42 +8), date!(2026 - 03 - 02)),
        c("office, exactly at tolerance", "BM", false, datetime!(2026-03-02 08:30 +8), date!(2026 - 03 - 02)),
        c("office, a minute past tolerance", "BM", false, datetime!(2026-03-02 08:31 +8), date!(2026 - 03 - 02)),
        c("office, on time", "BM", false, datetime!(2026-03-02 07:20 +8), date!(2026 - 03 - 02)),
        c("field, Friday hours start 07:00", "BM", true, datetime!(2026-03-06 07:05 +8), date!(2026 - 03 - 06)),
        c("office, a holiday", "BM", false, datetime!(2026-03-04 08:45 +8), date!(2026 - 03 - 04)),
        c("office, on leave that day", "BM", false, datetime!(2026-03-03 09:15 +8), date!(2026 - 03 - 03)),
        c("night shift, 20 min late", "SATPAM", false, datetime!(2026-03-02 22:20 +8), date!(2026 - 03 - 02)),
        c("night shift, late past midnight", "SATPAM", true, datetime!(2026-03-03 00:10 +8), date!(2026 - 03 - 02)),
    ]
}

fn nip(i: usize) -> String {
    format!("19900303201501{i:04}")
}

fn pin(i: usize) -> String {
    format!("{:06}", 300_000 + i * 11)
}

async fn the_kiosk_shows_the_lateness_of_the_recap(db: Db) {
    let tmp = tempfile::tempdir().unwrap();
    let clock = FrozenClock::at(ms(datetime!(2026-03-01 18:00 +8)));
    let wita = SiteZone::parse("Asia/Makassar").unwrap();
    let server = Server::start_in(db, clock.clone(), "127.0.0.1:0", wita).await;
    let store = &server.dash.store;
    let pw = hash_password(PASSWORD).unwrap();
    store.add_user("admin", &pw, Role::Admin, &[]).await.unwrap();

    // The calendar: Bina Marga 07:30–16:00, Friday 07:00–11:30; the guards 22:00–06:00 on
    // weekdays; a holiday on Wednesday 4 March.
    let hours = |a, b| WorkHours::new(a, b).unwrap();
    let (day, friday) = (Some(hours(time!(07:30), time!(16:00))), Some(hours(time!(07:00), time!(11:30))));
    store.put_section("BM", "Bina Marga", &WeeklySchedule::new([day, day, day, day, friday, None, None])).await.unwrap();
    let night = Some(hours(time!(22:00), time!(06:00)));
    store.put_section("SATPAM", "Satpam", &WeeklySchedule::new([night, night, night, night, night, None, None])).await.unwrap();
    store.put_holiday(&hadir_server::storage::calendar::Holiday::everywhere(date!(2026 - 03 - 04), "Hari libur uji", hadir_server::storage::calendar::HolidayKind::National)).await.unwrap();

    let cases = cases();
    for (i, case) in cases.iter().enumerate() {
        let e = EmployeeInput {
            employee_id: nip(i),
            name: format!("Pegawai {i}"),
            site_id: "KANTOR".into(),
            section_id: Some(case.section.into()),
            pin_hash: Some(hadir_e2e::department::test_pin_hash(&pin(i), i)),
        };
        server.store.upsert_employee(&e).await.unwrap();
        server.store.add_template(&nip(i), MODEL, &[0.1; 8], clock.now_ms()).await.unwrap();
    }
    // The employee of "on leave that day" is on annual leave on Tuesday 3 March.
    let on_leave = cases.iter().position(|c| c.name.contains("leave")).unwrap();
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(clock.now_ms()) * 1_000_000).unwrap();
    store.add_correction(&nip(on_leave), date!(2026 - 03 - 03), Some(Excused::Cuti), "cuti tahunan", "admin", now).await.unwrap();

    let valid = || ScriptedFace::face(93.0, 96.0);
    let mut kiosks = Vec::new();
    for (id, mode) in [("K-01", Mode::Office), ("F-01", Mode::Field)] {
        let spec = KioskSpec { device_id: id.into(), site: "KANTOR".into(), mode, allow_without_fix: true };
        let face = E2eFace::replay_only(MODEL, valid());
        kiosks.push(SimKiosk::enrol(&server, &spec, tmp.path().join(id), face, &clock).await);
    }

    // Every attempt, in time order; the kiosk's screen says what it says.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| cases[i].at);
    let frame = image::RgbImage::new(64, 64);
    let mut shown = vec![(None, false); cases.len()];
    for i in order {
        let case = &cases[i];
        clock.set(ms(case.at));
        let k = &mut kiosks[usize::from(case.field)];
        match k.attempt(true, &pin(i), &frame, FaceMode::Replay(valid()), None, case.at) {
            Outcome::Recorded { late_minutes, marked_late, .. } => shown[i] = (late_minutes, marked_late),
            other => panic!("{}: {other:?}", case.name),
        }
        k.drain().await.unwrap();
    }

    // The dashboard's recap per date, for each case's day.
    let mut admin = DashClient::new(&server.url);
    admin.login("admin", PASSWORD).await;
    let mut table = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let rows = admin.csv(&format!("/reports/date.csv?date={}", case.day)).await;
        assert_eq!((rows[0][1].as_str(), rows[0][9].as_str(), rows[0][10].as_str()), ("NIP", "Kategori", "Menit terlambat"), "{}: columns", case.name);
        let row = rows.iter().find(|r| r[1] == nip(i)).unwrap_or_else(|| panic!("{}: no recap row", case.name));
        let recap_minutes: u32 = row[10].parse().unwrap();
        let recap_marked = row[9].contains("TL");
        let (kiosk_minutes, kiosk_marked) = shown[i];
        table.push(format!("{:<36} kiosk {:>3?} {:<5} recap {:>3} {:<5}", case.name, kiosk_minutes, kiosk_marked, recap_minutes, recap_marked));
        assert_eq!(kiosk_minutes.unwrap_or(0), recap_minutes, "{}: minutes late, kiosk vs recap", case.name);
        assert_eq!(kiosk_marked, recap_marked, "{}: marked late, kiosk vs recap", case.name);
    }
    println!("{}", table.join("\n"));

    // The table is not trivially equal: it holds on-time, within-tolerance, marked and
    // schedule-free days.
    let minutes: Vec<u32> = shown.iter().map(|(m, _)| m.unwrap_or(0)).collect();
    assert_eq!(minutes, vec![12, 12, 60, 61, 0, 5, 0, 0, 20, 130], "the kiosks' figures");
    let marked: Vec<bool> = shown.iter().map(|(_, m)| *m).collect();
    assert_eq!(marked, vec![false, true, false, true, false, true, false, false, false, true]);
}

hadir_e2e::on_both_backends!(the_kiosk_shows_the_lateness_of_the_recap);
