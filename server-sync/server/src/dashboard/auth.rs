//! Who may do what: passwords (Argon2), sessions in secure cookies, CSRF tokens, the login rate
//! limit, and the role/section checks that every handler makes on the server.
//!
//! - Passwords are stored as Argon2id PHC strings; a session cookie carries 32 random bytes and
//!   the database stores only their SHA-256, so a leaked database opens no session.
//! - Cookies are `HttpOnly; SameSite=Strict` and `Secure` unless the configuration turns it off
//!   (plain-HTTP development only).
//! - Every form that changes something carries the session's CSRF token (synchroniser token);
//!   the login form carries a pre-session token bound to a short-lived cookie.
//! - Login failures slow the next attempt down, per account and per client address, with a
//!   delay that doubles with every failure after [`FREE_FAILURES`]. Per account the delay stops
//!   at [`ACCOUNT_MAX_DELAY_S`]: a stranger guessing `admin` slows the owner by seconds, never
//!   locks them out; per address it grows to [`ADDRESS_MAX_DELAY_S`], which stops a guesser.
//!   An attempt inside its delay is refused before the password is checked, so a flood costs
//!   no hashing; both maps are bounded ([`MAX_TRACKED`]) and names are cut to
//!   [`MAX_USERNAME_CHARS`], so made-up names of megabytes cost no memory.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use crate::client::throttle_key;
use crate::storage::accounts::{Role, User};
use crate::reports::month::Scope;

/// Failures forgiven before any delay (typing mistakes).
pub const FREE_FAILURES: u32 = 3;
/// The longest delay per account, seconds.
pub const ACCOUNT_MAX_DELAY_S: i64 = 30;
/// The longest delay per client address, seconds.
pub const ADDRESS_MAX_DELAY_S: i64 = 900;
/// A key's failures are forgotten after this long without one, minutes (longer than the
/// longest delay, or a patient guesser would start over with free attempts).
pub const FORGET_AFTER_MIN: i64 = 60;
/// Keys remembered per map; beyond it the stalest go first.
pub const MAX_TRACKED: usize = 10_000;
/// The longest user name looked at; longer ones are refused as wrong without a lookup.
pub const MAX_USERNAME_CHARS: usize = 64;

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
    /// One's own account: password, sessions.
    Account,
    /// An employee's own month (self-service).
    Own,
}

/// The role matrix: admin everything but an employee's own page; supervisor the attendance
/// pages of their sections; operator enrolment (employees, faces, PINs) and devices;
/// leadership the attendance pages of every section, to read; an employee only their own
/// month. Only admins read the audit log.
pub fn allowed(role: Role, page: Page) -> bool {
    use Page::*;
    match role {
        _ if page == Account => true,
        Role::Employee => page == Own,
        _ if page == Own => false,
        Role::Admin => true,
        Role::Supervisor => matches!(page, Today | Employees | Records | Confirmations | Leave | Reports),
        Role::Operator => matches!(page, Employees | Enrolment | Leave | Devices),
        Role::Leadership => matches!(page, Today | Records | Reports),
    }
}

/// Where a user lands after signing in (and at `/`).
pub fn home(user: &User) -> &'static str {
    match user.role {
        _ if user.temporary_until_ms.is_some() => "/account",
        Role::Operator => "/employees",
        Role::Employee => "/me",
        _ => "/today",
    }
}

/// Roles that change nothing but their own password and sessions.
pub fn read_only(role: Role) -> bool {
    matches!(role, Role::Leadership | Role::Employee)
}

/// The requests every account may send, read-only ones too: its own password, its own
/// sessions, signing out.
pub const OWN_ACCOUNT_POSTS: [&str; 3] = ["/account/password", "/account/sessions/end", "/logout"];

/// Whether a read-only account may send a request that changes something to `path`: its own
/// account's, and an employee's own leave request.
pub fn read_only_may_post(role: Role, path: &str) -> bool {
    OWN_ACCOUNT_POSTS.contains(&path) || (role == Role::Employee && path == "/me/leave")
}

/// The employees a user may see in the staff pages (an employee sees none there; their own
/// page reads only them).
pub fn scope(user: &User) -> Scope {
    match user.role {
        Role::Admin | Role::Operator | Role::Leadership => Scope::All,
        Role::Supervisor => Scope::Sections(user.sections.clone()),
        Role::Employee => Scope::Sections(Vec::new()),
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

/// How long a password someone else set (a reset, an employee's first-time code) works,
/// hours: long enough to reach its owner over a weekend, short enough not to linger.
pub const TEMPORARY_PASSWORD_HOURS: i64 = 72;

/// A temporary password to read out or write down: 12 letters and digits without the ones
/// that look alike (0/o, 1/l/i), in groups of four (about 59 bits).
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(14);
    let mut rng = rand::thread_rng();
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[rand::Rng::gen_range(&mut rng, 0..ALPHABET.len())]));
    }
    out
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

/// Failures of one key and when the last one was.
#[derive(Debug, Clone, Copy)]
struct Strikes {
    count: u32,
    last: OffsetDateTime,
}

/// The wait after `count` failures: none for the first [`FREE_FAILURES`], then 1 s doubling up
/// to `cap_s`.
pub fn delay_after(count: u32, cap_s: i64) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_FAILURES).min(30);
    Duration::seconds((1i64 << doublings).min(cap_s))
}

/// An account's key: lower case, cut to [`MAX_USERNAME_CHARS`].
fn account_key(username: &str) -> String {
    username.chars().take(MAX_USERNAME_CHARS).collect::<String>().to_lowercase()
}

fn note<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Strikes>, key: K, now: OffsetDateTime) {
    let forget = Duration::minutes(FORGET_AFTER_MIN);
    let e = map.entry(key).or_insert(Strikes { count: 0, last: now });
    if now - e.last >= forget {
        e.count = 0;
    }
    e.count = e.count.saturating_add(1);
    e.last = now;
    if map.len() > MAX_TRACKED {
        map.retain(|_, s| now - s.last < forget);
        if map.len() > MAX_TRACKED {
            // Still full inside the window (a flood of made-up names): keep the newest half.
            let mut lasts: Vec<OffsetDateTime> = map.values().map(|s| s.last).collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            map.retain(|_, s| s.last > cut);
        }
    }
}

fn wait<K: std::hash::Hash + Eq>(map: &HashMap<K, Strikes>, key: &K, cap_s: i64, now: OffsetDateTime) -> Duration {
    match map.get(key) {
        Some(s) if now - s.last < Duration::minutes(FORGET_AFTER_MIN) => (s.last + delay_after(s.count, cap_s) - now).max(Duration::ZERO),
        _ => Duration::ZERO,
    }
}

/// Counts failed logins per account and per client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    accounts: HashMap<String, Strikes>,
    addresses: HashMap<std::net::IpAddr, Strikes>,
}

impl LoginLimiter {
    /// How long an attempt for `username` from `addr` must still wait (zero: go ahead).
    pub fn wait(&self, username: &str, addr: Option<std::net::IpAddr>, now: OffsetDateTime) -> Duration {
        let account = wait(&self.accounts, &account_key(username), ACCOUNT_MAX_DELAY_S, now);
        let address = addr.map_or(Duration::ZERO, |a| wait(&self.addresses, &throttle_key(a), ADDRESS_MAX_DELAY_S, now));
        account.max(address)
    }

    /// Starts an attempt: refused with the wait when it comes too soon; otherwise counted as a
    /// failure at once (under the caller's lock, so a burst of concurrent attempts cannot all
    /// pass the check before the first one fails), and forgiven by [`LoginLimiter::succeeded`].
    pub fn begin(&mut self, username: &str, addr: Option<std::net::IpAddr>, now: OffsetDateTime) -> Result<(), Duration> {
        let wait = self.wait(username, addr, now);
        if wait > Duration::ZERO {
            return Err(wait);
        }
        self.failed(username, addr, now);
        Ok(())
    }

    /// Notes a failed attempt.
    pub fn failed(&mut self, username: &str, addr: Option<std::net::IpAddr>, now: OffsetDateTime) {
        note(&mut self.accounts, account_key(username), now);
        if let Some(a) = addr {
            note(&mut self.addresses, throttle_key(a), now);
        }
    }

    /// After a successful login: the account's failures are forgotten (its owner is back);
    /// the address keeps its earlier ones, less the one counted when this attempt began (a
    /// guesser with an account of his own must not clear his address by signing in).
    pub fn succeeded(&mut self, username: &str, addr: Option<std::net::IpAddr>) {
        self.accounts.remove(&account_key(username));
        if let Some(s) = addr.and_then(|a| self.addresses.get_mut(&throttle_key(a))) {
            s.count = s.count.saturating_sub(1);
        }
    }

    /// Keys remembered (accounts, addresses): what a flood can make this hold.
    pub fn tracked(&self) -> (usize, usize) {
        (self.accounts.len(), self.addresses.len())
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
        let all = [Today, Employees, Records, Confirmations, Corrections, Devices, Reports, Settings, Enrolment, Audit, Own];
        let staff = [Today, Employees, Records, Confirmations, Corrections, Devices, Reports, Settings, Enrolment, Audit];
        let cases: [(Role, &[Page]); 5] = [
            (Role::Admin, &staff),
            (Role::Supervisor, &[Today, Employees, Records, Confirmations, Reports]),
            (Role::Operator, &[Employees, Enrolment, Devices]),
            (Role::Leadership, &[Today, Records, Reports]),
            (Role::Employee, &[Own]),
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
    fn delays_double_after_the_free_failures_up_to_the_cap() {
        let cases = [(0, 30, 0), (2, 30, 0), (3, 30, 1), (4, 30, 2), (7, 30, 16), (8, 30, 30), (40, 30, 30), (12, 900, 512), (13, 900, 900)];
        for (count, cap, want) in cases {
            assert_eq!(delay_after(count, cap), Duration::seconds(want), "{count} failures, cap {cap}");
        }
    }

    #[test]
    fn a_stranger_slows_the_owner_for_seconds_and_is_stopped_himself() {
        let mut l = LoginLimiter::default();
        let t0 = datetime!(2026-03-02 08:00 UTC);
        let stranger: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let owner: std::net::IpAddr = "10.1.2.3".parse().unwrap();
        // The stranger tries as soon as he may, 40 times.
        let mut t = t0;
        for _ in 0..40 {
            t += l.wait("admin", Some(stranger), t);
            l.failed("Admin", Some(stranger), t);
        }
        // He waits for his address's delay (which has reached the cap)...
        assert_eq!(l.wait("someone-else", Some(stranger), t), Duration::seconds(ADDRESS_MAX_DELAY_S));
        // ...while the owner, from his own desk, waits at most the account's cap.
        let owner_wait = l.wait("ADMIN", Some(owner), t);
        assert!(owner_wait > Duration::ZERO && owner_wait <= Duration::seconds(ACCOUNT_MAX_DELAY_S), "{owner_wait}");
        assert_eq!(l.wait("admin", Some(owner), t + owner_wait), Duration::ZERO);
        l.succeeded("admin", Some(owner));
        assert_eq!(l.wait("admin", Some(owner), t + owner_wait), Duration::ZERO);
        // Failures are forgotten after a quiet hour.
        assert_eq!(l.wait("x", Some(stranger), t + Duration::minutes(FORGET_AFTER_MIN)), Duration::ZERO);
    }

    #[test]
    fn ipv6_neighbours_share_a_throttle_and_a_flood_of_names_is_bounded() {
        let mut l = LoginLimiter::default();
        let t0 = datetime!(2026-03-02 08:00 UTC);
        for i in 0..FREE_FAILURES + 1 {
            let a: std::net::IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            l.failed("budi", Some(a), t0);
        }
        assert!(l.wait("ani", Some("2001:db8:1:2:ffff::1".parse().unwrap()), t0) > Duration::ZERO);
        assert_eq!(l.wait("ani", Some("2001:db8:1:3::1".parse().unwrap()), t0), Duration::ZERO);
        let long = "x".repeat(4096);
        for i in 0..3 * MAX_TRACKED {
            l.failed(&format!("{i}{long}"), None, t0 + Duration::milliseconds(i as i64));
        }
        let (accounts, _) = l.tracked();
        assert!(accounts <= MAX_TRACKED, "{accounts}");
        assert!(l.accounts.keys().all(|k| k.chars().count() <= MAX_USERNAME_CHARS));
    }

    #[test]
    fn cookies() {
        assert_eq!(cookie("a=1; hadir_session=xyz; b=2", "hadir_session"), Some("xyz"));
        assert_eq!(cookie("hadir_session_x=1", "hadir_session"), None);
        assert!(set_cookie("s", "v", 60, true).ends_with("SameSite=Strict; Secure"));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab"));
    }
}
