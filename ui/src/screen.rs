//! The screens as plain data: what the kiosk asks the touchscreen to show.
//!
//! These types know nothing of Slint, so the kiosk's flow can build and test them without a
//! window. Every text a person reads is produced by the `.slint` files from these values
//! (translated there); only proper names and technical details travel as strings.

use image::RgbImage;

/// Which attendance record the person is making.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RecordKind {
    /// MASUK: arriving.
    In,
    /// PULANG: going home.
    Out,
}

/// What a PIN is being entered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PinKind {
    /// The employee's PIN before an IN record.
    In,
    /// The employee's PIN before an OUT record.
    Out,
    /// The administrator's PIN before the admin menu.
    Admin,
}

impl From<RecordKind> for PinKind {
    fn from(kind: RecordKind) -> Self {
        match kind {
            RecordKind::In => PinKind::In,
            RecordKind::Out => PinKind::Out,
        }
    }
}

/// The device's mode (DESIGN.md: one firmware, the mode is configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DeviceMode {
    /// A wall kiosk in an office.
    Office,
    /// A unit carried in the field, with GPS.
    Field,
}

/// The decision band of a face match (DESIGN.md: ≥ 80 % valid, 50 – < 80 % needs
/// confirmation, < 50 % rejected): the protocol's type, shared with the kiosk and the models.
/// The kiosk decides the band; the UI only colours it (valid green, "menunggu konfirmasi"
/// amber, rejected red).
pub use hadir_protocol::Band;

/// What the person in front of the camera should do. The kiosk maps the face quality gate's
/// reasons (from `hadir-models`) onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Guidance {
    /// The frame is good: "Tahan posisi".
    HoldStill,
    /// "Tidak ada wajah".
    NoFace,
    /// The face is too small: "Mendekat".
    MoveCloser,
    /// The face is too large or cut off: "Mundur sedikit".
    MoveBack,
    /// "Terlalu gelap".
    TooDark,
    /// "Terlalu terang".
    TooBright,
    /// The head is turned away: "Lihat ke kamera".
    LookAtCamera,
    /// "Wajah lebih dari satu".
    MultipleFaces,
    /// Motion blur or focus: "Buram, tahan posisi".
    Blurry,
    /// "Buka mata".
    OpenEyes,
    /// The face is outside the guide oval: "Posisikan wajah di dalam oval".
    CenterFace,
    /// Frames are being verified: "Memeriksa…".
    Checking,
}

impl Guidance {
    /// Every variant, for galleries and exhaustive tests.
    pub const ALL: [Guidance; 12] = [
        Guidance::HoldStill,
        Guidance::NoFace,
        Guidance::MoveCloser,
        Guidance::MoveBack,
        Guidance::TooDark,
        Guidance::TooBright,
        Guidance::LookAtCamera,
        Guidance::MultipleFaces,
        Guidance::Blurry,
        Guidance::OpenEyes,
        Guidance::CenterFace,
        Guidance::Checking,
    ];
}

/// Why the kiosk cannot work; the error screen tells the technician what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// No camera at the configured device path.
    CameraMissing,
    /// The ONNX face models are not in the models folder.
    ModelsMissing,
    /// The local store cannot be opened or written.
    StorageFailed,
    /// The configuration file is invalid.
    ConfigInvalid,
}

/// Why nothing was recorded, or what the kiosk says between steps (the notice screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NoticeKind {
    /// The PIN belongs to nobody.
    UnknownPin,
    /// No usable face was seen (a retry may help).
    NoFace,
    /// The face was not verified as a live person.
    NotLive,
    /// A field record needs a GPS fix and there is none.
    NoGpsFix,
    /// The store or signing failed.
    DeviceFault,
    /// The device is not enrolled with the server: it makes no records.
    NotEnrolled,
    /// The administrator asked for a sync now.
    SyncStarted,
    /// Before the face step: the device is outside the area where the employee is expected
    /// today (the detail says how far, and which assignment); the person may go on.
    OutsideArea,
    /// Before the face step: the GPS fix is too poor to place the person (the detail gives its
    /// figures); the person may go on.
    PoorGpsFix,
}

/// Why an enrolment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EnrolRefusal {
    /// Too few photos with one usable, live face.
    TooFewImages,
    /// The photos are not of one person.
    NotOnePerson,
    /// The face already verifies as another employee (named in the detail).
    Duplicate,
    /// The employee number is not in the roster.
    UnknownEmployee,
    /// The store, the face pipeline or the upload failed.
    DeviceFault,
}

/// The steps of a face enrolment at the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EnrolScreen {
    /// The administrator types the employee number.
    EmployeeNumber {
        /// Digits typed so far.
        typed: String,
    },
    /// Photos are being taken (the preview shows the camera).
    Capturing {
        /// The employee number.
        employee: String,
        /// Photos taken.
        captured: u8,
        /// Photos needed.
        needed: u8,
        /// What the person should do.
        guidance: Guidance,
    },
    /// Enrolled.
    Done {
        /// The employee number.
        employee: String,
        /// The employee's name, shown as given.
        name: String,
        /// Whether the server already has the template (otherwise it is sent when online).
        sent: bool,
    },
    /// Refused.
    Refused {
        /// The employee number.
        employee: String,
        /// Why.
        reason: EnrolRefusal,
        /// For [`EnrolRefusal::Duplicate`]: who the face belongs to; else a technical detail.
        detail: String,
    },
}

/// A wall-clock time of day, local to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct ClockTime {
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
}

impl ClockTime {
    /// A time of day.
    pub const fn new(hour: u8, minute: u8) -> Self {
        ClockTime { hour, minute }
    }
}

/// Day of the week; the UI names it in the current language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Weekday {
    /// Senin.
    Monday,
    /// Selasa.
    Tuesday,
    /// Rabu.
    Wednesday,
    /// Kamis.
    Thursday,
    /// Jumat.
    Friday,
    /// Sabtu.
    Saturday,
    /// Minggu.
    Sunday,
}

/// A calendar date, local to the device; the UI names month and weekday in the current language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CalendarDate {
    /// The year, e.g. 2026.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// The day of the week.
    pub weekday: Weekday,
}

/// Where the detected face is, as fractions (0–1) of the preview frame's width and height.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// Whether this face passes the quality gate (green box) or not (amber box).
    pub ok: bool,
}

/// One screen and everything it shows. The kiosk sets it with [`crate::Ui::set_screen`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Screen {
    /// Waiting for the next person.
    Idle {
        /// The time now.
        clock: ClockTime,
        /// Today.
        date: CalendarDate,
        /// The office's name, shown as given.
        office: String,
        /// Office or field unit.
        mode: DeviceMode,
        /// Whether the central server is reachable.
        online: bool,
        /// Records waiting in the outbox.
        queue_len: u32,
        /// When records last reached the server, if ever.
        last_sync: Option<ClockTime>,
    },
    /// Choose IN or OUT (when the flow starts without a choice, e.g. from the keypad).
    Choose,
    /// PIN entry with masked digits.
    Pin {
        /// What the PIN is for.
        kind: PinKind,
        /// How many digits are entered so far (shown as filled dots).
        digits_entered: u8,
        /// How many dots to show (the PIN length), 1–12.
        max_digits: u8,
    },
    /// The camera preview with guidance; frames arrive through [`crate::PreviewFeed`].
    Capture {
        /// IN or OUT, shown as the title.
        kind: RecordKind,
        /// What the person should do.
        guidance: Guidance,
        /// The detected face, if any.
        face: Option<FaceBox>,
    },
    /// What was recorded (or why not).
    Result {
        /// The employee's name, shown as given.
        name: String,
        /// The record's local time.
        time: ClockTime,
        /// IN or OUT.
        kind: RecordKind,
        /// The decision band.
        band: Band,
        /// Minutes after the scheduled start; 0 shows "tepat waktu" for IN records.
        late_minutes: u32,
        /// The evidence photo, if one was taken (not in the screen's JSON form, which names
        /// what is shown for logs and reference renderings; a photo is set apart).
        #[serde(skip)]
        photo: Option<RgbImage>,
    },
    /// The PIN is locked after too many failures.
    Locked {
        /// When the lock ends.
        until: ClockTime,
    },
    /// The administrator's menu (with the device's information).
    AdminMenu {
        /// This device's identifier.
        device_id: String,
        /// The firmware version.
        app_version: String,
        /// Records waiting in the outbox.
        queue_len: u32,
        /// When records last reached the server, if ever.
        last_sync: Option<ClockTime>,
    },
    /// A short wait (checking a PIN, saving a record).
    Busy,
    /// Why nothing was recorded, or what happens next.
    Notice {
        /// What to say.
        kind: NoticeKind,
        /// Shown verbatim under the text (may be empty).
        detail: String,
        /// Whether a "try again" button is offered.
        can_retry: bool,
    },
    /// Face enrolment by an administrator.
    Enrol(EnrolScreen),
    /// The kiosk cannot work until a technician acts.
    Error {
        /// What is wrong.
        kind: ErrorKind,
        /// The technical detail the fix needs (a device path, a folder), shown verbatim.
        detail: String,
    },
}

/// Why a [`Screen`] value cannot be shown.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidScreen {
    /// A clock time out of range.
    #[error("{field}: {hour:02}:{minute:02} is not a time of day (hour 0-23, minute 0-59)")]
    Clock {
        /// Which field.
        field: &'static str,
        /// The hour given.
        hour: u8,
        /// The minute given.
        minute: u8,
    },
    /// A date out of range.
    #[error("date {year}-{month:02}-{day:02} is not a calendar date (month 1-12, day 1-31)")]
    Date {
        /// The year given.
        year: i32,
        /// The month given.
        month: u8,
        /// The day given.
        day: u8,
    },
    /// PIN digits out of range.
    #[error("PIN: {digits_entered} digits entered of {max_digits} (need 1 <= max <= 12 and entered <= max)")]
    Pin {
        /// Digits entered.
        digits_entered: u8,
        /// PIN length.
        max_digits: u8,
    },
    /// A face box outside the frame or not finite.
    #[error("face box {x},{y} {width}x{height} is not inside the frame (fractions 0-1)")]
    FaceBox {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        width: f32,
        /// Height.
        height: f32,
    },
}

fn check_clock(field: &'static str, t: ClockTime) -> Result<(), InvalidScreen> {
    if t.hour < 24 && t.minute < 60 {
        Ok(())
    } else {
        Err(InvalidScreen::Clock { field, hour: t.hour, minute: t.minute })
    }
}

impl Screen {
    /// Checks that every value is in range, so a bug in the caller shows as an error instead of
    /// a wrong picture.
    pub fn validate(&self) -> Result<(), InvalidScreen> {
        match self {
            Screen::Idle { clock, date, last_sync, .. } => {
                check_clock("idle clock", *clock)?;
                if let Some(t) = last_sync {
                    check_clock("last sync", *t)?;
                }
                if !(1..=12).contains(&date.month) || !(1..=31).contains(&date.day) {
                    return Err(InvalidScreen::Date { year: date.year, month: date.month, day: date.day });
                }
                Ok(())
            }
            Screen::Pin { digits_entered, max_digits, .. } => {
                if (1..=12).contains(max_digits) && digits_entered <= max_digits {
                    Ok(())
                } else {
                    Err(InvalidScreen::Pin { digits_entered: *digits_entered, max_digits: *max_digits })
                }
            }
            Screen::Capture { face: Some(f), .. } => {
                let inside = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
                if inside(f.x) && inside(f.y) && inside(f.width) && inside(f.height)
                    && f.x + f.width <= 1.0 + 1e-3 && f.y + f.height <= 1.0 + 1e-3
                {
                    Ok(())
                } else {
                    Err(InvalidScreen::FaceBox { x: f.x, y: f.y, width: f.width, height: f.height })
                }
            }
            Screen::Result { time, .. } => check_clock("result time", *time),
            Screen::Locked { until } => check_clock("locked until", *until),
            Screen::AdminMenu { last_sync: Some(t), .. } => check_clock("last sync", *t),
            Screen::Choose
            | Screen::Capture { face: None, .. }
            | Screen::AdminMenu { last_sync: None, .. }
            | Screen::Error { .. }
            | Screen::Busy
            | Screen::Notice { .. }
            | Screen::Enrol(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(month: u8, day: u8) -> CalendarDate {
        CalendarDate { year: 2026, month, day, weekday: Weekday::Saturday }
    }

    fn idle(clock: ClockTime, date: CalendarDate, last_sync: Option<ClockTime>) -> Screen {
        Screen::Idle {
            clock,
            date,
            office: "Kantor".into(),
            mode: DeviceMode::Office,
            online: true,
            queue_len: 0,
            last_sync,
        }
    }

    fn face(x: f32, y: f32, width: f32, height: f32) -> Screen {
        Screen::Capture {
            kind: RecordKind::In,
            guidance: Guidance::HoldStill,
            face: Some(FaceBox { x, y, width, height, ok: true }),
        }
    }

    #[test]
    fn validation_table() {
        let cases: Vec<(Screen, bool)> = vec![
            (idle(ClockTime::new(0, 0), date(1, 1), None), true),
            (idle(ClockTime::new(23, 59), date(12, 31), Some(ClockTime::new(23, 59))), true),
            (idle(ClockTime::new(24, 0), date(1, 1), None), false),
            (idle(ClockTime::new(7, 60), date(1, 1), None), false),
            (idle(ClockTime::new(7, 0), date(0, 1), None), false),
            (idle(ClockTime::new(7, 0), date(13, 1), None), false),
            (idle(ClockTime::new(7, 0), date(2, 0), None), false),
            (idle(ClockTime::new(7, 0), date(2, 1), Some(ClockTime::new(25, 0))), false),
            (Screen::Pin { kind: PinKind::In, digits_entered: 0, max_digits: 6 }, true),
            (Screen::Pin { kind: PinKind::In, digits_entered: 6, max_digits: 6 }, true),
            (Screen::Pin { kind: PinKind::In, digits_entered: 7, max_digits: 6 }, false),
            (Screen::Pin { kind: PinKind::Admin, digits_entered: 0, max_digits: 0 }, false),
            (Screen::Pin { kind: PinKind::Admin, digits_entered: 0, max_digits: 13 }, false),
            (face(0.3, 0.2, 0.4, 0.5), true),
            (face(0.0, 0.0, 1.0, 1.0), true),
            (face(0.7, 0.2, 0.4, 0.5), false),
            (face(-0.1, 0.2, 0.4, 0.5), false),
            (face(f32::NAN, 0.2, 0.4, 0.5), false),
            (Screen::Locked { until: ClockTime::new(8, 15) }, true),
            (Screen::Locked { until: ClockTime::new(8, 99) }, false),
            (Screen::Choose, true),
        ];
        for (screen, ok) in cases {
            assert_eq!(screen.validate().is_ok(), ok, "{screen:?}");
        }
    }

    #[test]
    fn pin_kind_follows_record_kind() {
        assert_eq!(PinKind::from(RecordKind::In), PinKind::In);
        assert_eq!(PinKind::from(RecordKind::Out), PinKind::Out);
    }
}
