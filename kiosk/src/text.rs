//! # What the person reads, in Bahasa Indonesia (default) or English
//!
//! The texts of each [`Screen`] for the headless display and logs; the Slint screens of
//! `hadir-ui` carry their own translations of the same plain data.

use crate::config::Language;
use crate::flow::{Band, Direction, EnrolOutcome, EnrolRefusal, Guidance, Outcome, PlaceVerdict, Refusal, Screen};
use crate::policy::late_text;

fn dir(d: Direction, en: bool) -> &'static str {
    match (d, en) {
        (Direction::In, false) => "MASUK",
        (Direction::Out, false) => "PULANG",
        (Direction::In, true) => "IN",
        (Direction::Out, true) => "OUT",
    }
}

/// The guidance line while capturing.
pub fn guidance_text(g: Guidance, lang: Language) -> &'static str {
    let en = lang == Language::English;
    match (g, en) {
        (Guidance::NoFace, false) => "Hadapkan wajah ke kamera",
        (Guidance::NoFace, true) => "Face the camera",
        (Guidance::SeveralFaces, false) => "Satu orang saja di depan kamera",
        (Guidance::SeveralFaces, true) => "Only one person in front of the camera",
        (Guidance::ComeCloser, false) => "Mendekat ke kamera",
        (Guidance::ComeCloser, true) => "Come closer",
        (Guidance::StepBack, false) => "Mundur sedikit",
        (Guidance::StepBack, true) => "Step back a little",
        (Guidance::LookStraight, false) => "Lihat lurus ke kamera",
        (Guidance::LookStraight, true) => "Look straight at the camera",
        (Guidance::TooDark, false) => "Terlalu gelap, pindah ke tempat yang lebih terang",
        (Guidance::TooDark, true) => "Too dark, move to better light",
        (Guidance::TooBright, false) => "Terlalu terang, hindari cahaya dari belakang",
        (Guidance::TooBright, true) => "Too bright, avoid light from behind",
        (Guidance::Centre, false) => "Posisikan wajah di tengah",
        (Guidance::Centre, true) => "Centre your face",
        (Guidance::HoldStill, false) => "Tahan, jangan bergerak",
        (Guidance::HoldStill, true) => "Hold still",
        (Guidance::OpenEyes, false) => "Buka mata Anda",
        (Guidance::OpenEyes, true) => "Open your eyes",
        (Guidance::Good, false) => "Bagus, tahan sebentar",
        (Guidance::Good, true) => "Good, hold on",
    }
}

/// The main text of a screen.
pub fn screen_text(s: &Screen, lang: Language) -> String {
    let en = lang == Language::English;
    match s {
        Screen::Idle => if en { "Touch to record attendance" } else { "Sentuh untuk presensi" }.into(),
        Screen::Choose => if en { "IN or OUT?" } else { "MASUK atau PULANG?" }.into(),
        Screen::Pin { direction, typed } => {
            let dots = "•".repeat(*typed);
            if en { format!("{}: enter your PIN {dots}", dir(*direction, en)) } else { format!("{}: masukkan PIN {dots}", dir(*direction, en)) }
        }
        Screen::Busy => if en { "Please wait…" } else { "Mohon tunggu…" }.into(),
        Screen::Capture { employee, guidance } => format!("{}: {}", employee.name, guidance_text(*guidance, lang)),
        Screen::Enrol(v) => match (&v.done, en) {
            (Some(EnrolOutcome::Enrolled { name, sent }), false) => {
                format!("Wajah {name} ({}) terdaftar{}", v.employee, if *sent { ", terkirim ke server" } else { ", dikirim ke server saat daring" })
            }
            (Some(EnrolOutcome::Enrolled { name, sent }), true) => {
                format!("Face of {name} ({}) enrolled{}", v.employee, if *sent { ", sent to the server" } else { ", sent to the server when online" })
            }
            (Some(EnrolOutcome::Refused { reason, detail }), false) => format!("Pendaftaran ditolak: {}", enrol_refusal_text(*reason, detail, false)),
            (Some(EnrolOutcome::Refused { reason, detail }), true) => format!("Enrolment refused: {}", enrol_refusal_text(*reason, detail, true)),
            (None, false) if v.captured == 0 && v.needed == 0 => format!("Pendaftaran wajah (admin): nomor pegawai {} lalu #", v.employee),
            (None, true) if v.captured == 0 && v.needed == 0 => format!("Enrolment (admin): employee number {} then #", v.employee),
            (None, false) => format!("Pendaftaran {}: foto {}/{}, lihat ke kamera", v.employee, v.captured, v.needed),
            (None, true) => format!("Enrolling {}: photo {}/{}, look at the camera", v.employee, v.captured, v.needed),
        },
        Screen::Result(o) => outcome_text(o, lang),
        Screen::PlaceNotice { employee, verdict } => format!("{}: {}", employee.name, place_text(verdict, lang)),
        Screen::Admin => if en {
            "Admin menu: 1 enrol a face, 2 device info, 3 sync now, * exit"
        } else {
            "Menu admin: 1 daftarkan wajah, 2 info perangkat, 3 sinkronkan sekarang, * keluar"
        }
        .into(),
        Screen::NotEnrolled => if en {
            "Device not registered with the server: attendance cannot be recorded yet"
        } else {
            "Perangkat belum terdaftar di server: presensi belum dapat dicatat"
        }
        .into(),
        Screen::SyncStarted => if en { "Sync started" } else { "Sinkronisasi dimulai" }.into(),
    }
}

/// A distance as the place notice shows it: "80 m", "2.3 km".
pub fn distance_text(m: u32) -> String {
    if m >= 1_000 { format!("{:.1} km", f64::from(m) / 1000.0) } else { format!("{m} m") }
}

/// `HDOP 9.9, ` when the receiver gave one (the notice's detail starts with it), else nothing.
pub fn hdop_text(hdop_centi: Option<u16>) -> String {
    hdop_centi.map_or_else(String::new, |h| format!("HDOP {:.1}, ", f64::from(h) / 100.0))
}

/// What the place notice says before the face step, with what the person can do.
pub fn place_text(v: &PlaceVerdict, lang: Language) -> String {
    let en = lang == Language::English;
    let distance = distance_text;
    let go_on = if en { "Enter: continue (a supervisor will check the record), #: check again" } else { "Enter: lanjutkan (atasan akan memeriksa presensi), #: periksa lagi" };
    match (v, en) {
        (PlaceVerdict::Fine, false) => "Lokasi sesuai".into(),
        (PlaceVerdict::Fine, true) => "Location as expected".into(),
        (PlaceVerdict::NoFix { can_continue: false }, false) => "Sinyal GPS belum ada. Pindah ke tempat terbuka, lalu # untuk periksa lagi".into(),
        (PlaceVerdict::NoFix { can_continue: false }, true) => "No GPS fix yet. Move to open sky, then # to check again".into(),
        (PlaceVerdict::NoFix { can_continue: true }, false) => format!("Sinyal GPS belum ada. {go_on}"),
        (PlaceVerdict::NoFix { can_continue: true }, true) => format!("No GPS fix yet. {go_on}"),
        (PlaceVerdict::PoorFix { hdop_centi, satellites, accuracy_m }, false) => {
            format!("Sinyal GPS lemah ({}{satellites} satelit, ±{accuracy_m} m). {go_on}", hdop_text(*hdop_centi))
        }
        (PlaceVerdict::PoorFix { hdop_centi, satellites, accuracy_m }, true) => {
            format!("Weak GPS signal ({}{satellites} satellites, ±{accuracy_m} m). {go_on}", hdop_text(*hdop_centi))
        }
        (PlaceVerdict::Outside { distance_m, label }, false) => {
            let area = label.as_deref().map_or("area kantor".to_owned(), |l| format!("area tugas {l}"));
            format!("Di luar {area}, {} dari batasnya. {go_on}", distance(*distance_m))
        }
        (PlaceVerdict::Outside { distance_m, label }, true) => {
            let area = label.as_deref().map_or("the office's area".to_owned(), |l| format!("the assigned area {l}"));
            format!("Outside {area}, {} from its edge. {go_on}", distance(*distance_m))
        }
    }
}

/// Why an enrolment was refused, for the administrator.
pub fn enrol_refusal_text(reason: EnrolRefusal, detail: &str, en: bool) -> String {
    match (reason, en) {
        (EnrolRefusal::TooFewImages, false) => "foto yang baik terlalu sedikit".into(),
        (EnrolRefusal::TooFewImages, true) => "too few good photos".into(),
        (EnrolRefusal::NotOnePerson, false) => "foto bukan orang yang sama".into(),
        (EnrolRefusal::NotOnePerson, true) => "the photos are not of one person".into(),
        (EnrolRefusal::Duplicate, false) => format!("wajah sudah terdaftar sebagai {detail}"),
        (EnrolRefusal::Duplicate, true) => format!("face already enrolled as {detail}"),
        (EnrolRefusal::UnknownEmployee, false) => "nomor pegawai tidak ada dalam daftar".into(),
        (EnrolRefusal::UnknownEmployee, true) => "employee number not in the roster".into(),
        (EnrolRefusal::Fault, false) => format!("gangguan perangkat ({detail})"),
        (EnrolRefusal::Fault, true) => format!("device fault ({detail})"),
    }
}

/// The result screen's text.
pub fn outcome_text(o: &Outcome, lang: Language) -> String {
    let en = lang == Language::English;
    match o {
        Outcome::Recorded { employee, direction, band, late_minutes, marked_late, .. } => {
            let mut t = if en {
                format!("{} recorded, {}", dir(*direction, en), employee.name)
            } else {
                format!("{} tercatat, {}", dir(*direction, en), employee.name)
            };
            if *band == Band::NeedsConfirmation {
                t.push_str(if en { " — awaiting supervisor confirmation" } else { " — menunggu konfirmasi atasan" });
            }
            if let Some(late) = late_text(*late_minutes, *marked_late, en) {
                t.push_str(", ");
                t.push_str(&late);
            }
            t
        }
        Outcome::Refused { reason, .. } => match (reason, en) {
            (Refusal::UnknownPin, false) => "PIN tidak dikenal".into(),
            (Refusal::UnknownPin, true) => "Unknown PIN".into(),
            (Refusal::Locked, false) => "PIN terkunci sementara karena terlalu banyak percobaan gagal".into(),
            (Refusal::Locked, true) => "PIN locked for a while after too many failed attempts".into(),
            (Refusal::FaceMismatch, false) => "Wajah tidak cocok, presensi tidak tercatat. Coba lagi".into(),
            (Refusal::FaceMismatch, true) => "Face does not match, not recorded. Try again".into(),
            (Refusal::NotLive, false) => "Wajah tidak terverifikasi asli, presensi tidak tercatat".into(),
            (Refusal::NotLive, true) => "Face not verified as live, not recorded".into(),
            (Refusal::NoFace, false) => "Wajah tidak terlihat. Coba lagi".into(),
            (Refusal::NoFace, true) => "No face seen. Try again".into(),
            (Refusal::StoreError, false) => "Gangguan perangkat, presensi tidak tercatat. Hubungi admin".into(),
            (Refusal::StoreError, true) => "Device fault, not recorded. Call the administrator".into(),
            (Refusal::NoGpsFix, false) => "Sinyal GPS belum ada, presensi lapangan tidak tercatat".into(),
            (Refusal::NoGpsFix, true) => "No GPS fix yet, field record not made".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Employee;

    #[test]
    fn result_says_terlambat_12_menit() {
        let o = Outcome::Recorded {
            employee: Employee { id: "1".into(), name: "Ani".into() },
            direction: Direction::In,
            band: Band::Valid,
            score: 90.0,
            seq: 1,
            late_minutes: Some(12),
            marked_late: true,
        };
        assert_eq!(outcome_text(&o, Language::Indonesian), "MASUK tercatat, Ani, terlambat 12 menit");
        assert_eq!(outcome_text(&o, Language::English), "IN recorded, Ani, late 12 minutes");
    }

    #[test]
    fn the_place_notice_says_where_and_what_to_do() {
        let outside = PlaceVerdict::Outside { distance_m: 2_340, label: Some("Jalan Mengwi km 12".into()) };
        let id = place_text(&outside, Language::Indonesian);
        assert!(id.starts_with("Di luar area tugas Jalan Mengwi km 12, 2.3 km dari batasnya."), "{id}");
        assert!(place_text(&PlaceVerdict::Outside { distance_m: 80, label: None }, Language::English).starts_with("Outside the office's area, 80 m"));
        let poor = place_text(&PlaceVerdict::PoorFix { hdop_centi: Some(990), satellites: 3, accuracy_m: 60 }, Language::Indonesian);
        assert!(poor.starts_with("Sinyal GPS lemah (HDOP 9.9, 3 satelit, ±60 m)"), "{poor}");
        assert!(!place_text(&PlaceVerdict::NoFix { can_continue: false }, Language::Indonesian).contains("lanjutkan"));
    }
}
