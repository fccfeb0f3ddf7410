//! The UI's own font, so that screens look the same on the board, on a desktop and in tests.
//!
//! DejaVu Sans (regular and bold, Debian's `fonts-dejavu-core`, free licence in
//! `ui/fonts/LICENSE-DejaVu`) is embedded into the binary by `ui/app.slint`. Slint still asks
//! fontconfig for the system's fonts, and text rendering panics when fontconfig finds none —
//! the case on a minimal board image. `ui/fonts.conf` points fontconfig at `ui/fonts/` only
//! (a path relative to the file), which also makes screenshots byte-identical across machines.
//!
//! Programs set `FONTCONFIG_FILE` to [`fontconfig_file`] at the very start of `main`, before any
//! thread exists (`std::env::set_var` is not thread-safe). On the board, install `fonts.conf`
//! next to a `fonts/` folder with the two TTF files and point `FONTCONFIG_FILE` at it from the
//! init script.
//!
//! ## Troubleshooting
//! - Panic in text layout at start-up: fontconfig sees no font. Check `FONTCONFIG_FILE` and that
//!   the `fonts/` folder sits beside the file.

use std::path::PathBuf;

/// The name of the environment variable fontconfig reads.
pub const FONTCONFIG_ENV: &str = "FONTCONFIG_FILE";

/// `ui/fonts.conf` in the source tree (for binaries run from the workspace, and tests).
pub fn fontconfig_file() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts.conf"))
}
