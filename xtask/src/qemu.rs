//! `cargo xtask qemu-test`: boots the firmware image under `qemu-system-aarch64 -M virt -cpu
//! cortex-a72 -m 1024 -smp 2` (the Pi 4 has four cores) and checks it from the outside,
//! through the serial console only.
//!
//! Boots, in order (each a fresh QEMU on a scratch copy of the disk; a "power cut" is SIGKILL
//! of QEMU, nothing is shut down cleanly):
//! 1. first boot: time from power-on to ready (`HADIR-READY` from the kiosk's health watcher,
//!    or `HADIR-SYSTEM-READY` for a base image without the kiosk), then the image's
//!    self-test (`hadir-selftest`: read-only root, data partition, kiosk user and groups,
//!    vivid's /dev/video0, watchdog, no login, logs, DHCP and the host probe via 10.0.2.2),
//!    then a tampered update bundle, which must be refused; then the power is cut;
//! 2. after the cut: the data partition's state survived (boot counter file, machine id) and
//!    a signed update bundle is installed into slot b; power cut;
//! 3. the trial boots of slot b: the base image has no kiosk to report healthy, so each trial
//!    boot is left uncommitted, and after the tries run out the initramfs falls back to slot a.
//!    With a kiosk, the first trial boot becomes ready and commits slot b instead;
//! 4. (kiosk images) attendance: the kiosk runs with its simulated camera (a photo of the
//!    enrolled employee on the data partition, since vivid shows test patterns), its
//!    touchscreen on a virtio GPU (800×480, the mode picked by provisioning's `--screen`) with
//!    a virtio tablet, and its real USB keypad path (`hadir.kiosk_sim=1`, `sim.real_keypad`).
//!    The first record is made by touch through QMP ([`screen`]): the idle screen is dumped,
//!    MASUK touched, the PIN touched on the screen's pad, the PIN and result screens dumped;
//!    each dump is compared with the host's rendering of the screen the kiosk logged. The next
//!    PINs are typed on QEMU's emulated USB keyboard through the monitor, read through the
//!    guest's xhci, usbhid and evdev by the kiosk's evdev keypad (after the keyboard was pulled
//!    out and plugged back); it makes MASUK/PULANG records with the real face models, and
//!    the first one must be stored, verified, by the `hadir-server` on the host (see
//!    [`server`]: seeded with the employee, templates from the real models, the one-time
//!    enrolment token the device used on boot 1). 0–0.8 s after the kiosk logged its second
//!    record the power is cut;
//! 5. after that cut: the enclosure is opened and shut (the virt board's power button, a
//!    `gpio-keys` input that stands in for the tamper switch) and both signed events must
//!    reach the server; `hadir-face bench` times the face pipeline in the guest; the kiosk
//!    checks its store from inside (`hadir-kiosk store-check` when the kiosk has it), the records reach the server (all of 1..=N, N read from the store on
//!    the data partition with sqlite3 on the host), and the two root slots hash as before;
//! 6. technician mode: a disk provisioned with a technician password hash shows a login prompt
//!    on the serial console, and the password gives a root shell; from it the kiosk, which
//!    holds the watchdog, is stopped (SIGSTOP: a hung kiosk, not a crashed one) and the
//!    i6300esb must reset the guest.
//!
//! The test disk is made by provisioning (`cargo xtask provision`'s code) with a site, mode,
//! server URL and token, so the first boot also checks that those settings arrived. Boot 1
//! ends with the guest appending and fsyncing numbered records to `/data` until the power is
//! cut; boot 2 checks that every record acknowledged on the console is there, in order.
//!
//! The guest reaches the host only as 10.0.2.2 (QEMU user networking): the harness serves
//! `/probe` and the bundles on a port bound to 127.0.0.1:0, and `hadir-server` listens on
//! another 127.0.0.1 port. Nothing else is a target.

mod disk;
mod screen;
mod server;

use crate::image::{self, Layout, provision};
use screen::{Qmp, Reference, Wanted};
use server::HostServer;
use crate::shell::{self, Steps};
use anyhow::{Context, Result, bail};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Longest wait for any one boot to reach its end marker (emulation on a busy 2-core host).
const BOOT_TIMEOUT: Duration = Duration::from_secs(240);

/// Bundles and the probe answer, served to the guest.
struct Served {
    bundle: PathBuf,
    bad_bundle: PathBuf,
}

/// A tiny HTTP/1.0 server on 127.0.0.1:0 for the guest: `/probe`, `/bundle`, `/bad-bundle`.
fn serve(served: Served) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the probe server")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream, &served);
        }
    });
    Ok(port)
}

fn answer(mut stream: TcpStream, served: &Served) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = String::new();
    BufReader::new(stream.try_clone()?).read_line(&mut request)?;
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let body: Vec<u8> = match path {
        "/probe" => b"hadir-probe-ok".to_vec(),
        "/bundle" => fs::read(&served.bundle)?,
        "/bad-bundle" => fs::read(&served.bad_bundle)?,
        _ => {
            stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    write!(stream, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
    stream.write_all(&body)
}

/// The emulated USB keyboard's name as the guest's kernel reports it (QEMU's `usb-kbd`).
const USB_KEYBOARD: &str = "QEMU USB Keyboard";

/// The input device the virt board's GPIO keys make (the tamper switch's stand-in).
const TAMPER_INPUT: &str = "gpio-keys";

/// In a key script: pull the USB keyboard out and plug it back.
const REPLUG: char = '!';

/// One running guest: its console lines arrive on a channel with their arrival time.
struct Guest {
    child: Child,
    lines: Receiver<String>,
    started: Instant,
    log: Vec<String>,
    /// QEMU's monitor (a Unix socket): key presses on the emulated USB keyboard.
    monitor: PathBuf,
    /// QEMU's machine protocol (a Unix socket): touches and screendumps of the display.
    qmp: PathBuf,
}

/// The guest's USB keyboard, typed through QEMU's monitor (`sendkey`).
struct Keyboard {
    monitor: PathBuf,
}

impl Keyboard {
    /// Presses each of `keys` (digits, `A`–`D`, `#`, `*`) for 100 ms, one every `gap`, and
    /// pulls the keyboard out and plugs it back at [`REPLUG`]; ends when the guest has gone.
    fn type_keys(&self, keys: &str, gap: Duration) -> Result<()> {
        use std::os::unix::net::UnixStream;
        let mut stream = UnixStream::connect(&self.monitor).with_context(|| format!("QEMU monitor {}", self.monitor.display()))?;
        // The monitor echoes what it is sent: read it away so that it never blocks QEMU.
        let mut echo = stream.try_clone()?;
        std::thread::spawn(move || std::io::copy(&mut echo, &mut std::io::sink()));
        for key in keys.chars() {
            if key == REPLUG {
                stream.write_all(b"device_del kbd\n").context("the guest has gone")?;
                std::thread::sleep(Duration::from_secs(2));
                stream.write_all(b"device_add usb-kbd,bus=usb.0,id=kbd\n").context("the guest has gone")?;
                continue;
            }
            let name = match key {
                '0'..='9' => key.to_string(),
                'A'..='D' => key.to_ascii_lowercase().to_string(),
                '#' => "kp_enter".to_owned(),
                '*' => "kp_multiply".to_owned(),
                other => bail!("no key {other:?} on the keypad"),
            };
            stream.write_all(format!("sendkey {name} 100\n").as_bytes()).context("the guest has gone")?;
            std::thread::sleep(gap);
        }
        Ok(())
    }
}

impl Guest {
    fn boot(layout: &Layout, disk: &Path, cmdline: &str) -> Result<Self> {
        static BOOTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = BOOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let monitor = std::env::temp_dir().join(format!("hadir-qemu-{}-{n}.monitor", std::process::id()));
        let qmp = monitor.with_extension("qmp");
        let _ = std::fs::remove_file(&monitor);
        let _ = std::fs::remove_file(&qmp);
        let mut cmd = Command::new("qemu-system-aarch64");
        cmd.args(["-M", "virt", "-cpu", "cortex-a72", "-m", "1024", "-smp", "2", "-nographic", "-no-reboot"])
            .arg("-kernel").arg(layout.kernel())
            .arg("-initrd").arg(layout.initramfs())
            .arg("-append").arg(cmdline)
            .arg("-drive").arg(format!("if=none,id=disk0,format=raw,file={}", disk.display()))
            .args(["-device", "virtio-blk-pci,drive=disk0"])
            .args(["-nic", "user,model=virtio-net-pci"])
            .args(["-device", "i6300esb", "-device", "virtio-rng-pci"])
            .args(["-device", "qemu-xhci,id=usb", "-device", "usb-kbd,bus=usb.0,id=kbd"])
            // The wall kiosk's touchscreen: a display of the panel's size and a touch device
            // (virtio's tablet: absolute positions over the whole display).
            .args(["-device", &format!("virtio-gpu-pci,xres={},yres={}", screen::WIDTH, screen::HEIGHT), "-device", "virtio-tablet-pci"])
            .arg("-monitor").arg(format!("unix:{},server=on,wait=off", monitor.display()))
            .arg("-qmp").arg(format!("unix:{},server=on,wait=off", qmp.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        println!("$ {}", shell::describe(&cmd));
        let started = Instant::now();
        let mut child = cmd.spawn().context("starting qemu-system-aarch64 (package qemu-system-arm)")?;
        let stdout = child.stdout.take().context("qemu has no stdout")?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            // Lines, plus the login prompts (`login: `, `Password: `) as soon as they arrive,
            // since a prompt waits for input before it ends its line.
            let mut stdout = stdout;
            let mut pending: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                pending.extend_from_slice(&chunk[..n]);
                while let Some(at) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=at).collect();
                    if tx.send(strip_ansi(&String::from_utf8_lossy(&line)).trim_end().to_string()).is_err() {
                        return;
                    }
                }
                if pending.ends_with(b"login: ") || pending.ends_with(b"Password: ") {
                    let line: Vec<u8> = std::mem::take(&mut pending);
                    if tx.send(String::from_utf8_lossy(&line).trim_end().to_string()).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Self { child, lines: rx, started, log: Vec::new(), monitor, qmp })
    }

    /// Waits for a line containing `marker`; returns it and the seconds since power-on.
    fn wait_for(&mut self, marker: &str) -> Result<(String, f64)> {
        self.wait_until(marker, self.started + BOOT_TIMEOUT)
    }

    /// Reads the console for `dur`; false when QEMU has gone.
    fn pump(&mut self, dur: Duration) -> bool {
        let until = Instant::now() + dur;
        loop {
            match self.lines.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    println!("  | {line}");
                    self.log.push(line);
                }
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Lines seen so far that contain `marker`.
    fn count(&self, marker: &str) -> usize {
        self.log.iter().filter(|l| l.contains(marker)).count()
    }

    /// Waits for a line containing `marker` until `deadline`.
    fn wait_until(&mut self, marker: &str, deadline: Instant) -> Result<(String, f64)> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    println!("  | {line}");
                    self.log.push(line.clone());
                    if line.contains(marker) {
                        return Ok((line, self.started.elapsed().as_secs_f64()));
                    }
                    if line.contains("Kernel panic") {
                        bail!("the guest kernel panicked while waiting for `{marker}`");
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    bail!("no `{marker}` on the console within {:.0} s of power-on", self.started.elapsed().as_secs_f64())
                }
                Err(RecvTimeoutError::Disconnected) => bail!("QEMU exited before `{marker}` appeared"),
            }
        }
    }

    /// The first console line so far that holds `marker`, or the next one: with the kiosk in
    /// the image, `HADIR-READY` comes after the self-test's lines, which are then already read.
    fn seen_or_wait(&mut self, marker: &str) -> Result<String> {
        if let Some(line) = self.log.iter().find(|l| l.contains(marker)) {
            return Ok(line.clone());
        }
        self.wait_for(marker).map(|(line, _)| line)
    }

    /// Waits for QEMU to exit by itself (with `-no-reboot`, a guest reset ends it); returns the
    /// seconds waited.
    fn wait_exit(&mut self, limit: Duration) -> Result<f64> {
        let start = Instant::now();
        loop {
            match self.lines.recv_timeout(limit.saturating_sub(start.elapsed())) {
                Ok(line) => {
                    println!("  | {line}");
                    self.log.push(line);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.child.wait();
                    return Ok(start.elapsed().as_secs_f64());
                }
                Err(RecvTimeoutError::Timeout) => bail!("QEMU still running after {}s", limit.as_secs()),
            }
        }
    }

    /// The guest's USB keyboard.
    fn keyboard(&self) -> Keyboard {
        Keyboard { monitor: self.monitor.clone() }
    }

    /// The guest's display and touch device.
    fn touchscreen(&self) -> Result<Qmp> {
        Qmp::connect(&self.qmp)
    }

    /// The last screen the kiosk said it showed: its console line's index, the screen, and
    /// whether it has a photo.
    fn last_screen(&self) -> Option<(usize, serde_json::Value, bool)> {
        self.log.iter().enumerate().rev().find_map(|(i, l)| screen::shown(l).map(|s| (i, s, screen::has_photo(l))))
    }

    /// Waits until the kiosk says it shows a screen of `kind` (`Idle`, `Pin`, `Result`, …) in a
    /// console line from index `since` on.
    fn wait_screen(&mut self, kind: &str, since: usize, limit: Duration) -> Result<serde_json::Value> {
        let deadline = Instant::now() + limit;
        loop {
            let seen = self.log.iter().skip(since).filter_map(|l| screen::shown(l)).find(|s| screen::kind(s) == kind);
            if let Some(shown) = seen {
                return Ok(shown);
            }
            if Instant::now() > deadline {
                let last = self.last_screen().map(|(_, s, _)| s.to_string());
                bail!("the touchscreen did not show the {kind} screen within {} s (last shown: {last:?})", limit.as_secs());
            }
            if !self.pump(Duration::from_millis(200)) {
                bail!("QEMU exited while waiting for the {kind} screen");
            }
        }
    }

    /// A screendump of the display showing the `kind` of screen the kiosk last set, once it
    /// has been drawn (a second later, and still the same screen after the dump; a result
    /// stays up five): the screen and its photo flag.
    fn capture(&mut self, qmp: &mut Qmp, kind: &str, path: &Path) -> Result<(serde_json::Value, bool)> {
        for _ in 0..5 {
            self.pump(Duration::from_secs(1));
            let before = self.last_screen().context("the kiosk has shown no screen")?;
            if screen::kind(&before.1) != kind {
                bail!("the {kind} screen was gone before its screendump: the kiosk shows {}", before.1);
            }
            qmp.screendump(path)?;
            self.pump(Duration::from_millis(200));
            if self.last_screen().is_some_and(|after| after.0 == before.0) {
                return Ok((before.1, before.2));
            }
        }
        bail!("the {kind} screen kept changing: no stable screendump for {}", path.display())
    }

    /// Types a line on the serial console.
    fn type_line(&mut self, text: &str) -> Result<()> {
        let stdin = self.child.stdin.as_mut().context("qemu has no stdin")?;
        stdin.write_all(format!("{text}\r").as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    /// The virtual power cut: SIGKILL, no shutdown.
    fn cut_power(mut self) -> Vec<String> {
        self.kill();
        std::mem::take(&mut self.log)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(&self.monitor);
        let _ = fs::remove_file(&self.qmp);
    }
}

impl Drop for Guest {
    /// A failed check must not leave QEMU running (it holds the disk's lock).
    fn drop(&mut self) {
        self.kill();
    }
}

/// Self-test results of one boot.
#[derive(Debug, Default)]
struct SelfTest {
    ok: Vec<String>,
    failed: Vec<String>,
    info: Vec<(String, String)>,
}

/// Parses `HADIR-SELFTEST ok|FAIL|info NAME DETAIL` console lines.
fn parse_selftest(log: &[String]) -> SelfTest {
    let mut result = SelfTest::default();
    for line in log {
        let Some(rest) = line.split("HADIR-SELFTEST ").nth(1) else { continue };
        let mut words = rest.splitn(3, ' ');
        let (kind, name, detail) = (words.next().unwrap_or(""), words.next().unwrap_or(""), words.next().unwrap_or(""));
        match kind {
            "ok" => result.ok.push(format!("{name}: {detail}")),
            "FAIL" => result.failed.push(format!("{name}: {detail}")),
            "info" => result.info.push((name.to_string(), detail.to_string())),
            _ => {}
        }
    }
    result
}

impl SelfTest {
    fn info(&self, name: &str) -> Option<&str> {
        self.info.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn report(&self, boot: &str) -> Result<()> {
        for line in &self.ok {
            println!("  [{boot}] ok    {line}");
        }
        for line in &self.failed {
            println!("  [{boot}] FAIL  {line}");
        }
        if !self.failed.is_empty() {
            bail!("{} self-test check(s) failed on {boot}", self.failed.len());
        }
        if self.ok.is_empty() {
            bail!("no self-test results on {boot}");
        }
        Ok(())
    }
}

/// How much larger than the image the test disk is, MiB (a card larger than the image).
const CARD_EXTRA_MIB: u64 = 64;

/// The data filesystem took the room past the image: it holds more than the image's whole
/// data partition did (`df`'s size leaves out ext4's own metadata, a few per cent).
fn data_grown(st: &SelfTest) -> Result<()> {
    let kib: u64 = st.info("data_kib").and_then(|v| v.parse().ok()).context("the self-test reported no data_kib")?;
    let image_kib = image::DATA_MIB * 1024;
    if kib <= image_kib {
        bail!("the data filesystem has {kib} KiB on a card {CARD_EXTRA_MIB} MiB larger than the image: it did not grow past the image's {image_kib} KiB");
    }
    println!("  data partition grown into the larger card: {} MiB of filesystem (image: {} MiB partition)", kib / 1024, image::DATA_MIB);
    Ok(())
}

fn cmdline(port: u16, extra: &str) -> String {
    format!("console=ttyAMA0 quiet loglevel=3 panic=5 hadir.selftest=http://10.0.2.2:{port} {extra}")
        .trim()
        .to_string()
}

/// `cargo xtask qemu-test [--without-kiosk] [--bin-dir DIR]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = image::Options::parse(args)?;
    let mut steps = Steps::default();
    let result = test_with(root, options, &mut steps);
    steps.summary();
    result
}

/// The boot test of the image with its kiosk, recorded in the caller's step list (for `cargo
/// xtask test`): a missing kiosk binary fails the image build rather than testing a smaller
/// image than the one shipped.
pub fn test(root: &Path, steps: &mut Steps) -> Result<()> {
    test_with(root, image::Options::from_env(), steps)
}

fn test_with(root: &Path, options: image::Options, steps: &mut Steps) -> Result<()> {
    if !shell::have("qemu-system-aarch64") {
        bail!("qemu-system-aarch64 is missing: run `cargo xtask setup` (package qemu-system-arm)");
    }
    let mut built = None;
    steps.step("qemu-test: build the image", || {
        built = Some(image::build(root, &options, &mut Steps::default())?);
        Ok(())
    })?;
    let built = built.context("image build produced nothing")?;
    let layout = Layout::new(root);
    let work = layout.base.join("qemu");
    fs::create_dir_all(&work)?;
    // The update carries the same kernel compressed differently: another kernel to the boot
    // logic, so slot b must boot its own kernel (kexec) after the update.
    let other_root = image::rootfs_with_other_kernel(&layout)?;
    let bundle = image::bundle::make_from(&layout, &other_root, "qemu-test-b", Some(work.join("good.bundle")))?;
    let bad_bundle = tampered_bundle(&layout, &work)?;
    let port = serve(Served { bundle, bad_bundle })?;
    let disk = work.join("disk.img");
    // The central server on the host, seeded and with a token for this device (kiosk images).
    let mut host = None;
    if built.has_kiosk {
        steps.step("qemu-test: hadir-server on the host (one employee, face templates from the real models, enrolment token)", || {
            host = Some(HostServer::start(root, &work.join("server"))?);
            Ok(())
        })?;
    }
    let (server_url, token) = match &host {
        Some(h) => (format!("http://10.0.2.2:{}", h.port), h.token.clone()),
        None => (format!("http://10.0.2.2:{port}"), "qemu-test-token".to_string()),
    };
    let settings = |technician_hash: &str, token: &str| provision::DeviceSettings {
        site: "QEMU-TEST".into(),
        mode: "office".into(),
        server_url: server_url.clone(),
        // The host's server speaks plain HTTP on QEMU's private user network.
        insecure_lan: true,
        enrol_token: token.into(),
        hostname: "hadir-qemu".into(),
        ntp_servers: String::new(),
        technician_hash: technician_hash.into(),
        // The emulated USB keyboard every boot has (`Guest::boot`), found by name.
        keypad_name: USB_KEYBOARD.into(),
        // The panel's mode, picked from the emulated display's list (a wrong pick shows in the
        // screendumps' size).
        screen: format!("{}x{}", screen::WIDTH, screen::HEIGHT),
        // QEMU's virt board has no enclosure switch: its power button is the one GPIO line the
        // harness can move (a `gpio-keys` input, as a board's device tree makes of a switch), so
        // it stands in for the switch, held down while the enclosure is open.
        tamper_input: TAMPER_INPUT.into(),
        tamper_code: "KEY_POWER".into(),
        ..provision::DeviceSettings::default()
    };
    let extras = match &host {
        Some(h) => attendance_extras(h)?,
        None => provision::Extras::default(),
    };
    let mut slot_a = String::new();
    steps.step("qemu-test: provision the test disk (image + device settings, a card larger than the image)", || {
        // A card with room past the image: provisioning grows the data partition into it and
        // the first boot grows the filesystem (checked below).
        let _ = fs::remove_file(&disk);
        let image_bytes = fs::metadata(layout.disk())?.len();
        fs::File::create(&disk)?.set_len(image_bytes + CARD_EXTRA_MIB * 1024 * 1024)?;
        provision::provision_with(&layout, &layout.disk(), &disk, &settings("", &token), &extras)?;
        slot_a = disk::partition_sha256(&disk, "rootfs-a")?;
        Ok(())
    })?;
    let ready_marker = if built.has_kiosk { "HADIR-READY" } else { "HADIR-SYSTEM-READY" };

    let mut boot_s = 0.0;
    let mut first = SelfTest::default();
    let mut acknowledged = 0u64;
    steps.step("qemu-test: first boot, self-test, tampered bundle refused, power cut during writes", || {
        let extra = if host.is_some() { "hadir.update=bad hadir.selftest_writes=1 hadir.selftest_kiosklog=1" } else { "hadir.update=bad hadir.selftest_writes=1" };
        let mut guest = Guest::boot(&layout, &disk, &cmdline(port, extra))?;
        let (_, secs) = guest.wait_for(ready_marker)?;
        boot_s = secs;
        guest.seen_or_wait("HADIR-SELFTEST-END")?;
        if host.is_some() {
            // The device enrols itself with the one-time token on this first boot; the cut
            // waits until it has stored its enrolment and the roster (a token is spent once).
            guest.seen_or_wait("roster applied")?;
        }
        // Let a varying number of fsynced records go by, then pull the plug mid-stream.
        let target = 20 + u64::from(std::process::id() % 30);
        let line = guest.seen_or_wait(&format!("HADIR-WROTE {target}"))?;
        acknowledged = line.rsplit(' ').next().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
        let log = guest.cut_power();
        // Records acknowledged after the one we waited for also count.
        for l in &log {
            if let Some(n) = l.split("HADIR-WROTE ").nth(1).and_then(|n| n.trim().parse::<u64>().ok()) {
                acknowledged = acknowledged.max(n);
            }
        }
        first = parse_selftest(&log);
        println!("  power cut after {acknowledged} fsynced records");
        first.report("boot 1")?;
        data_grown(&first)
    })?;
    let mut slot_b = String::new();
    steps.step("qemu-test: after the power cut, data intact; signed update to slot b", || {
        let mut guest = Guest::boot(&layout, &disk, &cmdline(port, "hadir.update=1"))?;
        guest.wait_for(ready_marker)?;
        guest.seen_or_wait("HADIR-SELFTEST-END")?;
        let second = parse_selftest(&guest.cut_power());
        second.report("boot 2")?;
        if second.info("boots") != Some("2") {
            bail!("the boot counter on /data did not survive the power cut: {:?}", second.info("boots"));
        }
        if second.info("machine_id").is_none_or(str::is_empty) || second.info("machine_id") != first.info("machine_id") {
            bail!("the machine id changed across the power cut: {:?} then {:?}", first.info("machine_id"), second.info("machine_id"));
        }
        let kept: i64 = second.info("journal_last").and_then(|n| n.parse().ok()).unwrap_or(-1);
        if kept < acknowledged as i64 {
            bail!("{acknowledged} records were fsynced before the power cut but only {kept} survived");
        }
        if second.info("hostname") != Some("hadir-qemu") {
            bail!("the provisioned host name was not applied: {:?}", second.info("hostname"));
        }
        if !second.ok.iter().any(|l| l.starts_with("update_installed")) {
            bail!("the signed bundle was not installed");
        }
        println!("  data partition survived the power cut: boot counter 2, same machine id, {kept} of {acknowledged} acknowledged records intact");
        slot_b = disk::partition_sha256(&disk, "rootfs-b")?;
        Ok(())
    })?;
    steps.step("qemu-test: trial boots of slot b and the fallback", || trial_boots(&layout, &disk, port, built.has_kiosk))?;
    let mut attendance = None;
    if let Some(host) = &host {
        steps.step("qemu-test: attendance in the guest, verified on hadir-server; power cut during record writes", || {
            attendance = Some(attendance_and_power_cut(root, &layout, &disk, &work, port, host)?);
            Ok(())
        })?;
        steps.step("qemu-test: after the power cut: store intact, records uploaded, root never written", || {
            let a = attendance.as_mut().context("attendance step made no result")?;
            after_power_cut(&layout, &disk, &work, port, host, a)?;
            for (name, before) in [("rootfs-a", &slot_a), ("rootfs-b", &slot_b)] {
                let now = disk::partition_sha256(&disk, name)?;
                if &now != before {
                    bail!("the root slot {name} was written while the device ran: sha256 {before} before, {now} after");
                }
            }
            println!("  root slots unchanged by every boot since they were written: rootfs-a {}…, rootfs-b {}…", &slot_a[..16], &slot_b[..16]);
            Ok(())
        })?;
    }
    steps.step("qemu-test: technician mode (login on the console), a hung kiosk resets the board", || {
        let tech_disk = work.join("technician.img");
        let hash = shell::output(Command::new("openssl").args(["passwd", "-6", "-salt", "hadirqemu", "teknisi-qemu"]))?;
        // No enrolment on this disk: its token is not one the server issued.
        provision::provision(&layout, &layout.disk(), &tech_disk, &settings(hash.trim(), "not-issued"))?;
        let mut guest = Guest::boot(&layout, &tech_disk, &cmdline(port, ""))?;
        guest.wait_for("technician mode ON")?;
        guest.wait_for("login:")?;
        guest.type_line("root")?;
        guest.wait_for("Password:")?;
        guest.type_line("teknisi-qemu")?;
        guest.type_line("echo TECH-SHELL-$((6*7)) $(id -u)")?;
        guest.wait_for("TECH-SHELL-42 0")?;
        guest.seen_or_wait("HADIR-SELFTEST-END")?;
        let st = parse_selftest(&guest.log);
        st.report("technician boot")?;
        println!("  technician mode: login prompt on the console, root shell with the provisioned password");
        // The hardware watchdog is the kiosk's: once it holds the device, stop its loop as a
        // hung kiosk would (SIGSTOP: the process lives, nothing feeds); the i6300esb must
        // reset the guest (QEMU runs with -no-reboot, so it exits).
        guest.type_line(
            "for i in $(seq 120); do ls -l /proc/$(pidof hadir-kiosk)/fd 2>/dev/null | grep -q /dev/watchdog && break; sleep 1; done; \
             ls -l /proc/$(pidof hadir-kiosk)/fd | grep -q /dev/watchdog && echo KIOSK-FEEDS-$((40+2))",
        )?;
        guest.wait_for("KIOSK-FEEDS-42")?;
        guest.type_line("kill -STOP $(pidof hadir-kiosk) && echo KIOSK-STOPPED")?;
        guest.wait_for("KIOSK-STOPPED")?;
        let waited = guest.wait_exit(Duration::from_secs(180))?;
        println!("  watchdog: the guest was reset {waited:.0} s after the kiosk's loop was stopped (SIGSTOP; timeout 30 s)");
        drop(guest);
        std::fs::remove_file(&tech_disk).ok();
        Ok(())
    })?;

    println!("\nqemu-test results:");
    println!("  image: {}", if built.has_kiosk { "with hadir-kiosk" } else { "BASE image without hadir-kiosk (not built)" });
    println!("  device binaries in the image: {:?}; kernel {}", built.binaries, built.kernel_version);
    if built.has_kiosk {
        println!("  boot to kiosk ready: {boot_s:.1} s (emulated)");
        println!("boot_to_ready_s={boot_s:.1}");
    } else {
        println!("  boot to system ready (no kiosk): {boot_s:.1} s (emulated)");
        println!("boot_to_system_ready_s={boot_s:.1}");
        println!("boot_to_ready_s=NOT-RUN (no kiosk binary: {})", options.binary(root, image::KIOSK_BINARY).display());
    }
    let models = image::models_squashfs_bytes(&layout);
    println!("image_bytes={}", image::image_bytes(&layout));
    if models > 0 {
        println!("image_bytes_without_models={}", image::image_bytes(&layout).saturating_sub(models));
        println!("models_bytes={models}");
    }
    println!("disk_bytes={}", image::file_bytes(&layout.disk()));
    match &attendance {
        Some(a) => a.print(),
        None => {
            println!("  NOT RUN: attendance record in the guest verified on hadir-server (no kiosk in the image)");
            println!("  NOT RUN: power cut during record writes (no kiosk in the image)");
        }
    }
    Ok(())
}

/// The test disk's additions for the attendance boot: the kiosk's simulated camera shows one
/// photo of the enrolled employee, and its scripted keypad makes MASUK, then PULANG, ... with
/// that employee's PIN. Timings are for emulation: one frame through the face models takes
/// several seconds, so the capture window is the longest the kiosk allows.
fn attendance_extras(host: &HostServer) -> Result<provision::Extras> {
    let name = host.camera_photo.file_name().context("camera photo has no name")?.to_string_lossy().into_owned();
    Ok(provision::Extras {
        kiosk_toml: "\n# qemu-test: used only when the kernel command line asks for the simulated devices.\n\
             [flow]\ncapture_window_ms = 30000\nstore_timeout_s = 120\nchoose_timeout_s = 60\npin_timeout_s = 60\n\n\
             [sim]\nfaces_dir = \"/data/test/camera\"\nreal_keypad = true\n"
            .to_owned(),
        files: vec![(format!("test/camera/{name}"), host.camera_photo.clone())],
    })
}

/// Keys typed one every 400 ms on the guest's USB keyboard once the first record (made by
/// touch) showed its result: a `0` outside PIN entry only wakes the choice screen, so runs of `0` are
/// pauses. First the keyboard is pulled out and plugged back (`!`): every attempt must reach
/// the kiosk through the device it found again. PULANG (`B`) and MASUK (`A`) alternate,
/// several times, so that records keep being written until the power is cut.
fn key_script(pin: &str) -> String {
    let pause = |secs: usize| "0".repeat(secs * 10 / 4);
    let mut keys = String::from(REPLUG);
    for direction in ["B", "A", "B", "A"] {
        keys += &pause(10);
        keys += direction;
        keys += pin;
    }
    keys
}

/// What the first record, made on the touchscreen, showed.
struct TouchRun {
    /// From the touch on MASUK to the result screen, seconds (under emulation).
    touch_to_result_s: f64,
    /// Each screen: name, share of pixels that differ from the host's rendering.
    compared: Vec<(String, f64)>,
    /// Where the screendumps and the host's renderings are.
    dir: PathBuf,
}

/// The first record as a person makes it at the wall: the idle screen, a touch on MASUK, the
/// PIN touched on the screen's pad, the result. Each of the three screens is dumped from the
/// emulated display; the buttons are found where the host's rendering of the same screen puts
/// their labels. Returns the screens and their screendumps for the comparison.
fn touch_record(guest: &mut Guest, reference: &Reference, pin: &str) -> Result<(f64, Vec<Wanted>)> {
    let limit = Duration::from_secs(120);
    let mut qmp = guest.touchscreen()?;
    let mut wanted = Vec::new();
    let mut dump = |guest: &mut Guest, qmp: &mut Qmp, kind: &str| -> Result<serde_json::Value> {
        let name = kind.to_lowercase();
        let path = reference.dir.join(format!("guest-{name}.png"));
        let (shown, photo) = guest.capture(qmp, kind, &path)?;
        println!("  screendump {}: {}", path.display(), shown);
        wanted.push(Wanted { name, screen: shown.clone(), photo, guest: Some(path) });
        Ok(shown)
    };
    guest.wait_screen("Idle", 0, limit)?;
    let idle = dump(guest, &mut qmp, "Idle")?;
    let (x, y) = reference.layout("idle", &idle)?.centre("MASUK")?;
    println!("  touch MASUK at ({x:.0}, {y:.0})");
    let (touched, mark) = (Instant::now(), guest.log.len());
    qmp.tap(x, y)?;
    guest.wait_screen("Pin", mark, limit)?;
    let pin_screen = dump(guest, &mut qmp, "Pin")?;
    let pad = reference.layout("pin", &pin_screen)?;
    let mark = guest.log.len();
    for digit in pin.chars() {
        let (x, y) = pad.centre(&digit.to_string())?;
        qmp.tap(x, y)?;
        guest.pump(Duration::from_millis(700));
    }
    println!("  PIN touched on the screen's pad");
    let result = guest.wait_screen("Result", mark, Duration::from_secs(240))?;
    let touch_to_result_s = touched.elapsed().as_secs_f64();
    println!("  result screen {touch_to_result_s:.1} s after the touch on MASUK: {result}");
    dump(guest, &mut qmp, "Result")?;
    Ok((touch_to_result_s, wanted))
}

/// What the attendance boot and the boot after its power cut saw.
struct Attendance {
    /// Power-on to the first record stored (verified) on the server, seconds.
    first_record_s: f64,
    /// The first record as the server stored it.
    first: server::Stored,
    /// The first record's screens.
    touch: TouchRun,
    /// `record saved` lines the kiosk logged before the power cut.
    saved_before_cut: usize,
    /// Milliseconds between the kiosk's last `record saved` line and the power cut.
    cut_after_ms: u64,
    /// Records the server held right after the cut.
    on_server_at_cut: usize,
    /// The kiosk's store after the cut: how it was checked, records, integrity.
    store: String,
    /// Records in the kiosk's store after the reboot.
    kept: u64,
    /// Records on the server after the reboot.
    uploaded: usize,
    /// The face pipeline's stage times in the guest.
    bench: String,
    /// Seconds from the tamper switch's move to both events on the server.
    tamper: f64,
}

impl Attendance {
    fn print(&self) {
        println!(
            "  attendance: record seq {} ({}, {}, score {:.1} %) stored verified by hadir-server {:.0} s after power-on",
            self.first.seq, self.first.direction, self.first.decision, self.first.score_percent, self.first_record_s
        );
        println!("attendance_first_record_s={:.0}", self.first_record_s);
        println!(
            "  touchscreen: idle, PIN and result screens on the emulated display (screendumps and the host's renderings in {}); \
             pixels differing from the host's rendering: {}",
            self.touch.dir.display(),
            self.touch.compared.iter().map(|(n, s)| format!("{n} {:.2} %", s * 100.0)).collect::<Vec<_>>().join(", ")
        );
        println!("touch_to_result_s={:.1}", self.touch.touch_to_result_s);
        println!(
            "  power cut {} ms after the kiosk's record {} was saved ({} on the server at the cut); after the reboot: {}; \
             {} record(s) on the server",
            self.cut_after_ms, self.saved_before_cut, self.on_server_at_cut, self.store, self.uploaded
        );
        println!("power_cut_saved={} power_cut_kept={} power_cut_uploaded={}", self.saved_before_cut, self.kept, self.uploaded);
        println!("  face pipeline in the guest: {}", self.bench);
        println!("  tamper switch: opened and shut, both signed events on the server {:.1} s after", self.tamper);
        println!("tamper_to_server_s={:.1}", self.tamper);
    }
}

/// Boots with the simulated camera and keypad, waits until the server stores the first
/// record, then cuts the power shortly after the kiosk saved its next record (while it
/// writes the outbox, the audit log and the upload's acknowledgement).
fn attendance_and_power_cut(root: &Path, layout: &Layout, disk: &Path, work: &Path, port: u16, host: &HostServer) -> Result<Attendance> {
    let mut guest = Guest::boot(layout, disk, &cmdline(port, "hadir.kiosk_sim=1 hadir.selftest_kiosklog=1"))?;
    guest.wait_for("HADIR-READY")?;
    // The first record by touch, on the emulated display.
    let reference = Reference::new(&server::host_bin_dir(root), &work.join("screens"))?;
    let (touch_to_result_s, wanted) = touch_record(&mut guest, &reference, &host.pin)?;
    // The next ones as a person's key presses on a USB keyboard, through the guest's kernel
    // (xhci, usbhid, evdev) to the kiosk's evdev keypad.
    let keyboard = guest.keyboard();
    let script = key_script(&host.pin);
    std::thread::spawn(move || {
        if let Err(e) = keyboard.type_keys(&script, Duration::from_millis(400)) {
            println!("  keyboard: {e:#}");
        }
    });
    let limit = Duration::from_secs(300);
    let records = host.wait_records(1, limit, &mut || guest.pump(Duration::from_secs(2)))?;
    let first_record_s = guest.started.elapsed().as_secs_f64();
    let first = records[0].clone();
    println!(
        "  the server stored record seq {} of {} ({}, {}, score {:.1} %) after {first_record_s:.0} s",
        first.seq,
        server::DEVICE_ID,
        first.direction,
        first.decision,
        first.score_percent
    );
    if first.seq != 1 || first.direction != "in" {
        bail!("the device's first record on the server is seq {} {}, not the MASUK (in) of seq 1 made by touch", first.seq, first.direction);
    }
    // What the emulated display showed against the host's rendering of the same screens (the
    // result's photo is left out: the server keeps evidence photos sealed).
    let mut compared = Vec::new();
    for rendered in reference.render(&wanted)? {
        let share = rendered.differing_share().with_context(|| format!("screen {} was not compared", rendered.name))?;
        println!(
            "  screen {}: {:.2} % of the pixels differ from the host's rendering (tolerance {:.1} %; {} px of photo left out)",
            rendered.name,
            share * 100.0,
            screen::PIXEL_TOLERANCE * 100.0,
            rendered.masked
        );
        if share > screen::PIXEL_TOLERANCE {
            bail!(
                "the emulated display's {} screen differs from the host's rendering of the same screen in {:.2} % of its pixels \
                 (tolerance {:.1} %): compare {}/guest-{}.png with host-{}.png",
                rendered.name, share * 100.0, screen::PIXEL_TOLERANCE * 100.0, reference.dir.display(), rendered.name, rendered.name
            );
        }
        compared.push((rendered.name, share));
    }
    let touch = TouchRun { touch_to_result_s, compared, dir: reference.dir.clone() };
    // The later records' PINs come from the USB keyboard: the kiosk opened it.
    if guest.count("keypad of [keypad] opened beside the simulated camera") == 0 {
        bail!("the kiosk did not say it opened the USB keypad: the keyboard's PINs went nowhere");
    }
    // The next record: cut the power a random moment (0-0.8 s) after the kiosk says it saved it,
    // while it writes the outbox, uploads and stores the acknowledgement.
    let deadline = Instant::now() + limit;
    while guest.count("record saved") < 2 {
        if Instant::now() > deadline || !guest.pump(Duration::from_millis(200)) {
            bail!("the kiosk did not save a second record within {} s", limit.as_secs());
        }
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let cut_after_ms = u64::from((nanos ^ std::process::id()) % 800);
    guest.pump(Duration::from_millis(cut_after_ms));
    let saved_before_cut = guest.count("record saved");
    // The second record's PIN was typed after the keyboard was pulled out and plugged back.
    if guest.count("keypad is back") == 0 {
        bail!("the kiosk did not find its USB keypad again after it was unplugged (no `keypad is back`)");
    }
    guest.cut_power();
    let on_server_at_cut = host.records()?.len();
    println!("  power cut {cut_after_ms} ms after the kiosk saved record {saved_before_cut}; the server then held {on_server_at_cut}");
    Ok(Attendance { first_record_s, first, touch, saved_before_cut, cut_after_ms, on_server_at_cut, store: String::new(), kept: 0, uploaded: 0, bench: String::new(), tamper: 0.0 })
}

/// The boot after the cut: the kiosk checks its store (integrity, chain, signatures) and
/// uploads what the server lacks; then the host counts both sides.
fn after_power_cut(layout: &Layout, disk: &Path, work: &Path, port: u16, host: &HostServer, a: &mut Attendance) -> Result<()> {
    let mut guest = Guest::boot(layout, disk, &cmdline(port, "hadir.selftest_store=1 hadir.selftest_bench=1 hadir.selftest_kiosklog=1"))?;
    guest.wait_for("HADIR-READY")?;
    guest.seen_or_wait("HADIR-SELFTEST-END")?;
    let st = parse_selftest(&guest.log);
    st.report("boot after the cut")?;
    // Both are steps of a kiosk image's test: without them the run would test less than what
    // ships, so their absence fails it rather than being reported as not run.
    let bench = st.info("face_bench").context("the guest ran no face benchmark (hadir-face missing from the image?)")?;
    a.bench = face_bench_summary(bench)?;
    println!("  face pipeline in the guest (hadir-face bench, 1 timed run): {}", a.bench);
    let in_guest = st
        .info("store_check")
        .filter(|s| !s.starts_with("unsupported"))
        .with_context(|| format!("the kiosk in the guest did not check its store: {:?}", st.info("store_check")))?
        .to_string();
    // Every record the kiosk said it saved must reach the server (and no more than it has).
    let want = field(&in_guest, "records")
        .with_context(|| format!("the guest's store check names no record count: {in_guest}"))? as usize;
    let records = host.wait_records(want, Duration::from_secs(180), &mut || guest.pump(Duration::from_secs(2)))?;
    // The enclosure is opened and shut (the power button's pulse): the kiosk signs both events
    // and sends them at once; the server verifies and keeps them.
    a.tamper = tamper_events(&mut guest, host)?;
    guest.pump(Duration::from_secs(3));
    guest.cut_power();
    let on_disk = disk::kiosk_store(disk, &work.join("store-copy"))?;
    let records = if records.len() < on_disk.records as usize { host.records()? } else { records };
    println!(
        "  kiosk store on the data partition (read on the host with sqlite3): integrity {}, {} records, head seq {}",
        on_disk.integrity, on_disk.records, on_disk.head_seq
    );
    if on_disk.integrity != "ok" {
        bail!("the kiosk's store is damaged after the power cut: {}", on_disk.integrity);
    }
    if on_disk.records < a.saved_before_cut as u64 || on_disk.head_seq != on_disk.records {
        bail!(
            "the kiosk logged {} saved records before the cut, its store holds {} (head seq {})",
            a.saved_before_cut,
            on_disk.records,
            on_disk.head_seq
        );
    }
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    let expected: Vec<i64> = (1..=on_disk.records as i64).collect();
    if seqs != expected {
        bail!("the server holds seqs {seqs:?} of {}, the kiosk's store 1..={}", server::DEVICE_ID, on_disk.records);
    }
    let state = host.device_state()?;
    println!("  hadir-server's tables for {}: {state:?}", server::DEVICE_ID);
    if state.last_seq != on_disk.records as i64 || state.chain_events != 0 || state.quarantined != 0 || state.missing_photos != 0 {
        bail!("the server's view of the device is not a clean chain 1..={}: {state:?}", on_disk.records);
    }
    a.uploaded = records.len();
    a.kept = on_disk.records;
    a.store = format!("kiosk store-check in the guest: {in_guest}; on the host: integrity {}, {} records", on_disk.integrity, on_disk.records);
    println!("  {}", a.store);
    Ok(())
}

/// Opens and shuts the enclosure through the tamper switch's stand-in and waits until the
/// server holds both signed events of the device; returns seconds from the press to then.
fn tamper_events(guest: &mut Guest, host: &HostServer) -> Result<f64> {
    guest.seen_or_wait("tamper switch input ready").context("the kiosk did not find its tamper switch (`gpio-keys`)")?;
    let before = host.device_events()?.len();
    let pressed = Instant::now();
    guest.touchscreen()?.power_button()?;
    let deadline = pressed + Duration::from_secs(60);
    loop {
        let events = host.device_events()?;
        let new = &events[before.min(events.len())..];
        if new.iter().any(|k| k == "tamper_opened") && new.iter().any(|k| k == "tamper_closed") {
            let secs = pressed.elapsed().as_secs_f64();
            println!("  tamper: the enclosure opened and shut; the server holds the device's signed events {new:?} {secs:.1} s after");
            return Ok(secs);
        }
        if Instant::now() > deadline {
            bail!("the server holds no tamper_opened and tamper_closed of {} 60 s after the switch moved (new events: {new:?})", server::DEVICE_ID);
        }
        if !guest.pump(Duration::from_millis(500)) {
            bail!("QEMU exited while waiting for the tamper events");
        }
    }
}

/// `guest_ms detect=… embed=… liveness=… total=…` from `hadir-face bench --json` output.
fn face_bench_summary(json: &str) -> Result<String> {
    let v: serde_json::Value = serde_json::from_str(json).with_context(|| format!("the guest's face benchmark gave no figures: {json}"))?;
    let ms = |stage: &serde_json::Value| stage["median_ms"].as_f64().map_or("?".to_string(), |m| format!("{m:.0}"));
    let mut out = String::from("guest_ms");
    for stage in ["detect", "landmarks", "embed", "liveness", "pose"] {
        out += &format!(" {stage}={}", ms(&v["stages"][stage]));
    }
    Ok(out + &format!(" total={}", ms(&v["total"])))
}

/// `name=N` from a `key=value` line.
fn field(line: &str, name: &str) -> Option<u64> {
    line.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
}

/// The console text without terminal colour sequences: raw (`ESC [ … m`) or as syslog
/// writes them (`^[[ … m`), in case a program logs in colour.
fn strip_ansi(text: &str) -> String {
    let text = text.replace("^[", "\u{1b}");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            if chars.next() == Some('[') {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The good bundle with its manifest changed after signing.
fn tampered_bundle(layout: &Layout, work: &Path) -> Result<PathBuf> {
    let stage = layout.base.join("bundle-stage");
    let manifest = fs::read_to_string(stage.join("manifest"))?;
    fs::write(stage.join("manifest"), manifest.replace("version=qemu-test-b", "version=qemu-test-evil"))?;
    let out = work.join("bad.bundle");
    shell::run(
        Command::new("tar")
            .args(["--format=ustar", "--owner=0", "--group=0", "-cf"])
            .arg(&out)
            .arg("-C")
            .arg(&stage)
            .args(["manifest", "manifest.sig", "rootfs.squashfs"]),
    )?;
    Ok(out)
}

/// Slot b was armed with 3 tries. With a kiosk: the first trial boot is ready and commits b.
/// Without: each trial boot ends unhealthy (power cut), and the fourth boot falls back to a.
fn trial_boots(layout: &Layout, disk: &Path, port: u16, has_kiosk: bool) -> Result<()> {
    if has_kiosk {
        let mut guest = Guest::boot(layout, disk, &cmdline(port, ""))?;
        guest.wait_for("trial boot of slot b")?;
        guest.wait_for("slot b has its own kernel: kexec")?;
        let (line, _) = guest.wait_for("HADIR-READY")?;
        guest.seen_or_wait("HADIR-SELFTEST-END")?;
        let log = guest.cut_power();
        if !line.contains("slot=b") {
            bail!("the updated slot b did not become ready: {line}");
        }
        let st = parse_selftest(&log);
        st.report("boot 3 (slot b)")?;
        if !st.info("kernel").is_some_and(|k| k.starts_with("slot ")) {
            bail!("slot b did not run its own kernel: {:?}", st.info("kernel"));
        }
        println!("  slot b came up healthy on its own kernel (kexec from the boot medium's) and was committed: {:?}", st.info("kernel"));
        return Ok(());
    }
    for attempt in 1..=3 {
        let mut guest = Guest::boot(layout, disk, &cmdline(port, ""))?;
        guest.wait_for(&format!("trial boot of slot b ({} tries left", 3 - attempt))?;
        guest.wait_for("HADIR-SELFTEST-END")?;
        let st = parse_selftest(&guest.cut_power());
        if !st.info("slot").is_some_and(|s| s.starts_with("running=b committed=a")) {
            bail!("trial boot {attempt} did not run slot b uncommitted: {:?}", st.info("slot"));
        }
        println!("  trial boot {attempt} of slot b: not committed (no kiosk to report healthy), power cut");
    }
    let mut guest = Guest::boot(layout, disk, &cmdline(port, ""))?;
    guest.wait_for("falling back to slot a")?;
    guest.wait_for("HADIR-SELFTEST-END")?;
    let st = parse_selftest(&guest.cut_power());
    st.report("boot after fallback")?;
    if !st.info("slot").is_some_and(|s| s.starts_with("running=a committed=a try= ")) {
        bail!("after the tries ran out the device did not fall back to slot a: {:?}", st.info("slot"));
    }
    println!("  after 3 unhealthy trial boots the device fell back to slot a");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selftest_lines_are_parsed_by_kind() {
        let log: Vec<String> = [
            "[    3.1] random kernel line",
            "HADIR-SELFTEST ok root_readonly / is squashfs",
            "HADIR-SELFTEST FAIL network DHCP lease",
            "HADIR-SELFTEST info boots 2",
            "HADIR-SELFTEST info slot running=a committed=a try= tries=",
            "HADIR-SELFTEST-END",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let st = parse_selftest(&log);
        assert_eq!(st.ok, vec!["root_readonly: / is squashfs"]);
        assert_eq!(st.failed, vec!["network: DHCP lease"]);
        assert_eq!(st.info("boots"), Some("2"));
        assert_eq!(st.info("slot"), Some("running=a committed=a try= tries="));
        assert!(st.report("t").is_err(), "a failed check fails the boot");
    }

    #[test]
    fn colour_sequences_are_removed_raw_or_as_syslog_writes_them() {
        for (raw, clean) in [
            ("\u{1b}[2mtime\u{1b}[0m record saved \u{1b}[3mseq\u{1b}[0m\u{1b}[2m=\u{1b}[0m2", "time record saved seq=2"),
            ("^[[2mtime^[[0m record saved ^[[3mseq^[[0m^[[2m=^[[0m2", "time record saved seq=2"),
            ("HADIR-READY uptime=12.2 slot=a", "HADIR-READY uptime=12.2 slot=a"),
        ] {
            assert_eq!(strip_ansi(raw), clean);
        }
    }

    #[test]
    fn key_script_replugs_then_alternates_directions_with_the_pin() {
        let keys = key_script("123456");
        assert!(keys.starts_with(&format!("{REPLUG}{}", "0".repeat(25))), "the replug, then a pause before the first attempt");
        let attempts: Vec<char> = keys.chars().filter(|c| *c == 'A' || *c == 'B').collect();
        assert_eq!(attempts, vec!['B', 'A', 'B', 'A'], "the touch record was MASUK: PULANG comes next");
        assert_eq!(keys.matches("123456").count(), 4);
        assert!(keys.chars().all(|c| c.is_ascii_digit() || c == 'A' || c == 'B' || c == REPLUG), "keys of the keypad, and the replug");
        assert_eq!(keys.matches(REPLUG).count(), 1);
    }

    #[test]
    fn face_bench_json_is_summarised_per_stage() {
        let json = r#"{"stages":{"detect":{"median_ms":1500.4},"landmarks":{"median_ms":80.0},"embed":{"median_ms":4012.6},"liveness":{"median_ms":900.0},"pose":{"median_ms":1000.0}},"total":{"median_ms":7600.2}}"#;
        assert_eq!(face_bench_summary(json).unwrap(), "guest_ms detect=1500 landmarks=80 embed=4013 liveness=900 pose=1000 total=7600");
        let err = face_bench_summary("error: no models").unwrap_err().to_string();
        assert!(err.starts_with("the guest's face benchmark gave no figures: error: no models"), "{err}");
    }

    #[test]
    fn store_check_fields_are_read_by_name() {
        let line = "integrity=ok chain=ok records=7 unsent=0";
        assert_eq!(field(line, "records"), Some(7));
        assert_eq!(field(line, "unsent"), Some(0));
        assert_eq!(field(line, "chain"), None);
        assert_eq!(field(line, "rec"), None);
    }

    #[test]
    fn guest_is_only_pointed_at_the_host_alias() {
        let line = cmdline(4242, "hadir.update=1");
        assert!(line.contains("hadir.selftest=http://10.0.2.2:4242"));
        assert!(line.starts_with("console=ttyAMA0"));
    }

    #[test]
    fn the_probe_server_answers_over_loopback() {
        let dir = std::env::temp_dir().join(format!("hadir-probe-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("b"), b"bundle-bytes").unwrap();
        let port = serve(Served { bundle: dir.join("b"), bad_bundle: dir.join("b") }).unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            text
        };
        assert!(get("/probe").ends_with("\r\n\r\nhadir-probe-ok"));
        assert!(get("/bundle").ends_with("bundle-bytes"));
        assert!(get("/nothing").starts_with("HTTP/1.0 404"));
        fs::remove_dir_all(&dir).ok();
    }
}
