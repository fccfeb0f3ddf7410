//! `cargo xtask screenshots`: every kiosk screen rendered headless to PNG, in both languages
//! and both screen sizes, into `docs/screenshots/` (linked from the README).

use crate::suite::cargo;
use crate::{demo, shell};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

/// Renders the screens.
pub fn run(root: &Path) -> Result<()> {
    let out = root.join("docs").join("screenshots");
    // The demo's build (the workspace's binaries, touchscreen on), so neither rebuilds the other.
    shell::run(cargo(root).args(demo::HOST_BUILD))?;
    shell::run(Command::new(demo::debug_binary(root, "hadir-ui-screenshots")).arg(&out))?;
    println!("screens written under {}", out.display());
    Ok(())
}
