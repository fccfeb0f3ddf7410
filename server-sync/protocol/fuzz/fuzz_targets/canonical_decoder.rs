//! Fuzzes the canonical record decoder: never panics, and whatever it accepts re-encodes to
//! exactly the same bytes (one encoding per record).
#![no_main]

use hadir_protocol::canonical;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = canonical::decode(data) {
        assert_eq!(canonical::encode(&body), data);
    }
});
