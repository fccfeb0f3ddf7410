//! # The touchscreen: the flow's screens on `hadir-ui`, its touches back as inputs
//!
//! [`ui_screen`] turns what the flow shows ([`Screen`]) plus the device's [`Status`] into the
//! UI's plain-data [`hadir_ui::Screen`]: a pure function, tested with a table. [`input_of`]
//! turns what the person did on the screen ([`hadir_ui::UiEvent`]) into the kiosk's [`Input`]:
//! the PIN pad's digits become the same [`Key`]s as the physical keypad's, so there is one path
//! into the flow. [`UiDisplay`] is the [`Display`] the runtime drives: screens go through
//! [`hadir_ui::UiRemote`] (the UI runs on its own thread's event loop), camera frames through
//! [`hadir_ui::PreviewFeed`] (stale frames are dropped, never queued).
//!
//! Every text a person reads is in the `.slint` files, translated there (Bahasa Indonesia by
//! default); this module passes only values, names and technical details.
//!
//! It must not decide anything: bands, lateness, locks and refusals come from the flow.

use crate::flow::{Direction, EnrolOutcome, EnrolRefusal, Guidance, Outcome, PlaceVerdict, Refusal, Screen};
use crate::runtime::{AdminChoice, Display, Input, Status};
use hadir_hal::keypad::Key;
use hadir_ui as ui;
use image::RgbImage;
use std::sync::mpsc;

fn local(status: &Status, at_ms: i64) -> time::OffsetDateTime {
    let offset = time::UtcOffset::from_whole_seconds(i32::from(status.utc_offset_min) * 60).unwrap_or(time::UtcOffset::UTC);
    let utc = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    utc.to_offset(offset)
}

fn clock(t: time::OffsetDateTime) -> ui::ClockTime {
    ui::ClockTime::new(t.hour(), t.minute())
}

fn date(t: time::OffsetDateTime) -> ui::CalendarDate {
    let weekday = match t.weekday() {
        time::Weekday::Monday => ui::Weekday::Monday,
        time::Weekday::Tuesday => ui::Weekday::Tuesday,
        time::Weekday::Wednesday => ui::Weekday::Wednesday,
        time::Weekday::Thursday => ui::Weekday::Thursday,
        time::Weekday::Friday => ui::Weekday::Friday,
        time::Weekday::Saturday => ui::Weekday::Saturday,
        time::Weekday::Sunday => ui::Weekday::Sunday,
    };
    ui::CalendarDate { year: t.year(), month: u8::from(t.month()), day: t.day(), weekday }
}

fn kind(d: Direction) -> ui::RecordKind {
    match d {
        Direction::In => ui::RecordKind::In,
        Direction::Out => ui::RecordKind::Out,
    }
}

/// The UI's guidance for the quality gate's.
pub fn guidance(g: Guidance) -> ui::Guidance {
    match g {
        Guidance::NoFace => ui::Guidance::NoFace,
        Guidance::SeveralFaces => ui::Guidance::MultipleFaces,
        Guidance::ComeCloser => ui::Guidance::MoveCloser,
        Guidance::StepBack => ui::Guidance::MoveBack,
        Guidance::LookStraight => ui::Guidance::LookAtCamera,
        Guidance::TooDark => ui::Guidance::TooDark,
        Guidance::TooBright => ui::Guidance::TooBright,
        Guidance::Centre => ui::Guidance::CenterFace,
        Guidance::HoldStill => ui::Guidance::Blurry,
        Guidance::OpenEyes => ui::Guidance::OpenEyes,
        Guidance::Good => ui::Guidance::HoldStill,
    }
}

fn short(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// What the touchscreen shows for the flow's `screen`, given the device's `status`.
pub fn ui_screen(screen: &Screen, status: &Status) -> ui::Screen {
    let now = local(status, status.now_ms);
    let notice = |kind, can_retry| ui::Screen::Notice { kind, detail: String::new(), can_retry };
    match screen {
        Screen::Idle => ui::Screen::Idle {
            clock: clock(now),
            date: date(now),
            office: status.office.clone(),
            mode: match status.mode {
                crate::policy::Mode::Office => ui::DeviceMode::Office,
                crate::policy::Mode::Field => ui::DeviceMode::Field,
            },
            online: status.online(),
            queue_len: u32::try_from(status.queue).unwrap_or(u32::MAX),
            last_sync: status.last_sync_ms.map(|t| clock(local(status, t))),
        },
        Screen::Choose => ui::Screen::Choose,
        Screen::Pin { direction, typed } => ui::Screen::Pin {
            kind: if status.admin_pin { ui::PinKind::Admin } else { ui::PinKind::from(kind(*direction)) },
            max_digits: short(status.pin_length).clamp(1, 12),
            digits_entered: short(*typed).min(short(status.pin_length).clamp(1, 12)),
        },
        Screen::Busy => ui::Screen::Busy,
        Screen::Capture { guidance: g, .. } => ui::Screen::Capture {
            kind: kind(status.direction.unwrap_or(Direction::In)),
            guidance: guidance(*g),
            face: None,
        },
        Screen::Result(Outcome::Recorded { employee, direction, band, late_minutes, .. }) => ui::Screen::Result {
            name: employee.name.clone(),
            time: clock(now),
            kind: kind(*direction),
            band: *band,
            late_minutes: late_minutes.unwrap_or(0),
            photo: status.photo.clone(),
        },
        Screen::Result(Outcome::Refused { locked_until: Some(until), .. }) => {
            let left_ms = i64::try_from(until.since(status.mono)).unwrap_or(i64::MAX / 2);
            // Round up to the next minute: "try again at 08:45" must not be too early.
            let at = local(status, status.now_ms.saturating_add(left_ms).saturating_add(59_999));
            ui::Screen::Locked { until: clock(at) }
        }
        Screen::Result(Outcome::Refused { reason, employee, direction, .. }) => match reason {
            Refusal::FaceMismatch => ui::Screen::Result {
                name: employee.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
                time: clock(now),
                kind: kind(*direction),
                band: crate::flow::Band::Rejected,
                late_minutes: 0,
                photo: None,
            },
            Refusal::UnknownPin => notice(ui::NoticeKind::UnknownPin, false),
            Refusal::Locked => ui::Screen::Locked { until: clock(now) },
            Refusal::NotLive => notice(ui::NoticeKind::NotLive, employee.is_some()),
            Refusal::NoFace => notice(ui::NoticeKind::NoFace, employee.is_some()),
            Refusal::StoreError => notice(ui::NoticeKind::DeviceFault, false),
            Refusal::NoGpsFix => notice(ui::NoticeKind::NoGpsFix, false),
        },
        Screen::Admin => ui::Screen::AdminMenu {
            device_id: status.device_id.clone(),
            app_version: status.app_version.clone(),
            queue_len: u32::try_from(status.queue).unwrap_or(u32::MAX),
            last_sync: status.last_sync_ms.map(|t| clock(local(status, t))),
        },
        Screen::Enrol(view) => ui::Screen::Enrol(match &view.done {
            None if view.needed == 0 => ui::EnrolScreen::EmployeeNumber { typed: view.employee.clone() },
            None => ui::EnrolScreen::Capturing {
                employee: view.employee.clone(),
                captured: short(view.captured),
                needed: short(view.needed),
                guidance: guidance(view.guidance.unwrap_or(Guidance::NoFace)),
            },
            Some(EnrolOutcome::Enrolled { name, sent }) => {
                ui::EnrolScreen::Done { employee: view.employee.clone(), name: name.clone(), sent: *sent }
            }
            Some(EnrolOutcome::Refused { reason, detail }) => ui::EnrolScreen::Refused {
                employee: view.employee.clone(),
                reason: match reason {
                    EnrolRefusal::TooFewImages => ui::EnrolRefusal::TooFewImages,
                    EnrolRefusal::NotOnePerson => ui::EnrolRefusal::NotOnePerson,
                    EnrolRefusal::Duplicate => ui::EnrolRefusal::Duplicate,
                    EnrolRefusal::UnknownEmployee => ui::EnrolRefusal::UnknownEmployee,
                    EnrolRefusal::Fault => ui::EnrolRefusal::DeviceFault,
                },
                detail: detail.clone(),
            },
        }),
        Screen::NotEnrolled => notice(ui::NoticeKind::NotEnrolled, false),
        Screen::SyncStarted => notice(ui::NoticeKind::SyncStarted, false),
        Screen::PlaceNotice { verdict, .. } => place_notice(verdict),
    }
}

/// The place notice before the face step; the detail holds the figures (distance, assignment,
/// HDOP, satellites, accuracy), which read the same in both languages.
fn place_notice(verdict: &PlaceVerdict) -> ui::Screen {
    let (kind, detail) = match verdict {
        PlaceVerdict::Fine | PlaceVerdict::NoFix { can_continue: false } => (ui::NoticeKind::NoGpsFix, String::new()),
        PlaceVerdict::NoFix { can_continue: true } => (ui::NoticeKind::PoorGpsFix, String::new()),
        PlaceVerdict::PoorFix { hdop_centi, satellites, accuracy_m } => {
            let hdop = crate::text::hdop_text(*hdop_centi).replace(", ", " · ");
            (ui::NoticeKind::PoorGpsFix, format!("{hdop}{satellites} sat · ±{accuracy_m} m"))
        }
        PlaceVerdict::Outside { distance_m, label } => {
            let distance = crate::text::distance_text(*distance_m);
            (ui::NoticeKind::OutsideArea, label.as_ref().map_or(distance.clone(), |l| format!("{distance} · {l}")))
        }
    };
    ui::Screen::Notice { kind, detail, can_retry: true }
}

/// The kiosk's input for a touch; `None` for what the kiosk does not act on (the language
/// toggle is the UI's own business; the network page is not offered).
pub fn input_of(event: ui::UiEvent) -> Option<Input> {
    use crate::flow::Event;
    Some(match event {
        ui::UiEvent::ChooseIn => Input::Flow(Event::Choose(Direction::In)),
        ui::UiEvent::ChooseOut => Input::Flow(Event::Choose(Direction::Out)),
        ui::UiEvent::Digit(d) => Input::Key(Key::Digit(d)),
        ui::UiEvent::Backspace => Input::Key(Key::Backspace),
        ui::UiEvent::Submit => Input::Key(Key::Enter),
        ui::UiEvent::Cancel => Input::Flow(Event::Cancel),
        ui::UiEvent::Retry => Input::Flow(Event::Retry),
        ui::UiEvent::Proceed => Input::Flow(Event::Proceed),
        ui::UiEvent::AdminMenu => Input::AdminMenu,
        ui::UiEvent::Admin(ui::AdminAction::Enrol) => Input::Admin(AdminChoice::Enrol),
        ui::UiEvent::Admin(ui::AdminAction::DeviceInfo | ui::AdminAction::Network) => Input::Admin(AdminChoice::DeviceInfo),
        ui::UiEvent::Admin(ui::AdminAction::SyncNow) => Input::Admin(AdminChoice::SyncNow),
        ui::UiEvent::Admin(ui::AdminAction::Exit) => Input::Admin(AdminChoice::Exit),
        ui::UiEvent::Language(_) => return None,
    })
}

/// The touchscreen as the runtime's [`Display`]. Made on the UI thread, used on the kiosk's.
pub struct UiDisplay {
    remote: ui::UiRemote,
    feed: ui::PreviewFeed,
    events: mpsc::Receiver<ui::UiEvent>,
    language: crate::config::Language,
    last: Option<ui::Screen>,
}

impl std::fmt::Debug for UiDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiDisplay").field("last", &self.last).finish_non_exhaustive()
    }
}

impl UiDisplay {
    /// Takes over the UI's events (touches now reach the kiosk, not another handler).
    pub fn new(ui: &ui::Ui, language: crate::config::Language) -> UiDisplay {
        UiDisplay { remote: ui.remote(), feed: ui.preview_feed(), events: ui.event_channel(), language, last: None }
    }

    /// The preview's counters (frames pushed, dropped, shown).
    pub fn preview_stats(&self) -> ui::FeedStats {
        self.feed.stats()
    }
}

impl Display for UiDisplay {
    fn show(&mut self, screen: &Screen, status: &Status) {
        tracing::info!(screen = %crate::text::screen_text(screen, self.language), queue = status.queue, "screen");
        let shown = ui_screen(screen, status);
        if self.last.as_ref() == Some(&shown) {
            return;
        }
        match self.remote.set_screen(shown.clone()) {
            Ok(()) => {
                // What the screen now shows, exactly (without the photo's pixels): a technician
                // reads what the person saw, and the QEMU test renders the same on the host.
                let photo = matches!(&shown, ui::Screen::Result { photo: Some(_), .. });
                match serde_json::to_string(&shown) {
                    Ok(json) => tracing::info!(photo, "touchscreen shows {json}"),
                    Err(e) => tracing::warn!(error = %e, "screen not describable"),
                }
                self.last = Some(shown);
            }
            Err(e) => tracing::error!(error = %e, "screen not shown"),
        }
    }

    fn poll(&mut self) -> Option<Input> {
        while let Ok(event) = self.events.try_recv() {
            if let Some(input) = input_of(event) {
                return Some(input);
            }
        }
        None
    }

    fn preview(&mut self, frame: &RgbImage) {
        if let Err(e) = self.feed.push(frame) {
            tracing::debug!(error = %e, "preview frame not shown");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Band, Employee, Mono};

    fn status() -> Status {
        Status {
            queue: 2,
            // 2026-11-30 (Monday) 01:12 UTC = 08:12 WIB.
            now_ms: 1_796_001_120_000,
            last_sync_ms: Some(1_796_001_000_000),
            mono: Mono(1_000),
            utc_offset_min: 420,
            pin_length: 6,
            office: "Kantor Pusat".into(),
            device_id: "PU-KTR-01".into(),
            ..Status::default()
        }
    }

    fn ani() -> Employee {
        Employee { id: "E1".into(), name: "Ani".into() }
    }

    #[test]
    fn screens_map_onto_the_ui() {
        let st = status();
        let refused = |reason, locked_until| {
            Screen::Result(Outcome::Refused { reason, employee: Some(ani()), direction: Direction::In, locked_until })
        };
        let recorded = Screen::Result(Outcome::Recorded {
            employee: ani(),
            direction: Direction::In,
            band: Band::NeedsConfirmation,
            score: 70.0,
            seq: 1,
            late_minutes: Some(42),
            marked_late: false,
        });
        let cases: Vec<(Screen, ui::Screen)> = vec![
            (Screen::Pin { direction: Direction::Out, typed: 3 }, ui::Screen::Pin { kind: ui::PinKind::Out, digits_entered: 3, max_digits: 6 }),
            (Screen::Busy, ui::Screen::Busy),
            (
                recorded,
                ui::Screen::Result {
                    name: "Ani".into(),
                    time: ui::ClockTime::new(8, 12),
                    kind: ui::RecordKind::In,
                    band: Band::NeedsConfirmation,
                    late_minutes: 42,
                    photo: None,
                },
            ),
            (
                refused(Refusal::FaceMismatch, None),
                ui::Screen::Result {
                    name: "Ani".into(),
                    time: ui::ClockTime::new(8, 12),
                    kind: ui::RecordKind::In,
                    band: Band::Rejected,
                    late_minutes: 0,
                    photo: None,
                },
            ),
            // Locked for 15 minutes from 08:12:00 (+ rounding up): try again at 08:27.
            (refused(Refusal::FaceMismatch, Some(Mono(1_000 + 15 * 60_000))), ui::Screen::Locked { until: ui::ClockTime::new(8, 27) }),
            (refused(Refusal::NoFace, None), ui::Screen::Notice { kind: ui::NoticeKind::NoFace, detail: String::new(), can_retry: true }),
            (
                Screen::Result(Outcome::Refused { reason: Refusal::UnknownPin, employee: None, direction: Direction::In, locked_until: None }),
                ui::Screen::Notice { kind: ui::NoticeKind::UnknownPin, detail: String::new(), can_retry: false },
            ),
            (Screen::NotEnrolled, ui::Screen::Notice { kind: ui::NoticeKind::NotEnrolled, detail: String::new(), can_retry: false }),
            (
                Screen::PlaceNotice {
                    employee: ani(),
                    verdict: PlaceVerdict::Outside { distance_m: 2_340, label: Some("Jalan Mengwi km 12".into()) },
                },
                ui::Screen::Notice { kind: ui::NoticeKind::OutsideArea, detail: "2.3 km · Jalan Mengwi km 12".into(), can_retry: true },
            ),
            (
                Screen::PlaceNotice {
                    employee: ani(),
                    verdict: PlaceVerdict::PoorFix { hdop_centi: Some(990), satellites: 3, accuracy_m: 60 },
                },
                ui::Screen::Notice { kind: ui::NoticeKind::PoorGpsFix, detail: "HDOP 9.9 · 3 sat · ±60 m".into(), can_retry: true },
            ),
            (
                Screen::PlaceNotice { employee: ani(), verdict: PlaceVerdict::NoFix { can_continue: false } },
                ui::Screen::Notice { kind: ui::NoticeKind::NoGpsFix, detail: String::new(), can_retry: true },
            ),
            (
                Screen::Admin,
                ui::Screen::AdminMenu {
                    device_id: "PU-KTR-01".into(),
                    app_version: String::new(),
                    queue_len: 2,
                    last_sync: Some(ui::ClockTime::new(8, 10)),
                },
            ),
        ];
        for (screen, want) in cases {
            assert_eq!(ui_screen(&screen, &st), want, "{screen:?}");
            assert_eq!(want.validate(), Ok(()));
        }
        match ui_screen(&Screen::Idle, &st) {
            ui::Screen::Idle { clock, date, online, queue_len, office, .. } => {
                // The last sync was two minutes ago: more than ONLINE_WITHIN_MS, shown offline.
                assert_eq!((clock, date.day, date.weekday, online, queue_len), (ui::ClockTime::new(8, 12), 30, ui::Weekday::Monday, false, 2));
                assert_eq!(office, "Kantor Pusat");
            }
            other => panic!("{other:?}"),
        }
        let recent = Status { last_sync_ms: Some(st.now_ms - 30_000), ..st.clone() };
        assert!(matches!(ui_screen(&Screen::Idle, &recent), ui::Screen::Idle { online: true, .. }));
        let admin_pin = Status { admin_pin: true, ..st };
        assert!(matches!(ui_screen(&Screen::Pin { direction: Direction::In, typed: 0 }, &admin_pin), ui::Screen::Pin { kind: ui::PinKind::Admin, .. }));
    }

    #[test]
    fn touches_and_keys_are_one_input() {
        use crate::flow::Event;
        let cases = [
            (ui::UiEvent::ChooseIn, Some(Input::Flow(Event::Choose(Direction::In)))),
            (ui::UiEvent::Digit(7), Some(Input::Key(Key::Digit(7)))),
            (ui::UiEvent::Backspace, Some(Input::Key(Key::Backspace))),
            (ui::UiEvent::Submit, Some(Input::Key(Key::Enter))),
            (ui::UiEvent::Cancel, Some(Input::Flow(Event::Cancel))),
            (ui::UiEvent::Retry, Some(Input::Flow(Event::Retry))),
            (ui::UiEvent::Proceed, Some(Input::Flow(Event::Proceed))),
            (ui::UiEvent::AdminMenu, Some(Input::AdminMenu)),
            (ui::UiEvent::Admin(ui::AdminAction::SyncNow), Some(Input::Admin(AdminChoice::SyncNow))),
            (ui::UiEvent::Language(ui::Language::English), None),
        ];
        for (event, want) in cases {
            assert_eq!(input_of(event), want, "{event:?}");
        }
    }
}
