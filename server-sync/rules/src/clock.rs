//! Time trust: whether a record's time can be believed, judged from the evidence the device
//! signed with it (its offset from the server at its last sync, the monotonic time since then,
//! whether its wall clock jumped, the GPS receiver's time).
//!
//! A record whose time cannot be trusted still counts as attendance only after a supervisor
//! confirms it; the reason goes with it to the confirmation queue. The rule is the same
//! everywhere, so it lives in the rulebook.
//!
//! ## The evidence and what it proves
//! - At each sync the device measures `server − device` ([`ClockEvidence::last_sync_offset_ms`]).
//!   A device whose clock was far off at that moment was wrong then, even if it records the
//!   server-corrected time now: its RTC or its owner cannot be trusted without a look.
//! - Between syncs only the quartz's drift can move the clock, at most [`ClockRules::drift_ppm`]
//!   (a cheap RTC drifts about 20 ppm, 1.7 s a day); a jump of the wall clock against the
//!   monotonic clock is someone or something setting it ([`ClockEvidence::clock_jumped`]).
//! - A GPS receiver's time is independent of the device; when the record carries one it is
//!   compared directly, and stands in for a sync the device never had.
//! - The server's receipt time bounds the record from above: a record cannot be made after it
//!   arrived.
//!
//! It must not: read a clock (the caller gives the receipt time) or decide who confirms.

use hadir_protocol::ClockEvidence;

/// Limits of the time rules (defaults are for this customer's kiosks).
#[derive(Debug, Clone, PartialEq)]
pub struct ClockRules {
    /// The most a clock may be off at a sync or from GPS and still be trusted, ms.
    pub max_offset_ms: i64,
    /// The quartz drift allowed between syncs, parts per million.
    pub drift_ppm: f64,
    /// After this long without a sync the time is stale, ms.
    pub max_since_sync_ms: u64,
}

impl Default for ClockRules {
    fn default() -> Self {
        ClockRules { max_offset_ms: 120_000, drift_ppm: 50.0, max_since_sync_ms: 30 * 24 * 3_600_000 }
    }
}

/// Why a record's time is doubted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDoubt {
    /// The device never synced with the server before making it.
    NeverSynced,
    /// The last sync is too long ago for the drift bound to mean anything.
    StaleSync {
        /// Time since that sync, ms.
        since_sync_ms: u64,
    },
    /// The device's clock was off by this much at its last sync.
    Drifted {
        /// Server minus device at the sync, ms (positive: the device was behind).
        offset_ms: i64,
    },
    /// The wall clock jumped since the last sync, backwards as far as the evidence shows.
    JumpedBack,
    /// The wall clock jumped since the last sync, and the record claims a time after it
    /// reached the server.
    JumpedForward {
        /// How far after the receipt, ms.
        ahead_ms: i64,
    },
    /// The GPS receiver's time disagrees with the record's.
    DisagreesWithGps {
        /// Record minus GPS, ms (negative: the record claims an earlier time).
        diff_ms: i64,
    },
}

impl TimeDoubt {
    /// A stable name for storage, filters and translations.
    pub fn code(&self) -> &'static str {
        match self {
            TimeDoubt::NeverSynced => "never_synced",
            TimeDoubt::StaleSync { .. } => "stale_sync",
            TimeDoubt::Drifted { .. } => "drifted",
            TimeDoubt::JumpedBack => "jumped_back",
            TimeDoubt::JumpedForward { .. } => "jumped_forward",
            TimeDoubt::DisagreesWithGps { .. } => "disagrees_with_gps",
        }
    }
}

/// How far a record's time can be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeTrust {
    /// Synced recently, within limits, nothing contradicts it.
    Trusted,
    /// Not counted until a supervisor confirms; every reason found, most telling first.
    Doubted(Vec<TimeDoubt>),
}

impl TimeTrust {
    /// Whether the record counts without a supervisor.
    pub fn is_trusted(&self) -> bool {
        matches!(self, TimeTrust::Trusted)
    }
}

/// Judges the time of a record made at device time `recorded_at_ms` with `evidence`, received
/// by the server at `received_at_ms`.
pub fn judge_time(recorded_at_ms: i64, evidence: &ClockEvidence, received_at_ms: i64, rules: &ClockRules) -> TimeTrust {
    let mut doubts = Vec::new();
    if let Some(gps) = evidence.gps_time_ms {
        let diff_ms = recorded_at_ms - gps;
        if diff_ms.abs() > rules.max_offset_ms {
            doubts.push(TimeDoubt::DisagreesWithGps { diff_ms });
        }
    }
    // The drift the quartz may have added since the sync is allowed on top of the limit.
    let ahead_ms = recorded_at_ms - received_at_ms;
    if evidence.clock_jumped {
        if ahead_ms > rules.max_offset_ms {
            doubts.push(TimeDoubt::JumpedForward { ahead_ms });
        } else {
            doubts.push(TimeDoubt::JumpedBack);
        }
    }
    match (evidence.since_sync_monotonic_ms, evidence.last_sync_offset_ms) {
        (Some(since), Some(offset)) => {
            if since > rules.max_since_sync_ms {
                doubts.push(TimeDoubt::StaleSync { since_sync_ms: since });
            }
            if offset.abs() > rules.max_offset_ms {
                doubts.push(TimeDoubt::Drifted { offset_ms: offset });
            }
        }
        // A receiver's time is evidence enough on its own (a field unit booted where there is
        // no network): it was compared above.
        _ if evidence.gps_time_ms.is_some() => {}
        _ => doubts.push(TimeDoubt::NeverSynced),
    }
    if !evidence.clock_jumped && ahead_ms > rules.max_offset_ms + drift_ms(evidence, rules) {
        // No jump reported, yet the record is from the future: the clock was set before the
        // device's last sync bookkeeping could see it.
        doubts.push(TimeDoubt::JumpedForward { ahead_ms });
    }
    if doubts.is_empty() { TimeTrust::Trusted } else { TimeTrust::Doubted(doubts) }
}

fn drift_ms(evidence: &ClockEvidence, rules: &ClockRules) -> i64 {
    let since = evidence.since_sync_monotonic_ms.unwrap_or(0) as f64;
    (since * rules.drift_ppm / 1e6).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: u64 = 3_600_000;

    fn ev(since: Option<u64>, offset: Option<i64>, gps: Option<i64>, jumped: bool) -> ClockEvidence {
        ClockEvidence { since_sync_monotonic_ms: since, last_sync_offset_ms: offset, gps_time_ms: gps, clock_jumped: jumped }
    }

    #[test]
    fn time_trust_table() {
        use TimeDoubt::*;
        let t = 1_780_000_000_000i64;
        let rules = ClockRules::default();
        // (name, recorded at, evidence, received at, expected doubts)
        let cases: Vec<(&str, i64, ClockEvidence, i64, Vec<TimeDoubt>)> = vec![
            ("synced a minute ago, on time", t, ev(Some(60_000), Some(-150), None, false), t + 5_000, vec![]),
            ("offline a week, small offset", t, ev(Some(7 * 24 * HOUR), Some(900), None, false), t + 3 * MIN, vec![]),
            ("offset exactly at the limit", t, ev(Some(HOUR), Some(2 * MIN), None, false), t, vec![]),
            ("offset a millisecond past it", t, ev(Some(HOUR), Some(2 * MIN + 1), None, false), t, vec![Drifted { offset_ms: 2 * MIN + 1 }]),
            ("clock set back 40 minutes, synced since", t, ev(Some(HOUR), Some(40 * MIN), None, false), t + 40 * MIN, vec![Drifted { offset_ms: 40 * MIN }]),
            ("never synced", t, ev(None, None, None, false), t, vec![NeverSynced]),
            ("never synced, GPS agrees", t, ev(None, None, Some(t + 2_000), false), t + HOUR as i64, vec![]),
            ("never synced, GPS disagrees", t, ev(None, None, Some(t + 40 * MIN), false), t + HOUR as i64, vec![DisagreesWithGps { diff_ms: -40 * MIN }]),
            ("stale sync", t, ev(Some(31 * 24 * HOUR), Some(0), None, false), t, vec![StaleSync { since_sync_ms: 31 * 24 * HOUR }]),
            ("jump reported, time in the past", t, ev(Some(HOUR), Some(0), None, true), t + 40 * MIN, vec![JumpedBack]),
            ("jump reported, time in the future", t + HOUR as i64, ev(Some(HOUR), Some(0), None, true), t, vec![JumpedForward { ahead_ms: HOUR as i64 }]),
            ("future without a reported jump", t + 10 * MIN, ev(Some(HOUR), Some(0), None, false), t, vec![JumpedForward { ahead_ms: 10 * MIN }]),
            ("a week's drift is allowed into the future", t + 2 * MIN + 30_000, ev(Some(7 * 24 * HOUR), Some(0), None, false), t, vec![]),
            ("GPS agrees", t, ev(Some(HOUR), Some(0), Some(t - 1_000), false), t, vec![]),
            ("GPS says 40 min later", t, ev(Some(HOUR), Some(0), Some(t + 40 * MIN), false), t + 41 * MIN, vec![DisagreesWithGps { diff_ms: -40 * MIN }]),
        ];
        for (name, recorded, evidence, received, want) in cases {
            let got = judge_time(recorded, &evidence, received, &rules);
            let want = if want.is_empty() { TimeTrust::Trusted } else { TimeTrust::Doubted(want) };
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            TimeDoubt::NeverSynced,
            TimeDoubt::StaleSync { since_sync_ms: 0 },
            TimeDoubt::Drifted { offset_ms: 0 },
            TimeDoubt::JumpedBack,
            TimeDoubt::JumpedForward { ahead_ms: 0 },
            TimeDoubt::DisagreesWithGps { diff_ms: 0 },
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(TimeDoubt::code).collect();
        assert_eq!(codes.len(), all.len());
    }
}
