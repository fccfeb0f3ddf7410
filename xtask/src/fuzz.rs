//! The fuzz targets, run for a bounded time on the nightly toolchain with cargo-fuzz as part of
//! `cargo xtask test` (and alone with `cargo xtask fuzz [SECONDS]`). A crash fails the step and
//! leaves the input under the target's `fuzz/artifacts/`.

use crate::shell::{self, Steps};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// (cargo-fuzz project folder, target): the untrusted input paths of the system.
pub const TARGETS: &[(&str, &str)] = &[
    ("hal/fuzz", "nmea"),
    ("server-sync/protocol/fuzz", "batch_decoder"),
    ("server-sync/protocol/fuzz", "canonical_decoder"),
];

/// Seconds each target runs in `cargo xtask test`.
pub const CI_SECONDS: u64 = 40;

/// `cargo xtask fuzz [SECONDS]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let seconds = match args.first() {
        Some(text) => text.parse().with_context(|| format!("`{text}` is not a number of seconds"))?,
        None => CI_SECONDS,
    };
    let mut steps = Steps::default();
    let result = all(root, seconds, &mut steps);
    steps.summary();
    result
}

/// Runs every target for `seconds` each.
pub fn all(root: &Path, seconds: u64, steps: &mut Steps) -> Result<()> {
    for (dir, target) in TARGETS {
        steps.step(&format!("fuzz: {target} for {seconds} s"), || {
            let mut cmd = Command::new("cargo");
            for (key, _) in std::env::vars_os() {
                let key = key.to_string_lossy();
                if key.starts_with("RUSTUP_TOOLCHAIN") || key.starts_with("CARGO") || key == "RUSTC" {
                    cmd.env_remove(key.as_ref());
                }
            }
            cmd.current_dir(root)
                .env("CARGO_TARGET_DIR", root.join("target").join("fuzz"))
                .args(["+nightly", "fuzz", "run", "--fuzz-dir", dir, target, "--"])
                .arg(format!("-max_total_time={seconds}"))
                .arg("-print_final_stats=1");
            shell::run(&mut cmd)
        })?;
    }
    Ok(())
}
