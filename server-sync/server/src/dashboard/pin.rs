//! New PINs set from the dashboard: random, not trivial, and unique at the employee's site.
//!
//! A kiosk finds the employee by the PIN typed (DESIGN: PIN, then the face 1:1), so two
//! employees of one site must never share a PIN. PINs are stored only as Argon2 hashes with
//! their own salt, so uniqueness is checked by verifying the candidate against every other
//! employee's hash at the site ([`crate::roster::verify_pin`]), spread over the CPU's cores.
//! The PIN itself is never logged or stored in clear; the page that sets it shows it once.
//!
//! # Units and limits
//! One Argon2 check takes some tens of milliseconds, so a site of 400 employees costs a few
//! seconds per reset (run it on the blocking pool). PINs are chosen by the server rather than
//! typed by the admin, so the form cannot be used to probe which PINs are taken.

use rand::Rng as _;

/// Attempts at a random PIN before giving up (a collision is already rare: a 6-digit PIN at
/// a site of 400 has about a 0.04 % chance).
pub const ATTEMPTS: usize = 8;

/// Why no PIN was set.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// Every attempt collided or was trivial (a site far too large for the PIN length).
    #[error("no unused PIN of {len} digits found in {ATTEMPTS} attempts: raise dashboard.pin_length")]
    Exhausted {
        /// Digits.
        len: usize,
    },
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] crate::roster::PinError),
}

/// Whether a PIN is too easy to guess: one digit repeated, or a run up or down (`123456`,
/// `987654`, wrapping `890123`).
pub fn is_trivial(pin: &str) -> bool {
    let d: Vec<i32> = pin.bytes().map(|b| i32::from(b) - i32::from(b'0')).collect();
    if d.len() < 2 {
        return true;
    }
    let steps: Vec<i32> = d.windows(2).map(|w| (w[1] - w[0]).rem_euclid(10)).collect();
    steps.iter().all(|s| *s == steps[0]) && matches!(steps[0], 0 | 1 | 9)
}

/// A uniformly random PIN of `len` digits (leading zeros allowed).
pub fn random_pin(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// Whether `pin` opens any of `hashes` (checked on all cores).
pub fn taken(pin: &str, hashes: &[String]) -> bool {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).max(1);
    let chunk = hashes.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> =
            hashes.chunks(chunk).map(|part| s.spawn(move || part.iter().any(|h| crate::roster::verify_pin(pin, h)))).collect();
        // A panicked checker counts as "taken": never hand out a PIN that was not checked.
        handles.into_iter().any(|h| h.join().unwrap_or(true))
    })
}

/// A new PIN from `candidates` that is not trivial and opens none of `other_hashes` (the other
/// employees' of the site), with its Argon2 hash. Blocking: seconds at a large site.
pub fn unique_pin(
    len: usize,
    other_hashes: &[String],
    mut candidates: impl FnMut() -> String,
) -> Result<(String, String), PinError> {
    for _ in 0..ATTEMPTS {
        let pin = candidates();
        if pin.len() != len || is_trivial(&pin) || taken(&pin, other_hashes) {
            continue;
        }
        let hash = crate::roster::hash_pin(&pin)?;
        return Ok((pin, hash));
    }
    Err(PinError::Exhausted { len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_pins() {
        for (pin, trivial) in [
            ("000000", true),
            ("123456", true),
            ("654321", true),
            ("890123", true),
            ("135792", false),
            ("482913", false),
            ("112233", false),
            ("1", true),
        ] {
            assert_eq!(is_trivial(pin), trivial, "{pin}");
        }
    }

    #[test]
    fn random_pins_have_the_length_and_only_digits() {
        for len in [4, 6, 12] {
            let p = random_pin(len);
            assert_eq!(p.len(), len);
            assert!(p.bytes().all(|b| b.is_ascii_digit()), "{p}");
        }
    }

    #[test]
    fn a_taken_or_trivial_pin_is_skipped() {
        let others = vec![crate::roster::hash_pin("482913").unwrap()];
        let mut script = vec!["482913", "111111", "2024", "735160"].into_iter();
        let (pin, hash) = unique_pin(6, &others, || script.next().unwrap_or("000000").to_owned()).unwrap();
        assert_eq!(pin, "735160");
        assert!(crate::roster::verify_pin("735160", &hash));
        let err = unique_pin(6, &others, || "482913".to_owned()).unwrap_err();
        assert!(matches!(err, PinError::Exhausted { len: 6 }), "{err}");
    }
}
