//! NMEA 0183 to position fixes: sentence checking, epoch assembly and dating.
//!
//! Receivers speak in *epochs*: every second (or faster) they emit a burst of sentences that
//! share one UTC time of day (GGA, RMC, GNS, GLL carry it; GSA, GSV and VTG do not and belong
//! to the epoch in progress). The decoder collects the sentences of one epoch and, when a
//! position sentence with another time arrives (or the input ends, [`NmeaDecoder::finish`]),
//! turns them into at most one [`Fix`]. A position sentence without a time ends the epoch in
//! progress too, and starts one that can never be a fix (it cannot be placed in time).
//!
//! A fix is therefore known when the next epoch's first sentence arrives (or the input
//! ends): up to one update interval after the measurement; its age counts from the arrival of
//! its own epoch's first sentence.
//!
//! Rules, the same for every receiver, every talker (GP, GN, GL, GA, GB, BD, GQ, GI, ...) and
//! every version of the standard from 2.0 to 4.11 (field meanings: [`super::sentence`]):
//! - a line is accepted only with a correct `*hh` checksum; bad checksums, lines that are not
//!   NMEA, over-long lines and sentences whose fields do not parse are counted in
//!   [`NmeaStats`] and skipped, never a panic; sentence types a fix does not use are counted
//!   as unsupported without being parsed;
//! - an epoch is a fix exactly when the receiver says so: at least one position sentence
//!   claims a fix with a position (GGA quality 1–5; RMC or GLL status A with a fix mode; GNS
//!   with a fix mode for at least one constellation), no position sentence of the epoch says
//!   "no fix" (GGA quality 0 or 6–8, RMC/GLL status V or mode N/E/M/S, GNS all N, unsafe
//!   navigational status), and the epoch's GSA sentences (if any) do not all say fix type 1;
//! - the position is the last one claimed as a fix in the epoch (they normally agree; where a
//!   receiver's sentences disagree, its latest word counts, as in gpsd); altitude, HDOP and
//!   satellites come from the epoch's other sentences;
//! - a fix needs a calendar date: it comes from an RMC that claims a fix or from a ZDA. An RMC
//!   without a fix is not trusted for its date, because receivers without a fix report their
//!   unsynchronised real-time clock there. Until a date is known there is no fix; epochs with
//!   a time of day only take the last date, rolled over midnight.
//!
//! Mode comes from GSA when present (the best of the epoch's GSA sentences, one per
//! constellation on multi-GNSS receivers); otherwise 3D when an altitude and at least four
//! satellites were reported, else 2D. Satellites used are the distinct (constellation, PRN)
//! pairs of the epoch's GSA sentences, or GNS's count, or GGA's, in that order. HDOP is GGA's
//! or GNS's, else GSA's, kept in hundredths as the receiver wrote it.
//!
//! The decoder also keeps, per epoch, the speed over ground (RMC, else VTG) and the satellites
//! in view with their signal strength (GSV), for [`super::plausibility`].

use super::sentence::{self, Claim, GnssSystem, PositionKind, PositionReport, ReadError, Reader, Sentence, TimeOfDay};
use super::{Fix, FixMode, NmeaStats};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Longest line the decoder looks at; NMEA allows 82 characters, some receivers more (NMEA
/// 4.11 high-precision positions with every field reach about 120).
pub const MAX_LINE_LEN: usize = 200;

const DAY_US: i64 = 86_400_000_000;

/// Metres per second in a knot.
const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// One satellite in view, as the epoch's GSV sentences reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SatelliteInView {
    /// Its constellation (from the GSV talker).
    pub system: GnssSystem,
    /// PRN or satellite number as the receiver numbers it.
    pub prn: u16,
    /// Signal ID (NMEA 4.11), when the receiver reports per signal.
    pub signal: Option<u8>,
    /// Carrier-to-noise density in dB-Hz; `None` when the satellite is not tracked.
    pub snr_db: Option<u8>,
}

/// What one epoch's sentences said.
#[derive(Debug, Clone)]
struct Epoch {
    time: Option<TimeOfDay>,
    started: Instant,
    date: Option<time::Date>,
    position: Option<(f64, f64)>,
    no_fix: bool,
    alt: Option<f64>,
    hdop: Option<u16>,
    gga_sats: Option<u16>,
    gns_sats: Option<u16>,
    gsa_best: Option<u8>,
    gsa_used: BTreeSet<(GnssSystem, u16)>,
    gsa_hdop: Option<u16>,
    rmc_knots: Option<f64>,
    vtg_knots: Option<f64>,
    sky: BTreeMap<(GnssSystem, Option<u8>, u16), Option<u8>>,
}

impl Epoch {
    fn new(time: Option<TimeOfDay>, started: Instant) -> Self {
        Self {
            time,
            started,
            date: None,
            position: None,
            no_fix: false,
            alt: None,
            hdop: None,
            gga_sats: None,
            gns_sats: None,
            gsa_best: None,
            gsa_used: BTreeSet::new(),
            gsa_hdop: None,
            rmc_knots: None,
            vtg_knots: None,
            sky: BTreeMap::new(),
        }
    }

    /// Takes in a position sentence's claim and figures.
    fn report(&mut self, p: &PositionReport) {
        match p.claim {
            Claim::NoFix => self.no_fix = true,
            Claim::Fix => {
                // Sentences of one epoch report one measurement; where a receiver's disagree
                // (time stamps off by one between GGA and RMC), the latest word counts, as in gpsd.
                self.position = p.position.or(self.position);
                match p.kind {
                    PositionKind::Gga => self.gga_sats = self.gga_sats.or(p.sats),
                    PositionKind::Gns => self.gns_sats = self.gns_sats.or(p.sats),
                    PositionKind::Rmc | PositionKind::Gll => {}
                }
            }
            Claim::Silent => {}
        }
        if p.claim != Claim::NoFix {
            self.alt = self.alt.or(p.alt_m);
            self.hdop = self.hdop.or(p.hdop_centi);
        }
        if p.kind == PositionKind::Rmc {
            self.rmc_knots = self.rmc_knots.or(p.speed_knots);
        }
    }

    fn gsa(&mut self, gsa: sentence::Gsa) {
        // Several GSA per epoch (one per constellation): the best fix type wins.
        self.gsa_best = self.gsa_best.max(Some(gsa.fix_type));
        if gsa.fix_type >= 2 {
            self.gsa_used.extend(gsa.prns.iter().map(|prn| (gsa.system, *prn)));
        }
        self.gsa_hdop = self.gsa_hdop.or(gsa.hdop_centi);
    }

    fn gsv(&mut self, gsv: sentence::Gsv) {
        for sat in gsv.satellites {
            self.sky.insert((gsv.system, gsv.signal, sat.prn), sat.snr_db);
        }
    }
}

/// A fix as decoded, with the instant its epoch's first sentence arrived and what else the
/// epoch said.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFix {
    /// The fix (its `age` is zero: age is measured by whoever holds it).
    pub fix: Fix,
    /// When the epoch's first sentence was received.
    pub received: Instant,
    /// Speed over ground in metres per second (RMC, else VTG), when reported.
    pub speed_mps: Option<f64>,
    /// Satellites in view (GSV) of the epoch; empty when the epoch had no GSV.
    pub sky: Vec<SatelliteInView>,
}

/// Turns NMEA lines into fixes. Pure: time comes in with every line.
#[derive(Debug, Default)]
pub struct NmeaDecoder {
    stats: NmeaStats,
    /// The last trusted date and the time of day it belonged to (for midnight rollover).
    anchor: Option<(time::Date, TimeOfDay)>,
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
        match sentence::read(sentence) {
            Ok((read, reader)) => {
                self.stats.sentences += 1;
                if reader == Reader::Own {
                    self.stats.own_parser += 1;
                }
                self.apply(read, now)
            }
            Err(ReadError::Unsupported(_)) => {
                self.stats.unsupported += 1;
                None
            }
            Err(ReadError::FieldCount { .. } | ReadError::Field { .. }) => {
                self.stats.malformed += 1;
                None
            }
        }
    }

    /// Ends the input: the open epoch is complete.
    pub fn finish(&mut self) -> Option<DecodedFix> {
        let epoch = self.epoch.take()?;
        self.close(epoch)
    }

    /// Makes `time` the current epoch, closing the previous one if it differs.
    fn enter_epoch(&mut self, time: Option<TimeOfDay>, now: Instant) -> Option<DecodedFix> {
        match &self.epoch {
            Some(epoch) if epoch.time == time => None,
            _ => {
                let previous = self.epoch.replace(Epoch::new(time, now));
                previous.and_then(|e| self.close(e))
            }
        }
    }

    fn apply(&mut self, read: Sentence, now: Instant) -> Option<DecodedFix> {
        match read {
            Sentence::Position(p) => {
                let closed = self.enter_epoch(p.time, now);
                if let Some(epoch) = self.epoch.as_mut() {
                    epoch.report(&p);
                    if p.kind == PositionKind::Rmc
                        && p.claim == Claim::Fix
                        && let (Some(date), Some(time)) = (p.date, epoch.time)
                    {
                        epoch.date = Some(date);
                        self.anchor = Some((date, time));
                    }
                }
                closed
            }
            // GSA, GSV and VTG have no time: they belong to the epoch in progress.
            Sentence::Gsa(gsa) => {
                if let Some(epoch) = self.epoch.as_mut() {
                    epoch.gsa(gsa);
                }
                None
            }
            Sentence::Gsv(gsv) => {
                if let Some(epoch) = self.epoch.as_mut() {
                    epoch.gsv(gsv);
                }
                None
            }
            Sentence::Vtg(knots) => {
                if let Some(epoch) = self.epoch.as_mut() {
                    epoch.vtg_knots = epoch.vtg_knots.or(knots);
                }
                None
            }
            Sentence::Zda(zda) => {
                if let (Some(time), Some(date)) = (zda.time, zda.date) {
                    self.anchor = Some((date, time));
                    if let Some(epoch) = self.epoch.as_mut().filter(|e| e.time == Some(time)) {
                        epoch.date = Some(date);
                    }
                }
                None
            }
        }
    }

    /// The date of an epoch that carried none itself: the anchor's, rolled over midnight.
    fn carried_date(&self, time: TimeOfDay) -> Option<time::Date> {
        let (date, anchor_time) = self.anchor?;
        let half_day = DAY_US / 2;
        if time < anchor_time - half_day {
            date.next_day()
        } else if time > anchor_time + half_day {
            date.previous_day()
        } else {
            Some(date)
        }
    }

    fn close(&mut self, epoch: Epoch) -> Option<DecodedFix> {
        let tod = epoch.time?;
        if epoch.no_fix || epoch.gsa_best == Some(1) {
            return None;
        }
        let (lat, lon) = epoch.position?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return None;
        }
        let date = epoch.date.or_else(|| self.carried_date(tod))?;
        let time = date.midnight().assume_utc() + time::Duration::microseconds(tod);
        let sats = if epoch.gsa_used.is_empty() {
            epoch.gns_sats.or(epoch.gga_sats).map(u32::from)
        } else {
            u32::try_from(epoch.gsa_used.len()).ok()
        };
        let mode = match epoch.gsa_best {
            Some(3) => FixMode::ThreeD,
            Some(2) => FixMode::TwoD,
            _ if epoch.alt.is_some() && sats.is_some_and(|n| n >= 4) => FixMode::ThreeD,
            _ => FixMode::TwoD,
        };
        let hdop_centi = epoch.hdop.or(epoch.gsa_hdop);
        let sky = epoch
            .sky
            .iter()
            .map(|(&(system, signal, prn), &snr_db)| SatelliteInView { system, prn, signal, snr_db })
            .collect();
        Some(DecodedFix {
            fix: Fix {
                time,
                lat,
                lon,
                alt: epoch.alt.filter(|_| mode == FixMode::ThreeD),
                mode,
                sats,
                hdop: hdop_centi.map(|c| f32::from(c) / 100.0),
                hdop_centi,
                // The tracker's watch over the stream sets them (see `plausibility`).
                doubts: super::plausibility::ReceiverDoubts::default(),
                age: Duration::ZERO,
            },
            received: epoch.started,
            speed_mps: epoch.rmc_knots.or(epoch.vtg_knots).map(|k| k * KNOT_MPS),
            sky,
        })
    }
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

    fn decode_full(lines: &[String]) -> Vec<DecodedFix> {
        let mut d = NmeaDecoder::new();
        let now = Instant::now();
        let mut out: Vec<DecodedFix> = lines.iter().filter_map(|l| d.push_line(l, now)).collect();
        out.extend(d.finish());
        out
    }

    /// Lines from bodies.
    fn lines(bodies: &[&str]) -> Vec<String> {
        bodies.iter().map(|b| nmea(b)).collect()
    }

    const ZDA: &str = "GPZDA,100000.00,01,01,2026,00,00";

    #[test]
    fn a_fix_exactly_when_the_receiver_says_so() {
        // (what, sentences of one epoch (dated by a ZDA first), fixes expected)
        let cases: &[(&str, &[&str], usize)] = &[
            ("GGA quality 0", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,0,00,,,M,,M,,"], 0),
            ("GGA quality 1", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,1.0,9.0,M,,M,,"], 1),
            ("GGA quality 2", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,2,05,1.0,9.0,M,,M,,"], 1),
            ("GGA quality 4 (RTK)", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,4,12,0.5,9.0,M,,M,,"], 1),
            ("GGA quality 5 (float)", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,5,12,0.5,9.0,M,,M,,"], 1),
            ("GGA quality 6 (estimated)", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,6,05,1.0,9.0,M,,M,,"], 0),
            ("GGA quality 7 (manual)", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,7,00,,9.0,M,,M,,"], 0),
            ("GGA quality 8 (simulator)", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,8,05,1.0,9.0,M,,M,,"], 0),
            ("GGA empty position", &["GPGGA,100000.00,,,,,1,05,1.0,9.0,M,,M,,"], 0),
            ("GGA with two satellites", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,1,02,1.0,9.0,M,,M,,"], 0),
            ("RMC A", &["GPRMC,100000.00,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A"], 1),
            ("RMC V", &["GPRMC,100000.00,V,0610.0000,S,10649.0000,E,0.0,,010126,,,N"], 0),
            ("RMC 4.10 A,V", &["GNRMC,100000.00,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A,V"], 1),
            ("RMC 4.10 unsafe", &["GNRMC,100000.00,A,0610.0000,S,10649.0000,E,0.0,,010126,,,A,U"], 0),
            ("GNS AAN", &["GNGNS,100000.00,0610.0000,S,10649.0000,E,AAN,09,0.9,16.5,18.0,,,V"], 1),
            ("GNS NNNN", &["GNGNS,100000.00,0610.0000,S,10649.0000,E,NNNN,00,,,,,"], 0),
            ("GLL A", &["GPGLL,0610.0000,S,10649.0000,E,100000.00,A,A"], 1),
            ("GLL 2.0 A", &["GPGLL,0610.0000,S,10649.0000,E,100000.00,A"], 1),
            ("GLL V", &["GPGLL,0610.0000,S,10649.0000,E,100000.00,V,N"], 0),
            ("GLL A,N", &["GPGLL,0610.0000,S,10649.0000,E,100000.00,A,N"], 0),
            ("GSA fix type 1", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,1.0,9.0,M,,M,,", "GPGSA,A,1,,,,,,,,,,,,,,,"], 0),
            ("GSA 1 and 3", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,1.0,9.0,M,,M,,", "GNGSA,A,1,,,,,,,,,,,,,,,,3", "GNGSA,A,3,01,02,03,04,05,,,,,,,,1.9,1.0,1.6,1"], 1),
            ("GGA 1, RMC V", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,1.0,9.0,M,,M,,", "GPRMC,100000.00,V,0610.0000,S,10649.0000,E,0.0,,010126,,,N"], 0),
            ("GGA 0 contradicted by nothing", &["GPGGA,100000.00,0610.0000,S,10649.0000,E,0,05,1.0,9.0,M,,M,,", "GPGSA,A,3,01,02,03,04,05,,,,,,,,1.9,1.0,1.6"], 0),
            (
                "GGA with 0 sats, RMC and GNS with a fix",
                &[
                    "GNRMC,100000.000,A,0610.0000,S,10649.0000,E,0.00,0.00,010126,,,D,V",
                    "GNGNS,100000.000,0610.0000,S,10649.0000,E,NDD,11,1.3,168.9,39.5,,,V",
                    "GNGGA,100000.000,0610.0000,S,10649.0000,E,2,00,1.3,168.9,M,39.5,M,,",
                ],
                1,
            ),
        ];
        for (what, bodies, want) in cases {
            let mut all = vec![ZDA];
            all.extend_from_slice(bodies);
            let fixes = decode_full(&lines(&all));
            assert_eq!(fixes.len(), *want, "{what}");
            if let Some(f) = fixes.first() {
                assert_eq!(f.fix.time, time::macros::datetime!(2026-01-01 10:00 UTC), "{what}");
                assert!((f.fix.lat - -(6.0 + 10.0 / 60.0)).abs() < 1e-12, "{what}");
            }
        }
    }

    #[test]
    fn nmea_4_11_multi_constellation_epoch() {
        // A quad-GNSS receiver in 4.11 style: GNS per-constellation modes, RMC navigational
        // status, GSA per system ID (GPS listed under both GP and GN), GSV with signal IDs.
        let fixes = decode_full(&lines(&[
            "GPGGA,051347.00,6001.3367990,N,03014.1690080,E,1,09,0.9,16.5,M,18.0,M,,",
            "GNGNS,051347.00,6001.3367990,N,03014.1690080,E,AANN,09,0.9,16.5,18.0,,,V",
            "GPVTG,0.0,T,351.6,M,0.0,N,0.0,K,A",
            "GPRMC,051347.00,A,6001.3367990,N,03014.1690080,E,0.0,0.0,200922,8.4,E,A,V",
            "GPGSA,A,3,08,10,16,18,27,,,,,,,,1.2,0.9,0.9,1",
            "GNGSA,A,3,08,10,16,18,27,,,,,,,,1.2,0.9,0.9,1",
            "GNGSA,A,3,69,76,78,85,,,,,,,,,1.2,0.9,0.9,2",
            "GNGSA,A,3,,,,,,,,,,,,,1.2,0.9,0.9,3",
            "GPGSV,2,1,06,08,37,122,31,10,21,278,28,16,60,275,40,18,66,165,38,1",
            "GPGSV,2,2,06,27,40,100,35,30,05,010,,1",
            "GLGSV,1,1,04,69,14,018,16,76,09,239,19,78,20,345,17,85,38,099,26,1",
        ]));
        assert_eq!(fixes.len(), 1);
        let f = &fixes[0];
        assert_eq!(f.fix.time, time::macros::datetime!(2022-09-20 05:13:47 UTC));
        assert_eq!((f.fix.mode, f.fix.sats, f.fix.hdop_centi), (FixMode::ThreeD, Some(9), Some(90)));
        assert_eq!(f.fix.alt, Some(16.5));
        assert!((f.fix.lat - (60.0 + 1.336799 / 60.0)).abs() < 1e-12);
        assert_eq!(f.speed_mps, Some(0.0));
        assert_eq!(f.sky.len(), 10);
        assert!(f.sky.iter().all(|s| s.signal == Some(1)));
        assert_eq!(f.sky.iter().filter(|s| s.snr_db.is_none()).count(), 1);
    }

    #[test]
    fn date_from_zda_for_gga_only_receivers() {
        let gga = |t: &str| format!("GPGGA,{t},3114.8789,N,12135.2442,E,1,06,1.2,153.8,M,8.3,M,,0000");
        let both = ["2015-03-02 5:32:32.0 +00:00:00", "2015-03-02 5:32:33.0 +00:00:00"];
        let zda = |zone: &str| nmea(&format!("GPZDA,053232.00,02,03,2015,{zone},00"));
        let cases: &[(&str, Vec<String>, &[&str])] = &[
            ("ZDA before GGA", vec![zda("00"), nmea(&gga("053232.00")), nmea(&gga("053233.00"))], &both),
            ("ZDA after GGA", vec![nmea(&gga("053232.00")), zda("-08"), nmea(&gga("053233.00"))], &both),
            ("no date at all", vec![nmea(&gga("053232.00")), nmea(&gga("053233.00"))], &[]),
            ("ZDA without date", vec![nmea("GPZDA,053232.00,,,,,"), nmea(&gga("053232.00"))], &[]),
        ];
        for (what, input, want) in cases {
            let (fixes, _) = decode(input);
            let times: Vec<String> = fixes.iter().map(|f| f.time.to_string()).collect();
            assert_eq!(times, *want, "{what}");
        }
    }

    #[test]
    fn midnight_rollover() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "RMC date, GGA after midnight",
                &[
                    "GPRMC,235959.50,A,0610.0000,S,10649.0000,E,0.0,,311226,,,A",
                    "GPGGA,000000.50,0610.0000,S,10649.0000,E,1,05,1.0,10.0,M,0.0,M,,",
                ],
                &["2026-12-31 23:59:59.5 +00:00:00", "2027-01-01 0:00:00.5 +00:00:00"],
            ),
            (
                "ZDA date, GGA before midnight",
                &[
                    "GPZDA,000001.00,01,03,2024,00,00",
                    "GPGGA,235959.00,0610.0000,S,10649.0000,E,1,05,1.0,10.0,M,0.0,M,,",
                    "GPGGA,000001.00,0610.0000,S,10649.0000,E,1,05,1.0,10.0,M,0.0,M,,",
                ],
                &["2024-02-29 23:59:59.0 +00:00:00", "2024-03-01 0:00:01.0 +00:00:00"],
            ),
        ];
        for (what, bodies, want) in cases {
            let (fixes, _) = decode(&lines(bodies));
            let times: Vec<String> = fixes.iter().map(|f| f.time.to_string()).collect();
            assert_eq!(times, *want, "{what}");
        }
    }

    #[test]
    fn a_position_sentence_without_time_ends_the_epoch() {
        // The fix epoch, then a no-fix epoch whose GSA comes before its time-less GGA.
        let fixes = decode_full(&lines(&[
            "GPGGA,022038.00,3644.762563,S,17444.069733,E,1,06,1.1,53.0,M,37.0,M,,",
            "GPRMC,022038.00,A,3644.762563,S,17444.069733,E,0.0,,071020,18.3,E,A,V",
            "GPGSA,A,2,06,07,11,19,22,30,,,,,,,1.4,1.1,0.9,1",
            "GPVTG,,T,,M,,N,,K,N",
            "GPGSA,A,1,,,,,,,,,,,,,,,,",
            "GPGGA,,,,,,0,,,,,,,,",
        ]));
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].fix.mode, FixMode::TwoD);
        assert_eq!(fixes[0].fix.sats, Some(6));
    }

    #[test]
    fn hdop_in_hundredths_and_mode_inference() {
        let cases: &[(&str, Option<u16>, FixMode, Option<u32>)] = &[
            ("GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,0.87,9.0,M,,M,,", Some(87), FixMode::ThreeD, Some(5)),
            ("GPGGA,100000.00,0610.0000,S,10649.0000,E,1,03,17.0,9.0,M,,M,,", Some(1700), FixMode::TwoD, Some(3)),
            ("GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,,,M,,M,,", None, FixMode::TwoD, Some(5)),
            ("GPGGA,100000.00,0610.0000,S,10649.0000,E,1,05,0.0,9.0,M,,M,,", Some(0), FixMode::ThreeD, Some(5)),
        ];
        for (body, hdop, mode, sats) in cases {
            let fixes = decode_full(&lines(&[ZDA, body]));
            let f = &fixes[0].fix;
            assert_eq!((f.hdop_centi, f.mode, f.sats), (*hdop, *mode, *sats), "{body}");
            assert_eq!(f.hdop, hdop.map(|c| f32::from(c) / 100.0));
        }
    }
}
