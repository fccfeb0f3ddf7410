//! `cargo xtask screenshots`: every kiosk screen rendered headless to PNG, in both languages
//! and both screen sizes, into `docs/screenshots/` (linked from the README).

use crate::shell;
use crate::suite::cargo;
use anyhow::Result;
use std::path::Path;

/// Renders the screens.
pub fn run(root: &Path) -> Result<()> {
    let out = root.join("docs").join("screenshots");
    shell::run(
        cargo(root)
            .args(["run", "--locked", "--package", "hadir-ui", "--bin", "hadir-ui-screenshots", "--"])
            .arg(&out),
    )?;
    println!("screens written under {}", out.display());
    Ok(())
}
