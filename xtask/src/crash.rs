//! `cargo xtask crash-test [--runs N]`: the kiosk's power-cut test on demand. The kiosk kills
//! its own record writer with SIGKILL at random points and checks the store afterwards; the
//! last line is for scripts: `crash_runs=N saved=N lost=N chain_ok=… integrity_ok=…`.

use crate::shell;
use crate::suite::cargo;
use anyhow::Result;
use std::path::Path;

/// Runs the crash test with the given arguments (`--runs N`, `--seed S`).
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    shell::run(
        cargo(root)
            .args(["run", "--locked", "--package", "hadir-kiosk", "--bin", "hadir-kiosk", "--", "crash-test"])
            .args(args),
    )
}
