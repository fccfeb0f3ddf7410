//! `cargo xtask demo`: the main job for a new user — the central server with its embedded
//! SQLite, a kiosk with simulated devices, and the dashboard at a printed address.
//!
//! Until every part exists it starts what exists and says plainly what does not.

use crate::setup;
use crate::shell::Steps;
use anyhow::Result;
use std::path::Path;

/// Sets up what is missing, then starts the parts of the system that exist.
pub fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    setup::run(root, &mut steps)?;
    println!("\nHadir demo");
    println!("  not built yet: the central server (hadir-server), the kiosk (hadir-kiosk), the dashboard.");
    println!("  Nothing is started; `cargo xtask test` runs what exists.");
    Ok(())
}
