//! `hadir-hal gps replay` against gpsd's own decoding of six real receivers' captures.
//!
//! Each `NAME.log.chk` interleaves the input sentences with the JSON reports gpsd produced
//! after each one. The contract checked here, for every capture:
//! 1. every gpsd TPV report with `time`, `lat` and `lon` has a fix of ours with the same time
//!    and position (within 1e-6 degrees);
//! 2. every fix of ours was reported by gpsd: a TPV with the same time and position, or, for
//!    an epoch in which gpsd could not yet put a date on its report, a TPV without time made
//!    while that epoch's sentences were being read, with the same position.

mod captures;

use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CAPTURES: [&str; 6] =
    ["beidou-gb", "bt-q818", "bu353s4", "garmin15x", "gr601-w", "haicom-305N"];


/// UTC time of day in milliseconds, from an NMEA `hhmmss.sss` field.
fn nmea_tod(field: &str) -> Option<i64> {
    if field.len() < 6 {
        return None;
    }
    let h: i64 = field[0..2].parse().ok()?;
    let m: i64 = field[2..4].parse().ok()?;
    let s: f64 = field[4..].parse().ok()?;
    Some((h * 3600 + m * 60) * 1000 + (s * 1000.0).round() as i64)
}

fn tod(t: OffsetDateTime) -> i64 {
    i64::from(t.hour()) * 3_600_000
        + i64::from(t.minute()) * 60_000
        + i64::from(t.second()) * 1000
        + i64::from(t.millisecond())
}

/// The time of day a sentence carries (the epoch it belongs to), if any.
fn sentence_tod(line: &str) -> Option<i64> {
    let body = line.get(1..)?.split('*').next()?;
    let fields: Vec<&str> = body.split(',').collect();
    let kind = fields.first()?.get(2..)?;
    let index = match kind {
        "GGA" | "RMC" | "GNS" | "ZDA" => 1,
        "GLL" => 5,
        _ => return None,
    };
    nmea_tod(fields.get(index)?)
}

struct Gpsd {
    timed: HashMap<i64, (OffsetDateTime, f64, f64)>,
    untimed: Vec<(i64, f64, f64)>,
}

fn gpsd_reports(name: &str) -> Gpsd {
    let text = std::fs::read_to_string(captures::nmea_file(&format!("{name}.log.chk"))).unwrap();
    let mut epoch = None;
    let mut gpsd = Gpsd { timed: HashMap::new(), untimed: Vec::new() };
    for line in text.lines() {
        if line.starts_with('$') || line.starts_with('!') {
            if let Some(t) = sentence_tod(line) {
                epoch = Some(t);
            }
            continue;
        }
        if !line.starts_with('{') {
            continue;
        }
        let v: Value = serde_json::from_str(line).unwrap();
        if v["class"] != "TPV" {
            continue;
        }
        let (Some(lat), Some(lon)) = (v["lat"].as_f64(), v["lon"].as_f64()) else { continue };
        match v["time"].as_str() {
            Some(t) => {
                let t = OffsetDateTime::parse(t, &Rfc3339).unwrap();
                let previous = gpsd.timed.insert(tod(t), (t, lat, lon));
                if let Some((_, plat, plon)) = previous {
                    assert!((plat - lat).abs() < 1e-9 && (plon - lon).abs() < 1e-9);
                }
            }
            None => gpsd.untimed.extend(epoch.map(|e| (e, lat, lon))),
        }
    }
    gpsd
}

struct OurFix {
    time: OffsetDateTime,
    lat: f64,
    lon: f64,
}

fn replay(name: &str) -> Vec<OurFix> {
    let output = Command::new(env!("CARGO_BIN_EXE_hadir-hal"))
        .args(["gps", "replay"])
        .arg(captures::nmea_file(&format!("{name}.log")))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            for key in ["time", "lat", "lon", "alt", "mode", "sats", "hdop"] {
                assert!(v.get(key).is_some(), "{name}: `{key}` missing in {line}");
            }
            OurFix {
                time: OffsetDateTime::parse(v["time"].as_str().unwrap(), &Rfc3339).unwrap(),
                lat: v["lat"].as_f64().unwrap(),
                lon: v["lon"].as_f64().unwrap(),
            }
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6
}

#[test]
fn replay_matches_gpsd_on_all_captures() {
    let mut failures = Vec::new();
    for name in CAPTURES {
        let gpsd = gpsd_reports(name);
        let ours = replay(name);
        assert!(!gpsd.timed.is_empty(), "{name}: no timed TPV in the .chk");
        for (t, lat, lon) in gpsd.timed.values() {
            let found = ours.iter().find(|f| f.time == *t);
            match found {
                Some(f) if close(f.lat, *lat) && close(f.lon, *lon) => {}
                Some(f) => failures.push(format!(
                    "{name} {t}: gpsd {lat},{lon}, ours {},{}",
                    f.lat, f.lon
                )),
                None => failures.push(format!("{name} {t}: gpsd fix {lat},{lon} missing")),
            }
        }
        for f in &ours {
            let reported = match gpsd.timed.get(&tod(f.time)) {
                Some((t, lat, lon)) => *t == f.time && close(*lat, f.lat) && close(*lon, f.lon),
                None => gpsd
                    .untimed
                    .iter()
                    .any(|(e, lat, lon)| *e == tod(f.time) && close(*lat, f.lat) && close(*lon, f.lon)),
            };
            if !reported {
                failures.push(format!("{name} {}: fix {},{} not reported by gpsd", f.time, f.lat, f.lon));
            }
        }
        let mut times: Vec<_> = ours.iter().map(|f| f.time).collect();
        times.dedup();
        assert_eq!(times.len(), ours.len(), "{name}: one fix per epoch");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
