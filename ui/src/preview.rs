//! The camera preview path: capture thread → latest-frame slot → UI thread.
//!
//! The capture thread copies each `RgbImage` once into a [`slint::SharedPixelBuffer`] (the only
//! copy); the UI thread wraps that buffer in a [`slint::Image`] without copying. Only the
//! newest frame is kept: if the UI has not taken the previous one yet it is dropped, never
//! queued, so a slow UI shows fresh frames at a lower rate instead of falling behind.
//! At most one hand-over is pending in the event loop at any time.
//!
//! The feed is `Send + Clone`; it must not be used to block the capture thread (it never waits).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use image::RgbImage;
use slint::{Rgb8Pixel, SharedPixelBuffer};

use crate::UiError;
use crate::generated::{AppWindow, CaptureState};
use slint::ComponentHandle;

/// Counters of the preview path, for benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedStats {
    /// Frames given to [`PreviewFeed::push`].
    pub pushed: u64,
    /// Frames replaced by a newer one before the UI took them.
    pub dropped: u64,
    /// Frames handed to the screen.
    pub shown: u64,
}

struct Shared {
    latest: Mutex<Option<SharedPixelBuffer<Rgb8Pixel>>>,
    scheduled: AtomicBool,
    pushed: AtomicU64,
    dropped: AtomicU64,
    shown: AtomicU64,
    window: slint::Weak<AppWindow>,
}

/// Sends camera frames to the capture screen's preview from any thread.
#[derive(Clone)]
pub struct PreviewFeed {
    shared: Arc<Shared>,
}

/// The largest frame side accepted, far above any camera the kiosk uses.
const MAX_SIDE: u32 = 4096;

impl PreviewFeed {
    pub(crate) fn new(window: slint::Weak<AppWindow>) -> Self {
        PreviewFeed {
            shared: Arc::new(Shared {
                latest: Mutex::new(None),
                scheduled: AtomicBool::new(false),
                pushed: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                shown: AtomicU64::new(0),
                window,
            }),
        }
    }

    /// Offers a frame to the preview. Returns at once; an older frame not yet shown is dropped.
    ///
    /// Errors: [`UiError::Frame`] for an empty or huge frame, [`UiError::EventLoop`] when the
    /// UI's event loop has ended.
    pub fn push(&self, frame: &RgbImage) -> Result<(), UiError> {
        let (width, height) = frame.dimensions();
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(UiError::Frame { width, height });
        }
        let buffer = SharedPixelBuffer::<Rgb8Pixel>::clone_from_slice(frame.as_raw(), width, height);
        self.push_buffer(buffer)
    }

    /// Offers a frame already in Slint's buffer type (no copy at all).
    pub fn push_buffer(&self, buffer: SharedPixelBuffer<Rgb8Pixel>) -> Result<(), UiError> {
        let shared = &self.shared;
        shared.pushed.fetch_add(1, Ordering::Relaxed);
        let replaced = shared.latest.lock().unwrap_or_else(|p| p.into_inner()).replace(buffer);
        if replaced.is_some() {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
        // One hand-over in flight at most: it takes whatever is newest when it runs.
        if !shared.scheduled.swap(true, Ordering::AcqRel) {
            let shared = Arc::clone(shared);
            slint::invoke_from_event_loop(move || {
                shared.scheduled.store(false, Ordering::Release);
                let frame = shared.latest.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let (Some(frame), Some(window)) = (frame, shared.window.upgrade()) {
                    show(&window, frame);
                    shared.shown.fetch_add(1, Ordering::Relaxed);
                }
            })
            .inspect_err(|_| self.shared.scheduled.store(false, Ordering::Release))?;
        }
        Ok(())
    }

    /// The counters so far.
    pub fn stats(&self) -> FeedStats {
        FeedStats {
            pushed: self.shared.pushed.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            shown: self.shared.shown.load(Ordering::Relaxed),
        }
    }
}

/// Puts a frame on the capture screen (UI thread).
pub(crate) fn show(window: &AppWindow, frame: SharedPixelBuffer<Rgb8Pixel>) {
    window.global::<CaptureState>().set_preview(slint::Image::from_rgb8(frame));
}
