//! The crate's error type.

use crate::screen::InvalidScreen;

/// What can go wrong when starting or driving the touchscreen.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// Slint could not create the window or its backend.
    #[error(
        "cannot open the kiosk display: {0}. On the board check that /dev/dri/card0 exists and \
         the kiosk user is in the `video` and `input` groups (build with feature `board`); on a \
         desktop build with feature `desktop`; without a display use `hadir_ui::headless`"
    )]
    Platform(#[from] slint::PlatformError),
    /// The event loop is gone (the UI was closed) or not running.
    #[error("the UI event loop is not running: {0}")]
    EventLoop(#[from] slint::EventLoopError),
    /// Another Slint platform was installed first.
    #[error("cannot install the headless platform: another Slint platform is already active ({0:?})")]
    PlatformAlreadySet(slint::platform::SetPlatformError),
    /// The screen data is out of range.
    #[error("invalid screen data: {0}")]
    InvalidScreen(#[from] InvalidScreen),
    /// The bundled translation is missing (a build problem).
    #[error("language {code:?} is not bundled in this build ({detail}); check ui/lang/ and rebuild")]
    Translation {
        /// The language code asked for.
        code: &'static str,
        /// Slint's message.
        detail: String,
    },
    /// A camera frame that cannot be shown.
    #[error("camera frame {width}x{height} is empty or too large for the preview (max 4096x4096)")]
    Frame {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
}
