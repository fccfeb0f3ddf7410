//! Every example screen, in both languages, at 800×480 and 1280×800: rendered headless to PNG
//! and checked for what a person sees — the texts by accessible label (present, inside the
//! window), what must not be there, and the band colour of result screens.
//!
//! PNGs go to `$CARGO_TARGET_TMPDIR/screens/<lang>/<size>/<screen>.png` for inspection.

mod screen_test;

use hadir_ui::{Language, Ui, gallery};
use screen_test::*;

/// What one example must show: labels in Indonesian, in English, labels that must be absent
/// in both, and the expected colour of the top band (result screens).
struct Expect {
    name: &'static str,
    id: &'static [&'static str],
    en: &'static [&'static str],
    absent: &'static [&'static str],
    band: Option<[u8; 3]>,
}

const fn e(
    name: &'static str,
    id: &'static [&'static str],
    en: &'static [&'static str],
    absent: &'static [&'static str],
    band: Option<[u8; 3]>,
) -> Expect {
    Expect { name, id, en, absent, band }
}

const EXPECTED: &[Expect] = &[
    e(
        "idle",
        &["MASUK", "PULANG", "Tekan MASUK atau PULANG", "07:42", "Sabtu, 28 November 2026",
          "Dinas Pekerjaan Umum — Kantor Pusat", "Kantor", "Daring", "Antrean: 0",
          "Sinkron terakhir 07:40", "English", "Menu admin"],
        &["IN", "OUT", "Press IN or OUT", "07:42", "Saturday, 28 November 2026", "Office",
          "Online", "Queue: 0", "Last sync 07:40", "Bahasa Indonesia", "Admin menu"],
        &["Batal", "Cancel"],
        None,
    ),
    e(
        "idle-field-offline",
        &["Lapangan", "Luring", "Antrean: 14", "Belum pernah sinkron", "Selasa, 1 Desember 2026", "16:05"],
        &["Field", "Offline", "Queue: 14", "Never synced", "Tuesday, 1 December 2026", "16:05"],
        &["Daring", "Online"],
        None,
    ),
    e(
        "choose",
        &["Pilih MASUK atau PULANG", "MASUK", "PULANG", "Batal"],
        &["Choose IN or OUT", "IN", "OUT", "Cancel"],
        &["Tekan MASUK atau PULANG", "Press IN or OUT"],
        None,
    ),
    e(
        "pin-empty",
        &["MASUK", "Masukkan PIN Anda", "0 dari 6 digit dimasukkan", "1", "5", "9", "0", "Hapus", "OK", "Batal"],
        &["IN", "Enter your PIN", "0 of 6 digits entered", "Delete", "OK", "Cancel"],
        &["PULANG", "OUT"],
        None,
    ),
    e(
        "pin-three-digits",
        &["PULANG", "3 dari 6 digit dimasukkan"],
        &["OUT", "3 of 6 digits entered"],
        &["MASUK", "IN"],
        None,
    ),
    e(
        "pin-admin",
        &["Admin", "Masukkan PIN admin", "5 dari 8 digit dimasukkan"],
        &["Admin", "Enter the admin PIN", "5 of 8 digits entered"],
        &["Masukkan PIN Anda", "Enter your PIN"],
        None,
    ),
    e(
        "capture-hold-still",
        &["MASUK", "Tahan posisi", "Pratinjau kamera", "Wajah terdeteksi",
          "Lihat ke kamera dan jaga wajah di dalam oval", "Batal"],
        &["IN", "Hold still", "Camera preview", "Detected face",
          "Look at the camera and keep your face inside the oval", "Cancel"],
        &[],
        None,
    ),
    e("capture-move-closer", &["Mendekat", "Wajah terdeteksi"], &["Move closer", "Detected face"], &[], None),
    e(
        "capture-no-face",
        &["Tidak ada wajah", "Pratinjau kamera"],
        &["No face found", "Camera preview"],
        &["Wajah terdeteksi", "Detected face"],
        None,
    ),
    e(
        "result-valid-late",
        &["Tercatat", "Terima kasih", "Siti Rahmawati", "MASUK pukul 08:12", "Terlambat 12 menit",
          "Foto yang diambil", "Selesai"],
        &["Recorded", "Thank you", "Siti Rahmawati", "IN at 08:12", "Late 12 minutes", "Captured photo", "Done"],
        &["Coba lagi", "Try again", "Tepat waktu", "On time"],
        Some(GREEN),
    ),
    e(
        "result-valid-on-time",
        &["Tercatat", "Tepat waktu"],
        &["Recorded", "On time"],
        &["Terlambat 0 menit", "Late 0 minutes"],
        Some(GREEN),
    ),
    e(
        "result-valid-out",
        &["Tercatat", "PULANG pukul 08:12"],
        &["Recorded", "OUT at 08:12"],
        &["Tepat waktu", "On time"],
        Some(GREEN),
    ),
    e(
        "result-needs-confirmation",
        &["Menunggu konfirmasi", "Tercatat, atasan Anda akan mengonfirmasi", "Terlambat 3 menit", "Selesai"],
        &["Awaiting confirmation", "Recorded; your supervisor will confirm it", "Late 3 minutes", "Done"],
        &["Coba lagi", "Try again"],
        Some(AMBER),
    ),
    e(
        "result-rejected",
        &["Wajah tidak cocok", "Tidak ada yang dicatat. Silakan coba lagi.", "Coba lagi", "Batal"],
        &["Face does not match", "Nothing was recorded. Please try again.", "Try again", "Cancel"],
        &["Tercatat", "Recorded", "Selesai", "Done"],
        Some(RED),
    ),
    e(
        "locked",
        &["PIN terkunci", "Terlalu banyak percobaan gagal. Coba lagi pukul 08:45.", "Kembali"],
        &["PIN locked", "Too many failed attempts. Try again at 08:45.", "Back"],
        &[],
        None,
    ),
    e(
        "admin-menu",
        &["Menu admin", "Daftarkan wajah", "Info perangkat", "Sinkronkan sekarang", "Jaringan", "Keluar"],
        &["Admin menu", "Enrol a face", "Device info", "Sync now", "Network", "Exit",
          "Queue: 3 · last sync 07:40"],
        &[],
        None,
    ),
    e("busy", &["Mohon tunggu…"], &["Please wait…"], &["Batal", "Cancel"], None),
    e(
        "notice-unknown-pin",
        &["PIN tidak dikenal", "PIN ini bukan milik siapa pun. Tidak ada yang dicatat.", "Kembali"],
        &["Unknown PIN", "This PIN belongs to nobody. Nothing was recorded.", "Back"],
        &["Coba lagi", "Try again"],
        None,
    ),
    e(
        "notice-no-face",
        &["Wajah tidak terlihat", "Coba lagi", "Kembali"],
        &["No face seen", "Try again", "Back"],
        &[],
        None,
    ),
    e(
        "notice-outside-area",
        &["Di luar area kerja Anda", "2.3 km · Jalan Mengwi km 12", "Periksa lagi", "Lanjutkan", "Kembali"],
        &["Outside your work area", "2.3 km · Jalan Mengwi km 12", "Check again", "Continue", "Back"],
        &["Coba lagi", "Try again"],
        None,
    ),
    e(
        "notice-not-enrolled",
        &["Perangkat belum terdaftar"],
        &["Device not registered"],
        &["Coba lagi", "Try again"],
        None,
    ),
    e(
        "enrol-number",
        &["Daftarkan wajah", "Ketik nomor pegawai, lalu OK", "Nomor pegawai 19850312", "Hapus", "OK", "Batal"],
        &["Enrol a face", "Type the employee number, then OK", "Employee number 19850312", "Delete", "OK", "Cancel"],
        &[],
        None,
    ),
    e(
        "enrol-capturing",
        &["Daftarkan wajah", "Nomor pegawai 198503122010011004", "Foto 2 dari 5", "Tahan posisi", "Pratinjau kamera", "Batal"],
        &["Enrol a face", "Employee number 198503122010011004", "Photo 2 of 5", "Hold still", "Camera preview", "Cancel"],
        &[],
        None,
    ),
    e(
        "enrol-done",
        &["Wajah terdaftar", "Siti Rahmawati (198503122010011004) terdaftar dan server sudah menerima templatnya.", "Selesai"],
        &["Face enrolled", "Siti Rahmawati (198503122010011004) is enrolled and the server has the template.", "Done"],
        &["Tidak terdaftar", "Not enrolled"],
        None,
    ),
    e(
        "enrol-duplicate",
        &["Tidak terdaftar",
          "Wajah ini sudah terdaftar sebagai Budi Santoso (197911052005011002). Periksa nomor pegawai; wajah yang benar-benar mirip harus diselesaikan oleh atasan."],
        &["Not enrolled",
          "This face is already enrolled as Budi Santoso (197911052005011002). Check the employee number; a supervisor must resolve a true look-alike."],
        &["Wajah terdaftar", "Face enrolled"],
        None,
    ),
    e(
        "error-camera",
        &["Kiosk belum siap", "Silakan catat kehadiran dengan cara lain dan hubungi teknisi.",
          "Kamera tidak ditemukan",
          "Teknisi: periksa kabel kamera dan pastikan /dev/video0 ada, lalu nyalakan ulang kiosk.", "Coba lagi"],
        &["The kiosk is not ready", "Camera not found",
          "Technician: check the camera cable and that /dev/video0 exists, then restart the kiosk.", "Retry"],
        &[],
        None,
    ),
    e("error-models", &["Model wajah tidak ada"], &["Face models missing"], &[], None),
    e("error-storage", &["Penyimpanan bermasalah"], &["Storage error"], &[], None),
    e("error-config", &["Konfigurasi salah"], &["Configuration error"], &[], None),
];

const SIZES: [(u32, u32); 2] = [(800, 480), (1280, 800)];

fn main() {
    init();
    let ui = Ui::new().expect("create the UI");
    assert_eq!(ui.language(), Language::Indonesian, "Bahasa Indonesia is the default");

    let examples = gallery::examples();
    for example in &examples {
        assert!(
            EXPECTED.iter().any(|x| x.name == example.name),
            "gallery example {:?} has no expectations in tests/screens.rs",
            example.name
        );
    }

    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    let mut checked = 0;
    for language in Language::ALL {
        ui.set_language(language).expect("language");
        for (width, height) in SIZES {
            resize(&ui, width, height);
            let dir = out.join(language.code()).join(format!("{width}x{height}"));
            std::fs::create_dir_all(&dir).expect("create the PNG folder");
            for example in &examples {
                let expect = EXPECTED.iter().find(|x| x.name == example.name).expect("checked above");
                let context = format!("{} {} {width}x{height}", example.name, language.code());
                ui.set_screen(&example.screen).expect("valid example");
                if let Some(frame) = &example.frame {
                    ui.show_frame(frame).expect("frame");
                }
                let shot = snapshot(&ui);
                assert_eq!(shot.dimensions(), (width, height), "{context}: snapshot size");
                shot.save(dir.join(format!("{}.png", example.name))).expect("write PNG");

                let labels = match language {
                    Language::Indonesian => expect.id,
                    Language::English => expect.en,
                };
                for label in labels {
                    visible(&ui, label, &context);
                }
                for label in expect.absent {
                    absent(&ui, label, &context);
                }
                if let Some(colour) = expect.band {
                    let px = *shot.get_pixel(width / 2, 4);
                    assert!(near(px, colour, 2), "{context}: band colour {px:?}, want {colour:?}");
                }
                // Something is drawn: the screen is not one flat colour.
                let first = *shot.get_pixel(0, 0);
                assert!(shot.pixels().any(|p| *p != first), "{context}: blank screen");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, examples.len() * 4);
    println!("screens: {checked} screen renders checked; PNGs under {}", out.display());
}
