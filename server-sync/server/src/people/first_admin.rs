//! The first administrator of a new server (`hadir-server init-admin`): only on a database
//! without one, with a password that meets [`super::password`], hashed with Argon2id like
//! every dashboard account, and audited. The binary reads the password; this decides and
//! writes.

use super::password::{self, Weakness};
use crate::dashboard::i18n::Lang;
use crate::storage::accounts::Role;
use crate::storage::{StorageError, Store};
use time::OffsetDateTime;

/// The user name when none is given.
pub const DEFAULT_USERNAME: &str = "admin";

/// Why no administrator was made.
#[derive(Debug, thiserror::Error)]
pub enum FirstAdminError {
    /// The database has an administrator already: further accounts are made in the dashboard.
    #[error("an administrator account exists already ({0}); add further accounts in the dashboard (Settings)")]
    Exists(String),
    /// The user name is empty or has spaces or control characters.
    #[error("user name {0:?}: use letters, digits, '.', '-' or '_' (1 to 64)")]
    BadUsername(String),
    /// The password does not meet the policy.
    #[error("{}", .0.text(Lang::En))]
    Weak(Weakness),
    /// Hashing failed.
    #[error("{0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn username_ok(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Makes the first administrator; returns their id. Refused when an administrator exists, the
/// name is not usable or the password is weak; nothing is written then.
pub async fn create(store: &Store, username: &str, password: &str, now: OffsetDateTime) -> Result<i64, FirstAdminError> {
    if let Some(existing) = store.admin_names().await?.into_iter().next() {
        return Err(FirstAdminError::Exists(existing));
    }
    if !username_ok(username) {
        return Err(FirstAdminError::BadUsername(username.to_owned()));
    }
    password::check(password).map_err(FirstAdminError::Weak)?;
    let hash = crate::dashboard::auth::hash_password(password).map_err(|e| FirstAdminError::Hash(e.to_string()))?;
    let id = store.add_user(username, &hash, Role::Admin, &[]).await?;
    store.audit(username, "init_admin", &format!("first administrator {username} created from the command line"), now).await?;
    Ok(id)
}

/// The password as typed: one line, without its line ending (spaces inside and at the ends are
/// kept: they are part of the password).
pub fn password_line(line: &str) -> &str {
    line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_lines() {
        for (name, ok) in [("admin", true), ("kepala.tu", true), ("", false), ("a b", false), ("x\n", false)] {
            assert_eq!(username_ok(name), ok, "{name:?}");
        }
        for (line, want) in [("abc\n", "abc"), ("abc\r\n", "abc"), ("abc", "abc"), (" a b \n", " a b ")] {
            assert_eq!(password_line(line), want);
        }
    }
}
