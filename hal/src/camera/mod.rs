//! Camera: RGB frames for the face pipeline.
//!
//! The [`Camera`] trait hands out [`Frame`]s (an `image::RgbImage`, RGB8, plus when and which
//! frame). Implementations: [`V4lCamera`] (feature `v4l`: Video4Linux2, mmap streaming, YUYV
//! or MJPEG converted by [`convert`]), [`FolderCamera`] (images from a folder, in name order,
//! looping) and [`ScriptedCamera`] (a scripted sequence of scenes: a photo, no face, two faces,
//! dark).
//!
//! # Troubleshooting
//! - *`Open` error, permission denied*: the user must be in the `video` group.
//! - *`Format` error*: the camera offers neither YUYV nor MJPEG; `hadir-hal camera list` shows
//!   what it offers.
//! - *`Disconnected`*: the USB camera was unplugged; the next `frame()` call tries to reopen
//!   it, so the kiosk only has to keep asking.

pub mod convert;
mod sim;
#[cfg(feature = "v4l")]
mod v4l2;

pub use sim::{FolderCamera, Scene, ScriptStep, ScriptedCamera};
#[cfg(feature = "v4l")]
pub use v4l2::{CameraConfig, V4lCamera, list_devices, DeviceInfo};

use image::RgbImage;
use std::path::PathBuf;
use std::time::Duration;

/// One camera frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The picture, RGB8.
    pub image: RgbImage,
    /// Capture time on the device's monotonic clock (driver timestamp for real cameras).
    pub timestamp: Duration,
    /// Frame counter since the camera was opened.
    pub sequence: u64,
}

/// Errors of the cameras; each names the device or file.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// The device could not be opened.
    #[error("cannot open camera {device}: {source} (is it plugged in, and is the user in the `video` group?)")]
    Open {
        /// The device path.
        device: String,
        /// The cause.
        source: std::io::Error,
    },
    /// No usable pixel format.
    #[error("camera {device}: {detail}")]
    Format {
        /// The device path.
        device: String,
        /// What was offered or refused.
        detail: String,
    },
    /// The device went away while streaming; the next call tries to reopen it.
    #[error("camera {device} disconnected: {source}; retrying on the next frame")]
    Disconnected {
        /// The device path.
        device: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A frame did not convert (corrupt MJPEG, truncated YUYV); the next one may be fine.
    #[error("camera {device}: bad frame: {source}")]
    BadFrame {
        /// The device path.
        device: String,
        /// The conversion error.
        source: convert::ConvertError,
    },
    /// A simulated camera's image could not be read.
    #[error("cannot read image {path}: {reason}")]
    Image {
        /// The image file or folder.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// A simulated camera has nothing to show.
    #[error("{what} has no frames: {fix}")]
    Empty {
        /// The folder or script.
        what: String,
        /// How to fix it.
        fix: &'static str,
    },
}

/// A camera as the kiosk sees it.
pub trait Camera: Send {
    /// The next frame (blocks until one is available, bounded by the device's timeout).
    fn frame(&mut self) -> Result<Frame, CameraError>;

    /// The size of the frames this camera delivers.
    fn size(&self) -> (u32, u32);
}

impl<C: Camera + ?Sized> Camera for Box<C> {
    fn frame(&mut self) -> Result<Frame, CameraError> {
        (**self).frame()
    }
    fn size(&self) -> (u32, u32) {
        (**self).size()
    }
}
