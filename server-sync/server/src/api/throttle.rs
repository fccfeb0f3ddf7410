//! The device API's refusal budget: each client address may cause only so many refusals —
//! answers 4xx, and upload entries kept in `refused_uploads` — before its requests are answered
//! `429 Too Many Requests` without touching the store.
//!
//! Why refusals and not requests: a kiosk's ordinary traffic (uploads, roster syncs, photos) is
//! never refused and never slowed, however busy; a stranger on the network can only make the
//! server refuse things (forged or malformed records, unknown devices, guessed enrolment
//! tokens), and every refusal costs a lookup and may leave a row. A token bucket per address
//! ([`crate::client::throttle_key`]: an IPv4 address or an IPv6 /64) holds [`BURST`] refusals
//! and refills [`REFILL_PER_HOUR`] an hour; a request is let in only with one left, which it
//! holds while it runs (so a burst of concurrent requests cannot all pass the check), and its
//! refusals are charged when it is answered. The bucket may fall below zero — one upload holds
//! up to 1,000 entries — and the address then waits until it has refilled.
//!
//! The map holds at most [`MAX_TRACKED`] addresses; full buckets are forgotten first (they
//! equal a new one), then the half with the least debt. It must not count anything but
//! refusals: a successful request is always given back what it held.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Refusals an address may cause at once.
pub const BURST: i64 = 300;
/// Refusals an address regains an hour (one every 10 s).
pub const REFILL_PER_HOUR: i64 = 360;
/// The time one refusal takes to regain, ms: the bucket's unit, so its sums are exact.
const REFUSAL_MS: i64 = 3_600_000 / REFILL_PER_HOUR;
/// Addresses remembered; beyond it the least indebted go first.
pub const MAX_TRACKED: usize = 10_000;

/// A response extension: how many entries of an upload were kept in `refused_uploads`, for
/// the budget to charge.
#[derive(Debug, Clone, Copy)]
pub struct RefusalsKept(pub usize);

/// What an address has left, in milliseconds of refill ([`REFUSAL_MS`] a refusal), as of
/// `at_ms`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    left_ms: i64,
    at_ms: i64,
}

impl Bucket {
    fn level(&self, now_ms: i64) -> i64 {
        (self.left_ms + (now_ms - self.at_ms).max(0)).min(BURST * REFUSAL_MS)
    }
}

/// The refusal budgets of every address seen.
#[derive(Debug, Default)]
pub struct RefusalBudget {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RefusalBudget {
    /// Lets a request from `key` in, holding one refusal: `Err` with the milliseconds until it
    /// may try again when the budget is spent.
    pub fn admit(&self, key: IpAddr, now_ms: i64) -> Result<(), i64> {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let level = map.get(&key).map_or(BURST * REFUSAL_MS, |b| b.level(now_ms));
        if level < REFUSAL_MS {
            return Err(REFUSAL_MS - level);
        }
        map.insert(key, Bucket { left_ms: level - REFUSAL_MS, at_ms: now_ms });
        if map.len() > MAX_TRACKED {
            forget_some(&mut map, now_ms);
        }
        Ok(())
    }

    /// Settles an admitted request that caused `refusals` refusals (the one it held is given
    /// back when there were none).
    pub fn settle(&self, key: IpAddr, refusals: usize, now_ms: i64) {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = map.get_mut(&key) {
            let charged = i64::try_from(refusals).unwrap_or(i64::MAX / REFUSAL_MS) - 1;
            *b = Bucket { left_ms: (b.level(now_ms) - charged * REFUSAL_MS).min(BURST * REFUSAL_MS), at_ms: now_ms };
        }
    }

    /// Addresses remembered: what a flood can make this hold.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn forget_some(map: &mut HashMap<IpAddr, Bucket>, now_ms: i64) {
    map.retain(|_, b| b.level(now_ms) < BURST * REFUSAL_MS);
    if map.len() > MAX_TRACKED {
        let mut levels: Vec<i64> = map.values().map(|b| b.level(now_ms)).collect();
        levels.sort_unstable();
        let cut = levels[levels.len() / 2];
        map.retain(|_, b| b.level(now_ms) < cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn successful_requests_never_spend_the_budget() {
        let budget = RefusalBudget::default();
        let kiosk = ip("198.51.100.2");
        for i in 0..10_000 {
            budget.admit(kiosk, i).expect("a kiosk that is never refused is never slowed");
            budget.settle(kiosk, 0, i);
        }
    }

    #[test]
    fn refusals_spend_it_and_time_refills_it() {
        // (refusals charged per request, requests let in before the first 429)
        for (per_request, let_in) in [(1usize, 300usize), (3, 100), (50, 6), (299, 2), (1000, 1)] {
            let budget = RefusalBudget::default();
            let stranger = ip("203.0.113.7");
            let mut admitted = 0;
            while budget.admit(stranger, 0).is_ok() {
                budget.settle(stranger, per_request, 0);
                admitted += 1;
                assert!(admitted <= 1000, "never throttled at {per_request} refusals a request");
            }
            assert_eq!(admitted, let_in, "{per_request} refusals a request");
        }
        let budget = RefusalBudget::default();
        let stranger = ip("203.0.113.7");
        budget.admit(stranger, 0).unwrap();
        budget.settle(stranger, 1000, 0);
        // 1,000 refusals from a full bucket of 300 leave −700 after the held one is given back:
        // 701 to regain, one every 10 s.
        let wait = budget.admit(stranger, 0).unwrap_err();
        assert_eq!(wait, 7_010_000);
        assert!(budget.admit(stranger, wait - 1_000).is_err());
        assert!(budget.admit(stranger, wait).is_ok());
        // Another address is not touched.
        assert!(budget.admit(ip("203.0.113.8"), 0).is_ok());
    }

    #[test]
    fn concurrent_requests_cannot_all_pass_before_the_first_is_charged() {
        let budget = RefusalBudget::default();
        let stranger = ip("203.0.113.7");
        let held = (0..1000).take_while(|_| budget.admit(stranger, 0).is_ok()).count();
        assert_eq!(held, 300);
    }

    #[test]
    fn a_flood_of_addresses_is_bounded_and_keeps_the_indebted() {
        let budget = RefusalBudget::default();
        let guesser = ip("203.0.113.7");
        budget.admit(guesser, 0).unwrap();
        budget.settle(guesser, 500, 0);
        for i in 0..(3 * MAX_TRACKED as u32) {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            if budget.admit(a, 1).is_ok() {
                budget.settle(a, 2, 1);
            }
        }
        assert!(budget.tracked() <= MAX_TRACKED + 1, "{} tracked", budget.tracked());
        assert!(budget.admit(guesser, 1).is_err(), "the guesser's debt survives the flood");
    }
}
