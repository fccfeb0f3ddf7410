//! The real camera: Video4Linux2 through the `v4l` crate, mmap streaming.
//!
//! Format negotiation asks for the configured size in YUYV first (no decoding cost), then
//! MJPEG; the driver may answer with another size, and frames are delivered at the size it
//! chose ([`Camera::size`]). When the device disappears (USB unplugged) `frame()` returns
//! [`CameraError::Disconnected`] and the following calls try to open it again, so a camera that
//! comes back is picked up without restarting the kiosk.

use super::convert::{self, ConvertError};
use super::{Camera, CameraError, Frame};
use serde::Deserialize;
use std::time::Duration;
use v4l::buffer::Type;
use v4l::io::mmap::Stream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, FourCC};

/// Which camera and how.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    /// Device node, e.g. `/dev/video0`.
    pub device: String,
    /// Requested frame width.
    pub width: u32,
    /// Requested frame height.
    pub height: u32,
    /// Number of mmap buffers.
    pub buffers: u32,
    /// How long `frame()` waits for the driver, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self { device: "/dev/video0".into(), width: 640, height: 480, buffers: 4, timeout_ms: 2000 }
    }
}

/// A video device as `hadir-hal camera list` shows it.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    /// Device node.
    pub path: String,
    /// Driver's card name.
    pub name: String,
    /// Pixel formats offered (FourCC codes).
    pub formats: Vec<String>,
}

/// The video capture devices present.
pub fn list_devices() -> Vec<DeviceInfo> {
    let mut nodes = v4l::context::enum_devices();
    nodes.sort_by_key(|n| n.index());
    nodes
        .into_iter()
        .map(|node| {
            let path = node.path().display().to_string();
            let name = node.name().unwrap_or_default();
            let formats = Device::with_path(node.path())
                .and_then(|d| d.enum_formats())
                .map(|f| f.iter().map(|d| d.fourcc.to_string()).collect())
                .unwrap_or_default();
            DeviceInfo { path, name, formats }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pixel {
    Yuyv,
    Mjpeg,
}

struct Streaming {
    stream: Stream<'static>,
    _device: Device,
    pixel: Pixel,
    width: u32,
    height: u32,
}

/// A V4L2 camera.
pub struct V4lCamera {
    config: CameraConfig,
    streaming: Option<Streaming>,
    size: (u32, u32),
    sequence: u64,
}

impl V4lCamera {
    /// Opens the device and starts streaming.
    pub fn open(config: CameraConfig) -> Result<Self, CameraError> {
        let streaming = start(&config)?;
        let size = (streaming.width, streaming.height);
        Ok(Self { config, streaming: Some(streaming), size, sequence: 0 })
    }
}

fn start(config: &CameraConfig) -> Result<Streaming, CameraError> {
    let device_name = || config.device.clone();
    let open_err = |source| CameraError::Open { device: device_name(), source };
    let device = Device::with_path(&config.device).map_err(open_err)?;
    let offered: Vec<FourCC> = device.enum_formats().map_err(open_err)?.iter().map(|d| d.fourcc).collect();
    let mut chosen = None;
    for (fourcc, pixel) in [(FourCC::new(b"YUYV"), Pixel::Yuyv), (FourCC::new(b"MJPG"), Pixel::Mjpeg)] {
        if !offered.contains(&fourcc) {
            continue;
        }
        let mut format = device.format().map_err(open_err)?;
        format.width = config.width;
        format.height = config.height;
        format.fourcc = fourcc;
        let actual = device.set_format(&format).map_err(open_err)?;
        if actual.fourcc == fourcc {
            chosen = Some((pixel, actual.width, actual.height));
            break;
        }
    }
    let Some((pixel, width, height)) = chosen else {
        let offered: Vec<String> = offered.iter().map(ToString::to_string).collect();
        return Err(CameraError::Format {
            device: device_name(),
            detail: format!("offers {offered:?}, neither YUYV nor MJPG; use another camera"),
        });
    };
    let mut stream = Stream::with_buffers(&device, Type::VideoCapture, config.buffers.max(2)).map_err(open_err)?;
    stream.set_timeout(Duration::from_millis(config.timeout_ms));
    tracing::info!(device = %config.device, ?pixel, width, height, "camera streaming");
    Ok(Streaming { stream, _device: device, pixel, width, height })
}

impl Camera for V4lCamera {
    fn frame(&mut self) -> Result<Frame, CameraError> {
        if self.streaming.is_none() {
            let streaming = start(&self.config).map_err(|e| match e {
                CameraError::Open { device, source } => CameraError::Disconnected { device, source },
                other => other,
            })?;
            self.size = (streaming.width, streaming.height);
            self.streaming = Some(streaming);
        }
        let Some(s) = self.streaming.as_mut() else {
            return Err(CameraError::Format { device: self.config.device.clone(), detail: "not streaming".into() });
        };
        let (pixel, width, height) = (s.pixel, s.width, s.height);
        let (data, meta) = match s.stream.next() {
            Ok(next) => next,
            Err(source) => {
                // Drop the stream and device: the next call reopens.
                self.streaming = None;
                return Err(CameraError::Disconnected { device: self.config.device.clone(), source });
            }
        };
        let used = (meta.bytesused as usize).min(data.len());
        let timestamp = Duration::from_secs(u64::try_from(meta.timestamp.sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(meta.timestamp.usec).unwrap_or(0));
        let image = match pixel {
            Pixel::Yuyv => convert::yuyv_to_rgb(&data[..used], width, height),
            Pixel::Mjpeg => convert::mjpeg_to_rgb(&data[..used]),
        }
        .map_err(|source: ConvertError| CameraError::BadFrame { device: self.config.device.clone(), source })?;
        let sequence = self.sequence;
        self.sequence += 1;
        Ok(Frame { image, timestamp, sequence })
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}
