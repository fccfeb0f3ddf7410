//! People end to end: an office that starts empty makes its site on the dashboard, imports its
//! employees there (real HTTP: the preview, then the confirmation), gives one of them a PIN,
//! and a kiosk of the site records her; she leaves (deactivated on the dashboard), and after
//! the kiosk's next sync her PIN opens nothing there.
//!
//! Faces are not the subject here: the kiosk replays a fixed valid face result (no models).

use hadir_e2e::dash::{DashClient, hidden};
use hadir_e2e::face::{E2eFace, FaceMode};
use hadir_e2e::kiosk::{KioskSpec, SimKiosk};
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::{Outcome, Refusal};
use hadir_kiosk::policy::Mode;
use hadir_rules::{WeeklySchedule, WorkHours};
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::accounts::Role;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const PASSWORD: &str = "kata-sandi-e2e-3";
const MODEL: &str = "replayed";
const MONDAY: OffsetDateTime = datetime!(2026-03-02 00:00 +7);
const WAYAN: &str = "199512122020121001";

async fn an_imported_employee_records_at_a_kiosk_until_she_is_deactivated(db: Db) {
    let tmp = tempfile::tempdir().unwrap();
    let clock = FrozenClock::at(ms(MONDAY + Duration::hours(6)));
    let server = Server::start(db, clock.clone()).await;
    server.dash.store.add_user("admin", &hash_password(PASSWORD).unwrap(), Role::Admin, &[]).await.unwrap();
    let h = WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).unwrap();
    server.dash.store.put_section("BM", "Bina Marga", &WeeklySchedule::weekdays(h)).await.unwrap();

    let mut admin = DashClient::new(&server.url);
    admin.login("admin", PASSWORD).await;
    let csrf = hidden(&admin.get("/settings").await.text, "csrf").unwrap();
    let site = admin.post("/settings/site", &[("csrf", &csrf), ("id", "KANTOR"), ("name", "Kantor Dinas PUPR")]).await;
    assert!(site.location.unwrap_or_default().contains("ok="), "the site is made");

    let file = format!("NIP;Nama;Bidang;Lokasi;Jenis Pegawai\r\n{WAYAN};Wayan Sudana;Bina Marga;KANTOR;PNS\r\n199612122021122002;Made Ayu;BM;Kantor Dinas PUPR;PNS\r\n");
    let preview = admin.upload("/employees/import", &[("csrf", &csrf)], ("file", "pegawai.csv", file.as_bytes())).await;
    assert!(preview.text.contains("ditambah 2 · diubah 0 · tetap 0 · ditolak 0"), "{}", preview.text);
    let upload = hidden(&preview.text, "upload").expect("the confirm form");
    let saved = admin.post("/employees/import/confirm", &[("csrf", &csrf), ("upload", &upload)]).await;
    assert_eq!(saved.status, 303, "{}", saved.text);

    let page = admin.post(&format!("/employees/{WAYAN}/pin"), &[("csrf", &csrf)]).await.text;
    let at = page.find(r#"id="new-pin">"#).expect("the new PIN is shown") + 13;
    let pin: String = page[at..].chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(pin.len(), 6, "{pin}");
    server.store.add_template(WAYAN, MODEL, &[0.1; 8], clock.now_ms()).await.unwrap();

    let face = E2eFace::replay_only(MODEL, ScriptedFace::face(93.0, 96.0));
    let spec = KioskSpec { device_id: "K-01".into(), site: "KANTOR".into(), mode: Mode::Office, allow_without_fix: false };
    let mut k = SimKiosk::enrol(&server, &spec, tmp.path().join("K-01"), face, &clock).await;
    let frame = image::RgbImage::new(64, 64);
    let replay = || FaceMode::Replay(ScriptedFace::face(93.0, 96.0));
    let t = MONDAY + Duration::minutes(7 * 60 + 20);
    clock.set(ms(t));
    let o = k.attempt(true, &pin, &frame, replay(), None, t);
    assert!(matches!(&o, Outcome::Recorded { employee, .. } if employee.id == WAYAN), "{o:?}");
    k.drain().await.unwrap();

    let left = admin.post(&format!("/employees/{WAYAN}/deactivate"), &[("csrf", &csrf), ("confirm", WAYAN)]).await;
    assert_eq!(left.status, 303, "{}", left.text);
    let t = MONDAY + Duration::minutes(16 * 60 + 5);
    clock.set(ms(t));
    let o = k.attempt(false, &pin, &frame, replay(), None, t);
    assert!(matches!(o, Outcome::Recorded { .. }), "until the kiosk syncs it still knows her: {o:?}");
    k.sync_roster(clock.now_ms()).await.unwrap();
    let o = k.attempt(false, &pin, &frame, replay(), None, t + Duration::minutes(1));
    assert!(matches!(o, Outcome::Refused { reason: Refusal::UnknownPin, employee: None, .. }), "after the sync her PIN opens nothing: {o:?}");
    let stored: i64 = server.store.counts().await.unwrap().records as i64;
    k.drain().await.unwrap();
    assert_eq!(server.store.counts().await.unwrap().records as i64, stored + 1, "the OUT made before the sync still arrives");
}

hadir_e2e::on_both_backends!(an_imported_employee_records_at_a_kiosk_until_she_is_deactivated);
