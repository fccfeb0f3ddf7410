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

/// The input device to open for a keypad named `wanted`: among `(path, name)` pairs, the first
/// (by path) whose name equals `wanted` ignoring case, else the first whose name contains it.
/// USB devices get a new `eventN` number when plugged in a different order, their names do not.
pub fn pick_by_name<'a>(devices: &'a [(String, String)], wanted: &str) -> Option<&'a str> {
    let wanted = wanted.trim().to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    let mut sorted: Vec<&(String, String)> = devices.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let exact = sorted.iter().find(|(_, n)| n.to_lowercase() == wanted);
    exact.or_else(|| sorted.iter().find(|(_, n)| n.to_lowercase().contains(&wanted))).map(|(p, _)| p.as_str())
}

impl EvdevKeypad {
    /// Opens the input device whose name is `name` (see [`pick_by_name`]).
    pub fn open_named(name: &str) -> Result<Self, KeypadError> {
        let devices: Vec<(String, String)> = evdev::enumerate()
            .map(|(path, d)| (path.display().to_string(), d.name().unwrap_or("").to_owned()))
            .collect();
        match pick_by_name(&devices, name) {
            Some(path) => Self::open(path),
            None => Err(KeypadError::Config(format!(
                "no input device named {name:?}; present: {}",
                if devices.is_empty() { "none".to_owned() } else { devices.iter().map(|(p, n)| format!("{p} {n:?}")).collect::<Vec<_>>().join(", ") }
            ))),
        }
    }

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
    fn keypads_are_found_by_name() {
        let devices: Vec<(String, String)> = [
            ("/dev/input/event3", "Logitech USB Keyboard"),
            ("/dev/input/event1", "SEM USB Keypad Consumer Control"),
            ("/dev/input/event2", "SEM USB Keypad"),
            ("/dev/input/event0", "gpio-keys"),
        ]
        .iter()
        .map(|(p, n)| ((*p).to_owned(), (*n).to_owned()))
        .collect();
        let cases = [
            ("exact name wins over an earlier partial match", "SEM USB Keypad", Some("/dev/input/event2")),
            ("case is ignored", "sem usb keypad", Some("/dev/input/event2")),
            ("a part of the name, the lowest path", "usb", Some("/dev/input/event1")),
            ("absent", "Numpad 3000", None),
            ("empty asks for nothing", "  ", None),
        ];
        for (name, wanted, want) in cases {
            assert_eq!(pick_by_name(&devices, wanted), want, "{name}");
        }
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
