//! The canonical byte encoding of a [`RecordBody`]: the exact bytes that are hashed (record
//! hash, hash chain) and signed (Ed25519).
//!
//! JSON is how records travel, but JSON has many spellings of one value (key order, spaces,
//! escapes, number forms), so nothing is ever signed as JSON. Instead every implementation
//! builds these bytes from the parsed values. The encoding is versioned; version 2 (the
//! current one) is:
//!
//! ```text
//! magic            12 bytes  ASCII "HADIR-RECORD"
//! version          u16       2
//! device_id        str
//! seq              u64
//! employee_id      str
//! direction        u8        1 = in, 2 = out
//! recorded_at_ms   i64
//! utc_offset_min   i16
//! mode             u8        1 = office, 2 = field
//! match_score      u16       basis points
//! liveness_score   u16       basis points
//! decision         u8        1 = valid, 2 = needs_confirmation
//! gps              opt       then: lat_e7 i32, lon_e7 i32, accuracy_dm u32,
//!                                  hdop_centi opt u16, fix_mode u8 (0 = not said,
//!                                  2 = 2D, 3 = 3D), receiver_doubts u8 (bit 0
//!                                  teleport, 1 frozen position, 2 uniform signal;
//!                                  no other bit), satellites u8, fix_at_ms i64
//! photo_sha256     32 bytes
//! app_version      str
//! model_version    str
//! prev_hash        32 bytes
//! clock.since_sync_monotonic_ms   opt u64
//! clock.last_sync_offset_ms       opt i64
//! clock.gps_time_ms               opt i64
//! clock.clock_jumped              u8   0 or 1
//! ```
//!
//! Integers are fixed-width big-endian, signed ones in two's complement. `str` is a `u32`
//! big-endian byte length followed by that many bytes of UTF-8 (no normalisation: the bytes the
//! device had are the bytes signed). `opt` is one byte, `0` (absent, nothing follows) or `1`
//! (present, the value follows). There is no padding and nothing after the last field; fields
//! are never reordered, and a new field means a new version.
//!
//! Version 1 (kiosks before the fix's quality was recorded; still accepted, and its records
//! verify forever from their stored bytes) differs only in the fix: `hdop_centi u16` (0 when
//! the receiver gave none) and no `fix_mode` or `receiver_doubts`. A body is encoded in the layout of its own
//! `format`, so re-encoding a version-1 record gives its signed bytes again.
//!
//! The record hash is SHA-256 of these bytes; the signature is Ed25519 over these bytes.
//! [`decode`] is the exact inverse of [`encode`] and refuses anything else (unknown tags,
//! trailing bytes, bad UTF-8), so `encode(decode(b)) == b` for every accepted `b`.

use crate::keys::Digest;
use crate::record::{ClockEvidence, Decision, Direction, FixMode, GpsFix, Mode, ReceiverDoubts, RecordBody, Score};

/// The canonical encoding version of new records.
pub const CANONICAL_VERSION: u16 = 2;

/// Every version this build reads, verifies and stores (oldest first).
pub const SUPPORTED_VERSIONS: [u16; 2] = [1, CANONICAL_VERSION];

/// The 12 bytes every canonical record starts with (domain separation for the signature).
pub const MAGIC: &[u8; 12] = b"HADIR-RECORD";

/// Why bytes are not a canonical record.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// The bytes do not start with [`MAGIC`].
    #[error("not a canonical record (missing HADIR-RECORD magic)")]
    BadMagic,
    /// The version is not one this build knows.
    #[error("unsupported canonical version {0}")]
    UnsupportedVersion(u16),
    /// The bytes end inside field `field`.
    #[error("truncated in field `{field}` at byte {offset}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the bytes ran out.
        offset: usize,
    },
    /// A tag byte has no meaning.
    #[error("field `{field}`: invalid tag {tag}")]
    BadTag {
        /// The field being read.
        field: &'static str,
        /// The tag found.
        tag: u8,
    },
    /// A string is not UTF-8.
    #[error("field `{field}` is not UTF-8")]
    BadUtf8 {
        /// The field being read.
        field: &'static str,
    },
    /// Bytes are left after the last field.
    #[error("{0} bytes after the last field")]
    TrailingBytes(usize),
}

struct Writer(Vec<u8>);

impl Writer {
    fn str(&mut self, s: &str) {
        // Lengths above u32::MAX cannot occur: validation caps text at 64 bytes, and
        // encoding a longer string would still be unambiguous up to 4 GiB.
        self.0.extend_from_slice(&(s.len() as u32).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                write(self, v);
            }
        }
    }
}

/// Encodes `body` (see the module docs for the layout).
pub fn encode(body: &RecordBody) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(
        200 + body.device_id.len() + body.employee_id.len() + body.app_version.len() + body.model_version.len(),
    ));
    w.0.extend_from_slice(MAGIC);
    // The tag is the body's own format: version 1 gets version 1's layout, any other the
    // current one. A body claiming an unknown format is refused by validation and its bytes
    // by `decode`: never re-labelled.
    w.0.extend_from_slice(&body.format.to_be_bytes());
    let v1 = body.format == 1;
    w.str(&body.device_id);
    w.0.extend_from_slice(&body.seq.to_be_bytes());
    w.str(&body.employee_id);
    w.0.push(match body.direction {
        Direction::In => 1,
        Direction::Out => 2,
    });
    w.0.extend_from_slice(&body.recorded_at_ms.to_be_bytes());
    w.0.extend_from_slice(&body.utc_offset_min.to_be_bytes());
    w.0.push(match body.mode {
        Mode::Office => 1,
        Mode::Field => 2,
    });
    w.0.extend_from_slice(&body.match_score.0.to_be_bytes());
    w.0.extend_from_slice(&body.liveness_score.0.to_be_bytes());
    w.0.push(match body.decision {
        Decision::Valid => 1,
        Decision::NeedsConfirmation => 2,
    });
    w.opt(body.gps.as_ref(), |w, g| {
        w.0.extend_from_slice(&g.lat_e7.to_be_bytes());
        w.0.extend_from_slice(&g.lon_e7.to_be_bytes());
        w.0.extend_from_slice(&g.accuracy_dm.to_be_bytes());
        if v1 {
            w.0.extend_from_slice(&g.hdop_centi.unwrap_or(0).to_be_bytes());
        } else {
            w.opt(g.hdop_centi, |w, h| w.0.extend_from_slice(&h.to_be_bytes()));
            w.0.push(match g.fix_mode {
                None => 0,
                Some(FixMode::TwoD) => 2,
                Some(FixMode::ThreeD) => 3,
            });
            w.0.push(g.receiver_doubts.bits());
        }
        w.0.push(g.satellites);
        w.0.extend_from_slice(&g.fix_at_ms.to_be_bytes());
    });
    w.0.extend_from_slice(&body.photo_sha256.0);
    w.str(&body.app_version);
    w.str(&body.model_version);
    w.0.extend_from_slice(&body.prev_hash.0);
    let c = &body.clock;
    w.opt(c.since_sync_monotonic_ms, |w, v| w.0.extend_from_slice(&v.to_be_bytes()));
    w.opt(c.last_sync_offset_ms, |w, v| w.0.extend_from_slice(&v.to_be_bytes()));
    w.opt(c.gps_time_ms, |w, v| w.0.extend_from_slice(&v.to_be_bytes()));
    w.0.push(u8::from(c.clock_jumped));
    w.0
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], CanonicalError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(CanonicalError::Truncated { field, offset: self.pos })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], CanonicalError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
    fn u8(&mut self, field: &'static str) -> Result<u8, CanonicalError> {
        Ok(self.array::<1>(field)?[0])
    }
    fn str(&mut self, field: &'static str) -> Result<String, CanonicalError> {
        let len = u32::from_be_bytes(self.array(field)?) as usize;
        let bytes = self.take(len, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CanonicalError::BadUtf8 { field })
    }
    fn present(&mut self, field: &'static str) -> Result<bool, CanonicalError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(CanonicalError::BadTag { field, tag }),
        }
    }
}

/// Decodes canonical bytes back into a body: the exact inverse of [`encode`].
pub fn decode(bytes: &[u8]) -> Result<RecordBody, CanonicalError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len(), "magic").map_err(|_| CanonicalError::BadMagic)? != MAGIC {
        return Err(CanonicalError::BadMagic);
    }
    let version = u16::from_be_bytes(r.array("version")?);
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(CanonicalError::UnsupportedVersion(version));
    }
    let device_id = r.str("device_id")?;
    let seq = u64::from_be_bytes(r.array("seq")?);
    let employee_id = r.str("employee_id")?;
    let direction = match r.u8("direction")? {
        1 => Direction::In,
        2 => Direction::Out,
        tag => return Err(CanonicalError::BadTag { field: "direction", tag }),
    };
    let recorded_at_ms = i64::from_be_bytes(r.array("recorded_at_ms")?);
    let utc_offset_min = i16::from_be_bytes(r.array("utc_offset_min")?);
    let mode = match r.u8("mode")? {
        1 => Mode::Office,
        2 => Mode::Field,
        tag => return Err(CanonicalError::BadTag { field: "mode", tag }),
    };
    let match_score = Score(u16::from_be_bytes(r.array("match_score")?));
    let liveness_score = Score(u16::from_be_bytes(r.array("liveness_score")?));
    let decision = match r.u8("decision")? {
        1 => Decision::Valid,
        2 => Decision::NeedsConfirmation,
        tag => return Err(CanonicalError::BadTag { field: "decision", tag }),
    };
    let gps = if r.present("gps")? {
        let lat_e7 = i32::from_be_bytes(r.array("gps.lat_e7")?);
        let lon_e7 = i32::from_be_bytes(r.array("gps.lon_e7")?);
        let accuracy_dm = u32::from_be_bytes(r.array("gps.accuracy_dm")?);
        let (hdop_centi, fix_mode, receiver_doubts) = if version == 1 {
            // Version 1's 0 meant "none" (see `RecordBody::fix`); `encode` writes `None`
            // back as 0, so the bytes round-trip.
            let hdop = u16::from_be_bytes(r.array("gps.hdop_centi")?);
            ((hdop != 0).then_some(hdop), None, ReceiverDoubts::default())
        } else {
            let hdop = if r.present("gps.hdop_centi")? { Some(u16::from_be_bytes(r.array("gps.hdop_centi")?)) } else { None };
            let mode = match r.u8("gps.fix_mode")? {
                0 => None,
                2 => Some(FixMode::TwoD),
                3 => Some(FixMode::ThreeD),
                tag => return Err(CanonicalError::BadTag { field: "gps.fix_mode", tag }),
            };
            let bits = r.u8("gps.receiver_doubts")?;
            let doubts = ReceiverDoubts::from_bits(bits).ok_or(CanonicalError::BadTag { field: "gps.receiver_doubts", tag: bits })?;
            (hdop, mode, doubts)
        };
        Some(GpsFix {
            lat_e7,
            lon_e7,
            accuracy_dm,
            hdop_centi,
            satellites: r.u8("gps.satellites")?,
            fix_at_ms: i64::from_be_bytes(r.array("gps.fix_at_ms")?),
            fix_mode,
            receiver_doubts,
        })
    } else {
        None
    };
    let photo_sha256 = Digest(r.array("photo_sha256")?);
    let app_version = r.str("app_version")?;
    let model_version = r.str("model_version")?;
    let prev_hash = Digest(r.array("prev_hash")?);
    let since_sync_monotonic_ms = if r.present("clock.since_sync_monotonic_ms")? {
        Some(u64::from_be_bytes(r.array("clock.since_sync_monotonic_ms")?))
    } else {
        None
    };
    let last_sync_offset_ms = if r.present("clock.last_sync_offset_ms")? {
        Some(i64::from_be_bytes(r.array("clock.last_sync_offset_ms")?))
    } else {
        None
    };
    let gps_time_ms = if r.present("clock.gps_time_ms")? {
        Some(i64::from_be_bytes(r.array("clock.gps_time_ms")?))
    } else {
        None
    };
    let clock_jumped = match r.u8("clock.clock_jumped")? {
        0 => false,
        1 => true,
        tag => return Err(CanonicalError::BadTag { field: "clock.clock_jumped", tag }),
    };
    if r.pos != bytes.len() {
        return Err(CanonicalError::TrailingBytes(bytes.len() - r.pos));
    }
    Ok(RecordBody {
        format: version,
        device_id,
        seq,
        employee_id,
        direction,
        recorded_at_ms,
        utc_offset_min,
        mode,
        match_score,
        liveness_score,
        decision,
        gps,
        photo_sha256,
        app_version,
        model_version,
        prev_hash,
        clock: ClockEvidence { since_sync_monotonic_ms, last_sync_offset_ms, gps_time_ms, clock_jumped },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::body;

    #[test]
    fn round_trip_with_and_without_options() {
        let fix = GpsFix { lat_e7: -69_123_456, lon_e7: 1_068_000_001, accuracy_dm: 35, hdop_centi: Some(90), satellites: 9, fix_at_ms: 5, fix_mode: Some(FixMode::ThreeD), receiver_doubts: ReceiverDoubts::default() };
        let clock = ClockEvidence { since_sync_monotonic_ms: Some(12), last_sync_offset_ms: Some(-40), gps_time_ms: Some(1), clock_jumped: true };
        let plain = body(3, Digest::of(b"prev"));
        let with = |gps: GpsFix| RecordBody { gps: Some(gps), clock, ..plain.clone() };
        let v1 = |b: RecordBody| RecordBody { format: 1, ..b };
        for b in [
            plain.clone(),
            with(fix),
            with(GpsFix { hdop_centi: None, fix_mode: Some(FixMode::TwoD), ..fix }),
            with(GpsFix { hdop_centi: Some(0), fix_mode: None, ..fix }),
            with(GpsFix { receiver_doubts: ReceiverDoubts { teleport: true, frozen_position: false, uniform_signal: true }, ..fix }),
            v1(plain.clone()),
            v1(with(GpsFix { fix_mode: None, receiver_doubts: ReceiverDoubts::default(), ..fix })),
            v1(with(GpsFix { hdop_centi: None, fix_mode: None, ..fix })),
        ] {
            assert_eq!(decode(&encode(&b)), Ok(b.clone()), "format {}: {:?}", b.format, b.gps);
        }
    }

    #[test]
    fn version_1_wrote_no_hdop_as_zero_and_had_no_fix_mode() {
        let fix = GpsFix { lat_e7: 1, lon_e7: 2, accuracy_dm: 3, hdop_centi: Some(0), satellites: 4, fix_at_ms: 5, fix_mode: None, receiver_doubts: ReceiverDoubts::default() };
        let old = RecordBody { format: 1, gps: Some(fix), ..body(1, Digest::ZERO) };
        // The JSON of an old kiosk says 0; the bytes it signed say 0; both read as "none".
        assert_eq!(old.fix().unwrap().hdop_centi, None);
        let decoded = decode(&encode(&old)).unwrap();
        assert_eq!(decoded.gps.unwrap().hdop_centi, None);
        assert_eq!(encode(&decoded), encode(&old), "the signed bytes come back");
        // In version 2, a 0 is what the receiver wrote (and itself a doubt); none is none.
        let new = RecordBody { format: 2, ..old.clone() };
        assert_eq!(new.fix().unwrap().hdop_centi, Some(0));
        assert_ne!(encode(&new), encode(&RecordBody { gps: Some(GpsFix { hdop_centi: None, ..fix }), ..new.clone() }));
        // The two versions of one body are different bytes (a different tag, a different fix).
        assert_ne!(encode(&new)[..14], encode(&old)[..14]);
        // A version-1 body's fix mode has nowhere to go: it must be refused before signing.
        assert!(RecordBody { gps: Some(GpsFix { fix_mode: Some(FixMode::TwoD), ..fix }), ..old.clone() }.validate().is_err());
        let doubted = ReceiverDoubts { uniform_signal: true, ..ReceiverDoubts::default() };
        assert!(RecordBody { gps: Some(GpsFix { receiver_doubts: doubted, ..fix }), ..old }.validate().is_err());
    }

    #[test]
    fn encoding_does_not_depend_on_json_key_order() {
        let b = body(2, Digest::of(b"prev"));
        let json = serde_json::to_value(&b).unwrap();
        let map = json.as_object().unwrap();
        // Rebuild the object with keys in reverse order.
        let mut reversed = serde_json::Map::new();
        for (k, v) in map.iter().rev() {
            reversed.insert(k.clone(), v.clone());
        }
        let text = serde_json::to_string(&serde_json::Value::Object(reversed)).unwrap();
        let back: RecordBody = serde_json::from_str(&text).unwrap();
        assert_eq!(encode(&back), encode(&b));
    }

    #[test]
    fn decode_refuses_malformed_bytes() {
        let good = encode(&body(1, Digest::ZERO));
        let mut trailing = good.clone();
        trailing.push(0);
        let mut bad_dir = good.clone();
        // magic 12 + version 2 + len 4 + "KIOSK-01" 8 + seq 8 + len 4 + 18 => direction.
        bad_dir[12 + 2 + 4 + 8 + 8 + 4 + 18] = 7;
        let mut bad_version = good.clone();
        bad_version[13] = 3;
        let with_fix = encode(&RecordBody {
            gps: Some(GpsFix { lat_e7: 1, lon_e7: 2, accuracy_dm: 3, hdop_centi: None, satellites: 4, fix_at_ms: 5, fix_mode: None, receiver_doubts: ReceiverDoubts::default() }),
            ..body(1, Digest::ZERO)
        });
        let mut bad_mode = with_fix.clone();
        // decision is the byte before the gps tag; then 12 bytes, the hdop tag, the mode.
        let gps_at = 12 + 2 + 4 + 8 + 8 + 4 + 18 + 1 + 8 + 2 + 1 + 2 + 2 + 1;
        assert_eq!(bad_mode[gps_at], 1, "gps present");
        bad_mode[gps_at + 1 + 12 + 1] = 4;
        let mut bad_doubts = with_fix.clone();
        bad_doubts[gps_at + 1 + 12 + 1 + 1] = 8;
        let cases: Vec<(Vec<u8>, CanonicalError)> = vec![
            (b"HADIR".to_vec(), CanonicalError::BadMagic),
            (trailing, CanonicalError::TrailingBytes(1)),
            (bad_dir, CanonicalError::BadTag { field: "direction", tag: 7 }),
            (bad_version, CanonicalError::UnsupportedVersion(3)),
            (bad_mode, CanonicalError::BadTag { field: "gps.fix_mode", tag: 4 }),
            (bad_doubts, CanonicalError::BadTag { field: "gps.receiver_doubts", tag: 8 }),
            (good[..good.len() - 1].to_vec(), CanonicalError::Truncated { field: "clock.clock_jumped", offset: good.len() - 1 }),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode(&bytes), Err(want));
        }
    }
}
