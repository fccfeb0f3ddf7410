//! `hadir-ui-screenshots OUT_DIR`: writes a PNG of every example screen, in both languages, at
//! 800×480 and 1280×800, rendered headless by the software renderer (as on the board).
//!
//! File names: `<lang>/<width>x<height>/<screen>.png`, e.g. `id/800x480/result-valid-late.png`.
//! `cargo xtask screenshots` runs it into `docs/screenshots/`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use hadir_ui::{Language, Ui, fonts, gallery, headless};

/// The screen sizes rendered: the board's 7" panel and a 10" one.
const SIZES: [(u32, u32); 2] = [(800, 480), (1280, 800)];

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(out_dir), None) = (args.next(), args.next()) else {
        bail!("usage: hadir-ui-screenshots OUT_DIR");
    };
    let out_dir = PathBuf::from(out_dir);
    use_bundled_fonts();

    let display = headless::install(SIZES[0].0, SIZES[0].1)?;
    let ui = Ui::new()?;
    let mut written = 0;
    for language in Language::ALL {
        ui.set_language(language)?;
        for (width, height) in SIZES {
            display.resize(width, height);
            let dir = out_dir.join(language.code()).join(format!("{width}x{height}"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for example in gallery::examples() {
                ui.set_screen(&example.screen).with_context(|| example.name)?;
                if let Some(frame) = &example.frame {
                    ui.show_frame(frame)?;
                }
                let path = dir.join(format!("{}.png", example.name));
                display.render().save(&path).with_context(|| format!("writing {}", path.display()))?;
                written += 1;
            }
        }
    }
    println!("wrote {written} screenshots under {}", out_dir.display());
    Ok(())
}

/// Points fontconfig at the UI's own fonts unless the caller chose otherwise.
fn use_bundled_fonts() {
    if std::env::var_os(fonts::FONTCONFIG_ENV).is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists, so nothing
        // can read the environment concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
        }
    }
}
