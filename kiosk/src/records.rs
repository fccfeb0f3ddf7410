//! # Records: building and signing what the flow decided
//!
//! Turns a decision (who, IN/OUT, scores, band), the policy's GPS evidence, the clock
//! evidence and the evidence photo into a [`hadir_protocol::RecordBody`] that extends the
//! device's chain, and signs it with the device key over the protocol's canonical encoding.
//! [`save`] does it inside the store's write transaction, so the sequence number and
//! `prev_hash` are those of the record actually stored before.
//!
//! It must not decide anything: bands, lateness and the GPS rule are decided before.

use crate::flow::{Band, Direction};
use crate::identity::Identity;
use crate::policy::{GpsEvidence, GpsFix, Mode};
use crate::store::{Store, StoreError};
use hadir_protocol::{
    CANONICAL_VERSION, ChainHead, ClockEvidence, Decision, Digest, Record, RecordBody, Score,
};
use image::RgbImage;

/// The device's fixed facts a record carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Device id from enrolment.
    pub device_id: String,
    /// Kiosk software version.
    pub app_version: String,
    /// Face model set version.
    pub model_version: String,
    /// Office or field.
    pub mode: Mode,
}

/// What the flow and the policy decided for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// The employee.
    pub employee_id: String,
    /// IN or OUT.
    pub direction: Direction,
    /// Valid or needs confirmation (never rejected: no record then).
    pub band: Band,
    /// Match score, percent.
    pub score: f32,
    /// Liveness score, percent.
    pub liveness: f32,
    /// Wall time, ms since the epoch (UTC).
    pub recorded_at_ms: i64,
    /// The device's UTC offset, minutes.
    pub utc_offset_min: i16,
    /// The GPS evidence from the policy.
    pub gps: GpsEvidence,
    /// Clock evidence from [`crate::clock::assess`].
    pub clock: ClockEvidence,
}

/// The body of the next record after `head`.
pub fn body(head: ChainHead, device: &DeviceInfo, d: &Decided, photo_sha256: Digest) -> RecordBody {
    RecordBody {
        format: CANONICAL_VERSION,
        device_id: device.device_id.clone(),
        seq: head.seq + 1,
        employee_id: d.employee_id.clone(),
        direction: match d.direction {
            Direction::In => hadir_protocol::Direction::In,
            Direction::Out => hadir_protocol::Direction::Out,
        },
        recorded_at_ms: d.recorded_at_ms,
        utc_offset_min: d.utc_offset_min,
        mode: device.mode,
        match_score: Score::from_percent(d.score),
        liveness_score: Score::from_percent(d.liveness),
        // A rejected band never reaches here (the flow makes no record); if it did, the safe
        // reading is "a supervisor must look".
        decision: d.band.decision().unwrap_or(Decision::NeedsConfirmation),
        gps: match d.gps {
            GpsEvidence::Fix(f) => Some(wire_fix(f)),
            GpsEvidence::NoFix => None,
        },
        photo_sha256,
        app_version: device.app_version.clone(),
        model_version: record_model_version(&device.model_version),
        prev_hash: head.hash,
        clock: d.clock,
    }
}

/// The model version as a record carries it: at most the protocol's 64 bytes. A longer one
/// (e.g. `package@version/file.onnx#hash`) keeps its package and its hash, which identify it.
pub fn record_model_version(full: &str) -> String {
    const MAX: usize = hadir_protocol::record::MAX_TEXT_LEN;
    if full.len() <= MAX {
        return full.to_owned();
    }
    let hash = full.rsplit_once('#').map_or("", |(_, h)| h);
    let head_len = MAX.saturating_sub(hash.len() + 1);
    let mut head: String = full.split('/').next().unwrap_or(full).chars().collect();
    while head.len() > head_len {
        head.pop();
    }
    if hash.is_empty() || hash.len() >= MAX {
        let mut cut = full.to_owned();
        while cut.len() > MAX {
            cut.pop();
        }
        cut
    } else {
        format!("{head}#{hash}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_model_versions_fit_the_record() {
        let full = "faceplugin-face-recognition-js@0.0.1/fr_feature.onnx#87aacdfe57510db2";
        let short = super::record_model_version(full);
        assert_eq!(short, "faceplugin-face-recognition-js@0.0.1#87aacdfe57510db2");
        assert_eq!(super::record_model_version("m1"), "m1");
        assert!(super::record_model_version(&"x".repeat(100)).len() <= 64);
    }
}

/// The protocol's fixed-point form of a fix.
pub fn wire_fix(f: GpsFix) -> hadir_protocol::GpsFix {
    hadir_protocol::GpsFix {
        lat_e7: hadir_protocol::GpsFix::degrees_to_e7(f.lat),
        lon_e7: hadir_protocol::GpsFix::degrees_to_e7(f.lon),
        accuracy_dm: (f.accuracy_m.max(0.0) * 10.0).round() as u32,
        hdop_centi: f.hdop_centi,
        satellites: f.satellites,
        fix_at_ms: (f.fix_time.unix_timestamp_nanos() / 1_000_000) as i64,
        fix_mode: f.mode,
        receiver_doubts: f.receiver_doubts,
    }
}

/// Builds, signs and stores the next record with its evidence photo; durable on return.
pub fn save(
    store: &mut Store,
    identity: &Identity,
    device: &DeviceInfo,
    d: &Decided,
    jpeg: Vec<u8>,
) -> Result<Record, StoreError> {
    let photo = Digest::of(&jpeg);
    store.append_record(|head| {
        let body = body(head, device, d, photo);
        body.validate().map_err(|e| e.to_string())?;
        Ok((body.sign(&identity.key), jpeg))
    })
}

/// The evidence photo: the aligned face as a small JPEG.
pub fn evidence_jpeg(face: &RgbImage, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    face.write_with_encoder(enc)?;
    Ok(out)
}
