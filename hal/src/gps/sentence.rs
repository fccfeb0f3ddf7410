//! One NMEA 0183 sentence, read: what the fields of the sentence types a fix needs say.
//!
//! # Purpose
//! Turns one sentence whose checksum has already been checked into a [`Sentence`]: a position
//! report (GGA, RMC, GNS, GLL) with its [`Claim`] about the fix, the DOP and satellites of a
//! GSA, the satellites in view of a GSV, the date of a ZDA, the speed of a VTG. Field layouts
//! and letters are those of NMEA 0183 2.0 to 4.11:
//!
//! | type | fields (2.x → 4.11) | what says "fix" |
//! | --- | --- | --- |
//! | GGA | 14 | quality 1–5 (0 invalid, 6 estimated, 7 manual, 8 simulator are not fixes) |
//! | RMC | 11 (2.0), 12 (2.3: mode), 13 (4.10: navigational status) | status A and a mode of A, D, P, R or F |
//! | GNS | 12, 13 (4.10: navigational status) | one mode letter per constellation (GPS, GLONASS, Galileo, BeiDou, QZSS, NavIC); any of A, D, P, R, F |
//! | GLL | 6 (2.0), 7 (2.3: mode) | status A and a mode of A, D, P, R or F |
//! | GSA | 17, 18 (4.11: system ID) | fix type 2 (2D) or 3 (3D); 1 is no fix |
//! | GSV | 3 + 4 per satellite, + 1 (4.11: signal ID) | — |
//! | ZDA | 6 | — (the date) |
//!
//! The navigational status of 4.10 (S safe, C caution, U unsafe, V "not provided") only takes a
//! fix away when it is U: V means the equipment gives no status, not that the fix is invalid.
//! A GGA that claims a fix from fewer than three satellites contradicts itself (a 2D fix needs
//! three): it is [`Claim::Silent`], neither a fix nor a veto.
//!
//! # Two readers
//! The `nmea` crate reads every sentence first. It refuses some that the standard allows, and
//! misreads a few; then the small strict reader of this module reads the sentence instead,
//! and the decoder counts it in `NmeaStats::own_parser`. Seen in real receivers' output:
//! - RMC with the 4.10 navigational status C or U (the crate knows other letters there and
//!   skips these: an unsafe fix would pass as a fix);
//! - sentences over the crate's 102 characters (seven-decimal minutes with every field);
//! - GNS with more than two mode letters, or with an empty satellite count;
//! - GLL of NMEA 2.0–2.2, which has no mode field;
//! - GSA with an empty DOP field, or whose system ID is not the talker's;
//! - GSV from talkers the crate does not know (GN) or listing no satellites;
//! - ZDA with a `+` on the local zone hours (`+00`);
//! - latitudes or longitudes with 60 minutes or more (the crate adds them up; these are
//!   refused as malformed: MediaTek's no-fix placeholder `8960.000000,N` is one);
//! - position fields with a hemisphere letter but no value (no-fix sentences);
//! - fields the decoder does not read that break the crate's grammar (a magnetic variation
//!   without its E/W).
//!
//! The strict reader checks the field count (at least the type's count in the oldest version;
//! fields later versions append are read when known, otherwise ignored) and every field the
//! decoder uses: time `hhmmss[.s…]`, latitude `ddmm[.m…]` with N/S, longitude `dddmm[.m…]` with
//! E/W (minutes below 60, any number of decimals), date `ddmmyy`, status and mode letters,
//! counts and DOPs. Fields the decoder never reads (course, magnetic variation, geoid
//! separation, differential age and station) are not checked. Both readers must agree
//! wherever the crate reads a sentence; the tests hold them to it.
//!
//! # What it must not do
//! Decide whether an epoch is a fix (that is the decoder's, over all sentences of an epoch),
//! keep state, or read sentence types the decoder does not use.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use nmea::sentences::gsa::GsaMode2;
use nmea::sentences::gns::NavigationStatus;
use nmea::sentences::rmc::{RmcNavigationStatus, RmcStatusOfFix};
use nmea::sentences::{FaaMode, FixType, GnssType};
use nmea::ParseResult;
use serde::Serialize;

/// The UTC time of day, in microseconds since midnight.
pub(crate) type TimeOfDay = i64;

/// A GNSS constellation, as NMEA 4.11 names them by talker ID and system ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum GnssSystem {
    /// GPS (talker GP, system ID 1).
    #[serde(rename = "gps")]
    Gps,
    /// GLONASS (GL, 2).
    #[serde(rename = "glonass")]
    Glonass,
    /// Galileo (GA, 3).
    #[serde(rename = "galileo")]
    Galileo,
    /// BeiDou (GB, or BD before 4.11; 4).
    #[serde(rename = "beidou")]
    BeiDou,
    /// QZSS (GQ, or QZ; 5).
    #[serde(rename = "qzss")]
    Qzss,
    /// NavIC / IRNSS (GI; 6).
    #[serde(rename = "navic")]
    NavIc,
    /// Several constellations combined (talker GN).
    #[serde(rename = "combined")]
    Combined,
    /// Any other talker.
    #[serde(rename = "other")]
    Other,
}

impl GnssSystem {
    /// The constellation a talker ID stands for.
    pub fn from_talker(talker: &str) -> Self {
        match talker {
            "GP" => Self::Gps,
            "GL" => Self::Glonass,
            "GA" => Self::Galileo,
            "GB" | "BD" => Self::BeiDou,
            "GQ" | "QZ" => Self::Qzss,
            "GI" => Self::NavIc,
            "GN" => Self::Combined,
            _ => Self::Other,
        }
    }

    /// The constellation of an NMEA 4.11 system ID (GSA, GSV, GRS, GST fields).
    pub fn from_system_id(id: u8) -> Option<Self> {
        Some(match id {
            1 => Self::Gps,
            2 => Self::Glonass,
            3 => Self::Galileo,
            4 => Self::BeiDou,
            5 => Self::Qzss,
            6 => Self::NavIc,
            _ => return None,
        })
    }
}

/// What a position sentence says about the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The receiver says this position is a fix.
    Fix,
    /// The receiver says there is no fix (invalid, estimated, manual, simulated, unsafe).
    NoFix,
    /// The sentence says nothing either way (an empty quality field, a contradiction).
    Silent,
}

/// Which position sentence a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PositionKind {
    Gga,
    Rmc,
    Gns,
    Gll,
}

/// A GGA, RMC, GNS or GLL, reduced to what an epoch needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PositionReport {
    pub kind: PositionKind,
    pub time: Option<TimeOfDay>,
    /// Degrees north and east (south and west negative).
    pub position: Option<(f64, f64)>,
    pub claim: Claim,
    /// Satellites in use (GGA, GNS).
    pub sats: Option<u16>,
    /// HDOP in hundredths (GGA, GNS).
    pub hdop_centi: Option<u16>,
    /// Metres above mean sea level (GGA, GNS).
    pub alt_m: Option<f64>,
    /// Speed over ground in knots (RMC).
    pub speed_knots: Option<f64>,
    /// The calendar date (RMC).
    pub date: Option<time::Date>,
}

/// A GSA: the fix type and the satellites used by one constellation (or all, talker GN).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gsa {
    /// The system ID field (4.11), else the talker's constellation.
    pub system: GnssSystem,
    /// 1 no fix, 2 2D, 3 3D.
    pub fix_type: u8,
    pub prns: Vec<u16>,
    pub hdop_centi: Option<u16>,
}

/// One satellite of a GSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GsvSatellite {
    pub prn: u16,
    /// Carrier-to-noise density in dB-Hz (empty when not tracked).
    pub snr_db: Option<u8>,
}

/// A GSV: up to four satellites in view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gsv {
    pub system: GnssSystem,
    /// The signal ID (4.11, one hex digit: which signal of the constellation, e.g. L1 C/A).
    pub signal: Option<u8>,
    pub satellites: Vec<GsvSatellite>,
}

/// A ZDA: time and date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Zda {
    pub time: Option<TimeOfDay>,
    pub date: Option<time::Date>,
}

/// What one sentence says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sentence {
    Position(PositionReport),
    Gsa(Gsa),
    Gsv(Gsv),
    Zda(Zda),
    /// VTG: speed over ground in knots.
    Vtg(Option<f64>),
}

/// Which reader read a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// The `nmea` crate.
    Crate,
    /// This module's strict reader, after the crate refused the sentence.
    Own,
}

/// Why a sentence could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    /// A sentence type the decoder does not use (or a header that is no sentence type).
    #[error("sentence type {0:?} is not used for fixes")]
    Unsupported(String),
    /// Fewer fields than the type has in any version of the standard.
    #[error("{kind} has {count} fields, the standard at least {min}")]
    FieldCount { kind: &'static str, count: usize, min: usize },
    /// A field the decoder uses does not hold what the standard says it holds.
    #[error("{kind} field {index} is {value:?}")]
    Field { kind: &'static str, index: usize, value: String },
}

/// The sentence types the decoder reads.
const USED: [&str; 8] = ["GGA", "RMC", "GNS", "GLL", "GSA", "GSV", "ZDA", "VTG"];

/// Reads one sentence (`$` to `*hh`, checksum already checked).
pub(crate) fn read(sentence: &str) -> Result<(Sentence, Reader), ReadError> {
    let end = sentence.rfind('*').unwrap_or(sentence.len());
    let body = sentence.get(1..end).unwrap_or_default();
    let fields: Vec<&str> = body.split(',').collect();
    let address = fields.first().copied().unwrap_or_default();
    let (talker, kind) = match (address.get(..2), address.get(2..)) {
        (Some(t), Some(k)) if address.len() == 5 && t.bytes().all(|b| b.is_ascii_uppercase()) => (t, k),
        _ => return Err(ReadError::Unsupported(address.to_string())),
    };
    if !USED.contains(&kind) {
        return Err(ReadError::Unsupported(kind.to_string()));
    }
    // Refused (or misread) by the crate: the strict reader has its say.
    if let Ok(parsed) = nmea::parse_str(sentence)
        && crate_read_it_all(kind, fields.get(1..).unwrap_or_default())
        && let Some(read) = from_crate(parsed, talker, &fields)
    {
        return Ok((read, Reader::Crate));
    }
    own(kind, talker, fields.get(1..).unwrap_or_default()).map(|s| (s, Reader::Own))
}

// ---------------------------------------------------------------------------------------------
// The crate's reading, converted.

/// Whether the crate, having accepted a sentence, read the fields a fix depends on as the
/// standard means them. It accepts minutes of 60 and more, and skips a 4.10 navigational
/// status it does not know (C, U) instead of refusing the sentence; such sentences go to the
/// strict reader, which refuses the first and reads the second.
fn crate_read_it_all(kind: &str, f: &[&str]) -> bool {
    let position_at = match kind {
        "GGA" | "GNS" => 2,
        "RMC" => 3,
        "GLL" => 1,
        _ => return true,
    };
    let Ok(fields) = Fields::new("", f, position_at + 3) else { return false };
    let nav_ok = kind != "RMC" || matches!(fields.get(13), "" | "S" | "V");
    fields.position(position_at).is_ok() && nav_ok
}

fn from_crate(parsed: ParseResult, talker: &str, fields: &[&str]) -> Option<Sentence> {
    Some(match parsed {
        ParseResult::GGA(gga) => {
            let quality = gga.fix_type.map(quality_of);
            let sats = gga.fix_satellites.and_then(|n| u16::try_from(n).ok());
            Sentence::Position(PositionReport {
                kind: PositionKind::Gga,
                time: gga.fix_time.map(time_of_day),
                position: pair(gga.latitude, gga.longitude),
                claim: gga_claim(quality, sats),
                sats,
                hdop_centi: gga.hdop.and_then(centi_of),
                alt_m: gga.altitude.map(decimal),
                speed_knots: None,
                date: None,
            })
        }
        ParseResult::RMC(rmc) => {
            let status = match rmc.status_of_fix {
                RmcStatusOfFix::Autonomous => b'A',
                RmcStatusOfFix::Differential => b'D',
                RmcStatusOfFix::Invalid => b'V',
            };
            let nav = rmc.nav_status.map(|n| match n {
                RmcNavigationStatus::Autonomous => b'A',
                RmcNavigationStatus::Differential => b'D',
                RmcNavigationStatus::Estimated => b'E',
                RmcNavigationStatus::Manual => b'M',
                RmcNavigationStatus::NotValid => b'N',
                RmcNavigationStatus::Simulator => b'S',
                RmcNavigationStatus::Valid => b'V',
            });
            Sentence::Position(PositionReport {
                kind: PositionKind::Rmc,
                time: rmc.fix_time.map(time_of_day),
                position: pair(rmc.lat, rmc.lon),
                claim: status_claim(status, rmc.faa_mode.map(faa_letter), nav),
                sats: None,
                hdop_centi: None,
                alt_m: None,
                speed_knots: rmc.speed_over_ground.map(decimal),
                date: rmc.fix_date.and_then(date_of),
            })
        }
        ParseResult::GNS(gns) => {
            let valid = FixType::from(gns.faa_modes).is_valid();
            let unsafe_nav = gns.nav_status == Some(NavigationStatus::Unsafe);
            Sentence::Position(PositionReport {
                kind: PositionKind::Gns,
                time: gns.fix_time.map(time_of_day),
                position: pair(gns.lat, gns.lon),
                claim: if valid && !unsafe_nav { Claim::Fix } else { Claim::NoFix },
                sats: Some(gns.nsattelites),
                hdop_centi: gns.hdop.and_then(centi_of),
                alt_m: gns.alt.map(decimal),
                speed_knots: None,
                date: None,
            })
        }
        ParseResult::GLL(gll) => Sentence::Position(PositionReport {
            kind: PositionKind::Gll,
            time: gll.fix_time.map(time_of_day),
            position: pair(gll.latitude, gll.longitude),
            claim: status_claim(if gll.valid { b'A' } else { b'V' }, gll.faa_mode.map(faa_letter), None),
            sats: None,
            hdop_centi: None,
            alt_m: None,
            speed_knots: None,
            date: None,
        }),
        ParseResult::GSA(gsa) => Sentence::Gsa(Gsa {
            // The crate knows system IDs 1–4 only: the 4.11 field (the 18th, when there are
            // exactly 18) is read here for QZSS and NavIC too.
            system: (fields.len() == 19)
                .then(|| fields.last().and_then(|s| s.parse::<u8>().ok()).and_then(GnssSystem::from_system_id))
                .flatten()
                .or(gsa.system_id.map(|id| system_of(GnssType::from(id))))
                .unwrap_or_else(|| GnssSystem::from_talker(talker)),
            fix_type: match gsa.mode2 {
                GsaMode2::NoFix => 1,
                GsaMode2::Fix2D => 2,
                GsaMode2::Fix3D => 3,
            },
            prns: gsa.fix_sats_prn.iter().filter_map(|p| u16::try_from(*p).ok()).collect(),
            hdop_centi: gsa.hdop.and_then(centi_of),
        }),
        ParseResult::GSV(gsv) => Sentence::Gsv(Gsv {
            system: GnssSystem::from_talker(talker),
            // The crate does not read the 4.11 signal ID; it is the odd field after the blocks.
            signal: gsv_signal(fields.get(1..).unwrap_or_default()).ok().flatten(),
            satellites: gsv
                .sats_info
                .iter()
                .flatten()
                .filter_map(|s| {
                    let prn = u16::try_from(s.prn()).ok()?;
                    let snr_db = s.snr().and_then(|v| (0.0..=255.0).contains(&v).then_some(v as u8));
                    Some(GsvSatellite { prn, snr_db })
                })
                .collect(),
        }),
        ParseResult::ZDA(zda) => Sentence::Zda(Zda {
            time: zda.utc_time.map(time_of_day),
            date: zda.utc_date().and_then(date_of),
        }),
        ParseResult::VTG(vtg) => Sentence::Vtg(vtg.speed_over_ground.map(decimal)),
        _ => return None,
    })
}

fn quality_of(fix: FixType) -> u8 {
    match fix {
        FixType::Invalid => 0,
        FixType::Gps => 1,
        FixType::DGps => 2,
        FixType::Pps => 3,
        FixType::Rtk => 4,
        FixType::FloatRtk => 5,
        FixType::Estimated => 6,
        FixType::Manual => 7,
        FixType::Simulation => 8,
    }
}

fn faa_letter(mode: FaaMode) -> u8 {
    match mode {
        FaaMode::Autonomous => b'A',
        FaaMode::Caution => b'C',
        FaaMode::Differential => b'D',
        FaaMode::Estimated => b'E',
        FaaMode::FloatRtk => b'F',
        FaaMode::Manual => b'M',
        FaaMode::DataNotValid => b'N',
        FaaMode::Precise => b'P',
        FaaMode::FixedRtk => b'R',
        FaaMode::Simulator => b'S',
        FaaMode::Unsafe => b'U',
    }
}

fn system_of(t: GnssType) -> GnssSystem {
    match t {
        GnssType::Gps => GnssSystem::Gps,
        GnssType::Glonass => GnssSystem::Glonass,
        GnssType::Galileo => GnssSystem::Galileo,
        GnssType::Beidou => GnssSystem::BeiDou,
        GnssType::Qzss => GnssSystem::Qzss,
        GnssType::NavIC => GnssSystem::NavIc,
    }
}

fn time_of_day(t: NaiveTime) -> TimeOfDay {
    // Rounded to the microsecond: removes the float noise of the crate's seconds.
    let nanos = i64::from(t.nanosecond());
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + (nanos + 500) / 1000
}

fn date_of(d: NaiveDate) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(d.month()).ok()?).ok()?;
    time::Date::from_calendar_date(d.year(), month, u8::try_from(d.day()).ok()?).ok()
}

/// An `f32` field as the decimal the receiver sent (1577.4, not 1577.4000244140625).
fn decimal(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

fn centi_of(v: f32) -> Option<u16> {
    let c = (decimal(v) * 100.0).round();
    (0.0..=f64::from(u16::MAX)).contains(&c).then_some(c as u16)
}

fn pair(lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    lat.zip(lon).filter(|(a, b)| a.is_finite() && b.is_finite())
}

// ---------------------------------------------------------------------------------------------
// What the letters mean (shared by both readers).

/// GGA: quality 1–5 is a fix unless fewer than three satellites are said to be in use.
fn gga_claim(quality: Option<u8>, sats: Option<u16>) -> Claim {
    match quality {
        None => Claim::Silent,
        Some(1..=5) if sats.is_some_and(|n| n < 3) => Claim::Silent,
        Some(1..=5) => Claim::Fix,
        Some(_) => Claim::NoFix,
    }
}

/// Mode letters that are a measured fix: autonomous, differential, precise, RTK fixed/float.
fn mode_is_fix(letter: u8) -> bool {
    matches!(letter, b'A' | b'D' | b'P' | b'R' | b'F')
}

/// RMC and GLL: status A (D: some receivers' differential), the mode (2.3) and the
/// navigational status (4.10; only U, unsafe, takes the fix away).
fn status_claim(status: u8, mode: Option<u8>, nav: Option<u8>) -> Claim {
    let valid = matches!(status, b'A' | b'D') && mode.is_none_or(mode_is_fix) && nav != Some(b'U');
    if valid { Claim::Fix } else { Claim::NoFix }
}

// ---------------------------------------------------------------------------------------------
// The strict reader.

fn own(kind: &str, talker: &str, f: &[&str]) -> Result<Sentence, ReadError> {
    match kind {
        "GGA" => own_gga(f),
        "RMC" => own_rmc(f),
        "GNS" => own_gns(f),
        "GLL" => own_gll(f),
        "GSA" => own_gsa(talker, f),
        "GSV" => own_gsv(talker, f),
        "ZDA" => own_zda(f),
        "VTG" => own_vtg(f),
        _ => Err(ReadError::Unsupported(kind.to_string())),
    }
}

/// The fields of one sentence type, for error messages that name the field.
struct Fields<'a> {
    kind: &'static str,
    f: &'a [&'a str],
}

impl<'a> Fields<'a> {
    fn new(kind: &'static str, f: &'a [&'a str], min: usize) -> Result<Self, ReadError> {
        if f.len() < min {
            return Err(ReadError::FieldCount { kind, count: f.len(), min });
        }
        Ok(Self { kind, f })
    }

    /// Field `i` (1-based, as the standard numbers them); empty when absent.
    fn get(&self, i: usize) -> &'a str {
        self.f.get(i.wrapping_sub(1)).copied().unwrap_or_default()
    }

    fn bad(&self, i: usize) -> ReadError {
        ReadError::Field { kind: self.kind, index: i, value: self.get(i).to_string() }
    }

    fn time(&self, i: usize) -> Result<Option<TimeOfDay>, ReadError> {
        opt(self.get(i), parse_time).ok_or_else(|| self.bad(i))
    }

    fn position(&self, i: usize) -> Result<Option<(f64, f64)>, ReadError> {
        let lat = angle(self.get(i), self.get(i + 1), 2, b'N', b'S', 90.0).ok_or_else(|| self.bad(i))?;
        let lon = angle(self.get(i + 2), self.get(i + 3), 3, b'E', b'W', 180.0).ok_or_else(|| self.bad(i + 2))?;
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(Some((lat, lon))),
            (None, None) => Ok(None),
            // Half a position is not a position the standard knows.
            (None, Some(_)) => Err(self.bad(i)),
            (Some(_), None) => Err(self.bad(i + 2)),
        }
    }

    fn uint(&self, i: usize) -> Result<Option<u16>, ReadError> {
        opt(self.get(i), |s| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten())
            .ok_or_else(|| self.bad(i))
    }

    fn centi(&self, i: usize) -> Result<Option<u16>, ReadError> {
        opt(self.get(i), parse_centi).ok_or_else(|| self.bad(i))
    }

    fn real(&self, i: usize) -> Result<Option<f64>, ReadError> {
        opt(self.get(i), parse_real).ok_or_else(|| self.bad(i))
    }

    /// A single letter out of `allowed` (empty: `None`).
    fn letter(&self, i: usize, allowed: &[u8]) -> Result<Option<u8>, ReadError> {
        opt(self.get(i), |s| match s.as_bytes() {
            [b] if allowed.contains(b) => Some(*b),
            _ => None,
        })
        .ok_or_else(|| self.bad(i))
    }
}

/// An empty field is `Some(None)`; a field that does not parse is `None`.
fn opt<T>(s: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if s.is_empty() { Some(None) } else { parse(s).map(Some) }
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `hhmmss` or `hhmmss.s…`.
fn parse_time(s: &str) -> Option<TimeOfDay> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() != 6 || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let (h, m, sec) = (digits(whole.get(0..2)?)?, digits(whole.get(2..4)?)?, digits(whole.get(4..6)?)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let micros = if frac.is_empty() { 0 } else { fraction_micros(frac)? };
    Some(i64::from(h * 3600 + m * 60 + sec) * 1_000_000 + micros)
}

/// Decimal digits after the point as microseconds, rounded.
fn fraction_micros(frac: &str) -> Option<i64> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: f64 = format!("0.{frac}").parse().ok()?;
    Some((v * 1e6).round() as i64)
}

/// `ddmm.m…` / `dddmm.m…` with its hemisphere, as signed degrees; both empty: `None`.
/// A hemisphere letter without a value is tolerated (receivers without a fix send it).
fn angle(value: &str, hemi: &str, deg_digits: usize, pos: u8, neg: u8, max: f64) -> Option<Option<f64>> {
    if value.is_empty() {
        return matches!(hemi.as_bytes(), [] | [b'N' | b'S' | b'E' | b'W']).then_some(None);
    }
    let sign = match hemi.as_bytes() {
        [b] if *b == pos => 1.0,
        [b] if *b == neg => -1.0,
        _ => return None,
    };
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if whole.len() != deg_digits + 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if value.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let degrees = f64::from(digits(whole.get(..deg_digits)?)?);
    let minutes: f64 = value.get(deg_digits..)?.parse().ok()?;
    // The same arithmetic as the `nmea` crate, so both readers give the same bits.
    let angle = degrees + minutes / 60.;
    (minutes < 60.0 && angle <= max).then_some(Some(sign * angle))
}

/// A non-negative decimal as hundredths (`1.1` → 110), rounded half up.
fn parse_centi(s: &str) -> Option<u16> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut hundredths = u64::from(digits(whole)?).checked_mul(100)?;
    let f = frac.as_bytes();
    let digit = |i: usize| f.get(i).map_or(0, |d| u64::from(d - b'0'));
    hundredths += digit(0) * 10 + digit(1) + u64::from(digit(2) >= 5);
    u16::try_from(hundredths).ok()
}

/// A signed decimal (`-12.5`, `545.4`).
fn parse_real(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

/// `ddmmyy`; two-digit years 83–99 are 1983–1999, the rest 2000–2082 (as the `nmea` crate).
fn parse_date(s: &str) -> Option<time::Date> {
    if s.len() != 6 {
        return None;
    }
    let (d, m, y) = (digits(s.get(0..2)?)?, digits(s.get(2..4)?)?, digits(s.get(4..6)?)?);
    let year = if y >= 83 { 1900 + y } else { 2000 + y };
    calendar(year, m, d)
}

fn calendar(year: u32, month: u32, day: u32) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

const MODE_LETTERS: &[u8] = b"ACDEFMNPRSU";

fn own_gga(f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("GGA", f, 14)?;
    let quality = f.letter(6, b"012345678")?.map(|q| q - b'0');
    let sats = f.uint(7)?;
    Ok(Sentence::Position(PositionReport {
        kind: PositionKind::Gga,
        time: f.time(1)?,
        position: f.position(2)?,
        claim: gga_claim(quality, sats),
        sats,
        hdop_centi: f.centi(8)?,
        alt_m: f.real(9)?,
        speed_knots: None,
        date: None,
    }))
}

fn own_rmc(f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("RMC", f, 11)?;
    let status = f.letter(2, b"AVD")?.ok_or_else(|| f.bad(2))?;
    let mode = f.letter(12, MODE_LETTERS)?;
    let nav = f.letter(13, b"SCUV")?;
    Ok(Sentence::Position(PositionReport {
        kind: PositionKind::Rmc,
        time: f.time(1)?,
        position: f.position(3)?,
        claim: status_claim(status, mode, nav),
        sats: None,
        hdop_centi: None,
        alt_m: None,
        // Speed is for plausibility checks only: an unreadable one is no reason to drop a fix.
        speed_knots: f.real(7).ok().flatten(),
        date: opt(f.get(9), parse_date).ok_or_else(|| f.bad(9))?,
    }))
}

fn own_gns(f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("GNS", f, 12)?;
    let modes = f.get(6);
    // One letter per constellation: GPS, GLONASS, Galileo, BeiDou, QZSS, NavIC (4.11).
    if modes.is_empty() || modes.len() > 6 || !modes.bytes().all(|b| MODE_LETTERS.contains(&b)) {
        return Err(f.bad(6));
    }
    let nav = f.letter(13, b"SCUV")?;
    let fix = modes.bytes().any(mode_is_fix) && nav != Some(b'U');
    Ok(Sentence::Position(PositionReport {
        kind: PositionKind::Gns,
        time: f.time(1)?,
        position: f.position(2)?,
        claim: if fix { Claim::Fix } else { Claim::NoFix },
        sats: f.uint(7)?,
        hdop_centi: f.centi(8)?,
        alt_m: f.real(9)?,
        speed_knots: None,
        date: None,
    }))
}

fn own_gll(f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("GLL", f, 6)?;
    let status = f.letter(6, b"AV")?.ok_or_else(|| f.bad(6))?;
    let mode = f.letter(7, MODE_LETTERS)?;
    Ok(Sentence::Position(PositionReport {
        kind: PositionKind::Gll,
        time: f.time(5)?,
        position: f.position(1)?,
        claim: status_claim(status, mode, None),
        sats: None,
        hdop_centi: None,
        alt_m: None,
        speed_knots: None,
        date: None,
    }))
}

fn own_gsa(talker: &str, f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("GSA", f, 17)?;
    f.letter(1, b"MA")?.ok_or_else(|| f.bad(1))?;
    let fix_type = f.letter(2, b"123")?.ok_or_else(|| f.bad(2))? - b'0';
    let mut prns = Vec::new();
    for i in 3..=14 {
        prns.extend(f.uint(i)?);
    }
    f.centi(15)?;
    let hdop_centi = f.centi(16)?;
    f.centi(17)?;
    // A system ID outside the 4.11 table names no constellation: the talker's stands.
    let system = f
        .uint(18)?
        .and_then(|id| u8::try_from(id).ok())
        .and_then(GnssSystem::from_system_id)
        .unwrap_or_else(|| GnssSystem::from_talker(talker));
    Ok(Sentence::Gsa(Gsa { system, fix_type, prns, hdop_centi }))
}

/// The 4.11 signal ID of a GSV: the one field after the satellite blocks, if any.
fn gsv_signal(f: &[&str]) -> Result<Option<u8>, ()> {
    let rest = f.len().checked_sub(3).ok_or(())?;
    match rest % 4 {
        0 => Ok(None),
        1 => {
            let s = f.last().copied().unwrap_or_default();
            if s.is_empty() {
                return Ok(None);
            }
            match s.as_bytes() {
                [b] if b.is_ascii_hexdigit() => Ok(u8::from_str_radix(s, 16).ok()),
                _ => Err(()),
            }
        }
        _ => Err(()),
    }
}

fn own_gsv(talker: &str, f: &[&str]) -> Result<Sentence, ReadError> {
    let fields = Fields::new("GSV", f, 3)?;
    let total = fields.uint(1)?.ok_or_else(|| fields.bad(1))?;
    let number = fields.uint(2)?.ok_or_else(|| fields.bad(2))?;
    fields.uint(3)?.ok_or_else(|| fields.bad(3))?;
    if total == 0 || number == 0 || number > total {
        return Err(fields.bad(2));
    }
    let signal = gsv_signal(f).map_err(|()| fields.bad(f.len()))?;
    let blocks = (f.len() - 3) / 4;
    if blocks > 4 {
        return Err(ReadError::FieldCount { kind: "GSV", count: f.len(), min: 3 });
    }
    let mut satellites = Vec::new();
    for b in 0..blocks {
        let i = 4 + b * 4;
        let Some(prn) = fields.uint(i)? else { continue };
        fields.uint(i + 1)?;
        fields.uint(i + 2)?;
        let snr_db = fields.uint(i + 3)?.map(|v| u8::try_from(v).map_err(|_| fields.bad(i + 3))).transpose()?;
        satellites.push(GsvSatellite { prn, snr_db });
    }
    Ok(Sentence::Gsv(Gsv { system: GnssSystem::from_talker(talker), signal, satellites }))
}

fn own_zda(f: &[&str]) -> Result<Sentence, ReadError> {
    let f = Fields::new("ZDA", f, 6)?;
    let time = f.time(1)?;
    let (day, month, year) = (f.uint(2)?, f.uint(3)?, f.uint(4)?);
    if !f.get(4).is_empty() && f.get(4).len() != 4 {
        return Err(f.bad(4));
    }
    // Local zone hours -13..+13, with or without a sign; not used, but checked for sense.
    if opt(f.get(5), |s| {
        let h: i32 = s.strip_prefix('+').unwrap_or(s).parse().ok()?;
        (-13..=13).contains(&h).then_some(h)
    })
    .is_none()
    {
        return Err(f.bad(5));
    }
    let date = match (day, month, year) {
        (Some(d), Some(m), Some(y)) => calendar(y.into(), m.into(), d.into()),
        _ => None,
    };
    Ok(Sentence::Zda(Zda { time, date }))
}

/// VTG, for its speed over ground only: 8 fields (9 with the 2.3 mode), or the 4 of the
/// pre-2.0 layout (course true, course magnetic, knots, km/h).
fn own_vtg(f: &[&str]) -> Result<Sentence, ReadError> {
    let fields = Fields::new("VTG", f, 4)?;
    let knots = match f.len() {
        4 => fields.real(3)?,
        8.. => fields.real(5)?,
        count => return Err(ReadError::FieldCount { kind: "VTG", count, min: 8 }),
    };
    Ok(Sentence::Vtg(knots))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the checksum to a sentence body given without `$` and `*hh`.
    pub(crate) fn nmea(body: &str) -> String {
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{sum:02X}")
    }

    fn position(body: &str) -> (PositionReport, Reader) {
        match read(&nmea(body)) {
            Ok((Sentence::Position(p), reader)) => (p, reader),
            other => panic!("{body}: {other:?}"),
        }
    }

    /// The strict reader's view of a sentence the crate also reads.
    fn own_reading(body: &str) -> Result<Sentence, ReadError> {
        let fields: Vec<&str> = body.split(',').collect();
        let (talker, kind) = fields[0].split_at(2);
        own(kind, talker, &fields[1..])
    }

    const FIX: Claim = Claim::Fix;
    const NO: Claim = Claim::NoFix;
    const SILENT: Claim = Claim::Silent;

    #[test]
    fn gga_quality_0_to_8() {
        let cases = [
            ("0", NO),
            ("1", FIX),
            ("2", FIX),
            ("3", FIX),
            ("4", FIX),
            ("5", FIX),
            ("6", NO),
            ("7", NO),
            ("8", NO),
            ("", SILENT),
        ];
        for (q, want) in cases {
            let body = format!("GPGGA,123519,4807.038,N,01131.324,E,{q},08,0.9,545.4,M,46.9,M,,");
            let (p, _) = position(&body);
            assert_eq!(p.claim, want, "quality {q:?}");
            assert_eq!(p.position, Some((48.0 + 7.038 / 60., 11.0 + 31.324 / 60.)));
            assert_eq!((p.sats, p.hdop_centi, p.alt_m), (Some(8), Some(90), Some(545.4)));
        }
    }

    #[test]
    fn gga_fewer_than_three_satellites_is_silent() {
        let cases = [("00", SILENT), ("02", SILENT), ("03", FIX), ("", FIX)];
        for (sats, want) in cases {
            let body = format!("GNGGA,120213.000,5957.0062,N,01100.6429,E,2,{sats},1.3,168.9,M,39.5,M,,");
            assert_eq!(position(&body).0.claim, want, "sats {sats:?}");
        }
    }

    #[test]
    fn every_talker_is_read() {
        for talker in ["GP", "GN", "GL", "GA", "GB", "BD", "GQ", "QZ", "GI", "IN"] {
            let (p, _) = position(&format!("{talker}GGA,000000.00,0610.0000,S,10649.0000,E,1,05,1.0,10.0,M,0.0,M,,"));
            assert_eq!((p.claim, p.time), (FIX, Some(0)), "{talker}");
            let (p, _) = position(&format!("{talker}RMC,000000.00,A,0610.0000,S,10649.0000,E,0.0,,311226,,,A"));
            assert_eq!(p.date, Some(time::macros::date!(2026 - 12 - 31)), "{talker}");
        }
        let systems = [
            ("GP", GnssSystem::Gps),
            ("GL", GnssSystem::Glonass),
            ("GA", GnssSystem::Galileo),
            ("GB", GnssSystem::BeiDou),
            ("BD", GnssSystem::BeiDou),
            ("GQ", GnssSystem::Qzss),
            ("GI", GnssSystem::NavIc),
            ("GN", GnssSystem::Combined),
            ("XX", GnssSystem::Other),
        ];
        for (talker, system) in systems {
            match read(&nmea(&format!("{talker}GSV,1,1,01,07,45,120,38"))) {
                Ok((Sentence::Gsv(g), _)) => assert_eq!(g.system, system, "{talker}"),
                other => panic!("{talker}: {other:?}"),
            }
        }
    }

    #[test]
    fn rmc_by_version() {
        let base = "GPRMC,225446.33,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E";
        let cases: &[(&str, Claim, Reader)] = &[
            ("", FIX, Reader::Crate),       // 2.0–2.2: 11 fields
            (",A", FIX, Reader::Crate),     // 2.3: mode
            (",D", FIX, Reader::Crate),
            (",N", NO, Reader::Crate),
            (",E", NO, Reader::Crate),
            (",M", NO, Reader::Crate),
            (",S", NO, Reader::Crate),
            (",A,S", FIX, Reader::Crate),   // 4.10: navigational status safe
            (",A,V", FIX, Reader::Crate),   // status not provided: still a fix
            (",A,C", FIX, Reader::Own),     // caution: the crate refuses the letter
            (",A,U", NO, Reader::Own),      // unsafe
            (",N,V", NO, Reader::Crate),
        ];
        for (tail, claim, reader) in cases {
            let (p, r) = position(&format!("{base}{tail}"));
            assert_eq!((p.claim, r), (*claim, *reader), "{tail}");
            assert_eq!(p.date, Some(time::macros::date!(1994 - 11 - 19)));
            assert_eq!(p.speed_knots, Some(0.5));
        }
        let (p, _) = position("GPRMC,225446.33,V,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E,A");
        assert_eq!(p.claim, NO, "status V");
    }

    #[test]
    fn gns_mode_strings() {
        let cases: &[(&str, Claim)] = &[
            ("A", FIX),
            ("N", NO),
            ("NN", NO),
            ("AN", FIX),
            ("NA", FIX),
            ("AAN", FIX),
            ("NNNN", NO),
            ("ANNA", FIX),
            ("NDD", FIX),
            ("NNNNNR", FIX),
            ("EN", NO),
            ("FNN", FIX),
            ("MS", NO),
        ];
        for (modes, claim) in cases {
            for nav in ["", ",S", ",V"] {
                let body = format!("GNGNS,051347.00,6001.336799,N,03014.169008,E,{modes},09,0.9,16.5,18.0,,{nav}");
                assert_eq!(position(&body).0.claim, *claim, "{modes}{nav}");
            }
            let body = format!("GNGNS,051347.00,6001.336799,N,03014.169008,E,{modes},09,0.9,16.5,18.0,,,U");
            assert_eq!(position(&body).0.claim, NO, "{modes} unsafe");
        }
        for bad in ["", "AAAAAAA", "AX", "a"] {
            let body = format!("GNGNS,051347.00,6001.336799,N,03014.169008,E,{bad},09,0.9,16.5,18.0,,");
            assert!(read(&nmea(&body)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gll_with_and_without_mode() {
        let cases: &[(&str, Claim, Reader)] = &[
            ("GPGLL,4916.45,N,12311.12,W,225444,A", FIX, Reader::Own), // 2.0–2.2: no mode
            ("GPGLL,4916.45,N,12311.12,W,225444,V", NO, Reader::Own),
            ("GPGLL,4916.45,N,12311.12,W,225444,A,A", FIX, Reader::Crate),
            ("GPGLL,4916.45,N,12311.12,W,225444,A,N", NO, Reader::Crate),
            ("GPGLL,4916.45,N,12311.12,W,225444,V,N", NO, Reader::Crate),
            ("GPGLL,,,,,225444,V,N", NO, Reader::Crate),
        ];
        for (body, claim, reader) in cases {
            let (p, r) = position(body);
            assert_eq!((p.claim, r), (*claim, *reader), "{body}");
            assert_eq!(p.time, Some((22 * 3600 + 54 * 60 + 44) * 1_000_000));
        }
    }

    #[test]
    fn empty_fields() {
        /// (sentence, position, claim)
        type Case = (&'static str, Option<(f64, f64)>, Claim);
        let cases: &[Case] = &[
            ("GPGGA,,,,,,0,,,,M,,M,,", None, NO),
            ("GPGGA,,,,,,0,,,,,,,,", None, NO),
            ("GPRMC,235943.00,V,,S,,W,,,091223,,", None, NO),
            ("GPRMC,053231.438,V,,,,,,,020315,,,N", None, NO),
            ("GPGGA,100000,,,,,1,05,1.0,,M,,M,,", None, FIX),
            ("GNGNS,074150.799,,,,,NNNN,00,,,0.0,,0000", None, NO),
            ("GPGGA,105025.80,5612.9999,N,00306.7096,W,,2,60.000,160.002,M,,M,,", Some((56.0 + 12.9999 / 60., -(3.0 + 6.7096 / 60.))), SILENT),
        ];
        for (body, pos, claim) in cases {
            let (p, _) = position(body);
            assert_eq!((p.position, p.claim), (*pos, *claim), "{body}");
        }
        // Half a position, or a value without its hemisphere, is malformed.
        for body in [
            "GPGGA,100000,4807.038,N,,,1,05,1.0,,M,,M,,",
            "GPGGA,100000,4807.038,,01131.324,E,1,05,1.0,,M,,M,,",
        ] {
            assert!(read(&nmea(body)).is_err(), "{body}");
        }
    }

    #[test]
    fn seven_decimal_minutes_and_long_sentences() {
        let body = "GNGGA,224749.00,3333.4268304,N,11153.3538273,W,4,19,0.61,406.110,M,-26.294,M,6.0,0138";
        let (p, _) = position(body);
        assert_eq!(p.position, Some((33.0 + 33.4268304 / 60., -(111.0 + 53.3538273 / 60.))));
        assert_eq!(p.hdop_centi, Some(61));
        // Over the crate's 102 characters: the strict reader reads it, to the same bits.
        let long = "GNRMC,224749.000000,A,3333.42683040000,N,11153.35382730000,W,0.0040000,77.5200000,091202,11.5,W,A,V";
        assert!(nmea(long).len() > 102);
        let (p, r) = position(long);
        assert_eq!(r, Reader::Own);
        assert_eq!(p.position, Some((33.0 + 33.4268304 / 60., -(111.0 + 53.3538273 / 60.))));
    }

    #[test]
    fn gsa_with_and_without_system_id() {
        /// (sentence, system, fix type, PRNs, HDOP, reader)
        type Case = (&'static str, GnssSystem, u8, usize, Option<u16>, Reader);
        let cases: &[Case] = &[
            ("GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5", GnssSystem::Gps, 3, 8, Some(110), Reader::Crate),
            ("GNGSA,A,3,69,76,78,85,,,,,,,,,1.2,0.9,0.9,2", GnssSystem::Glonass, 3, 4, Some(90), Reader::Crate),
            ("GNGSA,A,3,,,,,,,,,,,,,1.2,0.9,0.9,3", GnssSystem::Galileo, 3, 0, Some(90), Reader::Crate),
            ("GNGSA,A,3,193,,,,,,,,,,,,1.2,0.9,0.9,5", GnssSystem::Qzss, 3, 1, Some(90), Reader::Crate),
            ("GNGSA,A,2,02,10,28,,,,,,,,,,02.2,02.2,", GnssSystem::Combined, 2, 3, Some(220), Reader::Own),
            ("GPGSA,A,3,08,10,16,18,27,,,,,,,,1.2,0.9,0.9,2", GnssSystem::Glonass, 3, 5, Some(90), Reader::Own),
            ("GPGSA,A,1,,,,,,,,,,,,,,,", GnssSystem::Gps, 1, 0, None, Reader::Crate),
        ];
        for (body, system, fix_type, prns, hdop, reader) in cases {
            match read(&nmea(body)) {
                Ok((Sentence::Gsa(g), r)) => {
                    assert_eq!((g.system, g.fix_type, g.prns.len(), g.hdop_centi, r), (*system, *fix_type, *prns, *hdop, *reader), "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        match read(&nmea("GPGSA,A,3,08,,,,,,,,,,,,1.2,0.9,0.9,9")) {
            Ok((Sentence::Gsa(g), _)) => assert_eq!(g.system, GnssSystem::Gps, "system ID 9: the talker's"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gsv_with_signal_id() {
        /// (sentence, system, signal ID, satellites with strengths)
        type Case = (&'static str, GnssSystem, Option<u8>, &'static [(u16, Option<u8>)]);
        let cases: &[Case] = &[
            ("GPGSV,3,3,12,11,12,132,04,08,38,008,,02,35,348,,03,14,091,", GnssSystem::Gps, None, &[(11, Some(4)), (8, None), (2, None), (3, None)]),
            ("GLGSV,3,3,10,68,06,033,31,71,05,204,18,,,,,,,,,1", GnssSystem::Glonass, Some(1), &[(68, Some(31)), (71, Some(18))]),
            ("GAGSV,2,2,07,27,18,333,,30,16,279,,05,11,185,41,,,,,7", GnssSystem::Galileo, Some(7), &[(27, None), (30, None), (5, Some(41))]),
            ("GPGSV,1,1,01,36,19,156,51,1", GnssSystem::Gps, Some(1), &[(36, Some(51))]),
            ("GNGSV,1,1,02,07,45,120,38,13,20,300,42", GnssSystem::Combined, None, &[(7, Some(38)), (13, Some(42))]),
            ("GPGSV,1,1,00", GnssSystem::Gps, None, &[]),
            ("GBGSV,1,1,01,214,80,010,45,B", GnssSystem::BeiDou, Some(11), &[(214, Some(45))]),
        ];
        for (body, system, signal, sats) in cases {
            match read(&nmea(body)) {
                Ok((Sentence::Gsv(g), _)) => {
                    let got: Vec<(u16, Option<u8>)> = g.satellites.iter().map(|s| (s.prn, s.snr_db)).collect();
                    assert_eq!((g.system, g.signal, got.as_slice()), (*system, *signal, *sats), "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        // The crate ignores what follows; the strict reader counts fields.
        assert!(own_reading("GPGSV,1,1,01,36,19,156,51,1,2").is_err());
        assert!(own_reading("GPGSV,2,1,01,36,19,156,51").is_ok());
        assert!(own_reading("GPGSV,1,2,01").is_err(), "sentence 2 of 1");
    }

    #[test]
    fn zda_date_and_signed_zone() {
        let cases: &[(&str, Option<time::Date>)] = &[
            ("GPZDA,201530.00,04,07,2002,00,00", Some(time::macros::date!(2002 - 07 - 04))),
            ("GPZDA,005947.00,08,07,2010,+00,00", Some(time::macros::date!(2010 - 07 - 08))),
            ("INZDA,194104,16,09,2006,-05,00", Some(time::macros::date!(2006 - 09 - 16))),
            ("GPZDA,194104,,,,,", None),
        ];
        for (body, date) in cases {
            match read(&nmea(body)) {
                Ok((Sentence::Zda(z), _)) => assert_eq!(z.date, *date, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        for body in ["GPZDA,194104,16,09,06,00,00", "GPZDA,194104,16,09,2006,14,00"] {
            assert!(read(&nmea(body)).is_err(), "{body}");
        }
        // An impossible date is no date (both readers).
        let body = "GPZDA,194104,31,02,2006,00,00";
        assert!(matches!(read(&nmea(body)), Ok((Sentence::Zda(Zda { date: None, .. }), _))));
        assert!(matches!(own_reading(body), Ok(Sentence::Zda(Zda { date: None, .. }))));
    }

    #[test]
    fn strict_reader_agrees_with_the_crate() {
        let bodies = [
            "GPGGA,123519,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,",
            "GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000",
            "GNGGA,224749.00,3333.4268304,N,11153.3538273,W,4,19,0.61,406.110,M,-26.294,M,6.0,0138",
            "GPGGA,,,,,,0,,,,M,,M,,",
            "GPRMC,225446.33,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E",
            "GPRMC,225446.33,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E,D",
            "GNRMC,053231.438,V,,,,,,,020315,,,N",
            "GPRMC,051347.00,A,6001.336799,N,03014.169008,E,0.0,0.0,200922,8.4,E,A,V",
            "GNGNS,224749.00,3333.4268304,N,11153.3538273,W,DN,19,0.6,406.110,-26.294,6.0,0138,S",
            "GPGNS,100000.00,0610.0000,S,10649.0000,E,N,00,,,,,",
            "GPGLL,4916.45,N,12311.12,W,225444.50,A,A",
            "GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5",
            "GNGSA,A,3,69,76,78,85,,,,,,,,,1.2,0.9,0.9,2",
            "GLGSV,3,1,10,85,85,247,32,69,53,053,37,70,52,187,27,86,36,310,,1",
            "GPGSV,3,3,12,11,12,132,04,08,38,008,,02,35,348,,03,14,091,",
            "GPZDA,201530.00,04,07,2002,00,00",
            "GNGSA,A,3,193,,,,,,,,,,,,1.2,0.9,0.9,5",
            "GPVTG,054.7,T,034.4,M,005.5,N,010.2,K,A",
        ];
        for body in bodies {
            let (crate_reading, reader) = read(&nmea(body)).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(reader, Reader::Crate, "{body}");
            assert_eq!(Ok(crate_reading), own_reading(body), "{body}");
        }
    }

    #[test]
    fn fields_that_break_the_crate_but_not_the_fix() {
        // Magnetic variation without E/W (Motorola): the decoder does not read those fields.
        let (p, r) = position("GPRMC,212614.879,A,4839.9488,N,00214.8863,E,0.56,344.41,181207,0,A");
        assert_eq!((p.claim, r), (FIX, Reader::Own));
        // GNS with an empty satellite count.
        let (p, r) = position("GNGNS,100000.00,0610.0000,S,10649.0000,E,AA,,1.0,10.0,0.0,,");
        assert_eq!((p.claim, p.sats, r), (FIX, None, Reader::Own));
    }

    #[test]
    fn malformed_fields_name_themselves() {
        let cases: &[(&str, ReadError)] = &[
            ("GPGGA,1,2", ReadError::FieldCount { kind: "GGA", count: 2, min: 14 }),
            (
                "GPGGA,126019,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,",
                ReadError::Field { kind: "GGA", index: 1, value: "126019".into() },
            ),
            (
                "GPGGA,123519,4867.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,",
                ReadError::Field { kind: "GGA", index: 2, value: "4867.038".into() },
            ),
            (
                "GPRMC,225446,X,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E",
                ReadError::Field { kind: "RMC", index: 2, value: "X".into() },
            ),
            (
                "GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,311194,020.3,E",
                ReadError::Field { kind: "RMC", index: 9, value: "311194".into() },
            ),
            ("GPXYZ,1,2", ReadError::Unsupported("XYZ".into())),
        ];
        for (body, want) in cases {
            assert_eq!(read(&nmea(body)).map(|_| ()), Err(want.clone()), "{body}");
        }
    }

    #[test]
    fn field_helpers() {
        assert_eq!(parse_time("235959.999"), Some(86_399_999_000));
        assert_eq!(parse_time("000000"), Some(0));
        for bad in ["24000", "240000", "236000", "235960", "12345.", "1234567", "12:34:56"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        let centi = [
            ("0.9", Some(90)),
            ("1.1", Some(110)),
            ("02.2", Some(220)),
            ("99.99", Some(9999)),
            ("1.105", Some(111)),
            ("0", Some(0)),
            ("655.35", Some(65535)),
            ("655.36", None),
            ("-1", None),
            (".5", None),
        ];
        for (s, want) in centi {
            assert_eq!(parse_centi(s), want, "{s}");
        }
        assert_eq!(parse_date("290224"), Some(time::macros::date!(2024 - 02 - 29)));
        assert_eq!(parse_date("290223"), None);
        assert_eq!(parse_date("010183"), Some(time::macros::date!(1983 - 01 - 01)));
    }
}
