//! When a day is known: every device of the employee's site has synced past it.
//!
//! A device's watermark is the instant up to which everything it recorded has reached the
//! server (its outbox held nothing older when it last synced). A day D is known for a site when
//! every device's watermark, at the site's UTC offset, is at or after midnight starting D+1.
//! Until then an absent day could still be a record waiting in some device's queue, so the
//! rules say "not yet known" instead of "absent".

use time::{Date, OffsetDateTime, UtcOffset};

/// One device's sync watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceWatermark {
    /// The device.
    pub device_id: String,
    /// Everything the device recorded before this instant is on the server; `None` when it
    /// has never synced.
    pub synced_until: Option<OffsetDateTime>,
}

/// The last local date known for a site with these devices at `offset`; `None` when no day is
/// known (no active device, or one never synced).
pub fn known_through(devices: &[DeviceWatermark], offset: UtcOffset) -> Option<Date> {
    let mut result: Option<Date> = None;
    if devices.is_empty() {
        return None;
    }
    for d in devices {
        let day = d.synced_until?.to_offset(offset).date().previous_day()?;
        result = Some(result.map_or(day, |r| r.min(day)));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    fn dev(id: &str, at: Option<OffsetDateTime>) -> DeviceWatermark {
        DeviceWatermark { device_id: id.into(), synced_until: at }
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
        ];
        for (name, devices, want) in cases {
            assert_eq!(known_through(&devices, wib), want, "{name}");
        }
    }
}
