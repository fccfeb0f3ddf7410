//! # ZKTeco terminals: the attendance PUSH ("ADMS") protocol as pure code
//!
//! Most Indonesian offices already own ZKTeco fingerprint or face terminals. Those terminals
//! push their logs over plain HTTP to an "ADMS" server; Hadir's server plays that server, so
//! one dashboard, one recap and one late board cover kiosks and terminals alike. This crate
//! is everything protocol-shaped about it, as plain functions over bytes and text, so every
//! request and answer is table-tested.
//!
//! It must not: open sockets, read the clock, touch a database, or decide whether a terminal
//! is approved. The server mounts these functions on a listener of its own (terminals speak
//! plain HTTP), keeps terminals, stamps, records and command queues in its one store, and
//! passes the time and the site's UTC offset in.
//!
//! ## Layout
//! - [`request`]: the terminal's HTTP requests (handshake, upload, poll, command results,
//!   ping; `.aspx` aliases) typed, with the serial-number rule and the body cap.
//! - [`attlog`]: ATTLOG lines (PIN, local time, status, verify, work code …) decoded line by
//!   line; the status rule (IN/OUT/other) and the verify modes.
//! - [`operlog`]: OPERLOG lines: operations and users (names in UTF-8, GB18030 or Latin-1);
//!   templates counted, not kept.
//! - [`devicecmd`]: the terminal's results for the server's commands.
//! - [`answer`]: the server's answers (options block, `OK: n`, `OK`) and commands
//!   (`DATA UPDATE USERINFO`, `DATA DELETE USERINFO`, `SET OPTION DateTime`, `REBOOT`).
//! - [`localtime`]: terminal timestamps and their UTC instants in the site's offset.
//! - [`text`]: the one decoding rule for terminal text.
//! - [`limits`]: body and line size limits.
//! - [`sim`]: a simulated terminal that behaves as the firmware does (a test aid).
//!
//! ## One request, end to end (what the server does)
//! ```
//! use hadir_zkteco::{answer, attlog, request, Limits, Request};
//! use time::macros::offset;
//!
//! let limits = Limits::default();
//! let body = b"1002\t2026-12-02 07:58:12\t0\t15\t0\t0\t0\r\n";
//! let req = request::parse("POST", "/iclock/cdata", "SN=CKUH203360017&table=ATTLOG&Stamp=42", body, &limits)?;
//! let Request::Upload(upload) = req else { unreachable!() };
//! let batch = attlog::parse(upload.body, &limits)?;
//! // … store batch.entries (UTC instant: entry.utc(offset!(+8))) and batch.errors, commit …
//! assert_eq!(answer::upload_answer(batch.processed()), "OK: 1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Units and limits
//! - Terminal times are wall-clock times with no zone; they become UTC with the site's
//!   offset (WIB +7, WITA +8, WIT +9), see [`localtime`].
//! - Sizes are bytes, set by [`Limits`] (2 MiB a body, 1 KiB a line by default).

pub mod answer;
pub mod attlog;
pub mod devicecmd;
pub mod limits;
pub mod localtime;
pub mod operlog;
pub mod request;
pub mod sim;
pub mod text;

pub use answer::{AnswerError, Command, ExtraOptions, HandshakeOptions, Pin, TerminalZone, UserInfo, ZkDateTime};
pub use attlog::{AttlogBatch, AttlogEntry, BatchError, Direction, LineError, LineErrorKind, StatusMeaning, StatusRule, VerifyMode};
pub use devicecmd::{CommandResult, CommandResults};
pub use limits::Limits;
pub use operlog::{OperEntry, OperlogBatch, UserEntry};
pub use request::{Request, RequestError, SerialNumber, Table};
pub use text::TextEncoding;
