//! Rendering without a display: a Slint platform around a `MinimalSoftwareWindow`.
//!
//! Used by the screenshot tool, the preview benchmark, and the kiosk when no display exists
//! (`cargo xtask demo` on a server): the same screens, drawn by the same software renderer as
//! on the board, into an RGB buffer. It owns a small event loop so that timers,
//! `invoke_from_event_loop` (camera frames, [`crate::UiRemote`]) and redraws work as in a window.
//!
//! Install it once per process, before [`crate::Ui::new`], on the thread that will run the
//! event loop.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use image::RgbImage;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, WindowAdapter};
use slint::{PhysicalSize, PlatformError, Rgb8Pixel, SharedPixelBuffer};

use crate::UiError;

type Job = Box<dyn FnOnce() + Send>;

enum Message {
    Job(Job),
    Quit,
}

#[derive(Clone)]
struct Queue {
    messages: Arc<Mutex<VecDeque<Message>>>,
    thread: std::thread::Thread,
}

impl Queue {
    fn push(&self, message: Message) {
        self.messages.lock().unwrap_or_else(|p| p.into_inner()).push_back(message);
        self.thread.unpark();
    }
}

impl EventLoopProxy for Queue {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        self.push(Message::Quit);
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Job) -> Result<(), slint::EventLoopError> {
        self.push(Message::Job(event));
        Ok(())
    }
}

/// Time spent rendering, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RenderStats {
    /// Redraws done by the event loop.
    pub redraws: u64,
    /// Total time in the renderer.
    pub render_time: Duration,
}

type Sink = Box<dyn FnMut(&RgbImage)>;

struct State {
    window: Rc<MinimalSoftwareWindow>,
    buffer: RefCell<SharedPixelBuffer<Rgb8Pixel>>,
    sink: RefCell<Option<Sink>>,
    stats: Cell<RenderStats>,
}

impl State {
    /// Draws what changed into the buffer; true if anything was drawn.
    fn draw(&self) -> bool {
        let size = self.window.size();
        let mut buffer = self.buffer.borrow_mut();
        if buffer.width() != size.width || buffer.height() != size.height {
            *buffer = SharedPixelBuffer::new(size.width, size.height);
            // A new buffer holds nothing: draw everything.
            self.window.request_redraw();
        }
        let started = Instant::now();
        let width = buffer.width() as usize;
        let drawn = self.window.draw_if_needed(|renderer| {
            renderer.render(buffer.make_mut_slice(), width);
        });
        if drawn {
            let mut stats = self.stats.get();
            stats.redraws += 1;
            stats.render_time += started.elapsed();
            self.stats.set(stats);
        }
        drawn
    }

    fn image(&self) -> RgbImage {
        let buffer = self.buffer.borrow();
        // The buffer is the exact size, so this cannot fail; fall back to an empty image.
        RgbImage::from_raw(buffer.width(), buffer.height(), buffer.as_bytes().to_vec())
            .unwrap_or_default()
    }
}

struct HeadlessPlatform {
    state: Rc<State>,
    queue: Queue,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.state.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(self.queue.clone()))
    }

    fn run_event_loop(&self) -> Result<(), PlatformError> {
        loop {
            slint::platform::update_timers_and_animations();
            let mut quit = false;
            loop {
                let message = self.queue.messages.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                match message {
                    Some(Message::Job(job)) => job(),
                    Some(Message::Quit) => {
                        quit = true;
                        break;
                    }
                    None => break,
                }
            }
            // Draw before quitting too, so the last state reaches the sink.
            if self.state.draw() {
                if let Some(sink) = self.state.sink.borrow_mut().as_mut() {
                    sink(&self.state.image());
                }
            }
            if quit {
                return Ok(());
            }
            if self.state.window.window().has_active_animations() {
                continue;
            }
            let pending = !self.queue.messages.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
            if pending {
                continue;
            }
            match slint::platform::duration_until_next_timer_update() {
                Some(wait) => std::thread::park_timeout(wait),
                None => std::thread::park(),
            }
        }
    }
}

/// The headless display: render on demand, or receive every redraw while the loop runs.
pub struct Headless {
    state: Rc<State>,
    save_error: Rc<RefCell<Option<String>>>,
}

/// Installs the headless platform with a `width`×`height` screen on this thread.
pub fn install(width: u32, height: u32) -> Result<Headless, UiError> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
    window.set_size(PhysicalSize::new(width, height));
    let state = Rc::new(State {
        window,
        buffer: RefCell::new(SharedPixelBuffer::new(width, height)),
        sink: RefCell::new(None),
        stats: Cell::new(RenderStats::default()),
    });
    let platform = HeadlessPlatform {
        state: Rc::clone(&state),
        queue: Queue { messages: Arc::default(), thread: std::thread::current() },
        start: Instant::now(),
    };
    slint::platform::set_platform(Box::new(platform)).map_err(UiError::PlatformAlreadySet)?;
    Ok(Headless { state, save_error: Rc::default() })
}

impl Headless {
    /// Changes the screen size (the next render draws everything).
    pub fn resize(&self, width: u32, height: u32) {
        self.state.window.set_size(PhysicalSize::new(width, height));
        self.state.window.request_redraw();
    }

    /// Renders the current state now and returns the whole screen.
    pub fn render(&self) -> RgbImage {
        slint::platform::update_timers_and_animations();
        self.state.window.request_redraw();
        self.state.draw();
        self.state.image()
    }

    /// Calls `sink` with the screen after every redraw of the event loop (e.g. to save a PNG
    /// on every change in a headless demo).
    pub fn on_redraw(&self, sink: impl FnMut(&RgbImage) + 'static) {
        *self.state.sink.borrow_mut() = Some(Box::new(sink));
    }

    /// Saves the screen as a PNG at `path` after every redraw (the headless demo: "the screen
    /// as it is now"). Written to a temporary file and renamed, so a viewer never reads half a
    /// file. Each save costs a PNG encode (about 10 ms at 800×480); a failure is kept for
    /// [`Headless::last_save_error`] and the next redraw tries again.
    pub fn save_on_redraw(&self, path: std::path::PathBuf) {
        let error = Rc::clone(&self.save_error);
        self.on_redraw(move |image| {
            let tmp = path.with_extension("png.tmp");
            let result = image
                .save_with_format(&tmp, image::ImageFormat::Png)
                .map_err(|e| format!("writing {}: {e}", tmp.display()))
                .and_then(|()| {
                    std::fs::rename(&tmp, &path)
                        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), path.display()))
                });
            *error.borrow_mut() = result.err();
        });
    }

    /// Why the last [`Headless::save_on_redraw`] save failed, if it did.
    pub fn last_save_error(&self) -> Option<String> {
        self.save_error.borrow().clone()
    }

    /// Redraw counters.
    pub fn stats(&self) -> RenderStats {
        self.state.stats.get()
    }
}
