//! # hadir-ui: the kiosk's touchscreen
//!
//! Slint screens and the small view-model API through which the kiosk drives them. It owns
//! what the person sees; it never decides attendance (bands, lateness and locks come from the
//! kiosk as plain values).
//!
//! ## Layout
//! - `ui/*.slint`: the screens' layout and look. `ui/state.slint` is the contract: one global
//!   per screen (set from Rust) and `Kiosk` (current screen + every user action).
//! - [`screen`]: [`Screen`] and its parts as plain data, validated.
//! - [`event`]: [`UiEvent`], what the person did.
//! - [`view`]: [`Ui`] (UI thread) and [`UiRemote`] (other threads) — set screens, get events.
//! - [`preview`]: [`PreviewFeed`], camera frames to the preview, newest only.
//! - [`language`]: Bahasa Indonesia by default, English selectable; texts are translated by
//!   Slint from `lang/id/LC_MESSAGES/hadir-ui.po`, bundled at build time.
//! - [`headless`]: rendering without a display (tests, screenshots, benchmark, headless demo).
//! - [`fonts`]: the shipped font and `fonts.conf`.
//! - [`gallery`]: example data for every screen.
//!
//! ## Backends (Cargo features)
//! - none (default): headless only — keeps `cargo build --workspace` to Slint's core and the
//!   software renderer.
//! - `desktop`: a window through winit (X11/Wayland).
//! - `board`: DRM/KMS + libinput without a seat manager; needs `libudev-dev`, `libinput-dev`,
//!   `libxkbcommon-dev` for the target.
//!
//! With a backend feature, Slint picks the backend itself; `SLINT_BACKEND` overrides it
//! (e.g. `SLINT_BACKEND=linuxkms` on the board).
//!
//! ## Tools
//! - `cargo run -p hadir-ui --bin hadir-ui-screenshots -- OUT_DIR`: every example screen in both
//!   languages at 800×480 and 1280×800 as PNG (`OUT_DIR/<lang>/<size>/<screen>.png`).
//! - `cargo run -p hadir-ui --bin hadir-ui-bench -- [SECONDS]`: the preview path at 640×480,
//!   15 fps; prints `ui key=value` lines (fps, drops, UI-thread CPU %).
//!
//! ## Tests
//! `cargo test -p hadir-ui`: unit tables; `tests/catalogue.rs` (every `@tr` text translated);
//! `tests/screens.rs` (every example, both languages, both sizes: PNG + labels + colours);
//! `tests/in_flow.rs` (a whole IN record by touches, keyboard, language toggle, retry, preview
//! frame dropping, remote calls). The last two use Slint's testing backend with mocked time.
//!
//! ## Driving it
//! ```no_run
//! use hadir_ui::{Ui, UiEvent, Screen, gallery};
//! # fn main() -> Result<(), hadir_ui::UiError> {
//! let _display = hadir_ui::headless::install(800, 480)?; // or a backend feature
//! let ui = Ui::new()?;
//! ui.set_screen(&gallery::idle())?;
//! let events = ui.event_channel();          // UiEvent::ChooseIn, Digit(3), Submit, …
//! let feed = ui.preview_feed();             // give to the capture thread: feed.push(&frame)
//! let remote = ui.remote();                 // set screens from the flow's thread
//! # drop((events, feed, remote));
//! ui.run()?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod event;
pub mod fonts;
pub mod gallery;
pub mod headless;
pub mod language;
pub mod preview;
pub mod screen;
pub mod view;

/// The code generated from `ui/app.slint` (component, globals, enums and structs).
#[allow(missing_docs)]
pub mod generated {
    slint::include_modules!();
}

pub use error::UiError;
pub use event::{AdminAction, UiEvent};
pub use language::Language;
pub use preview::{FeedStats, PreviewFeed};
pub use screen::{
    Band, CalendarDate, ClockTime, DeviceMode, EnrolRefusal, EnrolScreen, ErrorKind, FaceBox,
    Guidance, InvalidScreen, NoticeKind, PinKind, RecordKind, Screen, Weekday,
};
pub use view::{Ui, UiRemote};
