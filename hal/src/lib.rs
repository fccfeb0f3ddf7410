//! # hadir-hal: the kiosk's devices
//!
//! One small trait per device (camera, keypad, GPS, outputs, tamper switch, watchdog), in the
//! embedded-hal manner: fallible methods, no paths or pin numbers in the API. Each trait has a
//! real implementation behind a Cargo feature and a simulated one for desktops and tests.
//! Configuration structs (device paths, pins) are taken by the constructors only.
//!
//! This crate owns the hardware and nothing else: it never decides attendance, and it never
//! prints or sleeps in library code (time comes from an injected [`clock::Clock`]).
//!
//! Features (all on by default, so every build compiles the real paths): `v4l` (camera),
//! `gpio` (matrix keypad, LEDs, buzzer, relay, tamper through `rppal`), `serial` (GPS),
//! `evdev` (USB keypads, a tamper switch as an input device); `camera` (frames: the camera
//! trait, the simulated cameras, conversion, the overlay; the image codecs) and `cli` (the
//! binary). Without any, the crate is the pure paths (NMEA, keypad logic, clocks), what the
//! NMEA fuzz target builds.
//!
//! # Layout
//!
//! - [`clock`]: `Clock` (`SystemClock`, `ManualClock`), injected wherever time matters.
//! - [`gps`]: trait `Gps { fix(), stats() }`, `Fix { time, lat, lon, alt, mode, sats, hdop,
//!   hdop_centi, age, doubts }`, `FixMode`, `NmeaStats`; `NmeaDecoder` (pure, NMEA 0183
//!   2.0–4.11) → `DecodedFix { fix, received, speed_mps, sky }`; `FixTracker` (ages the
//!   latest fix, and its `plausibility::Watch` gives each fix its `ReceiverDoubts`);
//!   `ReplayGps::open(path, ReplayPace, max_age, clock)`;
//!   `SerialGps::open(SerialConfig, clock)` (`serial`); `gps::plausibility::Checker` (pure:
//!   teleports, frozen positions, uniform signal strengths, zero HDOP, clock skew).
//! - [`camera`]: trait `Camera { frame(), size() }`, `Frame { image: RgbImage, timestamp,
//!   sequence }`; `V4lCamera::open(CameraConfig)` and `list_devices()` (`v4l`);
//!   `FolderCamera::open(dir, w, h)`; `ScriptedCamera::new(Vec<ScriptStep>, w, h)` with
//!   `Scene::{Photo, NoFace, TwoFaces, Dark}`; `camera::convert` (YUYV/MJPEG → RGB, pure).
//! - [`keypad`]: trait `Keypad { poll() }`, `Key`; `MatrixKeypad::new(PinBank, Layout,
//!   debounce, clock)` over `GpioPinBank::open(&MatrixConfig)` (`gpio`) or `SimPinBank`;
//!   `EvdevKeypad::open(path)` or `open_named(name)` (`evdev`); `ScriptedKeypad::{new, typed}`.
//! - [`input_device`] (`evdev`): `pick_by_name` (pure), `open_named(name)`: the keypad's and the
//!   tamper switch's Linux input devices, found by name whatever their `eventN`.
//! - [`outputs`]: trait `Outputs { signal(Signal), update(), set_door(bool) }`, `Signal::{Ok,
//!   Confirm, Reject}`, `PatternPlayer` (pure); `GpioOutputs::open(&OutputsConfig, clock)`
//!   (`gpio`); `SimOutputs::new(clock, has_relay)`.
//! - [`tamper`]: trait `TamperSwitch { poll() }` → `TamperEvent::{Opened, Closed}`;
//!   `GpioTamper::open(pin, debounce, clock)` (`gpio`); `EvdevTamper::open_named(name,
//!   TamperInput)` (`evdev`: a `gpio-keys` switch or key); `SimTamper::new(clock)`.
//! - [`watchdog`]: trait `Watchdog { feed(), disarm() }`; `FileWatchdog::open(path)`;
//!   `SimWatchdog`; `WatchdogKeeper::new(watchdog, interval).tick(healthy, now)`.
//! - [`touchinput`]: `classify(&Capabilities)` → `PointerKind` (pure), `publish(sys, db)`: the
//!   udev database entries libinput needs for the screen's touch devices where no udevd runs.
//! - [`overlay`]: `RgbCanvas` (a `DrawTarget` over `RgbImage`), `draw_face_box`,
//!   `draw_guide_oval`.
//!
//! The `hadir-hal` binary (`src/main.rs`) is a technician's tool over these: `gps replay [--check]`,
//! `camera list`, `camera grab`, `keypad watch`, `touch-input`, `bench`.

#[cfg(feature = "camera")]
pub mod camera;
pub mod clock;
pub mod gps;
#[cfg(feature = "evdev")]
pub mod input_device;
pub mod keypad;
pub mod outputs;
#[cfg(feature = "camera")]
pub mod overlay;
pub mod tamper;
pub mod touchinput;
pub mod watchdog;
