//! The enclosure's tamper switch: an event when the wall bracket is opened or shut.
//!
//! The switch is read through a debounced level ([`Debouncer`], pure); [`TamperSwitch::poll`]
//! reports changes. [`GpioTamper`] (feature `gpio`) reads a pin; [`SimTamper`] is opened and
//! closed by a test through a [`SimTamperHandle`]; [`FileTamper`] is open while a file exists
//! (the simulated kiosk's switch, worked from another process: `touch` opens, `rm` closes).

use crate::clock::Clock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A change of the bracket's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TamperEvent {
    /// The bracket was opened.
    Opened,
    /// The bracket was shut again.
    Closed,
}

/// Tamper switch errors.
#[derive(Debug, thiserror::Error)]
pub enum TamperError {
    /// The pin could not be claimed.
    #[error("cannot use GPIO {pin} for the tamper switch: {reason}")]
    Pin {
        /// BCM pin number.
        pin: u8,
        /// The cause.
        reason: String,
    },
}

/// The tamper switch as the kiosk sees it.
pub trait TamperSwitch: Send {
    /// A change since the last call, if any (debounced).
    fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError>;
}

impl<T: TamperSwitch + ?Sized> TamperSwitch for Box<T> {
    fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError> {
        (**self).poll()
    }
}

/// Debounces a two-state input: a new level counts once it has held for the debounce time.
#[derive(Debug, Clone)]
pub struct Debouncer {
    stable: bool,
    raw: bool,
    since: Instant,
    debounce: Duration,
}

impl Debouncer {
    /// Starts at `level` (taken as stable).
    pub fn new(level: bool, debounce: Duration, now: Instant) -> Self {
        Self { stable: level, raw: level, since: now, debounce }
    }

    /// Feeds a reading; returns the new stable level when it changes.
    pub fn update(&mut self, level: bool, now: Instant) -> Option<bool> {
        if level != self.raw {
            self.raw = level;
            self.since = now;
        }
        if self.raw != self.stable && now.duration_since(self.since) >= self.debounce {
            self.stable = self.raw;
            return Some(self.stable);
        }
        None
    }
}

fn event(open: bool) -> TamperEvent {
    if open { TamperEvent::Opened } else { TamperEvent::Closed }
}

/// A tamper switch for tests: open and close it through the handle.
pub struct SimTamper {
    open: Arc<AtomicBool>,
    debouncer: Debouncer,
    clock: Arc<dyn Clock>,
}

/// Opens and closes a [`SimTamper`].
#[derive(Clone)]
pub struct SimTamperHandle(Arc<AtomicBool>);

impl SimTamperHandle {
    /// Sets the bracket open (true) or shut.
    pub fn set_open(&self, open: bool) {
        self.0.store(open, Ordering::SeqCst);
    }
}

impl SimTamper {
    /// A shut bracket and its handle; no debounce beyond one poll.
    pub fn new(clock: Arc<dyn Clock>) -> (Self, SimTamperHandle) {
        let open = Arc::new(AtomicBool::new(false));
        let debouncer = Debouncer::new(false, Duration::ZERO, clock.now());
        (Self { open: open.clone(), debouncer, clock }, SimTamperHandle(open))
    }
}

/// A simulated switch that is open while `path` exists.
pub struct FileTamper {
    path: std::path::PathBuf,
    debouncer: Debouncer,
    clock: Arc<dyn Clock>,
}

impl FileTamper {
    /// Watches `path`; shut at start, so a file already there is reported on the first poll.
    pub fn new(path: impl Into<std::path::PathBuf>, clock: Arc<dyn Clock>) -> Self {
        let debouncer = Debouncer::new(false, Duration::ZERO, clock.now());
        Self { path: path.into(), debouncer, clock }
    }
}

impl TamperSwitch for FileTamper {
    fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError> {
        let open = self.path.exists();
        Ok(self.debouncer.update(open, self.clock.now()).map(event))
    }
}

impl TamperSwitch for SimTamper {
    fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError> {
        let level = self.open.load(Ordering::SeqCst);
        Ok(self.debouncer.update(level, self.clock.now()).map(event))
    }
}

#[cfg(feature = "gpio")]
pub use gpio::GpioTamper;

#[cfg(feature = "gpio")]
mod gpio {
    //! The switch on a GPIO input with pull-up: a shut bracket holds the switch closed (low);
    //! opened, the pull-up reads high. A cut wire therefore also reads as "opened".
    use super::{Debouncer, TamperError, TamperEvent, TamperSwitch, event};
    use crate::clock::Clock;
    use rppal::gpio::{Gpio, InputPin};
    use std::sync::Arc;
    use std::time::Duration;

    /// The tamper switch on a pin.
    pub struct GpioTamper {
        pin: InputPin,
        debouncer: Debouncer,
        clock: Arc<dyn Clock>,
    }

    impl GpioTamper {
        /// Claims the pin (BCM number); an open bracket at start-up is reported on the first poll.
        pub fn open(pin: u8, debounce: Duration, clock: Arc<dyn Clock>) -> Result<Self, TamperError> {
            let input = Gpio::new()
                .and_then(|g| g.get(pin))
                .map(|p| p.into_input_pullup())
                .map_err(|e| TamperError::Pin { pin, reason: e.to_string() })?;
            let debouncer = Debouncer::new(false, debounce, clock.now());
            Ok(Self { pin: input, debouncer, clock })
        }
    }

    impl TamperSwitch for GpioTamper {
        fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError> {
            let open = self.pin.is_high();
            Ok(self.debouncer.update(open, self.clock.now()).map(event))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn debouncer_needs_a_steady_level() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut d = Debouncer::new(false, Duration::from_millis(50), t0);
        let readings = [(0, true, None), (30, false, None), (40, true, None), (89, true, None), (90, true, Some(true)), (200, true, None)];
        for (t, level, want) in readings {
            assert_eq!(d.update(level, ms(t)), want, "at {t} ms");
        }
    }

    #[test]
    fn sim_tamper_reports_open_and_close_once() {
        let clock = ManualClock::new();
        let (mut sw, handle) = SimTamper::new(Arc::new(clock));
        assert_eq!(sw.poll().unwrap(), None);
        handle.set_open(true);
        assert_eq!(sw.poll().unwrap(), Some(TamperEvent::Opened));
        assert_eq!(sw.poll().unwrap(), None);
        handle.set_open(false);
        assert_eq!(sw.poll().unwrap(), Some(TamperEvent::Closed));
    }

    #[test]
    fn file_switch_opens_while_the_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open");
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
        let mut t = FileTamper::new(&path, clock);
        assert_eq!(t.poll().unwrap(), None);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(t.poll().unwrap(), Some(TamperEvent::Opened));
        assert_eq!(t.poll().unwrap(), None, "reported once");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(t.poll().unwrap(), Some(TamperEvent::Closed));
    }
}
