//! NMEA 0183 to position fixes: sentence checking, epoch assembly and dating.
//!
//! Receivers speak in *epochs*: every second (or faster) they emit a burst of sentences that
//! share one UTC time of day (GGA, RMC, GNS, GLL carry it; GSA and GSV do not). The decoder
//! collects the sentences of one epoch and, when the next epoch starts (or the input ends,
//! [`NmeaDecoder::finish`]), turns them into at most one [`Fix`].
//!
//! A fix is therefore known when the next epoch's first sentence arrives (or the input
//! ends): up to one update interval after the measurement; its age counts from the arrival of
//! its own epoch's first sentence.
//!
//! Rules, the same for every receiver and every talker (GP, GN, GL, GA, GB, BD, ...):
//! - a line is accepted only with a correct `*hh` checksum; bad checksums, lines that are not
//!   NMEA, over-long lines and sentences whose fields do not parse are counted in
//!   [`NmeaStats`] and skipped, never a panic;
//! - an epoch is a fix when at least one position sentence (GGA quality 1–5, RMC status A/D,
//!   GNS or GLL with a valid mode) says so, no position sentence of the same epoch says "no
//!   fix", and a GSA (if any) does not report "no fix";
//! - a fix needs a calendar date: it comes from an RMC with a valid status or a ZDA. An RMC
//!   marked invalid (V) is not trusted for its date, because receivers without a fix report
//!   their unsynchronised real-time clock there. Until a date is known there is no fix;
//!   time-of-day-only epochs after midnight roll the date over.
//!
//! Mode comes from GSA when present; otherwise 3D when an altitude and at least four
//! satellites were reported, else 2D. Satellites used are the distinct PRNs of the epoch's GSA
//! sentences (one per constellation on multi-GNSS receivers), or GGA/GNS's count without GSA.

use super::{Fix, FixMode, NmeaStats};
use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use nmea::sentences::gsa::GsaMode2;
use nmea::sentences::rmc::RmcStatusOfFix;
use nmea::sentences::{FaaMode, FixType};
use nmea::{Error as NmeaError, ParseResult};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Longest line the decoder looks at; NMEA allows 82 characters, some receivers a little more.
pub const MAX_LINE_LEN: usize = 200;

/// The UTC time of day, in microseconds since midnight (GPS times have at most 3 decimals;
/// rounding removes the float noise of the parser).
type TimeOfDay = i64;

const DAY_US: i64 = 86_400_000_000;

fn time_of_day(t: NaiveTime) -> TimeOfDay {
    let nanos = i64::from(t.nanosecond());
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + (nanos + 500) / 1000
}

/// What one epoch's sentences said.
#[derive(Debug, Clone)]
struct Epoch {
    time: TimeOfDay,
    started: Instant,
    date: Option<NaiveDate>,
    position: Option<(f64, f64)>,
    alt: Option<f64>,
    valid: bool,
    invalid: bool,
    gsa_mode: Option<GsaMode2>,
    gsa_prns: Vec<u32>,
    gsa_hdop: Option<f32>,
    sats: Option<u32>,
    hdop: Option<f32>,
}

impl Epoch {
    fn new(time: TimeOfDay, started: Instant) -> Self {
        Self {
            time,
            started,
            date: None,
            position: None,
            alt: None,
            valid: false,
            invalid: false,
            gsa_mode: None,
            gsa_prns: Vec::new(),
            gsa_hdop: None,
            sats: None,
            hdop: None,
        }
    }

    /// Records a position sentence's verdict and, when valid, its coordinates.
    fn position(&mut self, valid: bool, lat: Option<f64>, lon: Option<f64>) {
        match (valid, lat, lon) {
            (true, Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => {
                self.valid = true;
                self.position = Some((lat, lon));
            }
            // "Valid" without coordinates says nothing usable; an explicit invalid vetoes.
            (true, _, _) => {}
            (false, _, _) => self.invalid = true,
        }
    }
}

/// A fix as decoded, with the instant its epoch's first sentence arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFix {
    /// The fix (its `age` is zero: age is measured by whoever holds it).
    pub fix: Fix,
    /// When the epoch's first sentence was received.
    pub received: Instant,
}

/// Turns NMEA lines into fixes. Pure: time comes in with every line.
#[derive(Debug, Default)]
pub struct NmeaDecoder {
    stats: NmeaStats,
    /// The last trusted date and the time of day it belonged to (for midnight rollover).
    anchor: Option<(NaiveDate, TimeOfDay)>,
    epoch: Option<Epoch>,
    partial: Vec<u8>,
}

/// How a line was classified before decoding.
enum Checked<'a> {
    Sentence(&'a str),
    Proprietary,
    BadChecksum,
    Garbage,
}

/// Checks the framing and checksum of one line (without line ending).
fn check_line(line: &str) -> Checked<'_> {
    let bytes = line.as_bytes();
    if line.len() > MAX_LINE_LEN || !line.is_ascii() || !matches!(bytes.first(), Some(b'$' | b'!')) {
        return Checked::Garbage;
    }
    let Some(star) = line.rfind('*') else { return Checked::Garbage };
    let hex = &line[star + 1..];
    let Ok(found) = u8::from_str_radix(hex, 16) else { return Checked::Garbage };
    if hex.len() != 2 || star < 6 {
        return Checked::Garbage;
    }
    let computed = bytes[1..star].iter().fold(0u8, |acc, b| acc ^ b);
    if computed != found {
        return Checked::BadChecksum;
    }
    if bytes[1] == b'P' {
        return Checked::Proprietary;
    }
    Checked::Sentence(line)
}

/// The `nmea` crate (0.8) accepts at most two GNS mode characters, but multi-GNSS receivers
/// send one per constellation (`ANNA`: GPS and BeiDou autonomous). Such a sentence is given
/// to the crate with the mode field reduced to its first valid constellation's character
/// (else the first one) and a recomputed checksum; `None` when no rewrite is needed.
fn gns_with_short_mode(sentence: &str) -> Option<String> {
    let star = sentence.rfind('*')?;
    let body = &sentence[1..star];
    if body.get(2..6) != Some("GNS,") {
        return None;
    }
    let mut fields: Vec<&str> = body.split(',').collect();
    let mode = *fields.get(6)?;
    if mode.len() <= 2 {
        return None;
    }
    let best = mode.find(['A', 'D', 'P', 'R', 'F']).unwrap_or(0);
    fields[6] = mode.get(best..=best)?;
    let body = fields.join(",");
    let sum = body.bytes().fold(0u8, |acc, b| acc ^ b);
    Some(format!("{}{body}*{sum:02X}", &sentence[..1]))
}

/// An `f32` field as the decimal the receiver sent (1577.4, not 1577.4000244140625).
fn decimal(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

fn faa_valid(mode: Option<FaaMode>) -> bool {
    mode.is_none_or(|m| FixType::from(m).is_valid())
}

impl NmeaDecoder {
    /// A decoder that knows no date yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts so far.
    pub fn stats(&self) -> NmeaStats {
        self.stats
    }

    /// Feeds raw bytes from a serial stream; complete lines are decoded, the tail is kept.
    /// A line longer than [`MAX_LINE_LEN`] without an end is dropped as garbage.
    pub fn push_bytes(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<DecodedFix>) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                if !self.partial.is_empty() {
                    let line = std::mem::take(&mut self.partial);
                    match std::str::from_utf8(&line) {
                        Ok(text) => out.extend(self.push_line(text, now)),
                        Err(_) => self.stats.garbage += 1,
                    }
                }
            } else if self.partial.len() > MAX_LINE_LEN {
                // Keep swallowing until the line ends; count it once.
                if self.partial.len() == MAX_LINE_LEN + 1 {
                    self.stats.garbage += 1;
                    self.partial.push(b);
                }
            } else {
                self.partial.push(b);
            }
        }
    }

    /// Decodes one line (without its line ending). Returns the fix of the previous epoch when
    /// this line starts a new one.
    pub fn push_line(&mut self, line: &str, now: Instant) -> Option<DecodedFix> {
        // Overflowed partial lines from push_bytes arrive here too long: already counted.
        if line.len() > MAX_LINE_LEN + 1 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            return None;
        }
        let sentence = match check_line(line) {
            Checked::Sentence(s) => s,
            Checked::Proprietary => {
                self.stats.unsupported += 1;
                return None;
            }
            Checked::BadChecksum => {
                self.stats.bad_checksum += 1;
                return None;
            }
            Checked::Garbage => {
                self.stats.garbage += 1;
                return None;
            }
        };
        let widened;
        let sentence = match gns_with_short_mode(sentence) {
            Some(rewritten) => {
                widened = rewritten;
                widened.as_str()
            }
            None => sentence,
        };
        let parsed = match nmea::parse_str(sentence) {
            Ok(ParseResult::Unsupported(_)) => {
                self.stats.unsupported += 1;
                return None;
            }
            Ok(parsed) => parsed,
            Err(
                NmeaError::Unknown(_)
                | NmeaError::Unsupported(_)
                | NmeaError::DisabledSentence
                | NmeaError::UnknownGnssType(_)
                | NmeaError::UnknownTalkerId { .. },
            ) => {
                self.stats.unsupported += 1;
                return None;
            }
            // A header the crate cannot even split is a sentence type it does not know.
            Err(_) if nmea::parse_nmea_sentence(sentence).is_err() => {
                self.stats.unsupported += 1;
                return None;
            }
            Err(_) => {
                self.stats.malformed += 1;
                return None;
            }
        };
        self.stats.sentences += 1;
        self.apply(parsed, now)
    }

    /// Ends the input: the open epoch is complete.
    pub fn finish(&mut self) -> Option<DecodedFix> {
        let epoch = self.epoch.take()?;
        self.close(epoch)
    }

    /// Makes `time` the current epoch, closing the previous one if it differs.
    fn enter_epoch(&mut self, time: Option<NaiveTime>, now: Instant) -> Option<DecodedFix> {
        let time = time_of_day(time?);
        match &self.epoch {
            Some(epoch) if epoch.time == time => None,
            _ => {
                let previous = self.epoch.replace(Epoch::new(time, now));
                previous.and_then(|e| self.close(e))
            }
        }
    }

    fn apply(&mut self, parsed: ParseResult, now: Instant) -> Option<DecodedFix> {
        match parsed {
            ParseResult::GGA(gga) => {
                let closed = self.enter_epoch(gga.fix_time, now);
                if let Some(epoch) = self.epoch.as_mut() {
                    let valid = gga.fix_type.is_some_and(FixType::is_valid);
                    epoch.position(valid, gga.latitude, gga.longitude);
                    if valid {
                        epoch.alt = gga.altitude.map(decimal).or(epoch.alt);
                        epoch.sats = gga.fix_satellites.or(epoch.sats);
                        epoch.hdop = gga.hdop.or(epoch.hdop);
                    }
                }
                closed
            }
            ParseResult::GNS(gns) => {
                let closed = self.enter_epoch(gns.fix_time, now);
                if let Some(epoch) = self.epoch.as_mut() {
                    let nav_ok = !matches!(
                        gns.nav_status,
                        Some(nmea::sentences::gns::NavigationStatus::Unsafe)
                            | Some(nmea::sentences::gns::NavigationStatus::NotValidForNavigation)
                    );
                    let valid = FixType::from(gns.faa_modes).is_valid() && nav_ok;
                    epoch.position(valid, gns.lat, gns.lon);
                    if valid {
                        epoch.alt = gns.alt.map(decimal).or(epoch.alt);
                        epoch.sats = Some(u32::from(gns.nsattelites));
                        epoch.hdop = gns.hdop.or(epoch.hdop);
                    }
                }
                closed
            }
            ParseResult::RMC(rmc) => {
                let closed = self.enter_epoch(rmc.fix_time, now);
                if let Some(epoch) = self.epoch.as_mut() {
                    let valid = !matches!(rmc.status_of_fix, RmcStatusOfFix::Invalid)
                        && faa_valid(rmc.faa_mode);
                    epoch.position(valid, rmc.lat, rmc.lon);
                    if valid && let Some(date) = rmc.fix_date {
                        epoch.date = Some(date);
                        self.anchor = Some((date, epoch.time));
                    }
                }
                closed
            }
            ParseResult::GLL(gll) => {
                let closed = self.enter_epoch(gll.fix_time, now);
                if let Some(epoch) = self.epoch.as_mut() {
                    let valid = gll.valid && faa_valid(gll.faa_mode);
                    epoch.position(valid, gll.latitude, gll.longitude);
                }
                closed
            }
            ParseResult::GSA(gsa) => {
                // GSA has no time: it belongs to the epoch in progress.
                if let Some(epoch) = self.epoch.as_mut() {
                    let mode = match (epoch.gsa_mode, gsa.mode2) {
                        // Several GSA per epoch (one per constellation): the best wins.
                        (Some(GsaMode2::Fix3D), _) | (_, GsaMode2::Fix3D) => GsaMode2::Fix3D,
                        (Some(GsaMode2::Fix2D), _) | (_, GsaMode2::Fix2D) => GsaMode2::Fix2D,
                        _ => GsaMode2::NoFix,
                    };
                    epoch.gsa_mode = Some(mode);
                    for prn in gsa.fix_sats_prn {
                        if !epoch.gsa_prns.contains(&prn) {
                            epoch.gsa_prns.push(prn);
                        }
                    }
                    epoch.gsa_hdop = gsa.hdop.or(epoch.gsa_hdop);
                }
                None
            }
            ParseResult::ZDA(zda) => {
                if let (Some(time), Some(date)) = (zda.utc_time, zda.utc_date()) {
                    let tod = time_of_day(time);
                    self.anchor = Some((date, tod));
                    if let Some(epoch) = self.epoch.as_mut().filter(|e| e.time == tod) {
                        epoch.date = Some(date);
                    }
                }
                None
            }
            // Satellites in view, course and speed, and the rest: not part of a fix.
            _ => None,
        }
    }

    /// The date of an epoch that carried none itself: the anchor's, rolled over midnight.
    fn carried_date(&self, time: TimeOfDay) -> Option<NaiveDate> {
        let (date, anchor_time) = self.anchor?;
        let half_day = DAY_US / 2;
        if time < anchor_time - half_day {
            date.succ_opt()
        } else if time > anchor_time + half_day {
            date.pred_opt()
        } else {
            Some(date)
        }
    }

    fn close(&mut self, epoch: Epoch) -> Option<DecodedFix> {
        if !epoch.valid || epoch.invalid || epoch.gsa_mode == Some(GsaMode2::NoFix) {
            return None;
        }
        let (lat, lon) = epoch.position?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return None;
        }
        let date = epoch.date.or_else(|| self.carried_date(epoch.time))?;
        let time = utc(date, epoch.time)?;
        let sats = if epoch.gsa_prns.is_empty() {
            epoch.sats
        } else {
            u32::try_from(epoch.gsa_prns.len()).ok()
        };
        let mode = match epoch.gsa_mode {
            Some(GsaMode2::Fix3D) => FixMode::ThreeD,
            Some(GsaMode2::Fix2D) => FixMode::TwoD,
            _ if epoch.alt.is_some() && sats.is_some_and(|n| n >= 4) => FixMode::ThreeD,
            _ => FixMode::TwoD,
        };
        Some(DecodedFix {
            fix: Fix {
                time,
                lat,
                lon,
                alt: epoch.alt.filter(|_| mode == FixMode::ThreeD),
                mode,
                sats,
                hdop: epoch.hdop.or(epoch.gsa_hdop),
                age: Duration::ZERO,
            },
            received: epoch.started,
        })
    }
}

/// A calendar date and a time of day as a UTC instant.
fn utc(date: NaiveDate, tod: TimeOfDay) -> Option<OffsetDateTime> {
    let month = time::Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    let date = time::Date::from_calendar_date(date.year(), month, day).ok()?;
    let midnight = date.midnight().assume_utc();
    Some(midnight + time::Duration::microseconds(tod))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the checksum to a sentence body given without `$` and `*hh`.
    fn nmea(body: &str) -> String {
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{sum:02X}")
    }

    fn decode(lines: &[String]) -> (Vec<Fix>, NmeaStats) {
        let mut d = NmeaDecoder::new();
        let now = Instant::now();
        let mut fixes: Vec<Fix> = lines.iter().filter_map(|l| d.push_line(l, now)).map(|f| f.fix).collect();
        fixes.extend(d.finish().map(|f| f.fix));
        (fixes, d.stats())
    }

    #[test]
    fn checks_lines() {
        let good = nmea("GPGGA,123519,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,");
        let cases: &[(&str, &str)] = &[
            (&good, "sentence"),
            ("$GPGGA,123519,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,*00", "bad"),
            ("hello", "garbage"),
            ("$GPGGA,1*", "garbage"),
            ("$GPGGA,1*ZZ", "garbage"),
            ("$*00", "garbage"),
            ("$PGRME,7.6,M,41.7,M,42.4,M*2F", "proprietary"),
            ("$GPGGA,\u{e9}*00", "garbage"),
        ];
        for (line, want) in cases {
            let got = match check_line(line) {
                Checked::Sentence(_) => "sentence",
                Checked::Proprietary => "proprietary",
                Checked::BadChecksum => "bad",
                Checked::Garbage => "garbage",
            };
            assert_eq!(got, *want, "{line}");
        }
    }

    #[test]
    fn epoch_with_rmc_date_is_a_3d_fix() {
        let (fixes, stats) = decode(&[
            nmea("GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000"),
            nmea("GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5"),
            nmea("GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A"),
        ]);
        assert_eq!(stats.sentences, 3);
        assert_eq!(fixes.len(), 1);
        let f = &fixes[0];
        assert_eq!(f.time, time::macros::datetime!(2014-12-31 03:07:19 UTC));
        assert!((f.lat - -37.784788333).abs() < 1e-8);
        assert!((f.lon - 175.31489667).abs() < 1e-7);
        assert_eq!((f.mode, f.sats, f.hdop, f.alt), (FixMode::ThreeD, Some(8), Some(1.1), Some(59.9)));
    }

    #[test]
    fn no_date_no_fix_and_invalid_rmc_date_is_not_trusted() {
        let (fixes, _) = decode(&[
            nmea("GNRMC,053231.438,V,,,,,,,020315,,,N"),
            nmea("GPGGA,053232.438,3114.8789,N,12135.2442,E,1,06,1.2,153.8,M,8.3,M,,0000"),
            nmea("GPGGA,053233.438,3114.8821,N,12135.2428,E,1,06,1.2,167.2,M,8.3,M,,0000"),
        ]);
        assert!(fixes.is_empty(), "{fixes:?}");
    }

    #[test]
    fn every_talker_and_date_rollover() {
        let (fixes, _) = decode(&[
            nmea("BDRMC,235959.00,A,0610.0000,S,10649.0000,E,0.0,,311226,,,A"),
            nmea("GBGGA,000000.00,0610.0000,S,10649.0000,E,1,05,1.0,10.0,M,0.0,M,,"),
            nmea("GAGNS,000001.00,0610.0000,S,10649.0000,E,NNAN,05,1.0,10.0,0.0,,"),
            nmea("GLGLL,0610.0000,S,10649.0000,E,000002.00,A,A"),
        ]);
        let times: Vec<String> = fixes.iter().map(|f| f.time.to_string()).collect();
        assert_eq!(
            times,
            [
                "2026-12-31 23:59:59.0 +00:00:00",
                "2027-01-01 0:00:00.0 +00:00:00",
                "2027-01-01 0:00:01.0 +00:00:00",
                "2027-01-01 0:00:02.0 +00:00:00"
            ]
        );
        assert!(fixes.iter().all(|f| (f.lat - -6.1666666667).abs() < 1e-9));
    }

    #[test]
    fn conflicting_or_no_fix_epochs_are_not_fixes() {
        let rmc = nmea("GPRMC,100000,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A");
        let cases: Vec<(Vec<String>, usize, &str)> = vec![
            (vec![rmc.clone()], 1, "RMC alone"),
            (vec![rmc.clone(), nmea("GPGSA,A,1,,,,,,,,,,,,,,,")], 0, "GSA says no fix"),
            (vec![rmc.clone(), nmea("GPGGA,100000,0610.0000,S,10649.0000,E,0,00,,,M,,M,,")], 0, "GGA says invalid"),
            (vec![rmc.clone(), nmea("GPGGA,100000,0610.0000,S,10649.0000,E,6,04,1,5,M,,M,,")], 0, "dead reckoning"),
            (vec![nmea("GPRMC,100000,A,,,,,0.0,,010126,,,A")], 0, "no coordinates"),
            (vec![nmea("GPRMC,100000,A,0610.0000,S,10649.0000,E,0.0,,010126,,,N")], 0, "FAA not valid"),
        ];
        for (lines, want, what) in cases {
            assert_eq!(decode(&lines).0.len(), want, "{what}");
        }
    }

    #[test]
    fn counts_and_skips_bad_input() {
        let mut lines = vec![
            "garbage".to_string(),
            "$GPGGA,100000,0610.0000,S,10649.0000,E,1,04,1,5,M,,M,,*00".to_string(),
            nmea("GPGGA,xx,yy"),
            nmea("PSRF,1,2"),
            nmea("GPXYZ,1,2"),
        ];
        lines.push(nmea("GPRMC,100000,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A"));
        let (fixes, stats) = decode(&lines);
        assert_eq!(fixes.len(), 1);
        assert_eq!(
            (stats.sentences, stats.bad_checksum, stats.garbage, stats.malformed, stats.unsupported),
            (1, 1, 1, 1, 2)
        );
    }

    #[test]
    fn bytes_split_anywhere_decode_the_same() {
        let text = format!(
            "{}\r\n{}\r\n{}\r\n",
            nmea("GPRMC,100000,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A"),
            "x".repeat(500),
            nmea("GPRMC,100001,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A"),
        );
        let now = Instant::now();
        for chunk in [1, 7, 64, 4096] {
            let mut d = NmeaDecoder::new();
            let mut out = Vec::new();
            for part in text.as_bytes().chunks(chunk) {
                d.push_bytes(part, now, &mut out);
            }
            out.extend(d.finish());
            assert_eq!(out.len(), 2, "chunk {chunk}");
            assert_eq!(d.stats().garbage, 1, "chunk {chunk}");
        }
    }
}
