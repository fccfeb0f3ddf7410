//! Exponential backoff with jitter, as plain arithmetic (the caller sleeps).
//!
//! The ceiling doubles per failed attempt from `initial` up to `max`; the delay is drawn from
//! the upper half of it ("equal jitter"), so 38 devices that lost the server at the same moment
//! do not come back at the same moment, and none retries in a tight loop.

use std::time::Duration;

/// Backoff state for one uploader.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `initial`, never waits longer than `max`.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff { initial, max: max.max(initial), failures: 0 }
    }

    /// The delay after one more failure; `unit` is a random number in `[0, 1)`.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let unit = unit.clamp(0.0, 1.0);
        ceiling.div_f64(2.0) + ceiling.div_f64(2.0).mul_f64(unit)
    }

    /// The current ceiling: `initial × 2^failures`, capped at `max`.
    pub fn ceiling(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.failures.min(30));
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// Success: start again from `initial`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_jitters_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        // (random unit, expected delay in ms)
        let table = [(0.0, 500), (1.0, 2000), (0.5, 3000), (0.0, 4000), (0.0, 8000), (0.0, 16000), (0.0, 30000), (0.999_999, 59_999)];
        for (i, (unit, ms)) in table.into_iter().enumerate() {
            let d = b.next_delay(unit);
            assert_eq!(d.as_millis(), ms, "step {i}");
        }
        for _ in 0..100 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(60));
        }
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.next_delay(0.0), Duration::from_millis(500));
    }
}
