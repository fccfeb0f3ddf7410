//! The kiosk's own flow on the real touchscreen (headless, Slint's testing backend): a whole
//! IN record by touches — tap MASUK, tap the PIN on the pad, the camera's frame reaches the
//! preview, the face is checked, the result shows who, when, the band's colour and "Terlambat
//! N menit", the record is in the store with the device's enrolled id — then Selesai back to
//! idle. Also: an unenrolled device answers a touch with the "not registered" screen and makes
//! no record. Nothing here stands in for the kiosk: the runtime, the flow, the store and the
//! mapping onto the UI are the production ones; only the face pipeline is scripted.

use hadir_kiosk::config::KioskConfig;
use hadir_kiosk::face::ScriptedFace;
use hadir_kiosk::flow::Mono;
use hadir_kiosk::identity::Identity;
use hadir_rules::{SectionCalendar, SiteRules, WeeklySchedule, WorkHours};
use hadir_kiosk::runtime::{Display, Kiosk, Now, hash_pin};
use hadir_kiosk::store::{EmployeeRow, Store};
use hadir_kiosk::touch::UiDisplay;
use hadir_ui::{Ui, fonts};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use image::{Rgb, RgbImage};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;
use time::macros::datetime;

fn main() {
    // SAFETY: first statement of the test binary's `main` (harness = false): no other thread
    // exists yet that could read the environment.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
    }
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing backend is the first Slint platform of this process");
    let ui = Ui::new().expect("create the UI");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));

    full_in_by_touches(&ui);
    unenrolled_device_refuses(&ui);
    println!("touch: all checks passed");
}

/// 08:12 WITA on Monday 30 November 2026, `ms` later.
fn at(ms: u64) -> Now {
    Now { mono: Mono(ms), wall: datetime!(2026-11-30 00:12 UTC) + time::Duration::milliseconds(ms as i64) }
}

fn kiosk(dir: &std::path::Path, enrolled: bool) -> Kiosk {
    let mut cfg = KioskConfig::default();
    cfg.device.data_dir = dir.to_owned();
    cfg.device.office = "Dinas PU — Kantor Pusat".into();
    let identity = Identity::load_or_create(&cfg.key_file()).expect("device key");
    let mut store = Store::open(&cfg.db_file(), &identity).expect("store");
    let ani = EmployeeRow {
        id: "198001012005011001".into(),
        name: "Ani Wijaya".into(),
        section_id: Some("B1".into()),
        pin_hash: Some(hash_pin("202611")),
    };
    store.upsert_employee(&ani, &[("scripted".into(), vec![0.1; 8])]).expect("employee");
    // The site's rules as the roster carries them: WITA, B1 works 07:30–16:00 on weekdays.
    let hours = WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).expect("hours");
    let mut rules = SiteRules::default();
    rules.sections.insert("B1".into(), SectionCalendar::new(WeeklySchedule::weekdays(hours)));
    store.set_site_rules(&rules.to_wire()).expect("site rules");
    if enrolled {
        store.set_device("PU-KTR-01", "SITE-1", &identity.key.public().to_hex(), 0).expect("enrolment");
    }
    let face = ScriptedFace::new(vec![ScriptedFace::face(92.0, 96.0)]);
    Kiosk::new(store, identity, &cfg, Box::new(face)).expect("kiosk")
}

/// Runs queued event-loop work (screens set through the remote, preview frames) and returns.
fn run_pending() {
    slint::quit_event_loop().expect("queue quit");
    slint::run_event_loop().expect("event loop");
}

/// Hands every touch the UI reported to the kiosk, as its loop does, then lets the UI redraw.
fn pump(kiosk: &mut Kiosk, display: &mut UiDisplay, now: Now) {
    run_pending();
    while let Some(input) = display.poll() {
        kiosk.input(input, now, display);
    }
    run_pending();
}

fn find(ui: &Ui, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui.component(), label).next()
}

fn visible(ui: &Ui, label: &str, context: &str) {
    let element = find(ui, label).unwrap_or_else(|| panic!("{context}: no element labelled {label:?} on screen"));
    let size = element.size();
    assert!(size.width > 0.0 && size.height > 0.0, "{context}: {label:?} has no area");
}

fn tap(ui: &Ui, label: &str) {
    find(ui, label).unwrap_or_else(|| panic!("tap: no {label:?} on screen")).mock_single_click(PointerEventButton::Left);
}

fn snapshot(ui: &Ui) -> RgbImage {
    let shot = ui.window().take_snapshot().expect("software renderer snapshot");
    let rgb: Vec<u8> = shot.as_slice().iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    RgbImage::from_raw(shot.width(), shot.height(), rgb).expect("snapshot size")
}

fn full_in_by_touches(ui: &Ui) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut kiosk = kiosk(dir.path(), true);
    let mut display = UiDisplay::new(ui, hadir_kiosk::config::Language::Indonesian);
    kiosk.show_idle(at(0), &mut display);
    run_pending();
    visible(ui, "Tekan MASUK atau PULANG", "idle");
    visible(ui, "08:12", "idle clock, WIB");
    visible(ui, "Senin, 30 November 2026", "idle date");
    visible(ui, "Dinas PU — Kantor Pusat", "office");
    visible(ui, "Antrean: 0", "queue");

    tap(ui, "MASUK");
    pump(&mut kiosk, &mut display, at(1_000));
    visible(ui, "Masukkan PIN Anda", "pin");
    visible(ui, "0 dari 6 digit dimasukkan", "pin");
    for (i, digit) in ["2", "0", "2", "6", "1", "1"].into_iter().enumerate() {
        tap(ui, digit);
        pump(&mut kiosk, &mut display, at(2_000 + i as u64 * 300));
    }
    assert!(kiosk.capturing(), "the PIN was Ani's: capture starts ({:?})", kiosk.phase());
    visible(ui, "Tidak ada wajah", "capture: no face yet");

    // The camera's frame reaches the preview through the feed (as the kiosk's loop sends it).
    let frame = RgbImage::from_pixel(640, 480, Rgb([214, 170, 135]));
    display.preview(&frame);
    run_pending();
    let preview = ui.component().global::<hadir_ui::generated::CaptureState>().get_preview();
    assert_eq!((preview.size().width, preview.size().height), (640, 480), "the camera frame is in the preview");
    assert_eq!(display.preview_stats().shown, 1);

    // The face pipeline checks the frame; the flow decides and records; the result shows it.
    kiosk.frame(&frame, at(4_000), &mut display);
    run_pending();
    visible(ui, "Tercatat", "result");
    visible(ui, "Ani Wijaya", "result name");
    visible(ui, "MASUK pukul 08:12", "result time");
    visible(ui, "Terlambat 42 menit", "07:30 start, 08:12 IN");
    visible(ui, "Foto yang diambil", "evidence photo");
    let green = [0x1f, 0x9d, 0x55];
    let top = *snapshot(ui).get_pixel(400, 4);
    assert!(top.0.iter().zip(green).all(|(g, w)| g.abs_diff(w) <= 2), "valid is green, got {top:?}");

    let records = kiosk.store.pending(10).expect("outbox");
    assert_eq!(records.len(), 1, "one record made");
    let body = &records[0].record.body;
    assert_eq!((body.device_id.as_str(), body.employee_id.as_str(), body.seq), ("PU-KTR-01", "198001012005011001", 1));
    assert!(records[0].record.verify(&kiosk.identity().key.public()).is_ok());

    tap(ui, "Selesai");
    pump(&mut kiosk, &mut display, at(5_000));
    visible(ui, "Tekan MASUK atau PULANG", "back to idle");
    visible(ui, "Antrean: 1", "the record waits in the queue");
}

fn unenrolled_device_refuses(ui: &Ui) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut kiosk = kiosk(dir.path(), false);
    let mut display = UiDisplay::new(ui, hadir_kiosk::config::Language::Indonesian);
    kiosk.show_idle(at(0), &mut display);
    run_pending();
    tap(ui, "PULANG");
    pump(&mut kiosk, &mut display, at(100));
    visible(ui, "Perangkat belum terdaftar", "not enrolled");
    assert!(!kiosk.capturing());
    assert_eq!(kiosk.store.record_count().expect("records"), 0);
    tap(ui, "Kembali");
    pump(&mut kiosk, &mut display, at(200));
    visible(ui, "Tekan MASUK atau PULANG", "back to idle");
}
