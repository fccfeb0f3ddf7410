//! # Touch input for the screen on a board without udev
//!
//! The touchscreen's toolkit reads its pointer and touch devices through libinput, and libinput
//! takes only devices that udev has looked at: an entry in udev's database
//! (`/run/udev/data/c<major>:<minor>`) that marks the device initialized and says what it is
//! (`ID_INPUT_TOUCHSCREEN`, `ID_INPUT_MOUSE`, …, as udev's `input_id` builtin decides from the
//! device's capabilities). Buildroot boards run eudev and need none of this; the QEMU image and
//! any board with only busybox's mdev publish those entries with [`publish`] (`hadir-hal
//! touch-input`, from the start script and from mdev when a device appears).
//!
//! Only screens' devices are published — touchscreens, pen tablets and pointers (QEMU's
//! tablet is an absolute pointer). Keyboards and keypads are deliberately left out: the kiosk
//! reads its keypad itself, and a key that libinput also delivered to the screen would be
//! typed twice.
//!
//! [`classify`] is pure (capability bitmaps in, kind out) and table-tested; [`publish`] reads
//! sysfs and writes the entries. This module must not open the devices themselves.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What libinput should take a device for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointerKind {
    /// A touchscreen (absolute positions on the display itself).
    Touchscreen,
    /// A pen tablet.
    Tablet,
    /// A mouse, relative or absolute (QEMU's tablet, a virtual machine's pointer).
    Mouse,
}

impl PointerKind {
    /// The udev properties of this kind, as udev's `input_id` sets them.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Self::Touchscreen => &["ID_INPUT=1", "ID_INPUT_TOUCHSCREEN=1"],
            Self::Tablet => &["ID_INPUT=1", "ID_INPUT_TABLET=1"],
            Self::Mouse => &["ID_INPUT=1", "ID_INPUT_MOUSE=1"],
        }
    }
}

/// One device's capabilities, as the kernel lists them in sysfs (bitmaps indexed by code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `capabilities/key`: keys and buttons.
    pub key: Vec<u64>,
    /// `capabilities/abs`: absolute axes.
    pub abs: Vec<u64>,
    /// `capabilities/rel`: relative axes.
    pub rel: Vec<u64>,
    /// `properties`: INPUT_PROP_* bits.
    pub props: Vec<u64>,
}

// Codes from linux/input-event-codes.h.
const ABS_X: usize = 0x00;
const ABS_Y: usize = 0x01;
const ABS_MT_POSITION_X: usize = 0x35;
const ABS_MT_POSITION_Y: usize = 0x36;
const REL_X: usize = 0x00;
const REL_Y: usize = 0x01;
const BTN_LEFT: usize = 0x110;
const BTN_TOOL_PEN: usize = 0x140;
const BTN_TOOL_FINGER: usize = 0x145;
const BTN_TOUCH: usize = 0x14a;
const BTN_STYLUS: usize = 0x14b;
const INPUT_PROP_DIRECT: usize = 0x01;

/// Whether bit `n` is set in a bitmap of 64-bit words, lowest word first.
fn has(bits: &[u64], n: usize) -> bool {
    bits.get(n / 64).is_some_and(|w| w >> (n % 64) & 1 == 1)
}

/// Parses a sysfs bitmap: hexadecimal words of `word_bits` bits, most significant first,
/// separated by spaces (`"1 0 0 3"`). Returns 64-bit words, lowest first; `None` when a word is
/// not hexadecimal.
pub fn parse_bitmap(text: &str, word_bits: u32) -> Option<Vec<u64>> {
    let mut bits = Vec::new();
    for (i, word) in text.split_whitespace().rev().enumerate() {
        let value = u64::from_str_radix(word, 16).ok()?;
        for b in 0..word_bits as usize {
            if value >> b & 1 == 1 {
                let n = i * word_bits as usize + b;
                if bits.len() <= n / 64 {
                    bits.resize(n / 64 + 1, 0);
                }
                bits[n / 64] |= 1 << (n % 64);
            }
        }
    }
    Some(bits)
}

/// What a device is to libinput, in the order of udev's `input_id`: a device with absolute X/Y
/// is a tablet when it has a pen, a touchscreen when it reports touches directly on a display
/// (or touches without a touchpad's finger tool), a mouse when it has a left button and no
/// touch; relative X/Y with a left button is a mouse. Anything else (keyboards, keypads,
/// buttons, touchpads, joysticks) is `None`: not the screen's.
pub fn classify(c: &Capabilities) -> Option<PointerKind> {
    let abs_xy = (has(&c.abs, ABS_X) && has(&c.abs, ABS_Y)) || (has(&c.abs, ABS_MT_POSITION_X) && has(&c.abs, ABS_MT_POSITION_Y));
    let rel_xy = has(&c.rel, REL_X) && has(&c.rel, REL_Y);
    let touch = has(&c.key, BTN_TOUCH);
    if abs_xy {
        if has(&c.key, BTN_TOOL_PEN) || has(&c.key, BTN_STYLUS) {
            return Some(PointerKind::Tablet);
        }
        if touch && (has(&c.props, INPUT_PROP_DIRECT) || !has(&c.key, BTN_TOOL_FINGER)) {
            return Some(PointerKind::Touchscreen);
        }
        if has(&c.key, BTN_LEFT) && !touch {
            return Some(PointerKind::Mouse);
        }
        return None;
    }
    (rel_xy && has(&c.key, BTN_LEFT)).then_some(PointerKind::Mouse)
}

/// The database entry for a device of `kind`: initialized (`I:`), its properties (`E:`), and
/// the `seat` tag so that seat-aware readers see it on the default seat.
pub fn entry(kind: PointerKind, initialized_usec: u64) -> String {
    let mut text = format!("I:{initialized_usec}\n");
    for property in kind.properties() {
        text.push_str(&format!("E:{property}\n"));
    }
    text.push_str("G:seat\nQ:seat\n");
    text
}

/// Why the entries could not be published.
#[derive(Debug, thiserror::Error)]
pub enum TouchInputError {
    /// A sysfs file could not be read or the database could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A sysfs file held something other than what the kernel writes there.
    #[error("{path}: unexpected contents {text:?}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What it held.
        text: String,
    },
}

fn read(path: &Path) -> Result<String, TouchInputError> {
    fs::read_to_string(path).map_err(|source| TouchInputError::Io { path: path.to_owned(), source })
}

/// One published device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// `event3`.
    pub name: String,
    /// The device's name as its driver gives it.
    pub device_name: String,
    /// What it was published as.
    pub kind: PointerKind,
}

/// Reads the capabilities of input node `event` under `sys_input` (`/sys/class/input`).
fn capabilities(sys_input: &Path, event: &str) -> Result<Capabilities, TouchInputError> {
    // The kernel writes its `long`s: this program's word on Linux (a 32-bit program on a
    // 64-bit kernel would read them wrongly; the device's programs match its kernel).
    let word_bits = usize::BITS.min(u64::BITS);
    let device = sys_input.join(event).join("device");
    let bitmap = |rel: &str| -> Result<Vec<u64>, TouchInputError> {
        let path = device.join(rel);
        // A missing bitmap (no relative axes, say) is an empty one.
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(TouchInputError::Io { path, source }),
        };
        parse_bitmap(&text, word_bits).ok_or(TouchInputError::Malformed { path, text })
    };
    Ok(Capabilities {
        key: bitmap("capabilities/key")?,
        abs: bitmap("capabilities/abs")?,
        rel: bitmap("capabilities/rel")?,
        props: bitmap("properties")?,
    })
}

/// Writes the database entry of every screen input device under `sys_input` into `db_dir`
/// (creating it) and removes the entries this module wrote for devices that are gone.
/// Entries of other devices are left alone. Returns what was published.
pub fn publish(sys_input: &Path, db_dir: &Path) -> Result<Vec<Published>, TouchInputError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| TouchInputError::Io { path, source }
    };
    fs::create_dir_all(db_dir).map_err(io_err(db_dir))?;
    let mut names: Vec<String> = fs::read_dir(sys_input)
        .map_err(io_err(sys_input))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("event"))
        .collect();
    names.sort();
    let mut published = Vec::new();
    let mut kept = Vec::new();
    for name in names {
        let Some(kind) = classify(&capabilities(sys_input, &name)?) else { continue };
        let dev_path = sys_input.join(&name).join("dev");
        let dev = read(&dev_path)?;
        let dev = dev.trim();
        if dev.split(':').count() != 2 || !dev.split(':').all(|p| p.parse::<u32>().is_ok()) {
            return Err(TouchInputError::Malformed { path: dev_path, text: dev.to_owned() });
        }
        let file = db_dir.join(format!("c{dev}"));
        fs::write(&file, entry(kind, 1)).map_err(io_err(&file))?;
        // A marker beside the entry says that this module wrote it (and may remove it).
        let marker = db_dir.join(format!("c{dev}.hadir"));
        fs::write(&marker, &name).map_err(io_err(&marker))?;
        kept.push(format!("c{dev}"));
        let device_name = fs::read_to_string(sys_input.join(&name).join("device/name")).unwrap_or_default().trim().to_owned();
        published.push(Published { name, device_name, kind });
    }
    for entry in fs::read_dir(db_dir).map_err(io_err(db_dir))?.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(base) = file.strip_suffix(".hadir")
            && !kept.iter().any(|k| k == base)
        {
            let _ = fs::remove_file(db_dir.join(base));
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(key: &[usize], abs: &[usize], rel: &[usize], props: &[usize]) -> Capabilities {
        let bits = |codes: &[usize]| {
            let mut words = vec![0u64; 12];
            for &c in codes {
                words[c / 64] |= 1 << (c % 64);
            }
            words
        };
        Capabilities { key: bits(key), abs: bits(abs), rel: bits(rel), props: bits(props) }
    }

    const KEY_A: usize = 30;
    const KEY_KP1: usize = 79;
    const ABS_PRESSURE: usize = 0x18;
    const BTN_RIGHT: usize = 0x111;

    #[test]
    fn devices_are_classified_as_udev_would() {
        let cases: &[(&str, Capabilities, Option<PointerKind>)] = &[
            ("single-touch panel", caps(&[BTN_TOUCH], &[ABS_X, ABS_Y, ABS_PRESSURE], &[], &[]), Some(PointerKind::Touchscreen)),
            (
                "multi-touch panel (direct)",
                caps(&[BTN_TOUCH, BTN_TOOL_FINGER], &[ABS_X, ABS_Y, ABS_MT_POSITION_X, ABS_MT_POSITION_Y], &[], &[INPUT_PROP_DIRECT]),
                Some(PointerKind::Touchscreen),
            ),
            ("multi-touch only axes", caps(&[BTN_TOUCH], &[ABS_MT_POSITION_X, ABS_MT_POSITION_Y], &[], &[INPUT_PROP_DIRECT]), Some(PointerKind::Touchscreen)),
            ("touchpad (finger tool, not direct)", caps(&[BTN_TOUCH, BTN_TOOL_FINGER, BTN_LEFT], &[ABS_X, ABS_Y], &[], &[]), None),
            ("QEMU tablet (absolute mouse)", caps(&[BTN_LEFT, BTN_RIGHT], &[ABS_X, ABS_Y], &[], &[]), Some(PointerKind::Mouse)),
            ("pen tablet", caps(&[BTN_TOUCH, BTN_TOOL_PEN, BTN_STYLUS], &[ABS_X, ABS_Y, ABS_PRESSURE], &[], &[]), Some(PointerKind::Tablet)),
            ("mouse", caps(&[BTN_LEFT, BTN_RIGHT], &[], &[REL_X, REL_Y], &[]), Some(PointerKind::Mouse)),
            ("keyboard", caps(&[KEY_A, KEY_KP1], &[], &[], &[]), None),
            ("USB keypad", caps(&[KEY_KP1], &[], &[], &[]), None),
            ("scroll wheel only", caps(&[], &[], &[0x08], &[]), None),
            ("only X", caps(&[BTN_TOUCH], &[ABS_X], &[], &[]), None),
            ("nothing", Capabilities::default(), None),
        ];
        for (name, c, want) in cases {
            assert_eq!(classify(c), *want, "{name}");
        }
    }

    #[test]
    fn bitmaps_parse_in_64_and_32_bit_words() {
        // BTN_TOUCH (330) and BTN_LEFT (272): as a 64-bit kernel writes them ...
        let k64 = parse_bitmap("400 10000 0 0 0 0", 64).expect("hex");
        assert!(has(&k64, BTN_TOUCH) && has(&k64, BTN_LEFT) && !has(&k64, BTN_TOOL_PEN));
        // ... and as a 32-bit one: the same bits.
        let k32 = parse_bitmap("400 0 10000 0 0 0 0 0 0 0 0", 32).expect("hex");
        assert_eq!(k32, k64);
        assert_eq!(parse_bitmap("3", 64), Some(vec![3]));
        assert_eq!(parse_bitmap("0", 64), Some(vec![]));
        assert_eq!(parse_bitmap("", 64), Some(vec![]));
        assert_eq!(parse_bitmap("1 zz", 64), None);
    }

    #[test]
    fn entries_mark_the_device_initialized_with_its_kind() {
        assert_eq!(entry(PointerKind::Touchscreen, 1), "I:1\nE:ID_INPUT=1\nE:ID_INPUT_TOUCHSCREEN=1\nG:seat\nQ:seat\n");
        assert!(entry(PointerKind::Mouse, 5).contains("E:ID_INPUT_MOUSE=1\n"));
    }

    /// A sysfs tree with a QEMU tablet (event1) and a keyboard (event0).
    fn fake_sysfs(root: &Path) {
        let node = |name: &str, dev: &str, dev_name: &str, key: &str, abs: &str| {
            let d = root.join(name).join("device");
            fs::create_dir_all(d.join("capabilities")).unwrap();
            fs::write(root.join(name).join("dev"), format!("{dev}\n")).unwrap();
            fs::write(d.join("name"), format!("{dev_name}\n")).unwrap();
            fs::write(d.join("capabilities/key"), format!("{key}\n")).unwrap();
            fs::write(d.join("capabilities/abs"), format!("{abs}\n")).unwrap();
            fs::write(d.join("capabilities/rel"), "0\n").unwrap();
            fs::write(d.join("properties"), "0\n").unwrap();
        };
        node("event0", "13:64", "QEMU USB Keyboard", "ffefffff ffffffff fffffffe", "0");
        node("event1", "13:65", "QEMU Virtio Tablet", "70000 0 0 0 0", "3");
        fs::create_dir_all(root.join("input0")).unwrap();
    }

    #[test]
    fn publish_writes_screen_devices_only_and_removes_its_stale_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (sys, db) = (dir.path().join("sys"), dir.path().join("db"));
        fake_sysfs(&sys);
        fs::create_dir_all(&db).unwrap();
        // Someone else's entry and a stale one of ours.
        fs::write(db.join("c13:70"), "I:9\n").unwrap();
        fs::write(db.join("c13:99"), "I:1\n").unwrap();
        fs::write(db.join("c13:99.hadir"), "event35").unwrap();
        let published = publish(&sys, &db).unwrap();
        assert_eq!(
            published,
            vec![Published { name: "event1".into(), device_name: "QEMU Virtio Tablet".into(), kind: PointerKind::Mouse }]
        );
        assert_eq!(fs::read_to_string(db.join("c13:65")).unwrap(), entry(PointerKind::Mouse, 1));
        assert!(!db.join("c13:64").exists(), "the keyboard is the kiosk's, not libinput's");
        assert!(!db.join("c13:99").exists() && !db.join("c13:99.hadir").exists(), "stale entry removed");
        assert!(db.join("c13:70").exists(), "another writer's entry is kept");
    }

    #[test]
    fn malformed_sysfs_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("sys");
        fake_sysfs(&sys);
        fs::write(sys.join("event1/device/capabilities/abs"), "xyz\n").unwrap();
        let err = publish(&sys, &dir.path().join("db")).unwrap_err();
        assert!(err.to_string().contains("event1/device/capabilities/abs"), "{err}");
        assert!(err.to_string().contains("xyz"), "{err}");
    }
}
