//! The password policy for dashboard accounts: long enough, and not one of the passwords every
//! guessing list starts with. Pure; hashing is [`crate::dashboard::auth::hash_password`].

use crate::dashboard::i18n::Lang;

/// The fewest characters a password may have.
pub const MIN_LENGTH: usize = 12;

/// The most characters a password may have (a login reads no more: hashing a megabyte per
/// attempt would let a stranger spend the server's CPU).
pub const MAX_LENGTH: usize = 256;

/// Passwords (lower-cased) that guessing tools try first, from public leak statistics, with
/// the Indonesian favourites; each at least [`MIN_LENGTH`] long (shorter ones fail the length).
const COMMON: &[&str] = &[
    "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111", "000000000000",
    "123123123123", "qwertyuiop12", "qwertyuiopasdf", "qwerty123456", "password1234", "password12345",
    "passw0rd1234", "iloveyou1234", "abcdefghijkl", "abc123abc123", "1q2w3e4r5t6y", "1qaz2wsx3edc",
    "zaq12wsxcde3", "asdfghjkl123", "administrator", "admin1234567", "admin123456789", "adminadmin12",
    "welcome12345", "letmein12345", "sunshine1234", "football1234", "baseball1234", "superman1234",
    "monkey123456", "dragon123456", "princess1234", "trustno11234", "changeme1234", "katasandi123",
    "katasandi1234", "rahasia12345", "bismillah123", "bismillah1234", "indonesia123", "indonesia1945",
    "indonesia2024", "indonesia2025", "indonesia2026", "merdeka17845", "jakarta12345", "sayang123456",
    "hadiradmin123", "hadir1234567", "qwertyqwerty", "passwordpassword", "aaaaaaaaaaaa",
];

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Fewer than [`MIN_LENGTH`] characters.
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    TooLong,
    /// On the list of the most common passwords, or one character repeated.
    Common,
}

impl Weakness {
    /// For the person choosing the password.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Weakness::TooShort => lang.tr("The password must have at least 12 characters."),
            Weakness::TooLong => lang.tr("The password may have at most 256 characters."),
            Weakness::Common => lang.tr("This password is too common and easy to guess; choose another."),
        }
    }
}

/// Checks a new password against the policy.
pub fn check(password: &str) -> Result<(), Weakness> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Weakness::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) || COMMON.contains(&lower.as_str()) {
        return Err(Weakness::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_table() {
        for (pw, want) in [
            ("", Err(Weakness::TooShort)),
            ("short-pw", Err(Weakness::TooShort)),
            ("12345678901", Err(Weakness::TooShort)),
            ("123456789012", Err(Weakness::Common)),
            ("Password1234", Err(Weakness::Common)),
            ("BISMILLAH123", Err(Weakness::Common)),
            ("zzzzzzzzzzzzzzzz", Err(Weakness::Common)),
            ("kopi-tubruk-di-pasar-7", Ok(())),
            ("ñandú-ñandú-1", Ok(())),
            (&"kopi-tubruk-".repeat(22), Err(Weakness::TooLong)),
        ] {
            assert_eq!(check(pw), want, "{pw:?}");
        }
        assert!(COMMON.iter().all(|p| p.chars().count() >= MIN_LENGTH && p.to_lowercase() == *p));
    }
}
