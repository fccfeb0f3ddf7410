//! `cargo xtask test`: every test, fast suites first so that a failure shows early, one shared
//! target directory for the host build, and a summary of step times at the end.

use crate::shell::{self, Steps};
use crate::{crate_map, cross, demo, fuzz, qemu, setup};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

/// Runs the whole suite.
pub fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    let result = all(root, &mut steps);
    steps.summary();
    if result.is_ok() {
        println!("\nevery test passed");
    }
    result
}

fn all(root: &Path, steps: &mut Steps) -> Result<()> {
    setup::run(root, steps)?;
    steps.step("README crate map and Cargo.toml's dev profiles match cargo metadata", || crate_map::check(root))?;
    steps.step("host: build every crate and test target", || {
        // `--timings`: cargo's report of where a cold build's minutes go
        // (target/cargo-timings/), the figures that build-time work starts from.
        shell::run(cargo(root).args(demo::HOST_BUILD).arg("--timings"))
    })?;
    steps.step("host: unit, integration and doc tests", || {
        shell::run(cargo(root).args(["test", "--locked", "--workspace"]))
    })?;
    steps.step("demo --check: a kiosk record reaches the server and the dashboard", || demo::check(root))?;
    fuzz::all(root, fuzz::CI_SECONDS, steps)?;
    cross::build_and_test(root, steps)?;
    qemu::test(root, steps)
}

/// The cargo that started xtask (rustup's), run in the workspace root.
pub fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root)
        .env("HADIR_SHARED_DIR", shell::shared_dir(root))
        .env("HADIR_MODELS_DIR", setup::models_dir(root));
    cmd
}
