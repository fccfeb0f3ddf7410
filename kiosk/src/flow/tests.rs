//! Table tests of the flow: every transition, the band edges, lockouts and timeouts.

use super::*;

fn cfg() -> FlowConfig {
    FlowConfig {
        choose_timeout: Duration::from_secs(10),
        pin_timeout: Duration::from_secs(10),
        pin_length: 4,
        store_timeout: Duration::from_secs(5),
        capture_window: Duration::from_secs(3),
        capture_min_frames: 3,
        liveness_min: 50.0,
        result_timeout: Duration::from_secs(4),
        max_failures: 3,
        failure_window: Duration::from_secs(600),
        lockout: Duration::from_secs(900),
        device_lockout: LockoutRule {
            max_failures: 4,
            window: Duration::from_secs(600),
            delays: [30, 60, 120].map(Duration::from_secs).to_vec(),
        },
        admin_lockout: LockoutRule {
            max_failures: 2,
            window: Duration::from_secs(3600),
            delays: [300, 900].map(Duration::from_secs).to_vec(),
        },
    }
}

fn ani() -> Employee {
    Employee { id: "198001012005011001".into(), name: "Ani".into() }
}

fn face(id: u64, score: f32) -> Event {
    Event::Frame(Frame::Face { id: FrameId(id), score, liveness: 90.0 })
}

fn spoof(id: u64, score: f32) -> Event {
    Event::Frame(Frame::Face { id: FrameId(id), score, liveness: 10.0 })
}

fn at(ms: u64) -> Mono {
    Mono(ms)
}

fn state(phase: Phase) -> State {
    State { phase, locks: Lockouts::default() }
}

fn capture(since: u64) -> Phase {
    Phase::Capture {
        direction: Direction::In,
        employee: ani(),
        key: key_of("1234"),
        since: Mono(since),
        frames: 0,
        saw_face: false,
        best: None,
        guidance: Some(Guidance::NoFace),
    }
}

/// Run events (each at its time) from a state; return the final state and all effects.
fn run(mut s: State, events: &[(u64, Event)]) -> (State, Vec<Effect>) {
    let mut all = Vec::new();
    for (t, e) in events {
        let (next, mut fx) = step(s, e.clone(), at(*t), &cfg());
        all.append(&mut fx);
        s = next;
    }
    (s, all)
}

/// Events from idle up to capture for Ani with PIN 1234, all at time 0.
fn to_capture() -> Vec<(u64, Event)> {
    vec![
        (0, Event::Wake),
        (0, Event::Choose(Direction::In)),
        (0, Event::Digit('1')),
        (0, Event::Digit('2')),
        (0, Event::Digit('3')),
        (0, Event::Digit('4')),
        (0, Event::PinChecked(PinCheck::Employee(ani()))),
        (0, Event::PlaceChecked(PlaceVerdict::Fine)),
    ]
}

fn phase_name(p: &Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Choose { .. } => "choose",
        Phase::Pin { .. } => "pin",
        Phase::AdminPin { .. } => "admin pin",
        Phase::CheckingAdminPin { .. } => "checking admin",
        Phase::CheckingPin { .. } => "checking",
        Phase::CheckingPlace { .. } => "checking place",
        Phase::PlaceNotice { .. } => "place notice",
        Phase::Capture { .. } => "capture",
        Phase::Recording { .. } => "recording",
        Phase::Result { .. } => "result",
    }
}

#[test]
fn every_transition() {
    let pin_phase = |digits: &str| Phase::Pin { direction: Direction::Out, digits: digits.into(), since: at(0) };
    let checking = Phase::CheckingPin { direction: Direction::In, key: key_of("1234"), since: at(0) };
    let admin_pin = |digits: &str| Phase::AdminPin { digits: digits.into(), since: at(0) };
    let checking_admin = Phase::CheckingAdminPin { since: at(0) };
    let best = Best { id: FrameId(1), score: 85.0, liveness: 90.0 };
    let recording =
        Phase::Recording { direction: Direction::In, employee: ani(), best, band: Band::Valid, since: at(0) };
    let refused_face = Phase::Result {
        outcome: Outcome::Refused {
            reason: Refusal::FaceMismatch,
            employee: Some(ani()),
            direction: Direction::In,
            locked_until: None,
        },
        key: Some(key_of("1234")),
        since: at(0),
    };
    let refused_pin = Phase::Result {
        outcome: Outcome::Refused { reason: Refusal::UnknownPin, employee: None, direction: Direction::In, locked_until: None },
        key: Some(key_of("9999")),
        since: at(0),
    };
    let saved = Saved { seq: 7, late_minutes: Some(12), marked_late: false };
    let checking_place = Phase::CheckingPlace { direction: Direction::In, employee: ani(), key: key_of("1234"), since: at(0) };
    let outside = PlaceVerdict::Outside { distance_m: 30_000, label: Some("Jalan Mengwi km 12".into()) };
    let notice = |verdict: PlaceVerdict| Phase::PlaceNotice { direction: Direction::In, employee: ani(), key: key_of("1234"), verdict, since: at(0) };

    // (name, from, event, time, expected phase, an effect that must be among the effects)
    let cases: Vec<(&str, Phase, Event, u64, &str, Option<Effect>)> = vec![
        ("idle wake", Phase::Idle, Event::Wake, 0, "choose", Some(Effect::Show(Screen::Choose))),
        ("idle choose direct", Phase::Idle, Event::Choose(Direction::Out), 0, "pin",
            Some(Effect::Show(Screen::Pin { direction: Direction::Out, typed: 0 }))),
        ("idle ignores digit", Phase::Idle, Event::Digit('1'), 0, "idle", None),
        ("idle tick", Phase::Idle, Event::Tick, 999_999, "idle", None),
        ("choose in", Phase::Choose { since: at(0) }, Event::Choose(Direction::In), 1, "pin", None),
        ("choose ignores digit", Phase::Choose { since: at(0) }, Event::Digit('1'), 1, "choose", None),
        ("choose timeout", Phase::Choose { since: at(0) }, Event::Tick, 10_000, "idle", Some(Effect::Show(Screen::Idle))),
        ("choose just before timeout", Phase::Choose { since: at(0) }, Event::Tick, 9_999, "choose", None),
        ("pin digit", pin_phase("1"), Event::Digit('2'), 1, "pin",
            Some(Effect::Show(Screen::Pin { direction: Direction::Out, typed: 2 }))),
        ("pin non-digit ignored", pin_phase("1"), Event::Digit('x'), 1, "pin", None),
        ("pin backspace", pin_phase("12"), Event::Backspace, 1, "pin",
            Some(Effect::Show(Screen::Pin { direction: Direction::Out, typed: 1 }))),
        ("pin last digit", pin_phase("123"), Event::Digit('4'), 1, "checking", Some(Effect::VerifyPin { pin: "1234".into() })),
        ("pin timeout", pin_phase("12"), Event::Digit('3'), 10_000, "idle", Some(Effect::Show(Screen::Idle))),
        ("checking employee", checking.clone(), Event::PinChecked(PinCheck::Employee(ani())), 1, "checking place",
            Some(Effect::CheckPlace { employee: ani().id })),
        ("place fine", checking_place.clone(), Event::PlaceChecked(PlaceVerdict::Fine), 1, "capture",
            Some(Effect::StartCapture { employee: ani().id })),
        ("place outside", checking_place.clone(), Event::PlaceChecked(outside.clone()), 1, "place notice",
            Some(Effect::Show(Screen::PlaceNotice { employee: ani(), verdict: outside.clone() }))),
        ("place without a fix", checking_place.clone(), Event::PlaceChecked(PlaceVerdict::NoFix { can_continue: false }), 1, "place notice",
            Some(Effect::Signal(Signal::Warn))),
        ("place check timeout goes on to the face", checking_place.clone(), Event::Tick, 5_000, "capture",
            Some(Effect::StartCapture { employee: ani().id })),
        ("place check ignores frames", checking_place.clone(), face(1, 95.0), 1, "checking place", None),
        ("notice proceed", notice(outside.clone()), Event::Proceed, 1, "capture", Some(Effect::StartCapture { employee: ani().id })),
        ("notice proceed without a fix is refused", notice(PlaceVerdict::NoFix { can_continue: false }), Event::Proceed, 1, "place notice", None),
        ("notice proceed without a fix where allowed", notice(PlaceVerdict::NoFix { can_continue: true }), Event::Proceed, 1, "capture", None),
        ("notice check again", notice(outside.clone()), Event::Retry, 1, "checking place", Some(Effect::CheckPlace { employee: ani().id })),
        ("notice ignores frames", notice(outside.clone()), face(1, 95.0), 1, "place notice", None),
        ("notice timeout", notice(outside.clone()), Event::Tick, 10_000, "idle", Some(Effect::Show(Screen::Idle))),
        ("stale place answer in capture", capture(0), Event::PlaceChecked(outside.clone()), 1, "capture", None),
        ("checking unknown", checking.clone(), Event::PinChecked(PinCheck::Unknown), 1, "result",
            Some(Effect::Audit(Audit::UnknownPin))),
        ("admin pin on the attendance screen is unknown", checking.clone(), Event::PinChecked(PinCheck::Admin), 1, "result",
            Some(Effect::Audit(Audit::UnknownPin))),
        ("idle admin entry", Phase::Idle, Event::AdminEntry, 0, "admin pin",
            Some(Effect::Show(Screen::Pin { direction: Direction::In, typed: 0 }))),
        ("choose admin entry", Phase::Choose { since: at(0) }, Event::AdminEntry, 1, "admin pin", None),
        ("empty pin admin entry", pin_phase(""), Event::AdminEntry, 1, "admin pin", None),
        ("typed pin ignores admin entry", pin_phase("1"), Event::AdminEntry, 1, "pin", None),
        ("admin pin digit", admin_pin("1"), Event::Digit('2'), 1, "admin pin",
            Some(Effect::Show(Screen::Pin { direction: Direction::In, typed: 2 }))),
        ("admin pin backspace", admin_pin("12"), Event::Backspace, 1, "admin pin", None),
        ("admin pin last digit", admin_pin("000"), Event::Digit('0'), 1, "checking admin",
            Some(Effect::VerifyAdminPin { pin: "0000".into() })),
        ("admin pin timeout", admin_pin("1"), Event::Tick, 10_000, "idle", Some(Effect::Show(Screen::Idle))),
        ("checking admin ok", checking_admin.clone(), Event::PinChecked(PinCheck::Admin), 1, "idle", Some(Effect::StartAdmin)),
        ("checking admin wrong", checking_admin.clone(), Event::PinChecked(PinCheck::Unknown), 1, "result",
            Some(Effect::Audit(Audit::AdminPinFailed))),
        ("checking admin employee pin is wrong", checking_admin.clone(), Event::PinChecked(PinCheck::Employee(ani())), 1, "result",
            Some(Effect::Audit(Audit::AdminPinFailed))),
        ("checking admin store error", checking_admin.clone(), Event::PinChecked(PinCheck::Error("disk".into())), 1, "result",
            Some(Effect::Signal(Signal::Error))),
        ("checking admin timeout", checking_admin.clone(), Event::Tick, 5_000, "result",
            Some(Effect::Audit(Audit::StoreTimeout { phase: "admin pin" }))),
        ("checking store error", checking.clone(), Event::PinChecked(PinCheck::Error("disk".into())), 1, "result",
            Some(Effect::Signal(Signal::Error))),
        ("checking timeout", checking.clone(), Event::Tick, 5_000, "result",
            Some(Effect::Audit(Audit::StoreTimeout { phase: "pin" }))),
        ("capture guidance", capture(0), Event::Frame(Frame::Guide(Guidance::ComeCloser)), 1, "capture",
            Some(Effect::Show(Screen::Capture { employee: ani(), guidance: Guidance::ComeCloser }))),
        ("capture face keeps looking", capture(0), face(1, 95.0), 1, "capture", None),
        ("capture window ends, no face", capture(0), Event::Tick, 3_000, "result", Some(Effect::StopCapture)),
        ("recording saved", recording.clone(), Event::Recorded(Ok(saved.clone())), 1, "result", Some(Effect::Signal(Signal::Ok))),
        ("recording failed", recording.clone(), Event::Recorded(Err(NotSaved::Store("disk full".into()))), 1, "result",
            Some(Effect::Signal(Signal::Error))),
        ("recording without gps fix", recording.clone(), Event::Recorded(Err(NotSaved::NoGpsFix)), 1, "result",
            Some(Effect::Show(Screen::Result(Outcome::Refused {
                reason: Refusal::NoGpsFix, employee: Some(ani()), direction: Direction::In, locked_until: None,
            })))),
        ("recording timeout", recording.clone(), Event::Tick, 5_000, "result",
            Some(Effect::Audit(Audit::StoreTimeout { phase: "record" }))),
        ("result retry after face mismatch", refused_face.clone(), Event::Retry, 1, "capture",
            Some(Effect::StartCapture { employee: ani().id })),
        ("result retry after unknown pin refused", refused_pin.clone(), Event::Retry, 1, "result", None),
        ("result wake", refused_pin.clone(), Event::Wake, 1, "idle", Some(Effect::Show(Screen::Idle))),
        ("result timeout", refused_face.clone(), Event::Tick, 4_000, "idle", Some(Effect::Show(Screen::Idle))),
        ("result timeout then touch", refused_face.clone(), Event::Wake, 4_000, "choose", Some(Effect::Show(Screen::Choose))),
        ("stale pin answer in idle", Phase::Idle, Event::PinChecked(PinCheck::Unknown), 1, "idle", None),
        ("stale record answer in idle", Phase::Idle, Event::Recorded(Ok(saved)), 1, "idle", None),
    ];
    // Cancel from every phase.
    let mut all = cases;
    for p in [
        Phase::Idle,
        Phase::Choose { since: at(0) },
        pin_phase("12"),
        admin_pin("12"),
        checking_admin.clone(),
        checking.clone(),
        checking_place.clone(),
        notice(outside.clone()),
        capture(0),
        recording.clone(),
        refused_face.clone(),
    ] {
        all.push(("cancel", p, Event::Cancel, 1, "idle", Some(Effect::Show(Screen::Idle))));
    }

    for (name, from, event, t, want, effect) in all {
        let from_name = phase_name(&from);
        let (next, fx) = step(state(from), event, at(t), &cfg());
        assert_eq!(phase_name(&next.phase), want, "case `{name}` (from {from_name}): effects {fx:?}");
        if let Some(e) = effect {
            assert!(fx.contains(&e), "case `{name}`: expected {e:?} among {fx:?}");
        }
    }
}

#[test]
fn cancel_from_capture_stops_the_camera() {
    let (_, fx) = step(state(capture(0)), Event::Cancel, at(1), &cfg());
    assert_eq!(fx, vec![Effect::StopCapture, Effect::Show(Screen::Idle)]);
}

#[test]
fn full_happy_path_makes_a_valid_record() {
    let mut ev = to_capture();
    ev.extend([(100, face(1, 70.0)), (150, face(2, 91.5)), (200, face(3, 88.0))]);
    let (s, fx) = run(State::default(), &ev);
    let best = Best { id: FrameId(2), score: 91.5, liveness: 90.0 };
    assert!(fx.contains(&Effect::MakeRecord { employee: ani().id, direction: Direction::In, band: Band::Valid, best }));
    assert_eq!(phase_name(&s.phase), "recording");
    let (s, fx) = step(s, Event::Recorded(Ok(Saved { seq: 3, late_minutes: Some(12), marked_late: false })), at(250), &cfg());
    match &s.phase {
        Phase::Result { outcome: Outcome::Recorded { seq, late_minutes, band, .. }, .. } => {
            assert_eq!((*seq, *late_minutes, *band), (3, Some(12), Band::Valid));
        }
        other => panic!("expected a recorded result, got {other:?}"),
    }
    assert!(fx.contains(&Effect::Signal(Signal::Ok)));
}

/// The decision of a capture whose frames all score `score`, after the window.
fn decide_with(score: f32) -> (State, Vec<Effect>) {
    let mut ev = to_capture();
    ev.push((100, face(1, score)));
    ev.push((3_000, Event::Tick));
    run(State::default(), &ev)
}

#[test]
fn band_edges() {
    let cases: [(f32, Option<Band>); 6] = [
        (49.99, None),
        (50.0, Some(Band::NeedsConfirmation)),
        (79.99, Some(Band::NeedsConfirmation)),
        (80.0, Some(Band::Valid)),
        (0.0, None),
        (100.0, Some(Band::Valid)),
    ];
    for (score, want) in cases {
        assert_eq!(Band::of(score), want.unwrap_or(Band::Rejected), "Band::of({score})");
        let (s, fx) = decide_with(score);
        let made = fx.iter().find_map(|e| match e {
            Effect::MakeRecord { band, .. } => Some(*band),
            _ => None,
        });
        assert_eq!(made, want, "score {score}: effects {fx:?}");
        if want.is_none() {
            assert!(
                fx.iter().any(|e| matches!(e, Effect::Audit(Audit::FaceRefused { reason: Refusal::FaceMismatch, .. }))),
                "score {score} must be audited: {fx:?}"
            );
            assert_eq!(phase_name(&s.phase), "result");
        }
    }
    assert_eq!(Band::of(f32::NAN), Band::Rejected);
}

#[test]
fn capture_keeps_the_best_live_score_until_the_window_ends() {
    let mut ev = to_capture();
    // A spoof with a high score does not count; live frames 60 then 75 then 65.
    ev.extend([(100, spoof(1, 99.0)), (200, face(2, 60.0)), (300, face(3, 75.0)), (400, face(4, 65.0))]);
    let (s, fx) = run(State::default(), &ev);
    assert_eq!(phase_name(&s.phase), "capture", "{fx:?}");
    let (_, fx) = step(s, Event::Tick, at(3_000), &cfg());
    let best = Best { id: FrameId(3), score: 75.0, liveness: 90.0 };
    assert!(fx.contains(&Effect::MakeRecord {
        employee: ani().id,
        direction: Direction::In,
        band: Band::NeedsConfirmation,
        best
    }));
}

#[test]
fn early_decision_needs_min_frames() {
    let mut ev = to_capture();
    ev.extend([(100, face(1, 95.0)), (150, face(2, 95.0))]);
    let (s, _) = run(State::default(), &ev);
    assert_eq!(phase_name(&s.phase), "capture", "two frames are not enough");
    let (s, _) = step(s, face(3, 10.0), at(200), &cfg());
    assert_eq!(phase_name(&s.phase), "recording", "third frame decides on the best so far");
}

#[test]
fn only_spoofs_is_not_live_and_counts_as_failure() {
    let mut ev = to_capture();
    ev.extend([(100, spoof(1, 95.0)), (3_000, Event::Tick)]);
    let (s, fx) = run(State::default(), &ev);
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(Audit::FaceRefused { reason: Refusal::NotLive, .. }))));
    assert_eq!(s.locks.employees.get(&ani().id).map(|f| f.times.len()), Some(1));
    assert_eq!(s.locks.device.times.len(), 1, "a spoof is a device-wide failure too");
}

#[test]
fn no_face_is_not_a_failure_and_may_retry() {
    let mut ev = to_capture();
    ev.push((3_000, Event::Tick));
    let (s, fx) = run(State::default(), &ev);
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(Audit::FaceRefused { reason: Refusal::NoFace, .. }))));
    assert_eq!(s.locks, Lockouts::default());
    let (s, _) = step(s, Event::Retry, at(3_100), &cfg());
    assert_eq!(phase_name(&s.phase), "capture");
}

#[test]
fn guidance_is_shown_once_per_change() {
    let mut ev = to_capture();
    ev.extend([
        (10, Event::Frame(Frame::Guide(Guidance::TooDark))),
        (20, Event::Frame(Frame::Guide(Guidance::TooDark))),
        (30, Event::Frame(Frame::Guide(Guidance::LookStraight))),
    ]);
    let (_, fx) = run(State::default(), &ev);
    let shown: Vec<Guidance> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Show(Screen::Capture { guidance, .. }) => Some(*guidance),
            _ => None,
        })
        .collect();
    assert_eq!(shown, vec![Guidance::NoFace, Guidance::TooDark, Guidance::LookStraight]);
}

/// One failed face attempt for PIN 1234 starting at `t`.
fn failed_attempt(t: u64) -> Vec<(u64, Event)> {
    vec![
        (t, Event::Cancel),
        (t, Event::Wake),
        (t, Event::Choose(Direction::In)),
        (t, Event::Digit('1')),
        (t, Event::Digit('2')),
        (t, Event::Digit('3')),
        (t, Event::Digit('4')),
        (t, Event::PinChecked(PinCheck::Employee(ani()))),
        (t, Event::PlaceChecked(PlaceVerdict::Fine)),
        (t + 10, face(1, 20.0)),
        (t + 3_000, Event::Tick),
    ]
}

fn locked_until(s: &State) -> Option<Mono> {
    s.locks.employees.get(&ani().id).and_then(|f| f.locked_until)
}

fn budi() -> Employee {
    Employee { id: "199002022015022002".into(), name: "Budi".into() }
}

/// Types `pin` on the attendance screen at `t` and answers the check with `check`.
fn attempt(t: u64, pin: &str, check: PinCheck) -> Vec<(u64, Event)> {
    let mut ev = vec![(t, Event::Cancel), (t, Event::Choose(Direction::Out))];
    ev.extend(pin.chars().map(|c| (t, Event::Digit(c))));
    let employee = matches!(check, PinCheck::Employee(_));
    ev.push((t, Event::PinChecked(check)));
    if employee {
        // Where the place is fine (a stale answer when the PIN was refused).
        ev.push((t, Event::PlaceChecked(PlaceVerdict::Fine)));
    }
    ev
}

#[test]
fn employee_pin_locks_after_n_refused_faces_in_the_window() {
    let mut ev = Vec::new();
    for i in 0..3 {
        ev.extend(failed_attempt(i * 60_000));
    }
    let (s, fx) = run(State::default(), &ev);
    let lock_at = 2 * 60_000 + 3_000;
    assert_eq!(locked_until(&s), Some(at(lock_at + 900_000)));
    assert!(fx.contains(&Effect::Audit(Audit::PinLocked { employee: ani().id, failures: 3 })));
    assert_eq!(s.locks.device.locked(at(lock_at)), None, "3 failures are under the device's limit of 4");
    match &s.phase {
        Phase::Result { outcome: Outcome::Refused { locked_until: Some(_), .. }, .. } => {}
        other => panic!("the third failure must show the lock, got {other:?}"),
    }
    // A retry from the locked result does not restart capture.
    let (s, _) = step(s, Event::Retry, at(lock_at + 1), &cfg());
    assert_eq!(phase_name(&s.phase), "result");

    // The locked employee's PIN is refused once the store names the employee, and audited.
    let (s2, fx) = run(s.clone(), &attempt(lock_at + 10, "1234", PinCheck::Employee(ani())));
    assert!(!fx.iter().any(|e| matches!(e, Effect::StartCapture { .. })), "{fx:?}");
    assert!(fx.contains(&Effect::Audit(Audit::LockedPinUsed { employee: ani().id })));
    assert!(matches!(&s2.phase, Phase::Result { outcome: Outcome::Refused { reason: Refusal::Locked, locked_until: Some(_), .. }, .. }));
    assert_eq!(s2.locks.device.times.len(), s.locks.device.times.len(), "a locked PIN is not a new failure");

    // Another employee is not locked.
    let (_, fx) = run(s.clone(), &attempt(lock_at + 10, "5678", PinCheck::Employee(budi())));
    assert!(fx.contains(&Effect::StartCapture { employee: budi().id }));

    // After the lockout the PIN works again.
    let after = lock_at + 900_000;
    let (s3, fx) = run(s, &attempt(after, "1234", PinCheck::Employee(ani())));
    assert!(fx.contains(&Effect::StartCapture { employee: ani().id }), "{fx:?}");
    assert_eq!(locked_until(&s3), None);
}

#[test]
fn failures_spread_beyond_the_window_do_not_lock() {
    // Window 10 min: failures at 0, 6 and 12 minutes never have 3 within 10 minutes.
    let mut ev = Vec::new();
    for t in [0, 360_000, 720_000] {
        ev.extend(failed_attempt(t));
    }
    let (s, fx) = run(State::default(), &ev);
    assert_eq!(locked_until(&s), None);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Audit(Audit::PinLocked { .. } | Audit::Locked { .. }))));
}

/// Unknown PINs (each a different one) at these times, in seconds; returns the final state and
/// the length in seconds of each device lock that began.
fn device_locks(times_s: &[u64]) -> (State, Vec<u64>) {
    let mut ev = Vec::new();
    for (i, t) in times_s.iter().enumerate() {
        ev.extend(attempt(t * 1_000, &format!("{:04}", 9000 + i), PinCheck::Unknown));
    }
    let (s, fx) = run(State::default(), &ev);
    let locks = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(Audit::Locked { scope: LockScope::Device, lock }) => Some(lock.seconds),
            _ => None,
        })
        .collect();
    (s, locks)
}

#[test]
fn different_pins_lock_the_device_with_escalating_delays() {
    // Device rule of `cfg()`: 4 failures within 10 min; locks of 30 s, 60 s, then 120 s.
    let cases: Vec<(&str, Vec<u64>, Vec<u64>)> = vec![
        ("three failures do not lock", vec![0, 1, 2], vec![]),
        ("four quick failures lock for the first delay", vec![0, 1, 2, 3], vec![30]),
        ("four failures just within the window lock", vec![0, 200, 400, 599], vec![30]),
        ("the first failure left the window", vec![0, 200, 400, 600], vec![]),
        ("failures during a lock are refused before any check", vec![0, 1, 2, 3, 10, 11, 12, 13], vec![30]),
        ("each lock is longer", vec![0, 1, 2, 3, 33, 34, 35, 36, 96, 97, 98, 99], vec![30, 60, 120]),
        ("the last delay repeats", vec![0, 1, 2, 3, 33, 34, 35, 36, 96, 97, 98, 99, 219, 220, 221, 222], vec![30, 60, 120, 120]),
        ("the escalation outlives the window", vec![0, 1, 2, 3, 1_000, 1_001, 1_002, 1_003], vec![30, 60]),
    ];
    for (name, times, want) in cases {
        let (_, got) = device_locks(&times);
        assert_eq!(got, want, "case `{name}`");
    }
}

#[test]
fn a_locked_device_refuses_the_pin_screen_with_the_end_of_the_lock() {
    let (s, _) = device_locks(&[0, 1, 2, 3]);
    let until = at(33_000);
    assert_eq!(s.locks.device.locked(at(3_000)), Some(until));
    match &s.phase {
        Phase::Result { outcome: Outcome::Refused { reason: Refusal::UnknownPin, locked_until: Some(u), .. }, .. } => {
            assert_eq!(*u, until);
        }
        other => panic!("the locking failure must show the lock, got {other:?}"),
    }
    // MASUK during the lock: refused at once with the lock's end, no PIN screen, no check.
    let (s2, fx) = run(s.clone(), &attempt(20_000, "1234", PinCheck::Employee(ani())));
    assert!(!fx.iter().any(|e| matches!(e, Effect::VerifyPin { .. } | Effect::StartCapture { .. })), "{fx:?}");
    let locked = Outcome::Refused { reason: Refusal::Locked, employee: None, direction: Direction::Out, locked_until: Some(until) };
    assert!(fx.contains(&Effect::Show(Screen::Result(locked))), "{fx:?}");
    assert_eq!(phase_name(&s2.phase), "result");
    // The admin entry has its own lockout and stays open.
    let (s3, _) = step(s.clone(), Event::Cancel, at(20_000), &cfg());
    let (s3, _) = step(s3, Event::AdminEntry, at(20_000), &cfg());
    assert_eq!(phase_name(&s3.phase), "admin pin");
    // At the lock's end the PIN screen opens again.
    let (_, fx) = run(s, &attempt(33_000, "1234", PinCheck::Employee(ani())));
    assert!(fx.contains(&Effect::StartCapture { employee: ani().id }), "{fx:?}");
}

#[test]
fn a_refused_face_counts_device_wide() {
    // Two refused faces of Ani and two unknown PINs: four failures, the device locks.
    let mut ev = failed_attempt(0);
    ev.extend(failed_attempt(5_000));
    ev.extend(attempt(10_000, "9001", PinCheck::Unknown));
    ev.extend(attempt(11_000, "9002", PinCheck::Unknown));
    let (s, fx) = run(State::default(), &ev);
    assert!(s.locks.device.locked(at(11_000)).is_some(), "{fx:?}");
    assert_eq!(s.locks.device.strikes, 1);
}

#[test]
fn a_record_resets_the_escalation_but_not_the_failures_in_the_window() {
    let record = |t: u64| {
        let mut ev = attempt(t, "1234", PinCheck::Employee(ani()));
        ev.push((t + 10, face(1, 95.0)));
        ev.push((t + 20, face(2, 95.0)));
        ev.push((t + 30, face(3, 95.0)));
        ev.push((t + 40, Event::Recorded(Ok(Saved { seq: 1, late_minutes: None, marked_late: false }))));
        ev
    };
    // Two locks (30 s, 60 s), then a record: the next lock is 30 s again.
    let (s, locks) = device_locks(&[0, 1, 2, 3, 33, 34, 35, 36]);
    assert_eq!((locks, s.locks.device.strikes), (vec![30, 60], 2));
    let (s, _) = run(s, &record(100_000));
    assert_eq!(s.locks.device.strikes, 0);
    let mut ev = Vec::new();
    for (i, t) in [200_000, 201_000, 202_000, 203_000].into_iter().enumerate() {
        ev.extend(attempt(t, &format!("{:04}", 8000 + i), PinCheck::Unknown));
    }
    let (_, fx) = run(s, &ev);
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(Audit::Locked { scope: LockScope::Device, lock }) if lock.seconds == 30)));

    // Two failures, a record, two failures: still four in the window, so the device locks.
    let (s, _) = device_locks(&[0, 1]);
    let (s, _) = run(s, &record(5_000));
    let mut ev = attempt(10_000, "9101", PinCheck::Unknown);
    ev.extend(attempt(11_000, "9102", PinCheck::Unknown));
    let (s, _) = run(s, &ev);
    assert!(s.locks.device.locked(at(11_000)).is_some());
}

/// The admin entry typed at `t` with `check` as the answer.
fn admin_attempt(t: u64, check: PinCheck) -> Vec<(u64, Event)> {
    let mut ev = vec![(t, Event::Cancel), (t, Event::AdminEntry)];
    ev.extend("0000".chars().map(|c| (t, Event::Digit(c))));
    let employee = matches!(check, PinCheck::Employee(_));
    ev.push((t, Event::PinChecked(check)));
    if employee {
        // Where the place is fine (a stale answer when the PIN was refused).
        ev.push((t, Event::PlaceChecked(PlaceVerdict::Fine)));
    }
    ev
}

#[test]
fn the_admin_entry_has_its_own_stricter_lockout() {
    // Admin rule of `cfg()`: 2 failures within an hour; 300 s, then 900 s.
    let mut ev = admin_attempt(0, PinCheck::Unknown);
    ev.extend(admin_attempt(1_000, PinCheck::Unknown));
    let (s, fx) = run(State::default(), &ev);
    let lock = NewLock { until: at(301_000), failures: 2, strikes: 1, seconds: 300 };
    assert!(fx.contains(&Effect::Audit(Audit::Locked { scope: LockScope::Admin, lock })), "{fx:?}");
    assert_eq!(fx.iter().filter(|e| **e == Effect::Audit(Audit::AdminPinFailed)).count(), 2);
    assert_eq!(s.locks.device, Lockout::default(), "admin failures do not lock attendance");

    // During the lock the entry is refused at once; attendance still works.
    let (_, fx) = run(s.clone(), &admin_attempt(100_000, PinCheck::Admin));
    assert!(!fx.iter().any(|e| matches!(e, Effect::VerifyAdminPin { .. } | Effect::StartAdmin)), "{fx:?}");
    let (_, fx) = run(s.clone(), &attempt(100_000, "1234", PinCheck::Employee(ani())));
    assert!(fx.contains(&Effect::StartCapture { employee: ani().id }));

    // After it, two more failures lock for the next delay; a login resets the escalation.
    let mut ev = admin_attempt(301_000, PinCheck::Unknown);
    ev.extend(admin_attempt(302_000, PinCheck::Unknown));
    let (s2, fx) = run(s.clone(), &ev);
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(Audit::Locked { scope: LockScope::Admin, lock }) if lock.seconds == 900)));
    assert_eq!(s2.locks.admin.strikes, 2);
    let (s3, fx) = run(s2, &admin_attempt(302_000 + 900_000, PinCheck::Admin));
    assert!(fx.contains(&Effect::StartAdmin));
    assert_eq!(s3.locks.admin, Lockout::default());
}

#[test]
fn saved_lockouts_restore_after_a_restart() {
    const W: i64 = 1_780_000_000_000;
    let locks = Lockouts {
        device: Lockout { times: vec![at(10_000), at(20_000)], strikes: 2, locked_until: Some(at(50_000)) },
        admin: Lockout { times: vec![], strikes: 1, locked_until: None },
        employees: [(ani().id, Failures { times: vec![], locked_until: Some(at(100_000)) })].into(),
    };
    // Saved at monotonic 30 s = wall W.
    let saved = locks.save(at(30_000), W);
    assert_eq!(saved.device.failures_ms, vec![W - 20_000, W - 10_000]);
    assert_eq!((saved.device.strikes, saved.device.locked_for_ms), (2, 20_000));
    assert_eq!(saved.employees[&ani().id].locked_for_ms, 70_000);
    assert_eq!(saved.restore(at(30_000), W), locks, "same moment, same state");

    // (case, monotonic at restore, wall at restore, device lock's end, first failure, employee lock's end)
    let cases: Vec<(&str, u64, i64, Option<u64>, u64, Option<u64>)> = vec![
        ("rebooted 5 s later", 1_000, W + 5_000, Some(16_000), 0, Some(66_000)),
        ("rebooted later, boot took long", 200_000, W + 5_000, Some(215_000), 175_000, Some(265_000)),
        ("wall clock set back an hour: nothing has run out", 1_000, W - 3_600_000, Some(21_000), 0, Some(71_000)),
        ("after the locks' ends", 1_000, W + 80_000, None, 0, None),
    ];
    for (name, mono, wall, device_until, first_failure, employee_until) in cases {
        let r = saved.restore(at(mono), wall);
        assert_eq!(r.device.locked_until, device_until.map(at), "case `{name}`");
        assert_eq!(r.device.strikes, 2, "case `{name}`: the escalation survives");
        assert_eq!(r.device.times.first().copied(), Some(at(first_failure)), "case `{name}`");
        assert_eq!(r.employees.get(&ani().id).and_then(|f| f.locked_until), employee_until.map(at), "case `{name}`");
    }

    // The restored lock refuses the PIN screen on the new boot.
    let restored = State { phase: Phase::Idle, locks: saved.restore(at(1_000), W + 5_000) };
    let (s, _) = step(restored, Event::Choose(Direction::In), at(2_000), &cfg());
    assert!(matches!(&s.phase, Phase::Result { outcome: Outcome::Refused { reason: Refusal::Locked, .. }, .. }), "{:?}", s.phase);
}

#[test]
fn timeouts_on_every_waiting_phase() {
    let c = cfg();
    let phases: Vec<(Phase, Duration)> = vec![
        (Phase::Choose { since: at(0) }, c.choose_timeout),
        (Phase::Pin { direction: Direction::In, digits: "1".into(), since: at(0) }, c.pin_timeout),
        (Phase::AdminPin { digits: "1".into(), since: at(0) }, c.pin_timeout),
        (Phase::CheckingAdminPin { since: at(0) }, c.store_timeout),
        (Phase::CheckingPin { direction: Direction::In, key: key_of("1"), since: at(0) }, c.store_timeout),
        (capture(0), c.capture_window),
        (
            Phase::Recording {
                direction: Direction::In,
                employee: ani(),
                best: Best { id: FrameId(1), score: 90.0, liveness: 90.0 },
                band: Band::Valid,
                since: at(0),
            },
            c.store_timeout,
        ),
        (
            Phase::Result {
                outcome: Outcome::Refused { reason: Refusal::NoFace, employee: None, direction: Direction::In, locked_until: None },
                key: None,
                since: at(0),
            },
            c.result_timeout,
        ),
    ];
    for (p, d) in phases {
        let name = phase_name(&p);
        let ms = u64::try_from(d.as_millis()).unwrap();
        let (before, _) = step(state(p.clone()), Event::Tick, at(ms - 1), &c);
        assert_eq!(phase_name(&before.phase), name, "{name} must wait until its timeout");
        let (after, _) = step(state(p), Event::Tick, at(ms), &c);
        assert_ne!(phase_name(&after.phase), name, "{name} must time out after {d:?}");
    }
}

#[test]
fn pin_keystrokes_reset_the_pin_timeout() {
    let ev = vec![
        (0, Event::Choose(Direction::In)),
        (9_000, Event::Digit('1')),
        (18_000, Event::Digit('2')),
        (27_000, Event::Tick),
    ];
    let (s, _) = run(State::default(), &ev);
    assert_eq!(phase_name(&s.phase), "pin");
}
