//! The enclosure's tamper switch: an event when the wall bracket is opened or shut.
//!
//! The switch is read through a debounced level ([`Debouncer`], pure); [`TamperSwitch::poll`]
//! reports changes. [`GpioTamper`] (feature `gpio`) reads a pin; [`EvdevTamper`] (feature
//! `evdev`) reads the switch as an input device, as a board's device tree makes of it with
//! `gpio-keys` (what each input event means: [`TamperInput::event`], pure); [`SimTamper`] is
//! opened and closed by a test through a [`SimTamperHandle`]; [`FileTamper`] is open while a
//! file exists (the simulated kiosk's switch, worked from another process: `touch` opens, `rm`
//! closes).

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
    /// The switch's input device could not be found or read.
    #[error("tamper switch input {device:?}: {reason}")]
    Input {
        /// The input device's name (or path).
        device: String,
        /// The cause.
        reason: String,
    },
}

/// How an enclosure switch wired as an input device reports itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TamperInput {
    /// The kernel's switch for a machine's cover (`SW_MACHINE_COVER`): set while it is shut.
    CoverSwitch,
    /// A key (its Linux code), held down while the enclosure is open.
    Key(u16),
}

/// `EV_KEY`, `EV_SW` and `SW_MACHINE_COVER` of linux/input-event-codes.h.
const EV_KEY: u16 = 0x01;
const EV_SW: u16 = 0x05;
const SW_MACHINE_COVER: u16 = 0x10;

impl TamperInput {
    /// What one input event (type, code, value) says about the enclosure, if anything; a key's
    /// auto-repeat (value 2) says nothing new.
    pub fn event(self, kind: u16, code: u16, value: i32) -> Option<TamperEvent> {
        match self {
            Self::CoverSwitch if kind == EV_SW && code == SW_MACHINE_COVER => Some(event(value == 0)),
            Self::Key(key) if kind == EV_KEY && code == key && (value == 0 || value == 1) => Some(event(value == 1)),
            _ => None,
        }
    }
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
#[cfg(feature = "evdev")]
pub use input::EvdevTamper;

#[cfg(feature = "evdev")]
mod input {
    //! The switch as an input device, found by name like a USB keypad (a device tree's
    //! `gpio-keys` node names it). Events are the kernel's, already debounced by its driver.
    use super::{TamperError, TamperEvent, TamperInput, TamperSwitch};
    use evdev::{Device, KeyCode};
    use std::collections::VecDeque;
    use std::io::ErrorKind;
    use std::str::FromStr;

    /// The tamper switch on an input device.
    pub struct EvdevTamper {
        device: Device,
        name: String,
        input: TamperInput,
        pending: VecDeque<TamperEvent>,
    }

    impl EvdevTamper {
        /// `SW_MACHINE_COVER` (or nothing) for the cover switch, else a key's name (`KEY_…`,
        /// `BTN_…`).
        pub fn input_of(code: Option<&str>) -> Result<TamperInput, String> {
            match code.map(str::trim) {
                None | Some("") | Some("SW_MACHINE_COVER") => Ok(TamperInput::CoverSwitch),
                Some(name) => KeyCode::from_str(name)
                    .map(|k| TamperInput::Key(k.code()))
                    .map_err(|_| format!("{name:?} is not a Linux key name (KEY_…, BTN_…) nor SW_MACHINE_COVER")),
            }
        }

        /// Opens the input device named `name` (see [`crate::input_device::pick_by_name`]); an
        /// enclosure already open is reported on the first poll.
        pub fn open_named(name: &str, input: TamperInput) -> Result<Self, TamperError> {
            let err = |reason: String| TamperError::Input { device: name.to_owned(), reason };
            let (path, device) = crate::input_device::open_named(name).map_err(|e| err(e.to_string()))?;
            let path = path.as_str();
            // A device that cannot send the event would read as forever open (or never).
            let sends = match input {
                TamperInput::CoverSwitch => device.supported_switches().is_some_and(|s| s.contains(evdev::SwitchCode::SW_MACHINE_COVER)),
                TamperInput::Key(code) => device.supported_keys().is_some_and(|k| k.contains(KeyCode::new(code))),
            };
            if !sends {
                return Err(err(format!("{path} sends no {input:?} event: check the device tree's switch, or tamper.input_code")));
            }
            let open_now = match input {
                TamperInput::CoverSwitch => {
                    let state = device.get_switch_state().map_err(|e| err(format!("{path}: {e}")))?;
                    !state.contains(evdev::SwitchCode::SW_MACHINE_COVER)
                }
                TamperInput::Key(code) => device.get_key_state().map_err(|e| err(format!("{path}: {e}")))?.contains(KeyCode::new(code)),
            };
            let pending = if open_now { VecDeque::from([TamperEvent::Opened]) } else { VecDeque::new() };
            tracing::info!(device = %path, name, ?input, enclosure_open = open_now, "tamper switch input ready");
            Ok(Self { device, name: name.to_owned(), input, pending })
        }
    }

    impl TamperSwitch for EvdevTamper {
        fn poll(&mut self) -> Result<Option<TamperEvent>, TamperError> {
            match self.device.fetch_events() {
                Ok(events) => {
                    for e in events {
                        if let Some(ev) = self.input.event(e.event_type().0, e.code(), e.value()) {
                            self.pending.push_back(ev);
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(TamperError::Input { device: self.name.clone(), reason: e.to_string() }),
            }
            Ok(self.pending.pop_front())
        }
    }
}

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
    fn input_events_mean_open_or_shut() {
        const KEY_POWER: u16 = 116;
        let cases = [
            // (input, type, code, value, meaning)
            (TamperInput::CoverSwitch, EV_SW, SW_MACHINE_COVER, 0, Some(TamperEvent::Opened)),
            (TamperInput::CoverSwitch, EV_SW, SW_MACHINE_COVER, 1, Some(TamperEvent::Closed)),
            (TamperInput::CoverSwitch, EV_SW, 0x00, 1, None), // the lid switch of a laptop
            (TamperInput::CoverSwitch, EV_KEY, SW_MACHINE_COVER, 1, None),
            (TamperInput::Key(KEY_POWER), EV_KEY, KEY_POWER, 1, Some(TamperEvent::Opened)),
            (TamperInput::Key(KEY_POWER), EV_KEY, KEY_POWER, 2, None), // auto-repeat
            (TamperInput::Key(KEY_POWER), EV_KEY, KEY_POWER, 0, Some(TamperEvent::Closed)),
            (TamperInput::Key(KEY_POWER), EV_KEY, 30, 1, None),
            (TamperInput::Key(KEY_POWER), EV_SW, KEY_POWER, 1, None),
            (TamperInput::Key(KEY_POWER), 0x00, 0, 0, None), // SYN_REPORT
        ];
        for (input, kind, code, value, want) in cases {
            assert_eq!(input.event(kind, code, value), want, "{input:?} {kind}/{code}/{value}");
        }
    }

    #[cfg(feature = "evdev")]
    #[test]
    fn switch_inputs_are_named_as_linux_names_them() {
        assert_eq!(EvdevTamper::input_of(None), Ok(TamperInput::CoverSwitch));
        assert_eq!(EvdevTamper::input_of(Some("SW_MACHINE_COVER")), Ok(TamperInput::CoverSwitch));
        assert_eq!(EvdevTamper::input_of(Some("KEY_POWER")), Ok(TamperInput::Key(116)));
        let err = EvdevTamper::input_of(Some("KEY_NOPE")).unwrap_err();
        assert!(err.contains("KEY_NOPE") && err.contains("SW_MACHINE_COVER"), "{err}");
    }

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
