//! Who may use the dashboard: users and their roles and sections, sessions, late-board tokens.
//!
//! It owns `dash_users`, `dash_user_sections`, `dash_sessions` and `dash_board_tokens`.
//! Passwords arrive here already hashed (Argon2, [`crate::dashboard::auth`]), session and board
//! tokens as their SHA-256: nothing secret is stored in clear. It does not decide who may see
//! what (that is [`crate::dashboard::auth::allowed`]).

use super::portable::{Row, Stmt, params};
use super::{Result, StorageError, Store, dt_to_ms};
use time::OffsetDateTime;

/// A dashboard role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Only the sections assigned to them.
    Supervisor,
    /// Enrolment and devices.
    Operator,
    /// Heads of the office: every section, read only.
    Leadership,
    /// An employee's own account (self-service): their own month, nothing of anyone else.
    Employee,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Operator => "operator",
            Role::Leadership => "leadership",
            Role::Employee => "employee",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "operator" => Some(Role::Operator),
            "leadership" => Some(Role::Leadership),
            "employee" => Some(Role::Employee),
            _ => None,
        }
    }
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Sections a supervisor may see.
    pub sections: Vec<String>,
    /// The employee (NIP) an employee account belongs to.
    pub employee_id: Option<String>,
    /// Disabled at, ms: the account signs in nowhere and its sessions are over.
    pub disabled_at_ms: Option<i64>,
    /// The password was set by someone else (a reset, a first-time code): it must be changed
    /// at sign-in and stops working at this time, ms.
    pub temporary_until_ms: Option<i64>,
    /// The second factor's secret (base32), when the account turned it on.
    pub totp_secret: Option<String>,
    /// The last second-factor step used (a code is good once).
    pub totp_last_step: Option<i64>,
}

/// A late-board token's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardToken {
    /// Label (which TV).
    pub label: String,
    /// Show initials only.
    pub initials_only: bool,
    /// The admin view: also show the devices in trouble (an open enclosure first).
    pub device_alerts: bool,
    /// One site's board (its people, its date); `None`: every site's.
    pub site: Option<String>,
}

/// A late-board link as the settings page lists it (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardLink {
    /// SHA-256 of the token (hex): names the link for revocation, opens nothing.
    pub token_sha256: String,
    /// Label (which TV).
    pub label: String,
    /// Show initials only.
    pub initials_only: bool,
    /// The admin view (device alerts).
    pub device_alerts: bool,
    /// One site's board; `None`: every site's.
    pub site: Option<String>,
    /// Made at, ms (0 for links made before this was kept).
    pub created_at_ms: i64,
    /// Expires at, ms (`None`: a link made before links expired).
    pub expires_at_ms: Option<i64>,
    /// Revoked at, ms.
    pub revoked_at_ms: Option<i64>,
}

/// The columns [`user_row`] reads, in its order.
const USER_COLUMNS: &str =
    "u.id, u.username, u.password_hash, u.role, u.employee_id, u.disabled_at_ms, u.temporary_until_ms, u.totp_secret, u.totp_last_step";

/// A user row before its sections are read.
fn user_row(r: &dyn Row) -> Result<User> {
    let role = r.text(3)?;
    let role = Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("dash_users.role {role:?}")))?;
    Ok(User {
        id: r.i64(0)?,
        username: r.text(1)?,
        password_hash: r.text(2)?,
        role,
        sections: Vec::new(),
        employee_id: r.opt_text(4)?,
        disabled_at_ms: r.opt_i64(5)?,
        temporary_until_ms: r.opt_i64(6)?,
        totp_secret: r.opt_text(7)?,
        totp_last_step: r.opt_i64(8)?,
    })
}

impl Store {
    /// Adds a user with an Argon2 hash and their sections; returns the id. Fails (unique
    /// constraint) when the name is taken.
    pub async fn add_user(&self, username: &str, password_hash: &str, role: Role, sections: &[&str]) -> Result<i64> {
        let mut stmts = vec![Stmt::new(
            "INSERT INTO dash_users (username, password_hash, role) VALUES ($1, $2, $3)",
            params![username, password_hash, role.as_str()],
        )];
        for s in sections {
            stmts.push(Stmt::new(
                "INSERT INTO dash_user_sections (user_id, section_id) SELECT id, $2 FROM dash_users WHERE username = $1",
                params![username, *s],
            ));
        }
        self.write_all("add dashboard user", stmts).await?;
        self.user_by_name(username)
            .await?
            .map(|u| u.id)
            .ok_or_else(|| StorageError::Corrupt(format!("dashboard user {username} vanished after insert")))
    }

    /// Replaces a user's password hash with one they chose (a temporary one is over).
    pub async fn set_password(&self, user_id: i64, hash: &str) -> Result<()> {
        self.write("set password", "UPDATE dash_users SET password_hash = $2, temporary_until_ms = NULL WHERE id = $1", params![user_id, hash])
            .await?;
        Ok(())
    }

    /// Sets a temporary password that someone else chose (a reset): valid until `until_ms`,
    /// to be changed at sign-in; the second factor is turned off (a reset is how a lost phone
    /// is recovered); every session of the account ends. `false`: no such user.
    pub async fn set_temporary_password(&self, user_id: i64, hash: &str, until_ms: i64) -> Result<bool> {
        let n = self
            .write_all(
                "reset password",
                vec![
                    Stmt::new(
                        "UPDATE dash_users SET password_hash = $2, temporary_until_ms = $3, totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                        params![user_id, hash, until_ms],
                    ),
                    Stmt::new("DELETE FROM dash_sessions WHERE user_id = $1", params![user_id]),
                ],
            )
            .await?;
        Ok(n[0] > 0)
    }

    /// Gives an employee a self-service account (user name: their NIP) with a first-time
    /// code as its temporary password, or a new code for the one they have (re-enabled);
    /// their sessions end. Fails (unique constraint) when a staff account has that name.
    pub async fn set_employee_code(&self, employee_id: &str, hash: &str, until_ms: i64) -> Result<()> {
        let existing = self.query_opt("read employee account", "SELECT id FROM dash_users WHERE employee_id = $1", params![employee_id], |r| r.i64(0)).await?;
        let mut stmts = vec![Stmt::new(
            "UPDATE dash_users SET password_hash = $2, temporary_until_ms = $3, disabled_at_ms = NULL WHERE employee_id = $1",
            params![employee_id, hash, until_ms],
        )];
        if existing.is_none() {
            stmts.push(Stmt::new(
                "INSERT INTO dash_users (username, password_hash, role, employee_id, temporary_until_ms) VALUES ($1, $2, 'employee', $1, $3)",
                params![employee_id, hash, until_ms],
            ));
        }
        stmts.push(Stmt::new("DELETE FROM dash_sessions WHERE user_id IN (SELECT id FROM dash_users WHERE employee_id = $1)", params![employee_id]));
        self.write_all("set employee sign-in code", stmts).await?;
        Ok(())
    }

    /// Turns the second factor on with `secret` (base32), `step` being the one just used to
    /// confirm it, or off (`None`).
    pub async fn set_totp(&self, user_id: i64, secret: Option<(&str, i64)>) -> Result<()> {
        let (secret, step) = secret.map_or((None, None), |(s, n)| (Some(s), Some(n)));
        self.write("set second factor", "UPDATE dash_users SET totp_secret = $2, totp_last_step = $3 WHERE id = $1", params![user_id, secret, step])
            .await?;
        Ok(())
    }

    /// Marks a second-factor step used; `false` when it (or a later one) was used already,
    /// so two requests racing with one code cannot both pass.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let n = self
            .write(
                "use second-factor step",
                "UPDATE dash_users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                params![user_id, step],
            )
            .await?;
        Ok(n == 1)
    }

    /// Changes a staff account's role and sections (sections only mean something for
    /// supervisors); its sessions end, so the new rights apply at once. `false`: no such
    /// staff account.
    pub async fn set_user_role(&self, user_id: i64, role: Role, sections: &[&str]) -> Result<bool> {
        let mut stmts = vec![
            Stmt::new("UPDATE dash_users SET role = $2 WHERE id = $1 AND role <> 'employee'", params![user_id, role.as_str()]),
            Stmt::new("DELETE FROM dash_user_sections WHERE user_id = $1", params![user_id]),
        ];
        for s in sections {
            stmts.push(Stmt::new("INSERT INTO dash_user_sections (user_id, section_id) VALUES ($1, $2)", params![user_id, *s]));
        }
        stmts.push(Stmt::new("DELETE FROM dash_sessions WHERE user_id = $1", params![user_id]));
        let n = self.write_all("change user role", stmts).await?;
        Ok(n[0] > 0)
    }

    /// Disables (`Some(at)`) or re-enables (`None`) an account; a disabled account's
    /// sessions end at once. `false`: no such user.
    pub async fn set_user_disabled(&self, user_id: i64, at_ms: Option<i64>) -> Result<bool> {
        let n = self
            .write_all(
                "disable user",
                vec![
                    Stmt::new("UPDATE dash_users SET disabled_at_ms = $2 WHERE id = $1", params![user_id, at_ms]),
                    Stmt::new("DELETE FROM dash_sessions WHERE user_id = $1", params![user_id]),
                ],
            )
            .await?;
        Ok(n[0] > 0)
    }

    async fn user_with_sections(&self, row: Option<User>) -> Result<Option<User>> {
        let Some(mut user) = row else { return Ok(None) };
        user.sections = self
            .query_rows(
                "read user sections",
                "SELECT section_id FROM dash_user_sections WHERE user_id = $1 ORDER BY section_id",
                params![user.id],
                |r| r.text(0),
            )
            .await?;
        Ok(Some(user))
    }

    /// A user by login name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let row = self
            .query_opt("read user", &format!("SELECT {USER_COLUMNS} FROM dash_users u WHERE u.username = $1"), params![username], user_row)
            .await?;
        self.user_with_sections(row).await
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let row = self.query_opt("read user", &format!("SELECT {USER_COLUMNS} FROM dash_users u WHERE u.id = $1"), params![id], user_row).await?;
        self.user_with_sections(row).await
    }

    /// The self-service account of an employee, if they have one.
    pub async fn employee_account(&self, employee_id: &str) -> Result<Option<User>> {
        self.query_opt(
            "read employee account",
            &format!("SELECT {USER_COLUMNS} FROM dash_users u WHERE u.employee_id = $1"),
            params![employee_id],
            user_row,
        )
        .await
    }

    /// All staff accounts (employees' own accounts left out), by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = self
            .query_rows(
                "read users",
                &format!("SELECT {USER_COLUMNS} FROM dash_users u WHERE u.role <> 'employee' ORDER BY u.username"),
                params![],
                user_row,
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.extend(self.user_with_sections(Some(row)).await?);
        }
        Ok(out)
    }

    /// Stores a session (by the token's hash) with its CSRF token.
    pub async fn create_session(&self, token_sha256: &str, user_id: i64, csrf: &str, expires: OffsetDateTime) -> Result<()> {
        self.write(
            "create session",
            "INSERT INTO dash_sessions (token_sha256, user_id, csrf, expires_at_ms) VALUES ($1, $2, $3, $4)",
            params![token_sha256, user_id, csrf, dt_to_ms(expires)],
        )
        .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session: not expired, its account not disabled,
    /// and not opened with a temporary password that has run out since.
    pub async fn session(&self, token_sha256: &str, now: OffsetDateTime) -> Result<Option<(User, String)>> {
        let row = self
            .query_opt(
                "read session",
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf FROM dash_sessions s JOIN dash_users u ON u.id = s.user_id
                     WHERE s.token_sha256 = $1 AND s.expires_at_ms > $2 AND u.disabled_at_ms IS NULL
                       AND (u.temporary_until_ms IS NULL OR u.temporary_until_ms > $2)"
                ),
                params![token_sha256, dt_to_ms(now)],
                |r| Ok((user_row(r)?, r.text(9)?)),
            )
            .await?;
        let Some((user, csrf)) = row else { return Ok(None) };
        Ok(self.user_with_sections(Some(user)).await?.map(|u| (u, csrf)))
    }

    /// Ends every session of a user; how many there were.
    pub async fn delete_sessions_of(&self, user_id: i64) -> Result<u64> {
        self.write("end a user's sessions", "DELETE FROM dash_sessions WHERE user_id = $1", params![user_id]).await
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_sha256: &str) -> Result<()> {
        self.write("end session", "DELETE FROM dash_sessions WHERE token_sha256 = $1", params![token_sha256]).await?;
        Ok(())
    }

    /// Stores a late-board token (by hash) with its settings, valid until `expires_at_ms`.
    pub async fn add_board_token(&self, token_sha256: &str, settings: &BoardToken, now_ms: i64, expires_at_ms: i64) -> Result<()> {
        self.write(
            "add board token",
            "INSERT INTO dash_board_tokens (token_sha256, label, initials_only, device_alerts, created_at_ms, expires_at_ms, site_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![token_sha256, settings.label.as_str(), settings.initials_only, settings.device_alerts, now_ms, expires_at_ms, settings.site.as_deref()],
        )
        .await?;
        Ok(())
    }

    /// A late-board token's settings, if it is neither revoked nor expired at `now_ms`.
    pub async fn board_token(&self, token_sha256: &str, now_ms: i64) -> Result<Option<BoardToken>> {
        self.query_opt(
            "read board token",
            "SELECT label, initials_only, device_alerts, site_id FROM dash_board_tokens
             WHERE token_sha256 = $1 AND revoked_at_ms IS NULL AND (expires_at_ms IS NULL OR expires_at_ms > $2)",
            params![token_sha256, now_ms],
            |r| Ok(BoardToken { label: r.text(0)?, initials_only: r.bool(1)?, device_alerts: r.bool(2)?, site: r.opt_text(3)? }),
        )
        .await
    }

    /// Every late-board link, newest first.
    pub async fn board_links(&self) -> Result<Vec<BoardLink>> {
        self.query_rows(
            "read board links",
            "SELECT token_sha256, label, initials_only, created_at_ms, expires_at_ms, revoked_at_ms, device_alerts, site_id
             FROM dash_board_tokens ORDER BY created_at_ms DESC, label",
            params![],
            |r| {
                Ok(BoardLink {
                    token_sha256: r.text(0)?,
                    label: r.text(1)?,
                    initials_only: r.bool(2)?,
                    device_alerts: r.bool(6)?,
                    site: r.opt_text(7)?,
                    created_at_ms: r.i64(3)?,
                    expires_at_ms: r.opt_i64(4)?,
                    revoked_at_ms: r.opt_i64(5)?,
                })
            },
        )
        .await
    }

    /// Revokes a late-board link; `false` if there is no such link or it was revoked before.
    pub async fn revoke_board_token(&self, token_sha256: &str, now_ms: i64) -> Result<bool> {
        let n = self
            .write(
                "revoke board token",
                "UPDATE dash_board_tokens SET revoked_at_ms = $2 WHERE token_sha256 = $1 AND revoked_at_ms IS NULL",
                params![token_sha256, now_ms],
            )
            .await?;
        Ok(n > 0)
    }
}
