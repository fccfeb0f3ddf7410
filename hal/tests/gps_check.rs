//! `hadir-hal gps replay --check` on six real receivers' captures: clean, and with spoofs.
//!
//! The clean captures must raise no flag (real receivers jitter, freeze when standing still,
//! send partial GSV groups...). Each spoof is injected by rewriting the capture's sentences
//! (with correct checksums) from its middle fix on, and must raise its own flag, once, and
//! nothing else:
//! - teleport: every position one degree of latitude (111 km) away;
//! - frozen position: every position the middle fix's, while RMC/VTG report 30 knots;
//! - uniform signal: every satellite of every GSV at 45 dB-Hz (over the whole capture: most
//!   receivers send GSV only every few seconds);
//! - zero HDOP: GGA and GSA HDOP 0.0;
//! - clock skew: a device clock an hour behind (`--device-time`).

mod captures;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CAPTURES: [&str; 6] = ["beidou-gb", "bt-q818", "bu353s4", "garmin15x", "gr601-w", "haicom-305N"];

fn nmea_file(name: &str) -> PathBuf {
    captures::nmea_file(&format!("{name}.log"))
}

fn hadir_hal(args: &[&str], file: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_hadir-hal")).args(["gps", "replay"]).arg(file).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The flags' names and the summary line's counts.
fn check(file: &Path, extra: &[&str]) -> (Vec<String>, String) {
    let mut args = vec!["--check"];
    args.extend_from_slice(extra);
    let out = hadir_hal(&args, file);
    let mut lines: Vec<&str> = out.lines().collect();
    let summary = lines.pop().unwrap_or_default().to_string();
    assert!(summary.starts_with("gps_check fixes="), "{out}");
    for line in &lines {
        println!("    {line}");
    }
    let names = lines.iter().map(|l| l.split(' ').nth(1).unwrap_or_default().to_string()).collect();
    (names, summary)
}

/// The fixes' times, from the plain replay.
fn fix_times(file: &Path) -> Vec<OffsetDateTime> {
    hadir_hal(&[], file)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            OffsetDateTime::parse(v["time"].as_str().unwrap(), &Rfc3339).unwrap()
        })
        .collect()
}

fn seconds_of_day(t: OffsetDateTime) -> f64 {
    f64::from(t.hour()) * 3600.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second()) + f64::from(t.millisecond()) / 1000.0
}

fn nmea_seconds(field: &str) -> Option<f64> {
    let h: f64 = field.get(0..2)?.parse().ok()?;
    let m: f64 = field.get(2..4)?.parse().ok()?;
    let s: f64 = field.get(4..)?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// Rewrites every sentence of `text`: `edit(kind, fields, from_middle)` may change the fields
/// (index 0 is the address); the checksum is recomputed. `from_middle` turns true at the first
/// position sentence at or after `middle` (seconds of the day) and stays true.
fn rewrite(text: &str, middle: f64, mut edit: impl FnMut(&str, &mut [String], bool)) -> String {
    let mut from_middle = false;
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        let Some(body) = line.strip_prefix('$').and_then(|l| l.split('*').next()) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let mut fields: Vec<String> = body.split(',').map(str::to_string).collect();
        let kind = fields[0].get(2..).unwrap_or_default().to_string();
        let time_field = match kind.as_str() {
            "GGA" | "RMC" | "GNS" => fields.get(1),
            "GLL" => fields.get(5),
            _ => None,
        };
        if time_field.and_then(|t| nmea_seconds(t)).is_some_and(|t| t >= middle - 1e-6) {
            from_middle = true;
        }
        edit(&kind, &mut fields, from_middle);
        let body = fields.join(",");
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        out.push_str(&format!("${body}*{sum:02X}\n"));
    }
    out
}

/// Where the latitude field of a position sentence is.
fn lat_index(kind: &str) -> Option<usize> {
    match kind {
        "GGA" | "GNS" => Some(2),
        "RMC" => Some(3),
        "GLL" => Some(1),
        _ => None,
    }
}

fn teleport(kind: &str, f: &mut [String], on: bool) {
    if let Some(i) = lat_index(kind).filter(|_| on)
        && f[i].len() > 2
    {
        let degrees: u32 = f[i][..2].parse().unwrap();
        f[i] = format!("{:02}{}", degrees + 1, &f[i][2..]);
    }
}

fn uniform(kind: &str, f: &mut [String], _on: bool) {
    if kind == "GSV" {
        for block in 0..4 {
            let (prn, snr) = (4 + block * 4, 7 + block * 4);
            if f.get(prn).is_some_and(|p| !p.is_empty()) && snr < f.len() {
                f[snr] = "45".into();
            }
        }
    }
}

fn zero_hdop(kind: &str, f: &mut [String], on: bool) {
    match kind {
        "GGA" if on => f[8] = "0.0".into(),
        "GSA" if on => f[16] = "0.0".into(),
        _ => {}
    }
}

#[test]
fn real_captures_are_clean_and_spoofs_raise_their_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for name in CAPTURES {
        let file = nmea_file(name);
        let text = std::fs::read_to_string(&file).unwrap();
        let times = fix_times(&file);
        let middle = seconds_of_day(times[times.len() / 2]);
        let after_middle = times.len() - times.len() / 2;

        println!("{name} (clean, {} fixes):", times.len());
        let (flags, summary) = check(&file, &[]);
        if !flags.is_empty() {
            failures.push(format!("{name}: clean capture flagged {flags:?}"));
        }
        assert_eq!(summary, format!("gps_check fixes={} flags=0", times.len()), "{name}");

        // The frozen position: the first position from the middle on, everywhere after it.
        let mut frozen_at: Option<(String, String, String, String)> = None;
        let frozen = |kind: &str, f: &mut [String], on: bool| {
            if !on {
                return;
            }
            if let Some(i) = lat_index(kind) {
                if f[i].is_empty() {
                    return;
                }
                let at = frozen_at.get_or_insert_with(|| (f[i].clone(), f[i + 1].clone(), f[i + 2].clone(), f[i + 3].clone()));
                (f[i], f[i + 1], f[i + 2], f[i + 3]) = at.clone();
            }
            match kind {
                "RMC" => f[7] = "30.0".into(),
                "VTG" if f.len() > 7 => {
                    f[5] = "30.0".into();
                    f[7] = "55.6".into();
                }
                _ => {}
            }
        };
        let spoofs: Vec<(&str, String, bool)> = vec![
            ("teleport", rewrite(&text, middle, teleport), true),
            // 30 knots over three or more fixes is more travel than any digit can hide.
            ("frozen_position", rewrite(&text, middle, frozen), after_middle >= 3),
            ("uniform_signal", rewrite(&text, middle, uniform), times.len() >= 5),
            ("zero_hdop", rewrite(&text, middle, zero_hdop), true),
        ];
        for (flag, spoofed, applies) in spoofs {
            if !applies {
                println!("{name} + {flag}: skipped, {} fixes are too few for this spoof", times.len());
                continue;
            }
            let path = dir.path().join(format!("{name}-{flag}.log"));
            std::fs::write(&path, spoofed).unwrap();
            println!("{name} + {flag}:");
            let (flags, _) = check(&path, &[]);
            if flags != [flag] {
                failures.push(format!("{name} + {flag}: flagged {flags:?}"));
            }
        }

        // The device clock: right, then an hour behind.
        let first = times[0].format(&Rfc3339).unwrap();
        let behind = (times[0] - time::Duration::hours(1)).format(&Rfc3339).unwrap();
        let (flags, _) = check(&file, &["--device-time", &first]);
        if !flags.is_empty() {
            failures.push(format!("{name} with the right device clock: flagged {flags:?}"));
        }
        println!("{name} + clock_skew:");
        let (flags, _) = check(&file, &["--device-time", &behind]);
        if flags != ["clock_skew"] {
            failures.push(format!("{name} + clock_skew: flagged {flags:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
