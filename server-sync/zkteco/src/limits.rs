//! # Size limits for what a terminal sends
//!
//! One small configuration type, [`Limits`], that every parser of this crate takes, so that
//! the server decides in one place how much a terminal may send before it is refused.
//!
//! It owns the numbers and their defaults; it must not read configuration files or the
//! environment (the server builds a [`Limits`] from its own settings).
//!
//! ## Units and limits
//! - Bytes, not characters: a limit is checked before any text is decoded.
//! - The defaults fit real terminals: an upload batch of ATTLOG lines is a few kilobytes
//!   (a line is about 40–80 bytes; firmware sends at most a few thousand lines a request),
//!   and an OPERLOG `USER` line is well under a kilobyte. Biometric template lines (`FP`,
//!   `BIODATA`, …) can be longer; they are skipped unread, so the line cap does not apply
//!   to them (see [`crate::operlog`]).

/// How much a terminal may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes. A larger body is refused whole, with
    /// [`crate::request::RequestError::BodyTooLarge`] or [`crate::attlog::BatchError::BodyTooLarge`];
    /// the terminal keeps the records and resends them later (after `ErrorDelay`).
    pub max_body_bytes: usize,
    /// The longest line accepted in an ATTLOG or OPERLOG body, in bytes (line end excluded).
    /// A longer line is refused on its own; the other lines of the batch are still decoded.
    pub max_line_bytes: usize,
}

impl Limits {
    /// Default body cap: 2 MiB.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
    /// Default line cap: 1 KiB.
    pub const DEFAULT_MAX_LINE_BYTES: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_line_bytes: Self::DEFAULT_MAX_LINE_BYTES,
        }
    }
}
