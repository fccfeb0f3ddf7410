//! The view-model handle the kiosk drives: set a screen, switch language, receive events.
//!
//! [`Ui`] lives on the UI thread (Slint's rule). Other threads use [`UiRemote`] to set screens
//! and [`PreviewFeed`] to send frames; both hop onto the event loop. Mapping a [`Screen`] onto
//! the `.slint` globals is the only thing this module does with the data: it never decides
//! anything about attendance.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use slint::ComponentHandle;

use crate::event::{AdminAction, UiEvent};
use crate::generated as g;
use crate::language::Language;
use crate::preview::PreviewFeed;
use crate::screen::{
    Band, CalendarDate, ClockTime, DeviceMode, EnrolRefusal, EnrolScreen, ErrorKind, Guidance,
    NoticeKind, PinKind, RecordKind, Screen, Weekday,
};
use crate::UiError;

type Handler = Rc<RefCell<Option<Box<dyn FnMut(UiEvent)>>>>;

/// The touchscreen. Create it on the thread that runs the Slint event loop.
pub struct Ui {
    window: g::AppWindow,
    handler: Handler,
}

impl Ui {
    /// Creates the window (not yet shown) in Bahasa Indonesia, on the idle screen's defaults.
    ///
    /// The Slint platform must be available: a backend feature (`desktop`, `board`), or
    /// [`crate::headless::install`] called first.
    pub fn new() -> Result<Ui, UiError> {
        let window = g::AppWindow::new()?;
        let handler: Handler = Rc::new(RefCell::new(None));
        wire_callbacks(&window, &handler);
        let ui = Ui { window, handler };
        ui.set_language(Language::default())?;
        Ok(ui)
    }

    /// Shows `screen`. Values are validated first; nothing changes on error.
    pub fn set_screen(&self, screen: &Screen) -> Result<(), UiError> {
        screen.validate()?;
        apply(&self.window, screen);
        Ok(())
    }

    /// Switches every text to `language`.
    pub fn set_language(&self, language: Language) -> Result<(), UiError> {
        select_language(&self.window, language)
    }

    /// The language shown now.
    pub fn language(&self) -> Language {
        current_language(&self.window)
    }

    /// Sets the function that receives every [`UiEvent`] (on the UI thread), replacing any
    /// previous one.
    pub fn on_event(&self, handler: impl FnMut(UiEvent) + 'static) {
        *self.handler.borrow_mut() = Some(Box::new(handler));
    }

    /// Sends every [`UiEvent`] to the returned channel instead (for a flow on another thread).
    pub fn event_channel(&self) -> mpsc::Receiver<UiEvent> {
        let (tx, rx) = mpsc::channel();
        // A closed receiver only means nobody listens any more; the UI keeps running.
        self.on_event(move |event| {
            let _ = tx.send(event);
        });
        rx
    }

    /// A sender of camera frames for the capture thread.
    pub fn preview_feed(&self) -> PreviewFeed {
        PreviewFeed::new(self.window.as_weak())
    }

    /// Shows a frame in the preview right away (UI thread; for stills, screenshots and tests).
    pub fn show_frame(&self, frame: &image::RgbImage) -> Result<(), UiError> {
        let (width, height) = frame.dimensions();
        if width == 0 || height == 0 {
            return Err(UiError::Frame { width, height });
        }
        let buffer = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(frame.as_raw(), width, height);
        crate::preview::show(&self.window, buffer);
        Ok(())
    }

    /// A handle for other threads.
    pub fn remote(&self) -> UiRemote {
        UiRemote { window: self.window.as_weak() }
    }

    /// The Slint window (size, show/hide, rendering in headless mode).
    pub fn window(&self) -> &slint::Window {
        self.window.window()
    }

    /// The generated Slint component, for tests that query elements through Slint's testing API.
    pub fn component(&self) -> &g::AppWindow {
        &self.window
    }

    /// Shows the window and runs the event loop until [`UiRemote::quit`] or the window closes.
    pub fn run(&self) -> Result<(), UiError> {
        self.window.run()?;
        Ok(())
    }
}

/// Drives the [`Ui`] from another thread; every call hops onto the UI's event loop.
#[derive(Clone)]
pub struct UiRemote {
    window: slint::Weak<g::AppWindow>,
}

impl UiRemote {
    /// Shows `screen` (validated here, applied on the UI thread).
    pub fn set_screen(&self, screen: Screen) -> Result<(), UiError> {
        screen.validate()?;
        self.window.upgrade_in_event_loop(move |window| apply(&window, &screen))?;
        Ok(())
    }

    /// Switches the language. A failure to select (a build problem) is logged by Slint.
    pub fn set_language(&self, language: Language) -> Result<(), UiError> {
        self.window.upgrade_in_event_loop(move |window| {
            // Translations are compiled in and checked when the Ui is created; a failure here
            // would already have failed `Ui::new`.
            let _ = select_language(&window, language);
        })?;
        Ok(())
    }

    /// Ends the event loop (the kiosk is shutting down).
    pub fn quit(&self) -> Result<(), UiError> {
        slint::quit_event_loop()?;
        Ok(())
    }
}

fn wire_callbacks(window: &g::AppWindow, handler: &Handler) {
    let kiosk = window.global::<g::Kiosk>();
    let emit = {
        let handler = Rc::clone(handler);
        move |event: UiEvent| {
            // Take the handler out while it runs, so that it may call back into the Ui.
            let taken = handler.borrow_mut().take();
            if let Some(mut f) = taken {
                f(event);
                let mut slot = handler.borrow_mut();
                if slot.is_none() {
                    *slot = Some(f);
                }
            }
        }
    };
    let e = emit.clone();
    kiosk.on_choose(move |d| {
        e(match d {
            g::Direction::CheckIn => UiEvent::ChooseIn,
            g::Direction::CheckOut => UiEvent::ChooseOut,
        })
    });
    let e = emit.clone();
    kiosk.on_digit(move |d| {
        if let Ok(d @ 0..=9) = u8::try_from(d) {
            e(UiEvent::Digit(d));
        }
    });
    let e = emit.clone();
    kiosk.on_backspace(move || e(UiEvent::Backspace));
    let e = emit.clone();
    kiosk.on_submit(move || e(UiEvent::Submit));
    let e = emit.clone();
    kiosk.on_cancel(move || e(UiEvent::Cancel));
    let e = emit.clone();
    kiosk.on_retry(move || e(UiEvent::Retry));
    let e = emit.clone();
    kiosk.on_proceed(move || e(UiEvent::Proceed));
    let e = emit.clone();
    kiosk.on_open_admin(move || e(UiEvent::AdminMenu));
    let e = emit.clone();
    kiosk.on_admin(move |a| {
        e(UiEvent::Admin(match a {
            g::AdminAction::Enrol => AdminAction::Enrol,
            g::AdminAction::DeviceInfo => AdminAction::DeviceInfo,
            g::AdminAction::SyncNow => AdminAction::SyncNow,
            g::AdminAction::Network => AdminAction::Network,
            g::AdminAction::Exit => AdminAction::Exit,
        }))
    });
    let e = emit;
    let weak = window.as_weak();
    kiosk.on_toggle_language(move || {
        if let Some(window) = weak.upgrade() {
            let next = current_language(&window).other();
            if select_language(&window, next).is_ok() {
                e(UiEvent::Language(next));
            }
        }
    });
}

fn current_language(window: &g::AppWindow) -> Language {
    Language::from_code(&window.global::<g::Kiosk>().get_language()).unwrap_or_default()
}

fn select_language(window: &g::AppWindow, language: Language) -> Result<(), UiError> {
    slint::select_bundled_translation(language.code()).map_err(|e| UiError::Translation {
        code: language.code(),
        detail: e.to_string(),
    })?;
    window.global::<g::Kiosk>().set_language(language.code().into());
    Ok(())
}

fn clock(t: ClockTime) -> g::ClockTime {
    g::ClockTime { hour: t.hour.into(), minute: t.minute.into() }
}

fn date(d: CalendarDate) -> g::CalendarDate {
    let weekday = match d.weekday {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    };
    g::CalendarDate { year: d.year, month: d.month.into(), day: d.day.into(), weekday }
}

fn direction(kind: RecordKind) -> g::Direction {
    match kind {
        RecordKind::In => g::Direction::CheckIn,
        RecordKind::Out => g::Direction::CheckOut,
    }
}

fn guidance(guidance: Guidance) -> g::Guidance {
    match guidance {
        Guidance::HoldStill => g::Guidance::HoldStill,
        Guidance::NoFace => g::Guidance::NoFace,
        Guidance::MoveCloser => g::Guidance::MoveCloser,
        Guidance::MoveBack => g::Guidance::MoveBack,
        Guidance::TooDark => g::Guidance::TooDark,
        Guidance::TooBright => g::Guidance::TooBright,
        Guidance::LookAtCamera => g::Guidance::LookAtCamera,
        Guidance::MultipleFaces => g::Guidance::MultipleFaces,
        Guidance::Blurry => g::Guidance::Blurry,
        Guidance::OpenEyes => g::Guidance::OpenEyes,
        Guidance::CenterFace => g::Guidance::CenterFace,
        Guidance::Checking => g::Guidance::Checking,
    }
}

/// Maps a validated screen onto the globals, then switches to it.
fn apply(window: &g::AppWindow, screen: &Screen) {
    let id = match screen {
        Screen::Idle { clock: now, date: today, office, mode, online, queue_len, last_sync } => {
            let s = window.global::<g::IdleState>();
            s.set_clock(clock(*now));
            s.set_date(date(*today));
            s.set_office(office.as_str().into());
            s.set_mode(match mode {
                DeviceMode::Office => g::DeviceMode::Office,
                DeviceMode::Field => g::DeviceMode::Field,
            });
            s.set_online(*online);
            s.set_queue_len(i32::try_from(*queue_len).unwrap_or(i32::MAX));
            s.set_has_synced(last_sync.is_some());
            s.set_last_sync(clock(last_sync.unwrap_or_default()));
            g::ScreenId::Idle
        }
        Screen::Choose => g::ScreenId::Choose,
        Screen::Pin { kind, digits_entered, max_digits } => {
            let s = window.global::<g::PinState>();
            s.set_purpose(match kind {
                PinKind::In => g::PinPurpose::CheckIn,
                PinKind::Out => g::PinPurpose::CheckOut,
                PinKind::Admin => g::PinPurpose::Admin,
            });
            s.set_digits((*digits_entered).into());
            s.set_max_digits((*max_digits).into());
            g::ScreenId::Pin
        }
        Screen::Capture { kind, guidance: advice, face } => {
            let s = window.global::<g::CaptureState>();
            s.set_direction(direction(*kind));
            s.set_guidance(guidance(*advice));
            s.set_face_visible(face.is_some());
            if let Some(f) = face {
                s.set_face_x(f.x);
                s.set_face_y(f.y);
                s.set_face_w(f.width);
                s.set_face_h(f.height);
                s.set_face_ok(f.ok);
            }
            g::ScreenId::Capture
        }
        Screen::Result { name, time, kind, band, late_minutes, photo } => {
            let s = window.global::<g::ResultState>();
            s.set_name(name.as_str().into());
            s.set_time(clock(*time));
            s.set_direction(direction(*kind));
            s.set_band(match band {
                Band::Valid => g::Band::Valid,
                Band::NeedsConfirmation => g::Band::NeedsConfirmation,
                Band::Rejected => g::Band::Rejected,
            });
            s.set_late_minutes(i32::try_from(*late_minutes).unwrap_or(i32::MAX));
            match photo.as_ref().filter(|p| p.width() > 0 && p.height() > 0) {
                Some(p) => {
                    let buffer = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(
                        p.as_raw(),
                        p.width(),
                        p.height(),
                    );
                    s.set_photo(slint::Image::from_rgb8(buffer));
                    s.set_has_photo(true);
                }
                None => {
                    s.set_photo(slint::Image::default());
                    s.set_has_photo(false);
                }
            }
            g::ScreenId::Result
        }
        Screen::Locked { until } => {
            window.global::<g::LockedState>().set_until(clock(*until));
            g::ScreenId::Locked
        }
        Screen::AdminMenu { device_id, app_version, queue_len, last_sync } => {
            let s = window.global::<g::AdminState>();
            s.set_device_id(device_id.as_str().into());
            s.set_app_version(app_version.as_str().into());
            s.set_queue_len(i32::try_from(*queue_len).unwrap_or(i32::MAX));
            s.set_has_synced(last_sync.is_some());
            s.set_last_sync(clock(last_sync.unwrap_or_default()));
            g::ScreenId::AdminMenu
        }
        Screen::Busy => g::ScreenId::Busy,
        Screen::Notice { kind, detail, can_retry } => {
            let s = window.global::<g::NoticeState>();
            s.set_kind(match kind {
                NoticeKind::UnknownPin => g::NoticeKind::UnknownPin,
                NoticeKind::NoFace => g::NoticeKind::NoFace,
                NoticeKind::NotLive => g::NoticeKind::NotLive,
                NoticeKind::NoGpsFix => g::NoticeKind::NoGpsFix,
                NoticeKind::DeviceFault => g::NoticeKind::DeviceFault,
                NoticeKind::NotEnrolled => g::NoticeKind::NotEnrolled,
                NoticeKind::SyncStarted => g::NoticeKind::SyncStarted,
                NoticeKind::OutsideArea => g::NoticeKind::OutsideArea,
                NoticeKind::PoorGpsFix => g::NoticeKind::PoorGpsFix,
            });
            s.set_detail(detail.as_str().into());
            s.set_can_retry(*can_retry);
            g::ScreenId::Notice
        }
        Screen::Enrol(step) => {
            let s = window.global::<g::EnrolState>();
            match step {
                EnrolScreen::EmployeeNumber { typed } => {
                    s.set_step(g::EnrolStep::EmployeeNumber);
                    s.set_employee(typed.as_str().into());
                }
                EnrolScreen::Capturing { employee, captured, needed, guidance: advice } => {
                    s.set_step(g::EnrolStep::Capturing);
                    s.set_employee(employee.as_str().into());
                    s.set_captured((*captured).into());
                    s.set_needed((*needed).into());
                    s.set_guidance(guidance(*advice));
                }
                EnrolScreen::Done { employee, name, sent } => {
                    s.set_step(g::EnrolStep::Done);
                    s.set_employee(employee.as_str().into());
                    s.set_name(name.as_str().into());
                    s.set_sent(*sent);
                }
                EnrolScreen::Refused { employee, reason, detail } => {
                    s.set_step(g::EnrolStep::Refused);
                    s.set_employee(employee.as_str().into());
                    s.set_refusal(match reason {
                        EnrolRefusal::TooFewImages => g::EnrolRefusal::TooFewImages,
                        EnrolRefusal::NotOnePerson => g::EnrolRefusal::NotOnePerson,
                        EnrolRefusal::Duplicate => g::EnrolRefusal::Duplicate,
                        EnrolRefusal::UnknownEmployee => g::EnrolRefusal::UnknownEmployee,
                        EnrolRefusal::DeviceFault => g::EnrolRefusal::DeviceFault,
                    });
                    s.set_detail(detail.as_str().into());
                }
            }
            g::ScreenId::Enrol
        }
        Screen::Error { kind, detail } => {
            let s = window.global::<g::ErrorState>();
            s.set_kind(match kind {
                ErrorKind::CameraMissing => g::ErrorKind::CameraMissing,
                ErrorKind::ModelsMissing => g::ErrorKind::ModelsMissing,
                ErrorKind::StorageFailed => g::ErrorKind::StorageFailed,
                ErrorKind::ConfigInvalid => g::ErrorKind::ConfigInvalid,
            });
            s.set_detail(detail.as_str().into());
            g::ScreenId::Error
        }
    };
    window.global::<g::Kiosk>().set_screen(id);
}
