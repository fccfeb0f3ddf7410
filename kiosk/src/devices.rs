//! # Building the kiosk's devices from the configuration
//!
//! [`simulated`] gives the devices of `--sim` (a folder of face photos as the camera, scripted
//! keys, a replayed NMEA capture, recorded outputs, a simulated watchdog, a file as the
//! enclosure switch); [`real`] (feature
//! `devices`) opens the board's: V4L2 camera, USB keypad through evdev, NMEA GPS on a serial
//! port (field mode), GPIO outputs and `/dev/watchdog`.
//!
//! It must not contain device logic: that is `hadir-hal`'s.

use crate::config::KioskConfig;
use crate::face::FaceCheck;
use crate::runtime::{Devices, Display};
use hadir_hal::clock::{Clock, SystemClock};
use std::sync::Arc;
use std::time::Duration;

/// Why a device could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The camera.
    #[error("camera: {0}")]
    Camera(#[from] hadir_hal::camera::CameraError),
    /// The keypad.
    #[error("keypad: {0}")]
    Keypad(#[from] hadir_hal::keypad::KeypadError),
    /// The GPS.
    #[error("gps: {0}")]
    Gps(#[from] hadir_hal::gps::GpsError),
    /// Outputs.
    #[error("outputs: {0}")]
    Outputs(#[from] hadir_hal::outputs::OutputError),
    /// Watchdog.
    #[error("watchdog: {0}")]
    Watchdog(#[from] hadir_hal::watchdog::WatchdogError),
    /// Configuration missing for a device.
    #[error("config key `{key}`: {fix}")]
    Config {
        /// The key.
        key: &'static str,
        /// What to set.
        fix: &'static str,
    },
}

/// The simulated devices of `--sim`.
pub fn simulated(cfg: &KioskConfig, face: Box<dyn FaceCheck>, display: Box<dyn Display>) -> Result<Devices, DeviceError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let faces = cfg.sim.faces_dir.as_ref().ok_or(DeviceError::Config {
        key: "sim.faces_dir",
        fix: "set a folder of face photos for the simulated camera (e.g. ../shared/faces/people/obama)",
    })?;
    let camera = hadir_hal::camera::FolderCamera::open(faces, cfg.camera.width, cfg.camera.height)?;
    let keypad: Box<dyn hadir_hal::keypad::Keypad> = if cfg.sim.real_keypad {
        configured_keypad(cfg, clock.clone())?
    } else {
        Box::new(hadir_hal::keypad::ScriptedKeypad::typed(&cfg.sim.keys, Duration::from_millis(400), clock.clone()))
    };
    let gps: Option<Box<dyn hadir_hal::gps::Gps>> = match &cfg.sim.nmea {
        Some(path) => Some(Box::new(hadir_hal::gps::ReplayGps::open(
            path,
            hadir_hal::gps::ReplayPace::Recorded,
            Duration::from_secs(u64::from(cfg.policy.max_fix_age_s)),
            clock.clone(),
        )?)),
        None => None,
    };
    Ok(Devices {
        camera: Box::new(camera),
        keypad,
        gps,
        outputs: Box::new(hadir_hal::outputs::SimOutputs::new(clock.clone(), false)),
        watchdog: Some(Box::new(hadir_hal::watchdog::SimWatchdog::new())),
        // The file switch, else the real one `[tamper]` names (the QEMU test's input device).
        tamper: match &cfg.sim.tamper_file {
            Some(p) => Some(Box::new(hadir_hal::tamper::FileTamper::new(p, clock.clone()))),
            None => configured_tamper(cfg, &clock),
        },
        display,
        face,
    })
}

/// The keypad `[keypad]` names, for `--sim` with `sim.real_keypad`: waited for up to 10 s (a USB
/// keypad may still be enumerating while the system starts), then an error — a test that asked
/// for it must not go on without it.
#[cfg(feature = "devices")]
fn configured_keypad(cfg: &KioskConfig, clock: Arc<dyn Clock>) -> Result<Box<dyn hadir_hal::keypad::Keypad>, DeviceError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match open_keypad(&cfg.keypad, clock.clone()) {
            Ok(k) => {
                tracing::info!(kind = ?cfg.keypad.kind, name = ?cfg.keypad.name, "keypad of [keypad] opened beside the simulated camera");
                return Ok(k);
            }
            Err(e) if std::time::Instant::now() >= deadline => return Err(e.into()),
            Err(e) => {
                tracing::info!(error = %e, "waiting for the keypad");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// Without the board's drivers there is no keypad to read.
#[cfg(not(feature = "devices"))]
fn configured_keypad(_: &KioskConfig, _: Arc<dyn Clock>) -> Result<Box<dyn hadir_hal::keypad::Keypad>, DeviceError> {
    Err(DeviceError::Config { key: "sim.real_keypad", fix: "build the kiosk with the `devices` feature, or type `sim.keys`" })
}

/// The board's devices.
#[cfg(feature = "devices")]
pub fn real(cfg: &KioskConfig, face: Box<dyn FaceCheck>, display: Box<dyn Display>) -> Result<Devices, DeviceError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let camera = hadir_hal::camera::V4lCamera::open(hadir_hal::camera::CameraConfig {
        device: cfg.camera.device.display().to_string(),
        width: cfg.camera.width,
        height: cfg.camera.height,
        buffers: 4,
        timeout_ms: 1000,
    })?;
    // Only the camera is indispensable: a kiosk with a touchscreen works without its keypad, and
    // a missing buzzer or watchdog is logged, not fatal (a kiosk that restarts forever takes
    // no records at all).
    let keypad: Box<dyn hadir_hal::keypad::Keypad> = match open_keypad(&cfg.keypad, clock.clone()) {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, kind = ?cfg.keypad.kind, "no keypad: the touchscreen only");
            Box::new(NoKeypad)
        }
    };
    let gps: Option<Box<dyn hadir_hal::gps::Gps>> = if cfg.policy.mode == crate::policy::Mode::Field {
        Some(Box::new(hadir_hal::gps::SerialGps::open(
            hadir_hal::gps::SerialConfig {
                device: cfg.gps.device.display().to_string(),
                baud: cfg.gps.baud,
                max_age_secs: u64::from(cfg.policy.max_fix_age_s),
            },
            clock.clone(),
        )?))
    } else {
        None
    };
    let outputs: Box<dyn hadir_hal::outputs::Outputs> =
        match hadir_hal::outputs::GpioOutputs::open(&Default::default(), clock.clone()) {
            Ok(o) => Box::new(o),
            Err(e) => {
                tracing::warn!(error = %e, "no GPIO outputs: buzzer and LEDs are only logged");
                Box::new(hadir_hal::outputs::SimOutputs::new(clock.clone(), false))
            }
        };
    let watchdog: Option<Box<dyn hadir_hal::watchdog::Watchdog>> =
        match hadir_hal::watchdog::FileWatchdog::open(std::path::Path::new("/dev/watchdog")) {
            Ok(w) => Some(Box::new(w)),
            Err(e) => {
                tracing::warn!(error = %e, "kiosk does not feed the hardware watchdog (another feeder, or none)");
                None
            }
        };
    let tamper = configured_tamper(cfg, &clock);
    Ok(Devices { camera: Box::new(camera), keypad, gps, outputs, watchdog, tamper, display, face })
}

/// The tamper switch `[tamper]` names: on a GPIO pin or an input device. A switch that cannot be
/// opened is reported, not fatal: the kiosk records attendance without it, and its health
/// report then says the device has none.
#[cfg(feature = "devices")]
fn configured_tamper(cfg: &KioskConfig, clock: &Arc<dyn Clock>) -> Option<Box<dyn hadir_hal::tamper::TamperSwitch>> {
    use hadir_hal::tamper::{EvdevTamper, GpioTamper, TamperError, TamperSwitch};
    let t = &cfg.tamper;
    let opened: Result<Box<dyn TamperSwitch>, TamperError> = match (t.pin, &t.input) {
        (Some(pin), _) => GpioTamper::open(pin, Duration::from_millis(t.debounce_ms), clock.clone()).map(|s| Box::new(s) as Box<dyn TamperSwitch>),
        (None, Some(name)) => EvdevTamper::input_of(t.input_code.as_deref())
            .map_err(|reason| TamperError::Input { device: name.clone(), reason })
            .and_then(|input| EvdevTamper::open_named(name, input))
            .map(|s| Box::new(s) as Box<dyn TamperSwitch>),
        (None, None) => return None,
    };
    opened.map_err(|e| tracing::error!(error = %e, "tamper switch not opened")).ok()
}

/// Without the board's drivers there is no switch to read.
#[cfg(not(feature = "devices"))]
fn configured_tamper(_: &KioskConfig, _: &Arc<dyn Clock>) -> Option<Box<dyn hadir_hal::tamper::TamperSwitch>> {
    None
}

/// The keypad `[keypad]` names: a USB keypad by name or path, a GPIO matrix, or none.
#[cfg(feature = "devices")]
fn open_keypad(
    cfg: &crate::config::KeypadSection,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn hadir_hal::keypad::Keypad>, hadir_hal::keypad::KeypadError> {
    use crate::config::KeypadKind;
    use hadir_hal::keypad::{EvdevKeypad, GpioPinBank, MatrixKeypad};
    Ok(match (cfg.kind, &cfg.name) {
        (KeypadKind::Usb, Some(name)) => Box::new(EvdevKeypad::open_named(name)?),
        (KeypadKind::Usb, None) => Box::new(EvdevKeypad::open(&cfg.evdev.display().to_string())?),
        (KeypadKind::Matrix, _) => {
            let layout = cfg.matrix.check()?;
            Box::new(MatrixKeypad::new(GpioPinBank::open(&cfg.matrix)?, layout, cfg.matrix.debounce(), clock)?)
        }
        (KeypadKind::None, _) => Box::new(NoKeypad),
    })
}

/// A keypad that is not there (touchscreen-only kiosks).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeypad;

impl hadir_hal::keypad::Keypad for NoKeypad {
    fn poll(&mut self) -> Result<Option<hadir_hal::keypad::Key>, hadir_hal::keypad::KeypadError> {
        Ok(None)
    }
}
