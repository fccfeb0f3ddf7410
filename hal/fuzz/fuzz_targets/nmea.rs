//! Fuzz target: arbitrary bytes through the NMEA path (`NmeaDecoder::push_bytes`, line by
//! line, then `finish`) and the plausibility checker. It must never panic, and whatever it
//! yields must be a sane fix.
//!
//! Run: `cd hal/fuzz && cargo +nightly fuzz run nmea -- -max_total_time=60`

#![no_main]

use hadir_hal::gps::plausibility::{CheckConfig, Checker};
use hadir_hal::gps::{DecodedFix, NmeaDecoder};
use libfuzzer_sys::fuzz_target;
use std::time::Instant;

fn check(fixes: &[DecodedFix]) {
    let Ok(mut checker) = Checker::new(CheckConfig::default()) else { return };
    for f in fixes {
        assert!((-90.0..=90.0).contains(&f.fix.lat), "latitude {}", f.fix.lat);
        assert!((-180.0..=180.0).contains(&f.fix.lon), "longitude {}", f.fix.lon);
        assert_eq!(f.fix.hdop, f.fix.hdop_centi.map(|c| f32::from(c) / 100.0));
        checker.check(f, Some(f.fix.time));
    }
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    // First byte chooses the chunk size so that line splitting is exercised too.
    let (chunk, rest) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c).max(1), rest),
        None => (1, data),
    };
    let mut decoder = NmeaDecoder::new();
    let mut out = Vec::new();
    for part in rest.chunks(chunk) {
        decoder.push_bytes(part, now, &mut out);
    }
    out.extend(decoder.finish());
    check(&out);

    // The same input as whole lines.
    let mut decoder = NmeaDecoder::new();
    let text = String::from_utf8_lossy(rest);
    let mut out: Vec<DecodedFix> = text.lines().filter_map(|l| decoder.push_line(l, now)).collect();
    out.extend(decoder.finish());
    check(&out);
});
