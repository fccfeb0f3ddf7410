//! Time-based one-time codes (RFC 6238, as every authenticator app computes them: HMAC-SHA-1,
//! 30-second steps, 6 digits): an administrator's optional second factor.
//!
//! Pure: secrets, their base32 form for the app, the code of a step, and the check of a typed
//! code against a window of one step either side (a phone's clock a little off). It keeps no
//! state: refusing a code used before is the store's (each account's last used step), so that
//! a code seen over a shoulder cannot be replayed.

use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha1::Sha1;

/// Seconds per step.
pub const STEP_S: i64 = 30;
/// Steps accepted either side of the current one.
pub const WINDOW: i64 = 1;
/// Secret length, bytes (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut s = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut s);
    s
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (what authenticator apps take as a key).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads base32 (case and spaces ignored, padding allowed); `None` when it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32.iter().position(|&x| char::from(x) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The step of a Unix time.
pub fn step_of(unix_s: i64) -> i64 {
    unix_s.div_euclid(STEP_S)
}

/// The code of `step` with `digits` digits (RFC 4226's dynamic truncation).
pub fn code(secret: &[u8], step: i64, digits: u32) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let at = usize::from(h[h.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([h[at] & 0x7f, h[at + 1], h[at + 2], h[at + 3]]);
    value % 10u32.pow(digits)
}

/// The step a typed 6-digit code belongs to, within [`WINDOW`] steps of `unix_s`, when it is
/// later than `last_used` (a code is good once); `None` otherwise.
pub fn verify(secret: &[u8], typed: &str, unix_s: i64, last_used: Option<i64>) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let want: u32 = typed.parse().ok()?;
    let now = step_of(unix_s);
    (now - WINDOW..=now + WINDOW).filter(|s| last_used.is_none_or(|l| *s > l)).find(|s| code(secret, *s, 6) == want)
}

/// The `otpauth://` address an authenticator app reads (typed in, or as a QR code).
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect()
    };
    format!("otpauth://totp/{}:{}?secret={}&issuer={}&digits=6&period={STEP_S}", enc(issuer), enc(account), base32(secret), enc(issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1, 8 digits), and the same codes cut to 6.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        let cases = [(59, 94_287_082), (1_111_111_109, 7_081_804), (1_111_111_111, 14_050_471), (1_234_567_890, 89_005_924), (2_000_000_000, 69_279_037), (20_000_000_000, 65_353_130)];
        for (t, want) in cases {
            assert_eq!(code(secret, step_of(t), 8), want, "t={t}");
            assert_eq!(code(secret, step_of(t), 6), want % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        let cases: [(&[u8], &str); 5] = [(b"", ""), (b"f", "MY"), (b"fo", "MZXQ"), (b"foobar", "MZXW6YTBOI"), (b"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")];
        for (bytes, text) in cases {
            assert_eq!(base32(bytes), text);
            assert_eq!(from_base32(text).unwrap(), bytes);
        }
        assert_eq!(from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(), b"12345678901234567890");
        assert_eq!(from_base32("GEZ1"), None, "1 is not base32");
    }

    #[test]
    fn a_code_is_good_within_a_step_and_only_once() {
        let secret = b"12345678901234567890";
        let t = 1_111_111_111;
        let now = format!("{:06}", code(secret, step_of(t), 6));
        let before = format!("{:06}", code(secret, step_of(t) - 1, 6));
        let stale = format!("{:06}", code(secret, step_of(t) - 3, 6));
        let cases: [(&str, Option<i64>, Option<i64>); 7] = [
            (&now, None, Some(step_of(t))),
            (&before, None, Some(step_of(t) - 1)),
            (&stale, None, None),
            (&now, Some(step_of(t)), None),
            (&now, Some(step_of(t) - 1), Some(step_of(t))),
            ("12345", None, None),
            ("abcdef", None, None),
        ];
        for (typed, last, want) in cases {
            assert_eq!(verify(secret, typed, t, last), want, "{typed} after {last:?}");
        }
    }

    #[test]
    fn the_app_address_names_the_office_and_account() {
        assert_eq!(
            uri("Hadir PUPR", "admin", b"12345678901234567890"),
            "otpauth://totp/Hadir%20PUPR:admin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Hadir%20PUPR&digits=6&period=30"
        );
    }
}
