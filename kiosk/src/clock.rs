//! # Clock sanity: the evidence every record carries about the wall clock
//!
//! A kiosk's real-time clock can be wrong (flat RTC battery, a person changing the time to
//! fake an arrival). The kiosk cannot fix that, but it can say what it knows so the server and
//! an auditor can judge: the monotonic time since the last server time sync, that sync's
//! offset, the GPS time when there is a fix, and a flag when the wall clock jumped.
//!
//! [`assess`] is pure: the runtime passes the wall time, the monotonic time and what it
//! remembers; the flag is raised when
//! - the wall clock moved against the monotonic clock by more than the threshold since the last
//!   sync (a jump either way while running);
//! - the wall time is before the last record's time (backwards across a restart);
//! - the wall time is before the build's floor (an RTC reset to 1970 or 2000);
//! - GPS time disagrees with the wall time by more than the threshold.
//!
//! A flagged record is still made (losing an arrival is worse), but it says so.

use hadir_protocol::ClockEvidence;

/// The last successful server time sync, measured on this boot's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncPoint {
    /// Monotonic ms at the sync.
    pub mono_ms: u64,
    /// Device wall time at the sync, ms since the epoch.
    pub wall_ms: i64,
    /// Server time minus device time at the sync, ms.
    pub offset_ms: i64,
}

/// What the runtime knows when it makes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockInputs {
    /// Device wall time now, ms since the epoch.
    pub wall_ms: i64,
    /// Monotonic ms now.
    pub mono_ms: u64,
    /// The last server sync on this boot.
    pub last_sync: Option<SyncPoint>,
    /// The wall time of the device's last record.
    pub last_record_ms: Option<i64>,
    /// GPS UTC time now, if there is a fix.
    pub gps_ms: Option<i64>,
}

/// Thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockPolicy {
    /// A drift or disagreement beyond this is a jump, ms.
    pub jump_threshold_ms: i64,
    /// Wall times before this are certainly wrong (the build's date), ms since the epoch.
    pub floor_ms: i64,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        // 2026-01-01T00:00:00Z: no kiosk of this build runs before it.
        ClockPolicy { jump_threshold_ms: 5 * 60 * 1000, floor_ms: 1_767_225_600_000 }
    }
}

/// Which checks raised the flag (for the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockProblem {
    /// Drifted against the monotonic clock since the last sync.
    JumpSinceSync,
    /// Earlier than the last record.
    BeforeLastRecord,
    /// Before the build's floor.
    BeforeFloor,
    /// Disagrees with GPS time.
    DisagreesWithGps,
}

/// The record's clock evidence and the problems found.
pub fn assess(i: ClockInputs, p: ClockPolicy) -> (ClockEvidence, Vec<ClockProblem>) {
    let mut problems = Vec::new();
    if let Some(s) = i.last_sync {
        let elapsed = i64::try_from(i.mono_ms.saturating_sub(s.mono_ms)).unwrap_or(i64::MAX);
        let expected = s.wall_ms.saturating_add(elapsed);
        if (i.wall_ms - expected).abs() > p.jump_threshold_ms {
            problems.push(ClockProblem::JumpSinceSync);
        }
    }
    // A little slack: two records in the same second after a small NTP step are fine.
    if i.last_record_ms.is_some_and(|last| i.wall_ms < last - 60_000) {
        problems.push(ClockProblem::BeforeLastRecord);
    }
    if i.wall_ms < p.floor_ms {
        problems.push(ClockProblem::BeforeFloor);
    }
    if i.gps_ms.is_some_and(|g| (i.wall_ms - g).abs() > p.jump_threshold_ms) {
        problems.push(ClockProblem::DisagreesWithGps);
    }
    let evidence = ClockEvidence {
        since_sync_monotonic_ms: i.last_sync.map(|s| i.mono_ms.saturating_sub(s.mono_ms)),
        last_sync_offset_ms: i.last_sync.map(|s| s.offset_ms),
        gps_time_ms: i.gps_ms,
        clock_jumped: !problems.is_empty(),
    };
    (evidence, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_780_000_000_000;

    #[test]
    fn assess_table() {
        let sync = Some(SyncPoint { mono_ms: 1_000, wall_ms: T, offset_ms: 250 });
        let base = ClockInputs { wall_ms: T + 60_000, mono_ms: 61_000, last_sync: sync, last_record_ms: None, gps_ms: None };
        let cases: Vec<(&str, ClockInputs, Vec<ClockProblem>)> = vec![
            ("steady", base, vec![]),
            ("small drift", ClockInputs { wall_ms: T + 60_000 + 4 * 60_000, ..base }, vec![]),
            ("jump forward", ClockInputs { wall_ms: T + 60_000 + 3_600_000, ..base }, vec![ClockProblem::JumpSinceSync]),
            (
                "jump backward",
                ClockInputs { wall_ms: T - 3_600_000, last_record_ms: Some(T), ..base },
                vec![ClockProblem::JumpSinceSync, ClockProblem::BeforeLastRecord],
            ),
            (
                "no sync, before last record",
                ClockInputs { last_sync: None, last_record_ms: Some(T + 600_000), ..base },
                vec![ClockProblem::BeforeLastRecord],
            ),
            ("no sync, same second as last record", ClockInputs { last_sync: None, last_record_ms: Some(T + 60_500), ..base }, vec![]),
            ("rtc reset", ClockInputs { wall_ms: 946_684_800_000, last_sync: None, ..base }, vec![ClockProblem::BeforeFloor]),
            ("gps agrees", ClockInputs { gps_ms: Some(T + 61_000), ..base }, vec![]),
            ("gps disagrees", ClockInputs { gps_ms: Some(T + 7_200_000), ..base }, vec![ClockProblem::DisagreesWithGps]),
        ];
        for (name, input, want) in cases {
            let (ev, problems) = assess(input, ClockPolicy::default());
            assert_eq!(problems, want, "{name}");
            assert_eq!(ev.clock_jumped, !want.is_empty(), "{name}");
        }
        let (ev, _) = assess(base, ClockPolicy::default());
        assert_eq!(ev.since_sync_monotonic_ms, Some(60_000));
        assert_eq!(ev.last_sync_offset_ms, Some(250));
        let (ev, _) = assess(ClockInputs { last_sync: None, ..base }, ClockPolicy::default());
        assert_eq!((ev.since_sync_monotonic_ms, ev.last_sync_offset_ms), (None, None));
    }
}
