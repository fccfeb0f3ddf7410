//! # Benchmarks: the figures of issue 5
//!
//! Printed by `hadir-kiosk bench` (and `cargo xtask bench`) as lines for scripts:
//! - `kiosk decision_ms_median=N`: from the last PIN digit to the decision (the flow leaves
//!   capture, including the durable save of the record), with the real face pipeline on
//!   simulated camera frames (enrolled from `faces/people/obama/obama.jpg`, camera showing
//!   `faces/hard/obama-480p.jpg` of `../shared`), the PIN already in the device's PIN index
//!   (the daily case), median over the runs. Target: under 150 ms on this machine. Also
//!   `kiosk decision_pin_ms_median=N` (the PIN check inside it: a PIN-index hit needs no
//!   Argon2 run) and `kiosk decision_frames=N` (frames analysed before the decision).
//! - `kiosk peak_rss_mb=N`: the process's peak resident memory (VmHWM) with the models loaded
//!   and after the decision runs. Target: under 200 MB.
//! - `kiosk records_per_s=N`: records built, signed and stored durably (WAL,
//!   `synchronous=FULL`, one transaction each, as the kiosk does) per second.
//!
//! Figures are measured, never asserted.

use crate::config::KioskConfig;
use crate::face::FaceCheck;
use crate::flow::{Band, Direction, Event, Mono, Phase};
use crate::identity::Identity;
use crate::policy::{GpsEvidence, Mode};
use crate::records::{Decided, DeviceInfo, save};
use crate::runtime::{Kiosk, LogDisplay, Now, hash_pin};
use crate::store::{EmployeeRow, Store, StoreError};
use image::RgbImage;
use std::path::Path;
use std::time::Instant;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The face pipeline.
    #[error(transparent)]
    Face(#[from] crate::face::FaceError),
    /// Setting up.
    #[error("{0}")]
    Setup(String),
}

/// Records per second: `n` records built, signed and saved one transaction each.
pub fn records_per_s(dir: &Path, n: u32) -> Result<f64, BenchError> {
    let identity = Identity::from_seed([11; 32]);
    let mut store = Store::open(&dir.join("bench-records.db"), &identity)?;
    let device = DeviceInfo {
        device_id: "BENCH".into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        model_version: "bench".into(),
        mode: Mode::Office,
    };
    let photo = vec![0x5Au8; 8 * 1024];
    let started = Instant::now();
    for i in 0..n {
        let d = Decided {
            employee_id: format!("E{:04}", i % 359),
            direction: Direction::In,
            band: Band::Valid,
            score: 90.0,
            liveness: 95.0,
            recorded_at_ms: 1_780_000_000_000 + i64::from(i),
            utc_offset_min: 420,
            gps: GpsEvidence::NoFix,
            clock: hadir_protocol::ClockEvidence::default(),
        };
        save(&mut store, &identity, &device, &d, photo.clone())?;
    }
    Ok(f64::from(n) / started.elapsed().as_secs_f64())
}

/// Decision times of the runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionTimes {
    /// From the last PIN digit to the decision, ms, one per run.
    pub total: Vec<f64>,
    /// Of which the PIN check (the last digit's dispatch), ms.
    pub pin: Vec<f64>,
    /// Camera frames analysed per run (the last run).
    pub frames: u32,
}

/// Milliseconds from the last PIN digit to the decision, one per run: `enrol_image` gives the
/// employee's template, `probe` is what the camera shows.
pub fn decision_ms(
    dir: &Path,
    face: Box<dyn FaceCheck>,
    enrol_image: &RgbImage,
    probe: &RgbImage,
    runs: u32,
) -> Result<(DecisionTimes, String), BenchError> {
    let mut cfg = KioskConfig::default();
    cfg.device.data_dir = dir.to_owned();
    let identity = Identity::from_seed([12; 32]);
    let store = Store::open(&dir.join("bench-decision.db"), &identity)?;
    // An enrolled device (records only carry an id the server gave).
    store.set_device("BENCH", "BENCH-SITE", &identity.key.public().to_hex(), 0)?;
    let mut kiosk = Kiosk::new(store, identity, &cfg, face)?;
    let pin = "246810";
    let employee = EmployeeRow { id: "199001012020011001".into(), name: "Bench".into(), section_id: None, pin_hash: Some(hash_pin(pin)) };
    kiosk.store.upsert_employee(&employee, &[])?;
    // The template from the enrolment photo, through the same pipeline.
    let template = match kiosk_face_embedding(&mut kiosk, enrol_image)? {
        Some(t) => t,
        None => return Err(BenchError::Setup("no usable face in the enrolment photo".into())),
    };
    let model = kiosk_model(&kiosk);
    kiosk.store.upsert_employee(&employee, &[(model, template)])?;
    // Warm the PIN index (the daily case: the PIN was used on this device before).
    kiosk.check_pin(pin);
    let mut display = LogDisplay::default();
    let start = Instant::now();
    let now = || Now {
        mono: Mono(u64::try_from(start.elapsed().as_millis()).unwrap_or(0)),
        wall: time::OffsetDateTime::now_utc(),
    };
    let mut times = DecisionTimes::default();
    for _ in 0..runs {
        kiosk.dispatch(Event::Cancel, now(), &mut display);
        kiosk.dispatch(Event::Choose(Direction::In), now(), &mut display);
        let (head, last) = pin.split_at(pin.len() - 1);
        for c in head.chars() {
            kiosk.dispatch(Event::Digit(c), now(), &mut display);
        }
        let t0 = Instant::now();
        kiosk.dispatch(Event::Digit(last.chars().next().unwrap_or('0')), now(), &mut display);
        times.pin.push(t0.elapsed().as_secs_f64() * 1000.0);
        let mut frames = 0;
        while kiosk.capturing() && frames < 100 {
            kiosk.frame(probe, now(), &mut display);
            frames += 1;
        }
        let decided = Instant::now();
        if matches!(kiosk.phase(), Phase::Capture { .. } | Phase::Pin { .. } | Phase::CheckingPin { .. }) {
            return Err(BenchError::Setup(format!("no decision after {frames} frames: {:?}", kiosk.phase())));
        }
        times.total.push((decided - t0).as_secs_f64() * 1000.0);
        times.frames = frames;
    }
    let outcome = match kiosk.phase() {
        Phase::Result { outcome, .. } => crate::text::outcome_text(outcome, crate::config::Language::English),
        other => format!("{other:?}"),
    };
    Ok((times, outcome))
}

fn kiosk_face_embedding(kiosk: &mut Kiosk, img: &RgbImage) -> Result<Option<Vec<f32>>, BenchError> {
    match kiosk.face_mut().check(img, &[])? {
        crate::face::FaceResult::Face { embedding, .. } => Ok(Some(embedding)),
        crate::face::FaceResult::Guide(g) => {
            tracing::warn!(?g, "enrolment photo refused by the quality gate");
            Ok(None)
        }
    }
}

fn kiosk_model(kiosk: &Kiosk) -> String {
    kiosk.device().model_version.clone()
}

/// Median of a sample (0 when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Peak resident memory of this process in MB (VmHWM), if the kernel tells.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_rss() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        assert!(peak_rss_mb().is_some_and(|m| m > 0.0));
    }

    #[test]
    fn record_rate_is_measured() {
        let dir = tempfile::tempdir().unwrap();
        let rate = records_per_s(dir.path(), 20).unwrap();
        assert!(rate.is_finite() && rate > 0.0);
        let s = Store::open(&dir.path().join("bench-records.db"), &Identity::from_seed([11; 32])).unwrap();
        assert_eq!(s.verify_chain(&Identity::from_seed([11; 32]).key.public()).unwrap(), 20);
    }

    #[test]
    fn decision_timing_runs_with_a_scripted_pipeline() {
        let dir = tempfile::tempdir().unwrap();
        let face = crate::face::ScriptedFace::new(vec![crate::face::ScriptedFace::face(92.0, 95.0)]);
        let img = RgbImage::new(8, 8);
        let (times, outcome) = decision_ms(dir.path(), Box::new(face), &img, &img, 3).unwrap();
        assert_eq!((times.total.len(), times.pin.len(), times.frames), (3, 3, 1));
        assert!(outcome.starts_with("IN recorded"), "{outcome}");
    }
}
