//! When a day is known: every device of the employee's site has synced past it.
//!
//! A device's watermark is the instant up to which everything it recorded has reached the
//! server (its outbox held nothing older when it last synced). A day D is known for a site when
//! every device's watermark, at the site's UTC offset, is at or after midnight starting D+1.
//! Until then an absent day could still be a record waiting in some device's queue, so the
//! rules say "not yet known" instead of "absent".
//!
//! # A silent device
//!
//! One device that never reports again (stolen, broken, stored in a cupboard) would keep every
//! later day of its site "not yet known" forever. [`silent`] names the devices whose watermark
//! is older than a silence the office chooses, so the dashboard can say which device holds the
//! days back; an administrator then retires the device (revocation: it no longer counts) or
//! releases its days up to an instant ([`DeviceWatermark::released_until`]): the device then
//! counts as synced up to there, and records it still brings later arrive as late records.

use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// One device's sync watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceWatermark {
    /// The device.
    pub device_id: String,
    /// Everything the device recorded before this instant is on the server; `None` when it
    /// has never synced.
    pub synced_until: Option<OffsetDateTime>,
    /// An administrator released the device's days up to this instant (see the module docs).
    pub released_until: Option<OffsetDateTime>,
    /// When the device was enrolled: the silence of a device that never synced counts from it.
    pub enrolled_at: OffsetDateTime,
}

impl DeviceWatermark {
    /// The instant up to which the device counts as synced: its own watermark or the
    /// administrator's release, whichever is later.
    pub fn effective(&self) -> Option<OffsetDateTime> {
        self.synced_until.max(self.released_until)
    }
}

/// The devices silent for longer than `silence` at `now` (their effective watermark, or their
/// enrolment when they never synced, is older), oldest first: the ones holding days back.
pub fn silent(devices: &[DeviceWatermark], now: OffsetDateTime, silence: Duration) -> Vec<&DeviceWatermark> {
    let since = |d: &DeviceWatermark| d.effective().unwrap_or(d.enrolled_at);
    let mut out: Vec<&DeviceWatermark> = devices.iter().filter(|d| now - since(d) > silence).collect();
    out.sort_by_key(|d| (since(d), d.device_id.clone()));
    out
}

/// The last local date known for a site with these devices at `offset`; `None` when no day is
/// known (no active device, or one never synced).
pub fn known_through(devices: &[DeviceWatermark], offset: UtcOffset) -> Option<Date> {
    let mut result: Option<Date> = None;
    if devices.is_empty() {
        return None;
    }
    for d in devices {
        let day = d.effective()?.to_offset(offset).date().previous_day()?;
        result = Some(result.map_or(day, |r| r.min(day)));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    fn dev(id: &str, at: Option<OffsetDateTime>) -> DeviceWatermark {
        DeviceWatermark { device_id: id.into(), synced_until: at, released_until: None, enrolled_at: datetime!(2026-01-01 00:00 UTC) }
    }

    fn released(mut d: DeviceWatermark, at: OffsetDateTime) -> DeviceWatermark {
        d.released_until = Some(at);
        d
    }

    #[test]
    fn known_through_table() {
        let wib = offset!(+7);
        let cases = [
            ("no devices", vec![], None),
            ("one never synced", vec![dev("a", Some(datetime!(2026-03-05 10:00 +7))), dev("b", None)], None),
            ("synced mid-day: yesterday known", vec![dev("a", Some(datetime!(2026-03-05 10:00 +7)))], Some(date!(2026 - 03 - 04))),
            ("synced exactly at local midnight", vec![dev("a", Some(datetime!(2026-03-05 00:00 +7)))], Some(date!(2026 - 03 - 04))),
            ("one second before midnight", vec![dev("a", Some(datetime!(2026-03-04 23:59:59 +7)))], Some(date!(2026 - 03 - 03))),
            ("UTC watermark read at the site's offset", vec![dev("a", Some(datetime!(2026-03-04 17:00 UTC)))], Some(date!(2026 - 03 - 04))),
            (
                "the slowest device decides",
                vec![dev("a", Some(datetime!(2026-03-10 09:00 +7))), dev("b", Some(datetime!(2026-03-06 18:00 +7)))],
                Some(date!(2026 - 03 - 05)),
            ),
            (
                "a released silent device no longer holds the site back",
                vec![dev("a", Some(datetime!(2026-03-10 09:00 +7))), released(dev("b", Some(datetime!(2026-03-01 18:00 +7))), datetime!(2026-03-09 12:00 +7))],
                Some(date!(2026 - 03 - 08)),
            ),
            (
                "a release older than the device's own watermark changes nothing",
                vec![released(dev("a", Some(datetime!(2026-03-10 09:00 +7))), datetime!(2026-03-02 00:00 +7))],
                Some(date!(2026 - 03 - 09)),
            ),
            (
                "a never-synced device released",
                vec![released(dev("a", None), datetime!(2026-03-04 00:00 +7))],
                Some(date!(2026 - 03 - 03)),
            ),
        ];
        for (name, devices, want) in cases {
            assert_eq!(known_through(&devices, wib), want, "{name}");
        }
    }

    #[test]
    fn silent_table() {
        let now = datetime!(2026-03-10 12:00 +7);
        let hours = |h| Duration::hours(h);
        let cases: Vec<(&str, Vec<DeviceWatermark>, Duration, Vec<&str>)> = vec![
            ("synced an hour ago", vec![dev("a", Some(now - hours(1)))], hours(48), vec![]),
            ("exactly the silence is not yet silent", vec![dev("a", Some(now - hours(48)))], hours(48), vec![]),
            ("one minute past it", vec![dev("a", Some(now - hours(48) - Duration::minutes(1)))], hours(48), vec!["a"]),
            ("never synced, enrolled long ago", vec![dev("a", None)], hours(48), vec!["a"]),
            (
                "never synced, enrolled an hour ago",
                vec![DeviceWatermark { enrolled_at: now - hours(1), ..dev("a", None) }],
                hours(48),
                vec![],
            ),
            ("released recently", vec![released(dev("a", Some(now - hours(100))), now - hours(2))], hours(48), vec![]),
            (
                "oldest first",
                vec![dev("new", Some(now - hours(60))), dev("old", Some(now - hours(90))), dev("ok", Some(now))],
                hours(48),
                vec!["old", "new"],
            ),
        ];
        for (name, devices, silence, want) in cases {
            let got: Vec<&str> = silent(&devices, now, silence).iter().map(|d| d.device_id.as_str()).collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
