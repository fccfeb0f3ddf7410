//! A site's time zone: which local day a record belongs to and at what local time it was made.
//!
//! Records are stored as UTC instants; days, lateness and reports are in the site's zone. A
//! site names its zone by IANA name (`Asia/Makassar` for Bali's WITA). Indonesia has kept fixed
//! offsets without daylight saving since 1988, so a zone here is its name and one offset; a zone
//! whose offset changes over the year is refused by name rather than computed wrongly.
//!
//! It must not: read the system's zone or clock (a kiosk's Linux zone is not the site's).

use time::{OffsetDateTime, UtcOffset};

/// Zones known to the rules: IANA names (and the everyday abbreviations) with their offset in
/// hours. Indonesia: WIB (+7), WITA (+8), WIT (+9).
const ZONES: &[(&str, i8)] = &[
    ("Asia/Jakarta", 7),
    ("Asia/Pontianak", 7),
    ("Asia/Makassar", 8),
    ("Asia/Ujung_Pandang", 8),
    ("Asia/Jayapura", 9),
    ("UTC", 0),
    ("Etc/UTC", 0),
    ("WIB", 7),
    ("WITA", 8),
    ("WIT", 9),
];

/// The zone of this customer's sites (Badung, Bali: WITA).
pub const DEFAULT_ZONE: &str = "Asia/Makassar";

/// A zone name the rules cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone {name:?}: use an IANA name of a zone without daylight saving — \
     Asia/Jakarta or Asia/Pontianak (WIB, UTC+7), Asia/Makassar (WITA, UTC+8), \
     Asia/Jayapura (WIT, UTC+9) or UTC"
)]
pub struct ZoneError {
    /// The name given.
    pub name: String,
}

/// A site's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteZone {
    name: &'static str,
    offset: UtcOffset,
}

impl SiteZone {
    /// The zone named `name` (IANA name or WIB/WITA/WIT), case as IANA writes it.
    pub fn parse(name: &str) -> Result<SiteZone, ZoneError> {
        let name = name.trim();
        let (known, hours) = ZONES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| ZoneError { name: name.to_owned() })?;
        let offset = UtcOffset::from_hms(*hours, 0, 0).map_err(|_| ZoneError { name: name.to_owned() })?;
        Ok(SiteZone { name: known, offset })
    }

    /// The name as given by IANA (or the abbreviation it was parsed from).
    pub fn name(&self) -> &str {
        self.name
    }

    /// The zone's offset from UTC.
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// `at` as the site's wall clock shows it (`.date()` is the record's day).
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.offset)
    }
}

impl Default for SiteZone {
    fn default() -> Self {
        SiteZone { name: DEFAULT_ZONE, offset: UtcOffset::from_whole_seconds(8 * 3600).unwrap_or(UtcOffset::UTC) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    #[test]
    fn zones_table() {
        let cases = [
            ("Asia/Jakarta", Some(7)),
            ("Asia/Pontianak", Some(7)),
            ("Asia/Makassar", Some(8)),
            ("asia/makassar", Some(8)),
            (" WITA ", Some(8)),
            ("Asia/Jayapura", Some(9)),
            ("UTC", Some(0)),
            ("Europe/Berlin", None),
            ("", None),
            ("+08:00", None),
        ];
        for (name, hours) in cases {
            let got = SiteZone::parse(name).ok().map(|z| z.offset().whole_hours());
            assert_eq!(got, hours, "{name:?}");
        }
        assert_eq!(SiteZone::default(), SiteZone::parse("Asia/Makassar").unwrap());
        let err = SiteZone::parse("Europe/Berlin").unwrap_err().to_string();
        assert!(err.contains("Asia/Makassar"), "the error names the fix: {err}");
    }

    #[test]
    fn local_day_and_time_follow_the_zone() {
        // 23:30 UTC is 07:30 the next morning in WITA, 06:30 in WIB.
        let at = datetime!(2026-03-02 23:30 UTC);
        let wita = SiteZone::parse("Asia/Makassar").unwrap().local(at);
        assert_eq!((wita.date(), wita.time()), (date!(2026 - 03 - 03), time!(07:30)));
        let wib = SiteZone::parse("Asia/Jakarta").unwrap().local(at);
        assert_eq!((wib.date(), wib.time()), (date!(2026 - 03 - 03), time!(06:30)));
        let wit = SiteZone::parse("Asia/Jayapura").unwrap().local(datetime!(2026-03-02 14:59 UTC));
        assert_eq!((wit.date(), wit.time()), (date!(2026 - 03 - 02), time!(23:59)));
    }
}
