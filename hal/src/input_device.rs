//! Linux input devices chosen by name. A USB keypad, or the input that a device tree's
//! `gpio-keys` node makes of a tamper switch, gets its `/dev/input/eventN` number in the order
//! the kernel found the devices, which changes when they are plugged in another order; its
//! name does not. This module owns the choice among the present devices and opening the chosen
//! one without blocking; it must not read events (the keypad and the tamper switch do).

use evdev::Device;

/// Why no device was opened for a name.
#[derive(Debug, thiserror::Error)]
pub enum NamedInputError {
    /// No present device has that name (nor a name containing it).
    #[error("no input device named {name:?}; present: {present}")]
    Absent {
        /// The name asked for.
        name: String,
        /// The devices that are there, `path "name"`, for the technician.
        present: String,
    },
    /// The chosen device could not be opened (permissions: the `input` group).
    #[error("input device {path}: {source}")]
    Open {
        /// Its path.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
}

/// The input device to open for a device named `wanted`: among `(path, name)` pairs, the first
/// (by path) whose name equals `wanted` ignoring case, else the first whose name contains it.
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

/// The input device at `path`, opened non-blocking.
pub fn open_path(path: &str) -> std::io::Result<Device> {
    let device = Device::open(path)?;
    device.set_nonblocking(true)?;
    Ok(device)
}

/// The present input device named `name` (see [`pick_by_name`]), opened non-blocking, and its
/// path.
pub fn open_named(name: &str) -> Result<(String, Device), NamedInputError> {
    let devices: Vec<(String, String)> =
        evdev::enumerate().map(|(path, d)| (path.display().to_string(), d.name().unwrap_or("").to_owned())).collect();
    let Some(path) = pick_by_name(&devices, name) else {
        let present = if devices.is_empty() {
            "none".to_owned()
        } else {
            devices.iter().map(|(p, n)| format!("{p} {n:?}")).collect::<Vec<_>>().join(", ")
        };
        return Err(NamedInputError::Absent { name: name.to_owned(), present });
    };
    let device = open_path(path).map_err(|source| NamedInputError::Open { path: path.to_owned(), source })?;
    Ok((path.to_owned(), device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_found_by_name() {
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
}
