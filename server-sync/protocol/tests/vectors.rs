//! Checks the committed test vectors in `test-vectors/v1/` and `test-vectors/v2/` against this
//! implementation: canonical bytes, record hash, public key, signature, and the chain between
//! them. Version 1's files never change: records signed in it verify forever.
//!
//! To (re)write the files after an intended change of the vectors' inputs (never of the
//! encoding — that needs a new version), run
//! `HADIR_WRITE_VECTORS=1 cargo test -p hadir-protocol --test vectors` and review the diff.

use hadir_protocol::canonical;
use hadir_protocol::{
    ChainHead, ClockEvidence, Decision, DeviceKey, Digest, Direction, FixMode, GpsFix, Mode, Record,
    RecordBody, Score, Signature, verify_chain,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize)]
struct Vector {
    description: String,
    /// The device key's 32-byte Ed25519 seed (RFC 8032 secret key).
    seed_hex: String,
    public_key_hex: String,
    /// The input, as JSON.
    body: RecordBody,
    canonical_hex: String,
    record_hash_hex: String,
    signature_hex: String,
    /// `false` for vectors whose signature must NOT verify (a body altered after signing).
    signature_valid: bool,
}

fn dir(version: u16) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("test-vectors/v{version}"))
}

fn base(version: u16, seq: u64, prev: Digest) -> RecordBody {
    RecordBody {
        format: version,
        device_id: "KIOSK-PU-01".into(),
        seq,
        employee_id: "198503302010011002".into(),
        direction: Direction::In,
        recorded_at_ms: 1_783_297_800_000, // 2026-07-06T00:30:00Z = 07:30 WIB
        utc_offset_min: 420,
        mode: Mode::Office,
        match_score: Score(9312),
        liveness_score: Score(9950),
        decision: Decision::Valid,
        gps: None,
        photo_sha256: Digest::of(b"evidence photo 1"),
        app_version: "hadir-kiosk 0.1.0".into(),
        model_version: "faceplugin-face-recognition-js 0.0.1".into(),
        prev_hash: prev,
        clock: ClockEvidence { since_sync_monotonic_ms: Some(3_600_000), last_sync_offset_ms: Some(-250), gps_time_ms: None, clock_jumped: false },
    }
}

/// The inputs of version `version`'s vectors, in file order.
fn inputs(version: u16) -> Vec<(&'static str, String, [u8; 32], RecordBody, bool)> {
    let seed = [0x42u8; 32];
    let first = base(version, 1, Digest::ZERO);
    let mut second = base(version, 2, first.hash());
    second.employee_id = "197001012000031001".into();
    second.direction = Direction::Out;
    second.recorded_at_ms += 9 * 3_600_000 + 17_123;
    second.match_score = Score(6540);
    second.decision = Decision::NeedsConfirmation;
    second.photo_sha256 = Digest::of(b"evidence photo 2");
    let mut third = base(version, 3, second.hash());
    third.mode = Mode::Field;
    third.utc_offset_min = 480; // WITA
    third.gps = Some(GpsFix {
        lat_e7: -84_067_890,
        lon_e7: 1_152_345_678,
        accuracy_dm: 42,
        hdop_centi: Some(85),
        satellites: 9,
        fix_at_ms: third.recorded_at_ms - 1_500,
        fix_mode: (version >= 2).then_some(FixMode::ThreeD),
        receiver_doubts: hadir_protocol::ReceiverDoubts::default(),
    });
    third.clock = ClockEvidence { since_sync_monotonic_ms: None, last_sync_offset_ms: None, gps_time_ms: Some(third.recorded_at_ms + 310), clock_jumped: true };
    third.employee_id = "pegawai-ñ-Ω".into(); // non-ASCII: encoded as UTF-8 bytes, unnormalised
    third.photo_sha256 = Digest::of(b"evidence photo 3");
    let mut altered = first.clone();
    altered.recorded_at_ms -= 3_600_000; // moved an hour earlier after signing
    let mut fourth = base(version, 4, third.hash());
    fourth.mode = Mode::Field;
    fourth.utc_offset_min = 480;
    fourth.gps = Some(GpsFix {
        lat_e7: -84_067_001,
        lon_e7: 1_152_345_002,
        accuracy_dm: 150,
        hdop_centi: None,
        satellites: 3,
        fix_at_ms: fourth.recorded_at_ms - 800,
        fix_mode: Some(FixMode::TwoD),
        // The kiosk's receiver sent every satellite at one strength (a simulator's flat signal).
        receiver_doubts: hadir_protocol::ReceiverDoubts { uniform_signal: true, ..Default::default() },
    });
    fourth.photo_sha256 = Digest::of(b"evidence photo 4");
    let mut out = vec![
        ("01-office-first-record", "Office kiosk, first record of the device (prev_hash zero), valid".into(), seed, first, true),
        ("02-office-needs-confirmation", "Second record of the same device: OUT, 65.40 % match, needs confirmation; prev_hash = hash of vector 01".into(), seed, second, true),
        ("03-field-gps-clock-jump", "Third record: field mode with a GPS fix, GPS time, clock jumped, non-ASCII employee id; prev_hash = hash of vector 02".into(), seed, third, true),
        ("04-altered-after-signing", "Vector 01's body with recorded_at_ms moved an hour earlier, carrying vector 01's signature: must NOT verify".into(), seed, altered, false),
    ];
    if version >= 2 {
        out.push(("05-field-2d-no-hdop", "Fourth record: field mode, a 2D fix with 3 satellites and no HDOP from the receiver (the HDOP is absent, not 0), the receiver's signal flat (receiver_doubts.uniform_signal); prev_hash = hash of vector 03".into(), seed, fourth, true));
    }
    out
}

fn build(version: u16) -> Vec<(String, Vector)> {
    let mut out = Vec::new();
    let mut first_sig = None;
    for (name, description, seed, body, valid) in inputs(version) {
        let key = DeviceKey::from_seed(&seed);
        let signature = if valid { key.sign(&body.canonical_bytes()) } else { first_sig.expect("vector 01 first") };
        if first_sig.is_none() {
            first_sig = Some(signature);
        }
        out.push((
            name.to_owned(),
            Vector {
                description,
                seed_hex: hex::encode(seed),
                public_key_hex: key.public().to_hex(),
                canonical_hex: hex::encode(body.canonical_bytes()),
                record_hash_hex: body.hash().to_hex(),
                signature_hex: signature.to_hex(),
                body,
                signature_valid: valid,
            },
        ));
    }
    out
}

#[test]
fn committed_vectors_match_this_implementation() {
    for version in hadir_protocol::SUPPORTED_VERSIONS {
        check(version);
    }
}

fn check(version: u16) {
    let dir = dir(version);
    if std::env::var_os("HADIR_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, v) in build(version) {
            let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
            std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; the vectors are committed with the crate", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let built = build(version);
    assert_eq!(files.len(), built.len(), "expected {} vector files in {}", built.len(), dir.display());
    let mut chain = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let v: Vector = serde_json::from_str(&text).unwrap();
        let name = path.display();
        let seed: [u8; 32] = hex::decode(&v.seed_hex).unwrap().try_into().unwrap();
        let key = DeviceKey::from_seed(&seed);
        assert_eq!(key.public().to_hex(), v.public_key_hex, "{name}: public key");
        assert_eq!(v.body.format, version, "{name}: format");
        v.body.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let bytes = v.body.canonical_bytes();
        assert_eq!(hex::encode(&bytes), v.canonical_hex, "{name}: canonical bytes");
        assert_eq!(canonical::decode(&bytes).as_ref(), Ok(&v.body), "{name}: decode");
        assert_eq!(v.body.hash().to_hex(), v.record_hash_hex, "{name}: record hash");
        let record = Record { body: v.body.clone(), signature: Signature::from_hex(&v.signature_hex).unwrap() };
        assert_eq!(record.verify(&key.public()).is_ok(), v.signature_valid, "{name}: signature validity");
        if v.signature_valid {
            // Ed25519 is deterministic: signing again gives the committed signature.
            assert_eq!(key.sign(&bytes).to_hex(), v.signature_hex, "{name}: signature");
            chain.push(record);
        }
    }
    let head = verify_chain(ChainHead::GENESIS, &chain).expect("the valid vectors form a chain");
    assert_eq!(head.seq, chain.len() as u64);
    // The files are exactly what this implementation would write (no hand edits).
    for (name, v) in built {
        let committed = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        assert_eq!(committed, serde_json::to_string_pretty(&v).unwrap() + "\n", "v{version}/{name}");
    }
}
