//! What an attendance record says, and the signed record.
//!
//! A record is made once, on the device, and never changed after. Every number is an integer
//! in a stated unit (milliseconds, basis points, 1e-7 degrees …) so that the canonical
//! encoding has exactly one form and JSON round-trips are exact.
//!
//! # Units and limits
//!
//! - Instants are milliseconds since the Unix epoch, UTC; the device's local offset travels
//!   beside the instant in minutes (`utc_offset_min`, e.g. `420` for WIB, UTC+7).
//! - Scores are basis points, `0..=10000` (`8000` = 80 %), see [`Score`].
//! - Identifiers and version strings are 1 to [`MAX_TEXT_LEN`] bytes of UTF-8.

use crate::canonical;
use crate::keys::{DeviceKey, Digest, PublicKey, Signature, VerifyError};
use serde::{Deserialize, Serialize};

/// The longest identifier or version string a record may carry, in bytes.
pub const MAX_TEXT_LEN: usize = 64;

/// IN (MASUK) or OUT (PULANG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// MASUK: arriving.
    In,
    /// PULANG: going home.
    Out,
}

/// Whether the device is a wall kiosk in an office or a unit carried in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A wall-mounted office kiosk (60-minute late tolerance).
    Office,
    /// A field unit with GPS (no late tolerance).
    Field,
}

impl Mode {
    /// The lowercase name used in JSON, configs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Office => "office",
            Mode::Field => "field",
        }
    }

    /// Reads `office` or `field`.
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "office" => Some(Mode::Office),
            "field" => Some(Mode::Field),
            _ => None,
        }
    }
}

/// The device's decision from the face match (thresholds in DESIGN.md: ≥ 80 % valid,
/// 50–80 % needs a supervisor's confirmation; under 50 % no record is made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A valid record.
    Valid,
    /// Needs a supervisor's confirmation (the evidence photo decides).
    NeedsConfirmation,
}

/// A score in basis points (`0..=10000`; `8000` is 80 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Score(pub u16);

impl Score {
    /// The highest score (100 %).
    pub const MAX: Score = Score(10_000);

    /// From a percentage (`0.0..=100.0`), rounded to the nearest basis point and clamped.
    pub fn from_percent(percent: f32) -> Score {
        if percent.is_nan() {
            return Score(0);
        }
        Score((percent.clamp(0.0, 100.0) * 100.0).round() as u16)
    }

    /// As a percentage.
    pub fn percent(self) -> f32 {
        f32::from(self.0) / 100.0
    }
}

/// A GPS position fix, as the receiver reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpsFix {
    /// Latitude in 1e-7 degrees (north positive), `-900000000..=900000000`.
    pub lat_e7: i32,
    /// Longitude in 1e-7 degrees (east positive), `-1800000000..=1800000000`.
    pub lon_e7: i32,
    /// Estimated horizontal accuracy in decimetres (e.g. HDOP × the receiver's UERE).
    pub accuracy_dm: u32,
    /// Horizontal dilution of precision × 100, as the receiver wrote it; `None` when it wrote
    /// none. (Format 1 carried 0 for "none": such a 0 reads as `None`, see
    /// [`RecordBody::fix`].)
    pub hdop_centi: Option<u16>,
    /// Satellites used in the fix.
    pub satellites: u8,
    /// When the fix was taken (UTC, ms since the Unix epoch, from the receiver).
    pub fix_at_ms: i64,
    /// 2D or 3D, as the receiver said; `None` when it did not say, and in format 1 (which had
    /// no such field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_mode: Option<FixMode>,
    /// What the device's receiver stream said against this fix (format 2; none in format 1).
    #[serde(default, skip_serializing_if = "ReceiverDoubts::is_none")]
    pub receiver_doubts: ReceiverDoubts,
}

/// What the kiosk saw in its receiver's stream that a real receiver does not send, at the time
/// of the fix (format 2): the server cannot see the NMEA, only this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiverDoubts {
    /// A jump no vehicle makes, in the minutes before.
    pub teleport: bool,
    /// The position frozen to the last digit while the receiver reports moving, or very long.
    pub frozen_position: bool,
    /// Every satellite at one signal strength.
    pub uniform_signal: bool,
}

impl ReceiverDoubts {
    /// No doubt.
    pub fn is_none(&self) -> bool {
        *self == ReceiverDoubts::default()
    }

    /// As the canonical encoding's byte: bit 0 teleport, bit 1 frozen position, bit 2 uniform
    /// signal.
    pub fn bits(self) -> u8 {
        u8::from(self.teleport) | u8::from(self.frozen_position) << 1 | u8::from(self.uniform_signal) << 2
    }

    /// The inverse of [`ReceiverDoubts::bits`]; `None` when an unknown bit is set.
    pub fn from_bits(bits: u8) -> Option<ReceiverDoubts> {
        (bits & !0b111 == 0).then_some(ReceiverDoubts { teleport: bits & 1 != 0, frozen_position: bits & 2 != 0, uniform_signal: bits & 4 != 0 })
    }
}

/// Whether the receiver's solution has a height (3D, four or more satellites) or not (2D: a
/// position on an assumed height, several times less certain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FixMode {
    /// Latitude and longitude only.
    #[serde(rename = "2d")]
    TwoD,
    /// Latitude, longitude and height.
    #[serde(rename = "3d")]
    ThreeD,
}

impl FixMode {
    /// `2d` / `3d`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FixMode::TwoD => "2d",
            FixMode::ThreeD => "3d",
        }
    }

    /// The inverse of [`FixMode::as_str`].
    pub fn parse(s: &str) -> Option<FixMode> {
        match s {
            "2d" => Some(FixMode::TwoD),
            "3d" => Some(FixMode::ThreeD),
            _ => None,
        }
    }
}

impl GpsFix {
    /// Latitude in degrees.
    pub fn lat_deg(&self) -> f64 {
        f64::from(self.lat_e7) / 1e7
    }

    /// Longitude in degrees.
    pub fn lon_deg(&self) -> f64 {
        f64::from(self.lon_e7) / 1e7
    }

    /// Converts degrees to the stored 1e-7 degree units (rounded).
    pub fn degrees_to_e7(degrees: f64) -> i32 {
        (degrees * 1e7).round() as i32
    }
}

/// What the device knows about its own clock when it made the record, so that the server and
/// an auditor can judge the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockEvidence {
    /// Monotonic milliseconds elapsed since the last successful server time sync (none if the
    /// device never synced since boot).
    pub since_sync_monotonic_ms: Option<u64>,
    /// Server time minus device time, in ms, measured at that last sync.
    pub last_sync_offset_ms: Option<i64>,
    /// The GPS receiver's UTC time when the record was made, if it had one.
    pub gps_time_ms: Option<i64>,
    /// The wall clock jumped (by more than the device's threshold) since the last sync.
    pub clock_jumped: bool,
}

/// Everything a record says, i.e. everything that is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Canonical encoding version the record was made for: [`canonical::CANONICAL_VERSION`] for
    /// new records, or an earlier one still accepted ([`canonical::SUPPORTED_VERSIONS`]).
    pub format: u16,
    /// The device's id, given at enrolment.
    pub device_id: String,
    /// Per-device sequence number, starting at 1, without gaps.
    pub seq: u64,
    /// The employee (NIP or the roster's employee id).
    pub employee_id: String,
    /// IN or OUT.
    pub direction: Direction,
    /// When, UTC, ms since the Unix epoch.
    pub recorded_at_ms: i64,
    /// The device's UTC offset in minutes at that moment.
    pub utc_offset_min: i16,
    /// Office or field.
    pub mode: Mode,
    /// Face match score.
    pub match_score: Score,
    /// Liveness (anti-spoofing) score.
    pub liveness_score: Score,
    /// Valid, or needs a supervisor's confirmation.
    pub decision: Decision,
    /// The GPS fix, or `None` when the device had none (said explicitly, never implied).
    pub gps: Option<GpsFix>,
    /// SHA-256 of the evidence photo (the JPEG travels separately).
    pub photo_sha256: Digest,
    /// The kiosk software version.
    pub app_version: String,
    /// The face model set version.
    pub model_version: String,
    /// Hash of this device's previous record ([`Digest::ZERO`] for sequence number 1).
    pub prev_hash: Digest,
    /// Evidence about the device clock.
    pub clock: ClockEvidence,
}

/// Why a record's content is not acceptable, independent of any signature or chain.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ValidationError {
    /// The record was made for an encoding version this build does not know.
    #[error("unsupported record format {0} (this build knows formats {v:?})", v = canonical::SUPPORTED_VERSIONS)]
    UnsupportedFormat(u16),
    /// A text field is empty or too long.
    #[error("field `{field}` must be 1 to {MAX_TEXT_LEN} bytes, got {len}")]
    TextLength {
        /// The field name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A number is outside its range.
    #[error("field `{field}` out of range: {value}")]
    OutOfRange {
        /// The field name.
        field: &'static str,
        /// The offending value.
        value: i64,
    },
}

fn text(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || value.len() > MAX_TEXT_LEN {
        return Err(ValidationError::TextLength { field, len: value.len() });
    }
    Ok(())
}

fn range(field: &'static str, value: i64, lo: i64, hi: i64) -> Result<(), ValidationError> {
    if value < lo || value > hi {
        return Err(ValidationError::OutOfRange { field, value });
    }
    Ok(())
}

impl RecordBody {
    /// Checks formats, lengths and ranges (not signature, chain or plausibility of time).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !canonical::SUPPORTED_VERSIONS.contains(&self.format) {
            return Err(ValidationError::UnsupportedFormat(self.format));
        }
        text("device_id", &self.device_id)?;
        text("employee_id", &self.employee_id)?;
        text("app_version", &self.app_version)?;
        text("model_version", &self.model_version)?;
        range("seq", i64::try_from(self.seq).unwrap_or(i64::MAX), 1, i64::MAX - 1)?;
        range("utc_offset_min", self.utc_offset_min.into(), -16 * 60, 16 * 60)?;
        range("match_score", self.match_score.0.into(), 0, Score::MAX.0.into())?;
        range("liveness_score", self.liveness_score.0.into(), 0, Score::MAX.0.into())?;
        if let Some(gps) = &self.gps {
            range("gps.lat_e7", gps.lat_e7.into(), -900_000_000, 900_000_000)?;
            range("gps.lon_e7", gps.lon_e7.into(), -1_800_000_000, 1_800_000_000)?;
            if self.format == 1 && gps.fix_mode.is_some() {
                // Format 1 has no place for it: signing would silently drop it.
                return Err(ValidationError::OutOfRange { field: "gps.fix_mode (not in format 1)", value: 1 });
            }
            if self.format == 1 && !gps.receiver_doubts.is_none() {
                return Err(ValidationError::OutOfRange { field: "gps.receiver_doubts (not in format 1)", value: gps.receiver_doubts.bits().into() });
            }
        }
        if self.seq == 1 && self.prev_hash != Digest::ZERO {
            // The first record has no predecessor; anything else is a forged chain start.
            return Err(ValidationError::OutOfRange { field: "prev_hash (seq 1 must be zero)", value: 1 });
        }
        Ok(())
    }

    /// The fix as the receiver reported it: [`RecordBody::gps`], except that format 1 wrote 0
    /// for "no HDOP" (a real receiver never reports 0.0) and its JSON carries that 0: here it
    /// reads as `None`, whichever way the record arrived. What judges or stores a record's
    /// place reads this, not `gps`.
    pub fn fix(&self) -> Option<GpsFix> {
        let mut fix = self.gps?;
        if self.format == 1 && fix.hdop_centi == Some(0) {
            fix.hdop_centi = None;
        }
        Some(fix)
    }

    /// The canonical bytes (see [`canonical`]): what is hashed and signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical::encode(self)
    }

    /// SHA-256 of the canonical bytes: the record's identity and the next record's `prev_hash`.
    pub fn hash(&self) -> Digest {
        Digest::of(&self.canonical_bytes())
    }

    /// Signs the body with the device's key.
    pub fn sign(self, key: &DeviceKey) -> Record {
        let signature = key.sign(&self.canonical_bytes());
        Record { body: self, signature }
    }
}

/// A signed record, as stored on the device, sent in batches and stored by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// What the record says.
    pub body: RecordBody,
    /// Ed25519 signature by the device's key over `body`'s canonical bytes.
    pub signature: Signature,
}

impl Record {
    /// Verifies the signature against the device's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), VerifyError> {
        key.verify(&self.body.canonical_bytes(), &self.signature)
    }

    /// The record hash (see [`RecordBody::hash`]).
    pub fn hash(&self) -> Digest {
        self.body.hash()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plausible office record for tests.
    pub(crate) fn body(seq: u64, prev_hash: Digest) -> RecordBody {
        RecordBody {
            format: canonical::CANONICAL_VERSION,
            device_id: "KIOSK-01".into(),
            seq,
            employee_id: "198503302010011002".into(),
            direction: Direction::In,
            recorded_at_ms: 1_780_000_000_000 + seq as i64 * 60_000,
            utc_offset_min: 420,
            mode: Mode::Office,
            match_score: Score(9123),
            liveness_score: Score(9870),
            decision: Decision::Valid,
            gps: None,
            photo_sha256: Digest::of(b"photo"),
            app_version: "0.1.0".into(),
            model_version: "faceplugin-0.0.1".into(),
            prev_hash,
            clock: ClockEvidence::default(),
        }
    }

    #[test]
    fn score_from_percent_rounds_and_clamps() {
        let cases = [(80.0, 8000), (79.996, 8000), (49.994, 4999), (-3.0, 0), (120.0, 10000), (f32::NAN, 0)];
        for (percent, bp) in cases {
            assert_eq!(Score::from_percent(percent), Score(bp), "{percent}");
        }
    }

    #[test]
    fn validation_table() {
        let ok = body(1, Digest::ZERO);
        assert_eq!(ok.validate(), Ok(()));
        let mut cases: Vec<(RecordBody, &str)> = Vec::new();
        let mut b = ok.clone();
        b.format = 99;
        cases.push((b, "format"));
        let mut b = ok.clone();
        b.device_id = String::new();
        cases.push((b, "device_id"));
        let mut b = ok.clone();
        b.employee_id = "x".repeat(65);
        cases.push((b, "employee_id"));
        let mut b = ok.clone();
        b.match_score = Score(10_001);
        cases.push((b, "match_score"));
        let mut b = ok.clone();
        b.seq = 0;
        cases.push((b, "seq"));
        let mut b = ok.clone();
        b.prev_hash = Digest::of(b"x");
        cases.push((b, "prev_hash"));
        let mut b = ok.clone();
        b.gps = Some(GpsFix { lat_e7: 900_000_001, lon_e7: 0, accuracy_dm: 1, hdop_centi: Some(1), satellites: 1, fix_at_ms: 0, fix_mode: None, receiver_doubts: Default::default() });
        cases.push((b, "lat"));
        for (b, what) in cases {
            assert!(b.validate().is_err(), "{what} should be refused");
        }
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let key = DeviceKey::from_seed(&[9; 32]);
        let rec = body(1, Digest::ZERO).sign(&key);
        assert!(rec.verify(&key.public()).is_ok());
        let mut altered = rec.clone();
        altered.body.match_score = Score(9999);
        assert!(altered.verify(&key.public()).is_err());
        let other = DeviceKey::from_seed(&[10; 32]);
        assert!(rec.verify(&other.public()).is_err());
    }
}
