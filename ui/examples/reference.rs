//! `reference SIZE LANG OUT_DIR SCREENS_FILE CHANNEL_TOLERANCE`: the host's rendering of screens
//! that a kiosk logged (`touchscreen shows {json}`), compared with what a device's display
//! showed, and where each labelled element of them is, so that a test can touch it.
//!
//! `SIZE` is `800x480`; `LANG` `id` or `en`. Each line of `SCREENS_FILE` is
//! `NAME<TAB>SCREEN_JSON<TAB>PHOTO<TAB>SHOWN`: PHOTO is a result screen's photo (which the JSON
//! leaves out), or `mask` for a photo that cannot be had (a grey stand-in is drawn and every
//! image element is left out of the comparison); SHOWN a PNG of what the device displayed; `-`
//! for none. For each line it writes
//! `OUT_DIR/host-NAME.png` (Slint's software renderer, the UI's own fonts, as on the board) and
//! prints one JSON line: `{"name": NAME, "labels": {LABEL: [x, y, width, height], ...},
//! "compared": [PIXELS, DIFFERING], "masked": PIXELS}` — the logical box of every element that
//! has an accessible label, and with SHOWN, how many pixels were compared, how many of them
//! have a channel that differs by more than CHANNEL_TOLERANCE (a SHOWN of another size differs
//! everywhere), and how many were left out.
//!
//! It is an example of `hadir-ui` because Slint's testing backend (element search by label)
//! is a development dependency; `cargo xtask qemu-test` runs it from the host's test build.

use anyhow::{Context, Result, bail};
use hadir_ui::{Language, Screen, Ui, fonts};
use i_slint_backend_testing::{ElementQuery, TestingBackend, TestingBackendOptions};
use image::RgbImage;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() -> Result<()> {
    // SAFETY: the first statement of `main`: no other thread exists that could read the
    // environment. fontconfig must see the UI's fonts only, as on the board.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [size, lang, out_dir, screens, tolerance] = args.as_slice() else {
        bail!("usage: reference WIDTHxHEIGHT id|en OUT_DIR SCREENS_FILE CHANNEL_TOLERANCE");
    };
    let tolerance: u8 = tolerance.parse().with_context(|| format!("channel tolerance {tolerance:?}: 0-255"))?;
    let (width, height) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .with_context(|| format!("size {size:?} is not WIDTHxHEIGHT"))?;
    let language = Language::from_code(lang).with_context(|| format!("language {lang:?}: id or en"))?;
    let out_dir = PathBuf::from(out_dir);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let text = std::fs::read_to_string(screens).with_context(|| format!("reading {screens}"))?;

    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .map_err(|e| anyhow::anyhow!("Slint platform: {e}"))?;
    let ui = Ui::new()?;
    ui.window().set_size(slint::PhysicalSize::new(width, height));
    ui.set_language(language)?;

    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, json, photo_file, shown] = fields.as_slice() else {
            bail!("{screens}:{}: expected NAME<TAB>SCREEN_JSON<TAB>PHOTO<TAB>SHOWN", n + 1);
        };
        let mut screen: Screen = serde_json::from_str(json).with_context(|| format!("{screens}:{}: screen JSON", n + 1))?;
        let mask_images = *photo_file == "mask";
        if let (false, Screen::Result { photo, .. }) = (*photo_file == "-", &mut screen) {
            *photo = Some(if mask_images {
                RgbImage::from_pixel(112, 112, image::Rgb([128, 128, 128]))
            } else {
                image::open(photo_file).with_context(|| format!("{screens}:{}: photo {photo_file}", n + 1))?.to_rgb8()
            });
        }
        ui.set_screen(&screen).with_context(|| format!("{screens}:{}: screen {name}", n + 1))?;
        let shot = ui.window().take_snapshot().map_err(|e| anyhow::anyhow!("snapshot: {e}"))?;
        let rgb: Vec<u8> = shot.as_slice().iter().flat_map(|p| [p.r, p.g, p.b]).collect();
        let host = RgbImage::from_raw(shot.width(), shot.height(), rgb).context("snapshot size")?;
        let png = out_dir.join(format!("host-{name}.png"));
        host.save(&png).with_context(|| format!("writing {}", png.display()))?;
        let mut labels = BTreeMap::new();
        let mut masks = Vec::new();
        for element in ElementQuery::from_root(ui.component()).find_all() {
            let (at, size) = (element.absolute_position(), element.size());
            if size.width <= 0.0 || size.height <= 0.0 {
                continue;
            }
            let r#box = [at.x, at.y, size.width, size.height];
            if mask_images && element.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Image) {
                masks.push(r#box);
            }
            if let Some(label) = element.accessible_label().filter(|l| !l.is_empty()) {
                labels.entry(label.to_string()).or_insert(r#box);
            }
        }
        let (compared, masked) = match *shown {
            "-" => (None, 0),
            file => {
                let guest = image::open(file).with_context(|| format!("{screens}:{}: screen shown {file}", n + 1))?.to_rgb8();
                let (compared, masked) = differing(&host, &guest, tolerance, &masks);
                (Some(compared), masked)
            }
        };
        println!("{}", serde_json::json!({ "name": name, "labels": labels, "compared": compared, "masked": masked }));
    }
    Ok(())
}

/// The pixels of `a` outside the `masks` (logical boxes, one pixel each at scale 1) and how many
/// of them have a channel more than `tolerance` away from `b`'s; then how many were masked.
fn differing(a: &RgbImage, b: &RgbImage, tolerance: u8, masks: &[[f32; 4]]) -> ([u64; 2], u64) {
    let total = u64::from(a.width()) * u64::from(a.height());
    if a.dimensions() != b.dimensions() {
        return ([total, total], 0);
    }
    let masked = |x: u32, y: u32| {
        let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
        masks.iter().any(|[mx, my, w, h]| x >= *mx && x < mx + w && y >= *my && y < my + h)
    };
    let (mut compared, mut off, mut left_out) = (0u64, 0u64, 0u64);
    for (x, y, p) in a.enumerate_pixels() {
        if masked(x, y) {
            left_out += 1;
            continue;
        }
        compared += 1;
        if p.0.iter().zip(b.get_pixel(x, y).0).any(|(u, v)| u.abs_diff(v) > tolerance) {
            off += 1;
        }
    }
    ([compared, off], left_out)
}
