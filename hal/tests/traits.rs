//! Trait contracts, run against the simulated devices and, where this machine allows, the
//! real ones (serial GPS over a pseudo-terminal, the watchdog over a file, GPIO's error path).

use hadir_hal::camera::{Camera, FolderCamera, Scene, ScriptStep, ScriptedCamera};
use hadir_hal::clock::{Clock, ManualClock};
use hadir_hal::gps::{Gps, ReplayGps, ReplayPace};
use hadir_hal::keypad::{Key, Keypad, Layout, MatrixKeypad, ScriptedKeypad, SimPinBank};
use hadir_hal::watchdog::{FileWatchdog, SimWatchdog, Watchdog};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    assert!(
        dir.join("nmea").is_dir() && dir.join("faces").is_dir(),
        "shared test data missing at {}: set HADIR_SHARED_DIR to the folder holding `nmea/` and `faces/`",
        dir.display()
    );
    dir
}

/// Every camera: frames of the advertised size, increasing sequence, monotonic timestamps.
fn camera_contract(camera: &mut dyn Camera, frames: usize) {
    let (w, h) = camera.size();
    let mut last: Option<(u64, Duration)> = None;
    for _ in 0..frames {
        let frame = camera.frame().expect("frame");
        assert_eq!(frame.image.dimensions(), (w, h));
        if let Some((seq, ts)) = last {
            assert!(frame.sequence > seq, "sequence must increase");
            assert!(frame.timestamp >= ts, "timestamps must not go back");
        }
        last = Some((frame.sequence, frame.timestamp));
    }
}

#[test]
fn camera_contract_simulated() {
    let faces = shared_dir().join("faces");
    let photo = image::open(faces.join("people/biden")
        .read_dir().unwrap().next().unwrap().unwrap().path()).unwrap().into_rgb8();
    let mut scripted = ScriptedCamera::new(
        vec![
            ScriptStep { scene: Scene::Photo(photo.clone()), frames: 2 },
            ScriptStep { scene: Scene::NoFace, frames: 1 },
            ScriptStep { scene: Scene::TwoFaces(photo.clone(), photo.clone()), frames: 1 },
            ScriptStep { scene: Scene::Dark(Some(photo)), frames: 1 },
        ],
        320,
        240,
    )
    .unwrap();
    camera_contract(&mut scripted, 6);
    let mut folder = FolderCamera::open(&faces.join("groups"), 320, 240).unwrap();
    camera_contract(&mut folder, 4);
}

/// The real camera, when a device is given (the firmware-image tests run it against `vivid`).
#[test]
#[ignore = "needs a V4L2 device: HADIR_TEST_CAMERA=/dev/video0 cargo test -p hadir-hal -- --ignored"]
#[cfg(feature = "v4l")]
fn camera_contract_v4l() {
    let device = std::env::var("HADIR_TEST_CAMERA").expect("set HADIR_TEST_CAMERA to a video device");
    let config = hadir_hal::camera::CameraConfig { device, ..Default::default() };
    let mut camera = hadir_hal::camera::V4lCamera::open(config).unwrap();
    camera_contract(&mut camera, 10);
}

/// Every keypad: nothing when idle; the keys given, in order, once each, however long held.
fn keypad_contract<K: Keypad>(
    keypad: &mut K,
    clock: &ManualClock,
    mut press: impl FnMut(&mut K, Key, bool),
    keys: &[Key],
) {
    assert_eq!(keypad.poll().unwrap(), None);
    let mut got = Vec::new();
    for &key in keys {
        for down in [true, false] {
            press(keypad, key, down);
            for _ in 0..20 {
                clock.advance(Duration::from_millis(10));
                got.extend(keypad.poll().unwrap());
            }
        }
    }
    assert_eq!(got, keys);
}

#[test]
fn keypad_contract_matrix_and_scripted() {
    let keys = [Key::Letter('A'), Key::Digit(1), Key::Digit(9), Key::Hash];
    let clock = ManualClock::new();
    let layout = Layout::phone_4x4();
    let mut matrix =
        MatrixKeypad::new(SimPinBank::new(4, 4), layout.clone(), Duration::from_millis(20), Arc::new(clock.clone()))
            .unwrap();
    // Hold the key's contact on the simulated bank.
    let press = |kp: &mut MatrixKeypad<SimPinBank>, key: Key, down: bool| {
        let (r, c) = layout
            .0
            .iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(|k| *k == key).map(|c| (r, c)))
            .unwrap();
        kp.bank_mut().set(r, c, down);
    };
    keypad_contract(&mut matrix, &clock, press, &keys);

    let clock = ManualClock::new();
    let mut scripted = ScriptedKeypad::typed("A19#", Duration::from_millis(400), Arc::new(clock.clone()));
    keypad_contract(&mut scripted, &clock, |_, _, _| {}, &keys);
}

/// Every GPS: fixes are never older than the limit and carry a sane position.
fn gps_contract(gps: &mut dyn Gps, clock: &ManualClock, seconds: u32) -> usize {
    let mut fixes = 0;
    for _ in 0..seconds * 4 {
        if let Some(fix) = gps.fix().unwrap() {
            assert!(fix.age <= Duration::from_secs(2), "stale fix {fix:?}");
            assert!((-90.0..=90.0).contains(&fix.lat) && (-180.0..=180.0).contains(&fix.lon));
            fixes += 1;
        }
        clock.advance(Duration::from_millis(250));
    }
    fixes
}

#[test]
fn gps_contract_replay() {
    let clock = ManualClock::new();
    let path = shared_dir().join("nmea/bu353s4.log");
    let mut gps = ReplayGps::open(&path, ReplayPace::Recorded, Duration::from_secs(2), Arc::new(clock.clone())).unwrap();
    assert!(gps_contract(&mut gps, &clock, 30) > 0);
    assert!(gps.stats().sentences > 0);
}

/// The real serial GPS over a pseudo-terminal pair: the same bytes a receiver would send.
#[test]
#[cfg(feature = "serial")]
fn gps_contract_serial() {
    use hadir_hal::gps::{SerialConfig, SerialGps};
    use serialport::SerialPort;
    use std::io::Write;
    let (mut master, slave) = serialport::TTYPort::pair().expect("pseudo-terminal pair");
    let device = slave.name().expect("pty name");
    let clock = ManualClock::new();
    let config = SerialConfig { device: device.clone(), baud: 9600, max_age_secs: 2 };
    let mut gps = SerialGps::open(config, Arc::new(clock.clone())).unwrap();
    let capture = std::fs::read_to_string(shared_dir().join("nmea/bt-q818.log")).unwrap();
    let mut seen = 0;
    for line in capture.lines().filter(|l| !l.starts_with('#')) {
        master.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        master.flush().unwrap();
        // The port's read timeout (20 ms) lets the bytes arrive; no sleeping here.
        if let Some(fix) = gps.fix().unwrap() {
            assert!((fix.lat - 34.0329).abs() < 0.01 && (fix.lon + 117.7471).abs() < 0.01, "{fix:?}");
            seen += 1;
        }
    }
    assert!(gps.stats().sentences > 50, "{:?}", gps.stats());
    assert!(seen > 0, "no fix came through the serial port");
    // Two seconds of silence: the fix is too old to count.
    clock.advance(Duration::from_secs(3));
    assert_eq!(gps.fix().unwrap(), None);
    // A device that does not exist is named in the error.
    let missing = SerialGps::open(SerialConfig { device: "/dev/hadir-no-such-tty".into(), ..Default::default() }, Arc::new(clock));
    let message = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("/dev/hadir-no-such-tty"), "{message}");
}

/// Every watchdog accepts feeds and a disarm.
fn watchdog_contract(watchdog: &mut dyn Watchdog) {
    for _ in 0..3 {
        watchdog.feed().unwrap();
    }
    watchdog.disarm().unwrap();
}

#[test]
fn watchdog_contract_sim_and_file() {
    let sim = SimWatchdog::new();
    watchdog_contract(&mut sim.clone());
    assert_eq!(sim.actions().len(), 4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watchdog");
    std::fs::write(&path, b"").unwrap();
    watchdog_contract(&mut FileWatchdog::open(&path).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), b"\0\0\0V");
}

/// On a machine without the board's GPIO, the real devices fail with the pin named.
#[test]
#[cfg(feature = "gpio")]
fn gpio_devices_name_the_pin_when_unavailable() {
    use hadir_hal::keypad::{GpioPinBank, MatrixConfig};
    use hadir_hal::outputs::{GpioOutputs, OutputsConfig};
    use hadir_hal::tamper::GpioTamper;
    if std::path::Path::new("/dev/gpiomem").exists() {
        eprintln!("GPIO present: the error path is not reachable on this machine");
        return;
    }
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let err = GpioPinBank::open(&MatrixConfig::default()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("GPIO 5"), "{err}");
    let err = GpioOutputs::open(&OutputsConfig::default(), clock.clone()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("GPIO 23") && err.contains("green LED"), "{err}");
    let err = GpioTamper::open(26, Duration::from_millis(50), clock).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("GPIO 26"), "{err}");
}

/// The real USB keypad path through a virtual input device, unplugged and plugged back (needs
/// `/dev/uinput`, absent in most containers; `cargo xtask qemu-test` types on an emulated USB
/// keyboard in the booted image instead).
#[test]
#[ignore = "needs /dev/uinput (root): cargo test -p hadir-hal -- --ignored"]
#[cfg(feature = "evdev")]
fn keypad_contract_evdev_uinput() {
    use evdev::uinput::VirtualDevice;
    use evdev::{AttributeSet, EventType, InputEvent, KeyCode};
    use hadir_hal::keypad::EvdevKeypad;
    let mut keys = AttributeSet::<KeyCode>::new();
    for k in [KeyCode::KEY_KP1, KeyCode::KEY_KP2, KeyCode::KEY_KPENTER] {
        keys.insert(k);
    }
    let mut virtual_keypad = VirtualDevice::builder()
        .expect("/dev/uinput")
        .name("hadir test keypad")
        .with_keys(&keys)
        .unwrap()
        .build()
        .unwrap();
    let mut keypad = EvdevKeypad::open_named("hadir test keypad").unwrap();
    let press = |device: &mut VirtualDevice| {
        for code in [KeyCode::KEY_KP1, KeyCode::KEY_KP2, KeyCode::KEY_KPENTER] {
            // Down, auto-repeat (must not repeat the key), up.
            for value in [1, 2, 0] {
                device.emit(&[InputEvent::new(EventType::KEY.0, code.0, value)]).unwrap();
            }
        }
    };
    let read = |keypad: &mut EvdevKeypad| {
        let mut got = Vec::new();
        for _ in 0..600 {
            got.extend(keypad.poll().ok().flatten());
            if got.len() == 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        got
    };
    press(&mut virtual_keypad);
    assert_eq!(read(&mut keypad), [Key::Digit(1), Key::Digit(2), Key::Enter]);
    // Unplugged: one error, then quiet; plugged back (another event node, same name): it reads
    // again without being opened anew.
    drop(virtual_keypad);
    let mut errors = 0;
    for _ in 0..20 {
        errors += usize::from(keypad.poll().is_err());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(errors, 1, "the loss is said once");
    let mut again = VirtualDevice::builder().expect("/dev/uinput").name("hadir test keypad").with_keys(&keys).unwrap().build().unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let _ = keypad.poll();
    press(&mut again);
    assert_eq!(read(&mut keypad), [Key::Digit(1), Key::Digit(2), Key::Enter], "back after being plugged in again");
}
