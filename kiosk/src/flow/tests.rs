//! Table tests of the flow: every transition, the band edges, lockout and timeouts.

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
    State { phase, failures: BTreeMap::new() }
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
    ]
}

fn phase_name(p: &Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Choose { .. } => "choose",
        Phase::Pin { .. } => "pin",
        Phase::CheckingPin { .. } => "checking",
        Phase::Capture { .. } => "capture",
        Phase::Recording { .. } => "recording",
        Phase::Result { .. } => "result",
    }
}

#[test]
fn every_transition() {
    let pin_phase = |digits: &str| Phase::Pin { direction: Direction::Out, digits: digits.into(), since: at(0) };
    let checking = Phase::CheckingPin { direction: Direction::In, key: key_of("1234"), since: at(0) };
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
        ("checking employee", checking.clone(), Event::PinChecked(PinCheck::Employee(ani())), 1, "capture",
            Some(Effect::StartCapture { employee: ani().id })),
        ("checking unknown", checking.clone(), Event::PinChecked(PinCheck::Unknown), 1, "result",
            Some(Effect::Audit(Audit::UnknownPin))),
        ("checking admin", checking.clone(), Event::PinChecked(PinCheck::Admin), 1, "idle", Some(Effect::StartAdmin)),
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
        checking.clone(),
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
    assert_eq!(s.failures.get(&key_of("1234")).map(|f| f.times.len()), Some(1));
}

#[test]
fn no_face_is_not_a_failure_and_may_retry() {
    let mut ev = to_capture();
    ev.push((3_000, Event::Tick));
    let (s, fx) = run(State::default(), &ev);
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(Audit::FaceRefused { reason: Refusal::NoFace, .. }))));
    assert!(s.failures.is_empty());
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
        (t + 10, face(1, 20.0)),
        (t + 3_000, Event::Tick),
    ]
}

fn locked_until(s: &State) -> Option<Mono> {
    s.failures.get(&key_of("1234")).and_then(|f| f.locked_until)
}

#[test]
fn lockout_after_n_failures_in_the_window() {
    let mut ev = Vec::new();
    for i in 0..3 {
        ev.extend(failed_attempt(i * 60_000));
    }
    let (s, fx) = run(State::default(), &ev);
    let lock_at = 2 * 60_000 + 3_000;
    assert_eq!(locked_until(&s), Some(at(lock_at + 900_000)));
    assert!(fx.contains(&Effect::Audit(Audit::PinLocked { employee: Some(ani().id), failures: 3 })));
    match &s.phase {
        Phase::Result { outcome: Outcome::Refused { locked_until: Some(_), .. }, .. } => {}
        other => panic!("the third failure must show the lock, got {other:?}"),
    }
    // A retry from the locked result does not restart capture.
    let (s, _) = step(s, Event::Retry, at(lock_at + 1), &cfg());
    assert_eq!(phase_name(&s.phase), "result");

    // Entering the locked PIN is refused without asking the store, and audited.
    let mut again = vec![(lock_at + 10, Event::Cancel), (lock_at + 10, Event::Choose(Direction::Out))];
    again.extend("1234".chars().map(|c| (lock_at + 20, Event::Digit(c))));
    let (s2, fx) = run(s.clone(), &again);
    assert!(!fx.iter().any(|e| matches!(e, Effect::VerifyPin { .. })), "{fx:?}");
    assert!(fx.contains(&Effect::Audit(Audit::LockedPinUsed)));
    assert_eq!(phase_name(&s2.phase), "result");

    // Another PIN is not locked.
    let mut other = vec![(lock_at + 10, Event::Cancel), (lock_at + 10, Event::Choose(Direction::Out))];
    other.extend("5678".chars().map(|c| (lock_at + 20, Event::Digit(c))));
    let (_, fx) = run(s.clone(), &other);
    assert!(fx.contains(&Effect::VerifyPin { pin: "5678".into() }));

    // After the lockout the PIN works again.
    let after = lock_at + 900_000;
    let mut later = vec![(after, Event::Cancel), (after, Event::Choose(Direction::Out))];
    later.extend("1234".chars().map(|c| (after, Event::Digit(c))));
    let (s3, fx) = run(s, &later);
    assert!(fx.contains(&Effect::VerifyPin { pin: "1234".into() }), "{fx:?}");
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
    assert!(!fx.iter().any(|e| matches!(e, Effect::Audit(Audit::PinLocked { .. }))));
}

#[test]
fn unknown_pins_lock_too() {
    let mut ev = Vec::new();
    for i in 0..3u64 {
        let t = i * 1_000;
        ev.extend([(t, Event::Cancel), (t, Event::Choose(Direction::In))]);
        ev.extend("9999".chars().map(|c| (t, Event::Digit(c))));
        ev.push((t + 5, Event::PinChecked(PinCheck::Unknown)));
    }
    let (s, fx) = run(State::default(), &ev);
    assert!(fx.contains(&Effect::Audit(Audit::PinLocked { employee: None, failures: 3 })));
    assert!(s.failures.get(&key_of("9999")).and_then(|f| f.locked_until).is_some());
}

#[test]
fn timeouts_on_every_waiting_phase() {
    let c = cfg();
    let phases: Vec<(Phase, Duration)> = vec![
        (Phase::Choose { since: at(0) }, c.choose_timeout),
        (Phase::Pin { direction: Direction::In, digits: "1".into(), since: at(0) }, c.pin_timeout),
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
