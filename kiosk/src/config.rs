//! # Configuration: one typed struct from TOML, validated at start-up
//!
//! Two steps in the ripgrep manner: [`KioskConfig`] is what the TOML file says (every key has a
//! default, unknown keys are refused), [`KioskConfig::validate`] checks ranges and relations and
//! names the key and the fix when something is wrong. A bad file stops start-up with the
//! line (from the TOML parser) and the fix; it never starts a half-configured kiosk.
//!
//! ```toml
//! [device]
//! data_dir = "/var/lib/hadir"
//! time_zone = "Asia/Makassar"   # WITA; the site's zone from the server's roster wins
//! language = "id"               # or "en"
//!
//! [policy]
//! mode = "field"
//! field_allow_without_fix = false
//!
//! [flow]
//! pin_length = 6
//! capture_window_ms = 4000
//! # Any failure on the PIN screen counts device-wide: 5 within 10 minutes lock the PIN screen
//! # for 30 s, then 1, 2, 5 and 15 minutes at each further lock (the last repeats); a record
//! # resets the escalation.
//! device_max_failures = 5
//! device_failure_window_min = 10
//! device_lockout_s = [30, 60, 120, 300, 900]
//! # The administrator's entry (admin button, or `#` on an empty PIN screen): stricter.
//! admin_max_failures = 3
//! admin_failure_window_min = 60
//! admin_lockout_s = [300, 900, 3600, 14400]
//! # Refused faces under one employee's PIN lock that PIN.
//! max_failures = 5
//! failure_window_min = 10
//! lockout_min = 15
//!
//! [server]
//! url = "https://hadir.example/"
//! # How the kiosk knows its server: one of these two with https://, given at provisioning.
//! cert_sha256 = "AB:CD:…"         # `openssl x509 -noout -fingerprint -sha256 -in server.pem`
//! # ca_file = "/etc/hadir/server-ca.pem"
//! # Plain http:// only on a closed network, and shown in red on the dashboard:
//! # insecure_lan = true
//! ```

use crate::flow::{FlowConfig, LockoutRule};
use crate::policy::PolicyConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the configuration is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown key or a wrong type.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value is out of range.
    #[error("config key `{key}` = {value}: {fix}")]
    Invalid {
        /// The key, dotted (`flow.pin_length`).
        key: &'static str,
        /// The value found.
        value: String,
        /// What to set instead.
        fix: String,
    },
}

/// The user-facing language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Language {
    /// Bahasa Indonesia (default).
    #[default]
    #[serde(rename = "id")]
    Indonesian,
    /// English.
    #[serde(rename = "en")]
    English,
}

/// `[device]`: where data lives and local facts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSection {
    /// Directory of the store and (by default) the device key.
    pub data_dir: PathBuf,
    /// The device key file (default `<data_dir>/device.key`).
    pub key_file: Option<PathBuf>,
    /// The office's name on the idle screen (default: the site id from the server's
    /// enrolment). The device id itself always comes from the enrolment: a device that is not
    /// enrolled records nothing.
    pub office: String,
    /// The site's IANA time zone until the server's roster names it (`Asia/Jakarta` WIB,
    /// `Asia/Makassar` WITA, `Asia/Jayapura` WIT).
    pub time_zone: String,
    /// `id` or `en`.
    pub language: Language,
    /// Argon2 PHC string of the administrator PIN (enrolment); none disables enrolment.
    pub admin_pin_hash: Option<String>,
    /// JPEG quality of the evidence photo (1–100).
    pub photo_quality: u8,
    /// A file created once the kiosk can take a record (init scripts wait for it); the
    /// environment variable `HADIR_READY_FILE` overrides it.
    pub ready_file: Option<PathBuf>,
}

impl Default for DeviceSection {
    fn default() -> Self {
        DeviceSection {
            data_dir: PathBuf::from("/var/lib/hadir"),
            key_file: None,
            office: String::new(),
            time_zone: hadir_rules::DEFAULT_ZONE.to_owned(),
            language: Language::Indonesian,
            admin_pin_hash: None,
            photo_quality: 80,
            ready_file: None,
        }
    }
}

/// `[flow]`: timeouts and limits of the attendance flow.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowSection {
    /// Seconds the IN/OUT choice waits.
    pub choose_timeout_s: u32,
    /// Seconds PIN entry waits for the next key.
    pub pin_timeout_s: u32,
    /// PIN digits.
    pub pin_length: usize,
    /// Seconds a PIN check or a record save may take.
    pub store_timeout_s: u32,
    /// How long capture looks at frames, ms.
    pub capture_window_ms: u32,
    /// Frames to see before deciding early on a valid score.
    pub capture_min_frames: u32,
    /// Minimum liveness, percent.
    pub liveness_min: f32,
    /// Seconds the result stays.
    pub result_timeout_s: u32,
    /// Refused faces that lock an employee's PIN ...
    pub max_failures: usize,
    /// ... within these minutes ...
    pub failure_window_min: u32,
    /// ... for these minutes.
    pub lockout_min: u32,
    /// Failures of any PIN that lock the attendance PIN screen device-wide ...
    pub device_max_failures: usize,
    /// ... within these minutes ...
    pub device_failure_window_min: u32,
    /// ... for these seconds, one per lock in a row; the last repeats (non-decreasing).
    pub device_lockout_s: Vec<u32>,
    /// Wrong PINs that lock the administrator's entry ...
    pub admin_max_failures: usize,
    /// ... within these minutes ...
    pub admin_failure_window_min: u32,
    /// ... for these seconds, one per lock in a row; the last repeats (non-decreasing).
    pub admin_lockout_s: Vec<u32>,
}

impl Default for FlowSection {
    fn default() -> Self {
        let f = FlowConfig::default();
        FlowSection {
            choose_timeout_s: secs(f.choose_timeout),
            pin_timeout_s: secs(f.pin_timeout),
            pin_length: f.pin_length,
            store_timeout_s: secs(f.store_timeout),
            capture_window_ms: u32::try_from(f.capture_window.as_millis()).unwrap_or(u32::MAX),
            capture_min_frames: f.capture_min_frames,
            liveness_min: f.liveness_min,
            result_timeout_s: secs(f.result_timeout),
            max_failures: f.max_failures,
            failure_window_min: secs(f.failure_window) / 60,
            lockout_min: secs(f.lockout) / 60,
            device_max_failures: f.device_lockout.max_failures,
            device_failure_window_min: secs(f.device_lockout.window) / 60,
            device_lockout_s: f.device_lockout.delays.iter().map(|d| secs(*d)).collect(),
            admin_max_failures: f.admin_lockout.max_failures,
            admin_failure_window_min: secs(f.admin_lockout.window) / 60,
            admin_lockout_s: f.admin_lockout.delays.iter().map(|d| secs(*d)).collect(),
        }
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

impl FlowSection {
    /// The flow's configuration.
    pub fn to_flow(&self) -> FlowConfig {
        FlowConfig {
            choose_timeout: Duration::from_secs(self.choose_timeout_s.into()),
            pin_timeout: Duration::from_secs(self.pin_timeout_s.into()),
            pin_length: self.pin_length,
            store_timeout: Duration::from_secs(self.store_timeout_s.into()),
            capture_window: Duration::from_millis(self.capture_window_ms.into()),
            capture_min_frames: self.capture_min_frames,
            liveness_min: self.liveness_min,
            result_timeout: Duration::from_secs(self.result_timeout_s.into()),
            max_failures: self.max_failures,
            failure_window: Duration::from_secs(u64::from(self.failure_window_min) * 60),
            lockout: Duration::from_secs(u64::from(self.lockout_min) * 60),
            device_lockout: LockoutRule {
                max_failures: self.device_max_failures,
                window: Duration::from_secs(u64::from(self.device_failure_window_min) * 60),
                delays: self.device_lockout_s.iter().map(|s| Duration::from_secs((*s).into())).collect(),
            },
            admin_lockout: LockoutRule {
                max_failures: self.admin_max_failures,
                window: Duration::from_secs(u64::from(self.admin_failure_window_min) * 60),
                delays: self.admin_lockout_s.iter().map(|s| Duration::from_secs((*s).into())).collect(),
            },
        }
    }
}

/// `[server]`: the central server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Base URL; none runs the kiosk offline (records queue).
    pub url: Option<String>,
    /// One-time enrolment token from the server's admin page.
    pub enrol_token: Option<String>,
    /// The SHA-256 fingerprint of the server's certificate (an `https://` server; hex, colons
    /// allowed).
    pub cert_sha256: Option<String>,
    /// A PEM file of the CA certificates that sign the server's certificate (an `https://`
    /// server; instead of `cert_sha256`).
    pub ca_file: Option<PathBuf>,
    /// Allows a plain `http://` server: a closed network only; the dashboard shows it in red.
    pub insecure_lan: bool,
    /// Seconds between roster fetches.
    pub roster_interval_s: u32,
    /// The longest wait, seconds, between retries while the server is unreachable (the wait
    /// doubles from 1 s up to this, with jitter). Records are sent as soon as they are saved
    /// while the server answers.
    pub upload_retry_s: u32,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            url: None,
            enrol_token: None,
            cert_sha256: None,
            ca_file: None,
            insecure_lan: false,
            roster_interval_s: 300,
            upload_retry_s: 10,
        }
    }
}

impl ServerSection {
    /// The URL's scheme goes with the trust keys: `https://` with exactly one of `cert_sha256`
    /// and `ca_file` (a well-formed fingerprint, a readable file), `http://` only with
    /// `insecure_lan = true`.
    fn check_link(&self, url: &str) -> Result<(), ConfigError> {
        let bad = |key: &'static str, value: &str, fix: &str| Err(ConfigError::Invalid { key, value: value.to_owned(), fix: fix.to_owned() });
        let https = url.starts_with("https://");
        if !(https || url.starts_with("http://")) {
            return bad("server.url", url, "use an https:// URL (or http:// with insecure_lan = true), or remove the key to run offline");
        }
        if https && self.insecure_lan {
            return bad("server.insecure_lan", "true", "remove it: it is for an http:// server; an https:// server needs cert_sha256 or ca_file");
        }
        if !https && !self.insecure_lan {
            return bad(
                "server.url",
                url,
                "plain http:// sends attendance unprotected: use https:// with server.cert_sha256 or server.ca_file, or set server.insecure_lan = true on a closed network",
            );
        }
        match (&self.cert_sha256, &self.ca_file) {
            (Some(_), Some(_)) => bad("server.cert_sha256", "and server.ca_file", "give one of the two"),
            (None, None) if https => bad(
                "server.cert_sha256",
                "(missing)",
                "give the server certificate's SHA-256 fingerprint (openssl x509 -noout -fingerprint -sha256) or server.ca_file",
            ),
            (Some(_), None) | (None, Some(_)) if !https => bad("server.insecure_lan", "true", "a certificate is for an https:// server; use https:// or remove it"),
            (Some(fp), None) if hadir_protocol::Digest::from_fingerprint(fp).is_err() => {
                bad("server.cert_sha256", fp, "give the 64 hex digits of the certificate's SHA-256 (colons allowed)")
            }
            (None, Some(ca)) => match std::fs::read_to_string(ca) {
                Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => Ok(()),
                Ok(_) => bad("server.ca_file", &ca.display().to_string(), "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
                Err(e) => bad("server.ca_file", &ca.display().to_string(), &format!("cannot read it: {e}")),
            },
            _ => Ok(()),
        }
    }
}

/// `[camera]`: the real camera.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraSection {
    /// Video4Linux device.
    pub device: PathBuf,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
}

impl Default for CameraSection {
    fn default() -> Self {
        CameraSection { device: PathBuf::from("/dev/video0"), width: 640, height: 480 }
    }
}

/// Which keypad the board has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeypadKind {
    /// A USB keypad or keyboard through evdev (`evdev` path, or `name`).
    #[default]
    Usb,
    /// A 4×3 or 4×4 matrix on the board's GPIO (`[keypad.matrix]`).
    Matrix,
    /// None: the touchscreen only.
    None,
}

/// `[keypad]`: the real keypad.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeypadSection {
    /// `usb`, `matrix` or `none`.
    pub kind: KeypadKind,
    /// Input event device of a USB keypad (used when `name` is not set).
    pub evdev: PathBuf,
    /// A USB keypad's device name as the kernel reports it (`cat /proc/bus/input/devices`):
    /// found at every start, whatever `eventN` it got.
    pub name: Option<String>,
    /// `[keypad.matrix]`: rows and columns as BCM pin numbers, debounce.
    pub matrix: hadir_hal::keypad::MatrixConfig,
}

impl Default for KeypadSection {
    fn default() -> Self {
        KeypadSection {
            kind: KeypadKind::Usb,
            evdev: PathBuf::from("/dev/input/event0"),
            name: None,
            matrix: hadir_hal::keypad::MatrixConfig::default(),
        }
    }
}

/// `[tamper]`: the enclosure's tamper switch on a GPIO pin, or as an input device (a device
/// tree's `gpio-keys`); none by default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TamperSection {
    /// BCM pin of the switch (closed enclosure: the switch pulls the pin low).
    pub pin: Option<u8>,
    /// How long a level must hold before it counts, ms.
    pub debounce_ms: u64,
    /// Or the input device's name (`cat /proc/bus/input/devices`), e.g. `gpio-keys`.
    pub input: Option<String>,
    /// Its event: `SW_MACHINE_COVER` (the default: set while shut) or a key held while open
    /// (`KEY_…`).
    pub input_code: Option<String>,
}

impl Default for TamperSection {
    fn default() -> Self {
        TamperSection { pin: None, debounce_ms: 50, input: None, input_code: None }
    }
}

/// `[gps]`: the real GPS receiver (field units).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpsSection {
    /// Serial device.
    pub device: PathBuf,
    /// Baud rate.
    pub baud: u32,
}

impl Default for GpsSection {
    fn default() -> Self {
        GpsSection { device: PathBuf::from("/dev/ttyAMA0"), baud: 9600 }
    }
}

/// `[sim]`: the simulated devices of `--sim`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SimSection {
    /// A folder of face photos the simulated camera cycles through.
    pub faces_dir: Option<PathBuf>,
    /// Keys the simulated keypad types (`A` MASUK, `B` PULANG, digits, `#` enter, `*` cancel).
    pub keys: String,
    /// Read the keypad `[keypad]` names instead of typing `keys`: a simulated camera with a
    /// real keypad (the QEMU test types on an emulated USB keyboard).
    pub real_keypad: bool,
    /// An NMEA capture the simulated GPS replays.
    pub nmea: Option<PathBuf>,
    /// The simulated enclosure switch: open while this file exists (none when unset).
    pub tamper_file: Option<PathBuf>,
}

/// `[models]`: the face models.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsSection {
    /// Directory of the ONNX files (default: `HADIR_MODELS_DIR`, then the workspace's).
    pub dir: Option<PathBuf>,
    /// Threads per frame analysis: 2 runs the embedding beside liveness/eyes/pose (the board
    /// has four cores); 1 runs every stage in turn.
    pub threads: usize,
}

impl Default for ModelsSection {
    fn default() -> Self {
        ModelsSection { dir: None, threads: 2 }
    }
}

/// The whole kiosk configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct KioskConfig {
    /// `[device]`.
    pub device: DeviceSection,
    /// `[policy]`.
    pub policy: PolicyConfig,
    /// `[flow]`.
    pub flow: FlowSection,
    /// `[server]`.
    pub server: ServerSection,
    /// `[camera]`.
    pub camera: CameraSection,
    /// `[keypad]`.
    pub keypad: KeypadSection,
    /// `[tamper]`.
    pub tamper: TamperSection,
    /// `[gps]`.
    pub gps: GpsSection,
    /// `[sim]`.
    pub sim: SimSection,
    /// `[models]`.
    pub models: ModelsSection,
}

impl KioskConfig {
    /// Parses and validates TOML text; `path` names the file in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<KioskConfig, ConfigError> {
        let cfg: KioskConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads, parses and validates a file.
    pub fn load(path: &Path) -> Result<KioskConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        KioskConfig::from_toml(&text, path)
    }

    /// The key file.
    pub fn key_file(&self) -> PathBuf {
        self.device.key_file.clone().unwrap_or_else(|| self.device.data_dir.join("device.key"))
    }

    /// The store file.
    pub fn db_file(&self) -> PathBuf {
        self.device.data_dir.join("kiosk.db")
    }

    /// Checks ranges and relations; the error names the key and the fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn bad(key: &'static str, value: impl ToString, fix: &str) -> Result<(), ConfigError> {
            Err(ConfigError::Invalid { key, value: value.to_string(), fix: fix.to_owned() })
        }
        let d = &self.device;
        if let Err(e) = hadir_rules::SiteZone::parse(&d.time_zone) {
            return bad("device.time_zone", &d.time_zone, &e.to_string());
        }
        if !(1..=4).contains(&self.models.threads) {
            return bad("models.threads", self.models.threads, "use 1 to 4 (2 is usual)");
        }
        if d.office.len() > 120 {
            return bad("device.office", &d.office, "use at most 120 characters");
        }
        if !(1..=100).contains(&d.photo_quality) {
            return bad("device.photo_quality", d.photo_quality, "use a JPEG quality from 1 to 100 (80 is usual)");
        }
        if let Some(h) = &d.admin_pin_hash {
            if argon2::PasswordHash::new(h).is_err() {
                return bad("device.admin_pin_hash", h, "paste an Argon2 PHC string ($argon2id$v=19$...) made by the server");
            }
        }
        let k = &self.keypad;
        match k.kind {
            KeypadKind::Matrix => {
                if let Err(e) = k.matrix.check() {
                    return bad("keypad.matrix", format!("rows {:?} cols {:?}", k.matrix.rows, k.matrix.cols), &e.to_string());
                }
                if let Some(pin) = self.tamper.pin.filter(|p| k.matrix.rows.contains(p) || k.matrix.cols.contains(p)) {
                    return bad("tamper.pin", pin, "the keypad matrix uses this pin; wire the switch to a free one");
                }
            }
            KeypadKind::Usb if k.name.as_deref().is_some_and(|n| n.trim().is_empty()) => {
                return bad("keypad.name", "", "give the device name (cat /proc/bus/input/devices) or remove the key to use keypad.evdev");
            }
            KeypadKind::Usb | KeypadKind::None => {}
        }
        if let Some(pin) = self.tamper.pin.filter(|p| *p > hadir_hal::keypad::MatrixConfig::MAX_PIN) {
            return bad("tamper.pin", pin, "use a BCM pin from 0 to 27");
        }
        if !(1..=1000).contains(&self.tamper.debounce_ms) {
            return bad("tamper.debounce_ms", self.tamper.debounce_ms, "use 1 to 1000 ms (50 is usual)");
        }
        match (&self.tamper.pin, &self.tamper.input) {
            (Some(pin), Some(_)) => return bad("tamper.input", pin, "the switch is on a pin or an input device, not both: remove one"),
            (_, Some(name)) if name.trim().is_empty() => {
                return bad("tamper.input", "", "give the input device's name (cat /proc/bus/input/devices) or remove the key");
            }
            (None, None) if self.tamper.input_code.is_some() => {
                return bad("tamper.input_code", self.tamper.input_code.as_deref().unwrap_or(""), "set tamper.input, the device that sends it");
            }
            _ => {}
        }
        let f = &self.flow;
        if !(4..=12).contains(&f.pin_length) {
            return bad("flow.pin_length", f.pin_length, "use 4 to 12 digits (6 is usual)");
        }
        for (key, v) in [
            ("flow.choose_timeout_s", f.choose_timeout_s),
            ("flow.pin_timeout_s", f.pin_timeout_s),
            ("flow.store_timeout_s", f.store_timeout_s),
            ("flow.result_timeout_s", f.result_timeout_s),
        ] {
            if !(1..=600).contains(&v) {
                return bad(key, v, "use 1 to 600 seconds");
            }
        }
        if !(200..=30_000).contains(&f.capture_window_ms) {
            return bad("flow.capture_window_ms", f.capture_window_ms, "use 200 to 30000 ms (4000 is usual)");
        }
        if f.capture_min_frames == 0 {
            return bad("flow.capture_min_frames", 0, "use at least 1");
        }
        if !(0.0..=100.0).contains(&f.liveness_min) {
            return bad("flow.liveness_min", f.liveness_min, "use a percentage from 0 to 100");
        }
        if f.max_failures == 0 {
            return bad("flow.max_failures", 0, "use at least 1 (5 is usual)");
        }
        if f.failure_window_min == 0 || f.lockout_min == 0 {
            return bad("flow.failure_window_min / flow.lockout_min", 0, "use at least 1 minute");
        }
        let lockouts: [(&'static str, &'static str, &'static str, usize, u32, &Vec<u32>, &str); 2] = [
            ("flow.device_max_failures", "flow.device_failure_window_min", "flow.device_lockout_s",
                f.device_max_failures, f.device_failure_window_min, &f.device_lockout_s, "[30, 60, 120, 300, 900]"),
            ("flow.admin_max_failures", "flow.admin_failure_window_min", "flow.admin_lockout_s",
                f.admin_max_failures, f.admin_failure_window_min, &f.admin_lockout_s, "[300, 900, 3600, 14400]"),
        ];
        for (max_key, window_key, delays_key, max, window, delays, usual) in lockouts {
            if !(1..=100).contains(&max) {
                return bad(max_key, max, "use 1 to 100 failures (5 for the device, 3 for the admin entry are usual)");
            }
            if !(1..=24 * 60).contains(&window) {
                return bad(window_key, window, "use 1 to 1440 minutes");
            }
            let fix = format!("list 1 to 20 lock lengths in seconds, each 1 to 86400 and none shorter than the one before, e.g. {usual}");
            let sorted = delays.windows(2).all(|w| w[0] <= w[1]);
            if delays.is_empty() || delays.len() > 20 || !sorted || delays.iter().any(|s| !(1..=86_400).contains(s)) {
                return bad(delays_key, format!("{delays:?}"), &fix);
            }
        }
        if let Some(url) = &self.server.url {
            self.server.check_link(url)?;
        }
        if self.server.roster_interval_s < 10 {
            return bad("server.roster_interval_s", self.server.roster_interval_s, "use at least 10 seconds");
        }
        if self.camera.width == 0 || self.camera.height == 0 {
            return bad("camera.width / camera.height", format!("{}x{}", self.camera.width, self.camera.height), "use the camera's frame size, e.g. 640x480");
        }
        if ![4800, 9600, 19_200, 38_400, 57_600, 115_200].contains(&self.gps.baud) {
            return bad("gps.baud", self.gps.baud, "use the receiver's baud rate: 4800, 9600 (most), 19200, 38400, 57600 or 115200");
        }
        if let Some(bad_key) = self.sim.keys.chars().find(|c| !(c.is_ascii_digit() || "AB#*<".contains(*c) || c.is_whitespace())) {
            return bad("sim.keys", bad_key, "use digits, A (MASUK), B (PULANG), # (enter), * (cancel), < (backspace)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KioskConfig, ConfigError> {
        KioskConfig::from_toml(text, Path::new("kiosk.toml"))
    }

    #[test]
    fn empty_file_gives_the_defaults() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg, KioskConfig::default());
        assert_eq!(cfg.flow.to_flow(), FlowConfig::default());
        assert_eq!(cfg.key_file(), PathBuf::from("/var/lib/hadir/device.key"));
    }

    #[test]
    fn a_full_file_parses() {
        let cfg = parse(
            r#"
            [device]
            data_dir = "/tmp/k"
            time_zone = "Asia/Jayapura"
            language = "en"
            [policy]
            mode = "field"
            field_allow_without_fix = true
            [flow]
            pin_length = 4
            capture_window_ms = 2500
            [server]
            url = "http://127.0.0.1:8080/"
            insecure_lan = true
            [sim]
            keys = "A 1234"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.policy.mode, crate::policy::Mode::Field);
        assert_eq!(cfg.device.language, Language::English);
        assert_eq!(cfg.device.time_zone, "Asia/Jayapura");
        assert_eq!(cfg.flow.to_flow().capture_window, Duration::from_millis(2500));
    }

    #[test]
    fn lockout_keys_parse_into_the_rules() {
        let cfg = parse("[flow]\ndevice_max_failures = 4\ndevice_failure_window_min = 5\ndevice_lockout_s = [10, 20]\nadmin_lockout_s = [600]\n").unwrap();
        let f = cfg.flow.to_flow();
        assert_eq!(f.device_lockout.max_failures, 4);
        assert_eq!(f.device_lockout.window, Duration::from_secs(300));
        assert_eq!(f.device_lockout.delay(0), Duration::from_secs(10));
        assert_eq!(f.device_lockout.delay(7), Duration::from_secs(20), "the last delay is the cap");
        assert_eq!(f.admin_lockout.delay(3), Duration::from_secs(600));
        assert_eq!(f.admin_lockout.max_failures, 3, "the default");
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let cases = [
            ("[flow]\npin_length = 2", "flow.pin_length", "4 to 12"),
            ("[device]\ntime_zone = \"Europe/Berlin\"", "device.time_zone", "Asia/Makassar"),
            ("[server]\nurl = \"ftp://x\"", "server.url", "https://"),
            ("[server]\nurl = \"http://10.0.0.2\"", "server.url", "insecure_lan = true"),
            ("[server]\nurl = \"https://h\"", "server.cert_sha256", "fingerprint"),
            ("[server]\nurl = \"https://h\"\ninsecure_lan = true", "server.insecure_lan", "remove it"),
            ("[server]\nurl = \"https://h\"\ncert_sha256 = \"AB:CD\"", "server.cert_sha256", "64 hex digits"),
            ("[server]\nurl = \"https://h\"\nca_file = \"/nonexistent/ca.pem\"", "server.ca_file", "cannot read"),
            ("[server]\nurl = \"https://h\"\nca_file = \"/etc/hostname\"\ncert_sha256 = \"ab\"", "server.cert_sha256", "one of the two"),
            ("[server]\nurl = \"http://h\"\ninsecure_lan = true\ncert_sha256 = \"ab\"", "server.insecure_lan", "https://"),
            ("[flow]\ncapture_window_ms = 10", "flow.capture_window_ms", "200 to 30000"),
            ("[device]\nadmin_pin_hash = \"1234\"", "device.admin_pin_hash", "Argon2"),
            ("[sim]\nkeys = \"A1x\"", "sim.keys", "digits"),
            ("[flow]\ndevice_lockout_s = []", "flow.device_lockout_s", "lock lengths"),
            ("[flow]\ndevice_lockout_s = [60, 30]", "flow.device_lockout_s", "none shorter"),
            ("[flow]\nadmin_lockout_s = [0]", "flow.admin_lockout_s", "1 to 86400"),
            ("[flow]\ndevice_max_failures = 0", "flow.device_max_failures", "1 to 100"),
            ("[flow]\nadmin_failure_window_min = 0", "flow.admin_failure_window_min", "1 to 1440"),
            ("[keypad]\nkind = \"matrix\"\n[keypad.matrix]\nrows = [5, 6, 13]\ncols = [12, 16, 20]", "keypad.matrix", "a 4x3 keypad needs 4 and 3"),
            ("[keypad]\nkind = \"matrix\"\n[keypad.matrix]\nrows = [5, 6, 13, 19]\ncols = [12, 16, 19]", "keypad.matrix", "pin 19 is named twice"),
            ("[keypad]\nkind = \"matrix\"\n[tamper]\npin = 12", "tamper.pin", "the keypad matrix uses this pin"),
            ("[keypad]\nname = \" \"", "keypad.name", "/proc/bus/input/devices"),
            ("[tamper]\npin = 30", "tamper.pin", "0 to 27"),
            ("[tamper]\npin = 26\ndebounce_ms = 0", "tamper.debounce_ms", "1 to 1000"),
            ("[tamper]\npin = 26\ninput = \"gpio-keys\"", "tamper.input", "not both"),
            ("[tamper]\ninput = \" \"", "tamper.input", "give the input device's name"),
            ("[tamper]\ninput_code = \"KEY_POWER\"", "tamper.input_code", "set tamper.input"),
        ];
        for (text, key, fix) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(fix), "{text:?} gave {err}");
        }
    }

    #[test]
    fn an_https_server_with_a_pin_or_a_ca_is_accepted() {
        let fp = vec!["AB"; 32].join(":");
        let cfg = parse(&format!("[server]\nurl = \"https://hadir.badungkab.go.id\"\ncert_sha256 = \"{fp}\"\n")).unwrap();
        assert_eq!(cfg.server.cert_sha256.as_deref(), Some(fp.as_str()));
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        assert!(parse(&format!("[server]\nurl = \"https://h\"\nca_file = \"{}\"\n", ca.display())).is_ok());
    }

    #[test]
    fn keypads_and_the_tamper_switch_parse() {
        let cfg = parse("[keypad]\nkind = \"matrix\"\n[keypad.matrix]\nrows = [5, 6, 13, 19]\ncols = [12, 16, 20, 21]\n[tamper]\npin = 26\n").unwrap();
        assert_eq!(cfg.keypad.kind, KeypadKind::Matrix);
        assert_eq!(cfg.keypad.matrix.cols, [12, 16, 20, 21]);
        assert_eq!(cfg.keypad.matrix.debounce_ms, 20, "the default debounce");
        assert_eq!(cfg.tamper, TamperSection { pin: Some(26), ..TamperSection::default() });
        let cfg = parse("[keypad]\nname = \"SEM USB Keypad\"\n").unwrap();
        assert_eq!((cfg.keypad.kind, cfg.keypad.name.as_deref()), (KeypadKind::Usb, Some("SEM USB Keypad")));
        assert_eq!(parse("[keypad]\nkind = \"none\"\n").unwrap().keypad.kind, KeypadKind::None);
        let err = parse("[keypad]\nkind = \"bluetooth\"\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("usb"), "{err}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line() {
        let err = parse("[flow]\n\npin_lenght = 6\n").unwrap_err().to_string();
        assert!(err.contains("pin_lenght") && err.contains("line 3"), "{err}");
        let err = parse("[policy]\nmode = \"hybrid\"\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
