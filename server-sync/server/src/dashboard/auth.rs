//! Who may do what: passwords (Argon2), sessions in secure cookies, CSRF tokens, the login rate
//! limit, and the role/section checks that every handler makes on the server.
//!
//! - Passwords are stored as Argon2id PHC strings; a session cookie carries 32 random bytes and
//!   the database stores only their SHA-256, so a leaked database opens no session.
//! - Cookies are `HttpOnly; SameSite=Strict` and `Secure` unless the configuration turns it off
//!   (plain-HTTP development only).
//! - Every form that changes something carries the session's CSRF token (synchroniser token);
//!   the login form carries a pre-session token bound to a short-lived cookie.
//! - Login failures are limited per user name: after [`MAX_FAILURES`] within [`WINDOW_MIN`]
//!   minutes further attempts are refused until the window passes, whether the password is
//!   right or not.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use crate::storage::accounts::{Role, User};
use crate::reports::month::Scope;

/// Failed logins allowed per user name within the window.
pub const MAX_FAILURES: usize = 5;
/// The window, minutes.
pub const WINDOW_MIN: i64 = 15;

/// A page or action family, for the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Today's overview.
    Today,
    /// Employees list.
    Employees,
    /// Records with evidence.
    Records,
    /// The confirmation queue (and confirming/rejecting).
    Confirmations,
    /// Leave, travel and corrections.
    Corrections,
    /// Leave requests: operators file, supervisors decide (their sections), admins both.
    Leave,
    /// Devices (and revoking).
    Devices,
    /// Reports and exports.
    Reports,
    /// Settings, users, sections, holidays, board tokens, section assignment.
    Settings,
    /// One employee's face enrolment from photos and PIN reset.
    Enrolment,
    /// The audit log.
    Audit,
}

/// The role matrix: admin everything; supervisor the attendance pages of their sections;
/// operator enrolment (employees, faces, PINs) and devices. Only admins read the audit log.
pub fn allowed(role: Role, page: Page) -> bool {
    use Page::*;
    match role {
        Role::Admin => true,
        Role::Supervisor => matches!(page, Today | Employees | Records | Confirmations | Leave | Reports),
        Role::Operator => matches!(page, Employees | Enrolment | Leave | Devices),
    }
}

/// The employees a user may see.
pub fn scope(user: &User) -> Scope {
    match user.role {
        Role::Admin | Role::Operator => Scope::All,
        Role::Supervisor => Scope::Sections(user.sections.clone()),
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("hashing a password failed: {0}")]
pub struct HashError(String);

/// An Argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the PHC string (false for a malformed hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// 32 random bytes, base64url.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The SHA-256 (hex) of a token, as stored.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts failed logins per user name.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: HashMap<String, Vec<OffsetDateTime>>,
}

impl LoginLimiter {
    /// Whether another attempt for `username` is allowed now.
    pub fn allowed(&mut self, username: &str, now: OffsetDateTime) -> bool {
        let key = username.to_lowercase();
        let Some(v) = self.failures.get_mut(&key) else { return true };
        v.retain(|t| now - *t < Duration::minutes(WINDOW_MIN));
        v.len() < MAX_FAILURES
    }

    /// Notes a failed attempt.
    pub fn failed(&mut self, username: &str, now: OffsetDateTime) {
        self.failures.entry(username.to_lowercase()).or_default().push(now);
        // Bound memory under a flood of made-up names.
        if self.failures.len() > 10_000 {
            self.failures.retain(|_, v| v.iter().any(|t| now - *t < Duration::minutes(WINDOW_MIN)));
        }
    }

    /// Forgets failures after a successful login.
    pub fn succeeded(&mut self, username: &str) {
        self.failures.remove(&username.to_lowercase());
    }
}

/// A cookie's value from a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').map(str::trim).find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn role_matrix() {
        use Page::*;
        let all = [Today, Employees, Records, Confirmations, Corrections, Devices, Reports, Settings, Enrolment, Audit];
        let cases: [(Role, &[Page]); 3] = [
            (Role::Admin, &all),
            (Role::Supervisor, &[Today, Employees, Records, Confirmations, Reports]),
            (Role::Operator, &[Employees, Enrolment, Devices]),
        ];
        for (role, pages) in cases {
            for p in all {
                assert_eq!(allowed(role, p), pages.contains(&p), "{role:?} {p:?}");
            }
        }
    }

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("rahasia-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-123", &h));
        assert!(!verify_password("rahasia-124", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limiter_blocks_after_five_failures_for_the_window() {
        let mut l = LoginLimiter::default();
        let t0 = datetime!(2026-03-02 08:00 UTC);
        for i in 0..MAX_FAILURES {
            assert!(l.allowed("Budi", t0), "attempt {i}");
            l.failed("budi", t0);
        }
        assert!(!l.allowed("BUDI", t0 + Duration::minutes(14)));
        assert!(l.allowed("ani", t0), "other users are not affected");
        assert!(l.allowed("budi", t0 + Duration::minutes(15)));
    }

    #[test]
    fn cookies() {
        assert_eq!(cookie("a=1; hadir_session=xyz; b=2", "hadir_session"), Some("xyz"));
        assert_eq!(cookie("hadir_session_x=1", "hadir_session"), None);
        assert!(set_cookie("s", "v", 60, true).ends_with("SameSite=Strict; Secure"));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab"));
    }
}
