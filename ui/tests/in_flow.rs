//! A whole IN record driven by touches, as a person at the kiosk does it: tap MASUK, tap the
//! PIN, look at the camera (frames through the real preview path), see the result, tap
//! Selesai. A small stand-in for the kiosk's flow answers each event with the next screen,
//! so the test checks the UI's half of the contract: the events a touch produces, and what
//! each screen then shows. Also: the physical keyboard on the PIN screen, the language toggle,
//! retry after a rejection, and the preview dropping frames instead of queueing them.

mod screen_test;

use std::cell::RefCell;
use std::rc::Rc;

use hadir_ui::{
    Band, ClockTime, FaceBox, Guidance, Language, PinKind, RecordKind, Screen, Ui, UiEvent, gallery,
};
use screen_test::*;
use slint::ComponentHandle;

/// The flow's side of the conversation: remembers events, moves through the screens.
#[derive(Default)]
struct FakeFlow {
    events: Vec<UiEvent>,
    digits: u8,
    kind: Option<RecordKind>,
}

fn next_screen(flow: &mut FakeFlow, event: UiEvent) -> Option<Screen> {
    flow.events.push(event);
    let pin = |kind: RecordKind, digits| Screen::Pin { kind: PinKind::from(kind), digits_entered: digits, max_digits: 6 };
    match event {
        UiEvent::ChooseIn | UiEvent::ChooseOut => {
            let kind = if event == UiEvent::ChooseIn { RecordKind::In } else { RecordKind::Out };
            flow.kind = Some(kind);
            flow.digits = 0;
            Some(pin(kind, 0))
        }
        UiEvent::Digit(_) => {
            flow.digits = (flow.digits + 1).min(6);
            Some(pin(flow.kind?, flow.digits))
        }
        UiEvent::Backspace => {
            flow.digits = flow.digits.saturating_sub(1);
            Some(pin(flow.kind?, flow.digits))
        }
        UiEvent::Submit => Some(Screen::Capture {
            kind: flow.kind?,
            guidance: Guidance::MoveCloser,
            face: Some(FaceBox { x: 0.45, y: 0.35, width: 0.12, height: 0.2, ok: false }),
        }),
        UiEvent::Retry => Some(pin(flow.kind?, 0)),
        UiEvent::Cancel => Some(gallery::idle()),
        _ => None,
    }
}

fn result_screen(kind: RecordKind, band: Band) -> Screen {
    Screen::Result {
        name: "Budi Santoso".into(),
        time: ClockTime::new(8, 12),
        kind,
        band,
        late_minutes: 12,
        photo: Some(gallery::face_picture(120, 144)),
    }
}

fn main() {
    init();
    let ui = Rc::new(Ui::new().expect("create the UI"));
    resize(&ui, 800, 480);
    ui.set_screen(&gallery::idle()).expect("idle");

    let flow = Rc::new(RefCell::new(FakeFlow::default()));
    {
        let flow = Rc::clone(&flow);
        let weak = Rc::downgrade(&ui);
        ui.on_event(move |event| {
            let screen = next_screen(&mut flow.borrow_mut(), event);
            if let (Some(screen), Some(ui)) = (screen, weak.upgrade()) {
                ui.set_screen(&screen).expect("flow screen");
            }
        });
    }

    full_in_flow_by_touches(&ui, &flow);
    keyboard_on_the_pin_screen(&ui, &flow);
    rejected_then_retry(&ui, &flow);
    language_toggle(&ui, &flow);
    preview_keeps_only_the_newest_frame(&ui);
    remote_sets_screens_from_another_thread(&ui);
    println!("in_flow: all checks passed");
}

fn full_in_flow_by_touches(ui: &Ui, flow: &Rc<RefCell<FakeFlow>>) {
    flow.borrow_mut().events.clear();
    visible(ui, "Tekan MASUK atau PULANG", "idle");
    tap(ui, "MASUK");
    visible(ui, "Masukkan PIN Anda", "pin");
    visible(ui, "0 dari 6 digit dimasukkan", "pin");
    for digit in ["2", "0", "2", "6", "1", "1"] {
        tap(ui, digit);
    }
    visible(ui, "6 dari 6 digit dimasukkan", "pin full");
    tap(ui, "OK");

    // The capture screen, fed by a "camera" thread through the real preview path.
    visible(ui, "Mendekat", "capture");
    visible(ui, "Wajah terdeteksi", "capture");
    let feed = ui.preview_feed();
    let camera = std::thread::spawn(move || {
        for phase in 0..3 {
            feed.push(&gallery::face_picture_at(640, 480, phase)).expect("push frame");
        }
        feed
    });
    let feed = camera.join().expect("camera thread");
    run_pending();
    let preview = ui.component().global::<hadir_ui::generated::CaptureState>().get_preview();
    assert_eq!((preview.size().width, preview.size().height), (640, 480), "the frame reached the preview");
    assert_eq!(feed.stats().shown, 1);
    let shot = snapshot(ui);
    // The frame's face colour is drawn inside the preview (left part of the screen).
    let face_drawn = (100..300).any(|x| (150..300).any(|y| near(*shot.get_pixel(x, y), [214, 170, 135], 8)));
    assert!(face_drawn, "the camera frame is drawn in the preview");

    // The flow decides; the result screen shows it.
    ui.set_screen(&Screen::Capture { kind: RecordKind::In, guidance: Guidance::HoldStill, face: None })
        .expect("capture");
    visible(ui, "Tahan posisi", "capture ok");
    ui.set_screen(&result_screen(RecordKind::In, Band::Valid)).expect("result");
    visible(ui, "Tercatat", "result");
    visible(ui, "Budi Santoso", "result");
    visible(ui, "MASUK pukul 08:12", "result");
    visible(ui, "Terlambat 12 menit", "result");
    assert!(near(*snapshot(ui).get_pixel(400, 4), GREEN, 2), "valid is green");
    tap(ui, "Selesai");
    visible(ui, "Tekan MASUK atau PULANG", "back to idle");

    let events = flow.borrow().events.clone();
    let mut want = vec![UiEvent::ChooseIn];
    want.extend([2, 0, 2, 6, 1, 1].map(UiEvent::Digit));
    want.extend([UiEvent::Submit, UiEvent::Cancel]);
    assert_eq!(events, want, "the touches produced exactly these events");
}

fn keyboard_on_the_pin_screen(ui: &Ui, flow: &Rc<RefCell<FakeFlow>>) {
    flow.borrow_mut().events.clear();
    tap(ui, "PULANG");
    visible(ui, "PULANG", "pin title");
    for k in ["4", "2", "x"] {
        key(ui, k);
    }
    key(ui, slint::platform::Key::Backspace);
    visible(ui, "1 dari 6 digit dimasukkan", "after typing");
    key(ui, slint::platform::Key::Return);
    key(ui, slint::platform::Key::Escape); // the capture screen has no key handling: ignored
    let events = flow.borrow().events.clone();
    assert_eq!(
        events,
        vec![UiEvent::ChooseOut, UiEvent::Digit(4), UiEvent::Digit(2), UiEvent::Backspace, UiEvent::Submit],
        "keys map onto the same events as touches; other keys are ignored"
    );
    tap(ui, "Batal");
    visible(ui, "Tekan MASUK atau PULANG", "cancelled");
}

fn rejected_then_retry(ui: &Ui, flow: &Rc<RefCell<FakeFlow>>) {
    flow.borrow_mut().kind = Some(RecordKind::In);
    ui.set_screen(&result_screen(RecordKind::In, Band::Rejected)).expect("rejected");
    visible(ui, "Wajah tidak cocok", "rejected");
    absent(ui, "Terlambat 12 menit", "rejected records say nothing of lateness");
    assert!(near(*snapshot(ui).get_pixel(400, 4), RED, 2), "rejected is red");
    flow.borrow_mut().events.clear();
    tap(ui, "Coba lagi");
    assert_eq!(flow.borrow().events, vec![UiEvent::Retry]);
    visible(ui, "Masukkan PIN Anda", "retry goes back to the PIN");
    ui.set_screen(&result_screen(RecordKind::In, Band::NeedsConfirmation)).expect("pending");
    visible(ui, "Menunggu konfirmasi", "pending");
    assert!(near(*snapshot(ui).get_pixel(400, 4), AMBER, 2), "pending is amber");
    tap(ui, "Selesai");
}

fn language_toggle(ui: &Ui, flow: &Rc<RefCell<FakeFlow>>) {
    flow.borrow_mut().events.clear();
    visible(ui, "Tekan MASUK atau PULANG", "idle");
    tap(ui, "English");
    assert_eq!(ui.language(), Language::English);
    visible(ui, "Press IN or OUT", "english idle");
    absent(ui, "Tekan MASUK atau PULANG", "english idle");
    tap(ui, "IN");
    visible(ui, "Enter your PIN", "english pin");
    tap(ui, "Cancel");
    tap(ui, "Bahasa Indonesia");
    assert_eq!(ui.language(), Language::Indonesian);
    visible(ui, "Tekan MASUK atau PULANG", "back in Indonesian");
    let events = flow.borrow().events.clone();
    assert_eq!(
        events,
        vec![
            UiEvent::Language(Language::English),
            UiEvent::ChooseIn,
            UiEvent::Cancel,
            UiEvent::Language(Language::Indonesian)
        ]
    );
}

fn preview_keeps_only_the_newest_frame(ui: &Ui) {
    ui.set_screen(&Screen::Capture { kind: RecordKind::In, guidance: Guidance::NoFace, face: None })
        .expect("capture");
    let feed = ui.preview_feed();
    let sender = feed.clone();
    // Ten frames arrive while the UI is busy (the event loop is not running): only the last
    // one may be shown, the others are dropped, and only one hand-over is queued.
    std::thread::spawn(move || {
        for i in 0..10u32 {
            sender.push(&gallery::face_picture(32 + i, 24)).expect("push");
        }
    })
    .join()
    .expect("camera thread");
    run_pending();
    let stats = feed.stats();
    assert_eq!((stats.pushed, stats.shown, stats.dropped), (10, 1, 9), "{stats:?}");
    let preview = ui.component().global::<hadir_ui::generated::CaptureState>().get_preview();
    assert_eq!(preview.size().width, 41, "the newest frame (32 + 9 wide) is the one shown");
    assert!(matches!(feed.push(&image::RgbImage::new(0, 0)), Err(hadir_ui::UiError::Frame { .. })));
}

fn remote_sets_screens_from_another_thread(ui: &Ui) {
    let remote = ui.remote();
    std::thread::spawn(move || {
        remote.set_screen(Screen::Locked { until: ClockTime::new(9, 5) }).expect("remote screen");
        let bad = remote.set_screen(Screen::Locked { until: ClockTime::new(9, 75) });
        assert!(bad.is_err(), "invalid screens are refused before they reach the UI");
    })
    .join()
    .expect("flow thread");
    run_pending();
    visible(ui, "Terlalu banyak percobaan gagal. Coba lagi pukul 09:05.", "locked via remote");
}
