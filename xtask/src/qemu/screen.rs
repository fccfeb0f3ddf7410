//! The guest's touchscreen seen from outside: QMP (QEMU's machine protocol, on a Unix socket)
//! touches the virtio tablet and takes screendumps of the virtio GPU's display; the kiosk's
//! console lines `touchscreen shows {json}` say exactly what it put on the screen; the host's
//! rendering of those same screens (`hadir-ui`'s `reference` example, from the host's test
//! build) says where each labelled button is and what the display should look like.
//!
//! It must not decide whether the kiosk did the right thing: that is the test's (`qemu.rs`).

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The emulated display (`virtio-gpu-pci,xres=…,yres=…`): the board's 7" panel.
pub const WIDTH: u32 = 800;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 480;

/// A pixel differs when one of its channels differs by more than this (of 255): font
/// antialiasing and a JPEG-decoded photo stay under it, a wrong text or colour does not.
pub const CHANNEL_TOLERANCE: u8 = 48;
/// At most this share of the pixels may differ between the emulated display and the host's
/// rendering of the same screen (the pointer's arrow, drawn where the last touch was, is
/// about 0.1 %).
pub const PIXEL_TOLERANCE: f64 = 0.01;

/// The console line's marker before the screen's JSON.
const SHOWS: &str = "touchscreen shows ";

/// The screen in a kiosk's `touchscreen shows {json}` line, if it is one.
pub fn shown(line: &str) -> Option<Value> {
    let rest = &line[line.find(SHOWS)? + SHOWS.len()..];
    serde_json::Deserializer::from_str(rest).into_iter::<Value>().next()?.ok()
}

/// The screen's kind: the variant's name (`Idle`, `Pin`, `Result`, `Busy`, …).
pub fn kind(screen: &Value) -> &str {
    match screen {
        Value::String(name) => name,
        Value::Object(map) => map.keys().next().map_or("?", String::as_str),
        _ => "?",
    }
}

/// Whether a `touchscreen shows` line says the screen has an evidence photo.
pub fn has_photo(line: &str) -> bool {
    line.contains("photo=true")
}

/// QEMU's machine protocol on its Unix socket.
pub struct Qmp {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Qmp {
    /// Connects (QEMU creates the socket as it starts) and leaves the capabilities negotiation.
    pub fn connect(path: &Path) -> Result<Self> {
        let until = Instant::now() + Duration::from_secs(20);
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() > until => return Err(e).with_context(|| format!("QMP socket {}", path.display())),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut qmp = Self { writer: stream.try_clone()?, reader: BufReader::new(stream) };
        let mut greeting = String::new();
        qmp.reader.read_line(&mut greeting).context("QMP greeting")?;
        if !greeting.contains("\"QMP\"") {
            bail!("not a QMP greeting: {greeting}");
        }
        qmp.execute(json!({"execute": "qmp_capabilities"}))?;
        Ok(qmp)
    }

    /// Sends one command and returns its `return` value (events in between are skipped).
    fn execute(&mut self, command: Value) -> Result<Value> {
        writeln!(self.writer, "{command}").context("QMP: QEMU has gone")?;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).context("QMP answer")? == 0 {
                bail!("QMP: QEMU closed the socket during {command}");
            }
            let answer: Value = serde_json::from_str(&line).with_context(|| format!("QMP answer {line:?}"))?;
            if let Some(ret) = answer.get("return") {
                return Ok(ret.clone());
            }
            if let Some(err) = answer.get("error") {
                bail!("QMP {command}: {err}");
            }
        }
    }

    /// Touches the display at logical pixel (`x`, `y`) and lifts the finger 150 ms later: the
    /// virtio tablet's absolute axes run over 0..=32767 across the whole display.
    pub fn tap(&mut self, x: f32, y: f32) -> Result<()> {
        let axis = |v: f32, size: u32| (((v + 0.5) / size as f32) * 32768.0).clamp(0.0, 32767.0) as i64;
        let events = |list: Value| json!({"execute": "input-send-event", "arguments": {"events": list}});
        self.execute(events(json!([
            {"type": "abs", "data": {"axis": "x", "value": axis(x, WIDTH)}},
            {"type": "abs", "data": {"axis": "y", "value": axis(y, HEIGHT)}},
        ])))?;
        std::thread::sleep(Duration::from_millis(50));
        self.execute(events(json!([{"type": "btn", "data": {"down": true, "button": "left"}}])))?;
        std::thread::sleep(Duration::from_millis(150));
        self.execute(events(json!([{"type": "btn", "data": {"down": false, "button": "left"}}])))?;
        Ok(())
    }

    /// Presses the board's power button: on QEMU's virt board a 100 ms pulse on the GPIO line
    /// that the device tree gives to `gpio-keys` as KEY_POWER.
    pub fn power_button(&mut self) -> Result<()> {
        self.execute(json!({"execute": "system_powerdown"})).map(|_| ())
    }

    /// Saves what the emulated display shows as a PNG.
    pub fn screendump(&mut self, path: &Path) -> Result<()> {
        let _ = std::fs::remove_file(path);
        self.execute(json!({"execute": "screendump", "arguments": {"filename": path.display().to_string(), "format": "png"}}))?;
        if !path.is_file() {
            bail!("QEMU's screendump wrote no {}", path.display());
        }
        Ok(())
    }
}

/// One screen to render on the host.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// File-name-friendly name (`idle`, `pin`, `result`).
    pub name: String,
    /// The screen's JSON as the kiosk logged it.
    pub screen: Value,
    /// The screen has a photo (which the JSON leaves out, and which cannot be had: the server
    /// keeps evidence photos sealed): a stand-in is drawn and its area left out of the comparison.
    pub photo: bool,
    /// The emulated display's screendump to compare with.
    pub guest: Option<PathBuf>,
}

/// What the host's rendering says about one screen.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The name it was asked for.
    pub name: String,
    /// Every labelled element's logical box: x, y, width, height.
    pub labels: BTreeMap<String, [f32; 4]>,
    /// Pixels compared and how many differ (when a screendump was given).
    pub compared: Option<(u64, u64)>,
    /// Pixels left out of the comparison (a masked photo).
    pub masked: u64,
}

impl Rendered {
    /// The centre of the element labelled `label`.
    pub fn centre(&self, label: &str) -> Result<(f32, f32)> {
        let [x, y, w, h] = self
            .labels
            .get(label)
            .with_context(|| format!("screen {}: no element labelled {label:?} (labels: {:?})", self.name, self.labels.keys().collect::<Vec<_>>()))?;
        Ok((x + w / 2.0, y + h / 2.0))
    }

    /// The share of pixels that differ from the screendump.
    pub fn differing_share(&self) -> Option<f64> {
        self.compared.map(|(total, differing)| differing as f64 / total.max(1) as f64)
    }
}

/// The host's renderer: `hadir-ui`'s `reference` example from the host's test build.
pub struct Reference {
    bin: PathBuf,
    /// Where its PNGs go.
    pub dir: PathBuf,
}

impl Reference {
    /// The renderer in the host build's directory `bins`, writing into `dir`.
    pub fn new(bins: &Path, dir: &Path) -> Result<Self> {
        let bin = bins.join("examples").join("reference");
        if !bin.is_file() {
            bail!(
                "{} is missing: the host's reference rendering of the kiosk's screens comes from the host build \
                 (`cargo build --workspace --all-targets`, as `cargo xtask test` runs it)",
                bin.display()
            );
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self { bin, dir: dir.to_owned() })
    }

    /// Renders `screens` at the emulated display's size in Bahasa Indonesia (the device's
    /// language), comparing each with its screendump when one is given.
    pub fn render(&self, screens: &[Wanted]) -> Result<Vec<Rendered>> {
        let list = self.dir.join("screens.tsv");
        let mut text = String::new();
        for w in screens {
            let photo = if w.photo { "mask" } else { "-" };
            let guest = w.guest.as_ref().map_or("-".to_string(), |p| p.display().to_string());
            text += &format!("{}\t{}\t{}\t{}\n", w.name, w.screen, photo, guest);
        }
        std::fs::write(&list, text).with_context(|| format!("writing {}", list.display()))?;
        let out = Command::new(&self.bin)
            .arg(format!("{WIDTH}x{HEIGHT}"))
            .arg("id")
            .arg(&self.dir)
            .arg(&list)
            .arg(CHANNEL_TOLERANCE.to_string())
            .output()
            .with_context(|| format!("running {}", self.bin.display()))?;
        if !out.status.success() {
            bail!("{} failed: {}", self.bin.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).with_context(|| format!("reference output {line:?}"))?;
                let labels = v["labels"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, b)| {
                        let b: Vec<f32> = b.as_array()?.iter().filter_map(|n| n.as_f64().map(|n| n as f32)).collect();
                        Some((k.clone(), <[f32; 4]>::try_from(b).ok()?))
                    })
                    .collect();
                let compared = v["compared"].as_array().and_then(|c| Some((c.first()?.as_u64()?, c.get(1)?.as_u64()?)));
                let masked = v["masked"].as_u64().unwrap_or(0);
                Ok(Rendered { name: v["name"].as_str().unwrap_or("?").to_string(), labels, compared, masked })
            })
            .collect()
    }

    /// Renders one screen (no comparison): where its buttons are.
    pub fn layout(&self, name: &str, screen: &Value) -> Result<Rendered> {
        let wanted = Wanted { name: name.to_string(), screen: screen.clone(), photo: false, guest: None };
        self.render(&[wanted])?.pop().context("the reference renderer printed nothing")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_screens_are_read_from_console_lines() {
        let line = r#"HADIR-KIOSK [123]: 2026-12-04T01:02:03Z  INFO hadir_kiosk::touch: touchscreen shows {"Pin":{"kind":"In","digits_entered":0,"max_digits":6}} photo=false"#;
        let screen = shown(line).expect("a screen");
        assert_eq!(kind(&screen), "Pin");
        assert_eq!(screen["Pin"]["max_digits"], 6);
        assert!(!has_photo(line));
        assert_eq!(kind(&shown(r#"x touchscreen shows "Busy" photo=true"#).expect("unit variant")), "Busy");
        assert!(has_photo(r#"x touchscreen shows "Busy" photo=true"#));
        assert!(shown("INFO hadir_kiosk: record saved seq=2").is_none());
        assert!(shown("touchscreen shows {broken").is_none());
    }

    #[test]
    fn rendered_boxes_give_centres_and_shares() {
        let r = Rendered {
            name: "idle".into(),
            labels: [("MASUK".to_string(), [20.0, 300.0, 370.0, 160.0])].into_iter().collect(),
            compared: Some((384_000, 960)),
            masked: 0,
        };
        assert_eq!(r.centre("MASUK").unwrap(), (205.0, 380.0));
        let err = r.centre("PULANG").unwrap_err().to_string();
        assert!(err.contains("no element labelled \"PULANG\"") && err.contains("MASUK"), "{err}");
        assert!((r.differing_share().unwrap() - 0.0025).abs() < 1e-9);
    }
}
