//! Keypad: the keys a person presses to choose IN/OUT and type a PIN.
//!
//! The [`Keypad`] trait yields key presses, one per physical press (holding a key does not
//! repeat it). Implementations: [`MatrixKeypad`] over any [`PinBank`] (the board's GPIO with
//! the `gpio` feature: [`GpioPinBank`]), [`EvdevKeypad`] (feature `evdev`: USB keypads through
//! the Linux input subsystem) and [`ScriptedKeypad`] (a scripted sequence, for tests and
//! desktops).
//!
//! # Troubleshooting
//! - *Permission denied on `/dev/input/event*`*: add the user to the `input` group.
//! - *Matrix keys come out wrong*: check the row and column pin order in the configuration.

mod matrix;
mod sim;
#[cfg(feature = "gpio")]
mod gpio;
#[cfg(feature = "evdev")]
mod usb;

pub use matrix::{Layout, MatrixConfig, MatrixKeypad, MatrixScanner, PinBank, SimPinBank};
pub use sim::ScriptedKeypad;
#[cfg(feature = "gpio")]
pub use gpio::GpioPinBank;
#[cfg(feature = "evdev")]
pub use usb::EvdevKeypad;

use serde::Serialize;

/// A key of the kiosk's keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Key {
    /// 0–9.
    Digit(u8),
    /// `*` (delete the last digit on the kiosk).
    Star,
    /// `#` (confirm on the kiosk).
    Hash,
    /// A, B, C or D on 4×4 keypads (A = MASUK, B = PULANG on the kiosk).
    Letter(char),
    /// Enter on USB keypads.
    Enter,
    /// Backspace on USB keypads.
    Backspace,
    /// Escape / cancel on USB keypads.
    Escape,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Digit(d) => write!(f, "{d}"),
            Key::Star => f.write_str("*"),
            Key::Hash => f.write_str("#"),
            Key::Letter(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("Enter"),
            Key::Backspace => f.write_str("Backspace"),
            Key::Escape => f.write_str("Escape"),
        }
    }
}

/// Keypad errors, naming the pin or device.
#[derive(Debug, thiserror::Error)]
pub enum KeypadError {
    /// A GPIO pin could not be claimed.
    #[error("cannot use GPIO {pin} for the keypad: {reason} (is it used by another program or overlay?)")]
    Pin {
        /// BCM pin number.
        pin: u8,
        /// The cause.
        reason: String,
    },
    /// The keypad configuration is inconsistent.
    #[error("keypad configuration: {0}")]
    Config(String),
    /// An input device could not be opened or read.
    #[error("keypad device {device}: {source} (is the user in the `input` group?)")]
    Device {
        /// The device path.
        device: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A keypad that worked stopped answering (unplugged): it is looked for again.
    #[error("keypad device {device} is gone ({source}): looking for it again every second")]
    Lost {
        /// The device path.
        device: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A keypad as the kiosk sees it.
pub trait Keypad: Send {
    /// The next key pressed since the last call, without blocking; `None` if there is none.
    fn poll(&mut self) -> Result<Option<Key>, KeypadError>;
}

impl<K: Keypad + ?Sized> Keypad for Box<K> {
    fn poll(&mut self) -> Result<Option<Key>, KeypadError> {
        (**self).poll()
    }
}
