//! USB keypads through the Linux input subsystem (`evdev`).
//!
//! The device is read without blocking; key-down events become [`Key`]s, auto-repeat events
//! (value 2) are dropped, so holding a key gives one press like the matrix keypad.
//!
//! A USB keypad can be pulled out and plugged back (a cleaner, a loose cable): the read error
//! is reported once, then the keypad is looked for again once a second — by its name when it
//! was opened by name, since it may come back as another `eventN` — and works again when it
//! is back, without restarting the kiosk.

use super::{Key, Keypad, KeypadError};
use crate::input_device;
use evdev::{Device, EventSummary, KeyCode};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// A USB keypad (or keyboard) at `/dev/input/eventN`.
pub struct EvdevKeypad {
    /// `None` while it is unplugged.
    device: Option<Device>,
    path: String,
    /// The name it was opened by, to find it again wherever it comes back.
    name: Option<String>,
    queue: VecDeque<Key>,
    retry: Retry,
}

/// When to look for a lost device again: at most once per [`Retry::EVERY`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retry {
    next: Option<Instant>,
}

impl Retry {
    /// How often a lost keypad is looked for.
    pub const EVERY: Duration = Duration::from_secs(1);

    /// Whether to look now (and, if so, not again before [`Retry::EVERY`]).
    pub fn due(&mut self, now: Instant) -> bool {
        match self.next {
            Some(next) if now < next => false,
            _ => {
                self.next = Some(now + Self::EVERY);
                true
            }
        }
    }

    /// The device was lost at `now`: the first look is one period later.
    pub fn lost(&mut self, now: Instant) {
        self.next = Some(now + Self::EVERY);
    }
}

/// The kiosk key for a Linux key code, if it has one.
pub fn key_for(code: KeyCode) -> Option<Key> {
    let digits = [
        (KeyCode::KEY_0, KeyCode::KEY_KP0),
        (KeyCode::KEY_1, KeyCode::KEY_KP1),
        (KeyCode::KEY_2, KeyCode::KEY_KP2),
        (KeyCode::KEY_3, KeyCode::KEY_KP3),
        (KeyCode::KEY_4, KeyCode::KEY_KP4),
        (KeyCode::KEY_5, KeyCode::KEY_KP5),
        (KeyCode::KEY_6, KeyCode::KEY_KP6),
        (KeyCode::KEY_7, KeyCode::KEY_KP7),
        (KeyCode::KEY_8, KeyCode::KEY_KP8),
        (KeyCode::KEY_9, KeyCode::KEY_KP9),
    ];
    if let Some(d) = digits.iter().position(|(a, b)| *a == code || *b == code) {
        return Some(Key::Digit(d as u8));
    }
    Some(match code {
        KeyCode::KEY_KPASTERISK => Key::Star,
        KeyCode::KEY_KPPLUS | KeyCode::KEY_A => Key::Letter('A'),
        KeyCode::KEY_KPMINUS | KeyCode::KEY_B => Key::Letter('B'),
        KeyCode::KEY_KPSLASH | KeyCode::KEY_C => Key::Letter('C'),
        KeyCode::KEY_KPDOT | KeyCode::KEY_D => Key::Letter('D'),
        KeyCode::KEY_ENTER | KeyCode::KEY_KPENTER => Key::Enter,
        KeyCode::KEY_BACKSPACE => Key::Backspace,
        KeyCode::KEY_ESC => Key::Escape,
        _ => return None,
    })
}

impl EvdevKeypad {
    /// Opens the input device whose name is `name` (see [`input_device::pick_by_name`]).
    pub fn open_named(name: &str) -> Result<Self, KeypadError> {
        let (path, device) = find_named(name)?;
        Ok(Self { device: Some(device), path, name: Some(name.to_owned()), queue: VecDeque::new(), retry: Retry::default() })
    }

    /// Opens the input device, non-blocking.
    pub fn open(path: &str) -> Result<Self, KeypadError> {
        Ok(Self { device: Some(open_path(path)?), path: path.to_string(), name: None, queue: VecDeque::new(), retry: Retry::default() })
    }

    /// Looks for the lost device again.
    fn reopen(&mut self) -> Result<(), KeypadError> {
        let (path, device) = match &self.name {
            Some(name) => find_named(name)?,
            None => (self.path.clone(), open_path(&self.path)?),
        };
        tracing::info!(device = %path, "keypad is back");
        self.path = path;
        self.device = Some(device);
        Ok(())
    }
}

/// The input device at `path`, non-blocking.
fn open_path(path: &str) -> Result<Device, KeypadError> {
    input_device::open_path(path).map_err(|source| KeypadError::Device { device: path.to_string(), source })
}

/// The input device named `name` and its path.
fn find_named(name: &str) -> Result<(String, Device), KeypadError> {
    input_device::open_named(name).map_err(|e| match e {
        input_device::NamedInputError::Open { path, source } => KeypadError::Device { device: path, source },
        absent @ input_device::NamedInputError::Absent { .. } => KeypadError::Config(absent.to_string()),
    })
}

impl Keypad for EvdevKeypad {
    fn poll(&mut self) -> Result<Option<Key>, KeypadError> {
        let Some(device) = self.device.as_mut() else {
            // Unplugged: said once when it went; looked for again now and then, quietly.
            if self.retry.due(Instant::now()) {
                let _ = self.reopen();
            }
            return Ok(self.queue.pop_front());
        };
        let read = match device.fetch_events() {
            Ok(events) => {
                for event in events {
                    if let EventSummary::Key(_, code, 1) = event.destructure()
                        && let Some(key) = key_for(code)
                    {
                        self.queue.push_back(key);
                    }
                }
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(source) => Err(source),
        };
        if let Err(source) = read {
            self.device = None;
            self.retry.lost(Instant::now());
            return Err(KeypadError::Lost { device: self.path.clone(), source });
        }
        Ok(self.queue.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_keypad_is_looked_for_once_a_second() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut retry = Retry::default();
        retry.lost(ms(0));
        // (poll time, whether it looks)
        let cases = [(0, false), (999, false), (1000, true), (1001, false), (1999, false), (2000, true), (5000, true), (5500, false)];
        for (at, want) in cases {
            assert_eq!(retry.due(ms(at)), want, "at {at} ms");
        }
        assert!(Retry::default().due(t0), "never lost: looks at once");
    }

    #[test]
    fn key_codes_map_to_kiosk_keys() {
        let cases = [
            (KeyCode::KEY_KP7, Some(Key::Digit(7))),
            (KeyCode::KEY_0, Some(Key::Digit(0))),
            (KeyCode::KEY_KPENTER, Some(Key::Enter)),
            (KeyCode::KEY_KPASTERISK, Some(Key::Star)),
            (KeyCode::KEY_BACKSPACE, Some(Key::Backspace)),
            (KeyCode::KEY_F1, None),
        ];
        for (code, want) in cases {
            assert_eq!(key_for(code), want, "{code:?}");
        }
    }
}
