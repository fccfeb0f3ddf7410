//! `cargo xtask provision`: what a technician runs to prepare one device's storage.
//!
//! It writes the disk image to a block device (an SD card in a reader) or a file, with a
//! progress line, reads it back to verify, then replaces the data partition with one holding
//! this device's settings: `config/kiosk.toml` (hadir-kiosk's configuration: mode, server URL,
//! one-time enrolment token, data and model paths; the kiosk enrols itself with it on first
//! boot), `config/provision.toml` (the same with the site, the technician's record),
//! `config/device.conf` (host name, NTP servers for the init scripts) and, when asked, the
//! technician-mode password hash. The data partition is found by its GPT name (`data`); on a
//! target larger than the image it is grown to the target's end ([`super::gpt::grow_last`]), and
//! the device grows its filesystem to match when it starts.
//!
//! It must not guess a device: the target is always named by the technician, and a target
//! smaller than the image is refused before anything is written.

use super::{Layout, gpt};
use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A device's settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSettings {
    /// The site's IANA time zone (the roster's rules override it once synced).
    pub time_zone: String,
    /// `id` or `en`.
    pub language: String,
    /// The camera's V4L2 device.
    pub camera: String,
    /// `usb`, `matrix` or `none`.
    pub keypad: String,
    /// A USB keypad's device name (empty: `/dev/input/event0`).
    pub keypad_name: String,
    /// A matrix keypad's row pins (BCM), comma-separated.
    pub keypad_rows: String,
    /// A matrix keypad's column pins (BCM), comma-separated.
    pub keypad_cols: String,
    /// The tamper switch's BCM pin (empty: none).
    pub tamper_pin: String,
    /// Or the switch's input device name (a device tree's `gpio-keys`; empty: none).
    pub tamper_input: String,
    /// Its event: empty or `SW_MACHINE_COVER`, or a key held while open (`KEY_…`).
    pub tamper_code: String,
    /// The GPS receiver's serial port (field units).
    pub gps_port: String,
    /// Its baud rate.
    pub gps_baud: u32,
    /// Argon2 PHC string of the administrator PIN (`hadir-kiosk hash-pin`); empty: no admin menu.
    pub admin_pin_hash: String,
    /// The screen: `auto` (the display's preferred mode, none when the board has no display),
    /// `none` (a field unit: keypad, buzzer, LEDs) or a mode `WIDTHxHEIGHT` the display offers.
    pub screen: String,
    /// How the panel is mounted: 0, 90, 180 or 270 degrees.
    pub screen_rotation: u16,
    /// Site (office) code or name.
    pub site: String,
    /// `office` or `field`.
    pub mode: String,
    /// The central server, `https://` (or `http://` with `insecure_lan`).
    pub server_url: String,
    /// The SHA-256 fingerprint of the server's certificate (an `https://` server).
    pub server_cert_sha256: String,
    /// Or, instead of the fingerprint, a PEM file on the technician's machine with the
    /// certificate authority that signs the server's certificate (an office with its own CA,
    /// or a server whose certificate is renewed); copied onto the device. Empty: none.
    pub server_ca_file: String,
    /// Plain `http://` on a closed network (the dashboard shows the device in red).
    pub insecure_lan: bool,
    /// One-time enrolment token from the server.
    pub enrol_token: String,
    /// Host name; empty lets the device derive one.
    pub hostname: String,
    /// NTP servers, space-separated; empty uses DHCP's.
    pub ntp_servers: String,
    /// crypt(3) hash for technician mode; empty leaves it off.
    pub technician_hash: String,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            time_zone: "Asia/Makassar".into(),
            language: "id".into(),
            camera: "/dev/video0".into(),
            keypad: "usb".into(),
            keypad_name: String::new(),
            keypad_rows: "5,6,13,19".into(),
            keypad_cols: "12,16,20".into(),
            tamper_pin: String::new(),
            tamper_input: String::new(),
            tamper_code: String::new(),
            gps_port: "/dev/ttyAMA0".into(),
            gps_baud: 9600,
            admin_pin_hash: String::new(),
            screen: "auto".into(),
            screen_rotation: 0,
            site: String::new(),
            mode: String::new(),
            server_url: String::new(),
            server_cert_sha256: String::new(),
            server_ca_file: String::new(),
            insecure_lan: false,
            enrol_token: String::new(),
            hostname: String::new(),
            ntp_servers: String::new(),
            technician_hash: String::new(),
        }
    }
}

/// The time zones of Indonesia's sites (the rulebook's list; the kiosk checks again at start).
const ZONES: [&str; 5] = ["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Ujung_Pandang", "Asia/Jayapura"];
/// The baud rates of NMEA receivers.
const BAUDS: [u32; 6] = [4800, 9600, 19200, 38400, 57600, 115200];
/// The highest BCM pin on the board's header.
const MAX_PIN: u8 = 27;

/// `"5, 6,13"` → pins, each on the header.
fn pins(flag: &str, text: &str) -> Result<Vec<u8>, Invalid> {
    text.split(',')
        .map(|p| p.trim().parse::<u8>().ok().filter(|p| *p <= MAX_PIN))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| Invalid(format!("--{flag} must list BCM pins 0 to {MAX_PIN}, comma-separated, not `{text}`")))
}

/// Why settings were refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

/// Where the server's CA certificate goes on the device (the data partition is `/data`).
pub const DEVICE_CA_FILE: &str = "/data/config/server-ca.pem";

/// A CA file the kiosk can load: readable, with a PEM certificate, not absurdly large.
fn check_ca_file(path: &Path) -> Result<(), Invalid> {
    let bytes = fs::read(path).map_err(|e| Invalid(format!("--server-ca {}: {e}", path.display())))?;
    if bytes.len() > 1 << 20 {
        return Err(Invalid(format!("--server-ca {}: {} bytes is not a CA certificate file", path.display(), bytes.len())));
    }
    if !String::from_utf8_lossy(&bytes).contains("-----BEGIN CERTIFICATE-----") {
        return Err(Invalid(format!("--server-ca {}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)", path.display())));
    }
    Ok(())
}

impl DeviceSettings {
    /// Checks every field; values go into TOML and shell files, so quotes, backslashes and
    /// control characters are refused rather than escaped.
    pub fn validate(&self) -> Result<(), Invalid> {
        let plain = |name: &str, value: &str, required: bool| {
            if required && value.trim().is_empty() {
                return Err(Invalid(format!("--{name} is required")));
            }
            if value.chars().any(|c| c.is_control() || c == '"' || c == '\\' || c == '\'' || c == '$' || c == '`') {
                return Err(Invalid(format!("--{name} must not contain quotes, backslashes, $, ` or control characters")));
            }
            Ok(())
        };
        plain("site", &self.site, true)?;
        plain("server-url", &self.server_url, true)?;
        plain("enrol-token", &self.enrol_token, true)?;
        plain("hostname", &self.hostname, false)?;
        plain("ntp", &self.ntp_servers, false)?;
        if !matches!(self.mode.as_str(), "office" | "field") {
            return Err(Invalid(format!("--mode must be office or field, not `{}`", self.mode)));
        }
        if self.server_url.starts_with("https://") {
            if self.insecure_lan {
                return Err(Invalid("--insecure-lan is for an http:// server; an https:// one needs --server-cert-sha256 or --server-ca".into()));
            }
            match (self.server_cert_sha256.is_empty(), self.server_ca_file.is_empty()) {
                (false, false) => return Err(Invalid("--server-cert-sha256 and --server-ca: give one of the two".into())),
                (true, false) => check_ca_file(Path::new(&self.server_ca_file))?,
                _ => {
                    // 64 hex digits, colons allowed: the kiosk parses it again at start.
                    let digits: Vec<char> = self.server_cert_sha256.chars().filter(|c| *c != ':').collect();
                    if digits.len() != 64 || !digits.iter().all(char::is_ascii_hexdigit) {
                        return Err(Invalid(
                            "--server-cert-sha256 must be the server certificate's SHA-256 (openssl x509 -noout -fingerprint -sha256 -in server.pem), or give --server-ca FILE".into(),
                        ));
                    }
                }
            }
        } else if self.server_url.starts_with("http://") {
            if !self.insecure_lan {
                return Err(Invalid("--server-url http:// needs --insecure-lan (a closed network only); otherwise use https://".into()));
            }
            if !self.server_ca_file.is_empty() || !self.server_cert_sha256.is_empty() {
                return Err(Invalid("--server-ca and --server-cert-sha256 are for an https:// server".into()));
            }
        } else {
            return Err(Invalid("--server-url must start with https:// (or http:// with --insecure-lan)".into()));
        }
        if self.enrol_token.chars().any(char::is_whitespace) {
            return Err(Invalid("--enrol-token must not contain spaces".into()));
        }
        if !self.hostname.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Invalid("--hostname may hold only letters, digits and -".into()));
        }
        if !self.technician_hash.is_empty() && !self.technician_hash.starts_with('$') {
            return Err(Invalid("--technician-hash must be a crypt hash (mkpasswd -m sha512)".into()));
        }
        self.validate_hardware()
    }

    /// The device's own settings: zone, language, camera, keypad, tamper pin, GPS, admin PIN.
    fn validate_hardware(&self) -> Result<(), Invalid> {
        if !ZONES.contains(&self.time_zone.as_str()) {
            return Err(Invalid(format!("--time-zone must be one of {}, not `{}`", ZONES.join(", "), self.time_zone)));
        }
        if !matches!(self.language.as_str(), "id" | "en") {
            return Err(Invalid(format!("--language must be id or en, not `{}`", self.language)));
        }
        for (flag, path) in [("camera", &self.camera), ("gps-port", &self.gps_port)] {
            if !path.starts_with("/dev/") || path.chars().any(|c| c.is_whitespace() || c == '"' || c == '\\') {
                return Err(Invalid(format!("--{flag} must be a device path under /dev/, not `{path}`")));
            }
        }
        if !BAUDS.contains(&self.gps_baud) {
            return Err(Invalid(format!("--gps-baud must be one of {BAUDS:?}, not {}", self.gps_baud)));
        }
        let tamper = if self.tamper_pin.is_empty() { None } else { Some(pins("tamper-pin", &self.tamper_pin)?) };
        match self.keypad.as_str() {
            "usb" | "none" => {
                if self.keypad_name.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
                    return Err(Invalid("--keypad-name must not contain quotes, backslashes or control characters".into()));
                }
            }
            "matrix" => {
                let (rows, cols) = (pins("keypad-rows", &self.keypad_rows)?, pins("keypad-cols", &self.keypad_cols)?);
                if rows.len() != 4 || !matches!(cols.len(), 3 | 4) {
                    return Err(Invalid(format!("--keypad-rows needs 4 pins and --keypad-cols 3 or 4, not {} and {}", rows.len(), cols.len())));
                }
                let mut all: Vec<u8> = rows.iter().chain(&cols).chain(tamper.iter().flatten()).copied().collect();
                all.sort_unstable();
                if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
                    return Err(Invalid(format!("pin {} is named twice (keypad rows, columns and --tamper-pin need a pin each)", w[0])));
                }
            }
            other => return Err(Invalid(format!("--keypad must be usb, matrix or none, not `{other}`"))),
        }
        if tamper.as_ref().is_some_and(|t| t.len() != 1) {
            return Err(Invalid("--tamper-pin takes one pin".into()));
        }
        if tamper.is_some() && !self.tamper_input.is_empty() {
            return Err(Invalid("--tamper-pin and --tamper-input: the switch is on a pin or an input device, give one".into()));
        }
        if self.tamper_input.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(Invalid("--tamper-input must not contain quotes, backslashes or control characters".into()));
        }
        let code_ok = self.tamper_code.is_empty()
            || ((self.tamper_code.starts_with("KEY_") || self.tamper_code.starts_with("BTN_") || self.tamper_code == "SW_MACHINE_COVER")
                && self.tamper_code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
        if !code_ok || (!self.tamper_code.is_empty() && self.tamper_input.is_empty()) {
            return Err(Invalid(format!(
                "--tamper-code must be SW_MACHINE_COVER or a Linux key name (KEY_…, BTN_…) of the --tamper-input device, not `{}`",
                self.tamper_code
            )));
        }
        if !self.admin_pin_hash.is_empty() && !self.admin_pin_hash.starts_with("$argon2") {
            return Err(Invalid("--admin-pin-hash must be an Argon2 PHC string made by `hadir-kiosk hash-pin`".into()));
        }
        let mode = self.screen.split_once('x').and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)));
        let mode_ok = mode.is_some_and(|(w, h)| (240..=7680).contains(&w) && (240..=4320).contains(&h));
        if !matches!(self.screen.as_str(), "auto" | "none") && !mode_ok {
            return Err(Invalid(format!("--screen must be auto, none or a display mode such as 800x480, not `{}`", self.screen)));
        }
        if ![0, 90, 180, 270].contains(&self.screen_rotation) {
            return Err(Invalid(format!("--screen-rotation must be 0, 90, 180 or 270, not {}", self.screen_rotation)));
        }
        Ok(())
    }

    /// `config/provision.toml`: what was provisioned, for the technician's records.
    pub fn provision_toml(&self) -> String {
        format!(
            "# Written by `cargo xtask provision`: this device's settings (the kiosk reads kiosk.toml).\n\
             site = \"{}\"\nmode = \"{}\"\nserver_url = \"{}\"\nenrol_token = \"{}\"\n",
            self.site, self.mode, self.server_url, self.enrol_token
        )
    }

    /// `config/kiosk.toml`: hadir-kiosk's own configuration (`--config`), with the server,
    /// the one-time token, the mode and the image's paths.
    pub fn kiosk_toml(&self) -> String {
        let link = if self.insecure_lan {
            "insecure_lan = true\n".to_owned()
        } else if !self.server_ca_file.is_empty() {
            format!("ca_file = \"{DEVICE_CA_FILE}\"\n")
        } else {
            format!("cert_sha256 = \"{}\"\n", self.server_cert_sha256)
        };
        let admin = if self.admin_pin_hash.is_empty() { String::new() } else { format!("admin_pin_hash = \"{}\"\n", self.admin_pin_hash) };
        let keypad = match self.keypad.as_str() {
            "matrix" => format!("kind = \"matrix\"\n\n[keypad.matrix]\nrows = [{}]\ncols = [{}]\n", self.keypad_rows, self.keypad_cols),
            "usb" if !self.keypad_name.is_empty() => format!("kind = \"usb\"\nname = \"{}\"\n", self.keypad_name),
            kind => format!("kind = \"{kind}\"\n"),
        };
        let tamper = if !self.tamper_pin.is_empty() {
            format!("\n[tamper]\npin = {}\n", self.tamper_pin.trim())
        } else if !self.tamper_input.is_empty() {
            let code = if self.tamper_code.is_empty() { String::new() } else { format!("input_code = \"{}\"\n", self.tamper_code) };
            format!("\n[tamper]\ninput = \"{}\"\n{code}", self.tamper_input)
        } else {
            String::new()
        };
        format!(
            "# Written by `cargo xtask provision` for hadir-kiosk (its TOML configuration).\n\
             [device]\ndata_dir = \"/data/kiosk\"\ntime_zone = \"{}\"\nlanguage = \"{}\"\n{admin}\n\
             [policy]\nmode = \"{}\"\n\n\
             [server]\nurl = \"{}\"\nenrol_token = \"{}\"\n{link}\n\
             [camera]\ndevice = \"{}\"\n\n\
             [keypad]\n{keypad}{tamper}\n\
             [gps]\ndevice = \"{}\"\nbaud = {}\n\n\
             [models]\ndir = \"/usr/share/hadir/models\"\n",
            self.time_zone, self.language, self.mode, self.server_url, self.enrol_token, self.camera, self.gps_port, self.gps_baud
        )
    }

    /// `config/device.conf`, sourced by the init scripts.
    pub fn device_conf(&self) -> String {
        format!(
            "# Written by `cargo xtask provision`; overrides /etc/hadir/image.conf.\n\
             HOSTNAME_OVERRIDE=\"{}\"\nNTP_SERVERS=\"{}\"\nKIOSK_SCREEN=\"{}\"\nKIOSK_ROTATION=\"{}\"\n",
            self.hostname, self.ntp_servers, self.screen, self.screen_rotation
        )
    }
}

/// Copies `from` to `to` at `offset`, printing progress; returns bytes written.
fn copy_with_progress(from: &mut impl Read, to: &mut File, offset: u64, total: u64, what: &str) -> Result<u64> {
    let mut buf = vec![0u8; 4 << 20];
    to.seek(SeekFrom::Start(offset))?;
    let start = Instant::now();
    let mut done = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n])?;
        done += n as u64;
        let secs = start.elapsed().as_secs_f64().max(1e-3);
        print!("\r  {what}: {:>5.1}% {:>7.1} MiB  {:>6.1} MiB/s", done as f64 * 100.0 / total.max(1) as f64, done as f64 / 1048576.0, done as f64 / 1048576.0 / secs);
        std::io::stdout().flush().ok();
    }
    to.sync_all()?;
    println!();
    Ok(done)
}

/// Compares `len` bytes of `a` from 0 with `b` from `offset`.
fn verify(a: &Path, b: &Path, offset: u64, len: u64, what: &str) -> Result<()> {
    let mut fa = File::open(a)?;
    let mut fb = File::open(b)?;
    fb.seek(SeekFrom::Start(offset))?;
    let mut ba = vec![0u8; 4 << 20];
    let mut bb = vec![0u8; 4 << 20];
    let mut left = len;
    let mut at = 0u64;
    while left > 0 {
        let n = left.min(ba.len() as u64) as usize;
        fa.read_exact(&mut ba[..n])?;
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            bail!("verification of {what} failed: {} differs from {} near byte {}", b.display(), a.display(), offset + at);
        }
        left -= n as u64;
        at += n as u64;
    }
    println!("  {what}: verified {:.1} MiB", len as f64 / 1048576.0);
    Ok(())
}

/// Additions to the data partition for tests (`cargo xtask qemu-test`); empty for devices.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// TOML tables appended to `config/kiosk.toml` (new tables only, e.g. `[sim]`, `[flow]`).
    pub kiosk_toml: String,
    /// Files copied onto the data partition: (path inside it, file on the host).
    pub files: Vec<(String, PathBuf)>,
}

/// Writes `image` to `target` and this device's data partition.
pub fn provision(layout: &Layout, image: &Path, target: &Path, settings: &DeviceSettings) -> Result<()> {
    provision_with(layout, image, target, settings, &Extras::default())
}

/// [`provision`] with test additions on the data partition.
pub fn provision_with(layout: &Layout, image: &Path, target: &Path, settings: &DeviceSettings, extras: &Extras) -> Result<()> {
    settings.validate().map_err(|Invalid(why)| anyhow::anyhow!(why))?;
    let total = fs::metadata(image).with_context(|| format!("no image at {}: run `cargo xtask image`", image.display()))?.len();
    let mut out = OpenOptions::new().write(true).read(true).create(!target.starts_with("/dev")).truncate(false).open(target)
        .with_context(|| format!("opening {} for writing", target.display()))?;
    let capacity = out.seek(SeekFrom::End(0))?;
    let is_file = fs::metadata(target)?.is_file();
    if !is_file && capacity < total {
        bail!("{} holds {capacity} bytes, the image needs {total}", target.display());
    }
    // A file stands for a card of its size: one larger than the image keeps its size (the
    // data partition grows into it below), a smaller one is extended to the image.
    if is_file && capacity < total {
        out.set_len(total)?;
    }
    println!("writing {} to {}", image.display(), target.display());
    copy_with_progress(&mut File::open(image)?, &mut out, 0, total, "image")?;
    verify(image, target, 0, total, "image")?;

    let data = gpt::read(&mut out)?.into_iter().find(|p| p.name == "data").context("the image has no partition named data")?;
    let content = layout.base.join("provision-data");
    super::recreate_dir(&content)?;
    for dir in ["boot", "config", "log", "kiosk"] {
        fs::create_dir_all(content.join(dir))?;
    }
    fs::write(content.join("boot/committed"), "a\n")?;
    fs::write(content.join("config/provision.toml"), settings.provision_toml())?;
    fs::write(content.join("config/device.conf"), settings.device_conf())?;
    fs::write(content.join("config/kiosk.toml"), settings.kiosk_toml() + &extras.kiosk_toml)?;
    for (inside, from) in &extras.files {
        let to = content.join(inside.trim_start_matches('/'));
        fs::create_dir_all(to.parent().context("extra file path has no parent")?)?;
        fs::copy(from, &to).with_context(|| format!("copying {} onto the data partition", from.display()))?;
    }
    if !settings.technician_hash.is_empty() {
        fs::write(content.join("config/technician"), format!("{}\n", settings.technician_hash))?;
    }
    if !settings.server_ca_file.is_empty() {
        let to = content.join(DEVICE_CA_FILE.trim_start_matches("/data/"));
        fs::copy(&settings.server_ca_file, &to).with_context(|| format!("copying --server-ca {} onto the data partition", settings.server_ca_file))?;
    }
    let part = layout.base.join("provision-data.ext4");
    super::make_data_partition(&content, &part, data.bytes / 1048576)?;
    let part_bytes = fs::metadata(&part)?.len();
    println!("writing the data partition ({:.0} MiB at offset {}) with site {}, mode {}", part_bytes as f64 / 1048576.0, data.offset, settings.site, settings.mode);
    copy_with_progress(&mut File::open(&part)?, &mut out, data.offset, part_bytes, "data")?;
    verify(&part, target, data.offset, part_bytes, "data partition")?;
    fs::remove_file(&part).ok();
    // The filesystem was written at the image's size (quick to write and to verify); the
    // partition now takes the rest of the card, and the device grows the filesystem into it
    // online when it starts (rcS).
    match gpt::grow_last(&mut out, "data", capacity.max(total))? {
        Some(g) => println!(
            "data partition grown from {} to {} MiB (the rest of {}); the device grows its filesystem on first boot",
            g.from / 1048576,
            g.to / 1048576,
            target.display()
        ),
        None => println!("data partition: {} MiB (the target has no room past the image)", data.bytes / 1048576),
    }
    out.sync_all()?;
    println!("provisioned {}: the device enrols with {} on first boot", target.display(), settings.server_url);
    Ok(())
}

/// `cargo xtask provision --target PATH --site S --mode office|field --server-url URL
/// (--server-cert-sha256 FP | --server-ca FILE | --insecure-lan) --enrol-token T [--image disk.img] [--hostname H] [--ntp "a b"] [--technician-hash H]
/// [--time-zone Z] [--language id|en] [--camera DEV] [--keypad usb|matrix|none]
/// [--keypad-name NAME] [--keypad-rows 5,6,13,19] [--keypad-cols 12,16,20] [--tamper-pin P |
/// --tamper-input NAME [--tamper-code SW_MACHINE_COVER|KEY_…]]
/// [--gps-port DEV] [--gps-baud B] [--admin-pin-hash H] [--screen auto|none|WxH] [--screen-rotation 0|90|180|270]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let layout = Layout::new(root);
    let mut image: PathBuf = layout.disk();
    let mut target = None;
    let mut s = DeviceSettings::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--image" => image = PathBuf::from(value()?),
            "--target" => target = Some(PathBuf::from(value()?)),
            "--site" => s.site = value()?,
            "--mode" => s.mode = value()?,
            "--server-url" => s.server_url = value()?,
            "--server-cert-sha256" => s.server_cert_sha256 = value()?,
            "--server-ca" => s.server_ca_file = value()?,
            "--insecure-lan" => s.insecure_lan = true,
            "--enrol-token" => s.enrol_token = value()?,
            "--hostname" => s.hostname = value()?,
            "--ntp" => s.ntp_servers = value()?,
            "--technician-hash" => s.technician_hash = value()?,
            "--time-zone" => s.time_zone = value()?,
            "--language" => s.language = value()?,
            "--camera" => s.camera = value()?,
            "--keypad" => s.keypad = value()?,
            "--keypad-name" => s.keypad_name = value()?,
            "--keypad-rows" => s.keypad_rows = value()?,
            "--keypad-cols" => s.keypad_cols = value()?,
            "--tamper-pin" => s.tamper_pin = value()?,
            "--tamper-input" => s.tamper_input = value()?,
            "--tamper-code" => s.tamper_code = value()?,
            "--gps-port" => s.gps_port = value()?,
            "--gps-baud" => s.gps_baud = value()?.parse().map_err(|_| anyhow::anyhow!("--gps-baud must be a number"))?,
            "--admin-pin-hash" => s.admin_pin_hash = value()?,
            "--screen" => s.screen = value()?,
            "--screen-rotation" => {
                s.screen_rotation = value()?.parse().map_err(|_| anyhow::anyhow!("--screen-rotation must be 0, 90, 180 or 270"))?;
            }
            other => bail!("unknown argument `{other}`"),
        }
    }
    let target = target.context("--target is required (a block device such as /dev/sdX, or a file)")?;
    provision(&layout, &image, &target, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> DeviceSettings {
        DeviceSettings {
            site: "DPUPR-01".into(),
            mode: "office".into(),
            server_url: "https://hadir.example.invalid".into(),
            server_cert_sha256: "ab".repeat(32),
            enrol_token: "tok-123".into(),
            ..DeviceSettings::default()
        }
    }

    #[test]
    fn settings_are_validated_field_by_field() {
        assert_eq!(good().validate(), Ok(()));
        type Change = fn(&mut DeviceSettings);
        let cases: Vec<(Change, &str)> = vec![
            (|s| s.site.clear(), "--site is required"),
            (|s| s.mode = "kantor".into(), "--mode must be office or field"),
            (|s| s.server_url = "ftp://x".into(), "--server-url must start"),
            (|s| s.server_url = "http://10.0.0.2".into(), "--server-url http:// needs --insecure-lan"),
            (|s| s.server_cert_sha256 = "abcd".into(), "--server-cert-sha256 must be"),
            (|s| s.insecure_lan = true, "--insecure-lan is for an http://"),
            (|s| s.enrol_token = "a b".into(), "--enrol-token must not contain spaces"),
            (|s| s.site = "a\"b".into(), "--site must not contain quotes"),
            (|s| s.hostname = "bad_name".into(), "--hostname may hold"),
            (|s| s.technician_hash = "plain".into(), "--technician-hash must be"),
            (|s| s.time_zone = "Europe/Berlin".into(), "--time-zone must be one of"),
            (|s| s.language = "jv".into(), "--language must be id or en"),
            (|s| s.camera = "video0".into(), "--camera must be a device path"),
            (|s| s.gps_baud = 1234, "--gps-baud must be one of"),
            (|s| s.keypad = "bluetooth".into(), "--keypad must be usb, matrix or none"),
            (|s| { s.keypad = "matrix".into(); s.keypad_rows = "5,6,13".into(); }, "--keypad-rows needs 4 pins"),
            (|s| { s.keypad = "matrix".into(); s.keypad_cols = "12,16,40".into(); }, "--keypad-cols must list BCM pins"),
            (|s| { s.keypad = "matrix".into(); s.tamper_pin = "16".into(); }, "pin 16 is named twice"),
            (|s| s.tamper_pin = "26,27".into(), "--tamper-pin takes one pin"),
            (|s| { s.tamper_pin = "26".into(); s.tamper_input = "gpio-keys".into(); }, "--tamper-pin and --tamper-input"),
            (|s| { s.tamper_input = "gpio-keys".into(); s.tamper_code = "power".into(); }, "--tamper-code must be"),
            (|s| s.tamper_code = "KEY_POWER".into(), "--tamper-code must be"),
            (|s| s.keypad_name = "a\"b".into(), "--keypad-name must not"),
            (|s| s.admin_pin_hash = "1234".into(), "--admin-pin-hash must be"),
            (|s| s.screen = "big".into(), "--screen must be auto, none or a display mode"),
            (|s| s.screen = "800x48".into(), "--screen must be auto, none or a display mode"),
            (|s| s.screen = "800x480;reboot".into(), "--screen must be auto, none or a display mode"),
            (|s| s.screen_rotation = 45, "--screen-rotation must be 0, 90, 180 or 270"),
            (|s| s.server_ca_file = "/nonexistent/ca.pem".into(), "--server-cert-sha256 and --server-ca: give one"),
            (|s| { s.server_cert_sha256.clear(); s.server_ca_file = "/nonexistent/ca.pem".into(); }, "--server-ca /nonexistent/ca.pem: "),
            (|s| { s.server_cert_sha256.clear(); s.server_ca_file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").into(); }, "--server-ca "),
            (|s| { s.server_url = "http://10.0.0.2".into(); s.insecure_lan = true; }, "--server-ca and --server-cert-sha256 are for an https://"),
        ];
        for (change, message) in cases {
            let mut s = good();
            change(&mut s);
            let Err(Invalid(why)) = s.validate() else { panic!("{s:?} accepted") };
            assert!(why.starts_with(message), "{why} vs {message}");
        }
    }

    #[test]
    fn provision_toml_holds_every_setting() {
        let text = good().provision_toml();
        for line in ["site = \"DPUPR-01\"", "mode = \"office\"", "server_url = \"https://hadir.example.invalid\"", "enrol_token = \"tok-123\""] {
            assert!(text.contains(line), "{line}");
        }
    }

    #[test]
    fn kiosk_toml_has_the_kiosk_config_sections() {
        let text = good().kiosk_toml();
        for line in [
            "[device]\ndata_dir = \"/data/kiosk\"",
            "[policy]\nmode = \"office\"",
            "[server]\nurl = \"https://hadir.example.invalid\"\nenrol_token = \"tok-123\"\ncert_sha256 = \"abab",
            "[models]\ndir = \"/usr/share/hadir/models\"",
        ] {
            assert!(text.contains(line), "{line}");
        }
        // The image's default (unprovisioned) configuration uses the same sections.
        let default = include_str!("../../../buildroot/overlay/etc/hadir/kiosk.default.toml");
        for section in ["[device]", "[policy]", "[models]"] {
            assert!(default.contains(section), "{section} in kiosk.default.toml");
        }
    }

    #[test]
    fn hardware_settings_reach_the_kiosk_toml() {
        let mut s = good();
        s.keypad = "matrix".into();
        s.keypad_cols = "12,16,20,21".into();
        s.tamper_pin = "26".into();
        s.time_zone = "Asia/Jayapura".into();
        s.admin_pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into();
        assert_eq!(s.validate(), Ok(()));
        let text = s.kiosk_toml();
        for line in [
            "time_zone = \"Asia/Jayapura\"",
            "admin_pin_hash = \"$argon2id$",
            "[keypad]\nkind = \"matrix\"\n\n[keypad.matrix]\nrows = [5,6,13,19]\ncols = [12,16,20,21]",
            "[tamper]\npin = 26",
            "[gps]\ndevice = \"/dev/ttyAMA0\"\nbaud = 9600",
            "[camera]\ndevice = \"/dev/video0\"",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        s.tamper_pin.clear();
        s.keypad = "usb".into();
        s.tamper_input = "gpio-keys".into();
        s.tamper_code = "KEY_POWER".into();
        assert_eq!(s.validate(), Ok(()));
        assert!(s.kiosk_toml().contains("[tamper]\ninput = \"gpio-keys\"\ninput_code = \"KEY_POWER\"\n"), "{}", s.kiosk_toml());
        s.screen = "1280x800".into();
        s.screen_rotation = 180;
        assert_eq!(s.validate(), Ok(()));
        assert!(s.device_conf().contains("KIOSK_SCREEN=\"1280x800\"\nKIOSK_ROTATION=\"180\"\n"), "{}", s.device_conf());
        s.keypad = "usb".into();
        s.keypad_name = "SEM USB Keypad".into();
        assert!(s.kiosk_toml().contains("[keypad]\nkind = \"usb\"\nname = \"SEM USB Keypad\""));
    }

    #[test]
    fn a_server_ca_instead_of_a_fingerprint() {
        let dir = std::env::temp_dir().join(format!("hadir-provision-ca-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("office-ca.pem");
        fs::write(&ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        let s = DeviceSettings { server_cert_sha256: String::new(), server_ca_file: ca.display().to_string(), ..good() };
        assert_eq!(s.validate(), Ok(()));
        let text = s.kiosk_toml();
        assert!(text.contains("[server]\nurl = \"https://hadir.example.invalid\"\nenrol_token = \"tok-123\"\nca_file = \"/data/config/server-ca.pem\""), "{text}");
        assert!(!text.contains("cert_sha256"), "{text}");
        // A file without a certificate is refused by name.
        let Err(Invalid(why)) = DeviceSettings { server_ca_file: concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").into(), ..s }.validate() else {
            panic!("a Cargo.toml accepted as a CA")
        };
        assert!(why.ends_with("no PEM certificate in it (-----BEGIN CERTIFICATE-----)"), "{why}");
        fs::remove_dir_all(&dir).ok();
    }
}
