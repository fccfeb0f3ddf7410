//! Example data for every screen: the screenshots, the tests and the desktop preview use it.
//!
//! The pictures are drawn here (a simple face-like figure), so screenshots do not depend on
//! personal data or files outside the crate.

use image::{Rgb, RgbImage};

use crate::screen::{
    Band, CalendarDate, ClockTime, DeviceMode, EnrolRefusal, EnrolScreen, ErrorKind, FaceBox,
    Guidance, NoticeKind, PinKind, RecordKind, Screen, Weekday,
};

/// One named example screen.
#[derive(Debug, Clone)]
pub struct Example {
    /// A file-name-friendly name, e.g. `result-valid-late`.
    pub name: &'static str,
    /// The screen.
    pub screen: Screen,
    /// A camera frame for the preview, if the screen shows one.
    pub frame: Option<RgbImage>,
}

/// The idle screen of a Saturday morning at the main office.
pub fn idle() -> Screen {
    Screen::Idle {
        clock: ClockTime::new(7, 42),
        date: CalendarDate { year: 2026, month: 11, day: 28, weekday: Weekday::Saturday },
        office: "Dinas Pekerjaan Umum — Kantor Pusat".into(),
        mode: DeviceMode::Office,
        online: true,
        queue_len: 0,
        last_sync: Some(ClockTime::new(7, 40)),
    }
}

fn result(band: Band, late_minutes: u32, kind: RecordKind) -> Screen {
    Screen::Result {
        name: "Siti Rahmawati".into(),
        time: ClockTime::new(8, 12),
        kind,
        band,
        late_minutes,
        photo: Some(face_picture(240, 288)),
    }
}

/// Every screen in its characteristic states.
pub fn examples() -> Vec<Example> {
    let still = |name, screen| Example { name, screen, frame: None };
    let capture = |name, guidance, face: Option<FaceBox>| Example {
        name,
        screen: Screen::Capture { kind: RecordKind::In, guidance, face },
        frame: Some(face_picture(640, 480)),
    };
    let centred = FaceBox { x: 0.36, y: 0.2, width: 0.28, height: 0.5, ok: true };
    vec![
        still("idle", idle()),
        still(
            "idle-field-offline",
            Screen::Idle {
                clock: ClockTime::new(16, 5),
                date: CalendarDate { year: 2026, month: 12, day: 1, weekday: Weekday::Tuesday },
                office: "Unit Lapangan 07 — Jalan Lingkar Utara".into(),
                mode: DeviceMode::Field,
                online: false,
                queue_len: 14,
                last_sync: None,
            },
        ),
        still("choose", Screen::Choose),
        still("pin-empty", Screen::Pin { kind: PinKind::In, digits_entered: 0, max_digits: 6 }),
        still("pin-three-digits", Screen::Pin { kind: PinKind::Out, digits_entered: 3, max_digits: 6 }),
        still("pin-admin", Screen::Pin { kind: PinKind::Admin, digits_entered: 5, max_digits: 8 }),
        capture("capture-hold-still", Guidance::HoldStill, Some(centred)),
        capture(
            "capture-move-closer",
            Guidance::MoveCloser,
            Some(FaceBox { x: 0.45, y: 0.35, width: 0.12, height: 0.2, ok: false }),
        ),
        capture("capture-no-face", Guidance::NoFace, None),
        still("result-valid-late", result(Band::Valid, 12, RecordKind::In)),
        still("result-valid-on-time", result(Band::Valid, 0, RecordKind::In)),
        still("result-valid-out", result(Band::Valid, 0, RecordKind::Out)),
        still("result-needs-confirmation", result(Band::NeedsConfirmation, 3, RecordKind::In)),
        still("result-rejected", result(Band::Rejected, 0, RecordKind::In)),
        still("locked", Screen::Locked { until: ClockTime::new(8, 45) }),
        still(
            "admin-menu",
            Screen::AdminMenu {
                device_id: "PU-KTR-01".into(),
                app_version: env!("CARGO_PKG_VERSION").into(),
                queue_len: 3,
                last_sync: Some(ClockTime::new(7, 40)),
            },
        ),
        still("busy", Screen::Busy),
        still(
            "notice-unknown-pin",
            Screen::Notice { kind: NoticeKind::UnknownPin, detail: String::new(), can_retry: false },
        ),
        still(
            "notice-no-face",
            Screen::Notice { kind: NoticeKind::NoFace, detail: String::new(), can_retry: true },
        ),
        still(
            "notice-outside-area",
            Screen::Notice { kind: NoticeKind::OutsideArea, detail: "2.3 km · Jalan Mengwi km 12".into(), can_retry: true },
        ),
        still(
            "notice-not-enrolled",
            Screen::Notice { kind: NoticeKind::NotEnrolled, detail: String::new(), can_retry: false },
        ),
        still("enrol-number", Screen::Enrol(EnrolScreen::EmployeeNumber { typed: "19850312".into() })),
        Example {
            name: "enrol-capturing",
            screen: Screen::Enrol(EnrolScreen::Capturing {
                employee: "198503122010011004".into(),
                captured: 2,
                needed: 5,
                guidance: Guidance::HoldStill,
            }),
            frame: Some(face_picture(640, 480)),
        },
        still(
            "enrol-done",
            Screen::Enrol(EnrolScreen::Done {
                employee: "198503122010011004".into(),
                name: "Siti Rahmawati".into(),
                sent: true,
            }),
        ),
        still(
            "enrol-duplicate",
            Screen::Enrol(EnrolScreen::Refused {
                employee: "198503122010011004".into(),
                reason: EnrolRefusal::Duplicate,
                detail: "Budi Santoso (197911052005011002)".into(),
            }),
        ),
        still(
            "error-camera",
            Screen::Error { kind: ErrorKind::CameraMissing, detail: "/dev/video0".into() },
        ),
        still(
            "error-models",
            Screen::Error { kind: ErrorKind::ModelsMissing, detail: "/opt/hadir/models/onnx".into() },
        ),
        still(
            "error-storage",
            Screen::Error { kind: ErrorKind::StorageFailed, detail: "/data/hadir/kiosk.sqlite".into() },
        ),
        still(
            "error-config",
            Screen::Error { kind: ErrorKind::ConfigInvalid, detail: "/etc/hadir/kiosk.toml".into() },
        ),
    ]
}

/// A face-like picture (background, hair, face, eyes, mouth) of the given size.
pub fn face_picture(width: u32, height: u32) -> RgbImage {
    face_picture_at(width, height, 0)
}

/// The same picture with the head shifted by `phase` (frames of a moving head), for benchmarks.
pub fn face_picture_at(width: u32, height: u32, phase: u32) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let shift = ((phase as f32) * 0.2).sin() * w * 0.03;
    let (cx, cy) = (w * 0.5 + shift, h * 0.45);
    let (rx, ry) = (w.min(h * 4.0 / 3.0) * 0.14, h * 0.25);
    let inside = |x: f32, y: f32, ex: f32, ey: f32, ax: f32, ay: f32| {
        let (dx, dy) = ((x - ex) / ax, (y - ey) / ay);
        dx * dx + dy * dy <= 1.0
    };
    RgbImage::from_fn(width, height, |px, py| {
        let (x, y) = (px as f32 + 0.5, py as f32 + 0.5);
        let shade = (y / h * 60.0) as u8;
        let mut c = Rgb([70 + shade / 2, 90 + shade / 2, 110 + shade]);
        // Shoulders.
        if inside(x, y, cx, h * 1.05, rx * 2.6, h * 0.3) {
            c = Rgb([40, 70, 120]);
        }
        // Hair, then the face over it.
        if inside(x, y, cx, cy - ry * 0.15, rx * 1.12, ry * 1.05) {
            c = Rgb([35, 28, 24]);
        }
        if inside(x, y, cx, cy + ry * 0.08, rx, ry * 0.92) {
            c = Rgb([214, 170, 135]);
        }
        for ex in [cx - rx * 0.4, cx + rx * 0.4] {
            if inside(x, y, ex, cy - ry * 0.05, rx * 0.16, ry * 0.07) {
                c = Rgb([40, 30, 30]);
            }
        }
        if inside(x, y, cx, cy + ry * 0.5, rx * 0.35, ry * 0.06) {
            c = Rgb([150, 70, 70]);
        }
        c
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_and_cover_every_screen() {
        let examples = examples();
        for e in &examples {
            assert_eq!(e.screen.validate(), Ok(()), "{}", e.name);
        }
        let has = |f: fn(&Screen) -> bool| examples.iter().any(|e| f(&e.screen));
        assert!(has(|s| matches!(s, Screen::Idle { .. })));
        assert!(has(|s| matches!(s, Screen::Choose)));
        assert!(has(|s| matches!(s, Screen::Pin { .. })));
        assert!(has(|s| matches!(s, Screen::Capture { .. })));
        assert!(has(|s| matches!(s, Screen::Result { band: Band::Valid, .. })));
        assert!(has(|s| matches!(s, Screen::Result { band: Band::NeedsConfirmation, .. })));
        assert!(has(|s| matches!(s, Screen::Result { band: Band::Rejected, .. })));
        assert!(has(|s| matches!(s, Screen::Locked { .. })));
        assert!(has(|s| matches!(s, Screen::AdminMenu { .. })));
        assert!(has(|s| matches!(s, Screen::Error { .. })));
        assert!(has(|s| matches!(s, Screen::Busy)));
        assert!(has(|s| matches!(s, Screen::Notice { .. })));
        assert!(has(|s| matches!(s, Screen::Enrol(EnrolScreen::Capturing { .. }))));
        assert!(has(|s| matches!(s, Screen::Enrol(EnrolScreen::Refused { .. }))));
        let mut names: Vec<_> = examples.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), examples.len(), "example names are file names: unique");
    }

    #[test]
    fn face_picture_has_the_size_asked_and_a_face_in_the_middle() {
        let img = face_picture(64, 48);
        assert_eq!(img.dimensions(), (64, 48));
        assert_eq!(*img.get_pixel(32, 24), Rgb([214, 170, 135]));
        assert_ne!(*img.get_pixel(1, 1), Rgb([214, 170, 135]));
    }
}
