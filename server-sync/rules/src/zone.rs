//! A site's time zone: which local day a record belongs to and at what local time it was made.
//!
//! Records are stored as UTC instants; days, lateness and reports are in the site's zone. A
//! site names its zone by IANA name (`Asia/Makassar` for Bali's WITA). Indonesia has kept fixed
//! offsets without daylight saving since 1988, so a zone here is its name and one offset; a zone
//! whose offset changes over the year is refused by name rather than computed wrongly.
//!
//! It must not: read the system's zone or clock (a kiosk's Linux zone is not the site's).

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime, UtcOffset};

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

/// The zones a person picks a site's from, west to east (the abbreviations and aliases above
/// are accepted but not offered).
pub const CHOICES: &[&str] = &["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura", "UTC"];

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

/// The zones of an office's sites: each site's own, the office's default for the others.
///
/// An office spread over Indonesia has sites in WIB, WITA and WIT; a record's day, a kiosk's
/// result screen and a month's bounds are each read at the zone of the site they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteZones {
    default: SiteZone,
    by_site: BTreeMap<String, SiteZone>,
}

impl SiteZones {
    /// Every site in `default` except those named in `by_site`.
    pub fn new(default: SiteZone, by_site: BTreeMap<String, SiteZone>) -> SiteZones {
        SiteZones { default, by_site }
    }

    /// One zone for every site.
    pub fn single(zone: SiteZone) -> SiteZones {
        SiteZones { default: zone, by_site: BTreeMap::new() }
    }

    /// The zone of `site`.
    pub fn of(&self, site: &str) -> &SiteZone {
        self.by_site.get(site).unwrap_or(&self.default)
    }

    /// Every distinct offset in use, the default's included, smallest first.
    pub fn offsets(&self) -> Vec<UtcOffset> {
        let mut out: Vec<UtcOffset> = std::iter::once(&self.default).chain(self.by_site.values()).map(SiteZone::offset).collect();
        out.sort_by_key(|o| o.whole_seconds());
        out.dedup();
        out
    }

    /// The instants between which `date` is the local date at one site or another: from the
    /// easternmost zone's midnight to the westernmost's next one. A reader of a date's records
    /// reads this window, then keeps each record whose own site's clock puts it on the date.
    pub fn date_bounds(&self, date: Date) -> (OffsetDateTime, OffsetDateTime) {
        let offsets = self.offsets();
        let east = offsets.last().copied().unwrap_or(UtcOffset::UTC);
        let west = offsets.first().copied().unwrap_or(UtcOffset::UTC);
        (date.midnight().assume_offset(east), date.midnight().assume_offset(west) + time::Duration::days(1))
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
        for name in CHOICES {
            assert_eq!(SiteZone::parse(name).map(|z| z.name().to_owned()), Ok((*name).to_owned()), "a choice is a zone");
        }
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
    #[test]
    fn each_site_reads_its_own_zone() {
        let wita = SiteZone::default();
        let wib = SiteZone::parse("WIB").unwrap();
        let wit = SiteZone::parse("Asia/Jayapura").unwrap();
        let zones = SiteZones::new(wita.clone(), BTreeMap::from([("PONTIANAK".to_owned(), wib.clone()), ("JAYAPURA".to_owned(), wit.clone()), ("BADUNG".to_owned(), wita.clone())]));
        let cases = [("PONTIANAK", &wib), ("JAYAPURA", &wit), ("BADUNG", &wita), ("KANTOR", &wita), ("", &wita)];
        for (site, zone) in cases {
            assert_eq!(zones.of(site), zone, "{site}");
        }
        let hours: Vec<i8> = zones.offsets().iter().map(|o| o.whole_hours()).collect();
        assert_eq!(hours, [7, 8, 9]);
        assert_eq!(SiteZones::single(wib.clone()).offsets(), [wib.offset()]);
        // 3 March at some site: from Jayapura's midnight (15:00 UTC the day before) to
        // Pontianak's next midnight (17:00 UTC on the 3rd).
        let (from, to) = zones.date_bounds(time::macros::date!(2026 - 03 - 03));
        assert_eq!((from, to), (datetime!(2026-03-02 15:00 UTC), datetime!(2026-03-03 17:00 UTC)));
    }
}
