//! The `hadir-hal` binary's device commands, with simulated devices.

use std::path::PathBuf;
use std::process::Command;

fn faces_dir() -> PathBuf {
    let shared = std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let dir = shared.join("faces");
    assert!(dir.is_dir(), "{} missing: set HADIR_SHARED_DIR to the folder holding `faces/`", dir.display());
    dir
}

/// Appends the checksum to a sentence body given without `$` and `*hh`.
fn nmea(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{sum:02X}")
}

fn hadir_hal(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hadir-hal")).args(args).output().unwrap()
}

#[test]
fn camera_grab_from_a_folder_writes_a_png_with_the_guide() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grab.png");
    let folder = faces_dir().join("people/biden");
    let output = hadir_hal(&[
        "camera", "grab", "--out", out.to_str().unwrap(), "--folder", folder.to_str().unwrap(), "--skip", "0", "--guide",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let img = image::open(&out).unwrap().into_rgb8();
    assert_eq!(img.dimensions(), (640, 480));
    // The guide oval's top is white on the centre line.
    assert!((58..64).any(|y| img.get_pixel(320, y).0 == [255, 255, 255]));
}

#[test]
fn keypad_watch_prints_scripted_keys() {
    let output = hadir_hal(&["keypad", "watch", "--script", "A12#", "--seconds", "2"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "A\n1\n2\n#\n");
}

#[test]
fn camera_errors_name_the_device() {
    let output = hadir_hal(&["camera", "grab", "--out", "/dev/null", "--device", "/dev/hadir-no-camera"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/dev/hadir-no-camera"), "{stderr}");
}

#[test]
fn gps_replay_check_ends_with_its_counts() {
    let dir = tempfile::tempdir().unwrap();
    // Three fixes a second apart; in the second capture the last one is 111 km away.
    let rmc = |s: u32, lat: &str| nmea(&format!("GPRMC,10000{s},A,{lat},S,11513.2000,E,0.0,,010126,,,A"));
    let cases = [
        ("clean", ["0839.0000", "0839.0001", "0839.0002"], "gps_check fixes=3 flags=0", None),
        ("teleport", ["0839.0000", "0839.0001", "0939.0002"], "gps_check fixes=3 flags=1", Some("2026-01-01T10:00:02Z teleport ")),
    ];
    for (name, lats, last, flag) in cases {
        let path = dir.path().join(format!("{name}.log"));
        let text: String = lats.iter().enumerate().map(|(i, lat)| rmc(i as u32, lat) + "\r\n").collect();
        std::fs::write(&path, text).unwrap();
        let output = hadir_hal(&["gps", "replay", path.to_str().unwrap(), "--check"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.last().copied(), Some(last), "{name}: {stdout}");
        assert_eq!(lines.len(), 1 + usize::from(flag.is_some()), "{name}: {stdout}");
        if let Some(flag) = flag {
            assert!(lines[0].starts_with(flag), "{name}: {stdout}");
        }
    }
    let output = hadir_hal(&["gps", "replay", "/nonexistent.log", "--check"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent.log"));
}
