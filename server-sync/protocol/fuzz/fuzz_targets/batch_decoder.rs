//! Fuzzes the server's upload batch decoder with arbitrary bodies: it must never panic, and
//! every record it accepts must survive the canonical encoding and JSON round trips unchanged.
#![no_main]

use hadir_protocol::{canonical, decode_batch, Record, UploadBatch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = decode_batch(data) else { return };
    let mut good: Vec<Record> = Vec::new();
    for entry in batch.entries {
        let Ok(record) = entry else { continue };
        let bytes = record.body.canonical_bytes();
        let back = canonical::decode(&bytes).expect("accepted record must decode from its canonical bytes");
        assert_eq!(back, record.body);
        assert_eq!(back.canonical_bytes(), bytes);
        good.push(record);
    }
    let text = serde_json::to_vec(&UploadBatch::of(good.clone())).expect("serialise");
    let again = decode_batch(&text).expect("re-encoded batch decodes");
    let again: Vec<Record> = again.entries.into_iter().map(|e| e.expect("still well-formed")).collect();
    assert_eq!(again, good);
});
