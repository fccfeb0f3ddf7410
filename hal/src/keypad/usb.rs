//! USB keypads through the Linux input subsystem (`evdev`).
//!
//! The device is read without blocking; key-down events become [`Key`]s, auto-repeat events
//! (value 2) are dropped, so holding a key gives one press like the matrix keypad.

use super::{Key, Keypad, KeypadError};
use evdev::{Device, EventSummary, KeyCode};
use std::collections::VecDeque;
use std::io::ErrorKind;

/// A USB keypad (or keyboard) at `/dev/input/eventN`.
pub struct EvdevKeypad {
    device: Device,
    path: String,
    queue: VecDeque<Key>,
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
    /// Opens the input device, non-blocking.
    pub fn open(path: &str) -> Result<Self, KeypadError> {
        let err = |source| KeypadError::Device { device: path.to_string(), source };
        let device = Device::open(path).map_err(err)?;
        device.set_nonblocking(true).map_err(err)?;
        Ok(Self { device, path: path.to_string(), queue: VecDeque::new() })
    }
}

impl Keypad for EvdevKeypad {
    fn poll(&mut self) -> Result<Option<Key>, KeypadError> {
        match self.device.fetch_events() {
            Ok(events) => {
                for event in events {
                    if let EventSummary::Key(_, code, 1) = event.destructure()
                        && let Some(key) = key_for(code)
                    {
                        self.queue.push_back(key);
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(source) => return Err(KeypadError::Device { device: self.path.clone(), source }),
        }
        Ok(self.queue.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
