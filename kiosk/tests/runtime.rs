//! The runtime end to end without devices: events in, records and audit entries in the store.

use hadir_kiosk::config::KioskConfig;
use hadir_kiosk::face::{FaceResult, ScriptedFace};
use hadir_kiosk::flow::{Band, Direction, Event, Guidance, Mono, Outcome, Phase, PlaceVerdict, Refusal, Screen};
use hadir_kiosk::identity::Identity;
use hadir_kiosk::policy::Mode;
use hadir_rules::{SectionCalendar, SiteRules, WeeklySchedule, WorkHours};
use hadir_kiosk::runtime::{Input, Kiosk, LogDisplay, Now, hash_pin};
use hadir_kiosk::flow::EnrolOutcome;
use hadir_kiosk::store::{EmployeeRow, Store, TemplateUploadState};

use time::macros::datetime;

struct Rig {
    kiosk: Kiosk,
    display: LogDisplay,
    cfg: KioskConfig,
    _dir: tempfile::TempDir,
}

fn rig(script: Vec<FaceResult>, edit: impl FnOnce(&mut KioskConfig)) -> Rig {
    rig_enrolled(true, script, edit)
}

/// A kiosk over a fresh store; `enrolled`: the server's enrolment gave it the id `PU-KTR-01`.
fn rig_enrolled(enrolled: bool, script: Vec<FaceResult>, edit: impl FnOnce(&mut KioskConfig)) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = KioskConfig::default();
    cfg.device.data_dir = dir.path().to_owned();
    cfg.flow.pin_length = 4;
    edit(&mut cfg);
    let identity = Identity::load_or_create(&cfg.key_file()).unwrap();
    let mut store = Store::open(&cfg.db_file(), &identity).unwrap();
    let ani = EmployeeRow { id: "198001012005011001".into(), name: "Ani".into(), section_id: Some("B1".into()), pin_hash: Some(hash_pin("1234")) };
    store.upsert_employee(&ani, &[("scripted".into(), vec![0.1; 8])]).unwrap();
    store.set_site_rules(&office_rules().to_wire()).unwrap();
    if enrolled {
        store.set_device("PU-KTR-01", "SITE-1", &identity.key.public().to_hex(), 0).unwrap();
    }
    let kiosk = Kiosk::new(store, identity, &cfg, Box::new(ScriptedFace::new(script))).unwrap();
    Rig { kiosk, display: LogDisplay::default(), cfg, _dir: dir }
}

/// The site's rules as the server's roster would carry them: WITA, section B1 works 07:30–16:00
/// Monday to Friday.
fn office_rules() -> SiteRules {
    let hours = WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).unwrap();
    let mut rules = SiteRules::default();
    rules.sections.insert("B1".into(), SectionCalendar::new(WeeklySchedule::weekdays(hours)));
    rules
}

/// 07:42 WITA on a Monday.
fn at(ms: u64) -> Now {
    Now { mono: Mono(ms), wall: datetime!(2026-03-01 23:42 UTC) + time::Duration::milliseconds(ms as i64) }
}

impl Rig {
    fn send(&mut self, ev: Event, ms: u64) {
        self.kiosk.dispatch(ev, at(ms), &mut self.display);
    }
    fn pin(&mut self, dir: Direction, pin: &str, ms: u64) {
        self.send(Event::Choose(dir), ms);
        for c in pin.chars() {
            self.send(Event::Digit(c), ms);
        }
    }
    fn frames(&mut self, n: usize, ms: u64) {
        let img = image::RgbImage::new(4, 4);
        for _ in 0..n {
            self.kiosk.frame(&img, at(ms), &mut self.display);
        }
    }
    /// The admin entry (the touchscreen's admin button), then `pin`.
    fn admin(&mut self, pin: &str, ms: u64) {
        self.kiosk.input(Input::AdminMenu, at(ms), &mut self.display);
        for c in pin.chars() {
            self.send(Event::Digit(c), ms);
        }
    }
    /// Drops the kiosk and opens a new one over the same store and key, as after a power cut.
    fn restart(self) -> Rig {
        let Rig { kiosk, cfg, _dir, .. } = self;
        drop(kiosk);
        let identity = Identity::load_or_create(&cfg.key_file()).unwrap();
        let store = Store::open(&cfg.db_file(), &identity).unwrap();
        let kiosk = Kiosk::new(store, identity, &cfg, Box::new(ScriptedFace::new(vec![ScriptedFace::face(95.0, 95.0)]))).unwrap();
        Rig { kiosk, display: LogDisplay::default(), cfg, _dir }
    }
    fn kinds(&self) -> Vec<String> {
        self.kiosk.store.audit_log().unwrap().into_iter().map(|a| a.kind).collect()
    }
    fn result(&self) -> Outcome {
        match self.kiosk.phase() {
            Phase::Result { outcome, .. } => outcome.clone(),
            other => panic!("expected a result, got {other:?}"),
        }
    }
}

#[test]
fn a_valid_face_makes_a_signed_late_record() {
    let mut r = rig(vec![FaceResult::Guide(Guidance::ComeCloser), ScriptedFace::face(91.0, 95.0)], |_| {});
    r.pin(Direction::In, "1234", 0);
    assert!(r.kiosk.capturing(), "{:?}", r.kiosk.phase());
    r.frames(2, 100);
    match r.result() {
        Outcome::Recorded { seq, band, late_minutes, marked_late, .. } => {
            assert_eq!((seq, band, late_minutes, marked_late), (1, Band::Valid, Some(12), false));
        }
        other => panic!("{other:?}"),
    }
    assert!(r.display.shown.iter().any(|s| matches!(s, Screen::Capture { guidance: Guidance::ComeCloser, .. })));
    let rec = &r.kiosk.store.pending(10).unwrap()[0];
    assert!(rec.record.verify(&r.kiosk.identity().key.public()).is_ok());
    assert_eq!(rec.record.body.device_id, "PU-KTR-01", "the id from the server's enrolment");
    assert_eq!(rec.record.body.match_score.0, 9100);
    assert_eq!(rec.record.body.gps, None);
    let jpeg = rec.jpeg.clone().unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "evidence is a JPEG");
    assert_eq!(rec.record.body.photo_sha256, hadir_protocol::Digest::of(&jpeg));
    assert_eq!(r.kiosk.status().queue, 1);
}

#[test]
fn a_result_after_a_slow_analysis_stays_up_its_full_time() {
    let mut r = rig(vec![ScriptedFace::face(91.0, 95.0)], |_| {});
    r.pin(Direction::In, "1234", 0);
    // The frame arrived at once; its analysis ended 3.5 s later (a slow board, or emulation).
    let frame = r.kiosk.analyse(&image::RgbImage::new(4, 4)).expect("the pipeline answers");
    r.send(Event::Frame(frame), 3_500);
    assert!(matches!(r.result(), Outcome::Recorded { .. }), "{:?}", r.kiosk.phase());
    // Shown at 3.5 s: up for the whole 5 s from then, not from the frame's arrival.
    r.send(Event::Tick, 8_499);
    assert!(matches!(r.kiosk.phase(), Phase::Result { .. }), "{:?}", r.kiosk.phase());
    r.send(Event::Tick, 8_500);
    assert!(matches!(r.kiosk.phase(), Phase::Idle), "{:?}", r.kiosk.phase());
}

#[test]
fn field_mode_without_fix_says_so_before_the_face_step() {
    let mut r = rig(vec![ScriptedFace::face(95.0, 95.0)], |c| c.policy.mode = Mode::Field);
    r.pin(Direction::In, "1234", 0);
    // Said before the face step; the camera never starts, going on is refused.
    let notice = |r: &Rig| matches!(r.kiosk.phase(), Phase::PlaceNotice { verdict: PlaceVerdict::NoFix { can_continue: false }, .. });
    assert!(notice(&r), "{:?}", r.kiosk.phase());
    assert!(r.display.shown.iter().any(|s| matches!(s, Screen::PlaceNotice { .. })));
    r.send(Event::Proceed, 50);
    r.frames(1, 100);
    assert!(notice(&r) && !r.kiosk.capturing(), "{:?}", r.kiosk.phase());
    // Checking again once the receiver has a fix goes on to the face, and records.
    r.kiosk.gps = Some(hadir_kiosk::policy::GpsFix {
        lat: -7.7956,
        lon: 110.3695,
        accuracy_m: 4.0,
        satellites: 8,
        hdop_centi: Some(90),
        mode: Some(hadir_protocol::FixMode::ThreeD),
        receiver_doubts: Default::default(),
        fix_time: at(150).wall,
        received_mono_ms: Some(150),
    });
    r.send(Event::Retry, 200);
    assert!(r.kiosk.capturing(), "{:?}", r.kiosk.phase());
    r.frames(1, 300);
    assert!(matches!(r.result(), Outcome::Recorded { .. }), "{:?}", r.kiosk.phase());
    assert_eq!(r.kiosk.store.record_count().unwrap(), 1);
}

#[test]
fn field_mode_with_fix_records_it() {
    let mut r = rig(vec![ScriptedFace::face(95.0, 95.0)], |c| c.policy.mode = Mode::Field);
    // The fix as the hal's receiver hands it over, with what its watch saw in the stream.
    let from_receiver = hadir_hal::gps::Fix {
        time: datetime!(2026-03-01 23:41:59 UTC),
        lat: -7.7956,
        lon: 110.3695,
        alt: Some(120.0),
        mode: hadir_hal::gps::FixMode::ThreeD,
        sats: Some(9),
        hdop: Some(1.1),
        hdop_centi: Some(110),
        age: std::time::Duration::ZERO,
        doubts: hadir_hal::gps::plausibility::ReceiverDoubts { uniform_signal: true, ..Default::default() },
    };
    r.kiosk.gps = Some(hadir_kiosk::runtime::from_hal_fix(&from_receiver, 0));
    r.pin(Direction::In, "1234", 0);
    r.frames(1, 100);
    match r.result() {
        // Field: no tolerance, so 12 minutes late is marked late.
        Outcome::Recorded { late_minutes: Some(12), marked_late: true, .. } => {}
        other => panic!("{other:?}"),
    }
    let rec = &r.kiosk.store.pending(1).unwrap()[0].record;
    let gps = rec.body.gps.unwrap();
    assert_eq!((gps.lat_e7, gps.satellites, gps.hdop_centi), (-77_956_000, 9, Some(110)), "the receiver's HDOP, not 0");
    assert_eq!(gps.fix_mode, Some(hadir_protocol::FixMode::ThreeD), "the receiver's fix mode");
    assert_eq!(
        gps.receiver_doubts,
        hadir_protocol::ReceiverDoubts { uniform_signal: true, ..Default::default() },
        "what the receiver's watch saw travels with the record"
    );
    assert_eq!(rec.body.format, hadir_protocol::CANONICAL_VERSION);
    assert_eq!(rec.body.clock.gps_time_ms, Some(gps.fix_at_ms));
}

#[test]
fn low_scores_are_audited_and_lock_the_pin() {
    let mut r = rig(vec![ScriptedFace::face(30.0, 95.0)], |c| c.flow.max_failures = 2);
    for attempt in 0..2u64 {
        let t = attempt * 10_000;
        r.send(Event::Cancel, t);
        r.pin(Direction::In, "1234", t);
        r.frames(1, t + 10);
        r.send(Event::Tick, t + 5_000);
    }
    assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::FaceMismatch, locked_until: Some(_), .. }));
    assert_eq!(r.kiosk.store.record_count().unwrap(), 0);
    let kinds: Vec<String> = r.kiosk.store.audit_log().unwrap().into_iter().map(|a| a.kind).collect();
    assert_eq!(kinds, vec!["face_refused", "face_refused", "pin_locked"]);
}

#[test]
fn unknown_pin_scans_and_known_pin_uses_the_index() {
    let mut r = rig(vec![ScriptedFace::face(95.0, 95.0)], |_| {});
    r.pin(Direction::Out, "9999", 0);
    assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::UnknownPin, .. }));
    r.send(Event::Cancel, 1);
    r.pin(Direction::Out, "1234", 2);
    assert!(r.kiosk.capturing());
    assert_eq!(r.kiosk.store.pin_index_lookup("1234").unwrap().as_deref(), Some("198001012005011001"));
}

#[test]
fn the_admin_entry_opens_the_admin_menu() {
    let admin = hash_pin("0000");
    let mut r = rig(vec![], |c| c.device.admin_pin_hash = Some(admin));
    r.admin("0000", 0);
    assert!(r.kiosk.enrolling());
    assert_eq!(r.display.shown.last(), Some(&Screen::Admin));
    assert_eq!(r.kiosk.store.audit_log().unwrap()[0].kind, "admin_login");
    // "Sync now" asks the loop to wake the sync worker; `*` leaves the menu.
    r.kiosk.input(Input::Key(hadir_hal::keypad::Key::Digit(3)), at(10), &mut r.display);
    assert_eq!(r.display.shown.last(), Some(&Screen::SyncStarted));
    assert!(r.kiosk.take_sync_request());
    assert!(!r.kiosk.take_sync_request(), "one request, taken once");
    r.kiosk.input(Input::Key(hadir_hal::keypad::Key::Star), at(20), &mut r.display);
    assert!(!r.kiosk.enrolling());
    assert_eq!(r.display.shown.last(), Some(&Screen::Idle));
}

#[test]
fn the_admin_button_takes_only_the_admin_pin() {
    let admin = hash_pin("0000");
    let mut r = rig(vec![ScriptedFace::face(95.0, 95.0)], |c| c.device.admin_pin_hash = Some(admin));
    r.kiosk.input(Input::AdminMenu, at(0), &mut r.display);
    for c in "1234".chars() {
        r.send(Event::Digit(c), 1);
    }
    assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::UnknownPin, .. }), "an employee PIN on the admin PIN screen records nothing");
    assert!(!r.kiosk.enrolling());
    r.send(Event::Cancel, 2);
    r.kiosk.input(Input::AdminMenu, at(3), &mut r.display);
    for c in "0000".chars() {
        r.send(Event::Digit(c), 4);
    }
    assert!(r.kiosk.enrolling());
    assert_eq!(r.kiosk.store.record_count().unwrap(), 0);
}

/// Records never carry a placeholder device id: before the server's enrolment the kiosk
/// refuses attendance with a clear screen, and makes records once enrolled.
#[test]
fn an_unenrolled_device_refuses_attendance_until_enrolled() {
    let mut r = rig_enrolled(false, vec![ScriptedFace::face(95.0, 95.0)], |_| {});
    assert!(!r.kiosk.enrolled());
    assert_eq!(r.kiosk.device().device_id, "");
    r.pin(Direction::In, "1234", 0);
    assert_eq!(r.kiosk.phase(), &Phase::Idle, "no PIN, no capture, no record");
    assert!(r.display.shown.contains(&Screen::NotEnrolled));
    r.frames(1, 100);
    assert_eq!(r.kiosk.store.record_count().unwrap(), 0);
    // A key wakes the idle screen again after the notice; the notice times out on its own too.
    r.kiosk.admin_tick(at(6_000), &mut r.display);
    assert_eq!(r.display.shown.last(), Some(&Screen::Idle));
    // The sync worker's enrolment gives the id: now attendance works and records carry it.
    r.kiosk.set_device_id("PU-KTR-09".into());
    r.pin(Direction::In, "1234", 7_000);
    r.frames(1, 7_100);
    assert!(matches!(r.result(), Outcome::Recorded { seq: 1, .. }), "{:?}", r.result());
    assert_eq!(r.kiosk.store.pending(1).unwrap()[0].record.body.device_id, "PU-KTR-09");
}

#[test]
fn enrolment_at_the_kiosk_stores_templates_and_refuses_duplicates() {
    use hadir_hal::keypad::Key;
    let admin = hash_pin("0000");
    let emb = |v: f32| FaceResult::Face { score: 0.0, liveness: 90.0, aligned: image::RgbImage::new(2, 2), embedding: vec![v, 1.0, 0.0] };
    let mut r = rig(vec![emb(0.0)], |c| c.device.admin_pin_hash = Some(admin));
    r.kiosk.store.upsert_employee(&EmployeeRow { id: "77".into(), name: "Citra".into(), section_id: None, pin_hash: None }, &[]).unwrap();
    r.admin("0000", 0);
    // Menu entry 1: enrol; then the employee number and `#`.
    for k in [Key::Digit(1), Key::Digit(7), Key::Digit(7), Key::Hash] {
        r.kiosk.input(Input::Key(k), at(10), &mut r.display);
    }
    assert!(r.kiosk.enrol_capturing());
    let img = image::RgbImage::new(4, 4);
    for i in 0..10u64 {
        r.kiosk.enrol_frame(&img, at(100 + i * 300), &mut r.display);
    }
    assert_eq!(r.kiosk.store.templates("77").unwrap().len(), 5);
    let last = r.display.shown.last().unwrap().clone();
    let done = Some(EnrolOutcome::Enrolled { name: "Citra".into(), sent: false });
    assert!(matches!(last, Screen::Enrol(ref v) if v.done == done), "{last:?}");
    assert_eq!(r.kiosk.store.audit_log().unwrap().last().unwrap().kind, "enrolled");
    // Queued for the server, and the sync worker is woken.
    assert_eq!(r.kiosk.store.template_upload_state("77").unwrap(), Some(TemplateUploadState::Pending));
    assert_eq!(r.kiosk.store.template_uploads_pending().unwrap()[0].employee_id, "77");
    assert!(r.kiosk.take_sync_request());
    // The worker's upload succeeds: the screen says the server has it.
    r.kiosk.store.template_upload_done("77", None, 1).unwrap();
    r.kiosk.admin_tick(at(3_200), &mut r.display);
    let sent = Some(EnrolOutcome::Enrolled { name: "Citra".into(), sent: true });
    assert!(matches!(r.display.shown.last(), Some(Screen::Enrol(v)) if v.done == sent));
    r.kiosk.admin_tick(at(100 + 10 * 300 + 5_000), &mut r.display);
    assert_eq!(r.display.shown.last(), Some(&Screen::Admin), "back to the menu");
    // The same face for another employee: refused, naming whom it already belongs to.
    r.kiosk.store.upsert_employee(&EmployeeRow { id: "78".into(), name: "Dewi".into(), section_id: None, pin_hash: None }, &[]).unwrap();
    for k in [Key::Digit(1), Key::Digit(7), Key::Digit(8), Key::Enter] {
        r.kiosk.input(Input::Key(k), at(9_000), &mut r.display);
    }
    for i in 0..5u64 {
        r.kiosk.enrol_frame(&img, at(9_100 + i * 300), &mut r.display);
    }
    let refused = Some(EnrolOutcome::Refused { reason: hadir_kiosk::flow::EnrolRefusal::Duplicate, detail: "Citra (77)".into() });
    assert!(matches!(r.display.shown.last(), Some(Screen::Enrol(v)) if v.done == refused), "{:?}", r.display.shown.last());
    assert!(r.kiosk.store.templates("78").unwrap().is_empty());
    assert_eq!(r.kiosk.store.template_upload_state("78").unwrap(), None, "nothing goes to the server");
    r.kiosk.input(Input::Flow(Event::Cancel), at(11_000), &mut r.display);
    assert_eq!(r.display.shown.last(), Some(&Screen::Admin), "Done goes back to the menu");
    r.kiosk.admin_tick(at(11_000 + 70_000), &mut r.display);
    assert!(!r.kiosk.enrolling(), "the menu times out");
}

/// The keypad's admin gesture: `*` (MASUK) then `#` on the empty PIN screen.
#[test]
fn the_keypad_opens_the_admin_entry_with_star_hash() {
    use hadir_hal::keypad::Key;
    let admin = hash_pin("0000");
    let mut r = rig(vec![], |c| c.device.admin_pin_hash = Some(admin));
    for k in [Key::Star, Key::Hash, Key::Digit(0), Key::Digit(0), Key::Digit(0), Key::Digit(0)] {
        r.kiosk.input(Input::Key(k), at(0), &mut r.display);
    }
    assert!(r.kiosk.enrolling());
    assert_eq!(r.kinds(), vec!["admin_login"]);
}

/// Issue 18: the administrator's PIN typed on the attendance screen opens nothing; it is an
/// unknown PIN, audited as one, and counts towards the device-wide lockout.
#[test]
fn the_admin_pin_on_the_employee_screen_is_an_unknown_pin() {
    let admin = hash_pin("0000");
    let mut r = rig(vec![], |c| c.device.admin_pin_hash = Some(admin));
    for i in 0..5u64 {
        r.send(Event::Cancel, i * 1_000);
        r.pin(Direction::In, "0000", i * 1_000);
        assert!(!r.kiosk.enrolling(), "attempt {i} opened the admin menu");
        assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::UnknownPin, .. }), "{:?}", r.result());
    }
    // The fifth failure locked the PIN screen (default: 5 within 10 minutes).
    assert!(matches!(r.result(), Outcome::Refused { locked_until: Some(_), .. }), "{:?}", r.result());
    let kinds = r.kinds();
    assert_eq!(kinds.iter().filter(|k| *k == "unknown_pin").count(), 5, "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("device_locked"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "admin_login"), "{kinds:?}");
    // Even the real employee is refused until the lock ends: the screen is locked for everyone.
    r.send(Event::Cancel, 6_000);
    r.pin(Direction::In, "1234", 6_000);
    assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::Locked, locked_until: Some(_), .. }), "{:?}", r.result());
}

/// An employee whose PIN equals the administrator's cannot record with it; the conflict is
/// audited with the employee's id so that an operator changes one of the two PINs.
#[test]
fn an_employee_pin_equal_to_the_admin_pin_is_refused_and_audited() {
    let admin = hash_pin("4321");
    let mut r = rig(vec![ScriptedFace::face(95.0, 95.0)], |c| c.device.admin_pin_hash = Some(admin));
    let citra = EmployeeRow { id: "77".into(), name: "Citra".into(), section_id: Some("B1".into()), pin_hash: Some(hash_pin("4321")) };
    r.kiosk.store.upsert_employee(&citra, &[("scripted".into(), vec![0.1; 8])]).unwrap();
    r.pin(Direction::In, "4321", 0);
    assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::UnknownPin, .. }), "{:?}", r.result());
    assert!(!r.kiosk.capturing() && !r.kiosk.enrolling());
    let log = r.kiosk.store.audit_log().unwrap();
    let conflict = log.iter().find(|a| a.kind == "pin_conflicts_with_admin").expect("conflict audited");
    assert_eq!(conflict.employee_id.as_deref(), Some("77"));
    assert!(log.iter().any(|a| a.kind == "unknown_pin"));
    assert_eq!(r.kiosk.store.record_count().unwrap(), 0);
    // The administrator still gets in through the admin entry; Ani still records.
    r.send(Event::Cancel, 1_000);
    r.admin("4321", 1_000);
    assert!(r.kiosk.enrolling());
}

/// Issue 18: the lockout survives a restart (power cut), also when the wall clock comes back
/// set earlier; it ends after its remaining time.
#[test]
fn the_device_lock_survives_a_restart() {
    let mut r = rig(vec![], |_| {});
    for i in 0..5u64 {
        r.send(Event::Cancel, i * 1_000);
        r.pin(Direction::In, &format!("{:04}", 9000 + i), i * 1_000);
    }
    // Locked at 4 s for 30 s (the first delay).
    assert!(matches!(r.result(), Outcome::Refused { locked_until: Some(Mono(34_000)), .. }), "{:?}", r.result());
    // The new boot's monotonic clock starts again at 0.
    let boot = |mono: u64, wall_ms: i64| Now { mono: Mono(mono), wall: at(0).wall + time::Duration::milliseconds(wall_ms) };
    let cases: [(&str, i64, Option<u64>); 3] = [
        ("10 s after the lock began", 14_000, Some(500 + 20_000)),
        ("the wall clock came back an hour early", 4_000 - 3_600_000, Some(500 + 30_000)),
        ("after the lock's end", 34_000, None),
    ];
    let mut r = r;
    for (name, wall, want) in cases {
        r = r.restart();
        r.kiosk.dispatch(Event::Choose(Direction::In), boot(500, wall), &mut r.display);
        match (r.kiosk.phase(), want) {
            (Phase::Result { outcome: Outcome::Refused { reason: Refusal::Locked, locked_until: Some(u), .. }, .. }, Some(w)) => {
                assert_eq!(u.0, w, "case `{name}`");
            }
            (Phase::Pin { .. }, None) => {}
            (other, _) => panic!("case `{name}`: {other:?}"),
        }
    }
}

/// Issue 18's attack: someone tries a different PIN each time, as fast as the kiosk lets them,
/// for one simulated hour (monotonic test clock, no sleeps). Before the device-wide lockout,
/// different PINs were never slowed: at 2 s per guess that was 1800 guesses an hour.
#[test]
fn pin_guessing_through_the_runtime_is_slowed_to_a_few_dozen_per_hour() {
    // Pressing MASUK and typing four digits, quickly.
    const GUESS_MS: u64 = 2_000;
    const HOUR_MS: u64 = 3_600_000;
    let mut r = rig(vec![], |_| {});
    let cfg = r.cfg.flow.to_flow();
    let (mut t, mut guesses, mut n) = (0u64, 0u64, 0u32);
    while t < HOUR_MS {
        r.send(Event::Cancel, t);
        r.send(Event::Choose(Direction::In), t);
        if let Phase::Result { outcome: Outcome::Refused { reason: Refusal::Locked, locked_until: Some(until), .. }, .. } = r.kiosk.phase() {
            // The attacker waits exactly until the lock ends.
            t = until.0.max(t + 1);
            continue;
        }
        t += GUESS_MS;
        if t >= HOUR_MS {
            break;
        }
        n += 1;
        let pin = format!("{:04}", 5000 + n);
        for c in pin.chars() {
            r.send(Event::Digit(c), t);
        }
        assert!(matches!(r.result(), Outcome::Refused { reason: Refusal::UnknownPin, .. }), "{:?}", r.result());
        guesses += 1;
    }
    println!("pin_guesses_per_hour={guesses}");
    // The bound, for any typing speed: each lock spends the failures (5), so guesses come in
    // rounds of at most 5, one round before each lock. A new round can start only after the
    // locks so far have run out: the defaults' locks sum to 30+60+120+300+900+900+900 = 3210 s
    // after 7 rounds (< 1 h) and 4110 s after 8 (> 1 h), so at most 8 rounds fit: 40 guesses.
    let mut rounds = 0u64;
    let mut locked_s = 0u64;
    while locked_s < HOUR_MS / 1_000 {
        locked_s += cfg.device_lockout.delay(u32::try_from(rounds).unwrap()).as_secs();
        rounds += 1;
    }
    let bound = rounds * cfg.device_lockout.max_failures as u64;
    assert_eq!(bound, 40);
    assert!(guesses <= bound, "{guesses} guesses in an hour, bound {bound}");
    let locks = r.kinds().iter().filter(|k| *k == "device_locked").count();
    assert!(locks >= 7, "{locks} locks audited");
}

#[test]
fn the_enclosure_switch_makes_signed_chained_events() {
    use hadir_hal::tamper::TamperEvent;
    use hadir_protocol::chain::ChainHead;
    use hadir_protocol::health::{EventKind, accept_events};
    let mut r = rig(vec![], |_| {});
    let opened = r.kiosk.tamper(TamperEvent::Opened, at(1_000)).expect("signed");
    let closed = r.kiosk.tamper(TamperEvent::Closed, at(90_000)).expect("signed");
    assert_eq!((opened.seq, opened.kind, closed.seq, closed.kind), (1, EventKind::TamperOpened, 2, EventKind::TamperClosed));
    // Exactly what the server checks: the device's key, its id, one chain from the start.
    let waiting = r.kiosk.store.unacked_events(10).unwrap();
    let key = r.kiosk.identity().key.public();
    let (accepted, head, refused) = accept_events("PU-KTR-01", &key, ChainHead::GENESIS, &waiting);
    assert_eq!((accepted.len(), head.seq, refused), (2, 2, None));
    // The health report carries them until the server acknowledges them.
    let vitals = hadir_kiosk::health::Vitals { camera_fps_centi: Some(1500), tamper_open: Some(false) };
    let report = hadir_kiosk::health::report(&r.kiosk.store, vitals, r.cfg.device.data_dir.as_path(), 0).unwrap();
    assert_eq!((report.events.len(), report.tamper_open, report.outbox_len), (2, Some(false), 0));
    assert!(report.data_free_bytes.is_some_and(|b| b > 0), "{report:?}");
    r.kiosk.store.ack_events(1).unwrap();
    assert_eq!(r.kiosk.store.unacked_events(10).unwrap(), [closed]);
    let tamper_audits = r.kiosk.store.audit_log().unwrap().into_iter().filter(|a| a.kind == "tamper").count();
    assert_eq!(tamper_audits, 2);

    // Not enrolled yet: no id to sign for, so the opening is audited only.
    let mut r = rig_enrolled(false, vec![], |_| {});
    assert!(r.kiosk.tamper(TamperEvent::Opened, at(1_000)).is_none());
    assert!(r.kiosk.store.unacked_events(10).unwrap().is_empty());
    assert_eq!(r.kiosk.store.audit_log().unwrap().last().map(|a| a.kind.as_str()), Some("tamper"));
}
